"""The one-day benchmark's own parts: the DuckDB floor script and the memory sampler.

The whole command (`benchmarks/bench_day.py`, atom against the script at 10K models) takes about
two minutes with its data generation, which the CI budget does not hold; its atom side is what the
rest of the suite runs.
"""

from __future__ import annotations

import json
import subprocess
import sys

from benchmarks.bench_day import FLOOR_SCRIPT, REPO, measure, table
from tests.small_archive import DAYS, write_small_archive


def test_the_floor_script_sums_first_party_downloads_by_region(tmp_path):
    archive = write_small_archive(tmp_path / "archive")
    script = tmp_path / "floor.py"
    script.write_text(FLOOR_SCRIPT)
    pages = str(archive / DAYS[3] / "hub" / "models" / "*.json")
    orgs = REPO / "dbt_project" / "seeds" / "organizations.csv"
    done = subprocess.run(
        [sys.executable, str(script), pages, str(orgs), str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    # Day 4 of tests/small_archive.py, each model once although A is on two pages: china = A
    # 1,200,000 + C 301,500 + G 900,000; eu = D 250,000; us = B 5,600,000 (E, F: not first party).
    assert json.loads(done.stdout.strip()) == {"china": 2_401_500, "eu": 250_000, "us": 5_600_000}
    assert (tmp_path / "hub_models.parquet").exists()


def test_the_floor_script_takes_atoms_regions_first_as_dim_organizations_does(tmp_path):
    """With ATOM's organization regions (4th argument), ATOM's region wins and its namespaces are
    tracked, as in dim_organizations; otherwise atom's totals and the floor's would differ."""
    archive = write_small_archive(tmp_path / "archive")
    script = tmp_path / "floor.py"
    script.write_text(FLOOR_SCRIPT)
    pages = str(archive / DAYS[3] / "hub" / "models" / "*.json")
    orgs = REPO / "dbt_project" / "seeds" / "organizations.csv"
    atom = tmp_path / "atom_organization_regions.csv"
    # mistralai moved to "other" by ATOM; someuser (E 50, F 10) tracked by ATOM only, as "us".
    atom.write_text("namespace,region,notes\nmistralai,other,\nsomeuser,us,\n")
    done = subprocess.run(
        [sys.executable, str(script), pages, str(orgs), str(tmp_path), str(atom)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(done.stdout.strip()) == {"china": 2_401_500, "other": 250_000, "us": 5_600_060}


def test_peak_memory_covers_the_process_tree():
    child = "import time; x = bytearray(150_000_000); time.sleep(1)"
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}])"
    run = measure([sys.executable, "-c", parent])
    assert run.peak_mb >= 150  # the grandchild's allocation is counted
    assert run.seconds >= 1


def test_the_results_table_names_machine_sizes_ratio_and_agreement():
    text = table(
        [{"objects": 10_012, "pages_mb": 7.0, "atom": [80.0, 90.0, 70.0], "floor": [1.0, 0.5, 2.0],
          "atom_peak_mb": 950.0, "floor_peak_mb": 90.0, "totals_equal": True}],  # fmt: skip
        3,
    )
    assert text.startswith("machine: ")
    assert "| 10,012 | 7 MB | 80.0 s (70.0) | 1.0 s (0.5) | 80x | 950 MB | 90 MB | yes |" in text
    assert "| atom (dbt on duckdb) |" in text  # the engine atom's dbt ran on (--engine)
