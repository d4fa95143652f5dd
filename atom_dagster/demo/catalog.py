"""Build the demo catalog: the first-party models and their third-party derivatives (no series, no I/O).

The catalogue data is ``catalogue.json`` (read via ``atom_dagster.demo.data``); the special cases, the
catalogue sections and the shape of the numbers are described in ``atom_dagster.demo.generate``.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import math
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from atom_dagster.demo.data import build, read_sections

# --- the special cases (see the docstring of atom_dagster.demo.generate) ---------------------
RENAMED_FROM = "THUDM/glm-4-9b-chat"
RENAMED_TO = "zai-org/glm-4-9b-chat"
RENAME_DAY = 10
REVISED_MODEL = "mistralai/Mistral-7B-Instruct-v0.3"
REVISION_DAY = 8
REVISION_FRACTION = 0.04
GAP_MODEL = "microsoft/Phi-3.5-mini-instruct"
GAP_DAYS = (15, 16)
DUPLICATED_MODEL = "Qwen/Qwen2.5-7B-Instruct"
DUPLICATED_ORG = "Qwen"
LOCAL_PATH_CHILD = "cognitivecomputations/Qwen2.5-7B-sft-checkpoint"
LOCAL_PATH_PARENT = "/home/user/checkpoints/qwen-sft"
EMPTY_PARENT_CHILD = "MaziyarPanahi/Llama-3.1-8B-Instruct-sft-draft"
RELEASED_IN_WINDOW = "Qwen/Qwen4-8B"
RELEASE_DAY = 5

SPECIAL_CASES: dict[str, Any] = {
    "rename": {"from": RENAMED_FROM, "to": RENAMED_TO, "day": RENAME_DAY},
    "revision": {"model": REVISED_MODEL, "day": REVISION_DAY},
    "gap": {"model": GAP_MODEL, "days": list(GAP_DAYS)},
    "duplicate": {"model": DUPLICATED_MODEL},
    "malformed_lineage": {LOCAL_PATH_CHILD: LOCAL_PATH_PARENT, EMPTY_PARENT_CHILD: ""},
    "released_in_window": {"model": RELEASED_IN_WINDOW, "day": RELEASE_DAY},
}

# --- the catalogue (catalogue.json) ----------------------------------------------------------


@dataclass(frozen=True)
class Family:
    """Repo names from a brace pattern ("Qwen2.5-{7B,14B}{,-Instruct}") released together.

    ``released`` is an ISO date, or ``+N`` for N days after the window start (invented
    releases inside the window; ``+4`` is window day 5). ``license`` overrides the org's.
    """

    pattern: str
    released: str
    arch: str = "llama"
    kind: str = "llm"
    pop: float = 1.0
    license: str | None = None


@dataclass(frozen=True)
class Org:
    namespace: str
    trend: str  # growth bucket of the synthetic download trend (not the authoritative country)
    scale: float  # typical peak daily downloads of one of its models
    license: str
    gated: bool | str
    families: tuple[Family, ...]


@dataclass(frozen=True)
class Recipe:
    """How a namespace names and packages a derivative of ``parent``."""

    affix: str
    relation: str
    # copy, bnb, gguf, exl2, mlx4, mlx8, mlxbf16, awq, gptq, fp8, w4a16, w8a8, prefix, merge, adapter
    fmt: str


@dataclass(frozen=True)
class Publisher:
    namespace: str
    active_from: str
    active_to: str | None
    weight: float
    scale: float
    recipes: tuple[Recipe, ...]


_CATALOGUE = read_sections(
    "catalogue.json",
    (
        "orgs",
        "sizes_b",
        "exact_params",
        "no_safetensors",
        "hot",
        "bases",
        "essential",
        "publishers",
        "adapter_tasks",
        "essential_derivatives",
    ),
)
ORGS: tuple[Org, ...] = tuple(
    build(Org, org, families=tuple(build(Family, fam) for fam in org["families"]))
    for org in _CATALOGUE["orgs"]
)
SIZES_B: dict[str, float] = _CATALOGUE["sizes_b"]
DEEPSEEK_V3_TOTAL = 684_531_386_000  # shown by the Hub for DeepSeek-V3/R1 (vision/MTP inflated; 671B)
EXACT_PARAMS: dict[str, int] = _CATALOGUE["exact_params"]
NO_SAFETENSORS: set[str] = set(_CATALOGUE["no_safetensors"])
HOT: dict[str, float] = _CATALOGUE["hot"]
BASES: dict[str, tuple[str, str]] = {
    mid: (base["relation"], base["parent"]) for mid, base in _CATALOGUE["bases"].items()
}
ESSENTIAL: set[str] = {
    RENAMED_FROM,
    REVISED_MODEL,
    GAP_MODEL,
    DUPLICATED_MODEL,
    RELEASED_IN_WINDOW,
    *_CATALOGUE["essential"],
}
PUBLISHERS: tuple[Publisher, ...] = tuple(
    build(Publisher, pub, recipes=tuple(build(Recipe, recipe) for recipe in pub["recipes"]))
    for pub in _CATALOGUE["publishers"]
)
ADAPTER_TASKS: tuple[str, ...] = tuple(_CATALOGUE["adapter_tasks"])
# (id, relation, parents, format, created date): always present, the malformed-lineage cases last.
ESSENTIAL_DERIVATIVES: tuple[tuple[str, str, tuple[str, ...], str, str], ...] = (
    *(
        (d["id"], d["relation"], tuple(d["parents"]), d["fmt"], d["created"])
        for d in _CATALOGUE["essential_derivatives"]
    ),
    (LOCAL_PATH_CHILD, "finetune", (LOCAL_PATH_PARENT,), "copy", "2025-06-12"),
    (EMPTY_PARENT_CHILD, "finetune", ("",), "copy", "2025-02-03"),
)
DERIVATIVES_PER_SCALE = 400  # third-party derivatives at scale 1.0 (plus the essential ones)
SATURATED_AFTER = 1_000  # consecutive taken names after which derivative names get a number

_SIZE_RE = re.compile(r"(?<![A-Za-z0-9.])(\d+(?:[._]\d+)?)([BbMm])(?![A-Za-z])")
_QUANT_SUFFIXES = (
    "-qat-q4_0-gguf",
    "-GGUF",
    "-gguf",
    "-AWQ",
    "-GPTQ-Int4",
    "-GPTQ-Int8",
    "-FP8",
    "-fp8",
    "-onnx",
)
# Instruct -> base naming conventions, tried in order; the first candidate in the catalog wins.
_INSTRUCT_RULES = (
    ("-Instruct-", "-Base-"),
    ("-Instruct-", "-"),
    ("-Instruct", "-Base"),
    ("-Instruct", ""),
    ("-instruct", "-base"),
    ("-instruct", ""),
    ("-Chat", "-Base"),
    ("-Chat", ""),
    ("-chat", "-base"),
    ("-chat", ""),
    ("-it", "-pt"),
    ("-it", ""),
    ("", "-Base"),
    ("", "-base"),
)


@dataclass
class Model:
    """One synthetic repo: static Hub fields plus its computed daily series."""

    id: str
    author: str
    uid: str
    created: datetime
    last_modified: datetime
    pipeline_tag: str | None
    library_name: str
    tags: list[str]
    gated: bool | str
    safetensors: dict[str, Any] | None
    gguf: dict[str, Any] | None
    base_models: dict[str, Any] | None
    tracked: bool
    trend: str
    peak: float
    kind: str
    arch: str = "llama"
    params: int = 0
    children_base: dict[str, int] = field(default_factory=dict)
    cum: list[int] = field(default_factory=list)  # downloadsAllTime per window day (as reported)
    d30: list[int] = field(default_factory=list)
    likes: list[int] = field(default_factory=list)


def expand(pattern: str) -> list[str]:
    """Brace expansion: ``"a-{1,2}{,-x}"`` -> ``["a-1", "a-1-x", "a-2", "a-2-x"]``."""
    match = re.search(r"\{([^{}]*)\}", pattern)
    if not match:
        return [pattern]
    out: list[str] = []
    for alt in match.group(1).split(","):
        out.extend(expand(pattern[: match.start()] + alt + pattern[match.end() :]))
    return out


def nominal_size_b(model_id: str) -> float:
    """Total parameters in billions: the curated table, else the first size in the name."""
    if model_id in SIZES_B:
        return SIZES_B[model_id]
    match = _SIZE_RE.search(model_id.split("/", 1)[1])
    if not match:
        raise ValueError(f"no size for {model_id}: add it to SIZES_B")
    value = float(match.group(1).replace("_", "."))
    return value / 1000 if match.group(2) in "Mm" else value


def _model_rng(seed: int, key: str) -> random.Random:
    # Seeding with a str is deterministic across runs (it is hashed with SHA-512).
    return random.Random(f"{seed}:{key}")


def _uid(model_id: str, created: datetime) -> str:
    # Like a Mongo ObjectId: 8 hex of the creation time, then 16 stable hex of the original id.
    digest = hashlib.sha1(f"atom-demo:{model_id}".encode()).hexdigest()
    return f"{int(created.timestamp()):08x}{digest[:16]}"


def _released(value: str, start: date) -> date:
    if value.startswith("+"):
        return start + timedelta(days=int(value[1:]))
    return date.fromisoformat(value)


def _unit_hash(seed: int, key: str) -> float:
    digest = hashlib.sha256(f"{seed}:pick:{key}".encode()).hexdigest()
    return int(digest[:12], 16) / float(1 << 48)


def _fmt_of(name: str) -> str:
    low = name.lower()
    if low.endswith("gguf"):
        return "gguf"
    if "-awq" in low:
        return "awq"
    if "-gptq" in low:
        return "gptq"
    if low.endswith(("-fp8", "-fp4")):
        return "fp8"
    if low.endswith("-onnx"):
        return "onnx"
    return ""


def _size_factor(size_b: float) -> float:
    if size_b < 2:
        return 1.5
    if size_b < 10:
        return 1.2
    if size_b < 40:
        return 0.7
    if size_b < 100:
        return 0.45
    return 0.25


KIND_PIPELINE = {
    "llm": "text-generation",
    "vlm": "image-text-to-text",
    "omni": "any-to-any",
    "audio": "audio-text-to-text",
    "embed": "feature-extraction",
    "rerank": "text-ranking",
    "guard": "text-generation",
    "guardcls": "text-classification",
    "reward": "text-classification",
    "reward_lm": "text-generation",
    "t2t": "text2text-generation",
}


def _safetensors_section(total: int, fmt: str, created: date) -> dict[str, Any]:
    if fmt == "fp8":
        small = total // 40
        return {"parameters": {"BF16": small, "F8_E4M3": total - small}, "total": total}
    if fmt in ("awq", "gptq", "bnb", "w4a16", "mlx4"):
        half = total // 6
        packed = "U8" if fmt in ("bnb", "mlx4") else "I32"
        return {"parameters": {"F16": half, packed: total - half}, "total": total}
    if total == DEEPSEEK_V3_TOTAL:
        return {
            "parameters": {"BF16": 3_918_786_560, "F32": 41_555_600, "F8_E4M3": 680_571_043_840},
            "total": total,
        }
    dtype = "F16" if created < date(2024, 1, 1) else "BF16"
    return {"parameters": {dtype: total}, "total": total}


_BUCKET_EDGES_B = (1, 5, 10, 50, 100, 250)


def _jittered_params(size_b: float, rng: random.Random) -> int:
    # A little above the nominal size, as real totals are, but never across a size-bucket edge.
    value = size_b * rng.uniform(1.0, 1.08)
    for edge in _BUCKET_EDGES_B:
        if size_b < edge <= value:
            value = edge * rng.uniform(0.985, 0.998)
    return int(value * 1e9)


def _packed_total(params: int, fmt: str) -> int:
    # What the Hub's safetensors total shows for packed quantizations (not the real size).
    factor = {
        "awq": 0.28,
        "gptq": 0.28,
        "w4a16": 0.28,
        "bnb": 0.55,
        "mlx4": 0.16,
        "mlx8": 0.29,
        "adapter": 0.004,
    }.get(fmt, 1.0)
    return max(1, int(params * factor))


# --- building the catalog --------------------------------------------------------------------


def _capped_last_modified(created: datetime, drawn: datetime, start: date) -> datetime:
    """A model's `lastModified` as of the archive's first day: the drawn time, but never after the
    capture of that day (3 h before it starts); a model created later was last modified within an
    hour of its creation, on its creation day."""
    cap = datetime(start.year, start.month, start.day, tzinfo=UTC) - timedelta(hours=3)
    if created >= cap:
        return min(created + timedelta(hours=1), created.replace(hour=23, minute=58))
    return min(drawn, cap)


def _first_party(start: date, scale: float, seed: int) -> list[Model]:
    catalog: list[tuple[Org, Family, str]] = []
    for org in ORGS:
        for fam in org.families:
            for name in expand(fam.pattern):
                catalog.append((org, fam, f"{org.namespace}/{name}"))
    known = {mid for _, _, mid in catalog}
    if len(known) != len(catalog):
        raise ValueError("duplicate model ids in the demo catalog")
    first_of_org = {}
    for org, _, mid in catalog:
        first_of_org.setdefault(org.namespace, mid)
    missing = sorted(ESSENTIAL - known)
    if missing:
        raise ValueError(f"essential demo models missing from the catalog: {missing}")
    keep = ESSENTIAL | set(first_of_org.values())
    lineage_of = {
        mid: _first_party_lineage(mid, name, org.namespace, _fmt_of(name), known)
        for org, _, mid in catalog
        for name in [mid.split("/", 1)[1]]
    }
    params_cache: dict[str, int] = {}

    def params_of(mid: str) -> int:
        # Variants (Instruct, FP8, GGUF...) share the parameter count of the repo they derive from.
        if mid not in params_cache:
            link = lineage_of.get(mid)
            if mid in EXACT_PARAMS:
                params_cache[mid] = EXACT_PARAMS[mid]
            elif nominal_size_b(mid) == 671:  # the DeepSeek-V3 architecture, whoever publishes it
                params_cache[mid] = DEEPSEEK_V3_TOTAL
            elif link and link[1] in known and nominal_size_b(link[1]) == nominal_size_b(mid):
                params_cache[mid] = params_of(link[1])
            else:
                params_cache[mid] = _jittered_params(nominal_size_b(mid), _model_rng(seed, "params:" + mid))
        return params_cache[mid]

    models: list[Model] = []
    for org, fam, mid in catalog:
        if mid not in keep and _unit_hash(seed, mid) >= scale:
            continue
        rng = _model_rng(seed, mid)
        name = mid.split("/", 1)[1]
        released = _released(fam.released, start)
        created = datetime(released.year, released.month, released.day, tzinfo=UTC) + timedelta(
            seconds=rng.randrange(6 * 3600, 22 * 3600)
        )
        size_b = nominal_size_b(mid)
        params = params_of(mid)
        fmt = _fmt_of(name)
        kind = fam.kind
        arch = fam.arch + ("_moe" if re.search(r"-A\d", name) and not fam.arch.endswith("moe") else "")
        pipeline = KIND_PIPELINE[kind]
        library = {"embed": "sentence-transformers"}.get(kind, "transformers")
        tags: list[str] = []
        safetensors = gguf = None
        if fmt == "gguf":
            library = "gguf"
            gguf = {"architecture": arch.replace("_", ""), "total": params}
            tags += ["gguf"]
        elif fmt == "onnx":
            library = "onnx"
            tags += ["onnx"]
        else:
            no_st = mid in NO_SAFETENSORS or (
                released < date(2024, 1, 1) and mid not in ESSENTIAL and rng.random() < 0.2
            )
            if no_st:
                tags += ["pytorch"]
            else:
                tags += ["safetensors"]
                safetensors = _safetensors_section(_packed_total(params, fmt), fmt, released)
            tags.insert(0, library)
            if fmt in ("awq", "gptq"):
                tags += [fmt, "4-bit" if "Int8" not in name else "8-bit"]
            if fmt == "fp8":
                tags += ["fp8"]
        tags += [arch, pipeline]
        if kind == "embed":
            tags += ["sentence-similarity"]
        if re.search(r"(?i)instruct|chat|-it\b|thinking|reasoning|-r1|qwq|preview|guard", name):
            tags += ["conversational"]
        if pipeline == "text-generation" and library == "transformers":
            tags += ["text-generation-inference"]
        tags += ["en"] + (["zh"] if org.trend == "china" else [])
        lineage = lineage_of[mid]
        base_models = None
        if lineage:
            relation, parent = lineage
            base_models = {"models": [{"id": parent}], "relation": relation}
            tags += [f"base_model:{parent}", f"base_model:{relation}:{parent}"]
        lic = fam.license or org.license
        tags += [f"license:{lic}", "endpoints_compatible", "region:us"]
        gated = org.gated if released >= date(2023, 7, 1) else False
        variant = 0.6 if name.endswith(("-Base", "-base", "-pt", "-PT")) else 1.0
        peak = (
            org.scale
            * fam.pop
            * _size_factor(size_b)
            * variant
            * HOT.get(mid, 1.0)
            * math.exp(rng.gauss(0, 0.8))
        )
        last_modified = _capped_last_modified(
            created, created + timedelta(hours=rng.uniform(0.5, 24 * 90)), start
        )
        models.append(
            Model(
                id=mid,
                author=org.namespace,
                uid=_uid(mid, created),
                created=created,
                last_modified=last_modified,
                pipeline_tag=pipeline,
                library_name=library,
                tags=_dedupe(tags),
                gated=gated,
                safetensors=safetensors,
                gguf=gguf,
                base_models=base_models,
                tracked=True,
                trend=org.trend,
                peak=peak,
                kind=fmt or kind,
                arch=arch,
                params=params,
            )
        )
    return models


def _first_party_lineage(mid: str, name: str, ns: str, fmt: str, known: set[str]) -> tuple[str, str] | None:
    if mid in BASES:
        return BASES[mid]
    if fmt:
        for suffix in _QUANT_SUFFIXES:
            if name.endswith(suffix) and f"{ns}/{name[: -len(suffix)]}" in known:
                return ("quantized", f"{ns}/{name[: -len(suffix)]}")
        return None
    for old, new in _INSTRUCT_RULES:
        if not old:
            candidate = name + new
        elif old.endswith("-"):
            if old not in name:
                continue
            candidate = name.replace(old, new, 1)
        else:
            if not name.endswith(old):
                continue
            candidate = name[: -len(old)] + new
        if candidate != name and f"{ns}/{candidate}" in known:
            return ("finetune", f"{ns}/{candidate}")
    return None


def _dedupe(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return list(seen)


def _qwen_share(when: date) -> float:
    # Qwen's share of new derivatives: ~2% in early 2024, ~70% by 2026 (logistic in months).
    months = (when.year - 2025) * 12 + (when.month - 1) + when.day / 31
    return min(0.75, 1.0 / (1.0 + math.exp(-(-1.4 + 0.17 * months))))


def _derivative_name(pub: Publisher, recipe: Recipe, parent_name: str, rng: random.Random) -> str:
    if recipe.fmt == "adapter":
        return f"{parent_name}{recipe.affix}{rng.choice(ADAPTER_TASKS)}"
    if recipe.fmt in ("prefix", "merge"):
        short = re.sub(r"-(Instruct|instruct|Chat|chat|it)(?=-|$)", "", parent_name)
        return f"{recipe.affix}{short}"
    return f"{parent_name}{recipe.affix}"


def _derivatives(first_party: list[Model], start: date, days: int, scale: float, seed: int) -> list[Model]:
    by_id = {m.id: m for m in first_party}
    rng = random.Random(seed)
    end = start + timedelta(days=days - 1)
    pool = sorted(
        (m for m in first_party if m.kind in ("llm", "vlm", "omni") and m.created.date() < end),
        key=lambda m: m.id,
    )
    out: list[Model] = []
    taken: set[str] = set(by_id)
    active_on: dict[date, _Weighted] = {}
    ready_on: dict[tuple[date, bool], tuple[_Weighted, _Weighted]] = {}

    def make(
        mid: str, relation: str, parents: tuple[str, ...], fmt: str, created: datetime, pub_scale: float
    ) -> Model:
        mrng = _model_rng(seed, mid)
        first = by_id.get(parents[0])
        params = first.params if first else 7_615_616_512
        size_b = params / 1e9
        pipeline = first.pipeline_tag if first else "text-generation"
        library = {
            "gguf": "gguf",
            "mlx4": "mlx",
            "mlx8": "mlx",
            "mlxbf16": "mlx",
            "adapter": "peft",
            "exl2": "transformers",
        }.get(fmt, "transformers")
        tags = [library] if library != "transformers" else ["transformers", "safetensors"]
        safetensors = gguf = None
        if fmt == "gguf":
            gguf = {"architecture": (first.arch if first else "llama").replace("_", ""), "total": params}
        elif fmt == "exl2":
            tags = ["transformers", "exl2"]
        else:
            safetensors = _safetensors_section(_packed_total(params, fmt), fmt, created.date())
            if library != "transformers":
                tags.append("safetensors")
        if fmt in ("bnb",):
            tags += ["4-bit", "bitsandbytes"]
        if fmt in ("awq", "gptq", "fp8"):
            tags += [fmt]
        if fmt.startswith("mlx"):
            tags += ["mlx"]
        tags.append(first.arch if first else "qwen2")
        if pipeline:
            tags.append(pipeline)
        tags.append("conversational")
        for parent in parents:
            tags += [f"base_model:{parent}", f"base_model:{relation}:{parent}"]
        parent_tags = first.tags if first else []
        lic = next((t for t in parent_tags if t.startswith("license:")), "license:apache-2.0")
        tags += [lic, "endpoints_compatible", "region:us"]
        trend = first.trend if first else "unknown"
        peak = pub_scale * _size_factor(size_b) * math.exp(mrng.gauss(0, 1.0))
        if first:
            peak *= min(3.0, max(0.3, (first.peak / 3000) ** 0.3))
        last_modified = _capped_last_modified(
            created, created + timedelta(hours=mrng.uniform(0.2, 24 * 20)), start
        )
        return Model(
            id=mid,
            author=mid.split("/", 1)[0],
            uid=_uid(mid, created),
            created=created,
            last_modified=last_modified,
            pipeline_tag=pipeline,
            library_name=library,
            tags=_dedupe(tags),
            gated=False,
            safetensors=safetensors,
            gguf=gguf,
            base_models={"models": [{"id": p} for p in parents], "relation": relation},
            tracked=False,
            trend=trend,
            peak=peak,
            kind=fmt,
            arch=first.arch if first else "qwen2",
            params=params,
        )

    scales = {p.namespace: p.scale for p in PUBLISHERS}
    for mid, relation, parents, fmt, when in ESSENTIAL_DERIVATIVES:
        created = datetime.fromisoformat(when).replace(tzinfo=UTC) + timedelta(hours=9, minutes=17)
        out.append(make(mid, relation, parents, fmt, created, scales[mid.split("/", 1)[0]]))
        taken.add(mid)

    target = round(DERIVATIVES_PER_SCALE * scale)
    span_start = date(2023, 3, 1)
    span = (end - span_start).days + 1
    growth = 0.0025  # new derivatives per day grow ~8% a month
    made = 0
    attempts = 0
    # The recipes name at most ~18K distinct derivatives. Once SATURATED_AFTER names in a row were
    # taken, the rest get a numbered suffix (`-v2`, `-v3`, ...) instead of another draw, so a large
    # scale (a 100K- or 1M-model day) has the derivatives it asked for. Smaller scales never get here.
    collisions = 0
    saturated = False
    suffixes: dict[str, int] = {}
    while made < target and (saturated or attempts < target * 20):
        attempts += 1
        u = rng.random()
        offset = int(math.log(1 + u * (math.exp(growth * span) - 1)) / growth)
        when = span_start + timedelta(days=min(span - 1, offset))
        created = datetime(when.year, when.month, when.day, tzinfo=UTC) + timedelta(
            seconds=rng.randrange(3600, 23 * 3600)
        )
        active = active_on.get(when)
        if active is None:
            active = active_on[when] = _Weighted(
                [
                    p
                    for p in PUBLISHERS
                    if date.fromisoformat(p.active_from) <= when
                    and (p.active_to is None or when <= date.fromisoformat(p.active_to))
                ],
                lambda p: p.weight,
            )
        if not active.items:
            continue
        pub = active.pick(rng)
        recipe = rng.choice(pub.recipes)
        # The parents ready on a day depend only on the day (and on whether the recipe quantizes):
        # computed once per day, not per attempt (a large scale makes hundreds of thousands).
        key = (when, recipe.relation == "quantized")
        split = ready_on.get(key)
        if split is None:
            cutoff = when - timedelta(days=2)
            ready = [m for m in pool if m.created.date() <= cutoff]
            if key[1]:
                ready = [m for m in ready if m.kind in ("llm", "vlm", "omni")]
            split = ready_on[key] = (
                _Weighted([m for m in ready if m.author == "Qwen"], _parent_weight),
                _Weighted([m for m in ready if m.author != "Qwen"], _parent_weight),
            )
        qwen, other = split
        chosen = qwen if (qwen.items and rng.random() < _qwen_share(when)) or not other.items else other
        candidates = chosen.items
        if not candidates:
            continue
        parent = chosen.pick(rng)
        parent_name = parent.id.split("/", 1)[1]
        mid = f"{pub.namespace}/{_derivative_name(pub, recipe, parent_name, rng)}"
        if mid in taken:
            collisions += 1
            saturated = saturated or collisions >= SATURATED_AFTER
            if not saturated:
                continue
            mid = _numbered(mid, taken, suffixes)
        parents: tuple[str, ...] = (parent.id,)
        if recipe.fmt == "merge":
            same = [m for m in candidates if m.author == parent.author and m.id != parent.id]
            if not same:
                continue
            parents = (parent.id, rng.choice(same).id)
        taken.add(mid)
        out.append(make(mid, recipe.relation, parents, recipe.fmt, created, pub.scale))
        made += 1
        collisions = 0
    return out


def _numbered(mid: str, taken: set[str], suffixes: dict[str, int]) -> str:
    """The first free ``<mid>-v<k>`` (k from 2), remembering where the search for ``mid`` stopped."""
    k = suffixes.get(mid, 1)
    while True:
        k += 1
        candidate = f"{mid}-v{k}"
        if candidate not in taken:
            suffixes[mid] = k
            return candidate


def _parent_weight(model: Model) -> float:
    return model.peak**0.5


class _Weighted:
    """Items with fixed weights; :meth:`pick` draws one with probability proportional to its weight.

    One ``rng.random()`` per pick, scaled by the total; the first item whose running sum exceeds it
    (the last item if rounding leaves none). Running sums are computed once, a pick is a bisection.
    """

    def __init__(self, items: list, weight) -> None:
        self.items = items
        weights = [weight(item) for item in items]
        self.total = sum(weights)
        self.running = list(itertools.accumulate(weights))

    def pick(self, rng: random.Random):
        i = bisect.bisect_right(self.running, rng.random() * self.total)  # first with pick < acc
        return self.items[i] if i < len(self.items) else self.items[-1]
