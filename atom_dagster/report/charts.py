"""The report's charts: one function per chart, DataFrame in, PNG out, one-line reading back.

Each function is pure apart from writing its PNG; it returns None when there is nothing to plot.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers and in CI
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

REGION_COLORS = {
    "china": "#d62728",
    "us": "#1f77b4",
    "eu": "#2ca02c",
    "other": "#9467bd",
    "unknown": "#7f7f7f",
}
DPI = 110


@dataclass(frozen=True)
class Chart:
    """A chart written to disk, with what a reader should take from it."""

    file: str
    title: str
    reading: str


def human(n: float) -> str:
    """1234567 -> '1.23M' (axis labels and readings)."""
    for unit, div in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(n) >= div:
            return f"{n / div:.3g}{unit}"
    return f"{n:.0f}"


def _save(fig, out_dir: Path, name: str) -> str:
    fig.tight_layout()
    fig.savefig(out_dir / name, dpi=DPI, metadata={"Software": None})
    plt.close(fig)
    return name


def cumulative_by_region(df: pd.DataFrame, overtake: pd.DataFrame, out_dir: Path) -> Chart | None:
    """Cumulative downloads per region, with the headline overtake date marked."""
    if df.empty:
        return None
    fig, ax = plt.subplots(figsize=(9, 4.5))
    pivot = df.pivot_table(
        index="snapshot_date", columns="region", values="cumulative_downloads", aggfunc="sum"
    )
    for region in pivot.columns:
        ax.plot(pivot.index, pivot[region], label=region, color=REGION_COLORS.get(region), linewidth=2)
    reading = "Cumulative downloads of mainline models by the publishing organization's region."
    headline = (
        overtake[(overtake["scenario"] == "all_models") & (overtake["indicator"] == "cumulative")]
        if not overtake.empty
        else overtake
    )
    if not headline.empty and pd.notna(headline.iloc[0]["overtake_date"]):
        row = headline.iloc[0]
        ax.axvline(pd.Timestamp(row["overtake_date"]), color="black", linestyle="--", linewidth=1)
        ax.annotate(
            f"{row['leader']} ahead from {row['overtake_date']:%Y-%m-%d}",
            (pd.Timestamp(row["overtake_date"]), ax.get_ylim()[1] * 0.95),
            fontsize=8,
        )
        since = f"{row['overtake_date']:%Y-%m-%d}"
        if row.get("is_ahead_since_first_date"):
            since += " (the first captured day: the crossing itself predates the data)"
        reading = (
            f"{row['leader']} has stayed ahead of {row['follower']} in cumulative downloads since "
            f"{since}; gap on the last day {human(row['gap_at_last_date'])}."
        )
    elif not headline.empty:
        row = headline.iloc[0]
        reading = f"{row['leader']} has not durably overtaken {row['follower']} in cumulative downloads."
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: human(v)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
    ax.set_title("Cumulative downloads by region")
    ax.legend(loc="center right", fontsize=8)
    fig.autofmt_xdate()
    return Chart(_save(fig, out_dir, "cumulative_by_region.png"), "Cumulative downloads by region", reading)


def monthly_region_shares(df: pd.DataFrame, out_dir: Path) -> Chart | None:
    """Each region's share of the month's downloads, stacked."""
    if df.empty:
        return None
    pivot = df.pivot_table(index="month", columns="region", values="downloads_share", aggfunc="sum").fillna(0)
    fig, ax = plt.subplots(figsize=(9, 4))
    bottom = pd.Series(0.0, index=pivot.index)
    labels = [pd.Timestamp(m).strftime("%Y-%m") for m in pivot.index]
    for region in pivot.columns:
        ax.bar(labels, pivot[region], bottom=bottom, label=region, color=REGION_COLORS.get(region))
        bottom += pivot[region]
    last = pivot.iloc[-1].sort_values(ascending=False)
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:.0%}"))
    ax.set_title("Share of each month's downloads by region")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1, 1))
    reading = (
        f"In {labels[-1]}, {last.index[0]} took {last.iloc[0]:.0%} of downloads, "
        f"{last.index[1]} {last.iloc[1]:.0%}."
        if len(last) > 1
        else f"In {labels[-1]}, {last.index[0]} took {last.iloc[0]:.0%} of downloads."
    )
    return Chart(
        _save(fig, out_dir, "monthly_region_shares.png"), "Monthly download share by region", reading
    )


def top_families(df: pd.DataFrame, out_dir: Path, n: int = 12) -> Chart | None:
    """The largest model families by cumulative downloads on the last day."""
    if df.empty:
        return None
    top = df.head(n).iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.barh(top["family"], top["cumulative_downloads"], color="#4c72b0")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: human(v)))
    ax.set_title(f"Top {len(top)} families by cumulative downloads")
    first = df.iloc[0]
    reading = (
        f"{first['family']} leads with {human(first['cumulative_downloads'])} cumulative downloads "
        f"({first['cumulative_downloads_share']:.0%} of mainline downloads)."
    )
    return Chart(_save(fig, out_dir, "top_families.png"), "Top families", reading)


def ram_leaders(df: pd.DataFrame, out_dir: Path) -> Chart | None:
    """The best Relative Adoption score in each size bucket (median-of-top-10 baseline)."""
    if df.empty:
        return None
    best = df[df["rank"] == 1]
    fig, ax = plt.subplots(figsize=(8, 4))
    labels = [f"{b} (d={d})" for b, d in zip(best["size_bucket"], best["checkpoint_days"], strict=True)]
    ax.bar(labels, best["score"], color="#dd8452")
    ax.axhline(1.0, color="black", linestyle="--", linewidth=1)
    for x, (score, model) in enumerate(zip(best["score"], best["model_id"], strict=True)):
        ax.annotate(model.split("/")[-1][:22], (x, score), ha="center", va="bottom", fontsize=7, rotation=20)
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
    totals = df.groupby("base")["n_derivatives"].sum().sort_values(ascending=False)
    keep = list(totals.index[:n])
    pivot = df[df["base"].isin(keep)].pivot_table(
        index="month", columns="base", values="share", aggfunc="sum"
    )
    pivot = pivot.fillna(0)[keep]
    fig, ax = plt.subplots(figsize=(9, 4))
    for family in keep:
        ax.plot(pd.to_datetime(pivot.index), pivot[family], label=family, linewidth=2)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:.0%}"))
    ax.set_title("Share of new derivatives by base family")
    ax.legend(fontsize=8, loc="upper left")
    last = pivot.iloc[-1].sort_values(ascending=False)
    reading = (
        f"In {pd.Timestamp(pivot.index[-1]):%Y-%m}, {last.index[0]} bases took {last.iloc[0]:.0%} "
        "of new derivatives of tracked models."
    )
    return Chart(_save(fig, out_dir, "derivative_share_by_family.png"), "Derivatives by base family", reading)


def concentration(df: pd.DataFrame, out_dir: Path) -> Chart | None:
    """Herfindahl–Hirschman index of monthly downloads over models and over organizations."""
    if df.empty:
        return None
    hhi = df.drop_duplicates(["month", "entity_type"]).pivot_table(
        index="month", columns="entity_type", values="hhi"
    )
    fig, ax = plt.subplots(figsize=(9, 4))
    for entity in hhi.columns:
        ax.plot(pd.to_datetime(hhi.index), hhi[entity], marker="o", label=f"over {entity}s")
    ax.set_ylabel("HHI (0-1)")
    ax.set_title("Concentration of monthly downloads")
    ax.legend(fontsize=8)
    last = df[df["month"] == df["month"].max()]
    org_top = last[(last["entity_type"] == "organization")].sort_values("top_n")
    reading = "HHI near 0 is a spread market, 1 a single player."
    if not org_top.empty:
        row = org_top.iloc[0]
        reading = (
            f"In {pd.Timestamp(row['month']):%Y-%m} the top {row['top_n']} organization "
            f"({row['largest_entity']}) "
            f"had {row['top_n_share']:.0%} of downloads; organization HHI {row['hhi']:.2f}."
        )
    return Chart(_save(fig, out_dir, "concentration.png"), "Concentration", reading)


def inference_share(df: pd.DataFrame, out_dir: Path) -> Chart | None:
    """OpenRouter token share per day by category (open-weight regions, closed, other)."""
    if df.empty:
        return None
    pivot = df.pivot_table(
        index="snapshot_date", columns="inference_category", values="token_share", aggfunc="sum"
    ).fillna(0)
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.stackplot(
        pd.to_datetime(pivot.index),
        [pivot[c] for c in pivot.columns],
        labels=list(pivot.columns),
        colors=[REGION_COLORS.get(c, f"C{i}") for i, c in enumerate(pivot.columns)],
    )
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:.0%}"))
    ax.set_title("Share of OpenRouter tokens by category")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1, 1))
    last = pivot.iloc[-1].sort_values(ascending=False)
    reading = (
        f"On {pd.Timestamp(pivot.index[-1]):%Y-%m-%d}, {last.index[0]} had {last.iloc[0]:.0%} of tokens."
    )
    return Chart(_save(fig, out_dir, "inference_share.png"), "Inference share", reading)
