"""Pure parsing rules: Hub JSON objects -> flat raw rows (one per model `_id` per day).

The same functions parse live captures and replayed archives. Nothing here does I/O.

Every value is checked against a documented rule before it reaches a raw table; a record that
breaks one raises :class:`RecordError`, which the day's parse collects with file, position and
the rule (the quality gate then fails the partition; nothing ends in a traceback). The bounds:

* **Counts** (``downloads``, ``downloadsAllTime``, ``likes``, ``childrenModelCount``, OpenRouter's
  ``context_length``): integers of at most :data:`MAX_COUNT` = 10^13 in magnitude. The largest
  real Hub counter (all-time downloads of the most used models) is about 10^10, so the bound leaves
  a thousandfold headroom and refuses only corrupt values -- 2^63, 1e20, two counters near 2^62
  whose sum overflows a 64-bit integer. Numeric strings are read only when their digits are ASCII
  ``0-9``: ``str.isdigit()``, ``re``'s ``\\d`` and ``int()`` also accept full-width and other
  scripts' digits ("１２３"), which no API of ours sends.
* **Parameter totals** (``safetensors.total``, ``gguf.total``): whole numbers from 0 to
  :data:`MAX_PARAMS` = 10^15 (the largest published models have about 2 * 10^12 parameters);
  NaN and infinities are refused, not nulled: they are not a count.
* **Timestamps** (``createdAt``, ``lastModified``): ISO-8601, from :data:`EARLIEST_DATE`
  (2000-01-01; no model on the Hub predates it) to tomorrow in UTC (:data:`FUTURE_SLACK`: one day
  for clocks and time zones). Year 1900 or 9999 is a placeholder or a corruption, not a date.
* **Ids**: ``id`` must *fully* match the Hub's grammar (``re.fullmatch``: ``$`` would let a
  trailing newline through), each of its at most two parts at most :data:`MAX_NAME_CHARS` = 96
  characters (``huggingface_hub.utils.validate_repo_id``'s bound for names and namespaces);
  ``_id`` is 1 to :data:`MAX_UID_CHARS` = 256 visible ASCII characters (the Hub's is a 24-character
  hex key; history days use ``id:<repo id>``).
* **Shapes**: ``tags`` is an array, ``baseModels`` an object whose ``models`` is an array of
  objects or strings, ``safetensors``/``gguf`` objects, ``gated`` a boolean or string. A wrong
  type is refused with its name, never iterated (a string read as a list is one lineage edge per
  character).
"""

from __future__ import annotations

import functools
import math
import re
import reprlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

# Bounds (see the module docstring for why each is what it is).
MAX_COUNT = 10**13
MAX_PARAMS = 10**15
EARLIEST_DATE = date(2000, 1, 1)
FUTURE_SLACK = timedelta(days=1)
MAX_NAME_CHARS = 96
MAX_UID_CHARS = 256
# int() refuses strings of more than 4300 digits with a ValueError; far beyond every bound anyway.
_MAX_DIGITS = 64

# Hub repo ids: "namespace/name" of letters, digits, '-', '_', '.'; no '..', no leading/trailing
# separators. Legacy canonical models ("gpt2") have no namespace and are accepted. Always used
# with fullmatch.
_REPO_PART = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?"
_REPO_ID_RE = re.compile(rf"(?:{_REPO_PART}/)?{_REPO_PART}")
_BAD_CHARACTERS = "has characters the Hub never allows"
_UID_RE = re.compile(rf"[!-~]{{1,{MAX_UID_CHARS}}}")
_ASCII_INT_RE = re.compile(r"-?[0-9]+")
_ANY_DIGITS_RE = re.compile(r"-?\d+")  # \d: any script's decimal digits
LINEAGE_RELATIONS = ("finetune", "adapter", "quantized", "merge")
_COUNT_FIELDS = {"downloads": "downloads_30d", "downloadsAllTime": "downloads_all_time", "likes": "likes"}

# Values quoted in messages: bounded (a 10 KB id or a deeply nested array stays one short line).
_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 60
_REPR.maxlevel = 2
_REPR.maxlist = _REPR.maxdict = 4


class RecordError(ValueError):
    """A record that cannot be loaded; the message says which rule it broke."""


@dataclass
class ParseReport:
    """What parsing a day did: rows kept, rows rejected (with reasons), repairs made."""

    rows: Sequence[dict[str, Any]] = field(default_factory=list)  # dicts, or rows held as Arrow
    rejected: list[dict[str, Any]] = field(default_factory=list)
    repairs: Counter = field(default_factory=Counter)
    records_read: int = 0
    duplicates_collapsed: int = 0
    duplicate_conflicts: int = 0


def show(value: Any) -> str:
    """``repr(value)`` cut to one short line, with the length of a long string."""
    text = _REPR.repr(value)
    if isinstance(value, str) and len(value) > _REPR.maxstring:
        text += f" ({len(value)} characters)"
    return text


def display_id(value: str) -> str:
    """A model id as shown in a rejection: as is when it is one short printable line, else quoted."""
    return value if value.isprintable() and len(value) <= 120 else show(value)


def json_type(value: Any) -> str:
    """The JSON name of a parsed value's type, for messages ("an array", "a string")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def bound_text(bound: int) -> str:
    """``10**13`` as "10^13" (bounds are powers of ten), other numbers as digits."""
    digits = str(bound)
    return f"10^{len(digits) - 1}" if digits.strip("0") == "1" else f"{bound:,}"


def repo_id_problem(value: Any) -> str | None:
    """Why ``value`` is not an id the Hub can hold, or None. See the module docstring."""
    if not isinstance(value, str):
        return f"must be a string, got {json_type(value)}"
    parts = value.split("/")
    if len(parts) <= 2 and any(len(part) > MAX_NAME_CHARS for part in parts):
        return f"has a name longer than the Hub allows (at most {MAX_NAME_CHARS} characters: namespace/name)"
    if ".." in value or not _REPO_ID_RE.fullmatch(value):
        return _BAD_CHARACTERS
    return None


def is_valid_repo_id(value: Any) -> bool:
    """True for ids the Hub can hold (``org/name`` or a legacy bare name), matched in full."""
    return repo_id_problem(value) is None


def check_uid(value: Any, what: str = "`_id`") -> str:
    """The model's ``_id`` if it is usable, else :class:`RecordError` (missing or malformed)."""
    if not isinstance(value, str) or not value.strip():
        raise RecordError("missing `_id` (the rename-proof model key)")
    if not _UID_RE.fullmatch(value):
        raise RecordError(
            f"{what} {show(value)} is not 1 to {MAX_UID_CHARS} visible ASCII characters "
            "(the Hub's `_id` is a 24-character hex key)"
        )
    return value


def latest_plausible_date(today: date | None = None) -> date:
    """The last day a timestamp may fall on: tomorrow (UTC), see :data:`FUTURE_SLACK`."""
    return (today or datetime.now(UTC).date()) + FUTURE_SLACK


def check_date_range(parsed: datetime, label: str, raw: Any, today: date | None = None) -> datetime:
    """``parsed`` if it falls in 2000-01-01 .. tomorrow, else :class:`RecordError` naming the bounds."""
    upper = latest_plausible_date(today)
    if not EARLIEST_DATE <= parsed.date() <= upper:
        raise RecordError(
            f"{label} {show(raw)} is outside {EARLIEST_DATE} .. {upper} (nothing on the Hub predates "
            "2000; a date after tomorrow is a placeholder or a corrupt value)"
        )
    return parsed


def parse_timestamp(value: Any, name: str | None = None, today: date | None = None) -> datetime | None:
    """Parse the Hub's ISO-8601 timestamps ("2024-09-16T11:55:40.000Z") as aware UTC datetimes.

    ``name`` (the field) is named in messages. Dates outside 2000-01-01 .. tomorrow are refused.
    """
    label = f"`{name}` timestamp" if name else "timestamp"
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise RecordError(f"{label} must be an ISO-8601 string, got {show(value)}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except ValueError as exc:
        raise RecordError(f"{label} {show(value)} is not ISO-8601") from exc
    except OverflowError as exc:  # year 1 or 9999 moved across a time zone
        raise RecordError(f"{label} {show(value)} is out of range") from exc
    return check_date_range(parsed, label, value, today)


def timestamp_from_epoch(value: int | float, name: str, today: date | None = None) -> datetime:
    """Seconds since 1970 (OpenRouter's ``created``) as a UTC datetime, in the same date range."""
    label = f"`{name}`"
    if not math.isfinite(value):
        raise RecordError(f"{label} {show(value)} is not a time")
    try:
        parsed = datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise RecordError(f"{label} {show(value)} is out of range") from exc
    return check_date_range(parsed, label, value, today)


def ascii_int(name: str, text: str) -> int | None:
    """The integer an ASCII decimal string spells (``"-12"``, ``" 7 "``), or None if it is none.

    :class:`RecordError` for digits other than ASCII ``0-9`` (full-width "１２３", Arabic-Indic...:
    ``int()`` reads them, we do not) and for more digits than any bound allows.
    """
    text = text.strip()
    if _ASCII_INT_RE.fullmatch(text):
        if len(text.lstrip("-").lstrip("0")) > _MAX_DIGITS:
            raise RecordError(f"{name} {show(text)} has more digits than any count can have")
        return int(text)
    if _ANY_DIGITS_RE.fullmatch(text):
        raise RecordError(
            f"{name} {show(text)} has digits other than ASCII 0-9 (full-width or another script's); "
            "only 0-9 are read"
        )
    return None


def check_count_bound(name: str, number: int, bound: int = MAX_COUNT) -> int:
    """``number`` if its magnitude is within ``bound``, else :class:`RecordError` naming the bound."""
    if abs(number) > bound:
        raise RecordError(
            f"{name} {number} is beyond the bound of {bound_text(bound)} for a count (the largest real "
            "Hub counter is about 10^10; a larger value is corrupt and would overflow sums)"
        )
    return number


def parse_count(name: str, value: Any, repairs: Counter, bound: int = MAX_COUNT) -> int | None:
    """Counts are integers; a numeric string is repaired (and counted), anything else rejected.

    Negative values within the bound are kept as read: the quality gate rejects them visibly
    instead of a silent clamp here. Beyond ``bound`` (10^13) in either direction: rejected.
    """
    if value is None:
        return None
    repair = None
    if isinstance(value, bool):
        raise RecordError(f"{name} must be an integer, got {show(value)}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        number, repair = int(value), f"{name}_float_to_int"
    elif isinstance(value, str) and (parsed := ascii_int(name, value)) is not None:
        number, repair = parsed, f"{name}_string_to_int"
    else:
        raise RecordError(f"{name} must be an integer, got {show(value)}")
    check_count_bound(name, number, bound)
    if repair:
        repairs[repair] += 1
    return number


def parse_param_total(name: str, section: Any) -> int | None:
    """``<section>.total`` (parameters): a whole number in 0 .. 10^15, or None when not given.

    A section that is not an object, or a total that is not a finite whole number in range, is
    rejected (NaN is not a count; null would hide the corruption).
    """
    if section is None:
        return None
    if not isinstance(section, dict):
        raise RecordError(f"`{name}` must be an object, got {json_type(section)}")
    total = section.get("total")
    if total is None:
        return None
    if isinstance(total, bool) or not isinstance(total, int | float):
        raise RecordError(f"`{name}.total` must be a number, got {json_type(total)} {show(total)}")
    if isinstance(total, float) and not (math.isfinite(total) and total.is_integer()):
        raise RecordError(f"`{name}.total` is {show(total)}, not a parameter count")
    if not 0 <= total <= MAX_PARAMS:
        raise RecordError(
            f"`{name}.total` {int(total)} is outside 0 .. {bound_text(MAX_PARAMS)} parameters "
            "(the largest published models have about 2 * 10^12)"
        )
    return int(total)


def _license(tags: list[str], card: Any) -> str | None:
    for tag in tags:
        if tag.startswith("license:"):
            return tag.removeprefix("license:")
    if isinstance(card, dict) and isinstance(card.get("license"), str):
        return card["license"]
    return None


def _gated(value: Any) -> str | None:
    # The Hub answers false, "auto" or "manual". A source that does not give the field (hub-stats
    # files have no `gated`) leaves it unknown: null, never "false".
    if value is None:
        return None
    if value in (False, "false", "False"):
        return "false"
    if value is True:
        return "true"
    if not isinstance(value, str):
        raise RecordError(f'`gated` must be false, true, "auto" or "manual", got {json_type(value)}')
    return value


def _tag_list(value: Any) -> list[Any]:
    """``tags`` as a list (null: none); any other type is refused, never iterated."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError(f"`tags` must be an array of strings, got {json_type(value)} {show(value)}")
    return value


def _base_model_parents(base: Any) -> tuple[str, list[str]]:
    """(relation, parent ids) of ``baseModels``; wrong types are refused with the field named."""
    if not isinstance(base, dict):
        raise RecordError(f"`baseModels` must be an object, got {json_type(base)} {show(base)}")
    relation = base.get("relation")
    if relation is not None and not isinstance(relation, str):
        raise RecordError(f"`baseModels.relation` must be a string, got {json_type(relation)}")
    models = base.get("models")
    if models is None:
        models = []
    if not isinstance(models, list):
        # A string here would otherwise be read as one parent per character.
        raise RecordError(
            f"`baseModels.models` must be an array of models, got {json_type(models)} {show(models)}"
        )
    parents = []
    for index, parent in enumerate(models):
        pid = parent.get("id") if isinstance(parent, dict) else parent
        if pid is not None and not isinstance(pid, str):
            where = f"`baseModels.models[{index}]" + (".id`" if isinstance(parent, dict) else "`")
            raise RecordError(f"{where} must be a model object or id string, got {json_type(pid)}")
        parents.append(pid or "")
    return relation or "unknown", parents


@functools.lru_cache(maxsize=1 << 16)
def _parent_problem(parent: str, relation: str) -> str | None:
    # Cached: a pure function of its arguments, and a day's models name a few thousand parents
    # (the bases everyone fine-tunes) over and over.
    if not parent.strip():
        return "empty parent id"
    if parent.startswith(("/", ".", "~")) or "\\" in parent or "://" in parent:
        return "parent is a local path or URL, not a Hub id"
    problem = repo_id_problem(parent)
    if problem == _BAD_CHARACTERS:
        return "parent has characters the Hub does not allow"
    if problem is not None:
        return f"parent id {problem}"
    if relation not in LINEAGE_RELATIONS:
        return f"unknown relation {show(relation)}"
    return None


def extract_lineage(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """Parent edges from ``baseModels`` and ``base_model:<relation>:<parent>`` tags.

    Every edge is returned, with ``parent_valid`` and ``reject_reason`` so malformed parents
    (local paths, empty strings, URLs) are counted downstream rather than silently lost.
    ``baseModels`` or ``tags`` of the wrong type raise :class:`RecordError`.
    """
    found: dict[tuple[str, str], str] = {}
    base = obj.get("baseModels")
    if base is not None:
        relation, parents = _base_model_parents(base)
        for parent in parents:
            found.setdefault((relation, parent), "baseModels")
    for tag in _tag_list(obj.get("tags")):
        if not isinstance(tag, str) or not tag.startswith("base_model:"):
            continue
        rest = tag.removeprefix("base_model:")
        relation, sep, parent = rest.partition(":")
        if sep and relation in LINEAGE_RELATIONS:
            found.setdefault((relation, parent), "tag")
    edges = []
    for (relation, parent), origin in sorted(found.items()):
        reason = _parent_problem(parent, relation)
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


def _child_count(name: str, value: Any) -> int | None:
    """One number of ``childrenModelCount``: a whole number in 0 .. 10^13; None if not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    label = f"childrenModelCount{name}"
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise RecordError(f"{label} is {show(value)}, not a count")
    number = check_count_bound(label, int(value))
    if number < 0:
        raise RecordError(f"{label} is negative ({number}); counts are never below 0")
    return number


def children_counts(value: Any) -> dict[str, int | None]:
    """``childrenModelCount`` as per-relation columns (a bare integer is a total only).

    Other shapes give nulls; a number that is not a whole count in 0 .. 10^13 (NaN, 2^63, -1)
    raises :class:`RecordError`, and so does a total beyond the bound.
    """
    out: dict[str, int | None] = {f"children_{r}": None for r in LINEAGE_RELATIONS}
    out["children_total"] = None
    if isinstance(value, dict):
        counts = {key: _child_count(f".{key}", count) for key, count in value.items()}
        for relation in LINEAGE_RELATIONS:
            out[f"children_{relation}"] = counts.get(relation) or 0
        total = sum(count for count in counts.values() if count is not None)
        out["children_total"] = check_count_bound("childrenModelCount total", total)
    else:
        out["children_total"] = _child_count("", value)
    return out


def parse_hub_model(obj: Any, repairs: Counter | None = None, today: date | None = None) -> dict[str, Any]:
    """One ``GET /api/models`` object -> one raw row. Raises :class:`RecordError` if unusable.

    ``today`` (default: the clock's UTC date) sets the latest plausible timestamp (tomorrow).
    """
    repairs = Counter() if repairs is None else repairs
    if not isinstance(obj, dict):
        raise RecordError(f"a model must be a JSON object, got {type(obj).__name__}")
    uid = check_uid(obj.get("_id"))
    model_id = obj.get("id", obj.get("modelId"))
    if not isinstance(model_id, str) or not model_id.strip():
        raise RecordError("missing `id` (the model's repo id)")
    problem = repo_id_problem(model_id)
    if problem is not None:
        raise RecordError(f"`id` {show(model_id)} {problem}")
    tags = [t for t in _tag_list(obj.get("tags")) if isinstance(t, str)]
    author = obj.get("author")
    if not isinstance(author, str) or not author:
        author = model_id.split("/", 1)[0] if "/" in model_id else None
        repairs["author_from_id" if author else "author_missing"] += 1
    row: dict[str, Any] = {
        "model_uid": uid,
        "model_id": model_id,
        "author": author,
        "created_at": parse_timestamp(obj.get("createdAt"), "createdAt", today),
        "last_modified": parse_timestamp(obj.get("lastModified"), "lastModified", today),
        "pipeline_tag": obj.get("pipeline_tag") if isinstance(obj.get("pipeline_tag"), str) else None,
        "library_name": obj.get("library_name") if isinstance(obj.get("library_name"), str) else None,
        "tags": tags,
        "gated": _gated(obj.get("gated")),
        "license": _license(tags, obj.get("cardData")),
        "safetensors_total": parse_param_total("safetensors", obj.get("safetensors")),
        "gguf_total": parse_param_total("gguf", obj.get("gguf")),
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


_MOE_RE = re.compile(r"(?<![\w.])(\d+)x(\d+(?:\.\d+)?)b(?![a-z0-9])")
_ACTIVE_RE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)b-a\d+(?:\.\d+)?b(?![a-z0-9])")
_SIZE_RE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)([bm])(?![a-z0-9])")
_DECIMAL_UNDERSCORE_RE = re.compile(r"(?<=\d)_(?=\d+[bm](?![a-z0-9]))")


def params_from_name(model_id: str) -> float | None:
    """Total parameters in billions read from a model name, or None.

    ``-7B-`` -> 7, ``-0.5B`` -> 0.5, ``8x7B`` -> 56 (experts x size), ``-30B-A3B`` -> 30 (total,
    not active), ``-135M`` -> 0.135. The largest size mentioned wins (``…-70B-…-8B-draft``).
    """
    name = model_id.rsplit("/", 1)[-1].lower()
    if "_" in name:
        # The Hub spells some decimals with '_' ("stablelm-2-1_6b" is 1.6B); elsewhere '_' separates words.
        name = _DECIMAL_UNDERSCORE_RE.sub(".", name).replace("_", "-")
    if match := _MOE_RE.search(name):
        return round(int(match.group(1)) * float(match.group(2)), 6)
    if match := _ACTIVE_RE.search(name):
        return float(match.group(1))
    sizes = [float(n) / (1000.0 if unit == "m" else 1.0) for n, unit in _SIZE_RE.findall(name)]
    return max(sizes) if sizes else None
