"""Network policies: security-group exposure, VPC flow logs and CIDRs, and the dual CNI's
network facts (Terway's pod vSwitches per zone, the cloud-node label that keeps Calico and
Terway apart)."""

from __future__ import annotations

import json
import re
from typing import Any, Mapping, Optional

from netaddr import AddrFormatError, IPNetwork
from pulumi_policy import PolicyConfigSchema, Severity

from .common import (
    ADDON, CONFIGMAP, INSTANCE, M, SG_RULE, UNKNOWN, UNKNOWN_SENTINELS, VPC, VSWITCH, FLOW_LOG, StackFinding,
    cannot_verify, config_of, decoded_user_data, deps, get, is_gpu_instance, resource_policy, stack_policy,
)


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


def _open_ingress(props: Mapping, cfg: Mapping) -> tuple[Optional[list[str]], list[str], Any, Any]:
    """(verdict, sources that count as 'anywhere', protocol, port range) of a security-group rule: a
    verdict ends the check (the rule admits nothing from anywhere, or cannot be told); None leaves
    an ingress accept rule from a wide source to the caller."""
    ingress = _ingress_accept(props)
    if ingress is UNKNOWN:
        return [cannot_verify("the rule's type and policy")], [], None, None
    if not ingress:
        return [], [], None, None
    wide, unknown = _open_sources(props, cfg)
    proto = get(props, "ipProtocol")
    ports = _port_range(get(props, "portRange"))
    if proto is UNKNOWN or ports is UNKNOWN:
        return ([cannot_verify("ipProtocol and portRange")] if (wide or unknown) else []), [], None, None
    if unknown and not wide:
        return [cannot_verify(" and ".join(unknown))], [], None, None
    if not wide:
        return [], [], None, None
    return None, wide, proto, ports


@resource_policy(name="sg-no-public-admin-ports", severity=Severity.CRITICAL, level=M, types=[SG_RULE], config_schema=SG_ADMIN_SCHEMA,
                 description="Do not admit SSH, RDP, the Kubernetes API, kubelet, etcd, BGP or the Docker API from 0.0.0.0/0 or ::/0.")
def check_sg_admin_ports(props: Mapping, config: Optional[Mapping] = None) -> list[str]:
    cfg = config_of(config, SG_ADMIN_SCHEMA)
    verdict, wide, proto, ports = _open_ingress(props, cfg)
    if verdict is not None:
        return verdict
    if str(proto).lower() not in ("tcp", "udp", "all"):
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


@resource_policy(name="sg-no-public-all-ports", severity=Severity.CRITICAL, level=M, types=[SG_RULE], config_schema=SG_ALL_SCHEMA,
                 description="Do not admit all ports or all protocols from 0.0.0.0/0 or ::/0.")
def check_sg_all_ports(props: Mapping, config: Optional[Mapping] = None) -> list[str]:
    cfg = config_of(config, SG_ALL_SCHEMA)
    verdict, wide, proto, ports = _open_ingress(props, cfg)
    if verdict is not None:
        return verdict
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


FLOW_LOG_SCHEMA = PolicyConfigSchema(
    properties={"requireFlowLogs": {"type": "boolean", "default": False, "description": "Every VPC of this stack must have a flow log."}},
)


@stack_policy(name="vpc-flow-logs", severity=Severity.MEDIUM, level=M, config_schema=FLOW_LOG_SCHEMA,
              description="Attach a flow log to every VPC of a stack that requires flow logs.")
def check_flow_logs(resources: list, config: Optional[Mapping] = None) -> list[StackFinding]:
    cfg = config_of(config, FLOW_LOG_SCHEMA)
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
            if vpc.urn in deps(log) or (target is not UNKNOWN and vpc_id not in (None, UNKNOWN) and target == vpc_id):
                covered = True
            elif target is UNKNOWN:
                unknown = True
        if covered:
            continue
        if unknown:
            out.append((cannot_verify("the flow logs' resourceType/resourceId"), vpc.urn))
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


@stack_policy(name="vpc-pod-vswitches-distinct", severity=Severity.HIGH, level=M,
              description="Give Terway pod vSwitches of their own, distinct from the node vSwitches.")
def check_pod_vswitches_distinct(resources: list, config: Optional[Mapping] = None) -> list[StackFinding]:
    node_ids: dict[str, str] = {}
    out: list[StackFinding] = []
    for inst in (r for r in resources if r.resource_type == INSTANCE):
        v = get(inst.props, "vswitchId")
        if v is UNKNOWN:
            out.append((cannot_verify("the instance's vswitchId"), inst.urn))
        elif v:
            node_ids[v] = inst.name
    for cm in (r for r in resources if r.resource_type == CONFIGMAP):
        conf = _eni_conf(cm)
        if conf is None:
            continue
        if conf is UNKNOWN:
            out.append((cannot_verify("eni-config data.eni_conf"), cm.urn))
            continue
        for zone, ids in sorted((conf.get("vswitches") or {}).items()):
            for vsw in ids or []:
                if vsw in UNKNOWN_SENTINELS:
                    out.append((cannot_verify(f"the pod vSwitch id of zone {zone}"), cm.urn))
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


@stack_policy(name="vpc-no-cidr-overlap", severity=Severity.HIGH, level=M, config_schema=OVERLAP_SCHEMA,
              description="Keep VPC and vSwitch CIDRs clear of the Service CIDR and every IDC range.")
def check_cidr_overlap(resources: list, config: Optional[Mapping] = None) -> list[StackFinding]:
    cfg = config_of(config, OVERLAP_SCHEMA)
    reserved = ([("the Service CIDR", cfg["serviceCidr"])] if cfg.get("serviceCidr") else []) + [("IDC range", c) for c in cfg["idcRanges"]]
    nets = [(label, c, IPNetwork(c)) for label, c in reserved]
    out: list[StackFinding] = []
    for r in resources:
        if r.resource_type not in (VPC, VSWITCH):
            continue
        cidr = get(r.props, "cidrBlock")
        if cidr is UNKNOWN:
            out.append((cannot_verify("cidrBlock"), r.urn))
            continue
        if not cidr:
            continue
        kind = "VPC" if r.resource_type == VPC else "vSwitch"
        try:
            mine = IPNetwork(str(cidr))
        except (AddrFormatError, ValueError):
            out.append((f"Fix the cidrBlock of {kind} {r.name}: {cidr!r} is not an IPv4 CIDR block (a.b.c.d/n).", r.urn))
            continue
        for label, c, other in nets:
            if mine in other or other in mine:  # two CIDR blocks overlap only when one holds the other
                out.append((f"Move {kind} {r.name} off {c}: its {cidr} overlaps {label} {c}, so traffic to it would be routed to the wrong side.", r.urn))
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


@stack_policy(name="k8s-terway-eni-config-zones", severity=Severity.HIGH, level=M, config_schema=ENI_ZONES_SCHEMA,
              description="List a Terway pod vSwitch in eni-config (or the Terway addon's config) for every zone that runs cloud nodes.")
def check_eni_config_zones(resources: list, config: Optional[Mapping] = None) -> list[StackFinding]:
    """Terway's eni-config (or its addon's config) must list a pod vSwitch for every zone that has cloud nodes."""
    cfg = config_of(config, ENI_ZONES_SCHEMA)
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
            out.append((cannot_verify("the instance's zone (availabilityZone or a known vswitchId)"), inst.urn))
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
            out.append((cannot_verify(f"{cfg['terwayAddonName']} config"), addon.urn))
            continue
        if isinstance(ids, dict):
            out.append((f"Fix the {cfg['terwayAddonName']} addon's config: it is not valid JSON.", addon.urn))
            continue
        for vsw in ids:
            if vsw in switch_zone:
                covered.add(switch_zone[vsw])
            elif vsw in UNKNOWN_SENTINELS:
                out.append((cannot_verify("a pod vSwitch id in the addon config"), addon.urn))
    region_conf: dict[str, Any] = {}
    for cm, conf in cms:
        if conf is UNKNOWN:
            out.append((cannot_verify("eni-config data.eni_conf"), cm.urn))
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


# === stack ===================================================================

LABEL_SCHEMA = PolicyConfigSchema(
    properties={
        "labelKey": {"type": "string", "default": "alibabacloud.com/external"},
        "labelValue": {"type": "string", "default": "true"},
    },
)


@stack_policy(name="stack-gpu-cloud-node-label", severity=Severity.HIGH, level=M, config_schema=LABEL_SCHEMA,
              description="Label every GPU instance as a cloud node in its kubelet configuration.")
def check_cloud_node_label(resources: list, config: Optional[Mapping] = None) -> list[StackFinding]:
    cfg = config_of(config, LABEL_SCHEMA)
    key, value = re.escape(cfg["labelKey"]), re.escape(cfg["labelValue"])
    # --node-labels=a=b,key=value  |  key: "value"  |  key=value in a kubelet config or cloud-init file
    pattern = re.compile(rf"(?<![\w./-]){key}\s*(=|:\s*)[\"']?{value}[\"']?(?![\w.-])")
    out: list[StackFinding] = []
    for inst in (r for r in resources if r.resource_type == INSTANCE):
        itype = get(inst.props, "instanceType")
        if itype is UNKNOWN:
            out.append((cannot_verify("instanceType"), inst.urn))
            continue
        if not is_gpu_instance(itype):
            continue
        ud = get(inst.props, "userData")
        if ud is UNKNOWN:
            out.append((cannot_verify("userData (the kubelet config)"), inst.urn))
            continue
        if not any(pattern.search(t) for t in decoded_user_data("" if ud is None else str(ud))):
            out.append((f"Label GPU node {inst.name} {cfg['labelKey']}={cfg['labelValue']} in its kubelet config (userData): "
                        "without it Terway never schedules there and Calico does.", inst.urn))
    return out
