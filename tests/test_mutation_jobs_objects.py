"""hybrid/jobs.py: every object of prod's ``jobs`` section, whole, worked by hand from the stack and the
upstream shapes, on the Fleet and without it; the tiers a gang may use; the jobs table (the stack output).

prod (stacks/Pulumi.prod.yaml jobs): priority classes ai-inference-online 200000, ai-training 100000,
ai-batch 1000 (preempts: false); tenants llm-research / inference / data (namespaces alike) with maxGpus
160 / 96 / 32; jobs llm-finetune (PyTorchJob, 4 x {64 CPU, 480Gi, 8 GPU}, failover to ack-wlcb-train),
embed-corpus (Job, 8 x {8 CPU, 32Gi, 1 GPU}, tier cn-beijing-elastic), llm-pretrain (PyTorchJob, 48 x
{24 CPU, 160Gi, 1 GPU}, scheduleTimeoutSeconds 1800); service llm-serve (4 x {8 CPU, 64Gi, 1 GPU}, port
8000, failover Gracefully after 120 s, FederatedHPA 2..16 on two Pods metrics, two cron rules). The model's
defaults (hybrid/model/jobs.py): backoffLimit 3, scheduleTimeoutSeconds 600, a job's failover Directly
after 60 s, scale up 4 pods / 60 s without a window, scale down 1 pod / 120 s after 300 s, cron time zone
Asia/Shanghai.

Shapes: PyTorchJob / TFJob (kubeflow/training-operator@v1.8.1 pytorch_types.go / tensorflow_types.go:
Master or Chief exactly 1, the rest Workers, container "pytorch" / "tensorflow", runPolicy.schedulingPolicy
minAvailable, scheduleTimeoutSeconds, priorityClass); PodGroup (scheduler-plugins@v0.28.9: minMember,
scheduleTimeoutSeconds, minResources a ResourceList, pods labelled scheduling.x-k8s.io/pod-group);
Karmada v1.18.2 PropagationPolicy (placement.clusterAffinity or ordered clusterAffinities, spreadConstraints,
replicaScheduling, priority / preemption, schedulePriority, failover.application, propagateDeps),
OverridePolicy (plaintext remove), FederatedResourceQuota (overall + staticAssignments), FederatedHPA,
CronFederatedHPA; Kubernetes Job (parallelism, completions, backoffLimit, suspend), Deployment, Service,
NetworkPolicy, ResourceQuota (extended resources only as requests.<name>), PriorityClass
(preemptionPolicy PreemptLowerPriority | Never).
"""

from __future__ import annotations

from hybrid import jobs as J
from hybrid.model import load as model_load
from hybrid.stack import load_platform as load
from tests.conftest import stack_raw

MEMBER = "c0123456789abcdef0123456789abcdef"
WLCB = "c6f8b0c2e4a6b8d0f2c4e6a8b0d2f4a6c"  # registration.fleet.members.ack-wlcb-train.clusterId
TRAIN_IMAGE = ("registry-vpc.cn-beijing.aliyuncs.com/ml-platform/llm-train:2026.11@sha256:"
               "4f1c2a9e8b7d6c5f4e3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e")
EMBED_IMAGE = ("registry-vpc.cn-beijing.aliyuncs.com/ml-platform/embed:2026.11@sha256:"
               "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b")
SERVE_IMAGE = ("registry-vpc.cn-beijing.aliyuncs.com/ml-platform/vllm-serve:2026.11@sha256:"
               "0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e")
SCHED = "scheduler-plugins-scheduler"  # jobs.gangScheduler kind scheduler-plugins: its second scheduler's name
MANAGED = {"app.kubernetes.io/managed-by": "pulumi"}
# The IDC's own nodes: not the cloud-node label (cni.cloudNodeLabel alibabacloud.com/external=true in prod).
IDC = {"nodeSelectorTerms": [{"matchExpressions": [{"key": "alibabacloud.com/external", "operator": "NotIn", "values": ["true"]}]}]}
# cn-beijing's elastic pool's nodes: the pool label its node-pool labels set.
ELASTIC = {"nodeSelectorTerms": [{"matchExpressions": [{"key": "hybrid.example.com/gpu-pool", "operator": "In", "values": ["a10-elastic"]}]}]}


def meta(name, namespace=None):
    return {"name": name, **({"namespace": namespace} if namespace else {}), "labels": dict(MANAGED)}


def container(name, image, request, command=None, port=None):
    c = {"name": name, "image": image, "imagePullPolicy": "Always",
         "resources": {"requests": dict(request), "limits": dict(request)},  # Guaranteed QoS
         "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}},
         "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}, {"name": "dshm", "mountPath": "/dev/shm"}]}
    if command:
        c["command"] = command
    if port:
        c["ports"] = [{"containerPort": port, "name": "http"}]
        get = {"path": "/health", "port": "http"}
        c["readinessProbe"] = {"httpGet": get, "periodSeconds": 10, "initialDelaySeconds": 10}
        c["livenessProbe"] = {"httpGet": get, "periodSeconds": 10, "initialDelaySeconds": 300, "failureThreshold": 6}
    return c


def pod(app, c, affinity=None, priority=None, scheduler=None, group=None, restart=None):
    spec = {"containers": [c], "automountServiceAccountToken": False,
            "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
            "volumes": [{"name": "tmp", "emptyDir": {}}, {"name": "dshm", "emptyDir": {"medium": "Memory"}}]}
    if restart:
        spec["restartPolicy"] = restart
    if affinity:
        spec["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": affinity}}
    if priority:
        spec["priorityClassName"] = priority
    if scheduler:
        spec["schedulerName"] = scheduler
    labels = {"app.kubernetes.io/name": app}
    if group:
        labels["scheduling.x-k8s.io/pod-group"] = group
    return {"metadata": {"labels": labels}, "spec": spec}


def job_policy(name, namespace):
    """Ingress to a job's pods from the job's own pods only."""
    sel = {"matchLabels": {"app.kubernetes.io/name": name}}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta(name, namespace),
            "spec": {"podSelector": sel, "policyTypes": ["Ingress"], "ingress": [{"from": [{"podSelector": sel}]}]}}


FINETUNE_REQ = {"cpu": "64", "memory": "480Gi", "nvidia.com/gpu": 8}
PRETRAIN_REQ = {"cpu": "24", "memory": "160Gi", "nvidia.com/gpu": 1}
EMBED_REQ = {"cpu": "8", "memory": "32Gi", "nvidia.com/gpu": 1}
SERVE_REQ = {"cpu": "8", "memory": "64Gi", "nvidia.com/gpu": 1}


def pytorchjob(name, command, request, replicas, timeout, scheduler=SCHED):
    def spec(n):
        return {"replicas": n, "restartPolicy": "OnFailure",
                "template": pod(name, container("pytorch", TRAIN_IMAGE, request, command), IDC, "ai-training", scheduler)}
    run = {"cleanPodPolicy": "None", "backoffLimit": 3, "suspend": False}
    if scheduler:
        run["schedulingPolicy"] = {"minAvailable": replicas, "scheduleTimeoutSeconds": timeout, "priorityClass": "ai-training"}
    return {"apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob", "metadata": meta(name, "llm-research"),
            "spec": {"runPolicy": run, "pytorchReplicaSpecs": {"Master": spec(1), "Worker": spec(replicas - 1)}}}


def priority_classes():
    return [
        {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": meta("ai-batch"), "value": 1000,
         "preemptionPolicy": "Never", "globalDefault": False, "description": "Batch jobs; wait for room, never evict anything."},
        {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": meta("ai-inference-online"), "value": 200000,
         "preemptionPolicy": "PreemptLowerPriority", "globalDefault": False,
         "description": "Online inference; may preempt training and batch pods."},
        {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": meta("ai-training"), "value": 100000,
         "preemptionPolicy": "PreemptLowerPriority", "globalDefault": False, "description": "Training jobs; may preempt batch pods."},
    ]


def workloads():
    """The workloads in declaration order, each followed by its NetworkPolicy; the service last."""
    serve_sel = {"app.kubernetes.io/name": "llm-serve"}
    return [
        pytorchjob("llm-finetune", ["torchrun", "--nproc-per-node=8", "train.py"], FINETUNE_REQ, 4, 600),
        job_policy("llm-finetune", "llm-research"),
        # 8 pods: 8 x 8 CPU = 64, 8 x 32Gi = 256Gi = 274877906944 bytes, 8 GPUs
        {"apiVersion": "scheduling.x-k8s.io/v1alpha1", "kind": "PodGroup", "metadata": meta("embed-corpus", "data"),
         "spec": {"minMember": 8, "scheduleTimeoutSeconds": 600,
                  "minResources": {"cpu": "64", "memory": "274877906944", "nvidia.com/gpu": "8"}}},
        {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta("embed-corpus", "data"),
         "spec": {"parallelism": 8, "completions": 8, "backoffLimit": 3, "suspend": False,
                  "template": pod("embed-corpus", container("main", EMBED_IMAGE, EMBED_REQ, ["python", "embed.py"]), ELASTIC,
                                  "ai-batch", SCHED, "embed-corpus", "Never")}},
        job_policy("embed-corpus", "data"),
        pytorchjob("llm-pretrain", ["torchrun", "--nproc-per-node=1", "pretrain.py"], PRETRAIN_REQ, 48, 1800),
        job_policy("llm-pretrain", "llm-research"),
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta("llm-serve", "inference"),
         "spec": {"replicas": 4, "selector": {"matchLabels": serve_sel},
                  "template": pod("llm-serve", container("server", SERVE_IMAGE, SERVE_REQ, port=8000), None, "ai-inference-online")}},
        {"apiVersion": "v1", "kind": "Service", "metadata": meta("llm-serve", "inference"),
         "spec": {"selector": serve_sel, "ports": [{"name": "http", "port": 8000, "targetPort": "http", "protocol": "TCP"}]}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta("llm-serve", "inference"),
         "spec": {"podSelector": {"matchLabels": serve_sel}, "policyTypes": ["Ingress"], "ingress": [{"ports": [{"protocol": "TCP", "port": 8000}]}]}},
    ]


ACK = "policy.one.alibabacloud.com/v1alpha1"  # registration.fleet.policyApi: ack
ONE_MEMBER = [{"spreadByField": "cluster", "maxGroups": 1, "minGroups": 1}]
DIVIDED = {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Aggregated"}


def sel(api, kind, name):
    return {"apiVersion": api, "kind": kind, "name": name}


def schedule_priority(cls):
    return {"priorityClassSource": "KubePriorityClass", "priorityClassName": cls}


def fleet_objects():
    frq = [{"apiVersion": "policy.karmada.io/v1alpha1", "kind": "FederatedResourceQuota", "metadata": meta("gpu", ns),
            "spec": {"overall": {"requests.nvidia.com/gpu": n},
                     "staticAssignments": [{"clusterName": MEMBER, "hard": {"requests.nvidia.com/gpu": n}}]}}
           for ns, n in (("llm-research", "160"), ("inference", "96"), ("data", "32"))]
    cpp = {"apiVersion": ACK, "kind": "ClusterPropagationPolicy", "metadata": meta("hybrid-gpu-job-priority-classes"),
           "spec": {"resourceSelectors": [sel("scheduling.k8s.io/v1", "PriorityClass", n) for n in ("ai-batch", "ai-inference-online", "ai-training")],
                    "placement": {"clusterAffinity": {"clusterNames": [MEMBER, WLCB]}}}}
    finetune_sel = [sel("kubeflow.org/v1", "PyTorchJob", "llm-finetune"), sel("networking.k8s.io/v1", "NetworkPolicy", "llm-finetune")]
    policies = [
        {"apiVersion": ACK, "kind": "PropagationPolicy", "metadata": meta("llm-finetune", "llm-research"),
         "spec": {"resourceSelectors": finetune_sel,
                  "placement": {"clusterAffinities": [{"affinityName": "hybrid", "clusterNames": [MEMBER]},
                                                      {"affinityName": "failover", "clusterNames": [WLCB]}],
                                "spreadConstraints": ONE_MEMBER},
                  "priority": 100, "preemption": "Always", "schedulePriority": schedule_priority("ai-training"),
                  "failover": {"application": {"decisionConditions": {"tolerationSeconds": 60}, "purgeMode": "Directly"}},
                  "propagateDeps": True, "customSchedulingType": "Gang"}},
        {"apiVersion": ACK, "kind": "OverridePolicy", "metadata": meta("llm-finetune", "llm-research"),
         "spec": {"resourceSelectors": [finetune_sel[0]],
                  "overrideRules": [{"targetCluster": {"clusterNames": [WLCB]},
                                     "overriders": {"plaintext": [
                                         {"path": "/spec/pytorchReplicaSpecs/Master/template/spec/affinity", "operator": "remove"},
                                         {"path": "/spec/pytorchReplicaSpecs/Worker/template/spec/affinity", "operator": "remove"}]}}]}},
        {"apiVersion": ACK, "kind": "PropagationPolicy", "metadata": meta("embed-corpus", "data"),
         "spec": {"resourceSelectors": [sel("batch/v1", "Job", "embed-corpus"), sel("scheduling.x-k8s.io/v1alpha1", "PodGroup", "embed-corpus"),
                                        sel("networking.k8s.io/v1", "NetworkPolicy", "embed-corpus")],
                  "placement": {"clusterAffinity": {"clusterNames": [MEMBER]}, "spreadConstraints": ONE_MEMBER, "replicaScheduling": DIVIDED},
                  "priority": 100, "preemption": "Always", "schedulePriority": schedule_priority("ai-batch"), "customSchedulingType": "Gang"}},
        {"apiVersion": ACK, "kind": "PropagationPolicy", "metadata": meta("llm-pretrain", "llm-research"),
         "spec": {"resourceSelectors": [sel("kubeflow.org/v1", "PyTorchJob", "llm-pretrain"), sel("networking.k8s.io/v1", "NetworkPolicy", "llm-pretrain")],
                  "placement": {"clusterAffinity": {"clusterNames": [MEMBER]}, "spreadConstraints": ONE_MEMBER},
                  "priority": 100, "preemption": "Always", "schedulePriority": schedule_priority("ai-training"), "customSchedulingType": "Gang"}},
        {"apiVersion": ACK, "kind": "PropagationPolicy", "metadata": meta("llm-serve", "inference"),
         "spec": {"resourceSelectors": [sel("apps/v1", "Deployment", "llm-serve"), sel("v1", "Service", "llm-serve"),
                                        sel("networking.k8s.io/v1", "NetworkPolicy", "llm-serve")],
                  "placement": {"clusterAffinity": {"clusterNames": [MEMBER]}, "replicaScheduling": DIVIDED},
                  "priority": 100, "preemption": "Always", "schedulePriority": schedule_priority("ai-inference-online"),
                  "failover": {"application": {"decisionConditions": {"tolerationSeconds": 120}, "purgeMode": "Gracefully"}},
                  "propagateDeps": True}},
        {"apiVersion": "autoscaling.karmada.io/v1alpha1", "kind": "FederatedHPA", "metadata": meta("llm-serve", "inference"),
         "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "llm-serve"},
                  "minReplicas": 2, "maxReplicas": 16,
                  "metrics": [{"type": "Pods", "pods": {"metric": {"name": m}, "target": {"type": "AverageValue", "averageValue": v}}}
                              for m, v in (("DCGM_FI_DEV_GPU_UTIL", "80"), ("vllm:num_requests_waiting", "8"))],
                  "behavior": {"scaleUp": {"stabilizationWindowSeconds": 0, "policies": [{"type": "Pods", "value": 4, "periodSeconds": 60}]},
                               "scaleDown": {"stabilizationWindowSeconds": 300, "policies": [{"type": "Pods", "value": 1, "periodSeconds": 120}]}}}},
        {"apiVersion": "autoscaling.karmada.io/v1alpha1", "kind": "CronFederatedHPA", "metadata": meta("llm-serve", "inference"),
         "spec": {"scaleTargetRef": {"apiVersion": "autoscaling.karmada.io/v1alpha1", "kind": "FederatedHPA", "name": "llm-serve"},
                  "rules": [{"name": "weekday-peak", "schedule": "0 8 * * 1-5", "timeZone": "Asia/Shanghai", "targetMinReplicas": 8, "targetMaxReplicas": 16},
                            {"name": "night", "schedule": "0 22 * * *", "timeZone": "Asia/Shanghai", "targetMinReplicas": 2, "targetMaxReplicas": 16}]}},
    ]
    return [*priority_classes(), cpp, *frq, *workloads(), *policies]


def _keyed(docs):
    return [(d["kind"], d["metadata"].get("namespace"), d["metadata"]["name"]) for d in docs]


def _same(got, want):
    assert _keyed(got) == _keyed(want)  # the same objects in the same order
    for g, w in zip(got, want):
        assert g == w, _keyed([g])


def test_prods_fleet_objects_whole():
    plan = J.plan_jobs(load(stack_raw("prod")))
    assert plan.on_fleet is True
    _same(plan.objects(MEMBER), fleet_objects())


def test_the_default_member_is_a_placeholder_the_component_replaces():
    docs = J.plan_jobs(load(stack_raw("prod"))).objects()
    pp = next(d for d in docs if d["kind"] == "PropagationPolicy" and d["metadata"]["name"] == "llm-pretrain")
    assert pp["spec"]["placement"]["clusterAffinity"] == {"clusterNames": ["@HYBRID_MEMBER@"]}


def _without_fleet():
    raw = stack_raw("prod")
    raw["registration"]["fleet"]["apply"] = False
    del raw["jobs"]["jobs"][0]["failover"]
    svc = raw["jobs"]["services"][0]
    del svc["failover"], svc["autoscaling"]
    return raw


def test_prods_cluster_objects_whole_without_the_fleet():
    # The same workloads straight into the hybrid cluster, after the classes and one ResourceQuota per
    # tenant's namespace (requests.nvidia.com/gpu: an extended resource is only quota'd as a request).
    plan = J.plan_jobs(load(_without_fleet()))
    assert plan.on_fleet is False
    rq = [{"apiVersion": "v1", "kind": "ResourceQuota", "metadata": meta("gpu", ns), "spec": {"hard": {"requests.nvidia.com/gpu": n}}}
          for ns, n in (("llm-research", "160"), ("inference", "96"), ("data", "32"))]
    _same(plan.objects(MEMBER), [*priority_classes(), *rq, *workloads()])


def test_a_fleet_that_is_enabled_but_not_applied_gets_nothing():
    # registration.fleet.enabled alone makes the Fleet exist; only apply declares workloads on it.
    raw = _without_fleet()
    assert raw["registration"]["fleet"]["enabled"] is True
    assert J.JobsPlan(load(raw)).on_fleet is False


def test_no_gang_no_priority_no_failover_on_karmadas_own_api():
    # Karmada's group: none of ACK's fields; without a class no schedulePriority, without a gang no
    # schedulingPolicy, scheduler or one-member spread for a training job (still whole: it is a template).
    raw = stack_raw("prod")
    raw["registration"]["fleet"]["policyApi"] = "karmada"
    for job in raw["jobs"]["jobs"]:
        job["gang"] = False
        job.pop("priorityClass", None)
    docs = J.plan_jobs(load(raw)).objects(MEMBER)
    pre = next(d for d in docs if d["kind"] == "PropagationPolicy" and d["metadata"]["name"] == "llm-pretrain")
    assert pre == {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy", "metadata": meta("llm-pretrain", "llm-research"),
                   "spec": {"resourceSelectors": [sel("kubeflow.org/v1", "PyTorchJob", "llm-pretrain"),
                                                  sel("networking.k8s.io/v1", "NetworkPolicy", "llm-pretrain")],
                            "placement": {"clusterAffinity": {"clusterNames": [MEMBER]}, "spreadConstraints": ONE_MEMBER},
                            "priority": 100, "preemption": "Always"}}
    job = next(d for d in docs if d["kind"] == "PyTorchJob" and d["metadata"]["name"] == "llm-pretrain")
    assert job["spec"]["runPolicy"] == {"cleanPodPolicy": "None", "backoffLimit": 3, "suspend": False}
    worker = job["spec"]["pytorchReplicaSpecs"]["Worker"]["template"]
    assert worker == pod("llm-pretrain", container("pytorch", TRAIN_IMAGE, PRETRAIN_REQ, ["torchrun", "--nproc-per-node=1", "pretrain.py"]), IDC)
    batch = next(d for d in docs if d["kind"] == "Job")
    assert batch["spec"]["template"] == pod("embed-corpus", container("main", EMBED_IMAGE, EMBED_REQ, ["python", "embed.py"]), ELASTIC,
                                            restart="Never")
    cpp = next(d for d in docs if d["kind"] == "ClusterPropagationPolicy")
    assert cpp["apiVersion"] == "policy.karmada.io/v1alpha1"
    op = next(d for d in docs if d["kind"] == "OverridePolicy")
    assert op["apiVersion"] == "policy.karmada.io/v1alpha1"


def test_a_gang_with_a_class_but_no_scheduler_gets_no_scheduling_policy():
    # gang: true but no gangScheduler is refused by the check; the plan's own rule is that the
    # schedulingPolicy follows the scheduler, and the class goes there only with it.
    raw = stack_raw("prod")
    raw["jobs"]["jobs"][2].pop("priorityClass")
    job = next(d for d in J.plan_jobs(load(raw)).objects(MEMBER) if d["kind"] == "PyTorchJob" and d["metadata"]["name"] == "llm-pretrain")
    assert job["spec"]["runPolicy"]["schedulingPolicy"] == {"minAvailable": 48, "scheduleTimeoutSeconds": 1800}
    assert "priorityClassName" not in job["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]


def test_a_queued_job_on_acks_api_asks_kube_queue_to_hold_it():
    raw = stack_raw("prod")
    raw["jobs"]["jobs"][2]["queued"] = True
    docs = J.plan_jobs(load(raw)).objects(MEMBER)
    pre = next(d for d in docs if d["kind"] == "PropagationPolicy" and d["metadata"]["name"] == "llm-pretrain")
    assert pre["spec"]["suspension"] == {"scheduling": True} and pre["spec"]["customSchedulingType"] == "Gang"
    fine = next(d for d in docs if d["kind"] == "PropagationPolicy" and d["metadata"]["name"] == "llm-finetune")
    assert "suspension" not in fine["spec"]


def test_without_priority_classes_no_class_policy_goes_to_the_fleet():
    raw = stack_raw("prod")
    raw["jobs"]["priorityClasses"] = []
    for w in [*raw["jobs"]["jobs"], *raw["jobs"]["services"]]:
        w.pop("priorityClass", None)
    docs = J.plan_jobs(load(raw)).objects(MEMBER)
    assert [d for d in docs if d["kind"] in ("PriorityClass", "ClusterPropagationPolicy")] == []
    assert docs[0]["kind"] == "FederatedResourceQuota"


def test_the_class_policy_reaches_each_failover_member_once_in_name_order():
    # Two jobs fail over to the same member: the member is named once.
    raw = stack_raw("prod")
    raw["jobs"]["jobs"][2]["failover"] = {"to": ["ack-wlcb-train"]}
    raw["jobs"]["jobs"][2]["replicas"] = 20  # ack-wlcb-train holds 20 such pods (tests/test_jobs.py)
    docs = J.plan_jobs(load(raw)).objects(MEMBER)
    cpp = next(d for d in docs if d["kind"] == "ClusterPropagationPolicy")
    assert cpp["spec"]["placement"]["clusterAffinity"]["clusterNames"] == [MEMBER, WLCB]


def test_a_one_pod_training_job_fails_over_without_a_worker_path():
    # A 1-pod PyTorchJob has a Master only: the OverridePolicy removes only the path that exists.
    raw = stack_raw("prod")
    raw["jobs"]["jobs"][0]["replicas"] = 1
    docs = J.plan_jobs(load(raw)).objects(MEMBER)
    op = next(d for d in docs if d["kind"] == "OverridePolicy")
    assert op["spec"]["overrideRules"][0]["overriders"]["plaintext"] == [
        {"path": "/spec/pytorchReplicaSpecs/Master/template/spec/affinity", "operator": "remove"}]
    # 2 pods: Master 1 + Worker 1, both paths
    raw["jobs"]["jobs"][0]["replicas"] = 2
    op = next(d for d in J.plan_jobs(load(raw)).objects(MEMBER) if d["kind"] == "OverridePolicy")
    assert [o["path"] for o in op["spec"]["overrideRules"][0]["overriders"]["plaintext"]] == [
        "/spec/pytorchReplicaSpecs/Master/template/spec/affinity", "/spec/pytorchReplicaSpecs/Worker/template/spec/affinity"]


def test_a_tfjob_fails_over_by_its_own_replica_paths():
    raw = stack_raw("prod")
    raw["jobs"]["jobs"][0]["kind"] = "TFJob"
    docs = J.plan_jobs(load(raw)).objects(MEMBER)
    op = next(d for d in docs if d["kind"] == "OverridePolicy")
    assert op["spec"]["resourceSelectors"] == [sel("kubeflow.org/v1", "TFJob", "llm-finetune")]
    assert [o["path"] for o in op["spec"]["overrideRules"][0]["overriders"]["plaintext"]] == [
        "/spec/tfReplicaSpecs/Chief/template/spec/affinity", "/spec/tfReplicaSpecs/Worker/template/spec/affinity"]


SPARK = {"type": "Python", "sparkVersion": "3.5.3", "mainApplicationFile": "local:///opt/spark/work-dir/embed.py", "memoryOverheadMib": 4096}


def test_a_spark_application_whole():
    # embed-corpus as a SparkApplication: 1 driver + 7 executors, 8 cores each, 32Gi = 32768 MiB per pod of
    # which 4096 MiB overhead and 28672 MiB heap; the GPU on the executors; a main class and arguments.
    raw = stack_raw("prod")
    raw["jobs"]["sparkOperator"] = {"version": "v2.5.2"}
    raw["jobs"]["jobs"][1].update(kind="SparkApplication", gang=False, spark={**SPARK, "type": "Scala", "mainClass": "org.example.Embed"})
    docs = J.plan_jobs(load(raw)).objects(MEMBER)
    app = next(d for d in docs if d["kind"] == "SparkApplication")

    def spark_pod(**extra):
        return {"cores": 8, "coreLimit": "8", "memory": "28672m", "memoryOverhead": "4096m",
                "labels": {"app.kubernetes.io/name": "embed-corpus"},
                "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": ELASTIC}},
                "podSecurityContext": {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
                "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
                "priorityClassName": "ai-batch", **extra}

    assert app == {"apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication", "metadata": meta("embed-corpus", "data"),
                   "spec": {"type": "Scala", "mode": "cluster", "image": EMBED_IMAGE, "imagePullPolicy": "Always", "sparkVersion": "3.5.3",
                            "mainApplicationFile": "local:///opt/spark/work-dir/embed.py", "mainClass": "org.example.Embed",
                            "arguments": ["python", "embed.py"],
                            "restartPolicy": {"type": "OnFailure", "onFailureRetries": 3, "onSubmissionFailureRetries": 3},
                            "driver": spark_pod(serviceAccount="embed-corpus-spark"),
                            "executor": spark_pod(instances=7, gpu={"name": "nvidia.com/gpu", "quantity": 1})}}
    sa = "embed-corpus-spark"
    rules = [{"apiGroups": [""], "resources": ["pods", "configmaps", "persistentvolumeclaims", "services"],
              "verbs": ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"]}]
    i = docs.index(app)
    assert docs[i + 1:i + 5] == [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta(sa, "data")},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": meta(sa, "data"), "rules": rules},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": meta(sa, "data"),
         "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": "data"}],
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": sa}},
        job_policy("embed-corpus", "data")]
    pp = next(d for d in docs if d["kind"] == "PropagationPolicy" and d["metadata"]["name"] == "embed-corpus")
    assert pp["spec"]["resourceSelectors"] == [
        sel("sparkoperator.k8s.io/v1beta2", "SparkApplication", "embed-corpus"), sel("v1", "ServiceAccount", sa),
        sel("rbac.authorization.k8s.io/v1", "Role", sa), sel("rbac.authorization.k8s.io/v1", "RoleBinding", sa),
        sel("networking.k8s.io/v1", "NetworkPolicy", "embed-corpus")]
    # not a gang, no Divided replicas (the operator makes the executors), still one member
    assert pp["spec"]["placement"] == {"clusterAffinity": {"clusterNames": [MEMBER]}, "spreadConstraints": ONE_MEMBER}
    assert "customSchedulingType" not in pp["spec"]


def test_a_spark_application_without_gpus_main_class_arguments_or_class():
    raw = stack_raw("prod")
    raw["jobs"]["sparkOperator"] = {"version": "v2.5.2"}
    job = raw["jobs"]["jobs"][1]
    job.update(kind="SparkApplication", gang=False, spark=dict(SPARK), request={"cpu": "4", "memory": "16Gi"})
    del job["command"], job["priorityClass"]
    app = next(d for d in J.plan_jobs(load(raw)).objects(MEMBER) if d["kind"] == "SparkApplication")
    spec = app["spec"]
    assert "mainClass" not in spec and "arguments" not in spec
    assert "gpu" not in spec["executor"] and "priorityClassName" not in spec["executor"]
    # 16Gi = 16384 MiB: 4096 overhead, 12288 heap; 4 cores
    assert (spec["driver"]["cores"], spec["driver"]["memory"], spec["driver"]["memoryOverhead"]) == (4, "12288m", "4096m")


def test_a_podgroup_of_fractional_memory_and_cpu_per_pod():
    # 3 pods of 1500m CPU and 1.5Gi: 4500m CPU; 3 x 1610612736 bytes = 4831838208 bytes exactly; 3 GPUs.
    raw = stack_raw("prod")
    job = raw["jobs"]["jobs"][1]
    job.update(replicas=3, request={"cpu": "1500m", "memory": "1536Mi", "nvidia.com/gpu": 1})
    pg = next(d for d in J.plan_jobs(load(raw)).objects(MEMBER) if d["kind"] == "PodGroup")
    assert pg["spec"]["minResources"] == {"cpu": "4500m", "memory": "4831838208", "nvidia.com/gpu": "3"}
    # 3 pods of 333m: 999m, not rounded to whole cores
    job["request"]["cpu"] = "333m"
    pg = next(d for d in J.plan_jobs(load(raw)).objects(MEMBER) if d["kind"] == "PodGroup")
    assert pg["spec"]["minResources"]["cpu"] == "999m"


def test_a_service_without_a_class():
    raw = stack_raw("prod")
    del raw["jobs"]["services"][0]["priorityClass"]
    docs = J.plan_jobs(load(raw)).objects(MEMBER)
    dep = next(d for d in docs if d["kind"] == "Deployment")
    assert "priorityClassName" not in dep["spec"]["template"]["spec"]
    pp = next(d for d in docs if d["kind"] == "PropagationPolicy" and d["metadata"]["name"] == "llm-serve")
    assert "schedulePriority" not in pp["spec"]


def test_a_service_without_cron_or_autoscaling():
    raw = stack_raw("prod")
    del raw["jobs"]["services"][0]["autoscaling"]["cron"]
    docs = J.plan_jobs(load(raw)).objects(MEMBER)
    assert [d["kind"] for d in docs[-2:]] == ["PropagationPolicy", "FederatedHPA"]
    del raw["jobs"]["services"][0]["autoscaling"]
    raw["jobs"]["services"][0]["replicas"] = 4
    docs = J.plan_jobs(load(raw)).objects(MEMBER)
    assert docs[-1]["kind"] == "PropagationPolicy" and docs[-1]["metadata"]["name"] == "llm-serve"


# --- tiers ---------------------------------------------------------------------------

def test_the_tiers_a_gang_may_use_in_order_with_their_node_affinity():
    # prod: the IDC idc-bj, then the regions with fixed GPU pools (cn-beijing: a10-train, a100-burst;
    # cn-hangzhou: t4-infer; cn-zhangjiakou: a10-overflow), then cn-beijing's elastic pool; no Serverless,
    # no other Fleet member.
    got = [(t.name, t.tier, t.affinity) for t in J.tiers(load(stack_raw("prod")))]

    def pools(*names):
        return {"nodeSelectorTerms": [{"matchExpressions": [{"key": "hybrid.example.com/gpu-pool", "operator": "In", "values": list(names)}]}]}

    assert got == [("idc-bj", 0, IDC), ("cn-beijing", 1, pools("a10-train", "a100-burst")), ("cn-hangzhou", 1, pools("t4-infer")),
                   ("cn-zhangjiakou", 1, pools("a10-overflow")), ("cn-beijing-elastic", 2, ELASTIC)]


def test_each_tiers_whole_size_for_one_embedding_pod():
    # {8 CPU, 32Gi, 1 GPU}: the IDC's allocatable holds 320 (GPU-bound: 5120/8 = 640 CPU, 40Ti/32Gi = 1280);
    # cn-beijing 4 x 1-A10 + 2 x 4-A100 nodes, cn-hangzhou 4 x T4, cn-zhangjiakou 2 x A10, cn-beijing-elastic at
    # maxSize 8 single-A10 nodes.
    from hybrid.placement_capacity import normalise_request

    req = normalise_request({"cpu": "8", "memory": "32Gi", "nvidia.com/gpu": 1})
    got = {t.name: t.whole.replicas_for(req) for t in J.tiers(load(stack_raw("prod")))}
    assert got == {"idc-bj": 320, "cn-beijing": 12, "cn-hangzhou": 4, "cn-zhangjiakou": 2, "cn-beijing-elastic": 8}


def test_an_idc_without_reported_capacity_holds_no_gang():
    raw = stack_raw("prod")
    del raw["placement"]["idcCapacity"]
    p = model_load(raw)  # the model alone: the jobs' check would refuse prod's gangs, which no tier holds now
    (idc, *_rest) = J.tiers(p)
    assert idc.name == "idc-bj" and idc.whole.replicas_for({"nvidia.com/gpu": 1}) == 0
    # guaranteed GPUs: the fixed pools only (4x1 + 2x4 + 4x1 + 2x1 = 18)
    assert J.guaranteed_gpus(p) == 18


def test_a_job_takes_the_first_tier_that_holds_it_or_the_named_one():
    p = load(stack_raw("prod"))
    pre, embed = p.jobs.jobs[2], p.jobs.jobs[1]
    assert J.host_tier(p, pre).name == "idc-bj"
    assert J.host_tier(p, embed).name == "cn-beijing-elastic"  # named
    # 8 one-GPU pods without a named tier: the IDC first
    assert J.host_tier(p, embed.model_copy(update={"tier": None})).name == "idc-bj"
    # exactly the tier's size fits (cn-hangzhou: 4 T4 nodes), one more does not
    assert J.host_tier(p, embed.model_copy(update={"tier": "cn-hangzhou", "replicas": 4})).name == "cn-hangzhou"
    assert J.host_tier(p, embed.model_copy(update={"tier": "cn-hangzhou", "replicas": 5})) is None


def test_gpus_of_a_request():
    assert J.gpus({"nvidia.com/gpu": 8, "cpu": "1"}) == 8
    assert J.gpus({"nvidia.com/gpu": "2"}) == 2
    assert J.gpus({"cpu": "64"}) == 0


# --- the jobs table (stack output `jobs`) ---------------------------------------------

def test_prods_jobs_table():
    rows = J.plan_jobs(load(stack_raw("prod"))).table()
    assert rows == [
        {"workload": "llm-research/llm-finetune", "kind": "PyTorchJob", "tier": "idc-bj",
         "gang": "operator's PodGroup of 4 pods in tier idc-bj + one Fleet cluster", "queue/quota": "llm-research max 160 GPU",
         "priority": "ai-training", "failover": "Directly after 60s to ack-wlcb-train", "autoscaling": "-"},
        {"workload": "data/embed-corpus", "kind": "Job", "tier": "cn-beijing-elastic",
         "gang": "PodGroup of 8 pods in tier cn-beijing-elastic + one Fleet cluster", "queue/quota": "data max 32 GPU",
         "priority": "ai-batch", "failover": "none (Job: no health interpreter)", "autoscaling": "-"},
        {"workload": "llm-research/llm-pretrain", "kind": "PyTorchJob", "tier": "idc-bj",
         "gang": "operator's PodGroup of 48 pods in tier idc-bj + one Fleet cluster", "queue/quota": "llm-research max 160 GPU",
         "priority": "ai-training", "failover": "none", "autoscaling": "-"},
        {"workload": "inference/llm-serve", "kind": "Deployment", "gang": "none", "queue/quota": "inference max 96 GPU",
         "priority": "ai-inference-online", "failover": "Gracefully after 120s",
         "autoscaling": "FederatedHPA 2..16 on DCGM_FI_DEV_GPU_UTIL (prometheus-adapter), vllm:num_requests_waiting (prometheus-adapter); "
                        "CronFederatedHPA weekday-peak, night"},
    ]


def test_jobs_table_without_gang_fleet_queue_or_autoscaling():
    raw = _without_fleet()
    raw["jobs"]["jobs"][0]["gang"] = False
    raw["jobs"]["jobs"][1]["failover"] = None
    raw["jobs"]["services"][0].pop("priorityClass")
    rows = J.plan_jobs(load(raw)).table()
    assert [r["gang"] for r in rows] == ["none", "PodGroup of 8 pods in tier cn-beijing-elastic",
                                         "operator's PodGroup of 48 pods in tier idc-bj", "none"]
    assert rows[0]["failover"] == "none"
    assert (rows[3]["failover"], rows[3]["autoscaling"], rows[3]["priority"]) == ("none", "-", "-")


def test_jobs_table_of_a_queued_spark_application_without_a_class():
    raw = stack_raw("prod")
    raw["jobs"]["sparkOperator"] = {"version": "v2.5.2"}
    raw["jobs"]["jobs"][1].update(kind="SparkApplication", gang=False, spark=dict(SPARK), queued=True)
    del raw["jobs"]["jobs"][1]["priorityClass"]
    del raw["jobs"]["services"][0]["autoscaling"]["cron"]
    rows = J.plan_jobs(load(raw)).table()
    assert rows[1] == {"workload": "data/embed-corpus", "kind": "SparkApplication", "tier": "cn-beijing-elastic",
                       "gang": "none (spark-operator holds the driver only)",
                       "queue/quota": "Kube Queue (suspension.scheduling); data max 32 GPU", "priority": "-", "failover": "none",
                       "autoscaling": "-"}
    assert rows[3]["autoscaling"] == ("FederatedHPA 2..16 on DCGM_FI_DEV_GPU_UTIL (prometheus-adapter), "
                                      "vllm:num_requests_waiting (prometheus-adapter)")


def test_a_stack_without_jobs_has_no_rows_and_no_objects():
    plan = J.plan_jobs(load(stack_raw("dev")))
    assert plan.table() == [] and plan.objects(MEMBER) == [] and plan.jobs == []


def test_a_job_failing_over_to_two_members_names_both_in_order():
    # ack-sh-infer (clusterId c5e7...) declared as a failover member too, with the training-operator and
    # the gang scheduler, 4 nodes of 8 GPUs like ack-wlcb-train: llm-finetune's 4 pods fit on either.
    sh = "c5e7a9b1d3f5a7c9e1b3d5f7a9c1e3b5d"
    raw = stack_raw("prod")
    raw["jobs"]["failoverMembers"].append({**raw["jobs"]["failoverMembers"][0], "member": "ack-sh-infer"})
    raw["jobs"]["jobs"][0]["failover"]["to"] = ["ack-wlcb-train", "ack-sh-infer"]
    plan = J.plan_jobs(load(raw))
    assert plan.table()[0]["failover"] == "Directly after 60s to ack-wlcb-train, ack-sh-infer"
    docs = plan.objects(MEMBER)
    pp = next(d for d in docs if d["kind"] == "PropagationPolicy" and d["metadata"]["name"] == "llm-finetune")
    assert pp["spec"]["placement"]["clusterAffinities"][1] == {"affinityName": "failover", "clusterNames": [WLCB, sh]}
    op = next(d for d in docs if d["kind"] == "OverridePolicy")
    assert op["spec"]["overrideRules"][0]["targetCluster"] == {"clusterNames": [WLCB, sh]}
    cpp = next(d for d in docs if d["kind"] == "ClusterPropagationPolicy")
    assert cpp["spec"]["placement"]["clusterAffinity"]["clusterNames"] == [MEMBER, sh, WLCB]  # the others sorted


def test_a_tiers_pools_are_named_in_name_order_whatever_the_config_order():
    # The affinity's values are a set to the scheduler; in name order the rendered object does not change
    # when pools are reordered in the stack.
    raw = stack_raw("prod")
    beijing = raw["regions"][0]
    assert [p["name"] for p in beijing["gpuPools"]] == ["a10-train", "a100-burst"]
    beijing["gpuPools"].reverse()
    (tier,) = [t for t in J.tiers(model_load(raw)) if t.name == "cn-beijing"]
    assert tier.affinity["nodeSelectorTerms"][0]["matchExpressions"][0]["values"] == ["a10-train", "a100-burst"]


def test_a_class_without_a_description_has_none():
    raw = stack_raw("prod")
    del raw["jobs"]["priorityClasses"][1]["description"]  # ai-training
    docs = J.plan_jobs(load(raw)).objects(MEMBER)
    pc = next(d for d in docs if d["kind"] == "PriorityClass" and d["metadata"]["name"] == "ai-training")
    assert pc == {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": meta("ai-training"), "value": 100000,
                  "preemptionPolicy": "PreemptLowerPriority", "globalDefault": False}
