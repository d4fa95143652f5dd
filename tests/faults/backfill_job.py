"""`atom backfill` of a 9-day SYNTHETIC demo archive with one broken day, run twice.

python -m tests.faults.backfill_job ROOT

Writes ``ROOT/results.json``: for each run its exit code, printed summary, the sha256 of every
raw Parquet file and of every table and view of the warehouse. ``test_backfill_twice.py``
compares them. Without pytest-xdist, the tests' conftest starts this in the background when the
session collects that module (the other tests run meanwhile).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import sys
from datetime import date
from pathlib import Path

START = date(2026, 10, 1)
DAYS = 9
BAD_DAY = "2026-10-05"
BAD_PAGE = "hub/models/Qwen-0001.json"


def break_day(day: Path) -> None:
    """A truncated page, as a capture cut off mid-write leaves it, signed as it is (so the JSON
    error, not the sha256 check, is what fails the day)."""
    from atom_dagster.sources.archive import sign_day

    page = day / BAD_PAGE
    page.write_bytes(page.read_bytes()[:300])
    sign_day(day, force=True)


def raw_hashes(raw_dir: Path) -> dict[str, str]:
    return {
        p.relative_to(raw_dir).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(raw_dir.glob("*/snapshot_date=*/*"))
    }


def table_hashes(warehouse: Path) -> dict[str, str]:
    """sha256 of every table and view (all rows, sorted) of the warehouse, read-only."""
    import duckdb

    out = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        relations = con.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_schema not in ('information_schema', 'pg_catalog') order by 1, 2"
        ).fetchall()
        for schema, name in relations:
            rows = con.execute(f'select * from "{schema}"."{name}" order by all').fetchall()
            out[f"{schema}.{name}"] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return out


def built_table_hashes(warehouse: Path) -> dict[str, str]:
    """Hashes of the built tables (views read the raw Parquet live, so they follow what landed)."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        views = {
            f"{s}.{n}" for s, n in con.execute("select schema_name, view_name from duckdb_views()").fetchall()
        }
    return {name: digest for name, digest in table_hashes(warehouse).items() if name not in views}


def backfill_once(archive: Path, data: Path) -> dict:
    from atom_dagster import cli

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(
            [
                "backfill",
                "--archive",
                str(archive),
                "--start",
                START.isoformat(),
                "--end",
                date.fromordinal(START.toordinal() + DAYS - 1).isoformat(),
                "--data-dir",
                str(data),
            ]
        )
    return {
        "exit_code": code,
        "stdout": out.getvalue(),
        "raw": raw_hashes(data / "raw"),
        "tables": table_hashes(data / "warehouse" / "atom.duckdb"),
    }


def main(root: str) -> None:
    from filelock import FileLock

    from atom_dagster import cli
    from atom_dagster.demo.generate import generate_demo_archive

    root_path = Path(root)
    archive, data = root_path / "archive", root_path / "data"
    generate_demo_archive(archive, START, DAYS, scale=0.1)
    break_day(archive / BAD_DAY)
    # The dbt manifest is built by the test session (and dagster-dbt's guard serializes builders);
    # read it under the same lock so a rebuild never happens mid-read, and do not rebuild it here.
    manifest = cli.DBT_PROJECT_DIR / "target" / "manifest.json"
    if not manifest.exists():
        cli.prepare()
    with FileLock(manifest.with_suffix(".concurrent-update-lock")).acquire(timeout=300):
        import atom_dagster.definitions  # noqa: F401
        import atom_dagster.runner  # noqa: F401
    cli.prepare = lambda **_: manifest
    results = {"first": backfill_once(archive, data), "second": backfill_once(archive, data)}
    (root_path / "results.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main(sys.argv[1])
