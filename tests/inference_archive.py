"""The inference layer of the hand-written test archive: OpenRouter catalogues and daily rankings,
and the Hub's inference providers per model, day by day (worked out by hand in
tests/e2e/test_inference_pipeline.py, whose docstring has the table).

``write_small_archive(root, inference=True)`` (tests/small_archive.py) writes them into each day,
through :func:`write_inference_files`.
"""

from __future__ import annotations

import json
from typing import Any

from atom_dagster.sources.archive import ArchiveWriter
from tests.small_archive import DAYS, UID

M = 1_000_000
CLAUDE = "anthropic/claude-4.5-sonnet-20250929"
QWEN = "qwen/qwen-2.5-7b-instruct"
LLAMA = "meta-llama/llama-3.1-8b-instruct"
GLM = "thudm/glm-4-9b-chat"
SOMEORG = "someorg/open-model"
MISTRAL = "mistralai/mistral-small-3.2-24b-instruct"

TOKENS = {
    DAYS[0]: {
        CLAUDE: 400,
        QWEN: 300,
        LLAMA: 150,
        f"{LLAMA}:free": 50,
        GLM: 25,
        SOMEORG: 15,
        "retired/old-model": 10,
        "other": 50,
    },
    DAYS[1]: {CLAUDE: 700, QWEN: 600, LLAMA: 300, f"{LLAMA}:free": 100, GLM: 100, SOMEORG: 50, "other": 150},
    DAYS[2]: {CLAUDE: 1000, QWEN: 1200, MISTRAL: 800, LLAMA: 400, GLM: 200, "other": 400},
}
SKIP_REASON = "skipped: OPENROUTER_API_KEY is not set"


def _entry(slug: str, hf: str, canonical: str | None = None) -> dict:
    return {
        "id": slug,
        "canonical_slug": canonical or slug,
        "hugging_face_id": hf,
        "name": slug,
        "created": 1760000000,
        "context_length": 131072,
        "architecture": {
            "modality": "text->text",
            "input_modalities": ["text"],
            "output_modalities": ["text"],
        },
        "pricing": {"prompt": "0.0000001", "completion": "0.0000004"},
    }


def catalogue(day_index: int) -> dict:
    data = [
        _entry("anthropic/claude-sonnet-4.5", "", CLAUDE),
        _entry(QWEN, "Qwen/Qwen2.5-7B-Instruct"),
        _entry(LLAMA, "meta-llama/Llama-3.1-8B-Instruct"),
        _entry(f"{LLAMA}:free", "meta-llama/Llama-3.1-8B-Instruct", LLAMA),
        # Odd case and the pre-rename namespace: mapped case-insensitively through the id history.
        _entry(GLM, "thudm/GLM-4-9b-chat"),
        _entry(SOMEORG, "someorg/open-model"),
    ]
    if day_index >= 2:
        data.append(_entry(MISTRAL, "mistralai/Mistral-Small-3.2-24B-Instruct-2506"))
    return {"data": data}


def rankings(day: str) -> dict:
    rows = sorted(((s, t) for s, t in TOKENS[day].items() if s != "other"), key=lambda r: -r[1])
    data = [{"date": day, "model_permaslug": s, "total_tokens": str(t * M)} for s, t in rows]
    data.append({"date": day, "model_permaslug": "other", "total_tokens": str(TOKENS[day]["other"] * M)})
    return {
        "data": data,
        "meta": {"as_of": f"{day}T23:59:59Z", "start_date": day, "end_date": day, "version": "v1"},
    }


def providers(day_index: int) -> dict[str, dict]:
    live = {"status": "live", "task": "conversational"}
    return {
        UID["A"]: {
            "together": {**live, "providerId": "Qwen/Qwen2.5-7B-Instruct-Turbo"},
            "novita": {**live, "status": "staging", "providerId": "qwen/qwen2.5-7b-instruct"},
        },
        UID["B"]: {"groq": {**live, "providerId": "llama-3.1-8b-instant"}}
        | ({"cerebras": {**live, "providerId": "llama3.1-8b"}} if day_index == 3 else {}),
        UID["C"]: {},
        UID["D"]: {"nebius": {**live, "providerId": "mistralai/Mistral-Small-3.2-24B-Instruct-2506"}}
        if day_index == 3
        else {},
        UID["G"]: {
            "hf-inference": {
                "status": "live",
                "task": "feature-extraction",
                "providerId": "Qwen/Qwen3-Embedding-0.6B",
            }
        },
    }


def write_inference_files(
    writer: ArchiveWriter, day_index: int, day: str, first_page: list[dict]
) -> dict | None:
    """The day's model_info objects (children counts; provider mappings except on d2, captured before
    the field was requested) and its OpenRouter files (no catalogue on d2; no rankings on d4, whose
    skip reason goes into the manifest: the returned ``extra``)."""
    infos: list[dict[str, Any]] = []
    for model in first_page:
        info = {
            "_id": model["_id"],
            "id": model["id"],
            "childrenModelCount": {"finetune": 3, "adapter": 1, "quantized": 7, "merge": 0},
        }
        if day_index != 1:  # d2 was captured before the mapping was requested
            info["inferenceProviderMapping"] = providers(day_index)[model["_id"]]
        infos.append(info)
    writer.write_jsonl("hub/model_info/children.jsonl", infos)
    if day_index != 1:
        writer.write_body(
            "openrouter/models.json",
            json.dumps(catalogue(day_index)).encode(),
            {"endpoint": "/api/v1/models", "status": 200},
        )
    if day in TOKENS:
        writer.write_body(
            "openrouter/rankings-daily.json",
            json.dumps(rankings(day)).encode(),
            {"endpoint": "/api/v1/datasets/rankings-daily", "status": 200},
        )
        return None
    return {"openrouter": {"rankings": SKIP_REASON}}
