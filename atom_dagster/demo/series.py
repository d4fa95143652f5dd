"""Compute the demo models' daily series: downloadsAllTime, 30-day downloads, likes, children."""

from __future__ import annotations

import itertools
import math
import random
from datetime import date, timedelta

from atom_dagster.demo.catalog import REVISED_MODEL, REVISION_DAY, REVISION_FRACTION, Model, _model_rng

# --- download dynamics ---------------------------------------------------------------------

# Growth per year and level per bucket, tuned so tracked cumulative downloads roughly mirror the
# report: China passes the US in summer 2025; ~1.0B vs ~0.7B in March 2026; Qwen ~0.9B.
TREND_PER_YEAR = {"china": 0.85, "us": 0.12, "eu": 0.10, "other": 0.10, "unknown": -0.15}
TREND_LEVEL = {"china": 1.0, "us": 3.0, "eu": 2.5, "other": 2.0, "unknown": 1.0}
TREND_REFERENCE = date(2025, 1, 1)
AGE_TAU_DAYS = 45.0
AGE_DECAY = 0.65
NOISE_SIGMA = 0.12


# --- daily series ----------------------------------------------------------------------------


def _gauss_run(rng: random.Random, n: int, sigma: float) -> list[float]:
    """``[rng.gauss(0, sigma) for _ in range(n)]``, same values and same state of ``rng`` after it.

    ``random.Random.gauss`` draws its normals in pairs (Box-Muller, two ``random()`` each) and keeps
    the second for the next call; this does the same for a whole run at once, several times faster.
    """
    normals: list[float] = []  # the standard normals z; gauss returns 0 + z * sigma
    pending = rng.gauss_next
    if n and pending is not None:
        normals.append(pending)
        pending = None
    pairs = (n - len(normals) + 1) // 2
    if pairs:
        rand = rng.random
        draws = [rand() for _ in range(2 * pairs)]
        cos, sin, log, sqrt, two_pi = math.cos, math.sin, math.log, math.sqrt, math.tau
        for u, v in zip(draws[0::2], draws[1::2], strict=True):
            x2pi = u * two_pi
            g2rad = sqrt(-2.0 * log(1.0 - v))
            normals.append(cos(x2pi) * g2rad)
            normals.append(sin(x2pi) * g2rad)
        if len(normals) > n:
            pending = normals.pop()
    rng.gauss_next = pending
    return [0 + z * sigma for z in normals]


def _compute_series(models: list[Model], start: date, days: int, seed: int) -> None:
    end = start + timedelta(days=days - 1)
    earliest = min(m.created.date() for m in models)
    span = (end - earliest).days + 1
    age_table = [(1 + k / AGE_TAU_DAYS) ** -AGE_DECAY * (1.6 if k < 3 else 1.0) for k in range(span)]
    weekly = [0.85 if (earliest + timedelta(days=k)).weekday() >= 5 else 1.0 for k in range(span)]
    trend_tables = {
        bucket: [
            TREND_LEVEL[bucket] * math.exp(g * (earliest - TREND_REFERENCE).days / 365.0 + g * k / 365.0)
            for k in range(span)
        ]
        for bucket, g in sorted(TREND_PER_YEAR.items())
    }
    window_offset = (start - earliest).days
    for model in models:
        rng = _model_rng(seed, "series:" + model.id)
        first = model.created.date()
        first_k = (first - earliest).days
        n = (end - first).days + 1
        if n <= 0:
            continue
        trend = trend_tables[model.trend]
        day_fraction = 1 - (model.created.hour * 3600 + model.created.minute * 60) / 86400
        # Daily downloads: peak * age decay * trend * weekday * lognormal noise (a model three
        # years old is ~1,100 draws; list comprehensions, not a loop, as this is most of the time).
        peak = model.peak
        exp = math.exp
        noise = _gauss_run(rng, n, NOISE_SIGMA)
        values = [
            peak * a * t * w * exp(z)
            for a, t, w, z in zip(age_table, trend[first_k:], weekly[first_k:], noise, strict=False)
        ]
        values[0] *= day_fraction
        prefix = list(itertools.accumulate(map(int, values), initial=0))
        cum: list[int] = []
        d30: list[int] = []
        for j in range(days):
            idx = window_offset + j - first_k  # index of window day j in incs
            if idx < 0:
                cum.append(0)
                d30.append(0)
                continue
            cum.append(prefix[idx + 1])
            d30.append(prefix[idx + 1] - prefix[max(0, idx + 1 - 30)])
        like_rate = 0.25 * math.exp(rng.gauss(0, 0.6))
        model.likes = [int(like_rate * math.sqrt(c)) for c in cum]
        model.cum = cum
        model.d30 = d30
        if model.tracked:
            base = model.peak * (
                0.1
                if model.kind
                in (
                    "embed",
                    "rerank",
                    "guard",
                    "guardcls",
                    "reward",
                    "reward_lm",
                    "gguf",
                    "awq",
                    "gptq",
                    "onnx",
                )
                else 1.0
            )
            model.children_base = {
                "finetune": int(base / 40 * rng.uniform(0.5, 1.5)),
                "adapter": int(base / 60 * rng.uniform(0.5, 1.5)),
                "quantized": int(base / 30 * rng.uniform(0.5, 1.5)),
                "merge": int(base / 150 * rng.uniform(0.3, 1.5)),
            }
        if model.id == REVISED_MODEL and days >= REVISION_DAY:
            j = REVISION_DAY - 1
            step = cum[j] - cum[j - 1] if j > 0 else cum[j]
            drop = max(int(cum[j] * REVISION_FRACTION), 2 * step + 1)
            model.cum = cum[:j] + [c - drop for c in cum[j:]]
