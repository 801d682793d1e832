#!/usr/bin/env bash
# Migrate, seed, then run the web server and a Celery worker (with beat) until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${VENV:-.venv}/bin"
host="${HOST:-127.0.0.1}"
port="${PORT:-8000}"
# shellcheck source=scripts/run-env.sh
source scripts/run-env.sh

"$bin/python" manage.py migrate --noinput -v 0
# Debug off: whitenoise serves static files from STATIC_ROOT, with hashed names from the manifest.
"$bin/python" manage.py collectstatic --noinput -v 0
"$bin/python" manage.py setup_site

echo "==> starting the worker (log: data/worker.log)"
"$bin/celery" -A portal worker -B -Q default,classify,long -c "${WORKER_CONCURRENCY:-2}" \
  --loglevel INFO >> data/worker.log 2>&1 &
worker=$!
trap 'kill $worker 2>/dev/null; wait $worker 2>/dev/null' EXIT INT TERM

echo "==> SkinTriage at http://$host:$port/  (Ctrl-C stops web and worker)"
"$bin/python" manage.py runserver "$host:$port" --noreload
