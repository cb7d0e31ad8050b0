# The quick start's settings (scripts/up.sh); source it after lib.sh, then call quick_start_env.
# - Secrets: JWT_SECRET, CSRF_SECRET and METRICS_TOKEN, random on first run, kept in .data/secrets.env
#   (mode 0600, only its owner reads it) and reused, so sessions survive restarts. The constant
#   in the source is for tests only; the API refuses it anywhere else.
# - The API and the worker's health port listen on 127.0.0.1 unless HTTP_HOST says otherwise.
# - URL and sitemap sources may reach PUBLIC_URL's origin (the demo's own help centre, on this
#   machine) and no other loopback or private address: FETCH_ALLOWED_HOSTS.
# Variables already set in the environment win over all of this.

# Prints a random URL-safe secret (384 bits).
random_secret() {
  node -e 'process.stdout.write(require("node:crypto").randomBytes(48).toString("base64url"))'
}

# quick_start_env [SECRETS_FILE]: exports the quick start's settings.
quick_start_env() {
  local file="${1:-$DATA/secrets.env}" name value
  mkdir -p "$(dirname "$file")"
  (umask 077 && touch "$file")
  chmod 600 "$file"
  for name in JWT_SECRET CSRF_SECRET METRICS_TOKEN; do
    if ! grep -q "^$name=" "$file"; then
      printf '%s=%s\n' "$name" "$(random_secret)" >>"$file"
    fi
    if [ -z "${!name:-}" ]; then
      value="$(grep "^$name=" "$file" | tail -n 1)"
      export "$name=${value#*=}"
    fi
  done
  export HTTP_HOST="${HTTP_HOST:-127.0.0.1}"
  export PUBLIC_URL="${PUBLIC_URL:-http://localhost:${HTTP_PORT:-3000}}"
  if [ -z "${FETCH_ALLOWED_HOSTS:-}" ]; then
    FETCH_ALLOWED_HOSTS="$(node -e 'process.stdout.write(new URL(process.argv[1]).origin)' "$PUBLIC_URL")"
    export FETCH_ALLOWED_HOSTS
  fi
}
