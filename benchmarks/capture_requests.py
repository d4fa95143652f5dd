"""Requests a live day costs, per ``ATOM_MODEL_INFO`` policy, counted on an archived day.

    .venv/bin/python benchmarks/capture_requests.py --archive DIR --day YYYY-MM-DD [--orgs 67 120]

Reads the day's ``hub/models/`` pages (any archive: a live capture, or the SYNTHETIC demo) and
counts what ``atom_dagster.sources.hub_live.capture_hub_day`` would request for the first N tracked
organizations present in it: one listing page per 1,000 models of each organization, one
``GET /api/models/{id}`` per model the policy selects (``model_info_policy.select_model_info``,
the capture's own rule), and the whole Hub's new-models listing (pages of the day's
``hub/new_models/`` records). Against the Hub's quota of 1,000 requests per 5 minutes for a free
account, it prints how long the day's requests take at the least. Counting only: no request is
made. Sizes beyond the archive's organizations are extrapolated at the measured mean and say so.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from atom_dagster.settings import MODEL_INFO_POLICIES  # noqa: E402
from atom_dagster.sources.archive import HUB_MODELS_DIR, iter_records  # noqa: E402
from atom_dagster.sources.hub_new_models import HUB_NEW_MODELS_DIR  # noqa: E402
from atom_dagster.sources.model_info_policy import listed_model_ids, select_model_info  # noqa: E402
from atom_dagster.sources.tracked_orgs import tracked_orgs  # noqa: E402

QUOTA_REQUESTS, QUOTA_MINUTES = 1_000, 5
PAGE_LIMIT = 1_000
_ORG_FILE = re.compile(r"^(?P<org>.+)-\d{4}\.jsonl?(\.gz)?$")


def items_by_org(day_path: Path) -> dict[str, list[dict]]:
    """The day's listing objects per organization (from the page files' names, ``<org>-NNNN``)."""
    by_org: dict[str, list[dict]] = defaultdict(list)
    for record in iter_records(day_path, HUB_MODELS_DIR):
        match = _ORG_FILE.match(Path(record.file).name)
        if match and isinstance(record.obj, dict):
            by_org[match["org"]].append(record.obj)
    return dict(by_org)


def day_requests(
    by_org: dict[str, list[dict]], orgs: list[str], policy: str, day: str, new_models: int
) -> dict:
    """Requests of one live day for ``orgs`` under ``policy`` (pure given the listing objects)."""
    pages = sum(max(1, math.ceil(len(by_org.get(org, [])) / PAGE_LIMIT)) for org in orgs)
    model_info = sum(len(select_model_info(by_org.get(org, []), policy, day)) for org in orgs)
    new_pages = max(1, math.ceil(new_models / PAGE_LIMIT))
    total = pages + model_info + new_pages
    return {
        "pages": pages,
        "model_info": model_info,
        "new_pages": new_pages,
        "total": total,
        "minutes": total / QUOTA_REQUESTS * QUOTA_MINUTES,
    }


def listed_in(orgs: list[str]) -> int:
    """ATOM-listed repo ids in these namespaces: what ``listed`` asks for on the real Hub before the
    recent models (exact from the vendored lists; renamed or deleted repos aside)."""
    wanted = {org.lower() for org in orgs}
    return sum(1 for model_id in listed_model_ids() if model_id.split("/", 1)[0] in wanted)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--archive", type=Path, required=True)
    parser.add_argument("--day", required=True)
    parser.add_argument("--orgs", type=int, nargs="+", default=[67, 120])
    args = parser.parse_args()
    day_path = args.archive / args.day
    by_org = items_by_org(day_path)
    new_models = (
        sum(1 for _ in iter_records(day_path, HUB_NEW_MODELS_DIR))
        if (day_path / HUB_NEW_MODELS_DIR).is_dir()
        else 0
    )
    present = [org for org in tracked_orgs() if org in by_org]
    print(
        f"archive day: {day_path} ({len(by_org)} organizations, {sum(map(len, by_org.values())):,} models,"
        f" {new_models:,} new models on the Hub that day)"
    )
    print(f"quota:       {QUOTA_REQUESTS:,} requests / {QUOTA_MINUTES} min (free account)\n")
    print(
        "| organizations | policy | listing pages | GET /api/models/{id} | new-models pages | requests"
        " | minutes of quota |"
    )
    print("|---|---|---|---|---|---|---|")
    for n in args.orgs:
        orgs = present[:n]
        for policy in MODEL_INFO_POLICIES:
            got = day_requests(by_org, orgs, policy, args.day, new_models)
            label = f"{len(orgs)}"
            if n > len(orgs) and orgs:  # more than the archive has: the mean per organization
                scale = n / len(orgs)
                got = {**got, **{k: got[k] * scale for k in ("pages", "model_info")}}
                got["total"] = got["pages"] + got["model_info"] + got["new_pages"]
                got["minutes"] = got["total"] / QUOTA_REQUESTS * QUOTA_MINUTES
                label = f"{n} (EXTRAPOLATED from {len(orgs)})"
            print(
                f"| {label} | {policy} | {got['pages']:,.0f} | {got['model_info']:,.0f}"
                f" | {got['new_pages']:,} | {got['total']:,.0f} | {got['minutes']:.1f} |"
            )
    every = tracked_orgs()
    print("\nOn the real Hub (no network here): ATOM-listed models of the first N tracked organizations, the")
    print("`listed` policy's GET /api/models/{id} before the models created in the last 30 days:")
    for n in args.orgs:
        print(f"  {n} organizations: {listed_in(every[:n]):,} listed models")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
