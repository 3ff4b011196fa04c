"""Calico's BGP side on the IDC cluster: AS number, route reflectors / ToR peers, pool settings.

What the objects mean is in hybrid/calico.py and docs/network.md (each rendered
field with its Calico source at the rendered version).
"""

from __future__ import annotations

from typing import Optional

import netaddr
from pydantic import Field, field_validator, model_validator

from hybrid import calico_selector
from hybrid.errors import FieldError
from hybrid.model.base import Model, Name, PlainText


def _ipv4(value: str) -> str:
    if not netaddr.valid_ipv4(value):  # inet_pton form: netaddr >= 1.0 refuses "10.2" and "010.2.0.1"
        raise FieldError(f"{value!r} is not an IPv4 address.", "give the peer's address, e.g. 10.2.0.1.")
    return value


class BgpPeer(Model):
    """A route reflector or top-of-rack switch the IDC nodes peer with."""

    name: Name = Field(description="Name of the BGPPeer object; reuse the existing object's name to adopt it.")
    peer_ip: str = Field(description="IPv4 address of the route reflector or switch (inside idc.nodeCidrs or idc.extraRanges).")
    # Calico's CRDs type asNumber as an int32 (libcalico-go/config/crd/crd.projectcalico.org_bgppeers.yaml
    # at v3.28.2), so 4-byte AS numbers above 2^31-1 cannot be written through them.
    as_number: int = Field(ge=1, le=2147483647)
    node_selector: PlainText = Field(
        default="all()", min_length=1,
        description="Calico selector of the IDC nodes that peer with it, e.g. all() for route reflectors, rack == 'r1' for a ToR switch.")

    @field_validator("peer_ip")
    @classmethod
    def _ip(cls, v: str) -> str:
        return _ipv4(v)

    @field_validator("node_selector")
    @classmethod
    def _selector(cls, v: str) -> str:
        # calico-node parses it with libcalico-go's selector parser; hybrid/calico_selector.py is its port.
        try:
            calico_selector.parse(v)
        except calico_selector.SelectorError as err:
            raise FieldError(f"{v[:80]!r} is not a Calico selector ({err}).",
                             "write it in Calico's selector syntax, e.g. all(), rack == 'r1', has(bgp-peer), "
                             "zone in {'a', 'b'} && !has(gpu).") from None
        return v


class CalicoBgp(Model):
    as_number: int = Field(default=64512, ge=1, le=2147483647,
                           description="AS number of the IDC nodes (Calico's global default AS is 64512).")
    peers: list[BgpPeer] = Field(default_factory=list)
    node_to_node_mesh: Optional[bool] = Field(
        default=None, description="Default: off when peers are given (route reflectors or ToR switches carry the routes), on otherwise.")
    nat_outgoing: bool = Field(
        default=True,
        description="SNAT IDC pod traffic to destinations outside every Calico pool (the internet); cloud VPCs get disabled pools, so traffic to them keeps the pod IP.")
    block_size: int = Field(default=26, ge=20, le=32, description="Must match the existing pod pool's blockSize: Calico cannot change it on a pool in use.")
    pod_pool_name: Name = Field(default="default-ipv4-ippool", description="Name of the existing IDC pod pool (calico-node's and the operator's default name).")

    @property
    def mesh_enabled(self) -> bool:
        return (not self.peers) if self.node_to_node_mesh is None else self.node_to_node_mesh

    @model_validator(mode="after")
    def _routes_carried(self) -> "CalicoBgp":
        if self.node_to_node_mesh is False and not self.peers:
            raise FieldError(
                "nodeToNodeMesh is off and no peers are given, so no node would learn another node's pod routes.",
                "add the route reflectors or ToR switches under peers, or drop nodeToNodeMesh.")
        names = [p.name for p in self.peers]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise FieldError(f"peer names {dup} are used twice.", "give each peer its own name.")
        return self
