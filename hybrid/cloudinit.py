"""User-data for cloud GPU nodes that join the IDC cluster: pure renderers, no Pulumi.

Everything a cloud GPU node needs at first boot is rendered here from the
validated pool model:

* ``render_tc_script``: shapes eth0 with ``tc`` (egress: HTB on the device;
  ingress: redirect to an ifb device and HTB there), idempotent, re-run by a
  systemd timer because Terway may swap the qdiscs of host interfaces;
* ``render_data_disk_script``: finds, formats (only if blank) and mounts the
  data disk, which is attached after first boot and survives instance
  replacement;
* ``render_preload_script``: a resumable, rate-limited ``rsync`` of one dataset
  onto the data disk, skipped when a marker's manifests still match;
* ``render_join_token_script``: reads the join token at boot with the instance RAM role from
  the region's private OSS object (:mod:`hybrid.model.join_token`);
* ``render_join_script``: installs containerd, kubelet and kubeadm at the IDC
  cluster's version and joins with that token; node labels, taints and
  ``--provider-id`` (``<region>.<instance-id>``, read from the metadata
  service) are what Terway needs on a self-joined ECS node;
* ``render_cloud_init``: the ``#cloud-config`` document tying them together.

The join token is in none of them: the join template carries ``@JOIN_TOKEN@``, which
hybrid-join fills at boot from what hybrid-join-token read. The same function renders the
real user-data (with the CA hash) and the plan artifact (with ``REDACTED`` in its place), so
reviewers read exactly what instances receive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit
from typing import TYPE_CHECKING

from hybrid import imageref, metadata_guard, shtemplate, yamlio
from hybrid.model import join_token, node_access
from hybrid.model.gpu import GpuPool
from hybrid.model.node_access import RegionAccess
from hybrid.redaction import REDACTED

if TYPE_CHECKING:
    from hybrid.model import Platform

# Label keys set by the kubelet at registration (all allowed by the NodeRestriction
# admission plugin, which only forbids the kubernetes.io / k8s.io namespaces).
LABEL_REGION = "topology.kubernetes.io/region"
LABEL_ZONE = "topology.kubernetes.io/zone"
LABEL_INSTANCE_TYPE = "node.kubernetes.io/instance-type"
# Same key ack-virtual-node uses on pods, so one nodeSelector fits ECS and Serverless GPUs.
LABEL_GPU_SERIES = "alibabacloud.com/gpu-model-series"
LABEL_POOL = "hybrid.example.com/gpu-pool"
LABEL_ENVIRONMENT = "hybrid.example.com/environment"
# The ECS host name of a fixed pool's slot (stable across replacement), while the Node's name is
# the instance's: ``<region>.<instance-id>``, the form ACK gives elastic nodes (ALIBABA_CLOUD_NODE_NAME).
# A replacement instance registers a new Node instead of reusing the old one, whose providerID
# (immutable once set) names the gone instance.
LABEL_HOST = "hybrid.example.com/host"
FIXED_NODE_NAME = "@REGION@.@INSTANCE_ID@"

DATA_DISK_LABEL = "hybrid-data"  # ext4 label: lets a replacement instance find its disk again
# Endpoints the nodes contact by default; their one home is the reachability model.
METADATA = node_access.METADATA
K8S_APT_MIRROR = node_access.K8S_APT_MIRROR
PAUSE_IMAGE = node_access.PAUSE_IMAGE
TOOLKIT_APT_REPO = node_access.TOOLKIT_APT_REPO
TOOLKIT_GPG_KEY = node_access.TOOLKIT_GPG_KEY
UBUNTU_APT_MIRROR = node_access.UBUNTU_APT_MIRROR
# containerd 1.x reads one hosts.toml per registry host namespace under the CRI registry
# config_path (containerd/containerd docs/hosts.md, "CRI" and "Registry Host Namespace").
CONTAINERD_CERTS_D = "/etc/containerd/certs.d"
# apt waits this long for the dpkg lock instead of failing at once when another apt (the
# image's unattended-upgrades at first boot) holds it (apt.conf(5): DPkg::Lock::Timeout, apt >= 1.9.11).
APT_LOCK_TIMEOUT_S = 600
APT_LOCK_CONF = "/etc/apt/apt.conf.d/90hybrid-lock-timeout"

# Our redirect filters run after any filters Terway attaches to an ENI's clsact.
TC_FILTER_PRIO = 65000
TC_MIN_BURST = 64 * 1024
# ENIs as the Alibaba Linux images name them: eth0 primary, eth1.. the secondary ENIs Terway attaches.
ENI_GLOB = "eth*"
IFB_EGRESS = "hybrid-idc-out"
IFB_INGRESS = "hybrid-idc-in"

SCRIPT_DIR = "/usr/local/sbin"
UNIT_DIR = "/etc/systemd/system"
CONF_DIR = "/etc/hybrid"
UDEV_RULE = "/etc/udev/rules.d/90-hybrid-tc.rules"
# NVIDIA/nvidia-docker#1671 (the workaround NVIDIA/nvidia-container-toolkit#48 links): run the symlink
# creation when the nvidia driver binds; NVIDIA suggests /lib/udev/rules.d/71-nvidia-dev-char.rules,
# /etc/udev/rules.d is the administrator's copy of the same directory (udev(7)).
UDEV_DEV_CHAR_RULE = "/etc/udev/rules.d/71-nvidia-dev-char.rules"
DEV_CHAR_RULE = ('ACTION=="add", DEVPATH=="/bus/pci/drivers/nvidia", '
                 'RUN+="/usr/bin/nvidia-ctk system create-dev-char-symlinks --create-all"\n')
KUBEADM_PATCHES_DIR = CONF_DIR + "/kubeadm-patches"

# What hybrid-join puts in place of the token (read at boot, never rendered).
JOIN_TOKEN_PLACEHOLDER = "@JOIN_TOKEN@"
# hybrid-join-token: tries, and the first wait between them (doubled each time, at most 60 s):
# about ten minutes for a role attachment or the operator's `join-token put` to land.
TOKEN_FETCH_ATTEMPTS = 14
TOKEN_FETCH_BACKOFF_S = 5
_CA_HASH_RE = re.compile(r"^sha256:[0-9a-f]{64}$")


@dataclass(frozen=True)
class NodeContext:
    """Everything static a pool's nodes need, beside the secrets."""

    region_id: str
    environment: str
    pool: GpuPool
    apiserver_host: str
    apiserver_port: int
    kubernetes_version: str
    cloud_label_key: str
    cloud_label_value: str
    idc_ranges: tuple[str, ...]  # every range the leased line carries: what hybrid-tc caps
    access: RegionAccess = RegionAccess()  # how the region's nodes reach things (nodeAccess)
    registries: tuple[str, ...] = ()  # registry host namespaces the node's pods pull from
    token_bucket: str = ""  # the region's join-token bucket (hybrid.model.join_token)


# --- tc ---------------------------------------------------------------------

def tc_burst_bytes(rate_mbit: int) -> int:
    """HTB burst: one millisecond at the rate, at least 64 KiB (tc's default is too small at 10G+)."""
    return max(rate_mbit * 125, TC_MIN_BURST)


def render_tc_script(egress_mbit: int, ingress_mbit: int, idc_ranges: list[str], eni_glob: str = ENI_GLOB) -> str:
    """Bash script ``hybrid-tc [DEV ...]``: cap traffic to/from ``idc_ranges`` on every ENI; idempotent."""
    if egress_mbit <= 0 or ingress_mbit <= 0:
        raise ValueError("rates must be positive")
    if not idc_ranges:
        raise ValueError("no IDC ranges to shape")
    return shtemplate.render(
        "hybrid-tc.sh",
        EGRESS_MBIT=egress_mbit, EGRESS_BURST=tc_burst_bytes(egress_mbit),
        INGRESS_MBIT=ingress_mbit, INGRESS_BURST=tc_burst_bytes(ingress_mbit),
        IDC_RANGES=list(idc_ranges), ENI_GLOB=eni_glob, PRIO=TC_FILTER_PRIO,
        IFB_EGRESS=IFB_EGRESS, IFB_INGRESS=IFB_INGRESS,
    )


def tc_udev_rule(eni_glob: str = ENI_GLOB) -> str:
    """udev rule: an ENI that appears (Terway attaches secondary ENIs at run time) starts hybrid-tc."""
    # SYSTEMD_WANTS on a tagged net device makes its .device unit pull in the service
    # (systemd.device(5)); the oneshot service runs again for each new ENI.
    return (f'ACTION=="add", SUBSYSTEM=="net", KERNEL=="{eni_glob}", '
            'TAG+="systemd", ENV{SYSTEMD_WANTS}+="hybrid-tc.service"\n')


# --- data disk --------------------------------------------------------------

def render_data_disk_script(size_gib: int, mount_path: str, timeout_s: int = 1800) -> str:
    """Bash script: wait for the data disk, format it only if blank, mount it by label."""
    return shtemplate.render("hybrid-data-disk.sh", MOUNT=mount_path, LABEL=DATA_DISK_LABEL,
                             SIZE_BYTES=size_gib * 1024 ** 3, SIZE_GIB=size_gib, TIMEOUT_S=timeout_s)


# --- preload ----------------------------------------------------------------

PRELOAD_MARKER = ".hybrid-preload-complete"


def render_preload_script() -> str:
    """Bash script ``hybrid-preload NAME SOURCE TARGET RATE_MBIT``."""
    return shtemplate.render("hybrid-preload.sh", PRELOAD_MARKER=PRELOAD_MARKER)


def render_preload_run_script() -> str:
    """Bash script ``hybrid-preload-run NAME``: hybrid-preload with the settings file of dataset NAME."""
    return shtemplate.render("hybrid-preload-run.sh", PRELOAD_CONF_DIR=f"{CONF_DIR}/preload",
                             PRELOAD_BIN=f"{SCRIPT_DIR}/hybrid-preload")


# --- kubeadm join -----------------------------------------------------------

def static_node_labels(ctx: NodeContext) -> dict[str, str]:
    """Labels known at render time; region, zone and instance type come from the metadata service."""
    return {
        ctx.cloud_label_key: ctx.cloud_label_value,
        LABEL_POOL: ctx.pool.name,
        LABEL_GPU_SERIES: ctx.pool.gpu_model_series,
        LABEL_ENVIRONMENT: ctx.environment,
    }


_LABEL_KEY_RE = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_LABEL_VALUE_RE = re.compile(r"^(@[A-Z_]+@|([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?)$")
_UNIT_INSTANCE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def node_labels_arg(ctx: NodeContext) -> str:
    """The kubelet ``--node-labels`` value, with @REGION@/@ZONE@/@INSTANCE_TYPE@ filled in at boot.

    The flag is a comma-separated list with no quoting, so a key or value outside the
    Kubernetes label grammar is refused here (the model checks first; this is the last line).
    """
    labels = {
        **static_node_labels(ctx),
        LABEL_REGION: "@REGION@",
        LABEL_ZONE: "@ZONE@",
        LABEL_INSTANCE_TYPE: "@INSTANCE_TYPE@",
    }
    for k, v in labels.items():
        # A DNS-subdomain prefix of at most 253 and a name of at most 63 characters (kubernetes/apimachinery
        # pkg/util/validation/validation.go IsQualifiedName: DNS1123SubdomainMaxLength, qualifiedNameMaxLength).
        prefix, _, name = k.rpartition("/")
        # fullmatch: match() would let a final newline through ($ matches before it).
        if not (_LABEL_KEY_RE.fullmatch(k) and len(prefix) <= 253 and len(name) <= 63
                and _LABEL_VALUE_RE.fullmatch(v) and len(v) <= 63):
            raise ValueError(f"node label {k!r}={v!r} is outside the Kubernetes label grammar")
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def kubeadm_api_version(kubernetes_version: str) -> str:
    # kubeadm's v1beta4 config API is served from Kubernetes 1.31 on; 1.30 reads v1beta3
    # (source: kubernetes/kubernetes@v1.31.0:cmd/kubeadm/app/apis/kubeadm/v1beta4/doc.go, "introduced in v1.31").
    minor = int(kubernetes_version.split(".")[1])
    return "kubeadm.k8s.io/v1beta4" if minor >= 31 else "kubeadm.k8s.io/v1beta3"


# Placeholders the elastic node script fills from the environment ACK gives it (hybrid.elastic).
ELASTIC_NODE_NAME = "@NODE_NAME@"
ELASTIC_EXTRA_LABELS = "@EXTRA_LABELS@"
ELASTIC_TAINTS = "@TAINTS@"


def render_join_config(ctx: NodeContext, ca_cert_hash: str, elastic: bool = False) -> str:
    """kubeadm JoinConfiguration with @PLACEHOLDERS@ for values read from the metadata service.

    The provider id goes into the KubeletConfiguration (``providerID``) through a kubeadm
    patch of target ``kubeletconfiguration`` that hybrid-join writes at boot (kubeadm >= 1.25,
    kubernetes/kubernetes PR 110405; ``patches.directory`` is a JoinConfiguration field in
    v1beta3 and v1beta4). Node labels stay a kubelet flag: KubeletConfiguration has no
    field for them (only ``--node-labels``).

    ``elastic``: the node name, extra labels and taints are placeholders the elastic node
    script fills from the variables ACK injects at scale-out.
    """
    api = kubeadm_api_version(ctx.kubernetes_version)
    extra_labels = ELASTIC_EXTRA_LABELS if elastic else f",{LABEL_HOST}=@HOSTNAME@"
    args = {"node-labels": node_labels_arg(ctx) + extra_labels}
    extra = ([{"name": k, "value": v} for k, v in sorted(args.items())] if api.endswith("v1beta4") else args)
    doc = {
        "apiVersion": api,
        "kind": "JoinConfiguration",
        "discovery": {
            "bootstrapToken": {
                "apiServerEndpoint": f"{ctx.apiserver_host}:{ctx.apiserver_port}",
                "token": JOIN_TOKEN_PLACEHOLDER,
                "caCertHashes": [ca_cert_hash],
            },
        },
        "nodeRegistration": {
            "criSocket": "unix:///run/containerd/containerd.sock",
            "kubeletExtraArgs": extra,
            # An explicit empty list means "no taints" to kubeadm.
            "taints": ELASTIC_TAINTS if elastic else [{"key": t.key, "value": t.value, "effect": t.effect} for t in ctx.pool.taints],
            "name": ELASTIC_NODE_NAME if elastic else FIXED_NODE_NAME,
        },
        "patches": {"directory": KUBEADM_PATCHES_DIR},
    }
    return yamlio.dump(doc, sort_keys=True, default_flow_style=False, width=yamlio.NO_WRAP)


def render_join_script(ctx: NodeContext) -> str:
    version = ctx.kubernetes_version
    return shtemplate.render(
        "hybrid-join.sh",
        KUBE_VERSION=version, KUBE_MINOR=".".join(version.split(".")[:2]),
        K8S_APT_MIRROR=ctx.access.apt.kubernetes or K8S_APT_MIRROR, CERTS_D=CONTAINERD_CERTS_D,
        PAUSE_IMAGE=PAUSE_IMAGE, DATA_MOUNT=ctx.pool.data_disk.mount_path, CONF_DIR=CONF_DIR,
        METADATA=METADATA, PREFLIGHT_PACKAGES=list(preflight_packages(version)),
        TOKEN_FETCH=f"{SCRIPT_DIR}/hybrid-join-token", TOKEN_PLACEHOLDER=JOIN_TOKEN_PLACEHOLDER,
    )


def render_join_token_script(ctx: NodeContext, attempts: int = TOKEN_FETCH_ATTEMPTS, backoff_s: int = TOKEN_FETCH_BACKOFF_S) -> str:
    """Bash script ``hybrid-join-token``: the join token on stdout, read with the instance RAM role."""
    if not ctx.token_bucket:
        raise ValueError(f"region {ctx.region_id} has no join-token bucket in the render context")
    return shtemplate.render("hybrid-join-token.sh", METADATA=METADATA, OSS_HOST=join_token.internal_host(ctx.token_bucket, ctx.region_id),
                             BUCKET=ctx.token_bucket, KEY=join_token.TOKEN_KEY, ATTEMPTS=attempts, BACKOFF_S=backoff_s)


def preflight_packages(kubernetes_version: str) -> tuple[str, ...]:
    """Debian packages for the executables kubeadm's preflight looks for on a joining node.

    kubeadm's addExecChecks (kubernetes/kubernetes: cmd/kubeadm/app/preflight/checks_linux.go,
    conntrack condition added by PR 126952) requires conntrack below 1.32.0, and ip, iptables,
    mount, nsenter; it warns without ebtables, ethtool, socat, tc. The 1.30 kubelet/kubeadm
    packages do not depend on conntrack (ALIBABA-NOTES). mount and nsenter come with
    util-linux, ip and tc with iproute2.
    """
    minor = int(kubernetes_version.split(".")[1])
    pkgs = ["ebtables", "ethtool", "iproute2", "iptables", "socat", "util-linux"]
    if minor < 32:
        pkgs.append("conntrack")
    return tuple(sorted(pkgs))


# --- NVIDIA driver and container toolkit ---------------------------------------

def render_gpu_driver_script(ctx: NodeContext) -> str:
    pool = ctx.pool
    if pool.driver is None:  # the model rejects this; a renderer must not guess
        raise ValueError(f"pool {pool.name} has no driver path")
    return shtemplate.render(
        "hybrid-gpu-driver.sh",
        DRIVER_SOURCE=pool.driver.source, DRIVER_BRANCH=pool.driver.branch, EXPECT_GPUS=pool.spec.gpus,
        TOOLKIT_VERSION=pool.driver.toolkit_version,
        TOOLKIT_APT_REPO=ctx.access.apt.nvidia_container_toolkit or TOOLKIT_APT_REPO,
        TOOLKIT_GPG_KEY=ctx.access.apt.nvidia_container_toolkit_key or TOOLKIT_GPG_KEY, STATE_DIR="/var/lib/hybrid",
    )


# --- the cloud-config document -----------------------------------------------

def check_ca_hash(ca_cert_hash: str) -> None:
    if ca_cert_hash != REDACTED and not _CA_HASH_RE.match(ca_cert_hash):
        raise ValueError("caCertHash must be sha256:<64 hex digits>.")


def _file(path: str, content: str, permissions: str = "0644") -> dict:
    return {"path": path, "content": content, "owner": "root:root", "permissions": permissions}


def preload_env(name: str, source: str, target: str, rate_mbit: int) -> str:
    """The settings file of one dataset: shell assignments, each value quoted (read by hybrid-preload-run)."""
    values: dict[str, str | int] = {"NAME": name, "SOURCE": source, "TARGET": target, "RATE_MBIT": rate_mbit}
    return "".join(shtemplate.assignment(k, v) + "\n" for k, v in values.items())


# Packages every node installs before its boot units run (cloud-init's ``packages``; the
# elastic node script installs the same list).
NODE_PACKAGES = ("ca-certificates", "containerd", "curl", "gpg", "iproute2", "rsync", "util-linux")


# The boot units (hybrid/units/), each a oneshot that stays active once done, so that later units can
# require it; driver and join are enabled, so a reboot half-way (driver load) resumes where it stopped.
# hybrid-tc.timer re-asserts the shaping: Terway may replace the qdiscs of host interfaces after it
# starts. The preload unit carries no configured value: a dataset's settings are in the quoted file
# hybrid-preload-run reads, so nothing a config carries can add a line to a unit.
NODE_UNITS = ("hybrid-gpu-driver.service", "hybrid-join.service", "hybrid-tc.service", "hybrid-tc.timer")


def node_files(ctx: NodeContext, join_config: str) -> list[dict]:
    """Every file a node of the pool needs (path, content, permissions): scripts, units, settings, join template."""
    pool = ctx.pool
    files = [
        _file(f"{CONF_DIR}/kubeadm-join.yaml.tmpl", join_config, "0600"),
        _file(f"{SCRIPT_DIR}/hybrid-join", render_join_script(ctx), "0755"),
        _file(f"{SCRIPT_DIR}/hybrid-join-token", render_join_token_script(ctx), "0755"),
        _file(f"{SCRIPT_DIR}/hybrid-gpu-driver", render_gpu_driver_script(ctx), "0755"),
        _file(f"{SCRIPT_DIR}/hybrid-tc", render_tc_script(pool.rate_limits.egress_mbit, pool.rate_limits.ingress_mbit, list(ctx.idc_ranges)), "0755"),
        _file(UDEV_RULE, tc_udev_rule()),
        _file(UDEV_DEV_CHAR_RULE, DEV_CHAR_RULE),
        _file(f"{SCRIPT_DIR}/hybrid-data-disk", render_data_disk_script(pool.data_disk.size, pool.data_disk.mount_path), "0755"),
        _file(f"{UNIT_DIR}/hybrid-data-disk.service", shtemplate.unit("hybrid-data-disk.service")),
    ]
    files += [_file(f"{UNIT_DIR}/{name}", shtemplate.unit(name)) for name in NODE_UNITS]
    files.append(_file(APT_LOCK_CONF, f'DPkg::Lock::Timeout "{APT_LOCK_TIMEOUT_S}";\n'))
    files.append(_file(f"{CONF_DIR}/ubuntu-mirror", ubuntu_mirror(ctx) + "\n"))
    if ctx.access.dns.hosts:
        files.append(_file(f"{CONF_DIR}/hosts", etc_hosts(ctx)))
    files += containerd_hosts_files(ctx)
    # Pods must never reach the metadata service (user-data, role credentials): guard before the join.
    files += metadata_guard.cloud_init_write_files()
    if pool.preload:
        files.append(_file(f"{SCRIPT_DIR}/hybrid-preload", render_preload_script(), "0755"))
        files.append(_file(f"{SCRIPT_DIR}/hybrid-preload-run", render_preload_run_script(), "0755"))
        files.append(_file(f"{UNIT_DIR}/hybrid-preload@.service", shtemplate.unit("hybrid-preload@.service")))
        for p in pool.preload:
            # The name becomes a file name and a systemd instance name: one safe word only.
            if not _UNIT_INSTANCE_RE.match(p.name):
                raise ValueError(f"preload name {p.name!r} is not a lower-case word (a-z, 0-9, -)")
            files.append(_file(f"{CONF_DIR}/preload/{p.name}.env", preload_env(p.name, p.source, p.target, p.rate_mbit), "0600"))
    return files


def ubuntu_mirror(ctx: NodeContext) -> str:
    """The Ubuntu archive the node's apt uses (primary and security): one the region's VPC reaches."""
    return ctx.access.apt.ubuntu or UBUNTU_APT_MIRROR


def etc_hosts(ctx: NodeContext) -> str:
    """/etc/hosts lines for the IDC names the VPC's DNS does not resolve (nodeAccess dns.hosts)."""
    lines = [f"{ip} {name}" for name, ip in sorted(ctx.access.dns.hosts.items())]
    return "# hybrid: IDC names (nodeAccess dns.hosts)\n" + "".join(line + "\n" for line in lines)


def _toml_str(value: str) -> str:
    # Validated URLs and host names carry no quote, backslash or control character, so a
    # TOML basic string is the value between double quotes (toml.io v1.0.0, "String": everything
    # but ", \ and the control characters U+0000-U+001F and U+007F; tab too is refused here).
    if any(c in value for c in '"\\') or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError(f"{value!r} cannot be a TOML basic string here")
    return f'"{value}"'


def upstream_server(registry: str) -> str:
    # docker.io's API is served by registry-1.docker.io (containerd docs/hosts.md, the docker.io examples).
    return "https://registry-1.docker.io" if registry == imageref.DEFAULT_DOMAIN else f"https://{registry}"


def hosts_toml(ctx: NodeContext, registry: str) -> str:
    """containerd hosts.toml of one registry host namespace (containerd/containerd docs/hosts.md).

    A mirror is a ``[host]`` tried first, trusted to pull and resolve (the "Private Mirror" row
    of the capabilities table); a mirror URL with a path is the API root (``override_path``).
    ``server`` stays the upstream, the fallback once every host failed (reachable only with
    egress natGateway). A registry without a mirror gets its upstream alone: the node pulls
    from it directly (an Alibaba VPC endpoint), and the file says so.
    """
    lines = [f"server = {_toml_str(upstream_server(registry))}"]
    found = ctx.access.mirror(registry)
    if found is not None:
        endpoint = found[1].endpoint
        lines += ["", f"[host.{_toml_str(endpoint)}]", '  capabilities = ["pull", "resolve"]']
        if urlsplit(endpoint).path not in ("", "/"):
            lines.append("  override_path = true")
    return "\n".join(lines) + "\n"


def containerd_hosts_files(ctx: NodeContext) -> list[dict]:
    """One hosts.toml per registry the node's pods pull from."""
    return [_file(f"{CONTAINERD_CERTS_D}/{reg}/hosts.toml", hosts_toml(ctx, reg)) for reg in ctx.registries]


def boot_steps(pool: GpuPool) -> list[list[str]]:
    """The ``systemctl enable`` arguments of the boot, in order (after a daemon-reload)."""
    steps = [
        # Shape first, so package downloads and the join already respect the limits.
        ["--now", "hybrid-tc.service", "hybrid-tc.timer"],
        ["--now", "hybrid-data-disk.service"],
        ["--now", f"{metadata_guard.UNIT}.service", f"{metadata_guard.UNIT}.timer"],
        # Driver, then join: enabled so that a reboot (driver load) runs them again.
        ["--now", "hybrid-gpu-driver.service", "hybrid-join.service"],
    ]
    if pool.preload:
        steps.append(["--now", "--no-block", *[f"hybrid-preload@{p.name}.service" for p in pool.preload]])
    return steps


def render_cloud_init(ctx: NodeContext, ca_cert_hash: str) -> str:
    """The ``#cloud-config`` user-data of every instance of the pool (byte-identical per pool)."""
    check_ca_hash(ca_cert_hash)
    files = node_files(ctx, render_join_config(ctx, ca_cert_hash))
    runcmd: list[list[str]] = [["systemctl", "daemon-reload"]]
    runcmd += [["systemctl", "enable", *step] for step in boot_steps(ctx.pool)]
    doc: dict = {
        # Only mirrors the region's VPC reaches (nodeAccess); the image's own sources are replaced.
        # cloud-init cc_apt_configure: primary/security per arch, preserve_sources_list false.
        "apt": {
            "preserve_sources_list": False,
            "primary": [{"arches": ["default"], "uri": ubuntu_mirror(ctx)}],
            "security": [{"arches": ["default"], "uri": ubuntu_mirror(ctx)}],
        },
        "package_update": True,
        "packages": list(NODE_PACKAGES),
        "write_files": files,
        "runcmd": runcmd,
    }
    if ctx.access.dns.hosts:
        # cloud-init leaves /etc/hosts alone with manage_etc_hosts false (cc_update_etc_hosts), so the
        # appended IDC names survive reboots.
        doc["manage_etc_hosts"] = False
        doc["write_files"] = files + [{**_file("/etc/hosts", etc_hosts(ctx)), "append": True}]
    return "#cloud-config\n" + _dump(doc)


def _dump(doc: dict) -> str:
    # Multi-line file contents as literal blocks: the artifact reads like the files themselves.
    return yamlio.dump(doc, yamlio.BlockDumper, sort_keys=False, default_flow_style=False, width=yamlio.NO_WRAP, allow_unicode=False)


def context_for(platform: "Platform", region_id: str, pool: GpuPool) -> NodeContext:
    """The render context of one pool of a validated platform."""
    label = platform.cni.cloud_node_label
    idc = platform.idc
    registries = tuple(sorted({imageref.parse(img).registry for img, _, _ in node_access.images(platform, region_id)}))
    return NodeContext(region_id, platform.environment, pool, idc.apiserver.host, idc.apiserver.port,
                       idc.kubernetes_version, label.key, label.value, tuple(c for _, c in idc.ranges),
                       platform.node_access.region(region_id), registries, join_token.bucket_name(platform, region_id))
