"""Running a test's work in real threads at once, and making sure they ended."""

import threading

from django.db import connections


def run_in_threads(count, fn, *, join_seconds: float = 120):
    """Start `count` threads at one barrier, each calling fn(i); return their
    results and errors. Fails the test when a thread has not finished within
    `join_seconds` (a deadlock, a lock never given back): a concurrency test
    whose threads are still running has not tested anything yet."""
    barrier = threading.Barrier(count)
    results, errors = [], []
    lock = threading.Lock()

    def worker(i):
        try:
            barrier.wait(timeout=30)
            result = fn(i)
            with lock:
                results.append(result)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=join_seconds)
    running = [t.name for t in threads if t.is_alive()]
    assert not running, f"{len(running)} of {count} threads still running after {join_seconds} s"
    return results, errors
