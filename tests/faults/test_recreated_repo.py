"""A repository deleted and re-created under the same repo id (issue 11, item 3).

Same repo id (`Qwen/Qwen2.5-7B-Instruct`), new `_id`: the Hub lists the old `_id` on days 1-3,
both `_id`s on day 4 (the re-created repository, with the later `createdAt`, and a stale copy of
the old one) and the new `_id` alone on day 5. Its counter restarts below the old one's. A
derivative declares the repo id as its parent.

The documented rule (int_hub__models_keyed, dim_models): the re-created repository is a new model
and the old one ends -- its series stops the day before the new `_id` first appears; a day that
shows both keeps the later `createdAt`. So each `_id` has one series, the region's cumulative
downloads count the repo id once per day (the old model is not carried forward past its end; its
last count moves to `ended_cumulative_downloads`), the lineage edge to the repo id is one row, and
every dbt test passes, on the first build and on every rerun.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from atom_dagster.runner import backfill
from atom_dagster.settings import load_settings
from tests.small_archive import hub_model, write_hub_day

DAYS = ["2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05"]
REPO = "Qwen/Qwen2.5-7B-Instruct"
# The new `_id` sorts before the old one: the day with both is decided by `createdAt`, not the key.
OLD, NEW, QWEN3, LLAMA, SFT = (f"{k * 4}{i:020x}" for i, k in enumerate("bacde"))
RECREATED_ON = DAYS[3]

# _id -> (repo id, createdAt, downloadsAllTime per day; None = not listed that day).
MODELS = {
    OLD: (REPO, "2024-09-16T11:55:40.000Z", [1_000_000, 1_100_000, 1_200_000, 1_250_000, None]),
    NEW: (REPO, "2026-10-04T06:00:00.000Z", [None, None, None, 150_000, 400_000]),
    QWEN3: (
        "Qwen/Qwen3-8B",
        "2025-04-29T00:00:00.000Z",
        [2_000_000, 2_100_000, 2_200_000, 2_300_000, 2_400_000],
    ),
    LLAMA: (
        "meta-llama/Llama-3.1-8B-Instruct",
        "2024-07-18T08:56:00.000Z",
        [5_000_000, 5_100_000, 5_200_000, 5_300_000, 5_400_000],
    ),
    SFT: ("someuser/qwen-sft", "2025-01-10T00:00:00.000Z", [50, 50, 50, 50, 50]),
}


def model(uid: str, all_time: int) -> dict:
    model_id, created, _ = MODELS[uid]
    obj = hub_model(uid, model_id, all_time, created, safetensors=7_615_616_512)
    if uid == SFT:
        obj["tags"] += [f"base_model:{REPO}", f"base_model:finetune:{REPO}"]
        obj["baseModels"] = {"relation": "finetune", "models": [{"id": REPO}]}
    return obj


def write_archive(archive: Path) -> None:
    for index, day in enumerate(DAYS):
        page = [model(uid, m[2][index]) for uid, m in MODELS.items() if m[2][index] is not None]
        write_hub_day(archive, day, page)


def query(settings, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.fixture(scope="module")
def built(fast_tmp, dbt_manifest):
    root = fast_tmp("recreated")
    write_archive(root / "archive")
    settings = load_settings(
        {
            "ATOM_DATA_DIR": str(root / "data"),
            "ATOM_ARCHIVE_DIR": str(root / "archive"),
            "ATOM_SOURCE": "archive",
        }
    )
    summaries = [backfill(settings, DAYS, log=lambda _: None) for _ in range(2)]  # a rerun too
    return settings, summaries


def test_the_build_passes_every_time(built):
    _, summaries = built
    for summary in summaries:
        assert summary.landed == DAYS and not summary.failed, summary.failed
        # Among the tests: fct_model_lineage's uniqueness, the non-decreasing cumulative series.
        assert summary.dbt_succeeded, summary.dbt_message


def test_one_series_per_id_and_the_old_one_ends(built):
    settings, _ = built
    rows = query(
        settings,
        "select model_uid, snapshot_date::varchar, downloads_all_time, downloads_delta"
        " from fct_model_downloads_daily where model_id = ? order by snapshot_date, model_uid",
        [REPO],
    )
    assert rows == [
        (OLD, DAYS[0], 1_000_000, None),
        (OLD, DAYS[1], 1_100_000, 100_000),
        (OLD, DAYS[2], 1_200_000, 100_000),
        # Day 4 shows both: the re-created repository (later createdAt) wins, the old series stopped.
        (NEW, DAYS[3], 150_000, 150_000),  # created since the previous capture: all its downloads are new
        (NEW, DAYS[4], 400_000, 250_000),
    ]
    dims = query(
        settings,
        "select model_uid, last_snapshot_date::varchar, superseded_by_uid, superseded_on::varchar,"
        " is_mainline from dim_models where model_id = ? order by model_uid",
        [REPO],
    )
    assert dims == [(NEW, DAYS[4], None, None, True), (OLD, DAYS[2], NEW, RECREATED_ON, True)]


def test_the_region_counts_the_repo_once_a_day(built):
    settings, _ = built
    qwen3 = MODELS[QWEN3][2]
    # The repo id's count on each day: the old `_id` through day 3, the new one from day 4 (the old
    # one is neither counted on day 4 nor carried forward; its last count is reported as ended).
    repo = [1_000_000, 1_100_000, 1_200_000, 150_000, 400_000]
    ended = [0, 0, 0, 1_200_000, 1_200_000]
    expected = [(day, repo[i] + qwen3[i], 2, ended[i]) for i, day in enumerate(DAYS)]
    for table in ("agg_downloads_by_region_daily", "metrics_downloads_by_region_daily"):
        rows = query(
            settings,
            f"select snapshot_date::varchar, cumulative_downloads, n_models, ended_cumulative_downloads"
            f" from {table} where region = 'china' order by snapshot_date",
        )
        assert rows == expected, table
    # The day's downloads: the new repository's first snapshot counts whole (created that day).
    downloads = query(
        settings,
        "select downloads from agg_downloads_by_region_daily where region = 'china' and snapshot_date = ?",
        [RECREATED_ON],
    )
    assert downloads == [(150_000 + 100_000,)]
    per_model = query(
        settings,
        "select model_uid, count(*) from metrics_model_downloads_daily where model_id = ?"
        " group by 1 order by 1",
        [REPO],
    )
    assert per_model == [(NEW, 2), (OLD, 3)]  # never both on one day


def test_the_lineage_edge_to_the_repo_id_is_one_row(built):
    settings, _ = built
    edges = query(
        settings,
        "select child_uid, parent_id, parent_uid, relation from fct_model_lineage where parent_id = ?",
        [REPO],
    )
    assert edges == [(SFT, REPO, NEW, "finetune")]
