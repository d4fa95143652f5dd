"""Benchmark: the recommended history backfill from the dataset's start, through the real `atom` CLI.

    .venv/bin/python benchmarks/bench_history_backfill.py [--rows 50000] [--out FILE]
        [--tracked-fraction 0.0075] [--derivative-fraction 0.10] [--card-bytes 1700]
        [--workdir DIR] [--keep] [--quiet]

What it does:

1. builds a stub ``cfahlgren1/hub-stats`` with one commit per day the two commands need: the 30-day
   chain 2024-07-31 .. 2025-01-27 in the rolling-era column set (``parquet_2024_11``: no
   ``downloadsAllTime``), then the anchor 2025-02-26 and every 7th day to 2026-11-25 with
   ``downloadsAllTime`` (``parquet_2025_03``). Every day's ``models.parquet`` has ``--rows`` rows
   of the same models, drawn once by ``bench_history.py``'s generator (tracked organizations
   ``--tracked-fraction``, derivatives of them ``--derivative-fraction``, the wide unread
   ``cardData``/``siblings``/``config``); per day only the counts change: the rolling ``downloads``
   varies +-15% around the model's rate, ``downloadsAllTime`` grows by it from the anchor (which
   holds at least ten rolling counts, so estimates back along the chain stay non-negative), and
   every model is created before 2024-07-01;
2. serves it over real HTTP on 127.0.0.1 with the tests' stub Hub (``serve_http``: commit listing,
   ``paths-info``, the ``HfFileSystem`` calls, ``Range`` reads), ``HF_ENDPOINT`` pointing at it;
3. runs, in a fresh ``ATOM_DATA_DIR``/``ATOM_ARCHIVE_DIR``, the two commands of the recommended
   backfill through the real ``atom`` CLI, one subprocess each:

       atom backfill --history --start 2024-07-31 --end 2025-02-26 --stride 30   (8 days)
       atom backfill --history --start 2025-02-26 --end 2026-11-28 --stride 7    (92 days)

   timing each (wall time; each CLI line time-stamped as it arrives, so per-day landing and the
   marts run are apart) and sampling the peak resident memory of its process tree every 0.25 s
   (``bench_day.py``'s sampler);
4. prints the machine, the sizes, per command the days landed/refused, seconds per landed day, the
   marts run (three dbt steps + report), the archive, raw Parquet and warehouse bytes on disk, the
   bytes fetched from the stub (sum of the manifests' ``history.bytes_fetched``), then an
   extrapolation to the real file sizes from docs/history.md's per-day figures, labelled
   ``EXTRAPOLATED, not measured``. ``--out FILE`` writes the results as Markdown.

Loopback only: no network, the stub runs in this process (its CPU shares the machine with the
measured one). Content is synthetic; only the shape and sizes are modelled on the real file. Not
a test: nothing is asserted about time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_day import _tree_rss_mb  # noqa: E402
from benchmarks.bench_history import (  # noqa: E402
    BENCH_META,
    COMMIT_AT,
    ModelsGenerator,
    dir_bytes,
    generate,
    generator_params,
    peak_rss_mb,
)
from benchmarks.machine import machine  # noqa: E402

DATASET_START = date(2024, 7, 24)  # hub-stats' first commit
ANCHOR = date(2025, 2, 26)  # the first file with downloadsAllTime
# The two commands of the recommended backfill: (start, end, stride).
COMMANDS = (
    (date(2024, 7, 31), ANCHOR, 30),
    (ANCHOR, date(2026, 11, 28), 7),
)
CREATED_FROM = datetime(2021, 1, 1, tzinfo=UTC)
CREATED_UNTIL = datetime(2024, 7, 1, tzinfo=UTC)  # every model exists on every day of the backfill
ANCHOR_ROLLING_MULTIPLE = 10  # the anchor's all-time count holds >= this many rolling counts

# docs/history.md and docs/benchmarks.md (bench_history.py, bench_history_reads.py) per-day figures.
DOC_BYTES_PER_ROW = 1.485e9 / 2_000_000  # 1,485 MB for 2M rows, the Sept 2026 size
DOC_FILE_FIRST = (DATASET_START, 0.4e9)  # "files growing from ~0.4 GB to ~1.5 GB as the Hub did"
DOC_FILE_LATER = (date(2026, 9, 15), 1.5e9)
DOC_DAY_2M_S = 52.0  # one 2M-row day, derivatives on: capture + landing, download excluded
DOC_DAY_200K_S = 4.5  # the same at 200,000 rows
DOC_MARGINAL_S_PER_ROW = (DOC_DAY_2M_S - DOC_DAY_200K_S) / 1_800_000
DOC_FETCHED_SHARE = 0.178  # column reads fetched 17.8% of a 1M-row file
DOC_LINK_BPS = 50e6  # the docs' assumed 50 MB/s
DOC_PEAK_LANDING_MB = 1_848  # landing peak RSS of the 2M-row day (derivatives on)

_DAY_LINE = re.compile(r"^\[(\d+)/(\d+)\] raw/hub_models (\d{4}-\d{2}-\d{2}): (.*)$")


def days_between(start: date, end: date, stride: int) -> list[date]:
    """What ``atom backfill --start --end --stride`` runs (atom_dagster.runner.days_between)."""
    return [start + timedelta(days=i) for i in range(0, (end - start).days + 1, stride)]


# --- the stub dataset ----------------------------------------------------------------------------


def _rescale_times(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Map the generator's 2021-01 .. 2026-09 timestamps affinely into 2021-01 .. 2024-07 (order kept)."""
    ms = np.asarray(column.cast(pa.int64()).to_numpy(zero_copy_only=False), dtype=np.float64)
    lo = CREATED_FROM.timestamp() * 1000
    scale = (CREATED_UNTIL.timestamp() * 1000 - lo) / (COMMIT_AT.timestamp() * 1000 - lo)
    return pa.array((lo + (ms - lo) * scale).astype(np.int64)).cast(column.type)


def day_table(base: pa.Table, day: date, schema: pa.Schema, seed: int) -> pa.Table:
    """The day's rows: the base models with the day's counts, in the day's column set."""
    rng = np.random.default_rng([seed, day.toordinal()])
    rate_30d = base["downloads"].to_numpy().astype(np.int64)  # the model's 30-day count
    rolling = np.floor(rate_30d * rng.uniform(0.85, 1.15, len(rate_30d))).astype(np.int64)
    columns = {name: base[name] for name in base.column_names}
    columns["downloads"] = pa.array(rolling)
    if "downloadsAllTime" in schema.names:
        at_anchor = base["downloadsAllTime"].to_numpy().astype(np.int64) + ANCHOR_ROLLING_MULTIPLE * rate_30d
        columns["downloadsAllTime"] = pa.array(at_anchor + rate_30d * (day - ANCHOR).days // 30)
    columns["createdAt"] = _rescale_times(base["createdAt"])
    columns["lastModified"] = _rescale_times(base["lastModified"])
    return pa.Table.from_arrays([columns[f.name].cast(f.type) for f in schema], schema=schema)


def write_day(base: Path, out: Path, day: date, schema: pa.Schema, seed: int) -> int:
    """One day's ``models.parquet`` from the base file, row group by row group (zstd); its bytes."""
    out.parent.mkdir(parents=True, exist_ok=True)
    source = pq.ParquetFile(base)
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        for g in range(source.num_row_groups):
            group = source.read_row_group(g)
            writer.write_table(day_table(group, day, schema, seed), row_group_size=group.num_rows)
            del group
    return out.stat().st_size


@dataclass
class StubDataset:
    days: list[date]
    files: dict[date, Path]
    schemas: dict[date, str]
    generate_s: float


def build_dataset(workdir: Path, days: list[date], orgs: list[str], args: argparse.Namespace) -> StubDataset:
    from tests.fixtures.history.hub_stats import SCHEMAS

    params = {**generator_params(args, orgs), "backfill": 1}
    meta = json.dumps(params, sort_keys=True).encode()
    base = workdir / "hub" / "base.parquet"
    base.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    fresh = not (base.exists() and (pq.read_schema(base).metadata or {}).get(BENCH_META) == meta)
    if fresh:
        gen = ModelsGenerator(
            orgs, args.tracked_fraction, args.derivative_fraction, args.card_bytes, args.seed
        )
        generate(base, args.rows, gen, args.row_group_rows, meta)
        del gen
    files, schemas = {}, {}
    for day in days:
        schemas[day] = "parquet_2024_11" if day < ANCHOR else "parquet_2025_03"
        files[day] = workdir / "hub" / day.isoformat() / "models.parquet"
        if fresh or not files[day].exists():
            write_day(base, files[day], day, SCHEMAS[schemas[day]], args.seed)
    return StubDataset(days, files, schemas, time.perf_counter() - t0)


def serve(dataset: StubDataset) -> tuple[Any, str, Any]:
    """The stub Hub over real HTTP: one commit per day (06:30 UTC), newest first."""
    from tests.fixtures.history.hub_stats import HubStatsServer, commit_item, digests, serve_http

    commits, files = [], {}
    for i, day in enumerate(dataset.days):
        rev = f"{i:04x}" + "be" * 18
        stamp = f"{day.isoformat()}T06:30:00.000Z"
        commits.append(commit_item(rev, stamp))
        files[rev] = (dataset.files[day], rev, stamp)
        digests(dataset.files[day])  # the LFS sha256, hashed once before anything is timed
    server = HubStatsServer(list(reversed(commits)), files, page_size=50)
    endpoint, stop = serve_http(server)
    return server, endpoint, stop


# --- one `atom backfill` command, measured -------------------------------------------------------


@dataclass
class CommandRun:
    argv: list[str]
    exit_code: int = 0
    wall_s: float = 0.0
    peak_mb: float = 0.0
    cpu_s: float = 0.0  # user + system CPU of the process tree (waited-for descendants)
    lines: list[tuple[float, str]] = field(default_factory=list)  # (seconds since start, line)
    days: list[tuple[float, str, str]] = field(default_factory=list)  # (seconds, day, rest)
    requests: int = 0
    served_bytes: int = 0

    def first(self, prefix: str) -> float | None:
        return next((t for t, line in self.lines if line.startswith(prefix)), None)

    @property
    def landed(self) -> list[str]:
        return [d for _, d, rest in self.days if not rest.startswith("FAILED")]

    @property
    def refused(self) -> list[str]:
        return [d for _, d, rest in self.days if rest.startswith("FAILED")]

    def day_seconds(self) -> list[float]:
        """Seconds of each day's landing run: from the previous day's line (the first: from the
        'Backfilling' line, so it includes the dbt manifest check and loading the definitions)."""
        start = self.first("Backfilling") or 0.0
        out = []
        for t, _, _ in self.days:
            out.append(t - start)
            start = t
        return out

    def marts_s(self) -> float | None:
        begin, end = self.first("dbt build over"), self.first("dbt build:")
        return None if begin is None or end is None else end - begin

    def line(self, prefix: str) -> str:
        return next((line for _, line in self.lines if line.startswith(prefix)), "")


def run_command(argv: list[str], env: dict[str, str], echo: bool) -> CommandRun:
    run = CommandRun(argv)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu0 = usage.ru_utime + usage.ru_stime
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    )
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            run.peak_mb = max(run.peak_mb, _tree_rss_mb(proc.pid))
            time.sleep(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    assert proc.stdout is not None
    for raw in proc.stdout:
        t = time.perf_counter() - t0
        text = raw.rstrip("\n")
        run.lines.append((t, text))
        match = _DAY_LINE.match(text)
        if match:
            run.days.append((t, match.group(3), match.group(4)))
        if echo:  # a day's line up to its first skipped table (the rest is the same every day)
            shown = text.split("; raw/", 1)[0] + (" ..." if match and "; raw/" in text else "")
            print(f"  | {t:7.1f} s  {shown}", flush=True)
    run.exit_code = proc.wait()
    run.wall_s = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    run.cpu_s = usage.ru_utime + usage.ru_stime - cpu0
    done.set()
    sampler.join()
    return run


# --- what is on disk -------------------------------------------------------------------------------


def manifest_totals(archive: Path, days: list[str]) -> dict[str, Any]:
    totals = {
        "days": 0,
        "bytes_fetched": 0,
        "range_requests": 0,
        "file_bytes": 0,
        "rows_read": 0,
        "rows_kept": 0,
    }
    eras: dict[str, int] = {}
    for day in days:
        manifest = archive / day / "MANIFEST.json"
        if not manifest.exists():
            continue
        history = json.loads(manifest.read_text()).get("history") or {}
        if not history:
            continue
        totals["days"] += 1
        for key in ("bytes_fetched", "range_requests", "file_bytes", "rows_read", "rows_kept"):
            totals[key] += int(history.get(key) or 0)
        era = str(history.get("era"))
        eras[era] = eras.get(era, 0) + 1
    totals["eras"] = eras
    return totals


def disk(data: Path, archive: Path) -> dict[str, int]:
    return {
        "archive": dir_bytes(archive),
        "archive_jsonl": dir_bytes(archive, ".jsonl.gz"),
        "raw_parquet": dir_bytes(data / "raw", ".parquet"),
        "warehouse": dir_bytes(data / "warehouse"),
        "dagster_home": dir_bytes(data / "dagster_home") if (data / "dagster_home").exists() else 0,
    }


# --- the extrapolation -------------------------------------------------------------------------------


def real_file_bytes(day: date) -> float:
    """docs/history.md's assumption: the file grew linearly from ~0.4 GB (2024-07) to ~1.5 GB (2026-09)."""
    (d0, b0), (d1, b1) = DOC_FILE_FIRST, DOC_FILE_LATER
    return b0 + (b1 - b0) * (day - d0).days / (d1 - d0).days


def mb(n: float) -> str:
    return f"{n / 1e6:,.1f} MB"


def gb(n: float) -> str:
    return f"{n / 1e9:,.2f} GB"


def fmt_s(s: float | None) -> str:
    return "-" if s is None else f"{s:,.1f} s"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--rows", type=int, default=50_000, help="models in every day's file (default 50,000)"
    )
    parser.add_argument("--tracked-fraction", type=float, default=0.0075, help="rows in tracked orgs")
    parser.add_argument("--derivative-fraction", type=float, default=0.10, help="derivatives of them")
    parser.add_argument("--card-bytes", type=int, default=1_700, help="mean unread cardData length")
    parser.add_argument("--row-group-rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, help="stub files, data and archive (default: temp)")
    parser.add_argument("--keep", action="store_true", help="keep the stub files (re-used if equal)")
    parser.add_argument("--quiet", action="store_true", help="do not echo the CLI's lines")
    parser.add_argument("--out", type=Path, help="also write the results as Markdown to this file")
    args = parser.parse_args()

    from atom_dagster.settings import load_settings
    from atom_dagster.sources.tracked_orgs import tracked_orgs

    orgs = tracked_orgs(override=load_settings().tracked_orgs)
    plans = [days_between(*c) for c in COMMANDS]
    needed = sorted({d for plan in plans for d in plan})
    own_tmp = args.workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="atom-bench-backfill-")) if own_tmp else args.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    out: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        out.append(text)

    say(f"machine:    {machine(('pyarrow', pa.__version__))}")
    say(f"workdir:    {workdir} ({shutil.disk_usage(workdir).free / 1e9:.0f} GB free)")
    dataset = build_dataset(workdir, needed, orgs, args)
    sizes = [dataset.files[d].stat().st_size for d in needed]
    rolling = [d for d in needed if dataset.schemas[d] == "parquet_2024_11"]
    md = pq.ParquetFile(dataset.files[needed[-1]]).metadata
    say(
        f"stub data:  {len(needed)} commits, one per needed day: {len(rolling)} rolling-era days "
        f"({rolling[0]} .. {rolling[-1]}, parquet_2024_11: no downloadsAllTime) + "
        f"{len(needed) - len(rolling)} days with downloadsAllTime ({ANCHOR} .. {needed[-1]}, parquet_2025_03)"
    )
    say(
        f"files:      {args.rows:,} rows each ({md.num_row_groups} row group(s), zstd), "
        f"{mb(min(sizes))} .. {mb(max(sizes))}, {gb(sum(sizes))} in all; generated in "
        f"{dataset.generate_s:.0f} s (generator peak RSS {peak_rss_mb():,.0f} MB)"
    )
    say(
        f"content:    {len(orgs)} tracked organizations, tracked fraction {args.tracked_fraction}, "
        f"derivative fraction {args.derivative_fraction} (bench_history.py's generator, one draw of models "
        "for every day; per day only the counts change)"
    )
    server, endpoint, stop = serve(dataset)
    say(
        f"stub Hub:   {endpoint} (raw loopback, Range reads, in this process); "
        "each command a fresh `atom` process"
    )

    data, archive = workdir / "data", workdir / "archive"
    shutil.rmtree(data, ignore_errors=True)
    shutil.rmtree(archive, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ATOM_", "HF_", "DAGSTER_"))}
    env.update(
        {
            "ATOM_DATA_DIR": str(data),
            "ATOM_ARCHIVE_DIR": str(archive),
            "HF_ENDPOINT": endpoint,
            "HF_HOME": str(workdir / "hf_home"),
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HUB_OFFLINE": "0",
            "GX_ANALYTICS_ENABLED": "False",
            "PYTHONUNBUFFERED": "1",
        }
    )
    atom = str(ROOT / ".venv" / "bin" / "atom")
    runs: list[CommandRun] = []
    after: list[dict[str, int]] = []
    try:
        for (start, end, stride), plan in zip(COMMANDS, plans, strict=True):
            argv = [atom, "backfill", "--history", "--start", start.isoformat(), "--end", end.isoformat()]
            argv += ["--stride", str(stride)]
            say()
            say(
                f"$ atom backfill --history --start {start} --end {end} --stride {stride}"
                f"   ({len(plan)} days)"
            )
            server.requests.clear()
            server.file_bytes_served = 0
            run = run_command(argv, env, echo=not args.quiet)
            run.requests, run.served_bytes = len(server.requests), server.file_bytes_served
            runs.append(run)
            after.append(disk(data, archive))
    finally:
        stop()

    archived = sorted({d for run in runs for d in run.landed})
    fetched = manifest_totals(archive, archived)
    say()
    header = (
        "| command | days | landed | refused | wall | 1st day line at | landing s/day median (min..max)"
        " | marts run (3 dbt steps + report) | CPU (tree) | peak RSS (tree) | file bytes served"
        " | HTTP requests | exit |"
    )
    rows = [header, "|" + "---|" * 13]
    for (start, end, stride), plan, run in zip(COMMANDS, plans, runs, strict=True):
        per_day = run.day_seconds()[1:] or run.day_seconds()
        first_day = run.days[0][0] if run.days else None
        spread = (
            f"{statistics.median(per_day):.1f} s ({min(per_day):.1f}..{max(per_day):.1f})" if per_day else "-"
        )
        rows.append(
            f"| `--start {start} --end {end} --stride {stride}` | {len(plan)} | {len(run.landed)} "
            f"| {len(run.refused)} | {run.wall_s:,.1f} s | {fmt_s(first_day)} | {spread} "
            f"| {fmt_s(run.marts_s())} | {run.cpu_s:,.0f} s "
            f"| {run.peak_mb:,.0f} MB | {mb(run.served_bytes)} | {run.requests:,} | {run.exit_code} |"
        )
    for row in rows:
        say(row)
    say()
    for (start, _end, stride), run in zip(COMMANDS, runs, strict=True):
        say(f"command --start {start} --stride {stride}:")
        say(f"  summary:  {run.line('Landed partitions') or '(no summary line: see the echoed output)'}")
        for _, line in run.lines:
            if line.startswith("  ") and re.match(r"^  (\d{4}-|\d+ days)", line):
                say(f"  refused:  {line.strip()}")
        say(f"  marts:    {run.line('dbt build:') or '-'}")
        landing = (run.days[-1][0] - (run.first("Backfilling") or 0.0)) if run.days else 0.0
        say(
            f"  phases:   {fmt_s(run.first('Backfilling'))} process start to the 'Backfilling' line; "
            f"{landing:,.1f} s landing {len(run.days)} day(s) (1st day {run.day_seconds()[0]:.1f} s incl. "
            f"dbt manifest check and Dagster definitions); marts {fmt_s(run.marts_s())}; "
            f"{run.wall_s - (run.first('dbt build:') or run.wall_s):,.1f} s after it"
            if run.days
            else "  phases:   no day line"
        )
    total_wall = sum(r.wall_s for r in runs)
    landed_days = sum(len(r.landed) for r in runs)
    final = after[-1]
    kept = fetched["rows_kept"]
    say()
    say(
        f"both commands: {total_wall:,.1f} s wall ({total_wall / 60:.1f} min), {landed_days} day landings "
        f"({len(archived)} distinct days archived; the anchor {ANCHOR} lands in both, replayed from the "
        f"archive the second time), peak RSS {max(r.peak_mb for r in runs):,.0f} MB"
    )
    say(
        f"history:     {fetched['days']} days captured from the stub, eras {fetched['eras']}; "
        f"{fetched['rows_kept']:,} of {fetched['rows_read']:,} rows kept "
        f"({kept / max(1, fetched['rows_read']):.1%}); bytes fetched "
        "(sum of manifests' history.bytes_fetched) "
        f"{mb(fetched['bytes_fetched'])} = {fetched['bytes_fetched'] / max(1, fetched['file_bytes']):.1%} of "
        f"{mb(fetched['file_bytes'])} of files, {fetched['range_requests']:,} range requests"
    )
    say(
        f"on disk:     archive {mb(final['archive'])} (JSONL {mb(final['archive_jsonl'])}, "
        f"{final['archive_jsonl'] / max(1, kept):,.0f} B per kept row); "
        f"raw Parquet {mb(final['raw_parquet'])} "
        f"({final['raw_parquet'] / max(1, kept):,.0f} B per kept row, all raw tables); warehouse "
        f"{mb(final['warehouse'])}; DAGSTER_HOME {mb(final['dagster_home'])}"
    )

    # --- EXTRAPOLATED, not measured -------------------------------------------------------------------
    day_landings = [d for plan in plans for d in plan]  # the anchor twice, as the commands run it
    measured_day = statistics.median([s for r in runs for s in r.day_seconds()[1:]] or [0.0])
    real_rows = {d: real_file_bytes(d) / DOC_BYTES_PER_ROW for d in needed}
    extra_s = sum(DOC_MARGINAL_S_PER_ROW * max(0.0, real_rows[d] - args.rows) for d in day_landings)
    real_bytes = sum(real_file_bytes(d) for d in needed)
    kept_share = kept / max(1, fetched["rows_read"])
    real_kept = sum(real_rows[d] for d in needed) * kept_share
    transfer_s = DOC_FETCHED_SHARE * real_bytes / DOC_LINK_BPS
    marts = [r.marts_s() or 0.0 for r in runs]
    scale = real_kept / max(1, kept)
    landing_s = len(day_landings) * measured_day + extra_s
    say()
    say(
        "EXTRAPOLATED, not measured (real file sizes from docs/history.md; every figure below is arithmetic):"
    )
    say(
        f"  files:    ~{gb(real_file_bytes(needed[0]))} ({needed[0]}) .. ~{gb(real_file_bytes(needed[-1]))} "
        f"({needed[-1]}), linear growth as docs/history.md assumes, {DOC_BYTES_PER_ROW:.0f} B/row: "
        f"~{sum(real_rows.values()) / len(needed) / 1e6:.2f}M rows per day on average, {gb(real_bytes)} "
        f"over the {len(needed)} days"
    )
    say(
        f"  landing:  {len(day_landings)} day runs x {measured_day:.1f} s (this run's median day at "
        f"{args.rows:,} rows) + {DOC_MARGINAL_S_PER_ROW * 1e6:.1f} us per extra row (bench_history.py: "
        f"{DOC_DAY_2M_S:.0f} s at 2M rows, {DOC_DAY_200K_S} s at 200K, derivatives on, download excluded) "
        f"= ~{landing_s / 3600:.1f} h"
    )
    say(
        f"  transfer: column reads at {DOC_FETCHED_SHARE:.1%} of the files (bench_history_reads.py; this run "
        f"{fetched['bytes_fetched'] / max(1, fetched['file_bytes']):.1%} on small files) = "
        f"~{gb(DOC_FETCHED_SHARE * real_bytes)}, ~{transfer_s / 60:.0f} min at {DOC_LINK_BPS / 1e6:.0f} MB/s "
        f"(full downloads: {gb(real_bytes)}, ~{real_bytes / DOC_LINK_BPS / 60:.0f} min)"
    )
    say(
        f"  disk:     ~{real_kept / 1e6:.1f}M kept rows ({kept_share:.1%} kept, as here): archive JSONL "
        f"~{gb(real_kept * final['archive_jsonl'] / max(1, kept))}, raw Parquet "
        f"~{gb(real_kept * final['raw_parquet'] / max(1, kept))} (this run's bytes per kept row)"
    )
    say(
        f"  marts:    measured {' + '.join(f'{m:.0f} s' for m in marts)} over {kept:,} kept model-days; "
        f"x{scale:.0f} kept rows: ~{sum(marts) * scale / 3600:.1f} h IF dbt time grew linearly with rows "
        "(not measured; its fixed part does not grow, so rather an upper bound)"
    )
    say(
        f"  total:    ~{(landing_s + transfer_s) / 3600:.1f} h landing + transfer, plus the marts; "
        f"peak memory per day ~{DOC_PEAK_LANDING_MB:,} MB at 2M rows (bench_history.py's landing), "
        f"here {max(r.peak_mb for r in runs):,.0f} MB at {args.rows:,}"
    )

    if args.out:
        notes = [line for line in out if not line.startswith("|")]
        head = [line for line in notes[:2]]
        body = "\n".join(line for line in notes[2:] if line.strip())
        args.out.write_text("\n".join(head) + "\n\n" + "\n".join(rows) + "\n\n```\n" + body + "\n```\n")
    for name in ("data", "archive", "hf_home"):
        shutil.rmtree(workdir / name, ignore_errors=True)
    if not args.keep:
        shutil.rmtree(workdir / "hub", ignore_errors=True)
        if own_tmp:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if all(r.exit_code == 0 for r in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
