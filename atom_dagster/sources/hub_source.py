"""Where a partition's Hub snapshot comes from: the live Hub or a recorded archive.

The choice is configuration (``ATOM_SOURCE``), never a silent fallback: a live source asked
for a past day refuses and says how to backfill from an archive instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from atom_dagster.partitions import latest_live_partition
from atom_dagster.settings import SOURCE_ARCHIVE, SOURCE_LIVE
from atom_dagster.sources.archive import day_dir, read_manifest


class SourceUnavailable(RuntimeError):
    """The configured source cannot serve the requested partition; the message says why."""


@dataclass(frozen=True)
class ResolvedDay:
    """An archived day ready to parse, and how it got there."""

    path: Path
    capture_source: str  # live | archive | demo
    detail: str


class HubSnapshotSource(dg.ConfigurableResource):
    """Hub snapshots for a daily partition: ``mode`` is ``archive`` (replay) or ``live``."""

    mode: str = SOURCE_ARCHIVE
    archive_dir: str
    endpoint: str = "https://huggingface.co"
    token: str | None = None
    tracked_orgs: list[str] | None = None

    def resolve_day(self, day: str, log) -> ResolvedDay:
        """Make sure the day is in the archive (capturing it live if configured) and say how."""
        archive = Path(self.archive_dir)
        if self.mode == SOURCE_LIVE:
            return self._capture_live(day, archive, log)
        if self.mode != SOURCE_ARCHIVE:
            raise SourceUnavailable(f"Unknown source mode {self.mode!r}; use 'archive' or 'live'.")
        path = day_dir(archive, day)
        if not path.is_dir():
            partial = path.with_name(f"{day}.partial")
            hint = f" (an unfinished capture is in {partial})" if partial.exists() else ""
            raise SourceUnavailable(
                f"Partition {day}: the archive {archive} has no day {day}{hint}. "
                "Point ATOM_ARCHIVE_DIR at an archive that has it, or choose a date range the archive covers."
            )
        manifest = read_manifest(path) or {}
        if manifest.get("synthetic"):
            return ResolvedDay(path, "demo", f"SYNTHETIC demo archive {path}")
        return ResolvedDay(path, "archive", f"archive replay of {path}")

    def _capture_live(self, day: str, archive: Path, log) -> ResolvedDay:
        latest = latest_live_partition()
        if day != latest:
            raise SourceUnavailable(
                f"Partition {day}: the live Hub only shows today's numbers, so a live capture can only "
                f"fill the latest partition ({latest}, captured early the next day as its end-of-day "
                "state). To backfill past days, replay an archive: "
                f"`atom backfill --archive DIR --start {day} --end {day}` "
                "(or set ATOM_SOURCE=archive and ATOM_ARCHIVE_DIR)."
            )
        from atom_dagster.sources.hub_live import capture_hub_day
        from atom_dagster.sources.tracked_orgs import tracked_orgs

        orgs = self.tracked_orgs or tracked_orgs()
        log.info(f"Live capture of {len(orgs)} organizations from {self.endpoint} into {archive}/{day}")
        result = capture_hub_day(archive, day, orgs, endpoint=self.endpoint, token=self.token, log=log.info)
        return ResolvedDay(
            result.day_dir,
            "live",
            f"live capture: {result.requests} requests, {result.pages} pages, {result.models} models",
        )
