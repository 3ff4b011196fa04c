"""hybrid/model/node_access.py: the config's URLs, hosts and mirrors, each endpoint's host and port, the paths.

Sources: RFC 3986 via Python's urllib.parse.urlsplit (the scheme, userinfo, query and fragment parts, a
port 0-65535); containerd docs/hosts.md (one hosts.toml per upstream registry namespace); the distribution
reference grammar (distribution/reference regexp.go: a domain is components of [a-zA-Z0-9-] joined by '.',
optionally ':port'; the path is lower-case); kubeadm's cluster-info server (HOST:PORT); client-go
rest.InClusterConfig reads KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT; default ports http 80,
https 443, rsync 873 (IANA). Alibaba's VPC-internal endpoints: registry-vpc.<region>.aliyuncs.com,
<bucket>.oss-<region>-internal.aliyuncs.com. Expected values are worked out by hand, prod's from
stacks/Pulumi.prod.yaml.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hybrid.model import load
from hybrid.model.node_access import (AptMirrors, Dns, ForwardZone, IdcDaemonSet, Need, NodeAccess, Path, RegionAccess,
                                      RegistryMirror, alibaba_service, apiserver_service_env, is_ipv4, needs, report,
                                      resolve, resolve_host)
from tests.conftest import refusals

URL_FIX = "use https://HOST[:PORT][/PATH]."


def refused(cls, data) -> tuple[tuple, str]:
    """(location, "message Fix: fix") of the one refusal."""
    with pytest.raises(ValidationError) as info:
        cls.model_validate(data)
    (err,) = info.value.errors()
    return err["loc"], str(err["ctx"]["error"])


# --- URLs ---------------------------------------------------------------------------------------

def test_urls_lose_their_trailing_slash():
    a = AptMirrors.model_validate({"ubuntu": "https://mirror.example.com/ubuntu/", "kubernetes": "http://10.1.0.40:8080/k8s",
                                   "nvidiaContainerToolkit": "https://h.example", "nvidiaContainerToolkitKey": "https://h.example/k/"})
    assert (a.ubuntu, a.kubernetes, a.nvidia_container_toolkit, a.nvidia_container_toolkit_key) == (
        "https://mirror.example.com/ubuntu", "http://10.1.0.40:8080/k8s", "https://h.example", "https://h.example/k")
    assert AptMirrors.model_validate({}).ubuntu is None


@pytest.mark.parametrize("url", ["ftp://h.example/x", "https://", "https:///path", "https://h.example/?q=1",
                                 "https://h.example/#top", "https://user@h.example/", "h.example/ubuntu"])
def test_urls_that_are_not_http_of_a_host_are_refused(url):
    assert refused(AptMirrors, {"kubernetes": url}) == (("kubernetes",), f"{url!r} is not an http(s) URL of a host. Fix: {URL_FIX}")


@pytest.mark.parametrize("url", ["https://h.example/a b", "https://h.example/$x", "https://h.example/`id`",
                                 "https://h.example/a'b", "https://h.example/a\"b", "https://h.example/a\\b",
                                 "https://h_1.example/", "https://-h.example/"])
def test_urls_with_characters_apt_and_containerd_do_not_take_are_refused(url):
    assert refused(AptMirrors, {"ubuntu": url}) == (("ubuntu",), f"{url!r} has a host or characters outside what apt and "
                                                                  "containerd take. Fix: use a lower-case DNS name or IPv4 "
                                                                  "address and a plain path.")


@pytest.mark.parametrize("url", ["https://h.example:65536/", "https://h.example:x/"])
def test_urls_with_a_bad_port_are_refused(url):
    assert refused(AptMirrors, {"nvidiaContainerToolkitKey": url}) == (
        ("nvidiaContainerToolkitKey",), f"{url!r} has an invalid port. Fix: use a port between 1 and 65535.")


def test_a_long_bad_url_is_quoted_to_100_characters():
    url = "ftp://" + "a" * 120
    assert refused(AptMirrors, {"ubuntu": url})[1] == f"'{url[:100]}' is not an http(s) URL of a host. Fix: {URL_FIX}"


def test_ipv4_is_the_dotted_quad_only():
    assert is_ipv4("10.2.0.1") and is_ipv4("255.255.255.255")
    assert not any(is_ipv4(h) for h in ("10.2", "010.2.0.1", "10.2.0.256", "h.example", ""))


# --- registry mirrors, DNS, DaemonSets, the control-plane endpoint ---------------------------------------------

def test_registry_upstreams_are_registry_hosts():
    for upstream in ("registry.k8s.io", "docker.io", "nvcr.io", "harbor.idc:5000", "localhost"):
        m = RegistryMirror.model_validate({"upstream": upstream, "endpoint": "https://m.example/v2/x/"})
        assert (m.upstream, m.endpoint) == (upstream, "https://m.example/v2/x")
    fix = "use the registry part of the image references, e.g. registry.k8s.io or docker.io."
    for upstream in ("Docker.io", "-bad.io", "registry.k8s.io/path"):
        assert refused(RegistryMirror, {"upstream": upstream, "endpoint": "https://m.example"}) == (
            ("upstream",), f"{upstream!r} is not a registry host (distribution reference grammar, domain and port). Fix: {fix}")


def test_a_mirror_endpoint_is_a_url():
    assert refused(RegistryMirror, {"upstream": "docker.io", "endpoint": "m.example"}) == (
        ("endpoint",), f"'m.example' is not an http(s) URL of a host. Fix: {URL_FIX}")


def test_one_mirror_per_upstream_and_the_lookup():
    mirrors = [{"upstream": "a.io", "endpoint": "https://m1"}, {"upstream": "b.io", "endpoint": "https://m2"}]
    access = RegionAccess.model_validate({"registryMirrors": mirrors})
    i, m = access.mirror("b.io")
    assert (i, m.endpoint) == (1, "https://m2")
    assert access.mirror("c.io") is None
    assert refused(RegionAccess, {"registryMirrors": mirrors + [{"upstream": "b.io", "endpoint": "https://m3"}]}) == (
        ("registryMirrors",), "registryMirrors[2] repeats upstream b.io (also [1]). Fix: give each upstream registry one "
                              "entry (containerd reads one hosts.toml per upstream).")


def test_forward_zones_are_domains_with_ipv4_forwarders():
    z = ForwardZone.model_validate({"domain": "idc.example.internal", "forwarders": ["10.2.0.53", "10.2.0.54"]})
    assert (z.domain, z.forwarders) == ("idc.example.internal", ["10.2.0.53", "10.2.0.54"])
    for domain in ("idc", "IDC.example", "idc..example"):
        assert refused(ForwardZone, {"domain": domain, "forwarders": ["10.2.0.53"]}) == (
            ("domain",), f"{domain!r} is not a DNS domain. Fix: use a lower-case domain such as idc.example.internal.")
    assert refused(ForwardZone, {"domain": "idc.x", "forwarders": ["10.2.0.53", "10.2.0"]}) == (
        ("forwarders",), "forwarder '10.2.0' is not an IPv4 address. Fix: give the IDC resolvers' addresses.")


def test_dns_hosts_map_lower_case_names_to_ipv4():
    assert Dns.model_validate({"hosts": {"k8s-api.idc": "10.0.0.10", "reg": "10.1.0.30"}}).hosts == {
        "k8s-api.idc": "10.0.0.10", "reg": "10.1.0.30"}
    assert refused(Dns, {"hosts": {"ok.idc": "10.0.0.1", "Api.idc": "10.0.0.2"}}) == (
        ("hosts",), "host name 'Api.idc' is not a lower-case DNS name. Fix: use names such as k8s-api.idc.example.internal.")
    assert refused(Dns, {"hosts": {"ok.idc": "10.0.0.1", "b.idc": "10.0.0"}}) == (
        ("hosts",), "b.idc: '10.0.0' is not an IPv4 address. Fix: map each name to the IDC address that serves it.")


def test_idc_daemonset_images_are_references():
    ds = IdcDaemonSet.model_validate({"name": "node-exporter", "images": ["quay.io/prometheus/node-exporter:v1.8.2"]})
    assert ds.images == ["quay.io/prometheus/node-exporter:v1.8.2"]
    fix = "use REGISTRY/REPOSITORY:TAG (or @sha256:...) exactly as the DaemonSet names it."
    assert refused(IdcDaemonSet, {"name": "x", "images": ["quay.io/a:v1", "quay.io/UPPER:v1"]}) == (
        ("images",), f"'quay.io/UPPER:v1': repository name must be lowercase. Fix: {fix}")


@pytest.mark.parametrize("endpoint", ["10.0.0.10:6443", "k8s-api.idc:1", "h:65535"])
def test_control_plane_endpoints_that_are_host_and_port(endpoint):
    assert NodeAccess.model_validate({"controlPlaneEndpoint": endpoint}).control_plane_endpoint == endpoint


@pytest.mark.parametrize("endpoint", ["10.0.0.10", "h:0", "h:65536", "H:6443", ":6443", "h:x", "h:", "h_1:6443"])
def test_control_plane_endpoints_that_are_not_host_and_port(endpoint):
    assert refused(NodeAccess, {"controlPlaneEndpoint": endpoint}) == (
        ("controlPlaneEndpoint",), f"{endpoint!r} is not HOST:PORT. Fix: copy host and port from the server: of "
                                   "kube-public/cluster-info, e.g. 10.0.0.10:6443.")


def test_a_region_without_an_entry_gets_the_defaults():
    na = NodeAccess.model_validate({"regions": {"cn-beijing": {"egress": "natGateway"}}})
    assert (na.region("cn-beijing").egress, na.region("cn-hangzhou").egress) == ("natGateway", "none")
    assert na.region("cn-hangzhou").registry_mirrors == [] and na.control_plane_endpoint is None


# --- an endpoint's host and port ----------------------------------------------------------------

@pytest.mark.parametrize("kind,endpoint,host,port", [
    ("registry", "registry.k8s.io", "registry.k8s.io", 443), ("registry", "harbor.idc:5000", "harbor.idc", 5000),
    ("tcp", "10.0.0.10:6443", "10.0.0.10", 6443), ("http", "http://100.100.100.200", "100.100.100.200", 80),
    ("apt", "https://mirrors.example/ubuntu", "mirrors.example", 443), ("apt", "http://10.1.0.40:8080/u", "10.1.0.40", 8080),
    ("rsync", "rsync://10.1.0.20", "10.1.0.20", 873), ("rsync", "rsync://10.1.0.20:8873", "10.1.0.20", 8873)])
def test_need_host_and_port(kind, endpoint, host, port):
    n = Need(kind, endpoint, ("x",), "s", "f")
    assert (n.host, n.port) == (host, port)


def test_alibaba_services_of_the_nodes_region_only():
    assert alibaba_service("registry-vpc.cn-beijing.aliyuncs.com", "cn-beijing") == (
        "Container Registry, VPC endpoint of the region", "Alibaba Container Registry: VPC endpoint registry-vpc.<region-id>.aliyuncs.com")
    assert alibaba_service("registry-vpc.cn-hangzhou.aliyuncs.com", "cn-beijing") is None
    assert alibaba_service("b.oss-cn-beijing-internal.aliyuncs.com", "cn-beijing")[0] == "OSS internal endpoint of the region"
    assert alibaba_service("b.oss-cn-beijing.aliyuncs.com", "cn-beijing") is None  # the public endpoint
    assert alibaba_service("mirrors.cloud.aliyuncs.com", "cn-hangzhou")[0] == "Alibaba mirror site, VPC-internal address"
    assert alibaba_service("xmirrors.cloud.aliyuncs.com", "cn-hangzhou") is None
    # the region id is matched literally: a '.' in it would be any character as a pattern
    assert alibaba_service("registry-vpcxcn-beijing.aliyuncs.com", "cn-beijing") is None


def test_apiserver_service_env():
    assert apiserver_service_env("k8s-api.idc-bj.corp.internal:6443") == [
        {"name": "KUBERNETES_SERVICE_HOST", "value": "k8s-api.idc-bj.corp.internal"},
        {"name": "KUBERNETES_SERVICE_PORT", "value": "6443"}]
    assert apiserver_service_env(None) == [] and apiserver_service_env("") == []


# --- paths on prod, worked by hand ---------------------------------------------------------------

def _rows(p, region):
    return {e["endpoint"]: e for e in report(p)["regions"][region]["endpoints"]}


def test_the_metadata_service_is_in_every_vpc(prod_raw):
    row = _rows(load(prod_raw), "cn-zhangjiakou")["http://100.100.100.200"]
    assert (row["kind"], row["path"]) == ("http", {"via": "metadata", "detail": "ECS metadata service, inside every VPC",
                                                   "declaredBy": ""})
    assert row["neededBy"] == ["hybrid-join: region, zone, instance id, instance type"]


def test_the_apiserver_over_the_leased_line(prod_raw):
    row = _rows(load(prod_raw), "cn-beijing")["10.0.0.10:6443"]
    assert row["path"] == {"via": "leasedLine", "detail": "idc.nodeCidrs[0] 10.0.0.0/18 over the leased line",
                           "declaredBy": "regions[cn-beijing].leasedLine"}
    assert row["neededBy"] == ["kubeadm join: discovery (kube-public/cluster-info)"]


def test_an_idc_name_by_host_entry_and_by_forwarding(prod_raw):
    p = load(prod_raw)
    hz = _rows(p, "cn-hangzhou")["k8s-api.idc-bj.corp.internal:6443"]
    assert hz["path"] == {"via": "leasedLine", "declaredBy": "nodeAccess.regions.cn-hangzhou.dns.hosts",
                          "detail": "k8s-api.idc-bj.corp.internal -> 10.0.0.10 (/etc/hosts); idc.nodeCidrs[0] 10.0.0.0/18 "
                                    "over the leased line"}
    bj = _rows(p, "cn-beijing")["k8s-api.idc-bj.corp.internal:6443"]
    assert bj["path"] == {"via": "leasedLine", "declaredBy": "nodeAccess.regions.cn-beijing.dns.forwardZones[0]",
                          "detail": "k8s-api.idc-bj.corp.internal resolved by PrivateZone forwarding of idc-bj.corp.internal "
                                    "to 10.2.0.53, 10.2.0.54"}
    assert bj["neededBy"] == ["kubelet (and kube-proxy) after the join: cluster-info's server:",
                              "Terway: KUBERNETES_SERVICE_HOST/PORT"]


def test_a_mirror_path_names_its_endpoint_and_how_it_is_reached(prod_raw):
    hz = _rows(load(prod_raw), "cn-hangzhou")["quay.io"]
    assert hz["path"] == {
        "via": "mirror", "declaredBy": "nodeAccess.regions.cn-hangzhou.registryMirrors[1]",
        "detail": "https://registry.idc-bj.corp.internal:5000 (leasedLine: registry.idc-bj.corp.internal -> 10.1.0.30 "
                  "(/etc/hosts); idc.extraRanges[0] 10.1.0.0/20 over the leased line)",
        "contacts": ["https://registry.idc-bj.corp.internal:5000"],
        "reachedBy": {"via": "leasedLine", "declaredBy": "nodeAccess.regions.cn-hangzhou.dns.hosts",
                      "detail": "registry.idc-bj.corp.internal -> 10.1.0.30 (/etc/hosts); idc.extraRanges[0] 10.1.0.0/20 "
                                "over the leased line"}}
    assert hz["images"] == ["quay.io/prometheus/node-exporter:v1.8.2"] and hz["kind"] == "registry"


def test_the_nat_gateway_serves_public_names_not_idc_ones(prod_raw):
    zjk = _rows(load(prod_raw), "cn-zhangjiakou")
    assert zjk["quay.io"]["path"] == {"via": "natGateway", "detail": "public DNS and the internet through the VPC's NAT gateway",
                                      "declaredBy": "nodeAccess.regions.cn-zhangjiakou.egress"}
    assert report(load(prod_raw))["regions"]["cn-zhangjiakou"]["egress"] == "natGateway"


def test_a_vpc_address_is_reached_in_the_vpc(prod_raw):
    prod_raw["nodeAccess"]["regions"]["cn-hangzhou"]["apt"]["ubuntu"] = "http://10.33.200.7/ubuntu"
    p = load(prod_raw)
    assert _rows(p, "cn-hangzhou")["http://10.33.200.7/ubuntu"]["path"] == {
        "via": "vpc", "detail": "the region's VPC 10.33.0.0/16", "declaredBy": "regions[cn-hangzhou].vpcCidr"}


def test_a_public_address_only_through_the_nat_gateway(prod_raw):
    # a config value only, never contacted: the path is worked out, not probed
    prod_raw["nodeAccess"]["regions"]["cn-zhangjiakou"]["apt"] = {"ubuntu": "http://8.8.8.8/ubuntu"}
    assert _rows(load(prod_raw), "cn-zhangjiakou")["http://8.8.8.8/ubuntu"]["path"] == {
        "via": "natGateway", "detail": "internet through the VPC's NAT gateway",
        "declaredBy": "nodeAccess.regions.cn-zhangjiakou.egress"}
    prod_raw["nodeAccess"]["regions"]["cn-hangzhou"]["apt"]["ubuntu"] = "http://8.8.8.8/ubuntu"
    assert refusals(prod_raw) == [(
        "nodeAccess.regions.cn-hangzhou.apt.ubuntu",
        "GPU nodes in cn-hangzhou (egress none) have no path to http://8.8.8.8/ubuntu, needed by cloud-init packages "
        "(every GPU node); hybrid-gpu-driver: nvidia-driver-535-server + linux headers.",
        "set it to a mirror the VPC reaches (e.g. under https://mirrors.cloud.aliyuncs.com, or an IDC mirror), or set "
        "nodeAccess.regions.cn-hangzhou.egress: natGateway.")]


def test_a_documentation_address_is_not_on_the_internet(prod_raw):
    # 203.0.113.0/24 is TEST-NET-3 (RFC 5737): not globally routable, so not even the NAT gateway reaches it
    prod_raw["nodeAccess"]["regions"]["cn-zhangjiakou"]["apt"] = {"ubuntu": "http://203.0.113.7/ubuntu"}
    assert [p for p, _, _ in refusals(prod_raw)] == ["nodeAccess.regions.cn-zhangjiakou.apt.ubuntu"]


def test_needs_merge_one_endpoint_from_two_steps(prod_raw):
    p = load(prod_raw)
    hz = [n for n in needs(p, p.region("cn-hangzhou")) if n.endpoint == "http://10.1.0.40/ubuntu"]
    assert len(hz) == 1
    assert hz[0].who == ("cloud-init packages (every GPU node)", "hybrid-gpu-driver: nvidia-driver-535-server + linux headers")
    assert hz[0].source == ("cloud-init package_update/packages (hybrid/cloudinit.py NODE_PACKAGES); hybrid-gpu-driver.sh "
                            "(Ubuntu restricted: packaged NVIDIA server branches)")
    assert hz[0].field == "nodeAccess.regions.cn-hangzhou.apt.ubuntu" and not hz[0].idc


def test_resolve_of_an_unmirrored_registry_without_egress_is_none(prod_raw):
    p = load(prod_raw)
    r = p.region("cn-hangzhou")
    assert resolve(p, r, Need("registry", "ghcr.io", ("x",), "s", "f")) is None
    assert resolve(p, r, Need("registry", "registry-vpc.cn-hangzhou.aliyuncs.com", ("x",), "s", "f")) == Path(
        "alibabaVpc", "Container Registry, VPC endpoint of the region",
        "Alibaba Container Registry: VPC endpoint registry-vpc.<region-id>.aliyuncs.com")


# --- refusals and their fixes, worked by hand ----------------------------------------------------------

APISERVER_BY = ("kubeadm join: discovery (kube-public/cluster-info); kubelet (and kube-proxy) after the join: cluster-info's "
                "server:; Terway: KUBERNETES_SERVICE_HOST/PORT")
IDC_FIX = "use an address inside the IDC ranges (idc.nodeCidrs / extraRanges), which the leased line carries."


def test_an_idc_endpoint_is_never_served_by_the_nat_gateway(prod_raw):
    # the apiserver and cluster-info's server are one endpoint (merged), an IDC one: cn-zhangjiakou's NAT gateway
    # would reach 8.8.8.8, but an IDC endpoint only travels the leased line (a config value, never contacted)
    prod_raw["idc"]["apiserver"]["host"] = "8.8.8.8"
    prod_raw["nodeAccess"]["controlPlaneEndpoint"] = "8.8.8.8:6443"
    assert refusals(prod_raw) == [
        ("idc.apiserver.host", f"GPU nodes in {r} (egress {e}) have no path to 8.8.8.8:6443, needed by {APISERVER_BY}.", IDC_FIX)
        for r, e in (("cn-beijing", "none"), ("cn-hangzhou", "none"), ("cn-zhangjiakou", "natGateway"))]


def test_an_idc_address_outside_the_idc_ranges_names_its_field(dev_raw):
    dev_raw["regions"][0]["gpuPools"][0]["preload"][0]["source"] = "rsync://10.200.0.1/datasets/x/"
    assert refusals(dev_raw) == [(
        "preload.source", "GPU nodes in cn-beijing (egress none) have no path to rsync://10.200.0.1, needed by "
                          "hybrid-preload@sample-corpus (a10-dev).", IDC_FIX)]


def test_an_unreachable_mirror_names_the_mirrors_endpoint(prod_raw):
    prod_raw["nodeAccess"]["regions"]["cn-hangzhou"]["registryMirrors"][1]["endpoint"] = "https://8.8.8.8:5000"
    assert refusals(prod_raw) == [(
        "nodeAccess.regions.cn-hangzhou.registryMirrors[1].endpoint",
        "GPU nodes in cn-hangzhou (egress none) have no path to quay.io, needed by IDC DaemonSet node-exporter "
        "(images: quay.io/prometheus/node-exporter:v1.8.2).",
        "point the mirror at a host the VPC reaches: an ACR instance's VPC endpoint "
        "(<instance>-registry-vpc.<region>.cr.aliyuncs.com), an IDC registry address inside the IDC ranges, or a name in "
        "dns.hosts / dns.forwardZones.")]


def test_an_unreachable_key_over_http_gets_the_apt_fix(prod_raw):
    prod_raw["nodeAccess"]["regions"]["cn-hangzhou"]["apt"]["nvidiaContainerToolkitKey"] = "http://8.8.8.8/gpgkey"
    assert refusals(prod_raw) == [(
        "nodeAccess.regions.cn-hangzhou.apt.nvidiaContainerToolkitKey",
        "GPU nodes in cn-hangzhou (egress none) have no path to http://8.8.8.8/gpgkey, needed by hybrid-gpu-driver: "
        "toolkit signing key.",
        "set it to a mirror the VPC reaches (e.g. under https://mirrors.cloud.aliyuncs.com, or an IDC mirror), or set "
        "nodeAccess.regions.cn-hangzhou.egress: natGateway.")]


def test_report_rows_carry_their_source(prod_raw):
    row = _rows(load(prod_raw), "cn-beijing")["http://100.100.100.200"]
    assert row["source"] == "hybrid-join.sh; Alibaba ECS instance metadata (security-hardening mode)"
    assert "images" not in row


APT_FIX = ("set it to a mirror the VPC reaches (e.g. under https://mirrors.cloud.aliyuncs.com, or an IDC mirror), or set "
           "nodeAccess.regions.cn-hangzhou.egress: natGateway.")


@pytest.mark.parametrize("key,field,who", [
    ("kubernetes", "kubernetes", "hybrid-join: kubelet, kubeadm 1.30.4"),
    ("nvidiaContainerToolkit", "nvidiaContainerToolkit", "hybrid-gpu-driver: nvidia-container-toolkit")])
def test_an_unreachable_apt_mirror_names_its_field_and_the_apt_fix(prod_raw, key, field, who):
    prod_raw["nodeAccess"]["regions"]["cn-hangzhou"]["apt"][key] = "http://8.8.8.8/repo"
    assert refusals(prod_raw) == [(f"nodeAccess.regions.cn-hangzhou.apt.{field}",
                                   f"GPU nodes in cn-hangzhou (egress none) have no path to http://8.8.8.8/repo, needed by {who}.",
                                   APT_FIX)]


def test_a_driver_from_the_image_needs_no_driver_packages(prod_raw):
    # cn-hangzhou's only pool, t4-infer, installs the 535 driver; from the image, Ubuntu serves cloud-init alone
    prod_raw["regions"][1]["gpuPools"][0]["driver"] = {"source": "image", "branch": "535"}
    p = load(prod_raw)
    ubuntu = [n for n in needs(p, p.region("cn-hangzhou")) if n.endpoint == "http://10.1.0.40/ubuntu"]
    assert [n.who for n in ubuntu] == [("cloud-init packages (every GPU node)",)]


def test_two_preloads_from_one_rsync_host_are_one_endpoint_with_one_source(dev_raw):
    pool = dev_raw["regions"][0]["gpuPools"][0]
    pool["preload"].append({"name": "second", "source": "rsync://10.9.0.20/datasets/second/",
                            "target": "/data/datasets/second", "rateMbit": 400})
    row = _rows(load(dev_raw), "cn-beijing")["rsync://10.9.0.20"]
    assert row["neededBy"] == ["hybrid-preload@sample-corpus (a10-dev)", "hybrid-preload@second (a10-dev)"]
    assert row["source"] == "hybrid-preload.sh (rsync over the leased line)"


def test_a_public_mirror_is_reached_through_the_nat_gateway(prod_raw):
    # a mirror is not an IDC endpoint: cn-zhangjiakou's NAT gateway may serve it (a config value, never contacted)
    prod_raw["nodeAccess"]["regions"]["cn-zhangjiakou"]["registryMirrors"][0]["endpoint"] = "https://8.8.8.8/v2/k8s"
    path = _rows(load(prod_raw), "cn-zhangjiakou")["registry.k8s.io"]["path"]
    assert (path["via"], path["reachedBy"]["via"], path["contacts"]) == ("mirror", "natGateway", ["https://8.8.8.8/v2/k8s"])


# --- every endpoint of a region, worked by hand from the stack config ----------------------------------

MIRRORS = "https://mirrors.cloud.aliyuncs.com"  # Alibaba's VPC-internal mirror site (developer.aliyun.com/mirror)
JOIN_BY = ("kubeadm join: discovery (kube-public/cluster-info)",)
JOIN_SRC = "kubeadm JoinConfiguration discovery.bootstrapToken.apiServerEndpoint"
CPE_BY = ("kubelet (and kube-proxy) after the join: cluster-info's server:", "Terway: KUBERNETES_SERVICE_HOST/PORT")
CPE_SRC = "kubeadm join writes cluster-info's server (the IDC controlPlaneEndpoint) into kubelet.conf"
PAUSE_BY, PAUSE_SRC = ("containerd sandbox (pause) image",
                       "hybrid-join.sh sets containerd's sandbox_image; kubelet starts every pod with it")
TERWAY_SRC = "terway@release-1.16 charts/terway/values.yaml (image acs/terway); scheduled on cni.cloudNodeLabel nodes"
PROXY_BY, PROXY_SRC = ("kube-proxy-cloud DaemonSet (the cloud nodes' kube-proxy)",
                       "hybrid/cni.py kube_proxy_cloud_daemonset: kubeadm's kube-proxy is kept off cloud nodes, this one runs there")
DP_BY, DP_SRC = ("NVIDIA device plugin DaemonSet",
                 "NVIDIA/k8s-device-plugin@v0.17.4 deployments/static/nvidia-device-plugin.yml; hybrid/device_plugin.py")
DCGM_BY, DCGM_SRC = ("dcgm-exporter DaemonSet (GPU metrics)",
                     "NVIDIA/dcgm-exporter deployment/values.yaml; hybrid/gpu_metrics.py, one DaemonSet per GPU pool")


def _boot(base: str, ubuntu_by: tuple[str, ...]) -> list[Need]:
    """The first five endpoints of every region on the default (Alibaba VPC-internal) apt mirrors."""
    return [
        Need("http", "http://100.100.100.200", ("hybrid-join: region, zone, instance id, instance type",),
             "hybrid-join.sh; Alibaba ECS instance metadata (security-hardening mode)", base),
        Need("apt", f"{MIRRORS.replace('https', 'http')}/ubuntu", ubuntu_by,
             "cloud-init package_update/packages (hybrid/cloudinit.py NODE_PACKAGES); hybrid-gpu-driver.sh (Ubuntu restricted: "
             "packaged NVIDIA server branches)", f"{base}.apt.ubuntu"),
        Need("apt", f"{MIRRORS}/kubernetes-new/core/stable", ("hybrid-join: kubelet, kubeadm 1.30.4",),
             "hybrid-join.sh (pkgs.k8s.io layout <base>/v<minor>/deb/)", f"{base}.apt.kubernetes"),
        Need("apt", f"{MIRRORS}/libnvidia-container/stable/deb/amd64", ("hybrid-gpu-driver: nvidia-container-toolkit",),
             "hybrid-gpu-driver.sh; NVIDIA container toolkit install guide (apt repository libnvidia-container/stable/deb)",
             f"{base}.apt.nvidiaContainerToolkit"),
        Need("apt", f"{MIRRORS}/libnvidia-container/gpgkey", ("hybrid-gpu-driver: toolkit signing key",),
             "hybrid-gpu-driver.sh (signed-by keyring)", f"{base}.apt.nvidiaContainerToolkitKey"),
    ]


DRIVER_BY = ("cloud-init packages (every GPU node)", "hybrid-gpu-driver: nvidia-driver-535-server + linux headers")


def test_every_endpoint_of_prods_registration_region(prod_raw):
    # stacks/Pulumi.prod.yaml: cn-beijing is the registration region with elastic pools, metrics on, the device plugin
    # from nvcr.io, controlPlaneEndpoint a name apart from idc.apiserver 10.0.0.10:6443, node-exporter from quay.io.
    p = load(prod_raw)
    base = "nodeAccess.regions.cn-beijing"
    acr = "registry-vpc.cn-beijing.aliyuncs.com"
    assert needs(p, p.region("cn-beijing")) == [
        *_boot(base, DRIVER_BY),
        Need("tcp", "10.0.0.10:6443", JOIN_BY, JOIN_SRC, "idc.apiserver.host", idc=True),
        Need("tcp", "k8s-api.idc-bj.corp.internal:6443", CPE_BY, CPE_SRC, "nodeAccess.controlPlaneEndpoint", idc=True),
        Need("http", "https://hybrid-prod-cn-beijing-join-idc-bj.oss-cn-beijing-internal.aliyuncs.com/join-token",
             ("hybrid-join-token: the join token (V1-signed GET with the instance RAM role)",),
             "hybrid-join-token.sh; the region's join-token bucket (hybrid/model/join_token.py) on its OSS internal endpoint", base),
        Need("http", "https://hybrid-prod-idc-bj-node-scripts.oss-cn-beijing-internal.aliyuncs.com/elastic/hybrid-elastic-node.sh",
             ("ACK node initialisation: addNodeScriptPath (elastic pools)",),
             "ACK One registered cluster 'Create a node pool', Step 2 (script URL)", base),
        Need("rsync", "rsync://10.1.0.20", ("hybrid-preload@imagenet-1k (a10-train)", "hybrid-preload@llm-corpus (a100-burst)",
                                            "hybrid-preload@imagenet-1k (a10-elastic)"),
             "hybrid-preload.sh (rsync over the leased line)", "preload.source", idc=True),
        Need("registry", acr, (PAUSE_BY, DCGM_BY), f"{DCGM_SRC}; {PAUSE_SRC}", f"{base}.registryMirrors",
             images=(f"{acr}/acs/pause:3.9", f"{acr}/acs/dcgm-exporter:4.5.3-4.8.2-distroless")),
        Need("registry", "registry-cn-beijing-vpc.ack.aliyuncs.com", ("Terway DaemonSet (manifest)",), TERWAY_SRC,
             f"{base}.registryMirrors", images=("registry-cn-beijing-vpc.ack.aliyuncs.com/acs/terway:v1.16.7",)),
        Need("registry", "registry.k8s.io", (PROXY_BY,), PROXY_SRC, f"{base}.registryMirrors",
             images=("registry.k8s.io/kube-proxy:v1.30.4",)),
        Need("registry", "nvcr.io", (DP_BY,), DP_SRC, f"{base}.registryMirrors", images=("nvcr.io/nvidia/k8s-device-plugin:v0.17.4",)),
        Need("registry", "quay.io", ("IDC DaemonSet node-exporter",),
             "nodeAccess.idcDaemonSets (the IDC's DaemonSets that tolerate cloud nodes)", f"{base}.registryMirrors",
             images=("quay.io/prometheus/node-exporter:v1.8.2",)),
    ]


def test_every_endpoint_of_devs_region(dev_raw):
    # stacks/Pulumi.dev.yaml: the registration region without elastic pools (no node script), the apiserver and
    # cluster-info's server one address (one endpoint), the device plugin from the region's ACR VPC endpoint.
    p = load(dev_raw)
    base = "nodeAccess.regions.cn-beijing"
    acr = "registry-vpc.cn-beijing.aliyuncs.com"
    assert needs(p, p.region("cn-beijing")) == [
        *_boot(base, DRIVER_BY),
        Need("tcp", "10.8.0.10:6443", JOIN_BY + CPE_BY, f"{JOIN_SRC}; {CPE_SRC}", "idc.apiserver.host", idc=True),
        Need("http", "https://hybrid-dev-cn-beijing-join-idc-bj-dev.oss-cn-beijing-internal.aliyuncs.com/join-token",
             ("hybrid-join-token: the join token (V1-signed GET with the instance RAM role)",),
             "hybrid-join-token.sh; the region's join-token bucket (hybrid/model/join_token.py) on its OSS internal endpoint", base),
        Need("rsync", "rsync://10.9.0.20", ("hybrid-preload@sample-corpus (a10-dev)",), "hybrid-preload.sh (rsync over the leased line)",
             "preload.source", idc=True),
        Need("registry", acr, (PAUSE_BY, DP_BY), f"{DP_SRC}; {PAUSE_SRC}", f"{base}.registryMirrors",
             images=(f"{acr}/acs/pause:3.9", f"{acr}/acs/k8s-device-plugin:v0.17.4")),
        Need("registry", "registry-cn-beijing-vpc.ack.aliyuncs.com", ("Terway DaemonSet (manifest)",), TERWAY_SRC,
             f"{base}.registryMirrors", images=("registry-cn-beijing-vpc.ack.aliyuncs.com/acs/terway:v1.16.7",)),
        Need("registry", "registry.k8s.io", (PROXY_BY,), PROXY_SRC, f"{base}.registryMirrors",
             images=("registry.k8s.io/kube-proxy:v1.30.4",)),
    ]


def test_a_signing_key_over_plain_http_is_an_http_endpoint(prod_raw):
    # apt fetches the sources; the key is fetched by curl in hybrid-gpu-driver.sh: an http: URL is a plain HTTP GET
    p = load(prod_raw)
    key = [n for n in needs(p, p.region("cn-hangzhou")) if n.endpoint == "http://10.1.0.40/libnvidia-container/gpgkey"]
    assert [(n.kind, n.field) for n in key] == [("http", "nodeAccess.regions.cn-hangzhou.apt.nvidiaContainerToolkitKey")]


# --- the config's values, at their edges ----------------------------------------------------------------

def test_a_url_path_keeps_its_upper_case_and_loses_only_slashes():
    a = AptMirrors.model_validate({"ubuntu": "https://h.example/UbuntuX/", "kubernetes": None})
    assert (a.ubuntu, a.kubernetes) == ("https://h.example/UbuntuX", None)


def test_long_bad_values_are_quoted_to_their_limit():
    host = "h" * 120
    assert refused(AptMirrors, {"ubuntu": f"https://{host}_/"})[1].startswith(repr(f"https://{host}_/"[:100]) + " has a host")
    assert refused(AptMirrors, {"ubuntu": f"https://h.example:99999/{host}"})[1].startswith(
        repr(f"https://h.example:99999/{host}"[:100]) + " has an invalid port")
    assert refused(Dns, {"hosts": {host.upper(): "10.0.0.1"}})[1].startswith(f"host name {host.upper()[:100]!r} is not")
    assert refused(Dns, {"hosts": {"a.idc": "1" * 80}})[1].startswith(f"a.idc: {'1' * 60!r} is not an IPv4")
    assert refused(ForwardZone, {"domain": host.upper(), "forwarders": ["10.0.0.1"]})[1].startswith(f"{host.upper()[:100]!r} is not a DNS")
    assert refused(ForwardZone, {"domain": "idc.x", "forwarders": ["1" * 80]})[1].startswith(f"forwarder {'1' * 60!r} is not an IPv4")
    assert refused(NodeAccess, {"controlPlaneEndpoint": host.upper() + ":6443"})[1].startswith(f"{host.upper()[:100]!r} is not HOST:PORT")
    assert refused(RegistryMirror, {"upstream": host.upper(), "endpoint": "https://m.example"})[1].startswith(
        f"{host.upper()[:100]!r} is not a registry host")


def test_a_url_without_a_host_has_no_host():
    assert Need("http", "file:/etc/hosts", ("x",), "s", "f").host == ""


# --- the load's refusals, worked by hand ----------------------------------------------------------------

REF_FIX = "give a registry/repository path in the distribution reference grammar, without tag or digest."
MIRROR_FIX = ("point the mirror at a host the VPC reaches: an ACR instance's VPC endpoint (<instance>-registry-vpc.<region>.cr.aliyuncs.com), "
              "an IDC registry address inside the IDC ranges, or a name in dns.hosts / dns.forwardZones.")
CPE_NEEDED = ("GPU nodes in cn-zhangjiakou (egress natGateway) have no path to k8s-api.idc-bj.corp.internal:6443, needed by kubelet (and "
              "kube-proxy) after the join: cluster-info's server:; Terway: KUBERNETES_SERVICE_HOST/PORT.")
CPE_DNS_FIX = ("add dns.hosts {k8s-api.idc-bj.corp.internal: <IDC address>} or a dns.forwardZones entry covering "
               "k8s-api.idc-bj.corp.internal.")


def test_a_region_entry_of_no_declared_region_names_the_declared_ones(prod_raw):
    prod_raw["nodeAccess"]["regions"]["cn-shanghai"] = {}
    assert refusals(prod_raw) == [("nodeAccess.regions.cn-shanghai", "cn-shanghai is not a region of this stack.",
                                   "use one of cn-beijing, cn-hangzhou, cn-zhangjiakou, or drop the entry.")]


def test_gpu_nodes_need_the_control_plane_endpoint_declared(dev_raw):
    del dev_raw["nodeAccess"]["controlPlaneEndpoint"]
    assert refusals(dev_raw) == [(
        "nodeAccess.controlPlaneEndpoint",
        "not declared: after discovery the kubelet uses the server: of kube-public/cluster-info (the IDC's controlPlaneEndpoint), "
        "and the plan cannot tell whether the nodes reach it.",
        "set it to HOST:PORT from `kubectl -n kube-public get cm cluster-info -o yaml` (the server: line).")]


def test_a_region_without_the_leased_line_does_not_hide_the_next_regions_endpoints(prod_raw):
    del prod_raw["regions"][0]["leasedLine"]  # cn-beijing: reported once, on its leasedLine
    prod_raw["nodeAccess"]["regions"]["cn-hangzhou"]["apt"]["ubuntu"] = "http://8.8.8.8/u"
    assert [path for path, _, _ in refusals(prod_raw)] == ["nodeAccess.regions.cn-hangzhou.apt.ubuntu", "regions[0].leasedLine"]


def test_a_public_forwarder_does_not_resolve_idc_names_even_with_a_nat_gateway(prod_raw):
    # an IDC resolver is reached over the leased line only: 8.8.8.8 behind cn-zhangjiakou's NAT gateway does not answer
    # for idc-bj.corp.internal (a config value, never contacted)
    prod_raw["nodeAccess"]["regions"]["cn-zhangjiakou"]["dns"] = {
        "forwardZones": [{"domain": "idc-bj.corp.internal", "forwarders": ["8.8.8.8"]}]}
    assert refusals(prod_raw) == [
        ("nodeAccess.regions.cn-zhangjiakou.dns", CPE_NEEDED, CPE_DNS_FIX),
        ("nodeAccess.regions.cn-zhangjiakou.dns.forwardZones[0].forwarders",
         "8.8.8.8 is not inside an IDC range the leased line carries to cn-zhangjiakou.",
         "list the IDC resolvers' addresses (inside idc.nodeCidrs or extraRanges)."),
        # registry.idc-bj.corp.internal lost its host entry with the dns block
        ("nodeAccess.regions.cn-zhangjiakou.registryMirrors[0].endpoint",
         "GPU nodes in cn-zhangjiakou (egress natGateway) have no path to registry.k8s.io, needed by kube-proxy-cloud DaemonSet "
         "(the cloud nodes' kube-proxy) (images: registry.k8s.io/kube-proxy:v1.30.4).", MIRROR_FIX)]


def test_an_idc_name_mapped_to_a_public_address_is_not_reached_through_the_nat_gateway(prod_raw):
    prod_raw["nodeAccess"]["regions"]["cn-zhangjiakou"]["dns"]["hosts"]["k8s-api.idc-bj.corp.internal"] = "8.8.8.8"
    assert refusals(prod_raw) == [("nodeAccess.regions.cn-zhangjiakou.dns", CPE_NEEDED, CPE_DNS_FIX)]


def test_an_unreachable_registry_lists_every_image(prod_raw):
    prod_raw["nodeAccess"]["idcDaemonSets"][0]["images"].append("quay.io/prometheus/x:v1")
    prod_raw["nodeAccess"]["regions"]["cn-hangzhou"]["registryMirrors"][1]["endpoint"] = "https://8.8.8.8:5000"
    (refusal,) = refusals(prod_raw)
    # one DaemonSet with two images on the registry: named once, both images listed
    assert refusal[1] == ("GPU nodes in cn-hangzhou (egress none) have no path to quay.io, needed by IDC DaemonSet "
                          "node-exporter (images: quay.io/prometheus/node-exporter:v1.8.2, quay.io/prometheus/x:v1).")


def test_an_image_two_daemonsets_share_is_listed_once(prod_raw):
    prod_raw["nodeAccess"]["idcDaemonSets"].append({"name": "exporter-b", "images": ["quay.io/prometheus/node-exporter:v1.8.2"]})
    prod_raw["nodeAccess"]["regions"]["cn-hangzhou"]["registryMirrors"][1]["endpoint"] = "https://8.8.8.8:5000"
    (refusal,) = refusals(prod_raw)
    assert refusal[1] == ("GPU nodes in cn-hangzhou (egress none) have no path to quay.io, needed by IDC DaemonSet "
                          "node-exporter; IDC DaemonSet exporter-b (images: quay.io/prometheus/node-exporter:v1.8.2).")


def test_a_device_plugin_image_outside_the_reference_grammar(dev_raw):
    # distribution/reference: path components are separated by single '/' (an empty component is refused)
    dev_raw["gpu"] = {**dev_raw.get("gpu", {}), "devicePlugin": {"image": "registry-vpc.{region}.aliyuncs.com//dp"}}
    assert refusals(dev_raw) == [("gpu.devicePlugin.image", "'registry-vpc.cn-beijing.aliyuncs.com//dp': invalid reference format "
                                                            "(distribution reference grammar).", REF_FIX)]


def test_an_image_is_judged_in_the_first_region_with_gpu_nodes(prod_raw):
    zjk = prod_raw["regions"].pop(2)
    zjk["gpuPools"] = []
    prod_raw["regions"].insert(0, zjk)  # first now, without GPU nodes: cn-beijing is the first with some
    prod_raw["gpu"] = {**prod_raw.get("gpu", {}), "devicePlugin": {"image": "registry-vpc.{region}.aliyuncs.com//dp"}}
    assert [m for _, m, _ in refusals(prod_raw)] == [
        "'registry-vpc.cn-beijing.aliyuncs.com//dp': invalid reference format (distribution reference grammar)."]


def test_an_image_is_judged_in_the_first_region_when_none_has_gpu_nodes(dev_raw):
    dev_raw["regions"][0]["gpuPools"] = []
    dev_raw["gpu"] = {**dev_raw.get("gpu", {}), "devicePlugin": {"image": "registry-vpc.{region}.aliyuncs.com//dp"}}
    assert [m for _, m, _ in refusals(dev_raw)] == [
        "'registry-vpc.cn-beijing.aliyuncs.com//dp': invalid reference format (distribution reference grammar)."]


def test_a_terway_registry_outside_the_reference_grammar(dev_raw):
    dev_raw["cni"]["terway"]["imageRegistry"] = "registry-{region}-vpc.ack.aliyuncs.com//acs"
    assert refusals(dev_raw) == [("cni.terway.imageRegistry", "'registry-cn-beijing-vpc.ack.aliyuncs.com//acs/terway': invalid "
                                                              "reference format (distribution reference grammar).", REF_FIX)]


def test_a_kube_proxy_image_outside_the_reference_grammar(dev_raw):
    dev_raw["cni"]["kubeProxy"] = {"image": "registry.k8s.io//kube-proxy:v1"}
    assert refusals(dev_raw) == [("cni.kubeProxy.image", "'registry.k8s.io//kube-proxy:v1': invalid reference format (distribution "
                                                         "reference grammar).", "use REGISTRY/REPOSITORY:TAG.")]


def test_without_the_idcs_leased_line_no_region_reaches_the_idc(prod_raw):
    # the region's attachment alone carries nothing when the IDC side declares no leased line
    p = load(prod_raw)
    no_line = p.model_copy(update={"idc": p.idc.model_copy(update={"leased_line": False})})
    bj, hz = no_line.region("cn-beijing"), no_line.region("cn-hangzhou")
    assert resolve_host(no_line, bj, "10.0.0.10", True) is None
    assert resolve_host(no_line, bj, "k8s-api.idc-bj.corp.internal", True) is None  # forwarding zone: the resolvers are IDC ones
    assert resolve_host(no_line, hz, "k8s-api.idc-bj.corp.internal", True) is None  # host entry to an IDC address


def test_a_forwarding_zone_needs_the_leased_line_even_when_its_resolvers_are_in_the_vpc(prod_raw):
    # PrivateZone forwards to the resolvers, but the names they answer with are IDC addresses: no leased line, no path
    prod_raw["nodeAccess"]["regions"]["cn-beijing"]["dns"]["forwardZones"][0]["forwarders"] = ["10.32.0.53"]  # cn-beijing's VPC
    p = load(prod_raw)
    assert resolve_host(p, p.region("cn-beijing"), "k8s-api.idc-bj.corp.internal", True).via == "leasedLine"
    no_line = p.model_copy(update={"idc": p.idc.model_copy(update={"leased_line": False})})
    assert resolve_host(no_line, no_line.region("cn-beijing"), "k8s-api.idc-bj.corp.internal", True) is None
