"""Fixtures for the browser tests: a small archive landed in a fresh data directory, Chromium.

The data directory (and its DAGSTER_HOME) is new for the session: the small hand-written
archive (tests/small_archive.py) with days 2..4 landed and built through dbt by the runner, so
the UI has history and the dbt docs have a warehouse; day 1 is left for a test to launch from
the UI, and one extra day is corrupted (a truncated page) for the failing check.

Chromium is Debian's package (/usr/bin/chromium), driven by the Python `playwright` package:
Playwright's own browser download does not work offline. Without Chromium the tests skip and
say why; `scripts/test.sh` installs it when it runs as root (and then requires it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.small_archive import DAYS, write_small_archive
from tests.ui.ui_support import (
    BAD_DAY,
    CHROMIUM_ARGS,
    LANDED_DAYS,
    VIEWPORT,
    UiData,
    child_env,
    chromium_executable,
    corrupt_day,
)


@pytest.fixture(scope="session")
def ui_data(tmp_path_factory, dbt_manifest) -> UiData:
    """A fresh data directory: small archive + corrupted day, days 2..4 landed and built by dbt."""
    from atom_dagster.runner import backfill, ensure_instance_config
    from atom_dagster.settings import load_settings

    root = tmp_path_factory.mktemp("ui")
    archive = write_small_archive(root / "archive")
    corrupt_day(archive, DAYS[-1], BAD_DAY)
    data_dir = root / "data"
    settings = load_settings(
        {"ATOM_DATA_DIR": str(data_dir), "ATOM_ARCHIVE_DIR": str(archive), "ATOM_SOURCE": "archive"}
    )
    ensure_instance_config(settings.dagster_home)
    before = dict(os.environ)
    summary = backfill(settings, list(LANDED_DAYS), log=lambda _message: None)
    assert dict(os.environ) == before  # settings are passed down, never exported
    assert summary.ok, (summary.failed, summary.dbt_message)
    env = child_env(data_dir, archive, settings.dagster_home)
    return UiData(root, data_dir, archive, settings.dagster_home, env)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = chromium_executable()
    if path is None and os.environ.get("ATOM_REQUIRE_CHROMIUM"):
        pytest.fail("ATOM_REQUIRE_CHROMIUM is set (scripts/test.sh as root) but /usr/bin/chromium is missing")
    if path is None:
        pytest.skip(
            "Chromium is not installed (looked for /usr/bin/chromium; set ATOM_CHROMIUM to another "
            "binary). Install Debian's `chromium` package; scripts/test.sh does so when run as root."
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("the Python package `playwright` is missing: pip install -e '.[dev]'")
    return path


@pytest.fixture(scope="session")
def browser_context(chromium_path, tmp_path_factory) -> Iterator:
    """One headless Chromium (fresh profile) for the session; closed, with its driver, at the end."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=20_000)  # a busy 2-core machine renders slowly; still bounded
    playwright = sync_playwright().start()
    context = None
    try:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=chromium_path,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport=VIEWPORT,
            timeout=60_000,
        )
        # Dagster's first-visit newsletter dialog would cover the page; a narrow nav leaves room.
        context.add_init_script(
            "window.localStorage.setItem('communityNux', '\"1\"');"
            "window.localStorage.setItem('dagster-nav-collapsed', 'true');"
        )
        yield context
    finally:
        if context is not None:
            context.close()
        playwright.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.ui_failed = report.failed
    return report


@pytest.fixture
def page(browser_context, request, tmp_path):
    """A new tab per test; on failure its last state is saved as a PNG next to the test's tmp files."""
    tab = browser_context.new_page()
    tab.set_default_timeout(30_000)
    yield tab
    if getattr(request.node, "ui_failed", False):
        shot = tmp_path / "failure.png"
        try:
            tab.screenshot(path=str(shot))
            print(f"\nscreenshot of the failing page: {shot} ({tab.url})")
        except Exception as exc:  # the page may be gone with the failure
            print(f"\nno screenshot of the failing page: {exc}")
    tab.close()


def pytest_configure(config):
    config.addinivalue_line("markers", "ui: drives a real browser against dagster dev / the dbt docs (slow)")
