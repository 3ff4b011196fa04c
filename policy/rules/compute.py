"""Compute policies: ECS GPU instances and ACK node pools (public addresses, disks, user
data), the OSS objects their nodes boot from, ack-virtual-node, and placement within capacity."""

from __future__ import annotations

import functools
import json
import re
from typing import Any, Callable, Mapping, Optional

from pulumi_policy import PolicyConfigSchema, Severity

from hybrid.model.join_token import TOKEN_RE as BOOTSTRAP_TOKEN_RE  # kubeadm's bootstrap token form
from hybrid.virtual_node import MIN_VERSION_TEXT
from .common import (
    ADDON, DISK_ATTACHMENT, ECS_DISK, INSTANCE, M, MISSING, NODE_POOL, OSS_BUCKET, OSS_BUCKET_ACL, OSS_OBJECT, STACK,
    UNKNOWN, StackFinding, cannot_verify, config_of, decoded_user_data, get, is_gpu_instance, items, plain,
    resource_policy, stack_policy,
)


# === ECS ====================================================================

def _node_pool_gpu_type(props: Mapping) -> Any:
    """A node pool's first GPU instance type, None without one, UNKNOWN when a type is unknown."""
    types = get(props, "instanceTypes", default=[])
    if types is UNKNOWN:
        return UNKNOWN
    for _, t in items(types):
        if t is UNKNOWN:
            return UNKNOWN
        if is_gpu_instance(t):
            return t
    return None


def _public_bandwidth(props: Mapping, finding: Callable[[Any], str]) -> list[str]:
    """internetMaxBandwidthOut above 0 (a public IP per node): ``finding(bw)``; unknown: cannot be verified."""
    bw = get(props, "internetMaxBandwidthOut", default=0)
    if bw is UNKNOWN:
        return [cannot_verify("internetMaxBandwidthOut")]
    return [finding(bw)] if (bw or 0) > 0 else []


@resource_policy(name="ecs-gpu-no-public-ip", severity=Severity.HIGH, level=M, types=[INSTANCE, NODE_POOL], pass_type=True,
                 description="Keep GPU instances off the internet: give them no public IP.")
def check_gpu_no_public_ip(props: Mapping, config: Optional[Mapping] = None, resource_type: str = INSTANCE) -> list[str]:
    if resource_type == NODE_POOL:  # an ACK node pool: its instance types, its instances' public IP
        itype = _node_pool_gpu_type(props)
        if itype is UNKNOWN:
            return [cannot_verify("instanceTypes (needed to tell whether this is a GPU node pool)")]
        if itype is None:
            return []
        out = _public_bandwidth(props, lambda bw: f"Set internetMaxBandwidthOut to 0 on GPU node pool ({itype}): {bw} Mbit/s gives every node a public IP.")
        eip = get(props, "scalingConfig", "isBondEip", default=False)
        if eip is UNKNOWN:
            out.append(cannot_verify("scalingConfig.isBondEip"))
        elif eip is True:
            out.append(f"Drop scalingConfig.isBondEip from GPU node pool ({itype}): GPU nodes take no public address.")
        return out
    itype = get(props, "instanceType")
    if itype is UNKNOWN:
        return [cannot_verify("instanceType (needed to tell whether this is a GPU node)")]
    if not is_gpu_instance(itype):
        return []
    out = _public_bandwidth(props, lambda bw: f"Set internetMaxBandwidthOut to 0 on GPU node {itype}: {bw} Mbit/s gives it a public IP; "
                            "reach it over the leased line and egress through a NAT gateway.")
    pub = get(props, "allocatePublicIp", default=False)
    if pub is UNKNOWN:
        out.append(cannot_verify("allocatePublicIp"))
    elif pub is True:
        out.append(f"Drop allocatePublicIp from GPU node {itype}: GPU nodes take no public address.")
    return out


ENCRYPTION_SCHEMA = PolicyConfigSchema(
    properties={
        "kmsKeyRequiredFor": {
            "type": "array", "items": {"type": "string", "enum": ["system", "data"]}, "uniqueItems": True, "default": [],
            "description": "Disks that must name a customer KMS key (kmsKeyId), beyond being encrypted.",
        },
    },
)


def _disk_findings(where: str, encrypted: Any, kms: Any, need_kms: bool) -> list[str]:
    out = []
    if encrypted is UNKNOWN:
        out.append(cannot_verify(f"{where} encryption"))
    elif encrypted is not True:
        out.append(f"Encrypt the {where}: set encrypted to true (it is {encrypted!r}).")
    if need_kms:
        if kms is UNKNOWN:
            out.append(cannot_verify(f"the {where} KMS key id"))
        elif not kms:
            out.append(f"Give the {where} a customer KMS key: this stack requires kmsKeyId on {where.split()[0]} disks.")
    return out


@resource_policy(name="ecs-disks-encrypted", severity=Severity.HIGH, level=M, types=[INSTANCE, ECS_DISK, NODE_POOL], pass_type=True, config_schema=ENCRYPTION_SCHEMA,
                 description="Encrypt system and data disks, with a customer KMS key where the stack requires one.")
def check_disks_encrypted(props: Mapping, config: Optional[Mapping] = None, resource_type: str = INSTANCE) -> list[str]:
    cfg = config_of(config, ENCRYPTION_SCHEMA)
    need = set(cfg["kmsKeyRequiredFor"])
    if resource_type == ECS_DISK:
        return _disk_findings("data disk", get(props, "encrypted", default=False), get(props, "kmsKeyId"), "data" in need)
    if resource_type == NODE_POOL:
        # cs.NodePool spells it systemDiskKmsKey, and a data disk's encrypted as the string "true"
        # (pulumi-alicloud 4.0.0 cs/node_pool.py, cs/_inputs.py NodePoolDataDiskArgs).
        system_kms, string_flags = "systemDiskKmsKey", True
    else:
        system_kms, string_flags = "systemDiskKmsKeyId", False
    out = _disk_findings("system disk", get(props, "systemDiskEncrypted", default=False), get(props, system_kms), "system" in need)
    disks = get(props, "dataDisks", default=[])
    if disks is UNKNOWN:
        return out + [cannot_verify("dataDisks")]
    for i, disk in items(disks):
        if disk is UNKNOWN:
            out.append(cannot_verify(f"dataDisks[{i}]"))
            continue
        enc = get(disk, "encrypted", default="false" if string_flags else False)
        if string_flags and enc is not UNKNOWN:
            enc = enc in ("true", True)
        out += _disk_findings(f"data disk dataDisks[{i}]", enc, get(disk, "kmsKeyId"), "data" in need)
    return out


@resource_policy(name="oss-private-encrypted", severity=Severity.HIGH, level=M, types=[OSS_BUCKET, OSS_BUCKET_ACL, OSS_OBJECT], pass_type=True,
                 description="Keep OSS buckets and objects private and encrypted at rest (the elastic node script carries a join token).")
def check_oss_private(props: Mapping, config: Optional[Mapping] = None, resource_type: str = OSS_OBJECT) -> list[str]:
    """OSS objects and buckets stay private and encrypted (the elastic node script carries a join token)."""
    if resource_type == OSS_BUCKET_ACL:
        acl = get(props, "acl")
        if acl is UNKNOWN:
            return [cannot_verify("acl")]
        return [] if acl == "private" else [f"Set the bucket ACL to private (it is {acl!r}): node scripts and datasets are not public."]
    if resource_type == OSS_BUCKET:
        sse = get(props, "serverSideEncryptionRule", "sseAlgorithm")
        if sse is UNKNOWN:
            return [cannot_verify("serverSideEncryptionRule.sseAlgorithm")]
        return [] if sse else ["Turn on default server-side encryption for the bucket: set serverSideEncryptionRule.sseAlgorithm (AES256 or KMS)."]
    out = []
    acl = get(props, "acl", default="private")  # the provider's default is private
    if acl is UNKNOWN:
        out.append(cannot_verify("acl"))
    elif acl not in ("private", "default"):
        out.append(f"Set the object ACL to private (it is {acl!r}): the object must be readable only through RAM.")
    sse = get(props, "serverSideEncryption")
    if sse is UNKNOWN:
        out.append(cannot_verify("serverSideEncryption"))
    elif not sse:
        out.append("Encrypt the object at rest: set serverSideEncryption to AES256 or KMS.")
    return out


@resource_policy(name="ecs-data-disks-kept", severity=Severity.MEDIUM, level=M, types=[INSTANCE, ECS_DISK, DISK_ATTACHMENT], pass_type=True,
                 description="Keep data disks when their instance is released: set deleteWithInstance to false.")
def check_data_disks_kept(props: Mapping, config: Optional[Mapping] = None, resource_type: str = INSTANCE) -> list[str]:
    fix = "set deleteWithInstance to false so a spot reclaim or instance replacement keeps the data."
    if resource_type in (ECS_DISK, DISK_ATTACHMENT):
        v = get(props, "deleteWithInstance", default=False)
        if v is UNKNOWN:
            return [cannot_verify("deleteWithInstance")]
        return [f"Keep this disk when its instance goes: {fix}"] if v is True else []
    disks = get(props, "dataDisks", default=[])
    if disks is UNKNOWN:
        return [cannot_verify("dataDisks")]
    out = []
    for i, disk in items(disks):
        v = get(disk, "deleteWithInstance", default=MISSING) if disk is not UNKNOWN else UNKNOWN
        if v is UNKNOWN:
            out.append(cannot_verify(f"dataDisks[{i}].deleteWithInstance"))
        elif v is MISSING or v is None:
            # The provider defaults an inline data disk's deleteWithInstance to true.
            out.append(f"Set dataDisks[{i}].deleteWithInstance to false explicitly: the provider default deletes the disk with the instance.")
        elif v is True:
            out.append(f"Keep dataDisks[{i}] when the instance goes: {fix}")
    return out


USER_DATA_SCHEMA = PolicyConfigSchema(
    properties={
        "allowBootstrapToken": {
            "type": "boolean", "default": True,
            "description": "Allow a kubeadm bootstrap token (abcdef.0123456789abcdef): short-lived and join-only by design.",
        },
    },
)

_CREDENTIAL_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("an Alibaba Cloud AccessKey ID", re.compile(r"\bLTAI[0-9A-Za-z]{12,30}\b")),
    ("an AccessKey secret", re.compile(
        r"(?i)(access[_-]?key[_-]?secret|secret[_-]?access[_-]?key|alibaba_cloud_access_key_secret|alicloud_secret_key|access_secret)"
        r"[\"']?\s*[:=]\s*[\"']?[A-Za-z0-9/+]{20,}")),
    ("a private key", re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----")),
    ("a kubeconfig client key", re.compile(r"client-key-data:\s*\S{20,}")),
    ("a password", re.compile(r"(?i)\b(password|passwd|pwd)[\"']?\s*[:=]\s*[\"']?(?!\$\{|\$\(|\"\"|'')[^\s\"']{4,}")),
    ("a registry auth string", re.compile(r"\"auth\"\s*:\s*\"[A-Za-z0-9+/=]{16,}\"")),
    ("a bearer token", re.compile(r"(?im)^\s*token:\s*[\"']?(?P<tok>[A-Za-z0-9._\-]{20,})")),
]


@resource_policy(name="ecs-user-data-no-credentials", severity=Severity.CRITICAL, level=M, types=[INSTANCE], config_schema=USER_DATA_SCHEMA,
                 description="Keep access keys, passwords, private keys and tokens out of instance user data.")
def check_user_data(props: Mapping, config: Optional[Mapping] = None) -> list[str]:
    cfg = config_of(config, USER_DATA_SCHEMA)
    ud = get(props, "userData")
    if ud is UNKNOWN:
        return [cannot_verify("userData")]
    if not ud:
        return []
    return [f"Remove {label} from userData: instance metadata serves it in clear text to anything on the node; "
            "use a RAM role or a secret fetched at boot." for label in _credentials_in(str(ud), bool(cfg["allowBootstrapToken"]))]


# Every instance of a GPU pool carries the same user-data (tens of kB of cloud-init), so a fleet
# of 1,000 nodes would otherwise run the same seven scans 1,000 times: the findings are a pure
# function of the text and the one setting, hence cached.
@functools.lru_cache(maxsize=256)
def _credentials_in(user_data: str, allow_bootstrap_token: bool) -> tuple[str, ...]:
    found = set()
    for text in decoded_user_data(user_data):
        for label, pattern in _CREDENTIAL_PATTERNS:
            for m in pattern.finditer(text):
                if label == "a bearer token" and allow_bootstrap_token and BOOTSTRAP_TOKEN_RE.match(m.group("tok")):
                    continue
                found.add(label)
    return tuple(sorted(found))


VN_SCHEMA = PolicyConfigSchema(
    properties={"minVersion": {"type": "string", "pattern": r"^[0-9]+\.[0-9]+\.[0-9]+$", "default": MIN_VERSION_TEXT,
                               "description": f"Lowest ack-virtual-node version (PrivateLink endpoints need {MIN_VERSION_TEXT})."}},
)

# Spellings of the per-region flag in ack-virtual-node's config JSON. The console calls it
# "default region"; the JSON key is *unconfirmed* (see ALIBABA-NOTES.md), so accept these.
_VN_DEFAULT_KEYS = ("default", "isDefault", "IsDefault", "IsDefaultRegion", "isDefaultRegion", "defaultRegion",
                    "DefaultRegion", "default_region")
_VN_REGION_KEYS = ("regionId", "RegionId", "region_id", "region", "id")


def _version(v: str) -> Optional[tuple[int, ...]]:
    m = re.fullmatch(r"v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?", v.strip())
    return tuple(int(x) for x in m.groups()) if m else None


def _region_entries(node: Any) -> list[dict]:
    """Every object in the config that names a region (recursively)."""
    found = []
    if isinstance(node, dict):
        if any(k in node for k in _VN_REGION_KEYS) and any(k in node for k in _VN_DEFAULT_KEYS):
            found.append(node)
        for v in node.values():
            if isinstance(v, str) and v.strip().startswith(("{", "[")):
                try:
                    v = json.loads(v)
                except json.JSONDecodeError:
                    continue
            found += _region_entries(v)
    elif isinstance(node, list):
        for v in node:
            found += _region_entries(v)
    return found


def _truthy(v: Any) -> bool:
    return v is True or (isinstance(v, str) and v.lower() == "true")


@resource_policy(name="ack-virtual-node-config", severity=Severity.MEDIUM, level=M, types=[ADDON], config_schema=VN_SCHEMA,
                 description="Run ack-virtual-node at the minimum version or later with exactly one default region.")
def check_virtual_node(props: Mapping, config: Optional[Mapping] = None) -> list[str]:
    cfg = config_of(config, VN_SCHEMA)
    name = get(props, "name")
    if name is UNKNOWN:
        return [cannot_verify("the addon name")]
    if name != "ack-virtual-node":
        return []
    out = []
    version = get(props, "version")
    want = _version(cfg["minVersion"])
    if version is UNKNOWN:
        out.append(cannot_verify("the ack-virtual-node version"))
    elif not version or _version(str(version)) is None:
        out.append(f"Pin ack-virtual-node to a version >= {cfg['minVersion']}: {version!r} is not a version.")
    elif _version(str(version)) < want:
        out.append(f"Upgrade ack-virtual-node to >= {cfg['minVersion']}: {version} predates the PrivateLink endpoints this platform needs.")
    raw = get(props, "config")
    if raw is UNKNOWN:
        return out + [cannot_verify("the ack-virtual-node config")]
    try:
        conf = json.loads(raw) if isinstance(raw, str) and raw else {}
    except json.JSONDecodeError:
        return out + ["Fix the ack-virtual-node config: it is not valid JSON."]
    regions = _region_entries(conf)
    defaults = [r for r in regions if any(_truthy(r.get(k)) for k in _VN_DEFAULT_KEYS)]
    ids = [next((str(r[k]) for k in _VN_REGION_KEYS if k in r), "?") for r in defaults]
    if not regions:
        out.append("List the Serverless regions in the ack-virtual-node config with exactly one default region: none is listed.")
    elif len(defaults) != 1:
        out.append(f"Mark exactly one ack-virtual-node region as default: {len(defaults)} are ({', '.join(ids) or 'none'}), "
                   "so pods without a region label have no single place to go.")
    return out


def _assignments(node: Any) -> Optional[dict[str, Any]]:
    if isinstance(node, dict):
        return dict(node)
    if isinstance(node, list):
        out = {}
        for a in node:
            if not isinstance(a, dict):
                return None
            target = a.get("cluster", a.get("target", a.get("name")))
            out[str(target)] = a.get("replicas", a.get("count"))
        return out
    return None


@stack_policy(name="stack-placement-within-capacity", severity=Severity.MEDIUM, level=M,
              description="Place no workload's replicas above a cluster's stated capacity.")
def check_placement(resources: list, config: Optional[Mapping] = None) -> list[StackFinding]:
    stack = next((r for r in resources if r.resource_type == STACK), None)
    placement = get(stack.props, "placement") if stack is not None else None
    if placement is None:
        return []
    if placement is UNKNOWN:
        return [(cannot_verify("the placement output"), stack.urn)]
    placement = plain(placement)
    if isinstance(placement, list):
        placement = {str(w.get("name", w.get("workload", i))): w for i, w in enumerate(placement) if isinstance(w, dict)}
    if not isinstance(placement, dict):
        return [("Publish the placement output as {workload: {assignments, capacity, unplaced}}: its shape is not recognised.", stack.urn)]
    out: list[StackFinding] = []
    for wl, entry in sorted(placement.items()):
        if not isinstance(entry, dict):
            out.append((f"Publish placement[{wl}] as an object with assignments and capacity.", stack.urn))
            continue
        assigned, capacity = _assignments(entry.get("assignments")), _assignments(entry.get("capacity"))
        if assigned is None:
            out.append((f"Publish placement[{wl}].assignments as {{cluster: replicas}}: it is missing or malformed.", stack.urn))
            continue
        if capacity is None:
            out.append((f"Publish placement[{wl}].capacity ({{cluster: replicas it can host}}) beside its assignments: "
                        "without it nothing proves the placement stays within capacity.", stack.urn))
            continue
        for cluster, n in sorted(assigned.items()):
            cap = capacity.get(cluster)
            if n is UNKNOWN or cap is UNKNOWN:
                out.append((cannot_verify(f"placement[{wl}] for {cluster}"), stack.urn))
            elif not isinstance(n, (int, float)) or n < 0:
                out.append((f"Fix placement[{wl}] for {cluster}: {n!r} is not a replica count.", stack.urn))
            elif cap is None:
                if n > 0:
                    out.append((f"Give placement[{wl}] a capacity for {cluster}: {n} replicas go there against no stated capacity.", stack.urn))
            elif n > cap:
                out.append((f"Move {n - cap} replica(s) of {wl} off {cluster}: {n} are placed where capacity is {cap}.", stack.urn))
    return out
