"""One warehouse build per run across its steps: the first step copies, the last one publishes,
any failure discards, and a copy another live run is building into is never taken over."""

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from atom_dagster.assets.run_build import build_in_run
from atom_dagster.warehouse import build_owner, build_path

STEPS = frozenset({"first", "second", "third"})
DAYS = dg.DailyPartitionsDefinition("2026-01-01")


class Warehouse(dg.ConfigurableResource):
    path: str
    fail_in: str = ""


seen: dict[str, set[str]] = {}  # step -> tables readers of the warehouse saw while it ran


def _tables(path: Path) -> set[str]:
    if not path.exists():
        return set()
    with duckdb.connect(str(path), read_only=True) as con:
        return {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}


def _step(context: dg.AssetExecutionContext, warehouse: Warehouse) -> None:
    name = context.op_def.name
    with build_in_run(context, Path(warehouse.path), STEPS) as build:
        seen[name] = _tables(Path(warehouse.path))
        with duckdb.connect(str(build.path)) as con:
            con.execute(f"create or replace table {name} as select '{context.run_id}' as run_id")
        if warehouse.fail_in == name:
            raise dg.Failure(description=f"{name} failed")


@dg.asset(name="first")
def first(context: dg.AssetExecutionContext, warehouse: Warehouse) -> None:
    _step(context, warehouse)


@dg.asset(name="second", deps=[first], partitions_def=DAYS)
def second(context: dg.AssetExecutionContext, warehouse: Warehouse) -> None:
    _step(context, warehouse)


@dg.asset(name="third", deps=[second])
def third(context: dg.AssetExecutionContext, warehouse: Warehouse) -> None:
    _step(context, warehouse)


def _run(tmp_path: Path, instance: dg.DagsterInstance, fail_in: str = "", selection=None):
    seen.clear()
    return dg.materialize(
        [first, second, third],
        instance=instance,
        selection=selection,
        partition_key="2026-01-02",
        resources={"warehouse": Warehouse(path=str(tmp_path / "w.duckdb"), fail_in=fail_in)},
        raise_on_error=False,
    )


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def test_the_last_step_publishes_what_every_step_built(tmp_path, instance):
    warehouse = tmp_path / "w.duckdb"
    result = _run(tmp_path, instance)
    assert result.success
    # Readers saw nothing of the run until its last step published it whole.
    assert seen == {"first": set(), "second": set(), "third": set()}
    assert _tables(warehouse) == {"first", "second", "third"}
    assert not build_path(warehouse).exists() and build_owner(warehouse) is None


def test_a_failing_last_step_discards_what_the_earlier_steps_built(tmp_path, instance):
    warehouse = tmp_path / "w.duckdb"
    assert _run(tmp_path, instance).success
    with duckdb.connect(str(warehouse), read_only=True) as con:
        before = con.execute("select run_id from first").fetchall()
    result = _run(tmp_path, instance, fail_in="third")
    assert not result.success
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select run_id from first").fetchall() == before  # not the failed run's
    assert not build_path(warehouse).exists()


def test_a_step_run_alone_publishes_itself(tmp_path, instance):
    warehouse = tmp_path / "w.duckdb"
    result = _run(tmp_path, instance, selection=["second"])
    assert result.success and _tables(warehouse) == {"second"}
    assert not build_path(warehouse).exists()


def test_another_live_runs_copy_is_left_alone_and_a_dead_runs_copy_replaced(tmp_path, instance):
    warehouse = tmp_path / "w.duckdb"
    assert _run(tmp_path, instance).success
    other = instance.add_run(dg.DagsterRun(job_name="other", status=dg.DagsterRunStatus.STARTED))
    built = build_path(warehouse)
    built.write_bytes(warehouse.read_bytes())
    built.with_name(warehouse.name + ".build.run").write_text(other.run_id)

    result = _run(tmp_path, instance)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert f"Run {other.run_id} is building the warehouse" in failure.step_failure_data.error.message
    assert build_owner(warehouse) == other.run_id  # untouched

    instance.report_run_failed(other)  # it ended (e.g. killed, then marked failed)
    assert _run(tmp_path, instance).success
    assert build_owner(warehouse) is None and not built.exists()
