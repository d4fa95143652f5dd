"""One `dbt build` for all of a run's dbt steps: the first step runs it, the later ones report from it.

Dagster needs the dbt models as three multi-assets (only the incremental model is partitioned, see
:data:`atom_dagster.assets.dbt_models.DBT_STEPS`), and each would start its own dbt process (~3 s,
plus its parse checks and Dagster's set-up for the call). When a run materializes every dbt asset
and check (the daily job, `atom backfill`'s marts run, "Materialize all" in the UI), its first dbt
step builds every node in one dbt process instead, reports its own nodes, and writes the other
nodes' result events beside the run's build copy; the later steps report those as their own and
pass or fail as they would have had they run dbt themselves. Any other run (a selection of assets,
a re-execution from a failure) runs each step's own build.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg

from atom_dagster.warehouse import build_events_path

UNIQUE_ID = "dagster_dbt/unique_id"

# dbt's result events (one per seed, model, snapshot or test that ran) and the statuses that fail a
# build: a test with `warn` severity reports "warn", which does not.
RESULT_EVENTS = frozenset({"LogSeedResult", "LogModelResult", "LogSnapshotResult", "LogTestResult"})
FAILED_STATUSES = frozenset({"error", "fail", "runtime error"})


@dataclass(frozen=True)
class StepNodes:
    """What one dbt step (multi-asset) owns: its assets, its checks, and their dbt unique ids."""

    keys: frozenset[dg.AssetKey]
    check_keys: frozenset[dg.AssetCheckKey]
    unique_ids: frozenset[str]

    @classmethod
    def of(cls, assets_def: dg.AssetsDefinition) -> StepNodes:
        specs = [*assets_def.specs, *assets_def.check_specs]
        return cls(
            keys=frozenset(assets_def.keys),
            check_keys=frozenset(assets_def.check_keys),
            unique_ids=frozenset(
                str(s.metadata[UNIQUE_ID]) for s in specs if UNIQUE_ID in (s.metadata or {})
            ),
        )


def node_id(raw_event: Mapping[str, Any]) -> str | None:
    """The dbt node a raw dbt log event is about, if any."""
    return ((raw_event.get("data") or {}).get("node_info") or {}).get("unique_id")


def is_result(raw_event: Mapping[str, Any]) -> bool:
    """True for the event reporting a node's result (unit tests excluded: daily builds skip them)."""
    unique_id = node_id(raw_event)
    name = (raw_event.get("info") or {}).get("name")
    return bool(unique_id) and name in RESULT_EVENTS and not str(unique_id).startswith("unit_test")


def failed(raw_event: Mapping[str, Any]) -> bool:
    """True for a result event of a node that errored or a test that failed (not warned)."""
    if not is_result(raw_event):
        return False
    data = raw_event.get("data") or {}
    status = (data.get("node_info") or {}).get("node_status") or data.get("status") or ""
    return str(status).lower() in FAILED_STATUSES


def owner_of(unique_id: str | None, steps: Mapping[str, StepNodes]) -> str | None:
    """The step that owns a node (a model's asset, a test's check), or None (e.g. a multi-parent test)."""
    return next((name for name, nodes in steps.items() if unique_id in nodes.unique_ids), None)


def selects_every_step(run: dg.DagsterRun, steps: Mapping[str, StepNodes]) -> bool:
    """True when the run materializes every asset and check of every dbt step (a run of a job
    without a selection of its own has none, or an empty one: the job's assets and checks)."""
    return all(
        (not run.asset_selection or nodes.keys <= run.asset_selection)
        and (not run.asset_check_selection or nodes.check_keys <= run.asset_check_selection)
        for nodes in steps.values()
    )


def first_step_failed(
    raw_events: Iterable[Mapping[str, Any]], first: str, steps: Mapping[str, StepNodes], dbt_ok: bool
) -> bool:
    """Whether a shared build failed the step that ran it: a node of its own (or of no step)
    failed, or dbt failed with no node to blame (a compilation or connection error)."""
    owners = [owner_of(node_id(e), steps) for e in raw_events if failed(e)]
    if any(owner in (first, None) for owner in owners):
        return True
    return not dbt_ok and not owners


@dataclass(frozen=True)
class SharedResults:
    """The shared build's results for the run's later steps."""

    run_id: str
    error: str | None
    events: list[dict[str, Any]]

    def of_step(self, nodes: StepNodes) -> list[dict[str, Any]]:
        """The events of the nodes one step owns."""
        return [e for e in self.events if node_id(e) in nodes.unique_ids]


def save_shared(warehouse: Path, results: SharedResults) -> None:
    """Write the results beside the run's build copy (replaced whole; discarded and published with it)."""
    path = build_events_path(warehouse)
    partial = path.with_name(path.name + ".tmp")
    with partial.open("w") as out:
        out.write(json.dumps({"run_id": results.run_id, "error": results.error}) + "\n")
        for event in results.events:
            out.write(json.dumps(event) + "\n")
    os.replace(partial, path)


def load_shared(warehouse: Path, run_id: str) -> SharedResults | None:
    """The results this run's first dbt step left, or None (another run's, or none)."""
    path = build_events_path(warehouse)
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return None
    if not lines:
        return None
    header = json.loads(lines[0])
    if header.get("run_id") != run_id:
        return None
    return SharedResults(
        run_id=run_id, error=header.get("error"), events=[json.loads(line) for line in lines[1:]]
    )


def result_events(raw_events: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    """Only the events a step reports (dbt's log lines are not kept for the later steps)."""
    return (e for e in raw_events if is_result(e))
