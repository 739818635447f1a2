"""Two (or more) workers at the same moment, each on its own database connection: for
the claims that must hold on any number of Celery workers (PostgreSQL only)."""

import threading
from collections.abc import Callable

from django.db import connection


def at_once[T](work: Callable[[], T], *, workers: int = 2, timeout: float = 60) -> list[T]:
    """Run `work` in `workers` threads released together; what each returned."""
    results: list[T] = []
    start = threading.Barrier(workers)

    def worker() -> None:
        start.wait()
        try:
            results.append(work())
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results
