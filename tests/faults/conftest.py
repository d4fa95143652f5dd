"""Fixtures of the fault suite: huggingface_hub's shared HTTP client reset for real HTTP."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def real_http():
    """huggingface_hub's default client (other tests install mock transports), online, no telemetry."""
    from huggingface_hub import constants
    from huggingface_hub.utils import _http, close_session, set_client_factory

    previous = _http._GLOBAL_CLIENT_FACTORY
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
        mp.delenv("HF_HUB_OFFLINE", raising=False)
        mp.delenv("HF_TOKEN", raising=False)
        mp.setattr(constants, "HF_HUB_OFFLINE", False)
        mp.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", True)
        mp.setattr(constants, "HF_HUB_DISABLE_IMPLICIT_TOKEN", True)
        set_client_factory(_http.default_client_factory)
        close_session()
        yield
        close_session()
        set_client_factory(previous)


# --- without pytest-xdist, the two backfills of test_backfill_twice.py run in the background --
# They take about a minute of mostly single-core work; started when the session collects that
# module, they overlap with the rest of the suite, and the module's tests (moved to the end of
# the session) pick up their results.

BACKFILL_MODULE = Path(__file__).with_name("test_backfill_twice.py")
BACKFILL_JOB = pytest.StashKey[tuple]()  # (process, root, log file)


@pytest.hookimpl(trylast=True)  # after -k / -m deselection: start the job only if its tests run
def pytest_collection_modifyitems(session, config, items):
    selected = [item for item in items if Path(str(item.path)) == BACKFILL_MODULE]
    # Under pytest-xdist every worker collects every test: the fixture runs the job on demand in
    # the one worker that gets the module (the other worker is the overlap then).
    if not selected or config.option.collectonly or os.environ.get("PYTEST_XDIST_WORKER"):
        return
    items[:] = [item for item in items if item not in selected] + selected
    import subprocess

    from tests.faults.helpers import PYTHON, fast_dir, subprocess_env

    root = fast_dir("backfill")
    log = open(root / "job.log", "w")  # noqa: SIM115 -- closed in pytest_unconfigure
    proc = subprocess.Popen(
        [PYTHON, "-m", "tests.faults.backfill_job", str(root)],
        cwd=REPO_ROOT,
        env=subprocess_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    config.stash[BACKFILL_JOB] = (proc, root, log)


def pytest_unconfigure(config):
    job = config.stash.get(BACKFILL_JOB, None)
    if job is not None:
        proc, root, log = job
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
        import shutil

        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def backfill_job(request):
    """(root, results) of tests/faults/backfill_job.py: waits for the background run, or runs it."""
    import json

    job = request.config.stash.get(BACKFILL_JOB, None)
    if job is None:  # not started at collection (e.g. run by node id): run it now
        import shutil
        import subprocess

        from tests.faults.helpers import PYTHON, fast_dir, subprocess_env

        root = fast_dir("backfill")
        request.addfinalizer(lambda: shutil.rmtree(root, ignore_errors=True))
        with open(root / "job.log", "w") as log:
            code = subprocess.call(
                [PYTHON, "-m", "tests.faults.backfill_job", str(root)],
                cwd=REPO_ROOT,
                env=subprocess_env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=900,
            )
    else:
        proc, root, _ = job
        code = proc.wait(timeout=900)
    results = root / "results.json"
    assert code == 0 and results.exists(), (root / "job.log").read_text()[-5000:]
    return root, json.loads(results.read_text())


@pytest.fixture(scope="session")
def fast_tmp():
    """Factory of RAM-backed directories (see helpers.fast_dir), removed at the end of the session."""
    import shutil

    from tests.faults.helpers import fast_dir

    made: list[Path] = []

    def make(prefix: str) -> Path:
        made.append(fast_dir(prefix))
        return made[-1]

    yield make
    for path in made:
        shutil.rmtree(path, ignore_errors=True)
