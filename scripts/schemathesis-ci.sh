#!/usr/bin/env bash
# CI's schemathesis run: a throwaway database, the API and a worker from sources (the API on a port
# of its own with high rate limits, the worker on a task queue of its own, so `wait=true` gets its
# reply), then scripts/schemathesis.sh with a bounded number of examples per operation (so it fits
# the CI budget; raise SCHEMATHESIS_MAX_EXAMPLES for a deeper run). Cleans up after itself.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

BASE="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/parley}"
DB_URL="${BASE%/*}/parley_schemathesis"
ADMIN_URL="${BASE%/*}/postgres"
PORT="${SCHEMATHESIS_API_PORT:-3999}"
LOG="$DATA/schemathesis-api.log"
mkdir -p "$DATA"

psql "$ADMIN_URL" -qc 'DROP DATABASE IF EXISTS parley_schemathesis WITH (FORCE)' -c 'CREATE DATABASE parley_schemathesis'
api_pid=""
worker_pid=""
cleanup() {
  for pid in $api_pid $worker_pid; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  psql "$ADMIN_URL" -qc 'DROP DATABASE IF EXISTS parley_schemathesis WITH (FORCE)' || true
}
trap cleanup EXIT

DATABASE_URL="$DB_URL" npx tsx scripts/migrate.ts latest >/dev/null
export TEMPORAL_TASK_QUEUE="schemathesis-$RANDOM-$$" WORKFLOW_BUNDLE_PATH="$DATA/schemathesis-workflows.js"
# Models from the shared cache; the worker's vector indexes in a folder of this run.
export MODELS_DIR="${MODELS_DIR:-$PARLEY_CACHE/models}"
npx tsx scripts/bundle-workflows.ts >/dev/null
DATABASE_URL="$DB_URL" LOG_LEVEL=warn WORKER_HEALTH_PORT="$((PORT + 1))" PARLEY_CACHE="$DATA/schemathesis-cache" \
  node --import tsx src/worker/main.ts >"$DATA/schemathesis-worker.log" 2>&1 &
worker_pid=$!
DATABASE_URL="$DB_URL" HTTP_HOST=127.0.0.1 HTTP_PORT="$PORT" LOG_LEVEL=warn NODE_ENV=test \
  RATE_LIMIT_AUTH_PER_MINUTE=100000 \
  RATE_LIMIT_ORGANIZATION_PER_MINUTE=100000 RATE_LIMIT_API_KEY_PER_MINUTE=100000 \
  node --import tsx src/api/server.ts >"$LOG" 2>&1 &
api_pid=$!
wait_for "the API on :$PORT" 60 curl -fsS "http://127.0.0.1:$PORT/healthz"
wait_for "the worker" 120 curl -fsS "http://127.0.0.1:$((PORT + 1))/"

# Billing answers 503 without Stripe (STRIPE_SECRET_KEY); its own tests run it against the emulator.
SCHEMATHESIS_MAX_EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-5}" bash scripts/schemathesis.sh "http://127.0.0.1:$PORT" \
  --exclude-path-regex '^/v1/billing' "$@"
