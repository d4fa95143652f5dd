#!/usr/bin/env bash
# Quick start 2: set up and run the test suite (no network needed beyond the package index).
set -euo pipefail
cd "$(dirname "$0")/.."
# `spark`: tests/spark builds the dbt project on Spark too (PySpark, ~400 MB; Java is the OS's).
# `s3`: tests/storage lands and builds on a local S3 server (s3fs; moto is in `dev`).
bash scripts/bootstrap.sh dev,spark,s3
# Three test folders need Debian packages: the browser tests (tests/ui) drive `chromium`,
# tests/deploy starts its own PostgreSQL server from `postgresql`'s binaries, and tests/spark runs
# PySpark, which needs a Java runtime (`openjdk-17-jre-headless`). As root with apt-get
# (CI) the missing ones are installed and those tests must run; elsewhere, without them, they skip
# and say why.
have_postgres() { compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; }
apt_install() {
  # No service is started (policy-rc.d's 101: "not allowed"): the test runs its own server.
  echo "Installing Debian's $* for the tests: apt-get update && apt-get install -y $*"
  local policy=/usr/sbin/policy-rc.d ours=0 status=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && ours=1
  fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" || status=$?
  if [ "$ours" = 1 ]; then rm -f "$policy"; fi
  return "$status"
}
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  export ATOM_REQUIRE_CHROMIUM=1 ATOM_REQUIRE_POSTGRES=1 ATOM_REQUIRE_SPARK=1
  missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  have_postgres || missing+=(postgresql)
  if ! command -v java >/dev/null; then
    # The JRE's post-install links its man pages; slim images lack the folder and the install fails.
    mkdir -p /usr/share/man/man1
    missing+=(openjdk-17-jre-headless)
  fi
  if [ "${#missing[@]}" -gt 0 ]; then
    apt_install "${missing[@]}"
  fi
else
  [ -x /usr/bin/chromium ] ||
    echo "Chromium is not installed (and this is not root with apt-get): the browser tests in tests/ui will skip."
  have_postgres ||
    echo "PostgreSQL is not installed (and this is not root with apt-get): tests/deploy will skip."
  command -v java >/dev/null ||
    echo "Java is not installed (and this is not root with apt-get): tests/spark will skip."
fi
export HF_HUB_DISABLE_TELEMETRY=1 DAGSTER_DISABLE_TELEMETRY=1 GX_ANALYTICS_ENABLED=False
.venv/bin/ruff check .
# Two workers (pytest-xdist; tests/conftest.py keeps each file, and tests/ui, on one worker).
# The 15 slowest tests are listed, to keep the run within CI's 25-minute budget.
exec .venv/bin/python -m pytest -q -p no:cacheprovider -n 2 --durations=15 "$@"
