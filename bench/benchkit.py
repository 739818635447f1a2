"""What `load.py` and `shop.py` share: a throw-away PostgreSQL database, production-like
settings passed through the environment, gunicorn started and stopped, and a small
HTTP client that keeps its own cookies (the Secure ones too) and sends the CSRF token.

Everything talks to 127.0.0.1 only. The client sends `X-Forwarded-Proto: https`:
gunicorn trusts that header from 127.0.0.1 (`forwarded_allow_ips` in
coop_shop/gunicorn.conf.py) and Django's `SECURE_PROXY_SSL_HEADER` then treats the
request as HTTPS, so the Secure session and CSRF cookies of `DEBUG=0` work without TLS.
"""

import http.client
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from types import FrameType
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "coop_shop" / "gunicorn.conf.py"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432"
HOST = "127.0.0.1"
# No answer: refused, reset, timed out, or cut short.
TRANSPORT_ERRORS = (OSError, http.client.HTTPException)
# Variables of the caller's shell that would point the bench elsewhere.
FOREIGN_VARIABLES = (
    "CELERY_BROKER_URL",
    "CELERY_FS_DIR",
    "CSRF_TRUSTED_ORIGINS",
    "DATABASE_URL",
    "HOST",
    "PORT",
    "WEB_CONCURRENCY",
    "EMAIL_HOST",
    "FORWARDED_ALLOW_IPS",
    "PRIVATE_ROOT",
    "DB_CONN_MAX_AGE",
)


def log(message: str) -> None:
    print(message, flush=True)


def database_url(server: str, name: str) -> str:
    """`server` (postgres://user@host:port) with the bench's own database name.
    Refuses any host but the local one."""
    parts = urllib.parse.urlsplit(server)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise SystemExit(f"--pg must be a postgres:// URL, not {server!r}")
    if parts.hostname not in LOCAL_HOSTS:
        raise SystemExit(f"the bench talks to 127.0.0.1 only, not {parts.hostname!r}")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))


def production_environment(*, db_url: str, var_dir: Path) -> dict[str, str]:
    """Production-like settings (DEBUG=0) for this process and for gunicorn; the
    broker stays Celery's filesystem default, under the temporary VAR_DIR."""
    for name in FOREIGN_VARIABLES:
        os.environ.pop(name, None)
    settings = {
        "DJANGO_SETTINGS_MODULE": "coop_shop.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": db_url,
        "VAR_DIR": str(var_dir),
        "STATIC_ROOT": str(var_dir / "static"),
        "MEDIA_ROOT": str(var_dir / "media"),
        "EMAIL_CONSOLE": "1",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    os.environ.update(settings)
    return settings


def setup_django() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def create_database(name: str) -> None:
    from django.db import connection

    with connection._nodb_cursor() as cursor:  # noqa: SLF001
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    from django.db import connections

    connections.close_all()
    with connections["default"]._nodb_cursor() as cursor:  # noqa: SLF001
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare_schema_and_static() -> None:
    """Migrate, and collect the static files (DEBUG=0 serves them from WhiteNoise's
    manifest, which must exist before gunicorn renders a page)."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)


def seed(**options: int) -> None:
    from django.core.management import call_command

    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", stdout=quiet, **options)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class Stop(Exception):
    """SIGTERM or SIGHUP: unwind through the `finally` blocks that clean up."""


def _stop(signum: int, frame: FrameType | None) -> None:
    raise Stop(signal.Signals(signum).name)


def catch_termination() -> None:
    # Ctrl-C too, even when started in the background (where SIGINT comes ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGHUP, _stop)


@contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


class Gunicorn:
    """gunicorn with the project's config on 127.0.0.1 and a free port, in its own
    process group; `stop()` ends that group (its master and workers), and only it."""

    def __init__(
        self,
        *,
        app: str,
        workers: int,
        log_path: Path,
        extra_env: dict[str, str] | None = None,
        pythonpath: Path | None = None,
    ) -> None:
        self.port = free_port()
        self.log_path = log_path
        env = dict(os.environ)
        env.update(extra_env or {})
        env.update({"HOST": HOST, "PORT": str(self.port), "WEB_CONCURRENCY": str(workers)})
        command = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF)]
        if pythonpath is not None:
            command += ["--pythonpath", str(pythonpath)]
        command.append(app)
        self._log: IO[bytes] = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            command,
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, path: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}):\n{self.tail()}")
            try:
                reply = Client(self.port, timeout=5).get(path)
            except TRANSPORT_ERRORS:
                time.sleep(0.2)
                continue
            if reply.status == 200:
                return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer 200 on {path} in {timeout:.0f} s")

    def tail(self, lines: int = 40) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def tracebacks(self) -> list[str]:
        self._log.flush()
        text = self.log_path.read_text(errors="replace")
        return text.split("Traceback (most recent call last):")[1:]

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=15)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self._log.close()

    def __enter__(self) -> "Gunicorn":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass(slots=True)
class Reply:
    status: int
    body: bytes
    seconds: float
    location: str = ""


@dataclass
class Tally:
    """What one client thread saw: statuses (0 = no answer) and latencies in seconds."""

    statuses: Counter[int] = field(default_factory=Counter)
    seconds: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    crashed: list[str] = field(default_factory=list)  # a client thread that stopped early

    def record(self, reply: Reply) -> None:
        self.statuses[reply.status] += 1
        self.seconds.append(reply.seconds)

    def fail(self, error: BaseException) -> None:
        self.statuses[0] += 1
        if len(self.failures) < 5:
            self.failures.append(f"{type(error).__name__}: {error}")

    def merge(self, other: "Tally") -> None:
        self.statuses.update(other.statuses)
        self.seconds += other.seconds
        self.failures += other.failures[: max(0, 5 - len(self.failures))]
        self.crashed += other.crashed

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def errors_5xx(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def percentile_ms(self, percent: float) -> float:
        """Nearest-rank percentile of the answered requests, in milliseconds."""
        if not self.seconds:
            return 0.0
        ordered = sorted(self.seconds)
        rank = max(1, -(-len(ordered) * percent // 100))
        return ordered[int(rank) - 1] * 1000

    def describe(self) -> str:
        statuses = ", ".join(f"{k or 'no answer'}: {v}" for k, v in sorted(self.statuses.items()))
        return f"statuses {{{statuses}}}"


class Client:
    """One browser: its own cookies, a new connection per request (gunicorn's sync
    workers close each connection), HTTPS as seen through the trusted proxy header."""

    def __init__(self, port: int, *, timeout: float = 60.0) -> None:
        self.port = port
        self.timeout = timeout
        self.origin = f"https://{HOST}:{port}"
        self.cookies: dict[str, str] = {}
        self.tally: Tally | None = None  # where each answer (or its absence) is recorded

    def copy(self) -> "Client":
        twin = Client(self.port, timeout=self.timeout)
        twin.cookies = dict(self.cookies)
        return twin

    def request(
        self,
        method: str,
        path: str,
        *,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        sent = {"X-Forwarded-Proto": "https", "Accept": "text/html"}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if method == "POST":
            body = urllib.parse.urlencode(form or {})
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent["Origin"] = self.origin
            sent["Referer"] = f"{self.origin}/shop/"
            if "csrftoken" in self.cookies:
                sent["X-CSRFToken"] = self.cookies["csrftoken"]
        sent.update(headers or {})
        connection = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
        started = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            content = response.read()
        except TRANSPORT_ERRORS as error:
            if self.tally is not None:
                self.tally.fail(error)
            raise
        finally:
            connection.close()
        reply = Reply(
            response.status,
            content,
            time.perf_counter() - started,
            response.headers.get("Location", ""),
        )
        for header in response.headers.get_all("Set-Cookie") or []:
            self._keep(header)
        if self.tally is not None:
            self.tally.record(reply)
        return reply

    def get(self, path: str, *, headers: dict[str, str] | None = None) -> Reply:
        return self.request("GET", path, headers=headers)

    def post(
        self, path: str, *, form: dict[str, str], headers: dict[str, str] | None = None
    ) -> Reply:
        return self.request("POST", path, form=form, headers=headers)

    def _keep(self, header: str) -> None:
        jar: SimpleCookie = SimpleCookie()
        jar.load(header)
        for name, morsel in jar.items():
            if morsel["max-age"] == "0" or not morsel.value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value

    def login(self, email: str, password: str) -> Reply:
        """allauth's login form: GET it for the CSRF cookie, POST it. A 302 is success."""
        self.get("/accounts/login/")
        return self.post(
            "/accounts/login/",
            form={
                "login": email,
                "password": password,
                "csrfmiddlewaretoken": self.cookies.get("csrftoken", ""),
            },
        )


class Budget:
    """Requests left and a deadline, shared by the client threads of one phase."""

    def __init__(self, *, seconds: float, requests: int) -> None:
        self.seconds = seconds
        self.deadline = float("inf")
        self.started = 0.0  # time.perf_counter() at start()
        self.left = requests
        self.lock = threading.Lock()

    def start(self) -> None:
        self.started = time.perf_counter()
        self.deadline = time.monotonic() + self.seconds

    def take(self) -> bool:
        if time.monotonic() >= self.deadline:
            return False
        with self.lock:
            if self.left <= 0:
                return False
            self.left -= 1
            return True


def run_threads(count: int, target: Callable[[int, Tally], None]) -> list[Tally]:
    """Run `target(index, tally)` in `count` threads; return their tallies."""
    tallies = [Tally() for _ in range(count)]

    def body(index: int) -> None:
        try:
            target(index, tallies[index])
        except Exception as error:  # noqa: BLE001 - reported in the tally
            tallies[index].crashed.append(f"{type(error).__name__}: {error}")

    threads = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tallies


def merged(tallies: list[Tally]) -> Tally:
    total = Tally()
    for tally in tallies:
        total.merge(tally)
    return total


def timed_phase(
    clients: list[Client], budget: Budget, send: Callable[[Client, int, int], object]
) -> tuple[Tally, float]:
    """All clients start together and call `send(client, index, turn)` while the budget
    lasts; answers are tallied by each client's request. Returns the tally and the
    phase's wall time (from the start to the last thread's end)."""
    barrier = threading.Barrier(len(clients), action=budget.start)
    ended: list[float] = []

    def body(index: int, tally: Tally) -> None:
        client = clients[index]
        client.tally = tally
        barrier.wait()
        turn = 0
        try:
            while budget.take():
                try:
                    send(client, index, turn)
                except TRANSPORT_ERRORS:
                    time.sleep(0.05)  # tallied as "no answer"; do not spin on a dead server
                turn += 1
        finally:
            client.tally = None
            ended.append(time.perf_counter())

    tally = merged(run_threads(len(clients), body))
    return tally, (max(ended) - budget.started) if ended else 0.0
