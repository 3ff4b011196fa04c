"""What kube-proxy's iptables mode makes of a KubeProxyConfiguration: the match it puts before
``-j KUBE-MARK-MASQ`` for a ClusterIP (which sources count as local and are not masqueraded).

Mirrors kubernetes/kubernetes pkg/proxy/util/localdetector.go: ClusterCIDR -> ``! -s <clusterCIDR>``;
InterfaceNamePrefix -> ``! -i <prefix>+``. The netns test (tests/test_clusterip_netns.py) installs
the match the program's config produces and the kubeadm default's, on a real kernel.
"""

from __future__ import annotations

from typing import Any, Mapping


def masquerade_match(config: Mapping[str, Any], cluster_cidr: str = "") -> list[str]:
    mode = config.get("detectLocalMode") or "ClusterCIDR"
    if mode == "ClusterCIDR":
        return ["!", "-s", config.get("clusterCIDR") or cluster_cidr]
    if mode == "InterfaceNamePrefix":
        return ["!", "-i", config["detectLocal"]["interfaceNamePrefix"] + "+"]
    raise ValueError(f"detectLocalMode {mode} is not modelled")
