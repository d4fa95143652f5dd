"""Only signed days land (issue 11, item 4): every archived day is opened by ``archive.open_day``.

Each case starts from a good day (``corpus.write_good_day``, written by ``ArchiveWriter`` with its
MANIFEST.json) and breaks one rule the way an attacker or a careless hand would: a page the
manifest does not list, an empty sha256, a link to a file outside the day, a deleted manifest,
another day's capture in the folder, an unfinished capture. All of them landed with exit 0 before
(an injected page moved a region's downloads from 0.79M to 3.22B); each must now fail its
partition with a message naming the file and the rule, and land nothing. A day assembled by hand
lands once ``atom archive sign DAY_DIR`` has signed it, and its manifest says it was signed after
the fact. All days go through ``atom backfill``'s runner in one call, landing only: every rule here
is the landing's (the dbt build after it is tested elsewhere).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from atom_dagster.landing.tables import hub_models
from atom_dagster.landing.tables.openrouter import read_openrouter_day
from atom_dagster.settings import load_settings
from atom_dagster.sources.archive import MANIFEST_NAME, ArchiveError, ArchiveWriter, open_day, sign_day
from tests.faults.corpus import GOOD_ROWS, write_good_day
from tests.faults.helpers import REPO_ROOT, subprocess_env
from tests.small_archive import UID, models_for

MODELS = "hub/models"
# One injected model is enough to move a region by billions (the 0.79M -> 3.22B).
INJECTED = {
    "_id": "f" * 24,
    "id": "Qwen/injected-7B",
    "author": "Qwen",
    "downloads": 1,
    "downloadsAllTime": 3_220_000_000,
    "likes": 1,
    "createdAt": "2025-01-01T00:00:00.000Z",
    "lastModified": "2025-01-01T00:00:00.000Z",
    "tags": ["transformers", "text-generation"],
    "pipeline_tag": "text-generation",
}


def _manifest(day: Path) -> dict:
    return json.loads((day / MANIFEST_NAME).read_text())


def _write_manifest(day: Path, manifest: dict) -> None:
    (day / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2))


def _unlisted_page(day: Path) -> None:
    (day / MODELS / "page-0003.json").write_text(json.dumps([INJECTED]))


def _empty_sha256(day: Path) -> None:
    page = day / MODELS / "page-0002.json"
    page.write_text(json.dumps([*json.loads(page.read_text()), INJECTED]))
    manifest = _manifest(day)
    manifest["files"]["hub/models/page-0002.json"]["sha256"] = ""
    _write_manifest(day, manifest)


def _link_outside(day: Path) -> None:
    outside = day.parent.parent / "outside" / "page.json"
    outside.parent.mkdir(exist_ok=True)
    outside.write_text(json.dumps([INJECTED]))
    os.symlink(outside, day / MODELS / "page-0003.json")


def _deleted_manifest(day: Path) -> None:
    (day / MANIFEST_NAME).unlink()


def _another_days_capture(day: Path) -> None:
    # The folder holds a capture of another day, intact and consistent with its own manifest.
    other = day.parent.parent / "elsewhere"
    shutil.rmtree(day)
    shutil.move(write_good_day(other, "2026-09-15"), day)


def _incomplete(day: Path) -> None:
    manifest = _manifest(day)
    manifest["complete"] = False
    _write_manifest(day, manifest)


# name -> (day, break it, strings the failure message contains)
CASES = {
    "page_not_in_the_manifest": (
        "2026-10-02",
        _unlisted_page,
        ["2026-10-02/hub/models/page-0003.json: not listed in", "MANIFEST.json", "atom archive sign"],
    ),
    "empty_sha256_in_the_manifest": (
        "2026-10-03",
        _empty_sha256,
        ["MANIFEST.json: the entry for 'hub/models/page-0002.json' has no sha256"],
    ),
    "link_to_a_file_outside_the_day": (
        "2026-10-04",
        _link_outside,
        ["2026-10-04/hub/models/page-0003.json: a symbolic link", "regular files only"],
    ),
    "deleted_manifest": (
        "2026-10-05",
        _deleted_manifest,
        ["2026-10-05: no MANIFEST.json", "`atom archive sign ", "2026-10-05`"],
    ),
    "another_days_capture_in_the_folder": (
        "2026-10-06",
        _another_days_capture,
        ["is the manifest of '2026-09-15', but the folder is 2026-10-06"],
    ),
    "incomplete_capture": (
        "2026-10-07",
        _incomplete,
        ['MANIFEST.json: says "complete": false', "never lands"],
    ),
}
SIGNED_DAY = "2026-10-08"  # assembled by hand, then `atom archive sign`


def _hand_made_day(archive: Path, day: str) -> Path:
    """A day written without ArchiveWriter: pages and model_info, no manifest."""
    path = archive / day
    (path / MODELS).mkdir(parents=True)
    (path / "hub" / "model_info").mkdir(parents=True)
    for n, page in enumerate(models_for(0), start=1):
        (path / MODELS / f"page-{n:04d}.json").write_text(json.dumps(page))
    (path / "hub" / "model_info" / "children.jsonl").write_text(
        json.dumps({"_id": UID["A"], "id": "Qwen/Qwen2.5-7B-Instruct", "childrenModelCount": {"finetune": 3}})
        + "\n"
    )
    return path


def _sign(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "atom_dagster.cli", "archive", "sign", str(path)],
        cwd=REPO_ROOT,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def backfilled(fast_tmp, dbt_manifest):
    from atom_dagster.runner import backfill

    root = fast_tmp("signed_days")
    archive = root / "archive"
    settings = load_settings(
        {"ATOM_DATA_DIR": str(root / "data"), "ATOM_ARCHIVE_DIR": str(archive), "ATOM_SOURCE": "archive"}
    )
    for day, corrupt, _ in CASES.values():
        write_good_day(archive, day)
        corrupt(archive / day)
    hand_made = _hand_made_day(archive, SIGNED_DAY)
    with pytest.raises(ArchiveError, match="atom archive sign"):
        open_day(hand_made)  # unsigned: refused, naming the command that signs it
    signed = _sign(hand_made)
    days = [day for day, _, _ in CASES.values()] + [SIGNED_DAY]
    summary = backfill(settings, days, log=lambda _m: None, build_dbt=False)
    return settings, summary, signed


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_an_unsigned_or_mislabelled_day_fails_its_partition_naming_file_and_rule(backfilled, case):
    settings, summary, _ = backfilled
    day, _, expect = CASES[case]
    assert day in summary.failed, f"{case} landed: {summary.landed}"
    message = summary.failed[day]
    for expected in expect:
        assert expected in message, f"{expected!r} not in:\n{message}"
    assert "Traceback" not in message
    assert not (settings.raw_dir / hub_models.TABLE / f"snapshot_date={day}").exists()


def test_atom_archive_sign_makes_a_hand_made_day_land_and_records_the_signing(backfilled):
    settings, summary, signed = backfilled
    assert signed.returncode == 0, signed.stderr
    assert f"Signed {settings.archive_dir / SIGNED_DAY}: 3 file(s)" in signed.stdout
    manifest = _manifest(settings.archive_dir / SIGNED_DAY)
    assert manifest["signed_after_capture"] is True and manifest["signed_by"] == "atom archive sign"
    assert manifest["signed_at"] and manifest["source"] == "archive" and manifest["synthetic"] is False
    assert (manifest["snapshot_date"], manifest["complete"]) == (SIGNED_DAY, True)
    assert sorted(manifest["files"]) == [
        "hub/model_info/children.jsonl",
        "hub/models/page-0001.json",
        "hub/models/page-0002.json",
    ]
    assert SIGNED_DAY in summary.landed and SIGNED_DAY not in summary.failed
    table = pq.read_table(settings.raw_dir / hub_models.TABLE / f"snapshot_date={SIGNED_DAY}")
    assert table.num_rows == GOOD_ROWS and set(table.column("source").to_pylist()) == {"archive"}


# --- the rules on their own (no Dagster): both ways the OpenRouter files are signed -------------


def _day_with_unit(tmp_path: Path) -> Path:
    hub = ArchiveWriter(tmp_path, "2026-10-02", source="live")
    hub.write_body(f"{MODELS}/page-0001.json", json.dumps(models_for(0)[0]).encode())
    hub.finish()
    unit = ArchiveWriter(tmp_path, "2026-10-02", source="live", unit="openrouter")
    unit.write_body("models.json", b'{"data": [{"id": "a/b"}]}')
    return unit.finish()


def test_a_unit_is_signed_by_its_own_manifest_and_only_by_it(tmp_path):
    folder = _day_with_unit(tmp_path)
    day = folder.parent
    assert open_day(day, "openrouter")["scope"] == "openrouter" and "scope" not in open_day(day)
    assert len(read_openrouter_day(day, "2026-10-02").models.rows) == 1
    (folder / "extra.json").write_text("{}")  # a file the unit's manifest does not sign
    with pytest.raises(ArchiveError, match=r"openrouter/extra.json: not listed in .*/openrouter/MANIFEST"):
        open_day(day)
    (folder / "extra.json").unlink()
    manifest = _manifest(day)  # the day's manifest may not sign the unit's files as well
    manifest["files"]["openrouter/models.json"] = {"sha256": "0" * 64}
    _write_manifest(day, manifest)
    with pytest.raises(ArchiveError, match="has its own MANIFEST.json, which signs it"):
        read_openrouter_day(day, "2026-10-02")


def test_a_leftover_progress_file_is_ignored_and_sign_never_overwrites_silently(tmp_path):
    day = write_good_day(tmp_path, "2026-10-02")
    (day / "PROGRESS.json").write_text("{}")  # a capture killed between its rename and the cleanup
    assert open_day(day)["complete"] is True
    assert sign_day(day) == _manifest(day)  # already signed and it verifies: nothing written
    (day / MODELS / "page-0002.json").write_text("[]")
    with pytest.raises(ArchiveError, match="exists and does not verify: .*sha256 does not match.*--force"):
        sign_day(day)
    manifest = sign_day(day, force=True)
    assert manifest["replaced_manifest"]["snapshot_date"] == "2026-10-02" and manifest["requests"]
    assert open_day(day)["signed_after_capture"] is True
