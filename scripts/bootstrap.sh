#!/usr/bin/env bash
# Create .venv and install the project (with test tools) into it; re-run only when pyproject or
# the extras change. $1: the extras (default `dev`); scripts/test.sh adds `spark` and `s3`.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
EXTRAS="${1:-dev}"
stamp=".venv/.atom-installed-$( (cat pyproject.toml; echo "$EXTRAS") | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "Installing atom and its pinned dependencies into .venv (first run: about a minute)"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[$EXTRAS]"
  rm -f .venv/.atom-installed-*
  touch "$stamp"
fi
