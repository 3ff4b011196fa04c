#!/usr/bin/env bash
# Idempotent set-up of a fresh machine: Python venv with pinned deps, the project
# installed editable, and the system tools the tests drive (as root, via apt).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
stamp=.venv/.installed-$(cat requirements.txt requirements-dev.txt policy/requirements.txt pyproject.toml | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
  .venv/bin/pip install -q --disable-pip-version-check --no-deps -e .
  rm -f .venv/.installed-*; touch "$stamp"
fi
if [ "${1:-}" = "--with-system" ]; then
  bash scripts/setup-system.sh
fi
