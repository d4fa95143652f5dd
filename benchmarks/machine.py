"""The machine facts every benchmark prints beside its figures."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def machine(*libraries: tuple[str, str]) -> str:
    """CPU model, cores, RAM, Python, OS, and any ``(name, version)`` pairs given."""
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kb = int(meminfo.read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    libs = "".join(f", {name} {version}" for name, version in libraries)
    return (
        f"{cpu}, {os.cpu_count()} cores{mem}, Python {platform.python_version()}{libs}, "
        f"{platform.system()} {platform.release()}"
    )
