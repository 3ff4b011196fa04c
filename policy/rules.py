"""Policies of the hybrid GPU platform, as plain validator functions plus their metadata.

Every check is a function ``check_x(props, config) -> list[str]`` (resource checks)
or ``check_x(resources, config) -> list[tuple[str, urn | None]]`` (stack checks)
that returns violation messages. The ``POLICIES`` list at the bottom wraps them
into pulumi-policy objects; ``__main__.py`` only hands that list to ``PolicyPack``.

Unknown values: during ``pulumi preview`` the engine sends computed values as a
sentinel, and pulumi-policy's proxy raises ``UnknownValueError`` when a rule
reads one. If that exception escaped, pulumi-policy would turn it into an
*advisory* diagnostic, so a mandatory rule would silently pass. Here every read
goes through :func:`get`, which returns :data:`UNKNOWN` instead, and each rule
reports "cannot be verified" as a violation at its own enforcement level.

Besides the standard library and pulumi-policy, the pack imports facts from the
project's pure ``hybrid`` package (GPU families, the ack-virtual-node floor): its
PulumiPolicy.yaml runs it with the project's venv (``../.venv``), where the project
is installed editable, so ``import hybrid`` works with cwd policy/ as the engine
starts it (tests/test_policy_gate.py starts it that way).
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import functools
import json
import os
import re
from typing import Any, Callable, Iterable, Mapping, Optional

from netaddr import AddrFormatError, IPNetwork
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from hybrid.instance_types import is_gpu_type
from hybrid.redaction import REDACTED  # what a plan shows in place of a secret
from hybrid.virtual_node import MIN_VERSION_TEXT


class _Unknown:
    """Marker for a value the engine could not compute yet (preview)."""

    def __repr__(self) -> str:
        return "<unknown>"

    def __bool__(self) -> bool:  # never let an unknown read as "false, so fine"
        raise TypeError("an unknown value has no truth value; test `is UNKNOWN` first")


UNKNOWN = _Unknown()
_MISSING = object()

# The engine's sentinels; pulumi-policy's proxy recognises the same strings.
_UNKNOWN_SENTINELS = {
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9", "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
    "030794c1-ac77-496b-92df-f27374a8bd58", "e48ece36-62e2-4504-bad9-02848725956a",
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
}


def get(obj: Any, *path: str | int, default: Any = None) -> Any:
    """Walk ``path`` through dicts/lists (proxied or plain). UNKNOWN if any step is unknown."""
    cur = obj
    for key in path:
        if cur is UNKNOWN:
            return UNKNOWN
        try:
            if isinstance(key, int):
                if not isinstance(cur, (list, tuple)) and not hasattr(cur, "__len__"):
                    return default
                cur = cur[key] if 0 <= key < len(cur) else _MISSING
            else:
                if not isinstance(cur, Mapping):
                    return default
                cur = cur[key] if key in cur else _MISSING
        except UnknownValueError:
            return UNKNOWN
        except (KeyError, IndexError, TypeError):
            return default
        if cur is _MISSING:
            return default
    if isinstance(cur, str) and cur in _UNKNOWN_SENTINELS:
        return UNKNOWN
    return cur


def items(seq: Any) -> Iterable[tuple[int, Any]]:
    """Enumerate a (proxied) list, yielding UNKNOWN for unknown elements."""
    if seq is None or seq is UNKNOWN:
        return []
    out = []
    for i in range(len(seq)):
        out.append((i, get(seq, i)))
    return out


def plain(value: Any) -> Any:
    """Copy a proxied structure into plain dicts/lists; unknown leaves become UNKNOWN."""
    if value is UNKNOWN:
        return UNKNOWN
    if isinstance(value, Mapping):
        return {k: plain(get(value, k)) for k in value}
    if isinstance(value, (list, tuple)) or (hasattr(value, "__getitem__") and hasattr(value, "__len__") and not isinstance(value, str)):
        return [plain(v) for _, v in items(value)]
    return value


def _unknown(what: str) -> str:
    return (f"Make {what} known at preview or run the policy after `pulumi up`: it is unknown now, "
            "and a mandatory rule must not pass on a value it cannot see.")


def _cfg(config: Optional[Mapping[str, Any]], schema: PolicyConfigSchema) -> dict[str, Any]:
    """The policy's config with the schema defaults filled in (the engine does the same)."""
    out = {k: v["default"] for k, v in schema.properties.items() if "default" in v}
    out.update(dict(config or {}))
    return out


# --- resource types and shared vocabulary ----------------------------------

SG_RULE = "alicloud:ecs/securityGroupRule:SecurityGroupRule"
INSTANCE = "alicloud:ecs/instance:Instance"
ECS_DISK = "alicloud:ecs/ecsDisk:EcsDisk"
DISK_ATTACHMENT = "alicloud:ecs/ecsDiskAttachment:EcsDiskAttachment"
VPC = "alicloud:vpc/network:Network"
VSWITCH = "alicloud:vpc/switch:Switch"
FLOW_LOG = "alicloud:vpc/flowLog:FlowLog"
ADDON = "alicloud:cs/kubernetesAddon:KubernetesAddon"
NODE_POOL = "alicloud:cs/nodePool:NodePool"
OSS_OBJECT = "alicloud:oss/bucketObject:BucketObject"
OSS_BUCKET = "alicloud:oss/bucket:Bucket"
OSS_BUCKET_ACL = "alicloud:oss/bucketAcl:BucketAcl"
DAEMONSET = "kubernetes:apps/v1:DaemonSet"
# The program adopts the IDC's calico-node with a server-side patch of its node affinity alone
# (components/calico.py): the patch's nodeSelectorTerms replace the live ones (an atomic list in
# core/v1 NodeAffinity), so the rule reads them there too.
DAEMONSET_PATCH = "kubernetes:apps/v1:DaemonSetPatch"
CONFIGMAP = "kubernetes:core/v1:ConfigMap"
STACK = "pulumi:pulumi:Stack"
WORKLOAD_TYPES = [
    DAEMONSET,
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:batch/v1:Job",
    "kubernetes:batch/v1:CronJob",
    "kubernetes:core/v1:Pod",
]

def is_gpu_instance(instance_type: Any) -> bool:
    """ECS GPU families, as the model knows them (hybrid/instance_types.py)."""
    return isinstance(instance_type, str) and is_gpu_type(instance_type)


# === security group rules ===================================================

ADMIN_PORTS = {
    22: "SSH", 3389: "RDP", 6443: "Kubernetes API", 10250: "kubelet",
    2379: "etcd client", 2380: "etcd peer", 179: "BGP", 2375: "Docker API", 2376: "Docker API (TLS)",
}

SG_ADMIN_SCHEMA = PolicyConfigSchema(
    properties={
        "extraPorts": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 65535}, "default": [],
                       "description": "More ports that must never be open to the internet on this stack."},
        "minSourcePrefixV4": {"type": "integer", "minimum": 0, "maximum": 32, "default": 8,
                              "description": "An IPv4 source broader than this prefix length counts as 'anywhere' (0.0.0.0/1 is as bad as /0)."},
        "minSourcePrefixV6": {"type": "integer", "minimum": 0, "maximum": 128, "default": 16,
                              "description": "An IPv6 source broader than this prefix length counts as 'anywhere'."},
    },
)
SG_ALL_SCHEMA = PolicyConfigSchema(properties={k: SG_ADMIN_SCHEMA.properties[k] for k in ("minSourcePrefixV4", "minSourcePrefixV6")})


def _open_sources(props: Mapping, cfg: Mapping) -> tuple[list[str], list[str]]:
    """(sources that count as 'anywhere', sources that are unknown) of an ingress accept rule."""
    wide, unknown = [], []
    for key, limit in (("cidrIp", cfg["minSourcePrefixV4"]), ("ipv6CidrIp", cfg["minSourcePrefixV6"])):
        cidr = get(props, key)
        if cidr is UNKNOWN:
            unknown.append(key)
            continue
        if not cidr:
            continue
        try:
            net = IPNetwork(str(cidr))
        except AddrFormatError:
            continue
        if net.prefixlen < limit:
            wide.append(f"{key} {cidr}")
    return wide, unknown


def _ingress_accept(props: Mapping) -> Any:
    """True for an ingress accept rule, False when not, UNKNOWN when it cannot be told."""
    kind, policy = get(props, "type"), get(props, "policy", default="accept")
    if kind is UNKNOWN or policy is UNKNOWN:
        return UNKNOWN
    return kind == "ingress" and str(policy).lower() == "accept"


def _port_range(value: Any) -> Any:
    """'22/22' -> (22, 22); '-1/-1' -> (-1, -1); UNKNOWN passes through; None if malformed."""
    if value is UNKNOWN:
        return UNKNOWN
    m = re.fullmatch(r"\s*(-?\d+)\s*/\s*(-?\d+)\s*", str(value or ""))
    return (int(m.group(1)), int(m.group(2))) if m else None


def check_sg_admin_ports(props: Mapping, config: Optional[Mapping] = None) -> list[str]:
    cfg = _cfg(config, SG_ADMIN_SCHEMA)
    ingress = _ingress_accept(props)
    if ingress is UNKNOWN:
        return [_unknown("the rule's type and policy")]
    if not ingress:
        return []
    wide, unknown = _open_sources(props, cfg)
    proto = get(props, "ipProtocol")
    ports = _port_range(get(props, "portRange"))
    if proto is UNKNOWN or ports is UNKNOWN:
        return [_unknown("ipProtocol and portRange")] if (wide or unknown) else []
    if unknown and not wide:
        return [_unknown(" and ".join(unknown))]
    if not wide or str(proto).lower() not in ("tcp", "udp", "all"):
        return []
    if ports is None:
        return [f"Fix portRange {get(props, 'portRange')!r}: it is not FROM/TO, so the rule from {', '.join(wide)} cannot be checked."]
    lo, hi = ports
    named = dict(ADMIN_PORTS)
    for p in cfg["extraPorts"]:
        named.setdefault(int(p), "stack-listed port")
    if (lo, hi) == (-1, -1):
        lo, hi = 1, 65535  # -1/-1 on tcp/udp/all means every port
    hit = sorted(p for p in named if lo <= p <= hi)
    if not hit:
        return []
    listed = ", ".join(f"{p} ({named[p]})" for p in hit)
    return [f"Remove this ingress rule or narrow its source: {proto} {lo}/{hi} from {', '.join(wide)} exposes {listed} to the internet; "
            "admit the IDC and VPC ranges only."]


def check_sg_all_ports(props: Mapping, config: Optional[Mapping] = None) -> list[str]:
    cfg = _cfg(config, SG_ALL_SCHEMA)
    ingress = _ingress_accept(props)
    if ingress is UNKNOWN:
        return [_unknown("the rule's type and policy")]
    if not ingress:
        return []
    wide, unknown = _open_sources(props, cfg)
    proto = get(props, "ipProtocol")
    ports = _port_range(get(props, "portRange"))
    if proto is UNKNOWN or ports is UNKNOWN:
        return [_unknown("ipProtocol and portRange")] if (wide or unknown) else []
    if unknown and not wide:
        return [_unknown(" and ".join(unknown))]
    if not wide:
        return []
    proto = str(proto).lower()
    reasons = []
    if proto == "all":
        reasons.append("protocol all")
    if ports == (-1, -1) and proto not in ("icmp", "icmpv6"):
        reasons.append("port range -1/-1")
    if ports is not None and ports[0] <= 1 and ports[1] >= 65535 and proto in ("tcp", "udp"):
        reasons.append(f"every {proto} port ({ports[0]}/{ports[1]})")
    if not reasons:
        return []
    return [f"Remove this ingress rule: it admits {' and '.join(reasons)} from {', '.join(wide)}; "
            "list the protocols and ports the service needs and admit known ranges only."]


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
        return [_unknown("internetMaxBandwidthOut")]
    return [finding(bw)] if (bw or 0) > 0 else []


def check_gpu_no_public_ip(props: Mapping, config: Optional[Mapping] = None, resource_type: str = INSTANCE) -> list[str]:
    if resource_type == NODE_POOL:  # an ACK node pool: its instance types, its instances' public IP
        itype = _node_pool_gpu_type(props)
        if itype is UNKNOWN:
            return [_unknown("instanceTypes (needed to tell whether this is a GPU node pool)")]
        if itype is None:
            return []
        out = _public_bandwidth(props, lambda bw: f"Set internetMaxBandwidthOut to 0 on GPU node pool ({itype}): {bw} Mbit/s gives every node a public IP.")
        eip = get(props, "scalingConfig", "isBondEip", default=False)
        if eip is UNKNOWN:
            out.append(_unknown("scalingConfig.isBondEip"))
        elif eip is True:
            out.append(f"Drop scalingConfig.isBondEip from GPU node pool ({itype}): GPU nodes take no public address.")
        return out
    itype = get(props, "instanceType")
    if itype is UNKNOWN:
        return [_unknown("instanceType (needed to tell whether this is a GPU node)")]
    if not is_gpu_instance(itype):
        return []
    out = _public_bandwidth(props, lambda bw: f"Set internetMaxBandwidthOut to 0 on GPU node {itype}: {bw} Mbit/s gives it a public IP; "
                            "reach it over the leased line and egress through a NAT gateway.")
    pub = get(props, "allocatePublicIp", default=False)
    if pub is UNKNOWN:
        out.append(_unknown("allocatePublicIp"))
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
        out.append(_unknown(f"{where} encryption"))
    elif encrypted is not True:
        out.append(f"Encrypt the {where}: set encrypted to true (it is {encrypted!r}).")
    if need_kms:
        if kms is UNKNOWN:
            out.append(_unknown(f"the {where} KMS key id"))
        elif not kms:
            out.append(f"Give the {where} a customer KMS key: this stack requires kmsKeyId on {where.split()[0]} disks.")
    return out


def check_disks_encrypted(props: Mapping, config: Optional[Mapping] = None, resource_type: str = INSTANCE) -> list[str]:
    cfg = _cfg(config, ENCRYPTION_SCHEMA)
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
        return out + [_unknown("dataDisks")]
    for i, disk in items(disks):
        if disk is UNKNOWN:
            out.append(_unknown(f"dataDisks[{i}]"))
            continue
        enc = get(disk, "encrypted", default="false" if string_flags else False)
        if string_flags and enc is not UNKNOWN:
            enc = enc in ("true", True)
        out += _disk_findings(f"data disk dataDisks[{i}]", enc, get(disk, "kmsKeyId"), "data" in need)
    return out


def check_oss_private(props: Mapping, config: Optional[Mapping] = None, resource_type: str = OSS_OBJECT) -> list[str]:
    """OSS objects and buckets stay private and encrypted (the elastic node script carries a join token)."""
    if resource_type == OSS_BUCKET_ACL:
        acl = get(props, "acl")
        if acl is UNKNOWN:
            return [_unknown("acl")]
        return [] if acl == "private" else [f"Set the bucket ACL to private (it is {acl!r}): node scripts and datasets are not public."]
    if resource_type == OSS_BUCKET:
        sse = get(props, "serverSideEncryptionRule", "sseAlgorithm")
        if sse is UNKNOWN:
            return [_unknown("serverSideEncryptionRule.sseAlgorithm")]
        return [] if sse else ["Turn on default server-side encryption for the bucket: set serverSideEncryptionRule.sseAlgorithm (AES256 or KMS)."]
    out = []
    acl = get(props, "acl", default="private")  # the provider's default is private
    if acl is UNKNOWN:
        out.append(_unknown("acl"))
    elif acl not in ("private", "default"):
        out.append(f"Set the object ACL to private (it is {acl!r}): the object must be readable only through RAM.")
    sse = get(props, "serverSideEncryption")
    if sse is UNKNOWN:
        out.append(_unknown("serverSideEncryption"))
    elif not sse:
        out.append("Encrypt the object at rest: set serverSideEncryption to AES256 or KMS.")
    return out


def check_data_disks_kept(props: Mapping, config: Optional[Mapping] = None, resource_type: str = INSTANCE) -> list[str]:
    fix = "set deleteWithInstance to false so a spot reclaim or instance replacement keeps the data."
    if resource_type in (ECS_DISK, DISK_ATTACHMENT):
        v = get(props, "deleteWithInstance", default=False)
        if v is UNKNOWN:
            return [_unknown("deleteWithInstance")]
        return [f"Keep this disk when its instance goes: {fix}"] if v is True else []
    disks = get(props, "dataDisks", default=[])
    if disks is UNKNOWN:
        return [_unknown("dataDisks")]
    out = []
    for i, disk in items(disks):
        v = get(disk, "deleteWithInstance", default=_MISSING) if disk is not UNKNOWN else UNKNOWN
        if v is UNKNOWN:
            out.append(_unknown(f"dataDisks[{i}].deleteWithInstance"))
        elif v is _MISSING or v is None:
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
_BOOTSTRAP_TOKEN = re.compile(r"^[a-z0-9]{6}\.[a-z0-9]{16}$")


def _decoded_user_data(text: str) -> list[str]:
    """The text itself plus its base64 decoding when it is one (ECS accepts both)."""
    out = [text]
    compact = "".join(text.split())
    if compact and len(compact) % 4 == 0 and re.fullmatch(r"[A-Za-z0-9+/=]+", compact):
        try:
            out.append(base64.b64decode(compact, validate=True).decode("utf-8"))
        except (binascii.Error, UnicodeDecodeError):
            pass
    return out


def check_user_data(props: Mapping, config: Optional[Mapping] = None) -> list[str]:
    cfg = _cfg(config, USER_DATA_SCHEMA)
    ud = get(props, "userData")
    if ud is UNKNOWN:
        return [_unknown("userData")]
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
    for text in _decoded_user_data(user_data):
        for label, pattern in _CREDENTIAL_PATTERNS:
            for m in pattern.finditer(text):
                if label == "a bearer token" and allow_bootstrap_token and _BOOTSTRAP_TOKEN.match(m.group("tok")):
                    continue
                found.add(label)
    return tuple(sorted(found))


# === VPC (stack policies) ===================================================

StackFinding = tuple[str, Optional[str]]  # (message, urn)

FLOW_LOG_SCHEMA = PolicyConfigSchema(
    properties={"requireFlowLogs": {"type": "boolean", "default": False, "description": "Every VPC of this stack must have a flow log."}},
)


def _deps(res: Any) -> set[str]:
    return {d.urn for d in (getattr(res, "dependencies", None) or [])} | {
        d.urn for ds in (getattr(res, "property_dependencies", None) or {}).values() for d in ds}


def check_flow_logs(resources: list, config: Optional[Mapping] = None) -> list[StackFinding]:
    cfg = _cfg(config, FLOW_LOG_SCHEMA)
    if not cfg["requireFlowLogs"]:
        return []
    logs = [r for r in resources if r.resource_type == FLOW_LOG]
    out: list[StackFinding] = []
    for vpc in (r for r in resources if r.resource_type == VPC):
        vpc_id = get(vpc.props, "id")
        covered, unknown = False, False
        for log in logs:
            kind, target = get(log.props, "resourceType"), get(log.props, "resourceId")
            if kind is UNKNOWN:
                unknown = True
                continue
            if kind != "VPC":
                continue
            if vpc.urn in _deps(log) or (target is not UNKNOWN and vpc_id not in (None, UNKNOWN) and target == vpc_id):
                covered = True
            elif target is UNKNOWN:
                unknown = True
        if covered:
            continue
        if unknown:
            out.append((_unknown("the flow logs' resourceType/resourceId"), vpc.urn))
        else:
            out.append((f"Add a VPC flow log for {vpc.name}: this stack requires flow logs on every VPC (regions[].flowLogs: true).", vpc.urn))
    return out


def _eni_conf(cm: Any) -> Any:
    """The parsed eni_conf of a Terway eni-config ConfigMap; None if this is another ConfigMap.

    Terway reads ``eni-config``; a per-region DaemonSet may mount ``eni-config-<region>``
    instead, so any ConfigMap carrying an ``eni_conf`` key counts.
    """
    raw = get(cm.props, "data", "eni_conf")
    if raw is None:
        return None
    if raw is UNKNOWN:
        return UNKNOWN
    try:
        return json.loads(raw) if isinstance(raw, str) else None
    except json.JSONDecodeError:
        return {"__invalid__": raw}


def check_pod_vswitches_distinct(resources: list, config: Optional[Mapping] = None) -> list[StackFinding]:
    node_ids: dict[str, str] = {}
    out: list[StackFinding] = []
    for inst in (r for r in resources if r.resource_type == INSTANCE):
        v = get(inst.props, "vswitchId")
        if v is UNKNOWN:
            out.append((_unknown("the instance's vswitchId"), inst.urn))
        elif v:
            node_ids[v] = inst.name
    for cm in (r for r in resources if r.resource_type == CONFIGMAP):
        conf = _eni_conf(cm)
        if conf is None:
            continue
        if conf is UNKNOWN:
            out.append((_unknown("eni-config data.eni_conf"), cm.urn))
            continue
        for zone, ids in sorted((conf.get("vswitches") or {}).items()):
            for vsw in ids or []:
                if vsw in _UNKNOWN_SENTINELS:
                    out.append((_unknown(f"the pod vSwitch id of zone {zone}"), cm.urn))
                elif vsw in node_ids:
                    out.append((f"Give Terway its own pod vSwitch in {zone}: {vsw} is also the node vSwitch of {node_ids[vsw]}, "
                                "so pods and nodes would drain the same address pool.", cm.urn))
    return out


OVERLAP_SCHEMA = PolicyConfigSchema(
    properties={
        "serviceCidr": {"type": "string", "description": "The cluster Service CIDR (generated from idc.serviceCidr)."},
        "idcRanges": {"type": "array", "items": {"type": "string"}, "default": [],
                      "description": "On-prem ranges routed over the leased line (generated from idc.nodeCidrs, podCidr, extraRanges)."},
    },
)


def check_cidr_overlap(resources: list, config: Optional[Mapping] = None) -> list[StackFinding]:
    cfg = _cfg(config, OVERLAP_SCHEMA)
    reserved = ([("the Service CIDR", cfg["serviceCidr"])] if cfg.get("serviceCidr") else []) + [("IDC range", c) for c in cfg["idcRanges"]]
    nets = [(label, c, IPNetwork(c)) for label, c in reserved]
    out: list[StackFinding] = []
    for r in resources:
        if r.resource_type not in (VPC, VSWITCH):
            continue
        cidr = get(r.props, "cidrBlock")
        if cidr is UNKNOWN:
            out.append((_unknown("cidrBlock"), r.urn))
            continue
        if not cidr:
            continue
        mine = IPNetwork(cidr)
        for label, c, other in nets:
            if mine in other or other in mine:  # two CIDR blocks overlap only when one holds the other
                kind = "VPC" if r.resource_type == VPC else "vSwitch"
                out.append((f"Move {kind} {r.name} off {c}: its {cidr} overlaps {label} {c}, so traffic to it would be routed to the wrong side.", r.urn))
    return out


# === Kubernetes ============================================================

def _pod_spec(props: Mapping, kind_path: tuple = ()) -> Any:
    kind = get(props, "kind")
    if kind == "Pod":
        return get(props, "spec")
    if kind == "CronJob":
        return get(props, "spec", "jobTemplate", "spec", "template", "spec")
    return get(props, "spec", "template", "spec")


_CNI_NAME = re.compile(r"(terway|calico-node|cilium|flannel|kube-router|multus)", re.I)
_CNI_PATHS = ("/etc/cni/net.d", "/opt/cni/bin")


def is_cni_daemonset(props: Mapping) -> bool:
    name = get(props, "metadata", "name")
    if isinstance(name, str) and _CNI_NAME.search(name):
        return True
    spec = _pod_spec(props)
    for _, vol in items(get(spec, "volumes", default=[])):
        path = get(vol, "hostPath", "path")
        if isinstance(path, str) and path.rstrip("/") in _CNI_PATHS:
            return True
    return False


VK_SCHEMA = PolicyConfigSchema(
    properties={
        "virtualNodeLabelKey": {"type": "string", "default": "type"},
        "virtualNodeLabelValue": {"type": "string", "default": "virtual-kubelet"},
    },
)


def check_cni_off_virtual_kubelet(props: Mapping, config: Optional[Mapping] = None) -> list[str]:
    cfg = _cfg(config, VK_SCHEMA)
    if not is_cni_daemonset(props):
        return []
    key, value = cfg["virtualNodeLabelKey"], cfg["virtualNodeLabelValue"]
    name = get(props, "metadata", "name")
    spec = _pod_spec(props)
    if spec is UNKNOWN:
        return [_unknown("the DaemonSet's pod spec")]
    selector = plain(get(spec, "nodeSelector", default={}))
    if isinstance(selector, dict) and key in selector and selector[key] is not UNKNOWN and selector[key] != value:
        return []  # an explicit nodeSelector on another value already excludes virtual nodes
    terms = get(spec, "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms", default=[])
    if terms is UNKNOWN:
        return [_unknown("the DaemonSet's nodeAffinity")]
    fix = (f"Add a required nodeAffinity term `{key} NotIn [{value}]` to CNI DaemonSet {name}: "
           "virtual nodes have no host network for it, and a CNI pod there never becomes ready.")
    if not terms:
        return [fix]
    for i, term in items(terms):
        ok = False
        for _, expr in items(get(term, "matchExpressions", default=[])):
            e = plain(expr)
            if not isinstance(e, dict) or e.get("key") != key:
                continue
            op, vals = e.get("operator"), e.get("values") or []
            if (op == "NotIn" and value in vals) or op == "DoesNotExist" or (op == "In" and value not in vals):
                ok = True
        if not ok:
            return [f"{fix} (nodeSelectorTerms[{i}] lets it through; terms are ORed, so each must exclude {key}={value}.)"]
    return []


HOST_PATH_SCHEMA = PolicyConfigSchema(
    properties={
        "allowedHostPaths": {
            "type": "array", "items": {"type": "string"},
            "default": [
                "/etc/cni/net.d", "/opt/cni/bin", "/var/lib/cni", "/var/run/calico", "/var/lib/calico", "/var/log/calico",
                "/var/run/nodeagent", "/run/xtables.lock", "/lib/modules", "/sys/fs/bpf", "/var/run/netns",
                "/var/run/eni", "/var/lib/kubelet/device-plugins", "/var/log/terway",
                # dcgm-exporter reads which pod holds which GPU from the kubelet's pod-resources API
                # (github:NVIDIA/dcgm-exporter deployment/values.yaml kubeletPath), read-only.
                "/var/lib/kubelet/pod-resources",
            ],
            "description": "hostPath volumes a workload may mount (a path or anything under it).",
        },
        "hostRootInitContainers": {
            "type": "array", "items": {"type": "string"}, "default": [],
            "description": "Init containers (by name) that may mount the host root (/); no long-running container "
                           "may. The program's own (Terway's terway-init) carry the waiver on the object "
                           "(hybrid-gpu.io/host-root-init.<container>: <reason>), so a stack lists only others.",
        },
    },
)


# The program's own waiver on the object (hybrid/waivers.py host_root_init_annotations): an init
# container named here, with a reason of 10+ characters, may mount the host root.
HOST_ROOT_INIT_PREFIX = "hybrid-gpu.io/host-root-init."


def _host_root_waived(props: Mapping) -> list[str]:
    ann = get(props, "metadata", "annotations", default={})
    if not isinstance(ann, Mapping):
        return []
    return [k[len(HOST_ROOT_INIT_PREFIX):] for k, v in ann.items()
            if isinstance(k, str) and k.startswith(HOST_ROOT_INIT_PREFIX) and isinstance(v, str) and len(v.strip()) >= 10]


def _host_root_only_in_init(spec: Any, volume: Any, names: list[str]) -> bool:
    """True when only the named init containers mount this volume (and at least one does)."""
    users = []
    for field in ("initContainers", "containers", "ephemeralContainers"):
        for _, c in items(get(spec, field, default=[])):
            if any(get(m, "name") == volume for _, m in items(get(c, "volumeMounts", default=[]))):
                users.append((field, get(c, "name")))
    return bool(users) and all(field == "initContainers" and name in names for field, name in users)


def check_host_paths(props: Mapping, config: Optional[Mapping] = None) -> list[str]:
    cfg = _cfg(config, HOST_PATH_SCHEMA)
    allowed = [p.rstrip("/") or "/" for p in cfg["allowedHostPaths"]]
    spec = _pod_spec(props)
    if spec is UNKNOWN:
        return [_unknown("the pod spec")]
    vols = get(spec, "volumes", default=[])
    if vols is UNKNOWN:
        return [_unknown("spec.volumes")]
    out = []
    for i, vol in items(vols):
        path = get(vol, "hostPath", "path")
        if path is None:
            continue
        if path is UNKNOWN:
            out.append(_unknown(f"volumes[{i}].hostPath.path"))
            continue
        norm = "/" + "/".join(p for p in str(path).split("/") if p and p != ".")
        if norm == "/" and _host_root_only_in_init(spec, get(vol, "name"), [*cfg["hostRootInitContainers"], *_host_root_waived(props)]):
            continue
        if ".." in norm.split("/") or not any(norm == a or norm.startswith(a.rstrip("/") + "/") for a in allowed):
            out.append(f"Remove hostPath {path} (volume {get(vol, 'name')}) or add it to this stack's allowedHostPaths with a reason: "
                       "it is not on the allowed list.")
    return out


WAIVER_KEYS = ("hybrid-gpu.io/privileged-reason", "ignore-check.kube-linter.io/privileged-container")
_CHECKOV_SKIP = re.compile(r"^checkov\.io/skip\d+$")


def _privileged_waiver(annotations: Mapping) -> Optional[str]:
    for k, v in (annotations or {}).items():
        if k in WAIVER_KEYS and isinstance(v, str) and len(v.strip()) >= 10:
            return v.strip()
        if _CHECKOV_SKIP.match(k) and isinstance(v, str) and v.startswith("CKV_K8S_16="):
            reason = v.split("=", 1)[1].strip()
            if len(reason) >= 10:
                return reason
    return None


def check_privileged_waived(props: Mapping, config: Optional[Mapping] = None) -> list[str]:
    spec = _pod_spec(props)
    if spec is UNKNOWN:
        return [_unknown("the pod spec")]
    privileged: list[str] = []
    out: list[str] = []
    for field in ("initContainers", "containers", "ephemeralContainers"):
        for i, c in items(get(spec, field, default=[])):
            p = get(c, "securityContext", "privileged")
            if p is UNKNOWN:
                out.append(_unknown(f"{field}[{i}].securityContext.privileged"))
            elif p is True:
                privileged.append(f"{field}[{i}] ({get(c, 'name')})")
    if not privileged:
        return out
    parts = [plain(get(props, "metadata", "annotations", default={})),
             plain(get(props, "spec", "template", "metadata", "annotations", default={}))]
    if any(p is UNKNOWN for p in parts):
        return out + [_unknown("the workload's annotations")]
    ann = {k: v for p in parts if isinstance(p, dict) for k, v in p.items()}
    if any(v is UNKNOWN for v in ann.values()):
        return out + [_unknown("the workload's annotations")]
    if _privileged_waiver(ann):
        return out
    return out + [f"Drop privileged from {', '.join(privileged)} or waive it with a reason in the manifest: annotate "
                  f"`checkov.io/skip1: CKV_K8S_16=<reason>` or `{WAIVER_KEYS[0]}: <reason>` (10+ characters)."]


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


def check_virtual_node(props: Mapping, config: Optional[Mapping] = None) -> list[str]:
    cfg = _cfg(config, VN_SCHEMA)
    name = get(props, "name")
    if name is UNKNOWN:
        return [_unknown("the addon name")]
    if name != "ack-virtual-node":
        return []
    out = []
    version = get(props, "version")
    want = _version(cfg["minVersion"])
    if version is UNKNOWN:
        out.append(_unknown("the ack-virtual-node version"))
    elif not version or _version(str(version)) is None:
        out.append(f"Pin ack-virtual-node to a version >= {cfg['minVersion']}: {version!r} is not a version.")
    elif _version(str(version)) < want:
        out.append(f"Upgrade ack-virtual-node to >= {cfg['minVersion']}: {version} predates the PrivateLink endpoints this platform needs.")
    raw = get(props, "config")
    if raw is UNKNOWN:
        return out + [_unknown("the ack-virtual-node config")]
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


ENI_ZONES_SCHEMA = PolicyConfigSchema(
    properties={
        "terwayAddonName": {"type": "string", "default": "terway-eniip",
                            "description": "The CS addon name of Terway (install: addon)."},
        "terwayAddonVswitchKey": {"type": "string", "default": "",
                                  "description": "The key of the addon config that lists the pod vSwitch ids "
                                                 "(generated from the program's addon key table)."},
    },
)


def _addon_vswitches(addon: Any, key: str) -> Any:
    """The pod vSwitch ids in a Terway addon's config JSON; UNKNOWN while the config is unknown."""
    raw = get(addon.props, "config")
    if raw is UNKNOWN:
        return UNKNOWN
    try:
        conf = json.loads(raw) if isinstance(raw, str) and raw else {}
    except json.JSONDecodeError:
        return {"__invalid__": raw}
    ids = conf.get(key) if key and isinstance(conf, dict) else None
    return [str(v) for v in ids] if isinstance(ids, list) else []


def check_eni_config_zones(resources: list, config: Optional[Mapping] = None) -> list[StackFinding]:
    """Terway's eni-config (or its addon's config) must list a pod vSwitch for every zone that has cloud nodes."""
    cfg = _cfg(config, ENI_ZONES_SCHEMA)
    switch_zone: dict[str, str] = {}
    for sw in (r for r in resources if r.resource_type == VSWITCH):
        sid, zone = get(sw.props, "id"), get(sw.props, "zoneId")
        if isinstance(sid, str) and isinstance(zone, str):
            switch_zone[sid] = zone
    zones: dict[str, list[str]] = {}
    out: list[StackFinding] = []
    for inst in (r for r in resources if r.resource_type == INSTANCE):
        zone = get(inst.props, "availabilityZone")
        if zone is None or zone == "":
            vsw = get(inst.props, "vswitchId")
            zone = switch_zone.get(vsw, UNKNOWN) if isinstance(vsw, str) else UNKNOWN
        if zone is UNKNOWN:
            out.append((_unknown("the instance's zone (availabilityZone or a known vswitchId)"), inst.urn))
            continue
        zones.setdefault(zone, []).append(inst.name)
    if not zones:
        return out
    cms = [(cm, _eni_conf(cm)) for cm in resources if cm.resource_type == CONFIGMAP]
    cms = [(cm, c) for cm, c in cms if c is not None]
    addons = [a for a in resources if a.resource_type == ADDON and get(a.props, "name") == cfg["terwayAddonName"]]
    if not cms and not addons:
        return out + [(f"Deploy Terway's eni-config ConfigMap or its {cfg['terwayAddonName']} addon: cloud nodes run in "
                       f"{', '.join(sorted(zones))} but neither is declared.", None)]
    # A zone is covered when an eni_conf of its region (or one without region_id) lists a vSwitch for it,
    # or the Terway addon's config lists a vSwitch of that zone.
    covered: set[str] = set()
    for addon in addons:
        ids = _addon_vswitches(addon, cfg["terwayAddonVswitchKey"])
        if ids is UNKNOWN:
            out.append((_unknown(f"{cfg['terwayAddonName']} config"), addon.urn))
            continue
        if isinstance(ids, dict):
            out.append((f"Fix the {cfg['terwayAddonName']} addon's config: it is not valid JSON.", addon.urn))
            continue
        for vsw in ids:
            if vsw in switch_zone:
                covered.add(switch_zone[vsw])
            elif vsw in _UNKNOWN_SENTINELS:
                out.append((_unknown("a pod vSwitch id in the addon config"), addon.urn))
    region_conf: dict[str, Any] = {}
    for cm, conf in cms:
        if conf is UNKNOWN:
            out.append((_unknown("eni-config data.eni_conf"), cm.urn))
            continue
        if "__invalid__" in conf:
            out.append(("Fix eni-config data.eni_conf: it is not valid JSON.", cm.urn))
            continue
        region = conf.get("region_id")
        for z, ids in (conf.get("vswitches") or {}).items():
            if ids and (not region or str(z).startswith(str(region))):
                covered.add(z)
        if region:
            region_conf.setdefault(str(region), cm)
    for zone in sorted(set(zones) - covered):
        cm = next((c for r, c in region_conf.items() if zone.startswith(r)), None)
        if cm is None and addons:
            cm = addons[0]
            where = f"the {cfg['terwayAddonName']} addon's {cfg['terwayAddonVswitchKey'] or 'pod vSwitch'} list"
        else:
            where = f"eni_conf.vswitches of {cm.name}" if cm is not None else "an eni-config ConfigMap for its region"
        out.append((f"Add zone {zone} to {where}: nodes {', '.join(sorted(zones[zone]))} run there, and Terway would "
                    "silently fall back to the node vSwitch for their pods.", cm.urn if cm is not None else None))
    return out


K8S_SECRET = "kubernetes:core/v1:Secret"

TERWAY_CREDENTIALS_SCHEMA = PolicyConfigSchema(
    properties={
        "terwayAddonName": {"type": "string", "default": "terway-eniip",
                            "description": "The CS addon name of Terway (install: addon)."},
        "addonSecretName": {"type": "string", "default": "alibaba-addon-secret",
                            "description": "The kube-system Secret registered-cluster components read their AccessKey from."},
    },
)


def _terway_daemonsets(resources: list) -> list:
    return [r for r in resources if r.resource_type == DAEMONSET
            and isinstance(get(r.props, "metadata", "name"), str) and get(r.props, "metadata", "name").startswith("terway")]


def check_terway_credentials(resources: list, config: Optional[Mapping] = None) -> list[StackFinding]:
    """Every cloud GPU node that Terway serves has a credential path: a RAM role, or an AccessKey Secret Terway reads.

    terwayd tries an AccessKey, then a credential file, then the instance's RAM role; with none of
    them every ENI call fails and no pod on the node gets an IP. Manifest mode: a Secret the Terway
    DaemonSets mount and the stack declares. Addon mode: the Secret registered-cluster components
    read (alibaba-addon-secret). Otherwise each GPU instance needs a RAM role.
    """
    cfg = _cfg(config, TERWAY_CREDENTIALS_SCHEMA)
    daemonsets = _terway_daemonsets(resources)
    addons = [a for a in resources if a.resource_type == ADDON and get(a.props, "name") == cfg["terwayAddonName"]]
    if not daemonsets and not addons:
        return []
    out: list[StackFinding] = []
    secrets = {get(r.props, "metadata", "name") for r in resources if r.resource_type == K8S_SECRET}
    mounted = set()
    for ds in daemonsets:
        for _, vol in items(get(_pod_spec(ds.props), "volumes", default=[])):
            name = get(vol, "secret", "secretName")
            if isinstance(name, str):
                mounted.add(name)
    if mounted & secrets or (addons and cfg["addonSecretName"] in secrets):
        return []
    roled = {u for att in resources if att.resource_type == RAM_ROLE_ATTACHMENT for u in _deps(att)}
    for inst in (r for r in resources if r.resource_type == INSTANCE):
        itype = get(inst.props, "instanceType")
        if itype is UNKNOWN:
            out.append((_unknown("instanceType"), inst.urn))
            continue
        if not is_gpu_instance(itype) or inst.urn in roled:
            continue
        role = get(inst.props, "roleName")
        if role is UNKNOWN:
            out.append((_unknown("the instance's roleName"), inst.urn))
        elif not role:
            out.append((f"Give Terway credentials on {inst.name}: attach a RAM role with Terway's ENI actions "
                        "(identity.nodeRole) or declare the AccessKey Secret Terway reads; with neither, every ENI "
                        "call fails and no pod on the node gets an IP.", inst.urn))
    return out


# === stack ===================================================================

LABEL_SCHEMA = PolicyConfigSchema(
    properties={
        "labelKey": {"type": "string", "default": "alibabacloud.com/external"},
        "labelValue": {"type": "string", "default": "true"},
    },
)


def check_cloud_node_label(resources: list, config: Optional[Mapping] = None) -> list[StackFinding]:
    cfg = _cfg(config, LABEL_SCHEMA)
    key, value = re.escape(cfg["labelKey"]), re.escape(cfg["labelValue"])
    # --node-labels=a=b,key=value  |  key: "value"  |  key=value in a kubelet config or cloud-init file
    pattern = re.compile(rf"(?<![\w./-]){key}\s*(=|:\s*)[\"']?{value}[\"']?(?![\w.-])")
    out: list[StackFinding] = []
    for inst in (r for r in resources if r.resource_type == INSTANCE):
        itype = get(inst.props, "instanceType")
        if itype is UNKNOWN:
            out.append((_unknown("instanceType"), inst.urn))
            continue
        if not is_gpu_instance(itype):
            continue
        ud = get(inst.props, "userData")
        if ud is UNKNOWN:
            out.append((_unknown("userData (the kubelet config)"), inst.urn))
            continue
        if not any(pattern.search(t) for t in _decoded_user_data("" if ud is None else str(ud))):
            out.append((f"Label GPU node {inst.name} {cfg['labelKey']}={cfg['labelValue']} in its kubelet config (userData): "
                        "without it Terway never schedules there and Calico does.", inst.urn))
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


def check_placement(resources: list, config: Optional[Mapping] = None) -> list[StackFinding]:
    stack = next((r for r in resources if r.resource_type == STACK), None)
    placement = get(stack.props, "placement") if stack is not None else None
    if placement is None:
        return []
    if placement is UNKNOWN:
        return [(_unknown("the placement output"), stack.urn)]
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
                out.append((_unknown(f"placement[{wl}] for {cluster}"), stack.urn))
            elif not isinstance(n, (int, float)) or n < 0:
                out.append((f"Fix placement[{wl}] for {cluster}: {n!r} is not a replica count.", stack.urn))
            elif cap is None:
                if n > 0:
                    out.append((f"Give placement[{wl}] a capacity for {cluster}: {n} replicas go there against no stated capacity.", stack.urn))
            elif n > cap:
                out.append((f"Move {n - cap} replica(s) of {wl} off {cluster}: {n} are placed where capacity is {cap}.", stack.urn))
    return out


# === leases and owners of cloud GPU capacity ============================
# The pool model tags every GPU instance with its owner and lease (hybrid/model/lease.py, same
# keys). The model never reads the calendar; this rule does, at preview and up: "today" is the
# UTC date, or HYBRID_TODAY (YYYY-MM-DD) when set, so tests and reruns can pin it.

TAG_OWNER, TAG_LEASE_END = "owner", "lease-end"
TODAY_ENV = "HYBRID_TODAY"

LEASE_WINDOW_SCHEMA = PolicyConfigSchema(
    properties={
        "warnDays": {"type": "integer", "minimum": 0, "default": 30,
                     "description": "Report GPU instances whose lease ends within this many days."},
    },
)


def lease_today() -> _dt.date:
    """The day leases are judged on; a ValueError naming TODAY_ENV when its value is no date."""
    pinned = os.environ.get(TODAY_ENV, "").strip()
    if not pinned:
        return _dt.datetime.now(_dt.timezone.utc).date()
    try:
        return _dt.date.fromisoformat(pinned)
    except ValueError:
        raise ValueError(f"Set {TODAY_ENV} to YYYY-MM-DD or unset it: {pinned!r} is not a date.") from None


def _lease_end(props: Mapping) -> Any:
    """(end date | None | UNKNOWN, problem message or None) of a GPU instance; (None, None) for other types."""
    end = get(props, "tags", TAG_LEASE_END)
    if end is UNKNOWN:
        return UNKNOWN, _unknown(f"the {TAG_LEASE_END} tag")
    if end is None:
        return None, None
    try:
        return _dt.date.fromisoformat(str(end)), None
    except ValueError:
        return None, f"Set the {TAG_LEASE_END} tag to the lease's last day as YYYY-MM-DD: {end!r} is not a date."


def _gpu(props: Mapping) -> Any:
    itype = get(props, "instanceType")
    if itype is UNKNOWN:
        return UNKNOWN
    return is_gpu_instance(itype)


def check_lease_not_expired(props: Mapping, config: Optional[Mapping] = None, today: Optional[_dt.date] = None) -> list[str]:
    gpu = _gpu(props)
    if gpu is UNKNOWN:
        return [_unknown("instanceType (needed to tell whether this is a GPU node)")]
    if not gpu:
        return []
    end, problem = _lease_end(props)
    if problem:
        return [problem]
    if end is None:
        return []
    try:
        day = today or lease_today()
    except ValueError as e:
        return [str(e)]
    if end < day:
        owner = get(props, "tags", TAG_OWNER)
        return [f"Release this GPU instance (set its pool's count to 0) or renew the lease (move lease.end forward): "
                f"the lease of owner {owner if isinstance(owner, str) else 'unknown'} ended on {end.isoformat()}."]
    return []


def check_lease_ending_soon(props: Mapping, config: Optional[Mapping] = None, today: Optional[_dt.date] = None) -> list[str]:
    if _gpu(props) is not True:
        return []  # an unknown type is reported by the mandatory lease rule
    end, problem = _lease_end(props)
    if problem or end is None or end is UNKNOWN:
        return []
    try:
        day = today or lease_today()
    except ValueError:
        return []  # reported by the mandatory lease rule
    days = int(_cfg(config, LEASE_WINDOW_SCHEMA)["warnDays"])
    left = (end - day).days
    if 0 <= left <= days:
        owner = get(props, "tags", TAG_OWNER)
        return [f"Renew or plan the release of this GPU instance: the lease of owner {owner if isinstance(owner, str) else 'unknown'} "
                f"ends on {end.isoformat()}, in {left} day(s) (window {days})."]
    return []


def check_gpu_owner(props: Mapping, config: Optional[Mapping] = None) -> list[str]:
    gpu = _gpu(props)
    if gpu is UNKNOWN:
        return [_unknown("instanceType (needed to tell whether this is a GPU node)")]
    if not gpu:
        return []
    owner = get(props, "tags", TAG_OWNER)
    if owner is UNKNOWN:
        return [_unknown(f"the {TAG_OWNER} tag")]
    if not isinstance(owner, str) or not owner.strip():
        return ["Give this GPU instance's pool a lease with an owner (lease.owner, lease.purpose, lease.end): "
                "cloud GPU capacity without an owner has no one to renew or release it."]
    return []

# === identities: RAM policies, AccessKeys, instance roles, RBAC on Secrets ==================

RAM_POLICY = "alicloud:ram/policy:Policy"
RAM_ACCESS_KEY = "alicloud:ram/accessKey:AccessKey"
RAM_ROLE_ATTACHMENT = "alicloud:ecs/ramRoleAttachment:RamRoleAttachment"
CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
GPU_POOL_TOKEN = "hybrid:gpu:GpuNodePool"

# An Alibaba AccessKey id (LTAI + 12..30 alphanumerics) or a key/value that names an AccessKey secret.
_AK_ID_RE = re.compile(r"\bLTAI[0-9A-Za-z]{12,30}\b")
_AK_KEY_RE = re.compile(r"(access[_-]?key[_-]?(id|secret)?|access[_-]?secret|accesskeysecret)$", re.IGNORECASE)


def _as_list(v: Any) -> list:
    return list(v) if isinstance(v, (list, tuple)) else [v]


def check_ram_policy_wildcards(props: Mapping, config: Optional[Mapping] = None) -> list[str]:
    doc = get(props, "policyDocument")
    if doc is UNKNOWN:
        return [_unknown("the RAM policy document")]
    if doc is None:
        doc = get(props, "document")  # the deprecated spelling
    try:
        parsed = json.loads(doc) if isinstance(doc, str) else plain(doc)
    except json.JSONDecodeError:
        return ["Fix the RAM policy document: it is not valid JSON."]
    out = []
    for i, st in enumerate(_as_list((parsed or {}).get("Statement") or [])):
        if not isinstance(st, Mapping) or str(st.get("Effect", "Allow")) != "Allow":
            continue
        actions = [str(a) for a in _as_list(st.get("Action") or [])]
        wild = [a for a in actions if "*" in a]
        if wild:
            out.append(f"List the RAM actions of statement {i} one by one: {wild} allow(s) every matching action, "
                       "more than the component documents it needs.")
        resources = [str(r) for r in _as_list(st.get("Resource") or [])]
        bare = [r for r in resources if r == "*" or re.fullmatch(r"acs:\*:.*", r)]
        if bare:
            out.append(f"Scope the resources of statement {i} (e.g. acs:ecs:<region>:*:*): {bare} covers every resource "
                       "of every service in every region. For the GPU node role set identity.nodeRoleScope: region.")
    return out


def _ak_findings(where: str, key: str, value: Any) -> list[str]:
    if not isinstance(value, str) or not value or value == REDACTED:
        return []
    if _AK_ID_RE.search(value) or (_AK_KEY_RE.search(key) and len(value) >= 16):
        return [f"Move the AccessKey in {where} into a Kubernetes Secret filled from secret stack config "
                "(pulumi config set --secret): here it is stored and shown in clear."]
    return []


def check_access_keys_in_secrets(props: Mapping, config: Optional[Mapping] = None, resource_type: str = "") -> list[str]:
    if resource_type == RAM_ACCESS_KEY:
        return ["Do not create RAM AccessKeys in the program: their secret lands in the state. Create the RAM user's "
                "key outside it and pass it in as secret stack config."]
    out: list[str] = []
    if resource_type == CONFIGMAP:
        data = get(props, "data")
        if data is UNKNOWN:
            return [_unknown("the ConfigMap data")]
        for k, v in sorted((plain(data) or {}).items()):
            inner = None
            if isinstance(v, str) and v.strip().startswith("{"):
                try:
                    inner = json.loads(v)
                except json.JSONDecodeError:
                    inner = None
            if isinstance(inner, Mapping):  # e.g. Terway's eni_conf: look at its keys
                for ik, iv in sorted(inner.items()):
                    out += _ak_findings(f"ConfigMap data.{k} ({ik})", ik, iv)
            else:
                out += _ak_findings(f"ConfigMap data.{k}", k, v)
        return out
    spec = _pod_spec(props)
    if spec is UNKNOWN:
        return [_unknown("the pod spec")]
    for c in [*(plain(get(spec, "initContainers")) or []), *(plain(get(spec, "containers")) or [])]:
        for env in (c or {}).get("env") or []:
            if "value" in env:
                out += _ak_findings(f"env {env.get('name')} of container {c.get('name')}", str(env.get("name", "")), env.get("value"))
    return out


def _parent_chain(res: Any, by_urn: Mapping[str, Any]) -> list[str]:
    """Type tokens of ``res``'s ancestors (the analyzer links parents present in the stack)."""
    types, seen = [], set()
    cur = getattr(res, "parent", None)
    while cur is not None and cur.urn not in seen:
        seen.add(cur.urn)
        types.append(cur.resource_type)
        cur = getattr(by_urn.get(cur.urn, cur), "parent", None)
    return types


def check_roles_on_gpu_pools_only(resources: list, config: Optional[Mapping] = None) -> list[StackFinding]:
    by_urn = {r.urn: r for r in resources}
    out: list[StackFinding] = []
    for att in (r for r in resources if r.resource_type == RAM_ROLE_ATTACHMENT):
        targets = [by_urn[u] for u in _deps(att) if u in by_urn and by_urn[u].resource_type == INSTANCE]
        if not targets:
            out.append((f"Attach RAM role attachment {att.name} to an instance declared in this stack (its instanceId has "
                        "no dependency on one): roles go only on GPU pool instances.", att.urn))
        for inst in targets:
            if GPU_POOL_TOKEN not in _parent_chain(inst, by_urn) or not is_gpu_instance(get(inst.props, "instanceType")):
                out.append((f"Remove the RAM role from {inst.name}: only instances of a GPU pool ({GPU_POOL_TOKEN}) carry "
                            "the node role, which holds Terway's ENI permissions.", att.urn))
    for inst in (r for r in resources if r.resource_type == INSTANCE):
        role = get(inst.props, "roleName")
        if role not in (None, "", UNKNOWN) and GPU_POOL_TOKEN not in _parent_chain(inst, by_urn):
            out.append((f"Remove roleName {role!r} from {inst.name}: only GPU pool instances carry a RAM role.", inst.urn))
    return out


def check_cluster_role_secret_wildcards(props: Mapping, config: Optional[Mapping] = None) -> list[str]:
    rules = get(props, "rules")
    if rules is UNKNOWN:
        return [_unknown("the ClusterRole rules")]
    name = get(props, "metadata", "name")
    out = []
    for i, rule in enumerate(plain(rules) or []):
        rule = rule or {}
        groups, res, verbs = rule.get("apiGroups") or [], rule.get("resources") or [], rule.get("verbs") or []
        if "*" in verbs and ({"", "*"} & set(groups)) and ({"secrets", "*"} & set(res)):
            out.append(f"List the verbs of rule {i} of ClusterRole {name}: verbs '*' on {'every resource' if '*' in res else 'secrets'} "
                       "lets its subject read and rewrite every Secret in the cluster.")
    return out


CLUSTER_ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
# The built-in ClusterRole with verbs '*' on every resource (Kubernetes "User-facing roles":
# https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles).
CLUSTER_ADMIN = "cluster-admin"
# The program's own waiver on the object (hybrid/waivers.py CLUSTER_ADMIN_KEY): a binding that
# carries it, with a reason of 10+ characters, may bind cluster-admin.
CLUSTER_ADMIN_WAIVER = "hybrid-gpu.io/cluster-admin-reason"


def check_secret_wildcards(props: Mapping, config: Optional[Mapping] = None, resource_type: str = "") -> list[str]:
    """A ClusterRole with verbs '*' on Secrets, or a (Cluster)RoleBinding that grants cluster-admin's."""
    if resource_type == CLUSTER_ROLE:
        return check_cluster_role_secret_wildcards(props, config)
    ref = get(props, "roleRef")
    if ref is UNKNOWN or get(ref, "kind") is UNKNOWN or get(ref, "name") is UNKNOWN:
        return [_unknown("the binding's roleRef")]
    if (get(ref, "kind"), get(ref, "name")) != ("ClusterRole", CLUSTER_ADMIN):
        return []
    reason = get(props, "metadata", "annotations", CLUSTER_ADMIN_WAIVER)
    if reason is UNKNOWN:
        return [_unknown(f"the binding's annotation {CLUSTER_ADMIN_WAIVER}")]
    if isinstance(reason, str) and len(reason.strip()) >= 10:
        return []
    kind = "ClusterRoleBinding" if resource_type == CLUSTER_ROLE_BINDING else "RoleBinding"
    return [f"Bind a narrower role than ClusterRole {CLUSTER_ADMIN} in {kind} {get(props, 'metadata', 'name')}, or give it the "
            f"program's waiver `{CLUSTER_ADMIN_WAIVER}: <reason>` (10+ characters): cluster-admin has verbs '*' on every "
            "resource, so its subjects read and rewrite every Secret."]


# === wiring into pulumi-policy ==============================================

ResourceCheck = Callable[..., list[str]]
StackCheck = Callable[[list, Optional[Mapping]], list[StackFinding]]


def _resource_validator(types: list[str], check: ResourceCheck, pass_type: bool = False):
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in types:
            return
        kwargs = {"resource_type": args.resource_type} if pass_type else {}
        for msg in check(args.props, args.get_config(), **kwargs):
            report_violation(msg, None)
    return validate


def _stack_validator(check: StackCheck):
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        for msg, urn in check(list(args.resources), args.get_config()):
            report_violation(msg, urn)
    return validate


M, A = EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY

# (policy name, severity, default enforcement, description, config schema, validator, kind)
# Scanner equivalents (checkov and KICS ids per policy) are listed in policy/README.md.
POLICIES = [
    ResourceValidationPolicy(
        name="sg-no-public-admin-ports", severity=Severity.CRITICAL, enforcement_level=M,
        description="Do not admit SSH, RDP, the Kubernetes API, kubelet, etcd, BGP or the Docker API from 0.0.0.0/0 or ::/0.",
        config_schema=SG_ADMIN_SCHEMA, validate=_resource_validator([SG_RULE], check_sg_admin_ports)),
    ResourceValidationPolicy(
        name="sg-no-public-all-ports", severity=Severity.CRITICAL, enforcement_level=M,
        description="Do not admit all ports or all protocols from 0.0.0.0/0 or ::/0.",
        config_schema=SG_ALL_SCHEMA, validate=_resource_validator([SG_RULE], check_sg_all_ports)),
    ResourceValidationPolicy(
        name="ecs-gpu-no-public-ip", severity=Severity.HIGH, enforcement_level=M,
        description="Keep GPU instances off the internet: give them no public IP.",
        validate=_resource_validator([INSTANCE, NODE_POOL], check_gpu_no_public_ip, pass_type=True)),
    ResourceValidationPolicy(
        name="ecs-disks-encrypted", severity=Severity.HIGH, enforcement_level=M,
        description="Encrypt system and data disks, with a customer KMS key where the stack requires one.",
        config_schema=ENCRYPTION_SCHEMA, validate=_resource_validator([INSTANCE, ECS_DISK, NODE_POOL], check_disks_encrypted, pass_type=True)),
    ResourceValidationPolicy(
        name="oss-private-encrypted", severity=Severity.HIGH, enforcement_level=M,
        description="Keep OSS buckets and objects private and encrypted at rest (the elastic node script carries a join token).",
        validate=_resource_validator([OSS_BUCKET, OSS_BUCKET_ACL, OSS_OBJECT], check_oss_private, pass_type=True)),
    ResourceValidationPolicy(
        name="ecs-data-disks-kept", severity=Severity.MEDIUM, enforcement_level=M,
        description="Keep data disks when their instance is released: set deleteWithInstance to false.",
        validate=_resource_validator([INSTANCE, ECS_DISK, DISK_ATTACHMENT], check_data_disks_kept, pass_type=True)),
    ResourceValidationPolicy(
        name="ecs-user-data-no-credentials", severity=Severity.CRITICAL, enforcement_level=M,
        description="Keep access keys, passwords, private keys and tokens out of instance user data.",
        config_schema=USER_DATA_SCHEMA, validate=_resource_validator([INSTANCE], check_user_data)),
    StackValidationPolicy(
        name="vpc-flow-logs", severity=Severity.MEDIUM, enforcement_level=M,
        description="Attach a flow log to every VPC of a stack that requires flow logs.",
        config_schema=FLOW_LOG_SCHEMA, validate=_stack_validator(check_flow_logs)),
    StackValidationPolicy(
        name="vpc-pod-vswitches-distinct", severity=Severity.HIGH, enforcement_level=M,
        description="Give Terway pod vSwitches of their own, distinct from the node vSwitches.",
        validate=_stack_validator(check_pod_vswitches_distinct)),
    StackValidationPolicy(
        name="vpc-no-cidr-overlap", severity=Severity.HIGH, enforcement_level=M,
        description="Keep VPC and vSwitch CIDRs clear of the Service CIDR and every IDC range.",
        config_schema=OVERLAP_SCHEMA, validate=_stack_validator(check_cidr_overlap)),
    ResourceValidationPolicy(
        name="k8s-cni-off-virtual-kubelet", severity=Severity.HIGH, enforcement_level=M,
        description="Keep CNI DaemonSets off virtual-kubelet nodes with a required node affinity.",
        config_schema=VK_SCHEMA, validate=_resource_validator([DAEMONSET, DAEMONSET_PATCH], check_cni_off_virtual_kubelet)),
    StackValidationPolicy(
        name="k8s-terway-eni-config-zones", severity=Severity.HIGH, enforcement_level=M,
        description="List a Terway pod vSwitch in eni-config (or the Terway addon's config) for every zone that runs cloud nodes.",
        config_schema=ENI_ZONES_SCHEMA, validate=_stack_validator(check_eni_config_zones)),
    StackValidationPolicy(
        name="k8s-terway-credentials", severity=Severity.HIGH, enforcement_level=M,
        description="Give Terway credentials on every cloud GPU node: a RAM role, or the AccessKey Secret it reads.",
        config_schema=TERWAY_CREDENTIALS_SCHEMA, validate=_stack_validator(check_terway_credentials)),
    ResourceValidationPolicy(
        name="k8s-allowed-host-paths", severity=Severity.HIGH, enforcement_level=M,
        description="Mount only allowed hostPath directories into pods.",
        config_schema=HOST_PATH_SCHEMA, validate=_resource_validator(WORKLOAD_TYPES, check_host_paths)),
    ResourceValidationPolicy(
        name="k8s-privileged-needs-waiver", severity=Severity.HIGH, enforcement_level=M,
        description="Run privileged containers only with a waiver annotation that states the reason.",
        validate=_resource_validator(WORKLOAD_TYPES, check_privileged_waived)),
    ResourceValidationPolicy(
        name="ack-virtual-node-config", severity=Severity.MEDIUM, enforcement_level=M,
        description="Run ack-virtual-node at the minimum version or later with exactly one default region.",
        config_schema=VN_SCHEMA, validate=_resource_validator([ADDON], check_virtual_node)),
    StackValidationPolicy(
        name="stack-gpu-cloud-node-label", severity=Severity.HIGH, enforcement_level=M,
        description="Label every GPU instance as a cloud node in its kubelet configuration.",
        config_schema=LABEL_SCHEMA, validate=_stack_validator(check_cloud_node_label)),
    StackValidationPolicy(
        name="stack-placement-within-capacity", severity=Severity.MEDIUM, enforcement_level=M,
        description="Place no workload's replicas above a cluster's stated capacity.",
        validate=_stack_validator(check_placement)),
    # leases and owners of cloud GPU capacity
    ResourceValidationPolicy(
        name="ecs-gpu-lease-not-expired", severity=Severity.HIGH, enforcement_level=M,
        description="Run no GPU instance past the end of its pool's lease: release it or renew the lease.",
        validate=_resource_validator([INSTANCE], check_lease_not_expired)),
    ResourceValidationPolicy(
        name="ecs-gpu-lease-ending-soon", severity=Severity.LOW, enforcement_level=A,
        description="Report GPU instances whose lease ends within the stack's warning window.",
        config_schema=LEASE_WINDOW_SCHEMA, validate=_resource_validator([INSTANCE], check_lease_ending_soon)),
    ResourceValidationPolicy(
        name="ecs-gpu-owner-tagged", severity=Severity.MEDIUM, enforcement_level=M,
        description="Tag every GPU instance with the team that owns its pool.",
        validate=_resource_validator([INSTANCE], check_gpu_owner)),
    # identities
    ResourceValidationPolicy(
        name="ram-policy-no-wildcards", severity=Severity.CRITICAL, enforcement_level=M,
        description="Grant RAM actions by name on scoped resources: no '*' in actions, no bare '*' resource.",
        validate=_resource_validator([RAM_POLICY], check_ram_policy_wildcards)),
    ResourceValidationPolicy(
        name="access-keys-only-in-secrets", severity=Severity.CRITICAL, enforcement_level=M,
        description="Keep AccessKeys in Kubernetes Secrets filled from secret config; never in ConfigMaps, env or RAM AccessKey resources.",
        validate=_resource_validator([RAM_ACCESS_KEY, CONFIGMAP, *WORKLOAD_TYPES], check_access_keys_in_secrets, pass_type=True)),
    StackValidationPolicy(
        name="ecs-ram-roles-gpu-pools-only", severity=Severity.HIGH, enforcement_level=M,
        description="Attach RAM roles only to instances of the GPU pools.",
        validate=_stack_validator(check_roles_on_gpu_pools_only)),
    ResourceValidationPolicy(
        name="k8s-no-wildcard-verbs-on-secrets", severity=Severity.HIGH, enforcement_level=M,
        description="Give no ClusterRole the verb '*' on Secrets, and bind cluster-admin only with the program's waiver.",
        validate=_resource_validator([CLUSTER_ROLE, CLUSTER_ROLE_BINDING, ROLE_BINDING], check_secret_wildcards, pass_type=True)),
]

PACK_NAME = "hybrid-gpu-policies"
