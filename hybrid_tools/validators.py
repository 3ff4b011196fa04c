"""Every validator of the stack config and the policy pack, with the source of its rule.

A rule that rejects a config must come from a source (an upstream limit, an API's or a
component's behaviour) or from what this program renders (a contradiction it could not
render); a preference, or a limit no source confirms for this use, is a warning. This
module finds the validators in the code (the model's pydantic validators and annotated
types, the cross-field checks, the warning checks, the policy pack's policies) and
pairs each with its entry in :data:`SOURCES`; ``docs/validators.md`` is generated from
both (``hybrid-gpu validators --write``) and a test fails when code, table and page
disagree.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from hybrid import tables

ROOT = Path(__file__).resolve().parents[1]
DOC_PATH = ROOT / "docs" / "validators.md"
MODEL_DIR = ROOT / "hybrid" / "model"
POLICY_RULES = ROOT / "policy" / "rules"  # one module per area; each policy declared by a decorator on its check


@dataclass(frozen=True)
class Found:
    id: str
    where: str   # file:line
    level: str   # error | warning (policies: their default enforcement level)


def _decorator_name(d: ast.expr) -> str:
    target = d.func if isinstance(d, ast.Call) else d
    return target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")


def discover() -> list[Found]:
    """The validators as they are in the code, by reading it (no import, no private attribute)."""
    out: list[Found] = []
    for path in sorted(MODEL_DIR.glob("*.py")):
        rel = path.relative_to(ROOT)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                for fn in node.body:
                    if isinstance(fn, ast.FunctionDef) and any(_decorator_name(d) in ("field_validator", "model_validator")
                                                               for d in fn.decorator_list):
                        out.append(Found(f"{path.stem}.{node.name}.{fn.name}", f"{rel}:{fn.lineno}", "error"))
            elif isinstance(node, ast.FunctionDef):
                names = {_decorator_name(d) for d in node.decorator_list}
                if "cross_check" in names:
                    out.append(Found(f"{path.stem}.{node.name}", f"{rel}:{node.lineno}", "error"))
                if "warning_check" in names:
                    out.append(Found(f"{path.stem}.{node.name}", f"{rel}:{node.lineno}", "warning"))
            elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and _decorator_name(node.value) == "cross_check":
                arg = ast.unparse(node.value.args[0])
                out.append(Found(f"{path.stem}.cross_check({arg})", f"{rel}:{node.lineno}", "error"))
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                for call in ast.walk(node.value):
                    if isinstance(call, ast.Call) and _decorator_name(call) == "AfterValidator":
                        out.append(Found(f"{path.stem}.{node.targets[0].id}:{ast.unparse(call.args[0])}", f"{rel}:{node.lineno}", "error"))
    for path in sorted(POLICY_RULES.glob("*.py")):
        for call in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(call, ast.Call) and _decorator_name(call) in ("resource_policy", "stack_policy"):
                kw = {k.arg: k.value for k in call.keywords}
                level = "warning" if ast.unparse(kw["level"]) == "A" else "error"
                out.append(Found(f"policy.{ast.literal_eval(kw['name'])}", f"{path.relative_to(ROOT)}:{call.lineno}", level))
    return out


# validator id -> (what it enforces, its source). "program:" names what this program renders that the rule
# protects (a contradiction it could not render, or a value it could not place where it goes); anything
# else names the upstream fact. A warning says why it is only a warning.
K8S_LABELS = "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set"
NODE_RESTRICTION = ("kubernetes/kubernetes plugin/pkg/admission/noderestriction/admission.go; "
                    "staging/src/k8s.io/kubelet/pkg/apis/well_known_labels.go (kubeletLabelNamespaces)")
GATE = "policy decision of this pack (policy/README.md lists scanner equivalents: checkov / KICS)"
SOURCES: dict[str, tuple[str, str]] = {
    # --- annotated string types (hybrid/model/base.py) ---
    "base.PlainText:_plain_text": ("free text without control characters, at most 256 characters",
                                   "program: the text lands in shell scripts, systemd units and tags (hybrid/shtemplate.py quotes one line)"),
    "base.LabelKey:_label_key": ("Kubernetes label/taint key syntax", K8S_LABELS),
    "base.LabelValue:_label_value": ("Kubernetes label/taint value syntax", K8S_LABELS),
    "base.AbsPath:_abs_path": ("absolute, normalised path of plain characters",
                               "systemd.mount(5): Where= takes an absolute path, and the unit name is the escaped path; "
                               "program: the same path is written unquoted into fstab and shell"),
    "base.ImageId:_image_id": ("ECS image id or public image name", "ECS DescribeImages ImageId examples "
                               "(https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-describeimages)"),
    "base.VendorId:_vendor_id": ("vendor resource id (KMS key, ...) of letters, digits and - _ : / .",
                                 "program: the id is written into API fields and node scripts unquoted; every id form "
                                 "Alibaba documents (key-..., acs:... ARNs) fits"),
    "base.Host:_host": ("IPv4 address or DNS name", "RFC 1123 section 2.1 (host names), RFC 3696 section 2 (top-level label starts with a letter)"),
    "base.Cidr:_cidr": ("IPv4 CIDR in canonical form (network address)", "RFC 4632 section 3.1; the VPC API rejects host bits in CidrBlock"),
    "base.RoutableCidr:_cidr": ("IPv4 CIDR in canonical form", "RFC 4632 section 3.1"),
    "base.RoutableCidr:_routable_cidr": ("no loopback, link-local, multicast or reserved block for a routed range",
                                         "RFC 6890 special-purpose address registry"),
    "base.RegionId:_region_id": ("an Alibaba Cloud region id", "hybrid/regions.py (ECS DescribeRegions, each entry with its source)"),
    "base.ZoneId:_zone_id": ("an Alibaba Cloud zone id", "hybrid/regions.py (ECS DescribeZones)"),
    "base.Name:_dns_label": ("DNS-1123 label", "https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#dns-label-names "
                             "(the names become Kubernetes object and label values)"),
    "base.ClusterName:_cluster_name": ("Karmada member-cluster name, DNS-1123 label of at most 48 characters",
                                       "karmada-io/karmada pkg/apis/cluster/validation/validation.go (clusterNameMaxLength)"),
    # --- per-object validators ---
    "bgp.BgpPeer._ip": ("peer address is an IPv4 address", "Calico BGPPeer spec.peerIP (docs.tigera.io calico v3.28 reference/resources/bgppeer)"),
    "bgp.CalicoBgp._routes_carried": ("with node-to-node mesh off, peers exist; peer names unique",
                                      "Calico BGPConfiguration nodeToNodeMeshEnabled: without the mesh only BGPPeers carry routes "
                                      "(docs.tigera.io calico v3.28 reference/resources/bgpconfig); names are object names"),
    "cni.Terway._pool_bounds": ("minPoolSize <= maxPoolSize; ipvlan only with install: addon",
                                "Terway eni_conf max_pool_size/min_pool_size (terway@release-1.16 docs: the pool is kept between "
                                "them); program: the manifest path renders the veth datapath only (hybrid/cni.py)"),
    "disk.Disk._level_and_encryption": ("performance levels only on ESSDs with their minimum size; kmsKeyId only on an encrypted disk",
                                        "ECS ESSDs (https://help.aliyun.com/document_detail/122389.html); ECS CreateDisk KMSKeyId "
                                        "is used with Encrypted=true"),
    "elastic.Billing._limit_iff_spot": ("spot buying needs spotPriceLimit",
                                        "program: components/elastic.py renders spot as SpotWithPriceLimit, whose limits are "
                                        "spot_price_limit (pulumi-alicloud 4.0.0 cs/_inputs.py NodePoolSpotPriceLimitArgs)"),
    "elastic.ElasticPool._types": ("GPU instance types from the spec table, each once, one GPU count and model",
                                   "hybrid/instance_types.py (ECS instance families, sourced per row); program: one rendered "
                                   "driver script per pool expects one GPU model and count"),
    "elastic.ElasticPool._max_above_min": ("maxSize above minSize",
                                           "pulumi-alicloud 4.0.0 cs/_inputs.py NodePoolScalingConfigArgs.max_size: "
                                           "\"has to be greater than min_size\""),
    "elastic.ElasticPool._driver_path": ("a driver path that fits every instance type", "hybrid/model/gpu_driver.py check_driver (NVIDIA driver branches per GPU, sourced there)"),
    "elastic.ElasticPool._rates_within_bandwidth": ("rate limits within the instance types' bandwidth",
                                                    "hybrid/instance_types.py bandwidth per type (ECS instance family pages)"),
    "elastic.ElasticPool._labels": ("node labels a kubelet may set", NODE_RESTRICTION),
    "elastic.ElasticPool._renderable": ("the fixed-pool checks on the pool's boot files",
                                        "program: the elastic node script reuses the fixed pools' boot files (hybrid/elastic.py)"),
    "gpu.ZoneList:_zones_once": ("a pool lists a zone once", "program: one vSwitch per zone in the pool's placement; a repeat would double its slots"),
    "gpu.Billing._spot_limit": ("strategy Spot needs spotPriceLimit",
                                "program: components/gpu_pool.py renders Spot as SpotWithPriceLimit; ECS RunInstances SpotStrategy "
                                "(https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-runinstances)"),
    "gpu.Preload._source_kind": ("rsync:// URL or absolute path", "rsync(1) source forms; program: passed as one word from a systemd EnvironmentFile"),
    "gpu.Preload._target_plain": ("plain absolute target path", "program: passed as one word from a systemd EnvironmentFile to rsync"),
    "gpu.GpuPool._unique_taints": ("no repeated taint key and effect",
                                   "kubernetes/kubernetes pkg/apis/core/validation/validation.go validateNodeTaints (\"taints must be unique by key and effect pair\")"),
    "gpu.GpuPool._gpu_type": ("a GPU instance type", "hybrid/instance_types.py (ECS GPU families, sourced per row)"),
    "gpu.GpuPool._driver_path": ("a driver path that fits the instance type", "hybrid/model/gpu_driver.py check_driver (NVIDIA driver branches per GPU, sourced there)"),
    "gpu.GpuPool._disk_sizes_differ": ("data disk and system disk sizes differ",
                                       "program: the node finds its data disk by size (hybrid/cloudinit.py), the device name is not known in advance"),
    "gpu.GpuPool._rates_within_bandwidth": ("rate limits within the instance type's bandwidth",
                                            "hybrid/instance_types.py bandwidth per type (ECS instance family pages)"),
    "gpu.GpuPool._preload_on_data_disk": ("preload names unique, targets on the data disk and disjoint, rate within ingress",
                                          "program: the preload unit writes under the data disk mount and shares the tc ingress limit"),
    "gpu.GpuPool._known_spec": ("instance type in the spec table; gpuModel and gpuModelSeries agree with the family",
                                "hybrid/instance_types.py (ECS GPU families, sourced per row)"),
    "gpu_driver.GpuDriver._number_form": ("not a rule: a driver branch given as a number (550) is read as its digits",
                                          "Pulumi structured configuration stores `pulumi config set --path ... 550` as a "
                                          "number (pulumi.com/docs/iac/concepts/config/)"),
    "gpu_driver.GpuSupport._one_provider": ("devicePlugin only with provider device-plugin",
                                            "program: with gpu-operator the cluster's own ClusterPolicy runs the plugin (docs/gpu-nodes.md)"),
    "lease.Lease._purpose_is_a_tag": ("lease purpose fits an ECS tag value",
                                      "ECS tag values: at most 128 characters, no http:// or https:// prefix "
                                      "(https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-tagresources)"),
    "leased_line.ExistingVpc._unique": ("each zone/role vSwitch given once", "program: one imported vSwitch per zone and role (components/network.py)"),
    "leased_line.LeasedLine._one": ("exactly one of transitRouter or existingVpc", "program: the two are alternative paths (docs/network.md)"),
    "network.Zone._node_needs_pod": ("a zone with a node vSwitch has a pod vSwitch",
                                     "Terway eni_conf vswitches: pods get IPs from the listed vSwitches (AliyunContainerService/terway docs); "
                                     "program: the pod vSwitch is what it lists"),
    "network.NodePortRange._ordered": ("from <= to, at or above 1024, clear of control-plane ports",
                                       "https://kubernetes.io/docs/reference/networking/ports-and-protocols/ (kube-proxy "
                                       "captures every port of the range on every node)"),
    "network.Region._existing_vswitches_have_cidrs": ("an imported vSwitch has its CIDR in the zone",
                                                      "pulumi import: the declared inputs must match the existing resource "
                                                      "(https://www.pulumi.com/docs/iac/adopting-pulumi/import/)"),
    "network.Region._zone_shorthand": ("not a rule: `zones: [id, ...]` is read as auto-planned zones", "program: shorthand"),
    "network.Region._vpc_mask": ("VPC mask /8../24, clear of 100.64.0.0/10",
                                 "VPC CreateVpc CidrBlock (https://www.alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-createvpc); "
                                 "100.64.0.0/10 serves Alibaba Cloud services (hybrid/model/virtual_node.py ALIBABA_SERVICE_BLOCK, sourced there)"),
    "placement.Autoscaling._range": ("minReplicas <= maxReplicas",
                                     "Karmada FederatedHPA spec (karmada-io/karmada pkg/apis/autoscaling/v1alpha1 federatedhpa_types.go)"),
    "placement.Workload._pending_within_previous": ("pending replicas within previous ones, replicas within the autoscaling range",
                                                    "program: the calculator's stable scale-out (hybrid/placement.py, docs/placement.md)"),
    "placement.Placement._unique_workloads": ("workloads unique per namespace; one PriorityClass definition per name",
                                              "Kubernetes object names are unique per namespace/kind; program: one PriorityClass object per name"),
    "jobs.Image:_image": ("an image reference pinned by a sha256 digest",
                          "digest form: opencontainers/go-digest algorithm.go (sha256, 64 hex); program: a preference, "
                          "not an upstream limit (Kubernetes pulls tags too): every pod of a gang must run the same bits "
                          "and a tag can move between two pods' pulls (hybrid/jobs.py renders the reference as given)"),
    "jobs.Cron:_cron": ("a five-field cron schedule of numbers, ranges, steps and lists (field ranges not checked)",
                        "karmada-io/karmada@v1.18.2 CronFederatedHPA rules[].schedule (tests/data/karmada-v1.18.2): \"follows "
                        "https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#schedule-syntax\" (robfig/cron v3 "
                        "ParseStandard); a subset: names (MON, JAN) and @-macros are not accepted"),
    "jobs.Tenant._range": ("minGpus <= maxGpus",
                           "program: maxGpus is the tenant's ResourceQuota and FederatedResourceQuota hard limit on "
                           "requests.nvidia.com/gpu (hybrid/jobs.py resource_quota, federated_quota), so a floor above it is never met"),
    "jobs.ServiceAutoscaling._range": ("minReplicas <= maxReplicas, and per cron rule targetMinReplicas <= targetMaxReplicas",
                                       "karmada-io/karmada@v1.18.2 FederatedHPA spec.maxReplicas \"cannot be less that minReplicas\"; "
                                       "CronFederatedHPA rules[] targetMinReplicas/targetMaxReplicas set the FederatedHPA's "
                                       "minReplicas/maxReplicas (tests/data/karmada-v1.18.2)"),
    "jobs.Job._spark": ("spark given exactly for kind SparkApplication, which has replicas >= 2 (a driver and an executor)",
                        "kubeflow/spark-operator@v2.5.2 SparkApplication CRD (tests/data/spark-operator-v2.5.2): spec.driver and "
                        "spec.executor are required, executor.instances has minimum 1; hybrid/jobs.py spark_application renders "
                        "replicas - 1 executors"),
    "jobs.Service._within": ("replicas within the autoscaling range",
                             "program: the Deployment starts at replicas (hybrid/jobs.py deployment) and the FederatedHPA keeps it "
                             "within [minReplicas, maxReplicas] (karmada v1.18.2 FederatedHPA spec), so a start outside is "
                             "moved at once; a preference that the rendered count holds, not an upstream limit"),
    "leased_line.TransitRouter._route_table": (
        "a transit-router leased line names its route table",
        "Alibaba CreateTransitRouterVpcAttachment: route learning and associated forwarding are disabled by default; "
        "the attachment carries no route until associated with and propagated into a route table"),
    "bgp.BgpPeer._selector": ("a BGP peer's nodeSelector parses as a Calico selector",
                              "projectcalico libcalico-go lib/selector/parser (hybrid/calico_selector.py is a port, tested "
                              "with its parser_test.go cases); Calico BGPPeer spec.nodeSelector"),
    "leased_line.NextHop._id_of_type": ("the next-hop id has the form of its type (tr-attach-, ri-, vpn-, ecr-)",
                                        "pulumi-alicloud 4.0.0 id examples (hybrid/model/leased_line.py NEXT_HOP_ID, sourced per "
                                        "form; ecr- unconfirmed: hybrid/unconfirmed.py ids.ecrPrefix); VPC CreateRouteEntry "
                                        "NextHopId is the id of a NextHopType resource"),
    "metrics.Metrics._managed": ("managed.environmentId iff prometheus: managed; scrapeIntervalSeconds <= ruleIntervalSeconds",
                                 "program: managed renders an ARMS EnvCustomJob in that environment (components/gpu_metrics.py, "
                                 "pulumi-alicloud 4.0.0 arms.EnvCustomJob environment_id); the interval part is a preference: "
                                 "the recording rules are instant queries (hybrid/gpu_metrics.py rules) that read the latest "
                                 "sample, so a longer scrape repeats samples rather than losing them"),
    "node_access.RegistryMirror._upstream": ("a lower-case registry host[:port]",
                                             "distribution/reference regexp.go domainAndPort (hybrid/imageref.py DOMAIN_RE); "
                                             "containerd docs/hosts.md: one certs.d/<host namespace>/hosts.toml per registry"),
    "node_access.RegistryMirror._endpoint": ("an http(s) URL of a lower-case DNS name or IPv4 address, plain path, no query",
                                             "containerd docs/hosts.md: [host.\"<scheme>://<host>[:port][/path]\"], a path "
                                             "with override_path; RFC 1123 section 2.1 host names; program: written into "
                                             "hosts.toml (hybrid/cloudinit.py hosts_toml)"),
    "node_access.AptMirrors._urls": ("http(s) URLs of a lower-case DNS name or IPv4 address, plain path, no query",
                                     "sources.list(5) URI (http/https); RFC 1123 section 2.1 host names; program: written "
                                     "into cloud-init apt sources and the node scripts (hybrid/cloudinit.py)"),
    "node_access.ForwardZone._domain": ("a lower-case DNS domain with at least two labels",
                                        "RFC 1123 section 2.1, RFC 1035 section 2.3.4 (labels of 63, names of 253); program: "
                                        "node hosts are matched against it by suffix (node_access.resolve_host)"),
    "node_access.ForwardZone._ips": ("forwarders are IPv4 addresses",
                                     "program: each forwarder must lie in an IDC range the leased line carries "
                                     "(node_access.check), and the IDC ranges are IPv4 (base.RoutableCidr)"),
    "node_access.Dns._hosts": ("lower-case DNS name -> IPv4 address",
                               "hosts(5): an IP address followed by host names; RFC 1123 section 2.1 host names; program: "
                               "written to the nodes' /etc/hosts (hybrid/cloudinit.py etc_hosts)"),
    "node_access.RegionAccess._one_per_upstream": ("one registry mirror per upstream",
                                                   "containerd docs/hosts.md: one hosts.toml per registry host namespace "
                                                   "(hybrid/cloudinit.py containerd_hosts_files writes one file per upstream)"),
    "node_access.IdcDaemonSet._refs": ("image references in the distribution grammar",
                                       "distribution/reference regexp.go and reference.go (hybrid/imageref.py, ported)"),
    "node_access.NodeAccess._hostport": ("HOST:PORT, a lower-case DNS name or IPv4 address and a port 1..65535",
                                         "kubeadm kube-public/cluster-info server: (the controlPlaneEndpoint, "
                                         "https://kubernetes.io/docs/reference/setup-tools/kubeadm/implementation-details/); "
                                         "program: rendered as KUBERNETES_SERVICE_HOST/PORT (node_access.apiserver_service_env)"),
    # --- cross-field checks (hybrid/model/platform.py) ---
    "platform._idc_ranges": ("IDC ranges and the Service CIDR do not overlap",
                             "https://kubernetes.io/docs/concepts/services-networking/cluster-ip-allocation/ (the Service range is "
                             "the cluster's own); overlapping routed ranges have no single next hop"),
    "platform._regions": ("regions unique; VPCs clear of the Service CIDR, IDC ranges and each other; zones and pools consistent",
                          "ACK CIDR planning (https://www.alibabacloud.com/help/en/ack/ack-managed-and-ack-dedicated/user-guide/"
                          "plan-cidr-blocks-for-an-ack-cluster): Service CIDR and VPC must not overlap; CEN routes one next hop per "
                          "prefix; vSwitch masks /16../29 (VPC CreateVSwitch)"),
    "platform._elastic_pools": ("elastic pools in the registration region, in declared zones, names unique",
                                "\"Region: fixed to the cluster's region; VPC: fixed to the cluster's VPC\" (ACK node pools of registered "
                                "clusters: https://www.alibabacloud.com/help/en/ack/distributed-cloud-container-platform-for-kubernetes/user-guide/create-and-manage-node-pools)"),
    "platform._registration": ("registration region declared and not serverless-only; agent endpoint matches the leased line",
                               "ALIBABA-NOTES (registered cluster): node pools need the agent on the internal endpoint"),
    "platform._bgp_peers": ("BGP peers in an on-prem node or extra range", "program: IDC nodes reach the peers without the leased line (docs/network.md)"),
    "platform.cross_check(check_virtual_node)": ("virtual node regions declared, one default; IDC ranges clear of 100.64.0.0/10",
                                                 "ack-virtual-node multi-region config (docs/virtual-node in hybrid/virtual_node.py, sourced there)"),
    "platform.cross_check(leased_line_model.check)": (
        "the IDC's announcements fit the VBR; every transit-router region has a path from its VPC to the VBR "
        "(route table, association, propagation, inter-region connection)",
        "Alibaba VBR quotas: at most 110 dynamic routes per BGP peer, routes beyond are denied; CEN "
        "CreateTransitRouterVpcAttachment / CreateTransitRouterPeerAttachment: route learning and associated forwarding "
        "are off until associated with and propagated into a route table; a transit router is regional"),
    "platform.cross_check(cni_model.check)": (
        "no Terway IPvlan while cloud GPU nodes run the metadata guard and tc shaping",
        "terway@release-1.16 daemon/builder.go getDatapath: IPvlan hands pod packets to the ENI below the host's "
        "netfilter and qdiscs; program: hybrid/metadata_guard.py and the tc script act on the veth path"),
    "platform.cross_check(pricing_model.check)": ("a price table covers every pool it prices", "program: hybrid/cost.py prices from the table"),
    "platform.cross_check(check_identity)": ("Terway on every cloud node has a credential path",
                                             "terwayd tries an AccessKey, a credential file, then the instance RAM role "
                                             "(AliyunContainerService/terway pkg/aliyun/credential)"),
    "platform.cross_check(check_join_token_role)": ("every fixed GPU node has a RAM role to read its region's join token",
                                                    "program: hybrid/scripts/hybrid-join-token.sh reads the token with the instance role's "
                                                    "STS credentials from the metadata service (Alibaba ECS 'Obtain a temporary "
                                                    "authorization token'): an instance without a role gets none"),
    "platform._terway_addon": ("install: addon only for the registration region, with instanceRole and the external label",
                               "CreateCluster takes one vpcid; terway-eniip runs on alibabacloud.com/external=true nodes "
                               "(https://www.alibabacloud.com/help/en/doc-detail/208052.html)"),
    "platform._regional_ids": ("a transit router, VPC or vSwitch id given by one region only",
                               "CEN CreateTransitRouter and VPC CreateVpc take a RegionId; VPC CreateVSwitch takes one ZoneId and "
                               "one CidrBlock (the validator's docstring)"),
    "platform._node_access": ("every endpoint a GPU node contacts has a path; every settable image reference parses",
                              "program: the node files (hybrid/cloudinit.py) and DaemonSets contact exactly node_access.needs, "
                              "reported in reachability.json; image references per distribution/reference (hybrid/imageref.py)"),
    "platform._cloud_label_settable": ("cloud-node label key a kubelet may set", NODE_RESTRICTION),
    "platform._spot_limit_unused": ("warning: spotPriceLimit without spot buying has no effect", "a value with no effect is a preference, not an error"),
    "platform._autoscaler_policy_attached": ("warning: elastic pools without registration.autoscaler.ramUser",
                                             "program: components/elastic.py attaches the autoscaler policy to ramUser only; "
                                             "a warning because the policy may be attached by hand"),
    "platform._admin_agent_read_only_console": ("warning: admin-mode agent with a read-only console (and nothing for ACK to do in the cluster)",
                                                "a preference: ACK treats the agent as administrator, but it holds only the read-only "
                                                "ClusterRole the program binds (hybrid/agent.py: the manifest's RBAC is not applied)"),
    "platform._agent_mode": ("components installed / node pools created through the CS API need agent.mode admin with "
                             "consoleAccess admin; consoleAccess admin needs agent.mode admin",
                             "Alibaba, \"RBAC permissions required by the ack-cluster-agent component\" (https://www.alibabacloud.com/"
                             "help/en/ack/distributed-cloud-container-platform-for-kubernetes/user-guide/rbac-permissions-required-by-"
                             "ack-cluster-agent): \"Additional permissions are required for specific operations: installing components, "
                             "creating node pools\"; Kubernetes RBAC privilege-escalation prevention (https://kubernetes.io/docs/reference/"
                             "access-authn-authz/rbac/#privilege-escalation-prevention-and-bootstrapping): the components' ClusterRoles "
                             "need their permissions or escalate/bind; program: the agent holds only what hybrid/agent.py binds"),
    "platform._service_cidr_documented_range": ("warning: Service CIDR outside 10.0.0.0/16-24, 172.16-31.0.0/16-24, 192.168.0.0/16-24",
                                                "CreateCluster documents the range for clusters ACK creates; a registered cluster's Service "
                                                "CIDR is the existing cluster's (kubeadm default 10.96.0.0/12: kubernetes/kubernetes "
                                                "cmd/kubeadm/app/apis/kubeadm/v1beta4/defaults.go DefaultServicesSubnet); unconfirmed for "
                                                "registration (hybrid/unconfirmed.py registration.serviceCidrRange)"),
    "registration.Fleet._name_when_enabled": ("fleet: name or id when enabled, not both; apply/members only when enabled",
                                              "program: name creates a Fleet, id references one (components/fleet.py)"),
    "virtual_node.VirtualNode._min_version": ("ack-virtual-node at the multi-region minimum, v-prefixed",
                                              "hybrid/model/virtual_node.py MIN_VERSION (release notes, sourced there); the CS API reports "
                                              "addon versions v-prefixed"),
    # --- policy pack (policy/rules/); enforcement levels per stack in policy/config/<stack>.json ---
    "policy.sg-no-public-admin-ports": ("no admin port open to the internet", f"CIS Alibaba Cloud benchmark; {GATE}"),
    "policy.sg-no-public-all-ports": ("no all-ports rule open to the internet", GATE),
    "policy.ecs-gpu-no-public-ip": ("no public IP on GPU instances", GATE),
    "policy.ecs-disks-encrypted": ("encrypted disks, KMS where required", f"CKV_ALI_7/8; {GATE}"),
    "policy.oss-private-encrypted": ("private, encrypted OSS (the node script carries a join token)", GATE),
    "policy.ecs-data-disks-kept": ("data disks outlive their instance", GATE),
    "policy.ecs-user-data-no-credentials": ("no credentials in user data", GATE),
    "policy.vpc-flow-logs": ("flow logs where the stack requires them", GATE),
    "policy.vpc-pod-vswitches-distinct": ("pod vSwitches distinct from node vSwitches", "Terway shared-ENI mode takes pod IPs from its own vSwitches (AliyunContainerService/terway docs)"),
    "policy.vpc-no-cidr-overlap": ("VPC and vSwitch CIDRs clear of the Service CIDR and IDC ranges", "as platform._regions, on the rendered resources"),
    "policy.k8s-cni-off-virtual-kubelet": ("CNI DaemonSets off virtual-kubelet nodes", "ack-virtual-node nodes run no DaemonSet pods (virtual-kubelet); a CNI pod there never starts"),
    "policy.k8s-terway-eni-config-zones": ("a pod vSwitch for every zone with cloud nodes", "Terway eni_conf vswitches per zone (terway@release-1.16)"),
    "policy.k8s-terway-credentials": ("Terway has credentials on every cloud node", "as platform.cross_check(check_identity), on the rendered objects"),
    "policy.k8s-allowed-host-paths": ("only allowed hostPath mounts", f"Pod Security Standards baseline, HostPath volumes; {GATE}"),
    "policy.k8s-privileged-needs-waiver": ("privileged containers carry a waiver with its reason", f"CKV_K8S_16; {GATE}"),
    "policy.ack-virtual-node-config": ("ack-virtual-node version and one default region", "as virtual_node.VirtualNode._min_version, on the rendered addon"),
    "policy.stack-gpu-cloud-node-label": ("every GPU instance labels itself a cloud node", "program: Calico and Terway are kept apart by this label (docs/cni.md)"),
    "policy.stack-placement-within-capacity": ("no replicas above a cluster's stated capacity", "program: the stated capacities (docs/placement.md)"),
    "policy.ecs-gpu-lease-not-expired": ("no GPU instance past its lease", "the stack's own lease (docs/cost.md)"),
    "policy.ecs-gpu-lease-ending-soon": ("advisory: lease ends within the warning window", "advisory: a reminder, not a limit"),
    "policy.ecs-gpu-owner-tagged": ("GPU instances tagged with their owner", GATE),
    "policy.ram-policy-no-wildcards": ("RAM actions by name on scoped resources", f"RAM least privilege; {GATE}"),
    "policy.access-keys-only-in-secrets": ("AccessKeys only in Secrets filled from secret config", GATE),
    "policy.ecs-ram-roles-gpu-pools-only": ("RAM roles only on GPU pool instances", GATE),
    "policy.k8s-no-wildcard-verbs-on-secrets": ("no ClusterRole with '*' on Secrets; no binding to cluster-admin without the program's waiver",
                                                f"cluster-admin has verbs '*' on every resource (https://kubernetes.io/docs/reference/"
                                                f"access-authn-authz/rbac/#user-facing-roles); waiver: hybrid/waivers.py; {GATE}"),
}


def rows() -> list[tuple[Found, str, str]]:
    """(validator, what, source) for every validator in the code; a validator without an entry is an InputError."""
    from hybrid_tools.errors import InputError

    found = discover()
    missing = [f.id for f in found if f.id not in SOURCES]
    if missing:
        raise InputError(f"validators without a source in hybrid_tools/validators.py SOURCES: {', '.join(missing)}. "
                         "Fix: add each with its source, or make it a warning.")
    # A validator that only reads a form (a shorthand, a number for a string of digits) rejects nothing.
    return [(Found(f.id, f.where, "form") if SOURCES[f.id][0].startswith("not a rule") else f, *SOURCES[f.id]) for f in found]


def render() -> str:
    lines = ["# Validators", "",
             "Generated by `hybrid-gpu validators --write` from the code (`hybrid_tools/validators.py`); a test fails on drift.",
             "", "Every rule that stops a stack config or the policy gate, with its source. `program:` names what this program "
             "renders that the rule protects; a warning is printed by `hybrid-gpu plan` and does not stop it (a preference, or "
             "a limit no source confirms for this use). Policies show their default enforcement level "
             "(`mandatory` = error, `advisory` = warning); a stack's policy config can change it.", ""]
    found = rows()
    count = {lvl: sum(1 for f, _, _ in found if f.level == lvl) for lvl in ("error", "warning", "form")}
    lines += [f"{len(found)} validators: {count['error']} errors, {count['warning']} warnings, "
              f"{count['form']} that only read a value's form (level `form`).", "",
              *tables.md(("validator", "level", "rule", "source", "where"),
                         [(f"`{f.id}`", f.level, what, source, f"`{f.where.split(':')[0]}`") for f, what, source in found])]
    return "\n".join(lines) + "\n"


def write() -> bool:
    text = render()
    if DOC_PATH.is_file() and DOC_PATH.read_text(encoding="utf-8") == text:
        return False
    DOC_PATH.write_text(text, encoding="utf-8")
    return True


def data() -> list[dict[str, str]]:
    """``hybrid-gpu validators --format json``: the rows of the page as data."""
    return [{"id": f.id, "where": f.where, "level": f.level, "rule": what, "source": source} for f, what, source in rows()]
