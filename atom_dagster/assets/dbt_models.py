"""dbt models as Dagster assets: three dbt steps per run (one dbt process when it builds all of them)
into one warehouse build."""

import contextlib
import importlib.metadata
import json
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
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
from dagster_dbt.asset_utils import get_manifest_and_translator_from_dbt_assets
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage
from dagster_duckdb import DuckDBResource
from packaging import version

from atom_dagster.assets.dbt_shared_build import (
    SharedResults,
    StepNodes,
    failed,
    first_step_failed,
    load_shared,
    node_id,
    owner_of,
    result_events,
    save_shared,
    selects_every_step,
)
from atom_dagster.assets.metadata import with_table_stats
from atom_dagster.assets.run_build import build_in_run, steps_still_to_run
from atom_dagster.dbt_cli import env_args
from atom_dagster.settings import DBT_PROJECT_DIR, DBT_TARGET_DUCKDB, DBT_TARGET_SPARK, dbt_executable
from atom_dagster.spark_catalog import spark_dbt_env, spark_tables, write_catalog
from atom_dagster.warehouse import spark_build_dir

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
    if not target.is_dir():
        return
    for entry in target.iterdir():
        if entry.name in KEPT_AFTER_SUCCESS:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


class AtomDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt CLI resource without the dbt adapter it opens in the Dagster process.

    On every `cli()` call dagster-dbt builds an in-process dbt adapter (loading the profile and
    parsing all of dbt's macros: ~4 s a call on this machine, 12 s of a run's three dbt steps) for
    its optional `fetch_row_counts()`/`fetch_column_metadata()`, which atom does not call: row
    counts come from :func:`atom_dagster.assets.metadata.with_table_stats`. dbt itself runs as before,
    in its own process.
    """

    def _initialize_dbt_core_adapter(self, args: Any) -> Any:
        return None

    @cached_property
    def _cli_version(self) -> version.Version:
        # dagster-dbt asks `dbt --version` (a process of ~3 s, which also looks up the latest
        # release online) before every call; atom's dbt is the pinned dbt-core beside this Python.
        return version.parse(importlib.metadata.version("dbt-core"))


def dbt_resource(target: str = DBT_TARGET_DUCKDB) -> DbtCliResource:
    """atom's dbt on the profile's ``target`` (named on every call: the profile's default target
    follows $ATOM_DBT_TARGET, and the manifest is always parsed for DuckDB's relation names)."""
    # The pinned dbt beside this Python, whatever PATH says (a venv used without `activate`).
    return AtomDbtCliResource(
        project_dir=str(DBT_PROJECT_DIR),
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=dbt_executable(),
        target=target,
    )


_GROUPS = {"staging": "staging", "intermediate": "intermediate", "marts": "marts", "metrics": "metrics"}


class AtomDbtTranslator(DagsterDbtTranslator):
    """Groups by folder (staging / marts / seeds), marks the engine (duckdb or spark) as the kind,
    names the owner; the dbt tests of a partitioned step are partitioned checks (each day's result
    shows on that day)."""

    def __init__(
        self,
        settings: DagsterDbtTranslatorSettings | None = None,
        check_partitions: dg.PartitionsDefinition | None = None,
        engine: str = DBT_TARGET_DUCKDB,
    ) -> None:
        super().__init__(settings)
        self.check_partitions = check_partitions
        self.engine = engine

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
        # The engine the builds run on, in place of the adapter the manifest was parsed with.
        kinds = (set(spec.kinds) - {DBT_TARGET_DUCKDB, DBT_TARGET_SPARK}) | {self.engine}
        return spec.replace_attributes(group_name=group, owners=["team:atom"], kinds=kinds)

    def get_asset_check_spec(
        self,
        asset_spec: dg.AssetSpec,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> dg.AssetCheckSpec | None:
        # dbt tests have no description of their own: say what each one asserts.
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None:
            return None
        if not spec.description:
            spec = spec._replace(description=describe_dbt_test(manifest["nodes"].get(unique_id) or {}))
        if self.check_partitions is not None:
            spec = spec._replace(partitions_def=self.check_partitions)
        return spec


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
    where = (test.get("config") or {}).get("where")
    scope = f", on the rows where {where}" if where else ""
    return f"dbt test `{name}`: {rule}{scope} ({severity}: {effect})."


def translator(
    check_partitions: dg.PartitionsDefinition | None = None, engine: str = DBT_TARGET_DUCKDB
) -> AtomDbtTranslator:
    """atom's translator: dbt tests as asset checks, partitioned as ``check_partitions``."""
    return AtomDbtTranslator(DagsterDbtTranslatorSettings(enable_asset_checks=True), check_partitions, engine)


# The one incremental model. It alone is partitioned in Dagster (its days are what a partition
# means); the models before it and the marts over it rebuild whole, unpartitioned.
DAILY_MODEL = "fct_model_downloads_daily"


@dataclass(frozen=True)
class DbtStep:
    """One `dbt build` step of a run: a dbt selection, partitioned or not."""

    name: str
    select: str
    exclude: str | None
    partitioned: bool


# In build order. A run builds them into one copy of the warehouse, published by its last step.
DBT_STEPS = (
    DbtStep("atom_dbt_models", "fqn:*", f"{DAILY_MODEL}+", partitioned=False),
    DbtStep("atom_dbt_daily", DAILY_MODEL, None, partitioned=True),
    DbtStep("atom_dbt_download_marts", f"{DAILY_MODEL}+", DAILY_MODEL, partitioned=False),
)
DBT_STEP_NAMES = frozenset(step.name for step in DBT_STEPS)


class ModelVarsConfig(dg.ConfigurableResource):
    """The report's definitions chosen by configuration (``Settings.model_vars``), as dbt vars."""

    mainline_universe: str
    tracking_start: str

    def as_vars(self) -> dict[str, str]:
        return {"mainline_universe": self.mainline_universe, "tracking_start": self.tracking_start}


def dbt_paths_env(warehouse_path: Path, raw_dir: str) -> dict[str, str]:
    """The file dbt builds into and the raw root it reads, as environment variables (profiles.yml,
    macros/raw_paths.sql), not --vars: a --vars value that changes (a new data directory, each test
    and benchmark) makes dbt re-parse the whole project; these are read where no parse sees them."""
    return {"ATOM_WAREHOUSE_PATH": str(warehouse_path), "ATOM_DBT_RAW_DIR": raw_dir}


# The run's partition window [min_date, max_date), as environment variables (macros/partition_window.sql):
# a new window then re-parses only the files reading it, not the whole project as --vars would.
WINDOW_ENV = {"min_date": "ATOM_DBT_MIN_DATE", "max_date": "ATOM_DBT_MAX_DATE"}


def dbt_window_env(context: dg.AssetExecutionContext) -> dict[str, str]:
    """The run's partition window (a backfill = one window; only the incremental model reads it)
    as ``ATOM_DBT_MIN_DATE`` / ``ATOM_DBT_MAX_DATE``; empty for a run without partitions."""
    if not (context.has_partition_key or context.has_partition_key_range):
        return {}
    window = context.partition_time_window
    bounds = {"min_date": window.start, "max_date": window.end}
    return {WINDOW_ENV[name]: bound.strftime("%Y-%m-%d") for name, bound in bounds.items()}


PARTIAL_PARSE = "partial_parse.msgpack"


def parse_cache(warehouse: Path) -> Path:
    """dbt's parse of the last build into ``warehouse`` (valid for the same vars, profile and files)."""
    return Path(warehouse).with_name(f"{Path(warehouse).name}.dbt_{PARTIAL_PARSE}")


def run_target_path(context: dg.AssetExecutionContext, warehouse: Path) -> Path:
    """A fresh dbt target folder for this step (dagster-dbt's naming), seeded with the cached parse.

    dbt checks a partial parse against its vars, profile and every file's checksum and re-parses
    what differs, so a stale cache costs a parse, never a wrong build.
    """
    name = f"{context.op_execution_context.op.name}-{context.run.run_id[:7]}-{uuid.uuid4().hex[:7]}"
    target = Path(DBT_PROJECT_DIR) / "target" / name
    target.mkdir(parents=True)
    with contextlib.suppress(OSError):  # no cache yet: dagster-dbt seeds it from the project's parse
        shutil.copyfile(parse_cache(warehouse), target / PARTIAL_PARSE)
    return target


def keep_parse(target: Path, warehouse: Path) -> None:
    """Keep this build's parse for the run's next dbt step (replaced in one rename)."""
    parsed = target / PARTIAL_PARSE
    if parsed.exists():
        cache = parse_cache(warehouse)
        partial = cache.with_name(cache.name + ".tmp")
        shutil.copyfile(parsed, partial)
        os.replace(partial, cache)


def dbt_events(
    raw_events: Iterable[Mapping[str, Any]], context: dg.AssetExecutionContext, assets_dbt: tuple[Any, ...]
) -> Iterator[Any]:
    """dbt's result events as this step's Dagster events (outputs, check results), as dagster-dbt's
    own `stream()` makes them; ``assets_dbt`` is the step's (manifest, translator, project)."""
    manifest, dbt_translator, project = assets_dbt
    for raw in raw_events:
        message = DbtCoreCliEventMessage(raw_event=dict(raw), event_history_metadata={})
        yield from message.to_default_asset_events(
            manifest=manifest, dagster_dbt_translator=dbt_translator, context=context, project=project
        )


SPARK_RUNS_WHOLE = (
    "On the spark target (ATOM_DBT_TARGET=spark) a run builds every dbt asset in one dbt process:"
    " Spark rebuilds the warehouse from the raw Parquet into a folder of the run's own, so a run of"
    " some dbt assets (or a re-execution of some steps) has nothing to build them on. Run the daily"
    ' job, `atom backfill`, or "Materialize all" instead. Nothing was built; the warehouse is as it was.'
)


def run_dbt_step(context: dg.AssetExecutionContext, steps: Mapping[str, StepNodes]) -> Iterator[Any]:
    """`dbt build` of the step's selection into the run's copy of the warehouse, which the run's
    last dbt step publishes. A failed build discards it: the warehouse keeps the previous set.

    In a run of every dbt asset the first step builds all of them in one dbt process and the later
    steps report its results (:mod:`atom_dagster.assets.dbt_shared_build`).
    """
    dbt: DbtCliResource = context.resources.dbt
    warehouse = Path(context.resources.warehouse.database)
    name = context.op_execution_context.op.name
    partitioned = context.assets_def.partitions_def is not None
    target: Path | None = None
    assets_dbt = get_manifest_and_translator_from_dbt_assets([context.assets_def])
    manifest = assets_dbt[0]
    spark = dbt.target == DBT_TARGET_SPARK
    shared = load_shared(warehouse, context.run_id)
    whole = (
        shared is None
        and name == DBT_STEPS[0].name
        and selects_every_step(context.run, steps)
        and steps_still_to_run(context, DBT_STEP_NAMES) == DBT_STEP_NAMES - {name}
    )
    if spark and shared is None and not whole:
        raise dg.Failure(description=SPARK_RUNS_WHOLE)
    with build_in_run(context, warehouse, DBT_STEP_NAMES) as build:
        env = dbt_window_env(context)
        bounds = [env.get(WINDOW_ENV[bound]) for bound in ("min_date", "max_date")]
        window = f"{bounds[0]} .. {bounds[1]} (exclusive)" if partitioned and env else None
        if shared is not None:
            raw = shared.of_step(steps[name])
            context.log.info(f"dbt build: {len(raw)} results of this step, from the run's one dbt build")
            ok, error = not any(failed(e) for e in raw), shared.error
        else:
            scope = (
                "every dbt step of the run" if whole else ("window " + window if window else "whole tables")
            )
            context.log.info(f"dbt build on {dbt.target} ({scope})")
            spark_dir = spark_build_dir(warehouse, context.run_id)
            engine_env = spark_dbt_env(spark_dir) if spark else {}
            invocation = dbt.cli(
                # dbt's unit tests check the SQL, not the day's data: the test suite runs them
                # (tests/metrics), a daily build does not pay for them (~10 s of a 100K day).
                # A shared build selects every node (no context: no step's selection).
                [
                    # The paths and the window, in dbt's environment (atom-dbt, dbt_cli.py).
                    *env_args(
                        {**env, **dbt_paths_env(build.path, context.resources.raw_data.raw_dir), **engine_env}
                    ),
                    "build",
                    "--exclude-resource-type",
                    "unit_test",
                    # The report's definitions: the same for every build of a deployment.
                    "--vars",
                    json.dumps(context.resources.model_vars.as_vars()),
                ],
                context=None if whole else context,
                manifest=manifest,
                raise_on_error=False,
                target_path=run_target_path(context, warehouse),
            )
            # dbt has finished (and closed the copy) once this returns
            raw = [message.raw_event for message in invocation.stream_raw_events()]
            target = Path(invocation.target_path)
            keep_parse(target, warehouse)
            ok = invocation.is_successful()
            error = None if ok else str(invocation.get_error())
            if ok and spark:  # the build's copy becomes the catalog of what Spark wrote
                tables = write_catalog(build.path, spark_dir, spark_tables(manifest))
                context.log.info(f"Spark wrote {len(tables)} tables in {spark_dir}; the build views them")
            if whole:
                later = {step for step in steps if step != name}
                save_shared(
                    warehouse,
                    SharedResults(
                        context.run_id,
                        error,
                        [e for e in result_events(raw) if owner_of(node_id(e), steps) in later],
                    ),
                )
                ok = not first_step_failed(raw, name, steps, dbt_ok=ok)
                raw = [e for e in raw if owner_of(node_id(e), steps) not in later]
        events = list(dbt_events(raw, context, assets_dbt))
        if not ok:
            # What the tests found is still reported; no model of this step is recorded as built.
            yield from (e for e in events if isinstance(e, dg.AssetCheckResult))
            raise dg.Failure(
                description=(
                    f"{error}\n\nNothing was published: the warehouse keeps the "
                    "previous build's tables, all of them (a run's build is published whole or not at "
                    "all: models that earlier dbt steps of this run report as materialized were built "
                    "into the discarded copy, not into the warehouse)."
                )
            )
    # Row counts and previews of what this step built: from the published file, or the copy.
    stats_from = DuckDBResource(database=str(build.readable), connection_config={"access_mode": "READ_ONLY"})
    for event in with_table_stats(events, stats_from, manifest):
        if isinstance(event, dg.Output) and window:  # the date range this materialization covers
            event = event.with_metadata({**event.metadata, "partition_window": window})
        yield event
    if target is not None:
        prune_run_folder(target)


def build_dbt_step(
    step: DbtStep,
    partitions: dg.PartitionsDefinition,
    project: DbtProject,
    steps: Mapping[str, StepNodes],
    engine: str = DBT_TARGET_DUCKDB,
) -> dg.AssetsDefinition:
    """One dbt step as a multi-asset: partitioned with a single-run backfill policy, or not."""

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        name=step.name,
        select=step.select,
        exclude=step.exclude,
        partitions_def=partitions if step.partitioned else None,
        dagster_dbt_translator=translator(partitions if step.partitioned else None, engine),
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool="duckdb",
        required_resource_keys={"dbt", "warehouse", "raw_data", "model_vars"},
    )
    def _step(context: dg.AssetExecutionContext):
        """`dbt build` of this step's models into the run's build of the warehouse; tests report as checks."""
        yield from run_dbt_step(context, steps)

    return _step


def build_dbt_assets(
    partitions: dg.PartitionsDefinition, project: DbtProject, engine: str = DBT_TARGET_DUCKDB
) -> list[dg.AssetsDefinition]:
    """The dbt models as three steps: the models before the incremental one (unpartitioned), the
    incremental daily fact (partitioned), and the marts over it (unpartitioned); ``engine`` (the
    dbt target) is their kind in the UI."""
    steps: dict[str, StepNodes] = {}  # filled below: each step knows what the others own
    assets = [build_dbt_step(step, partitions, project, steps, engine) for step in DBT_STEPS]
    steps.update({step.name: StepNodes.of(a) for step, a in zip(DBT_STEPS, assets, strict=True)})
    return assets
