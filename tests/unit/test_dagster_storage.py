"""ATOM_DAGSTER_PG_URL: checked, its password never shown, named (not written) in atom's dagster.yaml.

The storage itself on a real PostgreSQL server: tests/deploy/test_postgres_instance.py.
"""

from __future__ import annotations

import psycopg2
import pytest
from dagster_postgres.utils import DagsterPostgresException

from atom_dagster.cli import explain_storage_error
from atom_dagster.runner import INSTANCE_MARKER, ensure_instance_config, instance_config_text
from atom_dagster.settings import DAGSTER_PG_URL_VAR, load_settings, masked_url, parse_pg_url

URL = "postgresql://atom:s3cret-pw@db.example:5432/atom_dagster"


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        (None, None),
        ("  ", None),
        (URL, "postgresql+psycopg2://atom:s3cret-pw@db.example:5432/atom_dagster"),
        ("postgres://atom@db/atom", "postgresql+psycopg2://atom@db/atom"),
        ("postgresql+psycopg2://atom@db/atom", "postgresql+psycopg2://atom@db/atom"),
        ("postgresql://atom@/atom?host=/run/postgresql", "postgresql+psycopg2://atom@/atom?host=/run/postgresql"),
    ],
)
def test_the_url_is_checked_and_names_the_installed_driver(value, parsed):
    assert parse_pg_url(value) == parsed


@pytest.mark.parametrize(
    "value",
    ["mysql://atom:s3cret-pw@db/atom", "postgresql://atom:s3cret-pw@db.example:5432/", "db.example:5432"],
)
def test_a_bad_url_names_the_variable_and_masks_the_password(value):
    with pytest.raises(ValueError, match=DAGSTER_PG_URL_VAR) as info:
        load_settings({DAGSTER_PG_URL_VAR: value})
    assert "s3cret-pw" not in str(info.value)


def test_the_password_is_masked_wherever_it_is():
    assert masked_url(URL) == "postgresql://atom:***@db.example:5432/atom_dagster"
    assert masked_url("postgresql://db/a?user=u&password=p&sslmode=require") == (
        "postgresql://db/a?user=u&password=***&sslmode=require"
    )
    assert masked_url("postgresql://atom@db/atom") == "postgresql://atom@db/atom"


def test_settings_carry_the_url_without_showing_it(tmp_path):
    settings = load_settings({"ATOM_DATA_DIR": str(tmp_path), DAGSTER_PG_URL_VAR: URL})
    assert "s3cret-pw" not in repr(settings)
    assert settings.dagster_storage == "PostgreSQL postgresql+psycopg2://atom:***@db.example:5432/atom_dagster"
    # `dagster dev` (atom ui) resolves dagster.yaml's `env:` from its environment.
    assert settings.child_env({})[DAGSTER_PG_URL_VAR] == settings.dagster_pg_url
    unset = load_settings({"ATOM_DATA_DIR": str(tmp_path)})
    assert unset.dagster_pg_url is None and DAGSTER_PG_URL_VAR not in unset.child_env({})
    assert unset.dagster_storage == f"SQLite under {unset.dagster_home}"


def test_atoms_dagster_yaml_names_the_variable_and_follows_the_setting(tmp_path):
    home = tmp_path / "home"
    sqlite = ensure_instance_config(home).read_text()
    assert "PooledSqliteEventLogStorage" in sqlite and "storage:\n  postgres" not in sqlite
    postgres = ensure_instance_config(home, postgres=True).read_text()
    assert postgres == instance_config_text(home, postgres=True)
    assert postgres.startswith(INSTANCE_MARKER) and "default_limit: 1" in postgres
    assert f"postgres_url:\n      env: {DAGSTER_PG_URL_VAR}" in postgres
    assert "event_log_storage" not in postgres  # dagster-postgres's own event log
    assert ensure_instance_config(home).read_text() == sqlite  # unset again: SQLite again
    own = tmp_path / "own"
    own.mkdir()
    (own / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    assert ensure_instance_config(own, postgres=True).read_text() == "telemetry:\n  enabled: false\n"


def test_an_unreachable_server_is_one_line_in_the_drivers_words():
    refused = 'connection to server at "127.0.0.1", port 1 failed: Connection refused\n\tIs the server up?'
    error = DagsterPostgresException("too many retries for DB connection")  # Dagster's, after retries
    error.__context__ = psycopg2.OperationalError(refused)  # the driver's reason
    message = explain_storage_error(error)
    assert message.startswith(f"Dagster's PostgreSQL storage ({DAGSTER_PG_URL_VAR}) failed: connection to")
    assert "Connection refused" in message and "\n" not in message
    assert explain_storage_error(RuntimeError("something else")) is None
