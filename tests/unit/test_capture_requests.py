"""The live day's request count per ATOM_MODEL_INFO policy (benchmarks/capture_requests.py)."""

from __future__ import annotations

from benchmarks.capture_requests import day_requests, listed_in


def test_requests_are_pages_plus_selected_models_plus_the_new_models_listing():
    old = {"createdAt": "2024-01-01T00:00:00Z"}
    by_org = {
        "big": [{"id": f"big/m{i}", **old} for i in range(1_500)],  # two pages of 1,000
        "small": [{"id": "small/new", "createdAt": "2026-11-20T00:00:00Z"}, {"id": "small/old", **old}],
    }
    got = day_requests(by_org, ["big", "small", "absent"], "listed", "2026-11-29", new_models=2_345)
    # 2 + 1 + 1 (an organization without models still costs its first page); small/new is recent.
    assert (got["pages"], got["model_info"], got["new_pages"], got["total"]) == (4, 1, 3, 8)
    every = day_requests(by_org, ["big", "small"], "all", "2026-11-29", new_models=0)
    assert (every["model_info"], every["new_pages"], every["total"]) == (1_502, 1, 1_506)
    assert every["minutes"] == 1_506 / 1_000 * 5


def test_listed_models_are_counted_by_namespace():
    assert listed_in(["Qwen"]) > 100 and listed_in(["qwen"]) == listed_in(["Qwen"])
    assert listed_in([]) == 0
