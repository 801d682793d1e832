#!/usr/bin/env sh
# Back up a compose deployment: PostgreSQL (pg_dump, custom format) and the photo bucket (every
# object, with a manifest), into one dated folder. Run from the folder with docker-compose.yml:
#
#   deploy/backup.sh [backups]          -> backups/20261203-0200/{db.dump,bucket/}
#
# Restore steps are in docs/operations.md. Both parts must be restored together: cases point at
# photos by key, and a photo without its case is never shown (nor the other way round).
set -eu
dest="${1:-backups}/$(date -u +%Y%m%d-%H%M)"
mkdir -p "$dest/bucket"
chmod 0700 "$dest"   # patient data: only the operator reads it

# 1. The database: a consistent snapshot while the site keeps running.
docker compose exec -T db pg_dump -U skintriage -d skintriage --format=custom --no-owner > "$dest/db.dump"

# 2. The bucket, read with the app's own S3 settings from a throwaway app container.
docker compose run --rm --no-deps -T --user "$(id -u):$(id -g)" -v "$(cd "$dest" && pwd)/bucket:/backup" \
  worker python deploy/s3_mirror.py download /backup

echo "backup in $dest: $(du -sh "$dest" | cut -f1)"
