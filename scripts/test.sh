#!/usr/bin/env bash
# Run the whole suite. Uses DATABASE_URL / REDIS_URL when set, else SQLite and the embedded
# broker. Test data goes to data/test so a running dev site is never touched.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${VENV:-.venv}/bin"
DATA_DIR="${TEST_DATA_DIR:-data/test}"
case "$DATA_DIR" in /*) ;; *) DATA_DIR="$PWD/$DATA_DIR" ;; esac  # relative to the repo, or absolute
export DATA_DIR
export CELERY_FS_DIR="$DATA_DIR/broker"
rm -rf "$DATA_DIR/broker"
echo "==> tests on database: ${DATABASE_URL:-sqlite (embedded default)}, broker: ${REDIS_URL:-embedded file transport}"
exec "$bin/python" -m pytest "$@"
