"""What the engine would be told about each resource of a component, under Pulumi's mocks.

``tests/conftest.py``'s Recorder sees a resource's inputs; a component's contract is also its
graph: each child's parent, the resources it waits on (``dependencies`` and per input
``propertyDependencies``), its provider and its options (protect, deleteBeforeReplace,
ignoreChanges, retainOnDelete), and the outputs a component registers (what ``pulumi stack
export`` shows under it), and the reads (``Resource.get``). ``record`` (or ``watch``, the monitor
alone) installs a monitor that keeps all of that, through the public
``pulumi.runtime.set_mocks(..., monitor=...)``, on top of the ``pulumi_mocks`` fixture's config
and event loop; build the components inside ``settle(...)`` and read the monitor after it returns.
"""

from __future__ import annotations

from typing import Any, Callable

import pulumi
from google.protobuf import json_format

from hybrid_tools.mockrun import Registration, RecordingMonitor
from tests.conftest import PROJECT


class GraphMonitor(RecordingMonitor):
    """RecordingMonitor that also keeps the ids, the reads and each component's registered outputs."""

    def __init__(self, mocks: pulumi.runtime.Mocks):
        super().__init__(mocks)
        self.outputs: dict[str, dict[str, Any]] = {}
        self.ids: dict[str, str] = {}  # URN -> the id the mocks gave (the provider's form)
        self.reads: dict[tuple[str, str], dict[str, Any]] = {}

    def RegisterResource(self, request):  # noqa: N802 (the monitor's RPC name)
        response = super().RegisterResource(request)
        self.ids[response.urn] = response.id
        return response

    def ReadResource(self, request):  # noqa: N802 (the monitor's RPC name)
        response = super().ReadResource(request)
        self.reads[(request.type, request.name)] = {
            "urn": response.urn, "id": request.id, "parent": request.parent, "provider": request.provider,
            "dependencies": sorted(request.dependencies), "inputs": json_format.MessageToDict(request.properties)}
        return response

    def RegisterResourceOutputs(self, request):  # noqa: N802 (the monitor's RPC name)
        self.outputs[request.urn] = json_format.MessageToDict(request.outputs)
        return super().RegisterResourceOutputs(request)

    def one(self, typ: str, name: str) -> Registration:
        hits = [r for r in self.registrations.values() if r.type == typ and r.name == name]
        assert len(hits) == 1, (typ, name, sorted(r.name for r in self.registrations.values() if r.type == typ))
        return hits[0]

    def of_type(self, typ: str) -> list[Registration]:
        return sorted((r for r in self.registrations.values() if r.type == typ), key=lambda r: r.name)

    def children(self, parent: Registration | str) -> list[Registration]:
        urn = parent if isinstance(parent, str) else parent.urn
        return sorted((r for r in self.registrations.values() if r.parent == urn), key=lambda r: (r.type, r.name))

    def outputs_of(self, typ: str, name: str) -> dict[str, Any]:
        return self.outputs[self.one(typ, name).urn]


def record(configure: Callable[..., Any], raw: dict[str, Any], stack: str = "dev") -> tuple[Any, GraphMonitor]:
    """(the fixture's Recorder, a GraphMonitor) for ``raw``; build the components in ``settle`` after."""
    rec = configure(raw, stack=stack)
    monitor = GraphMonitor(rec.mocks)
    pulumi.runtime.set_mocks(rec.mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)
    return rec, monitor


def watch(configure: Callable[..., Any], raw: dict[str, Any] | None = None, stack: str = "dev") -> GraphMonitor:
    """The monitor alone, when the Recorder's view is not needed."""
    return record(configure, raw or {}, stack)[1]


def provider_urn(reference: str) -> str:
    """The provider a registration names: ``<urn>::<id>`` -> the urn."""
    return reference.rsplit("::", 1)[0]


def standin_network(region_id: str, zones: list[str], ipv6: bool = False):
    """RegionNetworkOutputs with fixed ids in the provider's forms (vpc-, vsw-, sg-), so a test of a
    component that only reads a network checks which id lands where without building one."""
    from components.contracts import RegionNetworkOutputs

    out = pulumi.Output.from_input
    return RegionNetworkOutputs(
        region_id=region_id, ipv6=ipv6, vpc_id=out(f"vpc-{region_id}"),
        vswitch_ids=out({z: f"vsw-{z}-nodes" for z in zones}), pod_vswitch_ids=out({z: f"vsw-{z}-pods" for z in zones}),
        security_group_id=out(f"sg-{region_id}-workers"), pod_security_group_id=out(f"sg-{region_id}-pods"),
        idc_routes=out({"kind": "none", "routes": {}}))
