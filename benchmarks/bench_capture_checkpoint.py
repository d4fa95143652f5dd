"""Benchmark: the archive writer's cost per page of a long live capture (body + checkpoint).

    .venv/bin/python benchmarks/bench_capture_checkpoint.py [--pages 2000] [--archive-module PATH]

Writes ``--pages`` listing pages of ~25 KB through a resumable :class:`ArchiveWriter` into a
temporary folder, checkpointing after each as the live capture does, and prints the mean time per
page over the first and the last 100 pages: flat when a checkpoint does not grow with the day.
``--archive-module`` times another version of ``atom_dagster/sources/archive.py`` (e.g. one taken
with ``git show REV:atom_dagster/sources/archive.py``) for comparison.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.machine import machine  # noqa: E402


def load(path: Path):
    spec = importlib.util.spec_from_file_location("archive_under_test", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=2_000)
    parser.add_argument(
        "--archive-module", type=Path, default=ROOT / "atom_dagster" / "sources" / "archive.py"
    )
    args = parser.parse_args()
    archive = load(args.archive_module)
    page = json.dumps([{"id": f"org/m{i}", "downloads": i, "tags": ["a"] * 10} for i in range(300)]).encode()
    request = {"endpoint": "/api/models", "params": {"author": "org", "cursor": "x" * 60}, "status": 200}
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        writer = archive.ArchiveWriter(Path(tmp), "2026-11-29", source="live", resume_key={"bench": 1})
        for n in range(args.pages):
            start = time.perf_counter()
            writer.write_body(f"hub/models/org-{n:05d}.json", page, request)
            writer.checkpoint({"orgs": {"org": {"pages": n + 1, "next": "y" * 80}}})
            times.append(time.perf_counter() - start)
    head, tail = times[:100], times[-100:]
    print(f"machine: {machine()}")
    print(f"module:  {args.archive_module}; {args.pages:,} pages of {len(page) / 1e3:.0f} KB")
    print(
        f"per page: first 100 {1e3 * sum(head) / len(head):.1f} ms,"
        f" last 100 {1e3 * sum(tail) / len(tail):.1f} ms; all {sum(times):.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
