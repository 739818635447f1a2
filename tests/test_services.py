"""What docker-compose runs, run here without Docker: gunicorn with the production
settings, Celery beat sending its tick, and the compose file itself."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REQUIRE_TOOLS = os.environ.get("COOP_REQUIRE_TOOLS") == "1"  # set by .ci/run


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def production_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_ALLOW", "PYTEST"))}
    env.update(
        DEBUG="0",
        SECRET_KEY="x" * 60,
        ALLOWED_HOSTS="coop.example,localhost",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        VAR_DIR=str(tmp_path / "var"),
        STATIC_ROOT=str(tmp_path / "static"),
    )
    env.pop("CELERY_BROKER_URL", None)  # the filesystem broker, in tmp_path
    env.pop("CELERY_FS_DIR", None)  # ... under VAR_DIR, where the beat test looks
    for command in (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, timeout=180
        )
    return env


@pytest.fixture
def gunicorn(production_env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    env = {**production_env, "HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": "2"}
    proc = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "coop_shop.wsgi:application",
            "-c",
            "coop_shop/gunicorn.conf.py",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def get(url: str, **headers: str) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, headers={"Host": "localhost", **headers})  # noqa: S310
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def test_gunicorn_serves_with_production_settings(gunicorn: str) -> None:
    status, _, body = get(f"{gunicorn}/livez")
    assert status == 200, body
    status, _, body = get(f"{gunicorn}/healthz")  # no worker runs beside this gunicorn
    assert status == 503, body
    assert '"worker": false' in body
    # Plain HTTP is sent to HTTPS…
    status, headers, _ = get(f"{gunicorn}/")
    assert status == 301
    assert headers["Location"].startswith("https://localhost/")
    # …and behind the TLS proxy the page carries the security headers.
    status, headers, body = get(f"{gunicorn}/accounts/login/", **{"X-Forwarded-Proto": "https"})
    assert status == 200
    assert "max-age=31536000" in headers["Strict-Transport-Security"]
    assert "script-src 'self' 'nonce-" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    cookie = headers["Set-Cookie"]
    assert cookie.startswith("csrftoken=")
    assert "; Secure" in cookie
    # Static files come from WhiteNoise, with their hashed names.
    assert "/static/css/site." in body
    css = body.split('href="/static/css/site.')[1].split('"')[0]
    assert get(f"{gunicorn}/static/css/site.{css}", **{"X-Forwarded-Proto": "https"})[0] == 200


def test_beat_sends_the_tick_to_the_broker(production_env: dict[str, str], tmp_path: Path) -> None:
    queue = Path(production_env["VAR_DIR"]) / "celery" / "queue"
    proc = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "coop_shop",
            "beat",
            "--schedule",
            str(tmp_path / "beat"),
        ],
        cwd=ROOT,
        env={**production_env, "COOP_TICK_SECONDS": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(queue.glob("*.msg")):
            time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    messages = [m.read_text() for m in queue.glob("*.msg")]
    assert any("orders.tasks.windows_tick" in m for m in messages), "beat sent no tick"


def test_docker_compose_file_is_valid(tmp_path: Path) -> None:
    if shutil.which("docker-compose") is None:
        if REQUIRE_TOOLS:
            pytest.fail("docker-compose is required in CI to validate docker-compose.yml")
        pytest.skip(
            "docker-compose is not installed (apt-get install docker-compose); CI checks it"
        )
    for name in ("docker-compose.yml", "Dockerfile"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    compose = shutil.which("docker-compose") or "docker-compose"
    result = subprocess.run(  # noqa: S603
        [compose, "config", "-q"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    services = subprocess.run(  # noqa: S603
        [compose, "config", "--services"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert set(services) == {"db", "redis", "migrate", "web", "worker", "beat", "backup"}
