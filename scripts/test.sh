#!/usr/bin/env bash
# Quick start 2: set up and run the test suite (no network needed beyond the package index).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# The browser tests (tests/ui) drive Debian's Chromium. As root with apt-get (CI) it is installed
# when missing and the tests must run; elsewhere, without Chromium, they skip and say why.
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  export ATOM_REQUIRE_CHROMIUM=1
  if [ ! -x /usr/bin/chromium ]; then
    echo "Installing Debian's chromium for the browser tests: apt-get update && apt-get install -y chromium"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
  fi
elif [ ! -x /usr/bin/chromium ]; then
  echo "Chromium is not installed (and this is not root with apt-get): the browser tests in tests/ui will skip."
fi
export HF_HUB_DISABLE_TELEMETRY=1 DAGSTER_DISABLE_TELEMETRY=1 GX_ANALYTICS_ENABLED=False
.venv/bin/ruff check .
# Two workers (pytest-xdist; tests/conftest.py keeps each file, and tests/ui, on one worker).
exec .venv/bin/python -m pytest -q -p no:cacheprovider -n 2 "$@"
