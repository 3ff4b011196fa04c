#!/bin/sh
# Drop pod (forwarded) traffic to the ECS metadata service; host processes keep access.
set -eu
# hybrid:params METADATA_IP CHAIN
IPT="iptables -w 5"

$IPT -N "$CHAIN" 2>/dev/null || true
$IPT -F "$CHAIN"
# TCP gets a reset so a pod's client fails at once instead of hanging until its timeout.
$IPT -A "$CHAIN" -d "$METADATA_IP/32" -p tcp -j REJECT --reject-with tcp-reset
$IPT -A "$CHAIN" -d "$METADATA_IP/32" -j DROP
# Exactly one jump, first in FORWARD.
while $IPT -D FORWARD -j "$CHAIN" 2>/dev/null; do :; done
$IPT -I FORWARD 1 -j "$CHAIN"
echo "metadata-guard: pods cannot reach $METADATA_IP"
