#!/usr/bin/env bash
# Refresh the README's screenshots in docs/ (the browser tests, writing their pictures there).
set -euo pipefail
cd "$(dirname "$0")/.."
ATOM_SCREENSHOTS_DIR="$PWD/docs" exec bash scripts/test.sh tests/ui "$@"
