#!/usr/bin/env bash
# The quick start's mail server: MailDev (npm, pinned in devDependencies) takes every email Parley
# sends on SMTP :$SMTP_PORT (the app's own SMTP setting) and shows it in a web inbox on
# :$MAIL_UI_PORT. Both listen on 127.0.0.1 only; mail is kept in .data/mail between restarts.
#   scripts/mail-catcher.sh start     start unless running, wait until it answers
#   scripts/mail-catcher.sh stop      stop it
#   scripts/mail-catcher.sh status
source "$(dirname "$0")/lib.sh"

MAILDEV="$ROOT/node_modules/.bin/maildev"
PIDFILE="$DATA/maildev.pid"

answering() { curl -fsS "http://127.0.0.1:$MAIL_UI_PORT/api/healthz" -o /dev/null; }
running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

case "${1:-start}" in
  start)
    case "${SMTP_HOST:-127.0.0.1}" in
      127.0.0.1 | localhost | ::1) ;;
      *) log "SMTP_HOST=$SMTP_HOST is a mail server of its own: no mail catcher"; exit 0 ;;
    esac
    mkdir -p "$DATA/mail"
    if answering >/dev/null 2>&1; then log "mail catcher already answering on :$MAIL_UI_PORT"; exit 0; fi
    [ -x "$MAILDEV" ] || { log "maildev is missing: run npm ci"; exit 1; }
    log "starting the mail catcher: SMTP :$SMTP_PORT, inbox :$MAIL_UI_PORT"
    setsid "$MAILDEV" --smtp "$SMTP_PORT" --ip 127.0.0.1 --web "$MAIL_UI_PORT" --web-ip 127.0.0.1 \
      --mail-directory "$DATA/mail" --max-emails 500 >>"$DATA/maildev.log" 2>&1 </dev/null &
    echo $! >"$PIDFILE"
    wait_for "the mail catcher to answer" 30 answering || { tail -20 "$DATA/maildev.log" >&2; exit 1; }
    log "mail catcher ready: inbox http://127.0.0.1:$MAIL_UI_PORT"
    ;;
  stop)
    if running; then
      kill "$(cat "$PIDFILE")"
      wait_for "the mail catcher to stop" 15 bash -c "! kill -0 $(cat "$PIDFILE")"
    fi
    rm -f "$PIDFILE"
    ;;
  status)
    if answering >/dev/null 2>&1; then echo "running"; else echo "stopped"; exit 1; fi
    ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
