"""Artifact writers over a hand-built recorded run (no program run: fast, and the
expectations are written out here, not derived from the writers)."""

from __future__ import annotations

import pytest
import yaml

from hybrid_tools import artifacts, gpu_artifacts
from hybrid_tools.mockrun import SECRET_SIG, SIG_KEY, ProgramRun, Registration

TOKEN, CA = "abcdef.0123456789abcdef", "sha256:" + "ab" * 32


def _secret(value):
    return {SIG_KEY: SECRET_SIG, "value": value}


def _reg(type_, name, inputs, custom=True):
    return Registration(urn=f"urn:{type_}::{name}", type=type_, name=name, parent="", custom=custom, provider="",
                        inputs=inputs, protect=False, dependencies=[])


def _user_data(dev="eth0"):
    join = f"discovery:\n  bootstrapToken:\n    caCertHashes:\n    - {CA}\n    token: {TOKEN}\n"
    return yaml.safe_dump({"write_files": [{"path": "/etc/join.yaml", "content": join}],
                           "runcmd": [["hybrid-tc", dev]]}, default_style=None)


def _instance(name, region="cn-x", pool="p", user_data=None):
    return _reg(gpu_artifacts.INSTANCE_TYPE, name, {
        "tags": {"region": region, "pool": pool},
        "userData": _secret(_user_data() if user_data is None else user_data)})


def _run(*regs, secrets=(TOKEN, CA)):
    return ProgramRun(registrations={r.urn: r for r in regs}, outputs={}, secret_values=tuple(secrets))


def test_cloud_init_is_the_recorded_user_data_with_the_secrets_redacted():
    disk = _reg("alicloud:ecs/ecsDisk:EcsDisk", "d", {"size": 500})  # sorts before the instances
    out = gpu_artifacts.gpu_cloud_init(None, _run(disk, _instance("a-0"), _instance("a-1"), _instance("b-0", pool="q")))
    assert sorted(out) == ["cloud-init/cn-x-p.yaml", "cloud-init/cn-x-q.yaml"]
    doc = yaml.safe_load(out["cloud-init/cn-x-p.yaml"])
    join = yaml.safe_load(doc["write_files"][0]["content"])
    assert join == {"discovery": {"bootstrapToken": {"caCertHashes": ["[secret]"], "token": "[secret]"}}}
    assert doc["runcmd"] == [["hybrid-tc", "eth0"]]
    text = "".join(out.values())
    assert TOKEN not in text and "0123456789abcdef" not in text and "ab" * 32 not in text


def test_instances_of_one_pool_must_agree():
    run = _run(_instance("a-0"), _instance("a-1", user_data=_user_data("eth1")))
    with pytest.raises(RuntimeError, match="cn-x-p"):
        gpu_artifacts.gpu_cloud_init(None, run)


def test_user_data_in_clear_text_is_refused():
    reg = _instance("a-0")
    reg.inputs["userData"] = _user_data()
    with pytest.raises(RuntimeError) as e:
        gpu_artifacts.gpu_cloud_init(None, _run(reg))
    assert str(e.value) == "an instance's userData was recorded in clear text; it must be a Pulumi secret"


def test_instances_without_user_data_and_other_types_write_nothing():
    bare = _reg(gpu_artifacts.INSTANCE_TYPE, "n", {"tags": {"region": "r", "pool": "p"}})
    disk = _reg("alicloud:ecs/ecsDisk:EcsDisk", "d", {"userData": _secret("x")})
    assert gpu_artifacts.gpu_cloud_init(None, _run(bare, disk)) == {}


def test_redaction_replaces_the_longest_secret_first():
    # One secret contains another: the longer one must go whole, not leave its tail.
    text = gpu_artifacts.redact_text("k: abc.defghi\n", ("abc", "abc.defghi"))
    assert text == "k: '[secret]'\n"


def test_manifest_secret_keeps_keys_and_hides_values():
    secret = _reg("kubernetes:core/v1:Secret", "s", {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "ns"},
        "stringData": _secret({"token": TOKEN, "ca": "x"}), "data": _secret({"key": "eA=="})})
    cm = _reg("kubernetes:core/v1:ConfigMap", "c", {"apiVersion": "v1", "kind": "ConfigMap",
                                                   "metadata": {"name": "c"}, "data": {"a": "b"}})
    comp = _reg("kubernetes:core/v1:Secret", "x", {"apiVersion": "v1", "kind": "Secret"}, custom=False)
    out = artifacts.manifests(None, _run(secret, cm, comp))
    assert sorted(out) == ["manifests/cluster/configmap-c.yaml", "manifests/ns/secret-s.yaml"]
    doc = yaml.safe_load(out["manifests/ns/secret-s.yaml"])
    assert doc["stringData"] == {"ca": "[secret]", "token": "[secret]"} and doc["data"] == {"key": "[secret]"}
    assert yaml.safe_load(out["manifests/cluster/configmap-c.yaml"])["data"] == {"a": "b"}


def test_dump_yaml_is_sorted_block_style_with_literal_blocks_and_no_wrapping():
    words = " ".join(["word"] * 40)  # longer than any default line width
    text = artifacts.dump_yaml({"b": 1, "a": {"s": "x\ny\n", "l": [1, 2]}, "long": words})
    assert text == f"a:\n  l:\n  - 1\n  - 2\n  s: |\n    x\n    y\nb: 1\nlong: {words}\n"


def test_only_declared_kubernetes_objects_reach_manifests():
    skip_first = _reg("aaa:component:Thing", "c", {"apiVersion": "v1", "kind": "ConfigMap"}, custom=False)
    group = _reg("kubernetes:yaml/v2:ConfigGroup", "g", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "g"}})
    no_api = _reg("kubernetes:core/v1:ConfigMap", "n", {"kind": "ConfigMap", "metadata": {"name": "n"}})
    no_kind = _reg("kubernetes:core/v1:ConfigMap", "k", {"apiVersion": "v1", "metadata": {"name": "k"}})
    unnamed = _reg("kubernetes:core/v1:ConfigMap", "u", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}})
    ok = _reg("kubernetes:core/v1:ConfigMap", "z", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "z"}})
    out = artifacts.manifests(None, _run(skip_first, group, no_api, no_kind, unnamed, ok))
    assert sorted(out) == ["manifests/cluster/configmap-unnamed.yaml", "manifests/cluster/configmap-z.yaml"]


def test_patches_go_to_patches_and_whole_objects_to_manifests():
    # pulumi-kubernetes names a server-side-apply patch's type kubernetes:<apiVersion>:<kind>Patch
    # (the pinned SDK's core/v1/ConfigMapPatch.py, apiextensions/CustomResourcePatch.py).
    patch = _reg("kubernetes:crd.projectcalico.org/v1:IPPoolPatch", "a-pool", {
        "apiVersion": "crd.projectcalico.org/v1", "kind": "IPPool", "metadata": {"name": "default-ipv4-ippool"},
        "spec": {"natOutgoing": True}})
    cm_patch = _reg("kubernetes:core/v1:ConfigMapPatch", "b-cm", {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kube-proxy", "namespace": "kube-system"},
        "data": {"k": "v"}})
    whole = _reg("kubernetes:core/v1:ConfigMap", "c-cm", {"apiVersion": "v1", "kind": "ConfigMap",
                                                         "metadata": {"name": "c", "namespace": "ns"}})
    out = artifacts.manifests(None, _run(patch, cm_patch, whole))
    assert out == {
        "manifests/ns/configmap-c.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: ns\n",
        "patches/cluster/ippool-default-ipv4-ippool.yaml":
            "apiVersion: crd.projectcalico.org/v1\nkind: IPPool\nmetadata:\n  name: default-ipv4-ippool\n"
            "spec:\n  natOutgoing: true\n",
        "patches/kube-system/configmap-kube-proxy.yaml":
            "apiVersion: v1\ndata:\n  k: v\nkind: ConfigMap\nmetadata:\n  name: kube-proxy\n  namespace: kube-system\n",
    }


def test_a_patch_before_a_whole_object_does_not_hide_it():
    # Read in URN order: kubernetes:apps/... before kubernetes:core/..., so the patch comes first for
    # manifests/ and the whole object first for patches/; each reading must go on past the other kind.
    patch = _reg("kubernetes:apps/v1:DeploymentPatch", "a", {"apiVersion": "apps/v1", "kind": "Deployment",
                                                             "metadata": {"name": "p"}})
    whole = _reg("kubernetes:core/v1:ConfigMap", "b", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "w"}})
    assert [o["metadata"]["name"] for o in artifacts.k8s_objects(_run(patch, whole))] == ["w"]
    late = _reg("kubernetes:core/v1:ServicePatch", "c", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}})
    assert [o["metadata"]["name"] for o in artifacts.k8s_objects(_run(whole, patch, late), patches=True)] == ["p", "s"]
