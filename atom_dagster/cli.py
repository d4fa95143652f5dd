"""`atom` command line: demo, backfill, ui, docs, prepare, archive sign.

atom demo                         generate the SYNTHETIC demo archive and run every day of it
atom backfill --archive DIR --start D1 --end D2 [--stride N]   replay a recorded archive
atom backfill --history [weekly] --start D1 --end D2 [--stride 7]  past days from history snapshots
atom docs [--serve] [--port 8080] generate (and serve) the dbt docs for the current warehouse
atom ui [--archive DIR]           start the Dagster UI (dagster dev) on the data directory
atom prepare                      build the dbt manifest Dagster loads (done by the others too)
atom archive sign DAY_DIR [--force]  write MANIFEST.json for a day assembled by hand
atom reference update [--from PATH]  refresh ATOM's vendored reference lists (GitHub or a checkout)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

from atom_dagster.settings import (
    DAGSTER_PG_URL_VAR,
    DBT_PROJECT_DIR,
    DBT_TARGET_SPARK,
    HISTORY_HUB_STATS,
    HISTORY_WEEKLY,
    HISTORY_WEEKLY_REPO,
    REPO_ROOT,
    SOURCE_ARCHIVE,
    Settings,
    load_settings,
    read_environment,
)

_DAY_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _settings(
    data_dir: str | None,
    archive: str | None = None,
    history: str | None = None,
    max_lag_days: int | None = None,
    archive_must_exist: bool = False,
) -> Settings:
    """Settings from the environment (and `.env`) with the command's flags on top."""
    env = read_environment()
    if data_dir:
        env["ATOM_DATA_DIR"] = str(Path(data_dir).resolve())
    if archive:
        if archive_must_exist and not Path(archive).is_dir():
            raise FileNotFoundError(f"the archive directory {Path(archive).resolve()} does not exist.")
        env["ATOM_ARCHIVE_DIR"] = str(Path(archive).resolve())
        env["ATOM_SOURCE"] = SOURCE_ARCHIVE
    if history:
        # Replay what the archive has; fill the days it lacks from the history (written into it).
        env["ATOM_SOURCE"] = SOURCE_ARCHIVE
        env["ATOM_HISTORY"] = history
    if max_lag_days is not None:
        env["ATOM_HISTORY_MAX_LAG_DAYS"] = str(max_lag_days)
    return load_settings(env)


def first_archived_day(archive: Path) -> str | None:
    """The earliest ``YYYY-MM-DD`` day folder of an archive, or None."""
    days = sorted(p.name for p in Path(archive).glob("*") if p.is_dir() and _DAY_DIR.match(p.name))
    return days[0] if days else None


def prepare(force: bool = False, model_vars: dict[str, str] | None = None) -> Path:
    """Parse the dbt project so the manifest exists before Dagster loads definitions; a manifest
    newer than every file of the dbt project is kept (a parse costs seconds per command).

    The manifest names relations, not paths: the warehouse and raw paths reach dbt at run time, so
    one parse serves every data directory. It is made with the report's definitions (``model_vars``,
    default: the environment's settings), as the builds pass them, so a build in a new data
    directory starts from it instead of parsing the whole project again.
    """
    from atom_dagster.assets.dbt_models import dbt_resource, manifest_is_current, project_handle

    project = project_handle()
    if force or not manifest_is_current(project):
        chosen = load_settings().model_vars() if model_vars is None else model_vars
        dbt_resource().cli(
            ["--quiet", "parse", "--vars", json.dumps(chosen)], target_path=project.target_path
        ).wait()
    return project.manifest_path


_ERA = re.compile(r"\bera (\w+)")


def group_failures(failed: dict[str, str]) -> list[str]:
    """One line per reason: days refused for the same reason (the same history era, or the same
    words once the day is taken out) are one line with their count and span; others one line each."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for day, message in sorted(failed.items()):
        first = message.splitlines()[0] if message else ""
        reason = first.removeprefix(f"Partition {day}: ")
        era = _ERA.search(reason)
        key = f"era {era.group(1)}" if era else reason.replace(day, "<day>")
        groups.setdefault(key, []).append((day, reason[era.start() :] if era else reason))
    lines = []
    for members in groups.values():
        days = [day for day, _ in members]
        if len(days) == 1:
            lines.append(f"  {days[0]}: {failed[days[0]].splitlines()[0]}")
        else:
            lines.append(f"  {len(days)} days ({days[0]} .. {days[-1]}): {members[0][1]}")
    return lines


def _report(settings, summary) -> int:
    print()
    print(f"Landed partitions: {len(summary.landed)}; failed: {len(summary.failed)}")
    for line in group_failures(summary.failed):
        print(line)
    print(f"Warehouse (DuckDB): {settings.warehouse_path}")
    if settings.dbt_target == DBT_TARGET_SPARK:  # the file views Spark's tables (docs/spark.md)
        print(f"Spark tables:       {settings.warehouse_path.name}.spark/<run id>/ beside it")
    print(f"Raw Parquet:        {settings.raw_location}")
    if summary.landed:
        report = settings.data_dir / "report" / summary.landed[-1] / "index.html"
        if report.exists():
            print(f"Report:             {report}")
    print(f"Dagster home:       {settings.dagster_home}")
    if settings.dagster_pg_url is not None:
        print(f"Dagster storage:    {settings.dagster_storage}")
    if summary.log_path is not None:
        print(f"Full log:           {summary.log_path}")
    print(
        f"UI:   .venv/bin/atom ui --data-dir {settings.data_dir} --archive {settings.archive_dir}"
        "  (then http://127.0.0.1:3000)"
    )
    print(f"Docs: .venv/bin/atom docs --serve --data-dir {settings.data_dir}  (then http://127.0.0.1:8080)")
    return 0 if summary.ok else 1


def cmd_demo(args) -> int:
    from atom_dagster.demo.generate import DEMO_DAYS, DEMO_START, generate_demo_archive

    data_dir = Path(args.data_dir or load_settings().data_dir)
    archive = data_dir / "demo_archive"
    settings = _settings(str(data_dir), str(archive))
    print(f"Generating the SYNTHETIC demo archive ({DEMO_DAYS} days from {DEMO_START}) in {archive}")
    days = generate_demo_archive(archive, DEMO_START, DEMO_DAYS, scale=args.scale)
    prepare(model_vars=settings.model_vars())
    from atom_dagster.runner import backfill

    summary = backfill(settings, days, run_log=_run_log(settings, "demo", args.verbose))
    return _report(settings, summary)


def _run_log(settings: Settings, command: str, verbose: bool):
    from atom_dagster.runner import RunLog

    return RunLog(settings.log_dir, command, verbose=verbose)


def cmd_backfill(args) -> int:
    from atom_dagster.partitions import parse_day
    from atom_dagster.runner import backfill, days_between

    if not args.archive and not args.history:
        raise ValueError("backfill needs --archive DIR (replay a recorded archive) or --history (hub-stats).")
    # A replay of an archive that is not there fails at once and creates nothing.
    settings = _settings(
        args.data_dir,
        args.archive,
        history=args.history,
        max_lag_days=args.max_lag_days,
        archive_must_exist=not args.history,
    )
    days = cut_to_partitions(days_between(parse_day(args.start), parse_day(args.end), args.stride), settings)
    if not days:
        return 2
    history_repo = HISTORY_WEEKLY_REPO if settings.history == HISTORY_WEEKLY else settings.history_repo
    origin = f"{settings.archive_dir}" + (
        f", days it lacks from the history dataset {history_repo} (written into it;"
        f" max lag {settings.history_max_lag_days} d)"
        if settings.history_enabled
        else ""
    )
    stride = f" every {args.stride} days" if args.stride > 1 else ""
    print(f"Backfilling {len(days)} partitions {days[0]} .. {days[-1]}{stride} from {origin}")
    prepare(model_vars=settings.model_vars())
    summary = backfill(settings, days, run_log=_run_log(settings, "backfill", args.verbose))
    return _report(settings, summary)


def cut_to_partitions(days: list[str], settings: Settings, say=print) -> list[str]:
    """The days that are partitions: not before ``ATOM_PARTITIONS_START``, not after the last
    complete day (yesterday, UTC). What is cut is said in one line each; the rest runs."""
    from atom_dagster.partitions import latest_live_partition

    last = latest_live_partition()
    early = [d for d in days if d < settings.partitions_start]
    late = [d for d in days if d > last]
    if early:
        say(
            f"Skipping {len(early)} day(s) {early[0]} .. {early[-1]}: before the first partition "
            f"{settings.partitions_start} (ATOM_PARTITIONS_START)."
        )
    if late:
        say(
            f"Skipping {len(late)} day(s) {late[0]} .. {late[-1]}: not complete yet (partition D holds D's "
            f"end-of-day state; the last complete day is {last})."
        )
    kept = [d for d in days if settings.partitions_start <= d <= last]
    if not kept:
        say("Nothing to backfill in that range.")
    return kept


def _kill_group(child: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signal.SIGKILL)


def _run_until_signalled(command: list[str], env: dict[str, str], cwd: Path, grace: float = 30.0) -> int:
    """Run a long-lived child (``dagster dev``) in its own process group; Ctrl-C or SIGTERM is passed
    on to it, and whatever of the group is still there ``grace`` seconds later is killed."""
    child = subprocess.Popen(command, env=env, cwd=cwd, start_new_session=True)
    deadline: list[threading.Timer] = []

    def stop(signum, _frame) -> None:
        if child.poll() is None:
            child.send_signal(signal.SIGINT if signum == signal.SIGINT else signal.SIGTERM)
        if not deadline:
            deadline.append(threading.Timer(grace, _kill_group, args=(child,)))
            deadline[0].daemon = True
            deadline[0].start()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return child.wait()  # a passed-on signal ends the child, and with it this wait
    finally:
        for timer in deadline:
            timer.cancel()
        _kill_group(child)  # nothing of the group outlives it (servers it started, if any are left)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def cmd_ui(args) -> int:
    """Start `dagster dev` on this data directory (DAGSTER_HOME with the one-writer pool limit)."""
    from atom_dagster.runner import ensure_instance_config

    settings = _settings(args.data_dir, args.archive, archive_must_exist=bool(args.archive))
    # Replaying one archive (the demo's): show its days, not years of empty partitions before it.
    first = first_archived_day(settings.archive_dir) if args.archive else None
    if first and not settings.history_enabled and not os.environ.get("ATOM_PARTITIONS_START"):
        settings = settings.with_changes(partitions_start=first)
    ensure_instance_config(settings.dagster_home, postgres=settings.dagster_pg_url is not None)
    prepare(model_vars=settings.model_vars())
    print(
        f"Dagster UI on http://{args.host}:{args.port} (DAGSTER_HOME={settings.dagster_home}, runs in"
        f" {settings.dagster_storage}); Ctrl-C to stop"
    )
    command = [str(Path(sys.executable).parent / "dagster"), "dev", "-w", "workspace.yaml"]
    return _run_until_signalled(
        [*command, "-h", args.host, "-p", str(args.port)], settings.child_env(), REPO_ROOT
    )


def cmd_docs(args) -> int:
    settings = _settings(args.data_dir)
    if not settings.warehouse_path.exists():
        print(f"No warehouse at {settings.warehouse_path}: run `atom demo` or `atom backfill` first.")
        return 1
    target = settings.docs_dir
    base = [sys.executable, "-m", "dbt.cli.main"]
    common = [
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target),
        # The warehouse file, whichever engine built it (on Spark: its views of Spark's tables).
        "--target",
        "duckdb",
        "--vars",
        json.dumps(settings.dbt_vars()),
    ]
    env = settings.child_env()
    subprocess.run([*base, "docs", "generate", *common], check=True, cwd=DBT_PROJECT_DIR, env=env)
    print(f"dbt docs written to {target} (index.html, catalog.json, manifest.json)")
    if args.serve:
        print(f"Serving on http://127.0.0.1:{args.port} (Ctrl-C to stop)")
        serve = [
            *base,
            "docs",
            "serve",
            *common,
            "--port",
            str(args.port),
            "--host",
            "127.0.0.1",
            "--no-browser",
        ]
        # A file server has nothing to finish: a short grace, so that it is stopped well before
        # whoever stops atom gives up waiting and kills atom alone (dbt runs in its own group).
        return _run_until_signalled(serve, env, DBT_PROJECT_DIR, grace=3.0)
    return 0


def cmd_archive_sign(args) -> int:
    """Sign a day assembled by hand: its MANIFEST.json then lists every file with its sha256."""
    from atom_dagster.sources.archive import MANIFEST_NAME, sign_day

    day_path = args.day_dir
    had_manifest = (day_path / MANIFEST_NAME).exists()
    manifest = sign_day(day_path, force=args.force)
    if had_manifest and not args.force:
        print(f"{day_path}: already signed; {MANIFEST_NAME} verifies, nothing written.")
        return 0
    print(
        f"Signed {day_path}: {len(manifest['files'])} file(s) in {day_path / MANIFEST_NAME}"
        f" (signed_after_capture, {manifest['signed_at']}, source {manifest['source']!r})."
    )
    return 0


def cmd_reference_update(args) -> int:
    """Refresh the vendored ATOM reference lists and say what changed; a bad file changes nothing."""
    from atom_dagster.sources import atom_reference

    diff, source = atom_reference.update_reference(checkout=args.source, repository=args.repo, ref=args.ref)
    print(f"ATOM reference data from {source['repository']} at commit {source['commit'] or 'unknown'}:")
    for line in diff.lines():
        print(f"  {line}")
    counts = ", ".join(f"{n} {name}" for name, n in source["counts"].items())
    print(f"Wrote {atom_reference.SEEDS_DIR} ({counts}). The next dbt build uses it.")
    return 0


def _quiet_known_warnings() -> None:
    """Third-party warnings that say nothing to a user of `atom` (they stay in the run logs)."""
    import warnings

    import dagster as dg

    for category in (dg.BetaWarning, dg.PreviewWarning, dg.SupersessionWarning):
        warnings.filterwarnings("ignore", category=category)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="atom", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="generate the SYNTHETIC demo archive and materialize every day")
    demo.add_argument("--data-dir", help="data directory (default: $ATOM_DATA_DIR or ./data)")
    demo.add_argument("--scale", type=float, default=1.0, help="demo size multiplier (default 1.0)")
    demo.add_argument(
        "--verbose", action="store_true", help="stream every run's full log (always in the log file)"
    )
    demo.set_defaults(func=cmd_demo)

    bf = sub.add_parser(
        "backfill", help="materialize a date range from a recorded archive or the hub-stats history"
    )
    bf.add_argument(
        "--archive",
        help="archive directory holding YYYY-MM-DD/ days (default with --history: $ATOM_ARCHIVE_DIR)",
    )
    bf.add_argument(
        "--history",
        nargs="?",
        const=HISTORY_HUB_STATS,
        choices=(HISTORY_HUB_STATS, HISTORY_WEEKLY),
        help="take days the archive lacks from the public hub-stats daily snapshots (ATOM_HISTORY=hub-stats),"
        " or with `--history weekly` from the weekly copy hfmlsoc/hub_weekly_snapshots",
    )
    bf.add_argument(
        "--max-lag-days",
        type=int,
        help="with --history: accept a snapshot up to N days older than the partition (default 0, recorded)",
    )
    bf.add_argument("--start", required=True, help="first day, YYYY-MM-DD")
    bf.add_argument("--end", required=True, help="last day (inclusive), YYYY-MM-DD")
    bf.add_argument("--stride", type=int, default=1, help="take every Nth day (default 1)")
    bf.add_argument("--data-dir", help="data directory (default: $ATOM_DATA_DIR or ./data)")
    bf.add_argument(
        "--verbose", action="store_true", help="stream every run's full log (always in the log file)"
    )
    bf.set_defaults(func=cmd_backfill)

    docs = sub.add_parser("docs", help="generate (and serve) the dbt docs site for the current warehouse")
    docs.add_argument("--data-dir", help="data directory (default: $ATOM_DATA_DIR or ./data)")
    docs.add_argument("--serve", action="store_true", help="serve the site after generating it")
    docs.add_argument("--port", type=int, default=8080)
    docs.set_defaults(func=cmd_docs)

    ui = sub.add_parser("ui", help="start the Dagster UI (dagster dev) on the data directory")
    ui.add_argument("--data-dir", help="data directory (default: $ATOM_DATA_DIR or ./data)")
    ui.add_argument("--archive", help="replay this archive directory (sets ATOM_SOURCE=archive)")
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    ui.set_defaults(func=cmd_ui)

    prep = sub.add_parser("prepare", help="build the dbt manifest that Dagster loads")
    prep.set_defaults(func=lambda _args: print(prepare(force=True)) or 0)

    archive = sub.add_parser("archive", help="work on the snapshot archive (sign a day assembled by hand)")
    archive_sub = archive.add_subparsers(dest="archive_command", required=True)
    sign = archive_sub.add_parser(
        "sign",
        help="write MANIFEST.json for a day folder assembled by hand (recorded as signed after the fact)",
    )
    # Made absolute while parsing: main() moves to the repo root before running a command.
    sign.add_argument(
        "day_dir", metavar="DAY_DIR", type=lambda p: Path(p).absolute(), help="<archive>/YYYY-MM-DD"
    )
    sign.add_argument(
        "--force",
        action="store_true",
        help="replace an existing manifest, accepting the files as they are now",
    )
    sign.set_defaults(func=cmd_archive_sign)

    reference = sub.add_parser(
        "reference", help="ATOM's reference lists (mainline universe, parameters, regions)"
    )
    reference_sub = reference.add_subparsers(dest="reference_command", required=True)
    update = reference_sub.add_parser(
        "update", help="refresh the vendored copy from Interconnects-AI/tracked-models; prints what changed"
    )
    update.add_argument(
        "--from",
        dest="source",
        metavar="PATH",
        type=lambda p: Path(p).absolute(),
        help="a local checkout of the repository (for machines without network)",
    )
    update.add_argument("--repo", default="Interconnects-AI/tracked-models", help="GitHub owner/name")
    update.add_argument("--ref", default="main", help="branch, tag or commit (default main)")
    update.set_defaults(func=cmd_reference_update)

    args = parser.parse_args(argv)
    _quiet_known_warnings()
    os.chdir(REPO_ROOT)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError) as exc:
        print(f"atom: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        explained = explain_storage_error(exc)
        if explained is None:
            raise
        print(f"atom: {explained}", file=sys.stderr)
        return 2


def explain_storage_error(exc: BaseException) -> str | None:
    """One line for a storage failure (read-only place, full disk, no permission), naming the path;
    None for anything else. Dagster's SQLite run storage reports these in its own words."""
    postgres = explain_postgres_error(exc)
    if postgres is not None:
        return postgres
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror}. Nothing after this point was written; fix the place, then rerun."
    text = str(exc)
    for needle, what in (
        ("readonly database", "is read-only"),
        ("database or disk is full", "is on a full disk"),
        ("unable to open database file", "cannot be opened"),
    ):
        if needle in text:
            return (
                f"Dagster's run database (under the data directory's dagster_home/) {what}: "
                f"{text.strip().splitlines()[0][:300]}. Fix the place (ATOM_DATA_DIR), then rerun."
            )
    return None


def explain_postgres_error(exc: BaseException) -> str | None:
    """One line for Dagster's PostgreSQL storage failing (unreachable, refused, no such database),
    in the driver's own words (libpq never repeats the password); None for anything else."""
    errors = [e for e in exception_chain(exc) if type(e).__module__.split(".")[0] in _PG_MODULES]
    if not errors:
        return None
    words = str(errors[-1]).strip()  # the deepest: the driver's reason, not a retry's summary
    detail = words.splitlines()[0] if words else type(errors[-1]).__name__
    return (
        f"Dagster's PostgreSQL storage ({DAGSTER_PG_URL_VAR}) failed: {detail[:300]}."
        " Check that the server runs and the URL (user, password, database), then rerun."
    )


_PG_MODULES = ("dagster_postgres", "psycopg2")


def exception_chain(exc: BaseException, limit: int = 10) -> list[BaseException]:
    """``exc`` and the exceptions it was raised from or while handling, outermost first."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(chain) < limit:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


if __name__ == "__main__":
    raise SystemExit(main())
