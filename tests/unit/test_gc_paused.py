"""The listing parse pauses Python's cyclic GC and always gives it back as it was."""

from __future__ import annotations

import gc

import pytest

from atom_dagster.landing.listing import gc_paused


def test_the_collector_is_off_inside_and_restored_after_even_on_error():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), gc_paused():
        raise ValueError("a bad page")
    assert gc.isenabled()


def test_a_collector_already_off_stays_off():
    gc.disable()
    try:
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
