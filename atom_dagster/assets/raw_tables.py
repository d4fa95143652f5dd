"""The raw-table factory: every :class:`RawTable` becomes a partitioned asset with a blocking check.

One Dagster step per day: each capture unit's source resolves the day once (replaying the archive,
or capturing it live), then each table is parsed, staged and validated by its Great Expectations
suite; only when every table of the day passes are they all promoted (write-audit-publish), so the
raw tables of a day never disagree. Every table behaves the same way:

* **landed**: a materialization with row count, source and the table's own metadata, and a
  passed check ``raw_partition_valid``;
* **skipped** (the day has no data for the table; only tables declared ``may_skip``): nothing is
  written, the materialization says ``skipped: true`` and why, the check passes and the
  non-blocking check ``source_data_available`` warns. It is a materialization, not a missing
  output, because Dagster skips every downstream step of an output that is not produced and the
  day's dbt build must not depend on whether, say, OpenRouter rankings were available;
* **rejected** (or unreadable): the staged file is dropped, the previous partition stays, the
  check fails with the rules broken and example records, and the step fails with that message;
  the day's other tables are not promoted either (their check warns that they were withheld).
"""

from __future__ import annotations

import gc
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

import dagster as dg
import pyarrow as pa

from atom_dagster.landing import write_audit_publish as wap
from atom_dagster.landing.spec import CaptureUnit, RawTable, ResolvedDay, TableParse
from atom_dagster.quality.gate import validate_table
from atom_dagster.sources.archive import ArchiveError
from atom_dagster.sources.errors import SourceUnavailable
from atom_dagster.storage import Location, as_location

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
    """Where raw Parquet partitions live (``$ATOM_DATA_DIR/raw``, or ``$ATOM_RAW_URL`` on S3)."""

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


@dataclass
class Staged:
    """A table's partition, staged and validated, waiting for the rest of the day."""

    table: RawTable
    events: list[Any]  # what to report once the day is promoted (materialization, passed checks)
    path: Location | None = None  # the staged file (None for a table skipped for lack of data)
    metadata: dict[str, Any] = field(default_factory=dict)


def stage_table(
    table: RawTable, resolved: ResolvedDay, parsed: TableParse, day: str, raw_root: Location, log
) -> tuple[Staged | None, list[Any], str | None]:
    """Stage and validate one table's partition.

    Returns (the staged partition if it passed, events of a failure, the failure message).
    """
    if parsed.skipped is not None:
        return Staged(table, list(_skip(table, day, parsed.skipped, log))), [], None
    if parsed.log_line:
        log.info(parsed.log_line)
    source = parsed.source or resolved.capture_source
    data = wap.rows_to_table(parsed.rows, table.schema, source)
    staged = wap.stage(raw_root, day, data, table.name)
    previous = (
        wap.previous_partition_rows(raw_root, day, table.name, source=source)
        if table.compare_with_previous
        else None
    )
    outcome = validate_table(
        table, data, previous[1] if previous else None, parsed.rejected, what=parsed.rejected_what, day=day
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
        return None, [_check(table, False, meta, message.splitlines()[0])], message
    metadata = {
        "dagster/row_count": data.num_rows,
        "snapshot_date": day,
        "source": source,
        "source_detail": resolved.detail,
        "synthetic": parsed.synthetic,
        **table.metadata(table.metadata_frame(data), parsed),
    }
    passed = f"Partition {day}: all {outcome.evaluated} expectations passed on {data.num_rows} rows."
    events = [_check(table, True, check_meta, passed)]
    if table.may_skip:
        events.append(_check(table, True, {}, check_name=AVAILABLE_CHECK))
    return Staged(table, events, staged, metadata), [], None


# A full collection walks every object of the process (Dagster, Great Expectations, pandas: ~0.5 s
# each time); worth it only when the rows it frees are many, not for a table of a few thousand.
FULL_COLLECT_ROWS = 50_000


def parse_and_stage(
    table: RawTable, resolved: ResolvedDay, day: str, raw_root: Location, log
) -> tuple[Staged | None, list[Any], str | None]:
    """Parse one table of the resolved day, then stage and validate it (:func:`stage_table`).

    Its rows are freed on return; for a large table also the frames Great Expectations keeps in
    reference cycles, and the memory Arrow's allocator keeps for reuse is given back: a
    million-model day's tables are ~1 GB, and the next table and the dbt build need none of it.
    """
    try:
        parsed = table.parse(resolved, day)
    except ArchiveError as exc:
        checks, message = _unreadable([table], day, exc)
        return None, checks, message
    large = len(parsed.rows) >= FULL_COLLECT_ROWS
    try:
        return stage_table(table, resolved, parsed, day, raw_root, log)
    finally:
        del parsed
        if large:
            gc.collect()
            pa.default_memory_pool().release_unused()


def _promote(item: Staged, day: str, raw_root: Location) -> list[Any]:
    if item.path is None:  # skipped: nothing to write, the skip is reported as it is
        return item.events
    final = wap.promote(item.path, raw_root, day, item.table.name)
    done = dg.MaterializeResult(
        asset_key=raw_key(item.table.name),
        metadata={**item.metadata, "path": dg.MetadataValue.path(str(final))},
    )
    return [done, *item.events]


def _withheld(item: Staged, day: str, failed: list[str]) -> Any:
    """A table that passed (or had no data) on a day another table failed: nothing of it lands."""
    if item.path is not None:
        wap.discard(item.path)
    reason = (
        f"Partition {day}: {raw_key(item.table.name).to_user_string()} passed, but was not promoted: "
        f"{', '.join(failed)} failed, and a day's raw tables are promoted together or not at all."
    )
    return _check(item.table, False, {"not_promoted": True}, reason, severity=dg.AssetCheckSeverity.WARN)


def land_day(work: list[tuple[list[RawTable], Any]], day: str, raw_root: Location, log) -> Iterator[Any]:
    """Land a day's raw tables together (``work``: each unit's tables and source): each source resolves
    the day once, every table is
    parsed, staged and validated, and only if all pass is any promoted; else none is, and the step
    fails with every table's reason."""
    ready: list[Staged] = []
    failed_events: list[Any] = []
    failures: list[str] = []
    failed_tables: list[str] = []
    try:
        for tables, source in work:
            try:
                resolved = source.resolve_day(day, log)
            except (SourceUnavailable, ArchiveError) as exc:
                checks, message = _unreadable(tables, day, exc)
                failed_events += checks
                failures.append(message)
                failed_tables += [raw_key(t.name).to_user_string() for t in tables]
                continue
            for table in tables:
                staged, events, failure = parse_and_stage(table, resolved, day, raw_root, log)
                if staged is not None:
                    ready.append(staged)
                else:
                    failed_events += events
                    failures.append(failure)
                    failed_tables.append(raw_key(table.name).to_user_string())
    except BaseException:
        for item in ready:  # a crash half-way promotes nothing either
            if item.path is not None:
                wap.discard(item.path)
        raise
    if not failures:
        for item in ready:
            yield from _promote(item, day, raw_root)
        return
    yield from failed_events
    for item in ready:
        yield _withheld(item, day, failed_tables)
    if ready:
        failures.append(
            f"Not promoted either (valid, but a day's raw tables land together): "
            f"{', '.join(raw_key(i.table.name).to_user_string() for i in ready)}."
        )
    raise dg.Failure(description="\n\n".join(failures), metadata={"partition": day})


def build_raw_asset(
    tables: list[RawTable],
    partitions: dg.PartitionsDefinition,
    units: dict[str, CaptureUnit] | None = None,
    name: str = "raw_day",
) -> dg.AssetsDefinition:
    """One partitioned multi-asset for every raw table of a day, with each table's checks.

    Any table may be materialized alone (e.g. from the UI): only the units it needs resolve the day.
    """
    units = UNITS if units is None else units
    ordered = sorted(tables, key=lambda t: (t.unit, t.order))
    specs = [
        dg.AssetSpec(
            key=raw_key(t.name),
            deps=[raw_key(d) for d in t.deps],
            description=t.description,
            group_name="raw",
            kinds={"python", "parquet"},
            owners=["team:atom"],
        )
        for t in ordered
    ]

    @dg.multi_asset(
        name=name,
        specs=specs,
        check_specs=[c for t in ordered for c in check_specs(t, partitions)],
        partitions_def=partitions,
        required_resource_keys={units[t.unit].resource_key for t in ordered} | {"raw_data"},
        description=(
            "Every raw table of the day, landed together: "
            + " ".join(units[u].description for u in dict.fromkeys(t.unit for t in ordered))
        ),
        can_subset=True,
    )
    def _land(context):
        selected = [t for t in ordered if raw_key(t.name) in context.selected_asset_keys]
        work = [
            (list(group), getattr(context.resources, units[unit].resource_key))
            for unit, group in groupby(selected, key=lambda t: t.unit)
        ]
        raw_root = as_location(context.resources.raw_data.raw_dir)  # a folder, or an s3:// URL
        yield from land_day(work, context.partition_key, raw_root, context.log)

    return _land
