"""ATOM's reference lists: parsed and checked before anything is written, diffed, vendored whole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from atom_dagster.cli import main
from atom_dagster.sources import atom_reference
from atom_dagster.sources.atom_reference import (
    SOURCE_FILE,
    ReferenceDataError,
    load_vendored,
    update_reference,
)

FILES = {
    "models.csv": "org,model,modelId\nQwen,Qwen3-8B,Qwen/Qwen3-8B\nai21labs,Jamba-Mini,ai21labs/Jamba-Mini\n",
    "extra_models.csv": "org,model,modelId\nallenai,OLMo-2-7B,allenai/OLMo-2-7B\n",
    "metadata/model_parameters.csv": (
        'model_id,total_params_b,active_params_b,is_moe,notes\nQwen/Qwen3-8B,8.2,,False,"dense, official"\n'
    ),
    "metadata/release_date_corrections.csv": (
        "# Manual release date corrections\n# Format: model_id,hf_created_at,actual_release_date,notes\n"
        "model_id,hf_created_at,actual_release_date,notes\nQwen/Qwen3-8B,2025-04-27,2025-04-29,2 days early\n"
    ),
    "metadata/organization_regions.csv": "hf_org,region,notes\nQwen,china,\nai21labs,us,\nallenai,us,\n",
    "policy/model_policy.yml": "global:\n  primary_min_downloads: 100000\n",
    "LICENSE": "Apache License\nVersion 2.0\n",
}


def checkout(root: Path, **changes: str) -> Path:
    for rel, text in {**FILES, **changes}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_first_update_writes_normalized_seeds_with_licence_and_source(tmp_path):
    seeds = tmp_path / "seeds"
    diff, source = update_reference(checkout=checkout(tmp_path / "co"), seeds_dir=seeds)
    assert diff.models_added == {
        "primary": ["Qwen/Qwen3-8B", "ai21labs/Jamba-Mini"],
        "extra": ["allenai/OLMo-2-7B"],
    }
    assert (seeds / "atom_tracked_models.csv").read_text().splitlines() == [
        "model_id,org,model,list",
        "ai21labs/Jamba-Mini,ai21labs,Jamba-Mini,primary",
        "allenai/OLMo-2-7B,allenai,OLMo-2-7B,extra",
        "Qwen/Qwen3-8B,Qwen,Qwen3-8B,primary",
    ]
    # Comment lines dropped, the column renamed, values unchanged; is_moe lower-cased.
    assert (seeds / "atom_release_date_corrections.csv").read_text().splitlines() == [
        "model_id,hf_created_at,release_date,notes",
        "Qwen/Qwen3-8B,2025-04-27,2025-04-29,2 days early",
    ]
    assert 'Qwen/Qwen3-8B,8.2,,false,"dense, official"' in (seeds / "atom_model_parameters.csv").read_text()
    assert (seeds / "LICENSE").read_text() == FILES["LICENSE"]
    recorded = json.loads((seeds / SOURCE_FILE).read_text())
    assert (
        recorded["counts"]
        == source["counts"]
        == {
            "atom_tracked_models": 3,
            "atom_model_parameters": 1,
            "atom_release_date_corrections": 1,
            "atom_organization_regions": 3,
        }
    )
    assert set(recorded["files_sha256"]) == set(FILES)


def test_second_update_reports_what_changed(tmp_path):
    seeds = tmp_path / "seeds"
    update_reference(checkout=checkout(tmp_path / "one"), seeds_dir=seeds)
    changed = checkout(
        tmp_path / "two",
        **{
            "models.csv": "org,model,modelId\nQwen,Qwen3-8B,Qwen/Qwen3-8B\nQwen,Qwen3.5-9B,Qwen/Qwen3.5-9B\n",
            "metadata/organization_regions.csv": (
                "hf_org,region,notes\nQwen,china,\nai21labs,other,\nallenai,us,\n"
            ),
        },
    )
    diff, _ = update_reference(checkout=changed, seeds_dir=seeds)
    assert diff.models_added["primary"] == ["Qwen/Qwen3.5-9B"]
    assert diff.models_removed["primary"] == ["ai21labs/Jamba-Mini"]
    assert diff.regions_changed == [("ai21labs", "us", "other")]
    assert diff.lines() == [
        "1 model(s) added to the primary list: Qwen/Qwen3.5-9B",
        "1 model(s) removed from the primary list: ai21labs/Jamba-Mini",
        "1 organization region(s) changed: ai21labs us -> other",
    ]
    again, _ = update_reference(checkout=changed, seeds_dir=seeds)
    assert again.empty and again.lines() == ["no change"]


@pytest.mark.parametrize(
    ("rel", "text", "message"),
    [
        ("metadata/organization_regions.csv", "hf_org,region,notes\nQwen,mars,\n", "line 2: region 'mars'"),
        (
            "models.csv",
            "org,model,modelId\nQwen,A,Qwen/A\nQwen,A,Qwen/A\n",
            "line 3: 'Qwen/A' is listed twice",
        ),
        ("models.csv", "org,model,modelId\nQwen,A,Qwen/B\n", "modelId 'Qwen/B' is not org/model"),
        ("models.csv", "org,name,id\nQwen,A,Qwen/A\n", "line 1: the header is"),
        (
            "metadata/release_date_corrections.csv",
            "# c\nmodel_id,hf_created_at,actual_release_date,notes\nQ/A,2025-13-01,2025-01-02,x\n",
            "line 3: hf_created_at '2025-13-01' is not a YYYY-MM-DD date",
        ),
        (
            "metadata/model_parameters.csv",
            "model_id,total_params_b,active_params_b,is_moe,notes\nQ/A,8,9,true,\n",
            "active_params_b 9.0 exceeds total_params_b 8.0",
        ),
        (
            "metadata/organization_regions.csv",
            "hf_org,region,notes\nQwen,china,\n",
            "no region for organizations of the model lists: ai21labs, allenai",
        ),
    ],
)
def test_a_file_that_does_not_parse_is_refused_and_changes_nothing(tmp_path, rel, text, message):
    seeds = tmp_path / "seeds"
    update_reference(checkout=checkout(tmp_path / "good"), seeds_dir=seeds)
    before = snapshot(seeds)
    with pytest.raises(ReferenceDataError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        update_reference(checkout=checkout(tmp_path / "bad", **{rel: text}), seeds_dir=seeds)
    assert rel in str(info.value)  # the message names the file
    assert snapshot(seeds) == before


def test_a_missing_file_is_refused(tmp_path):
    root = checkout(tmp_path / "co")
    (root / "extra_models.csv").unlink()
    with pytest.raises(ReferenceDataError, match=r"secondary model list \(extra_models.csv\) cannot be read"):
        update_reference(checkout=root, seeds_dir=tmp_path / "seeds")
    assert not (tmp_path / "seeds").exists()


def test_cli_update_from_a_checkout_prints_the_diff(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(atom_reference, "SEEDS_DIR", tmp_path / "seeds")
    assert main(["reference", "update", "--from", str(checkout(tmp_path / "co"))]) == 0
    out = capsys.readouterr().out
    assert "2 model(s) added to the primary list: Qwen/Qwen3-8B, ai21labs/Jamba-Mini" in out
    assert "3 organization region(s) changed: ai21labs (new) -> us" in out
    assert main(["reference", "update", "--from", str(tmp_path / "nowhere")]) == 2
    assert "is not a directory" in capsys.readouterr().err


def test_the_vendored_copy_is_complete_and_consistent():
    vendored = load_vendored()
    source = json.loads((atom_reference.SEEDS_DIR / SOURCE_FILE).read_text())
    assert len(source["commit"]) == 40
    assert {name: len(rows) for name, rows in vendored.tables.items()} == source["counts"]
    # Every organization of the lists has a region; the report's universe is the primary list.
    assert {r["org"] for r in vendored.tables["atom_tracked_models"]} <= set(vendored.regions())
    assert len(vendored.models("primary")) > 1000
    assert (atom_reference.SEEDS_DIR / "LICENSE").read_text().lstrip().startswith("Apache License")


def test_update_from_github_reads_the_files_at_the_commit_the_ref_names(tmp_path):
    """The GitHub path against a local stand-in of api.github.com and raw.githubusercontent.com."""
    import hashlib
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    commit = hashlib.sha1(b"tracked-models").hexdigest()
    seen: list[str] = []

    class GitHub(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            seen.append(self.path)
            prefix = f"/raw/{atom_reference.REPOSITORY}/{commit}/"
            if self.path == f"/api/repos/{atom_reference.REPOSITORY}/commits/main":
                body = commit.encode()
            elif self.path.startswith(prefix) and self.path[len(prefix) :] in FILES:
                body = FILES[self.path[len(prefix) :]].encode()
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), GitHub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        diff, source = update_reference(
            seeds_dir=tmp_path / "seeds", github_api=f"{base}/api", github_raw=f"{base}/raw", timeout=10
        )
        with pytest.raises(ReferenceDataError, match="cannot reach GitHub for .*@nowhere"):
            update_reference(
                ref="nowhere",
                seeds_dir=tmp_path / "seeds",
                github_api=f"{base}/api",
                github_raw=f"{base}/raw",
            )
    finally:
        server.shutdown()
    assert source["commit"] == commit and source["retrieved_from"].endswith("at main")
    assert diff.models_added["primary"] == ["Qwen/Qwen3-8B", "ai21labs/Jamba-Mini"]
    # Every file read at the resolved commit, never at the moving branch.
    assert sorted(p for p in seen if p.startswith("/raw/")) == sorted(
        f"/raw/{atom_reference.REPOSITORY}/{commit}/{rel}" for rel in FILES
    )
