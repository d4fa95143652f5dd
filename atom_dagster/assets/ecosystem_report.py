"""Dagster asset `report/ecosystem_report`: the daily HTML report with its PNG charts."""

import base64
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from atom_dagster.assets.metadata import markdown_table
from atom_dagster.report.build import build_report

ECOSYSTEM_REPORT = dg.AssetKey(["report", "ecosystem_report"])

# The marts the report reads (dbt model names are their asset keys).
REPORT_MARTS = [
    "metrics_downloads_by_region_daily",
    "metrics_downloads_by_region_monthly",
    "metrics_downloads_by_family_daily",
    "metrics_overtake",
    "metrics_relative_adoption",
    "metrics_derivative_shares_monthly",
    "metrics_concentration_monthly",
    "agg_inference_share_by_region_daily",
    "fct_inference_tokens_daily",
]


def report_dir(data_dir: Path, day: str) -> Path:
    """Where the report of a partition is written."""
    return Path(data_dir) / "report" / day


class ReportConfig(dg.ConfigurableResource):
    """Where reports are written (``$ATOM_DATA_DIR/report/<day>/``)."""

    data_dir: str


def build_report_asset(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    """The report asset, partitioned like the marts it reads."""
    return dg.asset(
        key=ECOSYSTEM_REPORT,
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        deps=[dg.AssetKey(name) for name in REPORT_MARTS],
        group_name="report",
        kinds={"python", "html"},
        owners=["team:atom"],
        pool="duckdb",
        required_resource_keys={"warehouse", "report_config"},
        description=(
            "A self-contained HTML page with PNG charts beside it, under `$ATOM_DATA_DIR/report/<day>/`: "
            "cumulative downloads by region with the overtake marked, monthly region shares, top families, "
            "Relative Adoption leaders per size bucket, derivative share by family, concentration, and "
            "OpenRouter inference share. Each chart has a one-line reading, the data's date range and "
            "source; pages built from the demo archive say SYNTHETIC on every section."
        ),
    )(ecosystem_report)


def ecosystem_report(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """Write the report of the window's last day and show its key numbers and headline chart."""
    # A backfill builds the marts once for the window; the report describes its last day.
    day = context.partition_key_range.end
    warehouse: DuckDBResource = context.resources.warehouse
    out_dir = report_dir(Path(context.resources.report_config.data_dir), day)
    with warehouse.get_connection() as con:
        report = build_report(con, out_dir, day)
    context.log.info(f"Report for {day}: {report.html_path} ({len(report.charts)} charts)")
    for name, reason in report.missing.items():
        context.log.warning(f"Report section {name!r} has no data: {reason}")
    headline = next((c for c in report.charts if c.title == "Cumulative downloads by region"), None)
    image = ""
    if headline is not None and headline.file:
        encoded = base64.b64encode((report.html_path.parent / headline.file).read_bytes()).decode()
        image = f"![{headline.title}](data:image/png;base64,{encoded})\n\n{headline.reading}"
    elif headline is not None:  # a single day: its values, not a chart
        values = markdown_table([headline.period, "cumulative downloads"], list(headline.values))
        image = f"{values}\n{headline.reading}"
    return dg.MaterializeResult(
        metadata={
            "report": dg.MetadataValue.path(str(report.html_path)),
            "synthetic": report.synthetic,
            "charts": len(report.charts),
            "key_numbers": dg.MetadataValue.md(
                markdown_table(["measure", "value"], list(report.key_numbers.items()))
            ),
            "readings": dg.MetadataValue.md(
                "\n".join(f"* **{c.title}**: {c.reading}" for c in report.charts)
            ),
            "headline_chart": dg.MetadataValue.md(image or "no data"),
        }
    )
