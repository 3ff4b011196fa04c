#!/usr/bin/env bash
# The CI stack matrix: every stacks/Pulumi.<stack>.yaml, as `stacks=["dev","prod",...]` for
# $GITHUB_OUTPUT (a job's matrix reads it with fromJSON), so adding a stack needs no workflow edit.
# Usage: scripts/stacks-matrix.sh [DIR]  (default stacks). A file whose name is not a stack name
# (hybrid_tools/stackconfig.py STACK_RE) or an empty directory fails: exit 2, one line.
set -euo pipefail
export LC_ALL=C
dir="${1:-stacks}"
names=()
for f in "$dir"/Pulumi.*.yaml; do
  [ -e "$f" ] || continue
  n="${f##*/Pulumi.}"
  n="${n%.yaml}"
  if [[ ! "$n" =~ ^[a-z0-9][a-z0-9-]{0,62}$ ]]; then
    echo "stacks-matrix: $f: '$n' is not a stack name. Fix: rename it to Pulumi.<lower-case letters, digits, ->.yaml." >&2
    exit 2
  fi
  names+=("\"$n\"")
done
if [ "${#names[@]}" -eq 0 ]; then
  echo "stacks-matrix: no Pulumi.<stack>.yaml in $dir. Fix: run from the checkout, or create a stack with hybrid-gpu init." >&2
  exit 2
fi
(IFS=,; echo "stacks=[${names[*]}]")
