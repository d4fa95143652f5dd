"""The warehouse file is published whole: dbt builds a copy, which replaces it only if the build passed.

Readers therefore see all of the previous build or all of the new one, never some marts of each; a
build that fails or is killed half-way leaves the warehouse as it was (its copy is dropped by the
next build). DuckDB keeps a write-ahead log beside a file (``<file>.wal``) until it checkpoints; a
copy takes it along, and publishing removes the old file's, which must never be replayed onto the
new one.

A run may build in several dbt steps (the unpartitioned models, the partitioned incremental model,
the marts over it): the copy belongs to the run that started it (its id is written beside it), the
run's later steps build into the same copy, and its last step publishes it.

On the Spark target (docs/spark.md) dbt writes its tables into a Spark folder of the run's own
(:func:`spark_build_dir`), and the copy becomes a catalog of DuckDB views over their Parquet
(:mod:`atom_dagster.spark_catalog`): publishing the copy publishes that folder. The folder the
published catalog reads, and the one before it (a reader may still hold the previous catalog), are
kept; a failed or killed build's folder goes with its copy.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from atom_dagster.landing.write_audit_publish import fsync_path


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _owner_file(warehouse: Path) -> Path:
    return Path(warehouse).with_name(Path(warehouse).name + ".build.run")


def build_events_path(warehouse: Path) -> Path:
    """dbt's results the run's first dbt step leaves for its later steps (they belong to the copy)."""
    return Path(warehouse).with_name(Path(warehouse).name + ".build.dbt_events.jsonl")


def _spark_root(warehouse: Path) -> Path:
    return Path(warehouse).with_name(Path(warehouse).name + ".spark")


def spark_build_dir(warehouse: Path, owner: str) -> Path:
    """The Spark folder (tables and metastore) of the build of run ``owner``, beside the warehouse."""
    return _spark_root(warehouse) / owner


# Written into a Spark build folder before its catalog is published: the folders to keep.
SPARK_PUBLISHED = "PUBLISHED"


def _spark_builds(warehouse: Path, published: bool | None = None) -> list[Path]:
    """The Spark build folders of ``warehouse`` (only the published or unpublished ones if
    ``published`` says so), newest first."""
    root = _spark_root(warehouse)
    folders = [p for p in root.iterdir() if p.is_dir()] if root.is_dir() else []
    if published is not None:
        folders = [p for p in folders if (p / SPARK_PUBLISHED).exists() == published]
    return sorted(folders, key=lambda p: p.stat().st_mtime, reverse=True)


def _drop_spark_builds(warehouse: Path, keep: set[Path]) -> None:
    for folder in _spark_builds(warehouse):
        if folder not in keep:
            shutil.rmtree(folder, ignore_errors=True)


def build_path(warehouse: Path) -> Path:
    """Where a build writes: beside the warehouse, so publishing is one rename on one filesystem."""
    return Path(warehouse).with_name(Path(warehouse).name + ".build")


def discard_build(warehouse: Path) -> None:
    """Drop a build's copy (a failed build, or one a killed run left behind)."""
    built = build_path(warehouse)
    for path in (built, _wal(built), _owner_file(warehouse), build_events_path(warehouse)):
        path.unlink(missing_ok=True)
    # Spark folders of builds never published (this one, or one a killed run left).
    _drop_spark_builds(warehouse, set(_spark_builds(warehouse, published=True)))


def build_owner(warehouse: Path) -> str | None:
    """The run id that owns the unpublished build copy, if there is one."""
    if not build_path(warehouse).exists():
        return None
    try:
        return _owner_file(warehouse).read_text().strip() or None
    except OSError:
        return None


def start_build(warehouse: Path, owner: str | None = None) -> Path:
    """A fresh copy of the warehouse (with its log) for dbt to build into; returns its path.

    ``owner`` (a run id) is recorded beside the copy, so the run's later dbt steps find it.
    """
    warehouse = Path(warehouse)
    warehouse.parent.mkdir(parents=True, exist_ok=True)  # DuckDB makes no folders
    discard_build(warehouse)
    built = build_path(warehouse)
    if warehouse.exists():
        shutil.copyfile(warehouse, built)
        if _wal(warehouse).exists():
            shutil.copyfile(_wal(warehouse), _wal(built))
    if owner:
        _owner_file(warehouse).write_text(owner)
    return built


def publish_build(warehouse: Path) -> Path:
    """Replace the warehouse by its finished build in one rename (readers see old or new)."""
    warehouse = Path(warehouse)
    built = build_path(warehouse)
    owner = build_owner(warehouse)
    spark = spark_build_dir(warehouse, owner) if owner else None
    if spark is not None and spark.is_dir():  # marked first: a crash after the rename keeps it
        (spark / SPARK_PUBLISHED).touch()
    fsync_path(built)
    if _wal(built).exists():  # not checkpointed (dbt closes cleanly, so rarely): it goes along
        os.replace(_wal(built), _wal(warehouse))
    else:
        _wal(warehouse).unlink(missing_ok=True)
    os.replace(built, warehouse)
    _owner_file(warehouse).unlink(missing_ok=True)
    build_events_path(warehouse).unlink(missing_ok=True)
    fsync_path(warehouse.parent)
    if spark is not None and spark.is_dir():  # this build's folder and the previously published one
        previous = [f for f in _spark_builds(warehouse, published=True) if f != spark]
        _drop_spark_builds(warehouse, {spark, *previous[:1]})
    return warehouse
