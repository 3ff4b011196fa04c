"""hybrid/jobs.py: each refusal of the jobs' checks as the user reads it, path, message and fix in full.

Each case starts from prod (stacks/Pulumi.prod.yaml; its jobs section is summarised in
tests/test_mutation_jobs_objects.py) and breaks one thing; the numbers in the messages are worked by hand
in the comments. A message is a sentence a user acts on, so its whole text is the expectation.
"""

from __future__ import annotations

import copy

import pytest

from hybrid.errors import ConfigError
from hybrid.stack import load_platform as load
from tests.conftest import spark_raw, stack_raw


def issues(raw) -> list[tuple[str, str, str]]:
    with pytest.raises(ConfigError) as err:
        load(raw)
    return [(i.path, i.message, i.fix) for i in err.value.issues]


def one(raw) -> tuple[str, str, str]:
    (got,) = issues(raw)
    return got


# --- names, classes, tenants ---------------------------------------------------------

def test_names_listed_twice():
    raw = stack_raw("prod")
    raw["jobs"]["priorityClasses"][2]["name"] = "gpu-batch"  # placement.workloads[0]'s class
    raw["jobs"]["jobs"][1]["priorityClass"] = "gpu-batch"
    assert one(raw) == ("jobs.priorityClasses[2].name", "PriorityClass gpu-batch is also defined by placement.workloads.",
                        "give the jobs' class another name, or use one definition in one place.")
    raw = stack_raw("prod")
    raw["jobs"]["priorityClasses"].append(copy.deepcopy(raw["jobs"]["priorityClasses"][0]))
    assert one(raw) == ("jobs.priorityClasses", "a class name is listed twice.", "list each PriorityClass once.")
    raw = stack_raw("prod")
    raw["jobs"]["tenants"].append({"name": "data", "namespace": "data-2", "minGpus": 0, "maxGpus": 32})
    assert one(raw) == ("jobs.tenants", "a tenant name is listed twice.", "list each tenant once.")
    raw = stack_raw("prod")
    raw["jobs"]["tenants"][2]["namespace"] = "inference"
    assert one(raw) == ("jobs.tenants", "two tenants share a namespace; a namespace has one quota.", "give each tenant its own namespace.")
    raw = stack_raw("prod")
    raw["jobs"]["failoverMembers"].append(copy.deepcopy(raw["jobs"]["failoverMembers"][0]))
    assert one(raw) == ("jobs.failoverMembers[1].member", "ack-wlcb-train is listed twice.", "list each member once.")
    raw = stack_raw("prod")
    raw["jobs"]["jobs"].append(copy.deepcopy(raw["jobs"]["jobs"][2]))
    assert one(raw) == ("jobs.jobs[3].name", "llm-pretrain is declared twice for tenant llm-research.", "give each job a unique name.")
    raw = stack_raw("prod")
    raw["jobs"]["metricSources"].append(copy.deepcopy(raw["jobs"]["metricSources"][0]))
    assert one(raw) == ("jobs.metricSources[1]", "prometheus-adapter is listed twice for Pods metrics.",
                        "list each adapter once per metrics API.")


def test_a_class_used_only_by_the_jobs_is_not_placements():
    # placement's classes are those its workloads name: gpu-batch. A jobs class of another name passes.
    raw = stack_raw("prod")
    raw["jobs"]["priorityClasses"][2]["name"] = "gpu-batch-2"
    raw["jobs"]["jobs"][1]["priorityClass"] = "gpu-batch-2"
    load(raw)


def test_references_to_what_is_not_declared():
    raw = stack_raw("prod")
    raw["jobs"]["jobs"][1]["tenant"] = "search"
    got = issues(raw)
    assert got[0] == ("jobs.jobs[1].tenant", "tenant search does not exist (jobs.tenants: ['data', 'inference', 'llm-research']).",
                      "name a declared tenant or add it.")
    raw = stack_raw("prod")
    raw["jobs"]["services"][0]["priorityClass"] = "ai-urgent"
    assert one(raw) == ("jobs.services[0].priorityClass",
                        "PriorityClass ai-urgent does not exist (jobs.priorityClasses: ['ai-batch', 'ai-inference-online', 'ai-training']).",
                        "name a declared class or add it to jobs.priorityClasses.")


def test_references_when_nothing_is_declared_say_none():
    # A jobs section with a service only: no tenant, no class is declared.
    raw = stack_raw("prod")
    svc = raw["jobs"]["services"][0]
    del svc["failover"], svc["autoscaling"]
    raw["jobs"] = {"services": [svc]}
    assert sorted(issues(raw)) == [
        ("jobs.services[0].priorityClass", "PriorityClass ai-inference-online does not exist (jobs.priorityClasses: none).",
         "name a declared class or add it to jobs.priorityClasses."),
        ("jobs.services[0].tenant", "tenant inference does not exist (jobs.tenants: none).", "name a declared tenant or add it.")]


def test_an_empty_jobs_section_is_not_checked():
    # dev declares no jobs: nothing of the section, no refusal (not even a capacity of 0 GPUs).
    raw = stack_raw("dev")
    raw["jobs"] = {"tenants": [], "jobs": [], "services": [], "priorityClasses": []}
    load(raw)


def test_one_tenant_alone_is_checked():
    # Only a tenant: its floor is measured against dev's capacity (stacks/Pulumi.dev.yaml: the IDC reports 24
    # allocatable GPUs, the fixed pool a10-dev 1 x 1 GPU: 25).
    raw = stack_raw("dev")
    raw["jobs"] = {"tenants": [{"name": "t", "namespace": "t", "minGpus": 26, "maxGpus": 30}]}
    assert one(raw)[:2] == ("jobs.tenants[0].minGpus", "26 GPUs can never be met: the hybrid cluster's existing nodes hold 25.")


@pytest.mark.parametrize("section", ["jobs", "services", "priorityClasses"])
def test_any_one_part_of_the_section_is_checked(section):
    raw = stack_raw("prod")
    part = raw["jobs"][section][:1]
    if section == "services":
        del part[0]["failover"], part[0]["autoscaling"]
    if section == "jobs":
        part[0].pop("failover")
    raw["jobs"] = {section: part}
    # whatever the part names is unknown in an otherwise empty section: the check ran
    if section == "priorityClasses":
        raw["jobs"]["priorityClasses"].append(copy.deepcopy(part[0]))
    assert issues(raw)


# --- capacity ------------------------------------------------------------------------

def test_tenant_floors_above_the_guaranteed_gpus():
    # prod's existing GPUs: IDC 320 + fixed pools 18 = 338.
    raw = stack_raw("prod")
    raw["jobs"]["tenants"][0].update(minGpus=339, maxGpus=400)
    assert one(raw) == ("jobs.tenants[0].minGpus", "339 GPUs can never be met: the hybrid cluster's existing nodes hold 338.",
                        "lower minGpus to at most 338, or add fixed GPU pools / IDC GPUs.")
    raw["jobs"]["tenants"][0]["minGpus"] = 300  # 300 + 32 + 8 = 340: 2 over
    assert one(raw) == ("jobs.tenants", "the tenants' minGpus add up to 340, above the 338 GPUs of the hybrid cluster's existing nodes "
                        "(IDC allocatable + fixed cloud pools; elastic nodes are not guaranteed).",
                        "lower the mins by 2 in total, or add capacity.")
    raw["jobs"]["tenants"][0]["minGpus"] = 338  # alone at the capacity: fits; with the others 378 > 338
    assert one(raw)[0] == "jobs.tenants"


def test_a_gang_that_fits_no_tier():
    # 41 pods of {64 CPU, 480Gi, 8 GPU}: 328 GPUs > the IDC's 320, no cloud node has 8 GPUs.
    raw = stack_raw("prod")
    raw["jobs"]["tenants"][0]["maxGpus"] = 400
    del raw["jobs"]["jobs"][0]["failover"]
    raw["jobs"]["jobs"][0]["replicas"] = 41
    assert one(raw) == ("jobs.jobs[0].replicas", "41 pods of {cpu: 64, memory: 480Gi, nvidia.com/gpu: 8} do not fit whole in any tier "
                        "(idc-bj, cn-beijing, cn-hangzhou, cn-zhangjiakou, cn-beijing-elastic), even empty; a gang is never divided across tiers.",
                        "lower replicas or the per-pod request (fewer, larger pods on larger nodes), or add capacity to one tier.")


def test_a_gang_that_fits_not_its_named_tier():
    # cn-beijing-elastic: 8 single-A10 nodes at maxSize; 9 pods of 1 GPU do not fit.
    raw = stack_raw("prod")
    raw["jobs"]["jobs"][1]["replicas"] = 9
    assert one(raw) == ("jobs.jobs[1].replicas", "9 pods of {cpu: 8, memory: 32Gi, nvidia.com/gpu: 1} do not fit whole in tier "
                        "cn-beijing-elastic, even empty; a gang is never divided across tiers.",
                        "lower replicas or the per-pod request (fewer, larger pods on larger nodes), or add capacity to one tier.")


def test_a_tier_no_gang_can_use():
    raw = stack_raw("prod")
    raw["jobs"]["jobs"][1]["tier"] = "cn-beijing-serverless"
    assert one(raw) == ("jobs.jobs[1].tier", "cn-beijing-serverless is not a tier of the hybrid cluster a gang can use "
                        "(idc-bj, cn-beijing, cn-hangzhou, cn-zhangjiakou, cn-beijing-elastic).",
                        "name one of those, or drop tier to take the first that fits.")


def test_a_job_above_its_tenants_ceiling():
    raw = stack_raw("prod")
    raw["jobs"]["tenants"][2].update(minGpus=4, maxGpus=7)  # embed-corpus: 8 x 1 GPU
    assert one(raw) == ("jobs.jobs[1].replicas", "the job needs 8 GPUs at once, above tenant data's maxGpus 7: its quota would never admit it.",
                        "lower replicas or raise jobs.tenants[2].maxGpus.")
    raw["jobs"]["tenants"][2]["maxGpus"] = 8  # exactly the job: admitted
    load(raw)


def test_a_service_above_its_tenants_ceiling():
    raw = stack_raw("prod")
    raw["jobs"]["tenants"][1].update(minGpus=8, maxGpus=15)  # llm-serve scales to 16 x 1 GPU
    assert one(raw) == ("jobs.services[0].autoscaling.maxReplicas",
                        "at that count the service requests 16 GPUs, above tenant inference's maxGpus 15: "
                        "the ResourceQuota would reject the pods the autoscaler adds.",
                        "lower it or raise jobs.tenants[1].maxGpus.")
    del raw["jobs"]["services"][0]["autoscaling"]
    raw["jobs"]["services"][0]["replicas"] = 15  # fixed count: 15 fits exactly, 16 does not
    load(raw)
    raw["jobs"]["services"][0]["replicas"] = 16
    assert one(raw)[:2] == ("jobs.services[0].replicas", "at that count the service requests 16 GPUs, above tenant inference's maxGpus 15: "
                            "the ResourceQuota would reject the pods the autoscaler adds.")


def test_a_service_of_an_unknown_tenant_is_not_measured_against_a_quota():
    raw = stack_raw("prod")
    raw["jobs"]["services"][0]["tenant"] = "search"
    raw["jobs"]["jobs"][1]["tenant"] = "search"
    assert [i[0] for i in issues(raw)] == ["jobs.jobs[1].tenant", "jobs.services[0].tenant"]


# --- operators and the gang scheduler ------------------------------------------------

def test_training_operator_missing_or_naming_another_scheduler():
    raw = stack_raw("prod")
    raw["jobs"]["trainingOperator"]["gangSchedulerName"] = "volcano"
    # both PyTorchJobs are gangs: one refusal (the same line is reported once)
    assert issues(raw) == [("jobs.trainingOperator.gangSchedulerName",
                            "is volcano, but the gang scheduler is scheduler-plugins-scheduler: the operator gives pods without a schedulerName "
                            "that name and makes volcano PodGroups for 'volcano' (kubeflow/training-operator@v1.8.1:cmd/training-operator.v1/main.go), "
                            "so the two must agree.",
                            "set it to scheduler-plugins-scheduler (and start the operator with --gang-scheduler-name=scheduler-plugins-scheduler).")]
    for job in raw["jobs"]["jobs"]:
        job["gang"] = False  # no gang: the operator's scheduler name is not used
    load(raw)
    raw = stack_raw("prod")
    del raw["jobs"]["trainingOperator"]
    assert issues(raw)[0] == ("jobs.jobs[0].kind", "a PyTorchJob needs the Kubeflow training-operator in the hybrid cluster, and "
                              "jobs.trainingOperator declares none.",
                              "install it and declare jobs.trainingOperator {version: v1.8.1, gangSchedulerName}, or run the job as kind: Job.")


def test_a_gang_without_a_gang_scheduler():
    raw = stack_raw("prod")
    del raw["jobs"]["gangScheduler"]
    del raw["jobs"]["jobs"][0]["failover"]
    for job in raw["jobs"]["jobs"]:
        job["gang"] = job["kind"] == "Job"
    assert one(raw) == ("jobs.jobs[1].gang", "no gang scheduler is declared for the hybrid cluster, so nothing would hold the pods back until all fit.",
                        "declare jobs.gangScheduler (kind: scheduler-plugins, installed in the IDC cluster) or set gang: false.")


def test_queued_jobs_need_acks_policy_api_on_the_fleet():
    raw = stack_raw("prod")
    raw["registration"]["fleet"]["policyApi"] = "karmada"
    raw["jobs"]["jobs"][1]["queued"] = True
    assert one(raw) == ("jobs.jobs[1].queued", "a queued job waits for Kube Queue on the ACK One Fleet, which only ACK's policy API "
                        "(policy.one.alibabacloud.com) asks for (suspension.scheduling); this stack uses policy.karmada.io/v1alpha1, "
                        "whose PropagationPolicy has no such field.",
                        "set queued: false (the job is admitted at once, its tenant's quota still caps it), or use ACK's Fleet policy API.")
    raw = stack_raw("prod")
    raw["registration"]["fleet"]["apply"] = False
    raw["jobs"]["services"] = []
    del raw["jobs"]["jobs"][0]["failover"]
    raw["jobs"]["jobs"][1]["queued"] = True
    assert one(raw) == ("jobs.jobs[1].queued", "a queued job waits for Kube Queue on the ACK One Fleet, which only ACK's policy API "
                        "(policy.one.alibabacloud.com) asks for (suspension.scheduling); this stack declares nothing on the Fleet.",
                        "set queued: false (the job is admitted at once, its tenant's quota still caps it), or use ACK's Fleet policy API.")
    raw = stack_raw("prod")
    raw["jobs"]["jobs"][1]["queued"] = True  # ACK's API on the Fleet: accepted
    load(raw)




def test_spark_application_refusals_in_full():
    raw = spark_raw()
    del raw["jobs"]["sparkOperator"]
    assert one(raw) == ("jobs.jobs[1].kind", "a SparkApplication needs kubeflow's spark-operator (with its webhook) in the hybrid cluster, "
                        "and jobs.sparkOperator declares none.",
                        "install it and declare jobs.sparkOperator {version: v2.5.2}, or run the job as kind: Job.")
    raw = spark_raw()
    raw["jobs"]["jobs"][1]["gang"] = True
    assert one(raw) == ("jobs.jobs[1].gang", "a SparkApplication cannot be a gang: spark-operator v2.5.2's scheduler-plugins integration makes "
                        "a PodGroup of minMember 1 (internal/scheduler/kubescheduler/scheduler.go), which holds the driver only, and the driver "
                        "creates its executors after it starts.",
                        "set gang: false (the job still runs whole in one tier), or run it as kind: Job.")
    raw = spark_raw()
    raw["jobs"]["jobs"][1]["request"]["cpu"] = "1500m"
    assert one(raw) == ("jobs.jobs[1].request.cpu", "1500m is not a whole number of cores; Spark's driver and executor cores "
                        "(spark.*.cores, the CRD's integer cores) are whole.", "request whole cores, e.g. cpu: \"8\".")
    raw["jobs"]["jobs"][1]["request"]["cpu"] = "500m"  # under one core
    assert one(raw)[:2] == ("jobs.jobs[1].request.cpu", "500m is not a whole number of cores; Spark's driver and executor cores "
                            "(spark.*.cores, the CRD's integer cores) are whole.")
    raw["jobs"]["jobs"][1]["request"]["cpu"] = "1"  # one whole core: accepted
    load(raw)
    raw = spark_raw()
    raw["jobs"]["jobs"][1]["spark"]["memoryOverheadMib"] = 32768  # 32Gi = 32768 MiB: no heap
    assert one(raw) == ("jobs.jobs[1].request.memory", "32Gi leaves no JVM heap above spark.memoryOverheadMib 32768 MiB.",
                        "request more memory or lower spark.memoryOverheadMib.")
    raw["jobs"]["jobs"][1]["spark"]["memoryOverheadMib"] = 32767  # 1 MiB of heap
    load(raw)


def test_a_spark_application_without_memory_or_cpu():
    raw = spark_raw()
    raw["jobs"]["jobs"][1]["request"] = {"nvidia.com/gpu": 1}
    assert issues(raw) == [
        ("jobs.jobs[1].request.cpu", "None is not a whole number of cores; Spark's driver and executor cores "
         "(spark.*.cores, the CRD's integer cores) are whole.", "request whole cores, e.g. cpu: \"8\"."),
        ("jobs.jobs[1].request.memory", "None leaves no JVM heap above spark.memoryOverheadMib 4096 MiB.",
         "request more memory or lower spark.memoryOverheadMib.")]


# --- failover ------------------------------------------------------------------------

def test_failover_members_that_are_not_fleet_members():
    raw = stack_raw("prod")
    raw["jobs"]["failoverMembers"][0]["member"] = "idc-bj"
    raw["jobs"]["jobs"][0]["failover"]["to"] = ["idc-bj"]
    assert one(raw) == ("jobs.failoverMembers[0].member",
                        "idc-bj is not a Fleet member (registration.fleet.members: ['ack-sh-infer', 'ack-wlcb-train']).",
                        "name one of those; the hybrid cluster itself is where the jobs start.")
    del raw["registration"]["fleet"]["members"]
    got = issues(raw)
    assert ("jobs.failoverMembers[0].member", "idc-bj is not a Fleet member (registration.fleet.members: none).",
            "name one of those; the hybrid cluster itself is where the jobs start.") in got


def test_job_failover_refusals_in_full():
    raw = stack_raw("prod")
    raw["registration"]["fleet"]["apply"] = False
    raw["jobs"]["services"] = []
    assert one(raw) == ("jobs.jobs[0].failover", "job failover is Karmada's application failover on the Fleet, and this stack declares nothing "
                        "on the Fleet.", "set registration.fleet.apply: true, or drop failover.")
    raw = stack_raw("prod")
    raw["jobs"]["jobs"][1]["failover"] = {"to": ["ack-wlcb-train"]}
    assert one(raw) == ("jobs.jobs[1].failover", "Karmada v1.18.2 interprets no health of a Job (pkg/resourceinterpreter/default/native/healthy.go "
                        "has none for batch/v1 Job), and its application failover controller skips such bindings, so the job would never move.",
                        "drop failover (backoffLimit retries it in place), or run it as a PyTorchJob, TFJob or SparkApplication.")
    raw = stack_raw("prod")
    raw["jobs"]["jobs"][0]["failover"]["to"] = ["ack-sh-infer", "ack-wlcb-train"]
    assert one(raw) == ("jobs.jobs[0].failover.to[0]", "ack-sh-infer is not in jobs.failoverMembers (['ack-wlcb-train']).",
                        "declare what the member runs in jobs.failoverMembers, or name a declared one.")
    raw = stack_raw("prod")
    raw["jobs"]["failoverMembers"] = []
    assert one(raw)[1] == "ack-wlcb-train is not in jobs.failoverMembers (none)."
    raw = stack_raw("prod")
    raw["jobs"]["failoverMembers"][0]["operators"] = ["spark-operator"]
    assert one(raw) == ("jobs.jobs[0].failover.to[0]", "ack-wlcb-train runs no training-operator (jobs.failoverMembers: spark-operator), "
                        "so the PyTorchJob would never run there.", "install training-operator in ack-wlcb-train and list it, or fail over to another member.")


def test_a_failover_member_with_another_or_no_gang_scheduler():
    raw = stack_raw("prod")
    raw["jobs"]["failoverMembers"][0]["gangSchedulerName"] = "volcano"
    assert one(raw) == ("jobs.jobs[0].failover.to[0]", "the job's pods name scheduler scheduler-plugins-scheduler, and ack-wlcb-train runs volcano: "
                        "its pods would stay Pending.",
                        "run scheduler-plugins' Coscheduling as scheduler-plugins-scheduler in ack-wlcb-train and set its gangSchedulerName, "
                        "or fail over elsewhere.")
    del raw["jobs"]["failoverMembers"][0]["gangSchedulerName"]
    assert one(raw)[1] == ("the job's pods name scheduler scheduler-plugins-scheduler, and ack-wlcb-train runs no scheduler-plugins scheduler: "
                           "its pods would stay Pending.")
    raw["jobs"]["jobs"][0]["gang"] = False  # no gang: any scheduler of the member takes the pods
    load(raw)


def test_a_failover_member_too_small_for_the_whole_job():
    # ack-wlcb-train: 4 nodes of {124 CPU, 900Gi, 8 GPU}; llm-finetune's pod {64 CPU, 480Gi, 8 GPU}: one per
    # node, 4 in all: 4 pods fit, 5 do not.
    raw = stack_raw("prod")
    raw["jobs"]["jobs"][0]["replicas"] = 5
    assert one(raw) == ("jobs.jobs[0].failover.to[0]", "5 pods do not fit whole on ack-wlcb-train's 4 GPU nodes (jobs.failoverMembers), even empty.",
                        "fail over to a member that can hold the whole job, or lower replicas.")


# --- services and metrics ------------------------------------------------------------

def test_service_fleet_objects_without_the_fleet():
    raw = stack_raw("prod")
    raw["registration"]["fleet"]["apply"] = False
    del raw["jobs"]["jobs"][0]["failover"]
    del raw["jobs"]["services"][0]["autoscaling"]
    assert one(raw) == ("jobs.services[0]", "failover and FederatedHPA are Fleet objects, and this stack declares nothing on the Fleet.",
                        "set registration.fleet.apply: true, or drop failover and autoscaling.")


def test_metric_sources_in_full():
    raw = stack_raw("prod")
    raw["jobs"]["services"][0]["autoscaling"]["metrics"][0]["source"] = "keda"
    assert one(raw) == ("jobs.services[0].autoscaling.metrics[0].source",
                        "metric source keda is not installed (jobs.metricSources lists ['prometheus-adapter']).",
                        "install the adapter and list it in jobs.metricSources, or use a listed source.")
    raw["jobs"]["metricSources"] = []
    assert issues(raw)[0][1] == "metric source keda is not installed (jobs.metricSources lists none)."
    raw = stack_raw("prod")
    raw["jobs"]["services"][0]["autoscaling"]["metrics"][1]["metric"] = "DCGM_FI_DEV_FB_USED"
    assert one(raw) == ("jobs.services[0].autoscaling.metrics[1].metric",
                        "prometheus-adapter does not serve DCGM_FI_DEV_FB_USED (it serves DCGM_FI_DEV_GPU_UTIL, vllm:num_requests_waiting).",
                        "add DCGM_FI_DEV_FB_USED to the source's metrics once its adapter rule exists, or use one of those.")


def test_karmadas_adapter_for_external_metrics_in_full():
    raw = stack_raw("prod")
    raw["jobs"]["metricSources"].append({"name": "karmada-metrics-adapter", "type": "External", "metrics": ["queue_depth"]})
    assert one(raw) == ("jobs.metricSources[1].type",
                        "karmada-metrics-adapter v1.18.2 serves no external metrics: its APIService registers metrics.k8s.io and "
                        "custom.metrics.k8s.io only (artifacts/deploy/karmada-metrics-adapter-apiservice.yaml) and its external provider "
                        "answers 'still not implement it' (pkg/metricsadapter/provider/externalmetrics.go).",
                        "serve External metrics from an adapter registered for external.metrics.k8s.io on the Fleet (e.g. prometheus-adapter "
                        "with externalRules) and name that one, or use type: Pods.")
    raw["jobs"]["metricSources"][1]["type"] = "Pods"  # its custom metrics: served
    load(raw)


def test_one_adapter_for_two_metrics_apis_is_two_sources():
    # prometheus-adapter registered for custom and external metrics: listed once per API, accepted.
    raw = stack_raw("prod")
    raw["jobs"]["metricSources"].append({"name": "prometheus-adapter", "type": "External", "metrics": ["queue_depth"]})
    raw["jobs"]["services"][0]["autoscaling"]["metrics"].append({"source": "prometheus-adapter", "metric": "queue_depth", "averageValue": "4"})
    load(raw)
    # a metric of either listing is served; one of neither names both listings' metrics
    raw["jobs"]["services"][0]["autoscaling"]["metrics"][2]["metric"] = "queue_age"
    assert one(raw)[1] == ("prometheus-adapter does not serve queue_age (it serves DCGM_FI_DEV_GPU_UTIL, vllm:num_requests_waiting, "
                           "queue_depth).")


def test_a_job_on_an_unknown_tier_does_not_hide_the_next_jobs_problems():
    raw = stack_raw("prod")
    raw["jobs"]["jobs"][1]["tier"] = "cn-beijing-serverless"
    raw["jobs"]["tenants"][0].update(minGpus=16, maxGpus=47)  # llm-pretrain: 48 x 1 GPU
    assert [i[0] for i in issues(raw)] == ["jobs.jobs[1].tier", "jobs.jobs[2].replicas"]  # llm-finetune: 32 GPUs, under 47


def test_the_request_is_quoted_in_name_order():
    # the config lists the request GPU first; the refusal names cpu, memory, nvidia.com/gpu in that order
    raw = stack_raw("prod")
    raw["jobs"]["tenants"][0]["maxGpus"] = 400
    del raw["jobs"]["jobs"][0]["failover"]
    raw["jobs"]["jobs"][0].update(replicas=41, request={"nvidia.com/gpu": 8, "memory": "480Gi", "cpu": "64"})
    assert one(raw)[1].startswith("41 pods of {cpu: 64, memory: 480Gi, nvidia.com/gpu: 8} do not fit whole in any tier")


def test_each_failover_target_is_checked_after_one_that_is_not_declared():
    raw = stack_raw("prod")
    raw["jobs"]["jobs"][0]["failover"]["to"] = ["ack-sh-infer", "ack-wlcb-train"]
    raw["jobs"]["failoverMembers"][0]["operators"] = ["spark-operator"]
    assert [(i[0], i[1].split(" (")[0]) for i in issues(raw)] == [
        ("jobs.jobs[0].failover.to[0]", "ack-sh-infer is not in jobs.failoverMembers"),
        ("jobs.jobs[0].failover.to[1]", "ack-wlcb-train runs no training-operator")]
