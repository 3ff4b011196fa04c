"""Kubernetes workload policies: CNI DaemonSets off virtual nodes, hostPath mounts,
privileged containers and their waivers."""

from __future__ import annotations

import re
from typing import Any, Mapping, Optional

from pulumi_policy import PolicyConfigSchema, Severity

from hybrid.waivers import CHECKOV_PREFIX, HOST_ROOT_INIT_PREFIX, KUBE_LINTER_PREFIX
from .common import (
    DAEMONSET, DAEMONSET_PATCH, M, UNKNOWN, WORKLOAD_TYPES, cannot_verify, config_of, get, items, plain, pod_spec,
    resource_policy,
)


_CNI_NAME = re.compile(r"(terway|calico-node|cilium|flannel|kube-router|multus)", re.I)
_CNI_PATHS = ("/etc/cni/net.d", "/opt/cni/bin")


def is_cni_daemonset(props: Mapping) -> bool:
    name = get(props, "metadata", "name")
    if isinstance(name, str) and _CNI_NAME.search(name):
        return True
    spec = pod_spec(props)
    for _, vol in items(get(spec, "volumes", default=[])):
        path = get(vol, "hostPath", "path")
        if isinstance(path, str) and path.rstrip("/") in _CNI_PATHS:
            return True
    return False


VK_SCHEMA = PolicyConfigSchema(
    properties={
        "virtualNodeLabelKey": {"type": "string", "default": "type"},
        "virtualNodeLabelValue": {"type": "string", "default": "virtual-kubelet"},
    },
)


@resource_policy(name="k8s-cni-off-virtual-kubelet", severity=Severity.HIGH, level=M, types=[DAEMONSET, DAEMONSET_PATCH], config_schema=VK_SCHEMA,
                 description="Keep CNI DaemonSets off virtual-kubelet nodes with a required node affinity.")
def check_cni_off_virtual_kubelet(props: Mapping, config: Optional[Mapping] = None) -> list[str]:
    cfg = config_of(config, VK_SCHEMA)
    if not is_cni_daemonset(props):
        return []
    key, value = cfg["virtualNodeLabelKey"], cfg["virtualNodeLabelValue"]
    name = get(props, "metadata", "name")
    spec = pod_spec(props)
    if spec is UNKNOWN:
        return [cannot_verify("the DaemonSet's pod spec")]
    selector = plain(get(spec, "nodeSelector", default={}))
    if isinstance(selector, dict) and key in selector and selector[key] is not UNKNOWN and selector[key] != value:
        return []  # an explicit nodeSelector on another value already excludes virtual nodes
    terms = get(spec, "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms", default=[])
    if terms is UNKNOWN:
        return [cannot_verify("the DaemonSet's nodeAffinity")]
    fix = (f"Add a required nodeAffinity term `{key} NotIn [{value}]` to CNI DaemonSet {name}: "
           "virtual nodes have no host network for it, and a CNI pod there never becomes ready.")
    if not terms:
        return [fix]
    for i, term in items(terms):
        ok = False
        for _, expr in items(get(term, "matchExpressions", default=[])):
            e = plain(expr)
            if not isinstance(e, dict) or e.get("key") != key:
                continue
            op, vals = e.get("operator"), e.get("values") or []
            if (op == "NotIn" and value in vals) or op == "DoesNotExist" or (op == "In" and value not in vals):
                ok = True
        if not ok:
            return [f"{fix} (nodeSelectorTerms[{i}] lets it through; terms are ORed, so each must exclude {key}={value}.)"]
    return []


HOST_PATH_SCHEMA = PolicyConfigSchema(
    properties={
        "allowedHostPaths": {
            "type": "array", "items": {"type": "string"},
            "default": [
                "/etc/cni/net.d", "/opt/cni/bin", "/var/lib/cni", "/var/run/calico", "/var/lib/calico", "/var/log/calico",
                "/var/run/nodeagent", "/run/xtables.lock", "/lib/modules", "/sys/fs/bpf", "/var/run/netns",
                "/var/run/eni", "/var/lib/kubelet/device-plugins", "/var/log/terway",
                # dcgm-exporter reads which pod holds which GPU from the kubelet's pod-resources API
                # (github:NVIDIA/dcgm-exporter deployment/values.yaml kubeletPath), read-only.
                "/var/lib/kubelet/pod-resources",
            ],
            "description": "hostPath volumes a workload may mount (a path or anything under it).",
        },
        "hostRootInitContainers": {
            "type": "array", "items": {"type": "string"}, "default": [],
            "description": "Init containers (by name) that may mount the host root (/); no long-running container "
                           "may. The program's own (Terway's terway-init) carry the waiver on the object "
                           "(hybrid-gpu.io/host-root-init.<container>: <reason>), so a stack lists only others.",
        },
    },
)


def _host_root_waived(props: Mapping) -> list[str]:
    """Init containers the program's own waiver on the object names (hybrid/waivers.py), each with a reason of 10+ characters."""
    ann = get(props, "metadata", "annotations", default={})
    if not isinstance(ann, Mapping):
        return []
    return [k[len(HOST_ROOT_INIT_PREFIX):] for k, v in ann.items()
            if isinstance(k, str) and k.startswith(HOST_ROOT_INIT_PREFIX) and isinstance(v, str) and len(v.strip()) >= 10]


def _host_root_only_in_init(spec: Any, volume: Any, names: list[str]) -> bool:
    """True when only the named init containers mount this volume (and at least one does)."""
    users = []
    for field in ("initContainers", "containers", "ephemeralContainers"):
        for _, c in items(get(spec, field, default=[])):
            if any(get(m, "name") == volume for _, m in items(get(c, "volumeMounts", default=[]))):
                users.append((field, get(c, "name")))
    return bool(users) and all(field == "initContainers" and name in names for field, name in users)


@resource_policy(name="k8s-allowed-host-paths", severity=Severity.HIGH, level=M, types=WORKLOAD_TYPES, config_schema=HOST_PATH_SCHEMA,
                 description="Mount only allowed hostPath directories into pods.")
def check_host_paths(props: Mapping, config: Optional[Mapping] = None) -> list[str]:
    cfg = config_of(config, HOST_PATH_SCHEMA)
    allowed = [p.rstrip("/") or "/" for p in cfg["allowedHostPaths"]]
    spec = pod_spec(props)
    if spec is UNKNOWN:
        return [cannot_verify("the pod spec")]
    vols = get(spec, "volumes", default=[])
    if vols is UNKNOWN:
        return [cannot_verify("spec.volumes")]
    out = []
    for i, vol in items(vols):
        path = get(vol, "hostPath", "path")
        if path is None:
            continue
        if path is UNKNOWN:
            out.append(cannot_verify(f"volumes[{i}].hostPath.path"))
            continue
        norm = "/" + "/".join(p for p in str(path).split("/") if p and p != ".")
        if norm == "/" and _host_root_only_in_init(spec, get(vol, "name"), [*cfg["hostRootInitContainers"], *_host_root_waived(props)]):
            continue
        if ".." in norm.split("/") or not any(norm == a or norm.startswith(a.rstrip("/") + "/") for a in allowed):
            out.append(f"Remove hostPath {path} (volume {get(vol, 'name')}) or add it to this stack's allowedHostPaths with a reason: "
                       "it is not on the allowed list.")
    return out


WAIVER_KEYS = ("hybrid-gpu.io/privileged-reason", f"{KUBE_LINTER_PREFIX}privileged-container")
_CHECKOV_SKIP = re.compile(rf"^{re.escape(CHECKOV_PREFIX)}\d+$")


def _privileged_waiver(annotations: Mapping) -> Optional[str]:
    for k, v in (annotations or {}).items():
        if k in WAIVER_KEYS and isinstance(v, str) and len(v.strip()) >= 10:
            return v.strip()
        if _CHECKOV_SKIP.match(k) and isinstance(v, str) and v.startswith("CKV_K8S_16="):
            reason = v.split("=", 1)[1].strip()
            if len(reason) >= 10:
                return reason
    return None


@resource_policy(name="k8s-privileged-needs-waiver", severity=Severity.HIGH, level=M, types=WORKLOAD_TYPES,
                 description="Run privileged containers only with a waiver annotation that states the reason.")
def check_privileged_waived(props: Mapping, config: Optional[Mapping] = None) -> list[str]:
    spec = pod_spec(props)
    if spec is UNKNOWN:
        return [cannot_verify("the pod spec")]
    privileged: list[str] = []
    out: list[str] = []
    for field in ("initContainers", "containers", "ephemeralContainers"):
        for i, c in items(get(spec, field, default=[])):
            p = get(c, "securityContext", "privileged")
            if p is UNKNOWN:
                out.append(cannot_verify(f"{field}[{i}].securityContext.privileged"))
            elif p is True:
                privileged.append(f"{field}[{i}] ({get(c, 'name')})")
    if not privileged:
        return out
    parts = [plain(get(props, "metadata", "annotations", default={})),
             plain(get(props, "spec", "template", "metadata", "annotations", default={}))]
    if any(p is UNKNOWN for p in parts):
        return out + [cannot_verify("the workload's annotations")]
    ann = {k: v for p in parts if isinstance(p, dict) for k, v in p.items()}
    if any(v is UNKNOWN for v in ann.values()):
        return out + [cannot_verify("the workload's annotations")]
    if _privileged_waiver(ann):
        return out
    return out + [f"Drop privileged from {', '.join(privileged)} or waive it with a reason in the manifest: annotate "
                  f"`checkov.io/skip1: CKV_K8S_16=<reason>` or `{WAIVER_KEYS[0]}: <reason>` (10+ characters)."]
