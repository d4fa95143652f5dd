"""Build the daily ecosystem report: charts (PNG) and one HTML page that references them."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from atom_dagster.report import charts
from atom_dagster.report.charts import Chart, human
from atom_dagster.report.data import ReportData, load_report_data

HUB_SOURCE = "Hugging Face Hub model metadata (downloads, lineage), captured daily by atom"
OPENROUTER_SOURCE = "Source: OpenRouter (openrouter.ai/rankings)"
SYNTHETIC_BANNER = (
    "SYNTHETIC DEMO DATA: these numbers come from atom's generated demo archive, not from the Hub. "
    "They show how the report works and say nothing about the real ecosystem."
)


@dataclass
class Report:
    """What was written, for Dagster metadata and tests."""

    html_path: Path
    charts: list[Chart] = field(default_factory=list)
    key_numbers: dict[str, str] = field(default_factory=dict)
    synthetic: bool = False
    missing: dict[str, str] = field(default_factory=dict)


def _table(df: pd.DataFrame, columns: dict[str, str]) -> str:
    if df.empty:
        return "<p><em>No data for this table yet.</em></p>"
    head = "".join(f"<th>{html.escape(label)}</th>" for label in columns.values())
    rows = []
    for _, row in df.iterrows():
        cells = []
        for col in columns:
            value = row[col]
            if isinstance(value, float) and col.endswith(("score", "share")):
                text = f"{value:.2f}" if col.endswith("score") else f"{value:.1%}"
            elif isinstance(value, int | float) and not pd.isna(value):
                text = human(value)
            elif hasattr(value, "strftime") and not pd.isna(value):
                text = value.strftime("%Y-%m-%d")
            else:
                text = "—" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
            cells.append(f"<td>{html.escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def key_numbers(data: ReportData) -> dict[str, str]:
    """The few numbers a reader wants first (also shown in Dagster metadata)."""
    out: dict[str, str] = {}
    region = data.get("region_daily")
    if not region.empty:
        last = region[region["snapshot_date"] == region["snapshot_date"].max()]
        for _, row in last.sort_values("cumulative_downloads", ascending=False).iterrows():
            out[f"cumulative downloads, {row['region']}"] = human(row["cumulative_downloads"])
    overtake = data.get("overtake")
    headline = (
        overtake[(overtake["scenario"] == "all_models") & (overtake["indicator"] == "cumulative")]
        if not overtake.empty
        else overtake
    )
    if not headline.empty:
        row = headline.iloc[0]
        when = row["overtake_date"]
        out[f"{row['leader']} ahead of {row['follower']} (cumulative) since"] = (
            when.strftime("%Y-%m-%d") if not pd.isna(when) else "not overtaken"
        )
    families = data.get("family_latest")
    if not families.empty:
        out["top family"] = (
            f"{families.iloc[0]['family']} ({families.iloc[0]['cumulative_downloads_share']:.0%})"
        )
    share = data.get("inference_share")
    if not share.empty:
        last = share[share["snapshot_date"] == share["snapshot_date"].max()]
        closed = last[last["inference_category"].isin(["closed"])]["token_share"].sum()
        out["OpenRouter tokens on closed models (last day)"] = f"{closed:.0%}"
    return out


def _section(chart: Chart | None, title: str, span: str, source: str, extra: str = "") -> str:
    if chart is None:
        body = "<p><em>No data for this chart yet.</em></p>"
        reading = ""
    else:
        body = f'<img src="{html.escape(chart.file)}" alt="{html.escape(chart.title)}">'
        reading = f'<p class="reading">{html.escape(chart.reading)}</p>'
    return (
        f"<section><h2>{html.escape(title)}</h2>{reading}{body}"
        f'<p class="meta">Data: {html.escape(span)}. {html.escape(source)}.</p>{extra}</section>'
    )


STYLE = """
body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}
.synthetic{background:#fff3cd;border:2px solid #d39e00;padding:.8em;font-weight:bold}
.reading{font-size:1.05em} .meta{color:#666;font-size:.85em} img{max-width:100%}
table{border-collapse:collapse;margin:.5em 0} td,th{border:1px solid #ccc;padding:.25em .6em;font-size:.9em}
section{margin:2em 0}
"""


def build_report(con: duckdb.DuckDBPyConnection, out_dir: Path, day: str) -> Report:
    """Write ``out_dir/index.html`` and its PNG charts for the partition ``day`` from the warehouse
    connection ``con`` (read-only)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    data = load_report_data(con, date.fromisoformat(day))
    capture = data.get("capture")
    synthetic = bool(not capture.empty and capture.iloc[0]["synthetic"])
    if capture.empty or pd.isna(capture.iloc[0]["first_day"]):
        span, sources = f"no snapshots up to {day}", "none"
    else:
        c = capture.iloc[0]
        span = f"{c['first_day']:%Y-%m-%d} to {c['last_day']:%Y-%m-%d}, {c['n_days']} captured days"
        sources = str(c["sources"])
    hub = f"{HUB_SOURCE} (capture source: {sources})" + ("; SYNTHETIC demo data" if synthetic else "")
    made = [
        (
            charts.cumulative_by_region(data.get("region_daily"), data.get("overtake"), out_dir),
            "Cumulative downloads by region",
            hub,
            "<h3>Does the overtake hang on one family?</h3>"
            + _table(
                data.get("overtake"),
                {
                    "scenario": "scenario",
                    "indicator": "indicator",
                    "overtake_date": "leader ahead since",
                    "gap_at_last_date": "gap on last day",
                    "n_lead_changes": "lead changes",
                },
            ),
        ),
        (
            charts.monthly_region_shares(data.get("region_monthly"), out_dir),
            "Monthly download share by region",
            hub,
            "",
        ),
        (charts.top_families(data.get("family_latest"), out_dir), "Top model families", hub, ""),
        (
            charts.ram_leaders(data.get("ram_leaders"), out_dir),
            "Relative Adoption Metric leaders",
            hub,
            _table(
                data.get("ram_leaders"),
                {
                    "size_bucket": "size",
                    "checkpoint_days": "day",
                    "rank": "rank",
                    "model_id": "model",
                    "region": "region",
                    "score": "score",
                },
            ),
        ),
        (
            charts.derivative_share_by_family(data.get("derivative_shares"), out_dir),
            "Share of new derivatives by base family",
            hub,
            "",
        ),
        (charts.concentration(data.get("concentration"), out_dir), "Concentration of downloads", hub, ""),
        (
            charts.inference_share(data.get("inference_share"), out_dir),
            "Inference: token share on OpenRouter",
            OPENROUTER_SOURCE + ("; SYNTHETIC demo data" if synthetic else ""),
            "<h3>Top open-weight models by tokens</h3>"
            + _table(
                data.get("inference_top_open"),
                {
                    "hub_model_id": "model",
                    "organization": "organization",
                    "region": "region",
                    "total_tokens": "tokens",
                },
            ),
        ),
    ]
    numbers = key_numbers(data)
    banner = f'<p class="synthetic">{html.escape(SYNTHETIC_BANNER)}</p>' if synthetic else ""
    numbers_html = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in numbers.items()
    )
    sections = "".join(
        _section(chart, title, span, source, extra) + banner for chart, title, source, extra in made
    )
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>atom report {day}</title>"
        f"<style>{STYLE}</style></head><body>{banner}"
        f"<h1>The open language-model ecosystem — atom daily report for {html.escape(day)}</h1>"
        f"<p class='meta'>Data: {html.escape(span)}. {html.escape(hub)}. Inference: {OPENROUTER_SOURCE}.</p>"
        f"<table>{numbers_html}</table>{sections}</body></html>"
    )
    path = out_dir / "index.html"
    path.write_text(page, encoding="utf-8")
    return Report(path, [c for c, *_ in made if c is not None], numbers, synthetic, data.missing)
