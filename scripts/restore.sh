#!/usr/bin/env bash
# Restores a backup made by scripts/backup.sh into DATABASE_URL, replacing what is there: every object
# in the dump is dropped and recreated, in one transaction (a failure leaves the database as it was).
#   scripts/restore.sh FILE
# Stop the API and the workers first. The database must exist (createdb it when restoring onto a new
# server); afterwards, `npm run migrate` applies migrations newer than the backup.
set -euo pipefail

file="${1:?usage: scripts/restore.sh FILE}"
DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/parley}"
[ -f "$file" ] || { echo "no backup at $file" >&2; exit 1; }

pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction --exit-on-error \
  --dbname="$DATABASE_URL" "$file"
echo "restored $file into ${DATABASE_URL%%\?*}"
