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
