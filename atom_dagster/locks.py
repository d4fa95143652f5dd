"""One file-lock helper for every lock atom takes (raw partitions, live captures, the warehouse).

An exclusive ``flock`` on a small file that names its holder. The lock dies with its process, so
a crashed run never blocks the next one. :func:`acquire` waits up to ``timeout`` seconds (0: not
at all) and raises :class:`LockTimeout` with the holder's name; the caller turns that into its
own message.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

POLL = 0.05


class LockTimeout(RuntimeError):
    """The lock was held by someone else (``holder``) for longer than the caller would wait."""

    def __init__(self, path: Path, holder: str) -> None:
        super().__init__(f"{path} is held by {holder}")
        self.path = path
        self.holder = holder


class FileLock:
    """A held lock; :meth:`release` (or leaving the ``with`` block) lets it go."""

    def __init__(self, path: Path, handle: IO[str]) -> None:
        self.path = path
        self._handle: IO[str] | None = handle

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None

    def __enter__(self) -> FileLock:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()


def acquire(
    path: Path,
    holder: str,
    timeout: float = 0.0,
    poll: float = POLL,
    on_wait: Callable[[str], None] | None = None,
) -> FileLock:
    """Take the exclusive lock on ``path`` and record ``holder`` in it.

    Waits up to ``timeout`` seconds for the current holder, calling ``on_wait(holder)`` once when
    the first attempt finds the lock taken; then raises :class:`LockTimeout`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")  # noqa: SIM115 -- owned by the returned FileLock
    deadline, announced = time.monotonic() + timeout, False
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            handle.seek(0)
            current = handle.read().strip() or "unknown"
            if time.monotonic() >= deadline:
                handle.close()
                raise LockTimeout(path, current) from None
            if not announced and on_wait is not None:
                on_wait(current)
            announced = True
            time.sleep(poll)
    handle.seek(0)
    handle.truncate()
    handle.write(f"{holder}\n")
    handle.flush()
    return FileLock(path, handle)


@contextlib.contextmanager
def held(path: Path, holder: str, timeout: float = 0.0, **kwargs) -> Iterator[FileLock]:
    """:func:`acquire` as a context manager."""
    lock = acquire(path, holder, timeout, **kwargs)
    try:
        yield lock
    finally:
        lock.release()


def process_holder(what: str = "atom") -> str:
    """How a lock names this process."""
    return f"{what} (PID {os.getpid()})"
