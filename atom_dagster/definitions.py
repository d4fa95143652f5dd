"""Dagster definitions for atom (loaded by `dagster dev -w workspace.yaml`)."""

from __future__ import annotations

import os

import dagster as dg
from dagster_dbt import DbtCliResource

from atom_dagster.settings import export_paths, load_settings

settings = load_settings()
export_paths(settings)

from atom_dagster.assets.dbt_models import atom_dbt_models, dbt_project  # noqa: E402
from atom_dagster.assets.ecosystem_report import ecosystem_report  # noqa: E402
from atom_dagster.assets.raw_hub_inference_providers import raw_hub_inference_providers  # noqa: E402
from atom_dagster.assets.raw_hub_models import RawDataConfig, raw_hub_models  # noqa: E402
from atom_dagster.assets.raw_openrouter import raw_openrouter  # noqa: E402
from atom_dagster.jobs import atom_daily_job, atom_daily_schedule  # noqa: E402
from atom_dagster.sources.hub_source import HubSnapshotSource  # noqa: E402
from atom_dagster.sources.openrouter_source import OpenRouterSource  # noqa: E402


def build_resources(s=settings) -> dict:
    """Resources for a settings object (tests build their own with other directories)."""
    return {
        "hub_source": HubSnapshotSource(
            mode=s.source,
            archive_dir=str(s.archive_dir),
            endpoint=s.hf_endpoint,
            token=dg.EnvVar("HF_TOKEN") if s.source == "live" else None,
            history=s.history,
            history_max_lag_days=s.history_max_lag_days,
            history_derivatives=s.history_derivatives,
            history_repo=s.history_repo,
            history_keep_downloads=s.history_keep_downloads,
        ),
        "openrouter_source": OpenRouterSource(
            mode=s.source,
            archive_dir=str(s.archive_dir),
            # Optional (rankings only): an EnvVar keeps the key out of the resource config shown in the UI.
            api_key=dg.EnvVar("OPENROUTER_API_KEY")
            if s.source == "live" and os.environ.get("OPENROUTER_API_KEY")
            else None,
        ),
        "raw_data": RawDataConfig(raw_dir=str(s.raw_dir)),
        "dbt": DbtCliResource(project_dir=dbt_project, profiles_dir=str(dbt_project.project_dir)),
    }


# Sources -> raw landing -> dbt -> report; the CLI runner materializes these same definitions.
ALL_ASSETS = [raw_hub_models, raw_openrouter, raw_hub_inference_providers, atom_dbt_models, ecosystem_report]

defs = dg.Definitions(
    assets=ALL_ASSETS,
    jobs=[atom_daily_job],
    schedules=[atom_daily_schedule],
    resources=build_resources(),
)
