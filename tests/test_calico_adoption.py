"""Adoption replay: `up` and `destroy` of the prod program against the IDC cluster's live Calico objects.

The program runs under the mock runtime, and every Kubernetes object it registers is
sent to a stand-in apiserver (tests/ssa_standin.py: server-side apply field ownership
and merging) the way pulumi-kubernetes sends it with server-side apply on:

* a ``*Patch`` resource: an apply of exactly its fields, with its own field manager
  (``pulumi.com/patchFieldManager`` or a name per resource), forced only with
  ``pulumi.com/patchForce: "true"``; the object must exist;
* any other resource: on a provider with ``upsertExistingObjects`` an apply (create or
  update); on one without, a create that fails on an existing object;
* the provider's answer is the live object after the apply (every manager's fields),
  which is what the program reads back (the pod pool's cidr/blockSize).

Before the program runs, the cluster holds calico-node as ``kubectl apply`` (client
side) left it, and the pod pool as calico-node's startup created it. ``destroy`` is
replayed in reverse order: ``retainOnDelete`` leaves the state with no call, a patch
without it gives its fields back (an apply with no fields), anything else is deleted.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pulumi
import pytest
import yaml

from hybrid_tools.mockrun import PlanMocks, run_program
from hybrid_tools.plan import MOCK_RESPONDERS
from hybrid_tools.stackconfig import offline_kubeconfigs, read_stack
from tests import ssa_standin as ssa

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "adoption"
DS_KEY = ("apps", "DaemonSet", "kube-system", "calico-node")
KP_KEY = ("apps", "DaemonSet", "kube-system", "kube-proxy")
POOL_KEY = ("crd.projectcalico.org", "IPPool", "", "default-ipv4-ippool")
FORCE = "pulumi.com/patchForce"
MANAGER = "pulumi.com/patchFieldManager"

# What calico-node's startup writes when no pool exists (node/pkg/lifecycle/startup/startup.go at
# v3.28.2: CALICO_IPV4POOL_CIDR, blockSize 26, CALICO_IPV4POOL_IPIP of the upstream manifest
# "Always", natOutgoing true, nodeSelector all()); the cidr is the one prod's cluster was installed with.
LIVE_POOL = {
    "apiVersion": "crd.projectcalico.org/v1", "kind": "IPPool", "metadata": {"name": "default-ipv4-ippool"},
    "spec": {"cidr": "10.128.0.0/14", "blockSize": 26, "ipipMode": "Always", "vxlanMode": "Never",
             "natOutgoing": True, "nodeSelector": "all()", "allowedUses": ["Workload", "Tunnel"]},
}


def live_cluster(pool_spec: dict | None = None) -> ssa.Apiserver:
    server = ssa.Apiserver()
    server.update("kubectl-client-side-apply", yaml.safe_load((DATA / "calico-node-daemonset.yaml").read_text()))
    server.update("kubeadm", yaml.safe_load((DATA / "kube-proxy-daemonset.yaml").read_text()))
    pool = copy.deepcopy(LIVE_POOL)
    pool["spec"].update(pool_spec or {})
    server.update("calico-node", pool)
    return server


class ClusterMocks(PlanMocks):
    """The plan's mocks, with every Kubernetes object sent to the stand-in apiserver."""

    def __init__(self, server: ssa.Apiserver):
        super().__init__(MOCK_RESPONDERS)
        self.server = server
        self.providers: dict[str, dict] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        rid, state = super().new_resource(args)
        if args.typ == "pulumi:providers:kubernetes":
            self.providers[args.name] = dict(args.inputs)
            return rid, state
        if not args.typ.startswith("kubernetes:") or "apiVersion" not in args.inputs:
            return rid, state
        obj = json.loads(json.dumps(args.inputs))
        prov = self.providers[args.provider.split("::")[-2]] if args.provider else {}
        if args.typ.endswith("Patch"):
            live = apply_patch(self.server, args.name, obj)
        elif str(prov.get("upsertExistingObjects", "false")).lower() == "true":
            live = self.server.apply("pulumi-kubernetes", obj, force=_force(obj))
        else:
            if ssa.key_of(obj) in self.server.objects:
                raise ssa.Conflict([("(create)", ("AlreadyExists",))])
            live = self.server.apply("pulumi-kubernetes", obj)
        return rid, {**state, **live}


def _force(obj: dict) -> bool:
    return ((obj.get("metadata") or {}).get("annotations") or {}).get(FORCE) == "true"


def _manager(name: str, obj: dict) -> str:
    return ((obj.get("metadata") or {}).get("annotations") or {}).get(MANAGER) or f"pulumi-patch-{name}"


def apply_patch(server: ssa.Apiserver, name: str, obj: dict) -> dict:
    return server.apply(_manager(name, obj), obj, force=_force(obj), must_exist=True)


def up(server: ssa.Apiserver, tmp_path: Path):
    raw = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod.yaml").read_text())
    cfg_file = tmp_path / "Pulumi.prod.yaml"
    cfg_file.write_text(yaml.safe_dump(raw))
    cfg = read_stack("prod", config_file=cfg_file)
    with offline_kubeconfigs():
        return run_program(cfg.program, cfg.project, cfg.stack, cfg.engine_config, cfg.secret_keys,
                           mocks=ClusterMocks(server))


def destroy(server: ssa.Apiserver, run) -> None:
    regs = [r for r in run.registrations.values()
            if r.custom and r.type.startswith("kubernetes:") and "apiVersion" in r.inputs]
    for reg in reversed(regs):
        if reg.options.get("retainOnDelete"):
            continue
        obj = reg.inputs
        if reg.type.endswith("Patch"):  # relinquish: apply nothing with the patch's manager
            ident = {"apiVersion": obj["apiVersion"], "kind": obj["kind"],
                     "metadata": {k: v for k, v in obj["metadata"].items() if k in ("name", "namespace")}}
            server.apply(_manager(reg.name, obj), ident, must_exist=True)
        else:
            server.delete(ssa.key_of(obj))


def only_affinity(lines: list[str]) -> None:
    """The calico-node check: every changed field lies under the pod template's affinity."""
    other = [ln for ln in lines if not ln[2:].startswith("spec.template.spec.affinity.")]
    assert not other, f"up changed {len(other)} calico-node field(s) besides the affinity:\n  " + "\n  ".join(other)


def _show(title: str, lines: list[str]) -> None:
    print(f"{title}: {len(lines)} field(s) changed")
    for ln in lines:
        print("   ", ln)


def test_up_changes_only_the_affinity_and_destroy_leaves_both_objects(tmp_path):
    server = live_cluster()
    ds_before, pool_before, kp_before = server.get(DS_KEY), server.get(POOL_KEY), server.get(KP_KEY)
    run = up(server, tmp_path)
    ds_after, pool_after, kp_after = server.get(DS_KEY), server.get(POOL_KEY), server.get(KP_KEY)

    ds_diff, pool_diff = ssa.diff(ds_before, ds_after), ssa.diff(pool_before, pool_after)
    _show("calico-node after up", ds_diff)
    _show("IPPool default-ipv4-ippool after up", pool_diff)
    only_affinity(ds_diff)
    kp_diff = ssa.diff(kp_before, kp_after)
    _show("kube-proxy (kubeadm's) after up", kp_diff)
    only_affinity(kp_diff)
    assert kp_diff
    assert ds_diff and all(ln.startswith("+ ") for ln in ds_diff)  # added, nothing replaced or removed
    # The image, env and volumes stay the live ones, and stay kubectl's.
    c = ds_after["spec"]["template"]["spec"]["containers"][0]
    assert c["image"] == "docker.io/calico/node:v3.28.2"
    assert {"name": "CALICO_IPV4POOL_IPIP", "value": "Always"} in c["env"]
    owners = server.owners(DS_KEY)
    print("calico-node field managers after up:", {m: len(p) for m, p in owners.items()})
    (patch_manager,) = [m for m in owners if m != "kubectl-client-side-apply"]
    assert all(p.startswith("spec.template.spec.affinity.") for p in owners[patch_manager])
    assert any(p.endswith(".image") for p in owners["kubectl-client-side-apply"])

    # The pool: cidr and blockSize untouched; encapsulation off (the cut-over), forced from calico-node.
    assert pool_after["spec"]["cidr"] == "10.128.0.0/14" and pool_after["spec"]["blockSize"] == 26
    assert not [ln for ln in pool_diff if ".cidr" in ln or ".blockSize" in ln]
    assert "~ spec.ipipMode: \"Always\" -> \"Never\"" in pool_diff
    assert set(pool_diff) <= {"~ spec.ipipMode: \"Always\" -> \"Never\"", "+ metadata.annotations.pulumi.com/patchForce = \"true\""}

    destroy(server, run)
    print(f"destroy: {len(server.deleted)} objects deleted, none of them calico-node, kube-proxy or the pod pool")
    assert server.get(DS_KEY) == ds_after and server.get(POOL_KEY) == pool_after and server.get(KP_KEY) == kp_after
    assert not {DS_KEY, POOL_KEY, KP_KEY} & set(server.deleted)
    # Not vacuous: the program's own objects (disabled cloud pools, Terway) are deleted.
    assert any(k[1] == "IPPool" and k[3].startswith("cloud-") for k in server.deleted)


def test_the_replay_fails_when_the_full_daemonset_is_declared(tmp_path, monkeypatch):
    """Round 1 declared calico-node whole (its own image and env, patchForce): the same replay shows the damage."""
    from hybrid import calico as calico_plan

    full = json.loads((DATA / "round1-calico-node-daemonset.json").read_text())
    monkeypatch.setattr(calico_plan, "calico_node_patch", lambda cni: copy.deepcopy(full))
    server = live_cluster()
    before = server.get(DS_KEY)
    up(server, tmp_path)
    lines = ssa.diff(before, server.get(DS_KEY))
    with pytest.raises(AssertionError) as info:
        only_affinity(lines)
    print(str(info.value).splitlines()[0])
    for ln in [ln for ln in lines if not ln[2:].startswith("spec.template.spec.affinity.")][:12]:
        print("   ", ln)
    # The running calico-node would roll to the program's env: IPIP off, a pool CIDR, other probes and limits.
    assert "~ spec.template.spec.containers.k:{\"name\": \"calico-node\"}.env.k:{\"name\": \"CALICO_IPV4POOL_IPIP\"}.value: \"Always\" -> \"Never\"" in lines


def test_without_force_the_full_daemonset_conflicts(tmp_path, monkeypatch):
    """The same full copy without patchForce: the apiserver refuses it, naming kubectl's fields."""
    from hybrid import calico as calico_plan

    full = json.loads((DATA / "round1-calico-node-daemonset.json").read_text())
    full["metadata"].pop("annotations")
    monkeypatch.setattr(calico_plan, "calico_node_patch", lambda cni: copy.deepcopy(full))
    with pytest.raises(Exception) as info:
        up(live_cluster(), tmp_path)
    assert "kubectl-client-side-apply owns" in str(info.value)


def test_a_live_pool_that_differs_fails_the_run_naming_both_values(tmp_path):
    server = live_cluster({"cidr": "10.244.0.0/16"})
    with pytest.raises(Exception) as info:
        up(server, tmp_path)
    msg = str(info.value)
    print(msg.strip().splitlines()[-1])
    assert "idc.podCidr is 10.128.0.0/14" in msg and "the live pool's cidr is 10.244.0.0/16" in msg
    assert server.get(POOL_KEY)["spec"]["cidr"] == "10.244.0.0/16"  # never written
