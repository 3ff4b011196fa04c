"""Every vendor-facing value the program renders that no upstream source confirmed yet.

One place, on purpose: a value that could not be checked against the component's
source or its vendor doc at the version the program renders is *defined here* and
imported by the module that uses it, so the list below is complete by construction
and a confirmation is a one-line move (take the value out of this table, put it next
to its use with the citation).

The offline plan writes this table to ``unconfirmed.json`` and prints how many values
of the stack are unconfirmed; ``hybrid-gpu unconfirmed`` prints the table.

Confirmed values live next to their use with their source (``repo@ref:path`` or a
URL), and the per-concern tables in ``docs/`` gather them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Unconfirmed:
    value: str
    used_by: str  # module that renders it
    why: str  # what was looked for and not found
    confirm_by: str  # how an operator with access confirms it before the first real run


UNCONFIRMED: dict[str, Unconfirmed] = {
    "registration.serviceCidrRange": Unconfirmed(
        value="10.0.0.0/16-24, 172.16-31.0.0/16-24, 192.168.0.0/16-24",
        used_by="hybrid/model/platform.py",
        why="CreateCluster documents this service_cidr range for the clusters ACK creates (the ACK managed "
            "cluster pages); the registered-cluster (ExternalKubernetes) pages and the SDK model "
            "(alibabacloud-cs20151215 CreateClusterRequest.service_cidr) state no range, and the external "
            "cluster's Service CIDR cannot change, so a value outside it is a warning, not an error",
        confirm_by="register a test cluster whose Service CIDR is outside the range (e.g. kubeadm's 10.96.0.0/12) "
                   "with CreateCluster cluster_type ExternalKubernetes and check the call succeeds and terway-eniip "
                   "gets the same service_cidr",
    ),
    "terway.imageRegistry": Unconfirmed(
        value="registry-@REGION@-vpc.ack.aliyuncs.com/acs",
        used_by="hybrid/model/cni.py",
        why="the Terway v1.16 chart (terway@release-1.16:charts/terway/values.yaml) pulls "
            "registry-cn-hangzhou.ack.aliyuncs.com/acs/terway, the public endpoint of one region; the VPC-internal "
            "endpoint of the same registry in each region (region id substituted, -vpc suffix) was not found in a "
            "public source",
        confirm_by="`crictl pull registry-<region>-vpc.ack.aliyuncs.com/acs/terway:v1.16.7` on one ECS node of every region",
    ),
    "terway.addonVersionForm": Unconfirmed(
        value="v@VERSION@",
        used_by="hybrid/cni.py",
        why="the terway-eniip versions the CS API reports were not seen (the provider's acceptance test only checks "
            "that version is set); other addons are reported v-prefixed (v2.10.5, v1.8.5.0-aliyun) and ACK tags "
            "Terway images vX.Y.Z",
        confirm_by="`alicloud.cs.get_kubernetes_addons(cluster_id=...)` (or DescribeClusterAddonsVersion) on the "
                   "registered cluster and compare the terway-eniip version string",
    ),
    "terway.addonConfigKeys": Unconfirmed(
        value="PodVswitchId,SecurityGroupIds",
        used_by="hybrid/cni.py",
        why="the terway-eniip config keys IPVlan, NetworkPolicy, ENITrunking and MaxPoolSize are in the provider's "
            "docs and tests; the keys that carry the pod vSwitches and the pod security groups (the console's "
            "Terway parameters) were not found in a public source",
        confirm_by="`alicloud.cs.get_kubernetes_addon_metadata(cluster_id=..., name='terway-eniip', version=...)"
                   ".config_schema` and compare the property names and shapes",
    ),
    "cloudinit.pauseImage": Unconfirmed(
        value="registry-vpc.@REGION@.aliyuncs.com/acs/pause:3.9",
        used_by="hybrid/model/node_access.py",
        why="no public source names the VPC-internal path of the pause image in the regional ACS registry",
        confirm_by="`crictl pull` the rendered reference on one ECS node of the region",
    ),
    "gpu.devicePluginImage": Unconfirmed(
        value="registry-vpc.{region}.aliyuncs.com/acs/k8s-device-plugin",
        used_by="hybrid/model/gpu_driver.py",
        why="the device plugin's upstream image is nvcr.io/nvidia/k8s-device-plugin (deployments/static/"
            "nvidia-device-plugin.yml at v0.17.4), which a VPC without NAT cannot reach; no public source names "
            "an Alibaba VPC registry path that mirrors it at this tag",
        confirm_by="`crictl pull` the rendered reference on one ECS node of the region, or mirror nvcr.io into "
                   "your ACR instance and set gpu.devicePlugin.image to it",
    ),
    "metrics.exporterImage": Unconfirmed(
        value="registry-vpc.{region}.aliyuncs.com/acs/dcgm-exporter",
        used_by="hybrid/model/metrics.py",
        why="dcgm-exporter's upstream image is nvcr.io/nvidia/k8s/dcgm-exporter (NVIDIA/dcgm-exporter "
            "deployment/values.yaml, tag 4.5.3-4.8.2-distroless), which a VPC without NAT cannot reach; no public "
            "source names an Alibaba VPC registry path that mirrors it at this tag",
        confirm_by="`crictl pull` the rendered reference on one ECS node of the region, or mirror nvcr.io into "
                   "your ACR instance and set metrics.exporter.image to it",
    ),
    "metrics.managedRecordingRules": Unconfirmed(
        value="recording rules imported into the ARMS Prometheus instance by the operator",
        used_by="hybrid/gpu_metrics.py",
        why="pulumi-alicloud 4.0.0 declares ARMS scrape jobs (arms.EnvCustomJob) but no resource for recording "
            "rules; no public source shows an API that loads a Prometheus rules file into a managed instance",
        confirm_by="load gpu-usage.rules.yml through the ARMS console's recording rules page and run "
                   "`hybrid-gpu usage --prometheus <instance URL>`, which names any missing rule",
    ),
    "metrics.armsCustomJobKubernetesSd": Unconfirmed(
        value="kubernetes_sd_configs (role pod) inside an ARMS environment custom job",
        used_by="components/gpu_metrics.py",
        why="the custom-job page (alibabacloud.com/help/en/prometheus/developer-reference/use-terraform-to-manage-"
            "custom-jobs-for-environment-instances) shows config_yaml with scrape_configs and static_configs only; no "
            "public source says the managed collector in a registered cluster runs Kubernetes pod discovery for a custom job",
        confirm_by="apply the stack with metrics.prometheus: managed and check the ARMS targets page lists one "
                   "dcgm-exporter target per GPU node, with pool and owner labels",
    ),
    "nodeAccess.ubuntuMirror": Unconfirmed(
        value="http://mirrors.cloud.aliyuncs.com/ubuntu",
        used_by="hybrid/model/node_access.py",
        why="Alibaba's mirror site names mirrors.cloud.aliyuncs.com as the address for ECS instances in a VPC; the Ubuntu "
            "path under it (and that it serves the restricted component with the NVIDIA server driver branches) was not "
            "confirmed from a public source",
        confirm_by="`apt-get update` with `deb <value> jammy main restricted` from an ECS instance of the region without a "
                   "public IP, or set nodeAccess.regions.<id>.apt.ubuntu to your own mirror",
    ),
    "gpu.toolkitAptRepo": Unconfirmed(
        value="https://mirrors.cloud.aliyuncs.com/libnvidia-container/stable/deb/amd64",
        used_by="hybrid/model/node_access.py",
        why="NVIDIA publishes the toolkit apt repository at nvidia.github.io/libnvidia-container/stable/deb/$(ARCH) "
            "(install guide); the VPC-internal Alibaba mirror path of it was not found in a public source",
        confirm_by="`curl -fsI <value>/Packages` from an ECS instance of the region without a public IP",
    ),
    "gpu.toolkitGpgKey": Unconfirmed(
        value="https://mirrors.cloud.aliyuncs.com/libnvidia-container/gpgkey",
        used_by="hybrid/model/node_access.py",
        why="upstream key is nvidia.github.io/libnvidia-container/gpgkey; its VPC-internal mirror path is unconfirmed",
        confirm_by="fetch it from an ECS instance and compare the fingerprint with NVIDIA's published key",
    ),
    "agent.credentialKeys": Unconfirmed(
        value="ca,cert,key,token,url",
        used_by="hybrid/agent.py",
        why="the connector reads these files from /ack-credentials; the key set of the Secret in a "
            "DescribeExternalAgent manifest was not seen",
        confirm_by="compare with the Secret in the manifest DescribeExternalAgent returns for the cluster",
    ),
    "fleet.karmadaVersion": Unconfirmed(
        value="v1.18.2",
        used_by="hybrid/fleet.py",
        why="no Alibaba doc or release note found names the Karmada version an ACK One Fleet instance runs; "
            "v1.18.2 is the newest patch of the first Karmada minor with overflowAffinities, which the dynamic "
            "policies use (tests validate against its CRDs and its static-weight division)",
        confirm_by="`kubectl --kubeconfig <fleet> get crd propagationpolicies.policy.karmada.io -o yaml` and compare "
                   "with tests/data/karmada-v1.18.2/, or read the karmada-scheduler image tag in the Fleet console",
    ),
    "fleet.ackAutoScalingField": Unconfirmed(
        value="spec.autoScaling.ecsProvision",
        used_by="hybrid/placement_platform.py",
        why="Alibaba's 'Elastic scheduling with multi-cluster priorities' page names autoScaling.ecsProvision: true "
            "in its how-it-works list; the full YAML showing where autoScaling sits in the policy was not seen",
        confirm_by="`kubectl --kubeconfig <fleet> explain propagationpolicies.spec.autoScaling --api-version "
                   "policy.one.alibabacloud.com/v1alpha1`",
    ),
    "fleet.propagationPolicyApiVersion": Unconfirmed(
        value="policy.karmada.io/v1alpha1",
        used_by="hybrid/fleet.py",
        why="used only with fleet.policyApi: karmada (the default ack form uses the documented group). Alibaba's "
            "'Propagation policies and override policies' page shows policy.one.alibabacloud.com/v1alpha1 and says the "
            "Fleet is compatible with the Karmada API; whether it serves policy.karmada.io itself was not seen",
        confirm_by="`kubectl --kubeconfig <fleet> api-resources | grep -i propagationpolic`",
    ),
    "fleet.federatedHpaApiVersion": Unconfirmed(
        value="autoscaling.karmada.io/v1alpha1",
        used_by="hybrid/fleet.py",
        why="no Alibaba doc found that lists FederatedHPA among the Fleet's APIs",
        confirm_by="`kubectl --kubeconfig <fleet> api-resources | grep -i federatedhpa`",
    ),
    "pricing.instanceQuoteIncludesSystemDisk": Unconfirmed(
        value="true",
        used_by="hybrid/pricing_api.py",
        why="the DescribePrice reference says an instance quote takes SystemDisk.* but not whether its TradePrice "
            "includes the system disk; with true the cost view adds no separate system-disk price for pay-as-you-go pools",
        confirm_by="call DescribePrice (ResourceType=instance) for one type with SystemDisk.Size 40 and 500 and compare TradePrice",
    ),
    "ram.regionResource": Unconfirmed(
        value="acs:@SERVICE@:@REGION@:*:*",
        used_by="hybrid/identity.py",
        why="Terway documents Resource \"*\" for its actions; the ARN form acs:<service>:<region>:<account>:<id> "
            "is Alibaba's documented format, but whether every Terway action (e.g. ecs:DescribeInstanceTypes, "
            "vpc:DescribeVSwitches) is authorised against a region-scoped ARN was not confirmed",
        confirm_by="start Terway on one cloud node with only the node role; `kubectl logs` of terway-eniip shows "
                   "no Forbidden.RAM / NoPermission for any action (else widen that statement and record why)",
    ),
    "vnode.ramPolicy": Unconfirmed(
        value="AliyunECIFullAccess,AliyunVPCReadOnlyAccess",
        used_by="hybrid/identity.py",
        why="the multi-region Serverless guide's RAM step names the grant but its action list was not readable here; "
            "these are the system policies Alibaba's ACK One permission table lists for ECI scheduling and VPC selection",
        confirm_by="compare with the RAM step of Alibaba's 'Multi-region serverless computing power scheduling' guide "
                   "before creating the addon RAM user",
    ),
    "vnode.configKeys": Unconfirmed(
        value="EnableVpcInternalEndpoint,EnableMultiRegion,Regions,RegionId,VpcId,VSwitchIds,SecurityGroupId,IsDefaultRegion",
        used_by="hybrid/virtual_node.py",
        why="only APIServerHost/APIServerPort are confirmed JSON spellings; no public config_schema of "
            "ack-virtual-node (cs.get_kubernetes_addon_metadata) names the others",
        confirm_by="`pulumi.export(alicloud.cs.get_kubernetes_addon_metadata(cluster_id=..., name='ack-virtual-node', "
                   "version='v2.13.0').config_schema)` and compare the property names",
    ),
    "elastic.sourceVpcCondition": Unconfirmed(
        value="StringEquals",
        used_by="hybrid/elastic.py",
        why="Alibaba's OSS Bucket Policy page (alibabacloud.com/help/en/oss/user-guide/oss-bucket-policy) documents the "
            "condition key acs:SourceVpc and that Principal '*' with a Condition applies to anonymous users too; the "
            "error page 0030-00000008 (help.aliyun.com/zh/oss/user-guide/0030-00000008) shows acs:SourceVpc under "
            "StringNotLike. That StringEquals with a list of vpc-... ids matches a request arriving through the VPC "
            "internal endpoint from one of them was not read in a published example",
        confirm_by="after pulumi up, from an ECS instance in the registration region's VPC: curl -I the addNodeScriptPath "
                   "URL (expect 200) and from another VPC or the internet (expect 403)",
    ),
    "elastic.scriptFetch": Unconfirmed(
        value="node RAM role",
        used_by="hybrid/elastic.py",
        why="Alibaba's registered-cluster node-pool guide registers an OSS URL in ack-agent-config addNodeScriptPath "
            "and says 'you can use a signed URL'; how ACK's node initialisation downloads it (plain GET, or signed with "
            "the instance's RAM role) is not documented. The program publishes a credential-free object, grants the elastic "
            "nodes' RAM role oss:GetObject on it, and lets unsigned requests from the cluster region's VPC read it "
            "(bucket policy, acs:SourceVpc: see elastic.sourceVpcCondition)",
        confirm_by="scale a test pool to 1 and read /var/log/acs/init.log (the path Alibaba's custom-image guide shows): "
                   "a 403 on the script means ACK fetches it unsigned; then put a signed URL in addNodeScriptPath instead",
    ),
    "elastic.unneededField": Unconfirmed(
        value="unneeded_duration",
        used_by="hybrid/elastic.py",
        why="cluster-autoscaler's flag is --scale-down-unneeded-time; pulumi-alicloud 4.0.0 describes cs.AutoscalingConfig "
            "unneeded_duration as the wait after a scale-out and cool_down_duration as the delay before a scale-in, the "
            "reverse of the ACK console's 'scale-in delay'. The CS API reference mapping each field to a flag was not found",
        confirm_by="after `pulumi up`, read the cluster-autoscaler Deployment's args in kube-system of the registered "
                   "cluster and check --scale-down-unneeded-time carries registration.autoscaler.scaleDownUnneededMinutes",
    ),
    "elastic.autoscalingConfigRegistered": Unconfirmed(
        value="cs.AutoscalingConfig",
        used_by="components/elastic.py",
        why="Alibaba's registered-cluster page enables node scaling in the console (Node Pools > Node Scaling > Enable); "
            "that the same CreateAutoscalingConfig call the provider makes is accepted for an ExternalKubernetes cluster "
            "was not confirmed in a public source",
        confirm_by="`pulumi preview` against the registered cluster, then compare the console's Node Scaling settings",
    ),
    "ids.vrouterPrefix": Unconfirmed(
        value="vrt-",
        used_by="hybrid_tools/provider_ids.py",
        why="a VPC route entry's provider id carries the VPC's vRouter id (terraform-provider-alicloud@v1.285.0 "
            "alicloud/resource_alicloud_route_entry.go:145); no vRouter id example was found in the provider's source "
            "or the pulumi-alicloud 4.0.0 SDK docs, the vrt- prefix is the console's form, not confirmed in a public source",
        confirm_by="`aliyun vpc DescribeVpcs --VpcId <vpc id>` and read VRouterId",
    ),
    "ids.flowLogPrefix": Unconfirmed(
        value="fl-",
        used_by="hybrid_tools/provider_ids.py",
        why="alicloud_vpc_flow_log's id is the API's FlowLogId (resource_alicloud_vpc_flow_log.go:174); no example "
            "of one was found in the provider's source or the SDK docs",
        confirm_by="`aliyun vpc DescribeFlowLogs --RegionId <region>` and read FlowLogId",
    ),
    "ids.nodePoolId": Unconfirmed(
        value="np",
        used_by="hybrid_tools/provider_ids.py",
        why="cs.NodePool's node_pool_id is the CS API's nodepool_id (resource_alicloud_cs_kubernetes_node_pool.go:1888); "
            "the offline plan gives 'np' + 32 hex, the form of the console's node pool ids, not found in a public source",
        confirm_by="`aliyun cs GET /clusters/<cluster id>/nodepools` and read nodepool_info.nodepool_id",
    ),
    "ids.fleetClusterId": Unconfirmed(
        value="c",
        used_by="hybrid_tools/provider_ids.py",
        why="ackone.Cluster's id is the ACK One API's ClusterId (resource_alicloud_ack_one_cluster.go:140); the offline "
            "plan gives it the form of ACK cluster ids ('c' + 32 hex), not confirmed for ACK One Fleet instances",
        confirm_by="`aliyun adcp DescribeHubClusters` and read ClusterId",
    ),
    "ids.ecrPrefix": Unconfirmed(
        value="ecr-",
        used_by="hybrid_tools/provider_ids.py",
        why="the id a route entry with nexthop_type Ecr takes (an Express Connect Router); no example found in the "
            "provider's source or the SDK docs",
        confirm_by="`aliyun expressconnectrouter ListExpressConnectRouter` and read EcrId",
    ),

    "jobs.ackPolicyFields": Unconfirmed(
        value="customSchedulingType,suspension.scheduling",
        used_by="hybrid/jobs.py",
        why="Alibaba's 'Schedule multi-cluster PyTorchJobs with gang scheduling and Kube Queue' page names "
            "customSchedulingType: Gang and suspension.scheduling: true on a policy.one.alibabacloud.com/v1alpha1 "
            "PropagationPolicy; no public CRD schema of that group was found, and Karmada v1.18.2's PropagationPolicy "
            "has neither field (its suspension holds only dispatching / dispatchingOnClusters), so they are emitted "
            "only when the Fleet policy API is ACK's",
        confirm_by="`kubectl get crd propagationpolicies.policy.one.alibabacloud.com -o yaml` on the Fleet and look for "
                   "spec.customSchedulingType and spec.suspension.scheduling",
    ),
    "jobs.fleetServesCrds": Unconfirmed(
        value="kubeflow.org/v1 PyTorchJob,kubeflow.org/v1 TFJob,scheduling.x-k8s.io/v1alpha1 PodGroup",
        used_by="hybrid/jobs.py",
        why="resource templates need their CRD on the Fleet's apiserver. Alibaba's Fleet PyTorchJob page submits "
            "PyTorchJobs to the Fleet (so it serves that kind once set up as the page says); that it serves the "
            "training-operator's TFJob CRD too, and scheduler-plugins' PodGroup, which a batch Job's gang travels with, is not documented",
        confirm_by="`kubectl api-resources --api-group=kubeflow.org` and `--api-group=scheduling.x-k8s.io` against the "
                   "Fleet; apply kubernetes-sigs/scheduler-plugins@v0.28.9 config/crd/bases/scheduling.x-k8s.io_podgroups.yaml "
                   "there if it is missing",
    ),
    "jobs.fleetSchedulePriority": Unconfirmed(
        value="PriorityBasedScheduling",
        used_by="hybrid/jobs.py",
        why="schedulePriority is alpha in Karmada v1.18.2 behind the PriorityBasedScheduling feature gate (CRD "
            "description); whether an ACK One Fleet turns the gate on is not documented publicly. Without it the "
            "field is accepted and ignored",
        confirm_by="ask Alibaba support or read karmada-scheduler's --feature-gates on a Fleet you can inspect",
    ),
}


def value(key: str) -> str:
    """The value of an unconfirmed entry (modules import their values through this)."""
    return UNCONFIRMED[key].value


def table() -> list[dict[str, str]]:
    return [{"key": k, "value": u.value, "usedBy": u.used_by, "why": u.why, "confirmBy": u.confirm_by}
            for k, u in sorted(UNCONFIRMED.items())]
