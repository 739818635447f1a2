"""Signals other apps may listen to (they import orders; orders never imports them)."""

from django.dispatch import Signal

# Sent by ``manage.py seed_demo`` once the demo is in place (inside its transaction),
# with `closed_window` (last week's OrderWindow, closed) and `now`: apps that add to the
# demo (settlements settles last week) do it here.
demo_seeded = Signal()
