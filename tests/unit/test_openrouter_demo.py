"""The demo archive's SYNTHETIC OpenRouter files and provider mappings: shaped like the APIs, labelled."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from atom_dagster.demo import openrouter as demo
from atom_dagster.demo.catalog import RELEASE_DAY, RELEASED_IN_WINDOW
from atom_dagster.demo.generate import DEMO_START, generate_demo_archive
from atom_dagster.landing.tables.hub_inference_providers import parse_archive_day
from atom_dagster.landing.tables.openrouter import read_openrouter_day
from atom_dagster.sources.archive import HUB_MODEL_INFO_DIR, iter_records, read_manifest

DAYS = 12
SCALE = 0.1


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo_openrouter")
    generate_demo_archive(root, days=DAYS, scale=SCALE)
    return root


def _days() -> list[str]:
    return [(DEMO_START + timedelta(days=k)).isoformat() for k in range(DAYS)]


def test_every_day_has_a_catalogue_and_all_but_one_have_rankings(archive: Path) -> None:
    for n, day in enumerate(_days(), start=1):
        manifest = read_manifest(archive / day)
        files = set(manifest["files"])
        assert "openrouter/models.json" in files
        parsed = read_openrouter_day(archive / day, day)
        assert parsed.synthetic and not parsed.models.rejected and len(parsed.models.rows) > 30
        if n == demo.SKIPPED_RANKINGS_DAY:
            assert "openrouter/rankings-daily.json" not in files and parsed.rankings is None
            assert demo.SKIPPED_RANKINGS_REASON in manifest["openrouter"]["rankings"]
            assert any(demo.SKIPPED_RANKINGS_REASON in note for note in parsed.notes)
            continue
        rows = parsed.rankings.rows
        assert not parsed.rankings.rejected and parsed.rankings.rows_outside_day == 0
        assert len(rows) == demo.TOP_N + 1 and rows[-1]["model_permaslug"] == "other"
        assert all(r["total_tokens"] > 0 for r in rows)


def test_bodies_are_shaped_like_the_api_and_labelled_synthetic(archive: Path) -> None:
    day = _days()[0]
    catalogue = json.loads((archive / day / "openrouter" / "models.json").read_text())
    rankings = json.loads((archive / day / "openrouter" / "rankings-daily.json").read_text())
    assert "SYNTHETIC" in catalogue["atom_synthetic"] and "SYNTHETIC" in rankings["atom_synthetic"]
    by_id = {m["id"]: m for m in catalogue["data"]}
    assert by_id["anthropic/claude-sonnet-4.5"]["hugging_face_id"] == ""  # closed, as the API lists it
    assert by_id["qwen/qwen3-235b-a22b"]["hugging_face_id"] == "Qwen/Qwen3-235B-A22B"
    assert by_id["deepseek/deepseek-r1:free"]["pricing"]["prompt"] == "0"
    assert {tuple(m["architecture"]["output_modalities"]) for m in catalogue["data"]} >= {
        ("text",),
        ("image", "text"),
        ("embeddings",),
    }
    assert all(isinstance(r["total_tokens"], str) and r["total_tokens"].isdigit() for r in rankings["data"])
    assert rankings["meta"] == {
        "as_of": "2026-10-02T02:00:00Z",
        "end_date": day,
        "start_date": day,
        "version": "v1",
    }


def test_models_released_in_the_window_reach_openrouter_and_providers_after_release(archive: Path) -> None:
    release = DEMO_START + timedelta(days=RELEASE_DAY - 1)
    for day in _days():
        slugs = {
            m["id"] for m in json.loads((archive / day / "openrouter" / "models.json").read_text())["data"]
        }
        assert ("qwen/qwen4-8b" in slugs) == (day > release.isoformat())
        infos = {r.obj["id"]: r.obj for r in iter_records(archive / day, HUB_MODEL_INFO_DIR)}
        assert all("inferenceProviderMapping" in obj for obj in infos.values())
        if day < release.isoformat():
            assert RELEASED_IN_WINDOW not in infos
        elif day == release.isoformat():
            assert infos[RELEASED_IN_WINDOW]["inferenceProviderMapping"] == {}
        elif day >= (release + timedelta(days=2)).isoformat():
            statuses = [p["status"] for p in infos[RELEASED_IN_WINDOW]["inferenceProviderMapping"].values()]
            assert "live" in statuses


def test_provider_mapping_lands_for_every_tracked_model(archive: Path) -> None:
    day = _days()[-1]
    parsed, manifest = parse_archive_day(archive / day)
    assert manifest["synthetic"] is True and not parsed.rejected
    assert parsed.models_checked == parsed.objects_read  # every model_info object carries the field
    assert 10 < parsed.models_with_providers < parsed.models_checked
    assert {r["status"] for r in parsed.rows if r["provider"]} <= {"live", "staging", "error"}
