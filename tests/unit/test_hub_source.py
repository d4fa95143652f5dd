"""Which source serves a partition: the live Hub (today only) or a recorded archive."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

import atom_dagster.sources.hub_live as hub_live
from atom_dagster.partitions import latest_live_partition
from atom_dagster.sources.archive import ArchiveWriter
from atom_dagster.sources.hub_source import HubSnapshotSource, ResolvedDay, SourceUnavailable

DAY = "2026-10-01"


class Log:
    def __init__(self) -> None:
        self.messages: list[str] = []

    def info(self, message: str) -> None:
        self.messages.append(message)


@pytest.fixture
def no_capture(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("the live Hub must not be called")

    monkeypatch.setattr(hub_live, "capture_hub_day", fail)


def _past_day() -> str:
    return (date.fromisoformat(latest_live_partition()) - timedelta(days=3)).isoformat()


def test_live_source_refuses_a_past_partition(tmp_path, no_capture):
    day = _past_day()
    log = Log()
    source = HubSnapshotSource(mode="live", archive_dir=str(tmp_path), tracked_orgs=["Qwen"])
    with pytest.raises(SourceUnavailable) as info:
        source.resolve_day(day, log)
    message = str(info.value)
    assert message.startswith(f"Partition {day}: the live Hub only shows today's numbers")
    assert f"`atom backfill --archive DIR --start {day} --end {day}`" in message
    assert f"({latest_live_partition()}," in message
    assert log.messages == []
    assert list(tmp_path.iterdir()) == []  # nothing captured


def test_live_source_captures_the_latest_partition(tmp_path, monkeypatch):
    latest = latest_live_partition()
    calls = []

    def fake_capture(archive_root, day, orgs, *, endpoint, token, model_info, log):
        calls.append((archive_root, day, orgs, endpoint, token, model_info))
        return hub_live.CaptureResult(day, archive_root / day, requests=4, pages=3, models=120, model_info=2)

    monkeypatch.setattr(hub_live, "capture_hub_day", fake_capture)
    log = Log()
    source = HubSnapshotSource(
        mode="live", archive_dir=str(tmp_path), tracked_orgs=["Qwen", "mistralai"], token="t"
    )
    resolved = source.resolve_day(latest, log)

    # The default policy asks /api/models/{id} for ATOM-listed and recent models only.
    assert calls == [(tmp_path, latest, ["Qwen", "mistralai"], "https://huggingface.co", "t", "listed")]
    assert resolved == ResolvedDay(tmp_path / latest, "live", "live capture: 4 requests, 3 pages, 120 models")
    assert log.messages == [
        f"Live capture of 2 organizations from https://huggingface.co into {tmp_path}/{latest}"
    ]


def test_unknown_mode_is_refused(tmp_path, no_capture):
    with pytest.raises(SourceUnavailable, match="Unknown source mode 'cache'"):
        HubSnapshotSource(mode="cache", archive_dir=str(tmp_path)).resolve_day(DAY, Log())


def test_archive_without_the_day(tmp_path, no_capture):
    source = HubSnapshotSource(mode="archive", archive_dir=str(tmp_path))
    with pytest.raises(SourceUnavailable) as info:
        source.resolve_day(DAY, Log())
    message = str(info.value)
    assert message.startswith(f"Partition {DAY}: the archive {tmp_path} has no day {DAY}. ")
    assert "unfinished capture" not in message
    assert "ATOM_ARCHIVE_DIR" in message


def test_archive_with_only_a_partial_capture(tmp_path, no_capture):
    ArchiveWriter(tmp_path, DAY, source="live").write_body("hub/models/page-0001.json", b"[]")
    source = HubSnapshotSource(mode="archive", archive_dir=str(tmp_path))
    with pytest.raises(SourceUnavailable) as info:
        source.resolve_day(DAY, Log())
    message = str(info.value)
    assert f"has no day {DAY}" in message
    assert f"(an unfinished capture is in {tmp_path / (DAY + '.partial')})" in message


def _finished(tmp_path, synthetic: bool):
    writer = ArchiveWriter(tmp_path, DAY, source="demo" if synthetic else "live", synthetic=synthetic)
    writer.write_body("hub/models/page-0001.json", b"[]")
    return writer.finish()


def test_synthetic_archive_resolves_as_demo(tmp_path, no_capture):
    day_path = _finished(tmp_path, synthetic=True)
    resolved = HubSnapshotSource(mode="archive", archive_dir=str(tmp_path)).resolve_day(DAY, Log())
    assert resolved == ResolvedDay(day_path, "demo", f"SYNTHETIC demo archive {day_path}")


def test_recorded_archive_resolves_as_archive(tmp_path, no_capture):
    day_path = _finished(tmp_path, synthetic=False)
    resolved = HubSnapshotSource(mode="archive", archive_dir=str(tmp_path)).resolve_day(DAY, Log())
    assert resolved == ResolvedDay(day_path, "archive", f"archive replay of {day_path}")


def test_hand_assembled_day_without_manifest_resolves_as_archive(tmp_path, no_capture):
    (tmp_path / DAY / "hub" / "models").mkdir(parents=True)
    resolved = HubSnapshotSource(mode="archive", archive_dir=str(tmp_path)).resolve_day(DAY, Log())
    assert resolved.capture_source == "archive"
    assert resolved.path == tmp_path / DAY
