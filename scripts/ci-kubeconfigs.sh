#!/usr/bin/env bash
# Writes this job's kubeconfigs, from its GitHub environment's secrets, to files the program's
# Kubernetes providers read by path (HYBRID_IDC_KUBECONFIG, HYBRID_FLEET_KUBECONFIG): the
# credentials never enter the program or the state. preview-* environments hold a read-only
# kubeconfig, dev/prod the deploy one; the path is the same in every job (docs/pipeline.md).
# Inputs: IDC_KUBECONFIG (required), FLEET_KUBECONFIG (optional: stacks that apply the Fleet
# objects), RUNNER_TEMP ("emptied at the beginning and end of each job": GitHub's default variables,
# https://docs.github.com/en/actions/reference/variables-reference), GITHUB_ENV.
set -euo pipefail
: "${RUNNER_TEMP:?not set: run this inside a GitHub Actions job}"
: "${GITHUB_ENV:?not set: run this inside a GitHub Actions job}"
umask 077
write() {
  local name="$1" content="$2" path="$RUNNER_TEMP/hybrid-$3.kubeconfig"
  printf '%s\n' "$content" > "$path"
  echo "$name=$path" >> "$GITHUB_ENV"
  echo "$name: $path written"
}
if [ -z "${IDC_KUBECONFIG:-}" ]; then
  echo "::error::IDC_KUBECONFIG is not set on this job's environment (read-only for preview-*, deploy for dev/prod; see docs/pipeline.md)"
  exit 1
fi
write HYBRID_IDC_KUBECONFIG "$IDC_KUBECONFIG" idc
if [ -n "${FLEET_KUBECONFIG:-}" ]; then
  write HYBRID_FLEET_KUBECONFIG "$FLEET_KUBECONFIG" fleet
fi
