"""components/jobs.py (AiJobs) built in-process under Pulumi's mocks: each document of the jobs plan
declared once, as the kind's own resource with the document's fields, named after its kind, namespace
and name, and in the order admission and Karmada need:

- a pod naming a PriorityClass that does not exist is refused at admission (kubernetes.io, "Pod Priority
  and Preemption": "If you submit Pods that have a priorityClassName that doesn't exist, they will be
  rejected"): everything with pods waits for the classes;
- the Fleet's PropagationPolicies wait for the templates the program declares as typed resources
  (Deployments, Jobs), and every object for the hybrid cluster's memberships the policies name;
- a Deployment's replicas belong to its FederatedHPA (ignoreChanges spec.replicas), and a Job's pod
  template is immutable (batch/v1 JobSpec.template: a change is a replacement: deleteBeforeReplace).

The monitor is the plan's own recorder (hybrid_tools.mockrun.RecordingMonitor), which keeps each
registration's dependencies and options; it also keeps the component's registered outputs here.
"""

from __future__ import annotations

import asyncio

import pulumi
import pytest

from hybrid import jobs as J
from hybrid.stack import load_platform as load
from hybrid_tools.mockrun import PlanMocks, RecordingMonitor
from tests.conftest import stack_raw

MEMBER = "c0123456789abcdef0123456789abcdef"


class _Monitor(RecordingMonitor):
    def __init__(self, mocks):
        super().__init__(mocks)
        self.outputs: dict[str, dict] = {}

    def RegisterResourceOutputs(self, request):
        from google.protobuf import json_format

        self.outputs[request.urn] = json_format.MessageToDict(request.outputs)
        return super().RegisterResourceOutputs(request)


@pytest.fixture
def run():
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    def go(raw, stack, memberships=1, provider=False):
        from components.jobs import AiJobs, AiJobsArgs

        mocks = PlanMocks()
        monitor = _Monitor(mocks)
        pulumi.runtime.set_all_config({}, [])
        pulumi.runtime.set_mocks(mocks, project="hybrid-gpu-platform", stack=stack, preview=False, monitor=monitor)
        plan = J.plan_jobs(load(raw))

        @pulumi.runtime.test
        def program():
            ms = tuple(pulumi.CustomResource("test:fleet:Membership", f"member-{i}", {}) for i in range(memberships))
            opts = None
            if provider:  # as the platform passes it: the Fleet's (or the hybrid cluster's) kubernetes provider
                import pulumi_kubernetes as k8s

                opts = pulumi.ResourceOptions(providers={"kubernetes": k8s.Provider("fleet", kubeconfig="{}")})
            comp = AiJobs("jobs", AiJobsArgs(plan=plan, member=MEMBER, memberships=ms), opts=opts)
            return pulumi.Output.all(*[o.urn for o in comp.objects])

        program()
        return monitor

    yield go
    loop.close()
    asyncio.set_event_loop(asyncio.new_event_loop())


def _name(urn: str) -> str:
    return urn.rsplit("::", 1)[1]


def _by_name(monitor) -> dict:
    return {r.name: r for r in monitor.registrations.values()}


CLASSES = ["jobs-priorityclass-cluster-ai-batch", "jobs-priorityclass-cluster-ai-inference-online", "jobs-priorityclass-cluster-ai-training"]
MEMBERSHIP = ["member-0"]


def test_on_the_fleet_every_document_once_by_its_kind_with_its_order(run):
    monitor = run(stack_raw("prod"), "prod")
    regs = _by_name(monitor)
    comp = regs["jobs"]
    assert comp.type == "hybrid:jobs:AiJobs" and comp.custom is False
    docs = J.plan_jobs(load(stack_raw("prod"))).objects(MEMBER)
    children = {n: r for n, r in regs.items() if r.parent == comp.urn}
    # <component>-<kind, lower case>-<namespace or "cluster">-<name>
    expected = {f"jobs-{d['kind'].lower()}-{d['metadata'].get('namespace', 'cluster')}-{d['metadata']['name']}": d for d in docs}
    assert sorted(children) == sorted(expected)
    assert len(children) == 24  # 3 classes, their policy, 3 quotas, 10 workload objects, 4 policies, 1 override, 2 autoscalers
    assert monitor.outputs[comp.urn] == {"objects": 24.0}

    typed = {"PriorityClass": "kubernetes:scheduling.k8s.io/v1:PriorityClass", "Deployment": "kubernetes:apps/v1:Deployment",
             "Service": "kubernetes:core/v1:Service", "NetworkPolicy": "kubernetes:networking.k8s.io/v1:NetworkPolicy",
             "Job": "kubernetes:batch/v1:Job"}
    for name, doc in expected.items():
        r = children[name]
        kind = doc["kind"]
        assert r.type == typed.get(kind, f"kubernetes:{doc['apiVersion']}:{kind}"), name
        assert r.inputs["apiVersion"] == doc["apiVersion"] and r.inputs["kind"] == kind
        assert r.inputs["metadata"] == doc["metadata"]
        if "spec" in doc:
            assert r.inputs["spec"] == doc["spec"], name
        deps = sorted(_name(u) for u in r.dependencies)
        if kind == "PriorityClass":
            assert deps == MEMBERSHIP
        elif kind == "ClusterPropagationPolicy":  # declared before any template
            assert deps == sorted(MEMBERSHIP + CLASSES)
        elif kind == "PropagationPolicy":
            assert deps == sorted(MEMBERSHIP + CLASSES + ["jobs-job-data-embed-corpus", "jobs-deployment-inference-llm-serve"]), name
        elif kind == "NetworkPolicy":
            assert deps == MEMBERSHIP
        else:
            assert deps == sorted(MEMBERSHIP + CLASSES), name

    pc = children["jobs-priorityclass-cluster-ai-batch"]
    assert {k: pc.inputs[k] for k in ("value", "preemptionPolicy", "globalDefault", "description")} == {
        "value": 1000, "preemptionPolicy": "Never", "globalDefault": False, "description": "Batch jobs; wait for room, never evict anything."}
    dep = children["jobs-deployment-inference-llm-serve"]
    assert dep.options == {"ignoreChanges": ["spec.replicas"]}
    job = children["jobs-job-data-embed-corpus"]
    assert job.options == {"deleteBeforeReplace": True}
    assert all(r.options == {} for n, r in children.items() if n not in (dep.name, job.name))


def test_a_class_without_description_and_two_memberships(run):
    raw = stack_raw("prod")
    del raw["jobs"]["priorityClasses"][0]["description"]
    monitor = run(raw, "prod", memberships=2)
    regs = _by_name(monitor)
    pc = regs["jobs-priorityclass-cluster-ai-inference-online"]
    assert "description" not in pc.inputs
    assert sorted(_name(u) for u in regs["jobs-networkpolicy-data-embed-corpus"].dependencies) == ["member-0", "member-1"]


def test_without_the_fleet_quotas_and_workloads_go_to_the_cluster(run):
    raw = stack_raw("prod")
    raw["registration"]["fleet"]["apply"] = False
    del raw["jobs"]["jobs"][0]["failover"]
    svc = raw["jobs"]["services"][0]
    del svc["failover"], svc["autoscaling"]
    monitor = run(raw, "prod", memberships=0, provider=True)
    regs = _by_name(monitor)
    rq = regs["jobs-resourcequota-data-gpu"]
    assert rq.type == "kubernetes:core/v1:ResourceQuota" and rq.parent == regs["jobs"].urn
    assert rq.inputs["metadata"] == {"name": "gpu", "namespace": "data", "labels": {"app.kubernetes.io/managed-by": "pulumi"}}
    # every object through the provider the component was given (the hybrid cluster's here)
    children = [r for r in regs.values() if r.parent == regs["jobs"].urn]
    assert len(children) == 16  # 3 classes, 3 quotas, 10 workload objects
    assert {r.provider.rsplit("::", 1)[0].rsplit("::", 1)[1] for r in children} == {"fleet"}
    assert rq.inputs["spec"] == {"hard": {"requests.nvidia.com/gpu": "32"}} and rq.dependencies == []
    assert sorted(_name(u) for u in regs["jobs-job-data-embed-corpus"].dependencies) == CLASSES
    assert not [n for n in regs if "propagationpolicy" in n]


def test_a_spark_applications_account_role_and_binding(run):
    raw = stack_raw("prod")
    raw["jobs"]["sparkOperator"] = {"version": "v2.5.2"}
    raw["jobs"]["jobs"][1].update(kind="SparkApplication", gang=False, spark={
        "type": "Python", "sparkVersion": "3.5.3", "mainApplicationFile": "local:///opt/spark/work-dir/embed.py", "memoryOverheadMib": 4096})
    monitor = run(raw, "prod")
    regs = _by_name(monitor)
    sa = regs["jobs-serviceaccount-data-embed-corpus-spark"]
    role = regs["jobs-role-data-embed-corpus-spark"]
    rb = regs["jobs-rolebinding-data-embed-corpus-spark"]
    assert (sa.type, role.type, rb.type) == ("kubernetes:core/v1:ServiceAccount", "kubernetes:rbac.authorization.k8s.io/v1:Role",
                                             "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")
    assert role.inputs["rules"] == [{"apiGroups": [""], "resources": ["pods", "configmaps", "persistentvolumeclaims", "services"],
                                     "verbs": ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"]}]
    assert rb.inputs["subjects"] == [{"kind": "ServiceAccount", "name": "embed-corpus-spark", "namespace": "data"}]
    assert rb.inputs["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "embed-corpus-spark"}
    for r in (sa, role, rb):
        assert sorted(_name(u) for u in r.dependencies) == MEMBERSHIP
        assert r.inputs["metadata"] == {"name": "embed-corpus-spark", "namespace": "data", "labels": {"app.kubernetes.io/managed-by": "pulumi"}}
    app = regs["jobs-sparkapplication-data-embed-corpus"]
    assert app.type == "kubernetes:sparkoperator.k8s.io/v1beta2:SparkApplication"
    assert sorted(_name(u) for u in app.dependencies) == sorted(MEMBERSHIP + CLASSES)
