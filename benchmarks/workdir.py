"""Where a benchmark works and how it reports: shared by the benchmark scripts."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def work_dir(keep: Path | None, prefix: str) -> Iterator[Path]:
    """``keep`` (created, left in place for the next run to reuse), else a temporary folder removed
    afterwards."""
    work = keep or Path(tempfile.mkdtemp(prefix=prefix))
    work.mkdir(parents=True, exist_ok=True)
    try:
        yield work
    finally:
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)


def publish(text: str, out: Path | None) -> None:
    """Print a results table, and write it to ``out`` when given."""
    print(text)
    if out:
        out.write_text(text)
