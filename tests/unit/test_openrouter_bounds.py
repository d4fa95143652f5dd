"""OpenRouter parsing under the same bounds as the Hub: token counts, digits, dates (issue 11, item 6)."""

from __future__ import annotations

from collections import Counter

import pytest

from atom_dagster.landing.parse import RecordError
from atom_dagster.landing.tables import openrouter as landing

DAY = "2026-10-02"


@pytest.mark.parametrize("value", [str(10**15 + 1), 10**15 + 1, str(2**63), -(10**16), "9" * 5000])
def test_total_tokens_beyond_the_bound_are_rejected(value):
    with pytest.raises(RecordError) as info:
        landing.parse_total_tokens(value, Counter())
    message = str(info.value)
    assert "beyond the bound of 10^15 tokens a day" in message or "more digits than any count" in message
    assert len(message) < 300


def test_total_tokens_at_the_bound_are_kept():
    assert landing.parse_total_tokens(str(10**15), Counter()) == 10**15


@pytest.mark.parametrize("value", ["１２３", "١٢٣"])
def test_total_tokens_in_non_ascii_digits_are_rejected(value):
    with pytest.raises(RecordError, match="digits other than ASCII 0-9"):
        landing.parse_total_tokens(value, Counter())


def test_a_bad_token_count_rejects_its_row_with_position_and_rule():
    body = {"data": [{"date": DAY, "model_permaslug": "a/m", "total_tokens": str(2**63)}]}
    parsed = landing.parse_rankings_body(body, "openrouter/rankings-daily.json", DAY)
    assert parsed.rows == []
    [rejected] = parsed.rejected
    assert (rejected["file"], rejected["position"]) == ("openrouter/rankings-daily.json", 1)
    assert "beyond the bound of 10^15" in rejected["reason"]


@pytest.mark.parametrize(
    ("created", "rule"),
    [
        (float("nan"), "`created` nan is not a time"),
        (1e300, "`created` 1e+300 is out of range"),
        (0, "`created` 0 is outside 2000-01-01 .. "),
        (253402214400, "is outside 2000-01-01 .. "),  # 9999-12-31
        ("1900-01-01T00:00:00Z", "`created` timestamp '1900-01-01T00:00:00Z' is outside 2000-01-01"),
    ],
)
def test_created_outside_2000_to_tomorrow_is_rejected(created, rule):
    with pytest.raises(RecordError) as info:
        landing.parse_openrouter_model({"id": "a/m", "created": created})
    assert rule in str(info.value)


@pytest.mark.parametrize("value", [2**63, "１２８０００", 1e20])
def test_context_length_follows_the_count_rules(value):
    with pytest.raises(RecordError, match="context_length"):
        landing.parse_openrouter_model({"id": "a/m", "context_length": value})
