#!/usr/bin/env bash
# checkov over the offline plan's Kubernetes manifests: summary, every failure, every waiver.
# Usage: scripts/checkov-scan.sh [MANIFEST_DIR]   (default build/plan/prod/manifests)
# checkov lives in its own venv (.venv-checkov, see scripts/setup-system.sh): it pins
# an older `packaging` than pulumi does. Exit status 1 if any check failed.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build/plan/prod/manifests}
checkov=.venv-checkov/bin/checkov
[ -x "$checkov" ] || { echo "checkov-scan: $checkov missing; run bash scripts/setup-system.sh" >&2; exit 2; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# --skip-download: no calls to the vendor's API (the build has no internet).
"$checkov" --framework kubernetes -d "$dir" --skip-download -o json >"$out" 2>/dev/null || true
python3 - "$out" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
reports = data if isinstance(data, list) else [data]
passed = failed = skipped = 0
for r in reports:
    s = r.get("summary", {})
    passed += s.get("passed", 0); failed += s.get("failed", 0); skipped += s.get("skipped", 0)
    for c in r.get("results", {}).get("failed_checks", []):
        print(f"FAILED  {c['check_id']}  {c['resource']}  {c['check_name']}")
    for c in r.get("results", {}).get("skipped_checks", []):
        print(f"WAIVED  {c['check_id']}  {c['resource']}  {(c.get('check_result') or {}).get('suppress_comment', '')}")
print(f"checkov: {passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
PY
