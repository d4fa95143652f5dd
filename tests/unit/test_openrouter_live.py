"""Live OpenRouter capture, replayed from recorded HTTP interactions (never the network).

Recordings live in ``tests/fixtures/http/openrouter_*.json`` in the format of the Hub ones
(``{"request": {"method", "url"}, "response": {"status", "headers", "body"}}``), served by an
``httpx2.MockTransport`` handed to the capture as its client factory.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from atom_dagster.landing.tables.openrouter import read_openrouter_day
from atom_dagster.sources.archive import ArchiveWriter, read_manifest, verify_manifest
from atom_dagster.sources.openrouter_live import (
    ATTRIBUTION,
    CaptureError,
    capture_openrouter_day,
)
from tests.fixtures.http_replay import Replay as HttpReplay
from tests.fixtures.http_replay import body_bytes, load

DAY = "2026-11-27"
KEY = "sk-or-v1-SECRETkey0123456789"


class Replay(HttpReplay):
    """The recordings of ``names`` for openrouter.ai; earlier files win (faults first)."""

    def __init__(self, *names: str) -> None:
        super().__init__([i for name in names for i in load(name)], host="openrouter.ai")


def capture(tmp_path: Path, replay: Replay, sleeps: list[float] | None = None, **kwargs):
    logs: list[str] = []
    sleeps = [] if sleeps is None else sleeps
    result = capture_openrouter_day(
        tmp_path / "archive",
        DAY,
        client_factory=replay.factory(),
        sleep=sleeps.append,
        log=logs.append,
        **kwargs,
    )
    return result, logs


def test_catalogue_and_rankings_are_archived_verbatim_with_their_own_manifest(tmp_path):
    replay = Replay("openrouter_catalogue_and_rankings.json")
    result, logs = capture(tmp_path, replay, api_key=KEY)

    assert all(replay.used) and result.requests == 2 and result.retries == 0
    assert (result.models, result.rankings_rows, result.rankings_skipped) == (7, 7, None)
    models_req, rankings_req = replay.requests
    assert parse_qsl(models_req.url.query.decode()) == [("output_modalities", "all")]
    assert "authorization" not in models_req.headers  # the public endpoint never gets the key
    assert rankings_req.headers["authorization"] == f"Bearer {KEY}"
    assert parse_qsl(rankings_req.url.query.decode()) == [("start_date", DAY), ("end_date", DAY)]

    unit = tmp_path / "archive" / DAY / "openrouter"
    assert result.unit_dir == unit and result.published_to == [unit]
    recorded = load("openrouter_catalogue_and_rankings.json")
    assert (unit / "models.json").read_bytes() == body_bytes(recorded[0]["response"]["body"])
    assert (unit / "rankings-daily.json").read_bytes() == body_bytes(recorded[1]["response"]["body"])
    manifest = read_manifest(unit)
    verify_manifest(unit, manifest)
    assert manifest["scope"] == "openrouter" and manifest["complete"] is True and manifest["source"] == "live"
    assert manifest["attribution"] == ATTRIBUTION
    assert manifest["capture"]["rankings"] == "captured"
    assert [(r["endpoint"], r["status"], r["file"]) for r in manifest["requests"]] == [
        ("/api/v1/models", 200, "models.json"),
        ("/api/v1/datasets/rankings-daily", 200, "rankings-daily.json"),
    ]
    assert manifest["requests"][1]["meta"]["as_of"] == "2026-11-28T02:00:00Z"
    assert (
        manifest["files"]["models.json"]["sha256"]
        == hashlib.sha256((unit / "models.json").read_bytes()).hexdigest()
    )
    assert not list((tmp_path / "archive").glob(".openrouter-*"))  # staging cleaned up
    assert any("rankings-daily 2026-11-27: 7 rows" in line for line in logs)

    # The archived day replays: every model, the day's rankings with tokens as integers.
    day = read_openrouter_day(tmp_path / "archive" / DAY, DAY)
    assert len(day.models.rows) == 7 and not day.models.rejected
    assert {r["model_slug"]: r["hugging_face_id"] for r in day.models.rows}[
        "anthropic/claude-sonnet-4.5"
    ] is None
    tokens = {r["model_permaslug"]: r["total_tokens"] for r in day.rankings.rows}
    assert (
        tokens["anthropic/claude-4.5-sonnet-20250929"] == 301_457_836_215
        and tokens["other"] == 402_311_904_118
    )


def test_without_a_key_rankings_are_not_requested_and_the_manifest_says_why(tmp_path):
    replay = Replay("openrouter_catalogue_and_rankings.json")
    result, logs = capture(tmp_path, replay, api_key=None)

    assert [r.url.path for r in replay.requests] == ["/api/v1/models"]
    assert result.rankings_rows is None and "OPENROUTER_API_KEY is not set" in result.rankings_skipped
    unit = tmp_path / "archive" / DAY / "openrouter"
    assert sorted(p.name for p in unit.iterdir()) == [
        "MANIFEST.json",
        "models.json",
    ]  # no empty rankings file
    manifest = read_manifest(unit)
    assert manifest["capture"]["rankings"].startswith("skipped: OPENROUTER_API_KEY is not set")
    skipped = [r for r in manifest["requests"] if r["endpoint"] == "/api/v1/datasets/rankings-daily"]
    assert len(skipped) == 1 and "status" not in skipped[0] and "skipped" in skipped[0]
    day = read_openrouter_day(tmp_path / "archive" / DAY, DAY)
    assert day.rankings is None and day.models is not None
    assert any("OPENROUTER_API_KEY is not set" in note for note in day.notes)
    assert any("skipped" in line for line in logs)


def test_401_names_the_endpoint_and_says_the_key_was_rejected_without_showing_it(tmp_path):
    replay = Replay("openrouter_rankings_401_bad_key.json", "openrouter_catalogue_and_rankings.json")
    sleeps: list[float] = []
    with pytest.raises(CaptureError) as info:
        capture(tmp_path, replay, sleeps, api_key=KEY)

    message = str(info.value)
    assert message.startswith(
        "GET /api/v1/datasets/rankings-daily failed: 401 Unauthorized (User not found.)"
    )
    assert "rejected the API key from OPENROUTER_API_KEY" in message
    assert KEY not in message and KEY not in repr(info.value)
    assert sleeps == []  # a rejected key is not retried
    archive = tmp_path / "archive"
    assert not (archive / DAY).exists()  # nothing published
    staged = list(archive.glob(".openrouter-*/openrouter/*"))
    assert [p.name for p in staged] == ["models.json"]  # the unfinished unit stays hidden in staging
    for path in archive.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes()


def test_429_honours_retry_after_and_gives_the_same_archive(tmp_path):
    clean, _ = capture(tmp_path / "clean", Replay("openrouter_catalogue_and_rankings.json"), api_key=KEY)

    replay = Replay("openrouter_rankings_429_retry_after.json", "openrouter_catalogue_and_rankings.json")
    sleeps: list[float] = []
    result, logs = capture(tmp_path / "limited", replay, sleeps, api_key=KEY)

    assert sleeps == [3.0]  # Retry-After: 3
    assert all(replay.used) and result.requests == 3 and result.retries == 1
    for name in ("models.json", "rankings-daily.json"):
        assert (result.unit_dir / name).read_bytes() == (clean.unit_dir / name).read_bytes()
    manifest = read_manifest(result.unit_dir)
    assert manifest["capture"]["retries"] == 1
    assert manifest["requests"][1]["attempts"] == 2 and manifest["requests"][1]["status"] == 200
    assert any(
        line.startswith("GET /api/v1/datasets/rankings-daily: 429 Too Many Requests")
        and line.endswith("; retry 1/5 in 3 s (Retry-After 3)")
        for line in logs
    ), logs
    assert any("succeeded after 1 retry" in line for line in logs)


def test_429_asking_for_a_longer_wait_than_the_capture_allows_fails_at_once(tmp_path):
    replay = Replay("openrouter_rankings_429_daily_quota.json", "openrouter_catalogue_and_rankings.json")
    sleeps: list[float] = []
    with pytest.raises(CaptureError, match=r"rankings-daily failed: 429 Too Many Requests .*41000 s") as info:
        capture(tmp_path, replay, sleeps, api_key=KEY, max_wait=120)
    assert "500 requests per day" in str(info.value)
    assert sleeps == []


def test_persistent_503_is_retried_with_bounded_backoff_then_fails(tmp_path):
    replay = Replay("openrouter_models_503_persistent.json")
    sleeps: list[float] = []
    with pytest.raises(CaptureError) as info:
        capture(tmp_path, replay, sleeps)
    assert str(info.value) == "GET /api/v1/models failed: 503 Service Unavailable after 5 retries"
    assert sleeps == [1, 2, 4, 8, 8]
    assert Counter(r.url.path for r in replay.requests) == {"/api/v1/models": 6}
    assert not (tmp_path / "archive" / DAY).exists()


def test_unit_joins_a_hub_capture_under_way_and_survives_its_final_rename(tmp_path):
    archive = tmp_path / "archive"
    hub = ArchiveWriter(archive, DAY, source="live")  # a Hub capture of the same day has started
    hub.write_body("hub/models/Qwen-0001.json", b"[]")

    result, _ = capture(tmp_path, Replay("openrouter_catalogue_and_rankings.json"), api_key=KEY)
    assert result.published_to == [archive / DAY / "openrouter", archive / f"{DAY}.partial" / "openrouter"]

    final = hub.finish()  # renames <day>.partial over <day>
    assert (final / "openrouter" / "rankings-daily.json").exists()
    assert (final / "hub" / "models" / "Qwen-0001.json").exists()
    verify_manifest(final, read_manifest(final))  # the Hub manifest still verifies
    day = read_openrouter_day(final, DAY)  # and so does the OpenRouter unit
    assert len(day.rankings.rows) == 7


def test_a_hub_capture_started_after_the_unit_was_published_carries_the_unit_over(tmp_path):
    archive = tmp_path / "archive"
    capture(tmp_path, Replay("openrouter_catalogue_and_rankings.json"), api_key=KEY)
    assert (archive / DAY / "openrouter" / "rankings-daily.json").exists()

    hub = ArchiveWriter(archive, DAY, source="live")  # starts after: its partial day has no unit
    hub.write_body("hub/models/Qwen-0001.json", b"[]")
    final = hub.finish()  # replaces <day>/, carrying over the folders it did not write

    assert (final / "hub" / "models" / "Qwen-0001.json").exists()
    verify_manifest(final, read_manifest(final))
    assert len(read_openrouter_day(final, DAY).rankings.rows) == 7
    assert sorted(p.name for p in archive.iterdir() if not p.name.startswith(".")) == [DAY]


def test_unit_published_after_the_hub_day_keeps_the_hub_files(tmp_path):
    archive = tmp_path / "archive"
    hub = ArchiveWriter(archive, DAY, source="live")
    hub.write_body("hub/models/Qwen-0001.json", b"[]")
    hub.finish()
    capture(tmp_path, Replay("openrouter_catalogue_and_rankings.json"), api_key=KEY)
    capture(
        tmp_path, Replay("openrouter_catalogue_and_rankings.json"), api_key=None
    )  # a re-capture replaces it

    day_path = archive / DAY
    verify_manifest(day_path, read_manifest(day_path))
    assert sorted(p.name for p in (day_path / "openrouter").iterdir()) == ["MANIFEST.json", "models.json"]
    assert not [p for p in day_path.iterdir() if p.name.endswith((".old", ".incoming"))]
