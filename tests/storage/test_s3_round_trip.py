"""The archive and the raw Parquet on S3: a local S3 server (moto), the real landing and dbt build.

The small test archive is published to ``s3://atom/archive`` (manifests last, as a capture on
another machine would), replayed from there through Dagster into ``s3://atom/raw``, and built
with dbt reading that raw Parquet through fsspec. The raw Parquet and the rows dbt reads must
equal the same landing on local folders. A landing killed in the middle of publishing leaves
every partition whole (old or new), and the next run ends identical.

The server is moto's, started by this module on 127.0.0.1 and a free port; the AWS_* variables
point botocore (s3fs, and dbt's DuckDB through the profile's filesystem) at it.
"""

from __future__ import annotations

import io
import logging
import multiprocessing
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

pytest.importorskip("s3fs", reason="the `s3` extra (s3fs) is not installed")
moto_server = pytest.importorskip("moto.server", reason="moto[server] is not installed")

from atom_dagster import storage  # noqa: E402
from atom_dagster.landing import write_audit_publish as wap  # noqa: E402
from atom_dagster.settings import Settings, load_settings  # noqa: E402
from tests.small_archive import DAYS, write_small_archive  # noqa: E402

BUCKET = "atom"
ARCHIVE_URL, RAW_URL = f"s3://{BUCKET}/archive", f"s3://{BUCKET}/raw"
FORK = multiprocessing.get_context("fork")
# Two days of the small archive: the second compares with the first (the collapse check reads the
# previous partition); more days would only add landing time.
WINDOW = DAYS[:2]
KILLED_DAY = WINDOW[-1]


@pytest.fixture(scope="module")
def s3() -> Iterator[str]:
    """A moto S3 server on 127.0.0.1 with an empty bucket; the AWS_* variables point at it."""
    import s3fs

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request in the test log
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    with pytest.MonkeyPatch.context() as env:
        for name, value in {
            "AWS_ENDPOINT_URL": f"http://{host}:{port}",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }.items():
            env.setenv(name, value)
        s3fs.S3FileSystem.clear_instance_cache()  # a cached client would keep another endpoint
        fs, _ = storage.filesystem(f"s3://{BUCKET}")
        fs.mkdir(BUCKET)
        yield f"http://{host}:{port}"
        s3fs.S3FileSystem.clear_instance_cache()
    server.stop()


def _settings(root: Path, remote: bool, raw_url: str = RAW_URL) -> Settings:
    env = {"ATOM_DATA_DIR": str(root / "data"), "ATOM_ARCHIVE_DIR": str(root / "archive")}
    if remote:
        env.update({"ATOM_ARCHIVE_URL": ARCHIVE_URL, "ATOM_RAW_URL": raw_url})
    return load_settings({**env, "ATOM_SOURCE": "archive"})


def _backfill(settings: Settings, days: list[str], build_dbt: bool = True) -> None:
    from atom_dagster.runner import backfill

    summary = backfill(settings, days, log=lambda _m: None, build_dbt=build_dbt)
    assert summary.failed == {}, summary.failed
    assert summary.dbt_succeeded or not build_dbt, summary.dbt_message


@pytest.fixture(scope="module")
def runs(s3, tmp_path_factory, dbt_manifest) -> dict[str, Settings]:
    """The small archive landed on local folders, and replayed from S3, landed on S3 and built.

    The local run lands only: a second dbt build would double the module's time (a build is most
    of it), and what dbt computes depends on the raw rows it reads, which are compared below.
    """
    root = tmp_path_factory.mktemp("s3")
    local = _settings(root / "local", remote=False)
    write_small_archive(local.archive_dir, WINDOW)
    for day in WINDOW:  # captured elsewhere and published: the S3 run's archive folder starts empty
        storage.publish_day(local.archive_dir / day, ARCHIVE_URL)
    remote = _settings(root / "remote", remote=True)
    _backfill(local, WINDOW, build_dbt=False)
    _backfill(remote, WINDOW)
    return {"local": local, "remote": remote}


def _objects(url: str) -> dict[str, bytes]:
    fs, root = storage.filesystem(url)
    return {rel: fs.cat_file(f"{root}/{rel}") for rel in storage.remote_files(url)}


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _raw_partitions(found: dict[str, bytes]) -> dict[str, bytes]:
    # What dbt's glob reads: <table>/snapshot_date=<day>/data.parquet (not .staging/, not .locks/).
    return {rel: body for rel, body in found.items() if not rel.startswith(".")}


def test_raw_parquet_lands_on_s3_byte_for_byte_as_on_disk(runs):
    local, remote = runs["local"], runs["remote"]
    on_s3, on_disk = _objects(RAW_URL), _raw_partitions(_files(local.raw_dir))
    assert len(on_disk) >= len(WINDOW) and set(on_disk) == set(on_s3)
    assert on_s3 == on_disk  # deterministic Parquet: the same bytes
    assert not remote.raw_dir.exists()  # nothing of the raw data on the S3 run's disk


def test_replay_reads_the_archive_days_published_on_s3(runs):
    local, remote = runs["local"], runs["remote"]
    for day in WINDOW:  # the S3 run's local copies are exactly the published days
        assert _files(remote.archive_dir / day) == _files(local.archive_dir / day), day


def test_atoms_own_readers_see_the_same_partitions_on_s3(runs):
    local = runs["local"]
    for table in ("hub_models", "hub_new_models"):
        assert wap.previous_partition_rows(RAW_URL, WINDOW[1], table) == wap.previous_partition_rows(
            local.raw_dir, WINDOW[1], table
        )
        assert wap.read_partition(RAW_URL, DAYS[1], table).equals(
            wap.read_partition(local.raw_dir, DAYS[1], table)
        )
    assert wap.read_partition(RAW_URL, "2020-01-01", "hub_models") is None


def _tables(settings: Settings) -> dict[str, list[tuple]]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        names = [
            f"{schema}.{name}"
            for schema, name in con.execute(
                "select table_schema, table_name from information_schema.tables"
                " where table_type = 'BASE TABLE' order by all"
            ).fetchall()
        ]
        return {name: con.execute(f"select * from {name} order by all").fetchall() for name in names}


def _source_rows(raw_root: str, table: str) -> list[tuple]:
    """A raw table as dbt's sources read it (dbt_project.yml `external_location`)."""
    con = duckdb.connect()
    storage.register_filesystem(con, raw_root)
    return con.execute(
        f"select * from read_parquet('{raw_root}/{table}/*/*.parquet', hive_partitioning = true,"
        " union_by_name = true) order by all"
    ).fetchall()


def test_dbt_builds_from_s3_reading_the_rows_a_local_build_reads(runs):
    from atom_dagster.definitions import warehouse_resource

    local, remote = runs["local"], runs["remote"]
    tables = sorted({rel.split("/")[0] for rel in _objects(RAW_URL)})
    assert "hub_models" in tables
    for table in tables:
        assert _source_rows(RAW_URL, table) == _source_rows(str(local.raw_dir), table), table
    marts = _tables(remote)  # built by the backfill's dbt run, from S3
    assert len(marts) > 10 and marts["main.dim_models"] and marts["main.fct_model_downloads_daily"]
    # Dagster's warehouse connections read the staging views (over S3) too, as the report does.
    with warehouse_resource(remote).get_connection() as con:
        staged = con.execute("select count(*) from stg_hub__models").fetchone()[0]
    assert staged == len(_source_rows(RAW_URL, "hub_models"))


# --- a killed publish -----------------------------------------------------------------------


def _land_and_die(settings: Settings, hook: str) -> None:
    """Child body: land KILLED_DAY through Dagster; with a hook, SIGKILL around the first publish."""
    real_copy = storage.copy

    def copy_then_die(source: str, target: str) -> None:
        if hook == "after_first_publish":
            real_copy(source, target)
        os.kill(os.getpid(), signal.SIGKILL)  # as the OOM killer would: no cleanup, no handler

    if hook != "none":
        storage.copy = copy_then_die
    _backfill(settings, [KILLED_DAY], build_dbt=False)


def _run_child(settings: Settings, hook: str) -> int | None:
    proc = FORK.Process(target=_land_and_die, args=(settings, hook))
    proc.start()
    proc.join(180)
    return proc.exitcode


def _visible(raw_url: str) -> dict[str, int]:
    """What a reader sees: each partition of the day read through DuckDB's glob (fsspec), its rows."""
    fs, _ = storage.filesystem(raw_url)
    con = duckdb.connect()
    con.register_filesystem(fs)
    rows = con.execute(
        f"select filename, count(*) from read_parquet('{raw_url}/*/snapshot_date={KILLED_DAY}/*.parquet',"
        " filename = true) group by all"
    ).fetchall()
    return {name.removeprefix(raw_url + "/"): count for name, count in rows}


@pytest.mark.parametrize("hook", ["before_first_publish", "after_first_publish"])
def test_a_killed_publish_leaves_whole_partitions_and_the_rerun_completes(runs, tmp_path, hook):
    new = {rel: body for rel, body in _objects(RAW_URL).items() if f"snapshot_date={KILLED_DAY}/" in rel}
    assert new
    # The previous good version of the day: the day before's partitions, at the day's keys.
    raw_url = f"s3://{BUCKET}/killed-{hook}/raw"
    for rel in new:
        storage.copy(f"{RAW_URL}/{rel.replace(KILLED_DAY, WINDOW[0])}", f"{raw_url}/{rel}")
    old = _objects(raw_url)
    settings = _settings(tmp_path, remote=True, raw_url=raw_url)
    from atom_dagster.runner import instance_for

    instance_for(settings)  # the instance's storage, created here rather than in the child

    assert _run_child(settings, hook) == -signal.SIGKILL
    after = _raw_partitions(_objects(raw_url))
    published = [rel for rel in new if after[rel] == new[rel]]
    assert set(after) == set(new)  # no staged object where readers look
    assert all(after[rel] in (old[rel], new[rel]) for rel in new)  # each partition whole: old or new
    assert len(published) == (1 if hook == "after_first_publish" else 0)
    assert _visible(raw_url) == {rel: _rows(after[rel]) for rel in new}  # readable, every row

    assert _run_child(settings, "none") == 0
    assert _objects(raw_url) == new  # identical to a clean run, staging cleaned up
    assert set(_visible(raw_url)) == set(new)


def _rows(parquet: bytes) -> int:
    return pq.ParquetFile(io.BytesIO(parquet)).metadata.num_rows


class Interrupted(Exception):
    """Stands for a publish killed at that call."""


def test_an_archive_day_is_published_manifest_last_and_never_read_half(s3, tmp_path):
    from atom_dagster.sources.archive import MANIFEST_NAME, open_day, sign_day

    day = write_small_archive(tmp_path / "archive", WINDOW[:1]) / WINDOW[0]
    url, reader = f"s3://{BUCKET}/publish", tmp_path / "reader"
    storage.publish_day(day, url)
    # Captured again, with one more page: re-published, and killed just before its manifest.
    (day / "hub/models/page-9.json").write_text("[]")
    sign_day(day, force=True)
    fs, _ = storage.filesystem(url)
    calls: list[str] = []
    put_file, rm_file = fs.put_file, fs.rm_file

    def put(local: str, target: str, **kwargs) -> None:
        if target.endswith(f"{WINDOW[0]}/{MANIFEST_NAME}"):
            raise Interrupted
        calls.append(f"put {target}")
        put_file(local, target, **kwargs)

    def remove(target: str, **kwargs) -> None:
        calls.append(f"rm {target}")
        rm_file(target, **kwargs)

    with pytest.MonkeyPatch.context() as patch, pytest.raises(Interrupted):
        patch.setattr(fs, "put_file", put)
        patch.setattr(fs, "rm_file", remove)
        storage.publish_day(day, url)
    assert calls[0] == f"rm {BUCKET}/publish/{WINDOW[0]}/{MANIFEST_NAME}"  # unpublished first
    assert f"put {BUCKET}/publish/{WINDOW[0]}/hub/models/page-9.json" in calls
    assert storage.fetch_day(url, WINDOW[0], reader) is None  # no manifest: not there for readers

    storage.publish_day(day, url)  # the next publish completes it
    fetched = storage.fetch_day(url, WINDOW[0], reader)
    assert fetched == reader / WINDOW[0] and _files(fetched) == _files(day)
    open_day(fetched)  # every file matches the manifest


def test_a_day_captured_into_the_local_archive_is_published_to_s3(s3, tmp_path):
    from atom_dagster.sources.hub_source import HubSnapshotSource

    archive = write_small_archive(tmp_path / "archive", WINDOW[:1])
    url = f"s3://{BUCKET}/captured"
    source = HubSnapshotSource(archive_dir=str(archive), archive_url=url)
    resolved = source.resolve_day(WINDOW[0], logging.getLogger(__name__))
    assert resolved.path == archive / WINDOW[0]
    assert _objects(f"{url}/{WINDOW[0]}") == _files(archive / WINDOW[0])
