"""A deterministic, clearly SYNTHETIC snapshot archive, so the whole pipeline runs offline.

The archive looks like what the live capture writes (see ``atom_dagster.sources.archive``):
one directory per day with ``hub/models/<namespace>-<NNNN>.json`` pages (JSON arrays of
``GET /api/models?author=<ns>&expand=...`` objects), ``hub/models/derivatives-<NNNN>.json``
pages of third-party derivatives, ``hub/model_info/children.jsonl`` (``childrenModelCount``
per tracked first-party model, with its ``inferenceProviderMapping``), ``hub/new_models/`` pages
of the whole Hub's new models of the day (third-party derivatives of the mainline bases and
unrelated models; see ``atom_dagster.demo.new_models``), SYNTHETIC OpenRouter
files (``openrouter/models.json``, ``openrouter/rankings-daily.json``; see
``atom_dagster.demo.openrouter``) and a ``MANIFEST.json`` marked ``"synthetic": true``.

Organization and model *names* are real Hub namespaces and plausible repo ids (a few
models released during the window are invented); every *number* (downloads, likes,
children, parameter totals other than the handful of headline models below) is made up.
Nothing here may be quoted as a Hub figure.

Output is byte-identical for the same arguments: a seeded ``random.Random`` per purpose,
timestamps fixed to the snapshot day (``<day>T23:59:00+00:00``), keys sorted, no
dependence on set or dict iteration order. Day ``k`` (1-based) is ``start + k - 1``.

Special cases the pipeline's tests and docs rely on (present at every ``scale``):

1. RENAME: ``THUDM/glm-4-9b-chat`` becomes ``zai-org/glm-4-9b-chat`` on day 10 (same
   ``_id``, ``author`` changes from ``THUDM`` to ``zai-org``; it moves to the zai-org page).
2. DOWNWARD REVISION: ``mistralai/Mistral-7B-Instruct-v0.3``'s ``downloadsAllTime`` drops
   by ~4% on day 8, then keeps growing from the lower level.
3. GAP: ``microsoft/Phi-3.5-mini-instruct`` is missing from days 15 and 16 (pages and
   model_info) and reappears on day 17 with its counter advanced through the gap.
4. DUPLICATE: ``Qwen/Qwen2.5-7B-Instruct`` appears on both ``Qwen-0001.json`` and
   ``Qwen-0002.json`` every day (an overlapping query; the two objects are identical).
   Qwen is always split into at least two pages.
5. MALFORMED LINEAGE: ``cognitivecomputations/Qwen2.5-7B-sft-checkpoint`` names the local
   path ``/home/user/checkpoints/qwen-sft`` as its finetune parent (tag and
   ``baseModels``); ``MaziyarPanahi/Llama-3.1-8B-Instruct-sft-draft`` names an empty parent.
6. RELEASED IN WINDOW: ``Qwen/Qwen4-8B`` (with ``Qwen/Qwen4-8B-Base`` and
   ``Qwen/Qwen4-32B``) is created on day 5 and first appears that day. Further invented
   releases: ``deepseek-ai/DeepSeek-V4`` (day 12), ``google/gemma-4-12b-it`` (day 20),
   ``allenai/Olmo-4-7B-Instruct`` (day 24); derivatives also keep appearing.

Non-mainline first-party models are present on purpose (filters must drop them):
embeddings (``Qwen/Qwen3-Embedding-0.6B``, ``Snowflake/snowflake-arctic-embed-l-v2.0``),
rerankers, guards (``meta-llama/Llama-Guard-3-8B``), reward models
(``nvidia/Llama-3.1-Nemotron-70B-Reward-HF``, pipeline ``text-generation``), first-party
GGUF (``Qwen/Qwen2.5-7B-Instruct-GGUF``), AWQ/GPTQ (``Qwen/Qwen2.5-7B-Instruct-AWQ``),
ONNX, models created before 2022-11-30 (``EleutherAI/gpt-neox-20b``, ``facebook/opt-*``),
while official FP8 variants (``Qwen/Qwen3-8B-FP8``) count as mainline. Size traps:
``deepseek-ai/DeepSeek-R1`` reports 684,531,386,000 safetensors parameters (vision/MTP
inflated; officially 671B), AWQ/bnb/MLX quants report packed (smaller) totals, some older
models have no ``safetensors`` (size only in the name, e.g. ``baichuan-inc/Baichuan2-13B-Chat``),
a few have neither (``xai-org/grok-1``).

Shape of the numbers: ``downloadsAllTime`` is the running sum of daily downloads that decay
with model age and drift with a per-region trend (Chinese publishers grow faster, so China
overtakes the US in cumulative downloads during 2025, Qwen dominant); ``downloads`` is the
sum of the last 30 days; Qwen's share of new derivatives rises from ~2% (early 2024) to
~70% (2026). ``scale`` multiplies the number of models (first-party models are sampled from
a fixed catalog of ~850, so ``scale > 1`` only adds derivatives; beyond the ~18K names the
recipes can make, above scale ~40, derivative names get a ``-v<k>`` suffix); special cases always stay.

The catalogue is data, not code: ``catalogue.json`` next to this module (part of the package;
read at import by ``atom_dagster.demo.data``, which rejects duplicate keys and unknown
sections or fields). One JSON record per line; a record omits fields at their dataclass default.
Sections (order is significant where noted; keyed sections and id lists are sorted
case-insensitively):

* ``orgs`` (ordered): ``Org`` records, each with its ordered ``Family`` records (brace pattern,
  ``released`` date or ``+N`` window offset, ``arch``, ``kind``, popularity ``pop``, ``license``).
* ``sizes_b``: total parameters (billions) of repos whose name carries no parseable size.
* ``exact_params``: exact safetensors totals of headline models (the rest jitter the nominal size).
* ``no_safetensors``: repos published without safetensors (size only in the name, or nowhere).
* ``hot``: peak-download multipliers of the models everyone uses.
* ``bases``: cross-organization lineage of first-party models (``relation``, ``parent``).
* ``essential``: first-party ids present at every scale (the special cases are added in code).
* ``publishers`` (ordered): third-party ``Publisher`` records with their naming ``Recipe``s;
  ``adapter_tasks`` (ordered); ``essential_derivatives`` (ordered): derivatives present at every
  scale (the malformed-lineage cases are added in code).

The work is split by job: ``atom_dagster.demo.catalog`` builds the models (catalogue, special
cases, derivatives), ``atom_dagster.demo.series`` computes their daily series, and this module
writes the archive days and is the entry point.

Run: ``python -m atom_dagster.demo.generate --out data/archive``.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from atom_dagster.demo import new_models as demo_new_models
from atom_dagster.demo import openrouter as demo_openrouter
from atom_dagster.demo.catalog import (
    DUPLICATED_MODEL,
    DUPLICATED_ORG,
    GAP_DAYS,
    GAP_MODEL,
    ORGS,
    RENAME_DAY,
    RENAMED_FROM,
    RENAMED_TO,
    Model,
    _derivatives,
    _first_party,
)
from atom_dagster.demo.series import _compute_series
from atom_dagster.sources.archive import HUB_MODEL_INFO_DIR, HUB_MODELS_DIR, ArchiveWriter

DEMO_START = date(2026, 10, 1)  # fixed, never derived from today
DEMO_DAYS = 28
DEMO_SEED = 20260401
SYNTHETIC_NOTE = "SYNTHETIC demo data generated by atom_dagster.demo.generate; not real Hub numbers"

EXPAND = [
    "author",
    "baseModels",
    "createdAt",
    "downloads",
    "downloadsAllTime",
    "gated",
    "gguf",
    "lastModified",
    "library_name",
    "likes",
    "pipeline_tag",
    "safetensors",
    "tags",
]
PAGE_SIZE = 100
DERIVATIVES_PAGE = "derivatives"
CHILDREN_FILE = "children.jsonl"
RELATIONS = ("finetune", "adapter", "quantized", "merge")


# --- writing ---------------------------------------------------------------------------------


def _ts(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _present(model: Model, day: date, day_no: int) -> bool:
    if model.created.date() > day:
        return False
    return not (model.id == GAP_MODEL and day_no in GAP_DAYS)


def _identity(model: Model, day_no: int) -> tuple[str, str]:
    if model.id == RENAMED_FROM and day_no >= RENAME_DAY:
        return RENAMED_TO, RENAMED_TO.split("/", 1)[0]
    return model.id, model.author


def _hub_object(model: Model, j: int, day_no: int) -> dict[str, Any]:
    repo_id, author = _identity(model, day_no)
    obj: dict[str, Any] = {
        "_id": model.uid,
        "id": repo_id,
        "author": author,
        "createdAt": _ts(model.created),
        "downloads": model.d30[j],
        "downloadsAllTime": model.cum[j],
        "gated": model.gated,
        "lastModified": _ts(model.last_modified),
        "library_name": model.library_name,
        "likes": model.likes[j],
        "tags": model.tags,
    }
    if model.pipeline_tag:
        obj["pipeline_tag"] = model.pipeline_tag
    if model.safetensors is not None:
        obj["safetensors"] = model.safetensors
    if model.gguf is not None:
        obj["gguf"] = model.gguf
    if model.base_models is not None:
        obj["baseModels"] = model.base_models
    return obj


def _dump(objects: list[dict[str, Any]]) -> bytes:
    return json.dumps(objects, sort_keys=True, separators=(",", ":")).encode()


def _pages(items: list[Model], size: int) -> list[list[Model]]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def _write_day(
    archive_root: Path,
    day: date,
    day_no: int,
    models: list[Model],
    children_of: dict[str, list[tuple[date, str]]],
    new_models: dict[date, list[demo_new_models.NewModel]],
) -> None:
    iso = day.isoformat()
    j = day_no - 1
    shutil.rmtree(Path(archive_root) / f"{iso}.partial", ignore_errors=True)
    writer = ArchiveWriter(
        archive_root, iso, source="demo", synthetic=True, fixed_time=f"{iso}T23:59:00+00:00"
    )
    present = [m for m in models if _present(m, day, day_no)]
    by_org: dict[str, list[Model]] = {}
    for model in present:
        if model.tracked:
            by_org.setdefault(_identity(model, day_no)[1], []).append(model)
    namespaces = [org.namespace for org in ORGS]
    for ns in namespaces:
        members = sorted(by_org.get(ns, []), key=lambda m: _identity(m, day_no)[0])
        if not members:
            continue
        size = PAGE_SIZE
        if ns == DUPLICATED_ORG:
            size = min(PAGE_SIZE, max(1, math.ceil(len(members) / 2)))
        pages = [[_hub_object(m, j, day_no) for m in page] for page in _pages(members, size)]
        if ns == DUPLICATED_ORG and len(pages) > 1:
            home = next(i for i, page in enumerate(pages) if any(o["id"] == DUPLICATED_MODEL for o in page))
            copy = next(o for o in pages[home] if o["id"] == DUPLICATED_MODEL)
            other = home + 1 if home + 1 < len(pages) else home - 1
            pages[other].insert(0 if other > home else len(pages[other]), copy)
        for k, page in enumerate(pages, start=1):
            writer.write_body(
                f"{HUB_MODELS_DIR}/{ns}-{k:04d}.json",
                _dump(page),
                {
                    "endpoint": "/api/models",
                    "params": {"author": ns, "expand": EXPAND, "limit": size},
                    "status": 200,
                    "page": k,
                },
            )
    third = sorted((m for m in present if not m.tracked), key=lambda m: m.id)
    for k, page in enumerate(_pages(third, PAGE_SIZE), start=1):
        if not page:
            break
        writer.write_body(
            f"{HUB_MODELS_DIR}/{DERIVATIVES_PAGE}-{k:04d}.json",
            _dump([_hub_object(m, j, day_no) for m in page]),
            {
                "endpoint": "/api/models",
                "params": {
                    "authors": sorted({m.author for m in page}),
                    "expand": EXPAND,
                    "limit": PAGE_SIZE,
                    "scope": "third-party derivatives of tracked models",
                },
                "status": 200,
                "page": k,
            },
        )
    infos = []
    start = day - timedelta(days=day_no - 1)
    served = demo_openrouter.served_model_ids([(m.id, m.kind, m.peak) for m in models if m.tracked])
    for model in sorted((m for m in present if m.tracked), key=lambda m: _identity(m, day_no)[0]):
        age = (day - model.created.date()).days
        ramp = min(1.0, (age + 1) / 60) * (1 + 0.003 * j)
        counts = {}
        for relation in RELATIONS:
            demo = sum(1 for when, rel in children_of.get(model.id, []) if when <= day and rel == relation)
            counts[relation] = int(model.children_base.get(relation, 0) * ramp) + demo
        repo_id = _identity(model, day_no)[0]
        providers = (
            demo_openrouter.provider_mapping(model.id, model.kind, model.created.date(), day, start)
            if model.id in served
            else {}
        )
        infos.append(
            {
                "_id": model.uid,
                "childrenModelCount": counts,
                "id": repo_id,
                "inferenceProviderMapping": providers,
            }
        )
    writer.write_jsonl(
        f"{HUB_MODEL_INFO_DIR}/{CHILDREN_FILE}",
        infos,
        {
            "endpoint": "/api/models/{repo_id}",
            "params": {"expand": ["childrenModelCount", "inferenceProviderMapping"]},
            "status": 200,
            "count": len(infos),
        },
    )
    demo_new_models.write_new_models(writer, new_models, day)
    extra: dict[str, Any] = {"synthetic": True, "note": SYNTHETIC_NOTE}
    _write_openrouter(writer, day, day_no, start, models, extra)
    writer.finish(extra=extra)


def _write_openrouter(
    writer: ArchiveWriter, day: date, day_no: int, start: date, models: list[Model], extra: dict[str, Any]
) -> None:
    """SYNTHETIC OpenRouter catalogue and rankings of the day (one day without rankings, as without a key)."""
    hub_created = {m.id: m.created.date() for m in models}
    writer.write_body(
        "openrouter/models.json",
        demo_openrouter.catalogue_body(day, start, hub_created),
        {"endpoint": "/api/v1/models", "params": {"output_modalities": "all"}, "status": 200},
    )
    if day_no == demo_openrouter.SKIPPED_RANKINGS_DAY:
        extra["openrouter"] = {"rankings": f"skipped: {demo_openrouter.SKIPPED_RANKINGS_REASON}"}
        return
    iso = day.isoformat()
    writer.write_body(
        "openrouter/rankings-daily.json",
        demo_openrouter.rankings_body(day, start, hub_created),
        {
            "endpoint": "/api/v1/datasets/rankings-daily",
            "params": {"start_date": iso, "end_date": iso},
            "status": 200,
        },
    )


def build_models(
    start: date = DEMO_START, days: int = DEMO_DAYS, scale: float = 1.0, seed: int = DEMO_SEED
) -> list[Model]:
    """The synthetic models with their daily series for the window (no I/O)."""
    if days < 1:
        raise ValueError("days must be at least 1")
    if scale <= 0:
        raise ValueError("scale must be positive")
    first_party = _first_party(start, scale, seed)
    models = first_party + _derivatives(first_party, start, days, scale, seed)
    end = start + timedelta(days=days - 1)
    models = [m for m in models if m.created.date() <= end]
    _compute_series(models, start, days, seed)
    return models


def generate_demo_archive(
    archive_root: Path,
    start: date = DEMO_START,
    days: int = DEMO_DAYS,
    scale: float = 1.0,
    seed: int = DEMO_SEED,
) -> list[str]:
    """Write one archive day per date (via ArchiveWriter, ``synthetic=True``); return the ISO dates."""
    archive_root = Path(archive_root)
    archive_root.mkdir(parents=True, exist_ok=True)
    models = build_models(start, days, scale, seed)
    children_of: dict[str, list[tuple[date, str]]] = {}
    for model in models:
        if model.base_models:
            for parent in model.base_models["models"]:
                children_of.setdefault(parent["id"], []).append(
                    (model.created.date(), model.base_models["relation"])
                )
    new_models = demo_new_models.build_new_models(models, start, days, scale, seed)
    written = []
    for j in range(days):
        day = start + timedelta(days=j)
        _write_day(archive_root, day, j + 1, models, children_of, new_models)
        written.append(day.isoformat())
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m atom_dagster.demo.generate",
        description="Write a deterministic SYNTHETIC Hub snapshot archive (demo data, not real numbers).",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="archive root (default: the configured ATOM_ARCHIVE_DIR)"
    )
    parser.add_argument("--start", type=date.fromisoformat, default=DEMO_START, help="first day, YYYY-MM-DD")
    parser.add_argument("--days", type=int, default=DEMO_DAYS, help="number of days")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies the number of models")
    parser.add_argument("--seed", type=int, default=DEMO_SEED, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    out = args.out
    if out is None:
        from atom_dagster.settings import load_settings

        out = load_settings().archive_dir
    began = time.perf_counter()
    written = generate_demo_archive(out, args.start, args.days, args.scale, args.seed)
    print(
        f"wrote {len(written)} synthetic days ({written[0]} .. {written[-1]}) to {out} "
        f"in {time.perf_counter() - began:.1f}s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
