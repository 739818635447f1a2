from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _beat_started(**kwargs: Any) -> None:
    """Celery beat starts: a heartbeat at once, before its first tick a minute later."""
    from django.db import close_old_connections
    from django.utils import timezone

    from .closing import heartbeat

    try:
        heartbeat(name="beat", now=timezone.now())
    finally:
        close_old_connections()


class PickupConfig(AppConfig):
    name = "pickup"
    verbose_name = _("Pickup day")

    def ready(self) -> None:
        from celery import signals

        signals.beat_init.connect(_beat_started, dispatch_uid="pickup-beat-started", weak=False)
