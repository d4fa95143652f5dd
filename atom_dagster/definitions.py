"""Dagster definitions for atom, built from one :class:`Settings` value.

``dagster dev -w workspace.yaml`` loads :data:`defs` lazily: the settings are read (environment
over ``.env``) when the code location loads, not when this module is imported. The CLI and the
tests call :func:`build_definitions` with their own settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dagster as dg
from dagster_duckdb import DuckDBResource

from atom_dagster import storage
from atom_dagster.assets.dbt_models import ModelVarsConfig, build_dbt_assets, dbt_project, dbt_resource
from atom_dagster.assets.ecosystem_report import ReportConfig, build_report_asset
from atom_dagster.assets.raw_tables import RawDataConfig, build_raw_asset
from atom_dagster.jobs import build_daily_schedule, build_jobs
from atom_dagster.landing.tables import all_tables
from atom_dagster.partitions import daily_partitions
from atom_dagster.settings import HF_TOKEN_VAR, OPENROUTER_KEY_VAR, SOURCE_LIVE, Settings, load_settings
from atom_dagster.sources.hub_source import HubSnapshotSource
from atom_dagster.sources.openrouter_source import OpenRouterSource


class WarehouseResource(DuckDBResource):
    """The warehouse, whose staging views read the raw Parquet: on an object store (``raw_location``
    an ``s3://`` URL) through the fsspec filesystem registered on each connection, as dbt's
    profile registers it (DuckDB's own httpfs extension is not used)."""

    raw_location: str = ""

    @contextmanager
    def get_connection(self) -> Iterator[Any]:
        with super().get_connection() as con:
            storage.register_filesystem(con, self.raw_location)
            yield con


def warehouse_resource(settings: Settings) -> DuckDBResource:
    """Dagster's side of the warehouse: read-only (dbt is its one writer)."""
    return WarehouseResource(
        database=str(settings.warehouse_path),
        connection_config={"access_mode": "READ_ONLY"},
        raw_location=settings.raw_location,
    )


def _secret(name: str, value: str | None, environ: dict[str, str] | None):
    # An EnvVar keeps the secret out of the resource config the UI shows; a value that only
    # `.env` gave (not in the process environment) is passed as is, for in-process CLI runs.
    if value is None:
        return None
    import os

    env = os.environ if environ is None else environ
    return dg.EnvVar(name) if env.get(name) == value else value


def build_resources(settings: Settings, environ: dict[str, str] | None = None) -> dict:
    """Resources for a settings object (tests build their own with other directories)."""
    live = settings.source == SOURCE_LIVE
    return {
        "hub_source": HubSnapshotSource(
            mode=settings.source,
            archive_dir=str(settings.archive_dir),
            archive_url=settings.archive_url,
            endpoint=settings.hf_endpoint,
            token=_secret(HF_TOKEN_VAR, settings.hf_token, environ) if live else None,
            tracked_orgs_filter=settings.tracked_orgs,
            model_info=settings.model_info,
            history=settings.history,
            history_max_lag_days=settings.history_max_lag_days,
            history_derivatives=settings.history_derivatives,
            history_repo=settings.history_repo,
            history_keep_downloads=settings.history_keep_downloads,
            history_fallback=settings.history_fallback,
        ),
        "openrouter_source": OpenRouterSource(
            mode=settings.source,
            archive_dir=str(settings.archive_dir),
            archive_url=settings.archive_url,
            # Optional (rankings only).
            api_key=_secret(OPENROUTER_KEY_VAR, settings.openrouter_api_key, environ) if live else None,
        ),
        "raw_data": RawDataConfig(raw_dir=settings.raw_location),
        "report_config": ReportConfig(data_dir=str(settings.data_dir)),
        "warehouse": warehouse_resource(settings),
        "dbt": dbt_resource(settings.dbt_target),
        "model_vars": ModelVarsConfig(**settings.model_vars()),
    }


def build_assets(settings: Settings) -> list[dg.AssetsDefinition]:
    """Sources -> raw tables -> dbt -> report, partitioned from ``settings.partitions_start``."""
    partitions = daily_partitions(settings.partitions_start)
    return [
        build_raw_asset(all_tables(), partitions),
        *build_dbt_assets(partitions, dbt_project(), settings.dbt_target),
        build_report_asset(partitions),
    ]


def build_definitions(settings: Settings) -> dg.Definitions:
    """Every asset, job, schedule and resource for ``settings``."""
    partitions = daily_partitions(settings.partitions_start)
    jobs = build_jobs(partitions)
    return dg.Definitions(
        assets=build_assets(settings),
        jobs=jobs,
        schedules=[build_daily_schedule(jobs[0])],
        resources=build_resources(settings),
    )


@dg.definitions
def defs() -> dg.Definitions:
    """What `dagster dev` loads: the definitions for the environment's settings."""
    return build_definitions(load_settings())
