"""The shared end of every raw table's quality gate: a failed partition is dropped and explained."""

from pathlib import Path
from typing import Any

import dagster as dg

from atom_dagster.landing.raw_hub_models import discard
from atom_dagster.quality.raw_expectations import ValidationOutcome


def unreadable_partition(
    day: str, exc: Exception, check_name: str, asset_keys: tuple[dg.AssetKey | None, ...] = (None,)
) -> tuple[list[dg.AssetCheckResult], dg.Failure]:
    """A raw asset's source could not give the day: the failed check of each table, and the
    Failure to raise. Nothing was promoted; earlier partitions are untouched."""
    reason = str(exc).removeprefix(f"Partition {day}: ")  # most sources name the day themselves
    message = f"Partition {day}: {reason} Nothing was promoted; earlier partitions are untouched."
    checks = [
        dg.AssetCheckResult(
            asset_key=key,
            check_name=check_name,
            passed=False,
            metadata={"error": dg.MetadataValue.text(message)},
            description=message,
        )
        for key in asset_keys
    ]
    return checks, dg.Failure(description=message)


def reject_partition(
    outcome: ValidationOutcome,
    day: str,
    staged: Path,
    check_name: str,
    check_meta: dict[str, Any],
    log,
    asset_key: dg.AssetKey | None = None,
) -> tuple[dg.AssetCheckResult, str]:
    """Discard the staged file (the previous partition stays) and return the failed check + message."""
    discard(staged)
    message = outcome.describe(day)
    if asset_key is not None:  # several tables in one step: say which one failed
        message = message.replace("Partition", f"{asset_key.to_user_string()} partition", 1)
    log.error(message)
    check = dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=check_name,
        passed=False,
        metadata={**check_meta, "message": dg.MetadataValue.md(message)},
        description=message.splitlines()[0],
    )
    return check, message
