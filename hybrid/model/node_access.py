"""What cloud GPU nodes reach, and how: the per-region paths and every endpoint a node contacts.

``nodeAccess`` declares, per region with GPU nodes (fixed or elastic), the node's egress
(``none``: only the VPC, Alibaba's VPC-internal services and the leased line; ``natGateway``:
an existing NAT gateway with an SNAT entry for the node vSwitches), registry mirrors (one per
upstream registry, served by an ACR instance's VPC endpoint or an IDC registry over the leased
line), apt mirrors, and DNS for IDC names (PrivateZone forwarding zones, or host entries).

:func:`needs` lists every endpoint a node of the region contacts, at boot and for each
DaemonSet that lands on it, with where the requirement comes from; :func:`resolve` finds the
path that serves it, or none. The load fails (exit 2) naming the endpoint and the field that
would serve it when one has no path: :func:`check`. The node side renders from the same
functions (``hybrid.cloudinit``: containerd hosts.toml, apt sources, /etc/hosts), the plan writes
``reachability.json`` from :func:`report`, and ``hybrid-gpu preflight`` checks the same list.

Pure model code: no renderer imports (the renderers import from here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Literal, Optional
from urllib.parse import urlsplit

import netaddr
from pydantic import Field, field_validator

from hybrid import imageref, unconfirmed
from hybrid.errors import ConfigIssue, FieldError
from hybrid.model.base import Model, Name

if TYPE_CHECKING:
    from hybrid.model.network import Region
    from hybrid.model.platform import Platform

# --- the endpoints the program itself points nodes at (one home; the renderers import them) ---

METADATA_HOST = "100.100.100.200"
# Alibaba ECS "Instance metadata" (alibabacloud.com/help/en/ecs/user-guide/view-instance-metadata):
# served at 100.100.100.200 inside every VPC, no route needed.
METADATA = f"http://{METADATA_HOST}"
# VPC-internal Alibaba mirror of pkgs.k8s.io (layout <base>/v<minor>/deb/).
K8S_APT_MIRROR = "https://mirrors.cloud.aliyuncs.com/kubernetes-new/core/stable"
UBUNTU_APT_MIRROR = unconfirmed.value("nodeAccess.ubuntuMirror")
TOOLKIT_APT_REPO = unconfirmed.value("gpu.toolkitAptRepo")
TOOLKIT_GPG_KEY = unconfirmed.value("gpu.toolkitGpgKey")
PAUSE_IMAGE = unconfirmed.value("cloudinit.pauseImage")

# Alibaba services a VPC reaches without internet access, per region ({region} = the node's).
# Each: (host pattern, what, source). A host of another region does not match.
ALIBABA_VPC_SERVICES: tuple[tuple[str, str, str], ...] = (
    (r"mirrors\.cloud\.aliyuncs\.com", "Alibaba mirror site, VPC-internal address",
     "Alibaba open source mirror site (developer.aliyun.com/mirror): ECS instances in a VPC use mirrors.cloud.aliyuncs.com"),
    (r"registry-vpc\.{region}\.aliyuncs\.com", "Container Registry, VPC endpoint of the region",
     "Alibaba Container Registry: VPC endpoint registry-vpc.<region-id>.aliyuncs.com"),
    (r"[a-z0-9][a-z0-9-]*-registry-vpc\.{region}\.cr\.aliyuncs\.com", "ACR Enterprise instance, VPC endpoint",
     "Alibaba ACR Enterprise Edition, 'Configure access over VPCs': <instance>-registry-vpc.<region-id>.cr.aliyuncs.com, "
     "resolved in the VPCs added to the instance's access control"),
    (r"registry-{region}-vpc\.ack\.aliyuncs\.com", "ACK component registry, VPC endpoint (unconfirmed: terway.imageRegistry)",
     "hybrid/unconfirmed.py terway.imageRegistry"),
    (r"[a-z0-9][a-z0-9.-]*\.oss-{region}-internal\.aliyuncs\.com", "OSS internal endpoint of the region",
     "Alibaba OSS 'Regions and endpoints': oss-<region-id>-internal.aliyuncs.com serves ECS instances of the region"),
)


def alibaba_service(host: str, region_id: str) -> Optional[tuple[str, str]]:
    """(what, source) when ``host`` is an Alibaba service the region's VPC reaches internally."""
    for pattern, what, source in ALIBABA_VPC_SERVICES:
        if re.fullmatch(pattern.replace("{region}", re.escape(region_id)), host):
            return what, source
    return None


# --- config -----------------------------------------------------------------

_HOSTNAME_RE = re.compile(r"(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*")


def _url(value: str) -> str:
    parts = urlsplit(value)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host or parts.query or parts.fragment or parts.username:
        raise FieldError(f"{value[:100]!r} is not an http(s) URL of a host.", "use https://HOST[:PORT][/PATH].")
    if not (is_ipv4(host) or _HOSTNAME_RE.fullmatch(host)) or any(c.isspace() or c in "\"'\\$`" for c in value):
        raise FieldError(f"{value[:100]!r} has a host or characters outside what apt and containerd take.",
                         "use a lower-case DNS name or IPv4 address and a plain path.")
    try:
        _ = parts.port  # urllib parses the port lazily: reading it is the check
    except ValueError:
        raise FieldError(f"{value[:100]!r} has an invalid port.", "use a port between 1 and 65535.") from None
    return value.rstrip("/")


def is_ipv4(host: str) -> bool:
    """``host`` is a dotted-quad IPv4 address: netaddr >= 1.0 parses in the inet_pton form by default and
    refuses inet_aton's short and octal forms ("10.2", "010.2.0.1")."""
    return bool(netaddr.valid_ipv4(host))


class RegistryMirror(Model):
    upstream: str = Field(description="Registry host namespace the pods' images name (docker.io, registry.k8s.io, nvcr.io, host:port).")
    endpoint: str = Field(description="https://HOST[:PORT][/PATH] of the mirror the node contacts instead (an ACR instance's VPC "
                                      "endpoint, or an IDC registry over the leased line); a PATH is the API root (containerd override_path).")

    @field_validator("upstream")
    @classmethod
    def _upstream(cls, v: str) -> str:
        if not imageref.DOMAIN_RE.match(v) or v != v.lower():
            raise FieldError(f"{v[:100]!r} is not a registry host (distribution reference grammar, domain and port).",
                             "use the registry part of the image references, e.g. registry.k8s.io or docker.io.")
        return v

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, v: str) -> str:
        return _url(v)


class AptMirrors(Model):
    ubuntu: Optional[str] = Field(default=None, description="Ubuntu archive mirror (cloud-init apt primary and security); default: the "
                                                            "Alibaba VPC-internal mirror (unconfirmed, nodeAccess.ubuntuMirror).")
    kubernetes: Optional[str] = Field(default=None, description="pkgs.k8s.io mirror base (…/core/stable; the node appends /v<minor>/deb/).")
    nvidia_container_toolkit: Optional[str] = Field(default=None, description="NVIDIA container toolkit apt repository (…/stable/deb/amd64).")
    nvidia_container_toolkit_key: Optional[str] = Field(default=None, description="URL of that repository's signing key.")

    @field_validator("ubuntu", "kubernetes", "nvidia_container_toolkit", "nvidia_container_toolkit_key")
    @classmethod
    def _urls(cls, v: Optional[str]) -> Optional[str]:
        return None if v is None else _url(v)


class ForwardZone(Model):
    domain: str = Field(description="IDC DNS domain a PrivateZone forwarding rule sends to the IDC resolvers.")
    forwarders: list[str] = Field(min_length=1, max_length=8, description="IDC DNS servers (IPv4, inside the IDC ranges).")

    @field_validator("domain")
    @classmethod
    def _domain(cls, v: str) -> str:
        if not _HOSTNAME_RE.fullmatch(v) or "." not in v:
            raise FieldError(f"{v[:100]!r} is not a DNS domain.", "use a lower-case domain such as idc.example.internal.")
        return v

    @field_validator("forwarders")
    @classmethod
    def _ips(cls, v: list[str]) -> list[str]:
        for ip in v:
            if not is_ipv4(ip):
                raise FieldError(f"forwarder {ip[:60]!r} is not an IPv4 address.", "give the IDC resolvers' addresses.")
        return v


class Dns(Model):
    hosts: dict[str, str] = Field(default_factory=dict, description="name -> IPv4 entries written to the nodes' /etc/hosts.")
    forward_zones: list[ForwardZone] = Field(default_factory=list, max_length=16,
                                             description="PrivateZone forwarding rules (outbound, to the IDC resolvers) bound to the region's VPC.")

    @field_validator("hosts")
    @classmethod
    def _hosts(cls, v: dict[str, str]) -> dict[str, str]:
        for name, ip in v.items():
            if not _HOSTNAME_RE.fullmatch(name):
                raise FieldError(f"host name {name[:100]!r} is not a lower-case DNS name.", "use names such as k8s-api.idc.example.internal.")
            if not is_ipv4(ip):
                raise FieldError(f"{name}: {ip[:60]!r} is not an IPv4 address.", "map each name to the IDC address that serves it.")
        return v


class RegionAccess(Model):
    egress: Literal["none", "natGateway"] = Field(
        default="none", description="none: the VPC, Alibaba VPC-internal services and the leased line only; natGateway: an existing NAT "
                                    "gateway with SNAT for the node vSwitches also reaches the internet.")
    registry_mirrors: list[RegistryMirror] = Field(default_factory=list, max_length=32)
    apt: AptMirrors = AptMirrors()
    dns: Dns = Dns()

    @field_validator("registry_mirrors")
    @classmethod
    def _one_per_upstream(cls, v: list[RegistryMirror]) -> list[RegistryMirror]:
        seen: dict[str, int] = {}
        for i, m in enumerate(v):
            if m.upstream in seen:
                raise FieldError(f"registryMirrors[{i}] repeats upstream {m.upstream} (also [{seen[m.upstream]}]).",
                                 "give each upstream registry one entry (containerd reads one hosts.toml per upstream).")
            seen[m.upstream] = i
        return v

    def mirror(self, upstream: str) -> Optional[tuple[int, RegistryMirror]]:
        for i, m in enumerate(self.registry_mirrors):
            if m.upstream == upstream:
                return i, m
        return None


class IdcDaemonSet(Model):
    name: Name
    images: list[str] = Field(min_length=1, max_length=16, description="Every image of the DaemonSet's pod (init containers included).")

    @field_validator("images")
    @classmethod
    def _refs(cls, v: list[str]) -> list[str]:
        for ref in v:
            try:
                imageref.parse(ref)
            except imageref.ReferenceError as e:
                raise FieldError(f"{e}.", "use REGISTRY/REPOSITORY:TAG (or @sha256:...) exactly as the DaemonSet names it.") from None
        return v


class NodeAccess(Model):
    control_plane_endpoint: Optional[str] = Field(
        default=None,
        description="HOST:PORT in the server: of the IDC's kube-public/cluster-info (its controlPlaneEndpoint), which kubelets use "
                    "after discovery; required with GPU nodes.")
    idc_daemon_sets: list[IdcDaemonSet] = Field(
        default_factory=list, max_length=64,
        description="The IDC cluster's DaemonSets that land on cloud GPU nodes (e.g. kube-proxy), with their images.")
    regions: dict[str, RegionAccess] = Field(default_factory=dict, description="Per region id with GPU nodes: how its nodes reach things.")

    @field_validator("control_plane_endpoint")
    @classmethod
    def _hostport(cls, v: Optional[str]) -> Optional[str]:
        if v is None:
            return v
        host, sep, port = v.rpartition(":")
        if not sep or not port.isdigit() or not 1 <= int(port) <= 65535 or not (is_ipv4(host) or _HOSTNAME_RE.fullmatch(host)):
            raise FieldError(f"{v[:100]!r} is not HOST:PORT.", "copy host and port from the server: of kube-public/cluster-info, e.g. 10.0.0.10:6443.")
        return v

    def region(self, region_id: str) -> RegionAccess:
        return self.regions.get(region_id, RegionAccess())


# --- what a node needs ---------------------------------------------------------

@dataclass(frozen=True)
class Need:
    kind: Literal["http", "apt", "registry", "tcp", "rsync"]
    endpoint: str         # URL, registry host, or HOST:PORT, as the node contacts it
    who: tuple[str, ...]  # what on the node contacts it
    source: str           # why (the step and its upstream reference)
    field: str            # the config field that would serve it when it has no path
    idc: bool = False     # an IDC endpoint: only the leased line serves it, never the internet
    images: tuple[str, ...] = ()

    @property
    def host(self) -> str:
        if self.kind in ("registry", "tcp"):
            return self.endpoint.rsplit(":", 1)[0] if ":" in self.endpoint else self.endpoint
        return urlsplit(self.endpoint).hostname or ""

    @property
    def port(self) -> int:
        if self.kind == "registry":
            return int(self.endpoint.rsplit(":", 1)[1]) if ":" in self.endpoint else 443
        if self.kind == "tcp":
            return int(self.endpoint.rsplit(":", 1)[1])
        parts = urlsplit(self.endpoint)
        return parts.port or {"http": 80, "https": 443, "rsync": 873}[parts.scheme]


@dataclass(frozen=True)
class Path:
    via: Literal["metadata", "alibabaVpc", "vpc", "leasedLine", "natGateway", "mirror"]
    detail: str
    field: str                       # the config field that declares the path
    contacts: tuple[str, ...] = ()   # what the node actually connects to (a mirror's endpoint)
    inner: Optional["Path"] = None   # how a mirror is reached


def gpu_regions(p: "Platform") -> list["Region"]:
    return [r for r in p.regions if r.gpu_pools or r.elastic_pools]


def _pools(r: "Region") -> list[Any]:
    return list(r.gpu_pools) + list(r.elastic_pools)


def images(p: "Platform", region_id: str) -> list[tuple[str, str, str]]:
    """(image, who, source) of every image a GPU node of the region pulls."""
    t = p.cni.terway
    out = [(PAUSE_IMAGE.replace("@REGION@", region_id), "containerd sandbox (pause) image",
            "hybrid-join.sh sets containerd's sandbox_image; kubelet starts every pod with it")]
    out.append((f"{t.registry(region_id)}/terway:{t.version}", f"Terway DaemonSet ({t.install})",
                "terway@release-1.16 charts/terway/values.yaml (image acs/terway); scheduled on cni.cloudNodeLabel nodes"))
    out.append((p.cni.kube_proxy.reference(p.idc.kubernetes_version), "kube-proxy-cloud DaemonSet (the cloud nodes' kube-proxy)",
                "hybrid/cni.py kube_proxy_cloud_daemonset: kubeadm's kube-proxy is kept off cloud nodes, this one runs there"))
    if p.gpu.provider == "device-plugin":
        out.append((f"{p.gpu.device_plugin.image.replace('{region}', region_id)}:{p.gpu.device_plugin.version}", "NVIDIA device plugin DaemonSet",
                    "NVIDIA/k8s-device-plugin@v0.17.4 deployments/static/nvidia-device-plugin.yml; hybrid/device_plugin.py"))
    if p.metrics.enabled:
        out.append((p.metrics.exporter.reference(region_id), "dcgm-exporter DaemonSet (GPU metrics)",
                    "NVIDIA/dcgm-exporter deployment/values.yaml; hybrid/gpu_metrics.py, one DaemonSet per GPU pool"))
    for ds in p.node_access.idc_daemon_sets:
        for img in ds.images:
            out.append((img, f"IDC DaemonSet {ds.name}", "nodeAccess.idcDaemonSets (the IDC's DaemonSets that tolerate cloud nodes)"))
    return out


def needs(p: "Platform", r: "Region") -> list[Need]:
    """Every endpoint a GPU node of ``r`` contacts, merged per endpoint (order: boot, then DaemonSets)."""
    access = p.node_access.region(r.id)
    base = f"nodeAccess.regions.{r.id}"
    apt = access.apt
    pools = _pools(r)
    out: list[Need] = [
        Need("http", METADATA, ("hybrid-join: region, zone, instance id, instance type",),
             "hybrid-join.sh; Alibaba ECS instance metadata (security-hardening mode)", f"{base}"),
        Need("apt", apt.ubuntu or UBUNTU_APT_MIRROR, ("cloud-init packages (every GPU node)",),
             "cloud-init package_update/packages (hybrid/cloudinit.py NODE_PACKAGES)", f"{base}.apt.ubuntu"),
    ]
    drivers = sorted({f"nvidia-driver-{x.driver.branch}-server + linux headers" for x in pools if x.driver and x.driver.source == "install"})
    if drivers:
        out.append(Need("apt", apt.ubuntu or UBUNTU_APT_MIRROR, tuple(f"hybrid-gpu-driver: {d}" for d in drivers),
                        "hybrid-gpu-driver.sh (Ubuntu restricted: packaged NVIDIA server branches)", f"{base}.apt.ubuntu"))
    out += [
        Need("apt", apt.kubernetes or K8S_APT_MIRROR, (f"hybrid-join: kubelet, kubeadm {p.idc.kubernetes_version}",),
             "hybrid-join.sh (pkgs.k8s.io layout <base>/v<minor>/deb/)", f"{base}.apt.kubernetes"),
        Need("apt", apt.nvidia_container_toolkit or TOOLKIT_APT_REPO, ("hybrid-gpu-driver: nvidia-container-toolkit",),
             "hybrid-gpu-driver.sh; NVIDIA container toolkit install guide (apt repository libnvidia-container/stable/deb)",
             f"{base}.apt.nvidiaContainerToolkit"),
        Need("http" if (apt.nvidia_container_toolkit_key or TOOLKIT_GPG_KEY).startswith("http:") else "apt",
             apt.nvidia_container_toolkit_key or TOOLKIT_GPG_KEY, ("hybrid-gpu-driver: toolkit signing key",),
             "hybrid-gpu-driver.sh (signed-by keyring)", f"{base}.apt.nvidiaContainerToolkitKey"),
        Need("tcp", f"{p.idc.apiserver.host}:{p.idc.apiserver.port}", ("kubeadm join: discovery (kube-public/cluster-info)",),
             "kubeadm JoinConfiguration discovery.bootstrapToken.apiServerEndpoint", "idc.apiserver.host", idc=True),
    ]
    if p.node_access.control_plane_endpoint:
        out.append(Need("tcp", p.node_access.control_plane_endpoint,
                        ("kubelet (and kube-proxy) after the join: cluster-info's server:", "Terway: KUBERNETES_SERVICE_HOST/PORT"),
                        "kubeadm join writes cluster-info's server (the IDC controlPlaneEndpoint) into kubelet.conf",
                        "nodeAccess.controlPlaneEndpoint", idc=True))
    from hybrid.model import join_token
    out.append(Need("http", f"https://{join_token.internal_host(join_token.bucket_name(p, r.id), r.id)}/{join_token.TOKEN_KEY}",
                    ("hybrid-join-token: the join token (V1-signed GET with the instance RAM role)",),
                    "hybrid-join-token.sh; the region's join-token bucket (hybrid/model/join_token.py) on its OSS internal endpoint",
                    f"{base}"))
    if r.elastic_pools and r.id == p.registration.region_id:
        from hybrid.model.elastic import bucket_name, script_url
        out.append(Need("http", script_url(bucket_name(p), r.id), ("ACK node initialisation: addNodeScriptPath (elastic pools)",),
                        "ACK One registered cluster 'Create a node pool', Step 2 (script URL)", f"{base}"))
    for x in pools:
        for pre in x.preload:
            if pre.source.startswith("rsync://"):
                hostport = urlsplit(pre.source).netloc
                out.append(Need("rsync", f"rsync://{hostport}", (f"hybrid-preload@{pre.name} ({x.name})",),
                                "hybrid-preload.sh (rsync over the leased line)", "preload.source", idc=True))
    by_registry: dict[str, list[tuple[str, str, str]]] = {}
    for img, who, source in images(p, r.id):
        by_registry.setdefault(imageref.parse(img).registry, []).append((img, who, source))
    for reg, items in by_registry.items():
        out.append(Need("registry", reg, _uniq(tuple(w for _, w, _ in items)), "; ".join(sorted({s for _, _, s in items})),
                        f"{base}.registryMirrors", images=_uniq(tuple(i for i, _, _ in items))))
    return _merge(out)


def _merge(items: Iterable[Need]) -> list[Need]:
    merged: dict[tuple[str, str], Need] = {}
    for n in items:
        key = (n.kind, n.endpoint)
        old = merged.get(key)
        if old is None:
            merged[key] = n
            continue
        merged[key] = Need(n.kind, n.endpoint, _uniq(old.who + n.who), old.source if old.source == n.source else f"{old.source}; {n.source}",
                           old.field, old.idc or n.idc, _uniq(old.images + n.images))
    return list(merged.values())


def _uniq(t: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t))


# --- how it is reached -----------------------------------------------------------

def resolve_host(p: "Platform", r: "Region", host: str, idc: bool) -> Optional[Path]:
    """The path from a GPU node of ``r`` to ``host``, or None."""
    access = p.node_access.region(r.id)
    base = f"nodeAccess.regions.{r.id}"
    if host == METADATA_HOST:
        return Path("metadata", "ECS metadata service, inside every VPC", "")
    if is_ipv4(host):
        ip = netaddr.IPAddress(host)
        if p.idc.leased_line and r.leased_line is not None:
            for fname, cidr in p.idc.ranges:
                if ip in netaddr.IPNetwork(cidr):
                    return Path("leasedLine", f"idc.{fname} {cidr} over the leased line", f"regions[{r.id}].leasedLine")
        if ip in netaddr.IPNetwork(r.vpc_cidr):
            return Path("vpc", f"the region's VPC {r.vpc_cidr}", f"regions[{r.id}].vpcCidr")
        if not idc and access.egress == "natGateway" and ip.is_global():
            return Path("natGateway", "internet through the VPC's NAT gateway", f"{base}.egress")
        return None
    svc = alibaba_service(host, r.id)
    if svc is not None:
        return Path("alibabaVpc", svc[0], svc[1])
    if host in access.dns.hosts:
        inner = resolve_host(p, r, access.dns.hosts[host], idc)
        if inner is None:
            return None
        return Path(inner.via, f"{host} -> {access.dns.hosts[host]} (/etc/hosts); {inner.detail}", f"{base}.dns.hosts")
    for i, z in enumerate(access.dns.forward_zones):
        if host == z.domain or host.endswith("." + z.domain):
            if all(resolve_host(p, r, f, True) is not None for f in z.forwarders) and p.idc.leased_line and r.leased_line is not None:
                return Path("leasedLine", f"{host} resolved by PrivateZone forwarding of {z.domain} to {', '.join(z.forwarders)}",
                            f"{base}.dns.forwardZones[{i}]")
            return None
    if not idc and access.egress == "natGateway":
        return Path("natGateway", "public DNS and the internet through the VPC's NAT gateway", f"{base}.egress")
    return None


def resolve(p: "Platform", r: "Region", n: Need) -> Optional[Path]:
    if n.kind == "registry":
        access = p.node_access.region(r.id)
        found = access.mirror(n.endpoint)
        if found is not None:
            i, m = found
            host = urlsplit(m.endpoint).hostname or ""
            inner = resolve_host(p, r, host, False)
            if inner is None:
                return None
            return Path("mirror", f"{m.endpoint} ({inner.via}: {inner.detail})", f"nodeAccess.regions.{r.id}.registryMirrors[{i}]",
                        (m.endpoint,), inner)
    return resolve_host(p, r, n.host, n.idc)


def _fix(p: "Platform", r: "Region", n: Need) -> tuple[str, str]:
    """(field, fix) of a need without a path."""
    base = f"nodeAccess.regions.{r.id}"
    if n.kind == "registry":
        found = p.node_access.region(r.id).mirror(n.endpoint)
        if found is not None:
            return (f"{base}.registryMirrors[{found[0]}].endpoint",
                    "point the mirror at a host the VPC reaches: an ACR instance's VPC endpoint (<instance>-registry-vpc.<region>.cr.aliyuncs.com), "
                    "an IDC registry address inside the IDC ranges, or a name in dns.hosts / dns.forwardZones.")
        return (f"{base}.registryMirrors",
                f"add {{upstream: {n.endpoint}, endpoint: https://<mirror the VPC reaches>}} (an ACR instance's VPC endpoint or an IDC "
                f"registry over the leased line), or set {base}.egress: natGateway.")
    if n.idc:
        if is_ipv4(n.host):
            return (n.field, "use an address inside the IDC ranges (idc.nodeCidrs / extraRanges), which the leased line carries.")
        return (f"{base}.dns", f"add dns.hosts {{{n.host}: <IDC address>}} or a dns.forwardZones entry covering {n.host}.")
    if n.kind in ("apt", "http") and n.field.startswith(base + ".apt"):
        return (n.field, f"set it to a mirror the VPC reaches (e.g. under https://mirrors.cloud.aliyuncs.com, or an IDC mirror), or set {base}.egress: natGateway.")
    return (n.field, f"set {base}.egress: natGateway, or serve the endpoint inside the VPC or the IDC.")


def check(p: "Platform") -> Iterable[ConfigIssue]:
    """Every endpoint without a path, every image reference outside the grammar, every region entry without GPU nodes."""
    bad_images = list(_check_images(p))
    if bad_images:  # the endpoints derive from the references: judge them once these parse
        yield from bad_images
        return
    regions = gpu_regions(p)
    declared = {r.id for r in p.regions}
    for rid in p.node_access.regions:
        # An entry for a declared region without GPU nodes is kept for when it gets some.
        if rid not in declared:
            yield ConfigIssue(f"nodeAccess.regions.{rid}", f"{rid} is not a region of this stack.",
                              f"use one of {', '.join(sorted(declared))}, or drop the entry.")
    if regions and p.node_access.control_plane_endpoint is None:
        yield ConfigIssue("nodeAccess.controlPlaneEndpoint",
                          "not declared: after discovery the kubelet uses the server: of kube-public/cluster-info (the IDC's "
                          "controlPlaneEndpoint), and the plan cannot tell whether the nodes reach it.",
                          "set it to HOST:PORT from `kubectl -n kube-public get cm cluster-info -o yaml` (the server: line).")
    for r in regions:
        if p.idc.leased_line and r.leased_line is None:
            continue  # no path to the IDC at all: reported on regions[].leasedLine, everything else follows from it
        for fi, z in enumerate(p.node_access.region(r.id).dns.forward_zones):
            for f in z.forwarders:
                if resolve_host(p, r, f, True) is None:
                    yield ConfigIssue(f"nodeAccess.regions.{r.id}.dns.forwardZones[{fi}].forwarders",
                                      f"{f} is not inside an IDC range the leased line carries to {r.id}.",
                                      "list the IDC resolvers' addresses (inside idc.nodeCidrs or extraRanges).")
        for n in needs(p, r):
            if resolve(p, r, n) is None:
                field_, fix = _fix(p, r, n)
                who = "; ".join(n.who)
                imgs = f" (images: {', '.join(n.images)})" if n.images else ""
                egress = p.node_access.region(r.id).egress
                yield ConfigIssue(field_, f"GPU nodes in {r.id} (egress {egress}) have no path to {n.endpoint}, needed by {who}{imgs}.", fix)


def _check_images(p: "Platform") -> Iterable[ConfigIssue]:
    """Every image reference a user can set, against the distribution grammar, before anything renders it."""
    sample = gpu_regions(p)[0].id if gpu_regions(p) else p.regions[0].id
    t, dp = p.cni.terway, p.gpu.device_plugin
    checks = [
        ("cni.terway.imageRegistry", f"{t.registry(sample)}/terway", t.version),
        ("gpu.devicePlugin.image", dp.image.replace("{region}", sample), dp.version),
    ]
    if p.metrics.enabled:
        checks.append(("metrics.exporter.image", p.metrics.exporter.image.replace("{region}", sample), p.metrics.exporter.version))
    for fieldname, repo, tag in checks:
        try:
            imageref.with_tag(repo, tag)
        except imageref.ReferenceError as e:
            yield ConfigIssue(fieldname, f"{e}.", "give a registry/repository path in the distribution reference grammar, without tag or digest.")
    try:
        imageref.parse(p.cni.kube_proxy.reference(p.idc.kubernetes_version))
    except imageref.ReferenceError as e:
        yield ConfigIssue("cni.kubeProxy.image", f"{e}.", "use REGISTRY/REPOSITORY:TAG.")


# --- the apiserver without kube-proxy ---------------------------------------------

def apiserver_service_env(endpoint: Optional[str]) -> list[dict[str, Any]]:
    """``KUBERNETES_SERVICE_HOST`` / ``_PORT`` pointing a hostNetwork agent at the apiserver itself.

    Terway release-1.16 builds its client with controller-runtime's ``ctrl.GetConfigOrDie()``
    (pkg/k8s/k8s.go), which falls back to client-go's ``rest.InClusterConfig`` (controller-runtime
    pkg/client/config/config.go ``loadConfig``); that reads exactly these two variables
    (k8s.io/client-go rest/config.go ``InClusterConfig``). The kubelet sets them to the
    ``kubernetes`` Service's ClusterIP, which only works once kube-proxy runs on the node; a
    container's own ``env`` entries take precedence over the Service variables the kubelet adds
    (kubelet ``makeEnvironmentVariables``). The Terway v1.16 chart has no value for this, so the
    variables go into the pod spec, as Calico's operator does with its
    ``kubernetes-services-endpoint`` ConfigMap. A hostNetwork pod gets the node's /etc/hosts, so an
    IDC name in ``dns.hosts`` resolves there too.
    """
    if not endpoint:
        return []
    host, _, port = endpoint.rpartition(":")
    return [{"name": "KUBERNETES_SERVICE_HOST", "value": host}, {"name": "KUBERNETES_SERVICE_PORT", "value": port}]


# --- the report --------------------------------------------------------------------

def _path_doc(path: Optional[Path]) -> Optional[dict[str, Any]]:
    if path is None:
        return None
    doc: dict[str, Any] = {"via": path.via, "detail": path.detail, "declaredBy": path.field}
    if path.contacts:
        doc["contacts"] = list(path.contacts)
    if path.inner is not None:
        doc["reachedBy"] = _path_doc(path.inner)
    return doc


def report(p: "Platform") -> dict[str, Any]:
    """``reachability.json``: per region with GPU nodes, every endpoint, who needs it, the path, the source."""
    out: dict[str, Any] = {"regions": {}}
    for r in gpu_regions(p):
        access = p.node_access.region(r.id)
        rows = []
        for n in needs(p, r):
            row = {"endpoint": n.endpoint, "kind": n.kind, "neededBy": list(n.who), "source": n.source,
                   "path": _path_doc(resolve(p, r, n))}
            if n.images:
                row["images"] = list(n.images)
            rows.append(row)
        out["regions"][r.id] = {"egress": access.egress, "endpoints": rows}
    return out
