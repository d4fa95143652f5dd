"""The report metrics end to end: the hand-written 4-day archive through Dagster, values by hand.

Mainline models of tests/small_archive.py (cumulative downloads per day d1..d4; '-' = missing;
the Hub's rolling 30-day count is a tenth of the all-time count in that archive):
  A  Qwen/Qwen2.5-7B-Instruct      china  Qwen     7-9B    1_000_000 1_100_000 1_100_000* 1_200_000
  B  meta-llama/Llama-3.1-8B-Instruct us  Llama    7-9B    5_000_000 -         -          5_600_000
  C  zai-org/glm-4-9b-chat          china  GLM      7-9B      300_000   300_500   301_000    301_500
  D  mistralai/Mistral-Small-3.2-24B-Instruct-2506 (created d3)
                                   eu     Mistral  10-50B  -         -           200_000    250_000
  (* A's counter is revised down to 1_050_000 on d3: its running maximum stays 1_100_000.)
Days counted per day: d2 china 100_500; d3 china 500, eu 200_000; d4 china 100_500, eu 50_000,
us 600_000 (B's gap spanned once). Histories are shorter than 30 days, so the trailing-30-day
values are the Hub's rolling counts, except D, created within the window (all its downloads).
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import duckdb
import pytest

from atom_dagster.settings import DBT_PROJECT_DIR, load_settings
from tests.small_archive import DAYS, write_small_archive

D1, D2, D3, D4 = DAYS
A, B = "Qwen/Qwen2.5-7B-Instruct", "meta-llama/Llama-3.1-8B-Instruct"
C, D = "zai-org/glm-4-9b-chat", "mistralai/Mistral-Small-3.2-24B-Instruct-2506"


@pytest.fixture(scope="module")
def settings(tmp_path_factory, dbt_manifest):
    """The archive landed in two partition windows, as a daily schedule would: D1-D2, then D3-D4.

    The second dbt build only processes [D3, D5) into the incremental fact table; every metric is
    rebuilt from the whole fact table, so all the values below must still cover the four days.
    """
    from atom_dagster.runner import backfill

    root = tmp_path_factory.mktemp("metrics")
    archive = write_small_archive(root / "archive")
    settings = load_settings(
        {"ATOM_DATA_DIR": str(root / "data"), "ATOM_ARCHIVE_DIR": str(archive), "ATOM_SOURCE": "archive"}
    )
    for window in (DAYS[:2], DAYS[2:]):
        summary = backfill(settings, window, log=lambda _m: None)
        assert summary.failed == {}, summary.failed
        assert summary.dbt_succeeded, summary.dbt_message
    return settings


def query(settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_dbt_unit_tests_pass_on_the_built_warehouse_and_stay_out_of_daily_builds(settings):
    import subprocess

    import dagster as dg

    from atom_dagster.assets.dbt_models import DBT_STEPS
    from atom_dagster.jobs import BUILD_MARTS_JOB
    from atom_dagster.settings import dbt_executable

    instance = dg.DagsterInstance.from_config(str(settings.dagster_home))
    builds = [
        r.dagster_run.run_id for r in instance.get_run_records() if r.dagster_run.job_name == BUILD_MARTS_JOB
    ]
    assert len(builds) == 2, "one dbt build run per backfill window"
    target = Path(DBT_PROJECT_DIR) / "target"
    for run_id in builds:
        # One dbt process ran in the run, the first dbt step's, for every step's nodes (its run
        # folder kept only run_results.json), without the unit tests: they check SQL, not the data.
        folders = {step.name: sorted(target.glob(f"{step.name}-{run_id[:7]}-*")) for step in DBT_STEPS}
        assert {name: len(found) for name, found in folders.items()} == {
            s.name: int(s == DBT_STEPS[0]) for s in DBT_STEPS
        }
        ran = [
            r["unique_id"]
            for found in folders.values()
            for folder in found
            for r in json.loads((folder / "run_results.json").read_text())["results"]
        ]
        assert ran and not [uid for uid in ran if uid.startswith("unit_test.")]
    # The test suite runs them, with dbt, on the warehouse the build made (their inputs' columns).
    run_target = Path(settings.data_dir) / "dbt_unit_tests"
    done = subprocess.run(
        [
            dbt_executable(),
            "test",
            "--select",
            "test_type:unit",
            "--target-path",
            str(run_target),
            "--vars",
            json.dumps(settings.dbt_vars()),
        ],
        cwd=DBT_PROJECT_DIR,
        env=settings.child_env(),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    results = json.loads((run_target / "run_results.json").read_text())["results"]
    statuses = {r["unique_id"]: r["status"] for r in results}
    manifest = json.loads((target / "manifest.json").read_text())
    assert set(statuses) == set(manifest["unit_tests"]) and len(statuses) >= 20
    assert set(statuses.values()) == {"pass"}


def test_downloads_by_region_daily_carries_gaps_and_shares_the_day(settings):
    rows = query(
        settings,
        """select snapshot_date::varchar, region, downloads, cumulative_downloads, trailing_30d_downloads,
                  n_models, n_models_carried_forward, n_models_trailing_from_hub
           from metrics_downloads_by_region_daily order by 1, 2""",
    )
    assert rows == [
        (D1, "china", 0, 1_300_000, 100_000 + 30_000, 2, 0, 2),
        (D1, "us", 0, 5_000_000, 500_000, 1, 0, 1),
        (D2, "china", 100_500, 1_400_500, 110_000 + 30_050, 2, 0, 2),
        (D2, "us", 0, 5_000_000, 500_000, 1, 1, 1),  # B missing: carried forward
        (D3, "china", 500, 1_401_000, 105_000 + 30_100, 2, 0, 2),
        (D3, "eu", 200_000, 200_000, 200_000, 1, 0, 0),  # D created that day: all since creation
        (D3, "us", 0, 5_000_000, 500_000, 1, 1, 1),
        (D4, "china", 100_500, 1_501_500, 120_000 + 30_150, 2, 0, 2),
        (D4, "eu", 50_000, 250_000, 250_000, 1, 0, 0),
        (D4, "us", 600_000, 5_600_000, 560_000, 1, 0, 1),
    ]
    shares = dict(
        query(
            settings,
            f"""select region, downloads_share from metrics_downloads_by_region_daily
                where snapshot_date = '{D4}'""",
        )
    )
    assert shares == pytest.approx(
        {"china": 100_500 / 750_500, "eu": 50_000 / 750_500, "us": 600_000 / 750_500}
    )
    first_day = query(
        settings,
        f"select downloads_share from metrics_downloads_by_region_daily where snapshot_date = '{D1}'",
    )
    assert first_day == [(None,), (None,)]  # no downloads counted on the first captured day


def test_monthly_series_sum_the_days_and_read_the_last_captured_day(settings):
    rows = query(
        settings,
        """select month::varchar, region, downloads, cumulative_downloads, trailing_30d_downloads, n_models,
                  month_end_date::varchar, n_capture_days
           from metrics_downloads_by_region_monthly order by region""",
    )
    assert rows == [
        ("2026-10-01", "china", 201_500, 1_501_500, 150_150, 2, D4, 4),
        ("2026-10-01", "eu", 250_000, 250_000, 250_000, 1, D4, 4),
        ("2026-10-01", "us", 600_000, 5_600_000, 560_000, 1, D4, 4),
    ]
    families = query(
        settings,
        f"""select family, cumulative_downloads from metrics_downloads_by_family_daily
            where snapshot_date = '{D4}' order by family""",
    )
    assert families == [("GLM", 301_500), ("Llama", 5_600_000), ("Mistral", 250_000), ("Qwen", 1_200_000)]
    orgs = query(
        settings,
        "select organization, downloads from metrics_downloads_by_org_monthly order by downloads desc",
    )
    assert [o[1] for o in orgs] == [600_000, 250_000, 200_000, 1_500]
    assert orgs[0][0] == "Meta"


def test_overtake_china_never_passes_the_us_here_but_would_without_llama(settings):
    rows = {
        (r[0], r[1]): r[2:]
        for r in query(
            settings,
            """select scenario, indicator, removed_leader_family, removed_follower_family,
                      overtake_date::varchar, is_ahead_since_first_date, gap_at_last_date
               from metrics_overtake""",
        )
    }
    assert len(rows) == 16
    assert rows[("all_models", "cumulative")] == (None, None, None, False, 1_501_500 - 5_600_000)
    # The headline indicator: every model here was created after the tracking start, so tracked
    # downloads equal the all-time counts and the finding is the same.
    assert rows[("all_models", "tracked_cumulative")] == rows[("all_models", "cumulative")]
    assert query(settings, "select scenario, indicator from metrics_overtake where is_headline") == [
        ("all_models", "tracked_cumulative")
    ]
    assert rows[("all_models", "trailing_30d")] == (None, None, None, False, 150_150 - 560_000)
    assert rows[("without_leader_top_family", "cumulative")] == (
        "Qwen",
        None,
        None,
        False,
        301_500 - 5_600_000,
    )
    # Without Llama the us side is empty: china is ahead from the first captured day.
    assert rows[("without_follower_top_family", "cumulative_and_trailing_30d")] == (
        None,
        "Llama",
        D1,
        True,
        1_501_500,
    )
    assert rows[("without_both_top_families", "cumulative")] == ("Qwen", "Llama", D1, True, 301_500)


def test_relative_adoption_has_no_score_without_history_and_uses_curated_release_dates(settings):
    rows = query(
        settings,
        """select model_id, release_date::varchar, release_date_source, no_score_reason,
                  count(*), count(score)
           from metrics_relative_adoption group by all order by model_id""",
    )
    # Released long before the 4 captured days (or, for D, too recently): no checkpoint is
    # spanned by the captured history, so there is no score at all, and never a zero.
    assert rows == [
        (A, "2024-09-19", "curated_correction", "history_starts_after_checkpoint", 14, 0),
        (B, "2024-07-23", "curated_correction", "history_starts_after_checkpoint", 14, 0),
        (D, "2026-10-03", "hub_created_at", "checkpoint_not_reached_yet", 14, 0),
        (C, "2024-06-04", "hub_created_at", "history_starts_after_checkpoint", 14, 0),
    ]


def test_top_models_by_size_rank_carried_forward_models(settings):
    rows = query(
        settings,
        f"""select snapshot_date::varchar, size_bucket, rank, model_id, cumulative_downloads,
                   is_carried_forward
            from metrics_top_models_by_size where snapshot_date in ('{D2}', '{D4}') order by 1, 2, 3""",
    )
    assert rows == [
        (D2, "7-9B", 1, B, 5_000_000, True),
        (D2, "7-9B", 2, A, 1_100_000, False),
        (D2, "7-9B", 3, C, 300_500, False),
        (D4, "10-50B", 1, D, 250_000, False),
        (D4, "7-9B", 1, B, 5_600_000, False),
        (D4, "7-9B", 2, A, 1_200_000, False),
        (D4, "7-9B", 3, C, 301_500, False),
    ]


def test_derivatives_by_month_family_and_children_counts(settings):
    derivatives = {
        r[:4]: r[4:]
        for r in query(
            settings,
            """select month::varchar, base_namespace, base_family, relation, n_derivatives,
                      weighted_derivatives
               from metrics_derivatives_monthly""",
        )
    }
    # E (captured, 2025-01) is a fine-tune of A. October's whole-Hub listing (tests/small_archive.py):
    # fine-tunes of A (2+1+2+1) and of G (1 a day), all in the Qwen namespace and family.
    assert derivatives[("2025-01-01", "Qwen", "Qwen", "finetune")] == (1, 1.0)
    assert derivatives[("2026-10-01", "Qwen", "Qwen", "finetune")] == (10, 10.0)
    assert derivatives[("2026-10-01", "meta-llama", "Llama", "adapter")] == (3, 3.0)
    # The Hub's own children counts (model_info, A only) beside what the pipeline captured: E and
    # October's listing (A: 6 fine-tunes + 1 merge + 2 adapters + 3 quantizations; B: 7; G: 4;
    # E: the merge that names it).
    assert query(
        settings,
        """select model_id, children_finetune, children_adapter, children_quantized, children_merge,
                  children_total, captured_finetune, captured_merge, captured_total
           from metrics_derivative_counts_by_base order by model_id""",
    ) == [
        (A, 3, 1, 7, 0, 11, 1 + 6, 1, 1 + 12),
        ("Qwen/Qwen3-Embedding-0.6B", None, None, None, None, None, 4, 0, 4),
        (B, None, None, None, None, None, 3, 0, 7),
        ("someuser/qwen-sft", None, None, None, None, None, 0, 1, 1),
    ]


def test_derivative_shares_count_new_derivatives_of_mainline_bases(settings):
    shares = {
        r[:3]: r[3:]
        for r in query(
            settings,
            """select month::varchar, relation, base, n_derivatives, weighted_derivatives,
                      month_derivatives_of_mainline_bases, n_listing_days
               from metrics_derivative_shares_monthly where breakdown = 'family'""",
        )
    }
    month = "2026-10-01"
    # Derivatives of mainline bases A (Qwen) and B (Llama) only: G is not mainline, models with no
    # base do not count. A: 3 + 2 + 5 + 2 (d3's merge of A and non-mainline E counts whole for A);
    # B: 1 + 2 + 1 + 3. Per relation, A vs B: finetune 6 vs 3, adapter 2 vs 3, quantized 3 vs 1,
    # merge 1 vs 0. The listing covered the archive's 4 days.
    assert shares[(month, "all", "Qwen")] == (12, 12.0, 19.0, 4)
    assert shares[(month, "all", "Llama")] == (7, 7.0, 19.0, 4)
    for relation, qwen, llama in (("finetune", 6, 3), ("adapter", 2, 3), ("quantized", 3, 1)):
        assert shares[(month, relation, "Qwen")][:3] == (qwen, qwen, qwen + llama)
        assert shares[(month, relation, "Llama")][:3] == (llama, llama, qwen + llama)
    assert shares[(month, "merge", "Qwen")] == (1, 1.0, 1.0, 4)
    assert (month, "merge", "Llama") not in shares
    # Before the listing, only captured derivatives: E, a fine-tune of A.
    assert shares[("2025-01-01", "all", "Qwen")] == (1, 1.0, 1.0, 0)
    share = query(
        settings,
        """select share from metrics_derivative_shares_monthly
           where month = '2026-10-01' and relation = 'all' and breakdown = 'family' and base = 'Qwen'""",
    )[0][0]
    assert share == pytest.approx(12 / 19)


def test_concentration_of_the_months_downloads(settings):
    month = {"B": 600_000, "D": 250_000, "A": 200_000, "C": 1_500}  # one model per organization
    total = sum(month.values())
    hhi = sum(Fraction(v, total) ** 2 for v in month.values())
    rows = query(
        settings,
        """select entity_type, top_n, top_n_share, hhi, largest_entity, n_entities, total_downloads
           from metrics_concentration_monthly order by 1, 2""",
    )
    expected_largest = {"model": B, "organization": "Meta"}
    assert [(r[0], r[1]) for r in rows] == [(t, n) for t in ("model", "organization") for n in (1, 5, 10)]
    for entity_type, top_n, share, index, largest, n, downloads in rows:
        assert share == pytest.approx(600_000 / total if top_n == 1 else 1.0)
        assert index == pytest.approx(float(hhi))
        assert (largest, n, downloads) == (expected_largest[entity_type], 4, total)
