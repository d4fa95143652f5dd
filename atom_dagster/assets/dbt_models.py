"""dbt models as Dagster assets: one `dbt build` per partition window (tests become checks)."""

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from dagster_duckdb import DuckDBResource

from atom_dagster.assets.metadata import with_table_stats
from atom_dagster.settings import DBT_PROJECT_DIR, dbt_executable
from atom_dagster.warehouse import discard_build, publish_build, start_build

# What dbt writes into the project folder; everything else there is input to `dbt parse`.
_DBT_OUTPUTS = {"target", "logs", "dbt_packages"}


def manifest_is_current(project: DbtProject) -> bool:
    """True when the manifest is newer than every file (and folder) of the dbt project it parses."""
    manifest = project.manifest_path
    outputs = _DBT_OUTPUTS | {Path(project.target_path).parts[0]}
    try:
        built = manifest.stat().st_mtime
        for entry in Path(project.project_dir).iterdir():
            if entry.name.startswith(".") or entry.name in outputs:
                continue
            paths = [entry, *entry.rglob("*")] if entry.is_dir() else [entry]
            if any(path.stat().st_mtime > built for path in paths):
                return False
    except OSError:  # no manifest yet, or a file vanished while we looked: parse
        return False
    return True


def prepare_if_stale(project: DbtProject) -> bool:
    """Under `dagster dev`, run `dbt parse` (dagster-dbt's `prepare_if_dev`) only if the manifest is stale.

    `dagster dev` exports DAGSTER_IS_DEV_CLI to the code server and every run worker, so each of
    them would otherwise re-parse dbt on load (seconds each, and rewriting the manifest others read).
    Outside `dagster dev` nothing happens: `atom prepare` (or the other `atom` commands) builds it.
    """
    if not project.preparer.using_dagster_dev() or manifest_is_current(project):
        return False
    project.prepare_if_dev()
    return True


def project_handle() -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def dbt_project() -> DbtProject:
    """The dbt project (its manifest is parsed by `atom prepare`, or here under `dagster dev` if stale)."""
    project = project_handle()
    prepare_if_stale(project)
    return project


# What a passed build keeps of its run folder (dbt_project/target/<step>-<run>-<hash>/): the
# results, per node. The rest (manifest, parse cache, compiled SQL, a debug log of ~10 MB) is
# ~15 MB a build, which a daily schedule would pile up for ever. A failed build keeps everything.
KEPT_AFTER_SUCCESS = {"run_results.json"}


def prune_run_folder(target: Path) -> None:
    """Delete a passed build's dbt artifacts except :data:`KEPT_AFTER_SUCCESS`."""
    import shutil

    if not target.is_dir():
        return
    for entry in target.iterdir():
        if entry.name in KEPT_AFTER_SUCCESS:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def dbt_resource() -> DbtCliResource:
    # The pinned dbt beside this Python, whatever PATH says (a venv used without `activate`).
    return DbtCliResource(
        project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=dbt_executable()
    )


_GROUPS = {"staging": "staging", "intermediate": "intermediate", "marts": "marts", "metrics": "metrics"}


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

    def get_asset_check_spec(
        self,
        asset_spec: dg.AssetSpec,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> dg.AssetCheckSpec | None:
        # dbt tests have no description of their own: say what each one asserts.
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or spec.description:
            return spec
        return spec._replace(description=describe_dbt_test(manifest["nodes"].get(unique_id) or {}))


def describe_dbt_test(test: Mapping[str, Any]) -> str:
    """A sentence for a dbt test shown as a Dagster check: its own description, else what it asserts."""
    if test.get("description"):
        return test["description"]
    meta = test.get("test_metadata") or {}
    args = meta.get("kwargs") or {}
    name = meta.get("name") or test.get("name", "dbt test")
    column = f"`{args['column_name']}`" if args.get("column_name") else "the row"
    rule = {
        "not_null": f"{column} is never null",
        "unique": f"{column} is unique",
        "accepted_values": f"{column} is one of: {', '.join(map(str, args.get('values') or []))}",
        "relationships": f"every {column} exists in {args.get('to')}.{args.get('field')}",
        "non_negative": f"{column} is never negative",
        "non_decreasing": f"{column} never decreases over {args.get('order_by')}"
        + (f" within each {args['partition_by']}" if args.get("partition_by") else ""),
        "unique_combination_of_columns": "one row per ("
        + ", ".join(args.get("combination_of_columns") or [])
        + ")",
    }.get(name, f"{name} on {column}")
    severity = ((test.get("config") or {}).get("severity") or "error").lower()
    effect = "blocks downstream assets on failure" if severity == "error" else "warns on failure"
    return f"dbt test `{name}`: {rule} ({severity}: {effect})."


translator = AtomDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def dbt_vars(context: dg.AssetExecutionContext, warehouse: DuckDBResource, raw_dir: str) -> dict[str, str]:
    """The run's partition window as dbt vars ``[min_date, max_date)`` (a backfill = one window),
    and the paths dbt reads and writes (profiles.yml and the raw sources take them as vars)."""
    window = context.partition_time_window
    return {
        "min_date": window.start.strftime("%Y-%m-%d"),
        "max_date": window.end.strftime("%Y-%m-%d"),
        "warehouse_path": warehouse.database,
        "raw_dir": raw_dir,
    }


def build_dbt_assets(partitions: dg.PartitionsDefinition, project: DbtProject) -> dg.AssetsDefinition:
    """The dbt models as partitioned assets: one `dbt build` per partition window."""

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        partitions_def=partitions,
        dagster_dbt_translator=translator,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool="duckdb",
        required_resource_keys={"dbt", "warehouse", "raw_data"},
    )
    def atom_dbt_models(context: dg.AssetExecutionContext):
        """`dbt build` of the selection for the partition window; dbt tests report as asset checks."""
        dbt: DbtCliResource = context.resources.dbt
        warehouse: DuckDBResource = context.resources.warehouse
        args = dbt_vars(context, warehouse, context.resources.raw_data.raw_dir)
        window = f"{args['min_date']} .. {args['max_date']} (exclusive)"
        context.log.info(f"dbt build for window {window}")
        # dbt builds a copy; the marts are published as one set only if the whole build passed.
        args["warehouse_path"] = str(start_build(Path(warehouse.database)))
        invocation = dbt.cli(["build", "--vars", json.dumps(args)], context=context, raise_on_error=False)
        events = list(invocation.stream())  # dbt has finished (and closed the copy) once this returns
        if not invocation.is_successful():
            discard_build(Path(warehouse.database))
            # What the tests found is still reported; no model is recorded as materialized.
            yield from (e for e in events if isinstance(e, dg.AssetCheckResult))
            raise dg.Failure(
                description=(
                    f"{invocation.get_error()}\n\nNothing was published: the warehouse keeps the previous "
                    "build's tables, all of them (a build is published whole or not at all)."
                )
            )
        publish_build(Path(warehouse.database))
        for event in with_table_stats(events, warehouse, invocation.manifest):
            if isinstance(event, dg.Output):  # the date range this materialization covers
                event = event.with_metadata({**event.metadata, "partition_window": window})
            yield event
        prune_run_folder(Path(invocation.target_path))

    return atom_dbt_models
