"""Benchmark: one history day by column reads (range requests) vs a full download, on a stub Hub.

    .venv/bin/python benchmarks/bench_history_reads.py [--rows 1000000] [--row-group-rows 100000]
        [--latency-ms 0] [--mbps 0] [--workdir DIR] [--keep]

What it does:

1. writes one ``models.parquet`` in the 2025-03 hub-stats column set with the generator of
   ``bench_history.py`` (zstd, ``--row-group-rows`` per row group, a wide unread ``cardData``,
   ``siblings`` and ``config``);
2. serves it from the stub Hub of the tests (``tests/fixtures/history/hub_stats.py``) over real HTTP
   on 127.0.0.1: commit listing, ``paths-info``, the ``repo_info``/tree calls ``HfFileSystem``
   makes, and ``resolve/<commit>/models.parquet`` whole or by ``Range``; ``HF_ENDPOINT`` points
   the measured process at it. ``--latency-ms`` (per response) and ``--mbps`` (per response) model
   a remote Hub; both 0 means raw loopback;
3. in a fresh subprocess each (peak RSS per case): ``capture_history_day`` by column reads (the
   default), ``hf_hub_download`` of the whole file alone, and ``capture_history_day`` with
   ``keep_download`` (download, sha256, stream), all with derivatives on;
4. prints the machine, the file, and per case the seconds, the file bytes the stub served, the
   requests and the peak RSS.

Loopback seconds are the client's CPU and protocol cost; over a real link add bytes / bandwidth
and requests x round trip (or measure with ``--mbps``/``--latency-ms``). Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_history import (  # noqa: E402
    BENCH_META,
    COMMIT_ID,
    DAY,
    ModelsGenerator,
    generate,
    peak_rss_mb,
)
from benchmarks.machine import machine  # noqa: E402

REPO = "cfahlgren1/hub-stats"


def case(spec: dict[str, Any]) -> dict[str, Any]:
    """One measured case, in its own process (``HF_ENDPOINT`` set before huggingface_hub loads)."""
    from huggingface_hub import hf_hub_download

    from atom_dagster.sources.hub_history import HubStatsClient, capture_history_day

    endpoint = os.environ["HF_ENDPOINT"]
    cache = spec["cache"]
    t0 = time.perf_counter()
    if spec["kind"] == "hf_hub_download":
        path = hf_hub_download(
            REPO, "models.parquet", repo_type="dataset", revision=COMMIT_ID, cache_dir=cache
        )
        out: dict[str, Any] = {"bytes_on_disk": Path(path).stat().st_size}
    else:
        result = capture_history_day(
            Path(spec["archive"]),
            DAY,
            spec["orgs"],
            client=HubStatsClient(repo_id=REPO, endpoint=endpoint, cache_dir=cache),
            log=lambda _m: None,
            today=date.fromisoformat(DAY) + timedelta(days=1),
            keep_download=spec["kind"] == "download",
        )
        history = json.loads((result.day_dir / "MANIFEST.json").read_text())["history"]
        out = {
            "rows_read": result.rows_read,
            "rows_kept": result.rows_kept,
            "range_requests": history["range_requests"],
            "bytes_fetched": history["bytes_fetched"],
            "jsonl": sorted(str(p) for p in (result.day_dir / "hub" / "models").glob("*.jsonl")),
        }
    return {**out, "wall_s": time.perf_counter() - t0, "peak_rss_mb": peak_rss_mb()}


def run_case(spec: dict[str, Any], endpoint: str, workdir: Path) -> dict[str, Any]:
    out = workdir / f"case-{spec['kind']}.json"
    env = {**os.environ, "HF_ENDPOINT": endpoint, "HF_HUB_DISABLE_TELEMETRY": "1", "HF_HUB_OFFLINE": "0"}
    env.pop("HF_TOKEN", None)
    subprocess.run(
        [sys.executable, __file__, "--case", json.dumps({**spec, "out": str(out)})], check=True, env=env
    )
    return json.loads(out.read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="models in the file (default 1,000,000)")
    parser.add_argument("--row-group-rows", type=int, default=100_000)
    parser.add_argument("--card-bytes", type=int, default=1_700, help="mean unread cardData length")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="wait before each response")
    parser.add_argument("--mbps", type=float, default=0.0, help="cap each response at this many MB/s")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, help="where the file, caches and archives go (default: temp)")
    parser.add_argument("--keep", action="store_true", help="keep the generated file (re-used if equal)")
    parser.add_argument("--case", help=argparse.SUPPRESS)  # internal: one measured case, in a subprocess
    args = parser.parse_args()
    if args.case:
        spec = json.loads(args.case)
        Path(spec["out"]).write_text(json.dumps(case(spec)))
        return 0

    from atom_dagster.settings import load_settings
    from atom_dagster.sources.tracked_orgs import tracked_orgs
    from tests.fixtures.history.hub_stats import HubStatsServer, commit_item, digests, serve_http

    orgs = tracked_orgs(override=load_settings().tracked_orgs)
    own_tmp = args.workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="atom-bench-reads-")) if own_tmp else args.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    parquet = workdir / "hub" / COMMIT_ID / "models.parquet"
    parquet.parent.mkdir(parents=True, exist_ok=True)
    params = {"rows": args.rows, "row_group_rows": args.row_group_rows, "card_bytes": args.card_bytes}
    meta = json.dumps({**params, "seed": args.seed, "orgs": orgs, "reads": 1}, sort_keys=True).encode()
    print(f"machine:    {machine(('pyarrow', pa.__version__))}")
    t0 = time.perf_counter()
    if not (parquet.exists() and (pq.read_schema(parquet).metadata or {}).get(BENCH_META) == meta):
        gen = ModelsGenerator(orgs, 0.0075, 0.10, args.card_bytes, args.seed)
        generate(parquet, args.rows, gen, args.row_group_rows, meta)
        del gen
    t_generate = time.perf_counter() - t0
    digests(parquet)  # the stub's LFS sha256, hashed once before anything is timed
    md = pq.ParquetFile(parquet).metadata
    size = parquet.stat().st_size
    print(
        f"file:       {size / 1e6:,.0f} MB, {md.num_rows:,} rows, {md.num_row_groups} row groups, "
        f"{md.num_columns} leaf columns, zstd, 2025-03 column set (generated in {t_generate:.0f} s)"
    )
    link = "raw loopback" if not (args.latency_ms or args.mbps) else ""
    link = link or f"{args.latency_ms:g} ms per response, {args.mbps:g} MB/s per response (0 = uncapped)"
    print(f"stub Hub:   127.0.0.1, {link}; each case in a fresh process")

    when = datetime.fromisoformat(DAY).replace(hour=6, minute=30, tzinfo=UTC)
    stamp = when.isoformat().replace("+00:00", "Z")
    server = HubStatsServer([commit_item(COMMIT_ID, stamp)], {COMMIT_ID: (parquet, COMMIT_ID, stamp)})
    endpoint, stop = serve_http(server, args.latency_ms / 1000, args.mbps * 1e6 or None)
    results: dict[str, dict[str, Any]] = {}
    try:
        for kind in ("columns", "hf_hub_download", "download"):
            cache = workdir / f"cache-{kind}"
            archive = workdir / f"archive-{kind}"
            shutil.rmtree(cache, ignore_errors=True)
            shutil.rmtree(archive, ignore_errors=True)
            server.requests.clear()
            server.ranges.clear()
            server.file_bytes_served = 0
            spec = {"kind": kind, "cache": str(cache), "archive": str(archive), "orgs": orgs}
            result = run_case(spec, endpoint, workdir)
            result.update(served=server.file_bytes_served, requests=len(server.requests))
            results[kind] = result
    finally:
        stop()

    same = [Path(p).read_bytes() for p in results["columns"]["jsonl"]] == [
        Path(p).read_bytes() for p in results["download"]["jsonl"]
    ]
    print()
    header = (
        f"{'case':<34} {'seconds':>8} {'file MB fetched':>15} {'of file':>8} {'HTTP requests':>13}"
        f" {'peak RSS MB':>11}"
    )
    print(header)
    print("-" * len(header))
    labels = {
        "columns": "capture, column reads (default)",
        "hf_hub_download": "hf_hub_download alone",
        "download": "capture, keep_download (full file)",
    }
    for kind, label in labels.items():
        r = results[kind]
        print(
            f"{label:<34} {r['wall_s']:>8.1f} {r['served'] / 1e6:>15,.1f} {r['served'] / size:>8.1%} "
            f"{r['requests']:>13,} {r['peak_rss_mb']:>11,.0f}"
        )
    cols = results["columns"]
    print(
        f"  both captures: {cols['rows_kept']:,} of {cols['rows_read']:,} rows kept; archived JSONL "
        f"{'identical' if same else 'DIFFERENT'}; column read: {cols['range_requests']} range requests"
        " (footer + coalesced column chunks, one reader per row group)"
    )
    for kind in results:
        shutil.rmtree(workdir / f"cache-{kind}", ignore_errors=True)
        shutil.rmtree(workdir / f"archive-{kind}", ignore_errors=True)
    if not args.keep:
        shutil.rmtree(workdir / "hub", ignore_errors=True)
        if own_tmp:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
