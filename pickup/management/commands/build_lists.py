from django.core.management.base import BaseCommand, CommandError, CommandParser

from orders.models import OrderWindow
from pickup import closing


class Command(BaseCommand):
    help = "Rebuild the pickup lists, sheets and summary of one window (sends no email)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("window", type=int, help="the window's id")

    def handle(self, *args: object, **options: object) -> None:
        window_id = int(str(options["window"]))
        window = OrderWindow.objects.filter(pk=window_id).first()
        if window is None:
            raise CommandError(f"No window {options['window']}.")
        pages = closing.build_documents(window=window)
        self.stdout.write(f"window {window.pk}: lists and sheets rebuilt, {pages} pages")
