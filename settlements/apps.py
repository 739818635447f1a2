from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SettlementsConfig(AppConfig):
    name = "settlements"
    verbose_name = _("Settlements")

    def ready(self) -> None:
        from orders.signals import demo_seeded

        from . import demo

        demo_seeded.connect(demo.settle_demo_week, dispatch_uid="settlements.demo")
