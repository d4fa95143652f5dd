"""The demo generator's fast paths give what the plain loops they replace gave, draw for draw.

The generator's output is byte-identical for the same arguments, so the batched normal draws and
the precomputed weighted picks must consume the random stream exactly as ``random.gauss`` and a
linear scan over running sums did; and a scale beyond what the naming recipes can name still gets
the derivatives it asks for.
"""

from __future__ import annotations

import random
from datetime import date

import pytest

from atom_dagster.demo import catalog, series
from atom_dagster.demo.generate import DEMO_SEED


@pytest.mark.parametrize("n", [0, 1, 2, 3, 8, 101])
@pytest.mark.parametrize("pending", [False, True])
def test_gauss_run_draws_what_gauss_draws_and_leaves_the_same_state(n: int, pending: bool) -> None:
    for seed in range(20):
        plain, batched = random.Random(f"s{seed}"), random.Random(f"s{seed}")
        if pending:  # an odd number of earlier draws leaves the second normal of a pair waiting
            plain.gauss(0, 1)
            batched.gauss(0, 1)
        expected = [plain.gauss(0, series.NOISE_SIGMA) for _ in range(n)]
        assert series._gauss_run(batched, n, series.NOISE_SIGMA) == expected
        # The next draws agree too: the leftover normal and the stream position are the same.
        assert batched.gauss(0, 0.6) == plain.gauss(0, 0.6)
        assert batched.random() == plain.random()


def _linear_pick(rng: random.Random, items: list, weights: list[float]):
    """The generator's former weighted pick: a running sum scanned from the start."""
    pick = rng.random() * sum(weights)
    acc = 0.0
    for item, weight in zip(items, weights, strict=True):
        acc += weight
        if pick < acc:
            return item
    return items[-1]


def test_weighted_pick_matches_a_linear_scan_of_running_sums() -> None:
    gen = random.Random(7)
    for size in (1, 2, 5, 40, 300):
        weights = [gen.choice([0.0, 0.5, gen.random() * 100, gen.lognormvariate(0, 2)]) for _ in range(size)]
        if not any(weights):
            weights[-1] = 1.0
        items = list(range(size))
        picker = catalog._Weighted(items, lambda i, w=weights: w[i])
        a, b = random.Random(size), random.Random(size)
        assert [picker.pick(a) for _ in range(2000)] == [_linear_pick(b, items, weights) for _ in range(2000)]


def test_numbered_names_are_free_and_continue_where_they_stopped() -> None:
    taken = {"org/m", "org/m-v2", "org/m-v4"}
    suffixes: dict[str, int] = {}
    first = catalog._numbered("org/m", taken, suffixes)
    taken.add(first)
    second = catalog._numbered("org/m", taken, suffixes)
    assert (first, second) == ("org/m-v3", "org/m-v5")


def test_a_scale_beyond_the_recipes_names_still_gets_its_derivatives(monkeypatch: pytest.MonkeyPatch) -> None:
    # Saturation after one taken name stands in for the ~18K names the recipes run out at.
    monkeypatch.setattr(catalog, "SATURATED_AFTER", 1)
    start, scale = date(2026, 3, 1), 3.0
    first_party = catalog._first_party(start, scale, DEMO_SEED)
    derivatives = catalog._derivatives(first_party, start, 1, scale, DEMO_SEED)
    ids = [m.id for m in first_party + derivatives]
    assert len(ids) == len(set(ids))
    essential = len(catalog.ESSENTIAL_DERIVATIVES)
    assert len(derivatives) == essential + round(catalog.DERIVATIVES_PER_SCALE * scale)
    assert any(m.id.rsplit("-v", 1)[-1].isdigit() for m in derivatives)
