#!/usr/bin/env bash
# Drift check: refresh each stack in preview mode and fail, naming what drifted, when the
# cloud no longer matches the state. Nothing is written: `--preview-only` shows what a refresh
# would adopt without adopting it; `--expect-no-changes` makes any such change an error.
# Needs the Pulumi CLI logged in to the backend (PULUMI_BACKEND_URL), the secrets provider's
# key (PULUMI_CONFIG_PASSPHRASE) and read-only cloud credentials; see docs/pipeline.md.
#
#   scripts/drift.sh [STACK...]      default: dev prod
# Exit 0: no drift. 1: drift in at least one stack. 2: a refresh failed for another reason.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

if [ "$#" -eq 0 ]; then
  set -- dev prod
fi
command -v pulumi >/dev/null 2>&1 || { echo "drift: no pulumi CLI on PATH" >&2; exit 2; }

drifted=()
failed=()
for stack in "$@"; do
  out=$(pulumi refresh --stack "$stack" --preview-only --expect-no-changes --diff \
          --non-interactive --color never --suppress-progress 2>&1)
  rc=$?
  # A refresh preview marks each resource it would change with ~ (update) or - (gone from the
  # cloud) in front of "<type>: (<op>)", then [id=...] and [urn=...] lines (the CLI's diff
  # display: pulumi/pulumi pkg/backend/display/object_diff.go getResourcePropertiesSummary; a
  # standalone refresh's steps become same/update/delete, display/diff.go). The lines decide as
  # well as the exit code: a CLI older than the exit-code taxonomy exits 255 on any error.
  # Each such line is printed with the [urn=...] line under it, which names the resource.
  changes=$(printf '%s\n' "$out" | awk '
    /^[[:space:]]*(~|-|\+-|-\+|\+)[[:space:]]+[A-Za-z0-9_.-]+:[^[:space:]]*:[^[:space:]]+/ { print; want = 1; next }
    want && /\[urn=/ { print; want = 0; next }
    /^[^[:space:]]/ { want = 0 }')
  if [ "$rc" -eq 0 ] && [ -z "$changes" ]; then
    echo "stack $stack: no drift"
    continue
  fi
  # Exit 7 is the CLI's code for "--expect-no-changes and there were changes" (ExitNoChanges in
  # pulumi/pulumi pkg/cmd/pulumi/cmd/exit_codes.go): drift even if no resource line was recognised.
  if [ -n "$changes" ] || [ "$rc" -eq 7 ]; then
    drifted+=("$stack")
    echo "stack $stack: DRIFT (the cloud differs from the state; a refresh would change these):"
    if [ -n "$changes" ]; then
      printf '%s\n' "$changes" | sed -E 's/^[[:space:]]+/  /; s/^  \[urn=/      [urn=/'
    else
      echo "  (the CLI exited 7, changes proposed, but no resource line was recognised: read the full preview below)"
    fi
    # The property-level lines follow each resource in the diff: keep them in the job log.
    echo "--- full refresh preview of $stack ---"
    printf '%s\n' "$out"
  else
    failed+=("$stack")
    echo "stack $stack: refresh preview FAILED (exit $rc) without naming a change:" >&2
    printf '%s\n' "$out" | tail -n 20 >&2
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "drift check could not run for: ${failed[*]}" >&2
  exit 2
fi
if [ "${#drifted[@]}" -gt 0 ]; then
  echo "drift in: ${drifted[*]}. Fix: find who changed the cloud, then either revert that change or adopt it (pulumi refresh, then update the stack config to match)."
  exit 1
fi
echo "no drift in: $*"
