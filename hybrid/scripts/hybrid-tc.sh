#!/bin/bash
# Cap the node's traffic over the leased line: everything to or from the IDC
# ranges, whichever ENI it uses. With Terway in shared-ENI mode pod traffic leaves
# through secondary ENIs that appear after boot, so the cap is not tied to eth0:
#   * two ifb devices hold the caps: HTB on IFB_EGRESS (traffic to the IDC) and on
#     IFB_INGRESS (traffic from the IDC). One device per direction for the whole
#     node, so the cap holds for the sum over all ENIs;
#   * every ENI (name matching ENI_GLOB, or the devices given as arguments) gets a
#     clsact qdisc with u32 filters at our own priority: destination in an IDC range
#     on egress -> IFB_EGRESS, source in an IDC range on ingress -> IFB_INGRESS.
#     (u32: the one classifier every kernel config has; flower is often a module.
#     u32 filters of one qdisc share their hash tables, so a listing of one hook
#     shows the other's filters too: count by target device, which differs.) The
#     redirect actions have fixed indexes, shared by the filters of a direction, so
#     a rebuilt filter set lists exactly as the first one did.
#     Other traffic (the VPC, Alibaba services) is not touched, nor is the ENI's
#     root qdisc.
# Each step checks what is in place first: a second run changes nothing, and a
# run after Terway (or anything) replaced a qdisc or dropped a filter restores it.
# A udev rule runs this for every ENI that appears; a timer re-asserts it.
#
# Usage: hybrid-tc [DEV ...]
set -euo pipefail
# hybrid:params EGRESS_MBIT EGRESS_BURST INGRESS_MBIT INGRESS_BURST IDC_RANGES ENI_GLOB PRIO IFB_EGRESS IFB_INGRESS

# has PATTERN TC-ARGS...: does the listing of `tc TC-ARGS` contain a line matching PATTERN?
# The listing is read whole before grep looks at it. Piping tc into `grep -q` under
# pipefail is racy: grep exits at the first match, tc dies of SIGPIPE, and the
# pipeline reports "absent" for something that is there.
has() {
  local pattern=$1 out
  shift
  out=$(tc "$@" 2>/dev/null) || return 1
  grep -Eq -- "$pattern" <<<"$out"
}

# count FIXED-STRING TC-ARGS...: how many lines of the listing contain FIXED-STRING.
count() {
  local needle=$1 out
  shift
  out=$(tc "$@" 2>/dev/null) || { echo 0; return; }
  grep -cF -- "$needle" <<<"$out" || true
}

shape() {  # shape IFB MBIT BURST_BYTES: HTB root with one default class at MBIT
  local dev=$1 mbit=$2 burst=$3
  if ! ip link show dev "$dev" >/dev/null 2>&1; then
    ip link add "$dev" type ifb
  fi
  ip link set dev "$dev" up
  if ! has '^qdisc htb 1: root' qdisc show dev "$dev" root; then
    tc qdisc replace dev "$dev" root handle 1: htb default 10
  fi
  # "replace" on an identical class changes nothing and corrects a drifted rate.
  tc class replace dev "$dev" parent 1: classid 1:10 htb rate "${mbit}mbit" ceil "${mbit}mbit" \
    burst "${burst}b" cburst "${burst}b" quantum 60000
  if ! has '^qdisc [a-z_]+ 10: parent 1:10' qdisc show dev "$dev"; then
    # fq_codel keeps latency low under the cap; plain pfifo where the kernel lacks it.
    tc qdisc add dev "$dev" parent 1:10 handle 10: fq_codel 2>/dev/null \
      || tc qdisc add dev "$dev" parent 1:10 handle 10: pfifo limit 10000
  fi
}

attach() {  # attach DEV: send DEV's IDC traffic through the two ifb devices
  local dev=$1 dir ifb field index i
  if ! has '^qdisc (clsact|ingress) ffff:' qdisc show dev "$dev"; then
    tc qdisc add dev "$dev" clsact
  fi
  for dir in egress ingress; do
    if [ "$dir" = egress ]; then
      ifb=$IFB_EGRESS field=dst index=$PRIO
    else
      ifb=$IFB_INGRESS field=src index=$((PRIO + 1))
    fi
    if [ "$(count "Redirect to device $ifb)" filter show dev "$dev" "$dir" prio "$PRIO")" -eq "${#IDC_RANGES[@]}" ]; then
      continue
    fi
    # Missing or partial: rebuild our priority only (filters of others stay).
    tc filter del dev "$dev" "$dir" prio "$PRIO" 2>/dev/null || true
    for i in "${!IDC_RANGES[@]}"; do
      tc filter add dev "$dev" "$dir" protocol ip prio "$PRIO" u32 match ip "$field" "${IDC_RANGES[$i]}" \
        action mirred egress redirect dev "$ifb" index "$index"
    done
  done
}

shape "$IFB_EGRESS" "$EGRESS_MBIT" "$EGRESS_BURST"
shape "$IFB_INGRESS" "$INGRESS_MBIT" "$INGRESS_BURST"

devs=("$@")
if [ ${#devs[@]} -eq 0 ]; then
  for path in /sys/class/net/*; do
    name=${path##*/}
    # shellcheck disable=SC2053  # ENI_GLOB is a glob on purpose
    if [[ $name == $ENI_GLOB ]]; then devs+=("$name"); fi
  done
fi
if [ ${#devs[@]} -eq 0 ]; then
  echo "hybrid-tc: no interface matches $ENI_GLOB" >&2
  exit 1
fi
for dev in "${devs[@]}"; do
  attach "$dev"
done
echo "hybrid-tc: ${devs[*]}: to the IDC ${EGRESS_MBIT}Mbit via $IFB_EGRESS, from the IDC ${INGRESS_MBIT}Mbit via $IFB_INGRESS"
