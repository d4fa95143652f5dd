"""Build the daily ecosystem report: charts (PNG) and one HTML page that references them."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from atom_dagster.report import charts
from atom_dagster.report.charts import Chart, color_for
from atom_dagster.report.data import ReportData, load_report_data
from atom_dagster.report.format import MISSING, cell, human, is_missing, iso_day, percent

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


def _table(df: pd.DataFrame, columns: dict[str, str], missing: dict[str, str] | None = None) -> str:
    """An HTML table of ``columns`` (name -> header); a missing value reads ``missing[column]`` or a
    dash, explained under the table."""
    if df.empty:
        return "<p><em>No data for this table yet.</em></p>"
    missing = missing or {}
    head = "".join(f"<th>{html.escape(label)}</th>" for label in columns.values())
    rows = []
    for _, row in df.iterrows():
        cells = [
            missing.get(col, MISSING) if is_missing(row[col]) else cell(row[col], col) for col in columns
        ]
        rows.append("<tr>" + "".join(f"<td>{html.escape(text)}</td>" for text in cells) + "</tr>")
    body = "".join(rows)
    note = f'<p class="meta">{MISSING} : no value in the data.</p>' if f"<td>{MISSING}</td>" in body else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}"


def _values_table(chart: Chart) -> str:
    """A single period's values, each category with its chart colour."""
    rows = "".join(
        f'<tr><th><span style="color:{color_for(name)}">&#9632;</span> {html.escape(name)}</th>'
        f"<td>{html.escape(value)}</td></tr>"
        for name, value in chart.values
    )
    return f'<table class="values"><caption>{html.escape(chart.period)}</caption>{rows}</table>'


def ram_without_scores(leaders: pd.DataFrame, reasons: pd.DataFrame) -> str:
    """Why no model has a RAM score yet, in words (empty when some do)."""
    if not leaders.empty or reasons.empty:
        return ""
    words = {
        "history_starts_after_checkpoint": "released before the captured history starts",
        "checkpoint_not_reached_yet": "checkpoint not reached yet",
        "too_few_models_in_bucket": "fewer than 10 models of their size bucket with a value at the "
        "checkpoint (the paper's baseline is the median of a bucket's top 10)",
        "history_ends_before_checkpoint": "no longer captured at the checkpoint",
        "no_size_bucket": "no parameter count",
        "never_observed": "never captured",
        "no_baseline": "a baseline of 0",
    }
    items = "".join(
        f"<li>{html.escape(words.get(r.no_score_reason, r.no_score_reason))}: {int(r.n_models)} model(s)</li>"
        for r in reasons.itertuples()
    )
    return f"<p>No model has a score yet. Models without one, by reason:</p><ul>{items}</ul>"


def key_numbers(data: ReportData) -> dict[str, str]:
    """The few numbers a reader wants first (also shown in Dagster metadata)."""
    out: dict[str, str] = {}
    headline = charts.headline_overtake(data.get("overtake"))
    since = f" since {iso_day(headline['tracking_start'])}" if headline is not None else ""
    region = data.get("region_daily")
    if not region.empty:
        last = region[region["snapshot_date"] == region["snapshot_date"].max()]
        for _, row in last.sort_values("cumulative_downloads", ascending=False).iterrows():
            out[f"tracked downloads{since}, {row['region']}"] = human(row["tracked_cumulative_downloads"])
            out[f"all-time downloads, {row['region']}"] = human(row["cumulative_downloads"])
    if headline is not None:
        when = headline["overtake_date"]
        out[f"{headline['leader']} ahead of {headline['follower']} (tracked downloads{since}) from"] = (
            "not overtaken" if is_missing(when) else iso_day(when)
        )
    families = data.get("family_latest")
    if not families.empty:
        top = families.iloc[0]
        share = percent(top["cumulative_downloads_share"])
        out["top family (share of all-time downloads)"] = f"{top['family']} ({share})"
    share = data.get("inference_share")
    if not share.empty:
        last = share[share["snapshot_date"] == share["snapshot_date"].max()]
        closed = last[last["inference_category"].isin(["closed"])]["token_share"].sum()
        out["OpenRouter tokens on closed models (last day)"] = percent(closed)
    return out


def _section(chart: Chart | None, title: str, span: str, source: str, extra: str = "") -> str:
    if chart is None:
        body = "<p><em>No data for this chart yet.</em></p>"
        reading = ""
    else:
        body = (
            f'<img src="{html.escape(chart.file)}" alt="{html.escape(chart.title)}">'
            if chart.file
            else _values_table(chart)
        )
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
table.values caption{text-align:left;font-weight:bold;padding:.25em 0;white-space:nowrap}
table.values th{text-align:left}
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
        span = f"{iso_day(c['first_day'])} to {iso_day(c['last_day'])}, {c['n_days']} captured days"
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
                missing={"overtake_date": "not ahead"},
            ),
        ),
        (
            charts.monthly_region_shares(data.get("region_monthly"), out_dir),
            "Monthly download share by region",
            hub,
            "",
        ),
        (
            charts.top_families(data.get("family_latest"), out_dir),
            "Top model families (all-time downloads)",
            hub,
            "",
        ),
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
            )
            + ram_without_scores(data.get("ram_leaders"), data.get("ram_no_score")),
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
