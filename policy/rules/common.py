"""What every policy of the pack shares: reading (proxied, possibly unknown) properties, the
resource types the policies look at, and the two decorators that make a check a policy.

A policy is its check and its metadata in one place::

    @resource_policy(name="...", severity=Severity.HIGH, level=M, types=[INSTANCE], description="...")
    def check_x(props, config=None) -> list[str]: ...

    @stack_policy(name="...", severity=Severity.HIGH, level=M, description="...")
    def check_y(resources, config=None) -> list[tuple[str, urn | None]]: ...

A check returns violation messages; the decorator appends the pulumi-policy object to
``POLICIES`` and returns the function unchanged, so tests call checks directly.

Unknown values: during ``pulumi preview`` the engine sends computed values as a
sentinel, and pulumi-policy's proxy raises ``UnknownValueError`` when a rule
reads one. If that exception escaped, pulumi-policy would turn it into an
*advisory* diagnostic, so a mandatory rule would silently pass. Here every read
goes through :func:`get`, which returns :data:`UNKNOWN` instead, and each rule
reports "cannot be verified" (:func:`cannot_verify`) as a violation at its own
enforcement level.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any, Callable, Iterable, Mapping, Optional

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


class _Unknown:
    """Marker for a value the engine could not compute yet (preview)."""

    def __repr__(self) -> str:
        return "<unknown>"

    def __bool__(self) -> bool:  # never let an unknown read as "false, so fine"
        raise TypeError("an unknown value has no truth value; test `is UNKNOWN` first")


UNKNOWN = _Unknown()
MISSING = object()

# The engine's sentinels; pulumi-policy's proxy recognises the same strings.
UNKNOWN_SENTINELS = {
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
                cur = cur[key] if 0 <= key < len(cur) else MISSING
            else:
                if not isinstance(cur, Mapping):
                    return default
                cur = cur[key] if key in cur else MISSING
        except UnknownValueError:
            return UNKNOWN
        except (KeyError, IndexError, TypeError):
            return default
        if cur is MISSING:
            return default
    if isinstance(cur, str) and cur in UNKNOWN_SENTINELS:
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


def cannot_verify(what: str) -> str:
    return (f"Make {what} known at preview or run the policy after `pulumi up`: it is unknown now, "
            "and a mandatory rule must not pass on a value it cannot see.")


def config_of(config: Optional[Mapping[str, Any]], schema: PolicyConfigSchema) -> dict[str, Any]:
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
K8S_SECRET = "kubernetes:core/v1:Secret"
RAM_POLICY = "alicloud:ram/policy:Policy"
RAM_ACCESS_KEY = "alicloud:ram/accessKey:AccessKey"
RAM_ROLE_ATTACHMENT = "alicloud:ecs/ramRoleAttachment:RamRoleAttachment"
CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
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


def decoded_user_data(text: str) -> list[str]:
    """The text itself plus its base64 decoding when it is one (ECS accepts both)."""
    out = [text]
    compact = "".join(text.split())
    if compact and len(compact) % 4 == 0 and re.fullmatch(r"[A-Za-z0-9+/=]+", compact):
        try:
            out.append(base64.b64decode(compact, validate=True).decode("utf-8"))
        except (binascii.Error, UnicodeDecodeError):
            pass
    return out


StackFinding = tuple[str, Optional[str]]  # (message, urn)


def deps(res: Any) -> set[str]:
    return {d.urn for d in (getattr(res, "dependencies", None) or [])} | {
        d.urn for ds in (getattr(res, "property_dependencies", None) or {}).values() for d in ds}


def pod_spec(props: Mapping) -> Any:
    """The pod spec of a Pod, CronJob or any workload with spec.template."""
    kind = get(props, "kind")
    if kind == "Pod":
        return get(props, "spec")
    if kind == "CronJob":
        return get(props, "spec", "jobTemplate", "spec", "template", "spec")
    return get(props, "spec", "template", "spec")


# === checks as pulumi-policy objects ========================================

ResourceCheck = Callable[..., list[str]]
StackCheck = Callable[[list, Optional[Mapping]], list[StackFinding]]
M, A = EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY

# Every policy of the pack, in the order the area modules declare them (rules/__init__.py imports them).
POLICIES: list[ResourceValidationPolicy | StackValidationPolicy] = []


def resource_policy(*, name: str, severity: Severity, level: EnforcementLevel, types: list[str], description: str,
                    config_schema: Optional[PolicyConfigSchema] = None, pass_type: bool = False) -> Callable[[ResourceCheck], ResourceCheck]:
    """Declare ``check`` a resource policy run on ``types``; ``pass_type`` hands it ``resource_type=``."""
    def register(check: ResourceCheck) -> ResourceCheck:
        def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
            if args.resource_type not in types:
                return
            kwargs = {"resource_type": args.resource_type} if pass_type else {}
            for msg in check(args.props, args.get_config(), **kwargs):
                report_violation(msg, None)
        POLICIES.append(ResourceValidationPolicy(name=name, severity=severity, enforcement_level=level, description=description,
                                                 config_schema=config_schema, validate=validate))
        return check
    return register


def stack_policy(*, name: str, severity: Severity, level: EnforcementLevel, description: str,
                 config_schema: Optional[PolicyConfigSchema] = None) -> Callable[[StackCheck], StackCheck]:
    """Declare ``check`` a stack policy: it sees every resource and reports (message, urn) pairs."""
    def register(check: StackCheck) -> StackCheck:
        def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
            for msg, urn in check(list(args.resources), args.get_config()):
                report_violation(msg, urn)
        POLICIES.append(StackValidationPolicy(name=name, severity=severity, enforcement_level=level, description=description,
                                              config_schema=config_schema, validate=validate))
        return check
    return register
