"""hybrid_tools/references.py, case by case: the path walker, the id-form check and the Kubernetes name check.

Every expectation is worked by hand: the paths from the module's documented path grammar ('.' between
keys, ``[]`` each list element, ``{}`` each map value, ``@json`` a JSON string), the id forms from the
provider's examples (a VPC id ``vpc-...``, a vSwitch id ``vsw-...``, a transit-router attachment
``tr-attach-...``: pulumi-alicloud 4.0.0 docs, cited in hybrid_tools/provider_ids.py).
"""

from __future__ import annotations

import pytest

from hybrid_tools import references
from hybrid_tools.mockrun import Registration

SWITCH = "alicloud:vpc/switch:Switch"
ROUTE = "alicloud:vpc/routeEntry:RouteEntry"
TF = "terraform-provider-alicloud@v1.285.0 alicloud/resource_alicloud_"
PROV = "urn:pulumi:s::p::pulumi:providers:kubernetes::idc"
FLEET = "urn:pulumi:s::p::pulumi:providers:kubernetes::fleet"
# Pulumi's secret envelope (pulumi sdk/python/lib/pulumi/runtime/rpc.py: the special signature key
# "4dabf18193072939515e22adb298388d" with the secret signature "1b47061264138c4ac30d75fd1eb44270").
SIG_KEY, SECRET_SIG = "4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270"


def _reg(type_, inputs, deps=None, name="r", custom=True, provider=""):
    return Registration(urn=f"urn:pulumi:s::p::{type_}::{name}", type=type_, name=name, parent="", custom=custom,
                        provider=provider, inputs=inputs, protect=False, dependencies=[], property_dependencies=deps or {})


def _walk(value, path, at=""):
    return list(references.walk(value, path.split("."), at))


# -- the path grammar ---------------------------------------------------------------------

def test_r_turns_double_underscores_into_dots_and_keeps_the_order():
    assert references._r("T", "src", network__vpcId="vpc", **{"ids[]": "vswitch"}) == [
        references.Ref("T", "network.vpcId", "vpc", "src"), references.Ref("T", "ids[]", "vswitch", "src")]


def test_walk_follows_keys_and_names_the_path():
    assert _walk({"a": {"b": "x"}}, "a.b") == [("a.b", "x")]
    assert _walk({"a": {"b": "x"}}, "a.b", "top") == [("top.a.b", "x")]
    assert list(references.walk("v", [], "here")) == [("here", "v")]
    assert _walk({"a": {"c": "x"}}, "a.b") == []
    assert _walk({"a": "not a map"}, "a.b") == []
    assert _walk(["a"], "a") == []


def test_walk_reads_json_strings():
    assert _walk({"c": '{"d": "vpc-1"}'}, "c@json.d") == [("c@json.d", "vpc-1")]
    assert _walk({"c": '{"d": "vpc-1"}'}, "c@json.d", "x") == [("x.c@json.d", "vpc-1")]
    assert _walk({"c": '["vpc-1", "vpc-2"]'}, "c[]@json") == [("c@json[0]", "vpc-1"), ("c@json[1]", "vpc-2")]
    assert _walk({"c": {"d": "vpc-1"}}, "c@json.d") == []      # not a string: nothing to parse
    assert _walk({"c": "{not json"}, "c@json.d") == []          # not JSON: nothing to check
    assert _walk({"c": '{"d": 1}'}, "c.d") == []                # without @json the string is not a map


def test_walk_expands_lists_and_maps():
    assert _walk({"l": ["a", "b"]}, "l[]") == [("l[0]", "a"), ("l[1]", "b")]
    assert _walk({"l": [{"v": "a"}, {"w": "b"}, {"v": "c"}]}, "l[].v") == [("l[0].v", "a"), ("l[2].v", "c")]
    # map values in key order, then each list element
    assert _walk({"m": {"z": ["1"], "a": ["2", "3"]}}, "m{}[]") == [("m.a[0]", "2"), ("m.a[1]", "3"), ("m.z[0]", "1")]
    assert _walk({"l": [["a"], ["b", "c"]]}, "l[][]") == [("l[0][0]", "a"), ("l[1][0]", "b"), ("l[1][1]", "c")]
    assert _walk({"l": {"k": "a"}}, "l[]") == []                # a map where a list is expected
    assert _walk({"m": ["a"]}, "m{}") == []                     # a list where a map is expected
    assert list(references.expand("x", "", [], "w")) == [("w", "x")]


# -- the id-form check ----------------------------------------------------------------------

def test_a_wrong_id_is_a_finding_with_its_kind_and_source():
    reg = _reg(SWITCH, {"vpcId": "sg-1"})
    report = references.check({reg.urn: reg})
    assert report.checked == 1
    [f] = report.findings
    assert (f.resource, f.path, f.value) == (reg.urn, "vpcId", "sg-1")
    assert f.expected == f"a vpc id (vpc-[a-z0-9]+; {TF}vswitch.go vpc_id)"
    assert f.line() == f"{reg.urn}: input vpcId = 'sg-1' is not a vpc id (vpc-[a-z0-9]+; {TF}vswitch.go vpc_id)"


def test_right_ids_pass_and_are_counted():
    reg = _reg("alicloud:ecs/instance:Instance", {"vswitchId": "vsw-1", "securityGroups": ["sg-1", "sg-2"]})
    report = references.check({reg.urn: reg})
    assert (report.checked, report.findings) == (3, [])


def test_unknown_values_are_skipped_and_not_counted():
    reg = _reg("alicloud:ecs/instance:Instance", {"vswitchId": "04da6b54-80e4", "securityGroups": ["sg-1", "04da6b54-80e4"]})
    report = references.check({reg.urn: reg}, unknown="04da6b54-80e4")
    assert (report.checked, report.findings) == (1, [])
    # without the marker the same values are ids of the wrong form
    assert [f.path for f in references.check({reg.urn: reg}).findings] == ["vswitchId", "securityGroups[1]"]


def test_an_empty_value_is_checked_when_no_unknown_marker_is_given():
    reg = _reg(SWITCH, {"vpcId": ""})
    report = references.check({reg.urn: reg})
    assert report.checked == 1 and [f.value for f in report.findings] == [""]


def test_component_resources_are_not_checked():
    reg = _reg(SWITCH, {"vpcId": "sg-1"}, deps={"description": ["urn:x"]}, custom=False)
    assert references.check({reg.urn: reg}) == references.Report(0, [])


def test_next_hop_takes_the_id_of_its_type():
    ok = _reg(ROUTE, {"routeTableId": "vtb-1", "nexthopType": "VpnGateway", "nexthopId": "vpn-2"})
    assert references.check({ok.urn: ok}) == references.Report(2, [])
    wrong = _reg(ROUTE, {"routeTableId": "vtb-1", "nexthopType": "RouterInterface", "nexthopId": "vpn-2"})
    [f] = references.check({wrong.urn: wrong}).findings
    assert f.expected == "the id of a router interface (ri-[a-z0-9]+), as nexthopType RouterInterface takes"
    no_type = _reg(ROUTE, {"routeTableId": "vtb-1", "nexthopType": "Instance", "nexthopId": "i-2"})
    [f] = references.check({no_type.urn: no_type}).findings
    assert f.path == "nexthopId"
    assert f.expected == "an id of one of the next-hop types ['Attachment', 'Ecr', 'RouterInterface', 'VpnGateway']"
    missing = _reg(ROUTE, {"routeTableId": "vtb-1", "nexthopId": "tr-attach-2"})
    [f] = references.check({missing.urn: missing}).findings
    assert f.expected.startswith("an id of one of the next-hop types")


def test_outputs_into_inputs_need_an_entry():
    # a list path (vswitches[]) and a nested one (network.vpcId) cover their top key; so does a JSON path
    fleet = _reg("alicloud:ackone/cluster:Cluster", {"network": {"vpcId": "vpc-1", "vswitches": ["vsw-1"]}},
                 deps={"network": ["urn:v"]}, name="f")
    addon = _reg("alicloud:cs/kubernetesAddon:KubernetesAddon", {"clusterId": "c" + "0" * 32, "config": "{}"},
                 deps={"config": ["urn:v"], "clusterId": ["urn:c"]}, name="a")
    inst = _reg("alicloud:ecs/instance:Instance", {"securityGroups": ["sg-1"], "userData": "x", "tags": {}},
                deps={"securityGroups": ["urn:g"], "userData": ["urn:b"], "tags": ["urn:t"]}, name="i")
    report = references.check({r.urn: r for r in (fleet, addon, inst)})
    assert [(f.resource, f.path, f.value) for f in report.findings] == [
        (inst.urn, "tags", "(another resource's output)"), (inst.urn, "userData", "(another resource's output)")]
    assert report.findings[0].expected == ("listed in hybrid_tools/references.py (REFERENCES with its id kind, "
                                           "or NO_ID with a reason)")


def test_an_input_with_a_reason_in_no_id_is_not_a_finding():
    ds = _reg("kubernetes:apps/v1:DaemonSet", {"metadata": {"name": "d", "namespace": "kube-system"}, "spec": {}},
              deps={"spec": ["urn:cm"]}, provider=PROV + "::id")
    other = _reg("kubernetes:apps/v1:DaemonSet", {"metadata": {"name": "e", "namespace": "kube-system"}, "spec": {}},
                 deps={"metadata": ["urn:cm"]}, provider=PROV + "::id", name="e")
    assert [f.path for f in references.check({r.urn: r for r in (ds, other)}).findings] == ["metadata"]


def test_findings_come_in_urn_order_then_the_kubernetes_ones():
    b = _reg(SWITCH, {"vpcId": "x"}, name="b")
    a = _reg(SWITCH, {"vpcId": "y"}, name="a")
    ds = _reg("kubernetes:apps/v1:DaemonSet", {"metadata": {"name": "d", "namespace": "ns"},
                                               "spec": {"template": {"spec": {"serviceAccountName": "gone"}}}},
              name="d", provider=PROV + "::id")
    report = references.check({r.urn: r for r in (b, ds, a)})
    assert [f.value for f in report.findings] == ["y", "x", "gone"]
    assert report.checked == 3


def test_raise_on_findings_names_each_one():
    references.raise_on_findings(references.Report(5, []))
    f1 = references.Finding("urn:a", "vpcId", "sg-1", "a vpc id")
    f2 = references.Finding("urn:b", "x", 1, "y")
    with pytest.raises(references.BrokenReference) as err:
        references.raise_on_findings(references.Report(7, [f1, f2]))
    assert str(err.value) == ("2 of 7 references have the wrong form:\n"
                              "  urn:a: input vpcId = 'sg-1' is not a vpc id\n  urn:b: input x = 1 is not y")


# -- Kubernetes objects naming other objects ------------------------------------------------

API = {"ConfigMap": "core/v1", "Secret": "core/v1", "ServiceAccount": "core/v1", "DaemonSet": "apps/v1",
       "Deployment": "apps/v1", "RoleBinding": "rbac.authorization.k8s.io/v1",
       "ClusterRoleBinding": "rbac.authorization.k8s.io/v1", "Role": "rbac.authorization.k8s.io/v1",
       "ClusterRole": "rbac.authorization.k8s.io/v1"}


def _k8s(kind, name, ns="kube-system", provider=PROV, **inputs):
    meta = {"name": name, **({"namespace": ns} if ns else {})}
    return _reg(f"kubernetes:{API[kind]}:{kind}", {"metadata": meta, **inputs}, name=f"{kind}-{name}-{provider[-4:]}",
                provider=provider + "::00000000-0000-0000-0000-000000000000")


def _providers(idc=True):
    return [_reg("pulumi:providers:kubernetes", {"clusterIdentifier": "idc/x/y"} if idc else {}, name="idc"),
            _reg("pulumi:providers:kubernetes", {"clusterIdentifier": "fleet/y"}, name="fleet")]


def _run(*regs, idc=True):
    return references.check_kubernetes({r.urn: r for r in [*_providers(idc), *regs]})


def _pod(kind="DaemonSet", ns="kube-system", provider=PROV, **pod):
    return _k8s(kind, "w", ns=ns, provider=provider, spec={"template": {"spec": {"containers": [], **pod}}})


def _found(report):
    return [(f.path, f.value, f.expected) for f in report.findings]


def test_the_cluster_is_the_providers_identifier_kind():
    regs = {r.urn: r for r in _providers()}
    assert references._cluster(regs, PROV + "::uuid") == "idc"
    assert references._cluster(regs, FLEET + "::uuid") == "fleet"
    assert references._cluster(regs, FLEET) == "fleet"                 # a reference without an id
    # an unknown provider, or one without an identifier: its URN stands for the cluster
    unknown = "urn:pulumi:s::p::pulumi:providers:kubernetes::other"
    assert references._cluster(regs, unknown + "::uuid") == unknown
    assert references._cluster({r.urn: r for r in _providers(idc=False)}, PROV + "::u") == PROV


def test_service_account_in_the_same_cluster_and_namespace():
    sa = _k8s("ServiceAccount", "agent")
    assert _run(sa, _pod(serviceAccountName="agent")) == references.Report(1, [])
    [(path, value, expected)] = _found(_run(_k8s("ServiceAccount", "agent", provider=FLEET), _pod(serviceAccountName="agent")))
    assert (path, value) == ("spec.template.spec.serviceAccountName", "agent")
    assert expected == ("the name of a ServiceAccount declared in namespace kube-system in the idc cluster "
                        "(or listed in hybrid_tools/references.py EXISTING with its reason)")
    assert _found(_run(_k8s("ServiceAccount", "agent", ns="other"), _pod(serviceAccountName="agent")))[0][1] == "agent"
    # kube-proxy's ServiceAccount exists before the program (kubeadm's addon phase)
    assert _run(_pod(serviceAccountName="kube-proxy")) == references.Report(1, [])
    assert _found(_run(_pod(serviceAccountName="kube-proxy", provider=FLEET)))[0][1] == "kube-proxy"


def test_a_pod_without_a_template_or_service_account_checks_nothing():
    assert _run(_k8s("Deployment", "x", spec={"replicas": 1})) == references.Report(0, [])
    assert _run(_k8s("Deployment", "x", spec={"template": {"spec": "?"}})) == references.Report(0, [])
    assert _run(_k8s("Deployment", "x")) == references.Report(0, [])
    assert _run(_pod()) == references.Report(0, [])


def test_env_keys_must_be_in_the_config_map_or_secret():
    cm = _k8s("ConfigMap", "cfg", data={"a": "1"}, binaryData={"b": "AA=="})
    sec = _k8s("Secret", "s", stringData={SIG_KEY: SECRET_SIG, "value": {"token": "t"}})
    env = [{"name": "A", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "a"}}},
           {"name": "B", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "b"}}},
           {"name": "C", "valueFrom": {"secretKeyRef": {"name": "s", "key": "token"}}},
           {"name": "D", "valueFrom": {"secretKeyRef": {"name": "s", "key": "nope"}}},
           {"name": "E", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "c", "optional": True}}},
           {"name": "F", "value": "plain"}]
    report = _run(cm, sec, _pod(initContainers=[{"name": "i"}], containers=[{"name": "c"}, {"name": "d", "env": env}]))
    assert report.checked == 5
    assert _found(report) == [("spec.template.spec.containers[1].env[3].valueFrom.secretKeyRef", "nope",
                               "a key of Secret kube-system/s (token)")]


def test_init_containers_and_env_from_are_checked():
    env_from = [{"configMapRef": {"name": "cfg"}}, {"secretRef": {"name": "gone"}},
                {"secretRef": {"name": "maybe", "optional": True}}, {"prefix": "X_"}]
    init = [{"name": "i", "env": [{"name": "A", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "zz"}}}]}]
    report = _run(_k8s("ConfigMap", "cfg"), _pod(initContainers=init, containers=[{"name": "c", "envFrom": env_from}]))
    assert report.checked == 4
    assert _found(report) == [
        ("spec.template.spec.initContainers[0].env[0].valueFrom.configMapKeyRef", "zz", "a key of ConfigMap kube-system/cfg (none)"),
        ("spec.template.spec.containers[0].envFrom[1].secretRef", "gone",
         "the name of a Secret declared in namespace kube-system in the idc cluster "
         "(or listed in hybrid_tools/references.py EXISTING with its reason)")]


def test_volumes_check_each_item_key():
    cm = _k8s("ConfigMap", "calico-config", data={"x": "1"})  # declared: its own keys, not Calico's
    vols = [{"name": "a", "configMap": {"name": "calico-config", "items": [{"key": "x"}, {"key": "veth_mtu"}]}},
            {"name": "b", "secret": {"secretName": "s", "items": [{"key": "k"}]}},
            {"name": "c", "secret": {"secretName": "s2", "optional": True}},
            {"name": "d", "configMap": {"name": "m2", "optional": True, "items": [{"key": "q"}]}},
            {"name": "e", "hostPath": {"path": "/x"}}]
    report = _run(cm, _k8s("Secret", "s", data={"k": "v"}), _pod(volumes=vols))
    assert report.checked == 5
    assert _found(report) == [("spec.template.spec.volumes[0].configMap", "veth_mtu",
                               "a key of ConfigMap kube-system/calico-config (x)")]


def test_objects_calico_installs_have_their_keys():
    vols = [{"name": "a", "configMap": {"name": "calico-config", "items": [{"key": "veth_mtu"}, {"key": "mtu"}]}}]
    assert _found(_run(_pod(volumes=vols))) == [
        ("spec.template.spec.volumes[0].configMap", "mtu",
         "a key of ConfigMap kube-system/calico-config (calico_backend, cni_network_config, typha_service_name, veth_mtu)")]
    # a missing optional key of an existing object is no finding either
    vols[0]["configMap"]["optional"] = True
    assert _found(_run(_pod(volumes=vols))) == []


def test_bindings_name_their_role_and_service_accounts():
    binding = _k8s("RoleBinding", "b", roleRef={"kind": "Role", "name": "r"},
                   subjects=[{"kind": "User", "name": "alice"}, {"kind": "ServiceAccount", "name": "sa"},
                             {"kind": "ServiceAccount", "name": "sa", "namespace": "other"}])
    report = _run(_k8s("Role", "r"), _k8s("ServiceAccount", "sa"), binding)
    assert report.checked == 3
    assert _found(report) == [("subjects[2].name", "sa", "the name of a ServiceAccount declared in namespace other in the idc "
                                                         "cluster (or listed in hybrid_tools/references.py EXISTING with its reason)")]


def test_a_cluster_role_is_cluster_wide():
    crb = _k8s("ClusterRoleBinding", "c", ns=None, roleRef={"kind": "ClusterRole", "name": "mine"})
    assert _found(_run(crb)) == [("roleRef.name", "mine", "the name of a ClusterRole declared in the idc cluster "
                                                          "(or listed in hybrid_tools/references.py EXISTING with its reason)")]
    assert _run(_k8s("ClusterRole", "mine", ns=None), crb) == references.Report(1, [])
    # a RoleBinding in a namespace may name a ClusterRole: looked up without the namespace
    rb = _k8s("RoleBinding", "b", roleRef={"kind": "ClusterRole", "name": "mine"})
    assert _run(_k8s("ClusterRole", "mine", ns=None), rb) == references.Report(1, [])
    for builtin in ("cluster-admin", "admin", "edit", "view"):
        ok = _k8s("ClusterRoleBinding", "c", ns=None, roleRef={"kind": "ClusterRole", "name": builtin})
        assert _run(ok) == references.Report(1, [])
    # a Role of that name is not Kubernetes' own
    role = _k8s("RoleBinding", "b", roleRef={"kind": "Role", "name": "view"})
    assert _found(_run(role))[0][1] == "view"
    assert [f.path for f in _run(_k8s("RoleBinding", "b")).findings] == ["roleRef.name"]


def test_references_without_a_name_name_nothing():
    env = [{"name": "A", "valueFrom": {"configMapKeyRef": {"key": "k"}}}]
    env_from = [{"secretRef": {}}]
    vols = [{"name": "a", "configMap": {}}, {"name": "b", "secret": {}}]
    pod = _pod(containers=[{"name": "c", "env": env, "envFrom": env_from}], volumes=vols)
    rb = _k8s("RoleBinding", "b", subjects=[{"kind": "ServiceAccount"}])
    nowhere = " in the idc cluster (or listed in hybrid_tools/references.py EXISTING with its reason)"
    assert _found(_run(pod, rb)) == [
        ("spec.template.spec.containers[0].env[0].valueFrom.configMapKeyRef", "",
         "the name of a ConfigMap declared in namespace kube-system" + nowhere),
        ("spec.template.spec.containers[0].envFrom[0].secretRef", "", "the name of a Secret declared in namespace kube-system" + nowhere),
        ("spec.template.spec.volumes[0].configMap", "", "the name of a ConfigMap declared in namespace kube-system" + nowhere),
        ("spec.template.spec.volumes[1].secret", "", "the name of a Secret declared in namespace kube-system" + nowhere),
        ("roleRef.name", "", "the name of a  declared" + nowhere),
        ("subjects[0].name", "", "the name of a ServiceAccount declared in namespace kube-system" + nowhere)]
    # an object declared without a name is what a nameless reference finds
    nameless = _reg("kubernetes:core/v1:ConfigMap", {"metadata": {"namespace": "kube-system"}, "data": {"k": "v"}},
                    name="cm", provider=PROV + "::id")
    assert _found(_run(nameless, _pod(containers=[{"name": "c", "env": env}]))) == []


def test_objects_without_a_pod_do_not_stop_the_check():
    idle = _k8s("DaemonSet", "a", spec={"template": {}})
    busy = _pod(serviceAccountName="gone")
    assert [f.value for f in _run(idle, busy).findings] == ["gone"]


def test_component_resources_before_custom_ones_do_not_stop_the_check():
    comp = _reg(SWITCH, {"vpcId": "sg-1"}, custom=False, name="a")
    reg = _reg(SWITCH, {"vpcId": "sg-2"}, name="b")
    assert [f.value for f in references.check({r.urn: r for r in (comp, reg)}).findings] == ["sg-2"]


# -- more of each behaviour (what the first mutation run left alive) -----------------------------

def test_map_values_are_walked_further():
    assert _walk({"m": {"b": {"v": "2"}, "a": {"v": "1", "w": "x"}}}, "m{}.v") == [("m.a.v", "1"), ("m.b.v", "2")]


def test_without_a_marker_every_value_is_checked():
    reg = _reg(SWITCH, {"vpcId": "XXXX"})
    report = references.check({reg.urn: reg})
    assert report.checked == 1 and [f.value for f in report.findings] == ["XXXX"]


def test_an_unknown_value_skips_only_itself():
    reg = _reg("alicloud:ecs/instance:Instance", {"securityGroups": ["04da6b54-80e4", "vsw-1", "sg-2"]})
    report = references.check({reg.urn: reg}, unknown="04da6b54-80e4")
    assert report.checked == 2 and [(f.resource, f.path, f.value) for f in report.findings] == [(reg.urn, "securityGroups[1]", "vsw-1")]


def test_a_wrong_next_hop_names_its_value():
    reg = _reg(ROUTE, {"routeTableId": "vtb-1", "nexthopType": "Ecr", "nexthopId": "vpn-2"})
    [f] = references.check({reg.urn: reg}).findings
    assert (f.resource, f.path, f.value) == (reg.urn, "nexthopId", "vpn-2")


def test_only_kubernetes_objects_are_read_as_kubernetes_objects():
    lookalike = _reg("pulumi-python:dynamic:Resource", {"metadata": {"name": "x", "namespace": "kube-system"},
                                                        "spec": {"template": {"spec": {"serviceAccountName": "gone"}}}},
                     provider=PROV + "::id")
    assert _run(lookalike) == references.Report(0, [])


def test_findings_name_the_object_that_refers():
    ds = _pod(serviceAccountName="gone", volumes=[{"name": "v", "configMap": {"name": "cfg", "items": [{"key": "b"}]}}])
    report = _run(_k8s("ConfigMap", "cfg", data={"a": "1"}), ds)
    assert [(f.resource, f.value) for f in report.findings] == [(ds.urn, "gone"), (ds.urn, "b")]


def test_objects_without_a_namespace_resolve_each_other():
    cm = _k8s("ConfigMap", "cfg", ns=None, data={"k": "v"})
    env = [{"name": "A", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "k"}}}]
    pod = _k8s("Deployment", "d", ns=None, spec={"template": {"spec": {"containers": [{"name": "c", "env": env}]}}})
    assert _run(cm, pod) == references.Report(1, [])
