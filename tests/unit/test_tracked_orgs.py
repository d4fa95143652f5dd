"""The organizations a live capture lists: our reviewed seed's tracked rows, then ATOM's organizations."""

from __future__ import annotations

import pytest

from atom_dagster.settings import load_settings
from atom_dagster.sources import tracked_orgs as tracked_orgs_module
from atom_dagster.sources.tracked_orgs import ATOM_REGIONS_SEED, ORGANIZATIONS_SEED, tracked_orgs

SEED = """namespace,organization,country_code,region,tracked,evidence
Qwen,Alibaba Cloud (Qwen team),CN,china,true,"Alibaba Cloud, Hangzhou"
meta-llama,Meta,US,us,TRUE,"Meta Platforms, Menlo Park"
someuser,Someone,US,us,false,"not first party"
mistralai,Mistral AI,FR,eu, true ,"Mistral AI, Paris"
oldorg,Old Org,US,us,,"no answer"
"""


ATOM_REGIONS = """namespace,region,notes
Qwen,china,
01-ai,china,
ai21labs,us,
"""


@pytest.fixture
def seed(tmp_path, monkeypatch):
    """Our seed; ATOM's regions file absent (so only the seed's rows)."""
    monkeypatch.delenv("ATOM_TRACKED_ORGS", raising=False)
    monkeypatch.setattr(tracked_orgs_module, "ATOM_REGIONS_SEED", tmp_path / "absent.csv")
    path = tmp_path / "organizations.csv"
    path.write_text(SEED, encoding="utf-8")
    return path


def test_atom_organizations_are_added_after_the_seed_once(seed, tmp_path):
    regions = tmp_path / "atom_organization_regions.csv"
    regions.write_text(ATOM_REGIONS, encoding="utf-8")
    # Qwen is in both lists: once, in the seed's place; ATOM's others follow in their file's order.
    assert tracked_orgs(seed, atom_regions=regions) == [
        "Qwen",
        "meta-llama",
        "mistralai",
        "01-ai",
        "ai21labs",
    ]
    assert tracked_orgs(seed, override="01-ai", atom_regions=regions) == ["01-ai"]


def test_only_tracked_rows_in_seed_order(seed):
    assert tracked_orgs(seed) == ["Qwen", "meta-llama", "mistralai"]


def test_empty_override_means_no_narrowing(seed):
    assert tracked_orgs(seed, override="") == ["Qwen", "meta-llama", "mistralai"]


@pytest.mark.parametrize("override", [" ", ",", " , "])
def test_blank_override_means_no_narrowing(seed, override):
    assert tracked_orgs(seed, override=override) == ["Qwen", "meta-llama", "mistralai"]


def test_override_narrows(seed):
    assert tracked_orgs(seed, override=" mistralai , Qwen ") == ["mistralai", "Qwen"]


def test_environment_variable_narrows(seed, monkeypatch):
    monkeypatch.setenv("ATOM_TRACKED_ORGS", "meta-llama")
    # The environment reaches the capture through the settings (read once, passed down).
    assert tracked_orgs(seed, override=load_settings().tracked_orgs) == ["meta-llama"]
    # An explicit argument wins over the environment.
    assert tracked_orgs(seed, override="Qwen") == ["Qwen"]


def test_override_naming_an_unknown_org_is_refused(seed):
    with pytest.raises(
        ValueError, match="ATOM_TRACKED_ORGS names deepseek-ai, which are neither tracked rows"
    ) as info:
        tracked_orgs(seed, override="Qwen,deepseek-ai")
    assert str(seed) in str(info.value)


def test_override_naming_an_untracked_org_is_refused(seed):
    with pytest.raises(ValueError, match="names qwen, someuser,"):
        tracked_orgs(seed, override="someuser,qwen")  # namespaces are case-sensitive


def test_the_real_seeds_give_the_union_of_both_lists(monkeypatch):
    monkeypatch.delenv("ATOM_TRACKED_ORGS", raising=False)
    orgs = tracked_orgs(ORGANIZATIONS_SEED, atom_regions=ATOM_REGIONS_SEED)
    assert len(orgs) == len(set(orgs))
    # Ours only (a reviewed publisher ATOM does not list), ATOM's only, and both.
    assert {"BSC-LT", "BAAI", "Qwen"} <= set(orgs)
