"""hybrid.preflight.checks on prod, worked out by hand from stacks/Pulumi.prod.yaml (no network).

prod's regions reach things three ways (the comment above nodeAccess in the stack file):
cn-beijing has no egress, Alibaba's VPC endpoints and an ACR mirror whose URLs carry the API root
(/v2/<ns>); cn-hangzhou has no egress and uses the IDC's apt mirror (10.1.0.40, plain http) and
registry (registry.idc-bj.corp.internal:5000) over the leased line; cn-zhangjiakou has a NAT
gateway for quay.io and nvcr.io and the IDC registry for registry.k8s.io. The apiserver is
10.0.0.10:6443 (idc.apiserver.host) and k8s-api.idc-bj.corp.internal:6443
(nodeAccess.controlPlaneEndpoint); the rsync source is rsync://10.1.0.20.

Per endpoint: DNS only for a name, TCP to the URL's port or its scheme's (http 80, https 443,
rsync 873: RFC 9110 4.2.1-4.2.2, RFC 5781), TLS only for https (the apiserver's unverified:
the node gets the cluster CA with the join), then the service check.
"""

from __future__ import annotations

import pytest

from hybrid import preflight
from hybrid.model import load
from tests.conftest import stack_raw

DIGEST = "sha256:" + "ab" * 32


def _brief(c: dict) -> tuple:
    """A check without its group, need and fix: what is contacted and how."""
    if c["kind"] in ("dns",):
        return ("dns", c["host"])
    if c["kind"] == "tcp":
        return ("tcp", c["host"], c["port"])
    if c["kind"] == "tls":
        return ("tls", c["host"], c["port"], c["verify"])
    if c["kind"] == "registry":
        return ("registry", c["url"], c["repo"], c["reference"], c["ns"], c["overridePath"])
    return (c["kind"], c["url"], c.get("method"))


def _groups(checks: list[dict]) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {}
    for c in checks:
        out.setdefault(c["group"], []).append(_brief(c))
    return out


@pytest.fixture(scope="module")
def prod():
    return load(stack_raw("prod"))


def test_hangzhou_over_the_leased_line_by_hand(prod):
    g = _groups(preflight.checks(prod, "cn-hangzhou"))
    # plain-http IP endpoints: no DNS, no TLS; port 80
    assert g["apt:http://10.1.0.40/ubuntu"] == [("tcp", "10.1.0.40", 80),
                                               ("apt", "http://10.1.0.40/ubuntu/dists/@CODENAME@/InRelease", None)]
    # pkgs.k8s.io layout: <repo>/v<major.minor>/deb/ (idc.kubernetesVersion 1.30.4)
    assert g["apt:http://10.1.0.40/kubernetes/core/stable"] == [
        ("tcp", "10.1.0.40", 80), ("apt", "http://10.1.0.40/kubernetes/core/stable/v1.30/deb/InRelease", None)]
    # NVIDIA's container toolkit repository is flat: InRelease at its root
    assert g["apt:http://10.1.0.40/libnvidia-container/stable/deb/amd64"] == [
        ("tcp", "10.1.0.40", 80), ("apt", "http://10.1.0.40/libnvidia-container/stable/deb/amd64/InRelease", None)]
    assert g["http:http://10.1.0.40/libnvidia-container/gpgkey"] == [
        ("tcp", "10.1.0.40", 80), ("http", "http://10.1.0.40/libnvidia-container/gpgkey", "HEAD")]
    assert g["http:http://100.100.100.200"] == [("tcp", "100.100.100.200", 80), ("http", "http://100.100.100.200", "HEAD")]
    # the apiserver: TLS handshake without verification, by address and by name
    assert g["tcp:10.0.0.10:6443"] == [("tcp", "10.0.0.10", 6443), ("tls", "10.0.0.10", 6443, False)]
    assert g["tcp:k8s-api.idc-bj.corp.internal:6443"] == [
        ("dns", "k8s-api.idc-bj.corp.internal"), ("tcp", "k8s-api.idc-bj.corp.internal", 6443),
        ("tls", "k8s-api.idc-bj.corp.internal", 6443, False)]
    assert g["rsync:rsync://10.1.0.20"] == [("tcp", "10.1.0.20", 873)]
    oss = "hybrid-prod-cn-hangzhou-join-idc-bj.oss-cn-hangzhou-internal.aliyuncs.com"
    assert g[f"http:https://{oss}/join-token"] == [("dns", oss), ("tcp", oss, 443), ("tls", oss, 443, True),
                                                  ("http", f"https://{oss}/join-token", "HEAD")]
    # the IDC registry mirrors registry.k8s.io: containerd asks it with ?ns=registry.k8s.io
    mirror = "registry.idc-bj.corp.internal"
    assert g["registry:registry.k8s.io"] == [
        ("dns", mirror), ("tcp", mirror, 5000), ("tls", mirror, 5000, True),
        ("registry", f"https://{mirror}:5000", "kube-proxy", "v1.30.4", "registry.k8s.io", False)]
    # Alibaba's own registry, not mirrored: asked directly, no ns
    assert g["registry:registry-vpc.cn-hangzhou.aliyuncs.com"][3:] == [
        ("registry", "https://registry-vpc.cn-hangzhou.aliyuncs.com", "acs/pause", "3.9", "", False),
        ("registry", "https://registry-vpc.cn-hangzhou.aliyuncs.com", "acs/dcgm-exporter", "4.5.3-4.8.2-distroless", "", False)]


def test_beijing_mirrors_through_a_path_carrying_api_root(prod):
    g = _groups(preflight.checks(prod, "cn-beijing"))
    acr = "hybrid-prod-registry-vpc.cn-beijing.cr.aliyuncs.com"
    assert g["registry:nvcr.io"] == [("dns", acr), ("tcp", acr, 443), ("tls", acr, 443, True),
                                     ("registry", f"https://{acr}/v2/nvcr", "nvidia/k8s-device-plugin", "v0.17.4",
                                      "nvcr.io", True)]
    # the apt mirror over https: DNS, TCP 443, TLS verified; the key as a plain GET
    m = "mirrors.cloud.aliyuncs.com"
    assert g["apt:https://mirrors.cloud.aliyuncs.com/libnvidia-container/gpgkey"] == [
        ("dns", m), ("tcp", m, 443), ("tls", m, 443, True),
        ("http", "https://mirrors.cloud.aliyuncs.com/libnvidia-container/gpgkey", None)]
    assert g["apt:http://mirrors.cloud.aliyuncs.com/ubuntu"] == [
        ("dns", m), ("tcp", m, 80), ("apt", "http://mirrors.cloud.aliyuncs.com/ubuntu/dists/@CODENAME@/InRelease", None)]


def test_a_check_names_its_group_and_need(prod):
    checks = preflight.checks(prod, "cn-hangzhou")
    kp = [c for c in checks if c["group"] == "registry:registry.k8s.io"]
    assert [c["need"] for c in kp] == ["registry.k8s.io"] * 3 + ["registry.k8s.io (registry.k8s.io/kube-proxy:v1.30.4)"]
    apt = [c for c in checks if c["group"] == "apt:http://10.1.0.40/ubuntu"]
    assert [c["need"] for c in apt] == ["http://10.1.0.40/ubuntu"] * 2
    api = [c for c in checks if c["group"] == "tcp:10.0.0.10:6443"]
    assert [c["need"] for c in api] == ["10.0.0.10:6443"] * 2


# --- images: repository path and reference, mirrored or not -----------------------------------

def _with_more_images(raw):
    # docker.io images (short, official and namespaced), an untagged one and one by digest, in an
    # IDC DaemonSet landing on cloud nodes; docker.io mirrored where a region has no egress.
    na = raw["nodeAccess"]
    na["idcDaemonSets"].append({"name": "log-agent", "images": [
        "busybox:1.36", "alpine", f"quay.io/fluent/fluent-bit@{DIGEST}", "docker.io/grafana/alloy:v1.5.0"]})
    na["regions"]["cn-beijing"]["registryMirrors"].append(
        {"upstream": "docker.io", "endpoint": "https://hybrid-prod-registry-vpc.cn-beijing.cr.aliyuncs.com/v2/docker"})
    na["regions"]["cn-hangzhou"]["registryMirrors"].append(
        {"upstream": "docker.io", "endpoint": "https://registry.idc-bj.corp.internal:5000"})
    return load(raw)


def _registry(checks, group):
    return [_brief(c)[1:] for c in checks if c["group"] == group and c["kind"] == "registry"]


def test_image_references_as_containerd_asks_for_them():
    # distribution/reference normalize.go: a docker.io name without a namespace is library/<name>,
    # an untagged reference is :latest; a digest is asked by digest. containerd's hosts.go: docker.io
    # itself is served by registry-1.docker.io.
    p = _with_more_images(stack_raw("prod"))
    zjk = preflight.checks(p, "cn-zhangjiakou")  # through the NAT gateway: the registries themselves
    assert _registry(zjk, "registry:docker.io") == [
        ("https://registry-1.docker.io", "library/busybox", "1.36", "", False),
        ("https://registry-1.docker.io", "library/alpine", "latest", "", False),
        ("https://registry-1.docker.io", "grafana/alloy", "v1.5.0", "", False)]
    assert _registry(zjk, "registry:quay.io")[1] == ("https://quay.io", "fluent/fluent-bit", DIGEST, "", False)
    hz = preflight.checks(p, "cn-hangzhou")  # the IDC mirror at its root
    assert _registry(hz, "registry:docker.io") == [
        ("https://registry.idc-bj.corp.internal:5000", "library/busybox", "1.36", "docker.io", False),
        ("https://registry.idc-bj.corp.internal:5000", "library/alpine", "latest", "docker.io", False),
        ("https://registry.idc-bj.corp.internal:5000", "grafana/alloy", "v1.5.0", "docker.io", False)]
    bj = preflight.checks(p, "cn-beijing")  # ACR with the API root in the URL
    assert _registry(bj, "registry:docker.io")[0] == (
        "https://hybrid-prod-registry-vpc.cn-beijing.cr.aliyuncs.com/v2/docker", "library/busybox", "1.36", "docker.io", True)
    needs = [c["need"] for c in zjk if c["group"] == "registry:docker.io" and c["kind"] == "registry"]
    assert needs == ["docker.io (busybox:1.36)", "docker.io (alpine)", "docker.io (docker.io/grafana/alloy:v1.5.0)"]


def test_a_mirror_at_its_root_with_a_slash_has_no_override_path():
    raw = stack_raw("prod")
    raw["nodeAccess"]["regions"]["cn-hangzhou"]["registryMirrors"][0]["endpoint"] = "https://registry.idc-bj.corp.internal:5000/"
    (kp,) = _registry(preflight.checks(load(raw), "cn-hangzhou"), "registry:registry.k8s.io")
    assert kp[-1] is False and kp[-2] == "registry.k8s.io"


def test_the_kubernetes_repository_follows_the_idc_minor():
    raw = stack_raw("prod")
    raw["idc"]["kubernetesVersion"] = "1.31.2"
    g = _groups(preflight.checks(load(raw), "cn-hangzhou"))
    assert g["apt:http://10.1.0.40/kubernetes/core/stable"][-1] == (
        "apt", "http://10.1.0.40/kubernetes/core/stable/v1.31/deb/InRelease", None)


# --- the fixes: each names the path that failed and the field to change ---------------------------

def _fix(checks, group, kind):
    (c,) = [c for c in checks if c["group"] == group and c["kind"] == kind][:1]
    return c["fix"]


def test_fixes_over_the_leased_line(prod):
    hz = preflight.checks(prod, "cn-hangzhou")
    assert _fix(hz, "tcp:10.0.0.10:6443", "tcp") == (
        "10.0.0.10:6443 is not reachable through the leased line: check the VPC route table and transit router "
        "toward the IDC range, and the IDC firewall; or the service is down (idc.apiserver.host)")
    # an IDC name resolves on the node (host entries, or PrivateZone forwarding for the VPC's resolver)
    on_node = ("{h} must resolve on the node: add it to nodeAccess.regions.cn-hangzhou.dns.hosts or a "
               "nodeAccess.regions.cn-hangzhou.dns.forwardZones domain (and the PrivateZone forwarding rule bound to the VPC)")
    # the apiserver's endpoint is host:port: the DNS and TLS fixes name the host, not "host:6443"
    assert _fix(hz, "tcp:k8s-api.idc-bj.corp.internal:6443", "dns") == on_node.format(h="k8s-api.idc-bj.corp.internal")
    assert _fix(hz, "tcp:10.0.0.10:6443", "tls") == (
        "10.0.0.10 must present a certificate the node trusts for its name: install its CA on the node or fix the "
        "server certificate")
    # the mirror is no IDC need, but it is reached over the leased line: the same fix
    assert _fix(hz, "registry:registry.k8s.io", "dns") == on_node.format(h="registry.idc-bj.corp.internal")
    # a mirror's checks name the mirror entry that chose it
    assert _fix(hz, "registry:registry.k8s.io", "tcp") == (
        "https://registry.idc-bj.corp.internal:5000 is not reachable through the leased line: check the VPC route table "
        "and transit router toward the IDC range, and the IDC firewall; or the service is down "
        "(nodeAccess.regions.cn-hangzhou.registryMirrors[0])")
    assert _fix(hz, "registry:registry.k8s.io", "registry") == (
        "make the image available at https://registry.idc-bj.corp.internal:5000 (sync or proxy it into the mirror, "
        "allow anonymous pull) or change nodeAccess.regions.cn-hangzhou.registryMirrors[0]")
    assert _fix(hz, "registry:registry.k8s.io", "tls") == (
        "registry.idc-bj.corp.internal must present a certificate the node trusts for its name: install its CA on "
        "the node or fix the server certificate")
    assert _fix(hz, "apt:http://10.1.0.40/ubuntu", "apt") == (
        "sync the repository at http://10.1.0.40/ubuntu (its InRelease must be served) or point "
        "nodeAccess.regions.cn-hangzhou.apt.ubuntu at a mirror that has it")
    assert _fix(hz, "http:http://10.1.0.40/libnvidia-container/gpgkey", "http") == (
        "http://10.1.0.40/libnvidia-container/gpgkey must answer over HTTP "
        "(nodeAccess.regions.cn-hangzhou.apt.nvidiaContainerToolkitKey)")
    assert _fix(hz, "rsync:rsync://10.1.0.20", "tcp").endswith("; or the service is down (preload.source)")


def test_fixes_inside_the_vpc(prod):
    bj = preflight.checks(prod, "cn-beijing")
    vpc = ("{u} is not reachable through the VPC: check the security group egress and, for an Alibaba service, that "
           "it exists in this region; or the service is down ({f})")
    grp = "apt:https://mirrors.cloud.aliyuncs.com/kubernetes-new/core/stable"
    assert _fix(bj, grp, "tcp") == vpc.format(u="https://mirrors.cloud.aliyuncs.com/kubernetes-new/core/stable",
                                              f="nodeAccess.regions.cn-beijing.apt.kubernetes")
    assert _fix(bj, grp, "dns") == ("mirrors.cloud.aliyuncs.com must resolve from the VPC: check the VPC's DNS "
                                    "(PrivateZone) or nodeAccess.regions.cn-beijing.apt.kubernetes")
    # the metadata service (its own path, inside the VPC)
    assert _fix(bj, "http:http://100.100.100.200", "tcp") == vpc.format(u="http://100.100.100.200",
                                                                       f="nodeAccess.regions.cn-beijing")
    # the ACR mirror is an Alibaba VPC endpoint: VPC route and DNS, and its mirror entry
    assert _fix(bj, "registry:nvcr.io", "tcp") == vpc.format(
        u="https://hybrid-prod-registry-vpc.cn-beijing.cr.aliyuncs.com/v2/nvcr",
        f="nodeAccess.regions.cn-beijing.registryMirrors[2]")
    assert _fix(bj, "registry:nvcr.io", "dns") == (
        "hybrid-prod-registry-vpc.cn-beijing.cr.aliyuncs.com must resolve from the VPC: check the VPC's DNS "
        "(PrivateZone) or nodeAccess.regions.cn-beijing.registryMirrors[2]")


def test_fixes_through_the_nat_gateway(prod):
    zjk = preflight.checks(prod, "cn-zhangjiakou")
    assert _fix(zjk, "registry:quay.io", "tcp") == (
        "https://quay.io is not reachable through the NAT gateway: check its SNAT entry for the node vSwitch; or the "
        "service is down (nodeAccess.regions.cn-zhangjiakou.registryMirrors)")
    assert _fix(zjk, "registry:quay.io", "dns") == (
        "quay.io must resolve from the VPC: check the VPC's DNS (PrivateZone) or "
        "nodeAccess.regions.cn-zhangjiakou.registryMirrors")


# --- what the IDC serves (hybrid-gpu preflight --from idc) ----------------------------------------

def test_idc_mode_keeps_what_the_leased_line_carries(prod):
    def groups(region):
        return list(dict.fromkeys(c["group"] for c in preflight.checks(prod, region, "idc")))

    # cn-hangzhou: the apt mirror, the apiserver (both ways), rsync and the IDC registry (3 upstreams)
    assert groups("cn-hangzhou") == [
        "apt:http://10.1.0.40/ubuntu", "apt:http://10.1.0.40/kubernetes/core/stable",
        "apt:http://10.1.0.40/libnvidia-container/stable/deb/amd64", "http:http://10.1.0.40/libnvidia-container/gpgkey",
        "tcp:10.0.0.10:6443", "tcp:k8s-api.idc-bj.corp.internal:6443", "rsync:rsync://10.1.0.20",
        "registry:registry.k8s.io", "registry:nvcr.io", "registry:quay.io"]
    # cn-zhangjiakou: the apiserver and the IDC registry for registry.k8s.io; quay.io and nvcr.io
    # go out through the NAT gateway, apt through the VPC
    assert groups("cn-zhangjiakou") == ["tcp:10.0.0.10:6443", "tcp:k8s-api.idc-bj.corp.internal:6443",
                                        "registry:registry.k8s.io"]
    # cn-beijing mirrors through ACR inside the VPC: only the apiserver and rsync cross the line
    assert groups("cn-beijing") == ["tcp:10.0.0.10:6443", "tcp:k8s-api.idc-bj.corp.internal:6443", "rsync:rsync://10.1.0.20"]
    # the checks themselves are the node mode's, filtered
    node = [c for c in preflight.checks(prod, "cn-zhangjiakou") if c["group"] == "registry:registry.k8s.io"]
    assert [c for c in preflight.checks(prod, "cn-zhangjiakou", "idc") if c["group"] == "registry:registry.k8s.io"] == node


def test_a_mirror_inside_the_regions_own_vpc():
    # an apt mirror at 10.33.0.50, inside cn-hangzhou's vpcCidr 10.33.0.0/16: the VPC serves it, so its
    # fix points at the VPC and the IDC run leaves it out
    raw = stack_raw("prod")
    raw["nodeAccess"]["regions"]["cn-hangzhou"]["apt"]["ubuntu"] = "http://10.33.0.50/ubuntu"
    p = load(raw)
    hz = preflight.checks(p, "cn-hangzhou")
    assert _fix(hz, "apt:http://10.33.0.50/ubuntu", "tcp") == (
        "http://10.33.0.50/ubuntu is not reachable through the VPC: check the security group egress and, for an "
        "Alibaba service, that it exists in this region; or the service is down (nodeAccess.regions.cn-hangzhou.apt.ubuntu)")
    assert not any(c["group"] == "apt:http://10.33.0.50/ubuntu" for c in preflight.checks(p, "cn-hangzhou", "idc"))


def test_every_check_carries_its_need_and_fix(prod):
    # the runner prints each failed check as its need and its fix (hybrid/scripts/hybrid-preflight.py)
    for region in ("cn-beijing", "cn-hangzhou", "cn-zhangjiakou"):
        for c in preflight.checks(prod, region):
            assert isinstance(c.get("need"), str) and c["need"], (region, c)
            assert isinstance(c.get("fix"), str) and c["fix"].split(" ")[0], (region, c)


def test_rsync_and_http_needs_by_hand(prod):
    hz = preflight.checks(prod, "cn-hangzhou")
    (rsync,) = [c for c in hz if c["group"] == "rsync:rsync://10.1.0.20"]
    assert rsync["need"] == "rsync://10.1.0.20"
    assert rsync["fix"] == ("rsync://10.1.0.20 is not reachable through the leased line: check the VPC route table and "
                            "transit router toward the IDC range, and the IDC firewall; or the service is down (preload.source)")
    oss = "https://hybrid-prod-cn-hangzhou-join-idc-bj.oss-cn-hangzhou-internal.aliyuncs.com/join-token"
    assert [c["need"] for c in hz if c["group"] == f"http:{oss}"] == [oss] * 4
    bj = preflight.checks(prod, "cn-beijing")
    key = "https://mirrors.cloud.aliyuncs.com/libnvidia-container/gpgkey"
    (get,) = [c for c in bj if c["group"] == f"apt:{key}" and c["kind"] == "http"]
    assert (get["need"], get["fix"]) == (key, f"{key} must answer over HTTP "
                                              "(nodeAccess.regions.cn-beijing.apt.nvidiaContainerToolkitKey)")
