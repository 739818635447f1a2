#!/bin/sh
# One backup of the co-op's database, then retention: what docker-compose's `backup`
# service runs once a day (and a test runs against the test database).
#   PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE  where the database is (libpq's variables)
#   BACKUP_DIR   where dumps go (default /backups)
#   KEEP_DAYS    dumps older than this many days are deleted (default 14)
# A dump is written under a temporary name and renamed once complete: a dump that
# is there is whole. Restore: see README.md, "Backups".
set -eu
dir=${BACKUP_DIR:-/backups}
keep=${KEEP_DAYS:-14}
mkdir -p "$dir"
name="$dir/${PGDATABASE:-coop}-$(date -u +%Y%m%dT%H%M%SZ).dump"
pg_dump --format=custom --no-owner --file="$name.partial"
mv "$name.partial" "$name"
find "$dir" -name '*.dump' -type f -mtime +"$keep" -delete
find "$dir" -name '*.partial' -type f -mmin +600 -delete
echo "backup: $name ($(du -h "$name" | cut -f1))"
