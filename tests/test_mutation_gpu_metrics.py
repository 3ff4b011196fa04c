"""hybrid/gpu_metrics.py: the recording rules evaluated by Prometheus itself, the objects against the exporter.

Sources:
- dcgm-exporter (github:NVIDIA/dcgm-exporter etc/default-counters.csv): ``DCGM_FI_DEV_GPU_UTIL`` is
  the GPU utilisation gauge in %; with ``DCGM_EXPORTER_KUBERNETES=true`` each series carries the
  ``namespace`` / ``pod`` / ``container`` the kubelet allocated the GPU to, empty when none
  (internal/pkg/transformation/const.go). deployment/templates/daemonset.yaml: container
  ``exporter``, port named ``metrics`` = service.port, ``DCGM_EXPORTER_LISTEN`` = service.address
  (":9400"), probes GET /health on that port, the kubelet's pod-resources directory mounted read-only.
- PromQL (prometheus.io/docs/prometheus/latest/querying/): ``> 10`` filters samples strictly above 10;
  an empty label value is the same as an absent label, so ``{namespace!=""}`` keeps GPUs a pod holds;
  ``label_replace`` leaves a series unchanged where the anchored regex does not match; ``count by``
  / ``sum by`` keep only the listed labels. The expectations are evaluated by ``promtool test rules``
  (Prometheus' own rule engine, Debian's package) on the series below, worked by hand.
- Kubernetes pod names: a StatefulSet's pod is <name>-<ordinal>; a Deployment's is <name>-<pod-template-hash>-
  <5 random characters> (pkg/controller/controller_utils.go ComputeHash: the hash of a uint32 as up to
  10 safe characters; apiserver/pkg/storage/names/generate.go randomLength = 5).
"""

from __future__ import annotations

import copy
import subprocess

import yaml

from hybrid import gpu_metrics
from hybrid.model import load
from tests.conftest import require_tool

# (node, gpu, pool, owner, namespace, pod, utilisation %) -- prod's busy threshold is 10 %
GPUS = [
    ("n1", 0, "a10-train", "ml-platform", "ml-platform", "train-0", 75),                # StatefulSet pod: busy
    ("n1", 1, "a10-train", "ml-platform", "inference", "infer-7d9f8c6b5-x2x9k", 10),     # at the threshold: not busy
    ("n2", 0, "a10-train", "ml-platform", "", "", 50),                                   # no pod holds it: busy, free
    ("n2", 1, "a10-train", "ml-platform", "ml-platform", "notebook", 0),                 # a bare pod, idle
    ("n3", 0, "a100-burst", "llm-research", "ml-platform", "train-1", 100),              # the same workload, other pool
    ("n3", 1, "a100-burst", "llm-research", "ml-platform", "my-app-v2-6d4cf56db6-z7xkq", 25),  # a hyphenated Deployment name
]

# By hand, from GPUS: (labels, value) per recorded series.
EXPECTED = {
    "node:hybrid_gpu_present:count": [({"pool": "a10-train", "owner": "ml-platform", "node": "n1"}, 2),
                                      ({"pool": "a10-train", "owner": "ml-platform", "node": "n2"}, 2),
                                      ({"pool": "a100-burst", "owner": "llm-research", "node": "n3"}, 2)],
    "node:hybrid_gpu_busy:count": [({"pool": "a10-train", "owner": "ml-platform", "node": "n1"}, 1),
                                   ({"pool": "a10-train", "owner": "ml-platform", "node": "n2"}, 1),
                                   ({"pool": "a100-burst", "owner": "llm-research", "node": "n3"}, 2)],
    "node:hybrid_gpu_allocated:count": [({"pool": "a10-train", "owner": "ml-platform", "node": "n1"}, 2),
                                        ({"pool": "a10-train", "owner": "ml-platform", "node": "n2"}, 1),
                                        ({"pool": "a100-burst", "owner": "llm-research", "node": "n3"}, 2)],
    "node:hybrid_gpu_util:sum": [({"pool": "a10-train", "owner": "ml-platform", "node": "n1"}, 0.85),
                                 ({"pool": "a10-train", "owner": "ml-platform", "node": "n2"}, 0.5),
                                 ({"pool": "a100-burst", "owner": "llm-research", "node": "n3"}, 1.25)],
    "pool_owner:hybrid_gpu_present:count": [({"pool": "a10-train", "owner": "ml-platform"}, 4),
                                            ({"pool": "a100-burst", "owner": "llm-research"}, 2)],
    "pool_owner:hybrid_gpu_busy:count": [({"pool": "a10-train", "owner": "ml-platform"}, 2),
                                         ({"pool": "a100-burst", "owner": "llm-research"}, 2)],
    "pool_owner:hybrid_gpu_allocated:count": [({"pool": "a10-train", "owner": "ml-platform"}, 3),
                                              ({"pool": "a100-burst", "owner": "llm-research"}, 2)],
    "pool_owner:hybrid_gpu_util:sum": [({"pool": "a10-train", "owner": "ml-platform"}, 1.35),
                                       ({"pool": "a100-burst", "owner": "llm-research"}, 1.25)],
    # train-0 and train-1 are one workload; the GPU at exactly 10 % and the idle notebook are not busy
    "namespace_workload:hybrid_gpu_busy:count": [({"namespace": "ml-platform", "workload": "train"}, 2),
                                                 ({"namespace": "ml-platform", "workload": "my-app-v2"}, 1)],
    "namespace_workload:hybrid_gpu_allocated:count": [({"namespace": "ml-platform", "workload": "train"}, 2),
                                                      ({"namespace": "inference", "workload": "infer"}, 1),
                                                      ({"namespace": "ml-platform", "workload": "notebook"}, 1),
                                                      ({"namespace": "ml-platform", "workload": "my-app-v2"}, 1)],
    "namespace_workload:hybrid_gpu_util:sum": [({"namespace": "ml-platform", "workload": "train"}, 1.75),
                                               ({"namespace": "inference", "workload": "infer"}, 0.1),
                                               ({"namespace": "ml-platform", "workload": "notebook"}, 0),
                                               ({"namespace": "ml-platform", "workload": "my-app-v2"}, 0.25)],
}


def _series(node, gpu, pool, owner, ns, pod, util) -> dict:
    labels = {"job": "dcgm-exporter", "pool": pool, "owner": owner, "node": node, "Hostname": node, "gpu": str(gpu),
              "UUID": f"GPU-{node}-{gpu}", "modelName": "NVIDIA A10", "namespace": ns, "pod": pod,
              "container": "c" if pod else ""}
    sel = ",".join(f'{k}="{v}"' for k, v in labels.items())
    return {"series": f"{gpu_metrics.UTIL}{{{sel}}}", "values": f"{util}x10"}


def _promtool_test(tmp_path, p, expected) -> subprocess.CompletedProcess:
    promtool = require_tool("promtool")
    (tmp_path / "rules.yml").write_text(gpu_metrics.rules_text(p))
    series = [_series(*g) for g in GPUS]
    # another DCGM counter with a pod: never counted as a GPU
    series.append({"series": 'DCGM_FI_DEV_FB_USED{pool="a10-train",owner="ml-platform",node="n9",namespace="x",pod="y"}',
                   "values": "5x10"})
    tests = [{"expr": name, "eval_time": "5m",
              "exp_samples": [{"labels": name + "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}", "value": value}
                              for labels, value in samples]}
             for name, samples in expected.items()]
    doc = {"rule_files": ["rules.yml"], "evaluation_interval": "1m",
           "tests": [{"interval": "1m", "input_series": series, "promql_expr_test": tests}]}
    (tmp_path / "test.yml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return subprocess.run([promtool, "test", "rules", "test.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=120)


def test_prometheus_evaluates_the_rules_to_the_hand_figures(prod_raw, tmp_path):
    r = _promtool_test(tmp_path, load(prod_raw), EXPECTED)
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_threshold_is_the_stacks(prod_raw, tmp_path):
    # at 50 %: the 75 % and 100 % GPUs are busy, the 50 % one is not (strictly above)
    prod_raw["metrics"]["busyThresholdPercent"] = 50
    expected = {"pool_owner:hybrid_gpu_busy:count": [({"pool": "a10-train", "owner": "ml-platform"}, 1),
                                                     ({"pool": "a100-burst", "owner": "llm-research"}, 1)]}
    r = _promtool_test(tmp_path, load(prod_raw), expected)
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_group_runs_at_the_stacks_rule_interval(prod_raw):
    prod_raw["metrics"]["ruleIntervalSeconds"] = 30
    group = gpu_metrics.rules(load(prod_raw))["groups"][0]
    assert (group["name"], group["interval"]) == ("hybrid-gpu-usage", "30s")
    # a fractional threshold is written as PromQL reads it
    prod_raw["metrics"]["busyThresholdPercent"] = 12.5
    exprs = {x["record"]: x["expr"] for x in gpu_metrics.rules(load(prod_raw))["groups"][0]["rules"]}
    assert exprs["pool_owner:hybrid_gpu_busy:count"] == "count by (pool, owner) (DCGM_FI_DEV_GPU_UTIL > 12.5)"


def test_the_report_reads_only_recorded_series(prod_raw):
    recorded = [x["record"] for x in gpu_metrics.rules(load(prod_raw))["groups"][0]["rules"]]
    assert len(recorded) == len(set(recorded))
    # the names hybrid_tools/usage_cli.py queries, written out (level:metric:operation, Prometheus'
    # recording-rule naming practice)
    assert gpu_metrics.required_rules() == [
        "pool_owner:hybrid_gpu_present:count", "pool_owner:hybrid_gpu_busy:count", "pool_owner:hybrid_gpu_allocated:count",
        "pool_owner:hybrid_gpu_util:sum", "namespace_workload:hybrid_gpu_allocated:count",
        "namespace_workload:hybrid_gpu_busy:count", "namespace_workload:hybrid_gpu_util:sum"]
    assert set(gpu_metrics.required_rules()) <= set(recorded)


def test_the_rules_file_text_is_the_rules(prod_raw):
    p = load(prod_raw)
    assert yaml.safe_load(gpu_metrics.rules_text(p)) == gpu_metrics.rules(p)
    # one line per expression, however long (promtool and reviewers read it as written)
    longest = max(len(x["expr"]) for x in gpu_metrics.rules(p)["groups"][0]["rules"])
    assert longest > 80 and any(len(line) > longest for line in gpu_metrics.rules_text(p).splitlines())
    assert yaml.safe_load(gpu_metrics.scrape_text(p)) == {"scrape_configs": [gpu_metrics.scrape_job(p)]}


# --- the exporter pod and the scrape job agree -------------------------------------------------------

def _objects(raw):
    return {o["metadata"]["name"]: o for o in gpu_metrics.objects(load(raw))}


def test_the_scrape_job_keeps_exactly_the_exporter_pods_port(prod_raw):
    objs = _objects(prod_raw)
    ds = objs["dcgm-exporter-a10-train"]
    pod_labels = ds["spec"]["template"]["metadata"]["labels"]
    (c,) = ds["spec"]["template"]["spec"]["containers"]
    job = gpu_metrics.scrape_job(load(prod_raw))
    keep = {r["source_labels"][0]: r["regex"] for r in job["relabel_configs"] if r.get("action") == "keep"}
    # kubernetes_sd role pod: __meta_kubernetes_pod_label_<name, non-[a-zA-Z0-9_] as _>, one target per container port
    assert keep == {"__meta_kubernetes_pod_label_app_kubernetes_io_name": pod_labels["app.kubernetes.io/name"],
                    "__meta_kubernetes_pod_container_port_name": c["ports"][0]["name"],
                    "__meta_kubernetes_pod_phase": "Running"}
    assert job["job_name"] == "dcgm-exporter" and job["scrape_interval"] == "30s"
    assert (pod_labels["hybrid.example.com/gpu-pool"], pod_labels["hybrid.example.com/lease-owner"]) == ("a10-train", "ml-platform")
    # the pod's namespace is the one the job discovers
    assert ds["metadata"]["namespace"] == job["kubernetes_sd_configs"][0]["namespaces"]["names"][0] == "gpu-metrics"


def test_the_exporter_listens_where_it_is_probed_and_scraped(prod_raw):
    (c,) = _objects(prod_raw)["dcgm-exporter-t4-infer"]["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e for e in c["env"]}
    port = c["ports"][0]["containerPort"]
    assert env["DCGM_EXPORTER_LISTEN"]["value"] == f":{port}" and port == 9400
    assert env["NODE_NAME"]["valueFrom"] == {"fieldRef": {"fieldPath": "spec.nodeName"}}
    for probe in (c["livenessProbe"], c["readinessProbe"]):
        assert probe["httpGet"] == {"path": "/health", "port": port, "scheme": "HTTP"}
    assert c["name"] == "exporter" and c["imagePullPolicy"] == "IfNotPresent"
    # the exporter maps GPUs to pods through the kubelet's pod-resources socket: the host directory, read-only
    spec = _objects(prod_raw)["dcgm-exporter-t4-infer"]["spec"]["template"]["spec"]
    (mount,) = c["volumeMounts"]
    vol = next(v for v in spec["volumes"] if v["name"] == mount["name"])
    assert vol["hostPath"] == {"path": "/var/lib/kubelet/pod-resources", "type": "Directory"}
    assert mount == {"name": vol["name"], "mountPath": "/var/lib/kubelet/pod-resources", "readOnly": True}
    # no GPU request: the exporter must not take a GPU from the workloads
    assert "nvidia.com/gpu" not in str(c["resources"])


def test_an_elastic_pool_has_no_owner_label_and_the_idc_uses_its_selector(prod_raw):
    raw = copy.deepcopy(prod_raw)
    raw["metrics"]["idcNodeSelector"] = {"nvidia.com/gpu.present": "true", "node-role/gpu": "yes"}
    objs = _objects(raw)
    labels = objs["dcgm-exporter-a10-elastic"]["spec"]["template"]["metadata"]["labels"]
    assert "hybrid.example.com/lease-owner" not in labels and labels["hybrid.example.com/gpu-pool"] == "a10-elastic"
    idc = objs["dcgm-exporter-idc"]["spec"]["template"]
    assert idc["metadata"]["labels"]["hybrid.example.com/gpu-pool"] == "idc"
    terms = idc["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert terms == [{"matchExpressions": [{"key": "node-role/gpu", "operator": "In", "values": ["yes"]},
                                           {"key": "nvidia.com/gpu.present", "operator": "In", "values": ["true"]}]}]
    assert idc["spec"]["containers"][0]["image"] == gpu_metrics.image(load(raw), "cn-beijing")  # the IDC's region


def test_the_objects_in_order_and_the_configmap(prod_raw):
    objs = gpu_metrics.objects(load(prod_raw))
    ns, *daemonsets, cm = objs
    assert ns == {"apiVersion": "v1", "kind": "Namespace",
                  "metadata": {"name": "gpu-metrics", "labels": {"app.kubernetes.io/managed-by": "pulumi"}}}
    # stacks/Pulumi.prod.yaml: cn-beijing a10-train, a100-burst, elastic a10-elastic; cn-hangzhou t4-infer;
    # cn-zhangjiakou a10-overflow (regions in order, fixed pools before elastic)
    assert [d["metadata"]["name"] for d in daemonsets] == [
        "dcgm-exporter-a10-train", "dcgm-exporter-a100-burst", "dcgm-exporter-a10-elastic",
        "dcgm-exporter-t4-infer", "dcgm-exporter-a10-overflow"]
    assert (cm["kind"], cm["metadata"]["name"], cm["metadata"]["namespace"]) == ("ConfigMap", "gpu-usage-prometheus", "gpu-metrics")
    assert cm["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "pulumi"}
    assert set(cm["data"]) == {"gpu-scrape.yml", "gpu-usage.rules.yml"}


def test_every_waiver_names_its_reason(prod_raw):
    ann = _objects(prod_raw)["dcgm-exporter-a10-train"]["metadata"]["annotations"]
    waived = dict(v.split("=", 1) for k, v in ann.items() if k.startswith("checkov.io/skip"))
    assert set(waived) == {"CKV_K8S_15", "CKV_K8S_22", "CKV_K8S_23", "CKV_K8S_40", "CKV_K8S_43", "CKV2_K8S_6"}
    assert "IfNotPresent" in waived["CKV_K8S_15"] and "readOnlyRootFilesystem" in waived["CKV_K8S_22"]
    assert waived["CKV_K8S_23"] == waived["CKV_K8S_40"] and "user 0" in waived["CKV_K8S_23"]
    assert "version tag" in waived["CKV_K8S_43"] and "9400" in waived["CKV2_K8S_6"]


def test_resources_and_security(prod_raw):
    (c,) = _objects(prod_raw)["dcgm-exporter-a10-train"]["spec"]["template"]["spec"]["containers"]
    assert c["resources"] == {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}}
    assert c["securityContext"] == {"runAsNonRoot": False, "runAsUser": 0, "allowPrivilegeEscalation": False,
                                    "capabilities": {"drop": ["ALL"]}}
    assert c["args"] == ["-f", "/etc/dcgm-exporter/default-counters.csv"]
    assert c["livenessProbe"]["initialDelaySeconds"] == 45 and c["livenessProbe"]["periodSeconds"] == 5
    assert "periodSeconds" not in c["readinessProbe"] and c["readinessProbe"]["initialDelaySeconds"] == 45




def test_a_fixed_pool_without_a_lease_has_no_owner(prod_raw):
    pool = prod_raw["regions"][0]["gpuPools"][0]
    assert pool["name"] == "a10-train"
    pool.pop("lease")
    labels = _objects(prod_raw)["dcgm-exporter-a10-train"]["spec"]["template"]["metadata"]["labels"]
    assert "hybrid.example.com/lease-owner" not in labels
    # the scrape job then finds no owner label: the series carry owner="" (Prometheus drops empty labels)


def test_every_object_is_labelled_as_managed_by_pulumi(prod_raw):
    # Kubernetes "Recommended Labels": app.kubernetes.io/managed-by names the tool that manages the object
    for o in gpu_metrics.objects(load(prod_raw)):
        assert o["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "pulumi", o["metadata"]["name"]
        if o["kind"] == "DaemonSet":
            assert o["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "pulumi"
            assert o["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"] == "dcgm-exporter"


def test_the_files_read_in_prometheus_documented_order(prod_raw):
    """The layout of Prometheus' own examples (docs, "Recording rules" and "Configuration"): a group's
    name, interval, rules; each rule its record, then its expr; a scrape config opens with job_name. The
    threshold is written as the number the stack gives (10, not 10.0)."""
    p = load(prod_raw)
    assert gpu_metrics.rules_text(p).splitlines()[:6] == [
        "groups:", "- name: hybrid-gpu-usage", "  interval: 60s", "  rules:", "  - record: node:hybrid_gpu_present:count",
        "    expr: count by (pool, owner, node) (DCGM_FI_DEV_GPU_UTIL)"]
    assert "    expr: count by (pool, owner, node) (DCGM_FI_DEV_GPU_UTIL > 10)" in gpu_metrics.rules_text(p).splitlines()
    assert gpu_metrics.scrape_text(p).splitlines()[:3] == ["scrape_configs:", "- job_name: dcgm-exporter", "  scrape_interval: 30s"]


def test_the_idc_exporter_has_no_lease_owner(prod_raw):
    prod_raw["metrics"]["idcNodeSelector"] = {"nvidia.com/gpu.present": "true"}
    labels = _objects(prod_raw)["dcgm-exporter-idc"]["spec"]["template"]["metadata"]["labels"]
    assert "hybrid.example.com/lease-owner" not in labels  # IDC GPUs are owned, not leased
