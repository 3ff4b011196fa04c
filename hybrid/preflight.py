"""The checks ``hybrid-preflight`` runs, built from the same endpoint list as reachability.json.

Per endpoint a node of a region needs (``hybrid.model.node_access.needs``) and the path that
serves it (``resolve``): DNS when the host is a name, TCP, TLS for https (and the apiserver,
handshake only), then the service: a manifest HEAD per image through the /v2/ API of the host
containerd would use (the mirror, with ``?ns=``), an apt repository's InRelease, an HTTP answer.
Each check carries the fix to print when it fails, naming the stack field.

Two modes, like EKS Hybrid Nodes' ``nodeadm debug``: ``node`` (every endpoint; the node runs
``/usr/local/sbin/hybrid-preflight`` with ``/etc/hybrid/preflight.json``) and ``idc`` (only what
the IDC serves over the leased line: the apiserver, cluster-info's server, IDC registries and apt
mirrors, rsync sources; ``hybrid-gpu preflight --from idc`` runs them from an IDC host).
The runner is ``hybrid/scripts/hybrid-preflight.py`` (standard library only, shipped to nodes).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal, Optional
from urllib.parse import urlsplit

from hybrid import imageref
from hybrid.cloudinit import upstream_server
from hybrid.model.node_access import Need, Path as ReachPath, is_ipv4, needs, resolve

if TYPE_CHECKING:
    from hybrid.model import Platform
    from hybrid.model.network import Region

RUNNER = Path(__file__).parent / "scripts" / "hybrid-preflight.py"
Mode = Literal["node", "idc"]


def runner() -> ModuleType:
    """The node-side runner, loaded from its file (it is shipped to nodes as is)."""
    spec = importlib.util.spec_from_file_location("hybrid_preflight_runner", RUNNER)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _served_from_idc(path: Optional[ReachPath]) -> bool:
    if path is None:
        return False
    return path.via == "leasedLine" or (path.inner is not None and path.inner.via == "leasedLine")


def _repo_path(ref: imageref.Reference) -> str:
    # normalize.go: an official docker.io image without a namespace is library/<name>.
    path = ref.name[len(ref.registry) + 1:] if ref.name.startswith(ref.registry + "/") else ref.name
    if ref.registry == imageref.DEFAULT_DOMAIN and "/" not in path:
        path = "library/" + path
    return path


def _transport(url: str, group: str, need: str, fixes: dict[str, str], tls_verify: bool = True) -> list[dict[str, Any]]:
    """DNS (names only), TCP, and TLS (https) of the host in ``url``."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or {"https": 443, "http": 80, "rsync": 873}[parts.scheme]
    out: list[dict[str, Any]] = []
    if not is_ipv4(host):
        out.append({"kind": "dns", "host": host, "group": group, "need": need, "fix": fixes["dns"]})
    out.append({"kind": "tcp", "host": host, "port": port, "group": group, "need": need, "fix": fixes["tcp"]})
    if parts.scheme == "https":
        out.append({"kind": "tls", "host": host, "port": port, "verify": tls_verify, "group": group, "need": need, "fix": fixes["tls"]})
    return out


def _fixes(r: "Region", n: Need, path: Optional[ReachPath], contact: str) -> dict[str, str]:
    base = f"nodeAccess.regions.{r.id}"
    # The field that chose this endpoint: a mirror entry, else the need's own field.
    declared = path.field if path is not None and path.via == "mirror" else n.field
    # A tcp need's endpoint is host:port without a scheme, which urlsplit reads as a scheme and a path:
    # "//" makes it the netloc, so the DNS and TLS fixes name the host alone.
    host = urlsplit(contact if "://" in contact else "//" + contact).hostname or contact
    via = path.via if path is not None else "none"
    inner = path.inner.via if path is not None and path.inner is not None else via
    route = ("the leased line: check the VPC route table and transit router toward the IDC range, and the IDC "
             "firewall" if inner == "leasedLine" else
             "the VPC: check the security group egress and, for an Alibaba service, that it exists in this region"
             if inner in ("alibabaVpc", "vpc", "metadata") else "the NAT gateway: check its SNAT entry for the node vSwitch")
    return {
        "dns": (f"{host} must resolve on the node: add it to {base}.dns.hosts or a {base}.dns.forwardZones domain "
                "(and the PrivateZone forwarding rule bound to the VPC)" if n.idc or inner == "leasedLine" else
                f"{host} must resolve from the VPC: check the VPC's DNS (PrivateZone) or {declared}"),
        "tcp": f"{contact} is not reachable through {route}; or the service is down ({declared})",
        "tls": f"{host} must present a certificate the node trusts for its name: install its CA on the node or fix the server certificate",
        "registry": f"make the image available at {contact} (sync or proxy it into the mirror, allow anonymous pull) or change {declared}",
        "apt": f"sync the repository at {contact} (its InRelease must be served) or point {declared} at a mirror that has it",
        "http": f"{contact} must answer over HTTP ({declared})",
    }


def checks(p: "Platform", region_id: str, mode: Mode = "node") -> list[dict[str, Any]]:
    """The checks of one region's GPU nodes (``node``) or of what the IDC serves them (``idc``)."""
    r = p.region(region_id)
    out: list[dict[str, Any]] = []
    minor = ".".join(p.idc.kubernetes_version.split(".")[:2])
    for n in needs(p, r):
        path = resolve(p, r, n)
        if mode == "idc" and not _served_from_idc(path):
            continue
        group = f"{n.kind}:{n.endpoint}"
        if n.kind == "registry":
            contact = path.contacts[0] if path is not None and path.contacts else upstream_server(n.endpoint)
            mirrored = bool(path is not None and path.contacts)
            fx = _fixes(r, n, path, contact)
            out += _transport(contact, group, n.endpoint, fx)
            for img in n.images:
                ref = imageref.parse(img)
                out.append({"kind": "registry", "url": contact, "repo": _repo_path(ref), "reference": ref.digest or ref.tag or "latest",
                            "ns": n.endpoint if mirrored else "", "overridePath": mirrored and urlsplit(contact).path not in ("", "/"),
                            "group": group, "need": f"{n.endpoint} ({img})", "fix": fx["registry"]})
        elif n.kind == "apt":
            fx = _fixes(r, n, path, n.endpoint)
            out += _transport(n.endpoint, group, n.endpoint, fx)
            if n.field.endswith(".apt.ubuntu"):
                url = f"{n.endpoint}/dists/@CODENAME@/InRelease"
            elif n.field.endswith(".apt.kubernetes"):
                url = f"{n.endpoint}/v{minor}/deb/InRelease"
            elif n.field.endswith(".apt.nvidiaContainerToolkit"):
                url = f"{n.endpoint}/InRelease"
            else:
                out.append({"kind": "http", "url": n.endpoint, "group": group, "need": n.endpoint, "fix": fx["http"]})
                continue
            out.append({"kind": "apt", "url": url, "group": group, "need": n.endpoint, "fix": fx["apt"]})
        elif n.kind == "tcp":
            url = f"https://{n.endpoint}"
            fx = _fixes(r, n, path, n.endpoint)
            # The apiserver's certificate is signed by the cluster CA, which the node gets with the join.
            out += _transport(url, group, n.endpoint, fx, tls_verify=False)
        elif n.kind == "rsync":
            fx = _fixes(r, n, path, n.endpoint)
            out += _transport(n.endpoint, group, n.endpoint, fx)
        else:  # http
            fx = _fixes(r, n, path, n.endpoint)
            out += _transport(n.endpoint, group, n.endpoint, fx)
            out.append({"kind": "http", "url": n.endpoint, "method": "HEAD", "group": group, "need": n.endpoint, "fix": fx["http"]})
    return out
