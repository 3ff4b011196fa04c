"""HybridPlatform: the top component that owns every concern of the platform, and ``build``."""

from __future__ import annotations

import json

from dataclasses import dataclass, field
from typing import Optional

import pulumi
import pulumi_alicloud as alicloud
import pulumi_kubernetes as k8s

from components.calico import CalicoRouting, CalicoRoutingArgs
from components.contracts import GpuPoolOutputs, RegionNetworkOutputs, RegisteredClusterOutputs
from components.cni import DualCni, DualCniArgs, TerwayAddon, TerwayAddonArgs
from components.device_plugin import GpuDevicePlugin, GpuDevicePluginArgs
from components.gpu_metrics import GpuMetrics, GpuMetricsArgs
from components.elastic import ElasticPools, ElasticPoolsArgs
from components.fleet import FleetPlacement, FleetPlacementArgs
from components.jobs import AiJobs, AiJobsArgs
from components.join_token import JoinTokenStore, JoinTokenStoreArgs
from components.gpu_pool import GpuNodePool, GpuNodePoolArgs
from components.identity import CredentialSecret, CredentialSecretArgs, NodeRole, NodeRoleArgs
from components.network import RegionNetwork, RegionNetworkArgs
from components.registered_cluster import RegisteredCluster, RegisteredClusterArgs
from components.virtual_node import VirtualNode, VirtualNodeArgs
from hybrid import agent, elastic, identity
from hybrid.calico import CloudRange
from hybrid.cloudinit import context_for
from hybrid.model import Platform, join_token
from hybrid.jobs import plan_jobs
from hybrid.placement_platform import plan_placement


@dataclass
class PlatformSecrets:
    """What the program reads besides the model: the secret stack config, kept as Pulumi secrets
    end to end, and the paths of the clusters' kubeconfig files (hybrid.model.KUBECONFIG_ENV)."""

    idc_kubeconfig: str  # a path: the file's credentials never enter the program or the state
    ca_cert_hash: pulumi.Output[str]
    fleet_kubeconfig: Optional[str] = None  # a path; with registration.fleet.apply only
    # Conditional secret config (hybrid.model.identity.CONDITIONAL_SECRET_KEYS) the settings need.
    credentials: dict[str, pulumi.Output[str]] = field(default_factory=dict)


@dataclass
class HybridPlatformArgs:
    platform: Platform
    secrets: PlatformSecrets
    stack: str


class HybridPlatform(pulumi.ComponentResource):
    """IDC cluster + cloud regions: networks, GPU pools, registration, CNI, virtual node, placement."""

    def __init__(self, name: str, args: HybridPlatformArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("hybrid:platform:HybridPlatform", name, None, opts)
        p, secrets = args.platform, args.secrets
        self._tags = {"env": p.environment, "managed-by": "pulumi", "platform": "hybrid-gpu", "stack": args.stack}
        # In dependency order: each concern reads what the ones before it declared.
        self._idc_providers(p, secrets.idc_kubeconfig)
        self._networks(p)
        self._credential_secrets(p, secrets.credentials)
        self._dual_cni(p)
        self._gpu_enablement(p)
        cluster = self._registration(p)
        self._fixed_pools(p, secrets.ca_cert_hash)
        self._node_roles(p)
        self._elastic_pools(p, cluster, secrets.ca_cert_hash)
        self._join_token_stores(p)
        self._virtual_node(p, cluster)
        self._placement(p, cluster, secrets.fleet_kubeconfig)
        self._jobs(p, cluster)
        self._stack_outputs(p)
        self.register_outputs({"networks": self.network_outputs})

    def _opts(self, region: Optional[str] = None, kubernetes: Optional[k8s.Provider] = None) -> pulumi.ResourceOptions:
        """A child's options: this component as parent, the region's alicloud provider, a cluster's provider."""
        providers: dict[str, pulumi.ProviderResource] = {}
        if kubernetes is not None:
            providers["kubernetes"] = kubernetes
        if region is not None:
            providers["alicloud"] = self.providers[region]
        return pulumi.ResourceOptions(parent=self, providers=providers or None)

    def _idc_providers(self, p: Platform, kubeconfig: str) -> None:
        """The IDC cluster's apiserver, reached from where `pulumi up` runs (inside the DC).

        Everything Kubernetes-side (agent, CNI, examples) goes through this provider.
        clusterIdentifier: the provider is replaced (and every object it manages with it) only
        when this changes, not when the kubeconfig's server or credentials do (a new apiserver
        address or a rotated credential is the same cluster): pulumi-kubernetes DiffConfig,
        pulumi/pulumi-kubernetes@v4.32.0-27-g94977969d:provider/pkg/provider/provider.go.
        """
        idc_identity = f"idc/{p.idc.name}"
        self.idc_provider = k8s.Provider("idc", kubeconfig=kubeconfig, cluster_identifier=idc_identity,
                                         enable_server_side_apply=True, opts=self._opts())
        # The same cluster, for objects it already has (Calico): pulumi-kubernetes >= 4.29 fails a
        # create of an existing object unless upsertExistingObjects is set. Only retained objects
        # use it, so a rename without an alias can never delete what the cluster already ran.
        self.idc_adopt_provider = k8s.Provider("idc-adopt", kubeconfig=kubeconfig, cluster_identifier=idc_identity,
                                               enable_server_side_apply=True, upsert_existing_objects=True, opts=self._opts())

    def _networks(self, p: Platform) -> None:
        """One alicloud provider per region, its VPC, vSwitches and security groups."""
        self.providers: dict[str, alicloud.Provider] = {}
        self.networks: dict[str, RegionNetworkOutputs] = {}
        for region in p.regions:
            self.providers[region.id] = alicloud.Provider(f"alicloud-{region.id}", region=region.id, opts=self._opts())
            peers = [other for other in p.regions if other.id != region.id]
            self.networks[region.id] = RegionNetwork(
                f"{region.id}",
                RegionNetworkArgs(region=region, idc=p.idc, environment=p.environment, peers=peers, tags=self._tags),
                opts=self._opts(region.id),
            ).outputs

    def _credential_secrets(self, p: Platform, creds: dict[str, pulumi.Output[str]]) -> None:
        """Credential Secrets, only from secret config, before the components that mount them."""
        self.credential_secrets: dict[str, CredentialSecret] = {}

        def credential_secret(user: str, secret_name: str, data: dict[str, pulumi.Output[str]]) -> None:
            self.credential_secrets[user] = CredentialSecret(
                f"{user}-credentials",
                CredentialSecretArgs(secret_name, identity.ADDON_SECRET_NAMESPACE, data,
                                     labels={"app.kubernetes.io/managed-by": "pulumi"}),
                opts=self._opts(kubernetes=self.idc_provider))

        # alibaba-addon-secret: read by ack-virtual-node (addonSecret mode) and by the cluster-autoscaler
        # of the elastic pools (Alibaba's registered-cluster auto scaling guide, Step 1).
        if (p.virtual_node.enabled and p.virtual_node.credentials == "addonSecret") or elastic.elastic_pools(p):
            credential_secret("addon", identity.ADDON_SECRET, {identity.ACCESS_KEY_ID: creds["addonAccessKeyId"],
                                                               identity.ACCESS_KEY_SECRET: creds["addonAccessKeySecret"]})
        if p.cni.terway.credentials == "accessKey":
            credential_secret("terway", identity.TERWAY_AK_SECRET, {identity.ACCESS_KEY_ID: creds["terwayAccessKeyId"],
                                                                    identity.ACCESS_KEY_SECRET: creds["terwayAccessKeySecret"]})
        elif p.cni.terway.credentials == "credentialFile":
            credential_secret("terway", identity.TERWAY_TOKEN_SECRET, {identity.TERWAY_TOKEN_KEY: creds["terwayCredentialFile"]})

    def _addon_secrets(self) -> list[pulumi.Resource]:
        return [c.secret for k, c in self.credential_secrets.items() if k == "addon"]

    def _dual_cni(self, p: Platform) -> None:
        """Calico on IDC nodes, Terway per cloud region; BGP to the route reflectors, the IDC pod pool
        without overlay, no SNAT toward the cloud VPCs."""
        self.cni = DualCni(
            "cni",
            DualCniArgs(
                cni=p.cni,
                idc=p.idc,
                regions=[self.networks[r.id] for r in p.regions],
                adopt_provider=self.idc_adopt_provider,
                credential_secret=self.credential_secrets["terway"].secret if "terway" in self.credential_secrets else None,
                apiserver=p.node_access.control_plane_endpoint,
            ),
            opts=self._opts(kubernetes=self.idc_provider),
        )
        self.calico = CalicoRouting(
            "calico",
            CalicoRoutingArgs(cni=p.cni, idc=p.idc, cloud=[CloudRange(r.id, r.vpc_cidr) for r in p.regions],
                              adopt_provider=self.idc_adopt_provider),
            opts=self._opts(kubernetes=self.idc_provider),
        )

    def _gpu_enablement(self, p: Platform) -> None:
        """GPUs as nvidia.com/gpu: the device plugin on cloud GPU nodes (or the cluster's GPU Operator);
        dcgm-exporter per GPU pool with its scrape job and recording rules (metrics.enabled)."""
        self.device_plugin = GpuDevicePlugin("gpu", GpuDevicePluginArgs(platform=p), opts=self._opts(kubernetes=self.idc_provider))
        self.gpu_metrics = GpuMetrics(
            "gpu-metrics", GpuMetricsArgs(platform=p),
            opts=self._opts(p.registration.region_id, kubernetes=self.idc_provider),
        ) if p.metrics.enabled else None

    def _registration(self, p: Platform) -> RegisteredClusterOutputs:
        """The registered cluster, ACK agent, console scope, optional Fleet; Terway as the cluster's
        component with cni.terway.install: addon."""
        reg = p.registration.region_id
        self.registered_cluster = RegisteredCluster(
            "ack",
            RegisteredClusterArgs(
                registration=p.registration,
                network=self.networks[reg],
                service_cidr=p.idc.service_cidr,
                terway_pod_vswitches=p.cni.terway.install == "addon",
                tags=self._tags,
                agent_config=({agent.NODE_SCRIPT_KEY: elastic.script_url(elastic.bucket_name(p), reg)}
                              if elastic.elastic_pools(p) else {}),
            ),
            opts=self._opts(reg, kubernetes=self.idc_provider),
        )
        cluster = self.registered_cluster.outputs
        self.terway_addon: Optional[TerwayAddon] = None
        if p.cni.terway.install == "addon":
            self.terway_addon = TerwayAddon("terway", TerwayAddonArgs(cni=p.cni, cluster=cluster, region=self.networks[reg]),
                                            opts=self._opts(reg))
        return cluster

    def _fixed_pools(self, p: Platform, ca_cert_hash: pulumi.Output[str]) -> None:
        """Fixed cloud GPU node pools: ECS workers that join the IDC cluster."""
        self.gpu_pools: dict[str, GpuPoolOutputs] = {}
        for region in p.regions:
            for pool in region.gpu_pools:
                self.gpu_pools[f"{region.id}/{pool.name}"] = GpuNodePool(
                    f"{region.id}-{pool.name}",
                    GpuNodePoolArgs(context=context_for(p, region.id, pool), network=self.networks[region.id],
                                    ca_cert_hash=ca_cert_hash, tags={**self._tags, "region": region.id}),
                    opts=self._opts(region.id),
                ).outputs

    def _node_roles(self, p: Platform) -> None:
        """The GPU nodes' RAM role per region."""
        self.node_roles: dict[str, NodeRole] = {}
        if not p.identity.node_role:
            return
        for region in p.regions:
            # Pools with their own ramRole keep it (an instance carries one role).
            instances = [inst for pool in region.gpu_pools if not pool.ram_role
                         for inst in self.gpu_pools[f"{region.id}/{pool.name}"].instances]
            # The registration region's role also goes on the elastic pools' nodes (ACK attaches it).
            if not instances and not (region.elastic_pools and region.id == p.registration.region_id):
                continue
            self.node_roles[region.id] = NodeRole(
                f"{region.id}-node-role",
                NodeRoleArgs(environment=p.environment, region_id=region.id, ipv6=region.ipv6, scope=p.identity.node_role_scope,
                             instances=instances, tags={**self._tags, "region": region.id}),
                opts=self._opts(region.id),
            )

    def _elastic_pools(self, p: Platform, cluster: RegisteredClusterOutputs, ca_cert_hash: pulumi.Output[str]) -> None:
        """Elastic GPU pools: ACK node pools on the registered cluster, autoscaled."""
        self.elastic: Optional[ElasticPools] = None
        if not elastic.elastic_pools(p):
            return
        reg = p.registration.region_id
        reg_role = self.node_roles.get(reg)
        self.elastic = ElasticPools(
            "elastic",
            ElasticPoolsArgs(platform=p, cluster=cluster, network=self.networks[reg], ca_cert_hash=ca_cert_hash,
                             node_role=reg_role.outputs if reg_role else None, depends_on=self._addon_secrets(), tags=self._tags),
            opts=self._opts(reg),
        )

    def _join_token_stores(self, p: Platform) -> None:
        """The join token's store per GPU region: bucket, encryption, read grant to the nodes' roles."""
        self.join_tokens: dict[str, JoinTokenStore] = {}
        for region in p.regions:
            if not (region.gpu_pools or region.elastic_pools):
                continue
            roles: list[pulumi.Input[str]] = []
            if region.id in self.node_roles:
                roles.append(self.node_roles[region.id].outputs.role_name)
            roles += sorted({pool.ram_role for pool in region.gpu_pools if pool.ram_role})
            if self.elastic is not None and region.id == p.registration.region_id and self.elastic.role is not None:
                roles.append(self.elastic.role_name)
            self.join_tokens[region.id] = JoinTokenStore(
                f"{region.id}-join-token",
                JoinTokenStoreArgs(environment=p.environment, region_id=region.id, bucket=join_token.bucket_name(p, region.id),
                                   role_names=roles, tags={**self._tags, "region": region.id}),
                opts=self._opts(region.id),
            )

    def _virtual_node(self, p: Platform, cluster: RegisteredClusterOutputs) -> None:
        """ack-virtual-node: Serverless pods in several regions, installed through the CS API of the
        registration region on the registered cluster once its agent is connected."""
        self.virtual_node: Optional[VirtualNode] = None
        if p.virtual_node.enabled:
            self.virtual_node = VirtualNode(
                "vnode",
                VirtualNodeArgs(settings=p.virtual_node, idc=p.idc, cluster=cluster, networks=self.networks,
                                depends_on=self._addon_secrets()),
                opts=self._opts(p.registration.region_id),
            )

    def _placement(self, p: Platform, cluster: RegisteredClusterOutputs, fleet_kubeconfig: Optional[str]) -> None:
        """Placement: pure calculation from the model; applied on the Fleet when asked."""
        placement = plan_placement(p)
        self.placement_output = placement.output()
        self.placement_topology = placement.topology.output()
        self.fleet_placement: Optional[FleetPlacement] = None
        self.fleet_provider: Optional[k8s.Provider] = None
        fleet = p.registration.fleet
        if not (fleet.enabled and fleet.apply):
            return
        if fleet_kubeconfig is None:
            raise ValueError("registration.fleet.apply needs HYBRID_FLEET_KUBECONFIG")
        # The Fleet's own apiserver (Karmada), where policies and FederatedHPAs live.
        self.fleet_provider = k8s.Provider("fleet", kubeconfig=fleet_kubeconfig, cluster_identifier=f"fleet/{fleet.name or fleet.id}",
                                           enable_server_side_apply=True, opts=self._opts())
        self.fleet_placement = FleetPlacement(
            "fleet",
            FleetPlacementArgs(placement=placement, cluster=cluster, idc_name=p.idc.name,
                               members={n: m.cluster_id for n, m in fleet.members.items()}),
            opts=self._opts(kubernetes=self.fleet_provider),
        )

    def _jobs(self, p: Platform, cluster: RegisteredClusterOutputs) -> None:
        """AI jobs (docs/jobs.md): on the Fleet when it is applied, else in the hybrid cluster."""
        jobs_plan = plan_jobs(p)
        self.jobs_table = jobs_plan.table()
        self.ai_jobs: Optional[AiJobs] = None
        if jobs_plan.objects():
            on_fleet = jobs_plan.on_fleet  # fleet.enabled and fleet.apply: _placement made the Fleet's provider
            provider = self.fleet_provider if on_fleet else self.idc_provider
            self.ai_jobs = AiJobs(
                "jobs", AiJobsArgs(plan=jobs_plan, member=cluster.cluster_id,
                                   memberships=tuple(cluster.memberships) if on_fleet else ()),
                opts=self._opts(kubernetes=provider),
            )

    def _stack_outputs(self, p: Platform) -> None:
        """The values ``build`` exports."""
        self.network_outputs = pulumi.Output.all(**{rid: pulumi.Output.all(**n.exported()) for rid, n in self.networks.items()})
        self.gpu_pool_outputs = pulumi.Output.all(**{
            key: pulumi.Output.all(instanceType=out.instance_type, gpusPerNode=out.gpus_per_node, nodes=out.nodes)
            for key, out in sorted(self.gpu_pools.items())
        })
        self.elastic_outputs = {
            "scriptUrl": self.elastic.script_url if self.elastic else None,
            "nodePools": {ref.pool.name: {"region": ref.region_id, "minSize": ref.pool.min_size, "maxSize": ref.pool.max_size,
                                          "gpusPerNode": ref.pool.gpus_per_node, "instanceTypes": list(ref.pool.instance_types)}
                          for ref in elastic.elastic_pools(p)},
            "snapshots": elastic.snapshot_table(p),
        }
        fleet = p.registration.fleet
        self.fleet_output = None if not fleet.enabled else pulumi.Output.all(
            fleetId=self.registered_cluster.fleet_id, applied=fleet.apply,
            members=pulumi.Output.all(**{p.idc.name: self.registered_cluster.cluster_id, **{n: m.cluster_id for n, m in fleet.members.items()}}))


def build(platform: Platform, secrets: PlatformSecrets, stack: str) -> HybridPlatform:
    """The program once the config is read: the platform and the stack outputs.

    ``__main__.py`` calls it under the engine; tests call it in-process under Pulumi's mocks.
    """
    hybrid = HybridPlatform("hybrid", HybridPlatformArgs(platform=platform, secrets=secrets, stack=stack))
    pulumi.export("networks", hybrid.network_outputs)
    pulumi.export("gpuPools", hybrid.gpu_pool_outputs)
    if hybrid.elastic is not None:
        pulumi.export("elasticPools", hybrid.elastic_outputs)
    pulumi.export("registeredClusterId", hybrid.registered_cluster.cluster_id)
    pulumi.export("placement", hybrid.placement_output)
    pulumi.export("placementTopology", hybrid.placement_topology)
    if hybrid.fleet_output is not None:
        pulumi.export("fleet", hybrid.fleet_output)
    if hybrid.jobs_table:
        pulumi.export("jobs", hybrid.jobs_table)
    if hybrid.virtual_node is not None:
        pulumi.export("virtualNodeConfig", hybrid.virtual_node.config.apply(json.loads))
    return hybrid
