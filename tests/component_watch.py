"""What a component told the engine, recorded in-process under Pulumi's mocks: each registration's
parent, providers, dependencies and inputs (hybrid_tools.mockrun.RecordingMonitor), the reads
(``Resource.get``) and each component's ``register_outputs``.

``watch(pulumi_mocks, raw, stack)`` sets the mocks up as the ``pulumi_mocks`` fixture does and
hands the runtime a recording monitor through ``pulumi.runtime.set_mocks(monitor=...)`` (public);
build the components inside ``settle(...)`` and read the monitor after it returns."""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format

from hybrid_tools.mockrun import Registration, RecordingMonitor
from tests.conftest import PROJECT


class Watch(RecordingMonitor):
    def __init__(self, mocks):
        super().__init__(mocks)
        self.reads: dict[tuple[str, str], dict[str, Any]] = {}
        self.outputs: dict[str, dict[str, Any]] = {}

    def ReadResource(self, request):
        response = super().ReadResource(request)
        self.reads[(request.type, request.name)] = {
            "urn": response.urn, "id": request.id, "parent": request.parent, "provider": request.provider,
            "dependencies": sorted(request.dependencies), "inputs": json_format.MessageToDict(request.properties)}
        return response

    def RegisterResourceOutputs(self, request):
        self.outputs[request.urn] = json_format.MessageToDict(request.outputs)
        return super().RegisterResourceOutputs(request)

    def get(self, typ: str, name: str) -> Registration:
        found = [r for r in self.registrations.values() if r.type == typ and r.name == name]
        assert len(found) == 1, (typ, name, sorted((r.type, r.name) for r in self.registrations.values()))
        return found[0]

    def of_type(self, typ: str) -> list[Registration]:
        return sorted((r for r in self.registrations.values() if r.type == typ), key=lambda r: r.name)

    def children(self, parent_urn: str) -> list[Registration]:
        return sorted((r for r in self.registrations.values() if r.parent == parent_urn), key=lambda r: (r.type, r.name))

    def outputs_of(self, typ: str, name: str) -> dict[str, Any]:
        return self.outputs[self.get(typ, name).urn]


def watch(pulumi_mocks, raw: dict[str, Any] | None = None, stack: str = "dev") -> Watch:
    import pulumi

    rec = pulumi_mocks(raw, stack=stack)
    monitor = Watch(rec.mocks)
    pulumi.runtime.set_mocks(rec.mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)
    return monitor


def provider_urn(reference: str) -> str:
    """The provider a registration names: ``<urn>::<id>`` -> the urn."""
    return reference.rsplit("::", 1)[0]
