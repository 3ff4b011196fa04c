"""hybrid_tools/provider_ids.py answered directly: id forms, computed attributes, the table's rows.

The id forms are the provider's (terraform-provider-alicloud d.SetId in each resource's create, cited
per case; pulumi-kubernetes fqObjName: ``<namespace>/<name>``, or ``<name>`` for cluster-scoped kinds).
Generated bodies are hand-checked hex digests of the seed (sha256, first characters).
"""

from __future__ import annotations

import uuid

import pytest

from hybrid.ack_api import DYNAMIC_TYPE
from hybrid_tools import provider_ids as p

TF = "terraform-provider-alicloud@v1.285.0"
RULE = "alicloud:ecs/securityGroupRule:SecurityGroupRule"
# sha256("alicloud:vpc/network:Network::v"), first 32 hex characters (worked once with hashlib, pinned here)
DIGEST = "d87d07ad337722861536d8ef1eb68f49"


def _answer(type_, inputs, seed="s", lookup=None, taken=None):
    return p.answer(type_, seed, inputs, lookup or (lambda _id: None), taken or (lambda _vsw: set()))


# -- kinds --------------------------------------------------------------------------------

def test_generated_ids_are_prefix_and_digest():
    assert p.KINDS["vpc"].generate("alicloud:vpc/network:Network::v") == "vpc-" + DIGEST[:20]
    assert p.KINDS["ack cluster"].generate("alicloud:vpc/network:Network::v") == "c" + DIGEST
    assert p.KINDS["vpc"].generate("other") != "vpc-" + DIGEST[:20]


def test_matches_is_a_full_match_of_a_string():
    vpc = p.KINDS["vpc"]
    assert vpc.matches("vpc-abc123") and not vpc.matches("vpc-") and not vpc.matches("xvpc-abc")
    assert not vpc.matches("vpc-abc:tr-1") and not vpc.matches("vpc-ABC") and not vpc.matches(None)
    assert not p.KINDS["ack cluster"].matches("c" + "0" * 31) and p.KINDS["ack cluster"].matches("c" + "0" * 32)


def test_the_tf_citation_names_the_resources_file_and_line():
    assert p._t("vswitch", 161) == f"{TF} alicloud/resource_alicloud_vswitch.go:161"


def test_an_entry_is_a_template_when_it_has_placeholders():
    assert p.Entry("{a}:{b}", "s").template and not p.Entry("vpc", "s").template


# -- which types are known ----------------------------------------------------------------

def test_known_types():
    assert p.known("pulumi:providers:alicloud") and p.known("pulumi:providers:kubernetes")
    assert p.known("kubernetes:apps/v1:DaemonSet") and p.known("kubernetes:core/v1:Namespace")
    assert not p.known("kubernetes:apps/v1:StatefulSet")
    assert p.known("alicloud:vpc/switch:Switch") and p.known(DYNAMIC_TYPE)
    assert not p.known("alicloud:vpc/natGateway:NatGateway") and not p.known("apps/v1:DaemonSet")


def test_entry_finds_alicloud_and_dynamic_types_only():
    assert p.entry("alicloud:vpc/switch:Switch").id == "vswitch"
    assert p.entry(DYNAMIC_TYPE).id == "{cluster_id}"
    assert p.entry("kubernetes:apps/v1:DaemonSet") is None and p.entry("x") is None


# -- private addresses ----------------------------------------------------------------------

def test_private_ips_skip_the_reserved_head_and_tail():
    # Alibaba VPC: the first address and the last three of a vSwitch are reserved. A /28 leaves .1-.12.
    taken: set[str] = set()
    for _ in range(12):
        taken.add(p.private_ip("10.0.0.16/28", "seed", taken))
    assert taken == {f"10.0.0.{16 + i}" for i in range(1, 13)}
    with pytest.raises(ValueError) as err:
        p.private_ip("10.0.0.16/28", "seed", taken)
    assert str(err.value) == "vSwitch 10.0.0.16/28 has no free address left"


def test_private_ips_probe_upwards_from_the_seed_and_wrap():
    first = p.private_ip("10.0.0.0/28", "a", set())
    assert first == "10.0.0.8"          # sha256("a") % 12 == 7: the eighth usable address
    assert p.private_ip("10.0.0.0/28", "a", {first}) == "10.0.0.9"
    assert p.private_ip("10.0.0.0/28", "c", set()) == "10.0.0.11"        # % 12 == 10
    assert p.private_ip("10.0.0.0/28", "c", {"10.0.0.11", "10.0.0.12"}) == "10.0.0.1"   # wraps to the head
    assert p.private_ip("10.0.0.0/28", "d", set()) == "10.0.0.5"         # % 12 == 4


# -- fields of a template ------------------------------------------------------------------

def test_fields_are_text_and_whole_floats_are_integers():
    assert p._field({"priority": 1.0}, "priority") == "1"
    assert p._field({"priority": 1.5}, "priority") == "1.5"
    assert p._field({"n": 0}, "n") == "0" and p._field({"s": ""}, "s") == "" and p._field({"b": False}, "b") == "False"
    for bad in ({}, {"x": None}, {"x": {"a": 1}}, {"x": [1]}):
        with pytest.raises(KeyError) as err:
            p._field(bad, "x")
        assert err.value.args == ("x",)


def test_the_rule_id_carries_the_rules_source_as_the_provider_builds_it():
    # terraform-provider-alicloud@v1.285.0 resource_alicloud_security_group_rule.go:150-186, :269-272: cidr_ip, then ipv6_cidr_ip (':' -> '_'), then
    # source_security_group_id; prefix_list_id only when none of them is set (and kept as it is).
    assert p._rule_cidr({"cidrIp": "10.0.0.0/8"}) == "10.0.0.0/8"
    assert p._rule_cidr({"ipv6CidrIp": "2408:4005::/56"}) == "2408_4005__/56"
    assert p._rule_cidr({"ipv6CidrIp": "2408::/56", "sourceSecurityGroupId": "sg-2"}) == "sg-2"
    assert p._rule_cidr({"sourceSecurityGroupId": "sg-2", "prefixListId": "pl-1"}) == "sg-2"
    assert p._rule_cidr({"cidrIp": "", "prefixListId": "pl-1"}) == "pl-1"
    assert p._rule_cidr({"cidrIp": "10.0.0.0/8", "prefixListId": "pl-1"}) == "10.0.0.0/8"
    assert p._rule_cidr({}) == ""


def test_a_security_group_rule_id_has_eight_parts():
    rid, computed = _answer(RULE, {"securityGroupId": "sg-1", "type": "egress", "ipProtocol": "all", "portRange": "-1/-1",
                                   "nicType": "intranet", "sourceSecurityGroupId": "sg-9", "policy": "drop", "priority": 100})
    assert rid == "sg-1:egress:all:-1/-1:intranet:sg-9:drop:100" and computed == {}
    with pytest.raises(KeyError):
        _answer(RULE, {"securityGroupId": "sg-1", "type": "egress"})


# -- answers ---------------------------------------------------------------------------------

def test_a_provider_resource_gets_a_name_derived_uuid():
    rid, computed = _answer("pulumi:providers:kubernetes", {"kubeconfig": "x"}, seed="p")
    assert rid == "8bb3a3e4-53cd-5333-92ab-5309c63d3b78" and uuid.UUID(rid).version == 5 and computed == {}


def test_kubernetes_ids_are_fq_names():
    assert _answer("kubernetes:apps/v1:DaemonSet", {"metadata": {"name": "n", "namespace": "kube-system"}}) == ("kube-system/n", {})
    assert _answer("kubernetes:core/v1:ConfigMap", {"metadata": {"name": "n"}}) == ("default/n", {})
    assert _answer("kubernetes:core/v1:ConfigMap", {"metadata": {"name": "n", "namespace": ""}}) == ("default/n", {})
    assert _answer("kubernetes:core/v1:Namespace", {"metadata": {"name": "team", "namespace": "x"}}) == ("team", {})
    assert _answer("kubernetes:core/v1:Namespace", {}) == ("", {})
    assert _answer("kubernetes:core/v1:ConfigMap", {"metadata": None}) == ("default/", {})
    with pytest.raises(KeyError):
        _answer("kubernetes:apps/v1:StatefulSet", {"metadata": {"name": "n"}})


def test_an_unknown_type_is_a_key_error():
    with pytest.raises(KeyError) as err:
        _answer("alicloud:vpc/natGateway:NatGateway", {})
    assert err.value.args == ("alicloud:vpc/natGateway:NatGateway",)


def test_a_vpc_gets_its_id_route_table_and_router_from_one_digest():
    seed = "alicloud:vpc/network:Network::v"
    rid, computed = _answer("alicloud:vpc/network:Network", {"cidrBlock": "10.0.0.0/16"}, seed=seed)
    assert rid == "vpc-" + DIGEST[:20]
    assert computed == {"routeTableId": "vtb-" + DIGEST[:20], "routerId": "vrt-" + DIGEST[:20]}
    # IPv6 on: the VPC also gets its /56
    _, computed = _answer("alicloud:vpc/network:Network", {"enableIpv6": True}, seed=seed)
    assert computed["ipv6CidrBlock"] == "2408:4005:3c6:8b00::/56"
    _, computed = _answer("alicloud:vpc/network:Network", {"enableIpv6": False}, seed=seed)
    assert "ipv6CidrBlock" not in computed
    # an attribute given as an input (an imported VPC's route table) is not computed
    _, computed = _answer("alicloud:vpc/network:Network", {"routeTableId": "vtb-given"}, seed=seed)
    assert "routeTableId" not in computed and computed["routerId"] == "vrt-" + DIGEST[:20]


def test_an_instance_gets_a_free_address_of_its_vswitch():
    vswitches = {"vsw-1": {"cidrBlock": "10.0.0.0/28"}, "vsw-2": {}}
    taken = {"vsw-1": {"10.0.0.8"}}
    rid, computed = _answer("alicloud:ecs/instance:Instance", {"vswitchId": "vsw-1"}, seed="a",
                            lookup=vswitches.get, taken=lambda v: taken.get(v, set()))
    assert rid.startswith("i-") and len(rid) == 22
    assert computed == {"privateIp": "10.0.0.9"}     # seed "a" starts at .8, taken here
    _, computed = _answer("alicloud:ecs/instance:Instance", {"vswitchId": "vsw-2"}, lookup=vswitches.get)
    assert computed == {}
    _, computed = _answer("alicloud:ecs/instance:Instance", {"vswitchId": "vsw-9"}, lookup=vswitches.get)
    assert computed == {}
    _, computed = _answer("alicloud:ecs/instance:Instance", {"vswitchId": "vsw-1", "privateIp": "10.0.0.3"},
                          lookup=vswitches.get)
    assert computed == {}


def test_a_route_entry_names_the_vrouter_of_its_route_tables_vpc():
    # resource_alicloud_route_entry.go:145: <route_table_id>:<router_id>:<cidr>:<nexthop_type>:<nexthop_id>
    inputs = {"routeTableId": "vtb-1", "destinationCidrblock": "10.8.0.0/16", "nexthopType": "Attachment", "nexthopId": "tr-attach-2"}
    states = {"vtb-1": {"routerId": "vrt-own"}}
    assert _answer("alicloud:vpc/routeEntry:RouteEntry", inputs, lookup=states.get)[0] == \
        "vtb-1:vrt-own:10.8.0.0/16:Attachment:tr-attach-2"
    # without the VPC's state, a vRouter id derived from the route table (the same for every entry of it)
    rid, _ = _answer("alicloud:vpc/routeEntry:RouteEntry", inputs, seed="one")
    again, _ = _answer("alicloud:vpc/routeEntry:RouteEntry", inputs, seed="two")
    assert rid == again and rid == f"vtb-1:{p.KINDS['vrouter'].generate('vtb-1#routerId')}:10.8.0.0/16:Attachment:tr-attach-2"
    assert rid.split(":")[1].startswith("vrt-") and len(rid.split(":")[1]) == 24


def test_composite_ids_of_attachments():
    # resource_alicloud_cen_transit_router_vpc_attachment.go:283 <cen id>:<attachment id>; the bare id is computed
    rid, computed = _answer("alicloud:cen/transitRouterVpcAttachment:TransitRouterVpcAttachment", {"cenId": "cen-1"}, seed="x")
    assert rid == f"cen-1:{computed['transitRouterAttachmentId']}" and computed["transitRouterAttachmentId"].startswith("tr-attach-")
    # resource_alicloud_ram_role_policy_attachment.go:82 role:<policy>:<type>:<role>
    assert _answer("alicloud:ram/rolePolicyAttachment:RolePolicyAttachment",
                   {"policyName": "p", "policyType": "Custom", "roleName": "r"})[0] == "role:p:Custom:r"
    assert _answer(DYNAMIC_TYPE, {"cluster_id": "c" + "1" * 32})[0] == "c" + "1" * 32
    assert _answer(DYNAMIC_TYPE, {})[1] == {"cluster_id": p.KINDS["ack cluster"].generate("s")}


# -- the table ------------------------------------------------------------------------------

def test_id_patterns():
    assert p.id_pattern("alicloud:vpc/switch:Switch") == "vsw-[a-z0-9]+"
    assert p.id_pattern("alicloud:log/store:Store") == "<projectName>:<logstoreName>"
    assert p.id_pattern("kubernetes:apps/v1:DaemonSet") == "" and p.id_pattern("nope") == ""


def test_rows_cover_every_type_with_its_form_and_sources():
    rows = p.rows()
    by_type = {r[0]: r for r in rows}
    assert by_type["alicloud:vpc/switch:Switch"] == ("alicloud:vpc/switch:Switch", "vsw-[a-z0-9]+", "-",
                                                     f"{TF} alicloud/resource_alicloud_vswitch.go:161")
    vpc = by_type["alicloud:vpc/network:Network"]
    assert vpc[2] == "routeTableId (route table), routerId (vrouter), ipv6CidrBlock (ipv6 /56)"
    assert vpc[3] == (f"{TF} alicloud/resource_alicloud_vpc.go:286; {TF} alicloud/resource_alicloud_vpc.go:403 route_table_id, "
                      ":404 router_id, :360 ipv6_cidr_block")
    assert by_type[DYNAMIC_TYPE][1] == "<cluster_id>"
    assert by_type["kubernetes:apps/v1:DaemonSet"][1:3] == ("<namespace>/<name>", "-")
    assert by_type["kubernetes:core/v1:Namespace"][1] == "<name>"
    assert rows[-1] == ("pulumi:providers:*", "UUID", "-", p.PROVIDER_SOURCE)
    alicloud = [r[0] for r in rows if not r[0].startswith(("kubernetes:", "pulumi:providers:"))]
    assert alicloud == sorted(alicloud) and len(alicloud) == len(p.ALICLOUD) + len(p.DYNAMIC)
    k8s = [r[0] for r in rows if r[0].startswith("kubernetes:")]
    assert k8s == sorted(k8s) and len(k8s) == len(p.K8S_NAMESPACED)
    assert rows.index(by_type["kubernetes:apps/v1:DaemonSet"]) > rows.index(vpc)
