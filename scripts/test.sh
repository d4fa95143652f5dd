#!/usr/bin/env bash
# Quick start 2: set up and run the test suite (no network needed beyond the package index).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export HF_HUB_DISABLE_TELEMETRY=1 DAGSTER_DISABLE_TELEMETRY=1 GX_ANALYTICS_ENABLED=False
.venv/bin/ruff check .
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
