"""Edges of the command line: a missing archive fails at once, and `atom ui` stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.ui.dagster_dev import free_port, poll

REPO_ROOT = Path(__file__).resolve().parents[2]
ATOM = Path(sys.executable).parent / "atom"


def test_a_missing_archive_fails_at_once_with_one_line_and_creates_nothing(tmp_path):
    data, archive = tmp_path / "data", tmp_path / "no-such-archive"
    out = subprocess.run(
        [
            str(ATOM),
            "backfill",
            "--archive",
            str(archive),
            "--start",
            "2026-01-01",
            "--end",
            "2026-01-02",
            "--data-dir",
            str(data),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [f"atom: the archive directory {archive} does not exist."]
    assert not data.exists() and not archive.exists()


def _descendants(pid: int) -> set[int]:
    """Live (not zombie) processes below ``pid``, read from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended while we looked
        if fields[0] not in ("Z", "X"):
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state not in ("Z", "X"):
            alive.add(pid)
    return alive


def test_atom_ui_stops_cleanly_on_sigterm(tmp_path):
    """SIGTERM to `atom ui` reaches `dagster dev` and its servers: all of them exit, none is left."""
    port = free_port()
    env = {**os.environ, "DAGSTER_DISABLE_TELEMETRY": "1"}
    log = tmp_path / "ui.log"
    with open(log, "w") as fh:
        ui = subprocess.Popen(
            [str(ATOM), "ui", "--data-dir", str(tmp_path / "data"), "--port", str(port)],
            stdout=fh,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    started: set[int] = set()
    try:

        def serving():
            if ui.poll() is not None:
                raise AssertionError(f"atom ui exited early:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5) as response:
                    return response.status == 200
            except OSError:
                return None

        poll("atom ui to serve", serving, 240)
        started = _descendants(ui.pid)  # dagster dev, its webserver, daemon and code server
        assert len(started) >= 3, started
        ui.send_signal(signal.SIGTERM)
        ui.wait(120)  # atom ui itself returns (raises TimeoutExpired if it hangs) ...
        assert "Traceback" not in log.read_text(), log.read_text()[-3000:]
        # ... and takes every process it started with it.
        poll("dagster dev's processes to exit", lambda: not _alive(started) or None, 60)
    finally:
        if ui.poll() is None:
            os.killpg(ui.pid, signal.SIGKILL)
        for pid in _alive(started):
            os.kill(pid, signal.SIGKILL)


def test_a_range_is_cut_to_the_partitions_with_one_line_per_cut(tmp_path):
    from datetime import UTC, datetime, timedelta

    from atom_dagster.cli import cut_to_partitions
    from atom_dagster.runner import days_between
    from atom_dagster.settings import load_settings

    settings = load_settings({"ATOM_DATA_DIR": str(tmp_path), "ATOM_PARTITIONS_START": "2026-01-03"})
    today = datetime.now(UTC).date()
    said: list[str] = []
    days = days_between(today - timedelta(days=2), today + timedelta(days=1))
    kept = cut_to_partitions(["2026-01-01", "2026-01-02", "2026-01-03", *days], settings, said.append)
    yesterday = (today - timedelta(days=1)).isoformat()
    assert kept == ["2026-01-03", (today - timedelta(days=2)).isoformat(), yesterday]
    assert said == [
        "Skipping 2 day(s) 2026-01-01 .. 2026-01-02: before the first partition 2026-01-03"
        " (ATOM_PARTITIONS_START).",
        f"Skipping 2 day(s) {today} .. {today + timedelta(days=1)}: not complete yet (partition D holds D's"
        f" end-of-day state; the last complete day is {yesterday}).",
    ]
    assert (
        cut_to_partitions(["2025-12-31"], settings, said.append) == []
        and said[-1] == "Nothing to backfill in that range."
    )


def test_a_full_disk_or_read_only_place_is_one_line_naming_the_path(tmp_path, monkeypatch, capsys):
    import errno

    from atom_dagster import cli, runner

    archive = tmp_path / "archive"
    archive.mkdir()
    full = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "data" / "raw" / "x.parquet"))

    def no_space(*_args, **_kwargs):
        raise full

    monkeypatch.setattr(runner, "backfill", no_space)
    monkeypatch.setattr(cli, "prepare", lambda **_: None)
    args = ["backfill", "--archive", str(archive), "--start", "2026-01-01", "--end", "2026-01-01"]
    assert cli.main([*args, "--data-dir", str(tmp_path / "data")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"atom: {tmp_path}/data/raw/x.parquet: No space left on device. Nothing after this point was"
        " written; fix the place, then rerun."
    ]
    # Dagster's SQLite run storage says it in its own words; the line names what it is.
    readonly = RuntimeError("(sqlite3.OperationalError) attempt to write a readonly database")
    explained = cli.explain_storage_error(readonly)
    assert explained.startswith(
        "Dagster's run database (under the data directory's dagster_home/) is read-only"
    )
    assert cli.explain_storage_error(RuntimeError("something else")) is None
