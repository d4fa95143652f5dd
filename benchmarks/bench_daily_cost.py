"""Benchmark: does adding a day cost more as history grows? Day K against day 2, same N.

    .venv/bin/python benchmarks/bench_daily_cost.py [--models 20000] [--days 60] [--reps 2] \
        [--out FILE] [--keep DIR]

Generates a synthetic archive of ``--days`` days of about N Hub model objects each (the demo
generator), then prepares two data directories, untimed beyond the printed set-up figures:

* **early**: day 1 landed and built (``atom backfill`` of day 1);
* **late**: days 1 .. K-1 landed and built in one ``atom backfill`` (K = ``--days``).

It then times, interleaved ``--reps`` times, what a daily schedule pays for one new day: ``atom
backfill`` of day 2 into *early* and of day K into *late* (each a fresh process: landing with the
Great Expectations gate, the dbt build, the report). A repetition re-lands the same day, which
atom does idempotently (the partition is replaced), so every repetition does the same work.
Prints a Markdown table (machine, sizes, median and min, the late/early ratio for time and peak
memory, and the warehouse size) and writes it to ``--out`` when given. Issue 14's goal 3 is a
ratio of at most 1.3 for both. Not a test: nothing is asserted about time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.bench_day import DERIVATIVES_PER_SCALE, FIRST_PARTY_APPROX, Run, measure  # noqa: E402
from benchmarks.machine import machine  # noqa: E402
from benchmarks.workdir import publish, work_dir  # noqa: E402

START = date(2026, 3, 1)
ATOM = str(REPO / ".venv/bin/atom")


def backfill(archive: Path, data: Path, first: date, last: date) -> Run:
    """``atom backfill`` of [first, last] from ``archive`` into ``data``, measured."""
    return measure([ATOM, "backfill", "--archive", str(archive), "--start", first.isoformat(),
                    "--end", last.isoformat(), "--data-dir", str(data)])  # fmt: skip


def warehouse_mb(data: Path) -> float:
    return (data / "warehouse" / "atom.duckdb").stat().st_size / 1e6


def bench(n_models: int, days: int, reps: int, work: Path) -> dict:
    from atom_dagster.demo.generate import generate_demo_archive

    scale = max(0.01, (n_models - FIRST_PARTY_APPROX) / DERIVATIVES_PER_SCALE)
    archive = work / "archive"
    last = START + timedelta(days=days - 1)
    early, late = work / "early", work / "late"
    setup_late_s = float("nan")
    if (late / "warehouse" / "atom.duckdb").exists():  # a --keep folder of an earlier run
        print(f"reusing the archive and data directories in {work}", flush=True)
    else:
        t0 = time.perf_counter()
        generate_demo_archive(archive, START, days, scale=scale)
        print(f"generated {days} days at scale {scale:.1f} in {time.perf_counter() - t0:.0f} s", flush=True)
        setup_early = backfill(archive, early, START, START)
        setup_late = backfill(archive, late, START, last - timedelta(days=1))
        setup_late_s = setup_late.seconds
        print(f"set-up: day 1 {setup_early.seconds:.0f} s; days 1..{days - 1} {setup_late_s:.0f} s "
              f"(peak {setup_late.peak_mb:,.0f} MB)", flush=True)  # fmt: skip
    runs: dict[str, list[Run]] = {"early": [], "late": []}
    for rep in range(reps):
        runs["early"].append(backfill(archive, early, START + timedelta(days=1), START + timedelta(days=1)))
        runs["late"].append(backfill(archive, late, last, last))
        early_run, late_run = runs["early"][-1], runs["late"][-1]
        print(f"  rep {rep + 1}: day 2 {early_run.seconds:.1f} s ({early_run.peak_mb:,.0f} MB), "
              f"day {days} {late_run.seconds:.1f} s ({late_run.peak_mb:,.0f} MB)", flush=True)  # fmt: skip
    return {
        "models": n_models,
        "days": days,
        "early": runs["early"],
        "late": runs["late"],
        "warehouse_mb": {"early": warehouse_mb(early), "late": warehouse_mb(late)},
        "setup_late_s": setup_late_s,
    }


def table(r: dict, reps: int) -> str:
    def cell(runs: list[Run]) -> tuple[float, str, float]:
        seconds = [x.seconds for x in runs]
        peak = max(x.peak_mb for x in runs)
        return statistics.median(seconds), f"{statistics.median(seconds):.1f} s ({min(seconds):.1f})", peak

    e_med, e_cell, e_peak = cell(r["early"])
    l_med, l_cell, l_peak = cell(r["late"])
    sizes = r["warehouse_mb"]
    return "\n".join([
        f"machine: {machine()}",
        "",
        f"Adding one day of ~{r['models']:,} Hub models, {reps} interleaved repetitions; median (min).",
        "",
        "| day added | history before it | time | peak memory | warehouse after |",
        "|---|---|---|---|---|",
        f"| 2 | 1 day | {e_cell} | {e_peak:,.0f} MB | {sizes['early']:,.0f} MB |",
        f"| {r['days']} | {r['days'] - 1} days | {l_cell} | {l_peak:,.0f} MB | {sizes['late']:,.0f} MB |",
        "",
        f"Day {r['days']} / day 2: time {l_med / e_med:.2f}x, peak memory {l_peak / e_peak:.2f}x "
        f"(goal: <= 1.3x each). Set-up backfill of days 1..{r['days'] - 1}: {r['setup_late_s']:.0f} s"
        " (nan: a reused --keep folder).",
    ]) + "\n"  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--out", type=Path, help="also write the table to this file")
    parser.add_argument(
        "--keep", type=Path, help="work in this folder and keep it (a kept folder is reused: no set-up)"
    )
    args = parser.parse_args()
    if args.days < 3:
        parser.error("--days must be at least 3")
    with work_dir(args.keep, "atom-bench-daily-") as work:
        result = bench(args.models, args.days, args.reps, work)
    publish(table(result, args.reps), args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
