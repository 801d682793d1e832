#!/usr/bin/env bash
# Debian packages the tests drive for real: Chromium for the end-to-end tests (Playwright's own
# browser download is not used) and nginx for the reverse-proxy test (deploy/nginx).
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium chromium-driver fonts-dejavu-core)
[ -x /usr/sbin/nginx ] || need+=(nginx-light)
if [ ${#need[@]} = 0 ]; then exit 0; fi
if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
if ! command -v apt-get >/dev/null; then
  echo "No apt-get: install ${need[*]} yourself; the browser and proxy tests skip without them." >&2
  exit 0
fi
echo "==> installing Debian's ${need[*]} (browser and proxy tests)"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
