"""atom-dbt's --atom-env arguments: the values a dbt call needs in dbt's environment, passed as
arguments so the Dagster process never writes its own environment."""

import subprocess
import sys

from atom_dagster.dbt_cli import env_args, split_env_args
from atom_dagster.settings import dbt_executable


def test_env_arguments_round_trip_and_leave_dbts_own_arguments_in_order():
    values = {"ATOM_WAREHOUSE_PATH": "/data/a=b/atom.duckdb.build", "ATOM_DBT_MIN_DATE": "2026-10-01"}
    argv = ["--no-use-colors", *env_args(values), "build", "--vars", '{"x": "--atom-env"}']
    env, rest = split_env_args(argv)
    assert env == values
    assert rest == ["--no-use-colors", "build", "--vars", '{"x": "--atom-env"}']
    assert split_env_args(["build"]) == ({}, ["build"])


def test_atom_dbt_hands_dbt_only_its_own_arguments():
    # dbt refuses arguments it does not know; that the values reach dbt's environment is what every
    # build test shows (dbt writes the run's copy of the warehouse named by ATOM_WAREHOUSE_PATH).
    done = subprocess.run(
        [dbt_executable(), *env_args({"ATOM_DBT_TEST_VALUE": "seen"}), "--version"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and "Core:" in done.stdout, done.stdout + done.stderr


def test_a_child_process_writes_into_the_jvm_log_and_python_keeps_the_pipe(tmp_path):
    """What PySpark's JVM (a child of dbt) prints goes to the log, never between dbt's lines."""
    log = tmp_path / "spark" / "spark-jvm.log"
    script = (
        "import subprocess, sys\n"
        "from pathlib import Path\n"
        "from atom_dagster.dbt_cli import keep_jvm_output_apart\n"
        f"keep_jvm_output_apart(Path({str(log)!r}))\n"
        "print('{\"dbt\": 1}')\n"
        "subprocess.run(['sh', '-c', 'printf progress; echo log4j >&2'], check=True)\n"
        "print('{\"dbt\": 2}')\n"
        "print('traceback', file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout
    assert done.stdout.splitlines() == ['{"dbt": 1}', '{"dbt": 2}', "traceback"]
    assert log.read_text() == "progresslog4j\n"
