"""Live OpenRouter mode asked for a past day: replay the archive if it has the day, else no data."""

from __future__ import annotations

import logging

from atom_dagster.landing.tables.openrouter import read_openrouter_day
from atom_dagster.sources import openrouter_live
from atom_dagster.sources.openrouter_source import OpenRouterSource


def test_past_day_in_live_mode_is_no_data_not_a_capture(tmp_path, monkeypatch):
    def no_network(*_a, **_k):
        raise AssertionError("a past day must never trigger a live capture")

    monkeypatch.setattr(openrouter_live, "capture_openrouter_day", no_network)
    source = OpenRouterSource(mode="live", archive_dir=str(tmp_path))
    resolved = source.resolve_day("2024-01-15", logging.getLogger("test"))
    assert not resolved.live
    assert "can only fill the latest partition" in resolved.detail
    parsed = read_openrouter_day(resolved.day_path, "2024-01-15")
    assert parsed.models is None and parsed.rankings is None


def test_past_day_in_live_mode_replays_an_archived_day(tmp_path, monkeypatch):
    monkeypatch.setattr(openrouter_live, "capture_openrouter_day", lambda *a, **k: 1 / 0)
    (tmp_path / "2024-01-15" / "openrouter").mkdir(parents=True)
    resolved = OpenRouterSource(mode="live", archive_dir=str(tmp_path)).resolve_day(
        "2024-01-15", logging.getLogger("test")
    )
    assert resolved.detail.startswith("archive replay of") and not resolved.live
