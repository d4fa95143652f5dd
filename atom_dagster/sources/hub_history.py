"""History source: past partitions from the public daily snapshots of ``cfahlgren1/hub-stats``.

The dataset keeps one ``models.parquet`` (every Hub model, ~350 MB) that is rewritten every day,
so each dataset commit is a dated snapshot of the whole Hub. For partition D:

1. list the dataset's commits (``HfApi.list_repo_commits``) and take the **last commit made on D**
   (UTC); with ``max_lag_days`` > 0 the last commit on or before D within that many days (the
   lag is recorded). No such commit: the partition is refused, never filled from another day;
2. ask for the file's own last change at that revision (``get_paths_info(expand=True)``): a
   commit that only rewrote another file of the dataset leaves an older ``models.parquet``,
   which must also be within the lag, or the partition is refused;
3. download the file at that revision (``hf_hub_download``: cached, resumable, verified by
   huggingface_hub) and stream it row group by row group (``ParquetFile.iter_batches``) with only
   the columns the parser uses, keeping the tracked organizations' models and (optionally) the
   models whose ``base_model:`` tags name a tracked parent (derivatives). Memory is bounded by
   one batch plus one output chunk, not by the file;
4. write the kept rows as Hub JSON objects into the snapshot archive,
   ``<archive>/<D>/hub/models/history-NNNN.jsonl``, through :class:`ArchiveWriter`
   (``source="history"``), so the parser, the quality gate and dbt handle them like any archived
   day. ``MANIFEST.json`` records repository, commit, file, the downloaded file's sha256 and
   size, and the columns present and missing;
5. delete the downloaded file from the huggingface_hub cache (unless asked to keep it): every
   revision is a new ~1.5 GB blob, and the archive now holds every row the pipeline uses.

The repository is configurable (``ATOM_HISTORY_REPO``) for a copy with the same layout; every
failed Hub call is turned into a :class:`HistoryUnavailable` that says what failed and what to do.

Honesty rules: a column missing from an older snapshot is written as ``null`` and named in the
manifest with the reason, never inferred. ``downloadsAllTime`` and ``id`` are required (the
marts are built on the cumulative counter): a snapshot without them is refused. When the file
has no ``_id`` (or a row's is empty) the row is keyed ``id:<repo id>``, a documented surrogate
that dbt (intermediate layer) replaces by the real ``_id`` another captured day saw for the same repo id
(``int_hub__models_keyed.model_uid_origin``), so history and live series join.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from huggingface_hub import HfApi, hf_hub_download
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

from atom_dagster.landing.parse import LINEAGE_RELATIONS
from atom_dagster.settings import HISTORY_REPO_DEFAULT
from atom_dagster.sources.archive import HUB_MODELS_DIR, ArchiveWriter, sha256_file
from atom_dagster.sources.errors import SourceUnavailable

HUB_STATS_REPO = HISTORY_REPO_DEFAULT  # ATOM_HISTORY_REPO may name a copy with the same layout
HUB_STATS_FILE = "models.parquet"
LEGACY_CSV_FILE = "models.csv"  # what older commits reportedly hold instead (not read; see file_info)
HISTORY_SOURCE = "history"
SURROGATE_PREFIX = "id:"
DEFAULT_BATCH_SIZE = 50_000
PROGRESS_EVERY_BATCHES = 10  # a progress line every 500,000 rows read
ROWS_PER_FILE = 50_000

# Hub JSON field -> the column names it has had in hub-stats (first present wins). Only these are
# read: `cardData`, `siblings`, `config` and friends are large and unused by the parser.
FIELDS: dict[str, tuple[str, ...]] = {
    "_id": ("_id",),
    "id": ("id", "modelId"),
    "author": ("author",),
    "downloads": ("downloads",),
    "downloadsAllTime": ("downloadsAllTime",),
    "likes": ("likes",),
    "trendingScore": ("trendingScore",),
    "createdAt": ("createdAt", "created_at"),
    "lastModified": ("lastModified", "last_modified"),
    "tags": ("tags",),
    "pipeline_tag": ("pipeline_tag",),
    "library_name": ("library_name",),
    "gated": ("gated",),
    "safetensors": ("safetensors",),
    "gguf": ("gguf",),
    "baseModels": ("baseModels",),
}
REQUIRED = {
    "id": "the model's repo id",
    "downloadsAllTime": "the cumulative download counter the daily-downloads marts are built on",
}
# Nested objects some exports store as JSON text.
_JSON_FIELDS = ("safetensors", "gguf", "baseModels", "tags")


class HistoryUnavailable(SourceUnavailable):
    """The history source cannot serve the partition; the message says why and what to do."""


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

    @property
    def detail(self) -> str:
        return (
            f"hub-stats history: {self.repo_id}@{self.commit.commit_id[:12]} "
            f"({self.commit.created_at:%Y-%m-%d %H:%M} UTC), {self.rows_kept} of {self.rows_read} models kept"
            f" ({self.own_models} tracked, {self.derivatives} derivatives)"
        )


# --- commits --------------------------------------------------------------------------------


def pick_commit(
    commits: list[SnapshotCommit], day: str, max_lag_days: int = 0, repo_id: str = HUB_STATS_REPO
) -> SnapshotCommit:
    """The last commit made on ``day`` (UTC), else the last within ``max_lag_days`` before it."""
    target = date.fromisoformat(day)
    earliest = target - timedelta(days=max(0, max_lag_days))
    candidates = [c for c in commits if earliest <= _utc(c.created_at).date() <= target]
    if not candidates:
        before = max((c for c in commits if _utc(c.created_at).date() < earliest), key=_when, default=None)
        after = min((c for c in commits if _utc(c.created_at).date() > target), key=_when, default=None)
        near = ", ".join(
            f"{label} {_utc(c.created_at):%Y-%m-%d %H:%M} UTC ({c.commit_id[:12]})"
            for label, c in (("previous", before), ("next", after))
            if c is not None
        )
        lag = f" or the {max_lag_days} day(s) before it" if max_lag_days else ""
        if not commits:
            raise HistoryUnavailable(f"Partition {day}: {repo_id} lists no commits at all.")
        if before is None and after is not None:
            raise HistoryUnavailable(
                f"Partition {day}: {repo_id}'s history starts on {_utc(after.created_at):%Y-%m-%d} "
                f"(first commit {after.commit_id[:12]}); days before it cannot be rebuilt from this dataset."
                " Start the backfill on or after that day."
            )
        raise HistoryUnavailable(
            f"Partition {day}: {repo_id} has no commit on {day}{lag} (nearest: {near or 'none'}). "
            "The day is not filled from another day; allow a lag with ATOM_HISTORY_MAX_LAG_DAYS, or "
            "leave the day out (a gap in the series, which the daily-delta logic spans)."
        )
    return max(candidates, key=_when)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _when(commit: SnapshotCommit) -> datetime:
    return _utc(commit.created_at)


class HubStatsClient:
    """The three Hub calls the history source makes (one place to stub them in tests).

    Every Hub failure becomes a :class:`HistoryUnavailable` that says what failed and what to do:
    a dataset that is gone or private, a gated or disabled one, a missing file or revision, a Hub
    error or an unreachable endpoint.
    """

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
        key = (self.api.endpoint, self.repo_id)
        failed = _UNAVAILABLE.get(key)
        if failed is not None and time.monotonic() - failed[0] < FAILURE_MEMORY_SECONDS:
            raise HistoryUnavailable(
                f"{failed[1]} (Same failure as for an earlier day of this run: not retried;"
                " re-run when it is fixed, landed days replay from the archive.)"
            )
        needed_after = (
            datetime.combine(date.fromisoformat(covering), datetime.min.time(), UTC) + timedelta(days=1)
            if covering
            else None
        )
        try:
            return self._call(
                "listing the commits of", lambda: _cached_commits(self.api, self.repo_id, needed_after)
            )
        except HistoryUnavailable as exc:
            _UNAVAILABLE[key] = (time.monotonic(), str(exc))
            raise

    def file_info(self, revision: str, filename: str) -> FileInfo:
        """Size, LFS sha256 and last change of ``filename`` as of ``revision`` (``paths-info``).

        The older CSV export is asked for too, so a commit that has only ``models.csv`` is named
        as such instead of as a missing file.
        """
        paths = [filename, LEGACY_CSV_FILE] if filename != LEGACY_CSV_FILE else [filename]
        infos = self._call(
            f"reading the file list at {revision[:12]} of",
            lambda: self.api.get_paths_info(
                self.repo_id, paths, expand=True, revision=revision, repo_type="dataset"
            ),
        )
        by_path = {getattr(i, "path", None): i for i in infos}
        if filename not in by_path:
            older = (
                f" It holds {LEGACY_CSV_FILE}, an older CSV export this source does not read (its columns"
                " and types are not documented); the day is refused rather than guessed."
                if LEGACY_CSV_FILE in by_path
                else ""
            )
            raise HistoryUnavailable(f"{self.repo_id}@{revision[:12]} has no {filename}.{older}")
        info = by_path[filename]
        last = getattr(info, "last_commit", None)
        lfs = getattr(info, "lfs", None)
        return FileInfo(
            size=getattr(info, "size", None),
            sha256=lfs.sha256 if lfs is not None else None,
            last_changed_at=last.date if last is not None else None,
            last_commit=last.oid if last is not None else None,
        )

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

    def release(self, path: Path) -> int:
        """Delete a downloaded revision's file from the huggingface_hub cache; bytes freed.

        Every revision is a new ~1.5 GB blob, so a long backfill would otherwise keep one per day
        (hundreds of GB). Only a file inside the cache's own layout (``snapshots/<rev>/`` linking to
        ``blobs/``) is touched; anything else is left alone and 0 is returned.
        """
        return release_cached_file(path)

    def _call(self, what: str, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except HistoryUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - every Hub failure is explained, then re-raised
            raise HistoryUnavailable(explain_hub_error(exc, f"{what} {self.repo_id}", self.repo_id)) from exc


def release_cached_file(path: Path) -> int:
    """Remove ``snapshots/<rev>/<file>`` and the blob it links to, if ``path`` is laid out so."""
    path = Path(path)
    snapshot_dir = path.parent
    if snapshot_dir.parent.name != "snapshots" or not path.is_symlink():
        return 0
    blob = path.resolve()
    if blob.parent.name != "blobs" or blob.parent.parent != snapshot_dir.parent.parent:
        return 0
    freed = blob.stat().st_size if blob.exists() else 0
    blob.unlink(missing_ok=True)
    path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        snapshot_dir.rmdir()  # only when empty
    return freed


def explain_hub_error(exc: Exception, doing: str, repo_id: str) -> str:
    """A user-facing sentence for a failed Hub call of the history source (pure)."""
    mirror = (
        "Set ATOM_HISTORY_REPO to a copy of the dataset with the same layout (one models.parquet"
        " rewritten per commit), or replay an archive that has the days (ATOM_ARCHIVE_DIR)."
    )
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if isinstance(exc, LocalEntryNotFoundError):
        return (
            f"{doing} needs the Hub, which cannot be reached (offline, or HF_HUB_OFFLINE=1) and the file is"
            " not in the huggingface_hub cache. Check the network, or replay an archive (ATOM_ARCHIVE_DIR)."
        )
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
# A listing that failed (dataset gone, gated, Hub unreachable): when, and its message.
_UNAVAILABLE: dict[tuple[str, str], tuple[float, str]] = {}
FAILURE_MEMORY_SECONDS = 900.0


def _cached_commits(api: HfApi, repo_id: str, needed_after: datetime | None = None) -> list[SnapshotCommit]:
    key = (api.endpoint, repo_id)
    cached = _COMMITS.get(key)
    if cached is None or (needed_after is not None and cached[0] < needed_after):
        listed_at = datetime.now(UTC)
        commits = [
            SnapshotCommit(c.commit_id, c.created_at, c.title or "")
            for c in api.list_repo_commits(repo_id, repo_type="dataset")
        ]
        cached = _COMMITS[key] = (listed_at, commits)
    return cached[1]


def clear_commit_cache() -> None:
    _COMMITS.clear()
    _UNAVAILABLE.clear()


# --- streaming filter -----------------------------------------------------------------------


def resolve_columns(schema: pa.Schema) -> tuple[dict[str, str], dict[str, str]]:
    """(Hub field -> column read, Hub field -> reason it is missing) for a file's schema."""
    present: dict[str, str] = {}
    missing: dict[str, str] = {}
    names = set(schema.names)
    for hub_field, candidates in FIELDS.items():
        found = next((c for c in candidates if c in names), None)
        if found is not None:
            present[hub_field] = found
        elif hub_field == "_id":
            missing[hub_field] = (
                "no `_id` column in this snapshot: rows are keyed `id:<repo id>` (a surrogate; a rename"
                " across such days starts a new series)"
            )
        else:
            missing[hub_field] = (
                "column absent from this snapshot (older schema): written as null, never inferred"
            )
    return present, missing


@functools.lru_cache(maxsize=64)
def _derivative_pattern(orgs: tuple[str, ...], in_text: bool = False) -> str:
    """A tag naming a tracked parent; ``in_text``: such a tag quoted inside a JSON-text list."""
    relations = "|".join(LINEAGE_RELATIONS)
    names = "|".join(re.escape(o) for o in orgs)
    start = "[\"']" if in_text else "^"
    return rf"{start}base_model:(?:(?:{relations}):)?(?:{names})/"


def keep_mask(
    batch: pa.RecordBatch, id_col: str, tags_col: str | None, orgs: tuple[str, ...], derivatives: bool
) -> tuple[pa.Array, pa.Array]:
    """(mask, own) for a batch: rows of tracked namespaces, plus tracked-parent derivatives."""
    ids = batch.column(id_col)
    namespace = pc.list_element(pc.split_pattern(ids, "/", max_splits=1), 0)
    own = pc.fill_null(pc.is_in(namespace, value_set=pa.array(orgs, pa.string())), False)
    mask = own
    if derivatives and tags_col is not None and orgs:
        tags = batch.column(tags_col)
        if pa.types.is_string(tags.type) or pa.types.is_large_string(tags.type):
            # Some exports store the tag list as JSON text: match the quoted tag inside it.
            derived = pc.fill_null(pc.match_substring_regex(tags, _derivative_pattern(orgs, True)), False)
        else:
            flat = pc.list_flatten(tags)
            parents = pc.list_parent_indices(tags)
            hits = pc.fill_null(pc.match_substring_regex(flat, _derivative_pattern(orgs)), False)
            rows = pc.unique(pc.filter(parents, hits))
            derived = pc.is_in(pa.array(range(batch.num_rows), pa.int64()), value_set=rows.cast(pa.int64()))
        mask = pc.or_(own, derived)
    return mask, own


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return _utc(value).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return value


def _jsonable(value: Any) -> Any:
    """Arrow's Python values as JSON: maps (lists of pairs) stay lists, datetimes become ISO text."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list) and value and all(isinstance(v, tuple) and len(v) == 2 for v in value):
        return {str(k): _jsonable(v) for k, v in value}  # an Arrow map, e.g. safetensors.parameters
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return _iso(value) if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None  # a float export's missing value: null, not the invalid JSON `NaN`
    return value


def to_hub_object(row: dict[str, Any], present: dict[str, str]) -> tuple[dict[str, Any], bool]:
    """One hub-stats row -> the object shape of ``GET /api/models`` (missing fields are null).

    Returns the object and whether its ``_id`` is the ``id:<repo id>`` surrogate.
    """
    obj: dict[str, Any] = {}
    for hub_field in FIELDS:
        column = present.get(hub_field)
        value = row.get(column) if column is not None else None
        if hub_field in _JSON_FIELDS and isinstance(value, str):
            # Left as read when it is not JSON: the parser ignores what it cannot use.
            with contextlib.suppress(json.JSONDecodeError):
                value = json.loads(value)
        obj[hub_field] = _jsonable(value)
    surrogate = not (isinstance(obj["_id"], str) and obj["_id"].strip())
    if surrogate:
        obj["_id"] = f"{SURROGATE_PREFIX}{obj['id']}"
    return obj, surrogate


@dataclass
class StreamStats:
    rows_read: int = 0
    rows_kept: int = 0
    own_models: int = 0
    derivatives: int = 0
    surrogate_ids: int = 0
    row_groups: int = 0
    batches: int = 0


def stream_kept_objects(
    path: Path,
    orgs: list[str],
    *,
    derivatives: bool = True,
    batch_size: int = DEFAULT_BATCH_SIZE,
    stats: StreamStats | None = None,
    progress: Callable[[StreamStats], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """Hub objects of the kept rows of a hub-stats ``models.parquet``, streamed batch by batch
    (``progress`` is called with the running counts after each batch's rows are yielded)."""
    stats = StreamStats() if stats is None else stats
    parquet = pq.ParquetFile(path)
    present, _missing = resolve_columns(parquet.schema_arrow)
    stats.row_groups = parquet.num_row_groups
    org_key = tuple(sorted(set(orgs)))
    columns = sorted(set(present.values()))
    for batch in parquet.iter_batches(batch_size=batch_size, columns=columns):
        stats.batches += 1
        stats.rows_read += batch.num_rows
        mask, own = keep_mask(batch, present["id"], present.get("tags"), org_key, derivatives)
        kept = batch.filter(mask)
        n_own = pc.sum(pc.cast(pc.filter(own, mask), pa.int64())).as_py() or 0
        stats.rows_kept += kept.num_rows
        stats.own_models += n_own
        stats.derivatives += kept.num_rows - n_own
        for row in kept.to_pylist():
            obj, surrogate = to_hub_object(row, present)
            stats.surrogate_ids += surrogate
            yield obj
        if progress is not None:
            progress(stats)


# --- one day ---------------------------------------------------------------------------------


def _lines(objects: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(o, sort_keys=True, separators=(",", ":")) + "\n" for o in objects).encode()


def check_required(
    path: Path, day: str, commit: SnapshotCommit, repo_id: str = HUB_STATS_REPO
) -> tuple[dict[str, str], dict[str, str]]:
    present, missing = resolve_columns(pq.ParquetFile(path).schema_arrow)
    lacking = [f for f in REQUIRED if f not in present]
    if lacking:
        why = "; ".join(f"`{f}` ({REQUIRED[f]})" for f in lacking)
        raise HistoryUnavailable(
            f"Partition {day}: {repo_id}@{commit.commit_id[:12]} ({commit.created_at:%Y-%m-%d}) "
            f"{HUB_STATS_FILE} has no {why}. This snapshot cannot give the day's numbers and nothing is"
            " invented for it; start the history after the dataset gained the column."
        )
    return present, missing


def capture_history_day(
    archive_root: Path,
    day: str,
    orgs: list[str],
    *,
    client: HubStatsClient | None = None,
    max_lag_days: int = 0,
    derivatives: bool = True,
    batch_size: int = DEFAULT_BATCH_SIZE,
    rows_per_file: int = ROWS_PER_FILE,
    log: Callable[[str], None] = print,
    today: date | None = None,
    keep_download: bool = False,
) -> HistoryResult:
    """Write partition ``day`` into ``archive_root/<day>/`` from the hub-stats snapshot of that day.

    Once the day is archived, the downloaded file is deleted from the huggingface_hub cache unless
    ``keep_download`` (the archive holds every row the pipeline uses; a re-run replays it).
    """
    today = today or datetime.now(UTC).date()
    if date.fromisoformat(day) >= today:
        raise HistoryUnavailable(
            f"Partition {day}: the history source serves past days only; {day} has not ended (UTC)."
        )
    client = client or HubStatsClient()
    repo = client.repo_id
    commit = pick_commit(client.list_commits(day), day, max_lag_days, repo)
    info = client.file_info(commit.commit_id, HUB_STATS_FILE)
    changed_at = info.last_changed_at
    lag = (date.fromisoformat(day) - _utc(commit.created_at).date()).days
    if changed_at is not None:
        file_lag = (date.fromisoformat(day) - _utc(changed_at).date()).days
        if file_lag > max_lag_days:
            raise HistoryUnavailable(
                f"Partition {day}: at {repo}@{commit.commit_id[:12]} {HUB_STATS_FILE} was last rewritten on "
                f"{_utc(changed_at):%Y-%m-%d} ({file_lag} day(s) before {day}); the commit of {day} changed"
                " other files only. Not used as this day's snapshot (allow a lag: ATOM_HISTORY_MAX_LAG_DAYS)."
            )
    log(f"history {day}: {repo}@{commit.commit_id[:12]} ({_utc(commit.created_at):%Y-%m-%d %H:%M} UTC)")
    path = client.download(commit.commit_id, HUB_STATS_FILE)
    present, missing = check_required(path, day, commit, repo)
    file_sha = sha256_file(path)
    file_bytes = path.stat().st_size
    if info.sha256 and info.sha256 != file_sha:
        raise HistoryUnavailable(
            f"Partition {day}: the downloaded {path} has sha256 {file_sha[:12]}, but {repo}@"
            f"{commit.commit_id[:12]} lists {info.sha256[:12]} for {HUB_STATS_FILE}; not used. Delete the"
            " cached copy (huggingface_hub cache) and retry."
        )
    log(f"history {day}: streaming {path.name} ({file_bytes / 1e6:.1f} MB, sha256 {file_sha[:12]})")

    writer = ArchiveWriter(archive_root, day, source=HISTORY_SOURCE)
    stats = StreamStats()
    chunk: list[dict[str, Any]] = []
    files = 0

    def flush() -> None:
        nonlocal files
        files += 1
        writer.write_body(
            f"{HUB_MODELS_DIR}/history-{files:04d}.jsonl",
            _lines(chunk),
            request={
                "endpoint": "hf_hub_download",
                "repo": repo,
                "revision": commit.commit_id,
                "file": HUB_STATS_FILE,
                "models": len(chunk),
            },
        )
        chunk.clear()

    total_rows = pq.ParquetFile(path).metadata.num_rows

    def report(done: StreamStats) -> None:
        if done.batches % PROGRESS_EVERY_BATCHES == 0:
            log(f"history {day}: {done.rows_read:,} of {total_rows:,} rows read, {done.rows_kept:,} kept")

    kept = stream_kept_objects(
        path, orgs, derivatives=derivatives, batch_size=batch_size, stats=stats, progress=report
    )
    for obj in kept:
        chunk.append(obj)
        if len(chunk) >= rows_per_file:
            flush()
    if chunk or files == 0:
        flush()  # an empty file for a day with no kept rows: the parser then names the empty day
    final = writer.finish(
        extra={
            "history": {
                "repository": repo,
                "repo_type": "dataset",
                "commit": commit.commit_id,
                "commit_created_at": _utc(commit.created_at).isoformat(),
                "commit_title": commit.title,
                "commit_lag_days": lag,
                "file": HUB_STATS_FILE,
                "file_last_changed_at": _utc(changed_at).isoformat() if changed_at else None,
                "file_last_commit": info.last_commit,
                "file_sha256": file_sha,
                "file_bytes": file_bytes,
                "file_listed_bytes": info.size,
                "file_listed_sha256": info.sha256,
                "columns_read": present,
                "columns_missing": missing,
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
        }
    )
    result = HistoryResult(
        day=day,
        day_dir=final,
        commit=commit,
        rows_read=stats.rows_read,
        rows_kept=stats.rows_kept,
        own_models=stats.own_models,
        derivatives=stats.derivatives,
        missing_columns=missing,
        surrogate_ids=stats.surrogate_ids,
        repo_id=repo,
    )
    log(f"history {day}: {result.detail} -> {final}")
    release = getattr(client, "release", None)
    if not keep_download and release is not None:
        freed = release(path)
        if freed:
            log(
                f"history {day}: deleted the downloaded {HUB_STATS_FILE} ({freed / 1e6:.0f} MB) from the"
                " huggingface_hub cache (ATOM_HISTORY_KEEP_DOWNLOADS=on keeps it)"
            )
    return result
