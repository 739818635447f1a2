"""/healthz: can we reach the database and the broker? 200 if both, 503 otherwise."""

import logging
import os

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .celery import app as celery_app

logger = logging.getLogger(__name__)


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("healthz: database unreachable")
        return False


def broker_ok() -> bool:
    try:
        with celery_app.connection_for_write() as conn:
            if conn.transport_cls == "filesystem":
                # This transport "connects" to anything: its folder must be writable.
                options = conn.transport_options or {}
                return all(
                    os.access(options[key], os.W_OK)
                    for key in ("data_folder_in", "data_folder_out", "control_folder")
                )
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
        return True
    except Exception:
        logger.exception("healthz: broker unreachable")
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": database_ok(), "broker": broker_ok()}
    status = 200 if all(checks.values()) else 503
    return JsonResponse(
        {"status": "ok" if status == 200 else "unavailable", **checks}, status=status
    )
