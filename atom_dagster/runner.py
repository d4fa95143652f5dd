"""Run partitions through Dagster from the command line (in-process, recorded in DAGSTER_HOME).

Raw partitions run one per day, so one bad day fails alone and the others land; the dbt
models then build once over the whole window (the dbt assets' single-run backfill policy).

The warehouse has one writer at a time (DuckDB locks the file): `atom` commands take turns on
it through a lock file next to it (the second waits), runs under `atom ui`/the daemon take turns
through pool ``duckdb``, and any other process holding the file (a run started elsewhere, an open
``duckdb`` shell, even read-only) makes the dbt step fail with a message that says so and that
nothing was written; :func:`connect_warehouse` is the readers' side of the same rule.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from atom_dagster.jobs import BUILD_MARTS_JOB, LAND_RAW_JOB
from atom_dagster.locks import LockTimeout, acquire, process_holder
from atom_dagster.settings import DAGSTER_PG_URL_VAR, Settings


@dataclass
class BackfillSummary:
    """What a backfill did, per day."""

    landed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    dbt_succeeded: bool | None = None
    dbt_message: str = ""
    log_path: Path | None = None  # the command's full log file

    @property
    def ok(self) -> bool:
        return not self.failed and self.dbt_succeeded is not False


def days_between(start: date, end: date, stride: int = 1) -> list[str]:
    """Inclusive list of ISO days from start to end, every ``stride`` days."""
    if end < start:
        raise ValueError(f"end {end} is before start {start}.")
    if stride < 1:
        raise ValueError("stride must be at least 1.")
    return [(start + timedelta(days=i)).isoformat() for i in range(0, (end - start).days + 1, stride)]


# DuckDB allows one writer per file: every dbt step is in pool "duckdb", limited to one at a time.
# Runs, events and schedules are Dagster's SQLite files under DAGSTER_HOME, the event log with its
# connections kept open (atom_dagster.event_log); with ATOM_DAGSTER_PG_URL, PostgreSQL tables
# (dagster-postgres, all three). The file names the variable, so no password is written to disk.
INSTANCE_MARKER = "# atom's Dagster instance settings: atom rewrites this file while this line is in it."
INSTANCE_HEAD = """\
{marker}
concurrency:
  pools:
    default_limit: 1
telemetry:
  enabled: false
"""
SQLITE_STORAGE = """\
event_log_storage:
  module: atom_dagster.event_log
  class: PooledSqliteEventLogStorage
  config:
    base_dir: {runs}
"""
POSTGRES_STORAGE = f"""\
storage:
  postgres:
    postgres_url:
      env: {DAGSTER_PG_URL_VAR}
"""
# What atom wrote before it had the marker line: replaced as atom's own.
_EARLIER_CONFIG = "concurrency:\n  pools:\n    default_limit: 1\ntelemetry:\n  enabled: false\n"


def instance_config_text(home: Path, postgres: bool = False) -> str:
    """atom's ``dagster.yaml`` for DAGSTER_HOME ``home``: storage in SQLite files there, or PostgreSQL."""
    if postgres:
        return INSTANCE_HEAD.format(marker=INSTANCE_MARKER) + POSTGRES_STORAGE
    # Dagster's default place for the SQLite event log, so existing run history is read as before.
    runs = json.dumps(str((home / "history" / "runs").resolve()) + os.sep)
    return INSTANCE_HEAD.format(marker=INSTANCE_MARKER) + SQLITE_STORAGE.format(runs=runs)


def ensure_instance_config(home: Path, postgres: bool = False) -> Path:
    """Write ``dagster.yaml`` (pool limit, no telemetry, the storage) into DAGSTER_HOME.

    A file atom wrote is kept current (the event log's folder follows a moved data directory, the
    storage follows ``postgres``); a user's own file (without atom's marker line) is left as it is.
    """
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    wanted = instance_config_text(home, postgres)
    current = config.read_text() if config.exists() else None
    if current is None or (current != wanted and (INSTANCE_MARKER in current or current == _EARLIER_CONFIG)):
        config.write_text(wanted)
    return config


def postgres_overrides(url: str) -> dict:
    """Instance settings putting the storage at ``url``: for this process, whose environment may
    lack the variable dagster.yaml names (the URL can come from ``.env``)."""
    return {"storage": {"postgres": {"postgres_url": url}}}


def instance_for(settings: Settings) -> dg.DagsterInstance:
    """The persistent Dagster instance under the data directory (what `dagster dev` shows)."""
    home = settings.dagster_home
    url = settings.dagster_pg_url
    config = ensure_instance_config(home, postgres=url is not None)
    atoms = INSTANCE_MARKER in config.read_text()
    overrides = postgres_overrides(url) if url is not None and atoms else None
    return dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home), overrides=overrides))


# The CLI prints its own progress; Dagster's event stream stays in DAGSTER_HOME for the UI, and
# each run's log is appended to the command's log file (streamed too with --verbose).
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


class RunLog:
    """The full log of one `atom` command: every event of its runs, appended to one file."""

    def __init__(
        self, log_dir: Path, command: str, verbose: bool = False, echo: Callable[[str], None] = print
    ):
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self.path = Path(log_dir) / f"atom-{command}-{stamp}.log"
        self.verbose = verbose
        self.echo = echo

    @contextlib.contextmanager
    def capture_stdout(self) -> Iterator[None]:
        """Send what a run prints (dagster-dbt echoes every dbt line) to the file, unless verbose."""
        if self.verbose:
            yield
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as fh, contextlib.redirect_stdout(fh):
            yield

    def record(self, instance: dg.DagsterInstance, run_id: str) -> None:
        """Append the run's event log (what the UI shows for it) to the file."""
        lines = [format_log_entry(entry) for entry in instance.all_logs(run_id)]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.writelines(line + "\n" for line in lines)
        if self.verbose:
            for line in lines:
                self.echo(line)


def format_log_entry(entry) -> str:
    """One event-log entry as a log line: time, level, job, step, message."""
    when = datetime.fromtimestamp(entry.timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S")
    level = logging.getLevelName(entry.level)
    step = f" {entry.step_key}" if entry.step_key else ""
    message = entry.user_message or (entry.dagster_event.message if entry.dagster_event else "") or ""
    if entry.dagster_event is not None and entry.dagster_event.event_type_value not in message:
        message = f"{entry.dagster_event.event_type_value}: {message}".rstrip(": ")
    return f"{when} {level} {entry.job_name}{step} - {message}"


PID_TAG = "atom/pid"
_UNFINISHED = (dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.NOT_STARTED)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    try:  # a zombie is gone too
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return True


def release_dead_runs(instance: dg.DagsterInstance, log: Callable[[str], None] = print) -> list[str]:
    """Runs of `atom` commands left STARTED by a process that died (kill -9, a full disk, a reboot):
    marked failed, and the concurrency slots they held (pool ``duckdb``) freed, so the next run does
    not wait for them forever. Runs of other processes (the UI's daemon) are the daemon's business."""
    released = []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=list(_UNFINISHED))):
        run = record.dagster_run
        pid = run.tags.get(PID_TAG)
        if pid is None or not pid.isdigit() or _process_alive(int(pid)):
            continue
        message = f"The process of this run (PID {pid}) is gone: marked failed by a later `atom` command."
        instance.report_run_failed(run, message)
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        log(
            f"run {run.run_id[:8]} ({run.job_name}) was left unfinished by PID {pid}, which is gone:"
            " marked failed"
        )
        released.append(run.run_id)
    return released


def _landed_rows(result: dg.ExecuteInProcessResult) -> str:
    """The day's Hub models and source first, then each other raw table's rows or why it was skipped."""
    hub, others = "landed", []
    for event in result.get_asset_materialization_events():
        metadata = event.materialization.metadata
        key = event.materialization.asset_key.to_user_string()
        rows = metadata.get("dagster/row_count")
        source = metadata.get("source")
        skipped = metadata.get("reason") if metadata.get("skipped") is not None else None
        if key == "raw/hub_models":
            if rows is not None:
                hub = f"{rows.value:,} models, source {getattr(source, 'value', source)}"
        elif skipped is not None:
            others.append(f"{key} skipped: {getattr(skipped, 'value', skipped)}")
        elif rows is not None:
            others.append(f"{key} {rows.value:,} rows")
    return "; ".join([hub, *others])


def _failure_message(result: dg.ExecuteInProcessResult) -> str:
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            error = event.step_failure_data.error
            # A dagster.Failure carries the user-facing description; show it, not the trace
            # (nor the exception's class path Dagster puts in front of it).
            message = (error.message or "").strip() or error.to_string()
            message = re.sub(r"^[\w.]*\bFailure: ", "", message)
            # DuckDB's lock error reaches us buried in dbt's log and traceback: say what it means.
            return explain_lock_error(message) or message
    return "the run failed (see the Dagster UI for the event log)"


class WarehouseBusy(RuntimeError):
    """The warehouse is held by another process; the message says by whom and what to do."""


_DUCKDB_LOCK_ERROR = re.compile(
    r'Could not set lock on file "(?P<file>[^"]+)": '
    r"Conflicting lock is held in (?P<holder>.+?) \(PID (?P<pid>\d+)\)"
)


def explain_lock_error(text: str) -> str | None:
    """A plain explanation of DuckDB's "Could not set lock on file" error in ``text``, or None."""
    match = _DUCKDB_LOCK_ERROR.search(text or "")
    if match is None:
        return None
    return (
        f"The warehouse {match['file']} is in use by another process ({match['holder']}, PID {match['pid']}):"
        " DuckDB lets one process write a database file, and none while another process has it open,"
        " even read-only. The step that needed it could not open it (a dbt build that cannot open the"
        " warehouse writes nothing to it). Runs under `atom ui`/the"
        " Dagster daemon take turns through pool 'duckdb' and `atom` commands wait for each other; a"
        " run started elsewhere or an open `duckdb` session does not. Retry when that process has"
        " finished or closed the file (the raw partitions already landed stay landed)."
    )


def writer_lock_path(warehouse: Path) -> Path:
    return Path(warehouse).with_name(Path(warehouse).name + ".writer.lock")


@contextlib.contextmanager
def warehouse_writer_lock(
    warehouse: Path, log: Callable[[str], None] = print, timeout: float = 3600.0, poll: float = 0.2
) -> Iterator[None]:
    """Hold the `atom` writers' turn on the warehouse; wait (up to ``timeout`` s) for another's to end."""
    path = writer_lock_path(warehouse)
    try:
        lock = acquire(
            path,
            process_holder("atom"),
            timeout,
            poll=poll,
            on_wait=lambda holder: log(
                f"waiting for {holder} to finish writing the warehouse {warehouse} ..."
            ),
        )
    except LockTimeout as busy:
        raise WarehouseBusy(
            f"The warehouse {warehouse} is being written by {busy.holder} (lock {path}); waited"
            f" {timeout:g} s. Retry when it has finished."
        ) from None
    with lock:
        yield


def connect_warehouse(
    warehouse: Path,
    read_only: bool = True,
    wait: float = 0.0,
    poll: float = 0.2,
    on_first_wait: Callable[[], None] | None = None,
):
    """A DuckDB connection to the warehouse, waiting up to ``wait`` s while a writer holds it.

    Readers cannot open the file while dbt writes it (DuckDB's lock covers read-only
    connections too): they wait here, and past ``wait`` get :class:`WarehouseBusy` with a plain
    message instead of DuckDB's lock error. What they read is always a committed state.
    ``on_first_wait`` is called once, when the first attempt finds the warehouse held.
    """
    import duckdb

    deadline, waited = time.monotonic() + wait, False
    while True:
        try:
            return duckdb.connect(str(warehouse), read_only=read_only)
        except duckdb.IOException as exc:
            explained = explain_lock_error(str(exc))
            if explained is None:
                raise
            if time.monotonic() >= deadline:
                raise WarehouseBusy(f"{explained} (waited {wait:g} s)") from exc
            if not waited and on_first_wait is not None:
                on_first_wait()
            waited = True
            time.sleep(poll)


# How long the dbt step waits for another process (a run started elsewhere, an open `duckdb`
# session) to let go of the warehouse before it gives up with WarehouseBusy.
WAREHOUSE_WAIT = 120.0


def wait_for_warehouse(
    warehouse: Path, wait: float, log: Callable[[str], None] = print, poll: float = 0.5
) -> None:
    """Return once no other process has the warehouse open (so dbt can write it), else WarehouseBusy.

    Checked before dbt starts, so a busy warehouse costs a wait, not a failed dbt run; a process
    that grabs the file between this check and dbt's own open still fails the dbt step, with
    :func:`explain_lock_error`'s message.
    """
    if not Path(warehouse).exists():
        return
    connect_warehouse(
        warehouse,
        read_only=False,
        wait=wait,
        poll=poll,
        on_first_wait=lambda: log(
            f"waiting up to {wait:g} s for another process to release the warehouse {warehouse} ..."
        ),
    ).close()


def backfill(
    settings: Settings,
    days: list[str],
    log: Callable[[str], None] = print,
    build_dbt: bool = True,
    warehouse_wait: float = WAREHOUSE_WAIT,
    run_log: RunLog | None = None,
) -> BackfillSummary:
    """Materialize raw partitions for ``days`` from the configured source, then dbt over the window.

    Runs the named jobs of :func:`build_definitions` (shown as such in the UI's runs list).
    """
    from atom_dagster.definitions import build_definitions

    instance = instance_for(settings)
    release_dead_runs(instance, log)
    defs = build_definitions(settings)
    land_raw = defs.resolve_job_def(LAND_RAW_JOB)
    build_marts = defs.resolve_job_def(BUILD_MARTS_JOB)
    summary = BackfillSummary(log_path=run_log.path if run_log else None)
    for n, day in enumerate(days, start=1):
        result = land_raw.execute_in_process(
            instance=instance,
            partition_key=day,
            raise_on_error=False,
            run_config=QUIET,
            tags={"atom/trigger": "cli-backfill", PID_TAG: str(os.getpid())},
        )
        if run_log is not None:
            run_log.record(instance, result.run_id)
        if result.success:
            summary.landed.append(day)
            log(f"[{n}/{len(days)}] raw/hub_models {day}: {_landed_rows(result)}")
        else:
            summary.failed[day] = _failure_message(result)
            log(f"[{n}/{len(days)}] raw/hub_models {day}: FAILED\n{summary.failed[day]}")
    if build_dbt and summary.landed:
        first, last = summary.landed[0], summary.landed[-1]
        log(f"dbt build over {first} .. {last} ({len(summary.landed)} landed partitions, one run)")
        try:
            with warehouse_writer_lock(settings.warehouse_path, log):
                wait_for_warehouse(settings.warehouse_path, warehouse_wait, log)
                printed = run_log.capture_stdout() if run_log is not None else contextlib.nullcontext()
                with printed:
                    # One day runs as that partition (its checks then record per day); more as a range.
                    one_day = first == last
                    window = (
                        {}
                        if one_day
                        else {ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last}
                    )
                    result = build_marts.execute_in_process(
                        instance=instance,
                        raise_on_error=False,
                        run_config=QUIET,
                        partition_key=first if one_day else None,
                        tags={
                            **window,
                            "atom/trigger": "cli-backfill",
                            PID_TAG: str(os.getpid()),
                        },
                    )
        except WarehouseBusy as exc:
            summary.dbt_succeeded, summary.dbt_message = False, str(exc)
            log(f"dbt build: FAILED: {summary.dbt_message}")
            return summary
        if run_log is not None:
            run_log.record(instance, result.run_id)
        summary.dbt_succeeded = result.success
        summary.dbt_message = "ok" if result.success else _failure_message(result)
        log(f"dbt build: {_build_summary(result) if result.success else 'FAILED: ' + summary.dbt_message}")
    return summary


def _build_summary(result: dg.ExecuteInProcessResult) -> str:
    """One line for a dbt build: models materialized and checks passed / failed."""
    materialized = len(result.get_asset_materialization_events())
    checks = [
        e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    failed = sum(1 for c in checks if not c.passed)
    passed = len(checks) - failed
    return f"succeeded ({materialized} materializations, {passed} checks passed, {failed} failed)"
