"""End to end through Dagster: a 4-day hand-written archive -> raw Parquet -> dbt -> checks.

Expected numbers are worked out by hand from tests/small_archive.py.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from atom_dagster.settings import load_settings
from atom_dagster.sources.archive import sign_day
from tests.small_archive import DAYS, UID, write_small_archive

MART_TABLES = [
    "dim_models",
    "fct_model_downloads_daily",
    "fct_model_lineage",
    "agg_downloads_by_region_daily",
]


def _settings(data_dir: Path, archive: Path):
    return load_settings(
        {"ATOM_DATA_DIR": str(data_dir), "ATOM_ARCHIVE_DIR": str(archive), "ATOM_SOURCE": "archive"}
    )


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory, dbt_manifest):
    from atom_dagster.runner import backfill

    root = tmp_path_factory.mktemp("e2e")
    archive = write_small_archive(root / "archive")
    settings = _settings(root / "data", archive)
    summary = backfill(settings, DAYS, log=lambda _m: None)
    assert summary.failed == {}, summary.failed
    assert summary.dbt_succeeded, summary.dbt_message
    return settings, archive


def query(settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def table_hashes(settings) -> dict[str, str]:
    out = {}
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        for table in MART_TABLES:
            rows = con.execute(f"select * from {table} order by all").fetchall()
            out[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return out


def test_daily_downloads_clamp_gap_rename_and_new_model(pipeline):
    settings, _ = pipeline
    rows = query(
        settings,
        f"""
        select model_uid, snapshot_date::varchar, downloads_delta, cumulative_downloads,
               is_revised_down, revised_down_by, delta_spans_gap, model_id
        from fct_model_downloads_daily
        where model_uid in ('{UID["A"]}', '{UID["B"]}', '{UID["C"]}', '{UID["D"]}')
        order by model_uid, snapshot_date""",
    )
    got = {(r[0], r[1]): r[2:] for r in rows}
    a, b, c, d = UID["A"], UID["B"], UID["C"], UID["D"]
    # A: first capture has no baseline; revision on d3 clamps to 0 and is flagged; d4 counts only new growth.
    assert got[(a, DAYS[0])][:2] == (None, 1_000_000)
    assert got[(a, DAYS[1])][:2] == (100_000, 1_100_000)
    assert got[(a, DAYS[2])][:4] == (0, 1_100_000, True, 50_000)
    assert got[(a, DAYS[3])][:3] == (100_000, 1_200_000, False)
    # B: missing on d2, d3; the d4 delta spans the gap once.
    assert (b, DAYS[1]) not in got and (b, DAYS[2]) not in got
    assert got[(b, DAYS[3])][:2] == (600_000, 5_600_000) and got[(b, DAYS[3])][4] is True
    # C: renamed on d3, one continuous series under its _id.
    assert [got[(c, day)][0] for day in DAYS] == [None, 500, 500, 500]
    assert got[(c, DAYS[2])][5] == "zai-org/glm-4-9b-chat"
    # D: created on d3, after the previous capture: all its downloads are that day's.
    assert got[(d, DAYS[2])][0] == 200_000 and got[(d, DAYS[3])][0] == 50_000


def test_region_aggregate_carries_history_and_gaps(pipeline):
    settings, _ = pipeline
    rows = query(
        settings,
        """select snapshot_date::varchar, region, downloads, cumulative_downloads,
                              n_models, n_models_carried_forward
                              from agg_downloads_by_region_daily order by 1, 2""",
    )
    assert rows == [
        (DAYS[0], "china", 0, 1_300_000, 2, 0),
        (DAYS[0], "us", 0, 5_000_000, 1, 0),
        (DAYS[1], "china", 100_500, 1_400_500, 2, 0),
        (DAYS[1], "us", 0, 5_000_000, 1, 1),
        (DAYS[2], "china", 500, 1_401_000, 2, 0),
        (DAYS[2], "eu", 200_000, 200_000, 1, 0),
        (DAYS[2], "us", 0, 5_000_000, 1, 1),
        (DAYS[3], "china", 100_500, 1_501_500, 2, 0),
        (DAYS[3], "eu", 50_000, 250_000, 1, 0),
        (DAYS[3], "us", 600_000, 5_600_000, 1, 0),
    ]


def test_dim_models_mainline_params_and_region(pipeline):
    settings, _ = pipeline
    rows = {
        r[0]: r[1:]
        for r in query(
            settings,
            """
        select model_id, is_mainline, mainline_exclusion_reason, region, size_bucket, params_source,
               was_renamed, children_total
        from dim_models""",
        )
    }
    assert rows["Qwen/Qwen2.5-7B-Instruct"] == (True, None, "china", "7-9B", "safetensors_total", False, 11)
    assert rows["zai-org/glm-4-9b-chat"][:6] == (True, None, "china", "7-9B", "name_parsing", True)
    assert rows["mistralai/Mistral-Small-3.2-24B-Instruct-2506"][:5] == (
        True,
        None,
        "eu",
        "10-50B",
        "safetensors_total",
    )
    # The universe is ATOM's list (the default); our rules' verdict is kept beside it.
    assert rows["Qwen/Qwen3-Embedding-0.6B"][:2] == (False, "not_in_atom_list")
    assert rows["someuser/qwen-sft"][:2] == (False, "not_in_atom_list")
    rules = dict(query(settings, "select model_id, rules_exclusion_reason from dim_models"))
    assert rules["Qwen/Qwen3-Embedding-0.6B"] == "pipeline_out_of_scope"
    assert rules["someuser/qwen-sft"] == "not_first_party"
    assert rules["Qwen/Qwen2.5-7B-Instruct"] is None
    assert len(rows) == 7  # the duplicate of A on a second page is one model


def test_lineage_drops_malformed_parents_and_counts_them(pipeline):
    settings, _ = pipeline
    assert query(
        settings,
        """select child_id, parent_id, relation, parent_uid from fct_model_lineage
           where edge_source = 'captured_model'""",
    ) == [("someuser/qwen-sft", "Qwen/Qwen2.5-7B-Instruct", "finetune", UID["A"])]
    # The whole Hub's new models add their edges (tests/small_archive.py): 12 derivatives of A (one a
    # merge that also names E), 7 of B, 4 of G; models with no base add none.
    listed = query(
        settings,
        """select parent_id, count(*), count(distinct child_uid) from fct_model_lineage
           where edge_source = 'new_models_listing' group by 1 order by 1""",
    )
    assert listed == [
        ("Qwen/Qwen2.5-7B-Instruct", 12, 12),
        ("Qwen/Qwen3-Embedding-0.6B", 4, 4),
        ("meta-llama/Llama-3.1-8B-Instruct", 7, 7),
        ("someuser/qwen-sft", 1, 1),
    ]
    rejected = query(
        settings, "select snapshot_date::varchar, n_edges, example_parent_id from agg_lineage_rejections"
    )
    assert sorted(rejected) == [(day, 1, "/home/me/ckpt") for day in DAYS]


def test_rerunning_a_partition_changes_nothing(pipeline):
    from atom_dagster.runner import backfill

    settings, _ = pipeline
    before = table_hashes(settings)
    raw_file = settings.raw_dir / "hub_models" / f"snapshot_date={DAYS[1]}" / "data.parquet"
    raw_before = raw_file.read_bytes()
    summary = backfill(settings, [DAYS[1]], log=lambda _m: None)
    assert summary.ok
    assert raw_file.read_bytes() == raw_before
    assert table_hashes(settings) == before

    # One day is one partition: the incremental model's dbt tests recorded their result on that day.
    import dagster as dg

    instance = dg.DagsterInstance.from_config(str(settings.dagster_home))
    check = dg.AssetCheckKey(
        dg.AssetKey("fct_model_downloads_daily"), "not_null_fct_model_downloads_daily_model_uid"
    )
    latest = instance.event_log_storage.get_asset_check_execution_history(check, limit=1)[0]
    evaluation = latest.event.dagster_event.event_specific_data
    assert (evaluation.passed, evaluation.partition) == (True, DAYS[1])


def test_corrupted_page_fails_its_partition_and_keeps_earlier_ones(pipeline, tmp_path):
    from atom_dagster.runner import backfill

    settings, archive = pipeline
    bad_day = "2026-10-05"
    shutil.copytree(archive / DAYS[3], archive / bad_day)
    page = archive / bad_day / "hub" / "models" / "page-0001.json"
    page.write_bytes(page.read_bytes()[:200])  # truncated mid-object
    # A truncated capture, not a tampered one: signed as it is (`atom archive sign --force`).
    sign_day(archive / bad_day, force=True)
    before = table_hashes(settings)
    summary = backfill(settings, [bad_day], log=lambda _m: None)
    assert list(summary.failed) == [bad_day]
    assert "page-0001.json" in summary.failed[bad_day] and "truncated" in summary.failed[bad_day]
    assert not (settings.raw_dir / "hub_models" / f"snapshot_date={bad_day}").exists()
    assert table_hashes(settings) == before
    for day in DAYS:
        assert (settings.raw_dir / "hub_models" / f"snapshot_date={day}" / "data.parquet").exists()


def test_docs_command_generates_the_site_for_the_warehouse(pipeline):
    from atom_dagster.cli import main

    settings, _ = pipeline
    assert main(["docs", "--data-dir", str(settings.data_dir)]) == 0
    docs = settings.docs_dir
    assert (docs / "index.html").stat().st_size > 10_000
    catalog = json.loads((docs / "catalog.json").read_text())
    columns = catalog["nodes"]["model.atom.fct_model_downloads_daily"]["columns"]
    assert {"downloads_delta", "cumulative_downloads", "is_revised_down"} <= set(columns)
    manifest = json.loads((docs / "manifest.json").read_text())
    described = manifest["nodes"]["model.atom.fct_model_downloads_daily"]["columns"]
    assert all(col["description"] for col in described.values())


def test_negative_counts_fail_the_gate_with_the_rule_and_the_model(pipeline):
    from atom_dagster.runner import backfill

    settings, archive = pipeline
    bad_day = "2026-10-06"
    shutil.copytree(archive / DAYS[3], archive / bad_day)
    page = archive / bad_day / "hub" / "models" / "page-0002.json"
    models = json.loads(page.read_text())
    models[0]["downloadsAllTime"] = -5
    page.write_text(json.dumps(models))
    (archive / bad_day / "MANIFEST.json").unlink()  # a hand-assembled day ...
    sign_day(archive / bad_day)  # ... signed after the fact (`atom archive sign DAY_DIR`)
    summary = backfill(settings, [bad_day], log=lambda _m: None)
    message = summary.failed[bad_day]
    assert f"Partition {bad_day}" in message and "NOT promoted" in message
    assert "expect_column_values_to_be_between" in message and "someuser/qwen-sft" in message
    assert not (settings.raw_dir / "hub_models" / f"snapshot_date={bad_day}").exists()
    assert not any((settings.raw_dir / ".staging").rglob("*.parquet"))


def test_report_is_written_with_real_charts_and_the_marts_numbers(pipeline):
    import re

    import matplotlib.image as mpimg

    from atom_dagster.report.charts import human

    settings, _ = pipeline
    page = settings.data_dir / "report" / DAYS[-1] / "index.html"
    text = page.read_text()
    images = re.findall(r'<img src="([^"]+)"', text)
    assert {"cumulative_by_region.png", "top_families.png"} <= set(images)
    # The archive's one month is shown as values, not a lone bar.
    assert '<table class="values"><caption>Oct 2026 (the only month in the data)' in text
    for name in images:
        png = page.parent / name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert mpimg.imread(png).shape[0] > 100
    china, tracked = query(
        settings,
        f"""select cumulative_downloads, tracked_cumulative_downloads from metrics_downloads_by_region_daily
                                where region = 'china' and snapshot_date = '{DAYS[-1]}'""",
    )[0]
    assert china == 1_501_500
    # Every china model (A 2024-09, C 2024-06) was created after the tracking start (2023-11-01):
    # all their downloads are tracked. (metrics_model_downloads_daily's unit tests cover baselines.)
    assert tracked == 1_501_500
    assert f"<th>all-time downloads, china</th><td>{human(china)}</td>" in text
    assert f"<th>tracked downloads since 2023-11-01, china</th><td>{human(tracked)}</td>" in text
    assert "Source: OpenRouter (openrouter.ai/rankings)" in text
    assert "SYNTHETIC" not in text  # a recorded archive, not the demo
