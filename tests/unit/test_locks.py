"""The one file-lock helper: exclusive, names its holder, waits a bounded time, dies with its process."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from atom_dagster.locks import LockTimeout, acquire, held


def test_a_second_taker_waits_then_gets_the_holders_name(tmp_path):
    path = tmp_path / "locks" / "x.lock"
    code = (
        "import sys, time\n"
        "from atom_dagster.locks import acquire\n"
        f"lock = acquire({str(path)!r}, 'first (PID 1)')\n"
        "print('held', flush=True)\n"
        "time.sleep(30)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "held"
        waited: list[str] = []
        started = time.monotonic()
        with pytest.raises(LockTimeout) as info:
            acquire(path, "second", timeout=0.3, on_wait=waited.append)
        assert time.monotonic() - started >= 0.3
        assert info.value.holder == "first (PID 1)" and waited == ["first (PID 1)"]
    finally:
        child.kill()
        child.wait()
    # The holder died: the lock went with it.
    with held(path, "second") as lock:
        assert lock.path == path
        assert path.read_text().strip() == "second"


def test_release_lets_the_next_taker_in_at_once(tmp_path):
    path = tmp_path / "y.lock"
    first = acquire(path, "one")
    first.release()
    second = acquire(path, "two", timeout=0)
    second.release()
