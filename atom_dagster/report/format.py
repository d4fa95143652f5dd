"""How the report writes values: counts in K/M/B/T, shares, dates, and missing values as a dash."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

MISSING = "—"  # a value the data does not have (no date, no number): never NaT/NaN/None
_UNITS = (("", 1.0), ("K", 1e3), ("M", 1e6), ("B", 1e9), ("T", 1e12))


def is_missing(value: Any) -> bool:
    """True for None, NaN, NaT and pd.NA (scalars only)."""
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def human(n: Any) -> str:
    """A count of tokens or downloads in 3 significant digits: 2500 -> '2.5K', 3.1e12 -> '3.1T'."""
    if is_missing(n) or not math.isfinite(float(n)):
        return MISSING
    size = abs(float(n))
    for unit, div in _UNITS:
        text = f"{size / div:.3g}" if unit else f"{round(size):d}"
        if float(text) < 1000:  # else 999_999 would be '1e+03K': it is '1M'
            break
    else:  # a thousand trillion and more (counters near 2^63): thousands of T, never an exponent
        text = f"{size / 1e12:,.0f}"
    # No sign on a value that rounds to zero.
    return ("-" if float(n) < 0 and text.strip("0.,") else "") + text + unit


def percent(share: Any, digits: int = 0) -> str:
    """0.123 -> '12%' (or '12.3%' with ``digits=1``)."""
    return MISSING if is_missing(share) else f"{float(share):.{digits}%}"


def iso_day(value: Any) -> str:
    """A date as 2026-10-28."""
    return MISSING if is_missing(value) else f"{pd.Timestamp(value):%Y-%m-%d}"


def month_name(value: Any) -> str:
    """A month as 'Oct 2026'."""
    return MISSING if is_missing(value) else f"{pd.Timestamp(value):%b %Y}"


def cell(value: Any, column: str) -> str:
    """A table cell: scores with 2 decimals, shares in %, counts in K/M/B/T, dates as days; missing
    values as ``MISSING``."""
    if is_missing(value):
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, pd.Timestamp) or hasattr(value, "strftime"):
        return iso_day(value)
    if pd.api.types.is_number(value):
        if column.endswith("score"):
            return f"{float(value):.2f}"
        if column.endswith("share"):
            return percent(value, 1)
        return human(value)
    return str(value)
