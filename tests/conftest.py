"""Shared test setup: no network, no telemetry, the dbt manifest built before definitions load."""

from __future__ import annotations

import os

# Before any huggingface_hub / GX import: tests never phone home.
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def dbt_manifest():
    """Parse the dbt project once per session (Dagster's dbt assets load from the manifest)."""
    from atom_dagster.cli import prepare

    return prepare()
