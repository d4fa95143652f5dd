"""Re-landing a day in the middle re-derives what depends on it (issue 11, item 2).

A 5-day archive is backfilled; then day 3 is corrected in the archive (rewritten whole with the
archive writer, so the day stays signed) and only day 3 is backfilled again. The days after it
depend on it -- day 4's delta is the growth since day 3, the running maximum carries day 3's count
forward -- so `fct_model_downloads_daily`'s incremental run recomputes every day from the
earliest changed day (var `min_date`) to the last landed day. The warehouse must then be the one a
full build from scratch over the corrected archive gives, table by table and row by row, and a
large correction (above the later days' counts) must pass the build instead of failing a test
half-way. Landing the days in another order (later days first) gives the same warehouse too.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from atom_dagster.runner import backfill
from atom_dagster.settings import load_settings
from tests.small_archive import hub_model, write_hub_day

DAYS = ["2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05"]
CORRECTED_DAY = DAYS[2]
UID = {k: f"{k.lower() * 4}{i:020x}" for i, k in enumerate("ABDE")}
QWEN = "Qwen/Qwen2.5-7B-Instruct"

# downloadsAllTime per day (None: not listed that day).
SERIES = {
    "A": (QWEN, "2024-09-16T11:55:40.000Z", [1_000_000, 1_100_000, 1_200_000, 1_300_000, 1_400_000]),
    "B": (
        "meta-llama/Llama-3.1-8B-Instruct",
        "2024-07-18T08:56:00.000Z",
        [5_000_000, 5_100_000, 5_150_000, 5_300_000, 5_400_000],
    ),
    "D": (
        "mistralai/Mistral-Small-3.2-24B-Instruct-2506",
        "2026-10-02T08:00:00.000Z",
        [None, 200_000, 210_000, 230_000, 260_000],
    ),
    "E": ("someuser/qwen-sft", "2025-01-10T00:00:00.000Z", [50, 50, 50, 50, 50]),
}


def model(key: str, all_time: int) -> dict:
    model_id, created, _ = SERIES[key]
    obj = hub_model(UID[key], model_id, all_time, created, safetensors=7_615_616_512)
    if key == "E":
        obj["tags"] += [f"base_model:{QWEN}", f"base_model:finetune:{QWEN}"]
        obj["baseModels"] = {"relation": "finetune", "models": [{"id": QWEN}]}
    return obj


def write_day(archive: Path, day: str, corrections: dict[str, int] | None = None) -> None:
    """Write (or rewrite, replacing the old copy) one signed day of the archive."""
    index = DAYS.index(day)
    counts = {key: series[2][index] for key, series in SERIES.items()}
    counts.update(corrections or {})
    page = [model(key, n) for key, n in counts.items() if n is not None]
    write_hub_day(archive, day, page)


def settings_for(root: Path, archive: Path):
    return load_settings(
        {"ATOM_DATA_DIR": str(root), "ATOM_ARCHIVE_DIR": str(archive), "ATOM_SOURCE": "archive"}
    )


def run(settings, days: list[str]) -> None:
    summary = backfill(settings, days, log=lambda _: None)
    assert summary.landed == days and not summary.failed, summary.failed
    assert summary.dbt_succeeded, summary.dbt_message


def warehouse(settings) -> dict[str, list[tuple]]:
    """Every table and view of the warehouse, all rows sorted."""
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        names = con.execute(
            "select table_name from information_schema.tables where table_schema = 'main' order by 1"
        ).fetchall()
        return {name: con.execute(f'select * from "{name}" order by all').fetchall() for (name,) in names}


def assert_same_warehouse(actual: dict, expected: dict) -> None:
    assert sorted(actual) == sorted(expected)
    differing = {}
    for name, rows in expected.items():
        if actual[name] != rows:
            only_actual = [r for r in actual[name] if r not in rows][:3]
            only_expected = [r for r in rows if r not in actual[name]][:3]
            differing[name] = {"incremental only": only_actual, "full build only": only_expected}
    assert not differing, differing


def fact(settings, key: str) -> dict[str, tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        rows = con.execute(
            """select snapshot_date::varchar, downloads_all_time, cumulative_downloads, downloads_delta,
                      is_below_running_max
               from fct_model_downloads_daily where model_uid = ? order by snapshot_date""",
            [UID[key]],
        ).fetchall()
    return {day: rest for day, *rest in rows}


@pytest.fixture(scope="module")
def landed(fast_tmp, dbt_manifest):
    """The 5 days landed and built once; the archive they came from."""
    root = fast_tmp("relanding")
    archive = root / "archive"
    for day in DAYS:
        write_day(archive, day)
    settings = settings_for(root / "data", archive)
    run(settings, DAYS)
    return settings, archive


def test_correcting_a_middle_day_recomputes_the_days_after_it(landed):
    settings, archive = landed
    assert fact(settings, "A")[DAYS[3]][2] == 100_000  # day 4's delta, from the original day 3

    write_day(archive, CORRECTED_DAY, {"A": 1_250_000})
    run(settings, [CORRECTED_DAY])  # only the corrected day is re-landed

    a = fact(settings, "A")
    assert a[DAYS[2]] == [1_250_000, 1_250_000, 150_000, False]
    assert a[DAYS[3]] == [1_300_000, 1_300_000, 50_000, False]  # from the corrected day 3, not 100_000
    assert a[DAYS[4]] == [1_400_000, 1_400_000, 100_000, False]


def test_a_large_correction_passes_and_any_order_gives_the_full_build(landed, fast_tmp):
    settings, archive = landed
    # Day 3 now above every later day: the running maximum of days 4 and 5 is day 3's count.
    write_day(archive, CORRECTED_DAY, {"A": 9_000_000})
    run(settings, [CORRECTED_DAY])  # the build passes: no test fails on a half-updated fact

    a = fact(settings, "A")
    assert a[DAYS[2]] == [9_000_000, 9_000_000, 7_900_000, False]
    assert a[DAYS[3]] == [1_300_000, 9_000_000, 0, True]
    assert a[DAYS[4]] == [1_400_000, 9_000_000, 0, True]

    # The warehouse is the one a full build from scratch over the corrected archive gives.
    full = settings_for(fast_tmp("relanding-full"), archive)
    run(full, DAYS)
    expected = warehouse(full)
    assert_same_warehouse(warehouse(settings), expected)

    # So is the one landed in another order: the later days first, then the earlier ones.
    shuffled = settings_for(fast_tmp("relanding-shuffled"), archive)
    run(shuffled, DAYS[3:])
    run(shuffled, DAYS[:3])
    assert_same_warehouse(warehouse(shuffled), expected)
