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

from hybrid import shtemplate

METADATA_IP = "100.100.100.200"
CHAIN = "HYBRID-METADATA-GUARD"

SCRIPT_PATH = "/usr/local/sbin/hybrid-metadata-guard"
UNIT = "hybrid-metadata-guard"  # its units: hybrid/units/hybrid-metadata-guard.{service,timer}; the timer
# re-asserts the guard after kube-proxy or Terway rewrite FORWARD.


def script() -> str:
    """The guard script (hybrid/scripts/hybrid-metadata-guard.sh) with its address and chain."""
    return shtemplate.render("hybrid-metadata-guard.sh", METADATA_IP=METADATA_IP, CHAIN=CHAIN)


def cloud_init_write_files() -> list[dict[str, str]]:
    """cloud-init ``write_files`` entries that install the guard (script, service, timer)."""
    return [
        {"path": SCRIPT_PATH, "permissions": "0755", "owner": "root:root", "content": script()},
        {"path": f"/etc/systemd/system/{UNIT}.service", "permissions": "0644", "owner": "root:root", "content": shtemplate.unit(f"{UNIT}.service")},
        {"path": f"/etc/systemd/system/{UNIT}.timer", "permissions": "0644", "owner": "root:root", "content": shtemplate.unit(f"{UNIT}.timer")},
    ]
