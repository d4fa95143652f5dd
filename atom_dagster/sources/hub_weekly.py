"""History source ``weekly``: past partitions from ``hfmlsoc/hub_weekly_snapshots``.

The dataset (ODbL; see docs/history.md for what that asks of the archive) holds one folder per
week, ``models/<YYYY-MM-DD>/models.parquet``, labelled by the week's start day, with hub-stats'
columns. Only the choice of the file differs from hub-stats (:func:`locate_weekly_day`); the
footer-first era check, column reads, filtering and archiving are ``hub_history``'s:

1. the dataset's **current revision** is resolved once per run (``dataset_info``) and its
   ``models/`` folders listed at that commit id; both are recorded in the manifest;
2. partition D is served by the folder **whose week contains D**: the largest label <= D, less
   than 7 days before it. A day before the first week, or in a gap between folders, is refused
   naming the nearest weeks;
3. the folder's file shows the week's start, not D: the lag (D - label) is recorded with
   ``snapshot_of``, and the day is used only when ``ATOM_HISTORY_MAX_LAG_DAYS`` >= the lag (so 0
   accepts week-start days only, 6 every day of a week).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from huggingface_hub.hf_api import RepoFolder

from atom_dagster.settings import HISTORY_WEEKLY, HISTORY_WEEKLY_REPO
from atom_dagster.sources.hub_history import (
    HUB_STATS_FILE,
    DaySnapshot,
    HistoryResult,
    HistoryUnavailable,
    HubStatsClient,
    SnapshotCommit,
    capture_history_day,
)

WEEKLY_REPO = HISTORY_WEEKLY_REPO
WEEKS_DIR = "models"
WEEK_DAYS = 7
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class WeeklyListing:
    """The dataset's current revision and the week labels of its ``models/`` folders there."""

    head: SnapshotCommit
    weeks: tuple[date, ...]  # sorted


# One resolution per process and repository while it covers the requested day (as for commits).
_WEEKS: dict[tuple[str, str], tuple[datetime, WeeklyListing]] = {}


def pick_week(weeks: tuple[date, ...] | list[date], day: str, repo_id: str = WEEKLY_REPO) -> date:
    """The label of the folder whose week contains ``day`` (pure); else refuse, naming the
    nearest weeks."""
    target = date.fromisoformat(day)
    before = max((w for w in weeks if w <= target), default=None)
    if before is not None and (target - before).days < WEEK_DAYS:
        return before
    after = min((w for w in weeks if w > target), default=None)
    if before is None and after is None:
        raise HistoryUnavailable(f"Partition {day}: {repo_id} lists no weekly folders under {WEEKS_DIR}/.")
    if before is None:
        raise HistoryUnavailable(
            f"Partition {day}: {repo_id}'s weekly snapshots start with the week of {after}"
            f" ({WEEKS_DIR}/{after}); days before it cannot be rebuilt from this dataset."
        )
    near = f"the week of {before} ({(target - before).days} days before)" + (
        f" and the week of {after}" if after else ", the last one"
    )
    raise HistoryUnavailable(
        f"Partition {day}: {repo_id} has no folder for the week containing {day} (nearest: {near}). The day"
        " is not filled from another week; leave it out (a gap in the series, which the daily-delta logic"
        " spans)."
    )


class WeeklySnapshotsClient(HubStatsClient):
    """:class:`HubStatsClient` for the weekly dataset: its calls, plus the current revision and
    the week folders at it."""

    mirror_hint = (
        "Replay an archive that has the days (ATOM_ARCHIVE_DIR), or take them from hub-stats"
        " (ATOM_HISTORY=hub-stats)."
    )

    def __init__(self, repo_id: str = WEEKLY_REPO, **kwargs: Any) -> None:
        super().__init__(repo_id=repo_id, **kwargs)

    def weekly_listing(self, covering: str | None = None) -> WeeklyListing:
        """The current revision and its week folders, resolved once per process while that
        resolution was made after ``covering`` ended."""
        return self.remembered_listing(
            _WEEKS, "resolving the current revision and weekly folders of", covering, self._list_weeks
        )

    def _list_weeks(self) -> WeeklyListing:
        info = self.api.dataset_info(self.repo_id, revision="main")
        head = SnapshotCommit(info.sha, info.last_modified or datetime.now(UTC), "current revision (main)")
        entries = self.api.list_repo_tree(self.repo_id, WEEKS_DIR, revision=info.sha, repo_type="dataset")
        names = (Path(e.path).name for e in entries if isinstance(e, RepoFolder))
        return WeeklyListing(head, tuple(sorted(date.fromisoformat(n) for n in names if _DAY.match(n))))


def locate_weekly_day(client: WeeklySnapshotsClient, day: str, max_lag_days: int = 0) -> DaySnapshot:
    """The weekly folder serving ``day`` at the current revision, refused when its lag (days since
    the week's start) exceeds ``max_lag_days``."""
    listing = client.weekly_listing(day)
    week = pick_week(listing.weeks, day, client.repo_id)
    lag = (date.fromisoformat(day) - week).days
    folder = f"{WEEKS_DIR}/{week}"
    if lag > max_lag_days:
        raise HistoryUnavailable(
            f"Partition {day}: {client.repo_id} serves it from the week-start snapshot {folder}, {lag} day(s)"
            f" before {day}; a weekly day is used only with ATOM_HISTORY_MAX_LAG_DAYS >= {lag} (recorded)."
        )
    info = client.file_info(listing.head.commit_id, f"{folder}/{HUB_STATS_FILE}", legacy=None)
    provenance = {"folder": folder, "week_end": (week + timedelta(days=WEEK_DAYS - 1)).isoformat()}
    return DaySnapshot(HISTORY_WEEKLY, listing.head, info, week, lag, provenance)


def capture_weekly_day(
    archive_root: Path,
    day: str,
    orgs: list[str],
    *,
    client: WeeklySnapshotsClient | None = None,
    **kwargs: Any,
) -> HistoryResult:
    """:func:`hub_history.capture_history_day` with the weekly folder that serves ``day``."""
    return capture_history_day(
        archive_root, day, orgs, client=client or WeeklySnapshotsClient(), locate=locate_weekly_day, **kwargs
    )
