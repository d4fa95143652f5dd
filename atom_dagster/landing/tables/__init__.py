"""The raw tables: every module here declares ``RAW_TABLE`` (or ``RAW_TABLES``), found by :func:`all_tables`.

Adding a raw table is one new module here plus its dbt staging model; nothing else lists tables.
"""

from __future__ import annotations

import importlib
import pkgutil

from atom_dagster.landing.spec import RawTable


def all_tables() -> list[RawTable]:
    """Every declared raw table, by unit and position within it."""
    found: list[RawTable] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        found += list(getattr(module, "RAW_TABLES", []))
        if hasattr(module, "RAW_TABLE"):
            found.append(module.RAW_TABLE)
    return sorted(found, key=lambda t: (t.unit, t.order, t.name))
