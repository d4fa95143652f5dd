"""Parsing rules for Hub model objects (pure functions, no I/O)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import pyarrow as pa
import pytest

from atom_dagster.landing.listing import HUB_MODEL_ROW_SCHEMA, merge_model_info
from atom_dagster.landing.parse import (
    MAX_COUNT,
    ParseReport,
    RecordError,
    ascii_int,
    bound_text,
    children_counts,
    collapse_duplicates,
    extract_lineage,
    is_valid_repo_id,
    json_type,
    latest_plausible_date,
    params_from_name,
    parse_hub_model,
    parse_timestamp,
    show,
    timestamp_from_epoch,
)
from atom_dagster.landing.write_audit_publish import rows_to_batch

UID = "66e7c6d1f1f1f1f1f1f1f1f1"

ROW_KEYS = {
    "model_uid",
    "model_id",
    "author",
    "created_at",
    "last_modified",
    "pipeline_tag",
    "library_name",
    "tags",
    "gated",
    "license",
    "safetensors_total",
    "gguf_total",
    "name_params_b",
    "lineage",
    "downloads_30d",
    "downloads_all_time",
    "likes",
    "children_finetune",
    "children_adapter",
    "children_quantized",
    "children_merge",
    "children_total",
}


def hub_object(**overrides) -> dict:
    """A full ``GET /api/models`` object as the Hub returns it with ``expand``."""
    obj = {
        "_id": UID,
        "id": "Qwen/Qwen2.5-7B-Instruct",
        "author": "Qwen",
        "downloads": 123_456,
        "downloadsAllTime": 9_876_543,
        "likes": 789,
        "createdAt": "2024-09-16T11:55:40.000Z",
        "lastModified": "2025-01-12T02:10:35.000Z",
        "pipeline_tag": "text-generation",
        "library_name": "transformers",
        "tags": [
            "transformers",
            "safetensors",
            "qwen2",
            "text-generation",
            "license:apache-2.0",
            "base_model:finetune:Qwen/Qwen2.5-7B",
            42,  # not a string: dropped
        ],
        "gated": False,
        "cardData": {"license": "other"},
        "safetensors": {"parameters": {"BF16": 7_615_616_512}, "total": 7_615_616_512},
        "childrenModelCount": {"finetune": 10, "adapter": 2, "quantized": 30, "merge": 1},
    }
    obj.update(overrides)
    return obj


def without(obj: dict, *keys: str) -> dict:
    return {k: v for k, v in obj.items() if k not in keys}


# --- parse_hub_model --------------------------------------------------------------------------


def test_full_object_becomes_one_flat_row():
    repairs = Counter()
    row = parse_hub_model(hub_object(), repairs)

    assert set(row) == ROW_KEYS
    assert row["model_uid"] == UID
    assert row["model_id"] == "Qwen/Qwen2.5-7B-Instruct"
    assert row["author"] == "Qwen"
    assert row["created_at"] == datetime(2024, 9, 16, 11, 55, 40, tzinfo=UTC)
    assert row["last_modified"] == datetime(2025, 1, 12, 2, 10, 35, tzinfo=UTC)
    assert row["downloads_30d"] == 123_456
    assert row["downloads_all_time"] == 9_876_543
    assert row["likes"] == 789
    assert row["pipeline_tag"] == "text-generation"
    assert row["library_name"] == "transformers"
    assert row["tags"] == [
        "transformers",
        "safetensors",
        "qwen2",
        "text-generation",
        "license:apache-2.0",
        "base_model:finetune:Qwen/Qwen2.5-7B",
    ]
    assert row["gated"] == "false"
    assert row["license"] == "apache-2.0"  # the tag wins over cardData
    assert row["safetensors_total"] == 7_615_616_512
    assert row["gguf_total"] is None
    assert row["name_params_b"] == 7.0
    assert row["lineage"] == [
        {
            "relation": "finetune",
            "parent_id": "Qwen/Qwen2.5-7B",
            "origin": "tag",
            "parent_valid": True,
            "reject_reason": None,
        }
    ]
    assert row["children_finetune"] == 10
    assert row["children_adapter"] == 2
    assert row["children_quantized"] == 30
    assert row["children_merge"] == 1
    assert row["children_total"] == 43
    assert repairs == Counter()


def test_unknown_extra_fields_are_accepted_and_not_copied():
    obj = hub_object(
        spaces=["a/b"], widgetData=[{"text": "hi"}], siblings=[{"rfilename": "x"}], trendingScore=3
    )
    row = parse_hub_model(obj)
    assert set(row) == ROW_KEYS
    assert row["model_uid"] == UID


def test_not_an_object_is_rejected():
    with pytest.raises(RecordError, match="must be a JSON object, got list"):
        parse_hub_model([hub_object()])


@pytest.mark.parametrize("uid", [None, "", "   ", 12345])
def test_missing_or_blank_uid_is_rejected(uid):
    obj = without(hub_object(), "_id") if uid is None else hub_object(_id=uid)
    with pytest.raises(RecordError, match="missing `_id`"):
        parse_hub_model(obj)


def test_missing_id_is_rejected():
    with pytest.raises(RecordError, match="missing `id`"):
        parse_hub_model(without(hub_object(), "id"))


def test_legacy_model_id_field_is_used_when_id_is_absent():
    row = parse_hub_model(without(hub_object(), "id") | {"modelId": "Qwen/Qwen2.5-0.5B"})
    assert row["model_id"] == "Qwen/Qwen2.5-0.5B"
    assert row["name_params_b"] == 0.5


@pytest.mark.parametrize(
    "bad_id", ["org/na me", "org/..x", "org/x..y", "org/-x", "org/x.", "a/b/c", "/x", "org/", "org/naïve"]
)
def test_ids_the_hub_never_allows_are_rejected(bad_id):
    with pytest.raises(RecordError, match="has characters the Hub never allows") as info:
        parse_hub_model(hub_object(id=bad_id))
    assert repr(bad_id) in str(info.value)


def test_legacy_bare_id_is_accepted_without_author():
    repairs = Counter()
    row = parse_hub_model(without(hub_object(id="gpt2"), "author"), repairs)
    assert row["model_id"] == "gpt2"
    assert row["author"] is None
    assert repairs == Counter({"author_missing": 1})
    assert row["name_params_b"] is None


def test_missing_author_is_taken_from_the_id_and_counted():
    repairs = Counter()
    row = parse_hub_model(without(hub_object(id="meta-llama/Llama-3.1-8B"), "author"), repairs)
    assert row["author"] == "meta-llama"
    assert repairs["author_from_id"] == 1

    row = parse_hub_model(hub_object(id="google/gemma-3-27b-it", author=""), repairs)
    assert row["author"] == "google"
    assert repairs["author_from_id"] == 2


def test_numeric_string_count_is_repaired_and_counted():
    repairs = Counter()
    row = parse_hub_model(hub_object(downloads=" 1234 ", downloadsAllTime="98765"), repairs)
    assert row["downloads_30d"] == 1234
    assert row["downloads_all_time"] == 98765
    assert isinstance(row["downloads_30d"], int)
    assert repairs == Counter({"downloads_string_to_int": 1, "downloadsAllTime_string_to_int": 1})


def test_integral_float_count_is_repaired_and_counted():
    repairs = Counter()
    row = parse_hub_model(hub_object(downloads=12.0, likes=3.0), repairs)
    assert row["downloads_30d"] == 12
    assert type(row["downloads_30d"]) is int
    assert row["likes"] == 3
    assert repairs == Counter({"downloads_float_to_int": 1, "likes_float_to_int": 1})


@pytest.mark.parametrize("value", ["12k", "", "1.5", 12.5, True, False, [1], {"n": 1}])
def test_unusable_count_is_rejected(value):
    with pytest.raises(RecordError, match="downloads must be an integer"):
        parse_hub_model(hub_object(downloads=value))


def test_negative_counts_are_kept_as_read():
    repairs = Counter()
    row = parse_hub_model(hub_object(downloads=-5, downloadsAllTime="-7", likes=-1), repairs)
    assert (row["downloads_30d"], row["downloads_all_time"], row["likes"]) == (-5, -7, -1)
    assert repairs == Counter({"downloadsAllTime_string_to_int": 1})


def test_missing_counts_are_null():
    row = parse_hub_model(without(hub_object(), "downloads", "downloadsAllTime", "likes"))
    assert (row["downloads_30d"], row["downloads_all_time"], row["likes"]) == (None, None, None)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-09-16T11:55:40.000Z", datetime(2024, 9, 16, 11, 55, 40, tzinfo=UTC)),
        ("2024-09-16T11:55:40Z", datetime(2024, 9, 16, 11, 55, 40, tzinfo=UTC)),
        ("2024-09-16T11:55:40", datetime(2024, 9, 16, 11, 55, 40, tzinfo=UTC)),  # naive -> UTC
        ("2024-09-16T13:55:40+02:00", datetime(2024, 9, 16, 11, 55, 40, tzinfo=UTC)),
        (None, None),
        ("", None),
    ],
)
def test_timestamps(raw, expected):
    parsed = parse_timestamp(raw)
    assert parsed == expected
    if parsed is not None:
        assert parsed.utcoffset().total_seconds() == 0
    row = parse_hub_model(hub_object(createdAt=raw))
    assert row["created_at"] == expected


@pytest.mark.parametrize("raw", ["yesterday", "2024-13-01T00:00:00Z", 1726487740])
def test_bad_timestamps_are_rejected(raw):
    with pytest.raises(RecordError, match="timestamp"):
        parse_hub_model(hub_object(lastModified=raw))


def test_license_from_card_data_when_no_license_tag():
    row = parse_hub_model(hub_object(tags=["transformers"], cardData={"license": "llama3.1"}))
    assert row["license"] == "llama3.1"


def test_license_missing_everywhere_is_null():
    row = parse_hub_model(hub_object(tags=["transformers"], cardData={"license": ["mit", "apache-2.0"]}))
    assert row["license"] is None
    assert parse_hub_model(without(hub_object(tags=[]), "cardData"))["license"] is None


@pytest.mark.parametrize(
    ("gated", "expected"),
    [
        (False, "false"),
        ("false", "false"),
        (None, None),
        ("auto", "auto"),
        ("manual", "manual"),
        (True, "true"),
    ],
)
def test_gated_values(gated, expected):
    assert parse_hub_model(hub_object(gated=gated))["gated"] == expected


def test_missing_gated_is_unknown_not_false():
    # hub-stats files have no `gated`: an absent field is null, never a default of "false".
    assert parse_hub_model(without(hub_object(), "gated"))["gated"] is None


def test_safetensors_and_gguf_totals():
    row = parse_hub_model(
        hub_object(
            safetensors={"parameters": {"BF16": 1000, "F32": 24}, "total": 1024},
            gguf={"total": 8_030_261_248.0, "architecture": "llama", "context_length": 131072},
        )
    )
    assert row["safetensors_total"] == 1024
    assert row["gguf_total"] == 8_030_261_248
    assert type(row["gguf_total"]) is int


@pytest.mark.parametrize("section", [None, {}, {"parameters": {"BF16": 5}}, {"total": None}])
def test_absent_param_totals_are_null(section):
    row = parse_hub_model(hub_object(safetensors=section, gguf=section))
    assert row["safetensors_total"] is None
    assert row["gguf_total"] is None


@pytest.mark.parametrize(
    ("section", "rule"),
    [
        ("7B", "`safetensors` must be an object, got a string"),
        (7, "`safetensors` must be an object, got a number"),
        ([{"total": 7}], "`safetensors` must be an object, got an array"),
        ({"total": "7B"}, "`safetensors.total` must be a number, got a string '7B'"),
        ({"total": True}, "`safetensors.total` must be a number"),
        ({"total": float("nan")}, "`safetensors.total` is nan, not a parameter count"),
        ({"total": float("inf")}, "`safetensors.total` is inf, not a parameter count"),
        ({"total": 7.5}, "`safetensors.total` is 7.5, not a parameter count"),
        ({"total": -1}, "`safetensors.total` -1 is outside 0 .. 10^15 parameters"),
        ({"total": 2**63}, f"`safetensors.total` {2**63} is outside 0 .. 10^15 parameters"),
    ],
)
def test_unusable_param_totals_are_rejected(section, rule):
    with pytest.raises(RecordError) as info:
        parse_hub_model(hub_object(safetensors=section))
    assert rule in str(info.value)
    with pytest.raises(RecordError, match="`gguf"):
        parse_hub_model(hub_object(gguf=section))


def test_non_string_pipeline_and_library_are_null():
    row = parse_hub_model(hub_object(pipeline_tag=["text-generation"], library_name=None))
    assert row["pipeline_tag"] is None
    assert row["library_name"] is None


# --- extract_lineage --------------------------------------------------------------------------


def _edge(relation, parent, origin, reason=None):
    return {
        "relation": relation,
        "parent_id": parent,
        "origin": origin,
        "parent_valid": reason is None,
        "reject_reason": reason,
    }


def test_lineage_merges_base_models_and_tags_without_duplicates():
    obj = {
        "baseModels": {
            "relation": "quantized",
            "models": [{"id": "Qwen/Qwen2.5-7B-Instruct", "_id": "x"}, "Qwen/Qwen2.5-7B"],
        },
        "tags": [
            "base_model:quantized:Qwen/Qwen2.5-7B-Instruct",  # same edge as baseModels
            "base_model:quantized:Qwen/Qwen2.5-7B-Instruct",  # repeated tag
            "base_model:finetune:Qwen/Qwen2.5-7B",
            "base_model:Qwen/Qwen2.5-7B-Instruct",  # plain tag, no relation: ignored
            "base_model:distill:Qwen/Qwen2.5-7B",  # relation not part of the model tree: ignored
            "license:apache-2.0",
        ],
    }
    assert extract_lineage(obj) == [
        _edge("finetune", "Qwen/Qwen2.5-7B", "tag"),
        _edge("quantized", "Qwen/Qwen2.5-7B", "baseModels"),
        _edge("quantized", "Qwen/Qwen2.5-7B-Instruct", "baseModels"),
    ]


def test_plain_base_model_tag_alone_gives_no_edge():
    assert extract_lineage({"tags": ["base_model:Qwen/Qwen2.5-7B", "base_model:gpt2"]}) == []
    assert extract_lineage({}) == []
    assert extract_lineage({"baseModels": None, "tags": None}) == []


LOCAL = "parent is a local path or URL, not a Hub id"


@pytest.mark.parametrize(
    ("parent", "reason"),
    [
        ("/home/u/ckpt", LOCAL),
        ("./x", LOCAL),
        ("~/x", LOCAL),
        ("../ckpt", LOCAL),
        ("C:\\models\\ckpt", LOCAL),
        ("https://huggingface.co/Qwen/Qwen2.5-7B", LOCAL),
        ("", "empty parent id"),
        ("   ", "empty parent id"),
        ("org/na me", "parent has characters the Hub does not allow"),
        ("org/..x", "parent has characters the Hub does not allow"),
    ],
)
def test_malformed_parent_in_tag_is_kept_and_flagged(parent, reason):
    edges = extract_lineage({"tags": [f"base_model:finetune:{parent}"]})
    assert edges == [_edge("finetune", parent, "tag", reason)]


def test_malformed_parent_in_base_models_is_kept_and_flagged():
    obj = {"baseModels": {"relation": "merge", "models": [{"id": None}, {"id": "/tmp/merged"}, {}]}}
    assert extract_lineage(obj) == [
        _edge("merge", "", "baseModels", "empty parent id"),
        _edge("merge", "/tmp/merged", "baseModels", LOCAL),
    ]


def test_unknown_relation_in_base_models_is_flagged():
    edges = extract_lineage({"baseModels": {"relation": "distillation", "models": [{"id": "Qwen/Qwen3-8B"}]}})
    assert edges == [_edge("distillation", "Qwen/Qwen3-8B", "baseModels", "unknown relation 'distillation'")]


def test_missing_relation_in_base_models_is_unknown():
    edges = extract_lineage({"baseModels": {"models": [{"id": "Qwen/Qwen3-8B"}]}})
    assert edges == [_edge("unknown", "Qwen/Qwen3-8B", "baseModels", "unknown relation 'unknown'")]


# --- children_counts --------------------------------------------------------------------------


def test_children_counts_from_dict_fills_missing_relations_with_zero():
    assert children_counts({"finetune": 4, "quantized": 2.0}) == {
        "children_finetune": 4,
        "children_adapter": 0,
        "children_quantized": 2,
        "children_merge": 0,
        "children_total": 6,
    }


def test_children_counts_from_empty_dict_is_all_zero():
    assert children_counts({}) == {
        "children_finetune": 0,
        "children_adapter": 0,
        "children_quantized": 0,
        "children_merge": 0,
        "children_total": 0,
    }


def test_children_counts_from_int_is_a_total_only():
    assert children_counts(17) == {
        "children_finetune": None,
        "children_adapter": None,
        "children_quantized": None,
        "children_merge": None,
        "children_total": 17,
    }


@pytest.mark.parametrize("value", [None, "17", True, [1, 2]])
def test_children_counts_unknown_shapes_are_all_null(value):
    assert set(children_counts(value).values()) == {None}
    assert len(children_counts(value)) == 5


# --- collapse_duplicates ----------------------------------------------------------------------


def _row(uid, all_time, model_id="org/m", last_modified="2025-01-01T00:00:00Z"):
    return parse_hub_model(
        hub_object(_id=uid, id=model_id, downloadsAllTime=all_time, lastModified=last_modified)
    )


def test_identical_copies_collapse_without_conflict():
    report = ParseReport()
    rows = collapse_duplicates([_row("b", 10), _row("a", 5), _row("b", 10)], report)
    assert [r["model_uid"] for r in rows] == ["a", "b"]
    assert report.duplicates_collapsed == 1
    assert report.duplicate_conflicts == 0


@pytest.mark.parametrize("order", [(100, 200), (200, 100)])
def test_conflicting_copies_keep_the_higher_all_time_counter(order):
    report = ParseReport()
    rows = collapse_duplicates([_row("u", order[0]), _row("u", order[1])], report)
    assert len(rows) == 1
    assert rows[0]["downloads_all_time"] == 200
    assert report.duplicates_collapsed == 1
    assert report.duplicate_conflicts == 1


def test_equal_counters_keep_the_latest_edit():
    report = ParseReport()
    rows = collapse_duplicates(
        [
            _row("u", 50, model_id="THUDM/glm-4-9b-chat", last_modified="2025-01-02T00:00:00Z"),
            _row("u", 50, model_id="zai-org/glm-4-9b-chat", last_modified="2025-03-01T00:00:00Z"),
            _row("u", 50, model_id="THUDM/glm-4-9b-chat", last_modified="2025-01-02T00:00:00Z"),
        ],
        report,
    )
    assert [r["model_id"] for r in rows] == ["zai-org/glm-4-9b-chat"]
    assert report.duplicates_collapsed == 2
    assert report.duplicate_conflicts == 2


def test_collapse_output_is_sorted_by_uid():
    report = ParseReport()
    rows = collapse_duplicates([_row(u, 1) for u in ["c", "a", "d", "b"]], report)
    assert [r["model_uid"] for r in rows] == ["a", "b", "c", "d"]
    assert report.duplicates_collapsed == 0


# --- merge_model_info -------------------------------------------------------------------------


def _merged(rows: list[dict], infos: dict[str, dict]) -> list[dict]:
    table = pa.Table.from_batches([rows_to_batch(rows, HUB_MODEL_ROW_SCHEMA)])
    return merge_model_info(table, infos).to_pylist()


def test_merge_model_info_fills_children_by_uid():
    rows = [
        parse_hub_model(without(hub_object(_id="a", id="org/a"), "childrenModelCount")),
        parse_hub_model(without(hub_object(_id="b", id="org/b"), "childrenModelCount")),
    ]
    assert rows[0]["children_total"] is None
    rows = _merged(rows, {"a": {"_id": "a", "childrenModelCount": {"adapter": 3, "merge": 2}}})
    assert (rows[0]["children_adapter"], rows[0]["children_merge"], rows[0]["children_finetune"]) == (3, 2, 0)
    assert rows[0]["children_total"] == 5
    assert rows[1]["children_total"] is None
    assert rows[1]["children_adapter"] is None


def test_merge_model_info_keyed_by_uid_not_repo_id():
    rows = [parse_hub_model(hub_object(_id="a", id="zai-org/glm-4-9b-chat", childrenModelCount=None))]
    rows = _merged(rows, {"THUDM/glm-4-9b-chat": {"childrenModelCount": {"finetune": 9}}})
    assert rows[0]["children_total"] is None


# --- params_from_name -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model_id", "expected"),
    [
        ("Qwen/Qwen2.5-7B-Instruct", 7),
        ("Qwen/Qwen2.5-0.5B", 0.5),
        ("mistralai/Mixtral-8x7B-v0.1", 56),
        ("mistralai/Mixtral-8x22B-v0.1", 176),
        ("Qwen/Qwen3-30B-A3B", 30),
        ("Qwen/Qwen3-235B-A22B-FP8", 235),
        ("HuggingFaceTB/SmolLM2-135M", 0.135),
        ("HuggingFaceTB/SmolLM2-1.7B", 1.7),
        ("google/gemma-3-27b-it", 27),
        ("deepseek-ai/DeepSeek-R1", None),
        ("microsoft/phi-4", None),
        ("meta-llama/Llama-3.1-8B", 8),
        ("google/gemma-3-270m", 0.27),
        ("openai/gpt-oss-120b", 120),
        ("Qwen/Qwen3-Next-80B-A3B-Instruct", 80),
        ("nvidia/Llama-3_3-Nemotron-Super-49B-v1", 49),
        ("THUDM/glm-4-9b-chat-1m", 9),  # the largest size wins over a context length
        ("deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", 1.5),
        ("gpt2", None),
    ],
)
def test_params_from_name(model_id, expected):
    got = params_from_name(model_id)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected)


@pytest.mark.parametrize("model_id", ["stabilityai/stablelm-2-1_6b", "stabilityai/stablelm-2-zephyr-1_6b"])
def test_params_from_name_underscore_decimal(model_id):
    assert params_from_name(model_id) == pytest.approx(1.6)


# --- bounds and shapes (issue 11 item 6: every bad value is a rejection, never a traceback) ----


def _rejected(**overrides) -> str:
    with pytest.raises(RecordError) as info:
        parse_hub_model(hub_object(**overrides))
    return str(info.value)


@pytest.mark.parametrize("field", ["downloads", "downloadsAllTime", "likes"])
@pytest.mark.parametrize("value", [2**63, 2**62, -(2**63) - 5, 10**13 + 1, 1e20, "9223372036854775808"])
def test_counts_beyond_the_bound_are_rejected(field, value):
    assert f"{field} " in _rejected(**{field: value})
    assert "beyond the bound of 10^13" in _rejected(**{field: value})


def test_counts_at_the_bound_are_kept():
    row = parse_hub_model(hub_object(downloadsAllTime=MAX_COUNT, likes=-MAX_COUNT))
    assert (row["downloads_all_time"], row["likes"]) == (MAX_COUNT, -MAX_COUNT)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_counts_are_rejected(value):
    assert "downloads must be an integer" in _rejected(downloads=value)


@pytest.mark.parametrize("value", ["１２３", "١٢٣", "-１", "१२३"])
def test_non_ascii_digits_are_rejected(value):
    assert value.strip().lstrip("-").isdigit()  # what str.isdigit() (and int()) would accept
    assert "digits other than ASCII 0-9" in _rejected(downloads=value)


def test_a_count_string_of_thousands_of_digits_is_rejected_not_a_traceback():
    # int() raises ValueError beyond 4300 digits; the rule refuses it first.
    assert "more digits than any count can have" in _rejected(downloadsAllTime="9" * 5000)


def test_ascii_int():
    assert ascii_int("x", " 0042 ") == 42
    assert ascii_int("x", "-7") == -7
    assert ascii_int("x", "1.5") is None
    assert ascii_int("x", "") is None
    with pytest.raises(RecordError, match="ASCII"):
        ascii_int("x", "４２")


@pytest.mark.parametrize(
    "raw",
    [
        "1900-01-01T00:00:00.000Z",
        "1999-12-31T23:59:59Z",
        "9999-12-31T00:00:00.000Z",
        "0001-01-01T00:00:00+01:00",  # out of range once moved to UTC
    ],
)
@pytest.mark.parametrize("field", ["createdAt", "lastModified"])
def test_timestamps_outside_2000_to_tomorrow_are_rejected(raw, field):
    message = _rejected(**{field: raw})
    assert f"`{field}` timestamp" in message
    assert "outside 2000-01-01 .. " in message or "out of range" in message


def test_timestamp_bounds_are_2000_and_tomorrow():
    today = date(2026, 10, 2)
    assert parse_timestamp("2000-01-01T00:00:00Z", today=today) == datetime(2000, 1, 1, tzinfo=UTC)
    assert parse_timestamp("2026-10-03T23:59:59Z", today=today).day == 3
    with pytest.raises(RecordError, match=r"outside 2000-01-01 \.\. 2026-10-03"):
        parse_timestamp("2026-10-04T00:00:00Z", today=today)
    assert latest_plausible_date(today) == date(2026, 10, 3)


def test_timestamp_from_epoch():
    assert timestamp_from_epoch(1745800000, "created").year == 2025
    for bad in (0, -1e12, 1e300, float("nan"), float("inf")):
        with pytest.raises(RecordError, match="`created`"):
            timestamp_from_epoch(bad, "created")


@pytest.mark.parametrize("model_id", ["someuser/qwen-sft\n", "someuser/qwen-sft\r\n", "\nsomeuser/qwen-sft"])
def test_an_id_must_match_the_grammar_in_full(model_id):
    assert not is_valid_repo_id(model_id)
    assert "has characters the Hub never allows" in _rejected(id=model_id)


def test_id_parts_are_at_most_96_characters():
    assert is_valid_repo_id("o" * 96 + "/" + "n" * 96)
    assert is_valid_repo_id("n" * 96)
    for too_long in ("o" * 97 + "/name", "org/" + "n" * 97, "n" * 10_000):
        message = _rejected(id=too_long)
        assert "has a name longer than the Hub allows (at most 96 characters: namespace/name)" in message
        assert len(message) < 300  # the value is quoted cut, not in full


def test_a_long_parent_is_flagged_not_loaded_as_valid():
    [edge] = extract_lineage({"tags": ["base_model:finetune:org/" + "n" * 200]})
    assert edge["parent_valid"] is False
    assert (
        edge["reject_reason"]
        == "parent id has a name longer than the Hub allows (at most 96 characters: namespace/name)"
    )


@pytest.mark.parametrize("uid", ["a" * 257, "66e7c6d1f1f1f1f1f1f1f1f1\n", "66e7 c6d1", "ｕｉｄ"])
def test_uids_must_be_short_visible_ascii(uid):
    assert "`_id`" in _rejected(_id=uid)
    assert "is not 1 to 256 visible ASCII characters" in _rejected(_id=uid)


def test_history_surrogate_uids_are_accepted():
    assert parse_hub_model(hub_object(_id="id:Qwen/Qwen2.5-7B-Instruct"))["model_uid"].startswith("id:")


@pytest.mark.parametrize(
    ("tags", "rule"),
    [
        ("transformers", "`tags` must be an array of strings, got a string 'transformers'"),
        (5, "`tags` must be an array of strings, got a number"),
        ({"license:mit": 1}, "`tags` must be an array of strings, got an object"),
    ],
)
def test_tags_of_the_wrong_type_are_rejected(tags, rule):
    assert rule in _rejected(tags=tags)


@pytest.mark.parametrize(
    ("base", "rule"),
    [
        ("Qwen/Qwen2.5-7B", "`baseModels` must be an object, got a string"),
        ([{"id": "Qwen/Qwen2.5-7B"}], "`baseModels` must be an object, got an array"),
        (
            {"relation": "finetune", "models": "Qwen/Qwen2.5-7B"},
            "`baseModels.models` must be an array of models, got a string 'Qwen/Qwen2.5-7B'",
        ),
        (
            {"relation": "finetune", "models": 5},
            "`baseModels.models` must be an array of models, got a number",
        ),
        ({"relation": "finetune", "models": {"id": "a/b"}}, "`baseModels.models` must be an array"),
        ({"relation": "finetune", "models": [["a/b"]]}, "`baseModels.models[0]` must be a model object"),
        ({"relation": "finetune", "models": [{"id": 5}]}, "`baseModels.models[0].id` must be a model object"),
        ({"relation": ["finetune"], "models": []}, "`baseModels.relation` must be a string, got an array"),
    ],
)
def test_base_models_of_the_wrong_type_are_rejected(base, rule):
    assert rule in _rejected(baseModels=base)


def test_a_base_models_string_is_never_read_one_parent_per_character():
    with pytest.raises(RecordError):
        extract_lineage({"baseModels": {"relation": "finetune", "models": "gpt2"}})


@pytest.mark.parametrize("gated", [["manual"], {"mode": "auto"}, 1])
def test_gated_of_the_wrong_type_is_rejected(gated):
    assert "`gated` must be false, true" in _rejected(gated=gated)


def test_deeply_nested_values_are_rejected_with_a_short_message():
    nested: list = []
    for _ in range(500):
        nested = [nested]
    for overrides in ({"baseModels": {"models": nested}}, {"tags": {"x": nested}}, {"downloads": nested}):
        message = _rejected(**overrides)
        assert len(message) < 200, message


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ({"finetune": float("nan")}, "childrenModelCount.finetune is nan, not a count"),
        ({"merge": 2**63}, "childrenModelCount.merge 9223372036854775808 is beyond the bound of 10^13"),
        ({"adapter": -1}, "childrenModelCount.adapter is negative (-1)"),
        (
            {"finetune": 10**13, "other": 10**13},
            "childrenModelCount total 20000000000000 is beyond the bound",
        ),
        (float("inf"), "childrenModelCount is inf, not a count"),
        (2**63, "childrenModelCount 9223372036854775808 is beyond the bound"),
    ],
)
def test_children_counts_that_are_not_counts_are_rejected(value, rule):
    with pytest.raises(RecordError) as info:
        children_counts(value)
    assert rule in str(info.value)
    assert rule in _rejected(childrenModelCount=value)


def test_show_quotes_values_on_one_short_line():
    assert show("x" * 10_000).endswith("(10000 characters)")
    assert len(show("x" * 10_000)) < 100
    assert show("org/name\n") == "'org/name\\n'"
    assert json_type([]) == "an array" and json_type(None) == "null" and json_type(1.5) == "a number"
    assert bound_text(10**13) == "10^13"
