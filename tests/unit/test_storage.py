"""Locations: a local folder stays a Path, an s3:// URL stays a string, and settings say which."""

from __future__ import annotations

from pathlib import Path

import pytest

from atom_dagster import storage
from atom_dagster.settings import load_settings


def test_urls_stay_strings_and_paths_stay_paths():
    assert storage.is_remote("s3://bucket/raw") and not storage.is_remote("/data/raw")
    assert not storage.is_remote(Path("s3:/bucket/raw")) and not storage.is_remote("s3-like/raw")
    assert storage.as_location("s3://bucket/raw") == "s3://bucket/raw"
    assert storage.as_location("/data/raw") == Path("/data/raw")
    assert (
        storage.join("s3://bucket/raw/", "t", "snapshot_date=2026-10-01")
        == "s3://bucket/raw/t/snapshot_date=2026-10-01"
    )
    assert storage.join(Path("/data/raw"), "t", "x.parquet") == Path("/data/raw/t/x.parquet")


def test_object_store_settings(tmp_path):
    env = {"ATOM_DATA_DIR": str(tmp_path)}
    local = load_settings(env)
    assert local.raw_url is None and local.raw_location == str(tmp_path.resolve() / "raw")
    assert "ATOM_RAW_URL" not in local.child_env({})
    remote = load_settings({**env, "ATOM_RAW_URL": " s3://bucket/atom/raw/ ", "ATOM_ARCHIVE_URL": "s3://b2"})
    assert (
        remote.raw_location == "s3://bucket/atom/raw"
        and remote.dbt_vars()["raw_dir"] == "s3://bucket/atom/raw"
    )
    assert remote.archive_url == "s3://b2" and remote.archive_dir == tmp_path.resolve() / "archive"
    child = remote.child_env({})
    assert child["ATOM_RAW_URL"] == "s3://bucket/atom/raw" and child["ATOM_ARCHIVE_URL"] == "s3://b2"


@pytest.mark.parametrize("value", ["/data/raw", "gs://bucket/raw", "s3://", "s3:///raw"])
def test_a_bad_url_names_the_variable(value):
    with pytest.raises(ValueError, match="ATOM_RAW_URL must be an object-store URL s3://bucket"):
        load_settings({"ATOM_RAW_URL": value})
