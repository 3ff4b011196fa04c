#!/bin/bash
# Copy one dataset from the IDC storage (rsync:// over the leased line, or a
# mounted directory) onto the data disk.
#   rate-limited: rsync --bwlimit at RATE_MBIT (KB = 1000 bytes, so Mbit*125 KB/s);
#   resumable   : completed files are skipped on the next run, and an interrupted
#                 file continues from its partial copy (--partial-dir, delta mode);
#   idempotent  : on success a marker records a manifest digest of the source and
#                 of the target; a later run that finds both unchanged copies nothing.
set -euo pipefail
# hybrid:params PRELOAD_MARKER
if [ $# -ne 4 ]; then echo "usage: $0 NAME SOURCE TARGET RATE_MBIT" >&2; exit 64; fi
NAME=$1 SOURCE=${2%/}/ TARGET=${3%/} RATE_MBIT=$4
MARKER="$TARGET/$PRELOAD_MARKER"
export LC_ALL=C

mkdir -p "$TARGET"
exec 9>"$TARGET/.hybrid-preload-lock"
if ! flock -n 9; then echo "preload $NAME: another run holds the lock" >&2; exit 75; fi

source_manifest() {  # names, sizes and mtimes as the source reports them; no data read
  rsync -r --list-only "$SOURCE" | sort | sha256sum | cut -d' ' -f1
}
target_manifest() {
  find "$TARGET" -mindepth 1 -name '.hybrid-preload-*' -prune -o -printf '%P\t%y\t%s\t%T@\n' \
    | sort | sha256sum | cut -d' ' -f1
}
marker_field() { sed -n "s/^$1=//p" "$MARKER"; }

if [ -f "$MARKER" ]; then
  if [ "$(target_manifest)" = "$(marker_field target-manifest)" ]; then
    if ! current=$(source_manifest 2>/dev/null); then
      echo "preload $NAME: complete; source unreachable, keeping the copy"; exit 0
    fi
    if [ "$current" = "$(marker_field source-manifest)" ]; then
      echo "preload $NAME: complete, skipped (marker manifests match)"; exit 0
    fi
    echo "preload $NAME: source changed since the marker; syncing again"
  else
    echo "preload $NAME: target changed since the marker; syncing again"
  fi
  rm -f "$MARKER"
fi

before=$(source_manifest)
rsync -a --partial --partial-dir=.hybrid-preload-partial --no-whole-file \
  --exclude='/.hybrid-preload-*' --bwlimit="$((RATE_MBIT * 125))KB" --stats \
  "$SOURCE" "$TARGET/"
if [ "$(source_manifest)" != "$before" ]; then
  echo "preload $NAME: source changed during the copy; run again" >&2; exit 75
fi
tmp="$MARKER.tmp"
{
  echo "name=$NAME"
  echo "source=$SOURCE"
  echo "source-manifest=$before"
  echo "target-manifest=$(target_manifest)"
} > "$tmp"
mv "$tmp" "$MARKER"
echo "preload $NAME: complete"
