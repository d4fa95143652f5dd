"""Settings are a value: built from flags, environment and `.env`, never written back to the process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from atom_dagster.settings import REPO_ROOT, load_settings, read_environment, spark_missing


def test_loading_settings_leaves_the_process_environment_alone(tmp_path):
    before = dict(os.environ)
    settings = load_settings({"ATOM_DATA_DIR": str(tmp_path), "ATOM_SOURCE": "live", "HF_TOKEN": "hf_secret"})
    assert dict(os.environ) == before
    assert settings.warehouse_path == tmp_path.resolve() / "warehouse" / "atom.duckdb"
    assert settings.dbt_vars() == {
        "warehouse_path": str(tmp_path.resolve() / "warehouse" / "atom.duckdb"),
        "raw_dir": str(tmp_path.resolve() / "raw"),
        # The report's definitions chosen by configuration, at their defaults.
        "mainline_universe": "atom_list",
        "tracking_start": "2023-11-01",
    }
    # The secret is a setting, but never shown.
    assert settings.hf_token == "hf_secret" and "hf_secret" not in repr(settings)


def test_dotenv_fills_what_the_environment_lacks_and_the_environment_wins(tmp_path, monkeypatch):
    dotenv = tmp_path / ".env"
    dotenv.write_text("ATOM_SOURCE=live\nATOM_HISTORY=hub-stats\n")
    monkeypatch.setenv("ATOM_HISTORY", "off")
    monkeypatch.delenv("ATOM_SOURCE", raising=False)
    env = read_environment(dotenv)
    assert env["ATOM_SOURCE"] == "live" and env["ATOM_HISTORY"] == "off"
    assert "ATOM_SOURCE" not in os.environ  # read, not exported


@pytest.mark.parametrize(
    ("name", "value", "accepted"),
    [
        ("ATOM_SOURCE", "sideways", "one of archive, live"),
        ("ATOM_HISTORY", "maybe", "one of off, hub-stats, weekly"),
        ("ATOM_HISTORY_FALLBACK", "hub-stats", "one of off, weekly"),
        ("ATOM_HISTORY_DERIVATIVES", "perhaps", "on or off"),
        ("ATOM_HISTORY_MAX_LAG_DAYS", "two", "whole number of days"),
        ("ATOM_MAINLINE_UNIVERSE", "everything", "one of atom_list, rules"),
        ("ATOM_TRACKING_START", "2023-11", "a day YYYY-MM-DD"),
    ],
)
def test_a_bad_value_names_the_variable_and_what_it_accepts(name, value, accepted):
    with pytest.raises(ValueError, match=name) as info:
        load_settings({name: value})
    assert accepted in str(info.value)


def test_child_processes_get_the_settings_as_variables(tmp_path):
    settings = load_settings(
        {"ATOM_DATA_DIR": str(tmp_path), "ATOM_TRACKED_ORGS": "Qwen", "ATOM_MAINLINE_UNIVERSE": "Rules"}
    )
    assert settings.dbt_vars()["mainline_universe"] == "rules"
    env = settings.child_env({"PATH": "/usr/bin"})
    assert env["ATOM_MAINLINE_UNIVERSE"] == "rules" and env["ATOM_TRACKING_START"] == "2023-11-01"
    assert env["ATOM_DATA_DIR"] == str(tmp_path.resolve())
    assert env["DAGSTER_HOME"] == str(tmp_path.resolve() / "dagster_home")
    assert env["ATOM_TRACKED_ORGS"] == "Qwen"
    assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)


def test_importing_the_definitions_reads_no_setting(tmp_path):
    """A bad setting fails when Dagster loads the definitions, with its name, not at import."""
    code = (
        "import atom_dagster.definitions as d\n"
        "print('imported')\n"
        "try:\n"
        "    d.defs()\n"
        "except ValueError as exc:\n"
        "    print('load:', exc)\n"
    )
    env = {**os.environ, "ATOM_SOURCE": "sideways", "ATOM_DATA_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.splitlines()
    assert lines[0] == "imported"
    assert lines[1].startswith("load: ATOM_SOURCE must be one of archive, live")


def test_the_dbt_target_is_duckdb_or_spark_and_reaches_child_processes(tmp_path):
    assert load_settings({}).dbt_target == "duckdb"
    assert load_settings({"ATOM_DBT_TARGET": "DuckDB"}).dbt_target == "duckdb"  # any case
    with pytest.raises(ValueError, match="ATOM_DBT_TARGET must be duckdb or spark; got 'postgres'"):
        load_settings({"ATOM_DBT_TARGET": "postgres"})
    java = tmp_path / "jdk" / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text("")
    settings = load_settings({"ATOM_DBT_TARGET": "spark", "JAVA_HOME": str(tmp_path / "jdk"), "PATH": ""})
    assert settings.dbt_target == "spark"
    assert settings.child_env({})["ATOM_DBT_TARGET"] == "spark"  # `atom ui`'s code server agrees
    spark_on_s3 = {
        "ATOM_DBT_TARGET": "spark",
        "JAVA_HOME": str(tmp_path / "jdk"),
        "ATOM_RAW_URL": "s3://b/raw",
    }
    with pytest.raises(ValueError, match="reads the raw Parquet from a local folder only"):
        load_settings(spark_on_s3)


def test_the_spark_target_without_java_is_refused_with_what_to_install(tmp_path):
    env = {"ATOM_DBT_TARGET": "spark", "PATH": str(tmp_path), "JAVA_HOME": str(tmp_path / "none")}
    assert spark_missing(env) is not None
    with pytest.raises(ValueError) as info:
        load_settings(env)
    assert str(info.value).startswith("ATOM_DBT_TARGET is spark, but there is no Java runtime for PySpark")
    assert "openjdk-17-jre-headless" in str(info.value)
