#!/usr/bin/env bash
# Acceptance smoke flow (issue 19) with a client from an independent generator: @hey-api/openapi-ts
# (pinned; 0.95 is its last release for Node 20, with TypeScript 5 beside it) generates a client
# from openapi/openapi.json into a throwaway folder, where scripts/client-smoke/flow.ts is
# type-checked against it and run against a real API and worker started from sources on a database,
# free ports and a task queue of this run's own. Bounded (SMOKE_TIMEOUT_SECONDS, 170 by default);
# exits non-zero on any failure, printing the logs. Needs the npm registry (npx) and the services
# (PostgreSQL, Temporal) that scripts/services.sh starts.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

HEY_API_VERSION=0.95.0
TYPESCRIPT_VERSION=5.9.3
BASE="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/parley}"
DB_NAME="parley_client_smoke_$$"
DB_URL="${BASE%/*}/$DB_NAME"
ADMIN_URL="${BASE%/*}/postgres"
mkdir -p "$DATA"
# Inside the checkout, so the flow resolves standardwebhooks and tsx from its node_modules.
RUN="$(mktemp -d "$DATA/client-smoke.XXXXXX")"
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
PORT="$(free_port)"
HEALTH_PORT="$(free_port)"

api_pid=""
worker_pid=""
cleanup() {
  local status=$?
  for pid in $api_pid $worker_pid; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  if [ "$status" -ne 0 ]; then
    log "client smoke failed; the API's and the worker's last lines:"
    tail -n 30 "$RUN/api.log" "$RUN/worker.log" 2>/dev/null >&2 || true
  fi
  psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" || true
  rm -rf "$RUN"
  exit "$status"
}
trap cleanup EXIT

log "generating a client with @hey-api/openapi-ts@$HEY_API_VERSION"
(cd "$RUN" && timeout 120 npx --yes -p "typescript@$TYPESCRIPT_VERSION" -p "@hey-api/openapi-ts@$HEY_API_VERSION" \
  openapi-ts -i "$ROOT/openapi/openapi.json" -o client >"$RUN/generate.log" 2>&1) ||
  { cat "$RUN/generate.log" >&2; exit 1; }
cp scripts/client-smoke/flow.ts "$RUN/flow.ts"
cat >"$RUN/tsconfig.json" <<'JSON'
{
  "compilerOptions": {
    "target": "ES2022", "lib": ["ES2023", "DOM"], "module": "commonjs", "moduleResolution": "node",
    "strict": true, "skipLibCheck": true, "esModuleInterop": true, "noEmit": true, "types": ["node"]
  },
  "include": ["flow.ts", "client"]
}
JSON
log "type-checking the flow against the generated client"
npx tsc -p "$RUN/tsconfig.json"

psql "$ADMIN_URL" -qc "CREATE DATABASE $DB_NAME"
DATABASE_URL="$DB_URL" npx tsx scripts/migrate.ts latest >/dev/null
export TEMPORAL_TASK_QUEUE="client-smoke-$$-$RANDOM" WORKFLOW_BUNDLE_PATH="$RUN/workflows.js"
export MODELS_DIR="${MODELS_DIR:-$PARLEY_CACHE/models}" FETCH_ALLOWED_HOSTS=127.0.0.1
npx tsx scripts/bundle-workflows.ts >/dev/null
DATABASE_URL="$DB_URL" LOG_LEVEL=warn WORKER_HEALTH_PORT="$HEALTH_PORT" PARLEY_CACHE="$RUN/cache" \
  node --import tsx src/worker/main.ts >"$RUN/worker.log" 2>&1 &
worker_pid=$!
DATABASE_URL="$DB_URL" HTTP_HOST=127.0.0.1 HTTP_PORT="$PORT" LOG_LEVEL=warn NODE_ENV=test \
  node --import tsx src/api/server.ts >"$RUN/api.log" 2>&1 &
api_pid=$!
wait_for "the API on :$PORT" 60 curl -fsS "http://127.0.0.1:$PORT/healthz"
wait_for "the worker" 120 curl -fsS "http://127.0.0.1:$HEALTH_PORT/"

log "running the smoke flow against http://127.0.0.1:$PORT"
(cd "$RUN" && SMOKE_API_URL="http://127.0.0.1:$PORT" timeout "${SMOKE_TIMEOUT_SECONDS:-170}" \
  node --import tsx flow.ts)
log "client smoke passed"
