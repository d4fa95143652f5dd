"""Read the demo's JSON data files, which live next to this module (``atom_dagster/demo/*.json``)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

DATA_DIR = Path(__file__).resolve().parent
T = TypeVar("T")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def read_sections(name: str | Path, sections: Iterable[str]) -> dict[str, Any]:
    """The JSON object in ``DATA_DIR / name`` (or at the path ``name``), checked against ``sections``.

    It must hold exactly ``sections`` plus an optional ``_about`` note; duplicate keys anywhere and
    missing or unknown sections raise ``ValueError``.
    """
    path = DATA_DIR / name
    try:
        data = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_no_duplicate_keys)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc
    wanted = set(sections)
    found = set(data) - {"_about"}
    if found != wanted:
        raise ValueError(f"{path}: missing {sorted(wanted - found)}, unknown {sorted(found - wanted)}")
    return data


def build(cls: type[T], record: dict[str, Any], **fields: Any) -> T:
    """``cls(**record, **fields)``; a missing or unknown field raises ``ValueError`` naming the record."""
    try:
        return cls(**{**record, **fields})
    except TypeError as exc:
        raise ValueError(f"bad {cls.__name__} record {record}: {exc}") from None
