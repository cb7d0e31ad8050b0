#!/usr/bin/env bash
# The Stripe emulator for development and tests: localstripe (PyPI, pinned; customers, subscriptions,
# invoices, signed webhooks) on :$STRIPE_EMULATOR_PORT, behind a small front on :$STRIPE_FRONT_PORT
# that adds the endpoints localstripe lacks (Prices, Checkout Sessions, Billing Portal) — see
# scripts/stripe-emulator-front.ts. Point STRIPE_API_BASE at the front.
#   scripts/stripe-emulator.sh install   install localstripe into its own venv in .tools
#   scripts/stripe-emulator.sh start     start both unless running, wait until they answer
#   scripts/stripe-emulator.sh stop      stop both
#   scripts/stripe-emulator.sh status
source "$(dirname "$0")/lib.sh"

VENV="$TOOLS/localstripe"
LOCALSTRIPE="$VENV/bin/localstripe"
LS_PIDFILE="$DATA/localstripe.pid"
FRONT_PIDFILE="$DATA/stripe-front.pid"

install_localstripe() {
  # A venv of its own: localstripe's aiohttp pins stay apart from the other CLI tools.
  [ -x "$VENV/bin/pip" ] || python3 -m venv "$VENV"
  if [ "$("$VENV/bin/pip" show localstripe 2>/dev/null | sed -n 's/^Version: //p')" != "$LOCALSTRIPE_VERSION" ]; then
    log "installing localstripe $LOCALSTRIPE_VERSION into .tools/localstripe"
    "$VENV/bin/pip" install -q --disable-pip-version-check "localstripe==$LOCALSTRIPE_VERSION"
  fi
}

ls_answering() { curl -fsS -u sk_test_probe: "http://127.0.0.1:$STRIPE_EMULATOR_PORT/v1/customers?limit=1" -o /dev/null; }
front_answering() { curl -fsS -u sk_test_probe: "http://127.0.0.1:$STRIPE_FRONT_PORT/v1/prices?limit=1" -o /dev/null; }
running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop_one() {
  local pidfile=$1
  if running "$pidfile"; then
    kill "$(cat "$pidfile")"
    wait_for "$(basename "$pidfile" .pid) to stop" 15 bash -c "! kill -0 $(cat "$pidfile")"
  fi
  rm -f "$pidfile"
}

case "${1:-start}" in
  install) install_localstripe ;;
  start)
    install_localstripe
    mkdir -p "$DATA"
    if ! ls_answering >/dev/null 2>&1; then
      log "starting localstripe on :$STRIPE_EMULATOR_PORT"
      # --from-scratch: every start is a clean Stripe account; run `npm run stripe:sync` after it.
      setsid "$LOCALSTRIPE" --port "$STRIPE_EMULATOR_PORT" --from-scratch >>"$DATA/localstripe.log" 2>&1 </dev/null &
      echo $! >"$LS_PIDFILE"
      wait_for "localstripe to answer" 30 ls_answering || { tail -20 "$DATA/localstripe.log" >&2; exit 1; }
    fi
    if ! front_answering >/dev/null 2>&1; then
      log "starting the Stripe emulator front on :$STRIPE_FRONT_PORT"
      setsid node --import tsx "$ROOT/scripts/stripe-emulator-front.ts" "$STRIPE_FRONT_PORT" \
        "http://127.0.0.1:$STRIPE_EMULATOR_PORT" >>"$DATA/stripe-front.log" 2>&1 </dev/null &
      echo $! >"$FRONT_PIDFILE"
      wait_for "the Stripe emulator front to answer" 30 front_answering || { tail -20 "$DATA/stripe-front.log" >&2; exit 1; }
    fi
    log "Stripe emulator ready: STRIPE_API_BASE=http://127.0.0.1:$STRIPE_FRONT_PORT"
    ;;
  stop)
    stop_one "$FRONT_PIDFILE"
    stop_one "$LS_PIDFILE"
    ;;
  status)
    if ls_answering >/dev/null 2>&1 && front_answering >/dev/null 2>&1; then echo "running"; else echo "stopped"; exit 1; fi
    ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
