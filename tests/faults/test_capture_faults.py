"""Capture faults: the live client against a local stub Hub over real HTTP (127.0.0.1).

Every transient fault (429 with RateLimit / Retry-After, 500/502/503, a timeout, a reset
connection, a body cut short, before or in the middle of pagination) is waited out as the
headers say or with bounded backoff, and the capture ends with the SAME archive -- byte-identical
data files -- a fault-free run writes. When retries run out (or the server asks for an
unreasonable wait) the capture fails with a message naming the endpoint, the page (or model)
and the cause, keeps the pages it has in ``<day>.partial/`` and the next run resumes from there.
"""

from __future__ import annotations

import json
import socket
import time

import pytest

from atom_dagster.sources.archive import MANIFEST_NAME, PROGRESS_NAME, read_manifest, verify_manifest
from atom_dagster.sources.hub_live import CaptureError, capture_hub_day
from tests.faults.helpers import data_files
from tests.faults.stub_hub import RETRY_NOW, StubHub, hub_models

DAY = "2026-10-05"
MODELS = hub_models({"Qwen": 5, "deepseek-ai": 3})  # page_limit 2: Qwen 3 pages, deepseek 2
ORGS = list(MODELS)
QWEN_3 = MODELS["Qwen"][3]["id"]


def capture(hub: StubHub, root, **kwargs):
    logs: list[str] = []
    kwargs.setdefault("page_limit", 2)
    kwargs.setdefault("timeout", 5.0)
    result = capture_hub_day(root, DAY, ORGS, endpoint=hub.endpoint, log=logs.append, **kwargs)
    return result, logs


@pytest.fixture(scope="module")
def clean(real_http, tmp_path_factory):
    """The fault-free archive every faulty run must reproduce."""
    with StubHub(MODELS) as hub:
        result, _ = capture(hub, tmp_path_factory.mktemp("clean"))
    assert (result.pages, result.models, result.model_info) == (5, 8, 8)
    return data_files(result.day_dir)


def _qwen_page(n: int) -> dict:
    return {"org": "Qwen", "page": n}


# (id, faults to inject, what the log must say about the wait, the least time it must take)
TRANSIENT = [
    (
        "429_ratelimit_headers_mid_pagination",
        [
            dict(
                kind="status",
                status=429,
                **_qwen_page(2),
                headers={
                    "RateLimit": '"api";r=0;t=0',
                    "RateLimit-Policy": '"fixed window";"api";q=500;w=300',
                },
            )
        ],
        "429 Too Many Requests; retry 1/5 in 1 s (RateLimit t=0)",
        1.0,
    ),
    (
        "429_retry_after_on_first_page_of_second_org",
        [dict(kind="status", status=429, org="deepseek-ai", page=1, headers={"Retry-After": "1"})],
        "429 Too Many Requests; retry 1/5 in 1 s (Retry-After 1)",
        1.0,
    ),
    (
        "500_on_last_page",
        [dict(kind="status", status=500, headers=RETRY_NOW, **_qwen_page(3))],
        "500 Internal Server Error; retry 1/5 in 0 s (Retry-After 0)",
        0.0,
    ),
    (
        "502_twice_on_model_info",
        [dict(kind="status", status=502, model=QWEN_3, times=2, headers=RETRY_NOW)],
        "502 Bad Gateway; retry 2/5 in 0 s (Retry-After 0)",
        0.0,
    ),
    (
        "503_without_headers_backs_off",
        [dict(kind="status", status=503, **_qwen_page(1))],
        "503 Service Unavailable; retry 1/5 in 1 s (backoff)",
        1.0,
    ),
    (
        "timeout_mid_pagination",
        [dict(kind="delay", seconds=1.5, **_qwen_page(2))],
        "ReadTimeout",
        1.0,
    ),
    (
        "connection_reset_mid_pagination",
        [dict(kind="reset", **_qwen_page(2))],
        "retry 1/5 in 1 s (backoff)",
        1.0,
    ),
    (
        "body_cut_short_mid_pagination",
        [dict(kind="cut", **_qwen_page(2))],
        "retry 1/5 in 1 s (backoff)",
        1.0,
    ),
    (
        "connection_reset_on_model_info",
        [dict(kind="reset", model=QWEN_3)],
        "retry 1/5 in 1 s (backoff)",
        1.0,
    ),
]


@pytest.mark.parametrize(
    ("faults", "expected_log", "min_seconds"), [c[1:] for c in TRANSIENT], ids=[c[0] for c in TRANSIENT]
)
def test_transient_fault_is_waited_out_and_gives_the_same_archive(
    clean, tmp_path, faults, expected_log, min_seconds
):
    with StubHub(MODELS) as hub:
        for fault in faults:
            hub.fault(**fault)
        started = time.monotonic()
        result, logs = capture(hub, tmp_path, timeout=0.5)
        elapsed = time.monotonic() - started
        fired = sum(f.fired for f in hub.faults)

    assert fired == sum(f.get("times", 1) for f in faults)  # every fault really happened
    assert any(expected_log in line for line in logs), logs
    assert any("succeeded after" in line for line in logs)
    assert elapsed >= min_seconds  # the wait the headers (or the backoff) asked for was observed
    assert elapsed < min_seconds + 8  # ... and nothing more than that
    assert data_files(result.day_dir) == clean  # byte-identical to the fault-free capture
    manifest = read_manifest(result.day_dir)
    verify_manifest(result.day_dir, manifest)
    assert manifest["complete"] is True
    assert manifest["capture"]["retries"] == fired
    assert not (tmp_path / f"{DAY}.partial").exists()


def test_retried_page_is_the_same_url(tmp_path, real_http):
    """The retry of a failed page asks for exactly the same cursor, not the next page."""
    with StubHub(MODELS) as hub:
        hub.fault("reset", **_qwen_page(2))
        capture(hub, tmp_path)
        qwen = [s for s in hub.list_requests("Qwen")]
    assert [s.page for s in qwen] == [1, 2, 2, 3]
    assert qwen[1].query == qwen[2].query and "cursor" in qwen[1].query


# (id, faults, capture kwargs, start of the message, end of the message, pages kept in .partial)
EXHAUSTED = [
    (
        "503_persistent",
        [dict(kind="status", status=503, times=99, headers=RETRY_NOW, **_qwen_page(2))],
        {"max_retries": 2},
        "GET /api/models?author=Qwen page 2 failed: 503 Service Unavailable (injected 503)"
        " (endpoint {endpoint})",
        "after 2 retries",
        ["Qwen-0001.json"],
    ),
    (
        "timeouts_persistent",
        [dict(kind="delay", seconds=1.0, times=99, org="deepseek-ai", page=1)],
        {"max_retries": 1, "timeout": 0.2},
        "GET /api/models?author=deepseek-ai page 1 failed: ReadTimeout",
        "no answer within the client timeout (endpoint {endpoint}) after 1 retry",
        ["Qwen-0001.json", "Qwen-0002.json", "Qwen-0003.json"],
    ),
    (
        "resets_persistent_on_model_info",
        [dict(kind="reset", model=QWEN_3, times=99)],
        {"max_retries": 1},
        f"GET /api/models/{QWEN_3} failed: ",
        "(endpoint {endpoint}) after 1 retry",
        ["Qwen-0001.json", "Qwen-0002.json", "Qwen-0003.json"],
    ),
    (
        "retry_after_longer_than_max_wait",
        [dict(kind="status", status=429, headers={"Retry-After": "3600"}, **_qwen_page(3))],
        {"max_wait": 60},
        "GET /api/models?author=Qwen page 3 failed: 429 Too Many Requests; the server asks to wait 3600 s"
        " (Retry-After 3600), longer than the 60 s a capture waits",
        "(endpoint {endpoint})",
        ["Qwen-0001.json", "Qwen-0002.json"],
    ),
    (
        "403_is_not_retried",
        [dict(kind="status", status=403, **_qwen_page(2))],
        {},
        "GET /api/models?author=Qwen page 2 failed: 403 Forbidden (injected 403)",
        "(endpoint {endpoint})",
        ["Qwen-0001.json"],
    ),
]


@pytest.mark.parametrize(
    ("faults", "kwargs", "head", "tail", "kept"), [c[1:] for c in EXHAUSTED], ids=[c[0] for c in EXHAUSTED]
)
def test_exhausted_retries_fail_naming_endpoint_page_and_cause_then_resume(
    clean, tmp_path, faults, kwargs, head, tail, kept
):
    with StubHub(MODELS) as hub:
        for fault in faults:
            hub.fault(**fault)
        started = time.monotonic()
        with pytest.raises(CaptureError) as info:
            capture(hub, tmp_path, **kwargs)
        elapsed = time.monotonic() - started
        message = str(info.value)
        assert message.startswith(head.format(endpoint=hub.endpoint)), message
        assert message.endswith(tail.format(endpoint=hub.endpoint)), message
        assert "Traceback" not in message
        assert elapsed < 10  # bounded: no unbounded server-dictated wait, no endless retry

        # Nothing looks complete; the pages that arrived are kept with their cursor.
        assert not (tmp_path / DAY).exists()
        partial = tmp_path / f"{DAY}.partial"
        assert not (partial / MANIFEST_NAME).exists()
        assert sorted(p.name for p in (partial / "hub" / "models").iterdir()) == kept
        progress = json.loads((partial / PROGRESS_NAME).read_text())
        assert progress["complete"] is False

        # The next run (the fault gone) resumes and writes the fault-free archive.
        for fault in hub.faults:
            fault.times = fault.fired
        before = len(hub.seen)
        result, logs = capture(hub, tmp_path)
        resumed_pages = [s.page for s in hub.seen[before:] if s.page is not None]
    assert any(line.startswith(f"resuming the capture of {DAY}") for line in logs)
    assert len(resumed_pages) == 5 - len(kept)  # only the pages not yet archived are fetched again
    assert data_files(result.day_dir) == clean
    assert read_manifest(result.day_dir)["complete"] is True


def test_server_down_fails_naming_the_endpoint(tmp_path, real_http):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}"
    with pytest.raises(CaptureError) as info:
        capture_hub_day(tmp_path, DAY, ORGS, endpoint=endpoint, max_retries=1, log=lambda _m: None)
    message = str(info.value)
    assert message.startswith("GET /api/models?author=Qwen page 1 failed: ConnectError")
    assert message.endswith(f"(endpoint {endpoint}) after 1 retry")
