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
"""

from __future__ import annotations

import json
from pathlib import Path

from atom_dagster.sources.archive import ArchiveWriter

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


def write_small_archive(root: Path, days: list[str] = DAYS) -> Path:
    """Write the archive under ``root`` (one directory per day) and return ``root``."""
    for index, day in enumerate(days):
        writer = ArchiveWriter(root, day, source="archive", fixed_time=f"{day}T23:59:00+00:00")
        first, third = models_for(index)
        for n, page in enumerate((first, third), start=1):
            writer.write_body(
                f"hub/models/page-{n:04d}.json",
                json.dumps(page).encode(),
                request={"endpoint": "/api/models", "status": 200, "page": n},
            )
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
        writer.finish()
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
