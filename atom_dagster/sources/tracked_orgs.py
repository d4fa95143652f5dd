"""The organizations the live capture lists: our seed's `tracked` rows and ATOM's organizations."""

from __future__ import annotations

import csv
from pathlib import Path

from atom_dagster.settings import DBT_PROJECT_DIR

ORGANIZATIONS_SEED = DBT_PROJECT_DIR / "seeds" / "organizations.csv"
ATOM_REGIONS_SEED = DBT_PROJECT_DIR / "seeds" / "atom_reference" / "atom_organization_regions.csv"


def _column(path: Path, column: str, keep=lambda _row: True) -> list[str]:
    if not Path(path).is_file():
        return []
    with open(path, newline="", encoding="utf-8") as fh:
        return [r[column] for r in csv.DictReader(fh) if keep(r)]


def tracked_orgs(
    seed_path: Path = ORGANIZATIONS_SEED, override: str | None = None, atom_regions: Path | None = None
) -> list[str]:
    """Namespaces to capture: our seed's tracked rows in seed order, then ATOM's other namespaces.

    Both lists give every namespace a reviewed region (the dbt seeds dim_organizations joins), so
    an organization cannot be captured without one. ``override`` (the setting
    ``ATOM_TRACKED_ORGS``, comma-separated) narrows it, e.g. for a quick live trial.
    """
    atom_regions = ATOM_REGIONS_SEED if atom_regions is None else atom_regions
    ours = _column(seed_path, "namespace", lambda r: r["tracked"].strip().lower() == "true")
    orgs = list(dict.fromkeys(ours + _column(atom_regions, "namespace")))
    wanted = [o.strip() for o in (override or "").split(",") if o.strip()]
    # A blank or comma-only value names nobody: it means "no narrowing", not "capture nothing".
    if wanted:
        unknown = sorted(set(wanted) - set(orgs))
        if unknown:
            raise ValueError(
                f"ATOM_TRACKED_ORGS names {', '.join(unknown)}, which are neither tracked rows of"
                f" {seed_path} "
                f"nor organizations of {atom_regions}; add them to the seed with their country first."
            )
        orgs = wanted
    return orgs
