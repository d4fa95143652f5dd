"""Bad values through the real pipeline: each one fails the blocking check, never a traceback.

Issue 11, item 6. Each case is one archived day written through :class:`ArchiveWriter` (so its
MANIFEST.json signs the files as they are: the case exercises the value rule, not the signature
check), holding the good small-archive day (``tests/small_archive.py``'s first day) with one bad
value in it. Every case day first gets the good version of the day landed; then the bad version
replaces it in the archive and the Hub raw tables are materialized through Dagster, one run per day,
on the runner's instance and resources. Each run must fail with the blocking check
``raw_partition_valid`` of ``raw/hub_models`` evaluated and failed, its message naming the file, the
record and the rule (no Python exception as the cause), and the day's earlier partition must stay
byte-identical.

The rules and their bounds are documented in ``atom_dagster/landing/parse.py`` (counts within
10^13, ASCII digits, dates in 2000-01-01 .. tomorrow, ids matching the Hub's grammar in full with
at most 96 characters per name, typed fields) and ``atom_dagster/quality/gate.py`` (row growth).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.events import DagsterEventType

from atom_dagster.assets.raw_tables import CHECK_NAME, raw_key
from atom_dagster.landing import write_audit_publish as wap
from atom_dagster.landing.tables import hub_models
from atom_dagster.settings import load_settings
from atom_dagster.sources.archive import ArchiveWriter
from tests.small_archive import UID, models_for

BASE_DAY = "2026-10-01"
RAW_HUB_MODELS = raw_key(hub_models.TABLE)
HUB_TABLES = [RAW_HUB_MODELS, raw_key("hub_inference_providers")]
E = "someuser/qwen-sft"  # first model of page 2 (record 1); no safetensors, no baseModels
E_RECORD = f"hub/models/page-0002.json record 1 ({E})"
PAGE_2_RECORD_1 = "hub/models/page-0002.json record 1"
# What a crash looks like in a message: a traceback, or an exception class named as the cause.
CRASH = re.compile(
    r"Traceback|File \"|Error occurred while executing|\b[A-Z]\w*(?:Error|Exception|Invalid|Overflow)\b"
)

Pages = tuple[list[dict], list[dict], list[dict]]  # (page 1, page 2, model_info objects)


def _nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def _set(key: str, value) -> Callable[[Pages], None]:
    """Set ``key`` of E (page 2, record 1)."""
    return lambda pages: pages[1][0].__setitem__(key, value)


def _page_1_position(uid: str) -> Callable[[list[dict]], int]:
    return lambda first: 1 + next(i for i, m in enumerate(first) if m["_id"] == uid)


def _two_counters_near_2_62(pages: Pages) -> None:
    first, third, _ = pages
    third[0]["downloadsAllTime"] = 2**62
    next(m for m in first if m["_id"] == UID["G"])["downloadsAllTime"] = 2**62 + 1


def _children_nan(pages: Pages) -> None:
    pages[2][0]["childrenModelCount"] = {"finetune": float("nan"), "adapter": 1}


def _grow_tenfold(pages: Pages) -> None:
    # 6 models the day before: the ceiling is 10 * 6 + 1000 = 1060; this day has 6 + 1100.
    template = pages[1][0]
    pages[1].extend(
        {**template, "_id": f"grow{i:020x}", "id": f"someuser/grown-{i}", "tags": []} for i in range(1100)
    )


@dataclass(frozen=True)
class Case:
    name: str
    edit: Callable[[Pages], None]
    expect: list[str]  # strings the failure message contains: file and record, then the rule
    extra: dict[str, bytes] = field(default_factory=dict)  # more files of the day (raw bodies)


CASES: list[Case] = [
    # --- counters beyond the bound (10^13) ---------------------------------------------------
    Case(
        "downloads_2_63",
        _set("downloads", 2**63),
        [E_RECORD, "downloads 9223372036854775808 is beyond the bound of 10^13"],
    ),
    Case(
        "downloadsAllTime_1e20",
        _set("downloadsAllTime", 1e20),
        [E_RECORD, "downloadsAllTime 100000000000000000000 is beyond the bound of 10^13"],
    ),
    Case("likes_2_63", _set("likes", 2**63), [E_RECORD, "likes 9223372036854775808 is beyond the bound"]),
    Case(
        "two_counters_near_2_62",
        _two_counters_near_2_62,
        [
            E_RECORD,
            f"downloadsAllTime {2**62} is beyond the bound of 10^13",
            "Qwen/Qwen3-Embedding-0.6B",
            f"downloadsAllTime {2**62 + 1} is beyond the bound of 10^13",
        ],
    ),
    Case(
        "downloads_of_5000_digits",
        _set("downloadsAllTime", "9" * 5000),
        [E_RECORD, "has more digits than any count can have"],
    ),
    Case(
        "full_width_digits",
        _set("downloads", "１２３"),
        [E_RECORD, "downloads '１２３' has digits other than ASCII 0-9"],
    ),
    Case(
        "children_count_nan",
        _children_nan,
        ["hub/model_info/children.jsonl line 1", "childrenModelCount.finetune is nan, not a count"],
    ),
    # --- parameter totals -------------------------------------------------------------------
    Case(
        "safetensors_total_nan",
        _set("safetensors", {"parameters": {"BF16": 1}, "total": float("nan")}),
        [E_RECORD, "`safetensors.total` is nan, not a parameter count"],
    ),
    Case(
        "gguf_total_infinite",
        _set("gguf", {"total": float("inf"), "architecture": "llama"}),
        [E_RECORD, "`gguf.total` is inf, not a parameter count"],
    ),
    Case(
        "safetensors_a_string",
        _set("safetensors", "7B"),
        [E_RECORD, "`safetensors` must be an object, got a string"],
    ),
    # --- fields of the wrong type -----------------------------------------------------------
    Case("tags_a_string", _set("tags", "transformers"), [E_RECORD, "`tags` must be an array of strings"]),
    Case("tags_a_number", _set("tags", 5), [E_RECORD, "`tags` must be an array of strings, got a number"]),
    Case(
        "base_models_models_a_string",
        _set("baseModels", {"relation": "finetune", "models": "Qwen/Qwen2.5-7B-Instruct"}),
        [E_RECORD, "`baseModels.models` must be an array of models, got a string"],
    ),
    Case(
        "base_models_models_a_number",
        _set("baseModels", {"relation": "finetune", "models": 7}),
        [E_RECORD, "`baseModels.models` must be an array of models, got a number"],
    ),
    Case(
        "base_models_an_array",
        _set("baseModels", [{"id": "Qwen/Qwen2.5-7B-Instruct"}]),
        [E_RECORD, "`baseModels` must be an object, got an array"],
    ),
    Case("gated_an_array", _set("gated", ["manual"]), [E_RECORD, "`gated` must be false, true"]),
    Case(
        "deeply_nested_base_model",
        _set("baseModels", {"relation": "finetune", "models": _nested(400)}),
        [E_RECORD, "`baseModels.models[0]` must be a model object or id string, got an array"],
    ),
    # --- dates outside 2000-01-01 .. tomorrow -----------------------------------------------
    Case(
        "created_in_1900",
        _set("createdAt", "1900-01-01T00:00:00.000Z"),
        [E_RECORD, "`createdAt` timestamp '1900-01-01T00:00:00.000Z' is outside 2000-01-01 .. "],
    ),
    Case(
        "last_modified_in_9999",
        _set("lastModified", "9999-12-31T00:00:00.000Z"),
        [E_RECORD, "`lastModified` timestamp '9999-12-31T00:00:00.000Z' is outside 2000-01-01 .. "],
    ),
    # --- ids --------------------------------------------------------------------------------
    Case(
        "id_of_10_kb",
        _set("id", "someuser/" + "q" * 10_000),
        [
            PAGE_2_RECORD_1,
            "(10009 characters)",
            "has a name longer than the Hub allows (at most 96 characters",
        ],
    ),
    Case(
        "uid_of_10_kb",
        _set("_id", "u" * 10_000),
        [E_RECORD, "(10000 characters) is not 1 to 256 visible ASCII characters"],
    ),
    Case(
        "id_with_a_trailing_newline",
        _set("id", f"{E}\n"),
        [PAGE_2_RECORD_1, "`id` 'someuser/qwen-sft\\n' has characters the Hub never allows"],
    ),
]

# Bad values json.load() itself cannot read: it raises inside atom_dagster/sources/archive.py
# (iter_records catches only JSONDecodeError there), before any parser rule runs. Reported, not
# fixed here (archive.py is another change's file); strict, so the fix there flips them.
ARCHIVE_READER_CASES: list[Case] = [
    Case(
        "json_nested_5000_deep",
        lambda pages: None,
        ["hub/models/page-0003.json"],
        extra={
            "hub/models/page-0003.json": (
                '[{"_id": "x", "id": "org/x", "cardData": ' + "[" * 5000 + "]" * 5000 + "}]"
            ).encode()
        },
    ),
    Case(
        "json_integer_of_5000_digits",
        lambda pages: None,
        ["hub/models/page-0003.json"],
        extra={
            "hub/models/page-0003.json": (
                '[{"_id": "x", "id": "org/x", "downloadsAllTime": ' + "9" * 5000 + "}]"
            ).encode()
        },
    ),
]

GROWTH = Case("row_count_grows_tenfold", _grow_tenfold, ["expect_table_row_count_to_be_between"])
ALL = [*CASES, *ARCHIVE_READER_CASES, GROWTH]
DAYS = {case.name: (date(2026, 10, 2) + timedelta(days=i)).isoformat() for i, case in enumerate(ALL)}


def write_day(root: Path, day: str, edit: Callable[[Pages], None] | None = None, extra=None) -> Path:
    """The small archive's first day (6 models on 2 pages, model_info), edited, signed by its writer."""
    first, third = copy.deepcopy(models_for(0))
    infos = [
        {
            "_id": UID["A"],
            "id": "Qwen/Qwen2.5-7B-Instruct",
            "childrenModelCount": {"finetune": 3, "adapter": 1, "quantized": 7, "merge": 0},
        }
    ]
    if edit is not None:
        edit((first, third, infos))
    writer = ArchiveWriter(root, day, source="archive", fixed_time=f"{day}T23:59:00+00:00")
    for n, page in enumerate((first, third), start=1):
        # allow_nan (the default): NaN and Infinity are written as the JavaScript literals json reads.
        body = json.dumps(page).encode()
        writer.write_body(
            f"hub/models/page-{n:04d}.json", body, request={"endpoint": "/api/models", "page": n}
        )
    writer.write_jsonl("hub/model_info/children.jsonl", infos)
    for rel, body in (extra or {}).items():
        writer.write_body(rel, body)
    return writer.finish()


def _parquet(settings, day: str) -> Path:
    return wap.partition_dir(settings.raw_dir, day, hub_models.TABLE) / wap.DATA_FILE


def _land_directly(settings, day: str) -> None:
    """The good version of a day, landed as the asset lands it (parse, stage, promote)."""
    report, _ = hub_models.parse_archive_day(settings.archive_dir / day)
    assert not report.rejected, report.rejected
    staged = wap.stage(settings.raw_dir, day, hub_models.to_arrow(report.rows, "archive"), hub_models.TABLE)
    wap.promote(staged, settings.raw_dir, day, hub_models.TABLE)


@pytest.fixture(scope="module")
def outcome(fast_tmp, dbt_manifest):
    from atom_dagster.definitions import build_assets, build_resources
    from atom_dagster.runner import QUIET, _failure_message, instance_for

    root = fast_tmp("bad_values")
    settings = load_settings(
        {
            "ATOM_DATA_DIR": str(root / "data"),
            "ATOM_ARCHIVE_DIR": str(root / "archive"),
            "ATOM_SOURCE": "archive",
        }
    )
    for day in [BASE_DAY, *DAYS.values()]:
        write_day(settings.archive_dir, day)
        _land_directly(settings, day)
    before = {day: _parquet(settings, day).read_bytes() for day in DAYS.values()}
    for case in ALL:
        write_day(settings.archive_dir, DAYS[case.name], case.edit, case.extra)

    # The asset that lands raw/hub_models (with the other Hub table; whatever else it holds is left out).
    asset = next(a for a in build_assets(settings) if RAW_HUB_MODELS in a.keys)
    instance, resources = instance_for(settings), build_resources(settings)
    results: dict[str, tuple[bool, str]] = {}
    for day in DAYS.values():
        result = dg.materialize(
            [asset],
            selection=dg.AssetSelection.assets(*HUB_TABLES),
            instance=instance,
            resources=resources,
            partition_key=day,
            raise_on_error=False,
            run_config=QUIET,
        )
        results[day] = (result.success, "" if result.success else _failure_message(result))
    return settings, results, before, instance


def _hub_models_checks(instance: dg.DagsterInstance, day: str) -> list:
    runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/partition": day}))
    assert len(runs) == 1, [r.run_id for r in runs]
    events = instance.all_logs(runs[0].run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)
    return [
        e.dagster_event.event_specific_data
        for e in events
        if e.dagster_event.event_specific_data.asset_key == RAW_HUB_MODELS
    ]


def _assert_blocked(outcome, case: Case) -> None:
    settings, results, before, instance = outcome
    day = DAYS[case.name]
    success, message = results[day]
    assert not success, f"{case.name}: the day landed"
    # The runner's summary: the gate's verdict, not a crash.
    assert f"Partition {day}" in message, message
    assert not CRASH.search(message), f"a crash, not the blocking check:\n{message}"
    for expected in case.expect:
        assert expected in message, f"{expected!r} not in:\n{message}"
    # The blocking check was evaluated (not left "planned") and failed, with the same words.
    checks = _hub_models_checks(instance, day)
    assert [(c.check_name, c.passed) for c in checks] == [(CHECK_NAME, False)]
    check_text = json.dumps({k: str(v.value) for k, v in checks[0].metadata.items()}, ensure_ascii=False)
    for expected in case.expect:
        assert json.dumps(expected, ensure_ascii=False)[1:-1] in check_text, expected
    assert not CRASH.search(check_text)
    # Nothing promoted: the day's earlier partition is byte-identical, nothing half-written.
    assert _parquet(settings, day).read_bytes() == before[day]
    assert sorted(p.name for p in _parquet(settings, day).parent.iterdir()) == [wap.DATA_FILE]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_a_bad_value_fails_the_blocking_check_naming_file_record_and_rule(outcome, case):
    _assert_blocked(outcome, case)


def test_day_over_day_growth_beyond_the_factor_fails_the_partition(outcome):
    _assert_blocked(outcome, GROWTH)
    _, results, _, _ = outcome
    message = results[DAYS[GROWTH.name]][1]
    assert "observed 1106" in message and "'max_value': 1060" in message


@pytest.mark.parametrize("case", ARCHIVE_READER_CASES, ids=lambda c: c.name)
def test_json_the_reader_cannot_decode_fails_the_blocking_check(outcome, case):
    _assert_blocked(outcome, case)
