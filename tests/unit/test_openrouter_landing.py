"""Parsing and quality rules of the inference raw tables (OpenRouter, Hub provider mapping)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

import pytest

from atom_dagster.landing.parse import RecordError
from atom_dagster.landing.tables import hub_inference_providers as providers
from atom_dagster.landing.tables import openrouter as landing
from atom_dagster.landing.tables.hub_inference_providers import suite as hub_inference_providers_suite
from atom_dagster.landing.tables.openrouter import models_suite as openrouter_models_suite
from atom_dagster.landing.tables.openrouter import rankings_suite as openrouter_rankings_suite
from atom_dagster.quality.gate import validate_frame
from atom_dagster.sources.archive import ArchiveError, ArchiveWriter, sign_day

DAY = "2026-10-02"


def _rankings(rows, day=DAY, meta=True) -> dict:
    body = {"data": [{"date": d, "model_permaslug": s, "total_tokens": t} for d, s, t in rows]}
    if meta:
        body["meta"] = {"as_of": "2026-10-03T02:00:00Z", "start_date": day, "end_date": day, "version": "v1"}
    return body


def test_total_tokens_are_decimal_strings_of_integers():
    repairs = Counter()
    assert landing.parse_total_tokens("12345678901234", repairs) == 12_345_678_901_234
    assert landing.parse_total_tokens(" 42 ", repairs) == 42
    assert landing.parse_total_tokens(7, repairs) == 7 and repairs["total_tokens_json_integer"] == 1
    assert landing.parse_total_tokens("-5", repairs) == -5  # kept: the gate rejects it visibly
    for bad in ("12.5", "1e9", "", None, True, 3.0, "12 345"):
        with pytest.raises(RecordError, match="total_tokens"):
            landing.parse_total_tokens(bad, repairs)
    with pytest.raises(RecordError, match="64-bit"):
        landing.parse_total_tokens(str(2**63), repairs)


def test_rankings_keep_the_day_rank_by_tokens_and_carry_the_attribution():
    body = _rankings(
        [
            (DAY, "b/model", "100"),
            (DAY, "a/model:free", "300"),
            (DAY, "other", "50"),
            ("2026-10-01", "a/model:free", "999"),
            (DAY, "c/model", "100"),
        ]
    )
    parsed = landing.parse_rankings_body(body, "openrouter/rankings-daily.json", DAY)
    assert parsed.rows_outside_day == 1 and not parsed.rejected
    assert [(r["model_permaslug"], r["rank"], r["is_other"]) for r in parsed.rows] == [
        ("a/model:free", 1, False),
        ("b/model", 2, False),
        ("c/model", 3, False),
        ("other", None, True),
    ]
    assert {r["source_attribution"] for r in parsed.rows} == {
        "Source: OpenRouter (openrouter.ai/rankings), as of 2026-10-03T02:00:00Z."
    }
    assert parsed.rows[0]["ranking_date"] == date(2026, 10, 2) and parsed.rows[0]["dataset_version"] == "v1"


def test_unusable_rankings_rows_are_rejected_with_file_position_and_reason():
    body = _rankings([(DAY, "a/m", "10"), (DAY, "", "5"), ("yesterday", "b/m", "1"), (DAY, "c/m", "lots")])
    parsed = landing.parse_rankings_body(body, "openrouter/rankings-daily.json", DAY)
    assert [r["model_permaslug"] for r in parsed.rows] == ["a/m"]
    assert [(r["position"], r["reason"]) for r in parsed.rejected] == [
        (2, "missing `model_permaslug`"),
        (3, "`date` 'yesterday' is not YYYY-MM-DD"),
        (4, "total_tokens must be a decimal integer string, got 'lots'"),
    ]
    with pytest.raises(ArchiveError, match="rankings-daily.json: must be a JSON object with a `data` array"):
        landing.parse_rankings_body([1, 2], "openrouter/rankings-daily.json", DAY)


def test_catalogue_rows_keep_the_hub_join_key_and_collapse_repeated_ids():
    body = {
        "data": [
            {
                "id": "qwen/qwen3-8b",
                "canonical_slug": "qwen/qwen3-8b-04-28",
                "hugging_face_id": "Qwen/Qwen3-8B",
                "created": 1745800000,
                "context_length": "40960",
                "architecture": {
                    "modality": "text->text",
                    "input_modalities": ["text"],
                    "output_modalities": ["text"],
                },
                "pricing": {"prompt": "0.000000035", "completion": 0.000000138},
            },
            {"id": "openai/gpt-5", "hugging_face_id": "", "context_length": 400000},
            {
                "id": "qwen/qwen3-8b",
                "canonical_slug": "qwen/qwen3-8b-04-28",
                "hugging_face_id": "Qwen/Qwen3-8B",
            },
            {"name": "no id"},
        ]
    }
    parsed = landing.parse_models_body(body, "openrouter/models.json")
    rows = {r["model_slug"]: r for r in parsed.rows}
    assert list(rows) == ["openai/gpt-5", "qwen/qwen3-8b"]
    assert parsed.duplicates_collapsed == 1 and len(parsed.rejected) == 1
    assert rows["openai/gpt-5"]["hugging_face_id"] is None  # "" = closed
    assert (
        rows["openai/gpt-5"]["canonical_slug"] == "openai/gpt-5"
        and parsed.repairs["canonical_slug_from_id"] == 1
    )
    qwen = rows["qwen/qwen3-8b"]
    assert qwen["context_length"] == 40960 and parsed.repairs["context_length_string_to_int"] == 1
    assert qwen["pricing_prompt"] == "0.000000035" and qwen["pricing_completion"] == "1.38e-07"
    assert qwen["created_at"].year == 2025 and qwen["output_modalities"] == ["text"]


def _archive_day(tmp_path, files: dict[str, object], manifest: bool = True):
    writer = ArchiveWriter(tmp_path, DAY, source="demo", synthetic=True, fixed_time=f"{DAY}T23:59:00+00:00")
    writer.write_body("hub/models/page-0001.json", b"[]")
    for rel, body in files.items():
        writer.write_body(rel, json.dumps(body).encode(), {"endpoint": rel, "status": 200})
    path = writer.finish(extra={"openrouter": {"rankings": "skipped: no key"}})
    if not manifest:
        (path / "MANIFEST.json").unlink()
    return path


def test_day_manifest_entries_are_verified_and_a_missing_file_is_no_data(tmp_path):
    path = _archive_day(tmp_path, {"openrouter/models.json": {"data": [{"id": "a/b"}]}})
    day = landing.read_openrouter_day(path, DAY)
    assert day.synthetic is True and len(day.models.rows) == 1
    assert day.rankings is None and day.notes == [
        "no openrouter/rankings-daily.json (capture: skipped: no key)"
    ]
    (path / "openrouter" / "models.json").write_text('{"data": []}')
    with pytest.raises(ArchiveError, match="sha256 does not match"):
        landing.read_openrouter_day(path, DAY)


def test_a_day_without_the_folder_is_no_data_and_a_truncated_file_names_itself(tmp_path):
    path = _archive_day(tmp_path, {}, manifest=False)
    day = landing.read_openrouter_day(path, DAY)
    assert (day.models, day.rankings) == (None, None) and "has no openrouter/ folder" in day.notes[0]
    (path / "openrouter").mkdir()
    (path / "openrouter" / "rankings-daily.json").write_text('{"data": [{"date": "2026-10-02", "model_perm')
    sign_day(path)  # assembled by hand: signed as it is, so the JSON error is what fails
    with pytest.raises(ArchiveError, match=r"openrouter/rankings-daily.json: not valid JSON .*truncated"):
        landing.read_openrouter_day(path, DAY)


def _rankings_frame(rows):
    parsed = landing.parse_rankings_body(_rankings(rows), "f", DAY)
    return landing.to_arrow(
        parsed.rows, landing.RAW_OPENROUTER_RANKINGS_SCHEMA, "archive"
    ).to_pandas(), parsed


def test_rankings_gate_passes_clean_data_and_rejects_negative_tokens_with_the_model():
    df, parsed = _rankings_frame([(DAY, "a/m", "10"), (DAY, "other", "5")])
    outcome = validate_frame(df, openrouter_rankings_suite(landing.RANKINGS_COLUMNS), ["model_permaslug"])
    assert outcome.passed, outcome.failures
    df, parsed = _rankings_frame([(DAY, "a/m", "10"), (DAY, "b/m", "-3")])
    outcome = validate_frame(
        df,
        openrouter_rankings_suite(landing.RANKINGS_COLUMNS),
        ["model_permaslug", "total_tokens"],
        parsed.rejected,
    )
    assert not outcome.passed
    failure = next(f for f in outcome.failures if f["column"] == "total_tokens")
    assert failure["expectation"] == "expect_column_values_to_be_between"
    assert failure["examples"] == [{"model_permaslug": "b/m", "total_tokens": -3}]
    assert "NOT promoted" in outcome.describe(DAY)


def test_rankings_gate_fails_on_unreadable_rows_and_duplicates():
    body = _rankings([(DAY, "a/m", "10"), (DAY, "a/m", "11"), (DAY, "b/m", "x")])
    parsed = landing.parse_rankings_body(body, "openrouter/rankings-daily.json", DAY)
    df = landing.to_arrow(parsed.rows, landing.RAW_OPENROUTER_RANKINGS_SCHEMA, "archive").to_pandas()
    outcome = validate_frame(
        df, openrouter_rankings_suite(landing.RANKINGS_COLUMNS), ["model_permaslug"], parsed.rejected
    )
    kinds = [f["expectation"] for f in outcome.failures]
    assert kinds == ["expect_compound_columns_to_be_unique", "records_parse"]
    assert outcome.failures[1]["examples"][0]["position"] == 3


def test_catalogue_gate_refuses_a_collapse_against_the_previous_partition():
    rows = landing.parse_models_body({"data": [{"id": f"a/m{i}"} for i in range(3)]}, "f").rows
    df = landing.to_arrow(rows, landing.RAW_OPENROUTER_MODELS_SCHEMA, "archive").to_pandas()
    assert validate_frame(df, openrouter_models_suite(landing.MODELS_COLUMNS, 4), ["model_slug"]).passed
    outcome = validate_frame(df, openrouter_models_suite(landing.MODELS_COLUMNS, 300), ["model_slug"])
    assert [f["expectation"] for f in outcome.failures] == ["expect_table_row_count_to_be_between"]


# --- Hub inference provider mapping --------------------------------------------------------


def test_provider_mapping_dict_and_list_shapes_give_the_same_rows():
    as_dict = {
        "_id": "u1",
        "id": "Qwen/Qwen3-8B",
        "inferenceProviderMapping": {
            "together": {"status": "live", "providerId": "Qwen/Qwen3-8B-Turbo", "task": "conversational"},
            "novita": {"status": "staging", "providerId": "qwen/qwen3-8b", "task": "conversational"},
        },
    }
    as_list = {
        "_id": "u1",
        "id": "Qwen/Qwen3-8B",
        "inferenceProviderMapping": [
            {
                "provider": "together",
                "status": "live",
                "providerId": "Qwen/Qwen3-8B-Turbo",
                "task": "conversational",
            },
            {
                "provider": "novita",
                "status": "staging",
                "providerId": "qwen/qwen3-8b",
                "task": "conversational",
            },
        ],
    }
    assert providers.provider_rows(as_dict) == providers.provider_rows(as_list)
    assert [r["provider"] for r in providers.provider_rows(as_dict)] == ["novita", "together"]
    assert providers.provider_rows({"_id": "u1"}) is None  # not captured
    assert providers.provider_rows({"_id": "u1", "inferenceProviderMapping": {}}) == []  # captured, none
    with pytest.raises(RecordError):
        providers.provider_rows({"_id": "u1", "inferenceProviderMapping": "together"})


def test_provider_day_distinguishes_no_provider_from_not_captured(tmp_path):
    writer = ArchiveWriter(tmp_path, DAY, source="archive")
    writer.write_jsonl(
        "hub/model_info/a.jsonl",
        [
            {
                "_id": "u1",
                "id": "Qwen/Qwen3-8B",
                "inferenceProviderMapping": {
                    "groq": {"status": "live", "providerId": "qwen/qwen3-8b", "task": "conversational"}
                },
            },
            {"_id": "u2", "id": "Qwen/Qwen3-8B-Base", "inferenceProviderMapping": {}},
            {"_id": "u3", "id": "Qwen/Qwen3-8B-FP8", "childrenModelCount": {"finetune": 1}},
        ],
    )
    parsed, _ = providers.parse_archive_day(writer.finish())
    assert (parsed.models_checked, parsed.models_with_providers, parsed.objects_without_field) == (2, 1, 1)
    assert [(r["model_uid"], r["provider"], r["status"]) for r in parsed.rows] == [
        ("u1", "groq", "live"),
        ("u2", None, None),
    ]
    df = providers.to_arrow(parsed.rows, "archive").to_pandas()
    outcome = validate_frame(df, hub_inference_providers_suite(providers.COLUMNS), ["model_id", "provider"])
    assert outcome.passed, outcome.failures


def test_provider_gate_rejects_a_duplicate_model_provider_pair():
    rows = [{"model_uid": "u1", "model_id": "a/b", "provider": "groq"}] * 2
    df = providers.to_arrow(rows, "archive").to_pandas()
    outcome = validate_frame(df, hub_inference_providers_suite(providers.COLUMNS), ["model_id", "provider"])
    assert [f["expectation"] for f in outcome.failures] == ["expect_compound_columns_to_be_unique"]
