"""Configuration as a value: one frozen :class:`Settings`, built once and passed down.

:func:`load_settings` reads ``ATOM_*`` variables from the environment, with a ``.env`` beside
the project filling in what the environment lacks (the environment wins). Nothing here writes
``os.environ`` and nothing reads it at import time: the CLI builds the settings from its flags,
Dagster's lazy definitions build them when the code location loads, and everything below them
(resources, dbt, child processes) gets them as arguments.

Every path derives from ``ATOM_DATA_DIR``, so Dagster (run from the repo root) and dbt (run with
cwd = ``dbt_project/``) agree on one absolute warehouse path: dbt receives it as a var. The raw
Parquet and the archive may instead live on an object store (``ATOM_RAW_URL``,
``ATOM_ARCHIVE_URL``: ``s3://bucket/prefix``, :mod:`atom_dagster.storage`).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from dotenv import dotenv_values

from atom_dagster.storage import parse_url

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DOTENV_PATH = REPO_ROOT / ".env"

SOURCE_ARCHIVE = "archive"
SOURCE_LIVE = "live"
SOURCES = (SOURCE_ARCHIVE, SOURCE_LIVE)
# Past partitions from public snapshots (issues 7, 13): off, the daily hub-stats dataset, or its
# weekly copy (also the fallback when hub-stats itself is unavailable).
HISTORY_OFF = "off"
HISTORY_HUB_STATS = "hub-stats"
HISTORY_WEEKLY = "weekly"
HISTORIES = (HISTORY_OFF, HISTORY_HUB_STATS, HISTORY_WEEKLY)
# Which tracked models get their own GET /api/models/{id} on a live day (sources/model_info_policy.py).
MODEL_INFO_LISTED, MODEL_INFO_ALL, MODEL_INFO_OFF = "listed", "all", "off"
MODEL_INFO_POLICIES = (MODEL_INFO_LISTED, MODEL_INFO_ALL, MODEL_INFO_OFF)
HISTORY_FALLBACKS = (HISTORY_OFF, HISTORY_WEEKLY)
HISTORY_REPO_DEFAULT = "cfahlgren1/hub-stats"
HISTORY_WEEKLY_REPO = "hfmlsoc/hub_weekly_snapshots"
PARTITIONS_START_DEFAULT = "2023-11-01"
# The report's mainline universe (dbt var mainline_universe): ATOM's curated list, or our rules.
UNIVERSES = ("atom_list", "rules")
# Downloads "tracked" since this day (dbt var tracking_start): the start of the report's window.
TRACKING_START_DEFAULT = "2023-11-01"
ON = ("on", "true", "1")
ON_OFF = (*ON, "off", "false", "0")
# Secrets are settings too, but never shown: kept out of repr and out of Dagster resource config.
HF_TOKEN_VAR = "HF_TOKEN"
OPENROUTER_KEY_VAR = "OPENROUTER_API_KEY"
# Dagster's runs, event log and schedules in PostgreSQL (dagster-postgres) instead of SQLite files
# under DAGSTER_HOME. The URL holds a password: never shown, only masked (masked_url).
DAGSTER_PG_URL_VAR = "ATOM_DAGSTER_PG_URL"
# dagster-postgres installs psycopg2, and SQLAlchemy 2.1 takes a bare postgresql:// for psycopg 3:
# atom names the driver (a URL with any of these schemes becomes postgresql+psycopg2://).
PG_DRIVER_SCHEME = "postgresql+psycopg2"
PG_SCHEMES = ("postgresql", "postgres", PG_DRIVER_SCHEME)
# The engine atom's dbt steps build on (the dbt profile's target, docs/spark.md).
DBT_TARGET_DUCKDB, DBT_TARGET_SPARK = "duckdb", "spark"
DBT_TARGETS = (DBT_TARGET_DUCKDB, DBT_TARGET_SPARK)


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
    history_fallback: str = HISTORY_OFF  # with hub-stats: the source used when hub-stats is unavailable
    tracked_orgs: str | None = None  # ATOM_TRACKED_ORGS: comma-separated narrowing of the seed
    # ATOM_MODEL_INFO: which tracked models get GET /api/models/{id} on a live day (model_info_policy)
    model_info: str = MODEL_INFO_LISTED
    mainline_universe: str = UNIVERSES[0]
    tracking_start: str = TRACKING_START_DEFAULT
    hf_token: str | None = field(default=None, repr=False)
    openrouter_api_key: str | None = field(default=None, repr=False)
    dagster_pg_url: str | None = field(default=None, repr=False)  # ATOM_DAGSTER_PG_URL
    # ATOM_RAW_URL: the raw Parquet on an object store (s3://bucket/prefix) instead of raw_dir.
    raw_url: str | None = None
    # ATOM_ARCHIVE_URL: the archive on an object store; archive_dir then holds local copies of its
    # days (replays read those) and the captures published to it.
    archive_url: str | None = None
    # ATOM_DBT_TARGET: duckdb (the warehouse file) or spark (tables in Spark, read through it).
    dbt_target: str = DBT_TARGET_DUCKDB

    @property
    def history_enabled(self) -> bool:
        return self.history != HISTORY_OFF

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def raw_location(self) -> str:
        """Where the raw Parquet is read and written: ``raw_url``, else the folder ``raw_dir``."""
        return self.raw_url or str(self.raw_dir)

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse" / "atom.duckdb"

    @property
    def dagster_home(self) -> Path:
        return self.data_dir / "dagster_home"

    @property
    def dagster_storage(self) -> str:
        """Where Dagster keeps runs, events and schedules, fit to print (the password masked)."""
        if self.dagster_pg_url is None:
            return f"SQLite under {self.dagster_home}"
        return f"PostgreSQL {masked_url(self.dagster_pg_url)}"

    @property
    def docs_dir(self) -> Path:
        return self.data_dir / "dbt_docs"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    def with_changes(self, **changes: Any) -> Settings:
        """A copy with some fields replaced (the CLI's flags over the environment's values)."""
        return replace(self, **changes)

    def model_vars(self) -> dict[str, str]:
        """The report's definitions chosen by configuration, passed to dbt as vars."""
        return {"mainline_universe": self.mainline_universe, "tracking_start": self.tracking_start}

    def dbt_vars(self) -> dict[str, str]:
        """What dbt needs as ``--vars``: the paths (profiles.yml and the raw sources read them) and
        :meth:`model_vars`."""
        return {"warehouse_path": str(self.warehouse_path), "raw_dir": self.raw_location, **self.model_vars()}

    def child_env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment for a child process (``dagster dev``, ``dbt docs``): these settings as
        ``ATOM_*`` variables, this venv's tools first on PATH, and DAGSTER_HOME."""
        env = dict(os.environ if base is None else base)
        env.update(
            {
                "ATOM_DATA_DIR": str(self.data_dir),
                "ATOM_SOURCE": self.source,
                "ATOM_ARCHIVE_DIR": str(self.archive_dir),
                "ATOM_PARTITIONS_START": self.partitions_start,
                "ATOM_HISTORY": self.history,
                "ATOM_HISTORY_MAX_LAG_DAYS": str(self.history_max_lag_days),
                "ATOM_HISTORY_DERIVATIVES": "on" if self.history_derivatives else "off",
                "ATOM_HISTORY_REPO": self.history_repo,
                "ATOM_HISTORY_KEEP_DOWNLOADS": "on" if self.history_keep_downloads else "off",
                "ATOM_HISTORY_FALLBACK": self.history_fallback,
                "ATOM_MODEL_INFO": self.model_info,
                "ATOM_MAINLINE_UNIVERSE": self.mainline_universe,
                "ATOM_TRACKING_START": self.tracking_start,
                "ATOM_WAREHOUSE_PATH": str(self.warehouse_path),
                "ATOM_DBT_TARGET": self.dbt_target,
                "DAGSTER_HOME": str(self.dagster_home),
                "PATH": tools_dir() + os.pathsep + env.get("PATH", ""),
            }
        )
        if self.tracked_orgs is not None:
            env["ATOM_TRACKED_ORGS"] = self.tracked_orgs
        if self.dagster_pg_url is not None:  # dagster.yaml names the variable, not the URL
            env[DAGSTER_PG_URL_VAR] = self.dagster_pg_url
        for name, url in (("ATOM_RAW_URL", self.raw_url), ("ATOM_ARCHIVE_URL", self.archive_url)):
            if url is not None:
                env[name] = url
        return env


def spark_missing(env: Mapping[str, str]) -> str | None:
    """What dbt needs to run on Spark and this machine lacks (in words), or None when it can."""
    for module, package in (("pyspark", "pyspark"), ("dbt.adapters.spark", "dbt-spark")):
        if importlib.util.find_spec(module) is None:
            return f"{package} is not installed: pip install -e '.[spark]' (scripts/bootstrap.sh does)."
    java_home = env.get("JAVA_HOME")
    if shutil.which("java", path=env.get("PATH")) is None and not (
        java_home and (Path(java_home) / "bin" / "java").is_file()
    ):
        return (
            "there is no Java runtime for PySpark (`java` is not on PATH, nor in $JAVA_HOME): install"
            " Java 17, e.g. Debian's `openjdk-17-jre-headless` (scripts/test.sh does so as root)."
        )
    return None


def tools_dir() -> str:
    """The folder of this Python's console scripts (the pinned `dbt`, `dagster`), used without PATH."""
    return str(Path(sys.executable).parent)


def dbt_executable() -> str:
    """atom's dbt (`atom-dbt`: dbt-core's CLI whose parse survives a new warehouse path)."""
    return str(Path(tools_dir()) / "atom-dbt")


def masked_url(url: str) -> str:
    """``url`` with its password (``user:password@`` or ``?password=``) replaced by ``***``:
    what logs and messages show."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        netloc = f"{parts.username or ''}:***@{netloc.rsplit('@', 1)[1]}"
    query = re.sub(r"(^|&)(password=)[^&]*", r"\1\2***", parts.query)
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def parse_pg_url(value: str | None) -> str | None:
    """``ATOM_DAGSTER_PG_URL`` checked (``postgresql://user:password@host:port/database``) and with
    its driver named (:data:`PG_DRIVER_SCHEME`), or None when unset.

    A bad value raises ValueError naming the variable, with the password masked.
    """
    url = (value or "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    host = parts.hostname or "host=" in parts.query  # host=/dir: a Unix socket
    if parts.scheme not in PG_SCHEMES or not host or not parts.path.strip("/"):
        raise ValueError(
            f"{DAGSTER_PG_URL_VAR} must be a URL postgresql://user:password@host:port/database;"
            f" got {masked_url(url)!r}."
        )
    return urlunsplit(parts._replace(scheme=PG_DRIVER_SCHEME))


def read_environment(dotenv: Path | None = DOTENV_PATH) -> dict[str, str]:
    """The process environment over the values of ``dotenv`` (a missing file adds nothing)."""
    values: dict[str, str] = {}
    if dotenv is not None and Path(dotenv).is_file():
        values.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
    values.update(os.environ)
    return values


def _choice(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...], what: str) -> str:
    value = (env.get(name) or default).strip().lower()
    if value not in allowed:
        raise ValueError(f"{name} must be {what}; got {value!r}.")
    return value


def _url(env: Mapping[str, str], name: str) -> str | None:
    value = (env.get(name) or "").strip()
    return parse_url(value, name) if value else None


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Settings from ``env`` (default: the environment over ``.env``), with documented defaults.

    A bad value raises ValueError naming the variable and what it accepts.
    """
    env = read_environment() if env is None else env
    data_dir = Path(env.get("ATOM_DATA_DIR") or REPO_ROOT / "data").expanduser().resolve()
    source = _choice(env, "ATOM_SOURCE", SOURCE_ARCHIVE, SOURCES, "one of " + ", ".join(SOURCES))
    archive_dir = Path(env.get("ATOM_ARCHIVE_DIR") or data_dir / "archive").expanduser().resolve()
    history = _choice(env, "ATOM_HISTORY", HISTORY_OFF, HISTORIES, "one of " + ", ".join(HISTORIES))
    lag = (env.get("ATOM_HISTORY_MAX_LAG_DAYS") or "0").strip()
    if not lag.isdigit():
        raise ValueError(f"ATOM_HISTORY_MAX_LAG_DAYS must be a whole number of days; got {lag!r}.")
    derivatives = _choice(env, "ATOM_HISTORY_DERIVATIVES", "on", ON_OFF, "on or off")
    keep = _choice(env, "ATOM_HISTORY_KEEP_DOWNLOADS", "off", ON_OFF, "on or off")
    fallback = _choice(
        env, "ATOM_HISTORY_FALLBACK", HISTORY_OFF, HISTORY_FALLBACKS, "one of " + ", ".join(HISTORY_FALLBACKS)
    )
    history_repo = (env.get("ATOM_HISTORY_REPO") or HISTORY_REPO_DEFAULT).strip()
    if history_repo.count("/") != 1 or not all(history_repo.split("/")):
        raise ValueError(f"ATOM_HISTORY_REPO must be a dataset id `owner/name`; got {history_repo!r}.")
    universe = _choice(
        env, "ATOM_MAINLINE_UNIVERSE", UNIVERSES[0], UNIVERSES, "one of " + ", ".join(UNIVERSES)
    )
    model_info = _choice(
        env,
        "ATOM_MODEL_INFO",
        MODEL_INFO_LISTED,
        MODEL_INFO_POLICIES,
        "one of " + ", ".join(MODEL_INFO_POLICIES),
    )
    # The engine of atom's dbt steps (the profile's target): spark needs its extra and Java, said now
    # rather than half-way through a run.
    dbt_target = _choice(env, "ATOM_DBT_TARGET", DBT_TARGET_DUCKDB, DBT_TARGETS, "duckdb or spark")
    if dbt_target == DBT_TARGET_SPARK and (missing := spark_missing(env)) is not None:
        raise ValueError(f"ATOM_DBT_TARGET is spark, but {missing}")
    raw_url = _url(env, "ATOM_RAW_URL")
    if dbt_target == DBT_TARGET_SPARK and raw_url is not None:
        # The session's Spark reads s3a:// only with the hadoop-aws jars, which come from Maven.
        raise ValueError(
            "ATOM_DBT_TARGET is spark and ATOM_RAW_URL is set, but the local Spark reads the raw Parquet"
            " from a local folder only (no S3 connector installed): unset ATOM_RAW_URL, or run dbt on a"
            " Spark cluster that reads S3 (docs/spark.md, Thrift or Databricks)."
        )
    tracking_start = (env.get("ATOM_TRACKING_START") or TRACKING_START_DEFAULT).strip()
    try:
        date.fromisoformat(tracking_start)
    except ValueError:
        raise ValueError(f"ATOM_TRACKING_START must be a day YYYY-MM-DD; got {tracking_start!r}.") from None
    return Settings(
        data_dir=data_dir,
        source=source,
        archive_dir=archive_dir,
        partitions_start=env.get("ATOM_PARTITIONS_START") or PARTITIONS_START_DEFAULT,
        hf_endpoint=env.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/"),
        history=history,
        history_max_lag_days=int(lag),
        history_derivatives=derivatives in ON,
        history_repo=history_repo,
        history_keep_downloads=keep in ON,
        history_fallback=fallback,
        tracked_orgs=env.get("ATOM_TRACKED_ORGS"),
        model_info=model_info,
        mainline_universe=universe,
        tracking_start=tracking_start,
        hf_token=env.get(HF_TOKEN_VAR) or None,
        openrouter_api_key=env.get(OPENROUTER_KEY_VAR) or None,
        dagster_pg_url=parse_pg_url(env.get(DAGSTER_PG_URL_VAR)),
        raw_url=raw_url,
        archive_url=_url(env, "ATOM_ARCHIVE_URL"),
        dbt_target=dbt_target,
    )
