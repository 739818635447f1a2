"""The project's WSGI application behind gzip, as the TLS proxy compresses HTML in
production (README, « Deploying »): for `lighthouse.py` only."""

import django
from django.core.handlers.wsgi import WSGIHandler
from django.middleware.gzip import GZipMiddleware


class GzipHandler(WSGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async)
        chain = self._middleware_chain  # type: ignore[has-type]
        self._middleware_chain = GZipMiddleware(chain)


django.setup(set_prefix=False)
application = GzipHandler()
