"""SYNTHETIC whole-Hub new models for the demo archive: each day's ``hub/new_models/`` pages.

What the live listing (:mod:`atom_dagster.sources.hub_new_models`) would have archived: every
model created on the day across the Hub, newest first, as ``GET /api/models?sort=createdAt``
objects (only the expanded fields), captured at 02:00 the next day. So each day's listing opens
with the next day's models created before 02:00 and ends with the newest model of the day before
(where paging stops); both are dropped at landing. Pages hold :data:`PAGE_SIZE` models and each
page repeats the previous page's last model (the Hub's listing can, at a page boundary).

The mix (numbers invented; the real Hub gets thousands of new models a day):

* about :data:`DERIVATIVE_SHARE` are derivatives of the demo catalogue's mainline LLM/VLM
  releases (Qwen, Llama, Gemma, Mistral, DeepSeek, ...): fine-tunes, quantizations (GGUF, MLX,
  AWQ, GPTQ, bnb, FP8 by the usual quantizers), LoRA adapters and merges of two models of one
  organization. Qwen's share of them follows :func:`qwen_share` (rising over the months: ~18% in
  early 2024, ~30% in early 2025, ~65% by late 2026); the others are picked by popularity;
* the rest are unrelated: fine-tunes of BERT, RoBERTa, Whisper, ViT, MiniLM or Stable Diffusion
  and of the catalogue's embedding models (non-mainline bases), and models with no base at all.

Deterministic: one seeded ``random.Random`` for the whole window, models generated day by day.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from atom_dagster.sources.archive import ArchiveWriter
from atom_dagster.sources.hub_new_models import listing_params, page_file

NEW_PER_DAY = 250  # new models a day at scale 1.0, before weekday and growth factors
PAGE_SIZE = 100
CAPTURE_HOUR = 2  # the listing of day D is captured at 02:00 UTC on D+1 (the schedule)
DERIVATIVE_SHARE = 0.72
NO_BASE_SHARE = 0.35  # of the unrelated models
RELATIONS = {"finetune": 0.46, "quantized": 0.30, "adapter": 0.16, "merge": 0.08}
MAINLINE_KINDS = ("llm", "vlm", "omni")
NON_MAINLINE_BASE_KINDS = ("embed", "rerank")
_PACKAGED = re.compile(r"gguf|awq|gptq|fp8|onnx|int4|int8|mlx|bnb", re.IGNORECASE)

# (suffix, library, extra tag) of a quantization, and who publishes it.
QUANT_FORMATS = (
    ("-GGUF", "gguf", "gguf"),
    ("-Q4_K_M-GGUF", "gguf", "gguf"),
    ("-4bit", "mlx", "mlx"),
    ("-8bit", "mlx", "mlx"),
    ("-AWQ", "transformers", "awq"),
    ("-GPTQ-Int4", "transformers", "gptq"),
    ("-bnb-4bit", "transformers", "bitsandbytes"),
    ("-FP8-Dynamic", "transformers", "fp8"),
)
QUANTIZERS = ("bartowski", "mradermacher", "mlx-community", "unsloth", "lmstudio-community", "QuantFactory")
TOPICS = (
    "medical", "legal", "finance", "math", "code", "sql", "chat", "roleplay", "reasoning", "tool-use",
    "german", "japanese", "korean", "arabic", "hindi", "turkish", "summarize", "translate", "dpo", "grpo",
)  # fmt: skip
MERGE_METHODS = ("slerp", "ties", "dare-ties", "della", "model-stock")
# Popular non-LLM bases of the Hub (id, pipeline, library).
OTHER_BASES = (
    ("google-bert/bert-base-uncased", "text-classification", "transformers"),
    ("FacebookAI/roberta-base", "text-classification", "transformers"),
    ("distilbert/distilbert-base-uncased", "text-classification", "transformers"),
    ("openai/whisper-small", "automatic-speech-recognition", "transformers"),
    ("openai/whisper-large-v3", "automatic-speech-recognition", "transformers"),
    ("google/vit-base-patch16-224", "image-classification", "transformers"),
    ("sentence-transformers/all-MiniLM-L6-v2", "sentence-similarity", "sentence-transformers"),
    ("stabilityai/stable-diffusion-xl-base-1.0", "text-to-image", "diffusers"),
)
# Models trained from nothing on the Hub (name stem, pipeline, library).
NO_BASE = (
    ("ppo-LunarLander-v2", "reinforcement-learning", "stable-baselines3"),
    ("dqn-SpaceInvadersNoFrameskip-v4", "reinforcement-learning", "stable-baselines3"),
    ("tiny-gpt-scratch", "text-generation", "transformers"),
    ("pixel-art-diffusion", "text-to-image", "diffusers"),
    ("my-awesome-model", None, None),
    ("test-model", None, None),
)
_FIRST = ("alex", "sam", "kim", "lee", "nora", "omar", "ivan", "mei", "raj", "ana", "li", "tom", "yuki")
_LAST = ("dev", "ml", "ai", "lab", "nlp", "hf", "research", "tuner", "x", "chen", "park", "silva")


@dataclass(frozen=True)
class NewModel:
    """One synthetic third-party repo created in or around the window."""

    uid: str
    id: str
    created: datetime
    relation: str | None
    bases: tuple[str, ...]
    pipeline: str | None
    library: str | None
    tags: tuple[str, ...]
    pull: float  # downloads an hour after creation (grows to the capture)


def qwen_share(when: date) -> float:
    """Qwen's share of new derivatives of mainline models: logistic in months since 2025-01."""
    months = (when.year - 2025) * 12 + (when.month - 1) + when.day / 31
    return 0.15 + 0.55 / (1.0 + math.exp(-(months - 6) / 6))


def _uid(model_id: str, created: datetime) -> str:
    # Like a Mongo ObjectId (as the first-party demo models): creation time, then a stable digest.
    digest = hashlib.sha1(f"atom-demo-new:{model_id}".encode()).hexdigest()
    return f"{int(created.timestamp()):08x}{digest[:16]}"


@dataclass(frozen=True)
class _Pool:
    """Mainline bases a day's derivatives pick from, with cumulative popularity weights."""

    models: list[Any]
    cum_weights: list[float]

    @classmethod
    def of(cls, models: list[Any]) -> _Pool:
        return cls(models, list(itertools.accumulate(m.peak**0.5 for m in models)))

    def pick(self, rng: random.Random) -> Any:
        return rng.choices(self.models, cum_weights=self.cum_weights, k=1)[0]


def _short(name: str) -> str:
    return re.sub(r"-(Instruct|instruct|Chat|chat|it)(?=-|$)", "", name)


class _Generator:
    """Models of the window, day by day, with one random stream and unique repo ids."""

    def __init__(self, first_party: Sequence[Any], scale: float, seed: int) -> None:
        self.rng = random.Random(f"{seed}:new-models")
        self.scale = scale
        self.taken: set[str] = set()
        self.mainline = sorted(
            (m for m in first_party if m.kind in MAINLINE_KINDS and not _PACKAGED.search(m.id)),
            key=lambda m: m.id,
        )
        self.non_mainline = sorted(
            (m for m in first_party if m.kind in NON_MAINLINE_BASE_KINDS), key=lambda m: m.id
        )

    def _user(self) -> str:
        rng = self.rng
        return f"{rng.choice(_FIRST)}{rng.choice(('', '-', '_'))}{rng.choice(_LAST)}{rng.randrange(1, 999)}"

    def _unique(self, model_id: str) -> str:
        candidate, n = model_id, 1
        while candidate in self.taken:
            n += 1
            candidate = f"{model_id}-v{n}"
        self.taken.add(candidate)
        return candidate

    def _derivative(
        self, day: date, qwen: _Pool, other: _Pool
    ) -> tuple[str, str, tuple[str, ...], str | None, str | None, list[str]]:
        rng = self.rng
        pool = qwen if qwen.models and (rng.random() < qwen_share(day) or not other.models) else other
        parent = pool.pick(rng)
        relation = rng.choices(list(RELATIONS), weights=list(RELATIONS.values()), k=1)[0]
        name = parent.id.split("/", 1)[1]
        bases: tuple[str, ...] = (parent.id,)
        library, extra = "transformers", []
        if relation == "quantized":
            suffix, library, tag = rng.choice(QUANT_FORMATS)
            owner = rng.choice(QUANTIZERS) if rng.random() < 0.6 else self._user()
            model_id = f"{owner}/{name}{suffix}"
            extra = [tag]
        elif relation == "adapter":
            model_id = f"{self._user()}/{name}-{rng.choice(TOPICS)}-lora"
            library = "peft"
        elif relation == "merge":
            same = [m for m in pool.models if m.author == parent.author and m.id != parent.id]
            if same:
                bases = (parent.id, rng.choice(same).id)
            else:
                relation = "finetune"
            model_id = f"{self._user()}/{_short(name)}-{rng.choice(TOPICS)}-{rng.choice(MERGE_METHODS)}"
        else:
            variant = rng.choice(("", "-sft", "-v1", "-lora-merged"))
            model_id = f"{self._user()}/{_short(name)}-{rng.choice(TOPICS)}{variant}"
        license_tag = next((t for t in parent.tags if t.startswith("license:")), "license:apache-2.0")
        return model_id, relation, bases, parent.pipeline_tag, library, [*extra, license_tag]

    def _unrelated(self) -> tuple[str, str | None, tuple[str, ...], str | None, str | None, list[str]]:
        rng = self.rng
        if rng.random() < NO_BASE_SHARE:
            stem, pipeline, library = rng.choice(NO_BASE)
            return f"{self._user()}/{stem}", None, (), pipeline, library, []
        if self.non_mainline and rng.random() < 0.3:
            parent = rng.choice(self.non_mainline)
            base, pipeline, library = parent.id, parent.pipeline_tag, "sentence-transformers"
        else:
            base, pipeline, library = rng.choice(OTHER_BASES)
        name = f"{base.split('/', 1)[1]}-finetuned-{rng.choice(TOPICS)}"
        return f"{self._user()}/{name}", "finetune", (base,), pipeline, library, []

    def day(self, day: date) -> list[NewModel]:
        """The models created on ``day``, oldest first."""
        rng = self.rng
        weekday = 0.8 if day.weekday() >= 5 else 1.0
        count = max(1, round(NEW_PER_DAY * self.scale * weekday * math.exp(rng.gauss(0, 0.08))))
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
        # A release needs a couple of days before the community derives from it.
        ready = [m for m in self.mainline if m.created.date() <= day - timedelta(days=2)]
        qwen = _Pool.of([m for m in ready if m.author == "Qwen"])
        other = _Pool.of([m for m in ready if m.author != "Qwen"])
        out = []
        for created in sorted(midnight + timedelta(seconds=rng.randrange(86_400)) for _ in range(count)):
            use_base = (qwen.models or other.models) and rng.random() < DERIVATIVE_SHARE
            model_id, relation, bases, pipeline, library, extra = (
                self._derivative(day, qwen, other) if use_base else self._unrelated()
            )
            model_id = self._unique(model_id)
            tags = [library] if library else []
            tags += ["safetensors"] if library in ("transformers", "peft", "sentence-transformers") else []
            tags += [pipeline] if pipeline else []
            for base in bases:
                tags += [f"base_model:{base}", f"base_model:{relation}:{base}"]
            tags += [*extra, "region:us"]
            pull = math.exp(rng.gauss(0.0, 1.3)) * (3.0 if relation == "quantized" else 1.0)
            uid = _uid(model_id, created)
            out.append(
                NewModel(uid, model_id, created, relation, bases, pipeline, library, tuple(tags), pull)
            )
        return out


def build_new_models(
    first_party: Sequence[Any], start: date, days: int, scale: float, seed: int
) -> dict[date, list[NewModel]]:
    """Models created on every day of the window and on the day before and after it (listed at its edges).

    ``first_party`` are the demo's tracked models (``generate.Model``: ``id``, ``author``,
    ``created``, ``kind``, ``peak``, ``pipeline_tag``, ``tags``), the bases of the derivatives.
    """
    generator = _Generator([m for m in first_party if m.tracked], scale, seed)
    return {start + timedelta(days=k): generator.day(start + timedelta(days=k)) for k in range(-1, days + 1)}


def _listing_object(model: NewModel, captured: datetime) -> dict[str, Any]:
    """The model as the listing shows it at ``captured`` (downloads grow with its age)."""
    hours = max(0.0, (captured - model.created).total_seconds() / 3600)
    obj: dict[str, Any] = {
        "_id": model.uid,
        "id": model.id,
        "author": model.id.split("/", 1)[0],
        "createdAt": model.created.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "downloads": int(model.pull * hours**0.8),
        "likes": int(model.pull * hours / 40),
        "tags": list(model.tags),
    }
    if model.pipeline:
        obj["pipeline_tag"] = model.pipeline
    if model.library:
        obj["library_name"] = model.library
    if model.bases:
        obj["baseModels"] = {"relation": model.relation, "models": [{"id": base} for base in model.bases]}
    return obj


def listing_pages(by_day: dict[date, list[NewModel]], day: date) -> list[list[dict[str, Any]]]:
    """Day ``day``'s listing as captured at 02:00 the next day: newest first, in pages."""
    captured = datetime(day.year, day.month, day.day, CAPTURE_HOUR, tzinfo=UTC) + timedelta(days=1)
    after = [m for m in by_day.get(day + timedelta(days=1), []) if m.created < captured]
    before = by_day.get(day - timedelta(days=1), [])[-1:]  # where paging stopped
    listed = [_listing_object(m, captured) for m in reversed([*before, *by_day[day], *after])]
    pages = [listed[i : i + PAGE_SIZE] for i in range(0, len(listed), PAGE_SIZE)]
    return [pages[0]] + [[previous[-1], *page] for previous, page in zip(pages, pages[1:], strict=False)]


def write_new_models(writer: ArchiveWriter, by_day: dict[date, list[NewModel]], day: date) -> None:
    """Archive the day's listing pages through ``writer`` (as the live capture names them)."""
    for number, page in enumerate(listing_pages(by_day, day), start=1):
        writer.write_body(
            page_file(number),
            json.dumps(page, sort_keys=True, separators=(",", ":")).encode(),
            {"endpoint": "/api/models", "params": listing_params(PAGE_SIZE), "status": 200, "page": number},
        )
