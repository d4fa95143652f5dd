"""The bad-input corpus: code that writes each broken archive day, with its expected outcome.

Every case starts from a good day (``tests/small_archive.py``'s first day, written with its
MANIFEST.json) and breaks one thing. ``outcome`` is what the pipeline must do with it:

* ``"fail"``: a blocking failure of partition check ``raw_partition_valid`` whose message
  contains every string of ``expect`` -- the file, the line/record (and the model when known)
  and the rule -- while the partition already landed for that day stays byte-identical;
* ``"land"``: the day lands; ``repairs`` are the documented repairs counted in the
  partition's metadata (on top of the good day's own), ``metadata`` other metadata values.

``resign`` re-computes the manifest's sha256 after the change, so the case exercises the
intended rule rather than the tamper check; the manifest cases leave it alone on purpose.
The good day's second page is ``[E someuser/qwen-sft, F someuser/broken-lineage, A (duplicate)]``.
"""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from atom_dagster.sources.archive import ArchiveWriter, sign_day
from tests.small_archive import UID, models_for

MODELS = "hub/models"
E = "someuser/qwen-sft"
# The good day itself has one malformed lineage parent (F's local path): counted every day.
GOOD_REPAIRS = {"lineage_invalid_parent_dropped": 1}
GOOD_ROWS = 6


def write_good_day(root: Path, day: str) -> Path:
    """The good version of a day (6 models on 2 pages, one duplicate, model_info, manifest)."""
    writer = ArchiveWriter(root, day, source="archive", fixed_time=f"{day}T23:59:00+00:00")
    first, third = models_for(0)
    for n, page in enumerate((first, third), start=1):
        writer.write_body(
            f"{MODELS}/page-{n:04d}.json",
            json.dumps(page).encode(),
            request={"endpoint": "/api/models", "status": 200, "page": n},
        )
    writer.write_jsonl(
        "hub/model_info/children.jsonl",
        [
            {
                "_id": UID["A"],
                "id": "Qwen/Qwen2.5-7B-Instruct",
                "childrenModelCount": {"finetune": 3, "adapter": 1, "quantized": 7, "merge": 0},
            },
        ],
    )
    return writer.finish()


def resign(day: Path) -> None:
    """Make MANIFEST.json describe the day's files as they are now (a consistent, if odd, capture):
    ``atom archive sign DAY --force``, which keeps the capture's record and notes the signing."""
    sign_day(day, force=True)


def _page(day: Path, n: int) -> Path:
    return day / MODELS / f"page-{n:04d}.json"


def _edit_page(n: int, edit: Callable[[list], Any]) -> Callable[[Path], None]:
    def mutate(day: Path) -> None:
        path = _page(day, n)
        models = json.loads(path.read_text())
        edit(models)
        path.write_text(json.dumps(models))

    return mutate


def _edit_e(edit: Callable[[dict], Any]) -> Callable[[Path], None]:
    return _edit_page(2, lambda models: edit(models[0]))


def _set(key: str, value: Any) -> Callable[[dict], None]:
    return lambda obj: obj.__setitem__(key, value)


def _drop(key: str) -> Callable[[dict], None]:
    return lambda obj: obj.pop(key)


def _write(rel: str, body: bytes) -> Callable[[Path], None]:
    def mutate(day: Path) -> None:
        (day / rel).parent.mkdir(parents=True, exist_ok=True)
        (day / rel).write_bytes(body)

    return mutate


def _manifest_entry(rel: str) -> Callable[[Path], None]:
    def mutate(day: Path) -> None:
        path = day / "MANIFEST.json"
        manifest = json.loads(path.read_text())
        manifest["files"][rel] = {"sha256": "0" * 64, "bytes": 1}
        path.write_text(json.dumps(manifest))

    return mutate


def _truncate(rel: str, keep: int) -> Callable[[Path], None]:
    def mutate(day: Path) -> None:
        (day / rel).write_bytes((day / rel).read_bytes()[:keep])

    return mutate


def _empty_pages(day: Path) -> None:
    for page in (day / MODELS).iterdir():
        page.write_text("[]")


def _no_pages(day: Path) -> None:
    shutil.rmtree(day / MODELS)


def _collapse(day: Path) -> None:
    models = json.loads(_page(day, 1).read_text())[:2]
    _page(day, 1).write_text(json.dumps(models))
    _page(day, 2).unlink()


def _conflicting_duplicate(models: list) -> None:
    # The copy of A on page 2 is ahead of the one on page 1 (a later read of a moving counter).
    models[2] = {**models[2], "downloadsAllTime": models[2]["downloadsAllTime"] + 500, "likes": 99}


def _unknown_fields(day: Path) -> None:
    for page in (day / MODELS).iterdir():
        models = json.loads(page.read_text())
        for obj in models:
            obj["newHubField"] = {"nested": [1, 2, 3]}
            obj["spaces"] = ["someone/demo-space"]
        page.write_text(json.dumps(models))


def _local_lineage(day: Path) -> None:
    path = _page(day, 2)
    models = json.loads(path.read_text())
    models[0]["tags"] = [*models[0]["tags"], "base_model:adapter:./lora-out"]
    path.write_text(json.dumps(models))
    path = _page(day, 1)
    models = json.loads(path.read_text())
    g = next(m for m in models if m["_id"] == UID["G"])
    g["baseModels"] = {"relation": "finetune", "models": [{"id": "C:\\checkpoints\\base"}]}
    path.write_text(json.dumps(models))


def _children_without_uid(day: Path) -> None:
    (day / "hub/model_info/children.jsonl").write_text(json.dumps({"id": "Qwen/Qwen2.5-7B-Instruct"}) + "\n")


@dataclass(frozen=True)
class Case:
    name: str
    outcome: str  # "fail" | "land"
    mutate: Callable[[Path], None]
    expect: list[str] = field(default_factory=list)  # "fail": strings the failure message contains
    repairs: dict[str, int] = field(default_factory=dict)  # "land": repairs beyond GOOD_REPAIRS
    metadata: dict[str, Any] = field(default_factory=dict)  # "land": other metadata values
    resign: bool = True


CASES: list[Case] = [
    # --- unreadable files -------------------------------------------------------------------
    Case(
        "truncated_json_page",
        "fail",
        _truncate(f"{MODELS}/page-0001.json", 200),
        ["hub/models/page-0001.json", "not valid JSON", "truncated"],
    ),
    Case(
        "page_is_an_object",
        "fail",
        lambda day: _page(day, 1).write_text(json.dumps({"models": json.loads(_page(day, 1).read_text())})),
        ["hub/models/page-0001.json", "a page must be a JSON array of models, found a dict"],
    ),
    Case(
        "jsonl_page_with_a_broken_line",
        "fail",
        _write(
            f"{MODELS}/extra.jsonl",
            b'{"_id": "x1", "id": "org/x1", "downloadsAllTime": 1}\n{"_id": "x2", "id\n',
        ),
        ["hub/models/extra.jsonl, line 2", "not valid JSON"],
    ),
    Case(
        "truncated_gzip_page",
        "fail",
        _write(f"{MODELS}/page-0003.json.gz", gzip.compress(b'[{"_id": "x", "id": "org/x"}]')[:20]),
        ["hub/models/page-0003.json.gz", "cannot be read"],
    ),
    Case(
        "page_not_utf8",
        "fail",
        _write(f"{MODELS}/page-0003.json", b'[{"_id": "x", "id": "org/\xff"}]'),
        ["hub/models/page-0003.json", "cannot be read"],
    ),
    Case(
        "empty_day_without_pages",
        "fail",
        _no_pages,
        ["an empty day", "it has no page files under hub/models/"],
    ),
    Case(
        "empty_day_of_empty_pages",
        "fail",
        _empty_pages,
        ["an empty day", "its 2 page file(s) hold no model under hub/models/"],
    ),
    # --- records that break a rule ----------------------------------------------------------
    Case(
        "model_is_not_an_object",
        "fail",
        _edit_page(2, lambda models: models.__setitem__(0, E)),
        ["hub/models/page-0002.json record 1", "a model must be a JSON object, got str"],
    ),
    Case(
        "downloads_not_a_number",
        "fail",
        _edit_e(_set("downloads", "abc")),
        [f"hub/models/page-0002.json record 1 ({E})", "downloads must be an integer, got 'abc'"],
    ),
    Case(
        "downloads_negative",
        "fail",
        _edit_e(_set("downloadsAllTime", -5)),
        [
            f"hub/models/page-0002.json record 1 ({E})",
            "`downloadsAllTime` is negative (-5)",
            "expect_column_values_to_be_between",
        ],
    ),
    Case(
        "missing__id",
        "fail",
        _edit_e(_drop("_id")),
        [f"hub/models/page-0002.json record 1 ({E})", "missing `_id`"],
    ),
    Case("missing_id", "fail", _edit_e(_drop("id")), ["hub/models/page-0002.json record 1", "missing `id`"]),
    Case(
        "missing_downloadsAllTime",
        "fail",
        _edit_e(_drop("downloadsAllTime")),
        # The record rule names it; the GX suite only requires a download figure per row (the
        # counter, or the 30-day count on a history day from before the counter existed).
        [f"hub/models/page-0002.json record 1 ({E})", "missing `downloadsAllTime`", "never loaded as null"],
    ),
    Case(
        "id_with_characters_the_hub_never_allows",
        "fail",
        _edit_e(_set("id", "someuser/qwen sft?")),
        ["hub/models/page-0002.json record 1 (someuser/qwen sft?)", "characters the Hub never allows"],
    ),
    Case(
        "timestamp_not_iso",
        "fail",
        _edit_e(_set("createdAt", "last tuesday")),
        [f"hub/models/page-0002.json record 1 ({E})", "'last tuesday' is not ISO-8601"],
    ),
    Case(
        "model_info_without__id",
        "fail",
        _children_without_uid,
        ["hub/model_info/children.jsonl line 1", "model_info object without `_id`"],
    ),
    Case("row_count_collapses", "fail", _collapse, ["expect_table_row_count_to_be_between", "observed 2"]),
    # --- manifests that do not match the files ----------------------------------------------
    Case(
        "manifest_sha256_mismatch",
        "fail",
        _edit_e(_set("likes", 6)),
        ["hub/models/page-0002.json", "sha256 does not match MANIFEST.json"],
        resign=False,
    ),
    Case(
        "manifest_entry_outside_the_day",
        "fail",
        _manifest_entry("../2026-10-01/hub/models/page-0001.json"),
        ["MANIFEST.json", "'../2026-10-01/hub/models/page-0001.json' points outside the archive day"],
        resign=False,
    ),
    Case(
        "manifest_entry_absolute_path",
        "fail",
        _manifest_entry("/etc/hostname"),
        ["'/etc/hostname' points outside the archive day"],
        resign=False,
    ),
    Case(
        "manifest_lists_a_missing_file",
        "fail",
        _manifest_entry(f"{MODELS}/page-0009.json"),
        ["'hub/models/page-0009.json', which is missing from the archive"],
        resign=False,
    ),
    Case(
        "manifest_not_json",
        "fail",
        _truncate("MANIFEST.json", 50),
        ["MANIFEST.json is not valid JSON"],
        resign=False,
    ),
    Case(
        "day_missing_from_the_archive",
        "fail",
        shutil.rmtree,
        ["has no day", "ATOM_ARCHIVE_DIR"],
        resign=False,
    ),
    # --- repaired or accepted ----------------------------------------------------------------
    Case(
        "downloads_numeric_string",
        "land",
        _edit_e(_set("downloads", "123")),
        repairs={"downloads_string_to_int": 1},
    ),
    Case("likes_integral_float", "land", _edit_e(_set("likes", 5.0)), repairs={"likes_float_to_int": 1}),
    Case("author_missing", "land", _edit_e(_drop("author")), repairs={"author_from_id": 1}),
    Case(
        "duplicate__id_with_conflicting_values",
        "land",
        _edit_page(2, _conflicting_duplicate),
        metadata={"duplicates_collapsed": 1, "duplicate_conflicts": 1},
    ),
    Case("unknown_new_fields", "land", _unknown_fields, metadata={"duplicates_collapsed": 1}),
    Case(
        "lineage_parents_that_are_local_paths",
        "land",
        _local_lineage,
        repairs={"lineage_invalid_parent_dropped": 2},
    ),
]
