"""The synthetic demo archive: deterministic, parseable, and carrying every documented special case."""

from __future__ import annotations

import csv
import hashlib
import json
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest

from atom_dagster.demo import catalog as demo
from atom_dagster.demo import openrouter
from atom_dagster.demo.data import DATA_DIR, build, read_sections
from atom_dagster.demo.generate import DEMO_START, generate_demo_archive
from atom_dagster.landing.parse import extract_lineage, parse_hub_model
from atom_dagster.sources.archive import (
    HUB_MODEL_INFO_DIR,
    HUB_MODELS_DIR,
    MANIFEST_NAME,
    iter_records,
    read_manifest,
    verify_manifest,
)

DAYS = 18
SCALE = 0.1
SEED_CSV = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "organizations.csv"

# The special cases the module docstring of atom_dagster.demo.generate promises.
RENAMED_FROM, RENAMED_TO, RENAME_DAY = "THUDM/glm-4-9b-chat", "zai-org/glm-4-9b-chat", 10
REVISED, REVISION_DAY = "mistralai/Mistral-7B-Instruct-v0.3", 8
GAP_MODEL, GAP_DAYS = "microsoft/Phi-3.5-mini-instruct", (15, 16)
DUPLICATED = "Qwen/Qwen2.5-7B-Instruct"
LOCAL_PATH_CHILD = "cognitivecomputations/Qwen2.5-7B-sft-checkpoint"
EMPTY_PARENT_CHILD = "MaziyarPanahi/Llama-3.1-8B-Instruct-sft-draft"
RELEASED, RELEASE_DAY = "Qwen/Qwen4-8B", 5


def _day_no(day: str) -> int:
    return (date.fromisoformat(day) - DEMO_START).days + 1


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo_a")
    written = generate_demo_archive(root, days=DAYS, scale=SCALE)
    assert written == [(DEMO_START + timedelta(days=k)).isoformat() for k in range(DAYS)]
    return root


@pytest.fixture(scope="module")
def records(archive: Path) -> dict[str, list]:
    """Every hub/models record of every day, as read by the archive reader."""
    return {day: list(iter_records(archive / day, HUB_MODELS_DIR)) for day in _days(archive)}


@pytest.fixture(scope="module")
def rows(records: dict[str, list]) -> dict[str, dict[str, dict]]:
    """day -> model _id -> parsed row (duplicates within a day are identical, checked separately)."""
    return {day: {rec.obj["_id"]: parse_hub_model(rec.obj) for rec in recs} for day, recs in records.items()}


def _days(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.is_dir())


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_arguments_give_byte_identical_archives(archive: Path, tmp_path: Path) -> None:
    generate_demo_archive(tmp_path, days=DAYS, scale=SCALE)
    first, second = _hashes(archive), _hashes(tmp_path)
    assert len(first) > DAYS * 10
    assert first == second


def test_every_day_is_complete_synthetic_and_verifies(archive: Path) -> None:
    days = _days(archive)
    assert len(days) == DAYS
    assert not [d for d in days if d.endswith((".partial", ".old"))]
    for day in days:
        manifest = read_manifest(archive / day)
        assert manifest is not None
        assert manifest["synthetic"] is True and manifest["complete"] is True
        assert manifest["source"] == "demo" and "SYNTHETIC" in manifest["note"]
        assert manifest["started_at"] == manifest["finished_at"] == f"{day}T23:59:00+00:00"
        verify_manifest(archive / day, manifest)
        on_disk = {k for k in _hashes(archive / day) if k != MANIFEST_NAME}
        assert on_disk == set(manifest["files"])
        assert all(r["status"] == 200 for r in manifest["requests"])


def test_every_record_parses(records: dict[str, list], archive: Path) -> None:
    for day, recs in records.items():
        assert len(recs) >= 100, day
        for rec in recs:
            row = parse_hub_model(rec.obj)  # raises RecordError on anything unusable
            assert len(row["model_uid"]) == 24 and int(row["model_uid"], 16) >= 0
            assert row["created_at"] is not None and row["downloads_all_time"] >= 0
            assert row["created_at"].date() <= date.fromisoformat(day)
            assert row["downloads_30d"] <= row["downloads_all_time"]
        infos = list(iter_records(archive / day, HUB_MODEL_INFO_DIR))
        assert infos and all(
            set(r.obj["childrenModelCount"]) == {"finetune", "adapter", "quantized", "merge"} for r in infos
        )


def test_rename_keeps_the_id_and_changes_repo_and_author(rows: dict[str, dict[str, dict]]) -> None:
    names_by_uid: dict[str, set[str]] = defaultdict(set)
    for day_rows in rows.values():
        for uid, row in day_rows.items():
            names_by_uid[uid].add(row["model_id"])
    renamed = [uid for uid, names in names_by_uid.items() if names == {RENAMED_FROM, RENAMED_TO}]
    assert len(renamed) == 1
    for day, day_rows in rows.items():
        row = day_rows[renamed[0]]
        before = _day_no(day) < RENAME_DAY
        assert row["model_id"] == (RENAMED_FROM if before else RENAMED_TO)
        assert row["author"] == ("THUDM" if before else "zai-org")


def test_downloads_all_time_only_drops_in_the_revision(rows: dict[str, dict[str, dict]]) -> None:
    days = sorted(rows)
    drops = []
    for prev, cur in zip(days, days[1:], strict=False):
        for uid, row in rows[cur].items():
            before = rows[prev].get(uid)
            if before and row["downloads_all_time"] < before["downloads_all_time"]:
                old, new = before["downloads_all_time"], row["downloads_all_time"]
                drops.append((row["model_id"], _day_no(cur), old, new))
    assert [(m, d) for m, d, _, _ in drops] == [(REVISED, REVISION_DAY)]
    _, _, old, new = drops[0]
    assert 0.01 < (old - new) / old < 0.10  # "a few percent"
    series = [r["downloads_all_time"] for day in days for r in rows[day].values() if r["model_id"] == REVISED]
    assert series[REVISION_DAY:] == sorted(series[REVISION_DAY:]) and series[-1] > series[REVISION_DAY - 1]


def test_gap_model_is_missing_two_days_then_returns(rows: dict[str, dict[str, dict]]) -> None:
    present = {
        _day_no(day)
        for day, day_rows in rows.items()
        if any(r["model_id"] == GAP_MODEL for r in day_rows.values())
    }
    assert present == set(range(1, DAYS + 1)) - set(GAP_DAYS)
    counter = {
        _day_no(day): r["downloads_all_time"]
        for day, day_rows in rows.items()
        for r in day_rows.values()
        if r["model_id"] == GAP_MODEL
    }
    assert counter[17] > counter[14]


def test_duplicate_within_each_day_is_the_same_object(records: dict[str, list]) -> None:
    for day, recs in records.items():
        seen: dict[str, list] = defaultdict(list)
        for rec in recs:
            seen[rec.obj["_id"]].append(rec)
        dupes = {uid: rs for uid, rs in seen.items() if len(rs) > 1}
        assert [rs[0].obj["id"] for rs in dupes.values()] == [DUPLICATED], day
        copies = next(iter(dupes.values()))
        assert len({rec.file for rec in copies}) == 2  # two different pages
        assert json.dumps(copies[0].obj, sort_keys=True) == json.dumps(copies[1].obj, sort_keys=True)
        qwen_pages = {rec.file for rec in recs if rec.obj["author"] == "Qwen"}
        assert len(qwen_pages) >= 2


def test_malformed_lineage_is_kept_and_flagged(records: dict[str, list]) -> None:
    last_day = max(records)
    bad = {}
    for rec in records[last_day]:
        for edge in extract_lineage(rec.obj):
            if not edge["parent_valid"]:
                bad.setdefault(rec.obj["id"], set()).add(edge["reject_reason"])
    assert bad == {
        LOCAL_PATH_CHILD: {"parent is a local path or URL, not a Hub id"},
        EMPTY_PARENT_CHILD: {"empty parent id"},
    }


def test_models_released_in_the_window_first_appear_on_their_release_day(
    rows: dict[str, dict[str, dict]],
) -> None:
    first_seen: dict[str, str] = {}
    created: dict[str, date] = {}
    for day in sorted(rows):
        for uid, row in rows[day].items():
            first_seen.setdefault(uid, day)
            created[uid] = row["created_at"].date()
    in_window = {uid for uid, c in created.items() if c > DEMO_START}
    assert in_window
    assert all(first_seen[uid] == created[uid].isoformat() for uid in in_window)
    released = [uid for uid in in_window if rows[first_seen[uid]][uid]["model_id"] == RELEASED]
    assert len(released) == 1 and _day_no(first_seen[released[0]]) == RELEASE_DAY
    first_row = rows[first_seen[released[0]]][released[0]]
    assert first_row["downloads_30d"] == first_row["downloads_all_time"] > 0


def test_non_mainline_examples_are_present(rows: dict[str, dict[str, dict]]) -> None:
    by_id = {r["model_id"]: r for r in rows[max(rows)].values()}
    assert by_id["Qwen/Qwen3-Embedding-0.6B"]["pipeline_tag"] == "feature-extraction"
    assert by_id["meta-llama/Llama-Guard-3-8B"]["pipeline_tag"] == "text-generation"
    assert by_id["Qwen/Qwen2.5-7B-Instruct-GGUF"]["library_name"] == "gguf"
    assert by_id["Qwen/Qwen2.5-7B-Instruct-GGUF"]["gguf_total"] > 0
    assert by_id["Qwen/Qwen3-8B-FP8"]["safetensors_total"] == by_id["Qwen/Qwen3-8B"]["safetensors_total"]
    assert by_id["EleutherAI/gpt-neox-20b"]["created_at"].date() < date(2022, 11, 30)
    assert by_id["deepseek-ai/DeepSeek-R1"]["safetensors_total"] == 684_531_386_000
    assert by_id["baichuan-inc/Baichuan2-13B-Chat"]["safetensors_total"] is None


def _seed() -> dict[str, dict[str, str]]:
    with open(SEED_CSV, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        columns = ["namespace", "organization", "country_code", "region", "tracked", "evidence"]
        assert reader.fieldnames == columns
        rows = list(reader)
    by_ns = {r["namespace"]: r for r in rows}
    assert len(by_ns) == len(rows), "duplicate namespace rows"
    return by_ns


def test_seed_rows_follow_the_attribution_rules() -> None:
    seed = _seed()
    for ns, row in seed.items():
        assert row["region"] in {"us", "china", "eu", "other", "unknown"}, ns
        assert row["tracked"] in {"true", "false"}, ns
        assert row["evidence"].strip(), ns
        if row["region"] == "unknown":
            assert row["country_code"] == "", ns
        else:
            assert len(row["country_code"]) == 2 and row["country_code"].isupper(), ns
    assert {"THUDM", "zai-org", "CohereForAI", "CohereLabs"} <= set(seed)
    assert (seed["tiiuae"]["country_code"], seed["tiiuae"]["region"]) == ("AE", "other")
    assert (seed["mistralai"]["country_code"], seed["mistralai"]["region"]) == ("FR", "eu")
    assert (seed["swiss-ai"]["country_code"], seed["swiss-ai"]["region"]) == ("CH", "eu")


def test_every_namespace_in_the_archive_has_a_seed_row(records: dict[str, list]) -> None:
    seed = _seed()
    first_party, third_party = set(), set()
    for recs in records.values():
        for rec in recs:
            author = rec.obj["id"].split("/", 1)[0]
            (third_party if Path(rec.file).name.startswith("derivatives-") else first_party).add(author)
    assert len(first_party) >= 40
    assert sorted(ns for ns in first_party if seed.get(ns, {}).get("tracked") != "true") == []
    assert sorted(ns for ns in third_party if seed.get(ns, {}).get("tracked") != "false") == []


# --- the catalogue data files (catalogue.json, openrouter.json) -------------------------------


def _ci_sorted(keys) -> bool:
    keys = list(keys)
    return keys == sorted(keys, key=lambda k: (k.lower(), k))


def _one_line_records(name: str, key: str) -> int:
    """How many lines of a data file hold a whole JSON object with ``key``."""
    count = 0
    for line in (DATA_DIR / name).read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line.strip().rstrip(","))
        except ValueError:
            continue
        count += isinstance(record, dict) and key in record
    return count


def test_data_files_are_sorted_with_one_record_per_line() -> None:
    raw = json.loads((DATA_DIR / "catalogue.json").read_text(encoding="utf-8"))
    for section in ("sizes_b", "exact_params", "hot", "bases", "no_safetensors", "essential"):
        assert _ci_sorted(raw[section]), section
    assert _one_line_records("catalogue.json", "pattern") == sum(len(org.families) for org in demo.ORGS)
    assert _one_line_records("catalogue.json", "affix") == sum(len(pub.recipes) for pub in demo.PUBLISHERS)
    assert _one_line_records("catalogue.json", "parents") == len(raw["essential_derivatives"])
    listings = openrouter.OPEN_LISTINGS + openrouter.CLOSED_LISTINGS + openrouter.NON_TEXT_LISTINGS
    assert _one_line_records("openrouter.json", "slug") == len(listings)


def test_catalogue_lookups_name_catalogue_models() -> None:
    ids = {
        f"{org.namespace}/{name}"
        for org in demo.ORGS
        for fam in org.families
        for name in demo.expand(fam.pattern)
    }
    for table in (demo.SIZES_B, demo.EXACT_PARAMS, demo.HOT, demo.BASES, demo.NO_SAFETENSORS, demo.ESSENTIAL):
        assert set(table) <= ids
    assert {parent for _, parent in demo.BASES.values()} <= ids
    publishers = {pub.namespace for pub in demo.PUBLISHERS}
    assert {d[0].split("/", 1)[0] for d in demo.ESSENTIAL_DERIVATIVES} <= publishers
    released = [
        fam.released
        for org in demo.ORGS
        for fam in org.families
        if demo.RELEASED_IN_WINDOW in {f"{org.namespace}/{name}" for name in demo.expand(fam.pattern)}
    ]
    assert released == [f"+{demo.RELEASE_DAY - 1}"]  # the data file agrees with RELEASE_DAY


def test_data_files_reject_duplicate_keys_and_unknown_sections_or_fields(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"hot": {"a/b": 1, "a/b": 2}}', encoding="utf-8")
    with pytest.raises(ValueError, match="duplicate key"):
        read_sections(path, ["hot"])
    path.write_text('{"_about": "note", "hot": {}, "cold": {}}', encoding="utf-8")
    with pytest.raises(ValueError, match="unknown"):
        read_sections(path, ["hot"])
    assert read_sections(path, ["hot", "cold"])["cold"] == {}
    with pytest.raises(ValueError, match="Family record"):
        build(demo.Family, {"pattern": "x-7B", "released": "2025-01-01", "archh": "llama"})


def test_every_day_lists_the_whole_hubs_new_models(archive: Path) -> None:
    """hub/new_models/: third-party derivatives of the mainline bases (Qwen first) and unrelated models."""
    from atom_dagster.demo.new_models import qwen_share
    from atom_dagster.landing.tables.hub_new_models import parse_archive_day

    relations: Counter = Counter()
    base_orgs: Counter = Counter()
    listed_after = 0  # the next day's models created before the capture
    for day in _days(archive):
        report, _ = parse_archive_day(archive / day, day)
        assert report is not None and report.rows and not report.rejected, day
        # Listed as captured at 02:00 the next day: paging stopped at the day before's newest model.
        assert report.created_before_day == 1, day
        assert all(row["created_at"].date().isoformat() == day for row in report.rows)
        relations.update(row["base_relation"] for row in report.rows)
        bases = [row["base_model_ids"] for row in report.rows]
        base_orgs.update(ids[0].split("/")[0] for ids in bases if ids)
        listed_after += report.created_after_day
    assert set(relations) == {"finetune", "adapter", "quantized", "merge", None} and listed_after > 0
    assert base_orgs.most_common(1)[0][0] == "Qwen"
    assert {"meta-llama", "google", "google-bert", "openai"} <= set(base_orgs)
    assert qwen_share(date(2024, 1, 1)) < qwen_share(date(2025, 1, 1)) < qwen_share(DEMO_START) < 0.7
