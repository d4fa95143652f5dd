"""Shared test setup: no network, no telemetry, the dbt manifest built before definitions load."""

from __future__ import annotations

import os
import tempfile

# Before any huggingface_hub / GX import: tests never phone home.
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
# Importing the definitions resolves the data directory; keep tests out of ./data.
os.environ["ATOM_DATA_DIR"] = tempfile.mkdtemp(prefix="atom-tests-")
os.environ["ATOM_SOURCE"] = "archive"
os.environ.pop("ATOM_ARCHIVE_DIR", None)
os.environ.pop("ATOM_WAREHOUSE_PATH", None)
# Dagster's storage stays SQLite under each test's data directory, never a developer's PostgreSQL
# (an empty value wins over `.env`); tests/deploy/ gives its own server's URL to the settings.
os.environ["ATOM_DAGSTER_PG_URL"] = ""

import pytest  # noqa: E402

_MANIFEST: list = []


def pytest_configure(config):
    """Parse the dbt project once, before collection: test modules import the dbt assets, which
    load from the manifest, and a fresh clone has none (dbt_project/target is not committed)."""
    from atom_dagster.cli import prepare

    _MANIFEST.append(prepare())


# Folders whose files run whole backfills (a minute or more each) go first, so that the two
# workers of pytest-xdist are not left with one long file at the end; unit tests fill the gaps.
# tests/spark (one file: landing, then a dbt build on each engine, minutes on Spark) goes very first.
_HEAVY_FIRST = (
    "tests/spark/",
    "tests/faults/",
    "tests/e2e/",
    "tests/metrics/",
    "tests/storage/",  # one backfill with a dbt build, on a local S3 server
    "tests/deploy/",
    "tests/ui/",
)


def _weight(item: pytest.Item) -> int:
    path = item.nodeid.split("::", 1)[0]
    return next((i for i, folder in enumerate(_HEAVY_FIRST) if path.startswith(folder)), len(_HEAVY_FIRST))


def pytest_collection_modifyitems(session, config, items):
    items.sort(key=_weight)  # stable: the order within a folder stays


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Under pytest-xdist (scripts/test.sh runs two workers): a test file runs whole on one worker,
    and so does the folder tests/ui, whose files share one session backfill (ui_data); module and
    session fixtures that build a warehouse are then built once, not once per worker."""
    from xdist.scheduler import LoadScopeScheduling

    # Keep the collection order (heavy folders first): xdist's default reorders scopes by their
    # number of tests, which puts the long one-test files (a kill mid-build) at the very end.
    config.option.loadscopereorder = False

    class ByFileAndUiFolder(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return "tests/ui" if path.startswith("tests/ui/") else path

    return ByFileAndUiFolder(config, log)


@pytest.fixture(scope="session")
def dbt_manifest():
    """The manifest parsed for this session."""
    return _MANIFEST[0]
