"""The Celery application: configured from Django settings (``CELERY_*``)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coop_shop.settings")

TICK = float(os.environ.get("COOP_TICK_SECONDS", "60"))

app = Celery("coop_shop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_ignore_result=True,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    # The worker logs through Django's LOGGING (JSON lines with the task id), not its own.
    worker_hijack_root_logger=False,
    timezone="America/Toronto",
    # Windows are rows, not schedules: one tick a minute opens and closes what is due,
    # and gives back the units of idle baskets.
    beat_schedule={
        "windows-tick": {"task": "orders.tasks.windows_tick", "schedule": TICK},
        "release-idle-baskets": {"task": "orders.tasks.release_idle_baskets", "schedule": TICK},
        "standing-baskets": {"task": "baskets.tasks.standing_tick", "schedule": TICK},
        "order-updates": {"task": "baskets.tasks.order_updates", "schedule": TICK},
        "reminders": {"task": "baskets.tasks.reminders", "schedule": TICK},
        "retry-refunds": {"task": "orders.tasks.retry_refunds", "schedule": 15 * 60},
        "recheck-payments": {"task": "payments.tasks.recheck_payments", "schedule": 15 * 60},
        "collect-unweighed": {"task": "pickup.tasks.collect_unweighed", "schedule": 15 * 60},
    },
)
app.autodiscover_tasks()


def ensure_fs_folders() -> None:
    """Create the filesystem transport's folders (a no-op with a real broker)."""
    options = app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        if folder := options.get(key):
            os.makedirs(folder, exist_ok=True)


ensure_fs_folders()
