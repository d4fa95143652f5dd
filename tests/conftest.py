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

import pytest  # noqa: E402

_MANIFEST: list = []


def pytest_configure(config):
    """Parse the dbt project once, before collection: test modules import the dbt assets, which
    load from the manifest, and a fresh clone has none (dbt_project/target is not committed)."""
    from atom_dagster.cli import prepare

    _MANIFEST.append(prepare())


@pytest.fixture(scope="session")
def dbt_manifest():
    """The manifest parsed for this session."""
    return _MANIFEST[0]
