"""Which tracked models get their own ``GET /api/models/{id}`` on a live day (``ATOM_MODEL_INFO``).

The listing pages give every field but two: ``childrenModelCount`` (the Hub's own count of a
model's fine-tunes, adapters, quantizations and merges) and ``inferenceProviderMapping`` come only
from one request per model. For every tracked model that is ~10,000 requests a day, ~50 minutes of
a free account's quota (1,000 requests / 5 minutes). What the report needs them for are the
mainline models: with the default universe (ATOM's list) those are the listed models, plus a
model created in the last weeks (a new release, a candidate for the list). Children counts of the
other models are still derived from captured lineage (``metrics_derivative_counts_by_base``).

* ``listed`` (default): models on ATOM's vendored lists (primary or extra), and models created
  within :data:`RECENT_DAYS` of the day;
* ``all``: every tracked model (the Hub's numbers for all; the most requests);
* ``off``: none (no children counts or inference providers from the Hub).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date, datetime

from atom_dagster.settings import MODEL_INFO_ALL, MODEL_INFO_LISTED, MODEL_INFO_OFF, MODEL_INFO_POLICIES

# A model this new may be a release ATOM's list has not caught up with (mainline_candidates).
RECENT_DAYS = 30


@functools.cache
def listed_model_ids() -> frozenset[str]:
    """Every repo id on ATOM's vendored lists, lower-cased (the Hub's ids are case-insensitive)."""
    from atom_dagster.sources.atom_reference import load_vendored

    return frozenset(model_id.lower() for model_id in load_vendored().models())


def _created(item: dict) -> date | None:
    value = item.get("createdAt")
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def needs_model_info(
    item: dict, policy: str, day: str, listed: frozenset[str] | None = None, recent_days: int = RECENT_DAYS
) -> bool:
    """Whether the listing object ``item`` (an archived ``GET /api/models`` object) gets its own
    request on ``day`` under ``policy`` (pure given ``listed``). A model whose ``createdAt`` is
    missing or unreadable counts as recent: asking once too often beats missing a new release."""
    if policy == MODEL_INFO_ALL:
        return True
    if policy == MODEL_INFO_OFF:
        return False
    if policy != MODEL_INFO_LISTED:
        raise ValueError(f"ATOM_MODEL_INFO must be one of {', '.join(MODEL_INFO_POLICIES)}, not {policy!r}")
    model_id = item.get("id")
    if isinstance(model_id, str) and model_id.lower() in (listed_model_ids() if listed is None else listed):
        return True
    created = _created(item)
    return created is None or (date.fromisoformat(day) - created).days <= recent_days


def select_model_info(
    items: Iterable[dict], policy: str, day: str, listed: frozenset[str] | None = None
) -> list[str]:
    """The unique ids, in order, of the listing objects that get a ``GET /api/models/{id}``."""
    ids: dict[str, None] = {}
    for item in items:
        model_id = item.get("id") if isinstance(item, dict) else None
        if isinstance(model_id, str) and model_id and needs_model_info(item, policy, day, listed):
            ids.setdefault(model_id, None)
    return list(ids)
