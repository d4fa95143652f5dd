"""Sums in the marts cannot overflow (issue 11, item 6, the dbt part).

Two models of one region with `downloadsAllTime` near 2^62: each fits BIGINT, their sum does not.
The landing refuses counters beyond its bound (10^13), so day 2's raw partition is written here
directly, as the landing writes one (stage, promote), bypassing the gate: the marts must hold
whatever the raw tables hold. Days 1 and 3 are landed from the archive by `atom backfill`, whose
dbt build covers day 2 as well. Every sum of counters in marts and metrics is 128-bit (macro
`safe_sum`), so the build passes and the totals are exact.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from atom_dagster.landing import write_audit_publish as wap
from atom_dagster.landing.tables import hub_models
from atom_dagster.runner import backfill
from atom_dagster.settings import load_settings
from tests.small_archive import hub_model, write_hub_day

DAYS = ["2026-10-01", "2026-10-02", "2026-10-03"]
HUGE_DAY = DAYS[1]
QWEN25, QWEN3, LLAMA = (f"{k * 4}{i:020x}" for i, k in enumerate("abc"))
HUGE = {QWEN25: 2**62 + 1, QWEN3: 2**62 + 3}  # each < 2^63 - 1, their sum is not
BIGINT_MAX = 2**63 - 1
QWEN_ORG = "Alibaba Cloud (Qwen team)"

MODELS = {  # _id -> (repo id, createdAt, downloadsAllTime on days 1 and 3)
    QWEN25: ("Qwen/Qwen2.5-7B-Instruct", "2024-09-16T11:55:40.000Z", 1_000_000),
    QWEN3: ("Qwen/Qwen3-8B", "2025-04-29T00:00:00.000Z", 2_000_000),
    LLAMA: ("meta-llama/Llama-3.1-8B-Instruct", "2024-07-18T08:56:00.000Z", 5_000_000),
}


def write_day(archive: Path, day: str) -> None:
    page = []
    for uid, (model_id, created, all_time) in MODELS.items():
        page.append(hub_model(uid, model_id, all_time, created, safetensors=7_615_616_512))
    write_hub_day(archive, day, page)


def land_huge_day(settings, scratch: Path) -> None:
    """Day 2 as the landing writes a partition, with the two counters near 2^62 (gate bypassed)."""
    write_day(scratch, HUGE_DAY)
    report, _ = hub_models.parse_archive_day(scratch / HUGE_DAY)
    rows = [
        {**row, "downloads_all_time": HUGE.get(row["model_uid"], row["downloads_all_time"])}
        for row in report.rows
    ]
    assert sorted(r["downloads_all_time"] for r in rows)[-2:] == sorted(HUGE.values())
    staged = wap.stage(settings.raw_dir, HUGE_DAY, hub_models.to_arrow(rows, "archive"), hub_models.TABLE)
    wap.promote(staged, settings.raw_dir, HUGE_DAY, hub_models.TABLE)


@pytest.fixture(scope="module")
def built(fast_tmp, dbt_manifest):
    root = fast_tmp("overflow")
    settings = load_settings(
        {
            "ATOM_DATA_DIR": str(root / "data"),
            "ATOM_ARCHIVE_DIR": str(root / "archive"),
            "ATOM_SOURCE": "archive",
        }
    )
    for day in (DAYS[0], DAYS[2]):
        write_day(settings.archive_dir, day)
    land_huge_day(settings, root / "scratch")
    summary = backfill(settings, [DAYS[0], DAYS[2]], log=lambda _: None)
    return settings, summary


def query(settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_the_build_passes(built):
    _, summary = built
    assert summary.landed == [DAYS[0], DAYS[2]] and not summary.failed, summary.failed
    assert summary.dbt_succeeded, summary.dbt_message


def test_sums_of_huge_counters_are_exact(built):
    settings, _ = built
    china = sum(HUGE.values())  # running maxima: day 3's lower counts leave them at day 2's
    assert china > BIGINT_MAX
    first_day = MODELS[QWEN25][2] + MODELS[QWEN3][2]
    day2_downloads = china - first_day
    expected = [(DAYS[0], 0, first_day), (DAYS[1], day2_downloads, china), (DAYS[2], 0, china)]
    for table in ("agg_downloads_by_region_daily", "metrics_downloads_by_region_daily"):
        rows = query(
            settings,
            f"select snapshot_date::varchar, downloads, cumulative_downloads from {table}"
            " where region = 'china' order by snapshot_date",
        )
        assert rows == expected, table
    # The other metrics that add counters: by organization and family, per day and per month.
    for grain, where in (
        ("region", "region = 'china'"),
        ("org", f"organization = '{QWEN_ORG}'"),
        ("family", "family = 'Qwen'"),
    ):
        daily = query(
            settings,
            f"select cumulative_downloads from metrics_downloads_by_{grain}_daily where {where} order by 1",
        )
        assert daily == [(first_day,), (china,), (china,)], grain
        monthly = query(
            settings,
            f"select downloads, cumulative_downloads from metrics_downloads_by_{grain}_monthly where {where}",
        )
        assert monthly == [(day2_downloads, china)], grain
    concentration = query(
        settings,
        "select entity_type, total_downloads from metrics_concentration_monthly group by all order by all",
    )
    assert concentration == [("model", day2_downloads), ("organization", day2_downloads)]  # only Qwen grew
    overtake = query(
        settings,
        "select leader_value_at_last_date from metrics_overtake"
        " where scenario = 'all_models' and indicator = 'cumulative'",
    )
    assert overtake == [(china,)]
