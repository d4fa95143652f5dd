"""The raw-table factory: every :class:`RawTable` becomes a partitioned asset with a blocking check.

One Dagster step per capture unit and day: the unit's source resolves the day once (replaying the
archive, or capturing it live), then each of the unit's tables is parsed, staged, validated by
its Great Expectations suite and promoted only if it passes (write-audit-publish). Every table
behaves the same way:

* **landed**: a materialization with row count, source and the table's own metadata, and a
  passed check ``raw_partition_valid``;
* **skipped** (the day has no data for the table; only tables declared ``may_skip``): nothing is
  written, the materialization says ``skipped: true`` and why, the check passes and the
  non-blocking check ``source_data_available`` warns. It is a materialization, not a missing
  output, because Dagster skips every downstream step of an output that is not produced and the
  day's dbt build must not depend on whether, say, OpenRouter rankings were available;
* **rejected** (or unreadable): the staged file is dropped, the previous partition stays, the
  check fails with the rules broken and example records, and the step fails with that message.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from itertools import groupby
from pathlib import Path
from typing import Any

import dagster as dg

from atom_dagster.landing import write_audit_publish as wap
from atom_dagster.landing.spec import CaptureUnit, RawTable, ResolvedDay, TableParse
from atom_dagster.quality.gate import validate_table
from atom_dagster.sources.archive import ArchiveError
from atom_dagster.sources.errors import SourceUnavailable

CHECK_NAME = "raw_partition_valid"
AVAILABLE_CHECK = "source_data_available"

UNITS = {
    "hub": CaptureUnit(
        "hub",
        "hub_source",
        "Resolve the day's Hub snapshot (archive replay, history snapshot or live capture) and land "
        "the Hub raw tables.",
    ),
    "openrouter": CaptureUnit(
        "openrouter",
        "openrouter_source",
        "Resolve the day's OpenRouter snapshot (archive replay or live capture) and land its raw tables.",
    ),
}


class RawDataConfig(dg.ConfigurableResource):
    """Where raw Parquet partitions live (``$ATOM_DATA_DIR/raw``)."""

    raw_dir: str


def raw_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", table])


def check_specs(table: RawTable, partitions: dg.PartitionsDefinition) -> list[dg.AssetCheckSpec]:
    """The table's blocking gate, and for tables that may lack data the availability warning.

    Partitioned like the asset, so each day's result shows on that day in the UI (without it,
    Dagster records one unpartitioned result and marks the day's planned check "skipped").
    """
    key = raw_key(table.name)
    # partitions_def on a check is a preview feature of dagster 1.13 (pinned); keep its warning quiet.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.PreviewWarning)
        specs = [
            dg.AssetCheckSpec(
                CHECK_NAME,
                asset=key,
                blocking=True,
                partitions_def=partitions,
                description=table.check_description,
            )
        ]
        if table.may_skip:
            specs.append(
                dg.AssetCheckSpec(
                    AVAILABLE_CHECK,
                    asset=key,
                    blocking=False,
                    partitions_def=partitions,
                    description="Warns when the source had no data for the day (skipped, not zeros) and why.",
                )
            )
    return specs


def _check(table: RawTable, passed: bool, metadata: dict[str, Any], description: str | None = None, **kw):
    return dg.AssetCheckResult(
        asset_key=raw_key(table.name),
        check_name=kw.pop("check_name", CHECK_NAME),
        passed=passed,
        metadata=metadata,
        description=description,
        **kw,
    )


def _unreadable(tables: list[RawTable], day: str, exc: Exception) -> tuple[list[Any], str]:
    """The source could not give the day: each table's failed check, and the message."""
    reason = str(exc).removeprefix(f"Partition {day}: ")  # most sources name the day themselves
    message = f"Partition {day}: {reason} Nothing was promoted; earlier partitions are untouched."
    meta = {"error": dg.MetadataValue.text(message)}
    return [_check(t, False, meta, message) for t in tables], message


def _skip(table: RawTable, day: str, reason: str, log) -> Iterator[Any]:
    key = raw_key(table.name).to_user_string()
    message = f"Partition {day}: {key} skipped: {reason}. Nothing was written (no data, not zeros)."
    log.warning(message)
    meta = {"skipped": True, "reason": dg.MetadataValue.text(reason), "snapshot_date": day}
    yield dg.MaterializeResult(
        asset_key=raw_key(table.name), metadata={**meta, "message": dg.MetadataValue.text(message)}
    )
    yield _check(table, True, meta, "Nothing to validate: the partition was skipped.")
    yield _check(table, False, meta, reason, check_name=AVAILABLE_CHECK, severity=dg.AssetCheckSeverity.WARN)


def land_table(
    table: RawTable, resolved: ResolvedDay, parsed: TableParse, day: str, raw_root: Path, log
) -> tuple[list[Any], str | None]:
    """Stage, validate and promote one table's partition: (events to yield, failure message or None)."""
    if parsed.skipped is not None:
        return list(_skip(table, day, parsed.skipped, log)), None
    if parsed.log_line:
        log.info(parsed.log_line)
    source = parsed.source or resolved.capture_source
    data = wap.rows_to_table(parsed.rows, table.schema, source)
    staged = wap.stage(raw_root, day, data, table.name)
    df = data.to_pandas()
    previous = (
        wap.previous_partition_rows(raw_root, day, table.name, source=source)
        if table.compare_with_previous
        else None
    )
    outcome = validate_table(
        table, df, previous[1] if previous else None, parsed.rejected, what=parsed.rejected_what
    )
    check_meta: dict[str, Any] = {
        "expectations_evaluated": outcome.evaluated,
        "failures": dg.MetadataValue.json(outcome.failures),
    }
    if table.compare_with_previous:
        check_meta["previous_partition"] = previous[0] if previous else "none"
        check_meta["previous_rows"] = previous[1] if previous else 0
    if not outcome.passed:
        wap.discard(staged)
        message = f"{raw_key(table.name).to_user_string()}: {outcome.describe(day)}"
        log.error(message)
        meta = {**check_meta, "message": dg.MetadataValue.md(message)}
        return [_check(table, False, meta, message.splitlines()[0])], message
    final = wap.promote(staged, raw_root, day, table.name)
    done = dg.MaterializeResult(
        asset_key=raw_key(table.name),
        metadata={
            "dagster/row_count": len(df),
            "snapshot_date": day,
            "source": source,
            "source_detail": resolved.detail,
            "synthetic": parsed.synthetic,
            **table.metadata(df, parsed),
            "path": dg.MetadataValue.path(str(final)),
        },
    )
    passed = f"Partition {day}: all {outcome.evaluated} expectations passed on {len(df)} rows."
    events = [done, _check(table, True, check_meta, passed)]
    if table.may_skip:
        events.append(_check(table, True, {}, check_name=AVAILABLE_CHECK))
    return events, None


def land_unit(
    unit: CaptureUnit, tables: list[RawTable], source, day: str, raw_root: Path, log
) -> Iterator[Any]:
    """Resolve the unit's day once, land each of its tables, and fail the step if any table failed."""
    try:
        resolved = source.resolve_day(day, log)
    except (SourceUnavailable, ArchiveError) as exc:
        checks, message = _unreadable(tables, day, exc)
        yield from checks
        raise dg.Failure(description=message, metadata={"partition": day}) from exc
    failures: list[str] = []
    for table in tables:
        try:
            parsed = table.parse(resolved, day)
        except ArchiveError as exc:
            checks, message = _unreadable([table], day, exc)
            yield from checks
            failures.append(message)
            continue
        events, failure = land_table(table, resolved, parsed, day, raw_root, log)
        yield from events
        if failure:
            failures.append(failure)
    if failures:
        raise dg.Failure(description="\n\n".join(failures), metadata={"partition": day})


def build_unit_asset(
    unit: CaptureUnit, tables: list[RawTable], partitions: dg.PartitionsDefinition
) -> dg.AssetsDefinition:
    """One partitioned multi-asset for a capture unit's tables, with each table's checks."""
    specs = [
        dg.AssetSpec(
            key=raw_key(t.name),
            deps=[raw_key(d) for d in t.deps],
            description=t.description,
            group_name="raw",
            kinds={"python", "parquet"},
            owners=["team:atom"],
        )
        for t in tables
    ]

    @dg.multi_asset(
        name=f"raw_{unit.name}",
        specs=specs,
        check_specs=[c for t in tables for c in check_specs(t, partitions)],
        partitions_def=partitions,
        required_resource_keys={unit.resource_key, "raw_data"},
        description=unit.description,
        # One table may be materialized alone (e.g. from the UI); the day is still resolved once.
        can_subset=True,
    )
    def _land(context):
        source = getattr(context.resources, unit.resource_key)
        raw_root = Path(context.resources.raw_data.raw_dir)
        selected = [t for t in tables if raw_key(t.name) in context.selected_asset_keys]
        yield from land_unit(unit, selected, source, context.partition_key, raw_root, context.log)

    return _land


def build_raw_assets(
    tables: list[RawTable], partitions: dg.PartitionsDefinition
) -> list[dg.AssetsDefinition]:
    """One asset per capture unit, covering every declared raw table."""
    ordered = sorted(tables, key=lambda t: (t.unit, t.order))
    return [
        build_unit_asset(UNITS[unit], list(group), partitions)
        for unit, group in groupby(ordered, key=lambda t: t.unit)
    ]
