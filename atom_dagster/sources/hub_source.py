"""Where a partition's Hub snapshot comes from: the live Hub or a recorded archive.

The choice is configuration (``ATOM_SOURCE``), never a silent fallback: a live source asked
for a past day refuses and says how to backfill from an archive instead.

With history configured (``ATOM_HISTORY=hub-stats``) a past partition the archive lacks is
written into the archive from the public hub-stats snapshot of that day
(``hub_history.capture_history_day``) and replayed from there; a day the archive has is always
replayed as recorded. ``ATOM_HISTORY=weekly`` takes it from the weekly copy instead
(``hub_weekly``), and ``ATOM_HISTORY_FALLBACK=weekly`` does so only when hub-stats itself is
unavailable (gone, private, gated or disabled: not for a day it merely lacks), saying so in one
log line and in the manifest. Every resolved day says where it came from (``capture_source``:
``live``, ``archive``, ``demo`` or ``history``).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from atom_dagster.landing.spec import ResolvedDay
from atom_dagster.partitions import latest_live_partition
from atom_dagster.settings import (
    HISTORIES,
    HISTORY_HUB_STATS,
    HISTORY_OFF,
    HISTORY_REPO_DEFAULT,
    HISTORY_WEEKLY,
    HISTORY_WEEKLY_REPO,
    MODEL_INFO_LISTED,
    SOURCE_ARCHIVE,
    SOURCE_LIVE,
)
from atom_dagster.sources.archive import HUB_MODELS_DIR, day_dir, read_manifest, replay_label
from atom_dagster.sources.errors import SourceUnavailable
from atom_dagster.storage import synced_day

__all__ = ["HubSnapshotSource", "ResolvedDay", "SourceUnavailable"]


class HubSnapshotSource(dg.ConfigurableResource):
    """Hub snapshots for a daily partition: ``mode`` is ``archive`` (replay) or ``live``."""

    mode: str = SOURCE_ARCHIVE
    archive_dir: str
    # ATOM_ARCHIVE_URL: the archive on an object store; archive_dir holds local copies of its days.
    archive_url: str | None = None
    endpoint: str = "https://huggingface.co"
    token: str | None = None
    tracked_orgs: list[str] | None = None
    # ATOM_TRACKED_ORGS: narrows the seed's tracked organizations (comma-separated) when set.
    tracked_orgs_filter: str | None = None
    # ATOM_MODEL_INFO: which tracked models get GET /api/models/{id} (sources/model_info_policy.py).
    model_info: str = MODEL_INFO_LISTED
    # Past partitions from public snapshots: "off", "hub-stats" or "weekly" (ATOM_HISTORY).
    history: str = HISTORY_OFF
    history_max_lag_days: int = 0
    history_derivatives: bool = True
    history_repo: str = HISTORY_REPO_DEFAULT
    history_keep_downloads: bool = False
    # With hub-stats: "weekly" serves the day when hub-stats is unavailable (ATOM_HISTORY_FALLBACK).
    history_fallback: str = HISTORY_OFF
    history_weekly_repo: str = HISTORY_WEEKLY_REPO

    def resolve_day(self, day: str, log) -> ResolvedDay:
        """The day from the archive (fetched from ``archive_url`` first, captures published to it)."""
        with synced_day(self.archive_url, Path(self.archive_dir), day, log):
            return self._resolve_day(day, log)

    def _resolve_day(self, day: str, log) -> ResolvedDay:
        """Make sure the day is in the archive (capturing it live if configured) and say how."""
        archive = Path(self.archive_dir)
        if self.mode not in (SOURCE_LIVE, SOURCE_ARCHIVE):
            raise SourceUnavailable(f"Unknown source mode {self.mode!r}; use 'archive' or 'live'.")
        if self.history != "off" and (self.mode == SOURCE_ARCHIVE or day != latest_live_partition()):
            if not (day_dir(archive, day) / HUB_MODELS_DIR).is_dir():
                return self._capture_history(day, archive, log)
            return self._replay(day_dir(archive, day))
        if self.mode == SOURCE_LIVE:
            return self._capture_live(day, archive, log)
        path = day_dir(archive, day)
        if not path.is_dir():
            partial = path.with_name(f"{day}.partial")
            hint = f" (an unfinished capture is in {partial})" if partial.exists() else ""
            raise SourceUnavailable(
                f"Partition {day}: the archive {archive} has no day {day}{hint}. "
                "Point ATOM_ARCHIVE_DIR at an archive that has it, or choose a date range the archive covers,"
                " or take past days from the public hub-stats history (ATOM_HISTORY=hub-stats, or "
                f"`atom backfill --history --start {day} --end {day}`)."
            )
        return self._replay(path)

    @staticmethod
    def _replay(path: Path) -> ResolvedDay:
        manifest = read_manifest(path) or {}
        label = replay_label(manifest)
        if label == "demo":
            return ResolvedDay(path, label, f"SYNTHETIC demo archive {path}")
        if label == "history":
            history = manifest.get("history") or {}
            repo, commit = history.get("repository", "hub-stats"), history.get("commit", "?")
            return ResolvedDay(path, label, f"replay of history day {path} ({repo} commit {commit})")
        return ResolvedDay(path, label, f"archive replay of {path}")

    def _capture_history(self, day: str, archive: Path, log) -> ResolvedDay:
        if self.history not in HISTORIES:
            raise SourceUnavailable(
                f"Unknown history source {self.history!r}; use one of {', '.join(HISTORIES)}."
            )
        from atom_dagster.sources.hub_history import (
            HistoryDatasetUnavailable,
            HubStatsClient,
            capture_history_day,
        )
        from atom_dagster.sources.hub_weekly import WeeklySnapshotsClient, capture_weekly_day
        from atom_dagster.sources.tracked_orgs import tracked_orgs

        orgs = self.tracked_orgs or tracked_orgs(override=self.tracked_orgs_filter)
        hub = {"endpoint": self.endpoint, "token": self.token}
        common = {
            "max_lag_days": self.history_max_lag_days,
            "derivatives": self.history_derivatives,
            "keep_download": self.history_keep_downloads,
            "log": log.info,
        }
        weekly = self.history == HISTORY_WEEKLY
        log.info(
            f"Partition {day}: not in the archive {archive}; taking it from the history dataset "
            f"{self.history_weekly_repo if weekly else self.history_repo}"
        )
        if not weekly:
            try:
                client = HubStatsClient(repo_id=self.history_repo, **hub)
                result = capture_history_day(archive, day, orgs, client=client, **common)
                return ResolvedDay(result.day_dir, "history", result.detail)
            except HistoryDatasetUnavailable as exc:
                if self.history_fallback != HISTORY_WEEKLY:
                    raise
                common["provenance"] = {
                    "fallback_from": {"repository": self.history_repo, "reason": str(exc)}
                }
                log.warning(
                    f"Partition {day}: {HISTORY_HUB_STATS} ({self.history_repo}) is unavailable, so the day"
                    f" comes from the weekly snapshots {self.history_weekly_repo}"
                    f" (ATOM_HISTORY_FALLBACK=weekly): {exc}"
                )
        weekly_client = WeeklySnapshotsClient(repo_id=self.history_weekly_repo, **hub)
        result = capture_weekly_day(archive, day, orgs, client=weekly_client, **common)
        return ResolvedDay(result.day_dir, "history", result.detail)

    def _capture_live(self, day: str, archive: Path, log) -> ResolvedDay:
        latest = latest_live_partition()
        if day != latest:
            raise SourceUnavailable(
                f"Partition {day}: the live Hub only shows today's numbers, so a live capture can only "
                f"fill the latest partition ({latest}, captured early the next day as its end-of-day "
                "state). To backfill past days, replay an archive: "
                f"`atom backfill --archive DIR --start {day} --end {day}` "
                "(or set ATOM_SOURCE=archive and ATOM_ARCHIVE_DIR), or take them from the public hub-stats "
                f"history: `atom backfill --history --start {day} --end {day}`."
            )
        from atom_dagster.sources.hub_live import capture_hub_day
        from atom_dagster.sources.tracked_orgs import tracked_orgs

        orgs = self.tracked_orgs or tracked_orgs(override=self.tracked_orgs_filter)
        log.info(f"Live capture of {len(orgs)} organizations from {self.endpoint} into {archive}/{day}")
        result = capture_hub_day(
            archive,
            day,
            orgs,
            endpoint=self.endpoint,
            token=self.token,
            model_info=self.model_info,
            log=log.info,
        )
        return ResolvedDay(
            result.day_dir,
            "live",
            f"live capture: {result.requests} requests, {result.pages} pages, {result.models} models",
        )
