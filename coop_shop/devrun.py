"""`make run`: the web server, a Celery worker and Celery beat together.

Ctrl-C (SIGINT) or SIGTERM stops all three. Honours HOST and PORT (127.0.0.1:8000).
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "coop-demo-2026"  # noqa: S105  (printed on purpose: demo accounts only)
DEMO_ACCOUNTS = (
    ("customer", "client@demo.coop"),
    ("farmer", "ferme@demo.coop"),
    ("coordinator", "coordination@demo.coop"),
    ("admin", "admin@demo.coop"),
)


def main() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    # Links in emails (sign-up, payment) point at this server, whatever its port.
    os.environ.setdefault("COOP_BASE_URL", f"http://{host}:{port}")
    python = sys.executable
    var = Path(os.environ.get("VAR_DIR", ROOT / "var"))
    var.mkdir(exist_ok=True)
    commands = {
        "web": [python, "manage.py", "runserver", f"{host}:{port}", "--noreload"],
        # The filesystem broker's prefork pool does not stop on SIGTERM: solo does.
        "worker": [
            python,
            "-m",
            "celery",
            "-A",
            "coop_shop",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
        ],
        "beat": [
            python,
            "-m",
            "celery",
            "-A",
            "coop_shop",
            "beat",
            "--loglevel=INFO",
            "--schedule",
            str(var / "celerybeat-schedule"),
        ],
    }
    processes: dict[str, subprocess.Popen[bytes]] = {}

    def stop(*_args: object) -> None:
        for proc in processes.values():
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 10
        for proc in processes.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()

    def on_sigterm(*_args: object) -> None:
        stop()
        sys.exit(0)

    def on_sigint(*_args: object) -> None:
        # Installed explicitly: a shell starting us in the background ignores SIGINT.
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    signal.signal(signal.SIGINT, on_sigint)
    try:
        for name, command in commands.items():
            processes[name] = subprocess.Popen(command, cwd=ROOT)  # noqa: S603
        shown = host if host not in ("0.0.0.0", "::") else "127.0.0.1"  # noqa: S104
        print(f"\n  Coop is running at http://{shown}:{port}/")
        print("  Ctrl-C stops the web server, the Celery worker and Celery beat.")
        print(f"  Demo accounts (password: {DEMO_PASSWORD}):")
        for role, email in DEMO_ACCOUNTS:
            print(f"    {role:<12} {email}")
        print("  Emails are printed here, in this console.\n", flush=True)
        while True:
            for name, proc in processes.items():
                if proc.poll() is not None:
                    if proc.returncode in (0, -signal.SIGINT, -signal.SIGTERM):
                        # Stopped by the same Ctrl-C that is about to reach us.
                        time.sleep(0.5)
                    print(
                        f"{name} stopped (exit {proc.returncode}); stopping the others.", flush=True
                    )
                    stop()
                    return proc.returncode or 1
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
        stop()
        return 0


if __name__ == "__main__":
    sys.exit(main())
