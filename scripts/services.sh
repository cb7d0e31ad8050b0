#!/usr/bin/env bash
# Starts (or stops) the services Parley needs on this machine: PostgreSQL, the Temporal dev server and
# the Stripe emulator and the mail catcher (MailDev's web inbox).
source "$(dirname "$0")/lib.sh"
case "${1:-start}" in
  start)
    bash "$ROOT/scripts/postgres.sh"
    bash "$ROOT/scripts/temporal.sh" start
    bash "$ROOT/scripts/stripe-emulator.sh" start
    bash "$ROOT/scripts/mail-catcher.sh" start
    ;;
  stop)
    bash "$ROOT/scripts/mail-catcher.sh" stop
    bash "$ROOT/scripts/stripe-emulator.sh" stop
    bash "$ROOT/scripts/temporal.sh" stop
    ;;
  status)
    for service in temporal stripe-emulator mail-catcher; do
      printf '%-16s %s\n' "$service" "$(bash "$ROOT/scripts/$service.sh" status 2>/dev/null || true)"
    done
    ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
