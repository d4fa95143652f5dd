"""Raw writes are atomic, and two runs of one partition at once take turns.

A partition is staged, validated, then promoted with one rename. A process killed (SIGKILL) at
any step leaves the old partition or the new one, byte for byte -- never a mix, never a
half-written file where dbt's glob (``raw/hub_models/*/*.parquet``) can see it -- and the next
run lands the new one. Two processes landing the same partition at once: the second waits for
the first's lock (a writer that will not wait gets a clear message), and one valid file results.

The child processes are forked from the test process (Dagster already imported: fast), each
runs the real raw asset through Dagster on its own copy of the data directory.
"""

from __future__ import annotations

import json
import multiprocessing
import shutil
import signal
import time
from pathlib import Path

import pytest

from atom_dagster.landing import write_audit_publish as wap
from atom_dagster.landing.tables import hub_models
from atom_dagster.settings import load_settings
from tests.faults import landing_client
from tests.faults.corpus import write_good_day
from tests.small_archive import write_small_archive

DAY = "2026-10-04"
KILL_POINTS = {  # where the process dies -> which partition must be on disk afterwards
    "mid_stage": "old",
    "after_stage": "old",
    "before_promote": "old",
    "mid_promote": "new",
    "after_promote": "new",
}
FORK = multiprocessing.get_context("fork")


def _settings(root: Path):
    return load_settings(
        {
            "ATOM_DATA_DIR": str(root / "data"),
            "ATOM_ARCHIVE_DIR": str(root / "archive"),
            "ATOM_SOURCE": "archive",
        }
    )


def _land(settings, day: str) -> bytes:
    report, _ = hub_models.parse_archive_day(settings.archive_dir / day)
    staged = wap.stage(settings.raw_dir, day, hub_models.to_arrow(report.rows, "archive"), hub_models.TABLE)
    return wap.promote(staged, settings.raw_dir, day, hub_models.TABLE).read_bytes()


@pytest.fixture(scope="module")
def versions(fast_tmp, dbt_manifest):
    """A data dir whose partition DAY holds the OLD version while the archive holds the NEW one."""
    import atom_dagster.definitions  # noqa: F401 -- imported before forking, not in every child

    root = fast_tmp("landing")
    settings = _settings(root)
    # OLD: the corpus's good day (6 models); NEW: small_archive's 4th day (7 models, other counts).
    write_good_day(settings.archive_dir, DAY)
    old = _land(settings, DAY)
    shutil.rmtree(settings.archive_dir / DAY)
    write_small_archive(root / "small", ["2026-10-01", "2026-10-02", "2026-10-03", DAY])
    shutil.copytree(root / "small" / DAY, settings.archive_dir / DAY)
    scratch = _settings(root / "scratch")
    shutil.copytree(settings.archive_dir, scratch.archive_dir)
    new = _land(scratch, DAY)
    assert old != new
    from atom_dagster.runner import instance_for

    instance_for(settings)  # the instance's SQLite storage, created once and copied to each child's dir
    return root, {"old": old, "new": new}


def _copy(versions, name: str):
    root, _ = versions
    shutil.copytree(root / "data", root / name / "data")
    shutil.copytree(root / "archive", root / name / "archive")
    return _settings(root / name)


def _start(settings, hook: str, signal_dir: Path | None = None):
    result = settings.data_dir / f"result-{hook}.json"
    proc = FORK.Process(
        target=landing_client.run,
        args=(settings.data_dir, settings.archive_dir, DAY, hook, signal_dir, result),
    )
    proc.start()
    return proc, result


def _outcome(result: Path) -> dict:
    return json.loads(result.read_text()) if result.exists() else {"success": None}


def _partition(settings) -> Path:
    return wap.partition_dir(settings.raw_dir, DAY, hub_models.TABLE) / wap.DATA_FILE


def _visible_to_dbt(settings) -> list[str]:
    return sorted(p.relative_to(settings.raw_dir).as_posix() for p in settings.raw_dir.glob("hub_models/*/*"))


def test_a_kill_at_any_step_leaves_the_old_or_the_new_partition(versions):
    _, expected = versions
    copies = {point: _copy(versions, point) for point in KILL_POINTS}
    procs = {point: _start(copies[point], point) for point in KILL_POINTS}
    for proc, _ in procs.values():
        proc.join(120)

    for point, survivor in KILL_POINTS.items():
        settings, (proc, result) = copies[point], procs[point]
        assert proc.exitcode == -signal.SIGKILL, (point, _outcome(result))
        assert _partition(settings).read_bytes() == expected[survivor], point  # one version, never a mix
        assert _visible_to_dbt(settings) == [f"hub_models/snapshot_date={DAY}/data.parquet"], point

    # The next run after a crash lands the new partition (the dead run's lock died with it).
    reruns = {
        point: _start(copies[point], "none") for point in ("mid_stage", "before_promote", "mid_promote")
    }
    for point, (proc, result) in reruns.items():
        proc.join(120)
        assert proc.exitcode == 0 and _outcome(result)["success"], (point, _outcome(result))
        settings = copies[point]
        assert _partition(settings).read_bytes() == expected["new"], point
        assert not list((settings.raw_dir / ".staging").rglob("*.parquet*")), point


def test_two_runs_of_one_partition_take_turns_and_leave_one_valid_file(versions):
    _, expected = versions
    settings = _copy(versions, "concurrent")
    signals = settings.data_dir.parent / "signals"
    signals.mkdir()
    first, first_result = _start(settings, "pause_after_stage", signals)
    second = None
    try:
        deadline = time.monotonic() + 60
        while not (signals / "staged").exists():
            assert first.is_alive() and time.monotonic() < deadline, _outcome(first_result)
            time.sleep(0.02)
        # The first run holds the partition (staged, not promoted); the second reaches staging ...
        second, second_result = _start(settings, "mark_stage", signals)
        while not (signals / "entering").exists():
            assert second.is_alive() and time.monotonic() < deadline, _outcome(second_result)
            time.sleep(0.02)
        time.sleep(1.0)
        # ... and waits there: it has not staged, the old partition is still the one on disk.
        assert second.is_alive() and not (signals / "staged-2").exists()
        assert _partition(settings).read_bytes() == expected["old"]
        # A writer that will not wait gets a clear message, having written nothing.
        with pytest.raises(wap.PartitionBusy) as info:
            wap.stage(
                settings.raw_dir, DAY, hub_models.to_arrow([], "archive"), hub_models.TABLE, lock_timeout=0.3
            )
        message = str(info.value)
        assert (
            f"Partition {DAY} of raw/hub_models is being landed by another run (pid {first.pid})" in message
        )
        assert "nothing was written" in message
        (signals / "go").write_text("")
        first.join(120)
        second.join(120)
    finally:
        for proc in (first, second):
            if proc is not None and proc.is_alive():
                proc.kill()
    assert first.exitcode == 0 and _outcome(first_result)["success"], _outcome(first_result)
    assert second.exitcode == 0 and _outcome(second_result)["success"], _outcome(second_result)
    assert (signals / "staged-2").stat().st_mtime >= (signals / "go").stat().st_mtime  # it took its turn
    assert _partition(settings).read_bytes() == expected["new"]
    assert _visible_to_dbt(settings) == [f"hub_models/snapshot_date={DAY}/data.parquet"]
    assert not list((settings.raw_dir / ".staging").rglob("*.parquet*"))
