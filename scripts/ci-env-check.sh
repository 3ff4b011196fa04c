#!/usr/bin/env bash
# Fails a deploy/preview/drift job early, naming each missing setting, instead of letting the
# Pulumi CLI fail later with a backend or provider error. The names and where each comes from
# (GitHub environment secrets and the PULUMI_BACKEND_URL variable): docs/pipeline.md.
set -euo pipefail
missing=()
for name in PULUMI_BACKEND_URL PULUMI_CONFIG_PASSPHRASE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY \
            ALIBABA_CLOUD_ACCESS_KEY_ID ALIBABA_CLOUD_ACCESS_KEY_SECRET HYBRID_IDC_KUBECONFIG; do
  if [ -z "${!name:-}" ]; then
    missing+=("$name")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "::error::missing in this job's environment: ${missing[*]} (set them on the GitHub environment, see docs/pipeline.md)"
  exit 1
fi
for name in HYBRID_IDC_KUBECONFIG HYBRID_FLEET_KUBECONFIG; do
  if [ -n "${!name:-}" ] && [ ! -s "${!name}" ]; then
    echo "::error::$name names ${!name}, which is missing or empty (scripts/ci-kubeconfigs.sh writes it)"
    exit 1
  fi
done
case "$PULUMI_BACKEND_URL" in
  s3://*) ;;
  *) echo "::error::PULUMI_BACKEND_URL must be the OSS state bucket (s3://...), see docs/pipeline.md"; exit 1 ;;
esac
echo "environment complete: backend ${PULUMI_BACKEND_URL%%\?*}"
