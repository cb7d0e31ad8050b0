#!/usr/bin/env bash
# The full test suite from a fresh machine: installs what is missing, starts PostgreSQL and the
# Temporal dev server, then runs every test with a coverage summary. Extra arguments go to jest.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
bash scripts/setup.sh
bash scripts/services.sh start
npm test --silent -- "$@"
