"""Offline plan support for the registered cluster.

* :func:`registered_cluster_response`: what the mock runtime answers for the
  dynamic ``RegisteredCluster`` resource - a deterministic cluster id and an
  agent manifest of the recorded ``DescribeExternalAgent`` shape whose token
  and certificates are already redacted, so nothing sensitive exists even
  inside the plan run.
* the ``registration/`` writer: the CreateCluster request each registered
  cluster would send (body as :class:`hybrid.ack_api.ClusterSpec` builds it)
  and the agent options, for review next to ``manifests/``.

The agent's Kubernetes objects themselves are ordinary ``kubernetes:*``
resources, written to ``manifests/`` by the generic writer.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Mapping

from hybrid import agent
from hybrid.ack_api import DYNAMIC_TYPE, ClusterSpec
from hybrid.model import Platform
from hybrid_tools.mockrun import REDACTED, ProgramRun, redact


def planned_cluster_id(name: str) -> str:
    """A stable id with the shape of ACK cluster ids ('c' + 32 hex)."""
    return "c" + hashlib.sha256(f"registered-cluster:{name}".encode()).hexdigest()[:32]


def registered_cluster_response(args) -> dict[str, Any]:
    """Mock responder (``pulumi.runtime.MockResourceArgs`` in, provider outputs out)."""
    return registered_cluster_state(args.name, args.inputs)


def registered_cluster_state(args_name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    cluster_id = planned_cluster_id(args_name)
    region = inputs.get("region_id") or "unknown-region"
    manifest = agent.sample_manifest(cluster_id, region, inputs.get("agent_endpoint") == "private",
                                     inputs.get("agent_mode") or "restricted", token=agent.REDACTED)
    return {"cluster_id": cluster_id, "state": "waiting", "agent_manifest": manifest}


def registration_requests(_: Platform, run: ProgramRun) -> dict[str, str]:
    out: dict[str, str] = {}
    for reg in sorted(run.registrations.values(), key=lambda r: r.urn):
        if reg.type != DYNAMIC_TYPE:
            continue
        # as recorded: secrets "[secret]", values only known at deployment "[unknown]"
        inputs = redact(reg.inputs)
        spec = ClusterSpec(
            name=inputs["cluster_name"], region_id=inputs["region_id"], vpc_id=inputs["vpc_id"],
            service_cidr=inputs.get("service_cidr"), vswitch_ids=tuple(inputs.get("vswitch_ids") or ()),
            security_group_id=inputs.get("security_group_id"),
            # Terway's pod vSwitches (cni.terway.install: addon): CreateCluster carries them as the resource does.
            pod_vswitch_ids=tuple(inputs.get("pod_vswitch_ids") or ()),
            deletion_protection=bool(inputs.get("deletion_protection", True)), tags=inputs.get("tags") or {},
        )
        doc = {
            "CreateCluster": {"method": "POST", "path": "/clusters", "body": spec.create_body()},
            "DescribeExternalAgent": {
                "method": "GET", "path": "/k8s/{ClusterId}/external/agent/deployment",
                "query": {"PrivateIpAddress": "true" if inputs.get("agent_endpoint") == "private" else "false",
                          "AgentMode": inputs.get("agent_mode")},
                "response": f"agent manifest, kept as a secret output ({REDACTED} in every artifact)",
            },
        }
        out[f"registration/{reg.name}.json"] = json.dumps(doc, indent=2, sort_keys=True) + "\n"
    return out
