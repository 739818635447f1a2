"""Pickup day's own row: the heartbeat of the periodic tick, which /healthz reads."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    """When a periodic process last showed life: "beat" is written when Celery beat
    starts and by every tick a worker runs (so a dead beat, or no worker to run its
    ticks, leaves it stale)."""

    name = models.CharField(_("name"), max_length=40, unique=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.name} {self.at:%Y-%m-%d %H:%M}"
