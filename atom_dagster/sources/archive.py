"""The snapshot archive: the one format live captures write and replays read.

Layout of one day (see README, "Snapshot archive")::

    <archive>/<YYYY-MM-DD>/hub/models/*.json[.gz]        a JSON array, as GET /api/models returns it
    <archive>/<YYYY-MM-DD>/hub/models/*.jsonl[.gz]       one model object per line
    <archive>/<YYYY-MM-DD>/hub/model_info/*.jsonl[.gz]   GET /api/models/{id} objects, one per line
    <archive>/<YYYY-MM-DD>/openrouter/models.json        body of GET /api/v1/models
    <archive>/<YYYY-MM-DD>/MANIFEST.json                 requests, status, sha256 of every file

A day is written into ``<day>.partial/`` and renamed into place only when complete, so a
crashed capture never looks like a finished day. A resumable writer (``resume_key``) also keeps
``<day>.partial/PROGRESS.json`` -- the files written so far, their sha256, the requests made and
the caller's cursor -- updated after every body, so a killed capture continues where it stopped.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MANIFEST_NAME = "MANIFEST.json"
PROGRESS_NAME = "PROGRESS.json"
FORMAT_VERSION = "atom-snapshot/1"
PROGRESS_FORMAT = "atom-capture-progress/1"
HUB_MODELS_DIR = "hub/models"
HUB_MODEL_INFO_DIR = "hub/model_info"


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


def _json_native(value: Any) -> Any:
    # What a value looks like after a round trip through PROGRESS.json (tuples become lists).
    return json.loads(json.dumps(value, sort_keys=True))


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
        top = [self.partial_dir / name for name in ("hub", MANIFEST_NAME, PROGRESS_NAME)]
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
        files = progress.get("files")
        if not isinstance(files, dict):
            return False
        for rel, meta in files.items():
            target = self.partial_dir / rel
            if not target.is_file() or sha256_file(target) != (meta or {}).get("sha256"):
                return False
        # Anything of ours not in the progress file was written after the last checkpoint (a body
        # whose bookkeeping never happened, a stale manifest, a .tmp): drop it, it is fetched again.
        for path in self._owned_paths():
            rel = path.relative_to(self.partial_dir).as_posix()
            if path.is_file() and rel not in files and rel != PROGRESS_NAME:
                path.unlink()
        self.files = files
        self.requests = list(progress.get("requests") or [])
        self.started_at = progress.get("started_at") or self.started_at
        self.state = progress.get("state") or {}
        self.resumed = True
        return True

    def checkpoint(self, state: dict[str, Any]) -> None:
        """Record the files written so far and the caller's cursor in ``PROGRESS.json``."""
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
            "requests": self.requests,
            "files": dict(sorted(self.files.items())),
            "state": state,
        }
        body = json.dumps(progress, indent=1, sort_keys=True).encode()
        _write_atomically(self.partial_dir / PROGRESS_NAME, body, durable=True)

    def write_body(self, rel_path: str, body: bytes, request: dict[str, Any] | None = None) -> Path:
        """Store one response body verbatim under ``rel_path`` and record it in the manifest."""
        target = self.partial_dir / rel_path
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(target, body, durable=self.durable)
        self.files[rel_path] = {"sha256": hashlib.sha256(body).hexdigest(), "bytes": len(body)}
        if request is not None:
            self.requests.append({**request, "file": rel_path, "fetched_at": self._clock()})
        return target

    def write_jsonl(self, rel_path: str, objects: list[Any], request: dict[str, Any] | None = None) -> Path:
        """Store objects one per line (the format for per-model responses)."""
        body = "".join(json.dumps(o, sort_keys=True, separators=(",", ":")) + "\n" for o in objects)
        return self.write_body(rel_path, body.encode(), request)

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
                if entry.name not in (MANIFEST_NAME, PROGRESS_NAME) and not carried.exists():
                    entry.rename(carried)
            old = final.with_name(f"{self.day}.old")
            shutil.rmtree(old, ignore_errors=True)
            final.rename(old)
            self.partial_dir.rename(final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            self.partial_dir.rename(final)
        # The manifest supersedes the progress file; until the rename above a crash leaves a
        # resumable partial day, never a half day that looks complete.
        (final / PROGRESS_NAME).unlink(missing_ok=True)
        return final


def _replace_folder(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` and swap it in with folder renames (old copy kept until then)."""
    incoming = target.with_name(target.name + ".incoming")
    shutil.rmtree(incoming, ignore_errors=True)
    shutil.copytree(source, incoming)
    if target.exists():
        old = target.with_name(target.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
        incoming.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        incoming.rename(target)


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
    """Check that every file the manifest lists is inside the day and has the recorded sha256."""
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
                else:
                    try:
                        page = json.load(fh)
                    except json.JSONDecodeError as exc:
                        raise ArchiveError(
                            f"{rel}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno});"
                            " the page may be truncated."
                        ) from exc
                    if not isinstance(page, list):
                        raise ArchiveError(
                            f"{rel}: a page must be a JSON array of models, found a {type(page).__name__}."
                        )
                    for index, obj in enumerate(page, start=1):
                        yield ArchiveRecord(rel, index, obj)
        except (OSError, EOFError, UnicodeDecodeError) as exc:
            raise ArchiveError(f"{rel}: cannot be read ({exc}).") from exc
