"""Health for monitoring and for the container.

- /healthz (monitoring): 200 when the database and the broker answer, a worker answers
  a ping, beat has ticked in the last 3 minutes, no window is open past its deadline
  and no close has stalled; 503 otherwise, with the reasons in `problems`.
- /livez (the web container's healthcheck): this process serves and reaches the
  database; a dead worker is no reason to restart the web server.
"""

import logging
import os

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from pickup.selectors import machinery_problems

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


def worker_ok() -> bool:
    """Does at least one Celery worker answer a ping within a second?"""
    try:
        return bool(celery_app.control.ping(timeout=1.0))
    except Exception:
        logger.exception("healthz: worker ping failed")
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": database_ok(), "broker": broker_ok()}
    checks["worker"] = checks["broker"] and worker_ok()
    problems = [name for name, ok in checks.items() if not ok]
    if checks["database"]:
        with translation.override("en"):  # for whoever is on call, in the logs
            problems += machinery_problems(now=timezone.now())
    status = 200 if not problems else 503
    if problems:
        logger.warning("healthz: %s", "; ".join(problems))
    return JsonResponse(
        {"status": "ok" if status == 200 else "unavailable", **checks, "problems": problems},
        status=status,
    )


@never_cache
@require_GET
def livez(request: HttpRequest) -> JsonResponse:
    ok = database_ok()
    return JsonResponse({"status": "ok" if ok else "unavailable"}, status=200 if ok else 503)
