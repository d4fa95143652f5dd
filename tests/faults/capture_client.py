"""A live capture in its own process, so a test can SIGKILL it mid-way.

python -m tests.faults.capture_client ARCHIVE DAY ENDPOINT ORG[,ORG...] PAGE_LIMIT
"""

from __future__ import annotations

import sys

from atom_dagster.sources.hub_live import capture_hub_day


def main() -> None:
    archive, day, endpoint, orgs, page_limit = sys.argv[1:6]
    capture_hub_day(
        archive,
        day,
        orgs.split(","),
        endpoint=endpoint,
        page_limit=int(page_limit),
        timeout=60,
        log=lambda message: print(message, flush=True),
    )


if __name__ == "__main__":
    main()
