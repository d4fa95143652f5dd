"""Row counts and previews added to dbt materializations (tables and seeds yes, views no); a
passed build's dbt run folder pruned to its results."""

from __future__ import annotations

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from atom_dagster.assets.metadata import markdown_table, with_table_stats


def _output(unique_id: str) -> dg.Output:
    return dg.Output(None, output_name=unique_id.replace(".", "_"), metadata={"unique_id": unique_id})


def test_tables_and_seeds_get_counts_and_previews_views_are_not_computed(tmp_path):
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table t as select range as n from range(7)")
        con.execute("create table s as select 'a' as k")
        con.execute("create view v as select * from t")
    manifest = {
        "nodes": {
            "model.x.t": {"relation_name": "t", "config": {"materialized": "table"}},
            "seed.x.s": {"relation_name": "s", "config": {"materialized": "seed"}},
            "model.x.v": {"relation_name": "v", "config": {"materialized": "view"}},
            "model.x.gone": {"relation_name": "gone", "config": {"materialized": "table"}},
        }
    }
    check = dg.AssetCheckResult(passed=True, asset_key="t", check_name="c")
    events = [_output(u) for u in manifest["nodes"]] + [check]
    out = list(with_table_stats(events, DuckDBResource(database=str(path)), manifest))

    by_id = {e.metadata["unique_id"].value: e.metadata for e in out if isinstance(e, dg.Output)}
    assert by_id["model.x.t"]["dagster/row_count"].value == 7
    assert by_id["seed.x.s"]["dagster/row_count"].value == 1
    assert "| n |" in by_id["model.x.t"]["preview"].value
    assert "dagster/row_count" not in by_id["model.x.v"]
    # A model whose table is missing (failed, ephemeral) passes through undescribed.
    assert "dagster/row_count" not in by_id["model.x.gone"]
    assert out[-1] is check


def test_markdown_table_renders_header_and_rows():
    assert markdown_table(["a", "b"], [(1, None)]) == "| a | b |\n|---|---|\n| 1 | None |\n"


def test_a_passed_build_keeps_only_its_run_results(tmp_path):
    from atom_dagster.assets.dbt_models import prune_run_folder

    run = tmp_path / "atom_dbt_models-abc1234-def5678"
    (run / "compiled" / "atom").mkdir(parents=True)
    (run / "compiled" / "atom" / "m.sql").write_text("select 1")
    for name in ("run_results.json", "manifest.json", "partial_parse.msgpack", "dbt.log"):
        (run / name).write_text("x")
    prune_run_folder(run)
    assert sorted(p.name for p in run.iterdir()) == ["run_results.json"]
    prune_run_folder(tmp_path / "missing")  # nothing to prune: no error
