#!/usr/bin/env bash
# Start a small deployment on loopback (gunicorn + Celery workers + Redis + PostgreSQL), run the
# load test against it, stop everything. Uses its own database (skintriage_load) and Redis db 3.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${VENV:-.venv}/bin"
port="${LOAD_PORT:-8010}"
export DATABASE_URL="${LOAD_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/skintriage_load}"
export REDIS_URL="${LOAD_REDIS_URL:-redis://127.0.0.1:6379/3}"
export DATA_DIR="data/load" MEDIA_ROOT="$PWD/data/load/media" DJANGO_DEBUG=false DJANGO_SECRET_KEY=load-test-only
export DJANGO_SECURE_SSL_REDIRECT=false DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
export UPLOAD_RATE=100000/h AUTH_RATE=100000/m LOG_LEVEL=WARNING

# A clean database and media folder each run, so earlier runs never skew the numbers.
psql "${DATABASE_URL%/*}/postgres" -qc "DROP DATABASE IF EXISTS skintriage_load WITH (FORCE)"
psql "${DATABASE_URL%/*}/postgres" -qc "CREATE DATABASE skintriage_load"
rm -rf data/load && mkdir -p data/load
"$bin/python" manage.py migrate --noinput -v 0
"$bin/python" manage.py setup_site --no-demo-users >/dev/null
"$bin/python" manage.py collectstatic --noinput -v 0
nurse_token=$("$bin/python" manage.py shell -v 0 -c "
from django.contrib.auth import get_user_model; from portal.accounts.services import api_token_create
U = get_user_model(); u, _ = U.objects.get_or_create(username='load-nurse', defaults={'role': 'nurse'})
print(api_token_create(user=u)[0])")

"$bin/gunicorn" portal.wsgi:application -b "127.0.0.1:$port" -w "${WEB_WORKERS:-3}" --timeout 60 \
  --log-level warning > data/load/web.log 2>&1 &
web=$!
"$bin/celery" -A portal worker -Q default,classify -c "${WORKER_CONCURRENCY:-2}" --loglevel WARNING \
  > data/load/worker.log 2>&1 &
worker=$!
trap 'kill $web $worker 2>/dev/null; wait 2>/dev/null' EXIT
sleep 4
"$bin/python" -m tests.load.loadtest --base "http://127.0.0.1:$port" --nurse-token "$nurse_token" "$@"
