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
* ``render_join_script``: installs containerd, kubelet and kubeadm at the IDC
  cluster's version and joins with a bootstrap token; node labels, taints and
  ``--provider-id`` (``<region>.<instance-id>``, read from the metadata
  service) are what Terway needs on a self-joined ECS node;
* ``render_cloud_init``: the ``#cloud-config`` document tying them together.

The same function renders the real user-data (with the secret token and CA
hash, inside a Pulumi secret) and the plan artifact (with ``REDACTED`` in their
place), so reviewers read exactly what instances receive.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hybrid import shtemplate, unconfirmed, yamlio
from hybrid.model.gpu import GpuPool
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

DATA_DISK_LABEL = "hybrid-data"  # ext4 label: lets a replacement instance find its disk again
METADATA = "http://100.100.100.200"
# VPC-internal Alibaba mirror of pkgs.k8s.io: reachable from nodes without a public IP.
K8S_APT_MIRROR = "https://mirrors.cloud.aliyuncs.com/kubernetes-new/core/stable"
PAUSE_IMAGE = unconfirmed.value("cloudinit.pauseImage")

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

_TOKEN_RE = re.compile(r"^[a-z0-9]{6}\.[a-z0-9]{16}$")
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


def _tc_units() -> dict[str, str]:
    service = f"""[Unit]
Description=Cap the node's traffic to and from the IDC ranges on every ENI
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
ExecStart={SCRIPT_DIR}/hybrid-tc

[Install]
WantedBy=multi-user.target
"""
    # Terway may replace qdiscs of host interfaces after it starts: re-assert periodically.
    timer = """[Unit]
Description=Re-assert the GPU pool's tc shaping

[Timer]
OnBootSec=1min
OnUnitActiveSec=2min
Unit=hybrid-tc.service

[Install]
WantedBy=timers.target
"""
    return {"hybrid-tc.service": service, "hybrid-tc.timer": timer}


def tc_udev_rule(eni_glob: str = ENI_GLOB) -> str:
    """udev rule: an ENI that appears (Terway attaches secondary ENIs at run time) starts hybrid-tc."""
    # SYSTEMD_WANTS on a tagged net device makes its .device unit pull in the service
    # (systemd.device(5)); the oneshot service runs again for each new ENI.
    return (f'ACTION=="add", SUBSYSTEM=="net", KERNEL=="{eni_glob}", '
            'TAG+="systemd", ENV{SYSTEMD_WANTS}+="hybrid-tc.service"\n')


# --- data disk --------------------------------------------------------------

def render_data_disk_script(size_gib: int, mount_path: str, timeout_s: int = 1800) -> str:
    """Bash script: wait for the data disk, format it only if blank, mount it by label."""
    return f"""#!/bin/bash
# Mount the pool's data disk at {mount_path}.
# The disk is a separate ECS disk attached after the instance boots, and it is
# re-attached to a replacement instance with its data: so wait for it, look for
# our filesystem label first, and format only a disk with no signature at all.
set -euo pipefail
MOUNT={shlex.quote(mount_path)}
LABEL={DATA_DISK_LABEL}
SIZE_BYTES={size_gib * 1024 ** 3}
DEADLINE=$((SECONDS + {timeout_s}))

if mountpoint -q "$MOUNT"; then exit 0; fi

find_disk() {{
  local dev name size type root
  dev=$(blkid -L "$LABEL" 2>/dev/null || true)
  if [ -n "$dev" ]; then echo "$dev"; return 0; fi
  root=$(lsblk -no PKNAME "$(findmnt -no SOURCE /)" | head -n1)
  while read -r name size type; do
    if [ "$type" = disk ] && [ "$size" = "$SIZE_BYTES" ] && [ "$name" != "$root" ]; then
      echo "/dev/$name"; return 0
    fi
  done < <(lsblk -dnbo NAME,SIZE,TYPE)
  return 1
}}

until dev=$(find_disk); do
  if [ "$SECONDS" -ge "$DEADLINE" ]; then
    echo "hybrid-data-disk: no {size_gib} GiB data disk appeared" >&2; exit 1
  fi
  sleep 5
done
if [ -z "$(blkid -o value -s TYPE "$dev" 2>/dev/null || true)" ]; then
  if [ "$(lsblk -no NAME "$dev" | wc -l)" -gt 1 ]; then
    echo "hybrid-data-disk: $dev has partitions but no filesystem; refusing to format" >&2; exit 1
  fi
  mkfs.ext4 -q -m 0 -L "$LABEL" "$dev"
fi
mkdir -p "$MOUNT"
if ! grep -q "^LABEL=$LABEL " /etc/fstab; then
  echo "LABEL=$LABEL $MOUNT ext4 defaults,noatime,nofail,x-systemd.device-timeout=60s 0 2" >> /etc/fstab
fi
mount "$MOUNT"
echo "hybrid-data-disk: $dev mounted at $MOUNT"
"""


def _data_disk_unit() -> str:
    return f"""[Unit]
Description=Find, format if blank, and mount the GPU pool's data disk
Wants=local-fs.target
After=local-fs.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart={SCRIPT_DIR}/hybrid-data-disk
TimeoutStartSec=40min

[Install]
WantedBy=multi-user.target
"""


# --- preload ----------------------------------------------------------------

PRELOAD_MARKER = ".hybrid-preload-complete"


def render_preload_script() -> str:
    """Bash script ``hybrid-preload NAME SOURCE TARGET RATE_MBIT``."""
    return f"""#!/bin/bash
# Copy one dataset from the IDC storage (rsync:// over the leased line, or a
# mounted directory) onto the data disk.
#   rate-limited: rsync --bwlimit at RATE_MBIT (KB = 1000 bytes, so Mbit*125 KB/s);
#   resumable   : completed files are skipped on the next run, and an interrupted
#                 file continues from its partial copy (--partial-dir, delta mode);
#   idempotent  : on success a marker records a manifest digest of the source and
#                 of the target; a later run that finds both unchanged copies nothing.
set -euo pipefail
if [ $# -ne 4 ]; then echo "usage: $0 NAME SOURCE TARGET RATE_MBIT" >&2; exit 64; fi
NAME=$1 SOURCE=${{2%/}}/ TARGET=${{3%/}} RATE_MBIT=$4
MARKER="$TARGET/{PRELOAD_MARKER}"
export LC_ALL=C

mkdir -p "$TARGET"
exec 9>"$TARGET/.hybrid-preload-lock"
if ! flock -n 9; then echo "preload $NAME: another run holds the lock" >&2; exit 75; fi

source_manifest() {{  # names, sizes and mtimes as the source reports them; no data read
  rsync -r --list-only "$SOURCE" | sort | sha256sum | cut -d' ' -f1
}}
target_manifest() {{
  find "$TARGET" -mindepth 1 -name '.hybrid-preload-*' -prune -o -printf '%P\\t%y\\t%s\\t%T@\\n' \\
    | sort | sha256sum | cut -d' ' -f1
}}
marker_field() {{ sed -n "s/^$1=//p" "$MARKER"; }}

if [ -f "$MARKER" ]; then
  if [ "$(target_manifest)" = "$(marker_field target-manifest)" ]; then
    if ! current=$(source_manifest 2>/dev/null); then
      echo "preload $NAME: complete; source unreachable, keeping the copy"; exit 0
    fi
    if [ "$current" = "$(marker_field source-manifest)" ]; then
      echo "preload $NAME: complete, skipped (marker manifests match)"; exit 0
    fi
    echo "preload $NAME: source changed since the marker; syncing again"
  else
    echo "preload $NAME: target changed since the marker; syncing again"
  fi
  rm -f "$MARKER"
fi

before=$(source_manifest)
rsync -a --partial --partial-dir=.hybrid-preload-partial --no-whole-file \\
  --exclude='/.hybrid-preload-*' --bwlimit="$((RATE_MBIT * 125))KB" --stats \\
  "$SOURCE" "$TARGET/"
if [ "$(source_manifest)" != "$before" ]; then
  echo "preload $NAME: source changed during the copy; run again" >&2; exit 75
fi
tmp="$MARKER.tmp"
{{
  echo "name=$NAME"
  echo "source=$SOURCE"
  echo "source-manifest=$before"
  echo "target-manifest=$(target_manifest)"
}} > "$tmp"
mv "$tmp" "$MARKER"
echo "preload $NAME: complete"
"""


def _preload_unit(mount_path: str) -> str:
    return f"""[Unit]
Description=Preload dataset %i onto the data disk (rate-limited, resumable)
Requires=hybrid-data-disk.service
After=hybrid-data-disk.service network-online.target
Wants=network-online.target
RequiresMountsFor={mount_path}

[Service]
Type=oneshot
EnvironmentFile={CONF_DIR}/preload/%i.env
ExecStart={SCRIPT_DIR}/hybrid-preload ${{NAME}} ${{SOURCE}} ${{TARGET}} ${{RATE_MBIT}}
Restart=on-failure
RestartSec=60
Nice=10
IOSchedulingClass=idle

[Install]
WantedBy=multi-user.target
"""


# --- kubeadm join -----------------------------------------------------------

def static_node_labels(ctx: NodeContext) -> dict[str, str]:
    """Labels known at render time; region, zone and instance type come from the metadata service."""
    return {
        ctx.cloud_label_key: ctx.cloud_label_value,
        LABEL_POOL: ctx.pool.name,
        LABEL_GPU_SERIES: ctx.pool.gpu_model_series,
        LABEL_ENVIRONMENT: ctx.environment,
    }


def node_labels_arg(ctx: NodeContext) -> str:
    """The kubelet ``--node-labels`` value, with @REGION@/@ZONE@/@INSTANCE_TYPE@ filled in at boot."""
    labels = {
        **static_node_labels(ctx),
        LABEL_REGION: "@REGION@",
        LABEL_ZONE: "@ZONE@",
        LABEL_INSTANCE_TYPE: "@INSTANCE_TYPE@",
    }
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def kubeadm_api_version(kubernetes_version: str) -> str:
    minor = int(kubernetes_version.split(".")[1])
    return "kubeadm.k8s.io/v1beta4" if minor >= 31 else "kubeadm.k8s.io/v1beta3"


def render_join_config(ctx: NodeContext, bootstrap_token: str, ca_cert_hash: str) -> str:
    """kubeadm JoinConfiguration with @PLACEHOLDERS@ for values read from the metadata service."""
    api = kubeadm_api_version(ctx.kubernetes_version)
    args = {"node-labels": node_labels_arg(ctx), "provider-id": "@REGION@.@INSTANCE_ID@"}
    extra = ([{"name": k, "value": v} for k, v in sorted(args.items())] if api.endswith("v1beta4") else args)
    doc = {
        "apiVersion": api,
        "kind": "JoinConfiguration",
        "discovery": {
            "bootstrapToken": {
                "apiServerEndpoint": f"{ctx.apiserver_host}:{ctx.apiserver_port}",
                "token": bootstrap_token,
                "caCertHashes": [ca_cert_hash],
            },
        },
        "nodeRegistration": {
            "criSocket": "unix:///run/containerd/containerd.sock",
            "kubeletExtraArgs": extra,
            # An explicit empty list means "no taints" to kubeadm.
            "taints": [{"key": t.key, "value": t.value, "effect": t.effect} for t in ctx.pool.taints],
        },
    }
    return yamlio.dump(doc, sort_keys=True, default_flow_style=False, width=yamlio.NO_WRAP)


def render_join_script(ctx: NodeContext) -> str:
    version = ctx.kubernetes_version
    minor = ".".join(version.split(".")[:2])
    return f"""#!/bin/bash
# Install containerd, kubelet and kubeadm {version} and join the IDC cluster as a
# cloud GPU worker. Runs once: a node that already has a kubelet.conf is left alone.
set -euo pipefail
if [ -f /etc/kubernetes/kubelet.conf ]; then echo "hybrid-join: already joined"; exit 0; fi
if ! mountpoint -q {shlex.quote(ctx.pool.data_disk.mount_path)}; then
  echo "hybrid-join: data disk not mounted; not joining" >&2; exit 1
fi

# Instance facts from the metadata service (token mode works with and without IMDSv2 enforcement).
MD_TOKEN=$(curl -fsS --retry 10 --retry-connrefused -X PUT \\
  -H "X-aliyun-ecs-metadata-token-ttl-seconds: 300" {METADATA}/latest/api/token)
meta() {{ curl -fsS --retry 10 -H "X-aliyun-ecs-metadata-token: $MD_TOKEN" "{METADATA}/latest/meta-data/$1"; }}
REGION=$(meta region-id)
ZONE=$(meta zone-id)
INSTANCE_ID=$(meta instance-id)
INSTANCE_TYPE=$(meta instance/instance-type)

# Kernel prerequisites for kubelet and the CNI.
swapoff -a
sed -i '/\\sswap\\s/d' /etc/fstab
printf 'overlay\\nbr_netfilter\\n' > /etc/modules-load.d/k8s.conf
modprobe overlay
modprobe br_netfilter
printf 'net.ipv4.ip_forward = 1\\nnet.bridge.bridge-nf-call-iptables = 1\\nnet.bridge.bridge-nf-call-ip6tables = 1\\n' \\
  > /etc/sysctl.d/90-k8s.conf
sysctl --system >/dev/null

# containerd with the systemd cgroup driver, pause image from the regional VPC registry.
mkdir -p /etc/containerd
containerd config default > /etc/containerd/config.toml
sed -i -e 's/SystemdCgroup = false/SystemdCgroup = true/' \\
  -e "s#sandbox_image = .*#sandbox_image = \\"{PAUSE_IMAGE.replace('@REGION@', '$REGION')}\\"#" /etc/containerd/config.toml
systemctl restart containerd

# kubelet/kubeadm pinned to the IDC cluster's version.
install -d -m 0755 /etc/apt/keyrings
curl -fsSL {K8S_APT_MIRROR}/v{minor}/deb/Release.key | gpg --dearmor --yes -o /etc/apt/keyrings/kubernetes.gpg
echo "deb [signed-by=/etc/apt/keyrings/kubernetes.gpg] {K8S_APT_MIRROR}/v{minor}/deb/ /" \\
  > /etc/apt/sources.list.d/kubernetes.list
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q kubelet={version}-* kubeadm={version}-*
apt-mark hold kubelet kubeadm

sed -e "s/@REGION@/$REGION/g" -e "s/@ZONE@/$ZONE/g" -e "s/@INSTANCE_ID@/$INSTANCE_ID/g" \\
  -e "s/@INSTANCE_TYPE@/$INSTANCE_TYPE/g" {CONF_DIR}/kubeadm-join.yaml.tmpl > {CONF_DIR}/kubeadm-join.yaml
chmod 0600 {CONF_DIR}/kubeadm-join.yaml
kubeadm join --config {CONF_DIR}/kubeadm-join.yaml
# The bootstrap token is spent: drop the local copies.
rm -f {CONF_DIR}/kubeadm-join.yaml {CONF_DIR}/kubeadm-join.yaml.tmpl
echo "hybrid-join: joined as $REGION.$INSTANCE_ID ($ZONE, $INSTANCE_TYPE)"
"""


# --- the cloud-config document -----------------------------------------------

def _check_secrets(bootstrap_token: str, ca_cert_hash: str) -> None:
    if bootstrap_token != REDACTED and not _TOKEN_RE.match(bootstrap_token):
        raise ValueError("bootstrapToken must look like abcdef.0123456789abcdef (kubeadm token format).")
    if ca_cert_hash != REDACTED and not _CA_HASH_RE.match(ca_cert_hash):
        raise ValueError("caCertHash must be sha256:<64 hex digits>.")


def _file(path: str, content: str, permissions: str = "0644") -> dict:
    return {"path": path, "content": content, "owner": "root:root", "permissions": permissions}


def preload_env(name: str, source: str, target: str, rate_mbit: int) -> str:
    # systemd EnvironmentFile syntax; the model forbids quotes, spaces and $ in these values.
    return f'NAME="{name}"\nSOURCE="{source}"\nTARGET="{target}"\nRATE_MBIT="{rate_mbit}"\n'


def render_cloud_init(ctx: NodeContext, bootstrap_token: str, ca_cert_hash: str) -> str:
    """The ``#cloud-config`` user-data of every instance of the pool (byte-identical per pool)."""
    _check_secrets(bootstrap_token, ca_cert_hash)
    pool = ctx.pool
    files = [
        _file(f"{CONF_DIR}/kubeadm-join.yaml.tmpl", render_join_config(ctx, bootstrap_token, ca_cert_hash), "0600"),
        _file(f"{SCRIPT_DIR}/hybrid-join", render_join_script(ctx), "0755"),
        _file(f"{SCRIPT_DIR}/hybrid-tc", render_tc_script(pool.rate_limits.egress_mbit, pool.rate_limits.ingress_mbit, list(ctx.idc_ranges)), "0755"),
        _file(UDEV_RULE, tc_udev_rule()),
        _file(f"{SCRIPT_DIR}/hybrid-data-disk", render_data_disk_script(pool.data_disk.size, pool.data_disk.mount_path), "0755"),
        _file(f"{UNIT_DIR}/hybrid-data-disk.service", _data_disk_unit()),
    ]
    files += [_file(f"{UNIT_DIR}/{name}", text) for name, text in sorted(_tc_units().items())]
    if pool.preload:
        files.append(_file(f"{SCRIPT_DIR}/hybrid-preload", render_preload_script(), "0755"))
        files.append(_file(f"{UNIT_DIR}/hybrid-preload@.service", _preload_unit(pool.data_disk.mount_path)))
        for p in pool.preload:
            files.append(_file(f"{CONF_DIR}/preload/{p.name}.env", preload_env(p.name, p.source, p.target, p.rate_mbit)))
    runcmd: list[list[str]] = [
        ["systemctl", "daemon-reload"],
        # Shape first, so package downloads and the join already respect the limits.
        ["systemctl", "enable", "--now", "hybrid-tc.service", "hybrid-tc.timer"],
        ["systemctl", "enable", "--now", "hybrid-data-disk.service"],
        [f"{SCRIPT_DIR}/hybrid-join"],
    ]
    if pool.preload:
        runcmd.append(["systemctl", "enable", "--now", "--no-block", *[f"hybrid-preload@{p.name}.service" for p in pool.preload]])
    doc = {
        "package_update": True,
        "packages": ["ca-certificates", "containerd", "curl", "gpg", "iproute2", "rsync", "util-linux"],
        "write_files": files,
        "runcmd": runcmd,
    }
    return "#cloud-config\n" + _dump(doc)


def _dump(doc: dict) -> str:
    # Multi-line file contents as literal blocks: the artifact reads like the files themselves.
    return yamlio.dump(doc, yamlio.BlockDumper, sort_keys=False, default_flow_style=False, width=yamlio.NO_WRAP, allow_unicode=False)


def context_for(platform: "Platform", region_id: str, pool: GpuPool) -> NodeContext:
    """The render context of one pool of a validated platform."""
    label = platform.cni.cloud_node_label
    idc = platform.idc
    return NodeContext(region_id, platform.environment, pool, idc.apiserver.host, idc.apiserver.port,
                       idc.kubernetes_version, label.key, label.value, tuple(c for _, c in idc.ranges))
