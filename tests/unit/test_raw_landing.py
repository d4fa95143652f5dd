"""Raw landing: archive day -> parsed rows -> Arrow table -> staged and promoted Parquet."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from atom_dagster.landing.tables.hub_models import (
    COLUMNS,
    RAW_HUB_MODELS_SCHEMA,
    TABLE,
    parse_archive_day,
    to_arrow,
)
from atom_dagster.landing.write_audit_publish import (
    discard,
    partition_dir,
    previous_partition_rows,
    promote,
    read_partition,
    stage,
    staging_path,
)
from atom_dagster.runner import days_between
from atom_dagster.sources.archive import ArchiveError, ArchiveWriter, sign_day

DAY = "2026-10-02"


def _model(uid: str, model_id: str, all_time, **extra) -> dict:
    return {
        "_id": uid,
        "id": model_id,
        "author": model_id.split("/")[0],
        "downloads": 10,
        "downloadsAllTime": all_time,
        "likes": 1,
        "createdAt": "2024-09-16T11:55:40.000Z",
        "lastModified": "2024-09-16T11:55:40.000Z",
        "tags": ["text-generation", "license:apache-2.0"],
        "pipeline_tag": "text-generation",
        "gated": False,
        **extra,
    }


def _write_day(root, day=DAY):
    writer = ArchiveWriter(root, day, source="live", fixed_time=f"{day}T23:59:00+00:00")
    page1 = [
        _model("uid-a", "Qwen/Qwen2.5-7B-Instruct", 1_000),
        _model("uid-b", "meta-llama/Llama-3.1-8B", "2000"),  # repaired
        {"id": "nobody/no-uid"},  # rejected: no _id
    ]
    page2 = [
        _model("uid-a", "Qwen/Qwen2.5-7B-Instruct", 1_000),  # identical duplicate
        _model("uid-c", "org/na me", 5),  # rejected: illegal id
        _model(
            "uid-d",
            "someuser/sft",
            7,
            tags=["base_model:finetune:/home/u/ckpt"],
            safetensors={"total": 1_500_000_000},
        ),
    ]
    writer.write_body("hub/models/page-0001.json", json.dumps(page1).encode())
    writer.write_body("hub/models/page-0002.json", json.dumps(page2).encode())
    writer.write_jsonl(
        "hub/model_info/children.jsonl",
        [
            {"_id": "uid-a", "childrenModelCount": {"finetune": 3, "adapter": 1, "quantized": 7}},
            {"id": "Qwen/Qwen2.5-7B-Instruct"},  # no _id
        ],
    )
    return writer.finish()


@pytest.fixture
def parsed(tmp_path):
    return parse_archive_day(_write_day(tmp_path / "archive"))


# --- parse_archive_day ------------------------------------------------------------------------


def test_parse_archive_day_collapses_duplicates(parsed):
    report, manifest = parsed
    assert [r["model_uid"] for r in report.rows] == ["uid-a", "uid-b", "uid-d"]
    assert report.records_read == 6
    assert report.duplicates_collapsed == 1
    assert report.duplicate_conflicts == 0
    assert report.repairs["downloadsAllTime_string_to_int"] == 1
    assert report.rows[1]["downloads_all_time"] == 2000
    assert manifest["snapshot_date"] == DAY
    assert manifest["source"] == "live"


def test_parse_archive_day_collects_rejected_records(parsed):
    report, _ = parsed
    assert [(r["file"], r["position"]) for r in report.rejected] == [
        ("hub/models/page-0001.json", 3),
        ("hub/models/page-0002.json", 2),
        ("hub/model_info/children.jsonl", 2),
    ]
    reasons = [r["reason"] for r in report.rejected]
    assert "missing `_id`" in reasons[0]
    assert "'org/na me'" in reasons[1]
    assert reasons[2] == "model_info object without `_id`"


def test_parse_archive_day_merges_model_info_by_uid(parsed):
    report, _ = parsed
    by_uid = {r["model_uid"]: r for r in report.rows}
    a = by_uid["uid-a"]
    assert (a["children_finetune"], a["children_adapter"], a["children_quantized"], a["children_merge"]) == (
        3,
        1,
        7,
        0,
    )
    assert a["children_total"] == 11
    assert by_uid["uid-b"]["children_total"] is None
    d = by_uid["uid-d"]
    assert d["safetensors_total"] == 1_500_000_000
    assert d["lineage"][0]["parent_valid"] is False


def test_parse_archive_day_refuses_a_tampered_day(tmp_path):
    day = _write_day(tmp_path)
    (day / "hub" / "models" / "page-0002.json").write_text("[]")
    with pytest.raises(ArchiveError, match="sha256 does not match"):
        parse_archive_day(day)


def test_parse_archive_day_without_manifest_lands_only_once_signed(tmp_path):
    day = tmp_path / DAY
    (day / "hub" / "models").mkdir(parents=True)
    (day / "hub" / "models" / "p.jsonl").write_text(json.dumps(_model("u", "org/m", 1)) + "\n")
    with pytest.raises(ArchiveError, match=f"no MANIFEST.json.*`atom archive sign {day}`"):
        parse_archive_day(day)
    sign_day(day)  # `atom archive sign DAY_DIR`: a day assembled by hand, signed after the fact
    report, manifest = parse_archive_day(day)
    assert manifest["signed_after_capture"] is True and manifest["source"] == "archive"
    assert [r["model_id"] for r in report.rows] == ["org/m"]


def test_parse_archive_day_missing_dir(tmp_path):
    with pytest.raises(ArchiveError, match="no archived day here"):
        parse_archive_day(tmp_path / "2026-01-01")


# --- to_arrow ---------------------------------------------------------------------------------


def test_to_arrow_has_exactly_the_raw_schema(parsed):
    report, _ = parsed
    table = to_arrow(report.rows, "archive")
    assert table.schema.equals(RAW_HUB_MODELS_SCHEMA)
    assert table.column_names == COLUMNS
    assert table.num_rows == 3
    assert table.column("source").to_pylist() == ["archive"] * 3
    assert table.column("created_at").to_pylist()[0] == datetime(2024, 9, 16, 11, 55, 40, tzinfo=UTC)
    assert table.column("downloads_all_time").to_pylist() == [1_000, 2_000, 7]
    assert table.column("lineage").to_pylist()[2] == [
        {
            "relation": "finetune",
            "parent_id": "/home/u/ckpt",
            "origin": "tag",
            "parent_valid": False,
            "reject_reason": "parent is a local path or URL, not a Hub id",
        }
    ]


def test_to_arrow_zero_rows_keeps_the_schema():
    table = to_arrow([], "demo")
    assert table.num_rows == 0
    assert table.schema.equals(RAW_HUB_MODELS_SCHEMA)


# --- stage / promote / discard ----------------------------------------------------------------


def _table(n: int, source: str = "archive") -> pa.Table:
    rows = [
        {
            "model_uid": f"u{i}",
            "model_id": f"org/m{i}",
            "downloads_all_time": i * 10,
            "tags": [],
            "lineage": [],
        }
        for i in range(n)
    ]
    return to_arrow(rows, source)


def test_stage_then_promote(tmp_path):
    raw = tmp_path / "raw"
    staged = stage(raw, DAY, _table(3), TABLE)
    assert staged == staging_path(raw, DAY, TABLE) == raw / ".staging" / "hub_models" / DAY / "data.parquet"
    assert staged.exists()
    assert not partition_dir(raw, DAY, TABLE).exists()  # nothing visible to dbt before promotion

    final = promote(staged, raw, DAY, TABLE)

    assert final == raw / "hub_models" / f"snapshot_date={DAY}" / "data.parquet"
    assert pq.read_table(final).num_rows == 3
    assert pq.read_table(final).schema.equals(RAW_HUB_MODELS_SCHEMA)
    assert not staged.exists()
    assert not staged.parent.exists()


def test_staging_twice_gives_identical_bytes(tmp_path):
    table = _table(5)
    first = stage(tmp_path / "one", DAY, table, TABLE).read_bytes()
    again = stage(tmp_path / "one", DAY, table, TABLE).read_bytes()
    other = stage(tmp_path / "two", DAY, table, TABLE).read_bytes()
    assert first == again == other


def test_discard_removes_the_staged_file(tmp_path):
    staged = stage(tmp_path, DAY, _table(2), TABLE)
    discard(staged)
    assert not staged.exists()
    assert not staged.parent.exists()
    assert not partition_dir(tmp_path, DAY, TABLE).exists()
    discard(staged)  # idempotent


def test_promote_replaces_an_existing_partition(tmp_path):
    promote(stage(tmp_path, DAY, _table(4), TABLE), tmp_path, DAY, TABLE)
    promote(stage(tmp_path, DAY, _table(1, source="live"), TABLE), tmp_path, DAY, TABLE)
    df = read_partition(tmp_path, DAY, TABLE)
    assert list(df["model_uid"]) == ["u0"]
    assert list(df["source"]) == ["live"]
    assert [p.name for p in partition_dir(tmp_path, DAY, TABLE).iterdir()] == ["data.parquet"]


def test_previous_partition_rows_picks_the_latest_earlier_day(tmp_path):
    assert previous_partition_rows(tmp_path, DAY, TABLE) is None  # no table yet
    for day, n in [("2026-09-28", 5), ("2026-09-30", 3), ("2026-10-05", 9)]:
        promote(stage(tmp_path, day, _table(n), TABLE), tmp_path, day, TABLE)
    stage(tmp_path, "2026-10-01", _table(7), TABLE)  # staged only: not a partition
    partition_dir(tmp_path, "2026-10-01", TABLE).mkdir(parents=True)  # empty folder: not a partition

    assert previous_partition_rows(tmp_path, DAY, TABLE) == ("2026-09-30", 3)
    assert previous_partition_rows(tmp_path, "2026-09-30", TABLE) == ("2026-09-28", 5)
    assert previous_partition_rows(tmp_path, "2026-10-06", TABLE) == ("2026-10-05", 9)
    assert previous_partition_rows(tmp_path, "2026-09-28", TABLE) is None


def test_previous_partition_rows_compares_history_with_history_and_captures_with_captures(tmp_path):
    # A history backfill (with derivatives: many rows), then the first live and archive days.
    for day, n, source in [
        ("2026-09-28", 4, "archive"),
        ("2026-09-29", 40, "history"),
        ("2026-09-30", 42, "history"),
        ("2026-10-01", 5, "live"),
    ]:
        promote(stage(tmp_path, day, _table(n, source=source), TABLE), tmp_path, day, TABLE)

    # The first live day after history is compared with the last capture, not with 42 history rows.
    assert previous_partition_rows(tmp_path, "2026-10-01", TABLE, source="live") == ("2026-09-28", 4)
    assert previous_partition_rows(tmp_path, "2026-10-02", TABLE, source="archive") == ("2026-10-01", 5)
    assert previous_partition_rows(tmp_path, "2026-10-02", TABLE, source="history") == ("2026-09-30", 42)
    assert (
        previous_partition_rows(tmp_path, "2026-09-29", TABLE, source="history") is None
    )  # first of its kind
    assert previous_partition_rows(tmp_path, "2026-10-02", TABLE) == ("2026-10-01", 5)  # no source: any kind


def test_read_partition(tmp_path):
    assert read_partition(tmp_path, DAY, TABLE) is None
    promote(stage(tmp_path, DAY, _table(3), TABLE), tmp_path, DAY, TABLE)
    df = read_partition(tmp_path, DAY, TABLE)
    assert list(df.columns) == COLUMNS
    assert list(df["model_id"]) == ["org/m0", "org/m1", "org/m2"]
    assert list(df["downloads_all_time"]) == [0, 10, 20]


# --- runner.days_between ----------------------------------------------------------------------


def test_days_between_is_inclusive():
    assert days_between(date(2026, 2, 27), date(2026, 3, 2)) == [
        "2026-02-27",
        "2026-02-28",
        "2026-03-01",
        "2026-03-02",
    ]
    assert days_between(date(2026, 1, 1), date(2026, 1, 1)) == ["2026-01-01"]


def test_days_between_with_stride():
    assert days_between(date(2026, 1, 1), date(2026, 1, 31), stride=7) == [
        "2026-01-01",
        "2026-01-08",
        "2026-01-15",
        "2026-01-22",
        "2026-01-29",
    ]
    assert days_between(date(2026, 1, 1), date(2026, 1, 6), stride=7) == ["2026-01-01"]


def test_days_between_rejects_bad_ranges():
    with pytest.raises(ValueError, match="end 2026-01-01 is before start 2026-01-02"):
        days_between(date(2026, 1, 2), date(2026, 1, 1))
    with pytest.raises(ValueError, match="stride must be at least 1"):
        days_between(date(2026, 1, 1), date(2026, 1, 2), stride=0)
