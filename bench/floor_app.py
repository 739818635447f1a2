"""The floor of bench/shop.py: the cheapest Django page of the same size as the shop.

A WSGI module of its own, not part of the app's URLs: `settings.configure()` with one
URL, no middleware, no app, no database, and a view returning a fixed body of
FLOOR_BODY_BYTES bytes. shop.py serves it with gunicorn and the project's config
(same workers) to see what Django and gunicorn cost before the app does anything:

    gunicorn -c coop_shop/gunicorn.conf.py --pythonpath bench floor_app:application
"""

import os
import secrets

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, HttpResponse
from django.urls import path

SIZE = int(os.environ.get("FLOOR_BODY_BYTES", "100000"))
HEAD = b'<!doctype html><html lang="fr-CA"><head><meta charset="utf-8"><title>Plancher</title>'
TAIL = b"</head><body></body></html>"
PADDING = max(0, SIZE - len(HEAD) - len(TAIL))
BODY = (HEAD + b" " * PADDING + TAIL) if PADDING else b" " * SIZE


def page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(BODY, content_type="text/html; charset=utf-8")


urlpatterns = [path("", page)]

settings.configure(
    DEBUG=False,
    SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    USE_TZ=True,
)
application = get_wsgi_application()
