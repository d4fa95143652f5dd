"""Where atom keeps files: a local folder, or an object store prefix (``s3://bucket/prefix``).

A *location* is a :class:`~pathlib.Path` (local: the code that owns it keeps its renames and
fsyncs) or a URL string (remote: read and written through fsspec, here s3fs). URLs stay strings
because ``Path("s3://b/k")`` silently becomes ``s3:/b/k``.

Object stores have no rename, so what a reader may see is published differently:

* raw Parquet (:mod:`atom_dagster.landing.write_audit_publish`): a partition is one object, and
  an object appears whole or not at all (a PUT, or a server-side copy from the staging prefix,
  which is the publish);
* archive days (:func:`publish_day`, :func:`fetch_day`): many objects, published by the day's
  ``MANIFEST.json``, uploaded last. A day without one is not there for readers.

Credentials and the endpoint come from the standard AWS variables (``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_ENDPOINT_URL``, ``AWS_DEFAULT_REGION``), read by botocore: they are
never settings of atom, never in a file of the project, never logged.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from atom_dagster.sources.archive import MANIFEST_NAME, PROGRESS_JOURNAL, PROGRESS_NAME

Location = Path | str
REMOTE_SCHEMES = ("s3",)
# Capture bookkeeping of a local day: never published.
UNPUBLISHED = (PROGRESS_NAME, PROGRESS_JOURNAL)


def is_remote(location: Location) -> bool:
    """True for an object-store URL (``s3://...``), False for a local path."""
    return isinstance(location, str) and location.split("://", 1)[0] in REMOTE_SCHEMES and "://" in location


def parse_url(value: str, name: str) -> str:
    """``value`` checked as ``s3://bucket[/prefix]`` (no trailing slash); ValueError names ``name``."""
    url = value.strip().rstrip("/")
    bucket = url.removeprefix("s3://").split("/", 1)[0]
    if not url.startswith("s3://") or not bucket:
        raise ValueError(f"{name} must be an object-store URL s3://bucket[/prefix]; got {value!r}.")
    return url


def as_location(value: str | Path) -> Location:
    """A configured path as a location: URLs stay strings, anything else is a local Path."""
    return value if is_remote(value) else Path(value)


def join(location: Location, *parts: str) -> Location:
    """``location / part / ...`` for either kind of location."""
    if is_remote(location):
        return "/".join([str(location).rstrip("/"), *parts])
    return Path(location).joinpath(*parts)


def filesystem(url: str) -> tuple[Any, str]:
    """The fsspec filesystem of ``url`` and the path it takes (``bucket/key``).

    Listings are not cached: a landing or a replay must see what another process published a
    moment ago. s3fs reads ranges with ``If-Match`` on the ETag it first saw, so an object
    replaced mid-read fails the read instead of mixing two versions.
    """
    from fsspec.core import url_to_fs  # optional: the `s3` extra (s3fs) is needed only for URLs

    return url_to_fs(url, use_listings_cache=False)


def register_filesystem(con: Any, location: Location) -> None:
    """Let the DuckDB connection ``con`` read ``location`` when it is a URL (through fsspec: the
    httpfs extension is not needed); nothing for a local path."""
    if is_remote(location):
        con.register_filesystem(filesystem(str(location))[0])


def exists(location: Location) -> bool:
    if not is_remote(location):
        return Path(location).exists()
    fs, path = filesystem(str(location))
    return fs.exists(path)


@contextmanager
def open_binary(location: Location) -> Iterator[IO[bytes]]:
    """``location`` opened for reading bytes (pyarrow reads Parquet from it)."""
    if not is_remote(location):
        with open(location, "rb") as fh:
            yield fh
        return
    fs, path = filesystem(str(location))
    with fs.open(path, "rb") as fh:
        yield fh


def glob(location: Location, pattern: str) -> list[Location]:
    """Files under ``location`` matching ``pattern`` (``a/*/b``), sorted."""
    if not is_remote(location):
        return sorted(Path(location).glob(pattern))
    fs, path = filesystem(str(location))
    scheme = str(location).split("://", 1)[0]
    return sorted(f"{scheme}://{found}" for found in fs.glob(f"{path}/{pattern}"))


def put_file(local: Path, url: str) -> None:
    """Upload one local file as the object ``url``: the object appears complete or not at all (a
    single PUT, or a multipart upload that exists only once completed)."""
    fs, path = filesystem(url)
    fs.put_file(str(local), path)


def copy(source: str, target: str) -> None:
    """Server-side copy of one object: readers of ``target`` see the old object or the new one."""
    fs, path = filesystem(source)
    fs.copy(path, filesystem(target)[1])


def remove_tree(url: str) -> None:
    """Delete every object under ``url`` (nothing there is fine)."""
    fs, path = filesystem(url)
    if fs.exists(path):
        fs.rm(path, recursive=True)


# --- archive days on an object store ----------------------------------------------------------


def _local_files(folder: Path) -> list[str]:
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.relative_to(folder).as_posix() not in UNPUBLISHED
    )


def _manifests_last(files: list[str]) -> list[str]:
    # Data first, then the units' manifests, then the day's own: a manifest is the publish marker,
    # so it may only appear once everything it signs is there.
    return sorted(files, key=lambda rel: (rel.endswith(MANIFEST_NAME), rel == MANIFEST_NAME, rel))


def remote_files(url: str) -> list[str]:
    """Relative paths of every object under ``url`` (empty when there is none)."""
    fs, path = filesystem(url)
    if not fs.exists(path):
        return []
    return sorted(found[len(path) + 1 :] for found in fs.find(path))


def publish_day(local_day: Path, archive_url: str) -> str:
    """Publish a finished local archive day as ``<archive_url>/<day>/``, manifests last; return its URL.

    A day already there is first unpublished (its manifests deleted, so no reader pairs the old
    manifest with new files), its objects no longer in the day removed, then the new files
    uploaded and the manifests last. A publish killed at any point leaves a day that readers
    (:func:`fetch_day`) refuse or do not see, never one they take for complete; running it again
    completes it.
    """
    target = f"{archive_url}/{local_day.name}"
    fs, root = filesystem(target)
    files = _local_files(local_day)
    existing = remote_files(target)
    for rel in sorted((r for r in existing if r.endswith(MANIFEST_NAME)), key=lambda r: r != MANIFEST_NAME):
        fs.rm_file(f"{root}/{rel}")  # the day's own manifest first: from here the day is not published
    stale = [f"{root}/{rel}" for rel in existing if rel not in files and not rel.endswith(MANIFEST_NAME)]
    if stale:
        fs.rm(stale)
    for rel in _manifests_last(files):
        fs.put_file(str(local_day / rel), f"{root}/{rel}")
    return target


def _published_manifests(files: list[str]) -> list[str]:
    """The manifests that make a remote day visible: the day's own, or (a day holding only units,
    e.g. OpenRouter captured before the Hub) a unit's."""
    return [rel for rel in files if rel == MANIFEST_NAME or rel.endswith("/" + MANIFEST_NAME)]


def fetch_day(archive_url: str, day: str, local_root: Path) -> Path | None:
    """Copy the published day ``<archive_url>/<day>/`` to ``<local_root>/<day>/``; None if not published.

    The local copy is what replays read (their :func:`~atom_dagster.sources.archive.open_day`
    checks every file against its manifest, so a day caught mid-publish is refused, never read
    half). A local copy whose manifests equal the remote ones is kept, not downloaded again. A new
    copy is downloaded beside the day and swapped in with renames.
    """
    source = f"{archive_url}/{day}"
    files = remote_files(source)
    manifests = _published_manifests(files)
    if not manifests:
        return None
    fs, root = filesystem(source)
    target = Path(local_root) / day
    if all(
        (target / rel).is_file() and (target / rel).read_bytes() == fs.cat_file(f"{root}/{rel}")
        for rel in manifests
    ):
        return target
    incoming, old = target.with_name(f".{day}.fetch"), target.with_name(f".{day}.old")
    for leftover in (incoming, old):
        shutil.rmtree(leftover, ignore_errors=True)
    for rel in files:
        (incoming / rel).parent.mkdir(parents=True, exist_ok=True)
        fs.get_file(f"{root}/{rel}", str(incoming / rel))
    if target.exists():
        target.rename(old)
    incoming.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    return target


def _manifest_bytes(local_day: Path) -> dict[str, bytes]:
    return {rel: (local_day / rel).read_bytes() for rel in _published_manifests(_local_files(local_day))}


def _remote_manifest_bytes(url: str) -> dict[str, bytes]:
    fs, root = filesystem(url)
    return {rel: fs.cat_file(f"{root}/{rel}") for rel in _published_manifests(remote_files(url))}


@contextmanager
def synced_day(archive_url: str | None, archive_dir: Path, day: str, log: Any = None) -> Iterator[None]:
    """Around a source resolving ``day`` when the archive is on an object store (``archive_url``):
    first the published day is copied into ``archive_dir`` (what replays read), then a day the
    source captured there (its manifests differ from the published ones) is published.

    Without ``archive_url`` nothing happens. A failing resolve publishes nothing.
    """
    if archive_url is None:
        yield
        return
    if fetch_day(archive_url, day, archive_dir) is not None and log is not None:
        log.info(f"Archive day {day}: local copy of {archive_url}/{day} in {archive_dir / day}")
    yield
    local = archive_dir / day
    captured = _manifest_bytes(local) if local.is_dir() else {}
    if captured and captured != _remote_manifest_bytes(f"{archive_url}/{day}"):
        target = publish_day(local, archive_url)
        if log is not None:
            log.info(f"Archive day {day}: published to {target} (manifests last)")
