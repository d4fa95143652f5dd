"""Small helpers shared by the fault tests."""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def data_files(day_path: Path) -> dict[str, bytes]:
    """Every file of an archived day except its manifest (which records times and retries)."""
    return {
        p.relative_to(day_path).as_posix(): p.read_bytes()
        for p in sorted(Path(day_path).rglob("*"))
        if p.is_file() and p.name != "MANIFEST.json"
    }


def subprocess_env(**extra: str) -> dict[str, str]:
    """Environment for a child Python running project code from the repo root."""
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(REPO_ROOT),
        HF_HUB_DISABLE_TELEMETRY="1",
        DAGSTER_DISABLE_TELEMETRY="1",
        GX_ANALYTICS_ENABLED="False",
        PYTHONUNBUFFERED="1",
    )
    env.pop("HF_HUB_OFFLINE", None)
    env.update(extra)
    return env


PYTHON = sys.executable


def file_hashes(root: Path, pattern: str = "**/*") -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(Path(root).glob(pattern))
        if p.is_file()
    }


def fast_dir(prefix: str) -> Path:
    """A new directory in RAM (/dev/shm) when there is one: Dagster's SQLite event log and DuckDB
    fsync often, and on this CI's disk that doubles a run's time. Same semantics otherwise (the
    crash tests kill processes, they do not cut power). The caller removes it."""
    shm = Path("/dev/shm")
    base = shm if shm.is_dir() and os.access(shm, os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix=f"atom-faults-{prefix}-", dir=base))
