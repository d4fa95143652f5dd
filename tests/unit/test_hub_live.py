"""Live Hub capture, replayed from recorded HTTP interactions (never the network).

Recordings live in ``tests/fixtures/http/hub_live_*.json``: a list of
``{"request": {"method", "url"}, "response": {"status", "headers", "body"}}``. They are served by
an ``httpx2.MockTransport`` installed with ``huggingface_hub.utils.set_client_factory``, so the
code under test runs through huggingface_hub's real ``get_session``/``http_backoff`` stack
(fixture ``hub`` in ``tests/unit/conftest.py``).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from atom_dagster.landing.parse import parse_hub_model
from atom_dagster.sources.archive import (
    HUB_MODEL_INFO_DIR,
    HUB_MODELS_DIR,
    iter_records,
    read_manifest,
    verify_manifest,
)
from atom_dagster.sources.hub_live import HUB_LIST_EXPAND, CaptureError, capture_hub_day
from tests.fixtures.http_replay import body_bytes, load

DAY = "2025-04-05"
ORGS = ["Qwen", "deepseek-ai"]
TOKEN = "hf_SECRETtoken123"


def capture(tmp_path: Path, **kwargs):
    logs: list[str] = []
    kwargs.setdefault("page_limit", 2)
    # The recordings hold the org listings only; the new-models listing has its own tests.
    kwargs.setdefault("new_models", False)
    result = capture_hub_day(tmp_path / "archive", DAY, ORGS, log=logs.append, **kwargs)
    return result, logs


def data_files(day_path: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(day_path)): p.read_bytes()
        for p in sorted(day_path.rglob("*"))
        if p.is_file() and p.name != "MANIFEST.json"
    }


def recorded_page_bodies(name: str = "hub_live_two_orgs.json") -> list[bytes]:
    pages = [i for i in load(name) if urlsplit(i["request"]["url"]).path == "/api/models"]
    return [body_bytes(i["response"]["body"]) for i in pages]


def test_pagination_follows_link_and_archives_pages_verbatim(tmp_path, hub):
    install, sleeps = hub
    replay = install("hub_live_two_orgs.json")

    result, logs = capture(tmp_path)

    day_path = tmp_path / "archive" / DAY
    assert result.day == DAY and result.day_dir == day_path
    assert (result.pages, result.models, result.model_info) == (4, 7, 7)
    assert result.requests == 11 == len(replay.requests)  # 4 pages + 7 model_info
    assert result.not_found == []
    assert all(replay.used) and sleeps == []
    assert not (tmp_path / "archive" / f"{DAY}.partial").exists()

    # One file per page, bytes equal to what the server sent (page 3 is pretty-printed, non-ASCII).
    pages = sorted((day_path / HUB_MODELS_DIR).iterdir())
    assert [p.name for p in pages] == [
        "Qwen-0001.json",
        "Qwen-0002.json",
        "Qwen-0003.json",
        "deepseek-ai-0001.json",
    ]
    assert [p.read_bytes() for p in pages] == recorded_page_bodies()
    assert "通义千问".encode() in pages[2].read_bytes()

    # Page 1 carried author/expand/limit; later pages exactly the Link URL (cursor included).
    listed = replay.served("/api/models")[:3]
    first = parse_qsl(listed[0].url.query.decode())
    assert ("author", "Qwen") in first and ("limit", "2") in first
    assert [v for k, v in first if k == "expand"] == HUB_LIST_EXPAND
    links = [i["response"]["headers"]["link"] for i in load("hub_live_two_orgs.json")[:2]]
    assert [str(r.url) for r in listed[1:]] == [link[1 : link.index(">")] for link in links]

    manifest = read_manifest(day_path)
    verify_manifest(day_path, manifest)
    assert manifest["complete"] is True and manifest["source"] == "live" and manifest["snapshot_date"] == DAY
    assert manifest["capture"]["orgs"] == ORGS
    assert manifest["capture"]["requests"] == 11
    assert manifest["capture"]["endpoint"] == "https://huggingface.co"
    page_requests = [r for r in manifest["requests"] if r["endpoint"] == "/api/models"]
    assert [(r["file"], r["page"], r["status"]) for r in page_requests] == [
        ("hub/models/Qwen-0001.json", 1, 200),
        ("hub/models/Qwen-0002.json", 2, 200),
        ("hub/models/Qwen-0003.json", 3, 200),
        ("hub/models/deepseek-ai-0001.json", 1, 200),
    ]
    assert page_requests[0]["params"] == {"author": "Qwen", "expand": HUB_LIST_EXPAND, "limit": 2}
    assert page_requests[1]["params"]["cursor"] == "eyJfaWQiOnsiJGd0IjoiNjZlNmQwYTFiN2M0ZjBhMWQyZTNmNDU2In19"
    assert page_requests[0]["next"] == str(listed[1].url)
    assert page_requests[2]["next"] is None and page_requests[3]["next"] is None
    for req, body in zip(page_requests, recorded_page_bodies(), strict=True):
        assert manifest["files"][req["file"]]["sha256"] == hashlib.sha256(body).hexdigest()

    info_requests = [r for r in manifest["requests"] if r["endpoint"] == "/api/models/{id}"]
    assert [(r["file"], r["count"], r["not_found"]) for r in info_requests] == [
        ("hub/model_info/Qwen.jsonl", 5, []),
        ("hub/model_info/deepseek-ai.jsonl", 2, []),
    ]
    expand = [("expand", "childrenModelCount"), ("expand", "inferenceProviderMapping")]
    assert all(parse_qsl(r.url.query.decode()) == expand for r in replay.served("/api/models/"))

    # Everything parses with the landing parser.
    rows = [parse_hub_model(rec.obj) for rec in iter_records(day_path, HUB_MODELS_DIR)]
    assert len(rows) == 7 and len({r["model_uid"] for r in rows}) == 7
    by_id = {r["model_id"]: r for r in rows}
    instruct = by_id["Qwen/Qwen2.5-7B-Instruct"]
    assert instruct["downloads_all_time"] == 58212090 and instruct["license"] == "apache-2.0"
    assert instruct["safetensors_total"] == 7615616512
    assert [(e["relation"], e["parent_id"]) for e in instruct["lineage"]] == [("finetune", "Qwen/Qwen2.5-7B")]
    assert by_id["Qwen/Qwen2.5-7B-Instruct-GGUF"]["gguf_total"] == 7615616512
    assert by_id["deepseek-ai/DeepSeek-R1"]["license"] == "mit"
    infos = {rec.obj["_id"]: rec.obj for rec in iter_records(day_path, HUB_MODEL_INFO_DIR)}
    assert len(infos) == 7
    assert infos[instruct["model_uid"]]["childrenModelCount"]["adapter"] == 2501
    assert parse_hub_model(infos[instruct["model_uid"]])["children_total"] == 1204 + 2501 + 349 + 211
    # Inference provider availability is archived with the children counts (raw/hub_inference_providers).
    assert sorted(infos[instruct["model_uid"]]["inferenceProviderMapping"]) == ["featherless-ai", "together"]
    assert all("inferenceProviderMapping" in info for info in infos.values())

    assert "[Qwen] page 2: 2 models (requests so far: 2)" in logs
    assert "[deepseek-ai] page 1: 2 models (requests so far: 9)" in logs


def test_429_with_ratelimit_headers_waits_and_gives_the_same_archive(tmp_path, hub):
    install, sleeps = hub
    install("hub_live_two_orgs.json")
    clean, _ = capture(tmp_path / "clean")
    assert sleeps == []

    replay = install("hub_live_429_rate_limited.json", "hub_live_two_orgs.json")
    result, logs = capture(tmp_path / "limited")

    # RateLimit "api";r=0;t=1 -> http_backoff waits t + 1 seconds, then retries the same URL.
    assert sleeps == [2.0]
    page2 = [r for r in replay.requests if "cursor=" in str(r.url)][:2]
    assert len(page2) == 2 and page2[0].url == page2[1].url
    assert all(replay.used)
    assert result.requests == clean.requests + 1 == 12
    assert (result.pages, result.models, result.model_info) == (clean.pages, clean.models, clean.model_info)
    assert data_files(result.day_dir) == data_files(clean.day_dir)
    manifest = read_manifest(result.day_dir)
    assert manifest["capture"]["requests"] == 12 and manifest["capture"]["retries"] == 1
    page2_entry = next(r for r in manifest["requests"] if r.get("file") == "hub/models/Qwen-0002.json")
    assert page2_entry["status"] == 200
    assert any("succeeded after 1 retry" in line for line in logs)


def test_404_on_model_info_is_recorded_and_capture_completes(tmp_path, hub):
    install, sleeps = hub
    install("hub_live_model_info_404.json", "hub_live_two_orgs.json")

    result, logs = capture(tmp_path)

    assert result.not_found == ["Qwen/QwQ-32B"]
    assert (result.pages, result.models, result.model_info, result.requests) == (4, 7, 6, 11)
    assert sleeps == []  # 404 is not retried
    manifest = read_manifest(result.day_dir)
    assert manifest["complete"] is True
    assert manifest["capture"]["not_found"] == [
        {"id": "Qwen/QwQ-32B", "status": 404, "error": "RepositoryNotFoundError", "org": "Qwen"}
    ]
    qwen_info = next(r for r in manifest["requests"] if r["file"] == "hub/model_info/Qwen.jsonl")
    assert (qwen_info["count"], qwen_info["requested"]) == (4, 5)
    assert [m["id"] for m in qwen_info["not_found"]] == ["Qwen/QwQ-32B"]
    ids = [rec.obj["id"] for rec in iter_records(result.day_dir, HUB_MODEL_INFO_DIR)]
    assert "Qwen/QwQ-32B" not in ids and len(ids) == 6
    # The model itself is still in the listing pages.
    assert "Qwen/QwQ-32B" in {rec.obj["id"] for rec in iter_records(result.day_dir, HUB_MODELS_DIR)}
    assert "[Qwen] model_info Qwen/QwQ-32B: not found (404)" in logs


def test_persistent_503_raises_and_leaves_only_the_partial_day(tmp_path, hub):
    install, sleeps = hub
    replay = install("hub_live_503_persistent.json", "hub_live_two_orgs.json")

    with pytest.raises(CaptureError) as info:
        capture(tmp_path)

    message = str(info.value)
    assert message.startswith("GET /api/models?author=Qwen page 3 failed: 503 Service Unavailable")
    assert message.endswith("after 5 retries")
    assert sleeps == [1, 2, 4, 8, 8]  # exponential backoff, capped at 8 s (no RateLimit/Retry-After)
    assert Counter(str(r.url) for r in replay.requests).most_common(1)[0][1] == 6
    archive = tmp_path / "archive"
    assert not (archive / DAY).exists()
    partial = archive / f"{DAY}.partial"
    written = sorted(p.name for p in (partial / HUB_MODELS_DIR).iterdir())
    assert written == ["Qwen-0001.json", "Qwen-0002.json"]
    assert not (partial / "MANIFEST.json").exists()
    assert not (partial / HUB_MODEL_INFO_DIR).exists()


def test_page_that_is_not_an_array_fails_naming_the_page(tmp_path, hub):
    install, _ = hub
    install("hub_live_not_array.json")
    expected = r"GET /api/models\?author=Qwen page 1 failed: .*JSON dict, not an array"
    with pytest.raises(CaptureError, match=expected):
        capture(tmp_path)
    assert not (tmp_path / "archive" / DAY).exists()


def test_token_is_sent_but_never_written_logged_or_raised(tmp_path, hub):
    install, _ = hub
    replay = install("hub_live_two_orgs.json")
    result, logs = capture(tmp_path / "ok", token=TOKEN)
    assert result.requests == 11
    assert {r.headers.get("authorization") for r in replay.requests} == {f"Bearer {TOKEN}"}

    replay = install("hub_live_503_persistent.json", "hub_live_two_orgs.json")
    with pytest.raises(CaptureError) as info:
        capture(tmp_path / "failing", token=TOKEN, max_retries=1)
    assert replay.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert "503" in str(info.value) and TOKEN not in str(info.value) and TOKEN not in repr(info.value)
    assert (tmp_path / "failing" / "archive" / f"{DAY}.partial").is_dir()

    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(".partial" in str(p) for p in files) and any(p.name == "MANIFEST.json" for p in files)
    for path in files:
        assert TOKEN.encode() not in path.read_bytes(), path
    assert all(TOKEN not in line for line in logs)


@pytest.mark.parametrize(("policy", "asked"), [("listed", 6), ("off", 0)])
def test_model_info_policy_limits_the_per_model_requests(tmp_path, hub, policy, asked):
    install, _ = hub
    replay = install("hub_live_two_orgs.json")

    result, logs = capture(tmp_path, model_info=policy)

    assert (result.pages, result.models, result.model_info, result.requests) == (4, 7, asked, 4 + asked)
    asked_for = {r.url.path for r in replay.requests if r.url.path.startswith("/api/models/")}
    if policy == "listed":
        # The GGUF repackaging is not on ATOM's lists and is older than 30 days: no request.
        assert "/api/models/Qwen/Qwen2.5-7B-Instruct-GGUF" not in asked_for and len(asked_for) == 6
        assert "[Qwen] 5 models on 3 page(s), 5 unique ids, model_info for 4 (listed)" in "\n".join(logs)
    else:
        assert asked_for == set() and not (result.day_dir / "hub" / "model_info").exists()
    manifest = json.loads((result.day_dir / "MANIFEST.json").read_text())
    assert manifest["capture"]["model_info"] == policy
