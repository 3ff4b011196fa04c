"""components.contracts: the network ids under the stack-output names their readers use.

The names are the stack output ``networks`` per region as docs/network.md documents it (``idcRoutes``)
and as tests/test_plan_e2e.py reads it against ack-virtual-node's config (``vpcId``,
``podVswitchIds``, ``podSecurityGroupId``); each id under its own name, never another's."""

from __future__ import annotations

import pulumi

from tests.conftest import settle


def test_exported_names_each_id_under_its_own_output_name(pulumi_mocks):
    from components.contracts import RegionNetworkOutputs

    pulumi_mocks()
    known = pulumi.Output.from_input

    def program():
        net = RegionNetworkOutputs(
            region_id="cn-beijing", ipv6=False, vpc_id=known("vpc-1"),
            vswitch_ids=known({"cn-beijing-g": "vsw-node-g"}), pod_vswitch_ids=known({"cn-beijing-g": "vsw-pod-g"}),
            security_group_id=known("sg-workers"), pod_security_group_id=known("sg-pods"),
            idc_routes=known({"10.0.0.0/18": {"nextHopType": "Attachment"}}))
        return net.exported()

    assert settle(program) == {
        "vpcId": "vpc-1",
        "vswitchIds": {"cn-beijing-g": "vsw-node-g"},
        "podVswitchIds": {"cn-beijing-g": "vsw-pod-g"},
        "securityGroupId": "sg-workers",
        "podSecurityGroupId": "sg-pods",
        "idcRoutes": {"10.0.0.0/18": {"nextHopType": "Attachment"}},
    }
