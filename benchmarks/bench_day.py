"""Benchmark: one archive day end to end, `atom backfill` against a plain DuckDB script.

    .venv/bin/python benchmarks/bench_day.py [--models 10000 100000] [--reps 3] [--out FILE] [--keep DIR]
        [--engine duckdb|spark]

For each size N it generates one synthetic archive day of about N Hub model objects with the demo
generator (its archive's own JSON shape), then runs, interleaved, ``--reps`` times each:

* **atom**: ``atom backfill`` of that day into a fresh data directory (process start, landing with
  the Great Expectations gate, one dbt build, the report), its dbt on ``--engine`` (the
  ``ATOM_DBT_TARGET`` it runs with: duckdb, the default, or spark), and
* **floor**: a DuckDB script over the same page files (``read_json`` -> typed, deduplicated Parquet
  -> the day's downloads by region of the first-party models, regions resolved as dim_organizations
  does: ATOM's `atom_organization_regions` first, then our `organizations` seed).

Each run is its own process tree; peak memory is the largest sum of the tree's resident sets,
sampled every 0.25 s. The floor's region totals are checked equal to atom's (``dim_models``) for the
day. Prints a Markdown table (machine, sizes, median and min times, ratio, peak memory) and writes
it to ``--out`` when given. Not a test: nothing is asserted about time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.machine import machine  # noqa: E402
from benchmarks.workdir import publish, work_dir  # noqa: E402

DAY = "2026-03-01"
# The demo generator's catalogue holds ~850 first-party models; `scale` adds 400 derivatives each.
FIRST_PARTY_APPROX = 850
DERIVATIVES_PER_SCALE = 400

FLOOR_SCRIPT = r'''
import sys, duckdb, json
pages, orgs_csv, out_dir = sys.argv[1], sys.argv[2], sys.argv[3]
# ATOM's organization regions (optional 4th argument): its region wins, and its namespaces are
# tracked, as in dim_organizations.
atom_csv = sys.argv[4] if len(sys.argv) > 4 else None
con = duckdb.connect()
if atom_csv:
    con.execute(f"""
        create view orgs as
        select coalesce(a.namespace, o.namespace) as namespace, coalesce(a.region, o.region) as region,
               coalesce(o.tracked, false) or a.namespace is not null as tracked
        from read_csv('{orgs_csv}') as o
        full outer join read_csv('{atom_csv}') as a on a.namespace = o.namespace
    """)
else:
    con.execute(f"create view orgs as select namespace, region, tracked from read_csv('{orgs_csv}')")
con.execute(f"""
copy (
    select * from (
        select
            "_id"::varchar as model_uid,
            id::varchar as model_id,
            split_part(id, '/', 1) as namespace,
            try_cast(downloads as bigint) as downloads,
            try_cast("downloadsAllTime" as bigint) as downloads_all_time,
            try_cast(likes as bigint) as likes,
            try_cast("createdAt" as timestamptz) as created_at,
            pipeline_tag::varchar as pipeline_tag,
            library_name::varchar as library_name,
            tags::varchar[] as tags,
            try_cast(safetensors.total as bigint) as safetensors_total
        from read_json('{pages}', format = 'array', union_by_name = true, maximum_object_size = 67108864)
    )
    qualify row_number() over (partition by model_uid order by model_id) = 1
) to '{out_dir}/hub_models.parquet' (format parquet)
""")
rows = con.execute(f"""
    select orgs.region, sum(m.downloads_all_time)::hugeint
    from '{out_dir}/hub_models.parquet' as m
    inner join orgs on orgs.namespace = m.namespace and orgs.tracked
    group by 1 order by 1
""").fetchall()
print(json.dumps({r[0]: int(r[1]) for r in rows}))
'''


@dataclass
class Run:
    seconds: float
    peak_mb: float
    output: str


def _tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants, in MB (Linux /proc)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # The command name may hold spaces and parentheses: the fields follow the last ')'.
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
    tree, frontier = {pid}, [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        frontier = [c for c in children if c not in tree]
        tree.update(frontier)
    total_kb = 0
    for member in tree:
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
    return total_kb / 1e3


def measure(command: list[str], cwd: Path = REPO, env: dict[str, str] | None = None) -> Run:
    """Wall time and peak resident memory of the process tree of ``command``."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_mb(proc.pid))
            time.sleep(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = proc.communicate()
    seconds = time.perf_counter() - t0
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command[:4])} ... failed ({proc.returncode}):\n{output[-3000:]}")
    return Run(seconds, peak, output)


def make_day(root: Path, n_models: int) -> tuple[Path, int, float]:
    """One archive day of about ``n_models`` Hub objects: (archive, objects, MB of pages)."""
    from datetime import date

    from atom_dagster.demo.generate import generate_demo_archive

    scale = max(0.01, (n_models - FIRST_PARTY_APPROX) / DERIVATIVES_PER_SCALE)
    archive = root / "archive"
    if not (archive / DAY / "MANIFEST.json").exists():  # a day kept by --keep is reused
        generate_demo_archive(archive, date.fromisoformat(DAY), 1, scale=scale)
    pages = sorted((archive / DAY / "hub" / "models").glob("*.json"))
    objects = sum(len(json.loads(p.read_text())) for p in pages)
    return archive, objects, sum(p.stat().st_size for p in pages) / 1e6


def atom_regions(data: Path) -> dict[str, int]:
    import duckdb

    with duckdb.connect(str(data / "warehouse" / "atom.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select region, sum(latest_downloads_all_time)::hugeint from dim_models "
            "where is_first_party group by 1 order by 1"
        ).fetchall()
    return {r[0]: int(r[1]) for r in rows}


def bench(n_models: int, reps: int, work: Path, engine: str = "duckdb") -> dict:
    archive, objects, mb = make_day(work, n_models)
    pages = str(archive / DAY / "hub" / "models" / "*.json")
    script = work / "floor.py"
    script.write_text(FLOOR_SCRIPT)
    orgs = REPO / "dbt_project" / "seeds" / "organizations.csv"
    atom_orgs = REPO / "dbt_project" / "seeds" / "atom_reference" / "atom_organization_regions.csv"
    atom_runs: list[Run] = []
    floor_runs: list[Run] = []
    regions: dict[str, int] = {}
    for rep in range(reps):
        # Interleaved, so a slow spell of the machine hits both.
        data = work / f"data-{rep}"
        shutil.rmtree(data, ignore_errors=True)
        command = [str(REPO / ".venv/bin/atom"), "backfill", "--archive", str(archive), "--start", DAY,
                   "--end", DAY, "--data-dir", str(data)]  # fmt: skip
        atom_runs.append(measure(command, env={**os.environ, "ATOM_DBT_TARGET": engine}))
        regions = atom_regions(data)
        shutil.rmtree(data, ignore_errors=True)
        out = work / f"floor-{rep}"
        out.mkdir(exist_ok=True)
        floor_runs.append(measure([sys.executable, str(script), pages, str(orgs), str(out), str(atom_orgs)]))
        shutil.rmtree(out, ignore_errors=True)
        a, f = atom_runs[-1], floor_runs[-1]
        print(
            f"  N={objects:,} rep {rep + 1}: atom {a.seconds:.1f} s ({a.peak_mb:,.0f} MB), "
            f"floor {f.seconds:.1f} s ({f.peak_mb:,.0f} MB)",
            flush=True,
        )
    floor_regions = json.loads(floor_runs[-1].output.strip().splitlines()[-1])
    return {
        "objects": objects,
        "pages_mb": mb,
        "atom": [r.seconds for r in atom_runs],
        "floor": [r.seconds for r in floor_runs],
        "atom_peak_mb": max(r.peak_mb for r in atom_runs),
        "floor_peak_mb": max(r.peak_mb for r in floor_runs),
        "totals_equal": floor_regions == {k: v for k, v in regions.items() if k in floor_regions}
        and set(floor_regions) == set(regions),
    }


def table(results: list[dict], reps: int, engine: str = "duckdb") -> str:
    lines = [
        f"machine: {machine()}",
        "",
        f"One archive day, {reps} interleaved repetitions each; times are median (min).",
        "",
        f"| N models | pages | atom (dbt on {engine}) | DuckDB script | ratio (median) | atom peak memory "
        "| script peak | region totals equal |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        a, f = statistics.median(r["atom"]), statistics.median(r["floor"])
        lines.append(
            f"| {r['objects']:,} | {r['pages_mb']:.0f} MB | {a:.1f} s ({min(r['atom']):.1f}) "
            f"| {f:.1f} s ({min(r['floor']):.1f}) | {a / f:.0f}x | {r['atom_peak_mb']:,.0f} MB "
            f"| {r['floor_peak_mb']:,.0f} MB | {'yes' if r['totals_equal'] else 'NO'} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", type=int, nargs="+", default=[10_000])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--out", type=Path, help="also write the table to this file")
    parser.add_argument(
        "--keep",
        type=Path,
        help="generate each day in KEEP/N and keep it there (a day already there is reused: a 1M-model "
        "day takes minutes to generate)",
    )
    parser.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb", help="atom's dbt target")
    args = parser.parse_args()
    results = []
    for n in args.models:
        with work_dir(args.keep / str(n) if args.keep else None, f"atom-bench-day-{n}-") as work:
            results.append(bench(n, args.reps, work, args.engine))
    publish(table(results, args.reps, args.engine), args.out)
    return 0 if all(r["totals_equal"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
