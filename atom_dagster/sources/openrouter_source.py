"""Where a partition's OpenRouter snapshot comes from: a live capture or the recorded archive.

Same rules as the Hub source (``hub_source.py``): the mode is configuration (``ATOM_SOURCE``),
a live capture serves only the latest partition, and there is no fallback between sources.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from atom_dagster.landing.spec import ResolvedDay
from atom_dagster.partitions import latest_live_partition
from atom_dagster.settings import SOURCE_ARCHIVE, SOURCE_LIVE
from atom_dagster.sources.archive import day_dir
from atom_dagster.sources.errors import SourceUnavailable
from atom_dagster.sources.openrouter_live import OPENROUTER_DIR, OPENROUTER_ENDPOINT, OUTPUT_MODALITIES
from atom_dagster.storage import synced_day


def _replayed(path: Path, detail: str) -> ResolvedDay:
    # Replays are labelled demo or archive by the day's manifest, which the parser reads.
    return ResolvedDay(path, "archive", detail)


class OpenRouterSource(dg.ConfigurableResource):
    """OpenRouter snapshots for a daily partition: ``mode`` is ``archive`` (replay) or ``live``.

    ``api_key`` (``OPENROUTER_API_KEY``) is needed only for the rankings dataset; without it a
    live capture still records the public model catalogue.
    """

    mode: str = SOURCE_ARCHIVE
    archive_dir: str
    # ATOM_ARCHIVE_URL: the archive on an object store; archive_dir holds local copies of its days.
    archive_url: str | None = None
    endpoint: str = OPENROUTER_ENDPOINT
    api_key: str | None = None
    output_modalities: str = OUTPUT_MODALITIES

    def resolve_day(self, day: str, log) -> ResolvedDay:
        """The day from the archive (fetched from ``archive_url`` first, captures published to it)."""
        with synced_day(self.archive_url, Path(self.archive_dir), day, log):
            return self._resolve_day(day, log)

    def _resolve_day(self, day: str, log) -> ResolvedDay:
        archive = Path(self.archive_dir)
        if self.mode == SOURCE_LIVE:
            return self._capture_live(day, archive, log)
        if self.mode != SOURCE_ARCHIVE:
            raise SourceUnavailable(f"Unknown source mode {self.mode!r}; use 'archive' or 'live'.")
        path = day_dir(archive, day)
        detail = (
            f"archive replay of {path / OPENROUTER_DIR}"
            if (path / OPENROUTER_DIR).is_dir()
            else f"the archive day {path} has no {OPENROUTER_DIR}/ folder"
        )
        return _replayed(path, detail)

    def _capture_live(self, day: str, archive: Path, log) -> ResolvedDay:
        latest = latest_live_partition()
        if day != latest:
            # The catalogue can only be observed as it is now. A past day is replayed when the archive
            # has it, else skipped with this reason (no data, never zeros), so a history backfill of
            # the Hub in live mode is not failed by its inference half.
            path = day_dir(archive, day)
            if (path / OPENROUTER_DIR).is_dir():
                return _replayed(path, f"archive replay of {path / OPENROUTER_DIR}")
            return _replayed(
                path,
                f"no OpenRouter data for {day}: a live capture can only fill the latest partition "
                f"({latest}) and the archive has no {OPENROUTER_DIR}/ folder for this day",
            )
        from atom_dagster.sources import openrouter_live

        log.info(
            f"Live OpenRouter capture of {day} from {self.endpoint} into {archive}/{day}/{OPENROUTER_DIR}"
        )
        result = openrouter_live.capture_openrouter_day(
            archive,
            day,
            api_key=self.api_key,
            endpoint=self.endpoint,
            output_modalities=self.output_modalities,
            log=log.info,
        )
        notes = {"rankings_skipped": result.rankings_skipped} if result.rankings_skipped else {}
        return ResolvedDay(
            day_dir(archive, day),
            "live",
            f"live capture: {result.requests} requests, {result.models} catalogue models",
            notes=notes,
        )
