"""Adopting the IDC cluster's running Calico must not damage it: not on `up`, not on `destroy`.

The program runs under the mock runtime (every registration with its options and
provider, as the engine receives them). A stand-in IDC cluster is filled with the
objects a Calico v3.28.2 manifest install has before this program ever runs;
`up` and then `destroy` are replayed against it with the engine's rules:

* create: a provider without ``upsertExistingObjects`` fails on an object that
  already exists (pulumi-kubernetes >= 4.29, see the pinned SDK's provider.py);
  with it, the object is updated in place;
* destroy: every resource in state is deleted in reverse registration order, except
  those with ``retainOnDelete``, which leave the state without a provider Delete;
  deleting a ``*Patch`` resource only gives its fields back.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from hybrid_tools.mockrun import redact
from hybrid_tools.plan import build_plan, resources_doc

ROOT = Path(__file__).resolve().parents[1]

# What a cluster installed from Calico v3.28.2's calico.yaml runs (manifests/calico.yaml at that tag):
# the calico-node DaemonSet, its calico-config ConfigMap and ServiceAccount; calico-node's startup then
# creates the pool default-ipv4-ippool (node/pkg/lifecycle/startup/startup.go). The practice's cluster
# already peers with its two route reflectors and runs with a global BGPConfiguration named default.
CALICO_DATASTORE = {
    ("crd.projectcalico.org", "IPPool", "", "default-ipv4-ippool"),
    ("crd.projectcalico.org", "BGPConfiguration", "", "default"),
    ("crd.projectcalico.org", "BGPPeer", "", "rr-a"),
    ("crd.projectcalico.org", "BGPPeer", "", "rr-b"),
}
EXISTING_MANIFEST = {
    ("apps", "DaemonSet", "kube-system", "calico-node"),
    ("", "ConfigMap", "kube-system", "calico-config"),
    ("", "ServiceAccount", "kube-system", "calico-node"),
    *CALICO_DATASTORE,
}
# An operator install: the Installation named default and what the operator made from it, the same
# datastore objects.
EXISTING_OPERATOR = {
    ("operator.tigera.io", "Installation", "", "default"),
    ("apps", "DaemonSet", "calico-system", "calico-node"),
    *CALICO_DATASTORE,
}


class AlreadyExists(Exception):
    pass


class Cluster:
    """The IDC cluster as a set of (group, kind, namespace, name); records every delete call."""

    def __init__(self, objects):
        self.objects = set(objects)
        self.deleted: list[tuple] = []

    def create(self, key, upsert: bool) -> None:
        if key in self.objects and not upsert:
            raise AlreadyExists(key)
        self.objects.add(key)

    def delete(self, key) -> None:
        self.deleted.append(key)
        self.objects.discard(key)


def _key(reg) -> tuple[str, str, str, str]:
    obj = redact(reg.inputs)
    group = obj["apiVersion"].rpartition("/")[0]
    meta = obj.get("metadata") or {}
    return group, obj["kind"], meta.get("namespace", ""), meta["name"]


_RUNS: dict = {}


def _run(tmp_path, install: str):
    """The prod program's registrations with calico.install set; a private copy per caller."""
    if install not in _RUNS:
        raw = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod.yaml").read_text())
        raw["config"]["hybrid-gpu-platform:cni"]["calico"]["install"] = install
        cfg = tmp_path / f"Pulumi.prod-{install}.yaml"
        cfg.write_text(yaml.safe_dump(raw))
        _, _, _RUNS[install], _ = build_plan("prod", config_file=cfg)
    return copy.deepcopy(_RUNS[install])


def _replay(run, cluster: Cluster):
    regs = sorted(run.registrations.values(), key=lambda r: r.urn)
    providers = {r.urn: r for r in regs if r.type == "pulumi:providers:kubernetes"}
    k8s = [r for r in regs if r.custom and r.type.startswith("kubernetes:") and "apiVersion" in r.inputs]
    order = list(run.registrations)  # registration order: dependencies first
    k8s.sort(key=lambda r: order.index(r.urn))
    assert k8s, "the program declared no Kubernetes objects"

    def upsert(reg) -> bool:
        prov = providers[reg.provider.rsplit("::", 1)[0]]
        return str(prov.inputs.get("upsertExistingObjects", "false")).lower() == "true"

    for reg in k8s:  # pulumi up
        if reg.type.endswith("Patch"):
            continue  # a patch needs the object to exist and never creates one
        cluster.create(_key(reg), upsert(reg))
    for reg in reversed(k8s):  # pulumi destroy
        if reg.options.get("retainOnDelete"):
            continue  # leaves the state, no provider Delete
        if reg.type.endswith("Patch"):
            continue  # deleting a patch relinquishes fields; the object stays
        cluster.delete(_key(reg))
    return k8s, upsert


@pytest.mark.parametrize("install,existing", [("manifest", EXISTING_MANIFEST), ("operator", EXISTING_OPERATOR)])
def test_destroy_never_deletes_what_the_cluster_already_had(tmp_path, install, existing):
    run = _run(tmp_path, install)
    cluster = Cluster(existing)
    k8s, upsert = _replay(run, cluster)

    survivors = existing & cluster.objects
    lost = existing - cluster.objects
    for key in sorted(existing):
        print(f"{install}: pre-existing {'/'.join(k for k in key if k)}: {'kept' if key in survivors else 'DELETED'}")
    print(f"{install}: destroy issued {len(cluster.deleted)} deletes, none of them for a pre-existing object")
    assert not lost, f"destroy deleted objects the cluster had before the stack: {sorted(lost)}"
    assert not set(cluster.deleted) & existing

    # Objects this program adopts are exactly those on the upsert provider, and each is retained.
    adopted = [r for r in k8s if upsert(r)]
    assert adopted and all(r.options.get("retainOnDelete") for r in adopted)
    # Its own objects (Terway, agent, disabled pools) are really deleted on destroy: the replay is not vacuous.
    assert any(k[1] == "IPPool" and k[3].startswith("cloud-") for k in cluster.deleted)
    assert any(k[1] == "DaemonSet" and k[3].startswith("terway-eniip-") for k in cluster.deleted)


def test_the_replay_catches_a_missing_retain(tmp_path):
    """Break the program's options on purpose: the same replay must then report the damage."""
    run = _run(tmp_path, "manifest")
    bgp = next(r for r in run.registrations.values() if r.name == "calico-bgpconfiguration-default")
    bgp.options = {k: v for k, v in bgp.options.items() if k != "retainOnDelete"}
    cluster = Cluster(EXISTING_MANIFEST)
    _replay(run, cluster)
    assert ("crd.projectcalico.org", "BGPConfiguration", "", "default") in cluster.deleted


def test_up_fails_on_existing_objects_without_upsert(tmp_path):
    """The ordinary IDC provider has no upsert: an existing object declared through it would fail `up`."""
    run = _run(tmp_path, "manifest")
    bgp = next(r for r in run.registrations.values() if r.name == "calico-bgpconfiguration-default")
    plain = next(r.urn for r in run.registrations.values() if r.type == "pulumi:providers:kubernetes" and r.name == "idc")
    bgp.provider = plain + "::" + bgp.provider.rsplit("::", 1)[1]
    with pytest.raises(AlreadyExists):
        _replay(run, Cluster(EXISTING_MANIFEST))


def test_resources_json_records_each_resources_options(tmp_path):
    docs = {d["name"]: d for d in resources_doc(_run(tmp_path, "manifest"))}
    # The adopted VPC of cn-hangzhou (stacks/Pulumi.prod.yaml): imported by id, protected, retained.
    assert docs["cn-hangzhou-vpc"]["options"] == {
        "import": "vpc-bp1k7mq9w2x3r4t5y6u7i", "protect": True, "retainOnDelete": True,
        "ignoreChanges": ["description", "enableIpv6", "tags", "vpcName"]}
    assert docs["cn-beijing-vpc"].get("options") is None  # created by the stack: no options
    assert docs["cni-calico-node-affinity"]["options"] == {"retainOnDelete": True}
    assert docs["cni-calico-node-affinity"]["provider"] == "idc-adopt"
    assert docs["calico-ippool-cloud-cn-beijing-vpc"]["provider"] == "idc"
    assert "options" not in docs["calico-ippool-cloud-cn-beijing-vpc"]
    assert "protect" not in docs["cn-hangzhou-vpc"]  # one home: under options


def test_kubernetes_providers_are_replaced_only_with_their_cluster(monkeypatch):
    """A replaced Kubernetes provider takes every object it manages with it. pulumi-kubernetes
    replaces a provider when its kubeconfig's active cluster changes (a new apiserver address
    counts), unless clusterIdentifier is set: then only when the identifier changes, never when
    the identifier stays the same (pulumi/pulumi-kubernetes@v4.32.0-27-g94977969d
    provider/pkg/provider/provider.go DiffConfig). So each provider names its cluster, the two
    IDC providers the same one, and the name does not follow the kubeconfig."""
    from hybrid_tools import stackconfig

    def identifiers():
        _, _, run, _ = build_plan("prod")
        return {r.name: r.inputs.get("clusterIdentifier") for r in run.registrations.values()
                if r.type == "pulumi:providers:kubernetes"}

    before = identifiers()
    assert before == {"idc": "idc/idc-bj", "idc-adopt": "idc/idc-bj", "fleet": "fleet/ai-fleet"}
    for name in stackconfig.OFFLINE_KUBECONFIGS:  # other kubeconfig files for the same clusters
        monkeypatch.setitem(stackconfig.OFFLINE_KUBECONFIGS, name, f"/elsewhere/{name.lower()}")
    assert identifiers() == before
