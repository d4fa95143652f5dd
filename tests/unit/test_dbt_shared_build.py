"""The rules of a run's one dbt build: which step owns a result, which failures fail the first step,
what the later steps read back, and when a run builds every step at once."""

from pathlib import Path

import dagster as dg
import duckdb

from atom_dagster.assets.dbt_shared_build import (
    SharedResults,
    StepNodes,
    failed,
    first_step_failed,
    is_result,
    load_shared,
    owner_of,
    result_events,
    save_shared,
    selects_every_step,
)
from atom_dagster.warehouse import build_events_path, discard_build, publish_build, start_build


def event(unique_id: str | None, name: str = "LogModelResult", status: str = "success") -> dict:
    node = {"unique_id": unique_id, "node_status": status} if unique_id else {}
    return {"info": {"name": name, "level": "info"}, "data": {"node_info": node, "status": status}}


def nodes(*unique_ids: str, keys=(), checks=()) -> StepNodes:
    return StepNodes(keys=frozenset(keys), check_keys=frozenset(checks), unique_ids=frozenset(unique_ids))


STEPS = {
    "first": nodes("model.atom.stg", "test.atom.not_null_stg"),
    "second": nodes("model.atom.fct", "test.atom.unique_fct"),
    "third": nodes("model.atom.mart"),
}


def test_results_and_their_failures():
    assert is_result(event("model.atom.stg"))
    assert not is_result(event("model.atom.stg", name="NodeStart"))
    assert not is_result(event(None))
    assert not is_result(event("unit_test.atom.stg.t", name="LogTestResult"))
    assert failed(event("model.atom.stg", status="error"))
    assert failed(event("test.atom.unique_fct", "LogTestResult", "fail"))
    assert not failed(event("test.atom.unique_fct", "LogTestResult", "warn"))
    assert not failed(event("test.atom.unique_fct", "LogTestResult", "pass"))
    assert not failed(event("model.atom.stg", name="NodeStart", status="error"))
    raw = [event("model.atom.stg"), event("model.atom.stg", name="NodeStart"), event(None)]
    assert list(result_events(raw)) == raw[:1]


def test_each_node_has_one_owner_or_none():
    assert owner_of("model.atom.fct", STEPS) == "second"
    assert owner_of("test.atom.not_null_stg", STEPS) == "first"
    assert owner_of("test.atom.relationships_two_parents", STEPS) is None
    assert owner_of(None, STEPS) is None


def test_the_first_step_fails_for_its_own_nodes_unowned_ones_or_an_error_without_a_node():
    ok = [event("model.atom.stg"), event("model.atom.fct"), event("model.atom.mart")]
    assert not first_step_failed(ok, "first", STEPS, dbt_ok=True)
    later_fails = [event("model.atom.stg"), event("test.atom.unique_fct", "LogTestResult", "fail")]
    assert not first_step_failed(later_fails, "first", STEPS, dbt_ok=False)
    own_fails = [event("test.atom.not_null_stg", "LogTestResult", "fail")]
    assert first_step_failed(own_fails, "first", STEPS, dbt_ok=False)
    unowned = [event("test.atom.relationships_two_parents", "LogTestResult", "error")]
    assert first_step_failed(unowned, "first", STEPS, dbt_ok=False)
    # A compilation or connection error: dbt failed and no node result says why.
    assert first_step_failed([event("model.atom.stg")], "first", STEPS, dbt_ok=False)


def test_a_later_step_reads_back_its_own_results_of_its_own_run(tmp_path: Path):
    warehouse = tmp_path / "atom.duckdb"
    duckdb.connect(str(warehouse)).close()
    start_build(warehouse, owner="run-1")
    stored = [
        event("model.atom.fct"),
        event("test.atom.unique_fct", "LogTestResult", "fail"),
        event("model.atom.mart"),
    ]
    save_shared(warehouse, SharedResults("run-1", "dbt failed: unique_fct", stored))
    assert load_shared(warehouse, "run-2") is None
    shared = load_shared(warehouse, "run-1")
    assert shared is not None and shared.error == "dbt failed: unique_fct"
    assert shared.of_step(STEPS["second"]) == stored[:2]
    assert shared.of_step(STEPS["third"]) == stored[2:]
    assert shared.of_step(STEPS["first"]) == []
    # The results go with the build copy: published or discarded, they are gone.
    publish_build(warehouse)
    assert not build_events_path(warehouse).exists() and load_shared(warehouse, "run-1") is None
    start_build(warehouse, owner="run-3")
    save_shared(warehouse, SharedResults("run-3", None, []))
    discard_build(warehouse)
    assert not build_events_path(warehouse).exists()


def test_only_a_run_of_every_dbt_asset_and_check_builds_them_at_once():
    a, b = dg.AssetKey("a"), dg.AssetKey("b")
    check = dg.AssetCheckKey(a, "not_null")
    steps = {"one": nodes(keys=[a], checks=[check]), "two": nodes(keys=[b])}
    run = dg.DagsterRun(job_name="job")
    assert selects_every_step(run, steps)  # the job's own selection
    assert selects_every_step(dg.DagsterRun(job_name="job", asset_selection=frozenset({a, b})), steps)
    assert not selects_every_step(dg.DagsterRun(job_name="job", asset_selection=frozenset({a})), steps)
    partial_checks = dg.DagsterRun(
        job_name="job",
        asset_selection=frozenset({a, b}),
        asset_check_selection=frozenset({dg.AssetCheckKey(b, "x")}),
    )
    assert not selects_every_step(partial_checks, steps)
