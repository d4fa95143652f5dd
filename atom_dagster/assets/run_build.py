"""One warehouse build per run, across its dbt steps.

A run's dbt steps (see :data:`atom_dagster.assets.dbt_models.DBT_STEPS`) build into one copy of the
warehouse (:mod:`atom_dagster.warehouse`): the first step of the run makes the copy, later ones
build into it, and the last one publishes it. Any step that fails discards it, so readers see the
previous build whole until a run has passed whole. Which steps a run has is read from its execution
plan, which ones have finished from its event log: this holds for any selection (a single model
picked in the UI, a re-execution from failure) and for executors that run each step in its own
process.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from atom_dagster.warehouse import build_owner, build_path, discard_build, publish_build, start_build

_FINISHED = {
    dg.DagsterEventType.STEP_SUCCESS,
    dg.DagsterEventType.STEP_FAILURE,
    dg.DagsterEventType.STEP_SKIPPED,
}


def _finished_steps(context: dg.AssetExecutionContext) -> set[str]:
    records = context.instance.get_records_for_run(context.run_id, of_type=_FINISHED).records
    return {r.event_log_entry.step_key for r in records if r.event_log_entry.step_key}


def steps_still_to_run(context: dg.AssetExecutionContext, build_steps: frozenset[str]) -> set[str]:
    """The run's other steps among ``build_steps`` that have not finished (nor been skipped)."""
    plan = context.instance.get_execution_plan_snapshot(context.run.execution_plan_snapshot_id)
    planned = set(plan.step_keys_to_execute) & build_steps
    this_step = context.get_step_execution_context().step.key
    return planned - {this_step} - _finished_steps(context)


def open_build(context: dg.AssetExecutionContext, warehouse: Path) -> Path:
    """The run's build copy: the one an earlier step of this run started, else a fresh one.

    A copy another run is still building into (between its steps) is never taken over; one left by
    a run that has ended (failed, or killed and marked failed) is replaced.
    """
    owner = build_owner(warehouse)
    if owner == context.run_id:
        return build_path(warehouse)
    if owner is not None:
        other = context.instance.get_run_by_id(owner)
        if other is not None and not other.is_finished:
            raise dg.Failure(
                description=(
                    f"Run {owner} is building the warehouse {warehouse} (between its dbt steps). "
                    "Nothing was written; run this again when that run has finished."
                )
            )
    return start_build(warehouse, owner=context.run_id)


@dataclass
class RunBuild:
    """The copy a step builds into, and whether the step published it."""

    warehouse: Path
    path: Path
    published: bool = False

    @property
    def readable(self) -> Path:
        """Where this step's results can be read: the warehouse once published, else the copy."""
        return self.warehouse if self.published else self.path


@contextlib.contextmanager
def build_in_run(
    context: dg.AssetExecutionContext, warehouse: Path, build_steps: frozenset[str]
) -> Iterator[RunBuild]:
    """Build into the run's copy; discard it if the body raises; publish it if no step is left."""
    build = RunBuild(warehouse=Path(warehouse), path=open_build(context, Path(warehouse)))
    try:
        yield build
    except BaseException:
        discard_build(build.warehouse)
        raise
    if not steps_still_to_run(context, build_steps):
        publish_build(build.warehouse)
        build.published = True
