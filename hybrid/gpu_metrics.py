"""GPU metrics: the recording rules, the scrape job and the dcgm-exporter objects (pure, no Pulumi).

The exporter is NVIDIA's dcgm-exporter with its default counters
(github:NVIDIA/dcgm-exporter@d5e5f510 etc/default-counters.csv): ``DCGM_FI_DEV_GPU_UTIL``
(gauge, GPU utilisation in %) and ``DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION`` (counter, mJ since
boot, so it resets when a node reboots). Each series carries ``gpu``, ``UUID``, ``modelName``
and ``hostname`` (internal/pkg/rendermetrics/render_metrics.go) and, with the Kubernetes
mapping on (``DCGM_EXPORTER_KUBERNETES=true``), the ``namespace``, ``pod`` and ``container``
the kubelet allocated the GPU to, empty when none (internal/pkg/transformation/const.go).

The scrape job adds ``pool``, ``owner`` (the lease owner) and ``node`` from the exporter pod's
labels and node name, so the rules can sum per node, pool, lease owner and namespace. Every
rule reads the raw series only, never another rule: promtool's backfill of recording rules
(``promtool tsdb create-blocks-from rules``) evaluates each rule alone, and a live Prometheus
gives the same answer either way.
"""

from __future__ import annotations

from typing import Any

import yaml

from hybrid import waivers as waivers_mod
from hybrid.node_daemonset import gpu_tolerations, node_daemonset

from hybrid.model import Platform

Obj = dict[str, Any]

UTIL = "DCGM_FI_DEV_GPU_UTIL"
ENERGY = "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION"
RULE_GROUP = "hybrid-gpu-usage"
RULES_FILE = "gpu-usage.rules.yml"
SCRAPE_FILE = "gpu-scrape.yml"
JOB = "dcgm-exporter"

# Labels the scrape job puts on every target (from the exporter pod) and the rules group by.
POOL, OWNER, NODE = "pool", "owner", "node"
POD_LABEL_POOL = "hybrid.example.com/gpu-pool"   # the pool label nodes carry (hybrid.cloudinit.LABEL_POOL)
POD_LABEL_OWNER = "hybrid.example.com/lease-owner"
APP = "dcgm-exporter"

# Recorded series: one GPU counts 1 per evaluation while it reports (present), while its
# utilisation is above the threshold (busy), while a pod holds it (allocated); util sums
# utilisation / 100 (GPU-equivalents in use). GPU-hours = samples x interval / 3600.
PRESENT = "hybrid_gpu_present"
BUSY = "hybrid_gpu_busy"
ALLOCATED = "hybrid_gpu_allocated"
USED = "hybrid_gpu_util"
LEVELS = {
    "node": (POOL, OWNER, NODE),
    "pool_owner": (POOL, OWNER),
    "namespace_workload": ("namespace", "workload"),
}


def record_name(level: str, what: str) -> str:
    agg = "sum" if what == USED else "count"
    return f"{level}:{what}:{agg}"


def _workload(expr: str) -> str:
    # The workload of a pod, from its name: a StatefulSet's pod is <name>-<ordinal>, a
    # Deployment's <name>-<pod-template-hash>-<5 chars>; anything else keeps the pod name.
    # label_replace leaves a series unchanged where the regex does not match (fully anchored).
    e = f'label_replace({expr}, "workload", "$1", "pod", "(.+)")'
    e = f'label_replace({e}, "workload", "$1", "pod", "(.+)-[0-9]+")'
    return f'label_replace({e}, "workload", "$1", "pod", "(.+)-[a-z0-9]{{6,10}}-[a-z0-9]{{5}}")'


def rules(p: Platform) -> Obj:
    """The Prometheus rules file (``promtool check rules`` accepts it; tests/test_usage_prometheus.py)."""
    t = format(p.metrics.busy_threshold_percent, "g")
    out = []
    held = f'{UTIL}{{namespace!=""}}'
    for level, by in LEVELS.items():
        # At the namespace level only GPUs a pod holds count (a free GPU has no namespace).
        src = held if level == "namespace_workload" else UTIL
        sources = {
            PRESENT: (src, "count"),
            BUSY: (f"{src} > {t}", "count"),
            ALLOCATED: (held, "count"),
            USED: (f"{src} / 100", "sum"),
        }
        for what, (expr, agg) in sources.items():
            if level == "namespace_workload":
                if what == PRESENT:
                    continue  # the same as allocated there
                expr = _workload(expr)
            out.append({"record": record_name(level, what), "expr": f"{agg} by ({', '.join(by)}) ({expr})"})
    return {"groups": [{"name": RULE_GROUP, "interval": f"{p.metrics.rule_interval_seconds}s", "rules": out}]}


def required_rules() -> list[str]:
    """Names the usage report reads (it checks Prometheus has them)."""
    return [record_name("pool_owner", w) for w in (PRESENT, BUSY, ALLOCATED, USED)] + \
           [record_name("namespace_workload", w) for w in (ALLOCATED, BUSY, USED)]


def _label(key: str) -> str:
    # Kubernetes service discovery turns a pod label's key into [a-zA-Z0-9_] (prometheus docs,
    # configuration: kubernetes_sd_config, role pod: __meta_kubernetes_pod_label_<labelname>).
    return "".join(c if c.isalnum() else "_" for c in key)


def scrape_job(p: Platform) -> Obj:
    """A Prometheus scrape_config: every running dcgm-exporter pod of the namespace, port metrics."""
    m = p.metrics
    return {
        "job_name": JOB,
        "scrape_interval": f"{m.scrape_interval_seconds}s",
        "kubernetes_sd_configs": [{"role": "pod", "namespaces": {"names": [m.namespace]}}],
        "relabel_configs": [
            {"source_labels": ["__meta_kubernetes_pod_label_app_kubernetes_io_name"], "regex": APP, "action": "keep"},
            {"source_labels": ["__meta_kubernetes_pod_container_port_name"], "regex": "metrics", "action": "keep"},
            {"source_labels": ["__meta_kubernetes_pod_phase"], "regex": "Running", "action": "keep"},
            {"source_labels": [f"__meta_kubernetes_pod_label_{_label(POD_LABEL_POOL)}"], "target_label": POOL},
            {"source_labels": [f"__meta_kubernetes_pod_label_{_label(POD_LABEL_OWNER)}"], "target_label": OWNER},
            {"source_labels": ["__meta_kubernetes_pod_node_name"], "target_label": NODE},
        ],
    }


def rules_text(p: Platform) -> str:
    text: str = yaml.safe_dump(rules(p), sort_keys=False, width=1000)
    return text


def scrape_text(p: Platform) -> str:
    text: str = yaml.safe_dump({"scrape_configs": [scrape_job(p)]}, sort_keys=False, width=1000)
    return text


# --- the exporter on the GPU nodes ---------------------------------------------------------

PORT = 9400                                   # deployment/values.yaml service.port, address ":9400"
POD_RESOURCES = "/var/lib/kubelet/pod-resources"  # values.yaml kubeletPath: the kubelet's GPU -> pod map
COUNTERS = "/etc/dcgm-exporter/default-counters.csv"  # values.yaml arguments ["-f", <this>]
IDC_POOL = "idc"
CONFIGMAP = "gpu-usage-prometheus"

_ROOT = ("the exporter reads the kubelet's root-owned pod-resources socket to map GPUs to pods; upstream runs it as "
         "user 0 (deployment/values.yaml securityContext); SYS_ADMIN is left out: it is for profiling metrics only")
_NO_API = "the pod makes no API call (pod labels off): no ServiceAccount token is mounted"
_READ_ONLY = "upstream leaves the root filesystem writable (readOnlyRootFilesystem commented out); DCGM's writes were not verified"
_PULL_EXP = "IfNotPresent as upstream (deployment/values.yaml image.pullPolicy): a restart must not depend on the registry"
_DIGEST_EXP = "pinned by the version tag of deployment/values.yaml (metrics.exporter.version); registry digests are not reachable from the offline build"
_NO_NETPOL = "Prometheus in another namespace scrapes port 9400; the cluster's NetworkPolicy model is the IDC's own"


def image(p: Platform, region_id: str) -> str:
    return p.metrics.exporter.reference(region_id)


def _pools(p: Platform) -> list[tuple[str, str, str, list[Any]]]:
    """(pool, lease owner or '', region, taints) of every GPU pool the exporter covers."""
    out = []
    for r in p.regions:
        for pool in r.gpu_pools:
            out.append((pool.name, pool.lease.owner if pool.lease else "", r.id, list(pool.taints)))
        for epool in r.elastic_pools:
            out.append((epool.name, "", r.id, list(epool.taints)))
    return out


def daemonset(p: Platform, pool: str, owner: str, region_id: str, taints: list[Any], selector: dict[str, str] | None = None) -> Obj:
    m = p.metrics
    labels = {"app.kubernetes.io/name": APP, "app.kubernetes.io/managed-by": "pulumi", POD_LABEL_POOL: pool}
    if owner:
        labels[POD_LABEL_OWNER] = owner
    if selector is None:
        # Pool names are unique within a region: the region label keeps two regions' pools apart.
        terms = [{"key": POD_LABEL_POOL, "operator": "In", "values": [pool]},
                 {"key": "topology.kubernetes.io/region", "operator": "In", "values": [region_id]}]
    else:
        terms = [{"key": k, "operator": "In", "values": [v]} for k, v in sorted(selector.items())]
    probe = {"httpGet": {"path": "/health", "port": PORT, "scheme": "HTTP"}, "initialDelaySeconds": 45, "periodSeconds": 5}
    # No nvidia.com/gpu request (that would take the GPUs from the workloads): the image sets
    # NVIDIA_VISIBLE_DEVICES=all (github:NVIDIA/dcgm-exporter docker/Dockerfile) and the cloud nodes'
    # containerd runs the NVIDIA runtime by default (hybrid/scripts/hybrid-join.sh, nvidia-ctk
    # --set-as-default), which makes every GPU visible to it; the IDC's nodes need the same.
    container = {
        "name": "exporter",
        "image": image(p, region_id),
        "imagePullPolicy": "IfNotPresent",
        "args": ["-f", COUNTERS],
        "env": [
            {"name": "DCGM_EXPORTER_KUBERNETES", "value": "true"},   # GPU -> namespace/pod/container labels
            {"name": "DCGM_EXPORTER_LISTEN", "value": f":{PORT}"},
            {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
        ],
        "ports": [{"name": "metrics", "containerPort": PORT, "protocol": "TCP"}],
        "securityContext": {"runAsNonRoot": False, "runAsUser": 0, "allowPrivilegeEscalation": False,
                            "capabilities": {"drop": ["ALL"]}},
        "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}},
        "livenessProbe": probe,
        "readinessProbe": {k: v for k, v in probe.items() if k != "periodSeconds"},
        "volumeMounts": [{"name": "pod-gpu-resources", "mountPath": POD_RESOURCES, "readOnly": True}],
    }
    ds = node_daemonset(f"{APP}-{pool}", m.namespace, labels, terms, gpu_tolerations(taints), container,
                        [{"name": "pod-gpu-resources", "hostPath": {"path": POD_RESOURCES, "type": "Directory"}}])
    return waivers_mod.annotate(ds, checkov=[
        ("CKV_K8S_15", _PULL_EXP),
        ("CKV_K8S_22", _READ_ONLY),
        ("CKV_K8S_23", _ROOT),
        ("CKV_K8S_40", _ROOT),
        ("CKV_K8S_43", _DIGEST_EXP),
        ("CKV2_K8S_6", _NO_NETPOL),
    ])


def objects(p: Platform) -> list[Obj]:
    """The Kubernetes objects of GPU metrics (empty unless metrics.enabled), for the IDC cluster."""
    m = p.metrics
    if not m.enabled:
        return []
    out: list[Obj] = [{"apiVersion": "v1", "kind": "Namespace",
                       "metadata": {"name": m.namespace, "labels": {"app.kubernetes.io/managed-by": "pulumi"}}}]
    for pool, owner, region_id, taints in _pools(p):
        out.append(daemonset(p, pool, owner, region_id, taints))
    if m.idc_node_selector:
        out.append(daemonset(p, IDC_POOL, "", p.registration.region_id, [], selector=dict(m.idc_node_selector)))
    # The scrape job and the rules for the Prometheus that scrapes (in-cluster: mount it; managed: the
    # same job goes to ARMS as a custom job, the rules file is imported there).
    out.append({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": CONFIGMAP, "namespace": m.namespace, "labels": {"app.kubernetes.io/managed-by": "pulumi"}},
                "data": {SCRAPE_FILE: scrape_text(p), RULES_FILE: rules_text(p)}})
    return out
