"""Which tracked models get their own GET /api/models/{id} on a live day: the pure rule."""

from __future__ import annotations

import pytest

from atom_dagster.settings import load_settings
from atom_dagster.sources.model_info_policy import listed_model_ids, needs_model_info, select_model_info

DAY = "2026-11-29"
LISTED = frozenset({"qwen/qwen3-8b"})


def item(model_id: str, created: str | None) -> dict:
    return {"id": model_id, **({"createdAt": created} if created is not None else {})}


@pytest.mark.parametrize(
    ("obj", "policy", "asked"),
    [
        (item("Qwen/Qwen3-8B", "2025-04-28T00:00:00.000Z"), "listed", True),  # on the list (any case)
        (item("Qwen/Qwen3-8B-GGUF", "2025-04-28T00:00:00.000Z"), "listed", False),  # old, not listed
        (item("Qwen/Qwen4-1B", "2026-10-30T12:00:00.000Z"), "listed", True),  # 30 days old: a new release
        (item("Qwen/Qwen4-0.5B", "2026-10-29T23:59:59.000Z"), "listed", False),  # 31 days
        (item("Qwen/no-date", None), "listed", True),  # unknown age: asked once too often
        (item("Qwen/bad-date", "yesterday"), "listed", True),
        (item("Qwen/Qwen3-8B-GGUF", "2025-04-28T00:00:00.000Z"), "all", True),
        (item("Qwen/Qwen3-8B", "2025-04-28T00:00:00.000Z"), "off", False),
    ],
)
def test_the_rule(obj, policy, asked):
    assert needs_model_info(obj, policy, DAY, LISTED) is asked


def test_selection_keeps_order_and_drops_repeats_and_non_objects():
    items = [
        item("Qwen/Qwen3-8B", "2025-01-01T00:00:00Z"),
        "not an object",
        item("Qwen/old", "2024-01-01T00:00:00Z"),
        item("Qwen/Qwen3-8B", "2025-01-01T00:00:00Z"),
        {"id": ""},
        item("Qwen/new", "2026-11-28T00:00:00Z"),
    ]
    assert select_model_info(items, "listed", DAY, LISTED) == ["Qwen/Qwen3-8B", "Qwen/new"]
    assert select_model_info(items, "all", DAY, LISTED) == ["Qwen/Qwen3-8B", "Qwen/old", "Qwen/new"]


def test_an_unknown_policy_is_refused_by_name():
    with pytest.raises(ValueError, match="ATOM_MODEL_INFO must be one of listed, all, off"):
        needs_model_info(item("a/b", None), "some", DAY, LISTED)
    with pytest.raises(ValueError, match="ATOM_MODEL_INFO") as info:
        load_settings({"ATOM_MODEL_INFO": "most"})
    assert "one of listed, all, off" in str(info.value)


def test_the_listed_ids_are_atoms_vendored_lists():
    listed = listed_model_ids()
    assert len(listed) > 1_900 and "qwen/qwen2.5-7b-instruct" in listed  # primary + extra, lower-cased
    assert load_settings({}).model_info == "listed"
