"""dbt models as Dagster assets: one `dbt build` per partition window (tests become checks)."""

import json
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from atom_dagster.assets.warehouse_metadata import with_table_stats
from atom_dagster.partitions import daily_partitions
from atom_dagster.settings import DBT_PROJECT_DIR, load_settings

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# Under `dagster dev` the manifest is (re)built on load; elsewhere run `atom prepare` first.
dbt_project.prepare_if_dev()

_GROUPS = {"staging": "staging", "marts": "marts"}


class AtomDbtTranslator(DagsterDbtTranslator):
    """Groups by folder (staging / marts / seeds), marks DuckDB as the kind, names the owner."""

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest["nodes"].get(unique_id) or manifest["sources"].get(unique_id) or {}
        if node.get("resource_type") == "seed":
            group = "reference_data"
        else:
            folder = (node.get("fqn") or ["", ""])[1] if len(node.get("fqn") or []) > 2 else ""
            group = _GROUPS.get(folder, spec.group_name or "default")
        return spec.replace_attributes(group_name=group, owners=["team:atom"]).merge_attributes(
            kinds={"duckdb"}
        )


translator = AtomDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def warehouse_path():
    """The warehouse file dbt writes (same setting as the dbt profile)."""
    return load_settings().warehouse_path


def partition_vars(context: dg.AssetExecutionContext) -> dict[str, str]:
    """The run's partition window as dbt vars ``[min_date, max_date)`` (a backfill = one window)."""
    window = context.partition_time_window
    return {"min_date": window.start.strftime("%Y-%m-%d"), "max_date": window.end.strftime("%Y-%m-%d")}


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    partitions_def=daily_partitions,
    dagster_dbt_translator=translator,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="duckdb",
)
def atom_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """`dbt build` of the selection for the partition window; dbt tests report as asset checks."""
    dbt_vars = partition_vars(context)
    context.log.info(f"dbt build for window {dbt_vars['min_date']} .. {dbt_vars['max_date']} (exclusive)")
    invocation = dbt.cli(["build", "--vars", json.dumps(dbt_vars)], context=context)
    yield from with_table_stats(invocation.stream(), warehouse_path(), invocation.manifest)
