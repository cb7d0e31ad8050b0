#!/usr/bin/env bash
# Backs up Parley's PostgreSQL database in pg_dump's custom format (compressed, restorable table by
# table with pg_restore, and consistent: pg_dump reads one snapshot while the app keeps running).
#   scripts/backup.sh [FILE]      default: backups/parley-<UTC timestamp>.dump
# The database is DATABASE_URL (default postgres://postgres@127.0.0.1:5432/parley). Use a pg_dump as
# new as the server. Restore with scripts/restore.sh.
set -euo pipefail

DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/parley}"
file="${1:-backups/parley-$(date -u +%Y%m%dT%H%M%SZ).dump}"
mkdir -p "$(dirname "$file")"

# Written next to the target first, so a failed dump never leaves a truncated file under its name.
pg_dump --format=custom --compress=6 --no-owner --no-privileges --file="$file.partial" "$DATABASE_URL"
mv "$file.partial" "$file"
echo "backed up to $file ($(du -h "$file" | cut -f1))"
