"""hybrid/model/cni.py: Terway's idle-IP pool bounds, its per-region registry, kube-proxy's image, the IPvlan rule.

Sources: Terway keeps its idle ENI IPs between eni_conf's min_pool_size and max_pool_size
(terway@release-1.16 docs; docs/validators.md), so a minimum above the maximum never settles; equal
bounds are a fixed pool. kubeadm deploys kube-proxy as registry.k8s.io/kube-proxy:v<version>
(cmd/kubeadm/app/constants DefaultImageRepository, cmd/kubeadm/app/images GetKubernetesImage). IPvlan
hands pod packets to the ENI below the host's netfilter and qdiscs (terway@release-1.16
daemon/builder.go getDatapath), where the metadata guard and tc shaping of the cloud GPU nodes act;
manifest mode renders the veth datapath only. Cases edit dev (one region cn-beijing with the fixed
pool a10-dev; Terway as manifest, pool sizes 0..5) and prod (cn-beijing also has the elastic pool
a10-elastic).
"""

from __future__ import annotations

import pytest

from hybrid.model import load
from hybrid.model.cni import KubeProxy, Terway
from tests.conftest import refusals

IPVLAN_NODES = ("ipvlan is true but cloud GPU nodes in ['cn-beijing'] run the metadata guard (and tc shaping where "
                "rateLimits are set), which see pod traffic only on the veth datapath; IPvlan bypasses the host's "
                "netfilter and qdiscs, so pods would reach the metadata service unshaped.")


def _terway(raw, **terway):
    raw["cni"]["terway"].update(terway)
    return raw


# --- the idle-IP pool --------------------------------------------------------------

@pytest.mark.parametrize("lo,hi", [(5, 5), (0, 0), (4, 5), (0, 100)])
def test_a_minimum_up_to_the_maximum_is_accepted(dev_raw, lo, hi):
    t = load(_terway(dev_raw, minPoolSize=lo, maxPoolSize=hi)).cni.terway
    assert (t.min_pool_size, t.max_pool_size) == (lo, hi)


@pytest.mark.parametrize("lo,hi", [(6, 5), (1, 0)])
def test_a_minimum_one_above_the_maximum_is_refused(dev_raw, lo, hi):
    assert refusals(_terway(dev_raw, minPoolSize=lo, maxPoolSize=hi)) == [
        ("cni.terway", f"minPoolSize {lo} is above maxPoolSize {hi}; Terway would never settle its idle-IP pool.",
         "set minPoolSize <= maxPoolSize, e.g. minPoolSize: 0, maxPoolSize: 5.")]


# --- images ------------------------------------------------------------------------

def test_the_registry_is_per_region():
    t = Terway(image_registry="registry-{region}-vpc.example.com/acs")
    assert (t.registry("cn-beijing"), t.registry("cn-hangzhou")) == ("registry-cn-beijing-vpc.example.com/acs",
                                                                      "registry-cn-hangzhou-vpc.example.com/acs")
    assert Terway(image_registry="mirror.example.com/acs").registry("cn-beijing") == "mirror.example.com/acs"


def test_kube_proxy_defaults_to_kubeadms_image_for_the_cluster_version():
    assert KubeProxy().reference("1.30.4") == "registry.k8s.io/kube-proxy:v1.30.4"
    assert KubeProxy(image="mirror.example.com/kube-proxy:v1.30.4-idc").reference("1.30.4") == \
        "mirror.example.com/kube-proxy:v1.30.4-idc"


# --- IPvlan --------------------------------------------------------------------------

def test_ipvlan_with_gpu_nodes_is_refused_naming_their_regions(dev_raw):
    assert refusals(_terway(dev_raw, ipvlan=True, install="addon")) == [("cni.terway.ipvlan", IPVLAN_NODES, "set ipvlan: false.")]


def test_ipvlan_in_manifest_mode_is_refused_even_without_nodes(dev_raw):
    dev_raw["regions"][0]["gpuPools"] = []
    assert refusals(_terway(dev_raw, ipvlan=True)) == [
        ("cni.terway.ipvlan", "ipvlan is true but install is manifest, which renders the veth datapath only.",
         "set ipvlan: false.")]


def test_ipvlan_through_the_addon_without_gpu_nodes_is_accepted(dev_raw):
    dev_raw["regions"][0]["gpuPools"] = []
    t = load(_terway(dev_raw, ipvlan=True, install="addon")).cni.terway
    assert (t.ipvlan, t.install) == (True, "addon")


def test_an_elastic_pool_counts_as_gpu_nodes(prod_raw):
    for region in prod_raw["regions"]:
        region["gpuPools"] = []  # cn-beijing keeps its elastic pool a10-elastic
    got = [i for i in refusals(_terway(prod_raw, ipvlan=True, install="addon")) if i[0] == "cni.terway.ipvlan"]
    assert got == [("cni.terway.ipvlan", IPVLAN_NODES, "set ipvlan: false.")]
