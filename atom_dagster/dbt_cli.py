"""atom's `dbt` command (`atom-dbt`): dbt-core's own CLI, with a parse that survives a new warehouse path.

dbt reuses its last parse (partial parsing) only if nothing it hashes has changed, and it hashes
every connection setting of the profile, the DuckDB file's `path` included: a build into another
data directory (a new `atom backfill --data-dir`, each test, each benchmark) re-parsed the whole
project (~7-9 s here). The path names the file dbt writes; the parse does not depend on it (the
project reads no `target.path`; `database`, derived from the file name, stays in the hash), so
atom's dbt leaves it out of that one hash, as dbt's own comment there says it should ("This should
be made more granular"). Everything else about dbt is unchanged.

It also takes ``--atom-env=NAME=VALUE`` arguments (:func:`env_args`): the values one dbt call
needs in dbt's environment (the build's paths, the run's window), so the Dagster process hands
them to this dbt without writing its own environment.

On atom's Spark builds (``ATOM_SPARK_DIR`` set) the JVM that PySpark starts writes its log into a
file of the build's Spark folder (:func:`keep_jvm_output_apart`), not into dbt's output.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

# Connection settings that do not change what a parse produces.
NOT_PARSED = frozenset({"path"})
ENV_ARG = "--atom-env="


def env_args(values: Mapping[str, str]) -> list[str]:
    """Arguments that put ``values`` into the environment of the dbt this command starts."""
    return [f"{ENV_ARG}{name}={value}" for name, value in values.items()]


def split_env_args(argv: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """The ``--atom-env=NAME=VALUE`` values of ``argv``, and dbt's own arguments (the rest, in order)."""
    env: dict[str, str] = {}
    rest: list[str] = []
    for arg in argv:
        if arg.startswith(ENV_ARG):
            name, _, value = arg[len(ENV_ARG) :].partition("=")
            env[name] = value
        else:
            rest.append(arg)
    return env, rest


def _state_check_without(loader_class: Any, credentials_class: Any) -> None:
    """Make ``loader_class.build_manifest_state_check`` hash the connection without NOT_PARSED."""
    original = loader_class.build_manifest_state_check

    def build_manifest_state_check(self: Any) -> Any:
        keys = credentials_class._connection_keys

        def parsed_keys(credentials: Any) -> tuple[str, ...]:
            return tuple(key for key in keys(credentials) if key not in NOT_PARSED)

        credentials_class._connection_keys = parsed_keys
        try:
            return original(self)
        finally:
            credentials_class._connection_keys = keys

    loader_class.build_manifest_state_check = build_manifest_state_check


JVM_LOG = "spark-jvm.log"


def keep_jvm_output_apart(log_path: Path) -> None:
    """Point file descriptors 1 and 2, which child processes inherit, at ``log_path``, and this
    Python's own stdout and stderr at copies of the originals, which they do not inherit.

    dagster-dbt reads dbt's stdout and stderr as one stream of JSON lines, one per dbt event. The
    JVM PySpark starts inherits both and writes log4j lines and progress bars into them unsynchronised
    with dbt: a line broken that way is not JSON, and dagster-dbt drops the node result it held.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    python_out, python_err = os.dup(1), os.dup(2)  # os.dup makes them non-inheritable
    with open(log_path, "ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
    sys.stdout = os.fdopen(python_out, "w", buffering=1, encoding="utf-8")
    sys.stderr = os.fdopen(python_err, "w", buffering=1, encoding="utf-8")


def main() -> None:
    """Run dbt with the argument list of this process (its ``--atom-env`` values in dbt's environment)."""
    env, rest = split_env_args(sys.argv[1:])
    if env:  # dbt reads them with env_var(): start it afresh with them in its environment
        os.execve(
            sys.executable, [sys.executable, "-m", "atom_dagster.dbt_cli", *rest], {**os.environ, **env}
        )
    if os.environ.get("ATOM_SPARK_DIR"):  # an atom build on Spark (atom_dagster/spark_catalog.py)
        keep_jvm_output_apart(Path(os.environ["ATOM_SPARK_DIR"]) / JVM_LOG)
    from dbt.adapters.duckdb.credentials import DuckDBCredentials
    from dbt.cli.main import cli
    from dbt.parser.manifest import ManifestLoader

    _state_check_without(ManifestLoader, DuckDBCredentials)
    sys.argv[0] = "dbt"
    sys.exit(cli())


if __name__ == "__main__":
    main()
