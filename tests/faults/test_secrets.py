"""Secrets (HF_TOKEN, OPENROUTER_API_KEY) never appear in anything written, logged or raised.

Both are set to unique strings; a live capture (successful and failing) and a Dagster
materialization of the live raw assets run against the stub Hub on 127.0.0.1; then every file
under the data directory (archive, raw Parquet, DAGSTER_HOME with its SQLite event log, read as
raw bytes), every captured log record and stdout/stderr line, and every exception message are
searched for them. The stub checks the secrets were really sent, so the search is not vacuous.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from pathlib import Path

import dagster as dg
import pytest

from atom_dagster.partitions import latest_live_partition
from atom_dagster.sources.hub_live import CaptureError, capture_hub_day
from tests.faults.stub_hub import RETRY_NOW, StubHub, hub_models

MODELS = hub_models({"Qwen": 3, "deepseek-ai": 2})
LIVE_DAY = latest_live_partition()
OPENROUTER_ROUTES = {
    "/api/v1/models": json.dumps(
        {
            "data": [
                {
                    "id": "qwen/qwen3-8b",
                    "canonical_slug": "qwen/qwen3-8b",
                    "hugging_face_id": "Qwen/Qwen3-8B",
                    "name": "Qwen: Qwen3 8B",
                    "created": 1745000000,
                    "context_length": 40960,
                }
            ]
        }
    ).encode(),
    "/api/v1/datasets/rankings-daily": json.dumps(
        {
            # Dated the live partition (yesterday): a ranking of another day is no ranking of this one.
            "data": [{"date": LIVE_DAY, "model_permaslug": "qwen/qwen3-8b", "total_tokens": "123"}],
            "meta": {"as_of": f"{LIVE_DAY}T23:59:59Z"},
        }
    ).encode(),
}


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:  # a record that cannot be formatted is still searched by its args
            self.lines.append(repr((record.msg, record.args)))


@pytest.fixture
def secrets(monkeypatch, tmp_path, real_http):
    token = f"hf_faultsuite{uuid.uuid4().hex}"
    key = f"sk-or-v1-faultsuite{uuid.uuid4().hex}"
    monkeypatch.setenv("HF_TOKEN", token)
    monkeypatch.setenv("OPENROUTER_API_KEY", key)
    monkeypatch.setenv("ATOM_TRACKED_ORGS", ",".join(MODELS))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "data" / "dagster_home"))  # restored afterwards
    handler = _Collect()
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield token, key, handler
    root.removeHandler(handler)
    root.setLevel(previous_level)


def _grep(root: Path, needles: list[str]) -> list[str]:
    hits = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            hits += [f"{path}: {n[:12]}..." for n in needles if n.encode() in data]
    return hits


def test_secrets_never_leak_from_capture_dagster_logs_or_errors(secrets, tmp_path, capfd):
    token, key, handler = secrets
    needles = [token, key]
    texts: list[str] = []
    data_dir = tmp_path / "data"

    with StubHub(MODELS, routes=OPENROUTER_ROUTES) as hub:
        # 1. A direct capture, then one that fails after its retries.
        logs: list[str] = []
        capture_hub_day(
            tmp_path / "direct",
            "2026-10-05",
            list(MODELS),
            endpoint=hub.endpoint,
            token=token,
            page_limit=2,
            log=logs.append,
        )
        fault = hub.fault("status", status=503, times=99, org="deepseek-ai", page=1, headers=RETRY_NOW)
        with pytest.raises(CaptureError) as info:
            capture_hub_day(
                tmp_path / "failing",
                "2026-10-05",
                list(MODELS),
                endpoint=hub.endpoint,
                token=token,
                page_limit=2,
                max_retries=1,
                log=logs.append,
            )
        fault.times = fault.fired  # the Hub recovers
        texts += [str(info.value), repr(info.value), *logs]
        from atom_dagster.sources.openrouter_live import capture_openrouter_day

        capture_openrouter_day(
            data_dir / "or_archive", "2026-10-05", api_key=key, endpoint=hub.endpoint, log=logs.append
        )

        # 2. A Dagster materialization of the live raw assets (HF_TOKEN / OPENROUTER_API_KEY via EnvVar).
        from atom_dagster.definitions import build_assets, build_resources
        from atom_dagster.partitions import latest_live_partition
        from atom_dagster.runner import _failure_message, instance_for
        from atom_dagster.settings import load_settings
        from atom_dagster.sources.openrouter_source import OpenRouterSource

        # The secrets and the tracked organizations reach the resources through the settings
        # (from the environment the fixture set), not by the resources reading os.environ.
        settings = load_settings(
            {
                "ATOM_DATA_DIR": str(data_dir),
                "ATOM_SOURCE": "live",
                "HF_ENDPOINT": hub.endpoint,
                **{k: os.environ[k] for k in ("HF_TOKEN", "OPENROUTER_API_KEY", "ATOM_TRACKED_ORGS")},
            }
        )
        assets = build_assets(settings)
        raw_day = next(a for a in assets if a.op.name == "raw_day")
        resources = build_resources(settings)
        resources["openrouter_source"] = OpenRouterSource(
            mode="live",
            archive_dir=str(settings.archive_dir),
            endpoint=hub.endpoint,
            api_key=dg.EnvVar("OPENROUTER_API_KEY"),
        )
        instance = instance_for(settings)
        day = latest_live_partition()
        ok = dg.materialize(
            [raw_day],
            instance=instance,
            resources=resources,
            partition_key=day,
            raise_on_error=False,
        )
        texts.append(_failure_message(ok) if not ok.success else "")
        materialized = [e.materialization for e in ok.get_asset_materialization_events()]
        assert any(m.asset_key == dg.AssetKey(["raw", "hub_models"]) for m in materialized), (
            "the live partition did not land"
        )
        texts += [str(m.metadata) for m in materialized]

        # ... and one whose capture fails: the failure message and check metadata are searched too.
        (settings.archive_dir / day).rename(settings.archive_dir / f"{day}.first")
        hub.fault("status", status=503, times=99, org="Qwen", page=1, headers=RETRY_NOW)
        failed = dg.materialize(
            [raw_day],
            selection=dg.AssetSelection.assets(["raw", "hub_models"], ["raw", "hub_inference_providers"]),
            instance=instance,
            resources=resources,
            partition_key=day,
            raise_on_error=False,
        )
        assert not failed.success
        message = _failure_message(failed)
        assert "GET /api/models?author=Qwen page 1 failed: 503" in message and hub.endpoint in message
        texts.append(message)
        for event in failed.all_events:
            texts.append(str(event.event_specific_data))

        sent = {s.authorization for s in hub.seen if s.path.startswith("/api/models")}
        sent_or = {s.authorization for s in hub.seen if s.path == "/api/v1/datasets/rankings-daily"}
    assert sent == {f"Bearer {token}"}  # the token was really in play ...
    assert sent_or == {f"Bearer {key}"}  # ... and so was the OpenRouter key

    out, err = capfd.readouterr()
    texts += [out, err, *handler.lines]
    leaks = [t[:200] for t in texts if any(n in t for n in needles)]
    assert leaks == []
    assert _grep(tmp_path, needles) == []

    # The search covered what it claims to: Dagster's SQLite event log (a database file and, while
    # a connection is open, its write-ahead log) holds the capture's log lines.
    home = data_dir / "dagster_home"
    event_logs = [
        p
        for p in (*home.rglob("*.db"), *home.rglob("*.db-wal"))
        if b"models (requests so far" in p.read_bytes()
    ]
    assert event_logs, sorted(str(p) for p in home.rglob("*"))
    assert (settings.archive_dir / f"{day}.first" / "MANIFEST.json").exists()
