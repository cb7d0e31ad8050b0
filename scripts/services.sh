#!/usr/bin/env bash
# Starts (or stops) the services Parley needs on this machine: PostgreSQL, the Temporal dev server and
# the Stripe emulator.
source "$(dirname "$0")/lib.sh"
case "${1:-start}" in
  start)
    bash "$ROOT/scripts/postgres.sh"
    bash "$ROOT/scripts/temporal.sh" start
    bash "$ROOT/scripts/stripe-emulator.sh" start
    ;;
  stop)
    bash "$ROOT/scripts/stripe-emulator.sh" stop
    bash "$ROOT/scripts/temporal.sh" stop
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
