"""The snapshot archive: atomic day writes, manifests, and reading pages back."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pytest

from atom_dagster.sources.archive import (
    FORMAT_VERSION,
    MANIFEST_NAME,
    PROGRESS_JOURNAL,
    PROGRESS_NAME,
    ArchiveError,
    ArchiveRecord,
    ArchiveWriter,
    iter_records,
    read_manifest,
    verify_manifest,
)

DAY = "2026-10-01"
PAGE = json.dumps([{"_id": "a", "id": "org/a"}, {"_id": "b", "id": "org/b"}]).encode()


def _files_under(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_writer_uses_partial_dir_until_finish(tmp_path):
    writer = ArchiveWriter(tmp_path, DAY, source="live")
    target = writer.write_body("hub/models/page-0001.json", PAGE, request={"endpoint": "/api/models"})

    assert target == tmp_path / f"{DAY}.partial" / "hub" / "models" / "page-0001.json"
    assert target.read_bytes() == PAGE
    assert not (tmp_path / DAY).exists()
    assert not list(target.parent.glob("*.tmp"))

    final = writer.finish()

    assert final == tmp_path / DAY
    assert not (tmp_path / f"{DAY}.partial").exists()
    assert (final / "hub" / "models" / "page-0001.json").read_bytes() == PAGE


def test_manifest_lists_sha256_and_bytes_of_every_file(tmp_path):
    writer = ArchiveWriter(tmp_path, DAY, source="live", synthetic=False)
    writer.write_body("hub/models/page-0002.json", PAGE, request={"endpoint": "/api/models", "page": 2})
    writer.write_jsonl("hub/model_info/children.jsonl", [{"_id": "a", "childrenModelCount": {"finetune": 1}}])
    writer.write_body("openrouter/models.json", b'{"data": []}')
    final = writer.finish(extra={"note": "unit"})

    manifest = json.loads((final / MANIFEST_NAME).read_text())
    on_disk = {p: b for p, b in _files_under(final).items() if p != MANIFEST_NAME}
    assert (
        sorted(manifest["files"])
        == sorted(on_disk)
        == [
            "hub/model_info/children.jsonl",
            "hub/models/page-0002.json",
            "openrouter/models.json",
        ]
    )
    for rel, body in on_disk.items():
        assert manifest["files"][rel] == {"sha256": hashlib.sha256(body).hexdigest(), "bytes": len(body)}
    assert manifest["format"] == FORMAT_VERSION
    assert manifest["snapshot_date"] == DAY
    assert manifest["source"] == "live"
    assert manifest["synthetic"] is False
    assert manifest["complete"] is True
    assert manifest["note"] == "unit"
    # Only the call with a request is recorded as a request.
    assert [r["file"] for r in manifest["requests"]] == ["hub/models/page-0002.json"]
    assert manifest["requests"][0]["page"] == 2
    assert "fetched_at" in manifest["requests"][0]
    assert read_manifest(final) == manifest
    verify_manifest(final, manifest)  # does not raise


def test_write_jsonl_is_one_sorted_compact_object_per_line(tmp_path):
    writer = ArchiveWriter(tmp_path, DAY, source="live")
    path = writer.write_jsonl("hub/model_info/x.jsonl", [{"b": 1, "a": 2}, {"_id": "z"}])
    assert path.read_text() == '{"a":2,"b":1}\n{"_id":"z"}\n'


def test_finish_replaces_an_existing_day(tmp_path):
    first = ArchiveWriter(tmp_path, DAY, source="live")
    first.write_body("hub/models/old.json", b"[]")
    first.finish()

    second = ArchiveWriter(tmp_path, DAY, source="archive")
    second.write_body("hub/models/new.json", PAGE)
    final = second.finish()

    assert sorted(_files_under(final)) == [MANIFEST_NAME, "hub/models/new.json"]
    assert read_manifest(final)["source"] == "archive"
    assert sorted(p.name for p in tmp_path.iterdir()) == [DAY]  # no .old or .partial left behind


def test_fixed_time_makes_archives_byte_identical(tmp_path):
    def write(root: Path) -> Path:
        writer = ArchiveWriter(
            root, DAY, source="demo", synthetic=True, fixed_time="2026-10-01T23:59:00+00:00"
        )
        writer.write_body("hub/models/page-0001.json", PAGE, request={"endpoint": "/api/models"})
        writer.write_jsonl("hub/model_info/children.jsonl", [{"_id": "a"}], request={"endpoint": "info"})
        return writer.finish()

    one, two = write(tmp_path / "one"), write(tmp_path / "two")
    assert _files_under(one) == _files_under(two)
    manifest = read_manifest(one)
    assert manifest["started_at"] == manifest["finished_at"] == "2026-10-01T23:59:00+00:00"
    assert {r["fetched_at"] for r in manifest["requests"]} == {"2026-10-01T23:59:00+00:00"}


# --- iter_records -----------------------------------------------------------------------------


def _write(path: Path, body: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)


def test_iter_records_reads_every_page_format(tmp_path):
    models = tmp_path / "hub" / "models"
    _write(models / "a.json", json.dumps([{"n": 1}, {"n": 2}]).encode())
    _write(models / "b.jsonl", b'{"n": 3}\n\n   \n{"n": 4}\n')
    _write(models / "c.json.gz", gzip.compress(json.dumps([{"n": 5}]).encode()))
    _write(models / "d.jsonl.gz", gzip.compress(b'\n{"n": 6}\n{"n": 7}'))
    _write(models / "notes.txt", b"not a page")
    _write(models / "sub" / "e.json", b"[{}]")  # sub-folders are not pages

    records = list(iter_records(tmp_path, "hub/models"))

    assert records == [
        ArchiveRecord("hub/models/a.json", 1, {"n": 1}),
        ArchiveRecord("hub/models/a.json", 2, {"n": 2}),
        ArchiveRecord("hub/models/b.jsonl", 1, {"n": 3}),
        ArchiveRecord("hub/models/b.jsonl", 4, {"n": 4}),
        ArchiveRecord("hub/models/c.json.gz", 1, {"n": 5}),
        ArchiveRecord("hub/models/d.jsonl.gz", 2, {"n": 6}),
        ArchiveRecord("hub/models/d.jsonl.gz", 3, {"n": 7}),
    ]


def test_iter_records_of_a_missing_folder_is_empty(tmp_path):
    assert list(iter_records(tmp_path, "hub/model_info")) == []


def test_truncated_json_page_names_the_file(tmp_path):
    _write(tmp_path / "hub" / "models" / "page-0003.json", b'[{"_id": "a"}, {"_id": "b"')
    with pytest.raises(ArchiveError, match="truncated") as info:
        list(iter_records(tmp_path, "hub/models"))
    assert "hub/models/page-0003.json" in str(info.value)
    assert "not valid JSON" in str(info.value)


def test_page_that_is_an_object_is_rejected(tmp_path):
    _write(tmp_path / "hub" / "models" / "page-0001.json", b'{"error": "rate limited"}')
    with pytest.raises(ArchiveError) as info:
        list(iter_records(tmp_path, "hub/models"))
    message = str(info.value)
    assert message.startswith("hub/models/page-0001.json:")
    assert "must be a JSON array" in message
    assert "dict" in message


def test_bad_jsonl_line_names_file_and_line(tmp_path):
    _write(tmp_path / "hub" / "model_info" / "x.jsonl", b'{"_id": "a"}\n\n{"_id": \n')
    seen = []
    with pytest.raises(ArchiveError, match=r"^hub/model_info/x\.jsonl, line 3: not valid JSON"):
        for record in iter_records(tmp_path, "hub/model_info"):
            seen.append(record.obj)
    assert seen == [{"_id": "a"}]  # records before the bad line were streamed


def test_truncated_gzip_page_names_the_file(tmp_path):
    body = gzip.compress(json.dumps([{"n": i} for i in range(200)]).encode())
    _write(tmp_path / "hub" / "models" / "p.json.gz", body[: len(body) // 2])
    with pytest.raises(ArchiveError, match=r"^hub/models/p\.json\.gz: cannot be read"):
        list(iter_records(tmp_path, "hub/models"))


def test_non_utf8_page_names_the_file(tmp_path):
    _write(tmp_path / "hub" / "models" / "p.json", b'[{"id": "\xff\xfe"}]')
    with pytest.raises(ArchiveError, match=r"^hub/models/p\.json: cannot be read"):
        list(iter_records(tmp_path, "hub/models"))


# --- read_manifest / verify_manifest ----------------------------------------------------------


def test_read_manifest_absent_is_none(tmp_path):
    assert read_manifest(tmp_path) is None


def test_read_manifest_invalid_json(tmp_path):
    (tmp_path / MANIFEST_NAME).write_text('{"files": {')
    with pytest.raises(ArchiveError, match="MANIFEST.json is not valid JSON") as info:
        read_manifest(tmp_path)
    assert str(tmp_path / MANIFEST_NAME) in str(info.value)


def test_read_manifest_must_be_an_object(tmp_path):
    (tmp_path / MANIFEST_NAME).write_text("[]")
    with pytest.raises(ArchiveError, match="must be a JSON object"):
        read_manifest(tmp_path)


def _finished_day(tmp_path: Path) -> Path:
    writer = ArchiveWriter(tmp_path, DAY, source="live")
    writer.write_body("hub/models/page-0001.json", PAGE)
    return writer.finish()


def test_verify_manifest_detects_a_changed_file(tmp_path):
    day = _finished_day(tmp_path)
    (day / "hub" / "models" / "page-0001.json").write_bytes(PAGE.replace(b"org/a", b"org/x"))
    with pytest.raises(ArchiveError, match="sha256 does not match") as info:
        verify_manifest(day, read_manifest(day))
    assert "page-0001.json" in str(info.value)


def test_verify_manifest_rejects_entries_outside_the_day(tmp_path):
    day = _finished_day(tmp_path)
    manifest = read_manifest(day)
    manifest["files"]["../../etc/passwd"] = {"sha256": "0" * 64, "bytes": 1}
    with pytest.raises(ArchiveError, match="outside") as info:
        verify_manifest(day, manifest)
    assert "'../../etc/passwd'" in str(info.value)


def test_verify_manifest_rejects_absolute_entries(tmp_path):
    day = _finished_day(tmp_path)
    with pytest.raises(ArchiveError, match="outside"):
        verify_manifest(day, {"files": {str(tmp_path / "elsewhere.json"): {}}})


def test_verify_manifest_detects_a_missing_file(tmp_path):
    day = _finished_day(tmp_path)
    (day / "hub" / "models" / "page-0001.json").unlink()
    with pytest.raises(ArchiveError, match="missing from the archive") as info:
        verify_manifest(day, read_manifest(day))
    assert "'hub/models/page-0001.json'" in str(info.value)


def test_verify_manifest_without_sha_only_checks_presence(tmp_path):
    day = _finished_day(tmp_path)
    (day / "hub" / "models" / "page-0001.json").write_bytes(b"[]")
    verify_manifest(day, {"files": {"hub/models/page-0001.json": {"bytes": 2}}})
    verify_manifest(day, {"files": {"hub/models/page-0001.json": None}})
    verify_manifest(day, {})


def test_a_resumed_writer_keeps_the_checkpointed_bodies_and_drops_the_rest(tmp_path):
    key = {"orgs": ["org"]}
    writer = ArchiveWriter(tmp_path, DAY, source="live", resume_key=key)
    for page in (1, 2, 3):
        writer.write_body(
            f"hub/models/org-{page:04d}.json", PAGE, request={"endpoint": "/api/models", "page": page}
        )
        writer.checkpoint({"pages": page})
    # Killed after the 4th body was written and journalled, before its checkpoint.
    writer.write_body("hub/models/org-0004.json", PAGE, request={"endpoint": "/api/models", "page": 4})
    partial = tmp_path / f"{DAY}.partial"
    progress = json.loads((partial / PROGRESS_NAME).read_text())
    # The checkpoint stays small: the bodies are in the append-only journal, not rewritten each time.
    assert progress["journal_entries"] == 3 and "files" not in progress and "requests" not in progress
    assert len((partial / PROGRESS_JOURNAL).read_bytes().splitlines()) == 4

    resumed = ArchiveWriter(tmp_path, DAY, source="live", resume_key=key)
    assert resumed.resumed and resumed.state == {"pages": 3}
    assert sorted(resumed.files) == [f"hub/models/org-{p:04d}.json" for p in (1, 2, 3)]
    assert [r["page"] for r in resumed.requests] == [1, 2, 3]
    assert not (partial / "hub" / "models" / "org-0004.json").exists()
    assert len((partial / PROGRESS_JOURNAL).read_bytes().splitlines()) == 3  # restarts from the checkpoint
    resumed.write_body("hub/models/org-0004.json", PAGE, request={"endpoint": "/api/models", "page": 4})
    resumed.checkpoint({"pages": 4})
    final = resumed.finish()
    assert [r["page"] for r in read_manifest(final)["requests"]] == [1, 2, 3, 4]
    assert not (final / PROGRESS_NAME).exists() and not (final / PROGRESS_JOURNAL).exists()


def test_a_journal_shorter_than_its_checkpoint_is_not_resumed(tmp_path):
    key = {"orgs": ["org"]}
    writer = ArchiveWriter(tmp_path, DAY, source="live", resume_key=key)
    writer.write_body("hub/models/org-0001.json", PAGE, request={"endpoint": "/api/models"})
    writer.checkpoint({"pages": 1})
    (tmp_path / f"{DAY}.partial" / PROGRESS_JOURNAL).write_bytes(b"")  # damaged bookkeeping
    again = ArchiveWriter(tmp_path, DAY, source="live", resume_key=key)
    assert not again.resumed and again.files == {} and again.state == {}
