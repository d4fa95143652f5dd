"""The report's charts: one function per chart, DataFrame in, PNG out, one-line reading back.

Each function is pure apart from writing its PNG; it returns None when there is nothing to plot. A
series with a single day or month is not drawn: its chart carries that period's values instead.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers and in CI
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.axis import Axis  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from atom_dagster.report.format import human, iso_day, month_name, percent  # noqa: E402

REGION_COLORS = {
    "china": "#d62728",
    "us": "#1f77b4",
    "eu": "#2ca02c",
    "other": "#9467bd",
    "unknown": "#7f7f7f",
}
# One colour per category in every chart: regions, the other inference categories, the largest
# families and the concentration entities. Any other category gets a colour from its name's hash.
CATEGORY_COLORS = {
    **REGION_COLORS,
    "closed": "#ff7f0e",
    "open_unattributed": "#c5b0d5",
    "other_bucket": "#dbdb8d",
    "not_in_catalogue": "#c7c7c7",
    "Qwen": "#1b9e77",
    "Llama": "#7570b3",
    "Gemma": "#d95f02",
    "DeepSeek": "#e7298a",
    "Mistral": "#66a61e",
    "Phi": "#e6ab02",
    "GPT-OSS": "#a6761d",
    "SmolLM": "#666666",
    "GLM": "#6a3d9a",
    "Kimi": "#b15928",
    "models": "#17becf",
    "organizations": "#8c564b",
}
HASHED_PALETTE = (
    "#393b79", "#6b6ecf", "#637939", "#b5cf6b", "#8c6d31", "#e7ba52", "#843c39", "#d6616b",
    "#7b4173", "#ce6dbd", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c49c94", "#f7b6d2",
    "#9edae5", "#bcbd22", "#e377c2", "#5254a3",
)  # fmt: skip
DPI = 110
share = partial(percent, digits=1)  # a single period's shares, where 0.3% must not read 0%


def color_for(category: object) -> str:
    """The colour of a region, inference category, organization or family, the same in every chart."""
    name = str(category)
    if name in CATEGORY_COLORS:
        return CATEGORY_COLORS[name]
    return HASHED_PALETTE[zlib.crc32(name.encode()) % len(HASHED_PALETTE)]


@dataclass(frozen=True)
class Chart:
    """A chart written to disk (``file``), with what a reader should take from it; for a series with
    a single period, no file but that period's ``values`` (category, formatted value)."""

    file: str
    title: str
    reading: str
    values: tuple[tuple[str, str], ...] = ()
    period: str = ""


def _save(fig, out_dir: Path, name: str) -> str:
    fig.tight_layout()
    fig.savefig(out_dir / name, dpi=DPI, metadata={"Software": None})
    plt.close(fig)
    return name


def _ticks(axis: Axis, fmt: Callable[[float], str]) -> None:
    axis.set_major_formatter(FuncFormatter(lambda v, _p: fmt(v)))


def _date_axis(ax, dates: Iterable, fmt: str = "%Y-%m-%d") -> None:
    """x runs from the plotted data's first to its last date (no margins, no default range)."""
    stamps = pd.to_datetime(pd.Series(list(dates)))
    ax.set_xlim(stamps.min(), stamps.max())
    ax.xaxis.set_major_formatter(mdates.DateFormatter(fmt))


def _single(dates: Iterable) -> bool:
    """True when a series has one period only (one day or one month): nothing to draw."""
    return pd.to_datetime(pd.Series(list(dates))).nunique() == 1


def _values(
    title: str, reading: str, when: pd.Timestamp, monthly: bool, last: pd.Series, fmt: Callable[[float], str]
) -> Chart:
    """A single period's values, largest first, in place of a chart."""
    period = f"{month_name(when)} (the only month" if monthly else f"{iso_day(when)} (the only day"
    period += " in the data)"
    ordered = last.sort_values(ascending=False)
    return Chart("", title, reading, tuple((str(k), fmt(v)) for k, v in ordered.items()), period)


ESTIMATED_NOTE = (
    "Shaded: estimated from the Hub's 30-day rolling counts (history before `downloadsAllTime`"
    " existed, 2025-02-26; method and measured error in docs/history.md)."
)


def estimated_periods(df: pd.DataFrame, period: str) -> pd.Index:
    """The periods (days or months) whose downloads rest partly on the 30-day estimate."""
    if "n_models_estimated" not in df or df.empty:
        return pd.Index([])
    flagged = df.groupby(period)["n_models_estimated"].sum()
    return pd.to_datetime(pd.Index(flagged.index[flagged > 0]))


def _shade_estimated(ax, days: pd.Index) -> None:
    """Shade the estimated stretch of a daily chart (from its first to its last estimated day)."""
    if len(days):
        ax.axvspan(days.min(), days.max(), color="0.85", zorder=0, label="estimated (30-day counts)")


def _largest_two(last: pd.Series) -> str:
    """'china took 60% of downloads, us 30%' from a period's shares."""
    top = last.sort_values(ascending=False)
    text = f"{top.index[0]} took {percent(top.iloc[0])} of downloads"
    return text + (f", {top.index[1]} {percent(top.iloc[1])}" if len(top) > 1 else "")


def headline_overtake(overtake: pd.DataFrame) -> pd.Series | None:
    """The overtake row the report's headline states (``is_headline``: all models, tracked downloads)."""
    if overtake.empty or "is_headline" not in overtake:
        return None
    rows = overtake[overtake["is_headline"].fillna(False).astype(bool)]
    return rows.iloc[0] if not rows.empty else None


def cumulative_by_region(df: pd.DataFrame, overtake: pd.DataFrame, out_dir: Path) -> Chart | None:
    """Tracked downloads per region (the headline series), with the headline overtake date marked."""
    row = headline_overtake(overtake)
    if "tracked_cumulative_downloads" in df:
        df = df.dropna(subset=["tracked_cumulative_downloads"])  # days before the tracking start
    if df.empty:
        return None
    start = f" since {iso_day(row['tracking_start'])}" if row is not None else ""
    title = f"Tracked downloads by region{start}"
    pivot = df.pivot_table(
        index="snapshot_date", columns="region", values="tracked_cumulative_downloads", aggfunc="sum"
    )
    pivot.index = pd.to_datetime(pivot.index)
    reading = (
        f"Downloads of mainline models accumulated{start}, by the publishing organization's region "
        "(the headline series; all-time counters are in the key numbers, the other indicators in "
        "the table below)."
    )
    if row is not None and pd.notna(row["overtake_date"]):
        since = iso_day(row["overtake_date"])
        if row.get("is_ahead_since_first_date"):
            since += " (the first captured day: the crossing itself predates the data)"
        reading = (
            f"{row['leader']} has stayed ahead of {row['follower']} in tracked downloads since "
            f"{since}; gap on the last day {human(row['gap_at_last_date'])}. {reading}"
        )
    elif row is not None:
        behind = f"{row['leader']} has not durably overtaken {row['follower']} in tracked downloads."
        reading = f"{behind} {reading}"
    estimated = estimated_periods(df, "snapshot_date")
    if len(estimated):
        reading = f"{reading} {ESTIMATED_NOTE}"
    if _single(pivot.index):
        return _values(title, reading, pivot.index[-1], False, pivot.iloc[-1], human)
    fig, ax = plt.subplots(figsize=(9, 4.5))
    _shade_estimated(ax, estimated)
    for region in pivot.iloc[-1].sort_values(ascending=False).index:  # legend in the lines' order
        ax.plot(pivot.index, pivot[region], label=region, color=color_for(region), linewidth=2)
    if row is not None and pd.notna(row["overtake_date"]):
        when = pd.Timestamp(row["overtake_date"])
        ax.axvline(when, color="black", linestyle="--", linewidth=1)
        label = f"{row['leader']} ahead from {iso_day(when)}"
        ax.annotate(label, (when, ax.get_ylim()[1] * 0.95), fontsize=8)
    _ticks(ax.yaxis, human)
    _date_axis(ax, pivot.index)
    ax.set_title(title)
    ax.legend(loc="center right", fontsize=8)
    fig.autofmt_xdate()
    return Chart(_save(fig, out_dir, "cumulative_by_region.png"), title, reading)


def monthly_region_shares(df: pd.DataFrame, out_dir: Path) -> Chart | None:
    """Each region's share of the month's downloads, stacked."""
    if df.empty:
        return None
    title = "Monthly download share by region"
    pivot = df.pivot_table(index="month", columns="region", values="downloads_share", aggfunc="sum").fillna(0)
    reading = f"In {pd.Timestamp(pivot.index[-1]):%Y-%m}, {_largest_two(pivot.iloc[-1])}."
    estimated = set(estimated_periods(df, "month"))
    if estimated:
        reading += (
            " Hatched months: estimated from the Hub's 30-day rolling counts (before `downloadsAllTime`)."
        )
    if _single(pivot.index):
        return _values(title, reading, pivot.index[-1], True, pivot.iloc[-1], share)
    fig, ax = plt.subplots(figsize=(9, 4))
    bottom = pd.Series(0.0, index=pivot.index)
    labels = [pd.Timestamp(m).strftime("%Y-%m") for m in pivot.index]
    hatches = ["//" if pd.Timestamp(m) in estimated else "" for m in pivot.index]
    for region in pivot.columns:
        bars = ax.bar(labels, pivot[region], bottom=bottom, label=region, color=color_for(region))
        for bar, hatch in zip(bars, hatches, strict=True):
            bar.set_hatch(hatch)
        bottom += pivot[region]
    ax.set_ylim(0, 1)
    _ticks(ax.yaxis, percent)
    ax.set_title("Share of each month's downloads by region")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1, 1))
    return Chart(_save(fig, out_dir, "monthly_region_shares.png"), title, reading)


def top_families(df: pd.DataFrame, out_dir: Path, n: int = 12) -> Chart | None:
    """The largest model families by cumulative downloads on the last day."""
    if df.empty:
        return None
    top = df.head(n).iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.barh(top["family"], top["cumulative_downloads"], color=[color_for(f) for f in top["family"]])
    _ticks(ax.xaxis, human)
    ax.set_title(f"Top {len(top)} families by all-time downloads")
    first = df.iloc[0]
    reading = (
        f"{first['family']} leads with {human(first['cumulative_downloads'])} all-time downloads "
        f"({percent(first['cumulative_downloads_share'])} of mainline downloads)."
    )
    return Chart(_save(fig, out_dir, "top_families.png"), "Top families", reading)


def ram_leaders(df: pd.DataFrame, out_dir: Path) -> Chart | None:
    """The best Relative Adoption score in each size bucket (median-of-top-10 baseline)."""
    if df.empty:
        return None
    best = df[df["rank"] == 1]
    fig, ax = plt.subplots(figsize=(8, 4))
    labels = [f"{b} (d={d})" for b, d in zip(best["size_bucket"], best["checkpoint_days"], strict=True)]
    ax.bar(labels, best["score"], color=[color_for(r) for r in best["region"]])
    ax.axhline(1.0, color="black", linestyle="--", linewidth=1)
    for x, (score, model) in enumerate(zip(best["score"], best["model_id"], strict=True)):
        ax.annotate(model.split("/")[-1][:22], (x, score), ha="center", va="bottom", fontsize=7, rotation=20)
    regions = list(dict.fromkeys(best["region"]))
    ax.legend(handles=[Patch(color=color_for(r), label=str(r)) for r in regions], fontsize=8, title="region")
    ax.set_ylabel("RAM score")
    ax.set_title("Relative Adoption Metric leader per size bucket")
    plt.setp(ax.get_xticklabels(), rotation=20, ha="right")
    top = best.sort_values("score", ascending=False).iloc[0]
    reading = (
        f"Highest score: {top['model_id']} at {top['score']:.2f}x its bucket's baseline "
        f"({top['size_bucket']}, day {top['checkpoint_days']}); above 1 means top-10 pace."
    )
    return Chart(_save(fig, out_dir, "ram_leaders.png"), "Relative Adoption leaders", reading)


def derivative_share_by_family(df: pd.DataFrame, out_dir: Path, n: int = 6) -> Chart | None:
    """Share of new derivatives per month for the families with the most derivatives."""
    if df.empty:
        return None
    title = "Derivatives by base family"
    totals = df.groupby("base")["n_derivatives"].sum().sort_values(ascending=False)
    keep = list(totals.index[:n])
    pivot = df[df["base"].isin(keep)].pivot_table(
        index="month", columns="base", values="share", aggfunc="sum"
    )
    pivot = pivot.fillna(0)[keep]
    pivot.index = pd.to_datetime(pivot.index)
    last = pivot.iloc[-1].sort_values(ascending=False)
    reading = (
        f"In {pivot.index[-1]:%Y-%m}, {last.index[0]} bases took {percent(last.iloc[0])} "
        "of new derivatives of mainline models (fine-tunes, adapters, quantizations and merges across "
        "the whole Hub on days with a new-models listing)."
    )
    snapshots = df["full_hub_snapshot_of"].dropna() if "full_hub_snapshot_of" in df else pd.Series([])
    if len(snapshots):
        reading += (
            f" Months up to {iso_day(snapshots.max())} come from the hub-stats snapshot of that day (every"
            " derivative that still existed then, by its creation month; deleted repositories are not"
            " counted)."
        )
    if _single(pivot.index):
        return _values(title, reading, pivot.index[-1], True, pivot.iloc[-1], share)
    fig, ax = plt.subplots(figsize=(9, 4))
    for family in keep:
        ax.plot(pivot.index, pivot[family], label=family, color=color_for(family), linewidth=2)
    _ticks(ax.yaxis, percent)
    _date_axis(ax, pivot.index, "%Y-%m")
    ax.set_title("Share of new derivatives by base family")
    ax.legend(fontsize=8, loc="upper left")
    return Chart(_save(fig, out_dir, "derivative_share_by_family.png"), title, reading)


def concentration(df: pd.DataFrame, out_dir: Path) -> Chart | None:
    """Herfindahl–Hirschman index of monthly downloads over models and over organizations."""
    if df.empty:
        return None
    hhi = df.drop_duplicates(["month", "entity_type"]).pivot_table(
        index="month", columns="entity_type", values="hhi"
    )
    hhi.index = pd.to_datetime(hhi.index)
    hhi.columns = [f"{entity}s" for entity in hhi.columns]  # organizations, models
    last = df[df["month"] == df["month"].max()]
    org_top = last[(last["entity_type"] == "organization")].sort_values("top_n")
    reading = "HHI near 0 is a spread market, 1 a single player."
    if not org_top.empty:
        row = org_top.iloc[0]
        reading = (
            f"In {pd.Timestamp(row['month']):%Y-%m} the top {row['top_n']} organization "
            f"({row['largest_entity']}) "
            f"had {percent(row['top_n_share'])} of downloads; organization HHI {row['hhi']:.2f}."
        )
    if _single(hhi.index):
        return _values("Concentration", reading, hhi.index[-1], True, hhi.iloc[-1], lambda v: f"HHI {v:.2f}")
    fig, ax = plt.subplots(figsize=(9, 4))
    for entities in hhi.columns:
        ax.plot(hhi.index, hhi[entities], marker="o", label=f"over {entities}", color=color_for(entities))
    _date_axis(ax, hhi.index, "%Y-%m")
    ax.set_ylabel("HHI (0-1)")
    ax.set_title("Concentration of monthly downloads")
    ax.legend(fontsize=8)
    return Chart(_save(fig, out_dir, "concentration.png"), "Concentration", reading)


def inference_share(df: pd.DataFrame, out_dir: Path) -> Chart | None:
    """OpenRouter token share per day by category (open-weight regions, closed, other)."""
    if df.empty:
        return None
    title = "Inference share"
    pivot = df.pivot_table(
        index="snapshot_date", columns="inference_category", values="token_share", aggfunc="sum"
    ).fillna(0)
    pivot.index = pd.to_datetime(pivot.index)
    last = pivot.iloc[-1].sort_values(ascending=False)
    reading = f"On {iso_day(pivot.index[-1])}, {last.index[0]} had {percent(last.iloc[0])} of tokens."
    if _single(pivot.index):
        return _values(title, reading, pivot.index[-1], False, pivot.iloc[-1], share)
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.stackplot(
        pivot.index,
        [pivot[c] for c in pivot.columns],
        labels=list(pivot.columns),
        colors=[color_for(c) for c in pivot.columns],
    )
    ax.set_ylim(0, 1)
    _ticks(ax.yaxis, percent)
    _date_axis(ax, pivot.index)
    ax.set_title("Share of OpenRouter tokens by category")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1, 1))
    fig.autofmt_xdate()
    return Chart(_save(fig, out_dir, "inference_share.png"), title, reading)
