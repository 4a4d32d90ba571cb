#!/usr/bin/env bash
# Fuzz the API with schemathesis as a customer and as staff; see tests/fuzz/run_schemathesis.py and docs/RELIABILITY.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec .venv/bin/python tests/fuzz/run_schemathesis.py "$@"
