"""One place for configuration: environment variables, optionally from a `.env` file.

Every path the pipeline touches derives from ``ATOM_DATA_DIR`` so that Dagster (run from the
repo root) and dbt (run with cwd = ``dbt_project/``) agree on one absolute warehouse path.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from dotenv import load_dotenv

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

# A `.env` next to the project wins over nothing, never over a variable already set.
load_dotenv(REPO_ROOT / ".env", override=False)

SOURCE_ARCHIVE = "archive"
SOURCE_LIVE = "live"
SOURCES = (SOURCE_ARCHIVE, SOURCE_LIVE)
# Past partitions from public daily snapshots (issue 7): off, or the hub-stats dataset.
HISTORY_OFF = "off"
HISTORY_HUB_STATS = "hub-stats"
HISTORIES = (HISTORY_OFF, HISTORY_HUB_STATS)
HISTORY_REPO_DEFAULT = "cfahlgren1/hub-stats"
ON = ("on", "true", "1")
ON_OFF = (*ON, "off", "false", "0")


@dataclass(frozen=True)
class Settings:
    """Resolved configuration; build it with :func:`load_settings`."""

    data_dir: Path
    source: str
    archive_dir: Path
    partitions_start: str
    hf_endpoint: str
    history: str = HISTORY_OFF
    history_max_lag_days: int = 0
    history_derivatives: bool = True
    history_repo: str = HISTORY_REPO_DEFAULT
    history_keep_downloads: bool = False

    @property
    def history_enabled(self) -> bool:
        return self.history != HISTORY_OFF

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse" / "atom.duckdb"

    @property
    def dagster_home(self) -> Path:
        return self.data_dir / "dagster_home"

    @property
    def docs_dir(self) -> Path:
        return self.data_dir / "dbt_docs"


def load_settings(env: os._Environ[str] | dict[str, str] | None = None) -> Settings:
    """Read settings from the environment (``ATOM_*`` variables) with documented defaults."""
    env = os.environ if env is None else env
    data_dir = Path(env.get("ATOM_DATA_DIR") or REPO_ROOT / "data").expanduser().resolve()
    source = env.get("ATOM_SOURCE", SOURCE_ARCHIVE).strip().lower()
    if source not in SOURCES:
        raise ValueError(f"ATOM_SOURCE must be one of {', '.join(SOURCES)}; got {source!r}.")
    archive_dir = Path(env.get("ATOM_ARCHIVE_DIR") or data_dir / "archive").expanduser().resolve()
    history = (env.get("ATOM_HISTORY") or HISTORY_OFF).strip().lower()
    if history not in HISTORIES:
        raise ValueError(f"ATOM_HISTORY must be one of {', '.join(HISTORIES)}; got {history!r}.")
    lag = (env.get("ATOM_HISTORY_MAX_LAG_DAYS") or "0").strip()
    if not lag.isdigit():
        raise ValueError(f"ATOM_HISTORY_MAX_LAG_DAYS must be a whole number of days; got {lag!r}.")
    derivatives = (env.get("ATOM_HISTORY_DERIVATIVES") or "on").strip().lower()
    if derivatives not in ON_OFF:
        raise ValueError(f"ATOM_HISTORY_DERIVATIVES must be on or off; got {derivatives!r}.")
    keep = (env.get("ATOM_HISTORY_KEEP_DOWNLOADS") or "off").strip().lower()
    if keep not in ON_OFF:
        raise ValueError(f"ATOM_HISTORY_KEEP_DOWNLOADS must be on or off; got {keep!r}.")
    history_repo = (env.get("ATOM_HISTORY_REPO") or HISTORY_REPO_DEFAULT).strip()
    if history_repo.count("/") != 1 or not all(history_repo.split("/")):
        raise ValueError(f"ATOM_HISTORY_REPO must be a dataset id `owner/name`; got {history_repo!r}.")
    return Settings(
        data_dir=data_dir,
        source=source,
        archive_dir=archive_dir,
        partitions_start=env.get("ATOM_PARTITIONS_START", "2023-11-01"),
        hf_endpoint=env.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/"),
        history=history,
        history_max_lag_days=int(lag),
        history_derivatives=derivatives in ON,
        history_repo=history_repo,
        history_keep_downloads=keep in ON,
    )


def _put_own_tools_on_path() -> None:
    # dagster-dbt runs `dbt` from PATH; the one installed beside this Python is the one we pinned,
    # and a venv used without `activate` (e.g. `.venv/bin/atom`) is not on PATH.
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def export_paths(settings: Settings) -> None:
    """Publish the resolved paths as environment variables read by dbt's profile and sources."""
    _put_own_tools_on_path()
    # DuckDB creates the file but not its folder.
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    os.environ["ATOM_DATA_DIR"] = str(settings.data_dir)
    os.environ["ATOM_WAREHOUSE_PATH"] = str(settings.warehouse_path)
    os.environ.setdefault("DAGSTER_HOME", str(settings.dagster_home))
