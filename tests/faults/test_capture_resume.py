"""A capture killed half-way (SIGKILL) resumes from its last completed page.

The client runs in a subprocess; the stub Hub holds one request open (a page, or a model_info
call) until the test has looked at the partial day and killed the client. The partial day must
never look complete, must record the cursor of the next page, and the next run must continue
from there (no page fetched twice) and end with the archive a fault-free run writes.
"""

from __future__ import annotations

import json
import signal
import subprocess

import pytest

from atom_dagster.sources.archive import MANIFEST_NAME, PROGRESS_NAME, read_manifest
from atom_dagster.sources.hub_live import CaptureError, capture_hub_day
from tests.faults.helpers import PYTHON, REPO_ROOT, data_files, subprocess_env
from tests.faults.stub_hub import StubHub, hub_models

DAY = "2026-10-06"
MODELS = hub_models({"Qwen": 5, "deepseek-ai": 3})
ORGS = list(MODELS)
PAGE_LIMIT = 2


def capture(hub, root, **kwargs):
    logs: list[str] = []
    kwargs.setdefault("page_limit", PAGE_LIMIT)
    result = capture_hub_day(root, DAY, ORGS, endpoint=hub.endpoint, log=logs.append, **kwargs)
    return result, logs


@pytest.fixture(scope="module")
def clean(real_http, tmp_path_factory):
    with StubHub(MODELS) as hub:
        result, _ = capture(hub, tmp_path_factory.mktemp("clean"))
    return data_files(result.day_dir)


def _start_client(hub, archive):
    return subprocess.Popen(
        [
            PYTHON,
            "-m",
            "tests.faults.capture_client",
            str(archive),
            DAY,
            hub.endpoint,
            ",".join(ORGS),
            str(PAGE_LIMIT),
        ],
        cwd=REPO_ROOT,
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.parametrize(
    ("block", "pages_done", "resume_point", "refetched"),
    [
        # Killed while page 3 of Qwen is in flight: Qwen pages 1-2 are archived.
        (
            {"org": "Qwen", "page": 3},
            {"Qwen": 2},
            "Qwen page 3",
            ["Qwen page 3", "deepseek-ai page 1", "deepseek-ai page 2"],
        ),
        # Killed during deepseek-ai's model_info calls: every page is archived, Qwen is finished.
        (
            {"model": MODELS["deepseek-ai"][1]["id"]},
            {"Qwen": 3, "deepseek-ai": 2},
            "deepseek-ai model_info",
            [],
        ),
    ],
    ids=["mid_pagination", "mid_model_info"],
)
def test_killed_capture_resumes_from_its_last_page(
    clean, tmp_path, block, pages_done, resume_point, refetched
):
    archive = tmp_path / "archive"
    partial = archive / f"{DAY}.partial"
    with StubHub(MODELS) as hub:
        hub.fault("block", **block)
        client = _start_client(hub, archive)
        try:
            assert hub.block_reached.wait(60), client.communicate(timeout=5)[0]

            # While it runs, a second capture of the same day is refused at once.
            with pytest.raises(CaptureError, match=f"Another capture of {DAY} is running"):
                capture(hub, archive)

            client.send_signal(signal.SIGKILL)
            output, _ = client.communicate(timeout=30)
        finally:
            if client.poll() is None:
                client.kill()
        assert client.returncode == -signal.SIGKILL, output

        # Half a capture is never a complete day: no <day>/, no manifest; the cursor is recorded.
        assert not (archive / DAY).exists()
        assert not (partial / MANIFEST_NAME).exists()
        progress = json.loads((partial / PROGRESS_NAME).read_text())
        assert progress["complete"] is False
        orgs = progress["state"]["orgs"]
        assert {org: state["pages"] for org, state in orgs.items()} == pages_done
        if "page" in block:
            assert "cursor=" in orgs["Qwen"]["next"] and orgs["Qwen"]["pages_done"] is False
        pages = sorted(p.name for p in (partial / "hub" / "models").iterdir())
        assert pages == [
            f"{org}-{n:04d}.json" for org, count in pages_done.items() for n in range(1, count + 1)
        ]
        # A crash between writing a body and recording it leaves a stray file: it is not trusted.
        (partial / "hub" / "models" / "stray.json").write_text('[{"_id": "half')

        hub.release.set()
        before = len(hub.seen)
        result, logs = capture(hub, archive)
        again = [f"{s.org} page {s.page}" for s in hub.seen[before:] if s.page is not None]

    assert f"resuming the capture of {DAY} from {resume_point}" in logs[0]
    assert again == refetched  # nothing archived before the kill is fetched again
    assert data_files(result.day_dir) == clean
    manifest = read_manifest(result.day_dir)
    assert manifest["complete"] is True
    runs = manifest["capture"]["runs"]
    assert len(runs) == 2 and runs[1]["resumed_from"] == resume_point
    assert not partial.exists()


def test_partial_day_of_another_capture_is_not_resumed(clean, tmp_path, real_http):
    """Other parameters (here the page size) make other pages: start clean instead of mixing."""
    archive = tmp_path / "archive"
    with StubHub(MODELS) as hub:
        hub.fault("status", status=403, org="Qwen", page=2)
        with pytest.raises(CaptureError):
            capture(hub, archive, page_limit=1)
        assert (archive / f"{DAY}.partial" / "hub" / "models" / "Qwen-0001.json").exists()
        result, logs = capture(hub, archive)
    assert not any(line.startswith("resuming") for line in logs)
    assert data_files(result.day_dir) == clean


def test_finishing_a_capture_keeps_other_sources_folders(clean, tmp_path, real_http):
    """OpenRouter publishes its own unit into <day>/ (and into <day>.partial/ while a Hub capture
    runs, see openrouter_live.publish_unit); a Hub capture that finishes or restarts keeps it."""
    archive = tmp_path / "archive"
    unit = {"openrouter/MANIFEST.json": b'{"scope": "openrouter"}', "openrouter/models.json": b'{"data": []}'}
    for rel, body in unit.items():  # published before the Hub capture of the day started
        (archive / DAY / rel).parent.mkdir(parents=True, exist_ok=True)
        (archive / DAY / rel).write_bytes(body)
    with StubHub(MODELS) as hub:
        result, _ = capture(hub, archive)
    files = data_files(result.day_dir)
    assert {rel: body for rel, body in files.items() if rel.startswith("hub/")} == clean
    assert {rel: (result.day_dir / rel).read_bytes() for rel in unit} == unit

    # Published into the partial day of a capture that is then restarted with other parameters.
    with StubHub(MODELS) as hub:
        hub.fault("status", status=403, org="deepseek-ai", page=1)
        with pytest.raises(CaptureError):
            capture(hub, archive, page_limit=1)
        for rel, body in unit.items():
            (archive / f"{DAY}.partial" / rel).parent.mkdir(parents=True, exist_ok=True)
            (archive / f"{DAY}.partial" / rel).write_bytes(body)
        result, _ = capture(hub, archive)  # discards the other capture's hub/ files, not openrouter/
    files = data_files(result.day_dir)
    assert {rel: body for rel, body in files.items() if rel.startswith("hub/")} == clean
    assert {rel: (result.day_dir / rel).read_bytes() for rel in unit} == unit
