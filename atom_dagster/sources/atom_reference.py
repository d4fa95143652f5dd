"""ATOM's own reference lists (``Interconnects-AI/tracked-models``, Apache-2.0), vendored as dbt seeds.

The report's mainline universe is a hand-curated list published with its parameter counts,
release-date corrections and organization regions. A pinned copy lives in
``dbt_project/seeds/atom_reference/`` (licence, source commit and the changes made beside it) and is
the default source of those four facts. :func:`update_reference` refreshes the copy from the
repository (or a local checkout): every file is parsed and checked first (:func:`load_upstream`), a
file that does not parse changes nothing, and the return value says what changed.

The seeds are the upstream files normalized for dbt: the two model lists become one table with a
``list`` column (``primary`` | ``extra``), the comment lines of the corrections file are dropped, and
the columns are renamed to say what they hold. Values are copied unchanged.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import subprocess
import tempfile
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from atom_dagster.settings import DBT_PROJECT_DIR

REPOSITORY = "Interconnects-AI/tracked-models"
GITHUB_API = "https://api.github.com"
GITHUB_RAW = "https://raw.githubusercontent.com"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds" / "atom_reference"
REGIONS = ("us", "china", "eu", "other", "unknown")

# Upstream path -> what it holds. All must be present in a checkout or at a commit.
UPSTREAM_FILES = {
    "models.csv": "primary model list",
    "extra_models.csv": "secondary model list",
    "metadata/model_parameters.csv": "parameter counts",
    "metadata/release_date_corrections.csv": "release-date corrections",
    "metadata/organization_regions.csv": "organization regions",
    "policy/model_policy.yml": "inclusion policy",
    "LICENSE": "licence",
}
# The seed files written (dbt seed names), with their columns.
SEED_COLUMNS = {
    "atom_tracked_models": ["model_id", "org", "model", "list"],
    "atom_model_parameters": ["model_id", "total_params_b", "active_params_b", "is_moe", "notes"],
    "atom_release_date_corrections": ["model_id", "hf_created_at", "release_date", "notes"],
    "atom_organization_regions": ["namespace", "region", "notes"],
}
SOURCE_FILE = "SOURCE.json"


class ReferenceDataError(ValueError):
    """An upstream file is missing or does not parse; the message names the file and the line."""


@dataclass
class Reference:
    """The parsed reference data: seed name -> rows (dicts keyed by :data:`SEED_COLUMNS`)."""

    tables: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    def models(self, which: str | None = None) -> set[str]:
        return {r["model_id"] for r in self.tables["atom_tracked_models"] if which in (None, r["list"])}

    def regions(self) -> dict[str, str]:
        return {r["namespace"]: r["region"] for r in self.tables["atom_organization_regions"]}

    def keyed(self, table: str) -> dict[str, dict[str, str]]:
        key = SEED_COLUMNS[table][0]
        return {r[key]: r for r in self.tables[table]}


def _rows(text: str, where: str, expected: list[str]) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) of a CSV whose header is ``expected``; ``#`` comment lines skipped."""
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if not line.startswith("#")]
    if not lines:
        raise ReferenceDataError(f"{where} is empty.")
    reader = csv.reader(io.StringIO("\n".join(line for _, line in lines)))
    header = next(reader)
    if [h.strip() for h in header] != expected:
        raise ReferenceDataError(
            f"{where}, line {lines[0][0]}: the header is {','.join(header)!r};"
            f" expected {','.join(expected)!r}."
        )
    out = []
    # csv.reader counts physical lines; a quoted field never spans lines in these files.
    for (line_no, _), values in zip(lines[1:], reader, strict=False):
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(expected):
            raise ReferenceDataError(
                f"{where}, line {line_no}: {len(values)} fields where the header has {len(expected)}."
            )
        out.append((line_no, dict(zip(expected, (v.strip() for v in values), strict=True))))
    return out


def _fail(where: str, line: int, problem: str) -> ReferenceDataError:
    return ReferenceDataError(f"{where}, line {line}: {problem}")


def _unique(rows: list[tuple[int, dict[str, str]]], key: str, where: str) -> None:
    seen: dict[str, int] = {}
    for line, row in rows:
        if not row[key]:
            raise _fail(where, line, f"`{key}` is empty.")
        if row[key] in seen:
            raise _fail(where, line, f"{row[key]!r} is listed twice (first on line {seen[row[key]]}).")
        seen[row[key]] = line


def _number(value: str, where: str, line: int, what: str, required: bool) -> float | None:
    if not value and not required:
        return None
    try:
        number = float(value)
    except ValueError:
        raise _fail(where, line, f"{what} {value!r} is not a number.") from None
    if number <= 0:
        raise _fail(where, line, f"{what} {value!r} must be positive.")
    return number


def _day(value: str, where: str, line: int, what: str) -> None:
    try:
        date.fromisoformat(value)
    except ValueError:
        raise _fail(where, line, f"{what} {value!r} is not a YYYY-MM-DD date.") from None


def parse_model_list(text: str, where: str, which: str) -> list[dict[str, str]]:
    """A model list (``org,model,modelId``) as seed rows; ``modelId`` must be ``org/model``."""
    rows = _rows(text, where, ["org", "model", "modelId"])
    _unique(rows, "modelId", where)
    for line, row in rows:
        if row["modelId"] != f"{row['org']}/{row['model']}":
            raise _fail(
                where, line, f"modelId {row['modelId']!r} is not org/model ({row['org']}/{row['model']})."
            )
    return [{"model_id": r["modelId"], "org": r["org"], "model": r["model"], "list": which} for _, r in rows]


def parse_parameters(text: str, where: str) -> list[dict[str, str]]:
    """Parameter counts: a positive total, an optional active count no larger, ``is_moe`` true/false/blank."""
    columns = ["model_id", "total_params_b", "active_params_b", "is_moe", "notes"]
    rows = _rows(text, where, columns)
    _unique(rows, "model_id", where)
    for line, row in rows:
        total = _number(row["total_params_b"], where, line, "total_params_b", required=True)
        active = _number(row["active_params_b"], where, line, "active_params_b", required=False)
        if active is not None and total is not None and active > total:
            raise _fail(where, line, f"active_params_b {active} exceeds total_params_b {total}.")
        if row["is_moe"].lower() not in ("", "true", "false"):
            raise _fail(where, line, f"is_moe {row['is_moe']!r} is not true, false or blank.")
        row["is_moe"] = row["is_moe"].lower()
    return [r for _, r in rows]


def parse_release_dates(text: str, where: str) -> list[dict[str, str]]:
    """Release-date corrections (comment lines allowed): both dates ISO days."""
    rows = _rows(text, where, ["model_id", "hf_created_at", "actual_release_date", "notes"])
    _unique(rows, "model_id", where)
    for line, row in rows:
        _day(row["hf_created_at"], where, line, "hf_created_at")
        _day(row["actual_release_date"], where, line, "actual_release_date")
    return [
        {
            "model_id": r["model_id"],
            "hf_created_at": r["hf_created_at"],
            "release_date": r["actual_release_date"],
            "notes": r["notes"],
        }
        for _, r in rows
    ]


def parse_regions(text: str, where: str) -> list[dict[str, str]]:
    """Organization regions: one row per exact namespace, region one of :data:`REGIONS`."""
    rows = _rows(text, where, ["hf_org", "region", "notes"])
    _unique(rows, "hf_org", where)
    for line, row in rows:
        if row["region"] not in REGIONS:
            raise _fail(where, line, f"region {row['region']!r} is not one of {', '.join(REGIONS)}.")
    return [{"namespace": r["hf_org"], "region": r["region"], "notes": r["notes"]} for _, r in rows]


def load_upstream(read: Callable[[str], str], origin: str) -> Reference:
    """Parse and cross-check the upstream files; ``read(path)`` returns a file's text."""
    texts = {}
    for path, what in UPSTREAM_FILES.items():
        try:
            texts[path] = read(path)
        except (OSError, KeyError) as exc:
            raise ReferenceDataError(f"{origin}: the {what} ({path}) cannot be read: {exc}") from exc
    primary = parse_model_list(texts["models.csv"], "models.csv", "primary")
    extra = parse_model_list(texts["extra_models.csv"], "extra_models.csv", "extra")
    both = {r["model_id"] for r in primary} & {r["model_id"] for r in extra}
    if both:
        raise ReferenceDataError(
            f"extra_models.csv repeats models of models.csv: {', '.join(sorted(both)[:5])}."
        )
    reference = Reference(
        {
            "atom_tracked_models": primary + extra,
            "atom_model_parameters": parse_parameters(
                texts["metadata/model_parameters.csv"], "metadata/model_parameters.csv"
            ),
            "atom_release_date_corrections": parse_release_dates(
                texts["metadata/release_date_corrections.csv"], "metadata/release_date_corrections.csv"
            ),
            "atom_organization_regions": parse_regions(
                texts["metadata/organization_regions.csv"], "metadata/organization_regions.csv"
            ),
        }
    )
    unmapped = sorted({r["org"] for r in primary + extra} - set(reference.regions()))
    if unmapped:
        raise ReferenceDataError(
            "metadata/organization_regions.csv has no region for organizations of the model lists: "
            + ", ".join(unmapped)
            + "."
        )
    return reference


def load_vendored(seeds_dir: Path | None = None) -> Reference:
    """The vendored seeds as a :class:`Reference` (empty tables where a seed is missing)."""
    seeds_dir = SEEDS_DIR if seeds_dir is None else seeds_dir
    tables: dict[str, list[dict[str, str]]] = {}
    for name in SEED_COLUMNS:
        path = seeds_dir / f"{name}.csv"
        tables[name] = list(csv.DictReader(path.open(newline="", encoding="utf-8"))) if path.is_file() else []
    return Reference(tables)


@dataclass
class ReferenceDiff:
    """What an update changes, by what users care about."""

    models_added: dict[str, list[str]] = field(default_factory=dict)  # list -> model ids
    models_removed: dict[str, list[str]] = field(default_factory=dict)
    regions_changed: list[tuple[str, str | None, str | None]] = field(default_factory=list)  # org, old, new
    rows_changed: dict[str, int] = field(
        default_factory=dict
    )  # parameters/corrections: rows added/changed/removed

    @property
    def empty(self) -> bool:
        return not (
            any(self.models_added.values())
            or any(self.models_removed.values())
            or self.regions_changed
            or any(self.rows_changed.values())
        )

    def lines(self, limit: int = 20) -> list[str]:
        """The diff in words, one line per kind of change (ids listed up to ``limit``)."""

        def ids(values: list[str]) -> str:
            more = f" and {len(values) - limit} more" if len(values) > limit else ""
            return ", ".join(values[:limit]) + more

        out = []
        for verb, changes in (("added to", self.models_added), ("removed from", self.models_removed)):
            for which, values in changes.items():
                if values:
                    out.append(f"{len(values)} model(s) {verb} the {which} list: {ids(values)}")
        if self.regions_changed:
            out.append(
                f"{len(self.regions_changed)} organization region(s) changed: "
                + ids(
                    [
                        f"{org} {old or '(new)'} -> {new or '(removed)'}"
                        for org, old, new in self.regions_changed
                    ]
                )
            )
        for table, n in self.rows_changed.items():
            if n:
                out.append(f"{n} row(s) of {table} added, changed or removed")
        return out or ["no change"]


def diff_reference(old: Reference, new: Reference) -> ReferenceDiff:
    """What changes from ``old`` to ``new``."""
    diff = ReferenceDiff()
    for which in ("primary", "extra"):
        before, after = old.models(which), new.models(which)
        diff.models_added[which] = sorted(after - before)
        diff.models_removed[which] = sorted(before - after)
    before_regions, after_regions = old.regions(), new.regions()
    diff.regions_changed = [
        (org, before_regions.get(org), after_regions.get(org))
        for org in sorted(set(before_regions) | set(after_regions), key=str.lower)
        if before_regions.get(org) != after_regions.get(org)
    ]
    for table in ("atom_model_parameters", "atom_release_date_corrections"):
        a, b = old.keyed(table), new.keyed(table)
        diff.rows_changed[table] = sum(a.get(k) != b.get(k) for k in set(a) | set(b))
    return diff


def write_seeds(
    reference: Reference, seeds_dir: Path, source: dict, license_text: str, policy_text: str
) -> None:
    """Write the seeds, licence, policy and ``SOURCE.json`` into ``seeds_dir``, replacing it whole."""
    seeds_dir = Path(seeds_dir)
    seeds_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".atom_reference-", dir=seeds_dir.parent))
    try:
        for name, columns in SEED_COLUMNS.items():
            with (staging / f"{name}.csv").open("w", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
                writer.writeheader()
                writer.writerows(
                    sorted(reference.tables[name], key=lambda r: (r[columns[0]].lower(), r[columns[0]]))
                )
        (staging / "LICENSE").write_text(license_text, encoding="utf-8")
        # Not a dbt properties file: kept as text so dbt does not try to read it.
        (staging / "model_policy.yml.txt").write_text(policy_text, encoding="utf-8")
        (staging / SOURCE_FILE).write_text(json.dumps(source, indent=2) + "\n", encoding="utf-8")
        for keep in ("NOTICE.md", "atom_reference.yml"):  # ours, not upstream's
            if (seeds_dir / keep).is_file():
                shutil.copy2(seeds_dir / keep, staging / keep)
        backup = seeds_dir.with_name(seeds_dir.name + ".old")
        shutil.rmtree(backup, ignore_errors=True)
        if seeds_dir.exists():
            seeds_dir.rename(backup)
        staging.rename(seeds_dir)
        seeds_dir.chmod(0o755)  # mkdtemp makes it private; the project's files are world-readable
        shutil.rmtree(backup, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _local_reader(checkout: Path) -> Callable[[str], str]:
    return lambda path: (checkout / path).read_text(encoding="utf-8")


def _local_commit(checkout: Path) -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(checkout), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _github_reader(raw: str, repository: str, commit: str, timeout: float) -> Callable[[str], str]:
    def read(path: str) -> str:
        url = f"{raw}/{repository}/{commit}/{path}"
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (http(s) by config)
            return response.read().decode("utf-8")

    return read


def _github_commit(api: str, repository: str, ref: str, timeout: float) -> str:
    """The commit id ``ref`` names now (files are then read at that commit, not at a moving branch)."""
    request = urllib.request.Request(
        f"{api}/repos/{repository}/commits/{ref}", headers={"Accept": "application/vnd.github.sha"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http(s) by config)
        commit = response.read().decode("ascii").strip()
    if len(commit) != 40 or any(c not in "0123456789abcdef" for c in commit):
        raise ReferenceDataError(f"GitHub answered {commit[:60]!r} for the commit of {repository}@{ref}.")
    return commit


def update_reference(
    *,
    checkout: Path | None = None,
    repository: str = REPOSITORY,
    ref: str = "main",
    seeds_dir: Path | None = None,
    timeout: float = 60.0,
    github_api: str = GITHUB_API,
    github_raw: str = GITHUB_RAW,
) -> tuple[ReferenceDiff, dict]:
    """Refresh the vendored copy from a local ``checkout`` or from GitHub at ``ref``.

    Everything is read and checked before anything is written: a file that does not parse raises
    :class:`ReferenceDataError` and leaves the vendored copy as it was. Returns the diff against
    the vendored copy and the new ``SOURCE.json``.
    """
    seeds_dir = SEEDS_DIR if seeds_dir is None else Path(seeds_dir)
    if checkout is not None:
        checkout = Path(checkout).resolve()
        if not checkout.is_dir():
            raise ReferenceDataError(f"{checkout} is not a directory (a checkout of {repository}).")
        read, commit = _local_reader(checkout), _local_commit(checkout)
        origin = f"the checkout {checkout}"
    else:
        try:
            commit = _github_commit(github_api, repository, ref, timeout)
        except OSError as exc:
            raise ReferenceDataError(
                f"cannot reach GitHub for {repository}@{ref} ({exc}); on a machine without network, "
                "pass a local checkout: `atom reference update --from PATH`."
            ) from exc
        read, origin = (
            _github_reader(github_raw, repository, commit, timeout),
            f"https://github.com/{repository}",
        )
    texts: dict[str, str] = {}

    def remember(path: str) -> str:
        texts[path] = read(path)
        return texts[path]

    new = load_upstream(remember, origin)
    source = {
        "repository": f"https://github.com/{repository}",
        "commit": commit,
        # Not a checkout's path: SOURCE.json is committed and the path is one machine's.
        "retrieved_from": "a local checkout" if checkout is not None else f"{origin} at {ref}",
        "retrieved_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "license": "Apache-2.0 (LICENSE in this folder)",
        "files_sha256": {p: hashlib.sha256(texts[p].encode("utf-8")).hexdigest() for p in UPSTREAM_FILES},
        "counts": {name: len(rows) for name, rows in new.tables.items()},
    }
    diff = diff_reference(load_vendored(seeds_dir), new)
    write_seeds(new, seeds_dir, source, texts["LICENSE"], texts["policy/model_policy.yml"])
    return diff, source
