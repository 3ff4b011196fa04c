"""The reference check: every input naming another resource has the form its API parameter takes."""

from pathlib import Path

import pytest

from hybrid_tools import references
from hybrid_tools.mockrun import Registration
from hybrid_tools.plan import build_plan

ROOT = Path(__file__).resolve().parents[1]
ROUTE = "alicloud:vpc/routeEntry:RouteEntry"
ASSOC = "alicloud:cen/transitRouterRouteTableAssociation:TransitRouterRouteTableAssociation"


def _reg(type_, inputs, deps=None, name="r"):
    return Registration(urn=f"urn:{type_}::{name}", type=type_, name=name, parent="", custom=True, provider="",
                        inputs=inputs, protect=False, dependencies=[], property_dependencies=deps or {})


def test_the_attachments_provider_id_as_next_hop_is_named():
    # The bug the check exists for: "<cen id>:<attachment id>" where NextHopId takes "tr-attach-...".
    reg = _reg(ROUTE, {"routeTableId": "vtb-1", "nexthopType": "Attachment", "nexthopId": "cen-1:tr-attach-2"})
    report = references.check({reg.urn: reg})
    assert report.checked == 2
    [finding] = report.findings
    assert finding.path == "nexthopId" and "tr-attach-" in finding.expected and reg.urn in finding.line()


def test_a_next_hop_of_another_type_is_named():
    reg = _reg(ROUTE, {"routeTableId": "vtb-1", "nexthopType": "VpnGateway", "nexthopId": "tr-attach-2"})
    [finding] = references.check({reg.urn: reg}).findings
    assert "vpn gateway" in finding.expected


def test_the_bare_attachment_id_passes():
    ok = [_reg(ROUTE, {"routeTableId": "vtb-1", "nexthopType": "Attachment", "nexthopId": "tr-attach-2"}),
          _reg(ASSOC, {"transitRouterAttachmentId": "tr-attach-2", "transitRouterRouteTableId": "vtb-3"}, name="a")]
    report = references.check({r.urn: r for r in ok})
    assert report.checked == 4 and report.findings == []


def test_nested_ids_in_lists_and_json_documents_are_checked():
    addon = _reg("alicloud:cs/kubernetesAddon:KubernetesAddon", {
        "clusterId": "c" + "0" * 32, "config": '{"Regions": [{"VpcId": "vpc-1", "VSwitchIds": ["vsw-1", "sg-9"]}]}'})
    [finding] = references.check({addon.urn: addon}).findings
    assert finding.path == "config@json.Regions[0].VSwitchIds[1]" and finding.value == "sg-9"


def test_an_output_flowing_into_an_unlisted_input_is_a_finding():
    reg = _reg("alicloud:vpc/switch:Switch", {"vpcId": "vpc-1", "description": "x"}, deps={"description": ["urn:x"]})
    [finding] = references.check({reg.urn: reg}).findings
    assert finding.path == "description" and "references.py" in finding.expected


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_plans_have_no_wrong_reference(stack):
    _, _, run, _ = build_plan(stack, root=ROOT)  # raises BrokenReference on a finding
    report = references.check(run.registrations)
    assert report.findings == [] and report.checked > 30


def test_every_table_entry_is_exercised_by_some_plan():
    # A path that matches nothing would check nothing: each entry meets a value in dev, prod or prod-addon.
    seen = set()
    for stack, config in [("dev", None), ("prod", None), ("prod-addon", ROOT / "tests/fixtures/Pulumi.prod-addon.yaml")]:
        _, _, run, _ = build_plan(stack, root=ROOT, config_file=config)
        for reg in run.registrations.values():
            for ref in references.REFERENCES:
                if ref.type == reg.type and any(True for _ in references.walk(reg.inputs, ref.path.split("."), "")):
                    seen.add(ref)
    assert set(references.REFERENCES) - seen == set()


# -- Kubernetes objects naming other objects ------------------------------------------------

PROV = "urn:pulumi:s::p::pulumi:providers:kubernetes::idc"
FLEET = "urn:pulumi:s::p::pulumi:providers:kubernetes::fleet"


def _k8s(kind, name, ns="kube-system", provider=PROV, **inputs):
    api = {"ConfigMap": "core/v1", "Secret": "core/v1", "ServiceAccount": "core/v1", "DaemonSet": "apps/v1",
           "RoleBinding": "rbac.authorization.k8s.io/v1", "ClusterRoleBinding": "rbac.authorization.k8s.io/v1",
           "Role": "rbac.authorization.k8s.io/v1"}[kind]
    reg = _reg(f"kubernetes:{api}:{kind}", {"metadata": {"name": name, **({"namespace": ns} if ns else {})}, **inputs},
               name=f"{kind}-{name}-{provider[-4:]}")
    reg.provider = provider + "::00000000-0000-0000-0000-000000000000"
    return reg


def _providers():
    return [_reg("pulumi:providers:kubernetes", {"clusterIdentifier": "idc/x"}, name="idc"),
            _reg("pulumi:providers:kubernetes", {"clusterIdentifier": "fleet/y"}, name="fleet")]


def _run(*regs):
    provs = _providers()
    provs[0].urn, provs[1].urn = PROV, FLEET
    return references.check_kubernetes({r.urn: r for r in [*provs, *regs]})


def _ds(env=None, volumes=None, sa=None):
    pod = {"containers": [{"name": "c", "env": env or []}], "volumes": volumes or []}
    if sa:
        pod["serviceAccountName"] = sa
    return _k8s("DaemonSet", "d", spec={"template": {"spec": pod}})


def test_a_config_map_key_the_config_map_lacks_is_named():
    cm = _k8s("ConfigMap", "cfg", data={"a": "1"})
    ds = _ds(env=[{"name": "X", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "b"}}}])
    [finding] = _run(cm, ds).findings
    assert finding.value == "b" and "a key of ConfigMap kube-system/cfg (a)" == finding.expected


def test_an_undeclared_secret_is_named_unless_optional():
    ds = _ds(volumes=[{"name": "v", "secret": {"secretName": "creds"}}])
    [finding] = _run(ds).findings
    assert finding.path == "spec.template.spec.volumes[0].secret" and "Secret declared in namespace kube-system" in finding.expected
    optional = _ds(volumes=[{"name": "v", "secret": {"secretName": "creds", "optional": True}}])
    assert _run(optional).findings == []


def test_an_object_in_another_cluster_does_not_resolve():
    sa = _k8s("ServiceAccount", "agent", provider=FLEET)
    [finding] = _run(sa, _ds(sa="agent")).findings
    assert "idc cluster" in finding.expected


def test_bindings_need_their_role_and_service_account():
    binding = _k8s("RoleBinding", "b", roleRef={"kind": "Role", "name": "r"},
                   subjects=[{"kind": "ServiceAccount", "name": "sa", "namespace": "kube-system"}])
    assert sorted(f.path for f in _run(binding).findings) == ["roleRef.name", "subjects[0].name"]
    ok = [_k8s("Role", "r"), _k8s("ServiceAccount", "sa"), binding,
          _k8s("ClusterRoleBinding", "c", ns=None, roleRef={"kind": "ClusterRole", "name": "view"})]
    report = _run(*ok)
    assert report.findings == [] and report.checked == 3
