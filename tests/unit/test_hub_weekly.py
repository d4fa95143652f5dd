"""The weekly history source (``hfmlsoc/hub_weekly_snapshots``) and the fallback to it.

Served like hub-stats by the stub Hub (tests/fixtures/history/hub_stats.py): a
:class:`WeeklySnapshotsServer` holds ``models/<week>/models.parquet`` at one current revision,
and a :class:`StubHub` puts it beside a hub-stats server for the fallback. The Hub is never called.
"""

from __future__ import annotations

import json

import pytest

from atom_dagster.settings import load_settings
from atom_dagster.sources.hub_history import HistoryUnavailable
from atom_dagster.sources.hub_source import HubSnapshotSource
from atom_dagster.sources.hub_weekly import pick_week
from tests.fixtures.history.hub_stats import (
    WEEKLY_HEAD,
    HubStatsServer,
    StubHub,
    WeeklySnapshotsServer,
    commit_item,
    install,
    write_models_parquet,
)
from tests.unit.test_hub_history import ORGS, Log, rows

WEEKS = ("2025-03-03", "2025-03-10", "2025-03-31")  # a gap: no folders for 2025-03-17 and 03-24
DAY = "2025-03-12"  # inside the week of 2025-03-10
HUB_STATS_DAY = "2025-03-12T23:10:00.000Z"


class WarnLog(Log):
    def __init__(self) -> None:
        super().__init__()
        self.warnings: list[str] = []

    def warning(self, message: str) -> None:
        self.warnings.append(message)


@pytest.fixture
def hubs(monkeypatch, tmp_path):
    """(hub-stats server with one commit on DAY, weekly server with WEEKS), both installed;
    ``errors`` are hub-stats' answers instead (e.g. the dataset gone)."""
    restore = []

    def serve(errors: dict | None = None) -> tuple[HubStatsServer, WeeklySnapshotsServer]:
        weekly = WeeklySnapshotsServer(
            {w: write_models_parquet(tmp_path / "weekly" / w / "models.parquet", rows()) for w in WEEKS}
        )
        rev = "3" * 40
        daily = write_models_parquet(tmp_path / "daily" / rev / "models.parquet", rows())
        hub_stats = HubStatsServer(
            [commit_item(rev, HUB_STATS_DAY)], {rev: (daily, rev, HUB_STATS_DAY)}, errors=errors
        )
        _, undo = install(monkeypatch, StubHub(hub_stats, weekly))
        restore.append(undo)
        return hub_stats, weekly

    yield serve
    for undo in restore:
        undo()


def source(tmp_path, **kwargs) -> HubSnapshotSource:
    return HubSnapshotSource(
        mode="archive", archive_dir=str(tmp_path / "archive"), tracked_orgs=ORGS, **kwargs
    )


def history_of(resolved) -> dict:
    return json.loads((resolved.path / "MANIFEST.json").read_text())["history"]


@pytest.mark.parametrize(
    ("day", "week"), [("2025-03-10", "2025-03-10"), (DAY, "2025-03-10"), ("2025-03-16", "2025-03-10")]
)
def test_a_day_is_served_by_the_folder_whose_week_contains_it(day, week):
    from datetime import date

    weeks = [date.fromisoformat(w) for w in WEEKS]
    assert pick_week(weeks, day) == date.fromisoformat(week)


def test_a_day_before_the_first_week_or_in_a_gap_is_refused_naming_the_nearest_weeks():
    from datetime import date

    weeks = [date.fromisoformat(w) for w in WEEKS]
    with pytest.raises(HistoryUnavailable) as before:
        pick_week(weeks, "2025-03-02")
    assert "weekly snapshots start with the week of 2025-03-03" in str(before.value)
    with pytest.raises(HistoryUnavailable) as gap:
        pick_week(weeks, "2025-03-20")  # 10 days after the last folder before it
    message = str(gap.value)
    assert "no folder for the week containing 2025-03-20" in message
    assert "the week of 2025-03-10 (10 days before) and the week of 2025-03-31" in message
    with pytest.raises(HistoryUnavailable, match="lists no weekly folders"):
        pick_week([], DAY)


def test_weekly_history_reads_the_week_folder_at_the_current_revision_and_records_the_lag(tmp_path, hubs):
    hub_stats, weekly = hubs()
    resolved = source(tmp_path, history="weekly", history_max_lag_days=6).resolve_day(DAY, Log())
    assert (
        resolved.capture_source == "history"
        and "weekly history: hfmlsoc/hub_weekly_snapshots@" in resolved.detail
    )
    history = history_of(resolved)
    assert (history["source"], history["repository"], history["commit"]) == (
        "weekly",
        "hfmlsoc/hub_weekly_snapshots",
        WEEKLY_HEAD,
    )
    assert (history["folder"], history["file"]) == ("models/2025-03-10", "models/2025-03-10/models.parquet")
    assert (history["snapshot_of"], history["lag_days"], history["max_lag_days"]) == ("2025-03-10", 2, 6)
    assert history["read"] == "columns" and history["rows_kept"] == 4
    assert hub_stats.requests == []
    # The revision and folders are resolved once per run: a second day asks for them no more.
    listing = ("/revision/main", f"/tree/{WEEKLY_HEAD}/models")
    asked = [r for r in weekly.requests if r.endswith(listing)]
    assert len(asked) == 2
    source(tmp_path, history="weekly", history_max_lag_days=6).resolve_day("2025-03-04", Log())
    assert [r for r in weekly.requests if r.endswith(listing)] == asked


def test_a_weekly_day_past_the_allowed_lag_is_refused(tmp_path, hubs):
    hubs()
    with pytest.raises(HistoryUnavailable) as info:
        source(tmp_path, history="weekly").resolve_day(DAY, Log())
    message = str(info.value)
    assert "week-start snapshot models/2025-03-10, 2 day(s) before" in message
    assert "ATOM_HISTORY_MAX_LAG_DAYS >= 2" in message


def test_hub_stats_gone_falls_back_to_weekly_and_the_manifest_says_so(tmp_path, hubs):
    hub_stats, weekly = hubs(errors={"commits": (404, "RepoNotFound")})
    log = WarnLog()
    hubs_kw = {"history": "hub-stats", "history_fallback": "weekly", "history_max_lag_days": 2}
    resolved = source(tmp_path, **hubs_kw).resolve_day(DAY, log)
    history = history_of(resolved)
    assert (history["source"], history["repository"]) == ("weekly", "hfmlsoc/hub_weekly_snapshots")
    assert history["fallback_from"]["repository"] == "cfahlgren1/hub-stats"
    assert "was not found (404)" in history["fallback_from"]["reason"]
    assert len(log.warnings) == 1 and "\n" not in log.warnings[0]
    assert (
        "cfahlgren1/hub-stats) is unavailable" in log.warnings[0]
        and "ATOM_HISTORY_FALLBACK" in log.warnings[0]
    )
    # Without the fallback the same failure stands.
    with pytest.raises(HistoryUnavailable, match="was not found"):
        source(tmp_path, history="hub-stats").resolve_day("2025-03-04", Log())


def test_hub_stats_present_or_lacking_only_the_day_never_calls_weekly(tmp_path, hubs):
    hub_stats, weekly = hubs()
    settings = {"history": "hub-stats", "history_fallback": "weekly", "history_max_lag_days": 2}
    resolved = source(tmp_path, **settings).resolve_day(DAY, WarnLog())
    assert history_of(resolved)["source"] == "hub-stats" and "fallback_from" not in history_of(resolved)
    with pytest.raises(HistoryUnavailable, match="has no commit on 2025-03-20"):
        source(tmp_path, **settings).resolve_day("2025-03-20", WarnLog())  # a day hub-stats lacks
    assert weekly.requests == []


def test_weekly_and_fallback_settings(tmp_path):
    base = {"ATOM_DATA_DIR": str(tmp_path)}
    assert load_settings(base).history_fallback == "off"
    weekly = load_settings({**base, "ATOM_HISTORY": "Weekly", "ATOM_HISTORY_MAX_LAG_DAYS": "6"})
    assert (weekly.history, weekly.history_enabled, weekly.history_max_lag_days) == ("weekly", True, 6)
    fallback = load_settings({**base, "ATOM_HISTORY": "hub-stats", "ATOM_HISTORY_FALLBACK": "weekly"})
    assert fallback.history_fallback == "weekly"
    assert fallback.child_env({})["ATOM_HISTORY_FALLBACK"] == "weekly"
    with pytest.raises(ValueError, match="ATOM_HISTORY_FALLBACK must be one of off, weekly"):
        load_settings({**base, "ATOM_HISTORY_FALLBACK": "hub-stats"})
    with pytest.raises(ValueError, match="ATOM_HISTORY must be one of off, hub-stats, weekly"):
        load_settings({**base, "ATOM_HISTORY": "monthly"})
