"""End to end: a month of hub-stats history at stride 7 through Dagster, checked by hand.

Five partitions (2025-03-01, -08, -15, -22, -29) are missing from the archive, so with
``ATOM_HISTORY=hub-stats`` each comes from the hub-stats commit of that day (commit listing,
paths-info and column reads by range over a MockTransport, self-made Parquet files in the
2025-03 column set; see tests/unit/test_hub_history.py for why). On the first day no row has
``safetensors`` or ``baseModels``; no row has an ``_id`` so all days share the documented
surrogate key ``id:<repo id>``.

downloadsAllTime per sampled day (d1..d5; '-' = not in that day's file):
  Qwen/Qwen2.5-7B-Instruct          (china) 1_000_000 1_200_000 1_150_000* 1_400_000 1_500_000
  meta-llama/Llama-3.1-8B-Instruct  (us)    5_000_000 5_300_000 -          5_900_000 6_000_000
  mistralai/Mistral-Small-24B-Instruct-2501 (eu, created 2025-03-10)
                                            -         -         100_000    150_000   180_000
  someuser/qwen-sft (derivative, kept, not mainline)  50 every day
  randomuser/unrelated (not tracked, not a derivative: dropped)
(* revised down: clamped to 0, the running maximum carries 1_200_000)

Then (on a copy of that warehouse) the first day captured with real `_id`s, 2025-04-05, as the
daily schedule would after a history backfill: Qwen 1_600_000, Llama 6_100_000, Mistral 200_000;
the derivative is not in it (the live capture lists the tracked organizations only). The history
series must continue under the real `_id`s (one series per model, the 7-day delta on the new
day), and the derivative keeps its surrogate.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from atom_dagster.settings import load_settings
from atom_dagster.sources.archive import ArchiveWriter
from tests.fixtures.history.hub_stats import HubStatsServer, commit_item, install, model, write_models_parquet
from tests.small_archive import hub_model as api_model

DAYS = ["2025-03-01", "2025-03-08", "2025-03-15", "2025-03-22", "2025-03-29"]
QWEN = [1_000_000, 1_200_000, 1_150_000, 1_400_000, 1_500_000]
LLAMA = [5_000_000, 5_300_000, None, 5_900_000, 6_000_000]
MISTRAL = [None, None, 100_000, 150_000, 180_000]


def day_rows(i: int) -> list[dict]:
    rows = [model("Qwen/Qwen2.5-7B-Instruct", QWEN[i], "2024-09-16T11:55:40Z", params=7_615_616_512)]
    if LLAMA[i] is not None:
        rows.append(model("meta-llama/Llama-3.1-8B-Instruct", LLAMA[i], "2024-07-18T08:56:00Z"))
    if MISTRAL[i] is not None:
        rows.append(model("mistralai/Mistral-Small-24B-Instruct-2501", MISTRAL[i], "2025-03-10T09:00:00Z"))
    rows.append(
        model("someuser/qwen-sft", 50, "2024-10-01T00:00:00Z", base=("finetune", "Qwen/Qwen2.5-7B-Instruct"))
    )
    rows.append(model("randomuser/unrelated", 10, "2024-10-01T00:00:00Z"))
    for row in rows:
        row["_id"] = None  # as if hub-stats had no `_id`: every day uses the surrogate key
    return rows


@pytest.fixture(scope="module")
def history_pipeline(tmp_path_factory, dbt_manifest):
    from atom_dagster.partitions import parse_day
    from atom_dagster.runner import backfill, days_between

    mp = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("history")
    commits, files = [], {}
    for i, day in enumerate(DAYS):
        rev = f"{i:02d}" + "a" * 38
        first_day = [{**row, "safetensors": None, "baseModels": None} for row in day_rows(i)]
        path = write_models_parquet(
            root / "hub" / rev / "models.parquet", first_day if i == 0 else day_rows(i)
        )
        commits.append(commit_item(rev, f"{day}T06:30:00.000Z"))
        files[rev] = (path, rev, f"{day}T06:30:00.000Z")
    server = HubStatsServer(list(reversed(commits)), files)
    downloads, restore = install(mp, server)
    settings = load_settings(
        {
            "ATOM_DATA_DIR": str(root / "data"),
            "ATOM_ARCHIVE_DIR": str(root / "archive"),
            "ATOM_SOURCE": "archive",
            "ATOM_HISTORY": "hub-stats",
        }
    )
    days = days_between(parse_day("2025-03-01"), parse_day("2025-03-31"), stride=7)
    assert days == DAYS
    logs: list[str] = []
    summary = backfill(settings, days, log=logs.append)
    try:
        assert summary.failed == {}, summary.failed
        assert summary.dbt_succeeded, summary.dbt_message
        yield settings, downloads, logs
    finally:
        restore()
        mp.undo()


def query(settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_cumulative_series_by_region_matches_hand_computed_values(history_pipeline):
    settings, _, _ = history_pipeline
    rows = query(
        settings,
        """select snapshot_date::varchar, region, downloads, cumulative_downloads, n_models,
                  n_models_carried_forward
           from agg_downloads_by_region_daily order by 1, 2""",
    )
    d1, d2, d3, d4, d5 = DAYS
    assert rows == [
        (d1, "china", 0, 1_000_000, 1, 0),
        (d1, "us", 0, 5_000_000, 1, 0),
        (d2, "china", 200_000, 1_200_000, 1, 0),
        (d2, "us", 300_000, 5_300_000, 1, 0),
        (d3, "china", 0, 1_200_000, 1, 0),  # revised down: clamped, the maximum carries
        (d3, "eu", 100_000, 100_000, 1, 0),  # created after d2: all its downloads are new
        (d3, "us", 0, 5_300_000, 1, 1),  # missing that day: carried forward
        (d4, "china", 200_000, 1_400_000, 1, 0),
        (d4, "eu", 50_000, 150_000, 1, 0),
        (d4, "us", 600_000, 5_900_000, 1, 0),  # one delta over the gap
        (d5, "china", 100_000, 1_500_000, 1, 0),
        (d5, "eu", 30_000, 180_000, 1, 0),
        (d5, "us", 100_000, 6_000_000, 1, 0),
    ]


def test_every_row_says_it_came_from_history_and_sampled_days_show(history_pipeline):
    settings, downloads, logs = history_pipeline
    assert query(settings, "select distinct capture_source from stg_hub__models") == [("history",)]
    assert query(settings, "select count(distinct snapshot_date) from stg_hub__models") == [(5,)]
    # Stride 7: every delta after the first day spans 7 days, and the marts say so.
    spans = query(
        settings,
        """select distinct days_since_previous, delta_spans_gap from fct_model_downloads_daily
           where model_id = 'Qwen/Qwen2.5-7B-Instruct' and previous_snapshot_date is not null""",
    )
    assert spans == [(7, True)]
    # Surrogate keys are resolved in the intermediate model (staging keeps the raw key).
    uids = query(settings, "select distinct model_uid from int_hub__models_keyed order by 1")
    assert uids == [
        ("id:Qwen/Qwen2.5-7B-Instruct",),
        ("id:meta-llama/Llama-3.1-8B-Instruct",),
        ("id:mistralai/Mistral-Small-24B-Instruct-2501",),
        ("id:someuser/qwen-sft",),
    ]
    assert len(downloads) == 5
    assert all("source history" in line for line in logs if "raw/hub_models 2025-03" in line)


def test_dagster_metadata_names_the_source_and_rerun_replays_the_archive(history_pipeline):
    import dagster as dg

    from atom_dagster.runner import backfill, instance_for

    settings, downloads, _ = history_pipeline
    instance = instance_for(settings)
    events = instance.fetch_materializations(dg.AssetKey(["raw", "hub_models"]), limit=10).records
    sources = {e.asset_materialization.metadata["source"].value for e in events}
    assert sources == {"history"}
    before = len(downloads)
    summary = backfill(settings, [DAYS[1]], log=lambda _m: None)
    assert summary.ok and len(downloads) == before  # the recorded day is replayed, not re-downloaded
    manifest = Path(settings.archive_dir, DAYS[0], "MANIFEST.json").read_text()
    assert list(json.loads(manifest)["history"]["columns_missing"]) == ["gated"]  # in no hub-stats era


LIVE_DAY = "2025-04-05"
REAL_UID = {
    "Qwen/Qwen2.5-7B-Instruct": "66e81cefd5e0a0b7a4d3f1a1",
    "meta-llama/Llama-3.1-8B-Instruct": "669858a8c5a0e3d1b5e2c3d4",
    "mistralai/Mistral-Small-24B-Instruct-2501": "67cec1aa0e2b1f3c4d5e6f70",
}


@pytest.fixture(scope="module")
def history_then_live(history_pipeline, tmp_path_factory):
    from atom_dagster.runner import backfill

    settings, _, _ = history_pipeline
    root = tmp_path_factory.mktemp("history_then_live")
    shutil.copytree(settings.raw_dir, root / "data" / "raw")
    shutil.copytree(settings.warehouse_path.parent, root / "data" / "warehouse")
    shutil.copytree(settings.archive_dir, root / "archive")
    page = [
        api_model(
            REAL_UID["Qwen/Qwen2.5-7B-Instruct"],
            "Qwen/Qwen2.5-7B-Instruct",
            1_600_000,
            "2024-09-16T11:55:40Z",
        ),
        api_model(
            REAL_UID["meta-llama/Llama-3.1-8B-Instruct"],
            "meta-llama/Llama-3.1-8B-Instruct",
            6_100_000,
            "2024-07-18T08:56:00Z",
        ),
        api_model(
            REAL_UID["mistralai/Mistral-Small-24B-Instruct-2501"],
            "mistralai/Mistral-Small-24B-Instruct-2501",
            200_000,
            "2025-03-10T09:00:00Z",
        ),
    ]
    writer = ArchiveWriter(root / "archive", LIVE_DAY, source="live", fixed_time=f"{LIVE_DAY}T23:59:00+00:00")
    writer.write_body(
        "hub/models/page-0001.json",
        json.dumps(page).encode(),
        request={"endpoint": "/api/models", "status": 200, "page": 1},
    )
    writer.finish()
    live_settings = load_settings(
        {
            "ATOM_DATA_DIR": str(root / "data"),
            "ATOM_ARCHIVE_DIR": str(root / "archive"),
            "ATOM_SOURCE": "archive",
        }
    )
    summary = backfill(live_settings, [LIVE_DAY], log=lambda _line: None)  # dbt runs incrementally
    assert summary.failed == {}, summary.failed
    assert summary.dbt_succeeded, summary.dbt_message
    return live_settings


def test_history_series_continue_under_the_real_id_after_the_first_live_day(history_then_live):
    settings = history_then_live
    series = query(
        settings,
        """select model_id, model_uid, count(*), min(snapshot_date)::varchar, max(snapshot_date)::varchar
           from fct_model_downloads_daily group by all order by 1""",
    )
    qwen, llama, mistral = REAL_UID.values()
    assert series == [
        ("Qwen/Qwen2.5-7B-Instruct", qwen, 6, DAYS[0], LIVE_DAY),
        ("meta-llama/Llama-3.1-8B-Instruct", llama, 5, DAYS[0], LIVE_DAY),
        ("mistralai/Mistral-Small-24B-Instruct-2501", mistral, 4, DAYS[2], LIVE_DAY),
        ("someuser/qwen-sft", "id:someuser/qwen-sft", 5, DAYS[0], DAYS[-1]),  # never seen live
    ]
    live_rows = query(
        settings,
        f"""select model_id, downloads_delta, days_since_previous from fct_model_downloads_daily
            where snapshot_date = '{LIVE_DAY}' order by 1""",
    )
    assert live_rows == [
        ("Qwen/Qwen2.5-7B-Instruct", 100_000, 7),
        ("meta-llama/Llama-3.1-8B-Instruct", 100_000, 7),
        ("mistralai/Mistral-Small-24B-Instruct-2501", 20_000, 7),
    ]
    origins = query(
        settings,
        "select model_uid_origin, capture_source, count(*) from int_hub__models_keyed"
        " group by all order by all",
    )
    assert origins == [
        ("hub_id", "archive", 3),
        ("resolved_by_repo_id", "history", 12),
        ("surrogate", "history", 5),
    ]
    regions = query(
        settings,
        f"""select region, downloads, cumulative_downloads from agg_downloads_by_region_daily
            where snapshot_date = '{LIVE_DAY}' order by 1""",
    )
    assert regions == [("china", 100_000, 1_600_000), ("eu", 20_000, 200_000), ("us", 100_000, 6_100_000)]
    # The history days' figures are unchanged by the re-keying.
    before = query(
        settings,
        f"""select snapshot_date::varchar, region, downloads from agg_downloads_by_region_daily
            where snapshot_date < '{LIVE_DAY}' and region = 'china' order by 1""",
    )
    assert [row[2] for row in before] == [0, 200_000, 0, 200_000, 100_000]


def test_cli_backfill_before_the_dataset_began_refuses_each_day_and_exits_1(tmp_path, monkeypatch, capsys):
    """`atom backfill --history` over days before the dataset's first commit: every day is refused
    with where the history starts, nothing is landed, no dbt build, exit code 1."""
    import os

    from atom_dagster.cli import main

    # The CLI reads its settings from the environment: set them here (restored after the test).
    monkeypatch.setenv("ATOM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ATOM_ARCHIVE_DIR", str(tmp_path / "archive"))
    monkeypatch.setenv("ATOM_SOURCE", "archive")
    monkeypatch.setenv("ATOM_HISTORY", "off")
    monkeypatch.setenv("ATOM_WAREHOUSE_PATH", str(tmp_path / "data" / "warehouse" / "atom.duckdb"))
    monkeypatch.setenv("PATH", os.environ["PATH"])
    rev = "7" * 40
    path = write_models_parquet(tmp_path / "hub" / rev / "models.parquet", day_rows(1))
    server = HubStatsServer([commit_item(rev, "2024-07-24T06:30:00.000Z")], {rev: (path, rev, "2024-07-24")})
    downloads, restore = install(monkeypatch, server)
    try:
        code = main(
            [
                "backfill",
                "--history",
                "--start",
                "2023-11-01",
                "--end",
                "2023-11-14",
                "--stride",
                "7",
                "--data-dir",
                str(tmp_path / "data"),
                "--archive",
                str(tmp_path / "archive"),
            ]
        )
    finally:
        restore()
    out = capsys.readouterr().out
    assert code == 1
    assert "Backfilling 2 partitions 2023-11-01 .. 2023-11-08 every 7 days" in out
    assert "history dataset cfahlgren1/hub-stats" in out
    assert "Landed partitions: 0; failed: 2" in out
    # One line for the days refused for the same reason.
    assert "  2 days (2023-11-01 .. 2023-11-08): cfahlgren1/hub-stats's history starts on 2024-07-24" in out
    assert downloads == [] and not (tmp_path / "data" / "warehouse" / "atom.duckdb").exists()
    assert not (tmp_path / "archive" / "2023-11-01").exists()  # nothing half-written
