"""The whole platform, built once from stack config, validated as a unit.

``load(raw)`` runs three passes and raises :class:`ConfigError` listing every
problem with its field path and fix:

1. field validation by pydantic (types, formats, per-object rules);
2. CIDR auto-planning for zones given without CIDRs;
3. cross-field checks that need the whole picture (overlaps, references).
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Iterable, Literal, Mapping, Optional

from pydantic import Field, ValidationError

from hybrid import partial, regions
from hybrid.cidr import MAX_VSWITCH_PREFIX, MIN_VSWITCH_PREFIX, PlanningError, plan_zones
from hybrid.errors import ConfigError, ConfigIssue, validation_issues
from hybrid.model.base import Model, net, overlaps, zone_in_region
from hybrid.model.cni import Cni
from hybrid.model import leased_line as leased_line_model
from hybrid.model import cni as cni_model
from hybrid.model import pricing as pricing_model
from hybrid.model.identity import CONDITIONAL_SECRET_KEYS, Identity
from hybrid.model.identity import check as check_identity
from hybrid.model.identity import check_join_token_role
from hybrid.model.gpu_driver import GpuSupport, kubelet_may_set
from hybrid.model.metrics import Metrics
from hybrid.model.network import Idc, Region
from hybrid.model.node_access import NodeAccess
from hybrid.model.node_access import check as check_node_access
from hybrid.model.jobs import Jobs
from hybrid.model.placement import Placement
from hybrid.model import registration as registration_model
from hybrid.model.registration import Registration
from hybrid.model.virtual_node import VirtualNode
from hybrid.model.virtual_node import check as check_virtual_node

# The node label that names a node's pool (hybrid.cloudinit.LABEL_POOL; the model cannot import the renderer).
LABEL_POOL_KEY = "hybrid.example.com/gpu-pool"

# Stack-config keys (in the project namespace) that hold plain objects.
CONFIG_KEYS = ("environment", "idc", "regions", "registration", "cni", "virtualNode", "placement", "pricing", "identity", "gpu",
               "metrics", "nodeAccess", "jobs")
# Stack-config keys that must be Pulumi secrets, with what they hold. caCertHash is a hash of the IDC
# CA's public key, not a secret (kubeadm prints it with every `kubeadm token create --print-join-command`);
# it stays secret config so that stacks set up with `--secret` keep working.
SECRET_KEYS = {
    "caCertHash": "sha256:<hex> of the IDC cluster CA public key, for kubeadm join",
}
# Keys no longer read, with why and the fix: the join token never passes through Pulumi (neither
# config nor state, which previews can decrypt): it lives in each GPU region's OSS object
# (hybrid.model.join_token), written by `hybrid-gpu join-token put`.
RETIRED_KEYS = {
    "bootstrapToken": "the join token is no longer stack config: nodes read it from their region's OSS object",
    "elasticBootstrapToken": "the join token is no longer stack config: nodes read it from their region's OSS object",
}
RETIRED_FIX = "run `pulumi config rm {key}`, and write the token with `hybrid-gpu join-token put --stack <stack>` (docs/operations.md)."
# The clusters' kubeconfigs are files named by these environment variables, not stack config: the
# Kubernetes providers get the path, so no credential enters the state, and each job (a preview with
# a read-only kubeconfig, an update with the deploy one) brings its own file to the same path.
KUBECONFIG_ENV = {
    "HYBRID_IDC_KUBECONFIG": "path of the IDC cluster's kubeconfig file, for the Kubernetes providers",
    "HYBRID_FLEET_KUBECONFIG": "path of the ACK One Fleet's kubeconfig file (only read with registration.fleet.apply: true)",
}
# Secret keys that only some settings need (hybrid.model.identity.required_secrets says which).
OPTIONAL_SECRET_KEYS = dict(CONDITIONAL_SECRET_KEYS)


class Platform(Model):
    environment: Literal["dev", "staging", "prod"]
    idc: Idc
    regions: list[Region] = Field(min_length=1)
    registration: Registration
    cni: Cni = Cni()
    virtual_node: VirtualNode = VirtualNode()
    placement: Placement = Placement()
    pricing: Optional[pricing_model.Pricing] = None
    identity: Identity = Identity()
    gpu: GpuSupport = GpuSupport()
    metrics: Metrics = Metrics()
    node_access: NodeAccess = Field(default=NodeAccess(), description="How cloud GPU nodes reach what they need (docs/gpu-nodes.md).")
    jobs: Jobs = Jobs()

    def region(self, region_id: str) -> Region:
        for r in self.regions:
            if r.id == region_id:
                return r
        raise KeyError(region_id)


def _pydantic_issues(err: ValidationError) -> list[ConfigIssue]:
    errors = err.errors()
    issues = validation_issues(errors, key_style="camelCase", reference="docs/config.md (the stack config reference)")
    out = []
    for e, issue in zip(errors, issues):
        if e["type"] == "extra_forbidden" and e["loc"] and isinstance(e["loc"][-1], str):
            hint = _close(e["loc"][-1], _keys_at(e["loc"][:-1]))
            if hint:
                issue = ConfigIssue(issue.path, f"{issue.message} Did you mean {hint}?", issue.fix)
        out.append(issue)
    return out


def _close(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str:
    import difflib

    by_lower = {c.lower(): c for c in sorted(choices)}  # vpcCIDR is vpcCidr misspelt, not a new word
    return " or ".join(by_lower[c] for c in difflib.get_close_matches(word.lower(), list(by_lower), n=2, cutoff=cutoff))


# Zone ids of a region differ in their last letter, so any other zone is "close"; only a near-identical
# id (cn-beijing-gg: a doubled or dropped character) is a guess worth printing.
ZONE_CUTOFF = 0.93


def _keys_at(loc: tuple[str | int, ...]) -> list[str]:
    """The camelCase keys the model accepts at ``loc`` (a pydantic error location), or [] when unknown."""
    import typing

    from pydantic import BaseModel

    def models(tp: Any) -> list[type[BaseModel]]:
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            return [tp]
        return [m for arg in typing.get_args(tp) for m in models(arg)]

    current: list[type[BaseModel]] = [Platform]
    for part in loc:
        if isinstance(part, int) or not current:
            continue  # a list index: the item type is already what models() found
        nxt: list[type[BaseModel]] = []
        for cls in current:
            for name, f in cls.model_fields.items():
                if part in (name, f.alias):
                    nxt += models(f.annotation)
        # Every part of an error's location exists in the input, so a part that names no field is a
        # dict key (nodeAccess.regions.<region id>): its value type is what models() already found.
        current = nxt or current
    return sorted({f.alias or name for cls in current for name, f in cls.model_fields.items()})


# --- pass 2: auto-planning -------------------------------------------------

def _autoplan(p: Platform) -> tuple[Platform, list[ConfigIssue]]:
    issues: list[ConfigIssue] = []
    regions = []
    for ri, r in enumerate(p.regions):
        region, region_issues = _autoplan_region(ri, r)
        regions.append(region)
        issues += region_issues
    return p.model_copy(update={"regions": regions}), issues


def _autoplan_region(ri: int, r: Region) -> tuple[Region, list[ConfigIssue]]:
    todo = [z.id for z in r.zones if not z.node_vswitch_cidr and not z.pod_vswitch_cidr]
    if not todo:
        return r, []
    used = [c for z in r.zones for c in (z.node_vswitch_cidr, z.pod_vswitch_cidr) if c]
    try:
        plans = {zp.zone: zp for zp in plan_zones(r.vpc_cidr, todo, used, r.auto_plan.node_prefix, r.auto_plan.pod_prefix)}
    except PlanningError as e:
        return r, [ConfigIssue(f"regions[{ri}].vpcCidr", f"cannot plan vSwitches for zones {todo}: {e}.",
                               "use a larger vpcCidr, smaller autoPlan prefixes, or give the zones explicit CIDRs.")]
    zones = [z.model_copy(update={"node_vswitch_cidr": plans[z.id].node_cidr, "pod_vswitch_cidr": plans[z.id].pod_cidr})
             if z.id in plans else z for z in r.zones]
    return r.model_copy(update={"zones": zones}), []


# --- pass 3: cross-field checks ------------------------------------------

CrossCheck = Callable[[Platform], Iterable[ConfigIssue]]
CROSS_CHECKS: list[CrossCheck] = []


def cross_check(fn: CrossCheck) -> CrossCheck:
    CROSS_CHECKS.append(fn)
    return fn


# Warnings: a rule that is a preference, or a limit that no source confirms for this use. The
# config plans; `hybrid-gpu plan` prints each one (docs/validators.md lists them with the reason).
WARNING_CHECKS: list[CrossCheck] = []


def warning_check(fn: CrossCheck) -> CrossCheck:
    WARNING_CHECKS.append(fn)
    return fn


def warnings(p: Platform) -> list[ConfigIssue]:
    """Every warning of a valid platform, sorted like errors."""
    return sorted({i for check in WARNING_CHECKS for i in check(p)}, key=lambda i: (i.path, i.message))


# CreateCluster documents service_cidr as "10.0.0.0/16-24, 172.16-31.0.0/16-24, 192.168.0.0/16-24" for the
# clusters ACK creates (ACK managed: the API picks the range the new apiserver gets;
# https://www.alibabacloud.com/help/en/ack/ack-managed-and-ack-dedicated/developer-reference/api-cs-2015-12-15-createcluster).
# A registered cluster's Service CIDR is the external cluster's own, fixed when it was set up (kubeadm's
# default is 10.96.0.0/12: kubernetes/kubernetes cmd/kubeadm/app/apis/kubeadm/v1beta4/defaults.go
# DefaultServicesSubnet), and no source says registration constrains it: it is a warning, with the
# registration call's check recorded in hybrid/unconfirmed.py (registration.serviceCidrRange).
@warning_check
def _spot_limit_unused(p: Platform) -> Iterable[ConfigIssue]:
    for ri, r in enumerate(p.regions):
        # The two kinds' billing differ: a fixed pool names its strategy, an elastic pool mixes on-demand and spot.
        limits = [("gpuPools", pi, pool.billing.spot_price_limit, pool.billing.strategy == "Spot")
                  for pi, pool in enumerate(r.gpu_pools)]
        limits += [("elasticPools", pi, epool.billing.spot_price_limit, epool.billing.uses_spot)
                   for pi, epool in enumerate(r.elastic_pools)]
        for kind, pi, limit, spot in limits:
            if limit is not None and not spot:
                yield ConfigIssue(f"regions[{ri}].{kind}[{pi}].billing.spotPriceLimit",
                                  "is set but the pool buys no spot instances, so it has no effect.",
                                  "drop it, or buy spot (strategy: Spot / onDemandPercentageAboveBase below 100).")


@warning_check
def _autoscaler_policy_attached(p: Platform) -> Iterable[ConfigIssue]:
    # components/elastic.py creates the autoscaler's RAM policy and attaches it to registration.autoscaler.ramUser,
    # the user whose AccessKey is in alibaba-addon-secret (registered-cluster components read their AccessKey there:
    # ALIBABA-NOTES, onectl). Without ramUser the policy is attached to no one: a warning, since the operator may
    # have attached it by hand.
    if any(r.elastic_pools for r in p.regions) and not p.registration.autoscaler.ram_user:
        yield ConfigIssue("registration.autoscaler.ramUser",
                          "is not set, so the cluster-autoscaler's RAM policy is created but attached to no one; the "
                          "autoscaler (AccessKey in alibaba-addon-secret) cannot scale the elastic pools unless that "
                          "user has the policy some other way.",
                          "set ramUser to the RAM user of addonAccessKeyId.")


@warning_check
def _admin_agent_read_only_console(p: Platform) -> Iterable[ConfigIssue]:
    # A preference while ACK has nothing to do in the cluster (with a component or a node pool the config is
    # _agent_mode's error, so it never gets here): ACK treats the agent as an administrator, but the manifest's
    # RBAC is not applied (hybrid/agent.py), so the agent holds only the read-only ClusterRole the program binds.
    reg = p.registration
    if reg.agent.mode == "admin" and reg.console_access != "admin":
        yield ConfigIssue("registration.agent.mode", "is admin but consoleAccess is read-only: the program binds the agent only the "
                          "read-only ClusterRole (the manifest's cluster-admin binding is not applied), so ACK's administrator "
                          "operations would fail.",
                          "use agent.mode: restricted for a read-only console, or set consoleAccess: admin deliberately.")


SERVICE_CIDR_PARENTS = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")


@warning_check
def _service_cidr_documented_range(p: Platform) -> Iterable[ConfigIssue]:
    from hybrid import unconfirmed

    n = net(p.idc.service_cidr)
    if 16 <= n.prefixlen <= 24 and any(n in net(parent) for parent in SERVICE_CIDR_PARENTS):
        return
    yield ConfigIssue("idc.serviceCidr",
                      f"{p.idc.service_cidr} is outside the range CreateCluster documents for clusters ACK creates "
                      f"({unconfirmed.UNCONFIRMED['registration.serviceCidrRange'].value}); for a registered cluster it is "
                      "the IDC cluster's own Service CIDR and the program passes it on unchanged.",
                      "keep it (it must equal kube-apiserver's --service-cluster-ip-range); "
                      "`hybrid-gpu unconfirmed` says how to confirm the registration call accepts it.")


@cross_check
def _idc_ranges(p: Platform) -> Iterable[ConfigIssue]:
    ranges = p.idc.ranges
    for i, (fa, a) in enumerate(ranges):
        for fb, b in ranges[i + 1:]:
            if overlaps(a, b):
                yield ConfigIssue(f"idc.{fb}", f"{b} overlaps idc.{fa} {a}.", "give every on-prem range its own block.")
        if overlaps(a, p.idc.service_cidr):
            yield ConfigIssue("idc.serviceCidr", f"{p.idc.service_cidr} overlaps idc.{fa} {a}.", "pick a Service CIDR no on-prem range uses.")


@cross_check
def _regions(p: Platform) -> Iterable[ConfigIssue]:
    seen: dict[str, int] = {}
    for ri, r in enumerate(p.regions):
        base = f"regions[{ri}]"
        if r.id in seen:
            yield ConfigIssue(f"{base}.id", f"region {r.id} is listed twice (also regions[{seen[r.id]}]).", "merge the two entries.")
        seen.setdefault(r.id, ri)
        if overlaps(r.vpc_cidr, p.idc.service_cidr):
            # ACK's CIDR planning: "The Service CIDR block cannot overlap with the VPC CIDR block"; Terway
            # (eni_conf service_cidr) sends pod traffic for the Service CIDR to the host's Service path, so VPC
            # addresses inside it would be unreachable from cloud pods.
            # source: https://www.alibabacloud.com/help/en/ack/ack-managed-and-ack-dedicated/user-guide/plan-cidr-blocks-for-an-ack-cluster
            yield ConfigIssue(f"{base}.vpcCidr", f"{r.vpc_cidr} overlaps the cluster Service CIDR {p.idc.service_cidr}; "
                              "cloud pods could not reach VPC addresses inside the Service CIDR.",
                              "move the VPC to a block that does not contain the Service CIDR.")
        for field, c in p.idc.ranges:
            if overlaps(r.vpc_cidr, c):
                yield ConfigIssue(f"{base}.vpcCidr", f"{r.vpc_cidr} overlaps on-prem range idc.{field} {c}, which the leased line routes.",
                                  "pick a VPC block disjoint from every IDC range.")
        for rj, other in enumerate(p.regions[:ri]):
            if overlaps(r.vpc_cidr, other.vpc_cidr):
                yield ConfigIssue(f"{base}.vpcCidr", f"{r.vpc_cidr} overlaps regions[{rj}] ({other.id}) VPC {other.vpc_cidr}; regions share leased-line routing.",
                                  "give each region a disjoint VPC block.")
        yield from _zones(p, ri, r)
        if r.leased_line is not None and r.leased_line.transit_router is not None and not any(z.node_vswitch_cidr for z in r.zones):
            yield ConfigIssue(f"{base}.leasedLine.transitRouter", f"region {r.id} has no zone with a node vSwitch, and the transit router's VPC connection needs one vSwitch per zone.",
                              "give at least one zone a nodeVswitchCidr (or list it by id to have one planned).")
        if p.idc.leased_line and r.leased_line is None:
            yield ConfigIssue(f"{base}.leasedLine", f"region {r.id} has no path to the IDC: nothing attaches its VPC to the leased line, "
                                                    "so its nodes cannot reach the IDC apiserver or pods.",
                              "add leasedLine.transitRouter {cenId, transitRouterId, routeTableId} or leasedLine.existingVpc {vpcId, routeTableId, nextHop}; see docs/network.md.")


@cross_check
def _regional_ids(p: Platform) -> Iterable[ConfigIssue]:
    """Ids of regional resources belong to one region each: a transit router and a VPC are regional
    (CEN CreateTransitRouter and VPC CreateVpc take a RegionId), and a vSwitch has one zone and one CIDR."""
    first: dict[tuple[str, str], str] = {}

    def once(kind: str, rid: str, path: str, what: str, fix: str) -> Iterable[ConfigIssue]:
        if (kind, rid) in first:
            yield ConfigIssue(path, f"{what} {rid} is also given at {first[(kind, rid)]}.", fix)
        else:
            first[(kind, rid)] = path

    for ri, r in enumerate(p.regions):
        ll = r.leased_line
        if ll is None:
            continue
        base = f"regions[{ri}].leasedLine"
        vbr = p.idc.vbr
        # The VBR's own transit router given for another region is leased_line.check's refusal (named against the VBR).
        if ll.transit_router is not None and not (vbr is not None and ll.transit_router.transit_router_id == vbr.transit_router_id):
            yield from once("tr", ll.transit_router.transit_router_id, f"{base}.transitRouter.transitRouterId",
                            "transit router", "a transit router is regional: give each region the transit router of its own region.")
        if ll.existing_vpc is not None:
            ev = ll.existing_vpc
            yield from once("vpc", ev.vpc_id, f"{base}.existingVpc.vpcId", "VPC",
                            "a VPC is regional: give each region its own VPC.")
            for vi, v in enumerate(ev.vswitches):
                yield from once("vsw", v.id, f"{base}.existingVpc.vswitches[{vi}].id", "vSwitch",
                                "a vSwitch has one zone and one CIDR: import each existing vSwitch once.")


def _zones(p: Platform, ri: int, r: Region) -> Iterable[ConfigIssue]:
    base = f"regions[{ri}]"
    vpc = net(r.vpc_cidr)
    seen: set[str] = set()
    blocks: list[tuple[str, str]] = []
    for zi, z in enumerate(r.zones):
        zp = f"{base}.zones[{zi}]"
        if z.id in seen:
            yield ConfigIssue(f"{zp}.id", f"zone {z.id} is listed twice in region {r.id}.", "list each zone once.")
        seen.add(z.id)
        if not zone_in_region(z.id, r.id):
            hint = _close(z.id, regions.REGIONS.get(r.id) or (), ZONE_CUTOFF)
            yield ConfigIssue(f"{zp}.id", f"zone {z.id} is not in region {r.id}." + (f" Did you mean {hint}?" if hint else ""),
                              f"use a zone of {r.id}, e.g. {r.id}-a.")
        elif regions.zone_status(z.id, r.id) == "unknown":
            known = sorted(regions.REGIONS[r.id] or ())
            hint = _close(z.id, known, ZONE_CUTOFF)
            yield ConfigIssue(f"{zp}.id", f"zone {z.id} is not a zone of {r.id} ({', '.join(known)})."
                              + (f" Did you mean {hint}?" if hint else ""),
                              "use one of those, or add the zone to hybrid/regions.py with its source if DescribeZones lists it.")
        for field, c in (("nodeVswitchCidr", z.node_vswitch_cidr), ("podVswitchCidr", z.pod_vswitch_cidr)):
            if not c:
                continue
            n = net(c)
            if not MIN_VSWITCH_PREFIX <= n.prefixlen <= MAX_VSWITCH_PREFIX:
                lo, hi = MIN_VSWITCH_PREFIX, MAX_VSWITCH_PREFIX
                yield ConfigIssue(f"{zp}.{field}", f"{c} has a /{n.prefixlen} mask; vSwitches take /{lo}../{hi}.", f"use a mask between /{lo} and /{hi}.")
            if n not in vpc:
                yield ConfigIssue(f"{zp}.{field}", f"{c} is not inside the VPC {r.vpc_cidr}.", f"pick a block inside {r.vpc_cidr}.")
            for field_i, ic in p.idc.ranges:
                if overlaps(c, ic):
                    yield ConfigIssue(f"{zp}.{field}", f"{c} overlaps on-prem range idc.{field_i} {ic}.", "pick a block disjoint from every IDC range.")
            for other_path, oc in blocks:
                if overlaps(c, oc):
                    yield ConfigIssue(f"{zp}.{field}", f"{c} overlaps {other_path} {oc}.", "give every vSwitch its own block.")
            blocks.append((f"{zp}.{field}", c))
    zone_ids = {z.id for z in r.zones if z.node_vswitch_cidr}
    if r.serverless_only and r.gpu_pools:
        yield ConfigIssue(f"{base}.gpuPools", f"region {r.id} is serverlessOnly but declares GPU pools.", "drop serverlessOnly or move the pools to another region.")
    names: set[str] = set()
    for pi, pool in enumerate(r.gpu_pools):
        pp = f"{base}.gpuPools[{pi}]"
        if pool.name in names:
            yield ConfigIssue(f"{pp}.name", f"pool {pool.name} is declared twice in {r.id}.", "give each pool a unique name.")
        names.add(pool.name)
        for zi, zone in enumerate(pool.zones):
            if zone not in zone_ids:
                yield ConfigIssue(f"{pp}.zones[{zi}]", f"zone {zone} has no node vSwitch in region {r.id}.",
                                  f"use one of {sorted(zone_ids)} or add {zone} to regions[{ri}].zones.")


@cross_check
def _elastic_pools(p: Platform) -> Iterable[ConfigIssue]:
    # A registered cluster's node pools live in the cluster's region and VPC: "Region: fixed to
    # the cluster's region; VPC: fixed to the cluster's VPC"
    # (https://www.alibabacloud.com/help/en/ack/distributed-cloud-container-platform-for-kubernetes/user-guide/create-and-manage-node-pools).
    for ri, r in enumerate(p.regions):
        base = f"regions[{ri}]"
        if r.elastic_pools and r.id != p.registration.region_id:
            yield ConfigIssue(f"{base}.elasticPools", f"region {r.id} is not the registration region {p.registration.region_id}; "
                              "node pools of a registered cluster live in the cluster's region and VPC.",
                              f"move the elastic pools to the region {p.registration.region_id} entry, or use gpuPools here.")
        if r.elastic_pools and r.serverless_only:
            yield ConfigIssue(f"{base}.elasticPools", f"region {r.id} is serverlessOnly but declares elastic pools.", "drop serverlessOnly or the pools.")
        zone_ids = {z.id for z in r.zones if z.node_vswitch_cidr}
        fixed = {pool.name for pool in r.gpu_pools}
        names: set[str] = set()
        for pi, pool in enumerate(r.elastic_pools):
            pp = f"{base}.elasticPools[{pi}]"
            if pool.name in fixed or pool.name in names:
                yield ConfigIssue(f"{pp}.name", f"pool {pool.name} is declared twice in {r.id} (gpuPools and elasticPools share the pool label).",
                                  "give each pool a unique name.")
            names.add(pool.name)
            for zi, zone in enumerate(pool.zones):
                if zone not in zone_ids:
                    yield ConfigIssue(f"{pp}.zones[{zi}]", f"zone {zone} has no node vSwitch in region {r.id}.",
                                      f"use one of {sorted(zone_ids)} or add {zone} to regions[{ri}].zones.")
            if pool.labels.get(LABEL_POOL_KEY, pool.name) != pool.name:
                yield ConfigIssue(f"{pp}.labels", f"label {LABEL_POOL_KEY} is set by the platform to the pool name.", "drop it from labels.")


@cross_check
def _registration(p: Platform) -> Iterable[ConfigIssue]:
    ids = [r.id for r in p.regions]
    reg = p.registration
    if reg.region_id not in ids:
        yield ConfigIssue("registration.regionId", f"{reg.region_id} is not one of the stack's regions {ids}.", "register the cluster in a region the stack declares.")
    elif p.region(reg.region_id).serverless_only:
        yield ConfigIssue("registration.regionId", f"{reg.region_id} is serverlessOnly.", "register in a region that hosts cloud nodes.")
    if reg.agent.endpoint == "private" and not p.idc.leased_line:
        yield ConfigIssue("registration.agent.endpoint", "the agent is set to the private endpoint but idc.leasedLine is false, so it could never connect.",
                          "set agent.endpoint: public (with an apiserver ACL) or declare the leased line.")
    if reg.agent.endpoint == "public" and p.idc.leased_line:
        yield ConfigIssue("registration.agent.endpoint", "the agent uses the public endpoint although a leased line exists; node pools of registered clusters need the internal endpoint.",
                          "set agent.endpoint: private.")


@cross_check
def _agent_mode(p: Platform) -> Iterable[ConfigIssue]:
    """The agent holds what the stack has ACK do through it (hybrid/model/registration.py cluster_actions).

    Components installed and node pools created through the CS API need more than restricted mode
    (ADDITIONAL_PERMISSIONS), and their ClusterRoles can be created only with those permissions or
    escalate/bind (ESCALATION); the page's YAML for those permissions is not readable here, so the
    one mode that grants them is administrator mode: agent.mode admin with the cluster-admin console binding.
    """
    reg = p.registration
    actions = registration_model.cluster_actions(p)
    if actions and reg.agent.mode == "restricted":
        yield ConfigIssue(
            "registration.agent.mode",
            f"is restricted, but the stack {actions.describe()} through the CS API, which has ACK act in the cluster through "
            f"the agent and needs more than restricted mode ({registration_model.ADDITIONAL_PERMISSIONS}); the components' ClusterRoles "
            f"can be created only by a holder of their permissions or of escalate/bind ({registration_model.ESCALATION}).",
            "set registration.agent.mode: admin with registration.consoleAccess: admin, or drop them (virtualNode.enabled: "
            "false, cni.terway.install: manifest, no elasticPools) and install components with onectl, which grants the "
            "agent temporary administrator permissions.")
    elif actions and reg.console_access != "admin":
        yield ConfigIssue(
            "registration.consoleAccess",
            f"is read-only, but the stack {actions.describe()} through the agent, which needs administrator mode's "
            "cluster-admin for that; the agent holds only what the program binds (the manifest's cluster-admin binding "
            "is not applied).",
            "set registration.consoleAccess: admin.")
    if reg.console_access == "admin" and reg.agent.mode == "restricted":
        yield ConfigIssue(
            "registration.consoleAccess",
            "is admin, which binds the agent to cluster-admin (Alibaba's administrator mode), but registration.agent.mode is "
            "restricted.",
            "set registration.agent.mode: admin, or consoleAccess: read-only.")


@cross_check
def _bgp_peers(p: Platform) -> Iterable[ConfigIssue]:
    # Peers are reached from IDC nodes without the leased line: they sit in an on-prem range.
    ranges = [c for f, c in p.idc.ranges if not f.startswith("podCidr")]
    for i, peer in enumerate(p.cni.calico.bgp.peers):
        if not any(net(f"{peer.peer_ip}/32") in net(c) for c in ranges):
            yield ConfigIssue(f"cni.calico.bgp.peers[{i}].peerIp", f"{peer.peer_ip} is in none of idc.nodeCidrs / idc.extraRanges {ranges}.",
                              "give the route reflector's or switch's on-prem address, or add its range to idc.extraRanges.")


cross_check(check_virtual_node)
cross_check(leased_line_model.check)
cross_check(cni_model.check)
cross_check(pricing_model.check)
cross_check(check_identity)
cross_check(check_join_token_role)


# source: https://www.alibabacloud.com/help/en/doc-detail/208052.html ("Terway is scheduled only to nodes
# with this label by default").
ADDON_NODE_LABEL = ("alibabacloud.com/external", "true")


@cross_check
def _terway_addon(p: Platform) -> Iterable[ConfigIssue]:
    # One registered cluster = one VPC (CreateCluster takes one vpcid) and VPCs do not span regions;
    # the terway-eniip component has one config, so it can serve the registration region only.
    if p.cni.terway.install != "addon":
        return
    reg = p.registration.region_id
    # Serverless-only regions run no cloud node, hence no Terway.
    others = [r.id for r in p.regions if r.id != reg and not r.serverless_only]
    if others:
        yield ConfigIssue(
            "cni.terway.install",
            f"addon installs one Terway, the registered cluster's, for its region {reg}; regions also has cloud nodes in "
            f"{', '.join(others)}, whose pod vSwitches and security groups that one component cannot use.",
            "keep install: manifest (one Terway per region), or run cloud nodes only in the registration region "
            "(other regions serverlessOnly: true).",
        )
    # The Secrets of credentials accessKey / credentialFile are mounted by the self-managed DaemonSet only.
    mode = p.cni.terway.credentials
    if mode != "instanceRole":
        yield ConfigIssue(
            "cni.terway.credentials",
            f"is {mode}, whose Secret only the self-managed Terway DaemonSet mounts; the terway-eniip component "
            "uses the nodes' RAM role (or the alibaba-addon-secret Secret registered-cluster components read).",
            "set credentials: instanceRole with identity.nodeRole: true, or keep install: manifest.",
        )
    # The component schedules its DaemonSet on alibabacloud.com/external=true nodes (Alibaba, "Deploy and
    # configure the Terway plugin"); Calico stays off the nodes carrying the stack's cloud-node label.
    label = p.cni.cloud_node_label
    if (label.key, label.value) != ADDON_NODE_LABEL:
        yield ConfigIssue(
            "cni.cloudNodeLabel",
            f"is {label.key}={label.value}, but the terway-eniip component runs only on {ADDON_NODE_LABEL[0]}="
            f"{ADDON_NODE_LABEL[1]} nodes: cloud nodes would get no CNI.",
            f"set cloudNodeLabel to key {ADDON_NODE_LABEL[0]}, value \"{ADDON_NODE_LABEL[1]}\", or keep install: manifest.",
        )


@cross_check
def _cloud_label_settable(p: Platform) -> Iterable[ConfigIssue]:
    key = p.cni.cloud_node_label.key
    if p.regions and any(r.gpu_pools for r in p.regions) and not kubelet_may_set(key):
        yield ConfigIssue("cni.cloudNodeLabel.key",
                          f"{key} is in the kubernetes.io / k8s.io namespace, which the NodeRestriction admission plugin "
                          "does not let a kubelet set on its own Node; the GPU nodes would fail to register.",
                          "use a key outside those namespaces (e.g. alibabacloud.com/external) or under node.kubernetes.io/.")


@cross_check
def _node_access(p: Platform) -> Iterable[ConfigIssue]:
    # Every endpoint a cloud GPU node contacts has a path, every image reference parses.
    return check_node_access(p)


def load(raw: Mapping[str, Any]) -> Platform:
    """Validate raw stack config (camelCase keys, plain values) into a Platform."""
    return _validate({k: v for k, v in raw.items() if v is not None})


def _validate(data: dict[str, Any]) -> Platform:
    recorder = partial.Recorder()
    try:
        platform = Platform.model_validate(data, context=recorder.context())
    except ValidationError as err:
        raise ConfigError([*_pydantic_issues(err), *_unhidden_issues(data, err, recorder)]) from None
    platform, issues = _autoplan(platform)
    for check in CROSS_CHECKS:
        issues.extend(check(platform))
    if issues:
        raise ConfigError(issues)
    return platform




def _unhidden_issues(data: dict[str, Any], err: ValidationError, recorder: partial.Recorder) -> list[ConfigIssue]:
    """The problems a field error hides, found on the platform as far as it validated (hybrid.partial):
    the after-checks of every object holding an error, auto-planning and the cross checks, each as far
    as it reads only values that validated. Duplicates of the field errors collapse in ConfigError."""
    platform, refused = partial.build(Platform, data, recorder, [tuple(e["loc"]) for e in err.errors()])
    issues = validation_issues(refused, key_style="camelCase", reference="docs/config.md (the stack config reference)")
    if not isinstance(platform, Platform):
        return issues
    regions = []
    read = partial.evaluable(lambda: [list(platform.regions)])
    for ri in range(len(read[0]) if read else 0):
        planned = partial.evaluable(functools.partial(lambda i: [_autoplan_region(i, platform.regions[i])], ri))
        if planned:
            region, region_issues = planned[0]
            issues += region_issues
        else:  # its zones could not be planned: a check that reads them must not see them unplanned
            region = platform.regions[ri]
            region = region.model_copy(update={"zones": partial.INVALID}) if isinstance(region, Region) else region
        regions.append(region)
    if regions:
        platform = platform.model_copy(update={"regions": regions})
    for check in CROSS_CHECKS:
        issues += partial.evaluable(functools.partial(check, platform))
    return issues
