"""Live capture of the whole Hub's new models of one day (part of the Hub capture, same day folder).

``GET /api/models?sort=createdAt&direction=-1&limit=N&expand=...`` lists every public model,
newest first, across the whole Hub (third-party fine-tunes included, which the tracked
organizations' listings never show). Partition D is captured early on D+1
(:mod:`atom_dagster.partitions`), so the listing starts with models created on D+1 (skipped: they
are D+1's), then D's (kept), and paging **stops at the page holding the first model created
before D**: the requests grow with the day's new models, not with the Hub.

Every page is archived verbatim as ``hub/new_models/page-NNNNN.json`` (so a replay re-parses the
Hub's own bodies; ``raw/hub_new_models`` keeps the models created on D, once per ``_id``). The
page loop, its cursor checks and the checkpoint after every page are the org listings' own
(:func:`atom_dagster.sources.hub_live.capture_pages`): a killed capture resumes at the next cursor.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from atom_dagster.sources.archive import HUB_NEW_MODELS_DIR, ArchiveWriter
from atom_dagster.sources.hub_live import _Session, capture_pages

# `_id` and `id` always come back; with `expand` the Hub returns ONLY the listed fields besides.
NEW_MODELS_EXPAND = [
    "author",
    "createdAt",
    "baseModels",
    "tags",
    "pipeline_tag",
    "library_name",
    "downloads",
    "likes",
]
LISTING = "/api/models?sort=createdAt"
LABEL = "new models"
COUNTERS = ("created_after_day", "created_on_day", "created_before_day")


def page_file(page: int) -> str:
    """Archive path of the listing's ``page``-th page (1-based)."""
    return f"{HUB_NEW_MODELS_DIR}/page-{page:05d}.json"


def listing_params(page_limit: int) -> dict[str, Any]:
    """Query of the listing's first page (later pages follow the ``Link`` cursor)."""
    return {"sort": "createdAt", "direction": -1, "limit": page_limit, "expand": list(NEW_MODELS_EXPAND)}


def day_bounds(day: str) -> tuple[datetime, datetime]:
    """``[start, end)`` of ``day`` in UTC."""
    start = datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC)
    return start, start + timedelta(days=1)


def created_at(obj: Any) -> datetime | None:
    """The object's ``createdAt`` as UTC, or None when it has none readable (the landing rejects it)."""
    value = obj.get("createdAt") if isinstance(obj, dict) else None
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def new_progress() -> dict[str, Any]:
    """The checkpointed state of a listing not started yet."""
    listing = {"pages": 0, "models": 0, "next": None, "pages_done": False, "requests": 0}
    return listing | dict.fromkeys(COUNTERS, 0)


def _page_rule(
    day: str, progress: dict[str, Any], fail: Callable[[str, str], Exception]
) -> Callable[[list[Any], str], tuple[bool, str]]:
    """What to do with each page: count its models against ``day``; stop once one predates it."""
    start, end = day_bounds(day)

    def on_page(items: list[Any], what: str) -> tuple[bool, str]:
        times = [t for t in (created_at(item) for item in items) if t is not None]
        if items and not times:
            # Without one readable date the listing's position is unknown: paging might never stop.
            cause = f"none of its {len(items)} models has a readable `createdAt`; where {day} ends is unknown"
            raise fail(what, cause)
        if any(later > earlier for earlier, later in zip(times, times[1:], strict=False)):
            cause = "the listing is not newest first (`createdAt` rises within the page)"
            raise fail(what, cause)
        counts = {
            "created_after_day": sum(1 for t in times if t >= end),
            "created_on_day": sum(1 for t in times if start <= t < end),
            "created_before_day": sum(1 for t in times if t < start),
        }
        for name, count in counts.items():
            progress[name] += count
        note = f" ({counts['created_on_day']} created on {day}, {counts['created_after_day']} after it)"
        return counts["created_before_day"] > 0, note

    return on_page


def capture_new_models(
    session: _Session,
    writer: ArchiveWriter,
    day: str,
    page_limit: int,
    progress: dict[str, Any],
    save: Callable[[], None],
) -> None:
    """List the Hub's models newest first into ``hub/new_models/`` until one created before ``day``.

    ``progress`` (:func:`new_progress`, restored from the checkpoint on a resume) is updated and
    saved after every archived page; it also counts the listed models created after, on and before
    ``day`` and the requests the listing took (retries included, over every run).
    """
    requests_before, at_start = progress["requests"], session.requests

    def save_counted() -> None:
        progress["requests"] = requests_before + session.requests - at_start
        save()

    capture_pages(
        session,
        writer,
        label=LABEL,
        what=LISTING,
        params=listing_params(page_limit),
        page_file=page_file,
        progress=progress,
        save=save_counted,
        on_page=_page_rule(day, progress, session.fail),
    )
    session.log(
        f"[{LABEL}] {progress['created_on_day']} created on {day}, listed on {progress['pages']} page(s)"
        f" ({progress['created_after_day']} created after it skipped; requests: {progress['requests']})"
    )


def manifest_section(progress: dict[str, Any], page_limit: int) -> dict[str, Any]:
    """The listing's part of the manifest's ``capture`` section."""
    return {
        "endpoint": "/api/models",
        "params": listing_params(page_limit),
        "requests": progress["requests"],
        "pages": progress["pages"],
        "models_listed": progress["models"],
        **{name: progress[name] for name in COUNTERS},
    }
