"""A small hand-written archive (4 days) whose expected numbers are worked out by hand in tests.

Models (downloadsAllTime per day d1..d4; '-' = missing):
  A  Qwen/Qwen2.5-7B-Instruct        1_000_000  1_100_000  1_050_000* 1_200_000
     (* revised down; A is on 2 pages every day)
  B  meta-llama/Llama-3.1-8B-Instruct 5_000_000  -          -          5_600_000   (gap)
  C  THUDM/glm-4-9b-chat -> zai-org/glm-4-9b-chat on d3 (rename, same _id)
                                       300_000    300_500    301_000    301_500
  D  mistralai/Mistral-Small-3.2-24B-Instruct-2506, created on d3
                                       -          -          200_000    250_000
  E  someuser/qwen-sft (finetune of A; not first party)        50 every day
  F  someuser/broken-lineage (parent is a local path)          10 every day
  G  Qwen/Qwen3-Embedding-0.6B (feature-extraction: not mainline)  900_000 every day

New models of the whole Hub (``hub/new_models/``, raw/hub_new_models), created on each day by
third parties. Counts are unique models created that day (what lands), per base and relation:
  d1  A: 2 finetune, 1 quantized       B: 1 adapter               G: 1 finetune  no base: 1   (6)
  d2  A: 1 finetune, 1 adapter         B: 1 finetune, 1 quantized G: 1 finetune  no base: 1   (6)
  d3  A: 2 finetune (one declared by tags only, no baseModels), 1 quantized, 1 adapter;
      1 merge of A and E (two base ids)    B: 1 finetune          G: 1 finetune  no base: 1   (8)
  d4  A: 1 finetune, 1 quantized       B: 1 finetune, 2 adapter   G: 1 finetune  no base: 1   (7)
  Derivatives of A among those of A or B (the merge counted once, under A):
      d1 3/4, d2 2/4, d3 5/6, d4 2/5.
Each day's listing is newest first on two pages: page 1 opens with a model created the next day
before 02:00 (listed, dropped: it is the next day's, d4's is created on 2026-10-05), page 2
repeats page 1's last model (one model: deduplicated by `_id`) and ends with the newest model of
the day before (where paging stopped: listed, dropped).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from atom_dagster.sources.archive import ArchiveWriter
from atom_dagster.sources.hub_new_models import listing_params, page_file

DAYS = ["2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04"]

UID = {k: f"{k.lower() * 4}{i:020x}" for i, k in enumerate("ABCDEFG")}


def hub_model(
    uid: str,
    model_id: str,
    all_time: int,
    created: str,
    *,
    pipeline: str = "text-generation",
    tags: list[str] | None = None,
    safetensors: int | None = None,
    **extra,
) -> dict:
    obj = {
        "_id": uid,
        "id": model_id,
        "author": model_id.split("/")[0],
        "downloads": all_time // 10,
        "downloadsAllTime": all_time,
        "likes": 5,
        "createdAt": created,
        "lastModified": created,
        "tags": ["transformers", "safetensors", pipeline, "license:apache-2.0", *(tags or [])],
        "pipeline_tag": pipeline,
        "library_name": "transformers",
        "gated": False,
    }
    if safetensors:
        obj["safetensors"] = {"parameters": {"BF16": safetensors}, "total": safetensors}
    obj.update(extra)
    return obj


def models_for(day_index: int) -> tuple[list[dict], list[dict]]:
    """(first-party page, third-party page) for day 0..3."""
    a = [1_000_000, 1_100_000, 1_050_000, 1_200_000][day_index]
    first = [
        hub_model(
            UID["A"], "Qwen/Qwen2.5-7B-Instruct", a, "2024-09-16T11:55:40.000Z", safetensors=7_615_616_512
        )
    ]
    if day_index in (0, 3):
        b = 5_000_000 if day_index == 0 else 5_600_000
        first.append(
            hub_model(
                UID["B"],
                "meta-llama/Llama-3.1-8B-Instruct",
                b,
                "2024-07-18T08:56:00.000Z",
                safetensors=8_030_261_248,
                gated="manual",
            )
        )
    glm = "THUDM/glm-4-9b-chat" if day_index < 2 else "zai-org/glm-4-9b-chat"
    first.append(hub_model(UID["C"], glm, 300_000 + 500 * day_index, "2024-06-04T08:00:00.000Z"))
    if day_index >= 2:
        d = 200_000 if day_index == 2 else 250_000
        first.append(
            hub_model(
                UID["D"],
                "mistralai/Mistral-Small-3.2-24B-Instruct-2506",
                d,
                "2026-10-03T08:00:00.000Z",
                safetensors=24_011_361_280,
            )
        )
    first.append(
        hub_model(
            UID["G"],
            "Qwen/Qwen3-Embedding-0.6B",
            900_000,
            "2025-06-05T00:00:00.000Z",
            pipeline="feature-extraction",
            safetensors=595_776_512,
        )
    )
    third = [
        hub_model(
            UID["E"],
            "someuser/qwen-sft",
            50,
            "2025-01-10T00:00:00.000Z",
            tags=["base_model:Qwen/Qwen2.5-7B-Instruct", "base_model:finetune:Qwen/Qwen2.5-7B-Instruct"],
            baseModels={"relation": "finetune", "models": [{"id": "Qwen/Qwen2.5-7B-Instruct"}]},
        ),
        hub_model(
            UID["F"],
            "someuser/broken-lineage",
            10,
            "2025-02-01T00:00:00.000Z",
            tags=["base_model:finetune:/home/me/ckpt"],
        ),
        # The same model as on the first page: overlapping queries return it twice.
        first[0],
    ]
    return first, third


A_ID, B_ID, E_ID, G_ID = (
    "Qwen/Qwen2.5-7B-Instruct",
    "meta-llama/Llama-3.1-8B-Instruct",
    "someuser/qwen-sft",
    "Qwen/Qwen3-Embedding-0.6B",
)
# (created, model id, relation, base ids, kind): every third-party model created in or around the
# window, newest last. kind: llm | gguf | awq | gptq | lora | embedding | scratch | rl | tags-only.
NEW_MODELS: list[tuple[str, str, str | None, tuple[str, ...], str]] = [
    ("2026-09-30T23:10:00.000Z", "yan/Qwen2.5-7B-Instruct-sept-sft", "finetune", (A_ID,), "llm"),
    # d1
    ("2026-10-01T01:05:00.000Z", "eve/tiny-scratch-lm", None, (), "scratch"),
    ("2026-10-01T09:10:00.000Z", "alice/Qwen2.5-7B-Instruct-medical-sft", "finetune", (A_ID,), "llm"),
    ("2026-10-01T11:45:00.000Z", "carol/llama-3.1-8b-instruct-lora-chat", "adapter", (B_ID,), "lora"),
    ("2026-10-01T14:00:00.000Z", "bob/qwen2.5-7b-instruct-law", "finetune", (A_ID,), "llm"),
    ("2026-10-01T16:20:00.000Z", "dave/qwen3-embedding-0.6b-legal", "finetune", (G_ID,), "embedding"),
    ("2026-10-01T20:30:00.000Z", "quantfolk/Qwen2.5-7B-Instruct-GGUF", "quantized", (A_ID,), "gguf"),
    # d2
    ("2026-10-02T01:00:00.000Z", "frank/Qwen2.5-7B-Instruct-roleplay", "finetune", (A_ID,), "llm"),
    ("2026-10-02T08:00:00.000Z", "ivy/Qwen3-Embedding-0.6B-code", "finetune", (G_ID,), "embedding"),
    ("2026-10-02T10:15:00.000Z", "henry/Llama-3.1-8B-Instruct-german", "finetune", (B_ID,), "llm"),
    ("2026-10-02T13:30:00.000Z", "grace/qwen2.5-7b-instruct-dpo-lora", "adapter", (A_ID,), "lora"),
    ("2026-10-02T18:40:00.000Z", "quantfolk/Llama-3.1-8B-Instruct-AWQ", "quantized", (B_ID,), "awq"),
    ("2026-10-02T21:10:00.000Z", "jack/my-first-model", None, (), "scratch"),
    # d3
    ("2026-10-03T01:30:00.000Z", "nina/Llama-3.1-8B-Instruct-chat-sft", "finetune", (B_ID,), "llm"),
    ("2026-10-03T09:00:00.000Z", "kim/Qwen2.5-7B-Instruct-math-sft", "finetune", (A_ID,), "llm"),
    ("2026-10-03T11:00:00.000Z", "omar/Qwen3-Embedding-0.6B-medical", "finetune", (G_ID,), "embedding"),
    ("2026-10-03T12:00:00.000Z", "lee/qwen2.5-7b-instruct-tagged-sft", "finetune", (A_ID,), "tags-only"),
    ("2026-10-03T15:30:00.000Z", "quantfolk/Qwen2.5-7B-Instruct-GPTQ-Int8", "quantized", (A_ID,), "gptq"),
    ("2026-10-03T17:00:00.000Z", "xena/Qwen2.5-7B-merge-slerp", "merge", (A_ID, E_ID), "llm"),
    ("2026-10-03T19:45:00.000Z", "max/qwen2.5-7b-instruct-sql-lora", "adapter", (A_ID,), "lora"),
    ("2026-10-03T22:00:00.000Z", "pia/pixel-diffusion-scratch", None, (), "scratch"),
    # d4
    ("2026-10-04T01:15:00.000Z", "quinn/Qwen2.5-7B-Instruct-GPTQ-Int4", "quantized", (A_ID,), "gptq"),
    ("2026-10-04T09:40:00.000Z", "uma/Llama-3.1-8B-Instruct-ja", "finetune", (B_ID,), "llm"),
    ("2026-10-04T10:00:00.000Z", "rob/Qwen2.5-7B-Instruct-finance", "finetune", (A_ID,), "llm"),
    ("2026-10-04T12:20:00.000Z", "sam/llama-3.1-8b-instruct-sql-lora", "adapter", (B_ID,), "lora"),
    ("2026-10-04T14:10:00.000Z", "vic/Qwen3-Embedding-0.6B-patents", "finetune", (G_ID,), "embedding"),
    ("2026-10-04T16:00:00.000Z", "tess/llama-3.1-8b-instruct-code-lora", "adapter", (B_ID,), "lora"),
    ("2026-10-04T20:00:00.000Z", "wes/ppo-LunarLander-v3", None, (), "rl"),
    ("2026-10-05T00:45:00.000Z", "zoe/Qwen2.5-7B-Instruct-future-sft", "finetune", (A_ID,), "llm"),
]
_LIBRARY = {"gguf": "gguf", "lora": "peft", "embedding": "sentence-transformers", "rl": "stable-baselines3"}
_PIPELINE = {"embedding": "feature-extraction", "rl": "reinforcement-learning", "scratch": "text-generation"}


def new_model(
    index: int, created: str, model_id: str, relation: str | None, bases: tuple[str, ...], kind: str
) -> dict:
    """A listing object as ``GET /api/models?sort=createdAt&expand=...`` returns it."""
    tags = [_LIBRARY.get(kind, "transformers"), "safetensors", "license:apache-2.0"]
    tags += [kind] if kind in ("gguf", "awq", "gptq") else []
    for base in bases:
        tags += [f"base_model:{base}", f"base_model:{relation}:{base}"]
    obj = {
        "_id": f"new{index:021x}",
        "id": model_id,
        "author": model_id.split("/")[0],
        "createdAt": created,
        "downloads": index % 7,
        "likes": index % 3,
        "tags": tags,
        "pipeline_tag": _PIPELINE.get(kind, "text-generation"),
        "library_name": _LIBRARY.get(kind, "transformers"),
    }
    if bases and kind != "tags-only":
        obj["baseModels"] = {"relation": relation, "models": [{"id": base} for base in bases]}
    return obj


def new_model_pages(day: str) -> tuple[list[dict], list[dict]]:
    """The day's listing (newest first) as captured at 02:00 the next day, on two pages."""
    listed = sorted(
        (new_model(i, *entry) for i, entry in enumerate(NEW_MODELS, start=1)), key=lambda o: o["createdAt"]
    )
    captured_at = f"{date.fromisoformat(day) + timedelta(days=1)}T02:00"
    newest_first = [o for o in reversed(listed) if day <= o["createdAt"] < captured_at]
    before = next(o for o in reversed(listed) if o["createdAt"] < day)
    first = newest_first[:4]
    return first, [first[-1], *newest_first[4:], before]


def write_small_archive(
    root: Path, days: list[str] = DAYS, *, new_models: bool = True, inference: bool = False
) -> Path:
    """Write the archive under ``root`` (one directory per day) and return ``root``.

    ``new_models``: each day's listing of the whole Hub's new models (above). ``inference``: each
    day's OpenRouter files and inference-provider mappings (tests/inference_archive.py) as well.
    """
    for index, day in enumerate(days):
        writer = ArchiveWriter(root, day, source="archive", fixed_time=f"{day}T23:59:00+00:00")
        first, third = models_for(index)
        for n, page in enumerate((first, third), start=1):
            writer.write_body(
                f"hub/models/page-{n:04d}.json",
                json.dumps(page).encode(),
                request={"endpoint": "/api/models", "status": 200, "page": n},
            )
        for n, page in enumerate(new_model_pages(day) if new_models else [], start=1):
            writer.write_body(
                page_file(n),
                json.dumps(page).encode(),
                request={"endpoint": "/api/models", "params": listing_params(1000), "status": 200, "page": n},
            )
        extra = None
        if inference:
            from tests.inference_archive import write_inference_files  # it reads this module's ids

            extra = write_inference_files(writer, index, day, first)
        else:
            writer.write_jsonl(
                "hub/model_info/children.jsonl",
                [
                    {
                        "_id": UID["A"],
                        "id": "Qwen/Qwen2.5-7B-Instruct",
                        "childrenModelCount": {"finetune": 3, "adapter": 1, "quantized": 7, "merge": 0},
                    },
                ],
            )
        writer.finish(extra=extra)
    return root


def write_hub_day(archive: Path, day: str, page: list[dict]) -> Path:
    """One signed archive day holding one Hub listing page (the fault tests' hand-made days)."""
    writer = ArchiveWriter(archive, day, source="archive", fixed_time=f"{day}T23:59:00+00:00")
    writer.write_body(
        "hub/models/page-0001.json",
        json.dumps(page).encode(),
        request={"endpoint": "/api/models", "status": 200, "page": 1},
    )
    return writer.finish()
