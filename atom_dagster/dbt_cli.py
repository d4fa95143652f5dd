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
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
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


def main() -> None:
    """Run dbt with the argument list of this process (its ``--atom-env`` values in dbt's environment)."""
    env, rest = split_env_args(sys.argv[1:])
    if env:  # dbt reads them with env_var(): start it afresh with them in its environment
        os.execve(
            sys.executable, [sys.executable, "-m", "atom_dagster.dbt_cli", *rest], {**os.environ, **env}
        )
    from dbt.adapters.duckdb.credentials import DuckDBCredentials
    from dbt.cli.main import cli
    from dbt.parser.manifest import ManifestLoader

    _state_check_without(ManifestLoader, DuckDBCredentials)
    sys.argv[0] = "dbt"
    sys.exit(cli())


if __name__ == "__main__":
    main()
