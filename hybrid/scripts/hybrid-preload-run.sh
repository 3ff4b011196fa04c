#!/bin/bash
# hybrid-preload-run NAME: run hybrid-preload with the settings of dataset NAME.
# The settings file holds shell assignments quoted by the renderer (never code), so
# sourcing it only sets NAME, SOURCE, TARGET and RATE_MBIT.
set -euo pipefail
# hybrid:params PRELOAD_CONF_DIR PRELOAD_BIN
if [ $# -ne 1 ] || ! [[ $1 =~ ^[a-z0-9][a-z0-9-]*$ ]]; then
  echo "usage: $0 NAME (lower-case letters, digits, dashes)" >&2; exit 64
fi
NAME='' SOURCE='' TARGET='' RATE_MBIT=''
# shellcheck source=/dev/null
. "$PRELOAD_CONF_DIR/$1.env"
exec "$PRELOAD_BIN" "$NAME" "$SOURCE" "$TARGET" "$RATE_MBIT"
