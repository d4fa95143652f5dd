"""The organizations the live capture lists: the seed's `tracked` rows, or ATOM_TRACKED_ORGS."""

from __future__ import annotations

import csv
from pathlib import Path

from atom_dagster.settings import DBT_PROJECT_DIR

ORGANIZATIONS_SEED = DBT_PROJECT_DIR / "seeds" / "organizations.csv"


def tracked_orgs(seed_path: Path = ORGANIZATIONS_SEED, override: str | None = None) -> list[str]:
    """Namespaces to capture, in seed order.

    One list serves both the capture and the country attribution (the dbt seed), so an
    organization cannot be captured without a reviewed country. ``override`` (the setting
    ``ATOM_TRACKED_ORGS``, comma-separated) narrows it, e.g. for a quick live trial.
    """
    with open(seed_path, newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["tracked"].strip().lower() == "true"]
    orgs = [r["namespace"] for r in rows]
    wanted = [o.strip() for o in (override or "").split(",") if o.strip()]
    # A blank or comma-only value names nobody: it means "no narrowing", not "capture nothing".
    if wanted:
        unknown = sorted(set(wanted) - {r["namespace"] for r in rows})
        if unknown:
            raise ValueError(
                f"ATOM_TRACKED_ORGS names {', '.join(unknown)}, which are not tracked rows of {seed_path}; "
                "add them to the seed with their country first."
            )
        orgs = wanted
    return orgs
