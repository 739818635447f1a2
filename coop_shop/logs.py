"""Logs one JSON object a line (in production), each with the request id of the web
request or the task id of the Celery task it was written in, so one customer's trouble
can be followed from the proxy's log through the app to the worker."""

import contextvars
import json
import logging
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from django.http import HttpRequest, HttpResponse

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
# A proxy's X-Request-ID is kept when it looks like one (no spaces, no quotes, short).
_GIVEN = re.compile(r"[A-Za-z0-9._:-]{8,64}")


class RequestIdMiddleware:
    """Takes the proxy's X-Request-ID (or makes one), for the logs and the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        token = request_id.set(given if _GIVEN.fullmatch(given) else uuid.uuid4().hex)
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id.get()
            return response
        finally:
            request_id.reset(token)


class ContextFilter(logging.Filter):
    """Puts `request_id` and `task_id` on every record (empty outside either)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        task_id = ""
        try:
            from celery import current_task

            if current_task and current_task.request.id:
                task_id = str(current_task.request.id)
        except Exception:  # noqa: BLE001, S110  (no Celery context: nothing to add)
            pass
        record.task_id = task_id
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "task_id"):
            if value := getattr(record, key, ""):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
