"""hybrid/jobs.py: the checks tests/test_jobs.py leaves out (names listed twice, references, the
Fleet-only objects without a Fleet, a tier no gang can use) and object shapes at the edges (one pod,
no gang, fractional cores), each worked by hand from prod.

prod (stacks/Pulumi.prod.yaml): tenants llm-research, inference, data (namespaces alike); priority
classes ai-inference-online, ai-training, ai-batch, and placement's gpu-batch; failover member
ack-wlcb-train; jobs llm-finetune (PyTorchJob, 4 x {64 CPU, 480Gi, 8 GPU}), embed-corpus (Job, 8 x
{8 CPU, 32Gi, 1 GPU}, tier cn-beijing-elastic), llm-pretrain (PyTorchJob, 48 pods); service llm-serve
(port 8000, FederatedHPA, failover). The hybrid cluster's tiers a gang may use: the IDC idc-bj, the
regions with fixed GPU pools (cn-beijing, cn-hangzhou, cn-zhangjiakou) and cn-beijing-elastic; not the
Serverless ones (docs/jobs.md). Schemas: training-operator v1.8.1 (PyTorchJob: Master exactly 1),
scheduler-plugins v0.28.9 (PodGroup minMember, minResources a ResourceList), Kubernetes
NetworkPolicy / Service (targetPort names a container port).
"""

from __future__ import annotations

import copy

import pytest

from hybrid import jobs as J
from hybrid.errors import ConfigError
from hybrid.stack import load_platform as load
from tests.conftest import stack_raw

MEMBER = "c0123456789abcdef0123456789abcdef"


def _issues(raw) -> list[tuple[str, str, str]]:
    with pytest.raises(ConfigError) as err:
        load(raw)
    out = [(i.path, i.message, i.fix) for i in err.value.issues]
    for _, message, fix in out:  # a sentence each; the fix lowercase (docs/testing.md)
        assert message.endswith(".") and fix[0].islower() and fix.endswith("."), (message, fix)
    return out


def _objects(raw):
    return J.plan_jobs(load(raw)).objects(MEMBER)


def _one(docs, kind, name):
    (doc,) = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    return doc


# --- names listed twice ------------------------------------------------------------

def test_a_jobs_class_placement_also_defines_is_refused():
    raw = stack_raw("prod")
    raw["jobs"]["priorityClasses"][2]["name"] = "gpu-batch"  # placement.workloads[0].priority.className
    raw["jobs"]["jobs"][1]["priorityClass"] = "gpu-batch"
    ((path, message, _),) = _issues(raw)
    assert path == "jobs.priorityClasses[2].name" and "gpu-batch" in message and "placement.workloads" in message


def test_a_class_listed_twice_is_refused():
    raw = stack_raw("prod")
    raw["jobs"]["priorityClasses"].append(copy.deepcopy(raw["jobs"]["priorityClasses"][2]))
    ((path, message, _),) = _issues(raw)
    assert (path, message) == ("jobs.priorityClasses", "a class name is listed twice.")


def test_a_tenant_listed_twice_is_refused():
    raw = stack_raw("prod")
    raw["jobs"]["tenants"].append({"name": "data", "namespace": "data-2", "minGpus": 0, "maxGpus": 32})
    ((path, message, _),) = _issues(raw)
    assert (path, message) == ("jobs.tenants", "a tenant name is listed twice.")


def test_two_tenants_in_one_namespace_are_refused():
    raw = stack_raw("prod")
    raw["jobs"]["tenants"][2]["namespace"] = "inference"
    ((path, message, _),) = _issues(raw)
    assert path == "jobs.tenants" and message.startswith("two tenants share a namespace")


def test_a_failover_member_listed_twice_is_refused_at_its_second_entry():
    raw = stack_raw("prod")
    raw["jobs"]["failoverMembers"].append(copy.deepcopy(raw["jobs"]["failoverMembers"][0]))
    ((path, message, _),) = _issues(raw)
    assert (path, message) == ("jobs.failoverMembers[1].member", "ack-wlcb-train is listed twice.")


def test_a_job_name_twice_in_one_tenant_is_refused_and_in_two_tenants_is_not():
    raw = stack_raw("prod")
    again = copy.deepcopy(raw["jobs"]["jobs"][1])  # embed-corpus, tenant data
    raw["jobs"]["jobs"].append(again)
    ((path, message, _),) = _issues(raw)
    assert (path, message) == ("jobs.jobs[3].name", "embed-corpus is declared twice for tenant data.")
    again["tenant"] = "inference"  # another namespace: another object
    load(raw)


def test_a_metric_source_listed_twice_for_one_api_is_refused():
    raw = stack_raw("prod")
    raw["jobs"]["metricSources"].append(copy.deepcopy(raw["jobs"]["metricSources"][0]))
    ((path, message, _),) = _issues(raw)
    assert (path, message) == ("jobs.metricSources[1]", "prometheus-adapter is listed twice for Pods metrics.")


# --- references and where things run ---------------------------------------------------

def test_a_service_of_an_unknown_tenant_names_the_declared_ones():
    raw = stack_raw("prod")
    raw["jobs"]["services"][0]["tenant"] = "search"
    got = _issues(raw)
    assert got[0][:2] == ("jobs.services[0].tenant", "tenant search does not exist (jobs.tenants: ['data', 'inference', 'llm-research']).")


def test_a_tier_no_gang_can_use_is_refused_naming_those_it_can():
    raw = stack_raw("prod")
    raw["jobs"]["jobs"][1]["tier"] = "cn-beijing-serverless"
    ((path, message, _),) = _issues(raw)  # and no capacity refusal on top: there is no such tier to measure
    assert path == "jobs.jobs[1].tier"
    assert message == ("cn-beijing-serverless is not a tier of the hybrid cluster a gang can use "
                       "(idc-bj, cn-beijing, cn-hangzhou, cn-zhangjiakou, cn-beijing-elastic).")


@pytest.mark.parametrize("drop", [(), ("failover",), ("autoscaling",)])
def test_service_failover_or_autoscaling_without_the_fleet_is_refused(drop):
    raw = stack_raw("prod")
    raw["registration"]["fleet"]["apply"] = False
    del raw["jobs"]["jobs"][0]["failover"]  # the job's own Fleet refusal (tests/test_jobs.py)
    svc = raw["jobs"]["services"][0]
    for k in drop:
        del svc[k]
    if "autoscaling" in drop:
        svc["replicas"] = 4
    ((path, message, fix),) = _issues(raw)
    assert path == "jobs.services[0]" and "Fleet" in message and "registration.fleet.apply: true" in fix


def test_a_service_without_fleet_objects_runs_without_the_fleet():
    raw = stack_raw("prod")
    raw["registration"]["fleet"]["apply"] = False
    del raw["jobs"]["jobs"][0]["failover"]
    svc = raw["jobs"]["services"][0]
    del svc["failover"], svc["autoscaling"]
    docs = _objects(raw)
    assert _one(docs, "Deployment", "llm-serve")["spec"]["replicas"] == 4
    assert not [d for d in docs if d["kind"] in ("PropagationPolicy", "FederatedHPA")]


def test_a_service_over_its_quota_at_its_fixed_count_names_replicas():
    # Without autoscaling the count is replicas: 17 pods x 1 GPU above inference's ceiling of 16.
    raw = stack_raw("prod")
    raw["jobs"]["tenants"][1].update(minGpus=8, maxGpus=16)
    svc = raw["jobs"]["services"][0]
    del svc["autoscaling"]
    svc["replicas"] = 17
    ((path, message, fix),) = _issues(raw)
    assert path == "jobs.services[0].replicas" and "17 GPUs" in message and "maxGpus 16" in message
    assert "jobs.tenants[1].maxGpus" in fix


# --- objects at the edges ----------------------------------------------------------------

def test_a_one_pod_pytorchjob_is_a_master_alone():
    # PyTorchJob v1.8.1: Master replicas exactly 1; Workers only when there are more pods.
    raw = stack_raw("prod")
    raw["jobs"]["jobs"][0]["replicas"] = 1
    job = _one(_objects(raw), "PyTorchJob", "llm-finetune")
    assert set(job["spec"]["pytorchReplicaSpecs"]) == {"Master"}
    assert job["spec"]["pytorchReplicaSpecs"]["Master"]["replicas"] == 1
    assert job["spec"]["runPolicy"]["schedulingPolicy"]["minAvailable"] == 1


def test_a_job_that_is_no_gang_gets_no_podgroup_nor_its_scheduler():
    raw = stack_raw("prod")
    raw["jobs"]["jobs"][0]["gang"] = False
    raw["jobs"]["jobs"][1]["gang"] = False
    docs = _objects(raw)
    torch = _one(docs, "PyTorchJob", "llm-finetune")
    assert "schedulingPolicy" not in torch["spec"]["runPolicy"]
    assert all("schedulerName" not in r["template"]["spec"] for r in torch["spec"]["pytorchReplicaSpecs"].values())
    batch = _one(docs, "Job", "embed-corpus")
    assert "schedulerName" not in batch["spec"]["template"]["spec"]
    assert "scheduling.x-k8s.io/pod-group" not in batch["spec"]["template"]["metadata"]["labels"]
    assert not [d for d in docs if d["kind"] == "PodGroup" and d["metadata"]["name"] == "embed-corpus"]
    pp = _one(docs, "PropagationPolicy", "embed-corpus")
    assert {s["kind"] for s in pp["spec"]["resourceSelectors"]} == {"Job", "NetworkPolicy"}
    assert "customSchedulingType" not in pp["spec"]
    # still whole in one member (Karmada divides a Job's parallelism otherwise)
    assert pp["spec"]["placement"]["spreadConstraints"] == [{"spreadByField": "cluster", "maxGroups": 1, "minGroups": 1}]


def test_a_podgroup_sums_fractional_cores_in_millicores():
    # 8 pods of 1100m CPU, 32Gi: 8800m and 256Gi = 274877906944 bytes; 8 GPUs.
    raw = stack_raw("prod")
    raw["jobs"]["jobs"][1]["request"]["cpu"] = "1100m"
    pg = _one(_objects(raw), "PodGroup", "embed-corpus")
    assert pg["spec"]["minResources"] == {"cpu": "8800m", "memory": "274877906944", "nvidia.com/gpu": "8"}
    assert pg["spec"]["minMember"] == 8 and pg["spec"]["scheduleTimeoutSeconds"] == 600


def test_a_service_is_reached_on_its_named_port_and_probed_on_its_health_path():
    docs = _objects(stack_raw("prod"))
    dep = _one(docs, "Deployment", "llm-serve")
    (c,) = dep["spec"]["template"]["spec"]["containers"]
    assert c["ports"] == [{"containerPort": 8000, "name": "http"}]
    assert c["readinessProbe"]["httpGet"] == c["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    svc = _one(docs, "Service", "llm-serve")
    assert svc["spec"]["ports"] == [{"name": "http", "port": 8000, "targetPort": "http", "protocol": "TCP"}]
    assert svc["spec"]["selector"] == dep["spec"]["selector"]["matchLabels"] == dep["spec"]["template"]["metadata"]["labels"]
    np = _one(docs, "NetworkPolicy", "llm-serve")
    assert np["spec"]["ingress"] == [{"ports": [{"protocol": "TCP", "port": 8000}]}]
    assert np["spec"]["podSelector"] == {"matchLabels": svc["spec"]["selector"]}


def test_guaranteed_gpus_are_the_idc_and_the_fixed_pools():
    # IDC 320 + a10-train 4x1 + a100-burst 2x4 + t4-infer 4x1 + a10-overflow 2x1 = 338; the elastic pool not.
    assert J.guaranteed_gpus(load(stack_raw("prod"))) == 338


def test_a_two_pod_pytorchjob_is_a_master_and_one_worker():
    # PyTorchJob v1.8.1: Master exactly 1, the other pods Workers: 2 pods = Master 1 + Worker 1, a gang of 2.
    raw = stack_raw("prod")
    raw["jobs"]["jobs"][0]["replicas"] = 2
    specs = _one(_objects(raw), "PyTorchJob", "llm-finetune")["spec"]["pytorchReplicaSpecs"]
    assert {k: v["replicas"] for k, v in specs.items()} == {"Master": 1, "Worker": 1}


def test_the_operators_gang_scheduler_name_matters_to_training_jobs_only():
    # The training-operator gives the pods of a PyTorchJob/TFJob its --gang-scheduler-name
    # (kubeflow/training-operator@v1.8.1:cmd/training-operator.v1/main.go); a gang Job (embed-corpus) names
    # its scheduler itself, so a mismatched operator is no issue while no training job is a gang.
    raw = stack_raw("prod")
    raw["jobs"]["trainingOperator"]["gangSchedulerName"] = "volcano"
    raw["jobs"]["jobs"][0]["gang"] = False
    raw["jobs"]["jobs"][2]["gang"] = False
    docs = _objects(raw)
    assert _one(docs, "Job", "embed-corpus")["spec"]["template"]["spec"]["schedulerName"] == "scheduler-plugins-scheduler"
    raw["jobs"]["jobs"][2]["gang"] = True
    ((path, message, _),) = _issues(raw)
    assert path == "jobs.trainingOperator.gangSchedulerName" and message.startswith("is volcano, but the gang scheduler is ")


def test_a_member_without_the_operator_is_named_with_the_operators_it_lists():
    # The member's operators as listed (here one named twice), ", "-separated, in the refusal.
    from tests.test_jobs import spark_raw

    raw = spark_raw()
    raw["jobs"]["jobs"][1]["failover"] = {"to": ["ack-wlcb-train"]}
    raw["jobs"]["failoverMembers"][0]["operators"] = ["training-operator", "training-operator"]
    ((path, message, _),) = _issues(raw)
    assert path == "jobs.jobs[1].failover.to[0]"
    assert "runs no spark-operator (jobs.failoverMembers: training-operator, training-operator), so" in message
