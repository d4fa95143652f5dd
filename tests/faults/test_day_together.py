"""A day's raw tables are promoted together or not at all.

Before: the Hub and OpenRouter tables of a day landed in separate steps, so when one failed its gate
the other might already have been replaced while the CLI said the day failed; raw data and
warehouse then disagreed.
"""

from __future__ import annotations

import json

from atom_dagster.landing import write_audit_publish as wap
from atom_dagster.runner import backfill
from atom_dagster.settings import load_settings
from atom_dagster.sources.archive import ArchiveWriter
from tests.small_archive import DAYS, write_small_archive

GOOD = {"id": "qwen/qwen3-8b", "canonical_slug": "qwen/qwen3-8b", "hugging_face_id": "Qwen/Qwen3-8B"}


def _openrouter_models(archive, day: str, models: list[dict]) -> None:
    writer = ArchiveWriter(archive, day, source="archive", unit="openrouter")
    writer.write_body("models.json", json.dumps({"data": models}).encode(), {"endpoint": "/api/v1/models"})
    writer.finish()


def test_one_failing_table_keeps_every_table_of_its_day_out_then_the_fixed_day_lands_whole(tmp_path):
    archive = write_small_archive(tmp_path / "archive")
    bad_day = DAYS[1]
    _openrouter_models(archive, bad_day, [GOOD, {"name": "a model without an id"}])
    settings = load_settings(
        {"ATOM_DATA_DIR": str(tmp_path / "data"), "ATOM_ARCHIVE_DIR": str(archive), "ATOM_SOURCE": "archive"}
    )
    summary = backfill(settings, DAYS, log=lambda _m: None)

    assert list(summary.failed) == [bad_day] and summary.dbt_succeeded
    message = summary.failed[bad_day]
    assert "raw/openrouter_models: Partition" in message and "missing `id`" in message
    assert "Not promoted either" in message and "raw/hub_models" in message
    # Nothing of the bad day landed, in any table; the other days did.
    for table in ("hub_models", "openrouter_models"):
        assert not wap.partition_dir(settings.raw_dir, bad_day, table).exists(), table
    assert all(wap.partition_dir(settings.raw_dir, d, "hub_models").exists() for d in DAYS if d != bad_day)

    _openrouter_models(archive, bad_day, [GOOD])
    # Landing only: the build after a landed day is the first backfill's (asserted above).
    again = backfill(settings, [bad_day], log=lambda _m: None, build_dbt=False)
    assert again.landed == [bad_day] and not again.failed, again.failed
    assert wap.read_partition(settings.raw_dir, bad_day, "openrouter_models")["model_slug"].tolist() == [
        "qwen/qwen3-8b"
    ]
    assert wap.partition_dir(settings.raw_dir, bad_day, "hub_models").exists()
