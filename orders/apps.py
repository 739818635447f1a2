from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        """`CoopSettings.load()` reads the row once per request and once per task."""
        from celery import signals as task_signals
        from django.core import signals as request_signals
        from django.db.models.signals import post_save

        from .models import (
            CoopSettings,
            settings_forget,
            settings_scope_close,
            settings_scope_open,
        )

        request_signals.request_started.connect(settings_scope_open, dispatch_uid="coop-open")
        request_signals.request_finished.connect(settings_scope_close, dispatch_uid="coop-close")
        task_signals.task_prerun.connect(settings_scope_open, dispatch_uid="coop-task-open")
        task_signals.task_postrun.connect(settings_scope_close, dispatch_uid="coop-task-close")
        post_save.connect(settings_forget, sender=CoopSettings, dispatch_uid="coop-saved")
