"""DualCni: Calico on IDC bare metal, Terway on cloud nodes, on the IDC cluster.

The objects come from ``hybrid.cni`` (pure). Only Terway's ``eni-config`` data
and the checksum annotation on its pod template depend on Outputs (pod vSwitch
and security group ids); those are built with ``Output.all(...).apply`` and
passed as inputs. Every resource is declared up front, never inside an apply.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Optional

import pulumi
import pulumi_alicloud as alicloud
import pulumi_kubernetes as k8s

from components.contracts import RegionNetworkOutputs, RegisteredClusterOutputs
from hybrid import calico as calico_plan
from hybrid import cni as plan
from hybrid.model.cni import Cni
from hybrid.model.network import Idc


@dataclass
class DualCniArgs:
    cni: Cni
    idc: Idc
    regions: list[RegionNetworkOutputs] = field(default_factory=list)
    # Calico's objects already exist in the IDC cluster: they go through this second Kubernetes
    # provider (upsertExistingObjects). ``opts.providers`` holds one provider per package, the IDC
    # cluster's own one; this is the only provider an Args carries, and only for that reason.
    adopt_provider: Optional[k8s.Provider] = None
    # The Secret Terway's credentials come from (accessKey / credentialFile modes), if the program makes it.
    credential_secret: Optional[pulumi.Resource] = None
    # HOST:PORT Terway reaches the apiserver at without kube-proxy (nodeAccess.controlPlaneEndpoint).
    apiserver: Optional[str] = None


# (apiVersion, kind) -> resource class; top-level fields besides apiVersion/kind/metadata become kwargs.
_KINDS: dict[tuple[str, str], Any] = {
    ("v1", "ServiceAccount"): k8s.core.v1.ServiceAccount,
    ("v1", "ConfigMap"): k8s.core.v1.ConfigMap,
    ("apps/v1", "DaemonSet"): k8s.apps.v1.DaemonSet,
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): k8s.rbac.v1.ClusterRole,
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): k8s.rbac.v1.ClusterRoleBinding,
    ("rbac.authorization.k8s.io/v1", "Role"): k8s.rbac.v1.Role,
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): k8s.rbac.v1.RoleBinding,
}
_KWARG = {"roleRef": "role_ref", "automountServiceAccountToken": "automount_service_account_token"}


def _eni_config_data(cni: Cni, idc: Idc, region_id: str, ipv6: bool, ids: list[Any]) -> dict[str, str]:
    """Terway's eni-config for one region from [pod vSwitch id per zone, pods security group id]."""
    return plan.eni_config_data(cni, idc, plan.TerwayRegion(region_id, dict(ids[0]), (ids[1],), ipv6))


def _terway_daemonset_spec(cni: Cni, region_id: str, apiserver: Optional[str], checksum: str) -> Any:
    return plan.terway_daemonset(cni, region_id, checksum, apiserver)["spec"]


class DualCni(pulumi.ComponentResource):
    """calico-node (or the tigera Installation's affinity) plus one Terway per cloud region.

    The IDC cluster's Kubernetes provider comes through ``opts.providers``; children inherit it.
    """

    def __init__(self, name: str, args: DualCniArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("hybrid:cni:DualCni", name, None, opts)
        self._name = name
        self.resources: dict[str, pulumi.CustomResource] = {}
        cni, idc = args.cni, args.idc

        # The cluster already runs Calico: its objects are patched server-side (only the fields
        # named are owned) and never given back. Deleting a Patch resource relinquishes its fields
        # and unmanaged fields reset to their defaults (pulumi-kubernetes docs, "Managing Resources
        # with Server-Side Apply"): calico-node would lose its affinity and start on cloud nodes
        # beside Terway, so destroy leaves the patched objects as they are (retain_on_delete).
        adopt = pulumi.ResourceOptions(parent=self, provider=args.adopt_provider, retain_on_delete=True)
        if cni.calico.install == "manifest":
            ds = calico_plan.calico_node_patch(cni)
            meta = ds["metadata"]
            self.resources[f"DaemonSet/{meta['namespace']}/{meta['name']}"] = k8s.apps.v1.DaemonSetPatch(
                f"{name}-calico-node-affinity",
                metadata=meta,
                spec=ds["spec"],
                opts=adopt,
            )
        else:
            patch = calico_plan.installation_patch(cni, idc)
            self.resources["Installation/default"] = k8s.apiextensions.CustomResourcePatch(
                f"{name}-calico-installation",
                api_version=patch["apiVersion"],
                kind=patch["kind"],
                metadata=patch["metadata"],
                spec=patch["spec"],
                opts=adopt,
            )

        if args.regions:
            # Cloud nodes run their own kube-proxy (pods are local by their veth, hybrid/cni.py
            # kube_proxy_cloud_config); kubeadm's keeps off them through an affinity patch.
            kp = plan.kube_proxy_patch(cni)
            self.resources[f"DaemonSet/{kp['metadata']['namespace']}/{kp['metadata']['name']}"] = k8s.apps.v1.DaemonSetPatch(
                f"{name}-kube-proxy-affinity", metadata=kp["metadata"], spec=kp["spec"], opts=adopt)
            kp_cm = self._declare(plan.kube_proxy_config_map(cni))
            self._declare(plan.kube_proxy_cloud_daemonset(cni, idc), depends_on=[kp_cm])

        self.eni_configs: dict[str, pulumi.Output[dict[str, str]]] = {}
        # install: addon: the registered cluster's terway-eniip component (TerwayAddon) brings its own
        # DaemonSet, ConfigMap and RBAC; this component then declares no Terway object.
        terway_regions = args.regions if cni.terway.install == "manifest" else []
        rbac = [self._declare(obj) for obj in plan.terway_rbac(cni)] if terway_regions else []
        for region in sorted(terway_regions, key=lambda r: r.region_id):
            rid = region.region_id
            data = pulumi.Output.all(region.pod_vswitch_ids, region.pod_security_group_id).apply(
                functools.partial(_eni_config_data, cni, idc, rid, region.ipv6))
            self.eni_configs[rid] = data
            cm_obj = plan.terway_config_map(rid, {})
            cm = self._declare(cm_obj, data=data)
            checksum = data.apply(plan.config_checksum)
            ds_spec = checksum.apply(functools.partial(_terway_daemonset_spec, cni, rid, args.apiserver))
            ds_obj = plan.terway_daemonset(cni, rid, "", args.apiserver)
            # The DaemonSet mounts the ConfigMap and runs as the ServiceAccount: create those first.
            self._declare(ds_obj, spec=ds_spec, depends_on=[cm, *rbac, *([args.credential_secret] if args.credential_secret else [])])

        self.register_outputs({
            "resources": sorted(self.resources),
            "eniConfigs": self.eni_configs,
        })

    def _declare(self, obj: dict[str, Any], depends_on: Optional[list[pulumi.Resource]] = None, opts: Optional[pulumi.ResourceOptions] = None,
                 **overrides: Any) -> pulumi.CustomResource:
        kind = (obj["apiVersion"], obj["kind"])
        cls = _KINDS[kind]
        meta = obj["metadata"]
        kwargs = {_KWARG.get(k, k): v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
        kwargs.update(overrides)
        ns = meta.get("namespace")
        res_name = f"{self._name}-{obj['kind'].lower()}-{(ns + '-') if ns else ''}{meta['name']}"
        base = opts or pulumi.ResourceOptions(parent=self)
        res: pulumi.CustomResource = cls(res_name, metadata=meta, **kwargs,
                  opts=pulumi.ResourceOptions.merge(base, pulumi.ResourceOptions(depends_on=depends_on or [])))
        self.resources[f"{obj['kind']}/{(ns + '/') if ns else ''}{meta['name']}"] = res
        return res


@dataclass
class TerwayAddonArgs:
    cni: Cni
    cluster: RegisteredClusterOutputs  # installed once the agent is connected
    region: RegionNetworkOutputs  # the registration region, the only one the component serves


class TerwayAddon(pulumi.ComponentResource):
    """Terway as the registered cluster's terway-eniip component, through the CS API (install: addon).

    ``cs.KubernetesAddon``: create = InstallClusterAddons, a config change = ModifyClusterAddon, a
    version change = UpgradeClusterAddons. The config is computed from the region's pod vSwitch ids,
    so a zone added to the region reaches Terway on the next ``pulumi up``. The provider merges the
    config into the server's: a key dropped here keeps its old value there.
    """

    config: pulumi.Output[str]

    def __init__(self, name: str, args: TerwayAddonArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("hybrid:cni:TerwayAddon", name, None, opts)
        r = args.region
        self.config = pulumi.Output.all(r.pod_vswitch_ids, r.pod_security_group_id).apply(
            lambda a: plan.addon_config_json(args.cni, plan.TerwayRegion(r.region_id, dict(a[0]), (a[1],), r.ipv6)))
        self.addon = alicloud.cs.KubernetesAddon(
            f"{name}-addon",
            cluster_id=args.cluster.cluster_id,
            name=plan.ADDON_NAME,
            version=plan.addon_version(args.cni),
            config=self.config,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.cluster.connected]),
        )
        self.register_outputs({"config": self.config, "addonId": self.addon.id})
