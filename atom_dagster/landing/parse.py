"""Pure parsing rules: Hub JSON objects -> flat raw rows (one per model `_id` per day).

The same functions parse live captures and replayed archives. Nothing here does I/O.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# Hub repo ids: "namespace/name" of letters, digits, '-', '_', '.'; no '..', no leading/trailing
# separators. Legacy canonical models ("gpt2") have no namespace and are accepted.
_REPO_PART = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?"
_REPO_ID_RE = re.compile(rf"^(?:{_REPO_PART}/)?{_REPO_PART}$")
LINEAGE_RELATIONS = ("finetune", "adapter", "quantized", "merge")
_COUNT_FIELDS = {"downloads": "downloads_30d", "downloadsAllTime": "downloads_all_time", "likes": "likes"}


class RecordError(ValueError):
    """A record that cannot be loaded; the message says which rule it broke."""


@dataclass
class ParseReport:
    """What parsing a day did: rows kept, rows rejected (with reasons), repairs made."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    repairs: Counter = field(default_factory=Counter)
    records_read: int = 0
    duplicates_collapsed: int = 0
    duplicate_conflicts: int = 0


def is_valid_repo_id(value: Any) -> bool:
    """True for ids the Hub can hold (``org/name`` or a legacy bare name)."""
    return isinstance(value, str) and ".." not in value and bool(_REPO_ID_RE.match(value))


def parse_timestamp(value: Any) -> datetime | None:
    """Parse the Hub's ISO-8601 timestamps ("2024-09-16T11:55:40.000Z") as aware UTC datetimes."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise RecordError(f"timestamp must be an ISO-8601 string, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise RecordError(f"timestamp {value!r} is not ISO-8601") from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_count(name: str, value: Any, repairs: Counter) -> int | None:
    """Counts are integers; a numeric string is repaired (and counted), anything else rejected.

    Negative values are kept as read: the quality gate rejects them visibly instead of a
    silent clamp here.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise RecordError(f"{name} must be an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        repairs[f"{name}_float_to_int"] += 1
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        repairs[f"{name}_string_to_int"] += 1
        return int(value.strip())
    raise RecordError(f"{name} must be an integer, got {value!r}")


def _param_total(section: Any) -> int | None:
    if isinstance(section, dict) and isinstance(section.get("total"), int | float):
        return int(section["total"])
    return None


def _license(tags: list[str], card: Any) -> str | None:
    for tag in tags:
        if tag.startswith("license:"):
            return tag.removeprefix("license:")
    if isinstance(card, dict) and isinstance(card.get("license"), str):
        return card["license"]
    return None


def _gated(value: Any) -> str:
    # The Hub answers false, "auto" or "manual".
    if value in (None, False, "false", "False"):
        return "false"
    if value is True:
        return "true"
    return str(value)


def extract_lineage(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """Parent edges from ``baseModels`` and ``base_model:<relation>:<parent>`` tags.

    Every edge is returned, with ``parent_valid`` and ``reject_reason`` so malformed parents
    (local paths, empty strings, URLs) are counted downstream rather than silently lost.
    """
    found: dict[tuple[str, str], str] = {}
    base = obj.get("baseModels")
    if isinstance(base, dict):
        relation = str(base.get("relation") or "unknown")
        for parent in base.get("models") or []:
            pid = parent.get("id") if isinstance(parent, dict) else parent
            found.setdefault((relation, "" if pid is None else str(pid)), "baseModels")
    for tag in obj.get("tags") or []:
        if not isinstance(tag, str) or not tag.startswith("base_model:"):
            continue
        rest = tag.removeprefix("base_model:")
        relation, sep, parent = rest.partition(":")
        if sep and relation in LINEAGE_RELATIONS:
            found.setdefault((relation, parent), "tag")
    edges = []
    for (relation, parent), origin in sorted(found.items()):
        reason = None
        if not parent.strip():
            reason = "empty parent id"
        elif parent.startswith(("/", ".", "~")) or "\\" in parent or "://" in parent:
            reason = "parent is a local path or URL, not a Hub id"
        elif not is_valid_repo_id(parent):
            reason = "parent has characters the Hub does not allow"
        elif relation not in LINEAGE_RELATIONS:
            reason = f"unknown relation {relation!r}"
        edges.append(
            {
                "relation": relation,
                "parent_id": parent,
                "origin": origin,
                "parent_valid": reason is None,
                "reject_reason": reason,
            }
        )
    return edges


def children_counts(value: Any) -> dict[str, int | None]:
    """``childrenModelCount`` as per-relation columns (a bare integer is a total only)."""
    out: dict[str, int | None] = {f"children_{r}": None for r in LINEAGE_RELATIONS}
    out["children_total"] = None
    if isinstance(value, dict):
        for relation in LINEAGE_RELATIONS:
            count = value.get(relation)
            out[f"children_{relation}"] = int(count) if isinstance(count, int | float) else 0
        out["children_total"] = sum(int(v) for v in value.values() if isinstance(v, int | float))
    elif isinstance(value, int | float) and not isinstance(value, bool):
        out["children_total"] = int(value)
    return out


def parse_hub_model(obj: Any, repairs: Counter | None = None) -> dict[str, Any]:
    """One ``GET /api/models`` object -> one raw row. Raises :class:`RecordError` if unusable."""
    repairs = Counter() if repairs is None else repairs
    if not isinstance(obj, dict):
        raise RecordError(f"a model must be a JSON object, got {type(obj).__name__}")
    uid = obj.get("_id")
    if not isinstance(uid, str) or not uid.strip():
        raise RecordError("missing `_id` (the rename-proof model key)")
    model_id = obj.get("id", obj.get("modelId"))
    if not isinstance(model_id, str) or not model_id.strip():
        raise RecordError("missing `id` (the model's repo id)")
    if not is_valid_repo_id(model_id):
        raise RecordError(f"`id` {model_id!r} has characters the Hub never allows")
    tags = [t for t in (obj.get("tags") or []) if isinstance(t, str)]
    author = obj.get("author")
    if not isinstance(author, str) or not author:
        author = model_id.split("/", 1)[0] if "/" in model_id else None
        repairs["author_from_id" if author else "author_missing"] += 1
    row: dict[str, Any] = {
        "model_uid": uid,
        "model_id": model_id,
        "author": author,
        "created_at": parse_timestamp(obj.get("createdAt")),
        "last_modified": parse_timestamp(obj.get("lastModified")),
        "pipeline_tag": obj.get("pipeline_tag") if isinstance(obj.get("pipeline_tag"), str) else None,
        "library_name": obj.get("library_name") if isinstance(obj.get("library_name"), str) else None,
        "tags": tags,
        "gated": _gated(obj.get("gated")),
        "license": _license(tags, obj.get("cardData")),
        "safetensors_total": _param_total(obj.get("safetensors")),
        "gguf_total": _param_total(obj.get("gguf")),
        "name_params_b": params_from_name(model_id),
        "lineage": extract_lineage(obj),
    }
    for field_name, column in _COUNT_FIELDS.items():
        row[column] = parse_count(field_name, obj.get(field_name), repairs)
    row.update(children_counts(obj.get("childrenModelCount")))
    return row


def _preference(row: dict[str, Any]) -> tuple:
    # Among copies of one `_id` in a day keep the most advanced counter, then the latest edit.
    epoch = datetime.min.replace(tzinfo=UTC)
    return (row.get("downloads_all_time") or -1, row.get("last_modified") or epoch, row["model_id"])


_COMPARED = ("model_id", "downloads_30d", "downloads_all_time", "likes", "pipeline_tag", "created_at")


def collapse_duplicates(rows: list[dict[str, Any]], report: ParseReport) -> list[dict[str, Any]]:
    """One row per ``_id``: the same model on several overlapping pages is one model."""
    best: dict[str, dict[str, Any]] = {}
    for row in rows:
        uid = row["model_uid"]
        if uid in best:
            report.duplicates_collapsed += 1
            if any(best[uid].get(c) != row.get(c) for c in _COMPARED):
                report.duplicate_conflicts += 1
            if _preference(row) > _preference(best[uid]):
                best[uid] = row
        else:
            best[uid] = row
    return [best[uid] for uid in sorted(best)]


def merge_model_info(rows: list[dict[str, Any]], infos: dict[str, dict[str, Any]]) -> None:
    """Fill children counts from per-model ``GET /api/models/{id}`` objects, keyed by ``_id``."""
    for row in rows:
        info = infos.get(row["model_uid"])
        if info is not None:
            row.update(children_counts(info.get("childrenModelCount")))


_MOE_RE = re.compile(r"(?<![\w.])(\d+)x(\d+(?:\.\d+)?)b(?![a-z0-9])")
_ACTIVE_RE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)b-a\d+(?:\.\d+)?b(?![a-z0-9])")
_SIZE_RE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)([bm])(?![a-z0-9])")


def params_from_name(model_id: str) -> float | None:
    """Total parameters in billions read from a model name, or None.

    ``-7B-`` -> 7, ``-0.5B`` -> 0.5, ``8x7B`` -> 56 (experts x size), ``-30B-A3B`` -> 30 (total,
    not active), ``-135M`` -> 0.135. The largest size mentioned wins (``…-70B-…-8B-draft``).
    """
    name = model_id.rsplit("/", 1)[-1].lower()
    # The Hub spells some decimals with '_' ("stablelm-2-1_6b" is 1.6B); elsewhere '_' separates words.
    name = re.sub(r"(?<=\d)_(?=\d+[bm](?![a-z0-9]))", ".", name).replace("_", "-")
    if match := _MOE_RE.search(name):
        return round(int(match.group(1)) * float(match.group(2)), 6)
    if match := _ACTIVE_RE.search(name):
        return float(match.group(1))
    sizes = [float(n) / (1000.0 if unit == "m" else 1.0) for n, unit in _SIZE_RE.findall(name)]
    return max(sizes) if sizes else None
