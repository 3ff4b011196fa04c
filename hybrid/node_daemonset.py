"""The DaemonSet skeleton of the per-node GPU agents (the NVIDIA device plugin, the DCGM exporter):
pure, no Pulumi.

Both run one pod per selected node at ``system-node-critical`` priority, roll one node at a
time, take no ServiceAccount token (neither calls the API server), run under the runtime's
default seccomp profile, and tolerate ``nvidia.com/gpu:NoSchedule`` plus the GPU pools' own
taints; what differs (name, labels, node selection, container, volumes) is passed in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:
    from hybrid.model.gpu import Taint

Obj = dict[str, Any]

# The GPU taint both upstreams tolerate (github:NVIDIA/k8s-device-plugin deployments/static/
# nvidia-device-plugin.yml; github:NVIDIA/dcgm-exporter deployment/values.yaml tolerations).
GPU_TOLERATION: Obj = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}


def gpu_tolerations(taints: Iterable[Taint]) -> list[Obj]:
    """The GPU toleration, then one per distinct pool taint (key, value, effect), first seen first."""
    out = [dict(GPU_TOLERATION)]
    seen = set()
    for t in taints:
        if (t.key, t.value, t.effect) not in seen:
            seen.add((t.key, t.value, t.effect))
            out.append({"key": t.key, "operator": "Equal", "value": t.value, "effect": t.effect})
    return out


def node_daemonset(name: str, namespace: str, labels: dict[str, str], match_expressions: list[Obj],
                   tolerations: list[Obj], container: Obj, volumes: list[Obj]) -> Obj:
    """A DaemonSet whose pods run on nodes matching every one of ``match_expressions``."""
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
        "spec": {
            "selector": {"matchLabels": dict(labels)},
            "updateStrategy": {"type": "RollingUpdate"},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {
                    "priorityClassName": "system-node-critical",
                    "automountServiceAccountToken": False,
                    "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                    "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [{"matchExpressions": match_expressions}]}}},
                    "tolerations": tolerations,
                    "containers": [container],
                    "volumes": volumes,
                },
            },
        },
    }
