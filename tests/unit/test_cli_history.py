"""`atom backfill --history`: choosing the source, and a summary of one line per reason."""

from __future__ import annotations


def test_backfill_history_flag_chooses_the_source(tmp_path, monkeypatch):
    from atom_dagster.cli import _settings

    monkeypatch.delenv("ATOM_HISTORY", raising=False)
    assert _settings(str(tmp_path), history="weekly").history == "weekly"
    assert _settings(str(tmp_path), history="hub-stats").history == "hub-stats"
    assert _settings(str(tmp_path)).history == "off"


def test_backfill_summary_is_one_line_per_era_and_reason():
    from atom_dagster.cli import group_failures

    era = "era parquet_without_downloads_all_time (before 2025-02-26): no downloadsAllTime"
    start = "hub-stats's history starts on 2024-07-24 (first commit 1)"
    failed = {
        "2024-09-02": f"Partition 2024-09-02: refused, commit abc123: {era}\nmore",
        "2024-08-26": f"Partition 2024-08-26: refused, commit def456: {era}",
        "2024-07-01": f"Partition 2024-07-01: {start}",
        "2024-07-08": f"Partition 2024-07-08: {start}",
        "2025-03-03": "Partition 2025-03-03: no commit on 2025-03-03; nearest 2025-03-02",
    }
    assert group_failures(failed) == [
        f"  2 days (2024-07-01 .. 2024-07-08): {start}",
        f"  2 days (2024-08-26 .. 2024-09-02): {era}",
        "  2025-03-03: Partition 2025-03-03: no commit on 2025-03-03; nearest 2025-03-02",
    ]
