"""The day benchmark's 10K-model version, as a smoke test: it runs end to end and agrees with itself.

`benchmarks/bench_day.py` (one synthetic archive day through `atom backfill` against a plain DuckDB
script over the same pages) at 10,000 models, one repetition. Nothing is asserted about time (the
figures belong in docs/benchmarks.md); what must hold is that both sides ran, measured something,
and found the same downloads per region.
"""

from __future__ import annotations

from benchmarks.bench_day import bench, table


def test_a_10k_model_day_runs_through_atom_and_the_floor_script_with_equal_totals(tmp_path, dbt_manifest):
    result = bench(10_000, 1, tmp_path)
    assert 9_000 <= result["objects"] <= 11_000
    assert result["totals_equal"], "atom's region totals differ from the DuckDB script's"
    assert len(result["atom"]) == len(result["floor"]) == 1 and min(result["atom"] + result["floor"]) > 0
    assert result["atom_peak_mb"] > 0 and result["floor_peak_mb"] > 0
    rendered = table([result], 1)
    assert f"| {result['objects']:,} |" in rendered and rendered.rstrip().endswith("| yes |")
