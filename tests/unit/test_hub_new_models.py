"""The whole Hub's new models of a day: the live listing (replayed HTTP) and its raw table's parse.

The listing is served by the recorded-HTTP replay of ``test_hub_live`` (fixture ``hub``: an
``httpx2.MockTransport`` behind huggingface_hub's own session), with recordings built here: pages
newest first, each ``Link``-ing to the next by an opaque cursor, the last page of the day
continuing into the Hub's older models (never fetched).
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import pytest

from atom_dagster.landing.listing import read_listing
from atom_dagster.landing.spec import ResolvedDay
from atom_dagster.landing.tables import hub_new_models as table
from atom_dagster.landing.tables.hub_new_models import (
    MISSING_CREATED,
    NewModelsParse,
    declared_base,
    parse_archive_day,
    select_day,
)
from atom_dagster.quality.gate import validate_table
from atom_dagster.sources.archive import (
    HUB_NEW_MODELS_DIR,
    PROGRESS_NAME,
    ArchiveError,
    ArchiveWriter,
    read_manifest,
)
from atom_dagster.sources.hub_live import CaptureError, capture_hub_day
from atom_dagster.sources.hub_new_models import NEW_MODELS_EXPAND
from tests.unit.test_hub_live import data_files

DAY = "2025-04-05"
HUB = "https://huggingface.co"
QWEN = "Qwen/Qwen2.5-7B-Instruct"


def listed(n: int, created: str, **extra) -> dict:
    """A listing object (only the expanded fields, plus `_id` and `id`)."""
    obj = {
        "_id": f"{n:024x}",
        "id": f"user{n}/model-{n}",
        "author": f"user{n}",
        "createdAt": created,
        "downloads": n,
        "likes": 0,
        "tags": ["transformers"],
        "pipeline_tag": "text-generation",
        "library_name": "transformers",
    }
    return obj | extra


# Newest first, as captured at 02:00 the next day: 2 of D+1, 5 of D (#5 repeated at the page
# boundary), then the Hub's older models, where the listing must stop.
CREATED = {
    1: "2025-04-06T01:10:00.000Z",
    2: "2025-04-06T00:05:00.000Z",
    3: "2025-04-05T23:00:00.000Z",
    4: "2025-04-05T12:00:00.000Z",
    5: "2025-04-05T08:00:00.000Z",
    6: "2025-04-05T00:00:00.000Z",
    7: "2025-04-04T23:59:59.000Z",
    8: "2025-04-04T20:00:00.000Z",
    9: "2025-04-04T10:00:00.000Z",
}
PAGES = [[listed(n, CREATED[n]) for n in page] for page in ((1, 2, 3), (3, 4, 5), (6, 7, 8), (9,))]


def page_url(page: int) -> str:
    query = [("sort", "createdAt"), ("direction", "-1"), ("limit", "3")]
    query += [("expand", e) for e in NEW_MODELS_EXPAND]
    if page > 1:
        query.append(("cursor", f"c{page}"))
    return f"{HUB}/api/models?{urlencode(query)}"


def recordings(pages: list[list[dict]], fail_page: int | None = None) -> list[dict]:
    """The listing's interactions (a 403 first for ``fail_page``: not retried, fails the capture)."""
    out = []
    if fail_page is not None:
        forbidden = {"status": 403, "headers": {}, "body": {"error": "forbidden"}}
        out.append({"request": {"method": "GET", "url": page_url(fail_page)}, "response": forbidden})
    for n, page in enumerate(pages, start=1):
        headers = {"link": f'<{page_url(n + 1)}>; rel="next"'} if n < len(pages) else {}
        body = json.dumps(page, indent=1)  # verbatim bytes, not re-serialized
        response = {"status": 200, "headers": headers, "body": body}
        out.append({"request": {"method": "GET", "url": page_url(n)}, "response": response})
    return out


def capture(tmp_path: Path, logs: list[str] | None = None):
    log = (logs if logs is not None else []).append
    return capture_hub_day(tmp_path / "archive", DAY, [], page_limit=3, log=log)


# --- live listing ---------------------------------------------------------------------------


def test_listing_skips_after_the_day_keeps_it_and_stops_at_the_first_model_before(tmp_path, hub):
    replay = hub[0](recordings(PAGES))
    logs: list[str] = []

    result = capture(tmp_path, logs)

    # Page 3 holds #7, created before D: page 4 (older models) is never requested.
    assert [r.url.params.get("cursor") for r in replay.requests] == [None, "c2", "c3"]
    assert (result.new_model_pages, result.new_models, result.requests) == (3, 5, 3)
    folder = result.day_dir / HUB_NEW_MODELS_DIR
    assert sorted(p.name for p in folder.iterdir()) == [
        "page-00001.json",
        "page-00002.json",
        "page-00003.json",
    ]
    assert [json.loads(p.read_bytes()) for p in sorted(folder.iterdir())] == PAGES[:3]
    section = read_manifest(result.day_dir)["capture"]["new_models"]
    assert section["params"] == {
        "sort": "createdAt",
        "direction": -1,
        "limit": 3,
        "expand": NEW_MODELS_EXPAND,
    }
    assert {k: section[k] for k in ("requests", "pages", "models_listed")} == {
        "requests": 3,
        "pages": 3,
        "models_listed": 9,
    }
    # Listed: #3 twice (page boundary) among D's; the landing counts it once.
    assert (section["created_after_day"], section["created_on_day"], section["created_before_day"]) == (
        2,
        5,
        2,
    )
    assert "[new models] page 3: 3 models (1 created on 2025-04-05, 0 after it)" in " ".join(logs)

    # Landing: D's models once each (#3 was on two pages); D+1's and older ones dropped, counted.
    report, _ = parse_archive_day(result.day_dir, DAY)
    assert sorted(r["model_id"] for r in report.rows) == [f"user{n}/model-{n}" for n in (3, 4, 5, 6)]
    assert (report.duplicates_collapsed, report.created_after_day, report.created_before_day) == (1, 2, 2)


def test_crashed_listing_resumes_from_its_checkpoint(tmp_path, hub):
    install = hub[0]
    install(recordings(PAGES))
    clean = capture(tmp_path / "clean")

    install(recordings(PAGES, fail_page=2))
    with pytest.raises(CaptureError, match=r"GET /api/models\?sort=createdAt page 2 failed: 403"):
        capture(tmp_path)
    partial = tmp_path / "archive" / f"{DAY}.partial"
    progress = json.loads((partial / PROGRESS_NAME).read_text())["state"]["new_models"]
    assert (progress["pages"], progress["pages_done"]) == (1, False) and "cursor=c2" in progress["next"]

    replay = install(recordings(PAGES))
    logs: list[str] = []
    result = capture(tmp_path, logs)

    assert f"resuming the capture of {DAY} from new models page 2" in logs[0]
    assert [r.url.params.get("cursor") for r in replay.requests] == ["c2", "c3"]  # page 1 not again
    assert data_files(result.day_dir) == data_files(clean.day_dir)
    section = read_manifest(result.day_dir)["capture"]["new_models"]
    # Requests as checkpointed: page 1 in the first run, pages 2-3 in the second (the 403 came after
    # the first run's last checkpoint, as for the org pages).
    assert (section["requests"], section["pages"], section["created_on_day"]) == (3, 3, 5)


@pytest.mark.parametrize(
    ("page", "cause"),
    [
        ([{"_id": "a", "id": "u/a"}], "none of its 1 models has a readable `createdAt`"),
        ([listed(1, "2025-04-05T01:00:00Z"), listed(2, "2025-04-05T02:00:00Z")], "not newest first"),
    ],
    ids=["no_dates", "oldest_first"],
)
def test_a_listing_it_cannot_stop_fails_naming_the_page(tmp_path, hub, page, cause):
    hub[0](recordings([page]))
    with pytest.raises(CaptureError, match=rf"GET /api/models\?sort=createdAt page 1 failed: .*{cause}"):
        capture(tmp_path)


# --- parse ----------------------------------------------------------------------------------


def edge(relation: str, parent: str, origin: str) -> dict:
    return {"relation": relation, "parent_id": parent, "origin": origin}


def test_base_models_win_over_tags_which_are_the_fallback():
    declared = [edge("adapter", QWEN, "baseModels"), edge("finetune", "other/model", "tag")]
    assert declared_base(declared) == ("adapter", [QWEN], 0)
    assert declared_base([edge("quantized", QWEN, "tag")]) == ("quantized", [QWEN], 0)
    # A merge names two parents; a relation the Hub does not define is null, its parents kept.
    merge = [edge("merge", "b/y", "baseModels"), edge("merge", "a/x", "baseModels")]
    assert declared_base(merge) == ("merge", ["b/y", "a/x"], 0)
    assert declared_base([edge("unknown", QWEN, "baseModels")]) == (None, [QWEN], 0)
    # A local path or an empty parent is not a Hub id: dropped and counted; no base at all: none.
    local = [edge("finetune", "/home/me/ckpt", "baseModels"), edge("finetune", "", "baseModels")]
    assert declared_base(local) == ("finetune", [], 2)
    assert declared_base([]) == (None, [], 0)


def write_day(root: Path, pages: list, day: str = DAY) -> Path:
    writer = ArchiveWriter(root, day, source="archive", fixed_time=f"{day}T23:59:00+00:00")
    for n, page in enumerate(pages, start=1):
        body = page if isinstance(page, bytes) else json.dumps(page).encode()
        writer.write_body(f"{HUB_NEW_MODELS_DIR}/page-{n:05d}.json", body)
    return writer.finish()


def test_parse_keeps_the_day_once_per_id_and_rejects_unusable_records(tmp_path):
    tagged = listed(4, CREATED[3], tags=[f"base_model:{QWEN}", f"base_model:finetune:{QWEN}"])
    based = listed(5, CREATED[4], baseModels={"relation": "quantized", "models": [{"id": QWEN}]})
    no_uid = {"id": "no/uid", "createdAt": CREATED[5]}
    day_path = write_day(
        tmp_path,
        [[listed(1, CREATED[2]), based, tagged], [tagged, no_uid, listed(6, None), listed(7, CREATED[7])]],
    )

    report, _ = parse_archive_day(day_path, DAY)

    rows = {r["model_id"]: r for r in report.rows}
    assert sorted(rows) == ["user4/model-4", "user5/model-5"]
    assert (rows["user4/model-4"]["base_relation"], rows["user4/model-4"]["base_model_ids"]) == (
        "finetune",
        [QWEN],
    )
    assert (rows["user5/model-5"]["base_relation"], rows["user5/model-5"]["namespace"]) == (
        "quantized",
        "user5",
    )
    assert str(rows["user5/model-5"]["created_at"]) == "2025-04-05 12:00:00+00:00"
    assert (report.records_read, report.duplicates_collapsed) == (7, 1)
    assert (report.created_after_day, report.created_before_day) == (1, 1)
    assert [(r["file"], r["position"], r["reason"]) for r in report.rejected] == [
        ("hub/new_models/page-00002.json", 2, "missing `_id` (the rename-proof model key)"),
        ("hub/new_models/page-00002.json", 3, MISSING_CREATED),
    ]


def test_select_day_counts_copies_once(tmp_path):
    day_path = write_day(tmp_path, [[listed(1, "2025-04-05T03:00:00Z")], [listed(1, "2025-04-05T03:00:00Z")]])
    report = NewModelsParse()
    listing = read_listing(day_path, HUB_NEW_MODELS_DIR, report)
    assert [r["model_uid"] for r in select_day(listing, DAY, report)] == [f"{1:024x}"]
    assert report.duplicates_collapsed == 1


def test_a_malformed_page_fails_naming_the_file_and_a_day_without_pages_is_skipped(tmp_path):
    day_path = write_day(tmp_path / "bad", [b'{"models": []}'])
    with pytest.raises(ArchiveError, match="hub/new_models/page-00001.json: a page must be a JSON array"):
        parse_archive_day(day_path, DAY)

    older = write_day(tmp_path / "older", [])  # a day captured before the listing existed
    parsed = table.parse(ResolvedDay(older, "archive", "replay"), DAY)
    assert parsed.skipped is not None and parsed.skipped.startswith("no hub/new_models/ pages")
    # An empty listing is a capture that fetched nothing: skipped (a warning), not zero new models.
    empty = table.parse(ResolvedDay(write_day(tmp_path / "empty", [[]]), "live", "capture"), DAY)
    assert empty.skipped == "its 1 hub/new_models/ page(s) hold no model (an empty listing)"


def test_gate_checks_every_row_was_created_on_the_partition_day(tmp_path):
    report, _ = parse_archive_day(write_day(tmp_path, [PAGES[1]]), DAY)
    df = table.to_arrow(report.rows, "archive").to_pandas()
    assert validate_table(table.RAW_TABLE, df, None, report.rejected, day=DAY).passed
    outcome = validate_table(table.RAW_TABLE, df, None, report.rejected, day="2025-04-06")
    assert not outcome.passed
    assert [f["column"] for f in outcome.failures] == ["created_at"]
