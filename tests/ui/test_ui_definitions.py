"""What the UI is built from, without a browser: descriptions, owners and kinds on every asset and
check, and definitions that load under `dagster dev` without re-parsing dbt when the manifest is current.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from dagster_dbt import DbtProject
from dagster_dbt.dbt_project import DagsterDbtProjectPreparer

from atom_dagster.assets.dbt_models import describe_dbt_test, manifest_is_current, prepare_if_stale


@pytest.fixture
def dbt_dir(tmp_path) -> Path:
    """A minimal dbt project with a manifest one minute newer than every source file."""
    (tmp_path / "dbt_project.yml").write_text("name: tiny\nversion: '1.0'\nconfig-version: 2\n")
    (tmp_path / "models" / "marts").mkdir(parents=True)
    (tmp_path / "models" / "marts" / "m.sql").write_text("select 1 as x\n")
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "manifest.json").write_text("{}")
    old = (tmp_path / "target" / "manifest.json").stat().st_mtime - 60
    for path in [tmp_path / "dbt_project.yml", *(tmp_path / "models").rglob("*"), tmp_path / "models"]:
        os.utime(path, (old, old))
    return tmp_path


def test_manifest_is_current_until_a_dbt_source_changes(dbt_dir):
    project = DbtProject(dbt_dir)
    assert manifest_is_current(project)
    # What dbt itself writes next to the sources does not make the manifest stale.
    for output in ("target/run_results.json", "logs/dbt.log", ".user.yml"):
        (dbt_dir / output).parent.mkdir(exist_ok=True)
        (dbt_dir / output).write_text("x")
    assert manifest_is_current(project)
    model = dbt_dir / "models" / "marts" / "m.sql"
    os.utime(model, (model.stat().st_mtime + 3600, model.stat().st_mtime + 3600))
    assert not manifest_is_current(project)


def test_a_new_or_deleted_model_makes_the_manifest_stale(dbt_dir):
    project = DbtProject(dbt_dir)
    (dbt_dir / "models" / "marts" / "m.sql").unlink()  # the folder's mtime moves
    later = (dbt_dir / "target" / "manifest.json").stat().st_mtime + 5
    os.utime(dbt_dir / "models" / "marts", (later, later))
    assert not manifest_is_current(project)


def test_no_manifest_is_stale(dbt_dir):
    (dbt_dir / "target" / "manifest.json").unlink()
    assert not manifest_is_current(DbtProject(dbt_dir))


def test_dbt_is_parsed_under_dagster_dev_only_when_the_manifest_is_stale(dbt_dir, monkeypatch):
    calls = []

    def fake_prepare(self, project):
        calls.append(project.project_dir)
        project.manifest_path.write_text("{}")

    monkeypatch.setattr(DagsterDbtProjectPreparer, "prepare", fake_prepare)
    project = DbtProject(dbt_dir)
    monkeypatch.delenv("DAGSTER_IS_DEV_CLI", raising=False)
    assert prepare_if_stale(project) is False  # not under dagster dev: `atom prepare` builds it
    monkeypatch.setenv("DAGSTER_IS_DEV_CLI", "1")
    assert prepare_if_stale(project) is False and calls == []  # current: no `dbt parse`
    model = dbt_dir / "models" / "marts" / "m.sql"
    os.utime(model, (model.stat().st_mtime + 3600, model.stat().st_mtime + 3600))
    assert prepare_if_stale(project) is True and calls == [dbt_dir]


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ({"name": "not_null", "kwargs": {"column_name": "model_uid"}}, "`model_uid` is never null"),
        ({"name": "unique", "kwargs": {"column_name": "namespace"}}, "`namespace` is unique"),
        (
            {"name": "accepted_values", "kwargs": {"column_name": "region", "values": ["us", "eu"]}},
            "`region` is one of: us, eu",
        ),
        (
            {"name": "relationships", "kwargs": {"column_name": "uid", "to": "ref('dim')", "field": "uid"}},
            "every `uid` exists in ref('dim').uid",
        ),
        (
            {"name": "non_decreasing", "kwargs": {"column_name": "c", "order_by": "d", "partition_by": "m"}},
            "`c` never decreases over d within each m",
        ),
        (
            {"name": "unique_combination_of_columns", "kwargs": {"combination_of_columns": ["a", "b"]}},
            "one row per (a, b)",
        ),
        ({"name": "shares_sum_to_one", "kwargs": {"column_name": "share"}}, "shares_sum_to_one on `share`"),
    ],
)
def test_dbt_tests_get_a_readable_check_description(metadata, expected):
    described = describe_dbt_test({"test_metadata": metadata, "config": {"severity": "ERROR"}})
    assert expected in described and "blocks downstream assets" in described


def test_a_dbt_test_description_of_its_own_wins():
    own = {"description": "Shares add up to 1.", "test_metadata": {"name": "x"}}
    assert describe_dbt_test(own) == "Shares add up to 1."
    warning = {"test_metadata": {"name": "x"}, "config": {"severity": "warn"}}
    assert "warns on failure" in describe_dbt_test(warning)


def test_every_asset_and_check_has_a_description_owner_and_kind(dbt_manifest):
    from atom_dagster.definitions import build_definitions
    from atom_dagster.settings import load_settings

    defs = build_definitions(load_settings())

    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        name = key.to_user_string()
        assert node.description, f"{name} has no description"
        assert node.owners, f"{name} has no owner"
        assert node.kinds, f"{name} has no kind"
        assert node.group_name and node.group_name != "default", f"{name} is in no named group"
    for check in graph.asset_check_keys:
        assert graph.get_check_spec(check).description, f"check {check.to_user_string()} has no description"


def test_a_dbt_test_limited_by_where_says_which_rows_it_reads():
    test = {
        "test_metadata": {"name": "not_null", "kwargs": {"column_name": "uid"}},
        "config": {"where": "d >= '2026-10-01'"},
    }
    assert describe_dbt_test(test) == (
        "dbt test `not_null`: `uid` is never null, on the rows where d >= '2026-10-01' "
        "(error: blocks downstream assets on failure)."
    )
