#!/usr/bin/env bash
# Quick start 1: set up, generate the SYNTHETIC demo archive and materialize every day of it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/atom demo "$@"
