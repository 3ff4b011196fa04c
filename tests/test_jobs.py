"""AI jobs (hybrid/jobs.py): every object against its upstream schema, gang and capacity, tenants'
quotas, priorities, failover and autoscaling, and the bad inputs the issue names.

Schemas (stored unmodified, see each README): kubeflow/training-operator@v1.8.1 (PyTorchJob),
kubernetes-sigs/scheduler-plugins@v0.28.9 (PodGroup), karmada-io/karmada@v1.18.2 (policies, quotas,
autoscalers); built-in kinds through kubernetes-validate at the IDC's Kubernetes minor.
"""

from __future__ import annotations

import copy

import pytest
import yaml

from hybrid import jobs as J
from hybrid.errors import ConfigError
from hybrid.stack import load_platform as load  # the model, then the jobs' checks (hybrid/stack.py)
from tests.conftest import ROOT, spark_raw, stack_raw
from tests.k8s_validate import crd_validator

DATA = ROOT / "tests" / "data"
CRDS = {
    ("kubeflow.org/v1", "PyTorchJob"): DATA / "kubeflow-training-operator-v1.8.1" / "kubeflow.org_pytorchjobs.yaml",
    ("kubeflow.org/v1", "TFJob"): DATA / "kubeflow-training-operator-v1.8.1" / "kubeflow.org_tfjobs.yaml",
    ("sparkoperator.k8s.io/v1beta2", "SparkApplication"): DATA / "spark-operator-v2.5.2" / "sparkoperator.k8s.io_sparkapplications.yaml",
    ("scheduling.x-k8s.io/v1alpha1", "PodGroup"): DATA / "scheduler-plugins-v0.28.9" / "scheduling.x-k8s.io_podgroups.yaml",
    ("policy.karmada.io/v1alpha1", "PropagationPolicy"): DATA / "karmada-v1.18.2" / "policy.karmada.io_propagationpolicies.yaml",
    ("policy.karmada.io/v1alpha1", "ClusterPropagationPolicy"): DATA / "karmada-v1.18.2" / "policy.karmada.io_clusterpropagationpolicies.yaml",
    ("policy.karmada.io/v1alpha1", "OverridePolicy"): DATA / "karmada-v1.18.2" / "policy.karmada.io_overridepolicies.yaml",
    ("policy.karmada.io/v1alpha1", "FederatedResourceQuota"): DATA / "karmada-v1.18.2" / "policy.karmada.io_federatedresourcequotas.yaml",
    ("autoscaling.karmada.io/v1alpha1", "FederatedHPA"): DATA / "karmada-v1.18.2" / "autoscaling.karmada.io_federatedhpas.yaml",
    ("autoscaling.karmada.io/v1alpha1", "CronFederatedHPA"): DATA / "karmada-v1.18.2" / "autoscaling.karmada.io_cronfederatedhpas.yaml",
}
MEMBER = "c0123456789abcdef0123456789abcdef"


# ACK One Fleet's policy group: Karmada's kinds ("based on the open source Karmada project and compatible
# with the Karmada API", Alibaba's application-distribution page) plus the fields its pages add: for
# jobs the gang and queue fields (hybrid/unconfirmed.py jobs.ackPolicyFields), for placement
# autoScaling.ecsProvision (tests/test_fleet.py). Those are checked by their own tests; the rest of an
# ACK object must be a valid Karmada object.
ACK_API = "policy.one.alibabacloud.com/v1alpha1"


def _as_karmada(doc: dict) -> dict:
    spec = copy.deepcopy(doc.get("spec", {}))
    spec.pop("customSchedulingType", None)
    spec.pop("autoScaling", None)
    if isinstance(spec.get("suspension"), dict):
        spec["suspension"].pop("scheduling", None)
        if not spec["suspension"]:
            spec.pop("suspension")
    return {**doc, "apiVersion": "policy.karmada.io/v1alpha1", "spec": spec}


def schema_errors(doc: dict) -> list[str]:
    if doc["apiVersion"] == ACK_API:
        doc = _as_karmada(doc)
    v = crd_validator(CRDS[(doc["apiVersion"], doc["kind"])], doc["apiVersion"], doc["kind"])
    return [f"{list(e.absolute_path)}: {e.message}" for e in v.iter_errors(doc)]


def _custom(doc: dict) -> bool:
    return (doc["apiVersion"], doc["kind"]) in CRDS or doc["apiVersion"] == ACK_API


def builtin_errors(doc: dict, k8s_version: str) -> list[str]:
    import kubernetes_validate as kv

    try:
        kv.validate(doc, k8s_version, strict=True)
    except kv.ValidationError as e:
        return [f"{list(e.path)}: {e.message}"]
    return []


def prod():
    return load(stack_raw("prod"))


def issues(raw) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load(raw)
    return [i.render() for i in err.value.issues]


def test_every_prod_object_is_valid_against_its_schema():
    p = prod()
    docs = J.plan_jobs(p).objects(MEMBER)
    minor = ".".join(p.idc.kubernetes_version.split(".")[:2])
    kinds = set()
    for doc in docs:
        kinds.add(doc["kind"])
        errs = schema_errors(doc) if _custom(doc) else builtin_errors(doc, minor)
        assert errs == [], (doc["kind"], doc["metadata"]["name"], errs)
    # One training job, one batch job, one inference service, each with what it needs.
    assert kinds == {"PriorityClass", "ClusterPropagationPolicy", "FederatedResourceQuota", "PyTorchJob", "PodGroup", "Job",
                     "Deployment", "Service", "NetworkPolicy", "PropagationPolicy", "OverridePolicy", "FederatedHPA", "CronFederatedHPA"}


def test_the_plans_recorded_objects_are_valid_against_their_crds(tmp_path):
    """Record, don't recompute: the manifests the prod plan wrote from what the program declared."""
    from hybrid_tools import plan

    _, platform, run, _ = plan.build_plan("prod", root=ROOT)
    out, _ = plan.write_plan("prod", tmp_path, platform, run)
    seen = {}
    for f in sorted((out / "manifests").rglob("*.yaml")):
        doc = yaml.safe_load(f.read_text())
        if _custom(doc):
            assert schema_errors(doc) == [], (f.name, schema_errors(doc))
            seen[doc["kind"]] = seen.get(doc["kind"], 0) + 1
    # Declared on the Fleet, after the hybrid cluster's membership that the policies name.
    jobs = [r for r in run.registrations.values() if r.parent.endswith("hybrid:jobs:AiJobs::jobs")]
    assert jobs and all(r.provider.split("::")[-2] == "fleet" for r in jobs)  # <provider urn>::<id>
    assert all(any(d.endswith("MembershipAttachment::ack-fleet-member") for d in r.dependencies) for r in jobs)
    # The jobs' objects and the placement's own Karmada objects, all checked.
    assert {"PyTorchJob", "PodGroup", "FederatedResourceQuota", "CronFederatedHPA"} <= set(seen)
    assert seen["FederatedResourceQuota"] == 3


def test_the_schema_check_catches_a_misspelt_field():
    doc = next(d for d in J.plan_jobs(prod()).objects(MEMBER) if d["kind"] == "PyTorchJob")
    bad = copy.deepcopy(doc)
    bad["spec"]["runPolicy"]["schedulingPolicy"]["minMember"] = 4  # PodGroup's name, not the operator's
    assert schema_errors(bad)
    pp = next(d for d in J.plan_jobs(prod()).objects(MEMBER) if d["kind"] == "PropagationPolicy" and d["metadata"]["name"] == "embed-corpus")
    bad = copy.deepcopy(pp)
    bad["spec"]["placement"]["clusterAfinity"] = bad["spec"]["placement"].pop("clusterAffinity")  # misspelt: an apiserver would drop it
    assert schema_errors(bad)


def test_pytorchjob_is_one_master_plus_workers_gang_of_all_pods():
    # 4 pods of 8 GPUs: Master 1 + Worker 3; the operator's PodGroup needs all 4 (minAvailable).
    doc = next(d for d in J.plan_jobs(prod()).objects(MEMBER) if d["kind"] == "PyTorchJob")
    specs = doc["spec"]["pytorchReplicaSpecs"]
    assert (specs["Master"]["replicas"], specs["Worker"]["replicas"]) == (1, 3)
    assert doc["spec"]["runPolicy"]["schedulingPolicy"]["minAvailable"] == 4
    pod = specs["Worker"]["template"]["spec"]
    assert pod["containers"][0]["name"] == "pytorch"
    assert pod["schedulerName"] == "scheduler-plugins-scheduler"
    assert pod["priorityClassName"] == "ai-training"
    # Kept on the IDC's own nodes: not the cloud-node label (alibabacloud.com/external=true in prod).
    (term,) = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert term["matchExpressions"] == [{"key": "alibabacloud.com/external", "operator": "NotIn", "values": ["true"]}]


def test_prods_pretraining_run_is_one_gang_of_48_in_the_idc():
    # 48 pods of {24 CPU, 160Gi, 1 GPU} = 48 GPUs, 1152 CPU, 7.5Ti: inside the IDC's allocatable
    # 320 GPUs / 5120 CPU / 40Ti, so the first tier in order (the IDC) holds it whole. Nothing of it is
    # left in placement.workloads, which Karmada would divide over members.
    p = prod()
    assert "llm-pretrain" not in {w.name for w in p.placement.workloads}
    docs = J.plan_jobs(p).objects(MEMBER)
    (job,) = [d for d in docs if d["kind"] == "PyTorchJob" and d["metadata"]["name"] == "llm-pretrain"]
    specs = job["spec"]["pytorchReplicaSpecs"]
    assert (specs["Master"]["replicas"], specs["Worker"]["replicas"]) == (1, 47)
    assert job["spec"]["runPolicy"]["schedulingPolicy"] == {"minAvailable": 48, "scheduleTimeoutSeconds": 1800, "priorityClass": "ai-training"}
    (term,) = specs["Worker"]["template"]["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert term["matchExpressions"] == [{"key": "alibabacloud.com/external", "operator": "NotIn", "values": ["true"]}]
    pp = next(d for d in docs if d["kind"] == "PropagationPolicy" and d["metadata"]["name"] == "llm-pretrain")
    assert pp["spec"]["placement"]["clusterAffinity"]["clusterNames"] == [MEMBER]
    assert pp["spec"]["placement"]["spreadConstraints"] == [{"spreadByField": "cluster", "maxGroups": 1, "minGroups": 1}]
    assert "replicaScheduling" not in pp["spec"]["placement"]


def test_tfjob_is_one_chief_plus_workers_valid_against_its_crd():
    # kubeflow/training-operator@v1.8.1 tensorflow_types.go: replica types Chief / Worker, container
    # "tensorflow"; the same runPolicy (and so the same operator-made PodGroup) as a PyTorchJob.
    raw = stack_raw("prod")
    raw["jobs"]["jobs"][0]["kind"] = "TFJob"
    p = load(raw)
    docs = J.plan_jobs(p).objects(MEMBER)
    (tf,) = [d for d in docs if d["kind"] == "TFJob"]
    assert tf["apiVersion"] == "kubeflow.org/v1" and schema_errors(tf) == []
    specs = tf["spec"]["tfReplicaSpecs"]
    assert (specs["Chief"]["replicas"], specs["Worker"]["replicas"]) == (1, 3)
    assert specs["Chief"]["template"]["spec"]["containers"][0]["name"] == "tensorflow"
    assert tf["spec"]["runPolicy"]["schedulingPolicy"]["minAvailable"] == 4
    pp = next(d for d in docs if d["kind"] == "PropagationPolicy" and d["metadata"]["name"] == "llm-finetune")
    assert {"apiVersion": "kubeflow.org/v1", "kind": "TFJob", "name": "llm-finetune"} in pp["spec"]["resourceSelectors"]
    assert schema_errors(pp) == []
    bad = copy.deepcopy(tf)
    bad["spec"]["tfReplicaSpecs"]["Chief"]["template"]["spec"]["containers"][0]["imagePullPolice"] = "Always"  # misspelt
    assert schema_errors(bad)
    del raw["jobs"]["trainingOperator"]
    assert any(i.startswith("jobs.jobs[0].kind: a TFJob needs the Kubeflow training-operator") for i in issues(raw))




def test_spark_application_driver_and_executors_in_one_tier_valid_against_its_crd():
    docs = J.plan_jobs(load(spark_raw())).objects(MEMBER)
    minor = ".".join(prod().idc.kubernetes_version.split(".")[:2])
    (app,) = [d for d in docs if d["kind"] == "SparkApplication"]
    assert app["apiVersion"] == "sparkoperator.k8s.io/v1beta2" and schema_errors(app) == []
    spec = app["spec"]
    assert spec["executor"]["instances"] == 7
    # 32Gi = 32768 MiB per pod: 4096 MiB off-heap (memoryOverhead), the JVM heap the rest; whole cores.
    assert (spec["executor"]["memory"], spec["executor"]["memoryOverhead"], spec["executor"]["cores"]) == ("28672m", "4096m", 8)
    assert spec["executor"]["gpu"] == {"name": "nvidia.com/gpu", "quantity": 1} and "gpu" not in spec["driver"]
    (term,) = spec["executor"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert term["matchExpressions"] == [{"key": "hybrid.example.com/gpu-pool", "operator": "In", "values": ["a10-elastic"]}]
    assert "batchScheduler" not in spec  # not a gang (docs/jobs.md)
    # The driver's account may manage its executors (the chart's spark Role).
    rb = next(d for d in docs if d["kind"] == "RoleBinding")
    assert spec["driver"]["serviceAccount"] == rb["subjects"][0]["name"] == rb["roleRef"]["name"] == "embed-corpus-spark"
    role = next(d for d in docs if d["kind"] == "Role")
    assert {"pods", "services", "configmaps"} <= set(role["rules"][0]["resources"]) and "create" in role["rules"][0]["verbs"]
    for d in docs:
        if d["kind"] in ("ServiceAccount", "Role", "RoleBinding"):
            assert builtin_errors(d, minor) == [], d
    pp = next(d for d in docs if d["kind"] == "PropagationPolicy" and d["metadata"]["name"] == "embed-corpus")
    assert {s["kind"] for s in pp["spec"]["resourceSelectors"]} == {"SparkApplication", "ServiceAccount", "Role", "RoleBinding", "NetworkPolicy"}
    assert pp["spec"]["placement"]["spreadConstraints"] == [{"spreadByField": "cluster", "maxGroups": 1, "minGroups": 1}]
    assert schema_errors(pp) == []
    bad = copy.deepcopy(app)
    bad["spec"]["executor"]["instance"] = bad["spec"]["executor"].pop("instances")  # misspelt
    assert schema_errors(bad)


def test_a_failed_spark_application_fails_over_without_the_tier_affinity():
    # Karmada v1.18.2: a SparkApplication is unhealthy once applicationState.state is FAILED.
    raw = spark_raw()
    raw["jobs"]["jobs"][1]["failover"] = {"to": ["ack-wlcb-train"]}
    assert issues(raw) == ["jobs.jobs[1].failover.to[0]: ack-wlcb-train runs no spark-operator (jobs.failoverMembers: training-operator), "
                           "so the SparkApplication would never run there. Fix: install spark-operator in ack-wlcb-train and list it, or fail over to another member."]
    raw["jobs"]["failoverMembers"][0]["operators"] = ["training-operator", "spark-operator"]
    docs = J.plan_jobs(load(raw)).objects(MEMBER)
    op = next(d for d in docs if d["kind"] == "OverridePolicy" and d["metadata"]["name"] == "embed-corpus")
    assert schema_errors(op) == []
    assert op["spec"]["resourceSelectors"] == [{"apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication", "name": "embed-corpus"}]
    assert [o["path"] for o in op["spec"]["overrideRules"][0]["overriders"]["plaintext"]] == ["/spec/driver/affinity", "/spec/executor/affinity"]


def test_spark_application_refusals():
    raw = spark_raw()
    raw["jobs"]["jobs"][1]["gang"] = True
    (line,) = issues(raw)
    assert line.startswith("jobs.jobs[1].gang: a SparkApplication cannot be a gang") and "minMember 1" in line
    raw = spark_raw()
    del raw["jobs"]["sparkOperator"]
    (line,) = issues(raw)
    assert line.startswith("jobs.jobs[1].kind: a SparkApplication needs kubeflow's spark-operator")
    raw = spark_raw()
    raw["jobs"]["jobs"][1]["request"]["cpu"] = "7500m"
    (line,) = issues(raw)
    assert line.startswith("jobs.jobs[1].request.cpu: 7500m is not a whole number of cores")
    raw = spark_raw()
    raw["jobs"]["jobs"][1]["spark"]["memoryOverheadMib"] = 32768  # = the whole 32Gi: no heap left
    (line,) = issues(raw)
    assert line.startswith("jobs.jobs[1].request.memory: 32Gi leaves no JVM heap")
    raw = spark_raw()
    raw["jobs"]["jobs"][1]["replicas"] = 1
    assert issues(raw)[0].startswith("jobs.jobs[1]: a SparkApplication needs a driver and at least one executor")


def test_batch_job_gang_podgroup_and_tier():
    docs = J.plan_jobs(prod()).objects(MEMBER)
    job = next(d for d in docs if d["kind"] == "Job")
    pg = next(d for d in docs if d["kind"] == "PodGroup")
    # 8 pods of {8 CPU, 32Gi, 1 GPU}: the PodGroup wants all 8 and their sum; pods carry its label.
    assert pg["spec"]["minMember"] == 8
    assert pg["spec"]["minResources"] == {"cpu": "64", "memory": str(256 * 2**30), "nvidia.com/gpu": "8"}
    assert job["spec"]["template"]["metadata"]["labels"]["scheduling.x-k8s.io/pod-group"] == pg["metadata"]["name"]
    assert job["spec"]["parallelism"] == job["spec"]["completions"] == 8
    # Pinned to the elastic pool's nodes (the pool label the join script sets).
    (term,) = job["spec"]["template"]["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert term["matchExpressions"] == [{"key": "hybrid.example.com/gpu-pool", "operator": "In", "values": ["a10-elastic"]}]
    pp = next(d for d in docs if d["kind"] == "PropagationPolicy" and d["metadata"]["name"] == job["metadata"]["name"])
    assert {s["kind"] for s in pp["spec"]["resourceSelectors"]} == {"Job", "PodGroup", "NetworkPolicy"}
    assert pp["spec"]["placement"]["spreadConstraints"] == [{"spreadByField": "cluster", "maxGroups": 1, "minGroups": 1}]
    assert pp["spec"]["placement"]["clusterAffinity"]["clusterNames"] == [MEMBER]


def test_pods_run_hardened_with_guaranteed_resources():
    docs = J.plan_jobs(prod()).objects(MEMBER)
    job = next(d for d in docs if d["kind"] == "Job")
    pod = job["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    assert c["resources"]["limits"] == c["resources"]["requests"] == {"cpu": "8", "memory": "32Gi", "nvidia.com/gpu": 1}
    assert pod["securityContext"]["runAsNonRoot"] is True and c["securityContext"]["readOnlyRootFilesystem"] is True
    # /dev/shm on memory: the container runtime's default is 64 MiB, too small for PyTorch DataLoader workers.
    assert {"name": "dshm", "emptyDir": {"medium": "Memory"}} in pod["volumes"]
    # A job's pods accept traffic only from each other.
    np = next(d for d in docs if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == "embed-corpus")
    assert np["spec"]["ingress"] == [{"from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "embed-corpus"}}}]}]


def test_an_image_without_a_digest_is_refused():
    raw = stack_raw("prod")
    raw["jobs"]["jobs"][0]["image"] = "registry-vpc.cn-beijing.aliyuncs.com/ml-platform/llm-train:latest"
    (line,) = issues(raw)
    assert line.startswith("jobs.jobs[0].image: 'registry-vpc.cn-beijing.aliyuncs.com/ml-platform/llm-train:latest' is not an image reference pinned by digest.")


def test_priority_classes_say_who_preempts():
    docs = {d["metadata"]["name"]: d for d in J.plan_jobs(prod()).objects(MEMBER) if d["kind"] == "PriorityClass"}
    assert docs["ai-batch"]["preemptionPolicy"] == "Never"
    assert docs["ai-training"]["preemptionPolicy"] == "PreemptLowerPriority"
    assert docs["ai-inference-online"]["value"] > docs["ai-training"]["value"] > docs["ai-batch"]["value"]


WLCB = "c6f8b0c2e4a6b8d0f2c4e6a8b0d2f4a6c"  # prod registration.fleet.members.ack-wlcb-train.clusterId


def test_a_failed_training_job_is_rescheduled_to_another_member():
    # Karmada v1.18.2: PyTorchJob health = no Failed condition (thirdparty customization); the application
    # failover controller acts only with propagateDeps true; after eviction the ClusterEviction filter rules
    # the hybrid cluster out and the next affinity group (ack-wlcb-train) takes the job.
    docs = J.plan_jobs(prod()).objects(MEMBER)
    pp = next(d for d in docs if d["kind"] == "PropagationPolicy" and d["metadata"]["name"] == "llm-finetune")
    assert pp["spec"]["placement"]["clusterAffinities"] == [{"affinityName": "hybrid", "clusterNames": [MEMBER]},
                                                            {"affinityName": "failover", "clusterNames": [WLCB]}]
    assert "clusterAffinity" not in pp["spec"]["placement"]
    assert pp["spec"]["failover"] == {"application": {"decisionConditions": {"tolerationSeconds": 60}, "purgeMode": "Directly"}}
    assert pp["spec"]["propagateDeps"] is True
    # On ack-wlcb-train the pods lose the IDC tier's node affinity (a label of the hybrid cluster's nodes).
    (op,) = [d for d in docs if d["kind"] == "OverridePolicy"]
    assert schema_errors(op) == []
    (rule,) = op["spec"]["overrideRules"]
    assert rule["targetCluster"] == {"clusterNames": [WLCB]}
    assert rule["overriders"]["plaintext"] == [
        {"path": "/spec/pytorchReplicaSpecs/Master/template/spec/affinity", "operator": "remove"},
        {"path": "/spec/pytorchReplicaSpecs/Worker/template/spec/affinity", "operator": "remove"}]
    job = next(d for d in docs if d["kind"] == "PyTorchJob" and d["metadata"]["name"] == "llm-finetune")
    for role in ("Master", "Worker"):  # the paths exist in the template
        assert "affinity" in job["spec"]["pytorchReplicaSpecs"][role]["template"]["spec"]
    # The priority classes reach the failover member too (its admission needs the pods' class).
    cpp = next(d for d in docs if d["kind"] == "ClusterPropagationPolicy")
    assert cpp["spec"]["placement"]["clusterAffinity"]["clusterNames"] == [MEMBER, WLCB]
    # Jobs without failover keep the one member.
    pre = next(d for d in docs if d["kind"] == "PropagationPolicy" and d["metadata"]["name"] == "llm-pretrain")
    assert pre["spec"]["placement"]["clusterAffinity"] == {"clusterNames": [MEMBER]} and "failover" not in pre["spec"]


def test_job_failover_refusals():
    raw = stack_raw("prod")
    raw["registration"]["fleet"]["apply"] = False
    raw["jobs"]["services"] = []
    assert issues(raw) == ["jobs.jobs[0].failover: job failover is Karmada's application failover on the Fleet, and this stack declares "
                           "nothing on the Fleet. Fix: set registration.fleet.apply: true, or drop failover."]
    raw = stack_raw("prod")
    raw["jobs"]["jobs"][1]["failover"] = {"to": ["ack-wlcb-train"]}  # embed-corpus: a batch/v1 Job
    (line,) = issues(raw)
    assert line.startswith("jobs.jobs[1].failover: Karmada v1.18.2 interprets no health of a Job")
    raw = stack_raw("prod")
    raw["jobs"]["jobs"][0]["failover"]["to"] = ["ack-sh-infer"]
    (line,) = issues(raw)
    assert line.startswith("jobs.jobs[0].failover.to[0]: ack-sh-infer is not in jobs.failoverMembers")
    raw = stack_raw("prod")
    raw["jobs"]["failoverMembers"][0]["operators"] = ["spark-operator"]
    (line,) = issues(raw)
    assert line.startswith("jobs.jobs[0].failover.to[0]: ack-wlcb-train runs no training-operator")
    raw = stack_raw("prod")
    del raw["jobs"]["failoverMembers"][0]["gangSchedulerName"]
    (line,) = issues(raw)
    assert line.startswith("jobs.jobs[0].failover.to[0]: the job's pods name scheduler scheduler-plugins-scheduler, and ack-wlcb-train runs no")
    raw = stack_raw("prod")
    raw["jobs"]["failoverMembers"][0]["member"] = "idc-bj"
    assert "jobs.failoverMembers[0].member: idc-bj is not a Fleet member" in " ".join(issues(raw))


def test_a_failover_member_must_hold_the_whole_gang():
    # ack-wlcb-train: 4 nodes of {124 CPU, 900Gi, 8 GPU}. llm-pretrain's pod {24 CPU, 160Gi, 1 GPU}: per node
    # min(124 / 24 = 5, 900 / 160 = 5, 8 / 1 = 8) = 5, so 20 pods fit there whole and 21 do not.
    raw = stack_raw("prod")
    raw["jobs"]["jobs"][2]["failover"] = {"to": ["ack-wlcb-train"]}
    raw["jobs"]["jobs"][2]["replicas"] = 20
    load(raw)
    raw["jobs"]["jobs"][2]["replicas"] = 21
    (line,) = issues(raw)
    assert line.startswith("jobs.jobs[2].failover.to[0]: 21 pods do not fit whole on ack-wlcb-train's 4 GPU nodes")


def test_service_failover_and_autoscaling():
    docs = J.plan_jobs(prod()).objects(MEMBER)
    pp = next(d for d in docs if d["kind"] == "PropagationPolicy" and d["metadata"]["name"] == "llm-serve")
    assert pp["spec"]["failover"] == {"application": {"decisionConditions": {"tolerationSeconds": 120}, "purgeMode": "Gracefully"}}
    assert pp["spec"]["propagateDeps"] is True
    hpa = next(d for d in docs if d["kind"] == "FederatedHPA")
    assert [m["type"] for m in hpa["spec"]["metrics"]] == ["Pods", "Pods"]
    assert hpa["spec"]["metrics"][0]["pods"]["metric"]["name"] == "DCGM_FI_DEV_GPU_UTIL"
    assert hpa["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 300
    cron = next(d for d in docs if d["kind"] == "CronFederatedHPA")
    assert cron["spec"]["scaleTargetRef"] == {"apiVersion": "autoscaling.karmada.io/v1alpha1", "kind": "FederatedHPA", "name": "llm-serve"}


def test_tenant_quotas_on_the_fleet():
    docs = J.plan_jobs(prod()).objects(MEMBER)
    frq = {d["metadata"]["namespace"]: d for d in docs if d["kind"] == "FederatedResourceQuota"}
    assert frq["llm-research"]["spec"]["overall"] == {"requests.nvidia.com/gpu": "160"}
    assert frq["llm-research"]["spec"]["staticAssignments"] == [{"clusterName": MEMBER, "hard": {"requests.nvidia.com/gpu": "160"}}]


def test_without_the_fleet_resource_quotas_go_to_the_cluster():
    raw = stack_raw("prod")
    raw["registration"]["fleet"]["apply"] = False
    raw["jobs"]["services"] = []
    del raw["jobs"]["jobs"][0]["failover"]  # Fleet objects (test_job_failover_refusals)
    docs = J.plan_jobs(load(raw)).objects()
    rq = next(d for d in docs if d["kind"] == "ResourceQuota" and d["metadata"]["namespace"] == "data")
    assert rq["spec"]["hard"] == {"requests.nvidia.com/gpu": "32"}
    assert builtin_errors(rq, "1.30") == []
    assert not [d for d in docs if "karmada" in d["apiVersion"]]


def test_ack_policy_api_adds_gang_and_queue(monkeypatch):
    monkeypatch.setattr(J, "fleet_policy_api", lambda p: "policy.one.alibabacloud.com/v1alpha1")
    raw = stack_raw("prod")
    raw["jobs"]["jobs"][0]["queued"] = True
    docs = J.plan_jobs(load(raw)).objects(MEMBER)
    pp = next(d for d in docs if d["kind"] == "PropagationPolicy" and d["metadata"]["name"] == "llm-finetune")
    assert pp["apiVersion"] == "policy.one.alibabacloud.com/v1alpha1"
    assert pp["spec"]["customSchedulingType"] == "Gang" and pp["spec"]["suspension"] == {"scheduling": True}
    batch = next(d for d in docs if d["kind"] == "PropagationPolicy" and d["metadata"]["name"] == "embed-corpus")
    assert batch["spec"]["customSchedulingType"] == "Gang" and "suspension" not in batch["spec"]
    svc = next(d for d in docs if d["kind"] == "PropagationPolicy" and d["metadata"]["name"] == "llm-serve")
    assert "customSchedulingType" not in svc["spec"]


# --- capacity -------------------------------------------------------------------------

def test_a_gang_that_fills_the_idc_exactly_fits_and_one_more_pod_does_not():
    # prod IDC allocatable: 320 GPUs, 5120 CPU, 40Ti: 40 pods of {64 CPU, 480Gi, 8 GPU} use 320 GPUs,
    # 2560 CPU, 18.75Ti; 41 need 328 GPUs. The cloud tiers hold 1-4 GPUs per node: no 8-GPU pod anywhere else.
    raw = stack_raw("prod")
    raw["jobs"]["tenants"][0]["maxGpus"] = 400
    del raw["jobs"]["jobs"][0]["failover"]  # ack-wlcb-train holds 4 such pods (test_a_failover_member_must_hold_the_whole_gang)
    raw["jobs"]["jobs"][0]["replicas"] = 40
    load(raw)
    raw["jobs"]["jobs"][0]["replicas"] = 41
    (line,) = issues(raw)
    assert line.startswith("jobs.jobs[0].replicas: 41 pods of {cpu: 64, memory: 480Gi, nvidia.com/gpu: 8} do not fit whole")


def test_the_pretraining_gang_is_bound_by_the_idcs_cpu():
    # llm-pretrain's pod {24 CPU, 160Gi, 1 GPU} against the IDC's allocatable {5120 CPU, 40Ti, 320 GPU}:
    # 5120 / 24 = 213, 40960 / 160 = 256, 320 / 1 = 320, so 213 pods fit whole and 214 do not; no cloud
    # tier holds more than a few dozen such pods.
    raw = stack_raw("prod")
    raw["jobs"]["tenants"][0]["maxGpus"] = 400
    raw["jobs"]["jobs"][2]["replicas"] = 213
    load(raw)
    raw["jobs"]["jobs"][2]["replicas"] = 214
    (line,) = issues(raw)
    assert line.startswith("jobs.jobs[2].replicas: 214 pods of {cpu: 24, memory: 160Gi, nvidia.com/gpu: 1} do not fit whole in any tier")


def test_a_named_tier_too_small_is_refused():
    # cn-beijing-elastic: 8 nodes of one A10 each (maxSize 8): 9 one-GPU pods do not fit.
    raw = stack_raw("prod")
    raw["jobs"]["jobs"][1]["replicas"] = 9
    assert any(i.startswith("jobs.jobs[1].replicas: 9 pods") and "tier cn-beijing-elastic" in i for i in issues(raw))


def test_tenant_mins_above_capacity():
    # Existing GPUs in prod: IDC 320 + a10-train 4x1 + a100-burst 2x4 + t4-infer 4x1 + a10-overflow 2x1 = 338.
    raw = stack_raw("prod")
    raw["jobs"]["tenants"][0]["minGpus"] = 160  # 160 + 32 + 8 = 200: fits
    load(raw)
    raw["jobs"]["tenants"][1]["minGpus"] = 96
    raw["jobs"]["tenants"][0]["maxGpus"] = 400
    raw["jobs"]["tenants"][0]["minGpus"] = 234  # 234 + 96 + 8 = 338: exactly the capacity, fits
    load(raw)
    raw["jobs"]["tenants"][0]["minGpus"] = 235  # 235 + 96 + 8 = 339 > 338
    (line,) = issues(raw)
    assert line.startswith("jobs.tenants: the tenants' minGpus add up to 339, above the 338 GPUs")
    raw["jobs"]["tenants"][0]["minGpus"] = 339
    assert any(i.startswith("jobs.tenants[0].minGpus: 339 GPUs can never be met") for i in issues(raw))


def test_a_job_above_its_tenants_ceiling_is_refused():
    raw = stack_raw("prod")
    raw["jobs"]["tenants"][0].update(minGpus=16, maxGpus=31)  # the fine-tune needs 4 x 8 = 32 at once
    assert any(i.startswith("jobs.jobs[0].replicas: the job needs 32 GPUs at once") for i in issues(raw))


def test_a_service_that_would_scale_past_its_quota_is_refused():
    # llm-serve: 1 GPU per pod, FederatedHPA up to 16; tenant inference maxGpus 96 -> 15 refuses, 16 fits.
    raw = stack_raw("prod")
    raw["jobs"]["tenants"][1].update(minGpus=8, maxGpus=16)
    load(raw)
    raw["jobs"]["tenants"][1]["maxGpus"] = 15
    (line,) = issues(raw)
    assert line.startswith("jobs.services[0].autoscaling.maxReplicas: at that count the service requests 16 GPUs, above tenant inference's maxGpus 15")


# --- references ---------------------------------------------------------------------

def test_metric_source_not_installed():
    raw = stack_raw("prod")
    raw["jobs"]["services"][0]["autoscaling"]["metrics"][0]["source"] = "keda"
    (line,) = issues(raw)
    assert line.startswith("jobs.services[0].autoscaling.metrics[0].source: metric source keda is not installed")


def _external_raw():
    """prod with an External metric: the same prometheus-adapter also registered for external.metrics.k8s.io
    (its externalRules), serving a gateway's queue depth, which no pod of the service exports."""
    raw = stack_raw("prod")
    raw["jobs"]["metricSources"].append({"name": "prometheus-adapter", "type": "External", "metrics": ["ai_gateway_queue_depth"]})
    raw["jobs"]["services"][0]["autoscaling"]["metrics"].append(
        {"source": "prometheus-adapter", "metric": "ai_gateway_queue_depth", "averageValue": "16"})
    return raw


def test_federated_hpa_on_an_external_metric():
    docs = J.plan_jobs(load(_external_raw())).objects(MEMBER)
    hpa = next(d for d in docs if d["kind"] == "FederatedHPA")
    assert schema_errors(hpa) == []
    # autoscaling/v2 MetricSpec: type External with the metric under "external" (the Pods ones under "pods").
    assert hpa["spec"]["metrics"][2] == {"type": "External", "external": {"metric": {"name": "ai_gateway_queue_depth"},
                                                                          "target": {"type": "AverageValue", "averageValue": "16"}}}
    assert [m["type"] for m in hpa["spec"]["metrics"]] == ["Pods", "Pods", "External"]
    bad = copy.deepcopy(hpa)
    bad["spec"]["metrics"][2]["external"]["metrics"] = bad["spec"]["metrics"][2]["external"].pop("metric")  # misspelt
    assert schema_errors(bad)


def test_an_external_metric_source_not_installed_or_not_serving_external_is_refused():
    raw = _external_raw()
    raw["jobs"]["metricSources"].pop()  # the External adapter is not there: Pods-only prometheus-adapter remains
    (line,) = issues(raw)
    assert line.startswith("jobs.services[0].autoscaling.metrics[2].metric: prometheus-adapter does not serve ai_gateway_queue_depth")
    raw = _external_raw()
    raw["jobs"]["services"][0]["autoscaling"]["metrics"][2]["source"] = "keda-metrics-apiserver"
    (line,) = issues(raw)
    assert line.startswith("jobs.services[0].autoscaling.metrics[2].source: metric source keda-metrics-apiserver is not installed")
    # karmada-metrics-adapter v1.18.2: external provider not implemented, no external.metrics.k8s.io APIService.
    raw = _external_raw()
    raw["jobs"]["metricSources"][1]["name"] = "karmada-metrics-adapter"
    raw["jobs"]["services"][0]["autoscaling"]["metrics"][2]["source"] = "karmada-metrics-adapter"
    (line,) = issues(raw)
    assert line.startswith("jobs.metricSources[1].type: karmada-metrics-adapter v1.18.2 serves no external metrics")


def test_metric_the_source_does_not_serve():
    raw = stack_raw("prod")
    raw["jobs"]["services"][0]["autoscaling"]["metrics"][1]["metric"] = "DCGM_FI_DEV_FB_USED"
    (line,) = issues(raw)
    assert line.startswith("jobs.services[0].autoscaling.metrics[1].metric:")


def test_priority_that_does_not_exist():
    raw = stack_raw("prod")
    raw["jobs"]["jobs"][1]["priorityClass"] = "ai-urgent"
    (line,) = issues(raw)
    assert line.startswith("jobs.jobs[1].priorityClass: PriorityClass ai-urgent does not exist")


def test_queue_needs_acks_policy_api():
    # Karmada v1.18.2's PropagationPolicy suspension has only dispatching / dispatchingOnClusters.
    raw = stack_raw("prod")
    raw["registration"]["fleet"]["policyApi"] = "karmada"
    raw["jobs"]["jobs"][1]["queued"] = True
    (line,) = issues(raw)
    assert line.startswith("jobs.jobs[1].queued:") and "policy.karmada.io/v1alpha1" in line


def test_gang_without_a_gang_scheduler_is_refused():
    raw = stack_raw("prod")
    del raw["jobs"]["gangScheduler"]
    assert "jobs.jobs[0].gang" in [i.split(":")[0] for i in issues(raw)]


def test_dev_has_no_jobs():
    assert J.plan_jobs(load(stack_raw("dev"))).objects() == []


def test_pytorchjob_needs_the_training_operator_with_the_gang_schedulers_name():
    raw = stack_raw("prod")
    raw["jobs"]["trainingOperator"]["gangSchedulerName"] = "volcano"
    (line,) = issues(raw)
    assert line.startswith("jobs.trainingOperator.gangSchedulerName: is volcano")
    del raw["jobs"]["trainingOperator"]
    got = issues(raw)
    assert [i.split(":")[0] for i in got] == ["jobs.jobs[0].kind", "jobs.jobs[2].kind"]  # both PyTorchJobs
    assert all("a PyTorchJob needs the Kubeflow training-operator" in i for i in got)
