"""AiJobs: the ``jobs`` section's objects, declared where they act.

With ``registration.fleet.apply`` everything goes to the ACK One Fleet through its provider (the
workloads as resource templates, their PropagationPolicies to the hybrid cluster's member, quotas,
PriorityClasses, FederatedHPAs); otherwise the workloads, ResourceQuotas and PriorityClasses go to
the hybrid cluster through its provider. The documents come from :class:`hybrid.jobs.JobsPlan`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import pulumi
import pulumi_kubernetes as k8s

from hybrid.jobs import JobsPlan


@dataclass
class AiJobsArgs:
    plan: JobsPlan
    # The hybrid cluster's Fleet member name (its cluster id); only read when the plan goes to the Fleet.
    member: pulumi.Input[str]
    # On the Fleet: the memberships the policies name; every object waits for them.
    memberships: tuple[pulumi.Resource, ...] = ()


class AiJobs(pulumi.ComponentResource):
    """Tenants' quotas, PriorityClasses, training and batch jobs, inference services."""

    def __init__(self, name: str, args: AiJobsArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("hybrid:jobs:AiJobs", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, depends_on=list(args.memberships))
        self.objects: list[pulumi.CustomResource] = []
        classes: list[pulumi.Resource] = []
        templates: list[pulumi.Resource] = []
        for doc in args.plan.objects(args.member):
            self.objects.append(self._declare(name, doc, child, classes, templates))
        self.register_outputs({"objects": len(self.objects)})

    @staticmethod
    def _declare(prefix: str, doc: dict[str, Any], opts: pulumi.ResourceOptions, classes: list[pulumi.Resource], templates: list[pulumi.Resource]) -> pulumi.CustomResource:
        meta = doc["metadata"]
        rname = f"{prefix}-{doc['kind'].lower()}-{meta.get('namespace', 'cluster')}-{meta['name']}"
        kind = doc["kind"]
        if kind == "PriorityClass":
            pc = k8s.scheduling.v1.PriorityClass(
                rname, metadata=meta, value=doc["value"], preemption_policy=doc["preemptionPolicy"],
                global_default=doc["globalDefault"], description=doc.get("description"), opts=opts)
            classes.append(pc)
            return pc
        if kind == "ResourceQuota":
            return k8s.core.v1.ResourceQuota(rname, metadata=meta, spec=doc["spec"], opts=opts)
        # Pods name their PriorityClass: admission rejects a pod whose class does not exist yet.
        after = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=list(classes)))
        if kind == "Deployment":
            # Scaled by the FederatedHPA once declared: replicas would otherwise be reset on every update.
            dep = k8s.apps.v1.Deployment(rname, metadata=meta, spec=doc["spec"], opts=pulumi.ResourceOptions.merge(
                after, pulumi.ResourceOptions(ignore_changes=["spec.replicas"])))
            templates.append(dep)
            return dep
        if kind == "Service":
            return k8s.core.v1.Service(rname, metadata=meta, spec=doc["spec"], opts=after)
        if kind == "ServiceAccount":
            return k8s.core.v1.ServiceAccount(rname, metadata=meta, opts=opts)
        if kind == "Role":
            return k8s.rbac.v1.Role(rname, metadata=meta, rules=doc["rules"], opts=opts)
        if kind == "RoleBinding":
            return k8s.rbac.v1.RoleBinding(rname, metadata=meta, subjects=doc["subjects"], role_ref=doc["roleRef"], opts=opts)
        if kind == "NetworkPolicy":
            return k8s.networking.v1.NetworkPolicy(rname, metadata=meta, spec=doc["spec"], opts=opts)
        if kind == "Job":
            # A Job's pod template is immutable: a change replaces the Job (a new run).
            job = k8s.batch.v1.Job(rname, metadata=meta, spec=doc["spec"], opts=pulumi.ResourceOptions.merge(
                after, pulumi.ResourceOptions(delete_before_replace=True)))
            templates.append(job)
            return job
        if kind in ("ClusterPropagationPolicy", "PropagationPolicy"):
            after = pulumi.ResourceOptions.merge(after, pulumi.ResourceOptions(depends_on=list(templates)))
        return k8s.apiextensions.CustomResource(rname, api_version=doc["apiVersion"], kind=kind, metadata=meta, spec=doc["spec"], opts=after)
