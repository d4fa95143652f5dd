"""Benchmark: demo archive -> raw landing (parse + GX gate + Parquet) -> dbt build, through Dagster.

    .venv/bin/python benchmarks/bench_pipeline.py [--days 28] [--scale 1.0]

Prints the machine, the sizes and the timings; the README reports the figures. Not a test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.machine import machine  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()

    from atom_dagster.cli import prepare
    from atom_dagster.demo.generate import DEMO_START, generate_demo_archive
    from atom_dagster.runner import backfill
    from atom_dagster.settings import load_settings

    root = Path(tempfile.mkdtemp(prefix="atom-bench-"))
    archive = root / "archive"
    t0 = time.perf_counter()
    days = generate_demo_archive(archive, DEMO_START, args.days, scale=args.scale)
    t_generate = time.perf_counter() - t0
    archive_mb = sum(p.stat().st_size for p in archive.rglob("*") if p.is_file()) / 1e6

    env = {"ATOM_DATA_DIR": str(root / "data"), "ATOM_ARCHIVE_DIR": str(archive), "ATOM_SOURCE": "archive"}
    settings = load_settings(env)  # passed down as a value: nothing reads os.environ
    prepare()
    stamps: list[tuple[float, str]] = []
    t0 = time.perf_counter()
    summary = backfill(settings, days, log=lambda m: stamps.append((time.perf_counter(), m)))
    t_total = time.perf_counter() - t0
    raw_marks = [t for t, m in stamps if "raw/hub_models" in m]
    per_day = [b - a for a, b in zip([t0, *raw_marks[:-1]], raw_marks, strict=True)]
    dbt_start = next(t for t, m in stamps if m.startswith("dbt build over"))
    dbt_end = next(t for t, m in stamps if m.startswith("dbt build:"))

    import duckdb

    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        models = con.execute("select count(*) from dim_models").fetchone()[0]
        fact_rows = con.execute("select count(*) from fct_model_downloads_daily").fetchone()[0]
    print(f"machine:   {machine()}")
    print(
        f"sizes:     {len(days)} days, scale {args.scale}, {models:,} models, {fact_rows:,} model-days, "
        f"archive {archive_mb:.1f} MB"
    )
    print(f"generate:  {t_generate:.1f} s for the demo archive")
    print(
        f"raw:       {statistics.median(per_day):.2f} s median per partition through Dagster "
        f"(parse + GX gate + Parquet + run bookkeeping), {sum(per_day):.1f} s for all"
    )
    print(f"dbt:       {dbt_end - dbt_start:.1f} s for one `dbt build` over the {len(days)}-day window")
    print(f"total:     {t_total:.1f} s backfill wall time; ok={summary.ok}")
    return 0 if summary.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
