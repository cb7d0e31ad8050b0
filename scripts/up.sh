#!/usr/bin/env bash
# Brings the whole product up on this machine: installs what is missing, starts PostgreSQL, the
# Temporal dev server (with its Web UI), the Stripe emulator and the mail catcher (with its web inbox),
# builds, migrates, seeds the demo tenant, then runs the worker and the API until Ctrl-C. Logs go to
# .data/logs/.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/quick-start-env.sh"
cd "$ROOT"

bash scripts/setup.sh
bash scripts/services.sh start
# Random secrets of this checkout (.data/secrets.env, 0600), loopback-only listening.
quick_start_env

log "building"
npm run --silent build >/dev/null
node dist/scripts/migrate.js latest
node dist/scripts/seed.js

# Billing runs against the local Stripe emulator unless a Stripe account is configured.
if [ -z "${STRIPE_SECRET_KEY:-}" ]; then
  export STRIPE_SECRET_KEY=sk_test_parley_local STRIPE_WEBHOOK_SECRET=whsec_parley_local \
    STRIPE_API_BASE="http://127.0.0.1:$STRIPE_FRONT_PORT"
  node dist/scripts/stripe-sync.js >/dev/null
fi

mkdir -p "$DATA/logs"
pids=()
stop() {
  log "stopping worker and API (Temporal and PostgreSQL keep running: scripts/services.sh stop)"
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop EXIT
trap 'exit 130' INT TERM

node dist/src/worker/main.js >>"$DATA/logs/worker.log" 2>&1 &
pids+=($!)
node dist/src/api/server.js >>"$DATA/logs/api.log" 2>&1 &
pids+=($!)

PORT="${HTTP_PORT:-3000}"
wait_for "the API to be ready" 60 curl -fsS "http://127.0.0.1:$PORT/readyz" ||
  { tail -20 "$DATA/logs/api.log" "$DATA/logs/worker.log" >&2; exit 1; }
node dist/scripts/check-workflow.js
if [ "${STRIPE_API_BASE:-}" = "http://127.0.0.1:$STRIPE_FRONT_PORT" ]; then
  # The emulator (front and localstripe) delivers its signed events to the API's webhook (it forgets this on restart).
  curl -fsS -X POST "http://127.0.0.1:$STRIPE_FRONT_PORT/_config/webhooks/parley" \
    -d "url=http://127.0.0.1:$PORT/webhooks/stripe" -d "secret=$STRIPE_WEBHOOK_SECRET" -o /dev/null
fi

cat <<URLS

  Parley is up.
    Console        http://localhost:$PORT/console     (sign in with the demo account below)
    Demo site      http://localhost:$PORT/demo        (the chat widget, answering from /demo/help)
    API reference  http://localhost:$PORT/docs        (OpenAPI: /openapi.json; readiness: /readyz)
    Temporal UI    http://localhost:$TEMPORAL_UI_PORT
    Mail inbox     http://localhost:$MAIL_UI_PORT     (every email Parley sends: verification, invitations, resets, alerts)
    Demo sign-in   owner@demo.parley.local / parley-demo-password
    Logs           .data/logs/api.log, .data/logs/worker.log
    Secrets        .data/secrets.env (made on first run; /metrics wants its METRICS_TOKEN)
    Listening on   $HTTP_HOST (set HTTP_HOST=0.0.0.0 to be reachable from other machines)

  Press Ctrl-C to stop the API and the worker.
URLS
wait -n "${pids[@]}"
log "a process exited; see .data/logs"
