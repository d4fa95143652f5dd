"""Run partitions through Dagster from the command line (in-process, recorded in DAGSTER_HOME).

Raw partitions run one per day, so one bad day fails alone and the others land; the dbt
models then build once over the whole window (the dbt assets' single-run backfill policy).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from atom_dagster.settings import Settings, export_paths


@dataclass
class BackfillSummary:
    """What a backfill did, per day."""

    landed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    dbt_succeeded: bool | None = None
    dbt_message: str = ""

    @property
    def ok(self) -> bool:
        return not self.failed and self.dbt_succeeded is not False


def days_between(start: date, end: date, stride: int = 1) -> list[str]:
    """Inclusive list of ISO days from start to end, every ``stride`` days."""
    if end < start:
        raise ValueError(f"end {end} is before start {start}.")
    if stride < 1:
        raise ValueError("stride must be at least 1.")
    return [(start + timedelta(days=i)).isoformat() for i in range(0, (end - start).days + 1, stride)]


# DuckDB allows one writer per file: every dbt step is in pool "duckdb", limited to one at a time.
INSTANCE_CONFIG = """\
concurrency:
  pools:
    default_limit: 1
telemetry:
  enabled: false
"""


def ensure_instance_config(home: Path) -> Path:
    """Write ``dagster.yaml`` (pool limit, no telemetry) into a new DAGSTER_HOME; keep a user's own."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(INSTANCE_CONFIG)
    return config


def instance_for(settings: Settings) -> dg.DagsterInstance:
    """The persistent Dagster instance under the data directory (what `dagster dev` shows)."""
    home = settings.dagster_home
    ensure_instance_config(home)
    os.environ["DAGSTER_HOME"] = str(home)
    return dg.DagsterInstance.from_config(str(home))


# The CLI prints its own progress; Dagster's event stream stays in DAGSTER_HOME for the UI.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _landed_rows(result: dg.ExecuteInProcessResult) -> str:
    for event in result.get_asset_materialization_events():
        metadata = event.materialization.metadata
        rows = metadata.get("dagster/row_count")
        source = metadata.get("source")
        if rows is not None:
            return f"{rows.value:,} models, source {getattr(source, 'value', source)}"
    return "landed"


def _failure_message(result: dg.ExecuteInProcessResult) -> str:
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            error = event.step_failure_data.error
            # A dagster.Failure carries the user-facing description; show it, not the trace.
            return (error.message or "").strip() or error.to_string()
    return "the run failed (see the Dagster UI for the event log)"


def backfill(
    settings: Settings, days: list[str], log: Callable[[str], None] = print, build_dbt: bool = True
) -> BackfillSummary:
    """Materialize raw partitions for ``days`` from the configured source, then dbt over the window."""
    export_paths(settings)
    from atom_dagster.assets.dbt_models import atom_dbt_models
    from atom_dagster.assets.raw_hub_models import RAW_HUB_MODELS, raw_hub_models
    from atom_dagster.definitions import build_resources

    instance = instance_for(settings)
    resources = build_resources(settings)
    assets = [raw_hub_models, atom_dbt_models]
    summary = BackfillSummary()
    for n, day in enumerate(days, start=1):
        result = dg.materialize(
            assets,
            instance=instance,
            resources=resources,
            partition_key=day,
            selection=[RAW_HUB_MODELS],
            raise_on_error=False,
            run_config=QUIET,
            tags={"atom/trigger": "cli-backfill"},
        )
        if result.success:
            summary.landed.append(day)
            log(f"[{n}/{len(days)}] raw/hub_models {day}: {_landed_rows(result)}")
        else:
            summary.failed[day] = _failure_message(result)
            log(f"[{n}/{len(days)}] raw/hub_models {day}: FAILED\n{summary.failed[day]}")
    if build_dbt and summary.landed:
        first, last = summary.landed[0], summary.landed[-1]
        log(f"dbt build over {first} .. {last} ({len(summary.landed)} landed partitions, one run)")
        result = dg.materialize(
            assets,
            instance=instance,
            resources=resources,
            selection=dg.AssetSelection.assets(atom_dbt_models),
            raise_on_error=False,
            run_config=QUIET,
            tags={
                ASSET_PARTITION_RANGE_START_TAG: first,
                ASSET_PARTITION_RANGE_END_TAG: last,
                "atom/trigger": "cli-backfill",
            },
        )
        summary.dbt_succeeded = result.success
        summary.dbt_message = "ok" if result.success else _failure_message(result)
        log(f"dbt build: {'succeeded' if result.success else 'FAILED: ' + summary.dbt_message}")
    return summary
