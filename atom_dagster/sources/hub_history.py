"""History source: past partitions from the public daily snapshots of ``cfahlgren1/hub-stats``.

The dataset keeps one ``models.parquet`` (every Hub model, 0.2-1.5 GB) that is rewritten about
daily, so each dataset commit is a dated snapshot of the whole Hub. For partition D:

1. list the dataset's commits (``HfApi.list_repo_commits``) and take the **last commit made on D**
   (UTC); with ``max_lag_days`` > 0 the last commit on or before D within that many days (the
   lag is recorded). No such commit: the partition is refused, never filled from another day;
2. ask for the file's own last change at that revision (``get_paths_info(expand=True)``): a
   commit that only rewrote another file of the dataset leaves an older ``models.parquet``,
   which must also be within the lag, or the partition is refused;
3. read the file's **schema first** - the Parquet footer (or the header line of the older
   ``models.csv``) - and classify it into an era (:func:`classify_schema`): the Parquet eras are
   read (before ``downloadsAllTime``, with the 30-day rolling ``downloads`` as the day's only
   download figure), the CSV era is refused with a one-line reason naming it, before any row is
   fetched;
4. read only the columns the parser uses, row group by row group, keeping the tracked
   organizations' models and (optionally) the models whose ``base_model:`` tags name a tracked
   parent (derivatives). By default the file is opened through ``HfFileSystem`` at the revision
   and only the footer and the needed column chunks are fetched with HTTP range requests
   (nothing is cached on disk); with ``keep_download`` (``ATOM_HISTORY_KEEP_DOWNLOADS=on``) the
   whole file is downloaded into the huggingface_hub cache instead (verified against the listed
   sha256, kept for other reads). Memory is bounded by one row group's needed columns plus one
   output chunk, not by the file;
5. write the kept rows as Hub JSON objects into the snapshot archive,
   ``<archive>/<D>/hub/models/history-NNNN.jsonl.gz``, through :class:`ArchiveWriter`
   (``source="history"``), so the parser, the quality gate and dbt handle them like any archived
   day. ``MANIFEST.json`` records repository, commit, file, how it was read (bytes fetched, or the
   downloaded file's sha256), the era, and the columns present and missing.

Steps 1-2 (which file at which revision serves day D) are the one hub-stats-specific part: a
:data:`SnapshotLocator` (here :func:`locate_hub_stats_day`; the weekly copy's folders in
``hub_weekly.locate_weekly_day``) returns a :class:`DaySnapshot`, and steps 3-5 are shared.

The repository is configurable (``ATOM_HISTORY_REPO``) for a copy with the same layout; every
failed Hub call is turned into a :class:`HistoryUnavailable` that says what failed and what to do
(:class:`HistoryDatasetUnavailable` when the dataset itself is gone, private, gated or disabled:
the case ``ATOM_HISTORY_FALLBACK`` answers).

Honesty rules: a column missing from a snapshot is written as ``null`` and named in the manifest
with the reason, never inferred (hub-stats never had a top-level ``gated``: it stays null, not
false). ``id`` and the era's download counter are required (``downloadsAllTime``; before it
existed, ``downloads``): a snapshot without them is refused. When a row's ``_id`` is empty the row is keyed
``id:<repo id>``, a documented surrogate that dbt (intermediate layer) replaces by the real
``_id`` another captured day saw for the same repo id (``int_hub__models_keyed.model_uid_origin``),
so history and live series join.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pyarrow.parquet as pq
from huggingface_hub import HfApi, HfFileSystem, hf_hub_download
from huggingface_hub.errors import (
    DisabledRepoError,
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    LocalEntryNotFoundError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from atom_dagster.settings import HISTORY_HUB_STATS, HISTORY_REPO_DEFAULT
from atom_dagster.sources.archive import HUB_MODELS_DIR, ArchiveWriter, sha256_file
from atom_dagster.sources.errors import SourceUnavailable
from atom_dagster.sources.hub_history_eras import (
    ERA_WITH_ALL_TIME,
    ERA_WITHOUT_ALL_TIME,
    ROLLING_30D_ERAS,
    SchemaEra,
    classify_schema,
)
from atom_dagster.sources.hub_history_rows import DEFAULT_BATCH_SIZE, StreamStats, stream_kept_objects, utc

HUB_STATS_REPO = HISTORY_REPO_DEFAULT  # ATOM_HISTORY_REPO may name a copy with the same layout
HUB_STATS_FILE = "models.parquet"
LEGACY_CSV_FILE = "models.csv"  # what the first commits hold instead: only its header is read
CSV_HEADER_BYTES = 64 * 1024  # one range request: the header line of models.csv
HISTORY_SOURCE = "history"
PROGRESS_EVERY_BATCHES = 10  # a progress line every 500,000 rows read
ROWS_PER_FILE = 50_000


class HistoryUnavailable(SourceUnavailable):
    """The history source cannot serve the partition; the message says why and what to do."""


class HistoryDatasetUnavailable(HistoryUnavailable):
    """The dataset itself cannot be read (gone, private, gated, disabled), not just one day."""


@dataclass(frozen=True)
class SnapshotCommit:
    commit_id: str
    created_at: datetime
    title: str = ""


@dataclass(frozen=True)
class FileInfo:
    size: int | None
    sha256: str | None  # the LFS pointer's sha256: what the downloaded bytes must hash to
    last_changed_at: datetime | None
    last_commit: str | None
    path: str = HUB_STATS_FILE  # models.parquet, or models.csv at a commit of the first era


@dataclass(frozen=True)
class DaySnapshot:
    """Which file serves a partition, as a :data:`SnapshotLocator` chose it."""

    source: str  # the history source that chose it: "hub-stats" or "weekly" (manifest `history.source`)
    commit: SnapshotCommit  # the revision read
    info: FileInfo  # the file at that revision (``info.path``: what is opened)
    snapshot_of: date  # the day the file shows
    lag_days: int  # partition day - ``snapshot_of``
    provenance: dict[str, Any] = field(default_factory=dict)  # source-specific manifest fields


# (client, partition day, max lag days) -> the day's snapshot, or HistoryUnavailable saying why.
SnapshotLocator = Callable[[Any, str, int], DaySnapshot]
_T = TypeVar("_T")


class RemoteFile:
    """A read-only, seekable view of a file on the Hub whose every read is one HTTP range request
    (an ``HfFileSystem`` file with fsspec's read-ahead cache off, so only what pyarrow asks for is
    fetched). Counts the bytes and requests; a failed read is explained (``explain``)."""

    def __init__(
        self, handle: Any, explain: Callable[[Callable[[], Any]], Any], size: int | None = None
    ) -> None:
        self._handle = handle
        self._explain = explain
        self.size: int = handle.size if size is None else size
        self.bytes_fetched = 0
        self.requests = 0

    def read(self, nbytes: int = -1) -> bytes:
        data = self._explain(lambda: self._handle.read(nbytes))
        self.bytes_fetched += len(data)
        self.requests += 1
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._handle.seek(offset, whence)

    def tell(self) -> int:
        return self._handle.tell()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    @property
    def closed(self) -> bool:
        return self._handle.closed

    def close(self) -> None:
        self._handle.close()


@dataclass
class HistoryResult:
    day: str
    day_dir: Path
    commit: SnapshotCommit
    rows_read: int
    rows_kept: int
    own_models: int
    derivatives: int
    missing_columns: dict[str, str] = field(default_factory=dict)
    surrogate_ids: int = 0
    repo_id: str = HUB_STATS_REPO
    source: str = HISTORY_HUB_STATS
    snapshot_of: date | None = None
    lag_days: int = 0

    @property
    def detail(self) -> str:
        lag = f", snapshot of {self.snapshot_of} ({self.lag_days} d before)" if self.lag_days else ""
        return (
            f"{self.source} history: {self.repo_id}@{self.commit.commit_id[:12]} "
            f"({self.commit.created_at:%Y-%m-%d %H:%M} UTC){lag}, {self.rows_kept} of {self.rows_read} models"
            f" kept ({self.own_models} tracked, {self.derivatives} derivatives)"
        )


# --- commits --------------------------------------------------------------------------------


def pick_commit(
    commits: list[SnapshotCommit], day: str, max_lag_days: int = 0, repo_id: str = HUB_STATS_REPO
) -> SnapshotCommit:
    """The last commit made on ``day`` (UTC), else the last within ``max_lag_days`` before it."""
    target = date.fromisoformat(day)
    earliest = target - timedelta(days=max(0, max_lag_days))
    candidates = [c for c in commits if earliest <= utc(c.created_at).date() <= target]
    if not candidates:
        before = max((c for c in commits if utc(c.created_at).date() < earliest), key=_when, default=None)
        after = min((c for c in commits if utc(c.created_at).date() > target), key=_when, default=None)
        near = ", ".join(
            f"{label} {utc(c.created_at):%Y-%m-%d %H:%M} UTC ({c.commit_id[:12]})"
            for label, c in (("previous", before), ("next", after))
            if c is not None
        )
        lag = f" or the {max_lag_days} day(s) before it" if max_lag_days else ""
        if not commits:
            raise HistoryUnavailable(f"Partition {day}: {repo_id} lists no commits at all.")
        if before is None and after is not None:
            raise HistoryUnavailable(
                f"Partition {day}: {repo_id}'s history starts on {utc(after.created_at):%Y-%m-%d} "
                f"(first commit {after.commit_id[:12]}); days before it cannot be rebuilt from this dataset."
                " Start the backfill on or after that day."
            )
        raise HistoryUnavailable(
            f"Partition {day}: {repo_id} has no commit on {day}{lag} (nearest: {near or 'none'}). "
            "The day is not filled from another day; allow a lag with ATOM_HISTORY_MAX_LAG_DAYS, or "
            "leave the day out (a gap in the series, which the daily-delta logic spans)."
        )
    return max(candidates, key=_when)


def _when(commit: SnapshotCommit) -> datetime:
    return utc(commit.created_at)


class HubStatsClient:
    """The Hub calls the history source makes (one place to stub them in tests): commits,
    paths-info, range reads of a file at a revision, and the whole-file download.

    Every Hub failure becomes a :class:`HistoryUnavailable` that says what failed and what to do:
    a dataset that is gone or private, a gated or disabled one, a missing file or revision, a Hub
    error or an unreachable endpoint.
    """

    # What to do when the dataset is gone (ends explain_hub_error's sentence for such failures).
    mirror_hint = (
        "Set ATOM_HISTORY_REPO to a copy of the dataset with the same layout (one models.parquet"
        " rewritten per commit), fall back to the weekly copy (ATOM_HISTORY_FALLBACK=weekly), or"
        " replay an archive that has the days (ATOM_ARCHIVE_DIR)."
    )

    def __init__(
        self,
        repo_id: str = HUB_STATS_REPO,
        endpoint: str | None = None,
        token: str | None = None,
        cache_dir: str | None = None,
    ) -> None:
        self.repo_id = repo_id
        self.endpoint = endpoint
        self.token = token
        self.cache_dir = cache_dir
        self.api = HfApi(endpoint=endpoint, token=token)

    def list_commits(self, covering: str | None = None) -> list[SnapshotCommit]:
        """The dataset's commits, listed once per process while the listing covers ``covering``
        (it was made after that day ended). A failed listing is remembered for a few minutes, so
        the next days of a backfill fail at once instead of each waiting through the Hub's retries,
        while a long-running process (the schedule) asks again later."""
        return self.remembered_listing(_COMMITS, "listing the commits of", covering, self._list_commits)

    def _list_commits(self) -> list[SnapshotCommit]:
        return [
            SnapshotCommit(c.commit_id, c.created_at, c.title or "")
            for c in self.api.list_repo_commits(self.repo_id, repo_type="dataset")
        ]

    def remembered_listing(
        self,
        store: dict[tuple[str, str], tuple[datetime, _T]],
        what: str,
        covering: str | None,
        fetch: Callable[[], _T],
    ) -> _T:
        """``fetch()`` once per process and repository while its answer covers ``covering`` (it was
        made after that day ended), kept in ``store``; a failure is remembered for
        :data:`FAILURE_MEMORY_SECONDS` and raised again at once, with its class."""
        key = (self.api.endpoint, self.repo_id)
        failed = _UNAVAILABLE.get(key)
        if failed is not None and time.monotonic() - failed[0] < FAILURE_MEMORY_SECONDS:
            raise failed[2](
                f"{failed[1]} (Same failure as for an earlier day of this run: not retried;"
                " re-run when it is fixed, landed days replay from the archive.)"
            )
        needed_after = (
            datetime.combine(date.fromisoformat(covering), datetime.min.time(), UTC) + timedelta(days=1)
            if covering
            else None
        )
        try:
            return self._call(what, lambda: _cached(store, key, needed_after, fetch))
        except HistoryUnavailable as exc:
            _UNAVAILABLE[key] = (time.monotonic(), str(exc), type(exc))
            raise

    def file_info(self, revision: str, filename: str, legacy: str | None = LEGACY_CSV_FILE) -> FileInfo:
        """Size, LFS sha256 and last change of ``filename`` as of ``revision`` (``paths-info``).

        The older CSV export (``legacy``) is asked for too: a commit that has only ``models.csv``
        gives that file's info (``path``), so its era is named from its header instead of a
        missing file.
        """
        paths = [filename, legacy] if legacy not in (None, filename) else [filename]
        infos = self._call(
            f"reading the file list at {revision[:12]} of",
            lambda: self.api.get_paths_info(
                self.repo_id, paths, expand=True, revision=revision, repo_type="dataset"
            ),
        )
        by_path = {getattr(i, "path", None): i for i in infos}
        info = by_path.get(filename, by_path.get(legacy))
        if info is None:
            nor = f" (nor {legacy})" if legacy else ""
            raise HistoryUnavailable(f"{self.repo_id}@{revision[:12]} has no {filename}{nor}.")
        last = getattr(info, "last_commit", None)
        lfs = getattr(info, "lfs", None)
        return FileInfo(
            size=getattr(info, "size", None),
            sha256=lfs.sha256 if lfs is not None else None,
            last_changed_at=last.date if last is not None else None,
            last_commit=last.oid if last is not None else None,
            path=info.path,
        )

    @contextlib.contextmanager
    def open_remote(self, revision: str, filename: str, size: int | None = None) -> Iterator[RemoteFile]:
        """``filename`` at ``revision`` as a :class:`RemoteFile` (``HfFileSystem``, range requests;
        ``size``, when listed, spares a lookup). Nothing is written to disk."""
        what = f"reading {filename} at {revision[:12]} from"
        # A fresh file system per day: HfFileSystem caches instances and listings process-wide.
        fs = HfFileSystem(endpoint=self.endpoint, token=self.token, skip_instance_cache=True)
        path = f"datasets/{self.repo_id}@{revision}/{filename}"
        handle = self._call(what, lambda: fs.open(path, "rb", cache_type="none", size=size))
        try:
            yield RemoteFile(handle, lambda call: self._call(what, call))
        finally:
            handle.close()

    def read_header(self, revision: str, filename: str, size: int | None = None) -> list[str]:
        """The column names of a CSV file at ``revision``, from its first line (one range request)."""
        with self.open_remote(revision, filename, size) as remote:
            head = remote.read(min(CSV_HEADER_BYTES, remote.size))
        line = head.split(b"\n", 1)[0].decode("utf-8-sig", "replace").rstrip("\r")
        return next(csv.reader([line]), [])

    def download(self, revision: str, filename: str) -> Path:
        return Path(
            self._call(
                f"downloading {filename} at {revision[:12]} from",
                lambda: hf_hub_download(
                    self.repo_id,
                    filename,
                    repo_type="dataset",
                    revision=revision,
                    endpoint=self.endpoint,
                    token=self.token,
                    cache_dir=self.cache_dir,
                ),
            )
        )

    def _call(self, what: str, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except HistoryUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - every Hub failure is explained, then re-raised
            kind = HistoryDatasetUnavailable if dataset_unavailable(exc) else HistoryUnavailable
            explained = explain_hub_error(exc, f"{what} {self.repo_id}", self.repo_id, self.mirror_hint)
            raise kind(explained) from exc


def dataset_unavailable(exc: BaseException) -> bool:
    """Whether a failed Hub call says the dataset itself is gone, private, gated or disabled
    (``HfFileSystem`` wraps these in a FileNotFoundError ``from`` the Hub's error)."""
    unavailable = (RepositoryNotFoundError, GatedRepoError, DisabledRepoError)
    return isinstance(exc, unavailable) or (
        isinstance(exc, FileNotFoundError) and isinstance(exc.__cause__, unavailable)
    )


def explain_hub_error(
    exc: Exception, doing: str, repo_id: str, mirror: str = HubStatsClient.mirror_hint
) -> str:
    """A user-facing sentence for a failed Hub call of the history source (pure)."""
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if isinstance(exc, LocalEntryNotFoundError):
        return (
            f"{doing} needs the Hub, which cannot be reached (offline, or HF_HUB_OFFLINE=1) and the file is"
            " not in the huggingface_hub cache. Check the network, or replay an archive (ATOM_ARCHIVE_DIR)."
        )
    if isinstance(exc, FileNotFoundError):  # after LocalEntryNotFoundError, a subclass
        # HfFileSystem turns a missing repository or revision into FileNotFoundError `from` the
        # Hub's own error: explain that one; without it, the file is not in the listing.
        cause = exc.__cause__
        if isinstance(cause, HfHubHTTPError):
            return explain_hub_error(cause, doing, repo_id, mirror)
        return f"The file is not in {repo_id} at that commit ({doing}); the day is refused, not filled."
    if isinstance(exc, GatedRepoError):
        return (
            f"The history dataset {repo_id} is gated: {doing} needs a token of an account that accepted"
            " its conditions (HF_TOKEN)."
        )
    if isinstance(exc, RepositoryNotFoundError):
        return (
            f"The history dataset {repo_id} was not found ({status or 404}) while {doing}: it may have been"
            " taken down, renamed or made private, or HF_ENDPOINT points elsewhere. " + mirror
        )
    if isinstance(exc, DisabledRepoError):
        return f"The history dataset {repo_id} is disabled on the Hub ({doing} refused). " + mirror
    if isinstance(exc, RevisionNotFoundError):
        return (
            f"A commit of {repo_id} listed a moment ago is gone ({doing}): the dataset's history was"
            " rewritten. Re-run; days already landed replay from the archive. " + mirror
        )
    if isinstance(exc, EntryNotFoundError | RemoteEntryNotFoundError):
        return f"The file is not in {repo_id} at that commit ({doing}); the day is refused, not filled."
    if isinstance(exc, HfHubHTTPError):
        hint = (
            "the Hub is rate limiting: wait, set HF_TOKEN for higher limits, then re-run"
            if status == 429
            else "re-run later; days already landed replay from the archive"
        )
        return f"The Hub answered {status or 'an error'} while {doing}: {hint}. ({_first_line(exc)})"
    if isinstance(exc, OSError | ConnectionError | TimeoutError) or "Connect" in type(exc).__name__:
        return (
            f"Could not reach the Hub while {doing} ({type(exc).__name__}: {_first_line(exc)}). Check the"
            " network or HF_ENDPOINT; with no network, replay an archive instead (ATOM_ARCHIVE_DIR)."
        )
    return f"{doing} failed: {type(exc).__name__}: {_first_line(exc)}"


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


# Past commits never change: one listing per process and repository serves a whole backfill,
# as long as it was made after the requested day ended (else a newer listing is fetched).
_COMMITS: dict[tuple[str, str], tuple[datetime, list[SnapshotCommit]]] = {}
# A listing that failed (dataset gone, gated, Hub unreachable): when, its message and its class.
_UNAVAILABLE: dict[tuple[str, str], tuple[float, str, type[HistoryUnavailable]]] = {}
FAILURE_MEMORY_SECONDS = 900.0


def _cached(
    store: dict[tuple[str, str], tuple[datetime, _T]],
    key: tuple[str, str],
    needed_after: datetime | None,
    fetch: Callable[[], _T],
) -> _T:
    cached = store.get(key)
    if cached is None or (needed_after is not None and cached[0] < needed_after):
        listed_at = datetime.now(UTC)
        cached = store[key] = (listed_at, fetch())
    return cached[1]


def clear_commit_cache() -> None:
    _COMMITS.clear()
    _UNAVAILABLE.clear()


# --- streaming filter -----------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
# --- one day ---------------------------------------------------------------------------------


def _progress_logger(day: str, total_rows: int, log: Callable[[str], None]) -> Callable[[StreamStats], None]:
    def report(done: StreamStats) -> None:
        if done.batches % PROGRESS_EVERY_BATCHES == 0:
            log(f"history {day}: {done.rows_read:,} of {total_rows:,} rows read, {done.rows_kept:,} kept")

    return report


def _write_chunks(
    writer: ArchiveWriter, objects: Iterable[dict[str, Any]], rows_per_file: int, request: dict[str, Any]
) -> None:
    """``history-NNNN.jsonl.gz`` files of ``rows_per_file`` objects (gzip: a history day keeps up to
    hundreds of thousands of rows, ~850 B each as JSON); one empty file for a day with no kept rows
    (the parser then names the empty day)."""
    chunk: list[dict[str, Any]] = []
    files = 0

    def flush() -> None:
        nonlocal files
        files += 1
        writer.write_jsonl(
            f"{HUB_MODELS_DIR}/history-{files:04d}.jsonl.gz", chunk, request={**request, "models": len(chunk)}
        )
        chunk.clear()

    for obj in objects:
        chunk.append(obj)
        if len(chunk) >= rows_per_file:
            flush()
    if chunk or files == 0:
        flush()


def refuse_unreadable(
    era: SchemaEra, day: str, commit: SnapshotCommit, file: str, repo_id: str = HUB_STATS_REPO
) -> None:
    """Raise the day's one-line refusal when the file's era cannot give the day's numbers."""
    if era.refusal is not None:
        raise HistoryUnavailable(
            f"Partition {day}: {repo_id}@{commit.commit_id[:12]} ({utc(commit.created_at):%Y-%m-%d}) {file}"
            f" is of {era.refusal}. This snapshot cannot give the day's numbers and nothing is invented for"
            f" it; history is read from the Parquet eras ({ERA_WITHOUT_ALL_TIME}, estimated;"
            f" {ERA_WITH_ALL_TIME} from 2025-02-26)."
        )


def locate_hub_stats_day(client: HubStatsClient, day: str, max_lag_days: int = 0) -> DaySnapshot:
    """hub-stats' snapshot of ``day``: the commit :func:`pick_commit` chooses, whose
    ``models.parquet`` (or first-era ``models.csv``) must itself have changed within the lag."""
    repo = client.repo_id
    commit = pick_commit(client.list_commits(day), day, max_lag_days, repo)
    info = client.file_info(commit.commit_id, HUB_STATS_FILE)
    changed_at = info.last_changed_at
    lag = (date.fromisoformat(day) - utc(commit.created_at).date()).days
    if changed_at is not None:
        file_lag = (date.fromisoformat(day) - utc(changed_at).date()).days
        if file_lag > max_lag_days:
            raise HistoryUnavailable(
                f"Partition {day}: at {repo}@{commit.commit_id[:12]} {info.path} was last rewritten on "
                f"{utc(changed_at):%Y-%m-%d} ({file_lag} day(s) before {day}); the commit of {day} changed"
                " other files only. Not used as this day's snapshot (allow a lag: ATOM_HISTORY_MAX_LAG_DAYS)."
            )
    snapshot_of = utc(changed_at or commit.created_at).date()
    return DaySnapshot(
        HISTORY_HUB_STATS,
        commit,
        info,
        snapshot_of,
        (date.fromisoformat(day) - snapshot_of).days,
        {"commit_lag_days": lag},
    )


def capture_history_day(
    archive_root: Path,
    day: str,
    orgs: list[str],
    *,
    client: HubStatsClient | None = None,
    locate: SnapshotLocator = locate_hub_stats_day,
    max_lag_days: int = 0,
    derivatives: bool = True,
    batch_size: int = DEFAULT_BATCH_SIZE,
    rows_per_file: int = ROWS_PER_FILE,
    log: Callable[[str], None] = print,
    today: date | None = None,
    keep_download: bool = False,
    provenance: dict[str, Any] | None = None,
) -> HistoryResult:
    """Write partition ``day`` into ``archive_root/<day>/`` from the snapshot ``locate`` picks
    (default: hub-stats' snapshot of that day); ``provenance`` adds fields to the manifest.

    The file's footer (or CSV header) is read first and its era decides whether the day can be
    read at all. Then only the needed columns are fetched by range requests, nothing cached; with
    ``keep_download`` the whole file is downloaded into the huggingface_hub cache (verified
    against the listed sha256) and kept there.
    """
    today = today or datetime.now(UTC).date()
    if date.fromisoformat(day) >= today:
        raise HistoryUnavailable(
            f"Partition {day}: the history source serves past days only; {day} has not ended (UTC)."
        )
    client = client or HubStatsClient()
    repo = client.repo_id
    snapshot = locate(client, day, max_lag_days)
    commit, info, file = snapshot.commit, snapshot.info, snapshot.info.path
    changed_at = info.last_changed_at
    at = f"{utc(commit.created_at):%Y-%m-%d %H:%M} UTC"
    log(f"history {day}: {repo}@{commit.commit_id[:12]} ({at}) {file}")
    if file.endswith(".csv"):  # the first era's models.csv: its header names the era
        names = client.read_header(commit.commit_id, file, info.size)
        refuse_unreadable(classify_schema(names, "csv"), day, commit, file, repo)
    with client.open_remote(commit.commit_id, file, info.size) as remote:
        # The footer only (one or two range requests): the era is decided before any row is read.
        parquet = pq.ParquetFile(remote)
        era = classify_schema(parquet.schema_arrow.names)
        refuse_unreadable(era, day, commit, file, repo)
        if keep_download:
            path = client.download(commit.commit_id, file)
            file_sha: str | None = sha256_file(path)
            if info.sha256 and info.sha256 != file_sha:
                raise HistoryUnavailable(
                    f"Partition {day}: the downloaded {path} has sha256 {file_sha[:12]}, but {repo}@"
                    f"{commit.commit_id[:12]} lists {info.sha256[:12]} for {file}; not used."
                    " Delete the cached copy (huggingface_hub cache) and retry."
                )
            parquet = pq.ParquetFile(path)
            read_how = f"downloaded {path} (sha256 {file_sha[:12]}, kept: ATOM_HISTORY_KEEP_DOWNLOADS=on)"
        else:
            file_sha = None  # not computed: only parts of the file are fetched
            read_how = f"{len(era.present)} columns by range requests"
        log(
            f"history {day}: streaming {file} ({remote.size / 1e6:.1f} MB, era {era.era},"
            f" {parquet.num_row_groups} row groups): {read_how}"
        )
        stats = StreamStats()
        kept = stream_kept_objects(
            parquet,
            orgs,
            derivatives=derivatives,
            batch_size=batch_size,
            stats=stats,
            progress=_progress_logger(day, parquet.metadata.num_rows, log),
        )
        writer = ArchiveWriter(archive_root, day, source=HISTORY_SOURCE)
        endpoint = "hf_hub_download" if keep_download else "HfFileSystem range reads"
        _write_chunks(
            writer, kept, rows_per_file, {"endpoint": endpoint, "repo": repo, "revision": commit.commit_id}
        )
        history = {
            "source": snapshot.source,  # which history source served the day (and `repository`)
            "repository": repo,
            "repo_type": "dataset",
            "commit": commit.commit_id,
            "commit_created_at": utc(commit.created_at).isoformat(),
            "commit_title": commit.title,
            "snapshot_of": snapshot.snapshot_of.isoformat(),
            "lag_days": snapshot.lag_days,
            "max_lag_days": max_lag_days,
            **snapshot.provenance,
            **(provenance or {}),
            "file": file,
            "file_last_changed_at": utc(changed_at).isoformat() if changed_at else None,
            "file_last_commit": info.last_commit,
            "file_sha256": file_sha,
            "file_bytes": remote.size,
            "file_listed_bytes": info.size,
            "file_listed_sha256": info.sha256,
            "read": "download" if keep_download else "columns",
            # Range reads of the file (footer, and the needed column chunks unless downloaded).
            "bytes_fetched": remote.bytes_fetched + (remote.size if keep_download else 0),
            "range_requests": remote.requests,
            "era": era.era,
            # What the day's download numbers are: the cumulative counter, or (before it existed)
            # the 30-day rolling count the marts estimate monthly downloads from.
            "downloads_basis": "estimated_rolling_30d" if era.era in ROLLING_30D_ERAS else "all_time",
            "columns_read": era.present,
            "columns_missing": era.missing,
            "surrogate_ids": stats.surrogate_ids,
            "organizations": sorted(set(orgs)),
            "derivatives_included": derivatives,
            "rows_read": stats.rows_read,
            "rows_kept": stats.rows_kept,
            "own_models": stats.own_models,
            "derivatives": stats.derivatives,
            "row_groups": stats.row_groups,
            "batches": stats.batches,
            "batch_size": batch_size,
        }
    final = writer.finish(extra={"history": history})
    result = HistoryResult(
        day=day,
        day_dir=final,
        commit=commit,
        rows_read=stats.rows_read,
        rows_kept=stats.rows_kept,
        own_models=stats.own_models,
        derivatives=stats.derivatives,
        missing_columns=era.missing,
        surrogate_ids=stats.surrogate_ids,
        repo_id=repo,
        source=snapshot.source,
        snapshot_of=snapshot.snapshot_of,
        lag_days=snapshot.lag_days,
    )
    log(f"history {day}: {result.detail} -> {final}")
    return result
