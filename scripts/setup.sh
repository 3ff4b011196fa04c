#!/usr/bin/env bash
# Idempotent set-up of a fresh machine: Python venv with pinned deps, the project
# installed editable, and the system tools the tests drive (as root, via apt).
#   scripts/setup.sh              everything: the program, the policy pack, the test tools
#   scripts/setup.sh --runtime    what `hybrid-gpu plan` and `pulumi preview/up` run: requirements.txt
#                                 and policy/requirements.txt only (make plan, make preview, ...)
#   scripts/setup.sh --with-system  everything, then the system tools (apt, as root)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
stamp=.venv/.installed-$(cat requirements.txt requirements-dev.txt policy/requirements.txt pyproject.toml | sha256sum | cut -c1-16)
runtime_stamp=.venv/.runtime-$(cat requirements.txt policy/requirements.txt pyproject.toml | sha256sum | cut -c1-16)
if [ "${1:-}" = "--runtime" ]; then
  if [ -f "$stamp" ] || [ -f "$runtime_stamp" ]; then
    echo "setup: .venv up to date for the runtime (pins unchanged)"
    exit 0
  fi
  [ -x .venv/bin/python ] || { echo "setup: creating .venv with $("$PY" --version 2>&1)"; "$PY" -m venv .venv; }
  echo "setup: installing the runtime pins (requirements.txt, policy/requirements.txt) into .venv; no test tools"
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt -r policy/requirements.txt
  .venv/bin/pip install -q --disable-pip-version-check --no-deps -e .
  rm -f .venv/.runtime-*; touch "$runtime_stamp"
  echo "setup: .venv ready (runtime)"
  exit 0
fi
# Says what it does: a first install takes minutes with no other sign of life.
if [ ! -f "$stamp" ]; then
  if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv with $("$PY" --version 2>&1)"
    "$PY" -m venv .venv
  fi
  echo "setup: installing the pinned packages of requirements-dev.txt into .venv (pulumi SDKs, policy pack, test tools; a first install takes a few minutes)"
  .venv/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
  echo "setup: installing this project into .venv (editable: the hybrid-gpu command)"
  .venv/bin/pip install -q --disable-pip-version-check --no-deps -e .
  rm -f .venv/.installed-*; touch "$stamp"
  echo "setup: .venv ready"
else
  echo "setup: .venv up to date (pins unchanged)"
fi
if [ "${1:-}" = "--with-system" ]; then
  echo "setup: system tools the tests drive (scripts/setup-system.sh)"
  bash scripts/setup-system.sh
fi
