"""The snapshot archive: the one format live captures write and replays read.

Layout of one day (see README, "Snapshot archive")::

    <archive>/<YYYY-MM-DD>/hub/models/*.json[.gz]        a JSON array, as GET /api/models returns it
    <archive>/<YYYY-MM-DD>/hub/models/*.jsonl[.gz]       one model object per line
    <archive>/<YYYY-MM-DD>/hub/model_info/*.jsonl[.gz]   GET /api/models/{id} objects, one per line
    <archive>/<YYYY-MM-DD>/hub/new_models/page-NNNNN.json  GET /api/models?sort=createdAt (new models)
    <archive>/<YYYY-MM-DD>/openrouter/models.json        body of GET /api/v1/models
    <archive>/<YYYY-MM-DD>/MANIFEST.json                 requests, status, sha256 of every file

A day is written into ``<day>.partial/`` and renamed into place only when complete, so a
crashed capture never looks like a finished day. A resumable writer (``resume_key``) also keeps
``<day>.partial/PROGRESS.jsonl`` -- one line per body written (file, sha256, the request), appended
-- and ``<day>.partial/PROGRESS.json`` -- the caller's cursor and how many journal lines it covers,
rewritten at every checkpoint -- so a killed capture continues where it stopped, and a checkpoint
costs the same on the 2,000th page as on the first.

Every reader opens a day through :func:`open_day`: a day lands only when it is signed (the rules
are in its docstring). A day assembled by hand is signed with :func:`sign_day`
(``atom archive sign DAY_DIR``), which records that it was signed after the fact.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

MANIFEST_NAME = "MANIFEST.json"
PROGRESS_NAME = "PROGRESS.json"
PROGRESS_JOURNAL = "PROGRESS.jsonl"  # append-only: one line per body written by a resumable writer
FORMAT_VERSION = "atom-snapshot/1"
PROGRESS_FORMAT = "atom-capture-progress/2"
HUB_MODELS_DIR = "hub/models"
HUB_MODEL_INFO_DIR = "hub/model_info"
HUB_NEW_MODELS_DIR = "hub/new_models"  # the whole Hub's models created on the day (newest first)
SIGN_COMMAND = "atom archive sign"


class ArchiveError(ValueError):
    """A file of the archive cannot be read as the format says; the message names the file."""


@dataclass(frozen=True)
class ArchiveRecord:
    """One JSON object read from the archive, with where it came from (for error messages)."""

    file: str  # path relative to the day directory
    position: int  # 1-based line (jsonl) or array index + 1 (json)
    obj: Any


def day_dir(archive_root: Path, day: str) -> Path:
    """Directory of one archived day."""
    return Path(archive_root) / day


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _write_atomically(target: Path, body: bytes, durable: bool) -> None:
    """Write ``target`` through a temporary file and one rename: readers see old or new, never half."""
    tmp = target.with_name(target.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(body)
        if durable:  # survive a power cut too, not only a killed process
            fh.flush()
            os.fsync(fh.fileno())
    tmp.replace(target)


def _journal_lines(entries: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(e, sort_keys=True, separators=(",", ":")) + "\n" for e in entries).encode()


def _read_journal(path: Path, covered: int) -> list[dict[str, Any]] | None:
    """The first ``covered`` entries of a progress journal (lines after them were written after the
    last checkpoint and are ignored); None when the journal is missing, short or unreadable."""
    entries: list[dict[str, Any]] = []
    try:
        with open(path, "rb") as fh:
            for line in fh:
                if len(entries) == covered:
                    break
                entry = json.loads(line)
                if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
                    return None
                entries.append(entry)
    except (OSError, ValueError):
        return None
    return entries if len(entries) == covered else None


def _json_native(value: Any) -> Any:
    # What a value looks like after a round trip through PROGRESS.json (tuples become lists).
    return json.loads(json.dumps(value, sort_keys=True))


# Level 3: most of gzip's gain on repetitive JSON (Hub objects repeat their keys) at a fraction of
# level 6's CPU time.
JSONL_GZIP_LEVEL = 3


@dataclass
class ArchiveWriter:
    """Writes one day of the archive; call :meth:`finish` to publish it atomically."""

    archive_root: Path
    day: str
    source: str
    synthetic: bool = False
    requests: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    # A fixed clock makes generated archives byte-identical from run to run (demo data).
    fixed_time: str | None = None
    started_at: str = ""
    # Resumable capture: with a key (JSON data naming the capture's parameters, never secrets) an
    # existing ``<day>.partial/`` whose PROGRESS.json has the same key is picked up (``resumed``,
    # ``state`` restored); any other partial day is discarded and the capture starts clean.
    resume_key: Any = None
    state: dict[str, Any] = field(default_factory=dict)
    resumed: bool = False
    # A unit of the day written by a source of its own (``openrouter``): it is staged in a hidden
    # folder and published as ``<day>/<unit>/`` with its own MANIFEST.json (``scope``: the unit),
    # beside whatever else the day holds.
    unit: str | None = None
    # Applied to the manifest before it is written (a capture's secrets never reach the archive).
    redact: Callable[[str], str] | None = None
    published: list[Path] = field(default_factory=list)  # where finish() put the unit
    _journal_entries: int = field(default=0, init=False, repr=False)  # lines in PROGRESS.jsonl

    def __post_init__(self) -> None:
        self.started_at = self.started_at or self._clock()
        self.archive_root = Path(self.archive_root)
        if self.unit is not None:
            # Hidden and outside any day folder: nothing that lists days or reads a day sees it.
            self.partial_dir = self.archive_root / f".{self.unit}-{self.day}.partial" / self.unit
            shutil.rmtree(self.partial_dir.parent, ignore_errors=True)
            self.partial_dir.mkdir(parents=True)
            return
        self.partial_dir = self.archive_root / f"{self.day}.partial"
        if self.resume_key is not None:
            self.resume_key = _json_native(self.resume_key)
            if not self._restore():
                self._discard_partial()
        self.partial_dir.mkdir(parents=True, exist_ok=True)

    def _owned_paths(self) -> list[Path]:
        """What this writer manages in ``<day>.partial/``: ``hub/``, the manifest, the progress file
        and temporaries. Other sources' folders published into the partial day (``openrouter/``) are
        left alone, deepest paths first."""
        top = [self.partial_dir / name for name in ("hub", MANIFEST_NAME, PROGRESS_NAME, PROGRESS_JOURNAL)]
        top += list(self.partial_dir.glob("*.tmp"))
        found: list[Path] = []
        for path in top:
            if path.is_dir():
                found += list(path.rglob("*"))
            if path.exists():
                found.append(path)
        return sorted(found, key=lambda p: len(p.parts), reverse=True)

    def _discard_partial(self) -> None:
        # A partial day from another capture (other parameters, damaged files): start clean.
        for path in self._owned_paths():
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)

    @property
    def durable(self) -> bool:
        return self.resume_key is not None

    def _restore(self) -> bool:
        """Pick up the partial day if its progress matches this capture and its files are intact."""
        try:
            progress = json.loads((self.partial_dir / PROGRESS_NAME).read_text())
        except (OSError, ValueError):
            return False
        if not isinstance(progress, dict) or (
            progress.get("format"),
            progress.get("snapshot_date"),
            progress.get("source"),
            progress.get("key"),
        ) != (PROGRESS_FORMAT, self.day, self.source, self.resume_key):
            return False
        covered = progress.get("journal_entries")
        if not isinstance(covered, int):
            return False
        entries = _read_journal(self.partial_dir / PROGRESS_JOURNAL, covered)
        if entries is None:
            return False
        files: dict[str, dict[str, Any]] = {}
        requests: list[dict[str, Any]] = []
        for entry in entries:
            files[entry["file"]] = entry["meta"]
            if entry.get("request") is not None:
                requests.append(entry["request"])
        for rel, meta in files.items():
            target = self.partial_dir / rel
            if not target.is_file() or sha256_file(target) != (meta or {}).get("sha256"):
                return False
        # Anything of ours not in the progress file was written after the last checkpoint (a body
        # whose bookkeeping never happened, a stale manifest, a .tmp): drop it, it is fetched again.
        for path in self._owned_paths():
            rel = path.relative_to(self.partial_dir).as_posix()
            if path.is_file() and rel not in files and rel not in (PROGRESS_NAME, PROGRESS_JOURNAL):
                path.unlink()
        # Lines after the checkpoint describe bodies just dropped: the journal restarts from it.
        _write_atomically(self.partial_dir / PROGRESS_JOURNAL, _journal_lines(entries), durable=True)
        self._journal_entries = len(entries)
        self.files = files
        self.requests = requests
        self.started_at = progress.get("started_at") or self.started_at
        self.state = progress.get("state") or {}
        self.resumed = True
        return True

    def checkpoint(self, state: dict[str, Any]) -> None:
        """Record the caller's cursor, and that the bodies journalled so far belong to it, in
        ``PROGRESS.json`` (small: the files and requests are in the append-only journal)."""
        if self.resume_key is None:
            raise ValueError("checkpoint() needs a writer created with resume_key")
        self.state = state
        progress = {
            "format": PROGRESS_FORMAT,
            "snapshot_date": self.day,
            "source": self.source,
            "key": self.resume_key,
            "started_at": self.started_at,
            "updated_at": self._clock(),
            "complete": False,
            "journal_entries": self._journal_entries,
            "state": state,
        }
        body = json.dumps(progress, indent=1, sort_keys=True).encode()
        _write_atomically(self.partial_dir / PROGRESS_NAME, body, durable=True)

    def write_body(self, rel_path: str, body: bytes, request: dict[str, Any] | None = None) -> Path:
        """Store one response body verbatim under ``rel_path`` and record it in the manifest."""
        target = self.partial_dir / rel_path
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(target, body, durable=self.durable)
        meta = {"sha256": hashlib.sha256(body).hexdigest(), "bytes": len(body)}
        self.files[rel_path] = meta
        recorded = {**request, "file": rel_path, "fetched_at": self._clock()} if request is not None else None
        if recorded is not None:
            self.requests.append(recorded)
        if self.durable:
            entry = {"file": rel_path, "meta": meta, "request": recorded}
            with open(self.partial_dir / PROGRESS_JOURNAL, "ab") as fh:
                fh.write(_journal_lines([entry]))
                fh.flush()
                os.fsync(fh.fileno())
            self._journal_entries += 1
        return target

    def write_jsonl(self, rel_path: str, objects: list[Any], request: dict[str, Any] | None = None) -> Path:
        """Store objects one per line (the format for per-model responses); a ``.gz`` path is
        gzip-compressed (reproducibly: no timestamp in the header, so equal days hash equal)."""
        body = "".join(json.dumps(o, sort_keys=True, separators=(",", ":")) + "\n" for o in objects).encode()
        if rel_path.endswith(".gz"):
            body = gzip.compress(body, compresslevel=JSONL_GZIP_LEVEL, mtime=0)
        return self.write_body(rel_path, body, request)

    def _clock(self) -> str:
        return self.fixed_time or _now()

    def manifest(self, complete: bool, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        scope = {"scope": self.unit} if self.unit is not None else {}
        return {
            **scope,
            "format": FORMAT_VERSION,
            "snapshot_date": self.day,
            "source": self.source,
            "synthetic": self.synthetic,
            "started_at": self.started_at,
            "finished_at": self._clock(),
            "complete": complete,
            "requests": self.requests,
            "files": dict(sorted(self.files.items())),
            **(extra or {}),
        }

    def finish(self, extra: dict[str, Any] | None = None) -> Path:
        """Write MANIFEST.json and move the day (or the unit) into place, replacing an older copy."""
        text = json.dumps(self.manifest(True, extra), indent=2, sort_keys=True)
        body = (self.redact(text) if self.redact else text).encode()
        _write_atomically(self.partial_dir / MANIFEST_NAME, body, durable=self.durable)
        if self.unit is not None:
            self.published = publish_unit(self.partial_dir, self.archive_root, self.day)
            return self.published[0]
        final = day_dir(self.archive_root, self.day)
        if final.exists():
            # Top-level folders of the replaced day that this capture did not write (another
            # source's unit, e.g. ``openrouter/``) are carried over, not lost with the old copy.
            for entry in sorted(final.iterdir()):
                carried = self.partial_dir / entry.name
                if entry.name not in _UNSIGNED_TOP_LEVEL and not carried.exists():
                    entry.rename(carried)
            old = final.with_name(f"{self.day}.old")
            shutil.rmtree(old, ignore_errors=True)
            final.rename(old)
            self.partial_dir.rename(final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            self.partial_dir.rename(final)
        # The manifest supersedes the progress files; until the rename above a crash leaves a
        # resumable partial day, never a half day that looks complete.
        (final / PROGRESS_NAME).unlink(missing_ok=True)
        (final / PROGRESS_JOURNAL).unlink(missing_ok=True)
        return final


def _replace_folder(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` and swap it in with folder renames (old copy kept until then).

    The incoming and old copies are hidden beside the day folder, never inside it: a reader of the
    day (:func:`open_day`) sees the unit or its replacement, never an unsigned extra folder.
    """
    hidden = target.parent.parent / f".{target.parent.name}-{target.name}"
    incoming, old = hidden.with_name(hidden.name + ".incoming"), hidden.with_name(hidden.name + ".old")
    shutil.rmtree(incoming, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)
    shutil.copytree(source, incoming)
    if target.exists():
        target.rename(old)
    incoming.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def publish_unit(staging: Path, archive_root: Path, day: str) -> list[Path]:
    """Publish a finished unit folder (``openrouter/``) into ``<day>/``, and into ``<day>.partial/``
    when a Hub capture of the day is under way (its final rename then carries the unit along)."""
    targets = [day_dir(archive_root, day)]
    partial = Path(archive_root) / f"{day}.partial"
    if partial.is_dir():
        targets.append(partial)
    published = []
    for target_day in targets:
        target_day.mkdir(parents=True, exist_ok=True)
        _replace_folder(staging, target_day / staging.name)
        published.append(target_day / staging.name)
    shutil.rmtree(staging.parent, ignore_errors=True)
    return published


def replay_label(manifest: dict[str, Any]) -> str:
    """The ``source`` a replayed archive day carries in the raw tables: demo | history | archive."""
    if manifest.get("synthetic"):
        return "demo"
    return "history" if manifest.get("source") == "history" else "archive"


def read_manifest(day_path: Path) -> dict[str, Any] | None:
    """The day's manifest, or None when the day has none (hand-assembled archives)."""
    path = Path(day_path) / MANIFEST_NAME
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ArchiveError(
            f"{path}: MANIFEST.json is not valid JSON ({exc.msg} at line {exc.lineno})."
        ) from exc
    if not isinstance(manifest, dict):
        raise ArchiveError(f"{path}: MANIFEST.json must be a JSON object.")
    return manifest


def verify_manifest(day_path: Path, manifest: dict[str, Any]) -> None:
    """Check that every file the manifest lists is inside the day and has the recorded sha256.

    Only the listed entries (a capture's self-check); readers open a day with :func:`open_day`,
    which also refuses unlisted files, empty sha256, links, another day's manifest and unfinished
    captures.
    """
    root = Path(day_path).resolve()
    for rel, meta in (manifest.get("files") or {}).items():
        target = (root / rel).resolve()
        if not target.is_relative_to(root):
            raise ArchiveError(f"{root / MANIFEST_NAME}: file entry {rel!r} points outside the archive day.")
        if not target.exists():
            raise ArchiveError(f"{root / MANIFEST_NAME}: lists {rel!r}, which is missing from the archive.")
        expected = (meta or {}).get("sha256")
        if expected and sha256_file(target) != expected:
            raise ArchiveError(
                f"{target}: sha256 does not match MANIFEST.json (the file changed after capture)."
            )


# --- signed days: the one check every reader makes -------------------------------------------

# Never signed, never read: the day's and each unit's MANIFEST.json (the signatures themselves), and
# the day's top-level PROGRESS.json and PROGRESS.jsonl (capture bookkeeping, deleted by
# ArchiveWriter.finish right after the publishing rename, so a kill in between can leave them).
# Everything else must be listed.
_UNSIGNED_TOP_LEVEL = (MANIFEST_NAME, PROGRESS_NAME, PROGRESS_JOURNAL)


def _scan(folder: Path) -> list[str]:
    """Relative POSIX paths of every regular file under ``folder``; a link or special file is refused."""
    found: list[str] = []
    pending = [(Path(folder), "")]
    while pending:
        current, prefix = pending.pop()
        try:
            with os.scandir(current) as listing:
                entries = sorted(listing, key=lambda e: e.name)
            for entry in entries:
                rel = prefix + entry.name
                if entry.is_symlink():
                    raise ArchiveError(
                        f"{entry.path}: a symbolic link (to {os.readlink(entry.path)}); an archive day holds"
                        " regular files only, a link can point outside the day. Remove it, or put the file"
                        f" itself there and sign the day again: `{SIGN_COMMAND} {folder} --force`."
                    )
                if entry.is_dir(follow_symlinks=False):
                    pending.append((Path(entry.path), rel + "/"))
                elif entry.is_file(follow_symlinks=False):
                    found.append(rel)
                else:
                    raise ArchiveError(
                        f"{entry.path}: not a regular file; an archive day holds regular files only."
                    )
        except OSError as exc:
            raise ArchiveError(
                f"{current}: cannot be listed ({exc}); was the day changed while read?"
            ) from exc
    return sorted(found)


def _units(files: list[str]) -> list[str]:
    """Top-level folders of the day with a MANIFEST.json of their own (``openrouter/`` of a live capture)."""
    return sorted(
        {rel.split("/")[0] for rel in files if rel.count("/") == 1 and rel.endswith("/" + MANIFEST_NAME)}
    )


def _own_files(files: list[str], units: list[str]) -> list[str]:
    """The day's files its own manifest signs: not a unit's, not a signature or bookkeeping file."""
    return [rel for rel in files if rel.split("/")[0] not in units and rel not in _UNSIGNED_TOP_LEVEL]


def _entry_rule(rel: str) -> str | None:
    """Why a manifest key is not a plain path inside its folder, or None."""
    parts = rel.replace("\\", "/").split("/")
    if PurePosixPath(rel).is_absolute() or rel.startswith("\\") or ".." in parts or ":" in parts[0]:
        return "points outside the archive day"
    if "\\" in rel or any(part in ("", ".") for part in parts):
        return "is not a plain relative path (a/b/c.json)"
    return None


def _check_signed(
    folder: Path, manifest: dict[str, Any], present: list[str], day: str, scope: str | None, units: list[str]
) -> None:
    """One manifest against the files of its folder (the day's own files, or one unit's)."""
    where = folder / MANIFEST_NAME
    if manifest.get("scope") != scope:
        if scope is None:
            raise ArchiveError(
                f"{where}: is the manifest of the unit {manifest.get('scope')!r}, not of a day "
                f"(a unit's manifest lives in its folder, <day>/{manifest.get('scope')}/{MANIFEST_NAME})."
            )
        raise ArchiveError(
            f'{where}: says "scope": {manifest.get("scope")!r}; the manifest of {scope}/ must say {scope!r}.'
        )
    if manifest.get("snapshot_date") != day:
        raise ArchiveError(
            f"{where}: is the manifest of {manifest.get('snapshot_date')!r}, but the folder is {day}: a day"
            " folder holds that day's capture only. Move the capture to its own day folder, or capture"
            f" {day} again."
        )
    if manifest.get("complete") is not True:
        raise ArchiveError(
            f'{where}: says "complete": {json.dumps(manifest.get("complete"))}; an unfinished capture'
            f" never lands. Capture {day} again (a day assembled by hand: `{SIGN_COMMAND} DAY_DIR`)."
        )
    files = manifest.get("files", {})
    if not isinstance(files, dict):
        raise ArchiveError(
            f'{where}: "files" must be an object of path -> {{sha256, bytes}}, found {type(files).__name__}.'
        )
    present_set = set(present)
    for rel, meta in files.items():
        rule = _entry_rule(rel)
        if rule:
            raise ArchiveError(f"{where}: file entry {rel!r} {rule}.")
        if rel.split("/")[0] in units:
            raise ArchiveError(
                f"{where}: lists {rel!r}, but {rel.split('/')[0]}/ has its own {MANIFEST_NAME}, which signs"
                " it; a file is signed by one manifest only."
            )
        if rel in _UNSIGNED_TOP_LEVEL:
            raise ArchiveError(
                f"{where}: lists {rel!r}, which is the archive's bookkeeping, not a data file."
            )
        if rel not in present_set:
            raise ArchiveError(f"{where}: lists {rel!r}, which is missing from the archive.")
        sha = meta.get("sha256") if isinstance(meta, dict) else None
        if not isinstance(sha, str) or not sha:
            raise ArchiveError(
                f"{where}: the entry for {rel!r} has no sha256 (found {meta!r}); every file of a day is"
                " signed with its sha256."
            )
    unlisted = [rel for rel in present if rel not in files]
    if unlisted:
        more = f" (and {len(unlisted) - 1} more)" if len(unlisted) > 1 else ""
        fix = (
            f"if it belongs to the day, sign the day again: `{SIGN_COMMAND} {folder} --force`"
            if scope is None
            else f"capture {scope}/ of the day again"
        )
        raise ArchiveError(
            f"{folder / unlisted[0]}: not listed in {where}{more}; a file the manifest does not sign never"
            f" lands. Remove it, or {fix}."
        )
    for rel in present:
        if sha256_file(folder / rel) != files[rel]["sha256"]:
            raise ArchiveError(
                f"{folder / rel}: sha256 does not match MANIFEST.json (the file changed after capture)."
            )


def _check_units(day_path: Path, files: list[str], units: list[str]) -> dict[str, dict[str, Any]]:
    """Each unit's manifest against the unit's files; returns the manifests by unit."""
    manifests = {}
    for name in units:
        folder = day_path / name
        manifest = read_manifest(folder) or {}
        prefix = name + "/"
        inside = [rel[len(prefix) :] for rel in files if rel.startswith(prefix)]
        _check_signed(
            folder, manifest, [rel for rel in inside if rel != MANIFEST_NAME], day_path.name, name, []
        )
        manifests[name] = manifest
    return manifests


def open_day(day_path: Path, unit: str | None = None) -> dict[str, Any]:
    """Check that an archived day is signed; return the manifest that covers ``unit`` (None: the day).

    The rules, checked for the whole day whichever part a reader reads (the message names the file
    and the rule; :class:`ArchiveError` otherwise):

    * every file under the day is a regular file (no symbolic link, no special file);
    * a top-level folder holding a MANIFEST.json of its own is a unit (``openrouter/`` of a live
      capture): its manifest says ``"scope": <folder>`` and signs exactly the folder's files, paths
      relative to it; the day's MANIFEST.json signs exactly all the other files and lists nothing
      inside a unit (a single-writer day such as the demo lists ``openrouter/*`` in the day's
      manifest and has no unit manifest);
    * each entry is a plain relative path inside its folder with a non-empty sha256 that matches;
    * each manifest's ``snapshot_date`` is the day folder's name and it says ``"complete": true``;
    * a day with files of its own and no MANIFEST.json is refused, naming ``atom archive sign``.

    Not signed and never read: the MANIFEST.json files themselves and the day's top-level
    PROGRESS.json. A day whose only content is units (OpenRouter captured, no Hub capture yet)
    needs no day manifest; it returns ``{}`` for the day.
    """
    day_path = Path(day_path)
    if not day_path.is_dir():
        raise ArchiveError(f"{day_path}: no archived day here (expected a directory named YYYY-MM-DD).")
    day = day_path.name
    files = _scan(day_path)
    units = _units(files)
    own = _own_files(files, units)
    day_manifest = read_manifest(day_path)
    if day_manifest is None:
        if own:
            more = f" and {len(own) - 1} more" if len(own) > 1 else ""
            raise ArchiveError(
                f"{day_path}: no {MANIFEST_NAME}, so nothing signs its files ({own[0]}{more}); an unsigned"
                f" day never lands. If this day was assembled by hand, sign it: `{SIGN_COMMAND} {day_path}`"
                " (the manifest records that it was signed after the fact)."
            )
        day_manifest = {}
    else:
        _check_signed(day_path, day_manifest, own, day, None, units)
    by_unit = _check_units(day_path, files, units)
    return by_unit.get(unit, day_manifest) if unit else day_manifest


def sign_day(day_path: Path, *, force: bool = False) -> dict[str, Any]:
    """Write MANIFEST.json for a day assembled by hand (``atom archive sign DAY_DIR``); return it.

    Signs every file of the day outside its units (their own manifests stay and must verify) with
    its sha256 and records ``"signed_after_capture": true``, ``signed_at`` and ``signed_by``. A day
    that already has a manifest is left alone unless ``force`` (its manifest is returned when it
    verifies, else :class:`ArchiveError` says so): with ``force`` that manifest's record of the
    capture (``source``, ``synthetic``, ``requests``, ...) is kept, and ``replaced_manifest`` notes
    its sha256, date and completeness. ``source`` is otherwise ``archive`` (a replay).
    """
    day_path = Path(day_path)
    if not day_path.is_dir():
        raise ArchiveError(f"{day_path}: not a directory; sign a day folder, <archive>/YYYY-MM-DD.")
    day = day_path.name
    try:
        valid_name = len(day) == 10 and date.fromisoformat(day).isoformat() == day
    except ValueError:
        valid_name = False
    if not valid_name:
        raise ArchiveError(f"{day_path}: a day folder is named after its day, YYYY-MM-DD.")
    path = day_path / MANIFEST_NAME
    previous: dict[str, Any] = {}
    replaced: dict[str, Any] | None = None
    if path.exists() or path.is_symlink():
        if not force:
            try:
                return open_day(day_path)  # already signed, and it verifies: nothing to write
            except ArchiveError as exc:
                raise ArchiveError(
                    f"{path} exists and does not verify: {exc} Signing would accept the files as they are"
                    f" now; if that is what you mean, run `{SIGN_COMMAND} {day_path} --force`."
                ) from exc
        if path.is_symlink() or not path.is_file():
            replaced = {"note": "not a regular file"}
            path.unlink()
        else:
            try:
                previous = read_manifest(day_path) or {}
            except ArchiveError:
                previous = {}
            replaced = {
                "sha256": sha256_file(path),
                "snapshot_date": previous.get("snapshot_date"),
                "complete": previous.get("complete"),
            }
    files = _scan(day_path)
    units = _units(files)
    _check_units(day_path, files, units)  # a unit is signed by its own capture; it must verify as it is
    signed = {
        rel: {"sha256": sha256_file(day_path / rel), "bytes": (day_path / rel).stat().st_size}
        for rel in _own_files(files, units)
    }
    kept = {k: v for k, v in previous.items() if k not in ("scope", "files", "complete", "snapshot_date")}
    manifest = {
        "format": FORMAT_VERSION,
        "source": "archive",
        "synthetic": False,
        "requests": [],
        **kept,
        "snapshot_date": day,
        "complete": True,
        "files": signed,
        "signed_after_capture": True,
        "signed_at": _now(),
        "signed_by": SIGN_COMMAND,
    }
    if replaced is not None:
        manifest["replaced_manifest"] = replaced
    _write_atomically(path, json.dumps(manifest, indent=2, sort_keys=True).encode(), durable=True)
    open_day(day_path)  # what was written is what a reader accepts
    return manifest


def _open_text(path: Path):
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def _data_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    suffixes = (".json", ".jsonl", ".json.gz", ".jsonl.gz")
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name.endswith(suffixes))


def find_body(folder: Path, name: str) -> Path | None:
    """The archived body ``name`` in ``folder`` (or its ``.gz``), or None."""
    for candidate in (Path(folder) / name, Path(folder) / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _undecodable(where: str, exc: BaseException) -> ArchiveError:
    """Valid-looking JSON that Python's decoder refuses: nested too deep, or a number of thousands of
    digits. No Hub or OpenRouter answer looks like this; it is refused by name, not a crash."""
    what = "nested too deeply" if isinstance(exc, RecursionError) else str(exc).split(";")[0]
    return ArchiveError(f"{where}: JSON that cannot be decoded ({what}); no source answers like this.")


def read_body(path: Path, rel: str) -> Any:
    """One archived JSON body (a whole response, e.g. ``openrouter/models.json``), named ``rel`` in errors."""
    try:
        with _open_text(path) as fh:
            return json.load(fh)
    except json.JSONDecodeError as exc:
        raise ArchiveError(
            f"{rel}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); "
            "the file may be truncated."
        ) from exc
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise ArchiveError(f"{rel}: cannot be read ({exc}).") from exc
    except (RecursionError, ValueError) as exc:
        raise _undecodable(rel, exc) from exc


def iter_records(day_path: Path, subdir: str) -> Iterator[ArchiveRecord]:
    """Stream the JSON objects of every page under ``subdir`` (arrays or JSON lines).

    Raises :class:`ArchiveError` naming the file and line for anything unreadable.
    """
    day_path = Path(day_path)
    for path in _data_files(day_path / subdir):
        rel = str(path.relative_to(day_path))
        is_lines = path.name.endswith((".jsonl", ".jsonl.gz"))
        try:
            with _open_text(path) as fh:
                if is_lines:
                    for lineno, line in enumerate(fh, start=1):
                        if not line.strip():
                            continue
                        try:
                            yield ArchiveRecord(rel, lineno, json.loads(line))
                        except json.JSONDecodeError as exc:
                            raise ArchiveError(
                                f"{rel}, line {lineno}: not valid JSON ({exc.msg}, column {exc.colno})."
                            ) from exc
                        except UnicodeDecodeError:
                            raise  # not UTF-8: "cannot be read", below
                        except (RecursionError, ValueError) as exc:
                            raise _undecodable(f"{rel}, line {lineno}", exc) from exc
                else:
                    try:
                        page = json.load(fh)
                    except json.JSONDecodeError as exc:
                        raise ArchiveError(
                            f"{rel}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno});"
                            " the page may be truncated."
                        ) from exc
                    except UnicodeDecodeError:
                        raise  # not UTF-8: "cannot be read", below
                    except (RecursionError, ValueError) as exc:
                        raise _undecodable(rel, exc) from exc
                    if not isinstance(page, list):
                        raise ArchiveError(
                            f"{rel}: a page must be a JSON array of models, found a {type(page).__name__}."
                        )
                    for index, obj in enumerate(page, start=1):
                        yield ArchiveRecord(rel, index, obj)
        except (OSError, EOFError, UnicodeDecodeError) as exc:
            raise ArchiveError(f"{rel}: cannot be read ({exc}).") from exc
