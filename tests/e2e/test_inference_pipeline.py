"""Inference end to end through Dagster: a hand-written 4-day archive with OpenRouter files.

The Hub pages are those of tests/small_archive.py (models A..G). On top, per day:

  catalogue (openrouter/models.json): d1, d3, d4 (d2 has none: its rankings use d1's catalogue)
  rankings (openrouter/rankings-daily.json), tokens in millions:
                                          hugging_face_id                     d1    d2    d3
    anthropic/claude-4.5-sonnet-20250929  "" (closed)                        400   700  1000
    qwen/qwen-2.5-7b-instruct             Qwen/Qwen2.5-7B-Instruct (A)       300   600  1200
    meta-llama/llama-3.1-8b-instruct      meta-llama/Llama-3.1-8B-Instruct   150   300   400
    meta-llama/llama-3.1-8b-instruct:free   (B, same catalogue entry family)  50   100     -
    thudm/glm-4-9b-chat                   thudm/GLM-4-9b-chat (C, renamed)     25   100   200
    someorg/open-model                    someorg/open-model (not captured)    15    50     -
    retired/old-model                     (not in the catalogue)               10     -     -
    mistralai/mistral-small-3.2-24b-...   mistralai/Mistral-Small-3.2-... (D)   -     -   800
    other                                                                      50   150   400
    day total                                                                1000  2000  4000
  d4 has no rankings (captured without an API key): skipped, no rows, not zeros.

  Shares by category, worked out by hand:
    d1: closed .40, china .325 (A + C), us .20 (B + :free), open_unattributed .015,
        not_in_catalogue .01, other_bucket .05
    d2: closed .35, china .35, us .20, open_unattributed .025, other_bucket .075
    d3: closed .25, china .35, eu .20 (D), us .10, other_bucket .10

  Provider mapping (hub/model_info inferenceProviderMapping): A together live + novita staging
  every day; B groq (d1), groq + cerebras (d4); C none; D none (d3), nebius (d4); G hf-inference.
  d2's model_info objects do not carry the field (captured before it was requested): skipped.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from atom_dagster.settings import load_settings
from tests.inference_archive import CLAUDE, GLM, LLAMA, MISTRAL, QWEN, SKIP_REASON, SOMEORG, M
from tests.small_archive import DAYS, UID, write_small_archive


def write_inference_archive(root: Path) -> Path:
    """The small archive's Hub pages (no new-models listing) with the inference files each day."""
    return write_small_archive(root, new_models=False, inference=True)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory, dbt_manifest):
    from atom_dagster.runner import backfill

    root = tmp_path_factory.mktemp("inference")
    archive = write_inference_archive(root / "archive")
    settings = load_settings(
        {"ATOM_DATA_DIR": str(root / "data"), "ATOM_ARCHIVE_DIR": str(archive), "ATOM_SOURCE": "archive"}
    )
    logs: list[str] = []
    summary = backfill(settings, DAYS, log=logs.append)
    assert summary.failed == {}, summary.failed
    assert summary.dbt_succeeded, summary.dbt_message
    return settings, logs


def query(settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_token_shares_by_region_match_the_hand_computation(pipeline):
    settings, _ = pipeline
    rows = query(
        settings,
        """
        select snapshot_date::varchar, inference_category, total_tokens, round(token_share, 6), n_models
        from agg_inference_share_by_region_daily where total_tokens > 0 order by 1, sort_order""",
    )
    expected = {
        DAYS[0]: [
            ("us", 200, 0.2, 2),
            ("china", 325, 0.325, 2),
            ("open_unattributed", 15, 0.015, 1),
            ("closed", 400, 0.4, 1),
            ("other_bucket", 50, 0.05, 0),
            ("not_in_catalogue", 10, 0.01, 1),
        ],
        DAYS[1]: [
            ("us", 400, 0.2, 2),
            ("china", 700, 0.35, 2),
            ("open_unattributed", 50, 0.025, 1),
            ("closed", 700, 0.35, 1),
            ("other_bucket", 150, 0.075, 0),
        ],
        DAYS[2]: [
            ("us", 400, 0.1, 1),
            ("china", 1400, 0.35, 2),
            ("eu", 800, 0.2, 1),
            ("closed", 1000, 0.25, 1),
            ("other_bucket", 400, 0.1, 0),
        ],
    }
    got: dict[str, list] = {}
    for day, category, tokens, share, n in rows:
        got.setdefault(day, []).append((category, tokens // M, share, n))
    assert got == expected
    # Every category is listed every day (zeros included); the shares of a day sum to 1.
    totals = query(
        settings,
        """select snapshot_date::varchar, count(*), round(sum(token_share), 12),
                                       min(source_attribution)
                                from agg_inference_share_by_region_daily group by 1 order by 1""",
    )
    assert [t[:3] for t in totals] == [(d, 9, 1.0) for d in DAYS[:3]]
    assert totals[0][3] == f"Source: OpenRouter (openrouter.ai/rankings), as of {DAYS[0]}T23:59:59Z."


def test_day_without_rankings_is_no_data_and_the_asset_says_why(pipeline):
    settings, logs = pipeline
    assert query(
        settings, f"select count(*) from fct_inference_tokens_daily where snapshot_date = '{DAYS[3]}'"
    ) == [(0,)]
    assert not (settings.raw_dir / "openrouter_rankings_daily" / f"snapshot_date={DAYS[3]}").exists()
    assert (settings.raw_dir / "openrouter_models" / f"snapshot_date={DAYS[3]}" / "data.parquet").exists()
    line = next(m for m in logs if m.startswith("[4/4]"))
    assert (
        "raw/hub_models" in line
        and f"raw/openrouter_rankings_daily skipped: no openrouter/rankings-daily.json"
        f" (capture: {SKIP_REASON})"
        in line
    )
    # d2: no catalogue captured, and model_info objects without the provider mapping.
    line = next(m for m in logs if m.startswith("[2/4]"))
    assert "raw/openrouter_models skipped" in line and "raw/hub_inference_providers skipped" in line

    from atom_dagster.runner import instance_for

    instance = instance_for(settings)
    key = dg.AssetKey(["raw", "openrouter_rankings_daily"])
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=key, asset_partitions=[DAYS[3]]), limit=1
    ).records
    metadata = records[0].asset_materialization.metadata
    assert metadata["skipped"].value is True and SKIP_REASON in metadata["reason"].value
    check = instance.event_log_storage.get_latest_asset_check_execution_by_key(
        [dg.AssetCheckKey(key, "source_data_available")]
    )[dg.AssetCheckKey(key, "source_data_available")]
    evaluation = check.event.dagster_event.event_specific_data
    assert evaluation.passed is False and evaluation.severity == dg.AssetCheckSeverity.WARN


def test_every_ranked_model_is_mapped_or_says_why(pipeline):
    settings, _ = pipeline
    rows = query(
        settings,
        f"""
        select model_permaslug, mapping_status, hub_model_id, region,
               catalogue_snapshot_date::varchar, open_rank
        from fct_inference_tokens_daily where snapshot_date = '{DAYS[1]}' order by model_permaslug""",
    )
    assert rows == [
        (CLAUDE, "closed_model_no_hf_id", None, None, DAYS[0], None),
        (LLAMA, "mapped", "meta-llama/Llama-3.1-8B-Instruct", "us", DAYS[0], 2),
        (f"{LLAMA}:free", "mapped", "meta-llama/Llama-3.1-8B-Instruct", "us", DAYS[0], 3),
        ("other", "other_bucket", None, None, DAYS[0], None),
        (QWEN, "mapped", "Qwen/Qwen2.5-7B-Instruct", "china", DAYS[0], 1),
        (SOMEORG, "hf_id_not_in_dim_models", None, None, DAYS[0], 5),
        # Listed under its old id with odd case; the Hub model was renamed on d3.
        (GLM, "mapped", "zai-org/glm-4-9b-chat", "china", DAYS[0], 3),
    ]
    assert query(
        settings,
        """select mapping_status from fct_inference_tokens_daily
                               where model_permaslug = 'retired/old-model'""",
    ) == [("not_in_catalogue",)]
    assert query(
        settings,
        f"""select model_uid from fct_inference_tokens_daily
                               where snapshot_date = '{DAYS[2]}' and model_permaslug = '{MISTRAL}'""",
    ) == [(UID["D"],)]


def test_provider_availability_per_model_and_day(pipeline):
    settings, _ = pipeline
    rows = query(
        settings,
        """
        select snapshot_date::varchar, model_id, n_providers_live, providers_live, providers_not_live,
               first_served_date::varchar
        from fct_model_inference_providers_daily order by 1, 2""",
    )
    by_day: dict[str, dict] = {}
    for day, model, n_live, live, not_live, first in rows:
        by_day.setdefault(day, {})[model] = (n_live, live, not_live, first)
    assert DAYS[1] not in by_day  # skipped: no data, not "no providers"
    assert by_day[DAYS[0]]["Qwen/Qwen2.5-7B-Instruct"] == (1, ["together"], ["novita"], DAYS[0])
    assert by_day[DAYS[0]]["THUDM/glm-4-9b-chat"] == (0, [], [], None)
    assert by_day[DAYS[3]]["meta-llama/Llama-3.1-8B-Instruct"] == (2, ["cerebras", "groq"], [], DAYS[0])
    assert by_day[DAYS[2]]["mistralai/Mistral-Small-3.2-24B-Instruct-2506"][0] == 0
    assert by_day[DAYS[3]]["mistralai/Mistral-Small-3.2-24B-Instruct-2506"] == (1, ["nebius"], [], DAYS[3])
    regions = query(
        settings,
        f"""select region, n_models_checked, n_models_served
                                  from agg_inference_providers_by_region_daily
                                  where snapshot_date = '{DAYS[0]}' order by region""",
    )
    assert regions == [("china", 2, 1), ("us", 1, 1)]  # the embedding model G is not mainline


def test_live_capture_without_a_key_lands_the_catalogue_and_skips_rankings(
    tmp_path, monkeypatch, dbt_manifest
):
    import httpx2

    from atom_dagster.assets.raw_tables import RawDataConfig, raw_key
    from atom_dagster.definitions import build_assets
    from atom_dagster.partitions import latest_live_partition
    from atom_dagster.sources import openrouter_live
    from atom_dagster.sources.hub_source import HubSnapshotSource
    from atom_dagster.sources.openrouter_source import OpenRouterSource
    from tests.fixtures.http_replay import Replay, load

    replay = Replay(load("openrouter_catalogue_and_rankings.json"), host="openrouter.ai")
    real = openrouter_live.capture_openrouter_day

    def recorded(*args, **kwargs):
        return real(
            *args, client_factory=lambda: httpx2.Client(transport=httpx2.MockTransport(replay)), **kwargs
        )

    monkeypatch.setattr(openrouter_live, "capture_openrouter_day", recorded)
    raw_day = next(
        a for a in build_assets(load_settings({"ATOM_DATA_DIR": str(tmp_path)})) if a.op.name == "raw_day"
    )
    RAW_OPENROUTER_MODELS = raw_key("openrouter_models")
    RAW_OPENROUTER_RANKINGS = raw_key("openrouter_rankings_daily")
    day = latest_live_partition()
    result = dg.materialize(
        [raw_day],
        selection=[RAW_OPENROUTER_MODELS, RAW_OPENROUTER_RANKINGS],
        partition_key=day,
        resources={
            "openrouter_source": OpenRouterSource(
                mode="live", archive_dir=str(tmp_path / "archive"), api_key=None
            ),
            "hub_source": HubSnapshotSource(archive_dir=str(tmp_path / "archive")),  # not used here
            "raw_data": RawDataConfig(raw_dir=str(tmp_path / "raw")),
        },
        raise_on_error=False,
    )
    assert result.success  # a missing key does not fail the day's run
    assert [r.url.path for r in replay.requests] == ["/api/v1/models"]
    events = {
        e.materialization.asset_key: e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }
    assert events[RAW_OPENROUTER_MODELS]["source"].value == "live"
    assert events[RAW_OPENROUTER_MODELS]["dagster/row_count"].value == 7
    assert events[RAW_OPENROUTER_RANKINGS]["skipped"].value is True
    assert "OPENROUTER_API_KEY is not set" in events[RAW_OPENROUTER_RANKINGS]["reason"].value
    assert not (tmp_path / "raw" / "openrouter_rankings_daily").exists()
    assert (tmp_path / "archive" / day / "openrouter" / "models.json").exists()
