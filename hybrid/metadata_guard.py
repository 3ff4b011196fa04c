"""Node-side guard: pods on cloud GPU nodes cannot reach the ECS metadata service.

Why a node rule and not a NetworkPolicy: on cloud nodes nothing enforces NetworkPolicy.
Calico does not run there (the dual-CNI split), and Terway's policy container is not
deployed (``disable_network_policy: "true"``, see ``hybrid/cni.py``). Terway's daemon itself
is host-network and must keep reaching the metadata service (region, instance id, ENIs,
and the instance role's credentials: terway@release-1.16:pkg/aliyun/metadata/metadata.go,
daemon/builder.go).

How: Terway's ENIMultiIP datapath defaults to ``veth`` (terway@release-1.16:daemon/builder.go
getDatapath), so a pod's packets are routed by the host and cross its ``FORWARD`` chain;
host-network processes (kubelet, terwayd, cloud-init) send from the host itself through
``OUTPUT``. Dropping forwarded packets to 100.100.100.200 therefore cuts pods off and leaves
the host alone. An IPvlan datapath would bypass the host's netfilter: this guard assumes veth.

Security-enhanced mode (``http_tokens = "required"`` on every GPU instance) is the first
layer: without a token from ``PUT /latest/api/token`` no metadata is served at all. The
guard is the second: a pod cannot fetch a token either.

The script is idempotent (own chain, flushed and refilled, one jump at the top of FORWARD)
and is meant to be re-run after anything that rewrites FORWARD (kube-proxy, Terway).
"""

from __future__ import annotations

METADATA_IP = "100.100.100.200"
CHAIN = "HYBRID-METADATA-GUARD"

# A plain script (no Python formatting): shellcheck reads exactly what the node runs.
SCRIPT = r"""#!/bin/sh
# Drop pod (forwarded) traffic to the ECS metadata service; host processes keep access.
set -eu
METADATA_IP="${METADATA_IP:-100.100.100.200}"
CHAIN="${CHAIN:-HYBRID-METADATA-GUARD}"
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
"""

# Installed as /usr/local/sbin/hybrid-metadata-guard with this unit; a timer re-asserts it.
SERVICE = """[Unit]
Description=Keep pods off the ECS metadata service (hybrid GPU node)
After=network-online.target
Wants=network-online.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/hybrid-metadata-guard

[Install]
WantedBy=multi-user.target
"""

TIMER = """[Unit]
Description=Re-assert the metadata guard after kube-proxy or Terway rewrite FORWARD

[Timer]
OnBootSec=1min
OnUnitActiveSec=1min

[Install]
WantedBy=timers.target
"""


SCRIPT_PATH = "/usr/local/sbin/hybrid-metadata-guard"
UNIT = "hybrid-metadata-guard"


def cloud_init_write_files() -> list[dict[str, str]]:
    """cloud-init ``write_files`` entries that install the guard (script, service, timer)."""
    return [
        {"path": SCRIPT_PATH, "permissions": "0755", "owner": "root:root", "content": SCRIPT},
        {"path": f"/etc/systemd/system/{UNIT}.service", "permissions": "0644", "owner": "root:root", "content": SERVICE},
        {"path": f"/etc/systemd/system/{UNIT}.timer", "permissions": "0644", "owner": "root:root", "content": TIMER},
    ]
