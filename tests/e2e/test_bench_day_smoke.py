"""The one-day benchmark runs end to end at 10K models (a smoke test: no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_bench_day_runs_atom_and_the_duckdb_script_and_their_totals_agree(tmp_path):
    out = tmp_path / "results.md"
    done = subprocess.run(
        [sys.executable, "benchmarks/bench_day.py", "--models", "10000", "--reps", "1", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    table = out.read_text()
    assert table.startswith("machine: ")
    [row] = [line for line in table.splitlines() if line.startswith("| ") and line[2].isdigit()]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert 9_000 <= int(cells[0].replace(",", "")) <= 11_000  # about the N asked for
    assert cells[-1] == "yes"  # region totals equal between atom and the script
