#!/usr/bin/env bash
# Makes PostgreSQL ready: installs and starts the local cluster when DATABASE_URL points at this
# machine and it is down, then creates the app database and the test database when missing.
source "$(dirname "$0")/lib.sh"

DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/parley}"
TEST_DATABASE_URL="${TEST_DATABASE_URL:-${DATABASE_URL%/*}/parley_test}"
ADMIN_URL="${DATABASE_URL%/*}/postgres"

is_local() { [[ "$DATABASE_URL" =~ @(127\.0\.0\.1|localhost)(:|/) ]]; }
answering() { psql "$ADMIN_URL" -Atqc 'select 1'; }

if ! answering >/dev/null 2>&1; then
  is_local || { log "PostgreSQL at $ADMIN_URL is unreachable"; exit 1; }
  version=""
  if ! compgen -G "/etc/postgresql/*/main" >/dev/null; then
    apt_install postgresql postgresql-client
    version=$(ls /etc/postgresql | sort -V | tail -1)
    # A new cluster wants passwords over TCP; this is a local development server, so trust loopback
    # as the machines of this kind do.
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "/etc/postgresql/$version/main/pg_hba.conf"
  fi
  version=${version:-$(ls /etc/postgresql | sort -V | tail -1)}
  log "starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  pg_ctlcluster --skip-systemctl-redirect "$version" main reload 2>/dev/null || true
  wait_for "PostgreSQL at $ADMIN_URL" 30 answering
fi

for url in "$DATABASE_URL" "$TEST_DATABASE_URL"; do
  name="${url##*/}"; name="${name%%\?*}"
  if [ "$(psql "$ADMIN_URL" -Atqc "select 1 from pg_database where datname = '$name'")" != 1 ]; then
    psql "$ADMIN_URL" -qc "create database \"$name\"" && log "created database $name"
  fi
done
