"""The snapshot archive: the one format live captures write and replays read.

Layout of one day (see README, "Snapshot archive")::

    <archive>/<YYYY-MM-DD>/hub/models/*.json[.gz]        a JSON array, as GET /api/models returns it
    <archive>/<YYYY-MM-DD>/hub/models/*.jsonl[.gz]       one model object per line
    <archive>/<YYYY-MM-DD>/hub/model_info/*.jsonl[.gz]   GET /api/models/{id} objects, one per line
    <archive>/<YYYY-MM-DD>/openrouter/models.json        body of GET /api/v1/models
    <archive>/<YYYY-MM-DD>/MANIFEST.json                 requests, status, sha256 of every file

A day is written into ``<day>.partial/`` and renamed into place only when complete, so a
crashed capture never looks like a finished day.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MANIFEST_NAME = "MANIFEST.json"
FORMAT_VERSION = "atom-snapshot/1"
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

    def __post_init__(self) -> None:
        self.started_at = self.started_at or self._clock()
        self.archive_root = Path(self.archive_root)
        self.partial_dir = self.archive_root / f"{self.day}.partial"
        self.partial_dir.mkdir(parents=True, exist_ok=True)

    def write_body(self, rel_path: str, body: bytes, request: dict[str, Any] | None = None) -> Path:
        """Store one response body verbatim under ``rel_path`` and record it in the manifest."""
        target = self.partial_dir / rel_path
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_bytes(body)
        tmp.replace(target)
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
        return {
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
        """Write MANIFEST.json and move the day into place, replacing an older copy of it."""
        body = json.dumps(self.manifest(True, extra), indent=2, sort_keys=True).encode()
        (self.partial_dir / MANIFEST_NAME).write_bytes(body)
        final = day_dir(self.archive_root, self.day)
        if final.exists():
            old = final.with_name(f"{self.day}.old")
            shutil.rmtree(old, ignore_errors=True)
            final.rename(old)
            self.partial_dir.rename(final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            self.partial_dir.rename(final)
        return final


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
