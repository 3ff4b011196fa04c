"""AI jobs: the objects of ``jobs`` (tenants, priority classes, PyTorchJobs, TFJobs, SparkApplications, batch
Jobs, inference services) and the checks that need the whole platform (capacity, Fleet). Pure code.

Where things run. Every job and service runs in the hybrid cluster (the registered IDC cluster, whose
tiers are the IDC's own nodes, the cloud GPU pools and the elastic pools that join it). A job is placed
whole in one tier: its pods carry a node affinity to that tier's nodes and, with gang scheduling, one
coscheduling PodGroup, so no pod starts before all of them can. With ``registration.fleet.apply`` the
workloads are resource templates on the ACK One Fleet, propagated to the hybrid cluster's member by one
PropagationPolicy each (gang, queue, priority, failover there); quotas are FederatedResourceQuotas that
create the members' ResourceQuotas; autoscaling is a FederatedHPA (+ CronFederatedHPA). Without it the
same workloads, ResourceQuotas and PriorityClasses go straight to the hybrid cluster, and what only the
Fleet can do (failover, FederatedHPA) is refused.

Sources, at the versions rendered (schemas stored under tests/data/, checked by tests/test_jobs.py):
* PyTorchJob, TFJob: kubeflow/training-operator@v1.8.1:manifests/base/crds/kubeflow.org_{pytorchjobs,tfjobs}.yaml.
* SparkApplication: kubeflow/spark-operator@v2.5.2:charts/spark-operator-chart/crds/sparkoperator.k8s.io_sparkapplications.yaml.
* PodGroup + the pod label ``scheduling.x-k8s.io/pod-group``: kubernetes-sigs/scheduler-plugins@v0.28.9:
  config/crd/bases/scheduling.x-k8s.io_podgroups.yaml, apis/scheduling/v1alpha1/types.go ``PodGroupLabel``.
  For a PyTorchJob the operator (started with ``--gang-scheduler-name``) creates the PodGroup itself from
  ``runPolicy.schedulingPolicy`` and labels the pods (training-operator@v1.8.1:pkg/controller.v1/control/
  podgroup_control.go); a batch Job gets a PodGroup from here.
* Karmada objects: karmada-io/karmada@v1.18.2:charts/karmada/_crds/bases/ (policy, autoscaling); a job's failover
  is Karmada's application failover (HEALTH_INTERPRETED below).
* ACK's Fleet-level gang and queue (``customSchedulingType: Gang``, ``suspension.scheduling: true``) on
  ``policy.one.alibabacloud.com/v1alpha1``: Alibaba Cloud help, "Schedule multi-cluster PyTorchJobs with
  gang scheduling and Kube Queue"; no public CRD schema (hybrid/unconfirmed.py ``jobs.ackPolicyFields``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Optional, Sequence

from hybrid import unconfirmed
from hybrid.cloudinit import LABEL_POOL
from hybrid.errors import ConfigIssue
from hybrid.fleet import FEDERATED_HPA_API, POLICY_APIS, PRIORITY_CLASS_API, policy_api_version
from hybrid.model.jobs import GangScheduler, Job, Jobs, MetricSource, Service, Tenant
from hybrid.placement_capacity import AggregateCapacity, CapacitySource, FixedCapacity, Node, NodeCapacity, normalise_request, parse_quantity
from hybrid.placement_platform import ELASTIC_SUFFIX, TIER_CLOUD, TIER_ELASTIC, TIER_IDC, elastic_capacity, fleet_clusters

if TYPE_CHECKING:
    from hybrid.model import Platform

GPU = "nvidia.com/gpu"
MANAGED_BY = {"app.kubernetes.io/managed-by": "pulumi"}
# source: kubeflow/training-operator@v1.8.1:manifests/base/crds/kubeflow.org_pytorchjobs.yaml, kubeflow.org_tfjobs.yaml
PYTORCHJOB_API = "kubeflow.org/v1"
TRAINING_API = PYTORCHJOB_API


@dataclass(frozen=True)
class TrainingKind:
    """How the training-operator v1.8.1 reads a kind: its replica-specs field, the replica type that
    coordinates (one pod), the workers' type and the container it finds by name."""

    specs: str
    leader: str
    worker: str
    container: str


# source: kubeflow/training-operator@v1.8.1:pkg/apis/kubeflow.org/v1/pytorch_types.go (pytorchReplicaSpecs,
# PyTorchJobReplicaTypeMaster / Worker, PyTorchJobDefaultContainerName "pytorch") and tensorflow_types.go
# (tfReplicaSpecs, TFJobReplicaTypeChief / Worker, TFJobDefaultContainerName "tensorflow"). TFJob: Chief +
# Workers, no parameter servers (all-reduce, MultiWorkerMirroredStrategy): every pod holds GPUs.
TRAINING_KINDS = {
    "PyTorchJob": TrainingKind("pytorchReplicaSpecs", "Master", "Worker", "pytorch"),
    "TFJob": TrainingKind("tfReplicaSpecs", "Chief", "Worker", "tensorflow"),
}
# source: kubeflow/spark-operator@v2.5.2:charts/spark-operator-chart/crds/sparkoperator.k8s.io_sparkapplications.yaml
SPARK_API = "sparkoperator.k8s.io/v1beta2"
# What a Spark driver does in its namespace: create and watch its executors, their services, configmaps and
# volumes (source: kubeflow/spark-operator@v2.5.2:charts/spark-operator-chart/templates/spark/rbac.yaml).
SPARK_DRIVER_RULES = [{"apiGroups": [""], "resources": ["pods", "configmaps", "persistentvolumeclaims", "services"],
                       "verbs": ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"]}]
# source: kubernetes-sigs/scheduler-plugins@v0.28.9:config/crd/bases/scheduling.x-k8s.io_podgroups.yaml
PODGROUP_API = "scheduling.x-k8s.io/v1alpha1"
# source: kubernetes-sigs/scheduler-plugins@v0.28.9:apis/scheduling/v1alpha1/types.go (PodGroupLabel)
PODGROUP_LABEL = "scheduling.x-k8s.io/pod-group"
# source: karmada-io/karmada@v1.18.2:charts/karmada/_crds/bases/policy/policy.karmada.io_federatedresourcequotas.yaml
FEDERATED_RESOURCE_QUOTA_API = "policy.karmada.io/v1alpha1"
# source: karmada-io/karmada@v1.18.2:charts/karmada/_crds/bases/autoscaling/autoscaling.karmada.io_cronfederatedhpas.yaml
CRON_FEDERATED_HPA_API = "autoscaling.karmada.io/v1alpha1"
# Kubernetes ResourceQuota for extended resources: only the requests. prefix is allowed
# (source: kubernetes.io/docs/concepts/policy/resource-quotas/#resource-quota-for-extended-resources).
QUOTA_GPU = f"requests.{GPU}"
# The group ACK One documents for its policies (Alibaba Cloud help, application distribution).
ACK_POLICY_GROUP = POLICY_APIS["ack"].split("/", 1)[0]
# Tiers a gang may run on: the hybrid cluster's nodes. Serverless capacity is a quota of virtual-node
# pods (placement.serverlessReplicas), not nodes the coscheduling plugin reserves whole.
GANG_TIERS = (TIER_IDC, TIER_CLOUD, TIER_ELASTIC)
JOB_PRIORITY_PROPAGATION = "hybrid-gpu-job-priority-classes"
# Kinds Karmada v1.18.2 interprets the health of (pkg/resourceinterpreter/default/thirdparty/resourcecustomizations/
# kubeflow.org/v1/{PyTorchJob,TFJob}, sparkoperator.k8s.io/v1beta2/SparkApplication: unhealthy once Failed / FAILED).
# The application failover controller skips any other kind (pkg/controllers/applicationfailover/
# rb_application_failover_controller.go bindingFilter: InterpretHealth hook enabled, propagateDeps true); its
# native interpreters (pkg/resourceinterpreter/default/native/healthy.go) have none for batch/v1 Job.
HEALTH_INTERPRETED = ("PyTorchJob", "TFJob", "SparkApplication")
OPERATOR_OF = {"PyTorchJob": "training-operator", "TFJob": "training-operator", "SparkApplication": "spark-operator"}
# Karmada's own metrics adapter (karmada-io/karmada@v1.18.2:cmd/metrics-adapter), which serves resource and
# custom metrics gathered from the members, not external ones.
KARMADA_METRICS_ADAPTER = "karmada-metrics-adapter"


def fleet_policy_api(p: "Platform") -> str:
    """apiVersion of the Fleet-level policies the jobs use: the stack's choice (registration.fleet.policyApi),
    the same as the placement's PropagationPolicies; with ACK's group the gang and queue fields are added."""
    return policy_api_version(p.registration.fleet.policy_api)


def _ack(api: str) -> bool:
    return api.split("/", 1)[0] == ACK_POLICY_GROUP


# --- capacity ------------------------------------------------------------------

@dataclass(frozen=True)
class Tier:
    name: str          # placement cluster name (idc.name, <region>, <region>-elastic)
    tier: int
    whole: CapacitySource   # the tier empty: what the largest gang it can ever hold is measured against
    affinity: dict[str, Any]  # node affinity term that keeps pods on this tier's nodes


def tiers(p: "Platform") -> list[Tier]:
    """The hybrid cluster's tiers a gang may use, in tier order, each at its full size."""
    cloud = p.cni.cloud_node_label
    out = []
    for c in fleet_clusters(p):
        if c.tier not in GANG_TIERS:
            continue
        if c.tier == TIER_IDC:
            cap = p.placement.idc_capacity
            # Observed totals without what runs: a job that fits only once others finish waits (Pending under
            # its PodGroup), it is not refused.
            whole: CapacitySource = AggregateCapacity(cap.allocatable, {}, {}) if cap else FixedCapacity(0)
            expr = {"key": cloud.key, "operator": "NotIn", "values": [cloud.value]}
        else:
            region = p.region(c.name.removesuffix(ELASTIC_SUFFIX))
            # Modelled cloud nodes start empty. A gang pinned to the elastic pools tolerates no virtual node, so
            # its pods stay Pending until the cluster autoscaler has added nodes, up to maxSize, whatever the
            # placement counts for Deployments that may spill to Serverless (placement_platform.elastic_capacity).
            whole = c.source if c.tier == TIER_CLOUD else elastic_capacity(region, at_max=True)
            pools = region.gpu_pools if c.tier == TIER_CLOUD else region.elastic_pools
            # The pool label every cloud GPU node carries: fixed pools' join script (hybrid.cloudinit), elastic
            # pools' node-pool labels (hybrid.elastic.node_pool_labels).
            expr = {"key": LABEL_POOL, "operator": "In", "values": sorted(pl.name for pl in pools)}
        out.append(Tier(c.name, c.tier, whole, {"nodeSelectorTerms": [{"matchExpressions": [expr]}]}))
    return out


def gpus(request: Mapping[str, Any]) -> int:
    q = request.get(GPU)
    return int(parse_quantity(q)) if q is not None else 0


def guaranteed_gpus(p: "Platform") -> int:
    """GPUs of nodes that exist: the IDC's allocatable plus the fixed cloud pools (elastic nodes may never come)."""
    cap = p.placement.idc_capacity
    idc = gpus(cap.allocatable) if cap else 0
    return idc + sum(pool.count * pool.spec.gpus for r in p.regions for pool in r.gpu_pools)


def host_tier(p: "Platform", job: Job, all_tiers: Sequence[Tier] | None = None) -> Tier | None:
    """The tier that hosts the whole job: the named one if it can, else the first that can."""
    req = normalise_request(job.request)
    for t in all_tiers if all_tiers is not None else tiers(p):
        if job.tier not in (None, t.name):
            continue
        if t.whole.replicas_for(req) >= job.replicas:
            return t
    return None


# --- checks ------------------------------------------------------------------------

def check(p: "Platform") -> Iterable[ConfigIssue]:
    j = p.jobs
    if not (j.tenants or j.jobs or j.services or j.priority_classes):
        return
    fleet = p.registration.fleet
    on_fleet = fleet.enabled and fleet.apply
    classes = {c.name for c in j.priority_classes}
    placement_classes = {w.priority.class_name for w in p.placement.workloads if w.priority}
    for i, c in enumerate(j.priority_classes):
        if c.name in placement_classes:
            yield ConfigIssue(f"jobs.priorityClasses[{i}].name", f"PriorityClass {c.name} is also defined by placement.workloads.",
                              "give the jobs' class another name, or use one definition in one place.")
    if len(classes) != len(j.priority_classes):
        yield ConfigIssue("jobs.priorityClasses", "a class name is listed twice.", "list each PriorityClass once.")
    tenants = {t.name: t for t in j.tenants}
    if len(tenants) != len(j.tenants):
        yield ConfigIssue("jobs.tenants", "a tenant name is listed twice.", "list each tenant once.")
    namespaces = [t.namespace for t in j.tenants]
    if len(set(namespaces)) != len(namespaces):
        yield ConfigIssue("jobs.tenants", "two tenants share a namespace; a namespace has one quota.", "give each tenant its own namespace.")
    yield from _tenant_capacity(p, j.tenants)
    seen_members: set[str] = set()
    for i, fm in enumerate(j.failover_members):
        if fm.member not in fleet.members:
            yield ConfigIssue(f"jobs.failoverMembers[{i}].member", f"{fm.member} is not a Fleet member (registration.fleet.members: {sorted(fleet.members) or 'none'}).",
                              "name one of those; the hybrid cluster itself is where the jobs start.")
        if fm.member in seen_members:
            yield ConfigIssue(f"jobs.failoverMembers[{i}].member", f"{fm.member} is listed twice.", "list each member once.")
        seen_members.add(fm.member)
    all_tiers = tiers(p)
    names = set()
    for i, job in enumerate(j.jobs):
        path = f"jobs.jobs[{i}]"
        yield from _refs(path, job.tenant, job.priority_class, tenants, classes)
        if (job.tenant, job.name) in names:
            yield ConfigIssue(f"{path}.name", f"{job.name} is declared twice for tenant {job.tenant}.", "give each job a unique name.")
        names.add((job.tenant, job.name))
        if job.kind in TRAINING_KINDS and j.training_operator is None:
            yield ConfigIssue(f"{path}.kind", f"a {job.kind} needs the Kubeflow training-operator in the hybrid cluster, and jobs.trainingOperator declares none.",
                              "install it and declare jobs.trainingOperator {version: v1.8.1, gangSchedulerName}, or run the job as kind: Job.")
        elif (job.kind in TRAINING_KINDS and job.gang and j.training_operator is not None and j.gang_scheduler is not None
              and j.training_operator.gang_scheduler_name != j.gang_scheduler.scheduler_name):
            yield ConfigIssue("jobs.trainingOperator.gangSchedulerName",
                              f"is {j.training_operator.gang_scheduler_name}, but the gang scheduler is {j.gang_scheduler.scheduler_name}: the operator "
                              "gives pods without a schedulerName that name and makes volcano PodGroups for 'volcano' "
                              "(kubeflow/training-operator@v1.8.1:cmd/training-operator.v1/main.go), so the two must agree.",
                              f"set it to {j.gang_scheduler.scheduler_name} (and start the operator with --gang-scheduler-name={j.gang_scheduler.scheduler_name}).")
        if job.kind == "SparkApplication":
            yield from _spark_checks(path, job, j)
        elif job.gang and j.gang_scheduler is None:
            yield ConfigIssue(f"{path}.gang", "no gang scheduler is declared for the hybrid cluster, so nothing would hold the pods back until all fit.",
                              "declare jobs.gangScheduler (kind: scheduler-plugins, installed in the IDC cluster) or set gang: false.")
        if job.queued and not (on_fleet and _ack(fleet_policy_api(p))):
            yield ConfigIssue(f"{path}.queued", f"a queued job waits for Kube Queue on the ACK One Fleet, which only ACK's policy API "
                              f"({ACK_POLICY_GROUP}) asks for (suspension.scheduling); this stack "
                              + ("declares nothing on the Fleet." if not on_fleet else f"uses {fleet_policy_api(p)}, whose PropagationPolicy has no such field."),
                              "set queued: false (the job is admitted at once, its tenant's quota still caps it), or use ACK's Fleet policy API.")
        if job.failover is not None:
            yield from _failover_checks(path, job, j, on_fleet)
        if job.tier is not None and job.tier not in {t.name for t in all_tiers}:
            yield ConfigIssue(f"{path}.tier", f"{job.tier} is not a tier of the hybrid cluster a gang can use ({', '.join(t.name for t in all_tiers)}).",
                              "name one of those, or drop tier to take the first that fits.")
            continue
        if host_tier(p, job, all_tiers) is None:
            where = f"tier {job.tier}" if job.tier else "any tier (" + ", ".join(t.name for t in all_tiers) + ")"
            need = ", ".join(f"{k}: {v}" for k, v in sorted(job.request.items()))
            yield ConfigIssue(f"{path}.replicas", f"{job.replicas} pods of {{{need}}} do not fit whole in {where}, even empty; a gang is never divided across tiers.",
                              "lower replicas or the per-pod request (fewer, larger pods on larger nodes), or add capacity to one tier.")
        t = tenants.get(job.tenant)
        total = gpus(job.request) * job.replicas
        if t is not None and total > t.max_gpus:
            yield ConfigIssue(f"{path}.replicas", f"the job needs {total} GPUs at once, above tenant {t.name}'s maxGpus {t.max_gpus}: its quota would never admit it.",
                              f"lower replicas or raise jobs.tenants[{j.tenants.index(t)}].maxGpus.")
    sources: dict[str, list[MetricSource]] = {}
    for i, ms in enumerate(j.metric_sources):
        if any(o.type == ms.type for o in sources.get(ms.name, [])):
            yield ConfigIssue(f"jobs.metricSources[{i}]", f"{ms.name} is listed twice for {ms.type} metrics.", "list each adapter once per metrics API.")
        sources.setdefault(ms.name, []).append(ms)
        if ms.type == "External" and ms.name == KARMADA_METRICS_ADAPTER:
            yield ConfigIssue(f"jobs.metricSources[{i}].type", f"{KARMADA_METRICS_ADAPTER} v1.18.2 serves no external metrics: its APIService registers "
                              "metrics.k8s.io and custom.metrics.k8s.io only (artifacts/deploy/karmada-metrics-adapter-apiservice.yaml) and its "
                              "external provider answers 'still not implement it' (pkg/metricsadapter/provider/externalmetrics.go).",
                              "serve External metrics from an adapter registered for external.metrics.k8s.io on the Fleet (e.g. prometheus-adapter "
                              "with externalRules) and name that one, or use type: Pods.")
    for i, svc in enumerate(j.services):
        path = f"jobs.services[{i}]"
        yield from _refs(path, svc.tenant, svc.priority_class, tenants, classes)
        if (svc.failover or svc.autoscaling) and not on_fleet:
            yield ConfigIssue(f"{path}", "failover and FederatedHPA are Fleet objects, and this stack declares nothing on the Fleet.",
                              "set registration.fleet.apply: true, or drop failover and autoscaling.")
        t = tenants.get(svc.tenant)
        top = (svc.autoscaling.max_replicas if svc.autoscaling else svc.replicas) * gpus(svc.request)
        if t is not None and top > t.max_gpus:
            field = "autoscaling.maxReplicas" if svc.autoscaling else "replicas"
            yield ConfigIssue(f"{path}.{field}", f"at that count the service requests {top} GPUs, above tenant {t.name}'s maxGpus {t.max_gpus}: "
                              "the ResourceQuota would reject the pods the autoscaler adds.",
                              f"lower it or raise jobs.tenants[{j.tenants.index(t)}].maxGpus.")
        for k, m in enumerate(svc.autoscaling.metrics if svc.autoscaling else []):
            listed = sources.get(m.source)
            mp = f"{path}.autoscaling.metrics[{k}]"
            src = metric_source(j, m.source, m.metric)
            if listed is None:
                yield ConfigIssue(f"{mp}.source", f"metric source {m.source} is not installed (jobs.metricSources lists {sorted(sources) or 'none'}).",
                                  "install the adapter and list it in jobs.metricSources, or use a listed source.")
            elif src is None:
                served = [x for ms in listed for x in ms.metrics]
                yield ConfigIssue(f"{mp}.metric", f"{m.source} does not serve {m.metric} (it serves {', '.join(served)}).",
                                  f"add {m.metric} to the source's metrics once its adapter rule exists, or use one of those.")


def _failover_checks(path: str, job: Job, j: Jobs, on_fleet: bool) -> Iterable[ConfigIssue]:
    fo = job.failover
    assert fo is not None
    if not on_fleet:
        yield ConfigIssue(f"{path}.failover", "job failover is Karmada's application failover on the Fleet, and this stack declares nothing on the Fleet.",
                          "set registration.fleet.apply: true, or drop failover.")
    if job.kind not in HEALTH_INTERPRETED:
        yield ConfigIssue(f"{path}.failover", f"Karmada v1.18.2 interprets no health of a {job.kind} (pkg/resourceinterpreter/default/native/healthy.go "
                          "has none for batch/v1 Job), and its application failover controller skips such bindings, so the job would never move.",
                          "drop failover (backoffLimit retries it in place), or run it as a PyTorchJob, TFJob or SparkApplication.")
        return
    members = {fm.member: fm for fm in j.failover_members}
    gs = j.gang_scheduler
    need = normalise_request(job.request)
    for k, name in enumerate(fo.to):
        at = f"{path}.failover.to[{k}]"
        fm = members.get(name)
        if fm is None:
            yield ConfigIssue(at, f"{name} is not in jobs.failoverMembers ({sorted(members) or 'none'}).",
                              "declare what the member runs in jobs.failoverMembers, or name a declared one.")
            continue
        op = OPERATOR_OF[job.kind]
        if op not in fm.operators:
            yield ConfigIssue(at, f"{name} runs no {op} (jobs.failoverMembers: {', '.join(fm.operators)}), so the {job.kind} would never run there.",
                              f"install {op} in {name} and list it, or fail over to another member.")
        if job.gang and gs is not None and fm.gang_scheduler_name != gs.scheduler_name:
            yield ConfigIssue(at, f"the job's pods name scheduler {gs.scheduler_name}, and {name} runs "
                              + (f"{fm.gang_scheduler_name}" if fm.gang_scheduler_name else "no scheduler-plugins scheduler") + ": its pods would stay Pending.",
                              f"run scheduler-plugins' Coscheduling as {gs.scheduler_name} in {name} and set its gangSchedulerName, or fail over elsewhere.")
        if NodeCapacity(tuple(Node(dict(fm.node)) for _ in range(fm.gpu_nodes))).replicas_for(need) < job.replicas:
            yield ConfigIssue(at, f"{job.replicas} pods do not fit whole on {name}'s {fm.gpu_nodes} GPU nodes (jobs.failoverMembers), even empty.",
                              "fail over to a member that can hold the whole job, or lower replicas.")


def metric_source(j: Jobs, source: str, metric: str) -> Optional[MetricSource]:
    """The jobs.metricSources entry named ``source`` that serves ``metric`` (an adapter may be listed once
    per metrics API: Pods on custom.metrics.k8s.io, External on external.metrics.k8s.io)."""
    return next((ms for ms in j.metric_sources if ms.name == source and metric in ms.metrics), None)


def _spark_checks(path: str, job: Job, j: Jobs) -> Iterable[ConfigIssue]:
    if j.spark_operator is None:
        yield ConfigIssue(f"{path}.kind", "a SparkApplication needs kubeflow's spark-operator (with its webhook) in the hybrid cluster, and jobs.sparkOperator declares none.",
                          "install it and declare jobs.sparkOperator {version: v2.5.2}, or run the job as kind: Job.")
    if job.gang:
        yield ConfigIssue(f"{path}.gang", "a SparkApplication cannot be a gang: spark-operator v2.5.2's scheduler-plugins integration makes a PodGroup "
                          "of minMember 1 (internal/scheduler/kubescheduler/scheduler.go), which holds the driver only, and the driver "
                          "creates its executors after it starts.", "set gang: false (the job still runs whole in one tier), or run it as kind: Job.")
    cpu = parse_quantity(job.request.get("cpu", "0"))
    if cpu < 1 or cpu.denominator != 1:
        yield ConfigIssue(f"{path}.request.cpu", f"{job.request.get('cpu')} is not a whole number of cores; Spark's driver and executor cores "
                          "(spark.*.cores, the CRD's integer cores) are whole.", "request whole cores, e.g. cpu: \"8\".")
    assert job.spark is not None
    mem = parse_quantity(job.request.get("memory", "0")) / 2**20
    if mem <= job.spark.memory_overhead_mib:
        yield ConfigIssue(f"{path}.request.memory", f"{job.request.get('memory')} leaves no JVM heap above spark.memoryOverheadMib {job.spark.memory_overhead_mib} MiB.",
                          "request more memory or lower spark.memoryOverheadMib.")


def _refs(path: str, tenant: str, cls: str | None, tenants: Mapping[str, Tenant], classes: set[str]) -> Iterable[ConfigIssue]:
    if tenant not in tenants:
        yield ConfigIssue(f"{path}.tenant", f"tenant {tenant} does not exist (jobs.tenants: {sorted(tenants) or 'none'}).", "name a declared tenant or add it.")
    if cls is not None and cls not in classes:
        yield ConfigIssue(f"{path}.priorityClass", f"PriorityClass {cls} does not exist (jobs.priorityClasses: {sorted(classes) or 'none'}).",
                          "name a declared class or add it to jobs.priorityClasses.")


def _tenant_capacity(p: "Platform", tenants: Sequence[Tenant]) -> Iterable[ConfigIssue]:
    cap = guaranteed_gpus(p)
    for i, t in enumerate(tenants):
        if t.min_gpus > cap:
            yield ConfigIssue(f"jobs.tenants[{i}].minGpus", f"{t.min_gpus} GPUs can never be met: the hybrid cluster's existing nodes hold {cap}.",
                              f"lower minGpus to at most {cap}, or add fixed GPU pools / IDC GPUs.")
    total = sum(t.min_gpus for t in tenants)
    if total > cap and all(t.min_gpus <= cap for t in tenants):
        yield ConfigIssue("jobs.tenants", f"the tenants' minGpus add up to {total}, above the {cap} GPUs of the hybrid cluster's existing nodes "
                          "(IDC allocatable + fixed cloud pools; elastic nodes are not guaranteed).",
                          f"lower the mins by {total - cap} in total, or add capacity.")


# --- objects -----------------------------------------------------------------------

def _meta(name: str, namespace: str | None = None, labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    m: dict[str, Any] = {"name": name}
    if namespace:
        m["namespace"] = namespace
    m["labels"] = {**MANAGED_BY, **(labels or {})}
    return m


# A non-root UID above the host's range (checkov CKV_K8S_40 asks for >= 10000); images must run as it.
RUN_AS_USER = 10001


def _container(name: str, image: str, request: Mapping[str, Any], command: Sequence[str] = (), port: int | None = None,
               health: str | None = None) -> dict[str, Any]:
    res = {k: v for k, v in sorted(request.items())}
    # Limits = requests: Guaranteed QoS, so a gang's pods are the last the kubelet evicts under pressure;
    # extended resources (GPUs) must have limits equal to requests anyway (kubernetes.io, "Schedule GPUs").
    c: dict[str, Any] = {"name": name, "image": image, "imagePullPolicy": "Always",
                         "resources": {"requests": dict(res), "limits": dict(res)},
                         "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                             "capabilities": {"drop": ["ALL"]}},
                         # A read-only root: scratch and PyTorch's shared memory (DataLoader workers, NCCL) on emptyDirs.
                         "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}, {"name": "dshm", "mountPath": "/dev/shm"}]}
    if command:
        c["command"] = list(command)
    if port:
        c["ports"] = [{"containerPort": port, "name": "http"}]
    if health and port:
        probe = {"httpGet": {"path": health, "port": "http"}, "periodSeconds": 10}
        # Loading model weights takes minutes: readiness gates traffic, liveness starts late.
        c["readinessProbe"] = {**probe, "initialDelaySeconds": 10}
        c["livenessProbe"] = {**probe, "initialDelaySeconds": 300, "failureThreshold": 6}
    return c


def _pod(job_name: str, container: dict, affinity: Mapping[str, Any] | None, priority: str | None,
         scheduler: str | None, gang_label: str | None, restart: str | None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "containers": [container],
        "automountServiceAccountToken": False,  # the workloads do not call the apiserver
        "securityContext": {"runAsNonRoot": True, "runAsUser": RUN_AS_USER, "runAsGroup": RUN_AS_USER,
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "volumes": [{"name": "tmp", "emptyDir": {}}, {"name": "dshm", "emptyDir": {"medium": "Memory"}}],
    }
    if restart:
        spec["restartPolicy"] = restart
    if affinity:
        spec["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": dict(affinity)}}
    if priority:
        spec["priorityClassName"] = priority
    if scheduler:
        spec["schedulerName"] = scheduler
    labels = {"app.kubernetes.io/name": job_name}
    if gang_label:
        labels[PODGROUP_LABEL] = gang_label
    return {"metadata": {"labels": labels}, "spec": spec}


def network_policy(name: str, namespace: str, port: int | None) -> dict[str, Any]:
    """Ingress to a workload's pods: a job's pods from each other (torch.distributed rendezvous and NCCL
    use ports the job picks), a service's from anywhere on its port. Egress stays open (datasets, registry)."""
    pods = {"matchLabels": {"app.kubernetes.io/name": name}}
    rule: dict[str, Any] = ({"ports": [{"protocol": "TCP", "port": port}]} if port else {"from": [{"podSelector": pods}]})
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": _meta(name, namespace),
            "spec": {"podSelector": pods, "policyTypes": ["Ingress"], "ingress": [rule]}}


@dataclass(frozen=True)
class JobPlan:
    job: Job
    namespace: str
    tier: Tier


class JobsPlan:
    """The rendered objects of the ``jobs`` section, per destination."""

    def __init__(self, p: "Platform"):
        self.p = p
        self.j: Jobs = p.jobs
        fleet = p.registration.fleet
        self.on_fleet = fleet.enabled and fleet.apply
        self.ns = {t.name: t.namespace for t in self.j.tenants}
        all_tiers = tiers(p) if self.j.jobs else []
        self.jobs = []
        for job in self.j.jobs:
            t = host_tier(p, job, all_tiers)
            assert t is not None, "checked by hybrid.jobs.check"
            self.jobs.append(JobPlan(job, self.ns[job.tenant], t))

    # Workloads -------------------------------------------------------------
    def _gang_scheduler(self, job: Job) -> Optional[GangScheduler]:
        """The scheduler that holds the job's pods back until all fit; None: the default scheduler, pod by pod."""
        return self.j.gang_scheduler if job.gang else None

    def _gang(self, job: Job) -> bool:
        return self._gang_scheduler(job) is not None

    def training_job(self, jp: JobPlan) -> dict[str, Any]:
        """A PyTorchJob or TFJob: one leader pod plus replicas-1 workers, all alike."""
        job = jp.job
        tk = TRAINING_KINDS[job.kind]
        gs = self._gang_scheduler(job)
        sched = gs.scheduler_name if gs is not None else None

        def replica(n: int) -> dict[str, Any]:
            # The operator finds the training container by its kind's default name (TRAINING_KINDS).
            pod = _pod(job.name, _container(tk.container, job.image, job.request, job.command), jp.tier.affinity,
                       job.priority_class, sched, None, None)
            return {"replicas": n, "restartPolicy": "OnFailure", "template": pod}

        specs = {tk.leader: replica(1)}
        if job.replicas > 1:
            specs[tk.worker] = replica(job.replicas - 1)
        run: dict[str, Any] = {"cleanPodPolicy": "None", "backoffLimit": job.backoff_limit, "suspend": False}
        if self._gang(job):
            policy: dict[str, Any] = {"minAvailable": job.replicas, "scheduleTimeoutSeconds": job.schedule_timeout_seconds}
            if job.priority_class:
                policy["priorityClass"] = job.priority_class
            run["schedulingPolicy"] = policy
        return {"apiVersion": TRAINING_API, "kind": job.kind, "metadata": _meta(job.name, jp.namespace),
                "spec": {"runPolicy": run, tk.specs: specs}}

    def spark_application(self, jp: JobPlan) -> list[dict[str, Any]]:
        """A SparkApplication (1 driver + replicas-1 executors, all in the job's tier) and its driver's
        ServiceAccount, Role and RoleBinding. The pod fields are the CRD's; the operator's webhook puts
        them on the pods (spark-operator@v2.5.2:internal/webhook/sparkpod_defaulter.go)."""
        job = jp.job
        sp = job.spark
        assert sp is not None
        cores = int(parse_quantity(job.request["cpu"]))
        heap = int(parse_quantity(job.request["memory"]) / 2**20) - sp.memory_overhead_mib
        sa = f"{job.name}-spark"
        labels = {"app.kubernetes.io/name": job.name}

        def pod(extra: dict[str, Any]) -> dict[str, Any]:
            # Pod memory = memory + memoryOverhead (Spark's request and limit): request.memory in total.
            d: dict[str, Any] = {"cores": cores, "coreLimit": str(cores), "memory": f"{heap}m", "memoryOverhead": f"{sp.memory_overhead_mib}m",
                                 "labels": dict(labels),
                                 "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": dict(jp.tier.affinity)}},
                                 "podSecurityContext": {"runAsNonRoot": True, "runAsUser": RUN_AS_USER, "runAsGroup": RUN_AS_USER,
                                                        "seccompProfile": {"type": "RuntimeDefault"}},
                                 # Spark writes its scratch and work dirs into the image: no read-only root.
                                 "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}}
            if job.priority_class:
                d["priorityClassName"] = job.priority_class
            return {**d, **extra}

        executor = pod({"instances": job.replicas - 1})
        if gpus(job.request):
            executor["gpu"] = {"name": GPU, "quantity": gpus(job.request)}  # the driver plans, the executors compute
        spec: dict[str, Any] = {"type": sp.type, "mode": "cluster", "image": job.image, "imagePullPolicy": "Always",
                                "sparkVersion": sp.spark_version, "mainApplicationFile": sp.main_application_file,
                                "restartPolicy": {"type": "OnFailure", "onFailureRetries": job.backoff_limit,
                                                  "onSubmissionFailureRetries": job.backoff_limit},
                                "driver": pod({"serviceAccount": sa}), "executor": executor}
        if sp.main_class:
            spec["mainClass"] = sp.main_class
        if job.command:
            spec["arguments"] = list(job.command)
        ns = jp.namespace
        return [{"apiVersion": SPARK_API, "kind": "SparkApplication", "metadata": _meta(job.name, ns), "spec": spec},
                {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(sa, ns)},
                {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": _meta(sa, ns), "rules": SPARK_DRIVER_RULES},
                {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": _meta(sa, ns),
                 "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": ns}],
                 "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": sa}}]

    def batch_job(self, jp: JobPlan) -> dict[str, Any]:
        job = jp.job
        gs = self._gang_scheduler(job)
        gang = gs is not None
        sched = gs.scheduler_name if gs is not None else None
        pod = _pod(job.name, _container("main", job.image, job.request, job.command), jp.tier.affinity,
                   job.priority_class, sched, job.name if gang else None, "Never")
        # source: kubernetes API reference batch/v1 JobSpec (parallelism, completions, backoffLimit, suspend).
        # The Job is created running: on the Fleet, Kube Queue holds its propagation (suspension.scheduling);
        # suspend: true here would need a controller in the member to resume it.
        return {"apiVersion": "batch/v1", "kind": "Job", "metadata": _meta(job.name, jp.namespace),
                "spec": {"parallelism": job.replicas, "completions": job.replicas, "backoffLimit": job.backoff_limit,
                         "suspend": False, "template": pod}}

    def podgroup(self, jp: JobPlan) -> dict[str, Any]:
        job = jp.job
        return {"apiVersion": PODGROUP_API, "kind": "PodGroup", "metadata": _meta(job.name, jp.namespace),
                "spec": {"minMember": job.replicas, "scheduleTimeoutSeconds": job.schedule_timeout_seconds,
                         "minResources": {k: v for k, v in sorted(_times(job.request, job.replicas).items())}}}

    def deployment(self, svc: Service) -> list[dict[str, Any]]:
        ns = self.ns[svc.tenant]
        pod = _pod(svc.name, _container("server", svc.image, svc.request, port=svc.port, health=svc.health_path), None,
                   svc.priority_class, None, None, None)
        dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": _meta(svc.name, ns),
               "spec": {"replicas": svc.replicas, "selector": {"matchLabels": {"app.kubernetes.io/name": svc.name}}, "template": pod}}
        service = {"apiVersion": "v1", "kind": "Service", "metadata": _meta(svc.name, ns),
                   "spec": {"selector": {"app.kubernetes.io/name": svc.name},
                            "ports": [{"name": "http", "port": svc.port, "targetPort": "http", "protocol": "TCP"}]}}
        return [dep, service, network_policy(svc.name, ns, svc.port)]

    def workloads(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for jp in self.jobs:
            if jp.job.kind in TRAINING_KINDS:
                out.append(self.training_job(jp))
            elif jp.job.kind == "SparkApplication":
                out.extend(self.spark_application(jp))
            else:
                if self._gang(jp.job):
                    out.append(self.podgroup(jp))
                out.append(self.batch_job(jp))
            out.append(network_policy(jp.job.name, jp.namespace, None))
        for svc in self.j.services:
            out.extend(self.deployment(svc))
        return out

    # Tenants and priorities ------------------------------------------------
    def resource_quota(self, t: Tenant) -> dict[str, Any]:
        return {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": _meta("gpu", t.namespace),
                "spec": {"hard": {QUOTA_GPU: str(t.max_gpus)}}}

    def federated_quota(self, t: Tenant, member: Any) -> dict[str, Any]:
        # staticAssignments: Karmada creates the ResourceQuota in the member (CRD description at v1.18.2).
        return {"apiVersion": FEDERATED_RESOURCE_QUOTA_API, "kind": "FederatedResourceQuota", "metadata": _meta("gpu", t.namespace),
                "spec": {"overall": {QUOTA_GPU: str(t.max_gpus)},
                         "staticAssignments": [{"clusterName": member, "hard": {QUOTA_GPU: str(t.max_gpus)}}]}}

    def priority_classes(self) -> list[dict[str, Any]]:
        out = []
        for c in sorted(self.j.priority_classes, key=lambda c: c.name):
            doc: dict[str, Any] = {"apiVersion": PRIORITY_CLASS_API, "kind": "PriorityClass", "metadata": _meta(c.name),
                                   "value": c.value, "preemptionPolicy": "PreemptLowerPriority" if c.preempts else "Never",
                                   "globalDefault": False}
            if c.description:
                doc["description"] = c.description
            out.append(doc)
        return out

    # Fleet -------------------------------------------------------------------
    def propagation(self, name: str, namespace: str, selectors: list[dict[str, Any]], member: Any, *,
                    gang: bool = False, queued: bool = False, priority_class: str | None = None,
                    failover: Any = None, replicas: bool = False, whole: bool = False,
                    failover_to: Sequence[str] = ()) -> dict[str, Any]:
        api = fleet_policy_api(self.p)
        placement: dict[str, Any] = {"clusterAffinity": {"clusterNames": [member]}}
        if failover_to:
            # Ordered groups: the hybrid cluster first; once application failover has evicted the job there,
            # Karmada's ClusterEviction filter (pkg/scheduler/framework/plugins/clustereviction) rules it out and
            # the scheduler takes the next group (the failover members).
            placement = {"clusterAffinities": [{"affinityName": "hybrid", "clusterNames": [member]},
                                               {"affinityName": "failover", "clusterNames": list(failover_to)}]}
        if gang or whole:
            # Karmada v1.18.2 interprets no replicas of PyTorchJob, TFJob or SparkApplication (its thirdparty
            # customizations give health, status, dependencies, components), so it propagates those templates
            # whole; for a Job it divides parallelism. One cluster group keeps every pod in one member either way.
            placement["spreadConstraints"] = [{"spreadByField": "cluster", "maxGroups": 1, "minGroups": 1}]
        if replicas:
            placement["replicaScheduling"] = {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Aggregated"}
        spec: dict[str, Any] = {
            "resourceSelectors": selectors,
            "placement": placement,
            # Policy priority: these name-matched policies claim their templates over any broader policy,
            # and take them over from a lower one (Karmada: priority + preemption, policy level only).
            "priority": 100,
            "preemption": "Always",
        }
        if priority_class:
            # Alpha in v1.18.2 (feature gate unconfirmed.value("jobs.fleetSchedulePriority")): orders the
            # scheduling queue only, evicts nothing.
            spec["schedulePriority"] = {"priorityClassSource": "KubePriorityClass", "priorityClassName": priority_class}
        if failover is not None:
            spec["failover"] = {"application": {"decisionConditions": {"tolerationSeconds": failover.toleration_seconds},
                                                "purgeMode": failover.purge_mode}}
            spec["propagateDeps"] = True  # the CRD: with application failover, dependencies must move along
        if _ack(api):
            gang_field, queue_field = unconfirmed.value("jobs.ackPolicyFields").split(",")
            if gang:
                spec[gang_field] = "Gang"
            if queued:
                outer, inner = queue_field.split(".")
                spec[outer] = {inner: True}
        return {"apiVersion": api, "kind": "PropagationPolicy", "metadata": _meta(name, namespace), "spec": spec}

    def failover_ids(self, job: Job) -> list[str]:
        """Cluster ids (the Fleet's member names) of the job's failover members, in the job's order."""
        if job.failover is None:
            return []
        return [self.p.registration.fleet.members[n].cluster_id for n in job.failover.to]

    def override_policy(self, jp: JobPlan, selector: dict[str, Any]) -> dict[str, Any]:
        """On the failover members, the pods lose the hybrid tier's node affinity: its labels (the cloud-node
        label, the pool label) are the hybrid cluster's. Karmada v1.18.2 OverridePolicy, plaintext remove."""
        job = jp.job
        if job.kind in TRAINING_KINDS:
            tk = TRAINING_KINDS[job.kind]
            roles = [tk.leader] + ([tk.worker] if job.replicas > 1 else [])
            paths = [f"/spec/{tk.specs}/{r}/template/spec/affinity" for r in roles]
        else:
            paths = ["/spec/driver/affinity", "/spec/executor/affinity"]
        return {"apiVersion": fleet_policy_api(self.p), "kind": "OverridePolicy", "metadata": _meta(job.name, jp.namespace),
                "spec": {"resourceSelectors": [selector],
                         "overrideRules": [{"targetCluster": {"clusterNames": self.failover_ids(job)},
                                            "overriders": {"plaintext": [{"path": path, "operator": "remove"} for path in paths]}}]}}

    def federated_hpa(self, svc: Service) -> dict[str, Any]:
        a = svc.autoscaling
        assert a is not None
        metrics = []
        for m in a.metrics:
            src = metric_source(self.j, m.source, m.metric)
            assert src is not None, "checked by hybrid.jobs.check"
            kind = src.type
            key = "pods" if kind == "Pods" else "external"
            metrics.append({"type": kind, key: {"metric": {"name": m.metric}, "target": {"type": "AverageValue", "averageValue": m.average_value}}})

        def rules(r: Any) -> dict[str, Any]:
            return {"stabilizationWindowSeconds": r.stabilization_window_seconds,
                    "policies": [{"type": "Pods", "value": r.pods, "periodSeconds": r.period_seconds}]}

        return {"apiVersion": FEDERATED_HPA_API, "kind": "FederatedHPA", "metadata": _meta(svc.name, self.ns[svc.tenant]),
                "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": svc.name},
                         "minReplicas": a.min_replicas, "maxReplicas": a.max_replicas, "metrics": metrics,
                         "behavior": {"scaleUp": rules(a.scale_up), "scaleDown": rules(a.scale_down)}}}

    def cron_hpa(self, svc: Service) -> dict[str, Any]:
        a = svc.autoscaling
        assert a is not None and a.cron
        return {"apiVersion": CRON_FEDERATED_HPA_API, "kind": "CronFederatedHPA", "metadata": _meta(svc.name, self.ns[svc.tenant]),
                "spec": {"scaleTargetRef": {"apiVersion": FEDERATED_HPA_API, "kind": "FederatedHPA", "name": svc.name},
                         "rules": [{"name": c.name, "schedule": c.schedule, "timeZone": c.time_zone,
                                    "targetMinReplicas": c.target_min_replicas, "targetMaxReplicas": c.target_max_replicas}
                                   for c in a.cron]}}

    def fleet_objects(self, member: Any) -> list[dict[str, Any]]:
        """Everything declared on the Fleet; ``member`` is the hybrid cluster's member name (its cluster id)."""
        api = fleet_policy_api(self.p)
        out: list[dict[str, Any]] = self.priority_classes()
        if out:
            # The failover members too: a pod naming a PriorityClass its cluster lacks is refused at admission.
            others = sorted({i for jp in self.jobs for i in self.failover_ids(jp.job)})
            out.append({"apiVersion": api, "kind": "ClusterPropagationPolicy", "metadata": _meta(JOB_PRIORITY_PROPAGATION),
                        "spec": {"resourceSelectors": [{"apiVersion": PRIORITY_CLASS_API, "kind": "PriorityClass", "name": c["metadata"]["name"]} for c in out],
                                 "placement": {"clusterAffinity": {"clusterNames": [member, *others]}}}})
        out.extend(self.federated_quota(t, member) for t in self.j.tenants)
        out.extend(self.workloads())
        for jp in self.jobs:
            job = jp.job
            kind_api = (TRAINING_API, job.kind) if job.kind in TRAINING_KINDS else (SPARK_API, job.kind) if job.kind == "SparkApplication" else ("batch/v1", "Job")
            sel = [{"apiVersion": kind_api[0], "kind": kind_api[1], "name": job.name}]
            if job.kind == "SparkApplication":
                sel += [{"apiVersion": api, "kind": k, "name": f"{job.name}-spark"}
                        for api, k in (("v1", "ServiceAccount"), ("rbac.authorization.k8s.io/v1", "Role"), ("rbac.authorization.k8s.io/v1", "RoleBinding"))]
            if job.kind == "Job" and self._gang(job):
                sel.append({"apiVersion": PODGROUP_API, "kind": "PodGroup", "name": job.name})
            sel.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "name": job.name})
            out.append(self.propagation(job.name, jp.namespace, sel, member, gang=self._gang(job), queued=job.queued,
                                        priority_class=job.priority_class, replicas=job.kind == "Job", whole=True,
                                        failover=job.failover, failover_to=self.failover_ids(job)))
            if job.failover is not None:
                out.append(self.override_policy(jp, sel[0]))
        for svc in self.j.services:
            ns = self.ns[svc.tenant]
            sel = [{"apiVersion": "apps/v1", "kind": "Deployment", "name": svc.name}, {"apiVersion": "v1", "kind": "Service", "name": svc.name},
                   {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "name": svc.name}]
            out.append(self.propagation(svc.name, ns, sel, member, priority_class=svc.priority_class, failover=svc.failover, replicas=True))
            if svc.autoscaling:
                out.append(self.federated_hpa(svc))
                if svc.autoscaling.cron:
                    out.append(self.cron_hpa(svc))
        return out

    def cluster_objects(self) -> list[dict[str, Any]]:
        """Declared straight in the hybrid cluster when nothing goes to the Fleet."""
        return [*self.priority_classes(), *(self.resource_quota(t) for t in self.j.tenants), *self.workloads()]

    def objects(self, member: Any = "@HYBRID_MEMBER@") -> list[dict[str, Any]]:
        return self.fleet_objects(member) if self.on_fleet else self.cluster_objects()

    @staticmethod
    def _job_failover(job: Job) -> str:
        if job.failover is not None:
            return f"{job.failover.purge_mode} after {job.failover.toleration_seconds}s to {', '.join(job.failover.to)}"
        return "none (Job: no health interpreter)" if job.kind not in HEALTH_INTERPRETED else "none"

    def table(self) -> list[dict[str, str]]:
        """workload | kind | gang | queue/quota | priority | failover | autoscaling (docs and the plan)."""
        rows = []
        for jp in self.jobs:
            job = jp.job
            t = next(t for t in self.j.tenants if t.name == job.tenant)
            gang = "none (spark-operator holds the driver only)" if job.kind == "SparkApplication" else "none"
            if self._gang(job):
                owner = "operator's PodGroup" if job.kind in TRAINING_KINDS else "PodGroup"
                gang = f"{owner} of {job.replicas} pods in tier {jp.tier.name}"
            if self._gang(job) and self.on_fleet:
                gang += " + one Fleet cluster"
            # tier: recorded for `hybrid-gpu jobs`, which reads the plan; the pods carry only its node affinity.
            rows.append({"workload": f"{jp.namespace}/{job.name}", "kind": job.kind, "tier": jp.tier.name, "gang": gang,
                         "queue/quota": (("Kube Queue (suspension.scheduling); " if job.queued else "") + f"{t.name} max {t.max_gpus} GPU"),
                         "priority": job.priority_class or "-", "failover": self._job_failover(job), "autoscaling": "-"})
        for svc in self.j.services:
            t = next(t for t in self.j.tenants if t.name == svc.tenant)
            a = svc.autoscaling
            auto = "-"
            if a:
                auto = f"FederatedHPA {a.min_replicas}..{a.max_replicas} on " + ", ".join(f"{m.metric} ({m.source})" for m in a.metrics)
                if a.cron:
                    auto += "; CronFederatedHPA " + ", ".join(c.name for c in a.cron)
            fo = f"{svc.failover.purge_mode} after {svc.failover.toleration_seconds}s" if svc.failover else "none"
            rows.append({"workload": f"{self.ns[svc.tenant]}/{svc.name}", "kind": "Deployment", "gang": "none",
                         "queue/quota": f"{t.name} max {t.max_gpus} GPU", "priority": svc.priority_class or "-",
                         "failover": fo, "autoscaling": auto})
        return rows


def _times(request: Mapping[str, Any], n: int) -> dict[str, str]:
    out = {}
    for k, v in request.items():
        q = parse_quantity(v) * n
        out[k] = str(int(q)) if q.denominator == 1 else f"{int(q * 1000)}m"
    return out


def plan_jobs(p: "Platform") -> JobsPlan:
    return JobsPlan(p)
