"""The hub-stats history source: commit choice, streaming filter, archive day, routing.

The Hub is never called. The commit listing (``GET /api/datasets/{repo}/commits/main``, paginated
through ``Link``), ``paths-info``, the ``repo_info``/tree calls ``HfFileSystem`` makes and the
file itself (whole or by ``Range``) are served by a stub Hub through an ``httpx2.MockTransport``
installed with ``huggingface_hub.utils.set_client_factory``, so huggingface_hub's own ``HfApi``
and ``HfFileSystem`` code runs. ``hf_hub_download`` (only used with ``keep_download``) is mostly
stubbed at the module boundary with local files; one test serves the same stub over real HTTP on
127.0.0.1 and lets huggingface_hub download from it (plain HTTP ``resolve/<commit>``, no Xet).
The files are self-made in each era's column set (tests/fixtures/history/hub_stats.py).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from atom_dagster.landing.tables.hub_models import parse_archive_day
from atom_dagster.settings import load_settings
from atom_dagster.sources.archive import sha256_file, verify_manifest
from atom_dagster.sources.hub_history import (
    HistoryUnavailable,
    HubStatsClient,
    SnapshotCommit,
    capture_history_day,
    pick_commit,
)
from atom_dagster.sources.hub_history_eras import (
    ERA_CSV,
    ERA_WITH_ALL_TIME,
    ERA_WITHOUT_ALL_TIME,
    classify_schema,
)
from atom_dagster.sources.hub_history_rows import StreamStats, stream_kept_objects
from atom_dagster.sources.hub_source import HubSnapshotSource, SourceUnavailable
from tests.fixtures.history.hub_stats import (
    ERA_OF_SCHEMA,
    SCHEMAS,
    HubStatsServer,
    commit_item,
    install,
    model,
    quiet_hub,
    serve_http,
    write_models_file,
    write_models_parquet,
)

ORGS = ["Qwen", "meta-llama"]
DAY = "2025-03-08"
TODAY = date(2026, 11, 29)


def rows() -> list[dict]:
    return [
        model(
            "Qwen/Qwen2.5-7B-Instruct", 1_000_000, "2024-09-16T11:55:40Z", uid="a" * 24, params=7_615_616_512
        ),
        model("randomuser/unrelated-7b", 999, "2024-05-01T00:00:00Z", uid="b" * 24),
        model("meta-llama/Llama-3.1-8B-Instruct", 5_000_000, "2024-07-18T08:56:00Z", uid="c" * 24),
        model(
            "someuser/qwen-sft",
            50,
            "2024-10-01T00:00:00Z",
            uid="d" * 24,
            base=("finetune", "Qwen/Qwen2.5-7B-Instruct"),
        ),
        model(
            "someuser/llama-q4", 70, "2024-10-02T00:00:00Z", uid="e" * 24, base=("quantized", "meta-llama/X")
        ),
        model("qwen/not-the-org", 5, "2024-10-03T00:00:00Z", uid="f" * 24),  # namespaces are case-sensitive
        model("other/derived-from-other", 5, "2024-10-03T00:00:00Z", uid="0" * 24, base=("merge", "other/x")),
    ]


class Log:
    def __init__(self) -> None:
        self.messages: list[str] = []

    def info(self, message: str) -> None:
        self.messages.append(message)


@pytest.fixture
def hub_stats(monkeypatch, tmp_path):
    """``serve(files_by_day, schema)``: one commit per day (plus noise), served over MockTransport."""
    restore = []

    def serve(days: dict[str, list[dict]], schema: str = "new", stale: set[str] = frozenset(), **server_kw):
        commits, files = [], {}
        for n, (day, day_rows) in enumerate(sorted(days.items())):
            early, late = f"{n:02d}" + "e" * 38, f"{n:02d}" + "f" * 38
            path = write_models_file(tmp_path / "hub" / late, day_rows, schema)
            # Two commits that day: the later one is the day's snapshot.
            commits += [commit_item(early, f"{day}T01:00:00.000Z"), commit_item(late, f"{day}T23:10:00.000Z")]
            changed = "2020-01-01T00:00:00.000Z" if day in stale else f"{day}T23:10:00.000Z"
            files[late] = (path, late, changed)
        commits.reverse()  # the Hub lists newest first
        real_download = server_kw.pop("real_download", False)
        server = HubStatsServer(commits, files, **server_kw)
        downloads, undo = install(monkeypatch, server, real_download)
        restore.append(undo)
        return server, downloads

    yield serve
    for undo in restore:
        undo()


def test_pick_commit_takes_the_last_commit_of_the_day_and_never_another_day():
    c = [
        SnapshotCommit("x1", datetime(2025, 3, 7, 23, 0, tzinfo=UTC)),
        SnapshotCommit("x2", datetime(2025, 3, 8, 2, 0, tzinfo=UTC)),
        SnapshotCommit("x3", datetime(2025, 3, 8, 22, 0, tzinfo=UTC)),
        SnapshotCommit("x4", datetime(2025, 3, 11, 1, 0, tzinfo=UTC)),
    ]
    assert pick_commit(c, "2025-03-08").commit_id == "x3"
    with pytest.raises(HistoryUnavailable) as info:
        pick_commit(c, "2025-03-10")
    message = str(info.value)
    assert "no commit on 2025-03-10" in message and "x3" in message and "x4" in message
    assert "ATOM_HISTORY_MAX_LAG_DAYS" in message
    assert pick_commit(c, "2025-03-10", max_lag_days=2).commit_id == "x3"


def test_streaming_in_small_batches_equals_a_one_shot_read(tmp_path):
    path = write_models_parquet(tmp_path / "models.parquet", rows() * 3, row_group_size=2)
    assert pq.ParquetFile(path).num_row_groups == 11
    small = StreamStats()
    seen: list[tuple[int, int]] = []
    streamed = list(
        stream_kept_objects(
            path, ORGS, batch_size=2, stats=small, progress=lambda s: seen.append((s.batches, s.rows_read))
        )
    )
    assert seen == [(n, min(2 * n, 21)) for n in range(1, 12)]  # after every batch, counts so far
    one_shot = list(stream_kept_objects(path, ORGS, batch_size=1_000_000))
    assert streamed == one_shot
    assert small.batches == 11 and small.rows_read == 21
    # Independent reference: the whole table read at once, filtered in plain Python.
    table = pq.read_table(path).to_pylist()
    expected = [
        r["id"]
        for r in table
        if r["id"].split("/")[0] in ORGS
        or any(t.startswith(("base_model:Qwen/", "base_model:meta-llama/")) for t in r["tags"])
    ]
    assert [o["id"] for o in streamed] == expected
    assert (small.own_models, small.derivatives) == (6, 6)
    first = streamed[0]
    assert first["createdAt"] == "2024-09-16T11:55:40.000Z"
    assert first["safetensors"] == {"parameters": {"BF16": 7_615_616_512}, "total": 7_615_616_512}
    assert "cardData" not in first  # a wide column that is never read


def test_history_day_lands_in_the_archive_with_its_provenance(tmp_path, hub_stats):
    server, downloads = hub_stats({"2025-03-01": rows(), DAY: rows()})
    archive = tmp_path / "archive"
    result = capture_history_day(archive, DAY, ORGS, log=lambda _m: None, today=TODAY)
    late = "01" + "f" * 38
    assert downloads == [(late, "models.parquet")]
    # The listing was paginated (4 commits, 2 per page) and paths-info asked for that revision.
    assert server.requests.count("GET /api/datasets/cfahlgren1/hub-stats/commits/main") == 2
    assert f"POST /api/datasets/cfahlgren1/hub-stats/paths-info/{late}" in server.requests
    manifest = json.loads((archive / DAY / "MANIFEST.json").read_text())
    verify_manifest(archive / DAY, manifest)
    assert manifest["source"] == "history" and manifest["synthetic"] is False
    history = manifest["history"]
    local = server.files[late][0]
    assert history["repository"] == "cfahlgren1/hub-stats" and history["commit"] == late
    assert history["commit_created_at"] == "2025-03-08T23:10:00+00:00" and history["commit_lag_days"] == 0
    assert history["file"] == "models.parquet"
    assert (history["read"], history["era"]) == ("columns", ERA_WITH_ALL_TIME)
    assert history["file_sha256"] is None  # column reads never see the whole file
    assert history["file_listed_sha256"] == sha256_file(local)
    assert history["file_bytes"] == local.stat().st_size
    assert history["bytes_fetched"] == server.file_bytes_served and history["range_requests"] >= 2
    assert list(history["columns_missing"]) == ["gated"]  # no era of hub-stats has it
    assert "never false" in history["columns_missing"]["gated"]
    assert (history["rows_read"], history["rows_kept"], history["own_models"], history["derivatives"]) == (
        7,
        4,
        2,
        2,
    )
    assert result.rows_kept == 4 and result.surrogate_ids == 0
    report, _ = parse_archive_day(archive / DAY)
    assert report.rejected == []
    got = {r["model_id"]: r for r in report.rows}
    assert set(got) == {
        "Qwen/Qwen2.5-7B-Instruct",
        "meta-llama/Llama-3.1-8B-Instruct",
        "someuser/qwen-sft",
        "someuser/llama-q4",
    }
    qwen = got["Qwen/Qwen2.5-7B-Instruct"]
    assert (qwen["model_uid"], qwen["downloads_all_time"], qwen["safetensors_total"]) == (
        "a" * 24,
        1_000_000,
        7_615_616_512,
    )
    assert got["someuser/qwen-sft"]["lineage"][0]["parent_id"] == "Qwen/Qwen2.5-7B-Instruct"


def test_rows_without_an_id_get_surrogate_keys_and_absent_values_stay_null(tmp_path, hub_stats):
    day_rows = rows()
    for row in day_rows:
        row["_id"], row["safetensors"], row["baseModels"] = None, None, None
    hub_stats({DAY: day_rows})
    archive = tmp_path / "archive"
    result = capture_history_day(archive, DAY, ORGS, log=lambda _m: None, today=TODAY)
    assert result.surrogate_ids == 4
    report, _ = parse_archive_day(archive / DAY)
    assert report.rejected == []
    qwen = next(r for r in report.rows if r["model_id"] == "Qwen/Qwen2.5-7B-Instruct")
    assert qwen["model_uid"] == "id:Qwen/Qwen2.5-7B-Instruct"
    assert qwen["safetensors_total"] is None  # null in the file: null, not guessed
    assert qwen["gated"] is None  # not in any hub-stats file: unknown, not false
    assert qwen["name_params_b"] == 7.0  # the parser's own name rule still applies
    assert qwen["created_at"] == datetime(2024, 9, 16, 11, 55, 40, tzinfo=UTC)
    sft = next(r for r in report.rows if r["model_id"] == "someuser/qwen-sft")
    assert [e["relation"] for e in sft["lineage"]] == ["finetune"]  # from tags, baseModels null


@pytest.mark.parametrize(
    ("schema", "era", "readable"),
    [
        ("csv_2024_07", ERA_CSV, False),
        ("parquet_2024_08", ERA_WITHOUT_ALL_TIME, True),
        ("parquet_2024_11", ERA_WITHOUT_ALL_TIME, True),
        ("parquet_2025_03", ERA_WITH_ALL_TIME, True),
        ("stringly", ERA_WITH_ALL_TIME, True),
    ],
)
def test_each_era_of_the_file_is_classified_from_its_columns(schema, era, readable):
    names = SCHEMAS[schema].names
    got = classify_schema(names, "csv" if schema.startswith("csv") else "parquet")
    assert got.era == era == ERA_OF_SCHEMA.get(schema, ERA_WITH_ALL_TIME)
    assert (got.refusal is None) == readable
    if not readable:
        assert got.refusal.startswith(f"era {era} (") and "\n" not in got.refusal
    if era == ERA_WITHOUT_ALL_TIME:  # read, its counter null with the estimate named as the reason
        assert (
            got.present["downloads"] == "downloads"
            and "estimated_rolling_30d" in got.missing["downloadsAllTime"]
        )
        # ...but without its rolling count either, nothing is left to give the day's downloads.
        rolling_only = [n for n in names if n != "downloads"]
        assert "no `downloads` (the 30-day rolling count" in classify_schema(rolling_only).refusal
    assert "gated" in got.missing and "never false" in got.missing["gated"]
    if schema == "csv_2024_07":
        assert got.present["id"] == "modelId" and "_id" in got.missing
        assert "CSV export is not read" in got.refusal
    if schema == "parquet_2024_08":
        assert "era parquet_without_downloads_all_time" in got.missing["trendingScore"]
    # The `modelId` naming alone marks the first era, whatever the container.
    assert classify_schema(["modelId", "downloads"]).era == ERA_CSV


def test_a_dataframe_style_export_float_counts_and_json_text_is_read_the_same(tmp_path, hub_stats):
    day_rows = rows()
    day_rows[0]["downloads"] = float("nan")  # a missing 30-day count in a float column
    hub_stats({DAY: day_rows}, schema="stringly")
    archive = tmp_path / "archive"
    result = capture_history_day(archive, DAY, ORGS, log=lambda _m: None, today=TODAY)
    # qwen-sft and llama-q4 are found through the JSON-text tags, other/derived-from-other is not.
    assert (result.own_models, result.derivatives) == (2, 2)
    report, _ = parse_archive_day(archive / DAY)
    assert report.rejected == []
    got = {r["model_id"]: r for r in report.rows}
    qwen = got["Qwen/Qwen2.5-7B-Instruct"]
    assert (qwen["downloads_all_time"], qwen["downloads_30d"]) == (1_000_000, None)  # NaN -> null
    assert qwen["safetensors_total"] == 7_615_616_512
    assert report.repairs["downloadsAllTime_float_to_int"] == 4  # every kept row, counted as a repair
    assert got["someuser/qwen-sft"]["lineage"][0]["parent_id"] == "Qwen/Qwen2.5-7B-Instruct"
    assert "license:apache-2.0" in got["meta-llama/Llama-3.1-8B-Instruct"]["tags"]


def test_a_long_day_logs_its_progress(tmp_path, hub_stats, monkeypatch):
    import atom_dagster.sources.hub_history as hub_history

    monkeypatch.setattr(hub_history, "PROGRESS_EVERY_BATCHES", 2)
    hub_stats({DAY: rows()})
    logs: list[str] = []
    capture_history_day(tmp_path / "archive", DAY, ORGS, log=logs.append, today=TODAY, batch_size=2)
    progress = [line for line in logs if "rows read" in line]
    # Batches of 2 within row groups of 3, 3 and 1 rows (2+1, 2+1, 1): a line after the 2nd and
    # 4th batch (rows 1-3: Qwen and llama kept; rows 4-6 add qwen-sft and llama-q4).
    assert progress == [
        f"history {DAY}: 3 of 7 rows read, 2 kept",
        f"history {DAY}: 6 of 7 rows read, 4 kept",
    ]


@pytest.mark.parametrize("schema", ["parquet_2024_08", "parquet_2024_11"])
def test_a_snapshot_without_downloads_all_time_lands_its_rolling_counts(tmp_path, hub_stats, schema):
    hub_stats({DAY: rows()}, schema=schema)
    archive = tmp_path / "archive"
    result = capture_history_day(archive, DAY, ORGS, log=lambda _m: None, today=TODAY)
    manifest = json.loads((archive / DAY / "MANIFEST.json").read_text())["history"]
    assert (manifest["era"], manifest["downloads_basis"]) == (ERA_WITHOUT_ALL_TIME, "estimated_rolling_30d")
    assert "downloadsAllTime" in result.missing_columns
    report, _ = parse_archive_day(archive / DAY)
    assert report.rejected == []
    got = {r["model_id"]: r for r in report.rows}
    qwen = got["Qwen/Qwen2.5-7B-Instruct"]
    # The counter is null (not 0, not the rolling count); the rolling count is the day's figure.
    assert qwen["downloads_all_time"] is None and qwen["downloads_30d"] == rows()[0]["downloads"]


def test_a_rolling_era_day_without_its_rolling_count_is_rejected_by_record(tmp_path, hub_stats):
    day_rows = rows()
    day_rows[0]["downloads"] = None
    hub_stats({DAY: day_rows}, schema="parquet_2024_11")
    archive = tmp_path / "archive"
    capture_history_day(archive, DAY, ORGS, log=lambda _m: None, today=TODAY)
    report, _ = parse_archive_day(archive / DAY)
    assert [(r["id"], r["reason"].split(" (")[0]) for r in report.rejected] == [
        ("Qwen/Qwen2.5-7B-Instruct", "missing `downloads`")
    ]


@pytest.mark.parametrize("schema", ["parquet_2024_08", "parquet_2025_03"])
def test_a_refused_era_is_decided_from_the_footer(tmp_path, hub_stats, schema, monkeypatch):
    import atom_dagster.sources.hub_history_eras as eras

    # A rule that refuses every Parquet era, to watch what a refusal fetches.
    monkeypatch.setattr(eras, "ERA_REQUIRED", {k: ("id", "noSuchColumn") for k in eras.ERA_REQUIRED})
    monkeypatch.setitem(eras.REQUIRED, "noSuchColumn", "a column no era has")
    server, _ = hub_stats({DAY: rows() * 4}, schema=schema)
    with pytest.raises(HistoryUnavailable) as info:
        capture_history_day(tmp_path / "archive", DAY, ORGS, log=lambda _m: None, today=TODAY)
    message = str(info.value)
    assert "\n" not in message and "no `noSuchColumn`" in message and "nothing is invented" in message
    # Decided from the footer: only reads of the file's tail or inside its footer, no column chunk.
    local = next(iter(server.files.values()))[0]
    size = local.stat().st_size
    footer_start = size - 8 - int.from_bytes(local.read_bytes()[-8:-4], "little")
    starts_ends = [tuple(int(x) for x in r.removeprefix("bytes=").split("-")) for r in server.ranges]
    assert starts_ends and all(end == size - 1 or start >= footer_start for start, end in starts_ends)
    assert not (tmp_path / "archive" / DAY).exists()


def test_a_commit_that_left_an_old_models_file_is_refused(tmp_path, hub_stats):
    hub_stats({DAY: rows()}, stale={DAY})
    with pytest.raises(HistoryUnavailable) as info:
        capture_history_day(tmp_path / "archive", DAY, ORGS, log=lambda _m: None, today=TODAY)
    assert "last rewritten on 2020-01-01" in str(info.value)


def test_today_and_future_days_are_not_history(tmp_path):
    with pytest.raises(HistoryUnavailable, match="past days only"):
        capture_history_day(tmp_path, TODAY.isoformat(), ORGS, today=TODAY)


def test_routing_archive_wins_history_fills_gaps_and_off_refuses(tmp_path, hub_stats):
    server, downloads = hub_stats({DAY: rows()})
    archive = tmp_path / "archive"
    source = HubSnapshotSource(
        mode="archive", archive_dir=str(archive), tracked_orgs=ORGS, history="hub-stats"
    )
    resolved = source.resolve_day(DAY, Log())
    assert resolved.capture_source == "history" and "cfahlgren1/hub-stats@" in resolved.detail
    assert len(downloads) == 1
    again = source.resolve_day(DAY, Log())  # now recorded: replayed, nothing downloaded
    assert again.capture_source == "history"
    assert again.detail.startswith("replay of history day") and "cfahlgren1/hub-stats commit" in again.detail
    assert len(downloads) == 1
    live = HubSnapshotSource(mode="live", archive_dir=str(archive), tracked_orgs=ORGS, history="hub-stats")
    assert live.resolve_day(DAY, Log()).capture_source == "history"  # a past day in live mode
    off = HubSnapshotSource(mode="archive", archive_dir=str(archive), tracked_orgs=ORGS)
    with pytest.raises(SourceUnavailable, match="atom backfill --history --start 2025-03-01"):
        off.resolve_day("2025-03-01", Log())
    assert len(downloads) == 1


def test_history_settings(tmp_path):
    base = {"ATOM_DATA_DIR": str(tmp_path)}
    settings = load_settings(base)
    assert (settings.history, settings.history_enabled, settings.history_max_lag_days) == ("off", False, 0)
    on = load_settings({**base, "ATOM_HISTORY": "hub-stats", "ATOM_HISTORY_MAX_LAG_DAYS": "2"})
    assert on.history_enabled and on.history_max_lag_days == 2 and on.history_derivatives
    with pytest.raises(ValueError, match="ATOM_HISTORY must be one of"):
        load_settings({**base, "ATOM_HISTORY": "wayback"})
    assert not load_settings({**base, "ATOM_HISTORY_DERIVATIVES": "off"}).history_derivatives
    assert load_settings({**base, "ATOM_HISTORY_KEEP_DOWNLOADS": "on"}).history_keep_downloads
    assert not settings.history_keep_downloads


def no_backoff_sleep(monkeypatch) -> list[float]:
    """huggingface_hub's retry backoff (1 s .. 8 s, 5 retries) recorded instead of slept."""
    from huggingface_hub.utils import _http

    sleeps: list[float] = []
    monkeypatch.setattr(_http.time, "sleep", sleeps.append)
    return sleeps


def test_a_day_before_the_dataset_began_says_where_its_history_starts():
    c = [SnapshotCommit("first" + "0" * 35, datetime(2024, 7, 24, 9, 0, tzinfo=UTC))]
    with pytest.raises(HistoryUnavailable) as info:
        pick_commit(c, "2023-11-01", repo_id="someone/mirror")
    message = str(info.value)
    assert "someone/mirror's history starts on 2024-07-24" in message
    assert "cannot be rebuilt from this dataset" in message
    with pytest.raises(HistoryUnavailable, match="lists no commits at all"):
        pick_commit([], "2023-11-01")


@pytest.mark.parametrize(
    ("where", "status", "code", "expected"),
    [
        ("commits", 404, "RepoNotFound", "was not found (404)"),
        ("commits", 401, "RepoNotFound", "was not found (401)"),  # private/absent look alike to the Hub
        ("commits", 403, "GatedRepo", "is gated"),
        ("paths-info", 403, "DisabledRepo", "is disabled on the Hub"),
        ("paths-info", 404, "RevisionNotFound", "history was rewritten"),
        ("commits", 429, None, "rate limiting"),
        ("commits", 500, None, "The Hub answered 500"),
        ("revision", 404, "RevisionNotFound", "history was rewritten"),  # gone when the file is opened
        ("revision", 403, "GatedRepo", "is gated"),
        ("resolve", 500, None, "The Hub answered 500"),  # the footer's range request
    ],
)
def test_hub_failures_of_the_history_dataset_are_explained(
    tmp_path, monkeypatch, hub_stats, where, status, code, expected
):
    sleeps = no_backoff_sleep(monkeypatch)
    server, _ = hub_stats({DAY: rows()}, errors={where: (status, code)})
    with pytest.raises(HistoryUnavailable) as info:
        capture_history_day(tmp_path / "archive", DAY, ORGS, log=lambda _m: None, today=TODAY)
    message = str(info.value)
    assert expected in message, message
    assert "cfahlgren1/hub-stats" in message
    if status in (401, 404) and where == "commits":
        assert "taken down, renamed or made private" in message and "ATOM_HISTORY_REPO" in message
    assert not (tmp_path / "archive" / DAY).exists()  # nothing half-written
    # 429 and 5xx: huggingface_hub's own backoff retried 5 times before we explained the failure.
    assert len(sleeps) == (5 if status in (429, 500) else 0)
    before = {"commits": 0, "paths-info": 1, "revision": 2, "resolve": 4}[where]  # calls that succeeded
    assert len(server.requests) == before + len(sleeps) + 1
    if where == "commits":  # the next day of the same run fails at once, without asking again
        asked = len(server.requests)
        with pytest.raises(HistoryUnavailable, match="not retried") as again:
            capture_history_day(tmp_path / "archive", "2025-03-09", ORGS, log=lambda _m: None, today=TODAY)
        assert message in str(again.value) and len(server.requests) == asked


def test_a_commit_holding_only_the_older_csv_export_is_refused_by_name(tmp_path, hub_stats):
    server, fetched = hub_stats({DAY: rows()}, schema="csv_2024_07")
    with pytest.raises(HistoryUnavailable) as info:
        capture_history_day(tmp_path / "archive", DAY, ORGS, log=lambda _m: None, today=TODAY)
    message = str(info.value)
    assert "models.csv is of era csv_modelId" in message and "`modelId` for `id`" in message
    assert "no `downloadsAllTime`" in message and "\n" not in message
    assert fetched == [("00" + "f" * 38, "models.csv")]
    size = server.files["00" + "f" * 38][0].stat().st_size
    assert server.ranges == [f"bytes=0-{min(size, 65_536) - 1}"]  # the header: one range request


def test_an_unreachable_hub_is_explained(tmp_path, monkeypatch):
    import httpx2

    sleeps = no_backoff_sleep(monkeypatch)
    from huggingface_hub.utils import _http, set_client_factory

    def refuse(request):
        raise httpx2.ConnectError("[Errno 111] Connection refused", request=request)

    previous = _http._GLOBAL_CLIENT_FACTORY
    set_client_factory(lambda: httpx2.Client(transport=httpx2.MockTransport(refuse)))
    monkeypatch.setattr("atom_dagster.sources.hub_history._COMMITS", {})
    monkeypatch.setattr("atom_dagster.sources.hub_history._UNAVAILABLE", {})
    try:
        with pytest.raises(HistoryUnavailable) as info:
            HubStatsClient().list_commits()
    finally:
        set_client_factory(previous)
    message = str(info.value)
    assert len(sleeps) == 5  # huggingface_hub retried the connection before giving up
    assert "Could not reach the Hub while listing the commits of cfahlgren1/hub-stats" in message
    assert "Connection refused" in message and "ATOM_ARCHIVE_DIR" in message


def test_a_copy_of_the_dataset_can_be_configured(tmp_path, hub_stats):
    server, downloads = hub_stats({DAY: rows()}, repo="someone/hub-stats-mirror")
    settings = load_settings(
        {"ATOM_DATA_DIR": str(tmp_path), "ATOM_HISTORY_REPO": "someone/hub-stats-mirror"}
    )
    assert settings.history_repo == "someone/hub-stats-mirror"
    assert load_settings({"ATOM_DATA_DIR": str(tmp_path)}).history_repo == "cfahlgren1/hub-stats"
    with pytest.raises(ValueError, match="ATOM_HISTORY_REPO must be a dataset id"):
        load_settings({"ATOM_DATA_DIR": str(tmp_path), "ATOM_HISTORY_REPO": "just-a-name"})
    source = HubSnapshotSource(
        mode="archive",
        archive_dir=str(tmp_path / "archive"),
        tracked_orgs=ORGS,
        history="hub-stats",
        history_repo=settings.history_repo,
    )
    resolved = source.resolve_day(DAY, Log())
    assert "someone/hub-stats-mirror@" in resolved.detail
    manifest = json.loads((resolved.path / "MANIFEST.json").read_text())
    assert manifest["history"]["repository"] == "someone/hub-stats-mirror"
    assert all("/datasets/someone/hub-stats-mirror/" in r for r in server.requests)
    assert len(downloads) == 1


def test_a_listing_made_before_the_day_ended_is_refreshed_an_older_one_reused(tmp_path, hub_stats):
    import atom_dagster.sources.hub_history as hub_history

    server, _ = hub_stats({DAY: rows()})
    client = HubStatsClient()
    key = (client.api.endpoint, client.repo_id)
    # A long-running process listed the commits at noon on DAY: that listing cannot know DAY's
    # last commit, so it is fetched again; for the day before, the old listing is enough.
    hub_history._COMMITS[key] = (datetime(2025, 3, 8, 12, 0, tzinfo=UTC), [])
    assert client.list_commits("2025-03-07") == []
    assert not any("/commits/" in r for r in server.requests)
    commits = client.list_commits(DAY)
    assert len(commits) == 2 and any("/commits/" in r for r in server.requests)
    asked = len(server.requests)
    assert client.list_commits(DAY) == commits and len(server.requests) == asked  # now cached


def test_downloaded_bytes_that_differ_from_the_listed_sha256_are_refused(tmp_path, hub_stats, monkeypatch):
    import atom_dagster.sources.hub_history as hub_history

    hub_stats({DAY: rows()})
    tampered = write_models_parquet(tmp_path / "tampered" / "models.parquet", rows()[:2])
    monkeypatch.setattr(hub_history, "hf_hub_download", lambda *a, **k: str(tampered))
    with pytest.raises(HistoryUnavailable) as info:
        capture_history_day(
            tmp_path / "archive", DAY, ORGS, log=lambda _m: None, today=TODAY, keep_download=True
        )
    message = str(info.value)
    assert f"has sha256 {sha256_file(tampered)[:12]}" in message and "lists" in message
    assert "not used" in message and "retry" in message
    assert (
        not (tmp_path / "archive" / DAY).exists() and not (tmp_path / "archive" / f"{DAY}.partial").exists()
    )


def test_column_reads_over_http_fetch_a_fraction_and_land_what_the_full_download_lands(tmp_path, monkeypatch):
    """The stub Hub on 127.0.0.1 (real HTTP, ``Range`` support), a few-MB file whose unread
    columns are most of its bytes: the default column read fetches a fraction of the file and
    caches nothing; ``keep_download`` lets huggingface_hub download the whole file into its cache
    (and keeps it there). Both land the same JSONL."""
    import random

    import atom_dagster.sources.hub_history as hub_history

    quiet_hub(monkeypatch)
    monkeypatch.setattr(hub_history, "_COMMITS", {})
    monkeypatch.setattr(hub_history, "_UNAVAILABLE", {})
    rng = random.Random(7)
    day_rows = []
    for i in range(3_000):
        row = rows()[i % 7]
        row["id"] = f"{row['id']}-{i}" if i >= 7 else row["id"]
        row["cardData"] = rng.randbytes(600).hex()  # incompressible, as real model cards mostly are
        day_rows.append(row)
    rev = "5" * 40
    local = write_models_parquet(tmp_path / "hub" / rev / "models.parquet", day_rows, row_group_size=500)
    size = local.stat().st_size
    server = HubStatsServer(
        [commit_item(rev, f"{DAY}T06:30:00.000Z")], {rev: (local, rev, f"{DAY}T06:30:00Z")}
    )
    endpoint, stop = serve_http(server)
    cache = tmp_path / "hf-cache"
    try:

        def capture(folder: str, **how):
            client = HubStatsClient(endpoint=endpoint, cache_dir=str(cache))
            return capture_history_day(
                tmp_path / folder, DAY, ORGS, client=client, log=lambda _m: None, today=TODAY, **how
            )

        columns = capture("columns")
        column_bytes = server.file_bytes_served
        full = capture("full", keep_download=True)
    finally:
        stop()
    assert size > 2_000_000 and pq.ParquetFile(local).num_row_groups == 6
    assert column_bytes < size / 4  # the footer and the needed column chunks only
    resolve = f"/datasets/cfahlgren1/hub-stats/resolve/{rev}/models.parquet"
    assert server.requests.count(f"GET {resolve}") == len(server.ranges) + 1  # + the whole-file GET
    manifest = json.loads((full.day_dir / "MANIFEST.json").read_text())["history"]
    assert manifest["read"] == "download" and manifest["file_sha256"] == sha256_file(local)
    assert (
        json.loads((columns.day_dir / "MANIFEST.json").read_text())["history"]["bytes_fetched"]
        == column_bytes
    )
    assert columns.rows_kept == full.rows_kept == 1_715 and columns.rows_read == 3_000
    jsonl = sorted((columns.day_dir / "hub" / "models").glob("*.jsonl.gz"))
    assert jsonl
    assert [p.read_bytes() for p in jsonl] == [
        (full.day_dir / "hub" / "models" / p.name).read_bytes() for p in jsonl
    ]
    blobs = cache / "datasets--cfahlgren1--hub-stats" / "blobs"
    assert [p.stat().st_size for p in blobs.iterdir()] == [size]  # the download, kept; nothing else


def test_files_are_not_committed_binaries():
    here = Path(__file__).resolve().parents[1] / "fixtures" / "history"
    assert not list(here.rglob("*.parquet"))
