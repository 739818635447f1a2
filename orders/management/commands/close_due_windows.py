from django.core.management.base import BaseCommand
from django.utils import timezone

from orders import closing, selectors, services


class Command(BaseCommand):
    help = (
        "Open due windows and close every window past its deadline (what the periodic task runs)."
    )

    def handle(self, *args: object, **options: object) -> None:
        now = timezone.now()
        for window_id in selectors.due_to_open_ids(now=now):
            if services.window_open(window_id=window_id, now=now):
                self.stdout.write(f"opened window {window_id}")
        for window_id in selectors.due_to_close_ids(now=now):
            if closing.window_close(window_id=window_id, now=now):
                self.stdout.write(f"closed window {window_id}")
