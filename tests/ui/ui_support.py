"""Shared by the browser tests: the test data layout, Chromium, screenshots."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.small_archive import DAYS

REPO_ROOT = Path(__file__).resolve().parents[2]
# The README's screenshots are refreshed only on request (`bash scripts/screenshots.sh` sets this to
# docs/); a plain test run writes them to a temporary folder and leaves the working tree clean.
SCREENSHOTS = Path(os.environ.get("ATOM_SCREENSHOTS_DIR") or Path(tempfile.gettempdir()) / "atom-screenshots")
VIEWPORT = {"width": 1280, "height": 800}
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
# Headless on a machine with no outside network: no background calls, no sandbox as root.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
GOOD_DAY = DAYS[0]  # launched from the UI by a test
BAD_DAY = "2026-10-05"  # a copy of the last day with a truncated page
LANDED_DAYS = DAYS[1:]  # landed before the UI starts


@dataclass(frozen=True)
class UiData:
    root: Path
    data_dir: Path
    archive_dir: Path
    dagster_home: Path
    env: dict[str, str]


def chromium_executable() -> str | None:
    explicit = os.environ.get("ATOM_CHROMIUM")
    for candidate in (explicit, *CHROMIUM_CANDIDATES, shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def corrupt_day(archive: Path, source_day: str, day: str) -> None:
    """A truncated capture of ``day``: page-0001.json cut mid-object, the day signed as it is."""
    from atom_dagster.sources.archive import sign_day

    shutil.copytree(archive / source_day, archive / day)
    page = archive / day / "hub" / "models" / "page-0001.json"
    page.write_bytes(page.read_bytes()[:200])
    sign_day(archive / day, force=True)  # `atom archive sign DAY --force`: the day is `day`'s now


def child_env(data_dir: Path, archive: Path, home: Path) -> dict[str, str]:
    """The environment of `dagster dev` and `atom docs`: this data directory only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ATOM_", "DAGSTER_"))}
    env.update(
        ATOM_DATA_DIR=str(data_dir),
        ATOM_ARCHIVE_DIR=str(archive),
        ATOM_SOURCE="archive",
        # A short partition range keeps the UI's partition bars readable.
        ATOM_PARTITIONS_START=DAYS[0],
        DAGSTER_HOME=str(home),
        DAGSTER_DISABLE_TELEMETRY="1",
        HF_HUB_DISABLE_TELEMETRY="1",
        GX_ANALYTICS_ENABLED="False",
        PYTHONUNBUFFERED="1",
    )
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def save_screenshot(page, name: str) -> Path:
    """Write <name> (the current viewport) into the screenshots folder (docs/ when refreshing)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.mouse.move(0, VIEWPORT["height"] - 1)  # no hover tooltips in the picture
    page.screenshot(path=str(path))
    return path
