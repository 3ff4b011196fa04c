"""Dual CNI objects as plain dicts: Calico on IDC bare metal, Terway on cloud nodes.

Pure: takes validated models and plain ids, returns Kubernetes objects in the
API's camelCase shape. ``components/cni.py`` turns them into pulumi-kubernetes
resources; tests feed them to a scheduler stand-in (tests/k8s_affinity.py) and to schema validation.

Placement. Both CNIs write to ``/etc/cni/net.d`` and the runtime takes the
first file alphabetically, so every node must get exactly one of them:

* calico-node: the cloud-node label ``NotIn [value]`` (true also when the label
  is absent, i.e. on every IDC machine) and ``type NotIn [virtual-kubelet]``;
* terway-eniip-<region>: the cloud-node label ``In [value]``,
  ``topology.kubernetes.io/region In [<region>]``, ``type NotIn
  [virtual-kubelet]`` and Alibaba's opt-out label.

Multi-region. Terway's ``eni_conf`` has one ``region_id``, one security group
set and one zone->vSwitch map, and VPC-internal registry endpoints only answer
inside their own region. So each cloud region gets its own ``eni-config-<region>``
ConfigMap and ``terway-eniip-<region>`` DaemonSet (image from that region's
registry); ServiceAccount and RBAC are shared. A cloud node whose region label
is missing or names an undeclared region gets no CNI and stays NotReady: a loud
failure instead of pod IPs from the wrong vSwitch.

Terway's NetworkPolicy container (``policy``) is not deployed: it runs Felix
against the ``crd.projectcalico.org`` datastore, which in this cluster belongs
to the real Calico, and needs SYS_ADMIN/SYS_MODULE. ``disable_network_policy``
is therefore ``"true"``.

Two ways to install Terway (``cni.terway.install``). ``manifest``: the objects
above, aligned with the v1.16 chart (terway@release-1.16:charts/terway) where it
matters on these nodes: init script, host root, CNI file names. ``addon``: the
registered cluster's ``terway-eniip`` component, installed and configured
through the CS API (:func:`addon_config`); :func:`render` then returns no
Terway object at all, since the component brings its own.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

from hybrid import identity, unconfirmed
from hybrid import waivers as waivers_mod
from hybrid.model.cni import TERWAY_ADDON, Cni
from hybrid.model.network import Idc
from hybrid.model.node_access import apiserver_service_env

VIRTUAL_KUBELET = ("type", "virtual-kubelet")
REGION_LABEL = "topology.kubernetes.io/region"
TERWAY_OPT_OUT = "k8s.aliyun.com/ignore-by-terway"
TERWAY_NS = "kube-system"
TERWAY_SA = "terway"
# Every file terwayd and its CNI plugin keep under /var/run is in /var/run/eni (socket, lock,
# node_capabilities: terway@release-1.16:cmd/terway/main.go, daemon/server.go, hack/init.sh), so
# that directory is mounted rather than the chart's whole /var/run. The chart's device-plugins
# mount is left out too: terwayd serves a device plugin only with ENI trunking or ERDMA
# (daemon/daemon.go runDevicePlugin), both off here.
ENI_SOCKET = "/var/run/eni/eni.socket"
# source: terway@release-1.16:charts/terway/templates/terwayd/daemonset.yaml (terway-init command,
# host-root volume at /host, which hack/init.sh chroots into).
INIT_SCRIPT = "/usr/bin/init.sh"
HOST_ROOT = "/host"
# The ConfigMap key terway-cli reads (it must exist: cmd/terway-cli/common.go getAllConfig, terway@release-1.16).
CNI_CONF_KEY = "10-terway.conf"
CHECKSUM_ANNOTATION = "hybrid.example.com/eni-config-sha256"

Obj = dict[str, Any]


@dataclass(frozen=True)
class TerwayRegion:
    """What Terway needs from one region's network, as plain ids."""

    region_id: str
    pod_vswitches: Mapping[str, str]  # zone id -> pod vSwitch id
    security_group_ids: Sequence[str]  # security groups for pod ENIs (max 10)
    ipv6: bool = False


# --- waivers: one format for every object, in hybrid/waivers.py -----------

annotate_waivers = waivers_mod.annotate
waivers = waivers_mod.found


# Reasons shared by both CNI DaemonSets.
_HOST_NETWORK = "a CNI daemon configures the node's own network namespace, so it must run in it"
_ROOT = "writes root-owned host paths (/opt/cni/bin, /etc/cni/net.d) and netlink state; no non-root mode exists upstream"
DIGEST_REASON = "pinned by version tag from stack config (cni.*.version); digests of the vendor registries are not reachable from the offline build"
PULL_REASON = "IfNotPresent on purpose: a CNI pod must restart from the node's image cache while pod networking (and so the registry) is down"
_SA_TOKEN = "the daemon watches pods and nodes through the API server, so it needs its ServiceAccount token"
_NO_NETPOL = "NetworkPolicies do not apply to hostNetwork pods, so none could select this daemon"
_CPU_LIMIT = "no CPU limit on a node-critical CNI daemon: throttling delays pod network setup; requests reserve capacity"


# --- affinity --------------------------------------------------------------

def match_expr(key: str, op: str, *values: str) -> Obj:
    """One node selector requirement (core/v1 NodeSelectorRequirement)."""
    e: Obj = {"key": key, "operator": op}
    if values:
        e["values"] = list(values)
    return e


def terway_affinity(cni: Cni, region_id: str) -> Obj:
    label = cni.cloud_node_label
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{
        "matchExpressions": [
            match_expr(label.key, "In", label.value),
            match_expr(REGION_LABEL, "In", region_id),
            match_expr(VIRTUAL_KUBELET[0], "NotIn", VIRTUAL_KUBELET[1]),
            match_expr(TERWAY_OPT_OUT, "NotIn", "true"),
            match_expr("kubernetes.io/os", "In", "linux"),
            match_expr("kubernetes.io/arch", "In", "amd64", "arm64"),
        ]}]}}}


# --- shared pieces ---------------------------------------------------------

def _host_path(name: str, path: str, kind: str) -> Obj:
    return {"name": name, "hostPath": {"path": path, "type": kind}}


def _mount(name: str, path: str, read_only: bool = False) -> Obj:
    m: Obj = {"name": name, "mountPath": path}
    if read_only:
        m["readOnly"] = True
    return m


def _field_env(name: str, path: str) -> Obj:
    return {"name": name, "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": path}}}


def _cm_env(name: str, cm: str, key: str, optional: bool = False) -> Obj:
    ref: Obj = {"name": cm, "key": key}
    if optional:
        ref["optional"] = True
    return {"name": name, "valueFrom": {"configMapKeyRef": ref}}


def _resources(cpu: str, memory: str, memory_limit: str) -> Obj:
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"memory": memory_limit}}


def _restricted(run_as_root: bool = True, add: Sequence[str] = (), read_only_root: bool = True) -> Obj:
    """A container security context with nothing but the listed capabilities."""
    ctx: Obj = {
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "readOnlyRootFilesystem": read_only_root,
        "capabilities": {"drop": ["ALL"]},
    }
    if add:
        ctx["capabilities"]["add"] = list(add)
    if run_as_root:
        ctx["runAsUser"] = 0
        ctx["runAsNonRoot"] = False
    return ctx


def _privileged() -> Obj:
    return {"privileged": True, "runAsUser": 0}


def _meta(name: str, namespace: str | None, labels: Mapping[str, str]) -> Obj:
    m: Obj = {"name": name, "labels": dict(labels)}
    if namespace:
        m["namespace"] = namespace
    return m


# --- Terway ----------------------------------------------------------------

def _terway_binding(role_kind: str, namespace: str | None, labels: Mapping[str, str]) -> Obj:
    """(Cluster)RoleBinding of the Terway ServiceAccount to the (Cluster)Role named terway."""
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": f"{role_kind}Binding",
        "metadata": _meta("terway", namespace, labels),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": "terway"},
        "subjects": [{"kind": "ServiceAccount", "name": TERWAY_SA, "namespace": TERWAY_NS}],
    }


def terway_labels(region_id: str | None = None) -> dict[str, str]:
    labels = {"app": "terway-eniip", "app.kubernetes.io/name": "terway", "app.kubernetes.io/part-of": "hybrid-dual-cni"}
    if region_id:
        labels["app.kubernetes.io/instance"] = f"terway-eniip-{region_id}"
    return labels


def eni_conf(cni: Cni, idc: Idc, region: TerwayRegion) -> Obj:
    """Terway's daemon config for one region; vSwitches come only from the network."""
    t = cni.terway
    if not region.pod_vswitches:
        raise ValueError(f"region {region.region_id} has no pod vSwitches; Terway would use the node vSwitch")
    if not 1 <= len(region.security_group_ids) <= 10:
        raise ValueError(f"region {region.region_id}: Terway takes 1..10 security groups, got {len(region.security_group_ids)}")
    return {
        "version": "1",
        "region_id": region.region_id,
        "service_cidr": idc.service_cidr,
        # One pod vSwitch per zone, every zone of the region: Terway looks up the node's zone here.
        "vswitches": {zone: [vsw] for zone, vsw in sorted(region.pod_vswitches.items())},
        "security_groups": sorted(region.security_group_ids),
        "max_pool_size": t.max_pool_size,
        "min_pool_size": t.min_pool_size,
        "vswitch_selection_policy": t.vswitch_selection_policy,
        "ip_stack": "dual" if region.ipv6 else "ipv4",
        "enable_eni_trunking": False,
        # No ipam_type: daemon-side IPAM, terway-controlplane is not deployed.
        **({"credential_path": identity.TERWAY_TOKEN_PATH} if t.credentials == "credentialFile" else {}),
    }


def eni_config_data(cni: Cni, idc: Idc, region: TerwayRegion) -> dict[str, str]:
    cni_conf = {"cniVersion": "0.4.0", "name": "terway", "type": "terway", "capabilities": {"bandwidth": True}}
    return {
        "eni_conf": json.dumps(eni_conf(cni, idc, region), indent=2, sort_keys=True) + "\n",
        CNI_CONF_KEY: json.dumps(cni_conf, indent=2, sort_keys=True) + "\n",
        "disable_network_policy": "true",
        "in_cluster_loadbalance": "true",
    }


def config_checksum(data: Mapping[str, str]) -> str:
    """Goes into the pod template so a config change (a new zone) rolls Terway: it reads eni_conf only at start."""
    return hashlib.sha256(json.dumps(dict(data), sort_keys=True).encode()).hexdigest()


def eni_config_name(region_id: str) -> str:
    return f"eni-config-{region_id}"


def terway_config_map(region_id: str, data: Mapping[str, str]) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _meta(eni_config_name(region_id), TERWAY_NS, terway_labels(region_id)),
        "data": dict(data),
    }


def terway_rbac(cni: Cni) -> list[Obj]:
    """ServiceAccount, ClusterRole and Role for terwayd in shared-ENI mode, no policy container.

    Compared with the upstream chart this drops everything the policy/cilium
    container needed (crd.projectcalico.org and cilium.io wildcards,
    NetworkPolicies, EndpointSlices, ServiceAccounts): Terway must never write
    Calico's CRDs in this cluster.
    """
    labels = terway_labels()
    sa = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(TERWAY_SA, TERWAY_NS, labels)}
    cluster_role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": _meta("terway", None, labels),
        "rules": [
            {"apiGroups": [""], "resources": ["pods", "nodes", "namespaces", "services", "endpoints"], "verbs": ["get", "list", "watch"]},
            {"apiGroups": [""], "resources": ["pods", "nodes", "nodes/status"], "verbs": ["patch"]},
            {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "patch"]},
            {"apiGroups": ["apiextensions.k8s.io"], "resources": ["customresourcedefinitions"], "verbs": ["get", "list", "watch"]},
            {"apiGroups": ["network.alibabacloud.com"], "resources": ["podenis", "nodes", "noderuntimes"], "verbs": ["get", "list", "watch"]},
            {"apiGroups": ["network.alibabacloud.com"], "resources": ["nodes"], "verbs": ["patch", "update"]},
            {"apiGroups": ["network.alibabacloud.com"], "resources": ["noderuntimes", "noderuntimes/status"], "verbs": ["create", "patch", "update"]},
        ],
    }
    binding = _terway_binding("ClusterRole", None, labels)
    # Dynamic per-node config lives in ConfigMaps of kube-system only.
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": _meta("terway", TERWAY_NS, labels),
        "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}],
    }
    role_binding = _terway_binding("Role", TERWAY_NS, labels)
    return [sa, cluster_role, binding, role, role_binding]


def credential_volumes(mode: str) -> list[tuple[Obj, str]]:
    """(volume, mount path) that give terwayd its credentials in ``mode``.

    terwayd tries an AccessKey (files under /var/alibaba-addon-secret), then the encrypted
    credential file named by ``credential_path``, then the ECS instance RAM role
    (terway@release-1.16:daemon/builder.go, types/daemon/config.go). In instanceRole mode
    nothing is mounted, so no AccessKey Secret that happens to exist can take precedence over
    the node role. The Secrets are required (not optional): a missing one keeps the pod
    Pending with a clear event instead of running without credentials.
    """
    if mode == "accessKey":
        return [({"name": "terway-credential", "secret": {"secretName": identity.TERWAY_AK_SECRET, "defaultMode": 0o400}},
                 identity.TERWAY_AK_MOUNT)]
    if mode == "credentialFile":
        return [({"name": "addon-token", "secret": {
            "secretName": identity.TERWAY_TOKEN_SECRET, "defaultMode": 0o400,
            "items": [{"key": identity.TERWAY_TOKEN_KEY, "path": identity.TERWAY_TOKEN_PATH.rsplit("/", 1)[1]}]}},
                 identity.TERWAY_TOKEN_MOUNT)]
    if mode == "instanceRole":
        return []
    raise ValueError(f"unknown Terway credential mode {mode!r}")


def terway_daemonset(cni: Cni, region_id: str, checksum: str, apiserver: Optional[str] = None) -> Obj:
    """``apiserver``: HOST:PORT Terway talks to directly (nodeAccess.controlPlaneEndpoint), so it starts without kube-proxy."""
    t = cni.terway
    service_env = apiserver_service_env(apiserver)
    image = f"{t.registry(region_id)}/terway:{t.version}"
    labels = terway_labels(region_id)
    selector = {"app": labels["app"], "app.kubernetes.io/instance": labels["app.kubernetes.io/instance"]}
    cm = eni_config_name(region_id)
    # No loopback installer: the nodes' kubelet package depends on kubernetes-cni >= 1.2.0 (kubernetes/release
    # cmd/krel/templates/latest/metadata.yaml, kubelet >= 1.28), which puts the reference plugins, loopback
    # among them, into /opt/cni/ (cmd/krel/templates/latest/kubernetes-cni/kubernetes-cni.spec %files).
    init_terway = {
        "name": "terway-init",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        # source: terway@release-1.16:charts/terway/templates/terwayd/daemonset.yaml (terway-init command).
        "command": [INIT_SCRIPT],
        # Privileged only here: sysctl on the host's eth0 (rp_filter), modprobe sch_htb, and a chroot
        # into the host root to disable eni.service and remove the image's ENI udev rules, which
        # would otherwise configure the ENIs Terway attaches (terway@release-1.16:hack/init.sh).
        "securityContext": _privileged(),
        "env": [_field_env("K8S_NODE_NAME", "spec.nodeName"), _cm_env("DISABLE_POLICY", cm, "disable_network_policy", optional=True),
                *service_env],
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
        "volumeMounts": [
            _mount("eni-config", "/etc/eni", read_only=True),
            _mount("cni-bin", "/opt/cni/bin"),
            _mount("cni", "/etc/cni/net.d"),
            _mount("eni-run", "/var/run/eni"),
            _mount("var-run-eni", "/var-run-eni"),
            _mount("lib-modules", "/lib/modules", read_only=True),
            _mount("host-root", HOST_ROOT),
        ],
    }
    probe_cmd = {"exec": {"command": ["/bin/sh", "-c", f"test -S {ENI_SOCKET}"]}}
    terwayd = {
        "name": "terway",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["/usr/bin/terwayd", "-log-level", "info", "-daemon-mode", "ENIMultiIP", "-config", "/etc/eni/eni_conf"],
        # ENI, route and rule programming (NET_ADMIN); files of other owners under /var/lib/cni (DAC_OVERRIDE).
        "securityContext": _restricted(add=["NET_ADMIN", "DAC_OVERRIDE"]),
        "env": [_field_env("NODE_NAME", "spec.nodeName"), _field_env("POD_NAMESPACE", "metadata.namespace"), *service_env],
        "resources": _resources("100m", "128Mi", "512Mi"),
        # terwayd serves the CNI plugin on a unix socket; no socket means no pod can get an IP. The
        # timings are the chart's (terway@release-1.16 charts/terway/templates/terwayd/daemonset.yaml).
        "readinessProbe": {**probe_cmd, "periodSeconds": 10},
        "livenessProbe": {**probe_cmd, "initialDelaySeconds": 10, "periodSeconds": 10, "failureThreshold": 6},
        "volumeMounts": [
            _mount("eni-config", "/etc/eni", read_only=True),
            _mount("eni-run", "/var/run/eni"),
            _mount("lib-modules", "/lib/modules", read_only=True),
            _mount("cni-terway", "/var/lib/cni/terway"),
            _mount("cni", "/etc/cni/net.d", read_only=True),
            _mount("host-cni", "/host-etc-net.d"),
            _mount("tmp", "/tmp"),
            *[_mount(v["name"], path, read_only=True) for v, path in credential_volumes(t.credentials)],
        ],
    }
    ds = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": _meta(f"terway-eniip-{region_id}", TERWAY_NS, labels),
        "spec": {
            "selector": {"matchLabels": selector},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "10%"}},  # the chart's
            "template": {
                "metadata": {"labels": labels, "annotations": {CHECKSUM_ANNOTATION: checksum}},
                "spec": {
                    "priorityClassName": "system-node-critical",
                    "serviceAccountName": TERWAY_SA,
                    "automountServiceAccountToken": True,
                    "hostNetwork": True,
                    "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                    # Cloud GPU nodes carry pool taints and start NotReady: the CNI must tolerate all of them.
                    "tolerations": [{"operator": "Exists"}],
                    "affinity": terway_affinity(cni, region_id),
                    "initContainers": [init_terway],
                    "containers": [terwayd],
                    "volumes": [
                        {"name": "eni-config", "configMap": {"name": cm}},
                        # Fresh cloud VMs have no /opt/cni/bin yet.
                        _host_path("cni-bin", "/opt/cni/bin", "DirectoryOrCreate"),
                        _host_path("host-cni", "/etc/cni/net.d", "DirectoryOrCreate"),
                        _host_path("eni-run", "/var/run/eni", "DirectoryOrCreate"),
                        _host_path("cni-terway", "/var/lib/cni/terway", "DirectoryOrCreate"),
                        _host_path("lib-modules", "/lib/modules", "Directory"),
                        {"name": "cni", "emptyDir": {}},
                        {"name": "var-run-eni", "emptyDir": {}},
                        {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
                        # terway-init only (chart: volume host-root, path /, type Directory).
                        _host_path("host-root", "/", "Directory"),
                        *[v for v, _ in credential_volumes(t.credentials)],
                    ],
                },
            },
        },
    }
    return annotate_waivers(
        ds,
        checkov=[
            ("CKV_K8S_11", _CPU_LIMIT),
            ("CKV_K8S_16", "terway-init only: sets rp_filter on the host's eth0, loads sch_htb and chroots into the host root to disable the image's ENI auto-configuration, which needs a writable /proc/sys, module loading and the host's systemd"),
            ("CKV_K8S_19", _HOST_NETWORK),
            ("CKV_K8S_20", "terway-init is privileged, which the API rejects together with allowPrivilegeEscalation false; all other containers set it false"),
            ("CKV_K8S_23", _ROOT),
            ("CKV_K8S_37", "terwayd keeps NET_ADMIN (ENIs, routes, rules) and DAC_OVERRIDE (CNI state files); everything else is dropped"),
            ("CKV_K8S_38", _SA_TOKEN),
            ("CKV_K8S_40", _ROOT),
            ("CKV_K8S_43", DIGEST_REASON),
            ("CKV_K8S_15", PULL_REASON),
            ("CKV_K8S_22", "terway-init runs the vendor init script unchanged; terwayd has a read-only root filesystem"),
            ("CKV_K8S_25", "terwayd adds NET_ADMIN and DAC_OVERRIDE after dropping ALL; nothing else is added"),
            ("CKV_K8S_28", "terway-init is privileged (host sysctl); terwayd drops ALL including NET_RAW"),
            ("CKV2_K8S_6", _NO_NETPOL),
        ],
        kube_linter=[
            ("host-network", _HOST_NETWORK),
            ("privileged-container", "terway-init only: host sysctl (rp_filter), module loading and the chroot into the host root"),
            ("privilege-escalation-container", "terway-init is privileged; the other containers set allowPrivilegeEscalation false"),
            ("run-as-non-root", _ROOT),
            ("no-read-only-root-fs", "terway-init runs the vendor's init script that writes inside the image; terwayd is read-only"),
            ("drop-net-raw-capability", "terway-init is privileged; terwayd drops ALL"),
        ],
        # chart: volume host-root (path /) mounted by terway-init only, which chroots into the host
        host_root_init=[("terway-init", "chroots into the host root to disable the image's ENI auto-configuration "
                                        "(terway@release-1.16 charts/terway/templates/terwayd/daemonset.yaml)")],
    )


# --- kube-proxy on cloud nodes ---------------------------------------------

# Terway names a pod's host-side veth "cali" + 11 hex digits (terway@release-1.16
# plugin/terway/cni.go defaultVethPrefix, pkg/link/veth.go VethNameForPod); Calico's host veths
# carry the same prefix (its default interface prefix), so the match means "from a local pod" on
# both kinds of node.
TERWAY_VETH_PREFIX = "cali"
# kubeadm's kube-proxy: DaemonSet, ConfigMap (keys config.conf, kubeconfig.conf) and ServiceAccount
# are all named kube-proxy in kube-system (kubernetes cmd/kubeadm/app/phases/addons/proxy/manifests.go,
# proxy.go); the container runs /usr/local/bin/kube-proxy --config=/var/lib/kube-proxy/config.conf.
KUBE_PROXY = "kube-proxy"
KUBE_PROXY_CLOUD = "kube-proxy-cloud"
KUBE_PROXY_DIR = "/var/lib/kube-proxy"


def kube_proxy_cloud_config(cni: Cni) -> Obj:
    """The cloud nodes' KubeProxyConfiguration: a pod is local by its veth, not by clusterCIDR.

    kubeadm sets clusterCIDR to the IDC pod CIDR; with detectLocalMode ClusterCIDR (the default)
    kube-proxy marks for masquerade every packet to a ClusterIP whose source is outside it
    (kubernetes pkg/proxy/iptables/proxier.go: ``localDetector.IfNotLocal() -j KUBE-MARK-MASQ``),
    i.e. every Terway pod. The masqueraded packet leaves the pod's ENI with the node's address,
    which that ENI does not own, and the VPC drops it. InterfaceNamePrefix makes the match
    ``! -i cali+`` (pkg/proxy/util/localdetector.go NewDetectLocalByInterfaceNamePrefix): pods
    keep their address, the node's own traffic is still masqueraded.
    Fields: kubeproxy.config.k8s.io/v1alpha1 (k8s.io/kube-proxy/config/v1alpha1/types.go:
    detectLocalMode, detectLocal.interfaceNamePrefix, clientConnection.kubeconfig, mode).
    """
    return {
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
        "kind": "KubeProxyConfiguration",
        "clientConnection": {"kubeconfig": f"{KUBE_PROXY_DIR}/kubeconfig.conf"},
        "mode": "iptables",
        "detectLocalMode": "InterfaceNamePrefix",
        "detectLocal": {"interfaceNamePrefix": TERWAY_VETH_PREFIX},
    }


def kube_proxy_config_map(cni: Cni) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _meta(KUBE_PROXY_CLOUD, TERWAY_NS, {"k8s-app": KUBE_PROXY_CLOUD}),
        "data": {"config.conf": json.dumps(kube_proxy_cloud_config(cni), indent=2, sort_keys=True) + "\n"},
    }


def kube_proxy_patch(cni: Cni) -> Obj:
    """kubeadm's kube-proxy DaemonSet keeps off cloud nodes: its node affinity, nothing else (server-side patch)."""
    label = cni.cloud_node_label
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": KUBE_PROXY, "namespace": TERWAY_NS},
        "spec": {"template": {"spec": {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [match_expr(label.key, "NotIn", label.value)]}]}}}}}},
    }


def kube_proxy_cloud_daemonset(cni: Cni, idc: Idc) -> Obj:
    """kube-proxy for cloud nodes: kubeadm's container, its kubeconfig, this program's config.conf."""
    label = cni.cloud_node_label
    labels = {"k8s-app": KUBE_PROXY_CLOUD}
    container = {
        "name": "kube-proxy",
        "image": cni.kube_proxy.reference(idc.kubernetes_version),
        "imagePullPolicy": "IfNotPresent",
        "command": ["/usr/local/bin/kube-proxy", f"--config={KUBE_PROXY_DIR}/config.conf", "--hostname-override=$(NODE_NAME)"],
        "env": [_field_env("NODE_NAME", "spec.nodeName")],
        # As kubeadm runs it: iptables, conntrack and sysctls of the host.
        "securityContext": _privileged(),
        "resources": _resources("50m", "64Mi", "256Mi"),
        # kube-proxy's health server: healthzBindAddress defaults to 0.0.0.0:10256 and /healthz
        # answers 200 until an update has waited 2 x syncPeriod (kubernetes pkg/proxy/apis/config/v1alpha1/
        # defaults.go, cmd/kube-proxy/app/server.go, pkg/proxy/healthcheck/proxier_health.go), so the
        # probes' own defaults suffice: kubeadm's DaemonSet declares none, and this one adds no timing.
        # hostNetwork: the probe reaches the node's address.
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": 10256}},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": 10256}},
        "volumeMounts": [
            _mount("kube-proxy", KUBE_PROXY_DIR, read_only=True),
            _mount("xtables-lock", "/run/xtables.lock"),
            _mount("lib-modules", "/lib/modules", read_only=True),
        ],
    }
    ds = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": _meta(KUBE_PROXY_CLOUD, TERWAY_NS, labels),
        "spec": {
            "selector": {"matchLabels": dict(labels)},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {
                    "priorityClassName": "system-node-critical",
                    # kubeadm's ServiceAccount, bound to system:node-proxier by kubeadm.
                    "serviceAccountName": KUBE_PROXY,
                    "automountServiceAccountToken": True,
                    "hostNetwork": True,
                    "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                    "tolerations": [{"operator": "Exists"}],
                    "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{
                        "matchExpressions": [
                            match_expr(label.key, "In", label.value),
                            match_expr(VIRTUAL_KUBELET[0], "NotIn", VIRTUAL_KUBELET[1]),
                            match_expr("kubernetes.io/os", "In", "linux"),
                        ]}]}}},
                    "containers": [container],
                    "volumes": [
                        # config.conf is this program's; kubeconfig.conf stays kubeadm's (read, never written).
                        {"name": "kube-proxy", "projected": {"sources": [
                            {"configMap": {"name": KUBE_PROXY_CLOUD, "items": [{"key": "config.conf", "path": "config.conf"}]}},
                            {"configMap": {"name": KUBE_PROXY, "items": [{"key": "kubeconfig.conf", "path": "kubeconfig.conf"}]}},
                        ]}},
                        _host_path("xtables-lock", "/run/xtables.lock", "FileOrCreate"),
                        _host_path("lib-modules", "/lib/modules", "Directory"),
                    ],
                },
            },
        },
    }
    return annotate_waivers(
        ds,
        checkov=[
            ("CKV_K8S_11", _CPU_LIMIT),
            ("CKV_K8S_16", "kube-proxy programs the host's iptables, conntrack and sysctls, as kubeadm runs it: privileged"),
            ("CKV_K8S_19", "kube-proxy programs the node's own network namespace, so it must run in it"),
            ("CKV_K8S_20", "kube-proxy is privileged, which the API rejects together with allowPrivilegeEscalation false"),
            ("CKV_K8S_22", "kube-proxy writes its iptables-restore input inside the container, as kubeadm's does"),
            ("CKV_K8S_23", _ROOT),
            ("CKV_K8S_28", "kube-proxy is privileged (iptables needs NET_RAW)"),
            ("CKV_K8S_37", "kube-proxy is privileged, as kubeadm runs it"),
            ("CKV_K8S_38", _SA_TOKEN),
            ("CKV_K8S_40", _ROOT),
            ("CKV_K8S_43", DIGEST_REASON),
            ("CKV_K8S_15", PULL_REASON),
            ("CKV2_K8S_6", _NO_NETPOL),
        ],
        kube_linter=[
            ("host-network", "kube-proxy programs the node's own network namespace"),
            ("privileged-container", "kube-proxy: host iptables, conntrack and sysctls, as kubeadm runs it"),
            ("privilege-escalation-container", "kube-proxy is privileged, as kubeadm runs it"),
            ("run-as-non-root", _ROOT),
            ("no-read-only-root-fs", "kube-proxy writes iptables-restore input inside the container"),
            ("drop-net-raw-capability", "kube-proxy is privileged (iptables needs NET_RAW)"),
            ("non-existent-service-account", "kube-proxy's ServiceAccount and its binding come with kubeadm, not with this program"),
        ],
    )


# --- Terway as the registered cluster's component (install: addon) ----------

ADDON_NAME = TERWAY_ADDON  # hybrid/model/cni.py, with its source

# terraform-provider-alicloud@81c43b67, the two places that name terway-eniip config keys.
_TF_DOC = "aliyun/terraform-provider-alicloud@81c43b67:website/docs/r/cs_managed_kubernetes.html.markdown"
_TF_TEST = "aliyun/terraform-provider-alicloud@81c43b67:alicloud/resource_alicloud_cs_kubernetes_addon_test.go"


@dataclass(frozen=True)
class AddonKey:
    json: str
    source: str  # where the spelling comes from; "hybrid/unconfirmed.py" when no public source names it


def addon_keys() -> dict[str, AddonKey]:
    """The terway-eniip config keys the program sets, each with the source of its spelling."""
    pod_vswitches, security_groups = unconfirmed.value("terway.addonConfigKeys").split(",")
    return {
        "ipvlan": AddonKey("IPVlan", _TF_DOC),
        "network_policy": AddonKey("NetworkPolicy", _TF_DOC),
        "eni_trunking": AddonKey("ENITrunking", _TF_DOC),
        "max_pool_size": AddonKey("MaxPoolSize", _TF_TEST),
        "pod_vswitches": AddonKey(pod_vswitches, "hybrid/unconfirmed.py terway.addonConfigKeys"),
        "security_groups": AddonKey(security_groups, "hybrid/unconfirmed.py terway.addonConfigKeys"),
    }


def addon_version(cni: Cni) -> str:
    """cni.terway.version in the form the CS API reports terway-eniip versions (a different form is a permanent diff)."""
    return unconfirmed.value("terway.addonVersionForm").replace("@VERSION@", cni.terway.version.removeprefix("v"))


def addon_config(cni: Cni, region: TerwayRegion) -> Obj:
    """The terway-eniip component's config for the registration region, from the network's ids.

    The pod vSwitches come from the region's network, ordered by zone: a zone added to the
    region adds its pod vSwitch here, and the component's config follows on the next update
    (the same fix the manifest path gets from eni_conf). Flags are strings, as the provider's
    docs write them; MaxPoolSize a number, as its acceptance test does.
    """
    t = cni.terway
    if not region.pod_vswitches:
        raise ValueError(f"region {region.region_id} has no pod vSwitches; Terway would use the node vSwitch")
    if not 1 <= len(region.security_group_ids) <= 10:
        raise ValueError(f"region {region.region_id}: Terway takes 1..10 security groups, got {len(region.security_group_ids)}")
    k = {name: key.json for name, key in addon_keys().items()}
    return {
        k["ipvlan"]: "true" if t.ipvlan else "false",
        # Terway's policy container runs Felix on the crd.projectcalico.org datastore, which the IDC's
        # Calico owns: off, as in the manifest path (disable_network_policy).
        k["network_policy"]: "false",
        # Trunking needs terway-controlplane's centralised IPAM; shared ENI as in the manifest path.
        k["eni_trunking"]: "false",
        k["max_pool_size"]: t.max_pool_size,
        k["pod_vswitches"]: [vsw for _, vsw in sorted(region.pod_vswitches.items())],
        k["security_groups"]: sorted(region.security_group_ids),
    }


def addon_config_json(cni: Cni, region: TerwayRegion) -> str:
    """Canonical JSON (sorted keys, no spaces): the same network gives the same bytes, so no spurious diff."""
    return json.dumps(addon_config(cni, region), sort_keys=True, separators=(",", ":"))
