"""Operations: JSON logs that carry the request id and the task id; Sentry on when
SENTRY_DSN is set."""

import gzip
import http.server
import io
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse

from accounts.mail import message_to_data
from accounts.tasks import send_email
from coop_shop.logs import ContextFilter, JsonFormatter

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """What the production handler writes, for the duration of a test."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield out
    finally:
        root.removeHandler(handler)


def _entries(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.mark.django_db
def test_a_request_logs_json_with_its_request_id(client, json_lines) -> None:  # type: ignore[no-untyped-def]
    response = client.get(reverse("healthz"), HTTP_X_REQUEST_ID="proxy-7f3a9c21")
    assert response["X-Request-ID"] == "proxy-7f3a9c21"  # the proxy's id, echoed
    (entry,) = [e for e in _entries(json_lines) if e["logger"] == "coop_shop.health"]
    assert entry["level"] == "WARNING"
    assert entry["request_id"] == "proxy-7f3a9c21"
    assert str(entry["message"]).startswith("healthz: worker")


@pytest.mark.django_db
def test_an_odd_request_id_is_replaced_by_ours(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(reverse("livez"), HTTP_X_REQUEST_ID='x" onload="alert(1)')
    assert len(response["X-Request-ID"]) == 32  # a uuid4 hex of ours


@pytest.mark.django_db
def test_a_task_logs_json_with_its_task_id(settings, json_lines) -> None:  # type: ignore[no-untyped-def]
    settings.MAILERS = {
        "default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"},
        "deliver": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},  # nothing listens
        },
    }
    data = message_to_data(mail.EmailMessage(subject="s", body="b", to=["d@example.org"]))
    result = send_email.apply(args=(data,), task_id="task-0001", retries=5)
    assert result.get() is False
    (entry,) = [e for e in _entries(json_lines) if e["logger"] == "accounts.tasks"]
    assert entry["task_id"] == "task-0001"
    assert entry["level"] == "ERROR"


class _Envelopes(http.server.BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        elif self.headers.get("Content-Encoding") == "br":
            import brotli  # type: ignore[import-not-found]

            body = brotli.decompress(body)
        self.received.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


def test_sentry_reports_when_sentry_dsn_is_set() -> None:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Envelopes)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
        env["SENTRY_DSN"] = f"http://publickey@127.0.0.1:{server.server_port}/42"
        env["DJANGO_SETTINGS_MODULE"] = "coop_shop.settings"
        code = (
            "import django; django.setup(); import sentry_sdk; "
            "sentry_sdk.capture_message('coop probe'); sentry_sdk.flush(timeout=5)"
        )
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, timeout=60)  # noqa: S603
        assert any(b"coop probe" in body for body in _Envelopes.received)
        # Without the variable, nothing is set up, nothing is sent.
        _Envelopes.received.clear()
        env.pop("SENTRY_DSN")
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, timeout=60)  # noqa: S603
        assert _Envelopes.received == []
    finally:
        server.shutdown()
