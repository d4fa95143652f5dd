"""The daily partitioning shared by every asset.

Convention: partition D holds D's end-of-day state. A live capture can only observe the Hub as
it is now, so it runs early on D+1 (the schedule) and serves only the latest partition.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import dagster as dg


def daily_partitions(start: str) -> dg.DailyPartitionsDefinition:
    """Daily UTC partitions from ``start`` (``Settings.partitions_start``) up to yesterday."""
    parse_day(start)  # a readable error for a bad ATOM_PARTITIONS_START
    return dg.DailyPartitionsDefinition(start_date=start, timezone="UTC", end_offset=0)


def latest_live_partition(now: datetime | None = None) -> str:
    """The one partition a live capture may fill: yesterday (UTC)."""
    now = now or datetime.now(UTC)
    return (now.date() - timedelta(days=1)).isoformat()


def parse_day(value: str) -> date:
    """Parse YYYY-MM-DD with a readable error."""
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a date in YYYY-MM-DD form.") from exc
