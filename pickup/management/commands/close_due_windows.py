from django.core.management.base import BaseCommand
from django.utils import timezone

from pickup import closing


class Command(BaseCommand):
    help = (
        "Plan the weeks ahead, open due windows and close every window past its deadline "
        "(what the periodic task runs)."
    )

    def handle(self, *args: object, **options: object) -> None:
        done = closing.windows_due_run(now=timezone.now())
        for window_id in done["opened"]:
            self.stdout.write(f"opened window {window_id}")
        for window_id in done["closed"]:
            self.stdout.write(f"closed window {window_id}")
