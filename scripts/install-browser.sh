#!/usr/bin/env bash
# Debian's Chromium for the end-to-end tests (Playwright's own browser download is not used).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
if ! command -v apt-get >/dev/null; then
  echo "No apt-get: install Chromium yourself; the browser tests skip without /usr/bin/chromium." >&2
  exit 0
fi
echo "==> installing Debian's chromium and chromium-driver (browser tests)"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core >/dev/null
