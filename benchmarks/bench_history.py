"""Benchmark: the hub-stats history source on a self-made, full-size ``models.parquet``.

    .venv/bin/python benchmarks/bench_history.py [--rows 2000000] [--tracked-fraction 0.0075]
        [--derivative-fraction 0.10] [--card-bytes 1700] [--workdir DIR] [--keep]

What it does:

1. writes one ``models.parquet`` in the NEW schema of ``cfahlgren1/hub-stats``
   (``tests.fixtures.history.hub_stats.NEW_SCHEMA``), chunk by chunk (one row group per chunk, zstd),
   with ids ``namespace/name`` over ~300,000 namespaces, a fraction of them tracked organizations
   (the seed's tracked rows, as the product lists them), 10-30 tags per row, ``base_model:`` tags
   naming a tracked parent on a derivative fraction (untracked parents on ~25% of the other rows),
   a ``safetensors`` struct with a parameters map, ``baseModels`` on the derived rows and a wide,
   unread ``cardData`` text column so the file has the real file's size (~1.5 GB for ~2M models);
2. runs ``capture_history_day`` for one day on it, derivatives on and off, each in a fresh
   subprocess (so the peak RSS is per case), with a stub client serving one commit on the day and
   the local file standing in for the range reads: commit pick, footer and era check, the
   streamed filter, JSON conversion and the archive write (JSONL + MANIFEST) are measured;
3. lands each archived day into raw Parquet through the product's own functions, as the Dagster
   asset ``raw/hub_models`` calls them (``parse_archive_day`` -> ``to_arrow`` -> ``stage`` ->
   Great Expectations gate -> ``promote``), again in a fresh subprocess;
4. prints the machine, the sizes and a results table, and extrapolates the measured day to the
   README's 161 stride-7 days.

What it does NOT measure: the download of ``models.parquet`` (bandwidth-dependent; the file is
local and was just written, so it is read from a warm page cache, as right after a download), the
Hub API calls (commit listing, paths-info), Dagster's run bookkeeping and ``dbt build``. Content is
synthetic; only the shape and sizes are modelled on the real file. Not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from atom_dagster.sources.archive import sha256_file  # noqa: E402
from benchmarks.machine import machine  # noqa: E402

DAY = "2026-09-15"
COMMIT_ID = "5eb1a7c0ffee0000000000000000000000000001"
COMMIT_AT = datetime(2026, 9, 15, 6, 30, tzinfo=UTC)
STRIDE_DAYS = 161  # README: 2023-11-01..2026-11-28 at --stride 7
ROW_GROUP_ROWS = 100_000
BENCH_META = b"atom-bench-history"
USER_NAMESPACES = 300_000
TRACKED_PARENTS = 3_000
UNTRACKED_PARENTS = 20_000
UNTRACKED_BASE_FRACTION = 0.25  # rows with base_model tags naming an untracked parent
RELATIONS = ("finetune", "quantized", "adapter", "merge")
RELATION_WEIGHTS = (0.5, 0.25, 0.2, 0.05)
COMMON_TAGS = (
    "transformers",
    "safetensors",
    "pytorch",
    "gguf",
    "text-generation",
    "conversational",
    "en",
    "region:us",
    "license:apache-2.0",
    "license:mit",
    "license:other",
    "license:llama3.1",
    "license:gemma",
    "license:cc-by-4.0",
    "autotrain_compatible",
    "endpoints_compatible",
    "text-generation-inference",
    "4-bit",
    "8-bit",
    "bitsandbytes",
    "peft",
    "lora",
    "diffusers",
    "sentence-transformers",
    "feature-extraction",
    "tensorboard",
    "generated_from_trainer",
    "trl",
    "sft",
    "dpo",
    "grpo",
    "unsloth",
    "llama",
    "qwen2",
    "qwen3",
    "mistral",
    "gemma2",
    "gemma3",
    "phi3",
    "bert",
    "roberta",
    "t5",
    "whisper",
    "image-classification",
    "text-classification",
    "token-classification",
    "automatic-speech-recognition",
    "text-to-image",
    "image-text-to-text",
    "timm",
    "onnx",
    "mlx",
    "awq",
    "gptq",
    "exl2",
    "imatrix",
    "custom_code",
    "zh",
    "fr",
    "de",
    "es",
    "ja",
    "ko",
    "ru",
    "multilingual",
    "reinforcement-learning",
    "stable-baselines3",
    "deep-reinforcement-learning",
)
PIPELINES = (
    "text-generation",
    "text-classification",
    "image-text-to-text",
    "feature-extraction",
    "text-to-image",
    "automatic-speech-recognition",
    "token-classification",
    "sentence-similarity",
    "reinforcement-learning",
    "image-classification",
)
LIBRARIES = ("transformers", "peft", "diffusers", "sentence-transformers", "gguf", "timm", "mlx", "onnx")
SIZE_TOKENS = ("7B", "8B", "1.5B", "0.5B", "3B", "14B", "70B", "Instruct", "chat", "base", "v2", "GGUF")
DTYPES = ("BF16", "F32", "F16", "I8", "U8")
SIBLING_FILES = (
    ".gitattributes",
    "README.md",
    "config.json",
    "generation_config.json",
    "model.safetensors",
    "model-00001-of-00002.safetensors",
    "model-00002-of-00002.safetensors",
    "model.safetensors.index.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "adapter_config.json",
    "adapter_model.safetensors",
    "model-Q4_K_M.gguf",
)


def _status_mb(key: str) -> float | None:
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1]) / 1024
    return None


def peak_rss_mb() -> float:
    """Peak resident set size of this process, in MB.

    ``VmHWM`` (the high-water mark of this process's own address space) where /proc has it:
    Linux's ``ru_maxrss`` keeps the parent's high-water mark across fork + exec, so in a child
    started by the (large) generator process it would report the generator's peak, not the case's.
    Elsewhere ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` (KiB on Linux).
    """
    hwm = _status_mb("VmHWM")
    return hwm if hwm is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    rss = _status_mb("VmRSS")
    return rss if rss is not None else float("nan")


def dir_bytes(path: Path, suffix: str = "") -> int:
    return sum(p.stat().st_size for p in path.rglob(f"*{suffix}") if p.is_file())


# --- the self-made models.parquet ----------------------------------------------------------------


def _words(rng: np.random.Generator, count: int, low: int = 3, high: int = 10) -> list[str]:
    letters = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
    lengths = rng.integers(low, high + 1, count)
    raw = letters[rng.integers(0, 26, int(lengths.sum()))].tobytes().decode()
    ends = np.cumsum(lengths)
    return [raw[e - n : e] for e, n in zip(ends.tolist(), lengths.tolist(), strict=True)]


def _zipf(count: int, s: float = 1.1, shift: float = 10.0) -> np.ndarray:
    weights = 1.0 / (np.arange(count) + shift) ** s
    return weights / weights.sum()


def _strings(values: list[str]) -> pa.Array:
    return pa.array(values, pa.string())


class ModelsGenerator:
    """Chunks of hub-stats rows in the NEW schema; vocabularies built once, rows drawn per chunk."""

    def __init__(
        self, orgs: list[str], tracked_fraction: float, derivative_fraction: float, card_bytes: int, seed: int
    ) -> None:
        from tests.fixtures.history.hub_stats import NEW_SCHEMA

        self.schema = NEW_SCHEMA
        self.rng = np.random.default_rng(seed)
        rng = self.rng
        self.tracked_fraction = tracked_fraction
        # Derivatives are drawn among the untracked rows, so kept rows ~ rows x (tracked + derivative).
        self.derivative_share = min(1.0, derivative_fraction / max(1e-9, 1.0 - tracked_fraction))
        self.card_bytes = card_bytes
        self.orgs = _strings(orgs)
        self.org_p = _zipf(len(orgs), 1.0, 2.0)[rng.permutation(len(orgs))]
        self.org_p /= self.org_p.sum()
        words = _words(rng, 4_000)
        self.words = _strings(words)
        self.sizes = _strings(list(SIZE_TOKENS))
        users = [
            f"{words[i]}{j % 1000 if j % 3 else ''}" for j, i in enumerate(rng.integers(0, 4000, 300_000))
        ]
        users = [f"{u}-{j}" if j % 7 == 0 else u for j, u in enumerate(users)]
        tracked_set = set(orgs)
        self.users = _strings([u for u in dict.fromkeys(users) if u not in tracked_set][:USER_NAMESPACES])
        self.user_p = _zipf(len(self.users), 1.05, 20.0)
        tracked_parents = [
            f"{orgs[o]}/{words[w].capitalize()}-{SIZE_TOKENS[s]}-{j}"
            for j, (o, w, s) in enumerate(
                zip(
                    rng.choice(len(orgs), TRACKED_PARENTS, p=self.org_p).tolist(),
                    rng.integers(0, 4000, TRACKED_PARENTS).tolist(),
                    rng.integers(0, len(SIZE_TOKENS), TRACKED_PARENTS).tolist(),
                    strict=True,
                )
            )
        ]
        untracked_parents = [
            f"{self.users[int(u)].as_py()}/{words[w]}-{j}"
            for j, (u, w) in enumerate(
                zip(
                    rng.integers(0, len(self.users), UNTRACKED_PARENTS).tolist(),
                    rng.integers(0, 4000, UNTRACKED_PARENTS).tolist(),
                    strict=True,
                )
            )
        ]
        # Tag vocabulary: common tags, a long tail (arxiv, datasets, languages, base_model), then the
        # base_model tags of tracked and untracked parents at known offsets.
        tail = (
            [f"arxiv:{2000 + i // 100}.{i:05d}" for i in range(3000)]
            + [f"dataset:{words[i % 4000]}/{words[(i * 7) % 4000]}-{i}" for i in range(3000)]
            + [f"language:{words[i][:3]}" for i in range(200)]
        )
        self.n_common = len(COMMON_TAGS) + len(tail)
        vocab = list(COMMON_TAGS) + tail
        self.tracked_base = len(vocab)
        for parents in (tracked_parents, untracked_parents):
            vocab += [f"base_model:{p}" for p in parents]
            for relation in RELATIONS:
                vocab += [f"base_model:{relation}:{p}" for p in parents]
        self.untracked_base = self.tracked_base + 5 * TRACKED_PARENTS
        self.vocab = _strings(vocab)
        self.tag_p = _zipf(self.n_common, 1.2, 3.0)
        self.tracked_parents = _strings(tracked_parents)
        self.untracked_parents = _strings(untracked_parents)
        self.relations = _strings(list(RELATIONS))
        self.pipelines = _strings(list(PIPELINES))
        self.libraries = _strings(list(LIBRARIES))
        self.dtypes = _strings(list(DTYPES))
        self.files = _strings(list(SIBLING_FILES))
        self.configs = _strings(
            [
                json.dumps({"architectures": [f"{w.capitalize()}ForCausalLM"], "model_type": w})
                for w in words[:200]
            ]
        )
        self.pool = self._card_pool(words)

    def _card_pool(self, words: list[str]) -> bytes:
        """~32 MB of model-card-like text (YAML keys and prose) to cut ``cardData`` values from."""
        rng = self.rng
        keys = ["license: ", "language:\n- ", "tags:\n- ", "datasets:\n- ", "pipeline_tag: ", "base_model: "]
        picks = rng.choice(len(words), 5_000_000, p=_zipf(len(words), 1.0, 5.0)).tolist()
        out: list[str] = []
        for i, w in enumerate(picks):
            out.append(keys[i % 6] if i % 37 == 0 else words[w])
            out.append("\n" if i % 11 == 0 else " ")
        return "".join(out).encode()

    def _card_data(self, n: int) -> pa.Array:
        rng = self.rng
        mu = np.log(self.card_bytes) - 0.5 * 0.8**2  # lognormal with mean card_bytes
        lengths = np.clip(rng.lognormal(mu, 0.8, n), 200, 16_000).astype(np.int64)
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        total = int(offsets[-1])
        start = int(rng.integers(0, len(self.pool)))
        pieces = [self.pool[start:]]
        have = len(pieces[0])
        while have < total:
            pieces.append(self.pool)
            have += len(self.pool)
        data = b"".join(pieces)[:total]
        return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data)).cast(
            pa.string()
        )

    def _siblings(self, n: int) -> pa.Array:
        """3-12 repository files per model (``[{rfilename}]``), as the real column lists them."""
        counts = self.rng.integers(3, 13, n)
        offsets = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(counts, out=offsets[1:])
        names = self.files.take(pa.array(self.rng.integers(0, len(SIBLING_FILES), int(offsets[-1]))))
        return pa.ListArray.from_arrays(
            pa.array(offsets), pa.StructArray.from_arrays([names], names=["rfilename"])
        )

    def chunk(self, start: int, n: int) -> pa.Table:
        rng = self.rng
        # ids: namespace/name, tracked organizations for a fraction of rows.
        tracked = rng.random(n) < self.tracked_fraction
        org_idx = rng.choice(len(self.orgs), n, p=self.org_p)
        user_idx = rng.choice(len(self.users), n, p=self.user_p)
        namespace = pc.if_else(
            pa.array(tracked), self.orgs.take(pa.array(org_idx)), self.users.take(pa.array(user_idx))
        )
        name = pc.binary_join_element_wise(
            self.words.take(pa.array(rng.integers(0, len(self.words), n))).cast(pa.string()),
            self.sizes.take(pa.array(rng.integers(0, len(self.sizes), n))),
            pa.array(np.arange(start, start + n)).cast(pa.string()),
            "-",
        )
        ids = pc.binary_join_element_wise(namespace, name, "/")
        uid = pa.StringArray.from_buffers(
            n,
            pa.py_buffer(np.arange(0, 24 * n + 1, 24, dtype=np.int32)),
            pa.py_buffer(rng.bytes(12 * n).hex().encode()),
        )
        # tags: 10-30 per row; derived rows get base_model:<parent> and base_model:<relation>:<parent>.
        counts = rng.integers(10, 31, n)
        offsets = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(counts, out=offsets[1:])
        flat = rng.choice(self.n_common, int(offsets[-1]), p=self.tag_p)
        derived = ~tracked & (rng.random(n) < self.derivative_share)
        other = ~tracked & ~derived & (rng.random(n) < UNTRACKED_BASE_FRACTION)
        relation = rng.choice(len(RELATIONS), n, p=RELATION_WEIGHTS)
        parent = np.where(derived, rng.integers(0, TRACKED_PARENTS, n), rng.integers(0, UNTRACKED_PARENTS, n))
        based = derived | other
        block = np.where(derived, self.tracked_base, self.untracked_base)
        size = np.where(derived, TRACKED_PARENTS, UNTRACKED_PARENTS)
        first = offsets[:-1][based] + rng.integers(0, 8, int(based.sum()))
        flat[first] = block[based] + parent[based]
        flat[first + 1] = block[based] + size[based] * (1 + relation[based]) + parent[based]
        tags = pa.ListArray.from_arrays(pa.array(offsets), self.vocab.take(pa.array(flat)))
        parent_ids = pc.if_else(
            pa.array(derived),
            self.tracked_parents.take(pa.array(np.minimum(parent, TRACKED_PARENTS - 1))),
            self.untracked_parents.take(pa.array(parent)),
        )
        base_models = pa.StructArray.from_arrays(
            [
                self.relations.take(pa.array(relation)),
                pa.ListArray.from_arrays(
                    pa.array(np.arange(n + 1, dtype=np.int32)),
                    pa.StructArray.from_arrays([parent_ids], names=["id"]),
                ),
            ],
            names=["relation", "models"],
            mask=pa.array(~based),
        )
        # safetensors: ~60% of rows, one or two dtypes in the parameters map.
        has_st = rng.random(n) < 0.6
        entries = rng.integers(1, 3, n)
        map_offsets = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(entries, out=map_offsets[1:])
        params = (10 ** rng.uniform(6, 11, int(map_offsets[-1]))).astype(np.int64)
        totals = np.add.reduceat(params, map_offsets[:-1])
        safetensors = pa.StructArray.from_arrays(
            [
                pa.MapArray.from_arrays(
                    pa.array(map_offsets),
                    self.dtypes.take(pa.array(rng.integers(0, len(DTYPES), int(map_offsets[-1])))),
                    pa.array(params),
                ),
                pa.array(totals),
            ],
            names=["parameters", "total"],
            mask=pa.array(~has_st),
        )
        has_gguf = rng.random(n) < 0.08
        gguf = pa.array(
            [
                json.dumps({"total": int(t), "architecture": "llama", "context_length": 8192}) if g else None
                for g, t in zip(has_gguf.tolist(), totals.tolist(), strict=True)
            ],
            pa.string(),
        )
        created = rng.integers(
            int(datetime(2021, 1, 1, tzinfo=UTC).timestamp() * 1000), int(COMMIT_AT.timestamp() * 1000), n
        )
        modified = created + (rng.random(n) * (COMMIT_AT.timestamp() * 1000 - created)).astype(np.int64)
        downloads = np.floor(rng.lognormal(1.5, 2.5, n)).astype(np.int64)
        all_time = downloads + np.floor(rng.lognormal(3.0, 2.8, n)).astype(np.int64)
        ts = pa.timestamp("ms", tz="UTC")
        columns: dict[str, pa.Array] = {
            "_id": uid,
            "id": ids,
            "author": namespace,
            "downloads": pa.array(downloads),
            "downloadsAllTime": pa.array(all_time),
            "likes": pa.array(rng.geometric(0.6, n) - 1),
            "trendingScore": pa.array(np.where(rng.random(n) < 0.05, rng.random(n) * 50, 0.0)),
            "createdAt": pa.array(created).cast(ts),
            "lastModified": pa.array(modified).cast(ts),
            "tags": tags,
            "pipeline_tag": self.pipelines.take(
                pa.array(rng.integers(0, len(PIPELINES), n), mask=rng.random(n) < 0.3)
            ),
            "library_name": self.libraries.take(
                pa.array(rng.integers(0, len(LIBRARIES), n), mask=rng.random(n) < 0.25)
            ),
            "siblings": self._siblings(n),
            "config": self.configs.take(pa.array(rng.integers(0, len(self.configs), n))),
            "safetensors": safetensors,
            "gguf": gguf,
            "baseModels": base_models,
            "cardData": self._card_data(n),
        }
        arrays = [columns[f.name].cast(f.type) for f in self.schema]
        return pa.Table.from_arrays(arrays, schema=self.schema)


def generate(path: Path, rows: int, gen: ModelsGenerator, row_group_rows: int, meta: bytes) -> None:
    schema = gen.schema.with_metadata({BENCH_META: meta})
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for start in range(0, rows, row_group_rows):
            table = gen.chunk(start, min(row_group_rows, rows - start)).replace_schema_metadata(
                {BENCH_META: meta}
            )
            writer.write_table(table, row_group_size=row_group_rows)
            del table


# --- measured cases (each in a fresh subprocess) -------------------------------------------------


class LocalHubStats:
    """Stands in for ``HubStatsClient``: one commit on the day, the local file as the remote one."""

    def __init__(self, path: Path, sha256: str) -> None:
        self.repo_id = "cfahlgren1/hub-stats"
        self.path = path
        self.sha256 = sha256

    def list_commits(self, covering: str | None = None) -> list[Any]:
        from atom_dagster.sources.hub_history import SnapshotCommit

        return [SnapshotCommit(COMMIT_ID, COMMIT_AT, "Upload models.parquet")]

    def file_info(self, revision: str, filename: str) -> Any:
        from atom_dagster.sources.hub_history import FileInfo

        return FileInfo(self.path.stat().st_size, self.sha256, COMMIT_AT, COMMIT_ID)

    @contextlib.contextmanager
    def open_remote(self, revision: str, filename: str, size: int | None = None) -> Iterator[Any]:
        # No network: the local file stands in for the range reads (bench_history_reads.py
        # measures those against a stub Hub).
        from atom_dagster.sources.hub_history import RemoteFile

        with self.path.open("rb") as handle:
            yield RemoteFile(handle, lambda call: call(), self.path.stat().st_size)


def case_capture(spec: dict[str, Any]) -> dict[str, Any]:
    from atom_dagster.sources.hub_history import capture_history_day

    stamps: list[tuple[float, str]] = []

    def log(message: str) -> None:
        stamps.append((time.perf_counter(), message))

    client = LocalHubStats(Path(spec["parquet"]), spec["sha256"])
    rss_before = current_rss_mb()
    t0 = time.perf_counter()
    result = capture_history_day(
        Path(spec["archive"]),
        DAY,
        spec["orgs"],
        client=client,  # type: ignore[arg-type]
        derivatives=spec["derivatives"],
        log=log,
        today=date.fromisoformat(DAY) + timedelta(days=1),
    )
    wall = time.perf_counter() - t0
    streaming = next(t for t, m in stamps if "streaming" in m)
    return {
        "wall_s": wall,
        "prepare_s": streaming - t0,  # commit pick, footer read and era check
        "stream_s": t0 + wall - streaming,  # filter, JSON conversion, JSONL + MANIFEST write
        "rows_read": result.rows_read,
        "rows_kept": result.rows_kept,
        "own_models": result.own_models,
        "derivatives": result.derivatives,
        "jsonl_bytes": dir_bytes(result.day_dir / "hub" / "models", ".jsonl.gz"),
        "day_bytes": dir_bytes(result.day_dir),
        "day_dir": str(result.day_dir),
        "rss_before_mb": rss_before,
        "peak_rss_mb": peak_rss_mb(),
    }


def case_landing(spec: dict[str, Any]) -> dict[str, Any]:
    # The calls of the Dagster asset raw/hub_models, without Dagster (run bookkeeping not measured).
    t0 = time.perf_counter()
    import great_expectations  # noqa: F401  (imported once per Dagster process; timed apart)

    from atom_dagster.landing import write_audit_publish as wap
    from atom_dagster.landing.tables import hub_models
    from atom_dagster.quality.gate import validate_table

    t_import = time.perf_counter() - t0
    raw_root = Path(spec["raw"])
    rss_before = current_rss_mb()
    marks = [time.perf_counter()]
    report, _manifest = hub_models.parse_archive_day(Path(spec["day_dir"]))
    marks.append(time.perf_counter())
    table = hub_models.to_arrow(report.rows, "history")
    staged = wap.stage(raw_root, DAY, table, hub_models.TABLE)
    marks.append(time.perf_counter())
    df = table.to_pandas()
    previous = wap.previous_partition_rows(raw_root, DAY, hub_models.TABLE)
    outcome = validate_table(hub_models.RAW_TABLE, df, previous[1] if previous else None, report.rejected)
    marks.append(time.perf_counter())
    if outcome.passed:
        final = wap.promote(staged, raw_root, DAY, hub_models.TABLE)
    else:
        wap.discard(staged)
        final = None
    marks.append(time.perf_counter())
    return {
        "import_s": t_import,
        "parse_s": marks[1] - marks[0],
        "stage_s": marks[2] - marks[1],
        "gate_s": marks[3] - marks[2],
        "promote_s": marks[4] - marks[3],
        "wall_s": marks[4] - marks[0],
        "records_read": report.records_read,
        "rows": len(report.rows),
        "rejected": len(report.rejected),
        "passed": outcome.passed,
        "raw_bytes": final.stat().st_size if final else 0,
        "rss_before_mb": rss_before,
        "peak_rss_mb": peak_rss_mb(),
    }


CASES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "capture": case_capture,
    "landing": case_landing,
}


def run_case(kind: str, spec: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """Run one measured case in a fresh interpreter; returns what it measured."""
    out = workdir / f"result-{kind}-{time.monotonic_ns()}.json"
    spec = {**spec, "kind": kind, "out": str(out)}
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--case", json.dumps(spec)],
        capture_output=True,
        text=True,
        env={**os.environ, "GX_ANALYTICS_ENABLED": "False"},
    )
    if proc.returncode != 0:
        raise SystemExit(f"{kind} case failed:\n{proc.stdout}\n{proc.stderr}")
    result = json.loads(out.read_text())
    out.unlink()
    return result


# --- main ----------------------------------------------------------------------------------------


def generator_params(args: argparse.Namespace, orgs: list[str]) -> dict:
    """The generator's inputs from the command line (they name a generated file for reuse)."""
    return {
        "rows": args.rows,
        "tracked_fraction": args.tracked_fraction,
        "derivative_fraction": args.derivative_fraction,
        "card_bytes": args.card_bytes,
        "row_group_rows": args.row_group_rows,
        "seed": args.seed,
        "orgs": orgs,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000, help="models in the file (default 2,000,000)")
    parser.add_argument(
        "--tracked-fraction",
        type=float,
        default=0.0075,
        help="share of rows in tracked organizations (default 0.0075: ~15,000 of 2M)",
    )
    parser.add_argument(
        "--derivative-fraction",
        type=float,
        default=0.10,
        help="share of rows with a base_model tag naming a tracked parent (default 0.10)",
    )
    parser.add_argument(
        "--card-bytes", type=int, default=1_700, help="mean length of the unread cardData text (default 1700)"
    )
    parser.add_argument("--row-group-rows", type=int, default=ROW_GROUP_ROWS)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--workdir", type=Path, help="where the file, archives and raw Parquet go (default: temp)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the generated models.parquet (re-used if equal)"
    )
    parser.add_argument("--case", help=argparse.SUPPRESS)  # internal: one measured case, in a subprocess
    args = parser.parse_args()

    if args.case:
        spec = json.loads(args.case)
        result = CASES[spec["kind"]](spec)
        Path(spec["out"]).write_text(json.dumps(result))
        return 0

    from atom_dagster.settings import load_settings
    from atom_dagster.sources.tracked_orgs import tracked_orgs

    orgs = tracked_orgs(override=load_settings().tracked_orgs)  # ATOM_TRACKED_ORGS narrows the seed
    own_tmp = args.workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="atom-bench-history-")) if own_tmp else args.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    parquet = workdir / "models.parquet"
    params = generator_params(args, orgs)
    meta = json.dumps(params, sort_keys=True).encode()

    print(f"machine:    {machine(('pyarrow', pa.__version__))}")
    print(f"workdir:    {workdir} ({shutil.disk_usage(workdir).free / 1e9:.0f} GB free)")
    reuse = parquet.exists() and (pq.read_schema(parquet).metadata or {}).get(BENCH_META) == meta
    t0 = time.perf_counter()
    if reuse:
        t_generate = None
    else:
        gen = ModelsGenerator(
            orgs, args.tracked_fraction, args.derivative_fraction, args.card_bytes, args.seed
        )
        generate(parquet, args.rows, gen, args.row_group_rows, meta)
        del gen
        t_generate = time.perf_counter() - t0
    t0 = time.perf_counter()
    sha = sha256_file(parquet)
    t_sha = time.perf_counter() - t0
    pf = pq.ParquetFile(parquet)
    file_bytes = parquet.stat().st_size
    md = pf.metadata
    per_column: dict[str, int] = {}
    for g in range(md.num_row_groups):
        group = md.row_group(g)
        for c in range(group.num_columns):
            col = group.column(c)
            top = col.path_in_schema.split(".")[0]
            per_column[top] = per_column.get(top, 0) + col.total_compressed_size
    card_share = per_column.get("cardData", 0) / max(1, sum(per_column.values()))
    gen_line = "re-used (same parameters)" if t_generate is None else f"{t_generate:.1f} s"
    print(
        f"file:       {parquet.name}: {file_bytes / 1e6:,.0f} MB, {md.num_rows:,} rows, "
        f"{md.num_row_groups} row groups of <= {args.row_group_rows:,}, zstd, NEW hub-stats schema; "
        f"cardData (unread) {card_share:.0%} of the compressed bytes"
    )
    print(
        f"generate:   {gen_line} (generator peak RSS {peak_rss_mb():,.0f} MB); sha256 of the file "
        f"{t_sha:.1f} s (for the stub's LFS hash)"
    )
    print(
        f"content:    {len(orgs)} tracked organizations (seed, as the product lists them); "
        f"tracked fraction {args.tracked_fraction}, derivative fraction {args.derivative_fraction} "
        f"(base_model:<relation>:<tracked org>/<model>), untracked base_model tags on "
        f"~{UNTRACKED_BASE_FRACTION:.0%} of the rest; 10-30 tags per row"
    )
    print(
        f"measured:   day {DAY}; download EXCLUDED (stub client serves the local file; no network); "
        "each case in a fresh subprocess"
    )

    captures: dict[str, dict[str, Any]] = {}
    landings: dict[str, dict[str, Any]] = {}
    for label, derivatives in (("on", True), ("off", False)):
        archive = workdir / f"archive-derivatives-{label}"
        raw = workdir / f"raw-derivatives-{label}"
        shutil.rmtree(archive, ignore_errors=True)
        shutil.rmtree(raw, ignore_errors=True)
        spec = {"parquet": str(parquet), "sha256": sha, "archive": str(archive), "orgs": orgs}
        cap = run_case("capture", {**spec, "derivatives": derivatives}, workdir)
        captures[label] = cap
        print(
            f"capture {label:>3}: {cap['wall_s']:.1f} s ({cap['prepare_s']:.1f} s commit/footer/era + "
            f"{cap['stream_s']:.1f} s stream/filter/convert/write), {cap['rows_kept']:,} kept "
            f"({cap['own_models']:,} tracked + {cap['derivatives']:,} derivatives) of {cap['rows_read']:,}; "
            f"peak RSS {cap['peak_rss_mb']:,.0f} MB (after imports {cap['rss_before_mb']:,.0f} MB)"
        )
        land = run_case("landing", {"day_dir": cap["day_dir"], "raw": str(raw)}, workdir)
        landings[label] = land
        print(
            f"landing {label:>3}: {land['wall_s']:.1f} s (parse {land['parse_s']:.1f} + to_arrow/stage "
            f"{land['stage_s']:.1f} + GX gate {land['gate_s']:.1f} + promote {land['promote_s']:.2f}; "
            f"imports {land['import_s']:.1f} s not counted), {land['rows']:,} raw rows, "
            f"gate {'passed' if land['passed'] else 'FAILED'}, peak RSS {land['peak_rss_mb']:,.0f} MB"
        )

    print()
    print(f"results ({md.num_rows:,}-row file, {file_bytes / 1e6:,.0f} MB; download excluded)")
    header = (
        f"{'derivatives':<11} {'capture s':>9} {'read rows/s':>11} {'kept':>9} {'kept rows/s':>11} "
        f"{'JSONL MB':>9} {'B/kept':>7} {'cap RSS MB':>10} {'landing s':>9} {'raw MB':>7} "
        f"{'land RSS MB':>11} {'day s':>7}"
    )
    print(header)
    print("-" * len(header))
    for label in ("on", "off"):
        cap, land = captures[label], landings[label]
        kept = cap["rows_kept"]
        print(
            f"{label:<11} {cap['wall_s']:>9.1f} {cap['rows_read'] / cap['wall_s']:>11,.0f} {kept:>9,} "
            f"{kept / cap['wall_s']:>11,.0f} {cap['jsonl_bytes'] / 1e6:>9.1f} "
            f"{cap['jsonl_bytes'] / max(1, kept):>7,.0f} {cap['peak_rss_mb']:>10,.0f} {land['wall_s']:>9.1f} "
            f"{land['raw_bytes'] / 1e6:>7.1f} {land['peak_rss_mb']:>11,.0f} "
            f"{cap['wall_s'] + land['wall_s']:>7.1f}"
        )
    print(
        "  capture s = capture_history_day end to end (footer + stream + JSONL); rows/s over capture s; "
        "day s = capture + landing (parse + stage + GX gate + promote)"
    )
    for label in ("on", "off"):
        cap, land = captures[label], landings[label]
        day_s = cap["wall_s"] + land["wall_s"]
        print(
            f"EXTRAPOLATED, not measured: {STRIDE_DAYS} stride-7 days x this measured day, "
            f"derivatives {label}: processing {STRIDE_DAYS * day_s / 60:.0f} min, archive JSONL "
            f"{STRIDE_DAYS * cap['jsonl_bytes'] / 1e9:.1f} GB, "
            f"raw Parquet {STRIDE_DAYS * land['raw_bytes'] / 1e9:.2f} GB "
            "(download and dbt build excluded; every day assumed as large as this one)"
        )

    for label in ("on", "off"):
        shutil.rmtree(workdir / f"archive-derivatives-{label}", ignore_errors=True)
        shutil.rmtree(workdir / f"raw-derivatives-{label}", ignore_errors=True)
    if not args.keep:
        parquet.unlink(missing_ok=True)
        if own_tmp:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if all(land["passed"] for land in landings.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
