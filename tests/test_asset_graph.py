"""Snapshot of the whole asset graph, so accidental changes show up in review.

Regenerate after an intended change with: UPDATE_SNAPSHOTS=1 pytest tests/test_asset_graph.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.json"


def describe_graph() -> dict:
    from atom_dagster.definitions import build_definitions
    from atom_dagster.settings import load_settings

    defs = build_definitions(load_settings())
    graph = defs.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "deps": sorted(p.to_user_string() for p in node.parent_keys),
            "partitioned": node.partitions_def is not None,
            "kinds": sorted(node.kinds),
            "has_description": bool(node.description),
            "checks": sorted(c.name for c in node.check_keys),
        }
    return {
        "assets": assets,
        "jobs": sorted(j.name for j in defs.resolve_all_job_defs() if not j.name.startswith("__")),
        "schedules": sorted(s.name for s in defs.schedules or []),
    }


def test_asset_graph_matches_snapshot(dbt_manifest):
    current = describe_graph()
    if os.environ.get("UPDATE_SNAPSHOTS") or not SNAPSHOT.exists():
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    assert current == json.loads(SNAPSHOT.read_text())


def test_every_asset_has_a_description_and_a_group(dbt_manifest):
    for name, node in describe_graph()["assets"].items():
        assert node["has_description"], f"{name} has no description"
        groups = {"raw", "staging", "intermediate", "marts", "metrics", "reference_data", "report"}
        assert node["group"] in groups, (name, node["group"])


def test_raw_check_blocks_the_dbt_models(dbt_manifest):
    import dagster as dg

    from atom_dagster.definitions import build_assets
    from atom_dagster.settings import load_settings

    # Every raw table of the day lands in one step (raw_day), each with its own blocking check.
    raw_day = next(a for a in build_assets(load_settings()) if a.op.name == "raw_day")
    specs = [
        s
        for s in raw_day.check_specs
        if s.name == "raw_partition_valid" and s.asset_key == dg.AssetKey(["raw", "hub_models"])
    ]
    assert len(specs) == 1 and specs[0].blocking
    assert describe_graph()["assets"]["stg_hub__models"]["deps"] == ["raw/hub_models"]


def test_only_the_incremental_model_and_its_dbt_tests_are_partitioned_among_the_dbt_assets(dbt_manifest):
    from atom_dagster.assets.dbt_models import DAILY_MODEL, DBT_STEPS
    from atom_dagster.definitions import build_assets
    from atom_dagster.settings import load_settings

    steps = {a.op.name: a for a in build_assets(load_settings()) if a.op.name in {s.name for s in DBT_STEPS}}
    assert list(steps) == [s.name for s in DBT_STEPS]
    partitioned = {
        key.to_user_string()
        for assets in steps.values()
        for key in assets.keys
        if assets.specs_by_key[key].partitions_def is not None
    }
    assert partitioned == {DAILY_MODEL}
    checks = [
        (spec.asset_key.to_user_string(), spec.partitions_def)
        for a in steps.values()
        for spec in a.check_specs
    ]
    daily_checks = [p for asset, p in checks if asset == DAILY_MODEL]
    assert len(daily_checks) >= 5 and all(p is not None for p in daily_checks)  # one result per day
    assert all(p is None for asset, p in checks if asset != DAILY_MODEL)
