#!/usr/bin/env bash
# Create the virtualenv and install pinned requirements; re-installs only when they change.
#   bootstrap.sh run   runtime packages (web + worker, no TensorFlow)
#   bootstrap.sh dev   runtime + tests + training stack + the browser for end-to-end tests
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-run}"
venv="${VENV:-.venv}"
py="${PYTHON:-python3}"

if ! "$py" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)'; then
  if command -v python3.11 >/dev/null; then py=python3.11; else
    echo "Python 3.11 is required (found $("$py" --version 2>&1))." >&2; exit 1; fi
fi
if [ ! -x "$venv/bin/python" ]; then
  echo "==> creating virtualenv $venv"
  "$py" -m venv "$venv" || { echo "Install venv support first: sudo apt-get install python3-venv" >&2; exit 1; }
  "$venv/bin/pip" install -q --upgrade pip
fi

req=requirements.txt
[ "$kind" = dev ] && req=requirements-dev.txt
stamp="$venv/.installed-$kind"
sum=$(cat requirements*.txt | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sum" ]; then
  echo "==> installing $req"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$req"
  echo "$sum" > "$stamp"
fi

if [ "$kind" = dev ]; then
  ./scripts/install-browser.sh
  # axe-core for the accessibility checks (a test-only npm package; nothing is served from it).
  if command -v npm >/dev/null && [ ! -f node_modules/axe-core/axe.min.js ]; then
    npm ci --no-audit --no-fund --silent
  fi
fi
