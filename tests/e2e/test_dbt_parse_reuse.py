"""A parse serves every data directory and every day: `atom-dbt` re-uses it as it is for another
warehouse folder, raw root and partition window.

dbt re-parses the whole project when its vars, the profile's connection settings, or environment
variables read by dbt_project.yml change, and the files whose parse read an environment variable
that changed. Dagster's builds pass the paths and the window in dbt's environment, read at
execution time only, and `atom-dbt` leaves the DuckDB file's path out of dbt's parse check; dbt
itself, seeded the same way, still re-parses for a new path (the control).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from atom_dagster.settings import DBT_PROJECT_DIR, dbt_executable, tools_dir

NO_PARTIAL = "Unable to do partial parsing"
VARS = json.dumps({"mainline_universe": "atom_list", "tracking_start": "2023-11-01"})


def parse(executable: str, target: Path, data: Path, window: str, *flags: str) -> str:
    env = {
        "ATOM_DBT_MIN_DATE": window,
        "PATH": "/usr/bin:/bin",
        "HOME": str(data),
        "ATOM_WAREHOUSE_PATH": str(data / "warehouse" / "atom.duckdb.build"),
        "ATOM_DBT_RAW_DIR": str(data / "raw"),
        "ATOM_DATA_DIR": str(data),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    done = subprocess.run(
        [executable, *flags, "parse", "--profiles-dir", ".", "--target-path", str(target), "--vars", VARS],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout + done.stderr


def seeded(source: Path, target: Path) -> Path:
    target.mkdir(parents=True)
    shutil.copyfile(source / "partial_parse.msgpack", target / "partial_parse.msgpack")
    return target


def test_a_new_data_directory_reuses_the_parse(tmp_path):
    first = tmp_path / "first"
    parse(dbt_executable(), first, tmp_path / "data_a", "2026-01-01")
    assert (first / "partial_parse.msgpack").exists()
    # Another data directory (warehouse folder, raw root) and the next day's window: the parse is
    # reused as it is, no file re-parsed.
    again = parse(
        dbt_executable(), seeded(first, tmp_path / "again"), tmp_path / "data_b", "2026-01-02", "--debug"
    )
    assert "Partial parsing enabled, no changes found, skipping parsing" in again
    assert NO_PARTIAL not in again
    # dbt alone (path in its parse check) re-parses the whole project for the same change.
    plain = parse(
        str(Path(tools_dir()) / "dbt"), seeded(first, tmp_path / "plain"), tmp_path / "data_c", "2026-01-01"
    )
    assert f"{NO_PARTIAL} because profile has changed" in plain
