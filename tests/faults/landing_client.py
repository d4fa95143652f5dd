"""Land one raw partition through Dagster in a child process, optionally dying at a chosen step.

``run(...)`` is the child's body (the tests fork it from the test process, which has Dagster and
the definitions imported already; ``python -m tests.faults.landing_client DATA_DIR ARCHIVE_DIR
DAY HOOK [SIGNAL_DIR]`` does the same from a fresh interpreter).

HOOK is where the process SIGKILLs itself (no cleanup, no exception handling, as a power cut
or the OOM killer would): ``mid_stage`` (half the staged Parquet written), ``after_stage``,
``before_promote`` (validated, not yet renamed), ``mid_promote`` (right after the rename,
before the rest of promote), ``after_promote`` (before Dagster records anything); or
``pause_after_stage`` (writes ``SIGNAL_DIR/staged`` and waits for ``SIGNAL_DIR/go``);
``mark_stage`` (writes ``SIGNAL_DIR/entering`` before staging, ``SIGNAL_DIR/staged-2`` after);
or ``none``. The outcome ``{"success": ..., "message": ...}`` goes to ``result_path`` (or stdout).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def install(hook: str, day: str, signal_dir: Path | None) -> None:
    from atom_dagster.landing import write_audit_publish as landing

    stage, promote, replace = landing.stage, landing.promote, os.replace
    final = f"hub_models/snapshot_date={day}/{landing.DATA_FILE}"

    if hook == "mid_stage":

        def half_write(table, where, **_kwargs):
            Path(where).write_bytes(b"PAR1" + b"\0" * 100)  # a Parquet file cut short
            _die()

        landing.pq.write_table = half_write
    elif hook in ("after_stage", "pause_after_stage"):

        def staged_then(*args, **kwargs):
            path = stage(*args, **kwargs)
            if hook == "after_stage":
                _die()
            (signal_dir / "staged").write_text(str(os.getpid()))
            deadline = time.monotonic() + 60
            while not (signal_dir / "go").exists() and time.monotonic() < deadline:
                time.sleep(0.02)
            return path

        landing.stage = staged_then
    elif hook == "mark_stage":

        def marked(*args, **kwargs):
            (signal_dir / "entering").write_text(str(os.getpid()))
            path = stage(*args, **kwargs)
            (signal_dir / "staged-2").write_text(str(os.getpid()))
            return path

        landing.stage = marked
    elif hook == "before_promote":
        landing.promote = lambda *args, **kwargs: _die()
    elif hook == "mid_promote":

        def replace_then_die(src, dst, *args, **kwargs):
            replace(src, dst, *args, **kwargs)
            if str(dst).endswith(final):
                _die()

        landing.os.replace = replace_then_die
    elif hook == "after_promote":

        def promoted_then_die(*args, **kwargs):
            promote(*args, **kwargs)
            _die()

        landing.promote = promoted_then_die
    elif hook != "none":
        raise SystemExit(f"unknown hook {hook}")


def run(data_dir, archive_dir, day: str, hook: str, signal_dir=None, result_path=None) -> None:
    import dagster as dg

    from atom_dagster.definitions import build_assets, build_resources
    from atom_dagster.runner import QUIET, _failure_message, instance_for
    from atom_dagster.settings import load_settings

    settings = load_settings(
        {"ATOM_DATA_DIR": str(data_dir), "ATOM_ARCHIVE_DIR": str(archive_dir), "ATOM_SOURCE": "archive"}
    )
    install(hook, day, Path(signal_dir) if signal_dir else None)
    # The Hub capture unit (raw/hub_models, then raw/hub_inference_providers, in one step).
    raw_day = next(a for a in build_assets(settings) if a.op.name == "raw_day")
    result = dg.materialize(
        [raw_day],
        selection=dg.AssetSelection.assets(["raw", "hub_models"], ["raw", "hub_inference_providers"]),
        instance=instance_for(settings),
        resources=build_resources(settings),
        partition_key=day,
        raise_on_error=False,
        run_config=QUIET,
    )
    outcome = json.dumps(
        {"success": result.success, "message": "" if result.success else _failure_message(result)}
    )
    if result_path:
        Path(result_path).write_text(outcome)
    else:
        print(outcome, flush=True)


if __name__ == "__main__":
    run(*sys.argv[1:6])
