"""What cloud GPU nodes reach and how (hybrid.model.node_access), against hand-worked cases of the
prod and dev stacks: the path of each endpoint, a refusal naming the endpoint and the field for each
way a path can be missing, and the node config rendered from it (containerd hosts.toml in the
format of containerd/containerd docs/hosts.md, apt sources, /etc/hosts)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hybrid import cloudinit
from hybrid.errors import ConfigError
from hybrid.model import load
from hybrid.model.node_access import needs, report, resolve

ROOT = Path(__file__).resolve().parents[1]


def rows(p, region):
    return {e["endpoint"]: e for e in report(p)["regions"][region]["endpoints"]}


def refused(raw) -> list[str]:
    with pytest.raises(ConfigError) as e:
        load(raw)
    return [i.render() for i in e.value.issues]


def test_prod_paths_hand_worked(prod_raw):
    p = load(prod_raw)
    bj, hz, zjk = rows(p, "cn-beijing"), rows(p, "cn-hangzhou"), rows(p, "cn-zhangjiakou")
    # apiserver 10.0.0.10 is in idc.nodeCidrs[0] 10.0.0.0/18: the leased line
    assert bj["10.0.0.10:6443"]["path"]["via"] == "leasedLine" and "nodeCidrs[0]" in bj["10.0.0.10:6443"]["path"]["detail"]
    # cluster-info's server is an IDC name: PrivateZone forwarding in cn-beijing, a host entry in cn-hangzhou
    cpe = "k8s-api.idc-bj.corp.internal:6443"
    assert bj[cpe]["path"]["declaredBy"] == "nodeAccess.regions.cn-beijing.dns.forwardZones[0]"
    assert hz[cpe]["path"]["declaredBy"] == "nodeAccess.regions.cn-hangzhou.dns.hosts"
    # registry.k8s.io: ACR VPC endpoint in cn-beijing; IDC registry (10.1.0.30, extraRanges[0]) elsewhere
    assert bj["registry.k8s.io"]["path"]["reachedBy"]["via"] == "alibabaVpc"
    assert hz["registry.k8s.io"]["path"]["reachedBy"]["via"] == "leasedLine"
    assert "10.1.0.30" in zjk["registry.k8s.io"]["path"]["reachedBy"]["detail"]
    # quay.io has no mirror in cn-zhangjiakou: its NAT gateway serves it
    assert zjk["quay.io"]["path"]["via"] == "natGateway"
    # the elastic node script: OSS internal endpoint of the registration region only
    oss = sorted(e for e in bj if ".oss-cn-beijing-internal.aliyuncs.com/" in e)
    # cn-beijing: its join token, and the elastic node script (the registration region's elastic pools)
    assert oss == ["https://hybrid-prod-cn-beijing-join-idc-bj.oss-cn-beijing-internal.aliyuncs.com/join-token",
                   "https://hybrid-prod-idc-bj-node-scripts.oss-cn-beijing-internal.aliyuncs.com/elastic/hybrid-elastic-node.sh"]
    assert all(bj[e]["path"]["via"] == "alibabaVpc" for e in oss)
    # every GPU region reads its own token over its own internal endpoint (one serves only its region)
    assert [e for e in hz if "oss-" in e] == ["https://hybrid-prod-cn-hangzhou-join-idc-bj.oss-cn-hangzhou-internal.aliyuncs.com/join-token"]
    # kube-proxy: the program's kube-proxy-cloud (kubeadm's image for idc.kubernetesVersion)
    assert bj["registry.k8s.io"]["images"] == ["registry.k8s.io/kube-proxy:v1.30.4"]
    # every row has a path (the plan only runs when it does)
    assert all(e["path"] for r in report(p)["regions"].values() for e in r["endpoints"])


def test_every_image_a_gpu_node_runs_is_listed(prod_raw):
    p = load(prod_raw)
    pulled = {i for n in needs(p, p.region("cn-hangzhou")) for i in n.images}
    assert pulled == {
        "registry-vpc.cn-hangzhou.aliyuncs.com/acs/pause:3.9",
        "registry-cn-hangzhou-vpc.ack.aliyuncs.com/acs/terway:v1.16.7",
        "nvcr.io/nvidia/k8s-device-plugin:v0.17.4",
        "registry.k8s.io/kube-proxy:v1.30.4",
        "quay.io/prometheus/node-exporter:v1.8.2",
        # prod's metrics.enabled: the dcgm-exporter DaemonSet of every GPU pool (the model's default mirror path)
        "registry-vpc.cn-hangzhou.aliyuncs.com/acs/dcgm-exporter:4.5.3-4.8.2-distroless",
    }


def _mirrors(raw, region):
    return raw["nodeAccess"]["regions"][region]["registryMirrors"]


@pytest.mark.parametrize("case, edit, field, names", [
    ("no mirror, no egress", lambda r: _mirrors(r, "cn-beijing").pop(2),
     "nodeAccess.regions.cn-beijing.registryMirrors:", "nvcr.io"),
    ("mirror at another region's VPC endpoint", lambda r: _mirrors(r, "cn-beijing")[0].update(
        endpoint="https://hybrid-prod-registry-vpc.cn-hangzhou.cr.aliyuncs.com/v2/k8s"),
     "nodeAccess.regions.cn-beijing.registryMirrors[0].endpoint:", "registry.k8s.io"),
    ("public apt archive without egress", lambda r: r["nodeAccess"]["regions"]["cn-hangzhou"]["apt"].update(
        ubuntu="http://archive.ubuntu.com/ubuntu"), "nodeAccess.regions.cn-hangzhou.apt.ubuntu:", "archive.ubuntu.com"),
    ("IDC name without DNS, even with a NAT gateway", lambda r: r["nodeAccess"]["regions"]["cn-zhangjiakou"]["dns"]["hosts"].pop(
        "k8s-api.idc-bj.corp.internal"), "nodeAccess.regions.cn-zhangjiakou.dns:", "k8s-api.idc-bj.corp.internal:6443"),
    ("host entry outside the IDC ranges", lambda r: r["nodeAccess"]["regions"]["cn-hangzhou"]["dns"]["hosts"].update(
        {"registry.idc-bj.corp.internal": "192.168.77.1"}), "nodeAccess.regions.cn-hangzhou.registryMirrors[0].endpoint:", "registry.k8s.io"),
    ("forwarder outside the IDC ranges", lambda r: r["nodeAccess"]["regions"]["cn-beijing"]["dns"]["forwardZones"][0].update(
        forwarders=["8.8.8.8"]), "nodeAccess.regions.cn-beijing.dns.forwardZones[0].forwarders:", "8.8.8.8"),
    ("apiserver outside the IDC ranges", lambda r: r["idc"]["apiserver"].update(host="192.168.50.10"),
     "idc.apiserver.host:", "192.168.50.10:6443"),
    ("controlPlaneEndpoint not declared", lambda r: r["nodeAccess"].pop("controlPlaneEndpoint"),
     "nodeAccess.controlPlaneEndpoint:", "cluster-info"),
    ("GPU metrics exporter from a registry no region reaches", lambda r: r["metrics"].update(
        exporter={"image": "ghcr.io/example/dcgm-exporter"}),
     "nodeAccess.regions.cn-beijing.registryMirrors:", "ghcr.io"),
    ("a region the stack does not have", lambda r: r["nodeAccess"]["regions"].update({"cn-shanghai": {}}),
     "nodeAccess.regions.cn-shanghai:", "not a region of this stack"),
    ("rsync source outside the IDC", lambda r: r["regions"][2]["gpuPools"][0].update(preload=[{
        "name": "x", "source": "rsync://203.0.113.9/d/", "target": "/data/x", "rateMbit": 100}]),
     "preload.source:", "rsync://203.0.113.9"),
])
def test_a_need_without_a_path_is_refused_naming_endpoint_and_field(prod_raw, case, edit, field, names):
    edit(prod_raw)
    issues = refused(prod_raw)
    hit = [i for i in issues if i.startswith(field)]
    assert hit and names in hit[0] and "Fix:" in hit[0], (case, issues)


@pytest.mark.parametrize("path, value, field", [
    (("gpu", "devicePlugin", "image"), "nvcr.io/nvidia/k8s-device-plugin@sha256:" + "a" * 64, "gpu.devicePlugin.image"),
    (("gpu", "devicePlugin", "image"), "nvcr.io/NVIDIA/k8s-device-plugin", "gpu.devicePlugin.image"),
    (("cni", "terway", "imageRegistry"), "registry-{region}-vpc.ack.aliyuncs.com/acs//x", "cni.terway.imageRegistry"),
    (("cni", "kubeProxy", "image"), "registry.k8s.io/kube-proxy:v1.30.4:extra", "cni.kubeProxy.image"),
    (("metrics", "exporter", "image"), "nvcr.io/nvidia/k8s/dcgm-exporter:4.5.3", "metrics.exporter.image"),
])
def test_settable_image_references_follow_the_grammar(prod_raw, path, value, field):
    obj = prod_raw
    for k in path[:-1]:
        obj = obj.setdefault(k, {})
    obj[path[-1]] = value
    assert any(i.startswith(field + ":") for i in refused(prod_raw))


def test_idc_daemonset_images_follow_the_grammar(prod_raw):
    prod_raw["nodeAccess"]["idcDaemonSets"][0]["images"] = ["registry.k8s.io/kube-proxy:v1.30.4:extra"]
    assert any(i.startswith("nodeAccess.idcDaemonSets[0].images") for i in refused(prod_raw))


def _ctx(p, region, pool):
    return cloudinit.context_for(p, region, next(x for x in p.region(region).gpu_pools if x.name == pool))


def test_containerd_hosts_toml_per_registry(prod_raw):
    p = load(prod_raw)
    files = {f["path"]: f["content"] for f in cloudinit.containerd_hosts_files(_ctx(p, "cn-beijing", "a10-train"))}
    # docs/hosts.md: one directory per registry host namespace; a mirror is a [host] with capabilities;
    # a mirror whose URL carries the API root in its path sets override_path.
    assert files["/etc/containerd/certs.d/registry.k8s.io/hosts.toml"] == (
        'server = "https://registry.k8s.io"\n\n'
        '[host."https://hybrid-prod-registry-vpc.cn-beijing.cr.aliyuncs.com/v2/k8s"]\n'
        '  capabilities = ["pull", "resolve"]\n'
        '  override_path = true\n')
    # a registry the VPC reaches directly: its upstream only
    assert files["/etc/containerd/certs.d/registry-vpc.cn-beijing.aliyuncs.com/hosts.toml"] == (
        'server = "https://registry-vpc.cn-beijing.aliyuncs.com"\n')
    assert sorted(files) == sorted(f"/etc/containerd/certs.d/{r}/hosts.toml" for r in (
        "nvcr.io", "quay.io", "registry-cn-beijing-vpc.ack.aliyuncs.com", "registry-vpc.cn-beijing.aliyuncs.com", "registry.k8s.io"))
    hz = {f["path"]: f["content"] for f in cloudinit.containerd_hosts_files(_ctx(p, "cn-hangzhou", "t4-infer"))}
    assert hz["/etc/containerd/certs.d/nvcr.io/hosts.toml"] == (
        'server = "https://nvcr.io"\n\n[host."https://registry.idc-bj.corp.internal:5000"]\n  capabilities = ["pull", "resolve"]\n')


def test_docker_io_upstream_is_registry_1(dev_raw):
    dev_raw["nodeAccess"].setdefault("idcDaemonSets", []).append({"name": "fluent-bit", "images": ["fluent/fluent-bit:3.1.9"]})
    dev_raw["nodeAccess"]["regions"]["cn-beijing"]["registryMirrors"].append({"upstream": "docker.io", "endpoint": "https://10.9.0.30:5000"})
    p = load(dev_raw)
    files = {f["path"]: f["content"] for f in cloudinit.containerd_hosts_files(_ctx(p, "cn-beijing", "a10-dev"))}
    assert files["/etc/containerd/certs.d/docker.io/hosts.toml"].startswith('server = "https://registry-1.docker.io"\n')


def test_cloud_init_apt_and_hosts_are_the_declared_ones(prod_raw):
    p = load(prod_raw)
    doc = yaml.safe_load(cloudinit.render_cloud_init(_ctx(p, "cn-hangzhou", "t4-infer"), "[secret]"))
    assert doc["apt"]["primary"] == [{"arches": ["default"], "uri": "http://10.1.0.40/ubuntu"}]
    assert doc["apt"]["preserve_sources_list"] is False
    assert doc["manage_etc_hosts"] is False
    hosts = [f for f in doc["write_files"] if f["path"] == "/etc/hosts"]
    assert hosts[0]["append"] is True
    assert "10.0.0.10 k8s-api.idc-bj.corp.internal\n" in hosts[0]["content"]
    join = next(f["content"] for f in doc["write_files"] if f["path"].endswith("/hybrid-join"))
    assert "K8S_APT_MIRROR=http://10.1.0.40/kubernetes/core/stable" in join
    lock = next(f["content"] for f in doc["write_files"] if f["path"] == "/etc/apt/apt.conf.d/90hybrid-lock-timeout")
    assert lock == 'DPkg::Lock::Timeout "600";\n'
    # cn-beijing declares no host entries: cloud-init keeps managing /etc/hosts as the image says
    bj = yaml.safe_load(cloudinit.render_cloud_init(_ctx(p, "cn-beijing", "a10-train"), "[secret]"))
    assert "manage_etc_hosts" not in bj and not [f for f in bj["write_files"] if f["path"] == "/etc/hosts"]


def test_plan_refuses_with_one_line_and_writes_nothing(tmp_path):
    doc = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod.yaml").read_text())
    doc["config"]["hybrid-gpu-platform:nodeAccess"]["regions"]["cn-hangzhou"]["registryMirrors"] = []
    cfg = tmp_path / "Pulumi.reach.yaml"
    cfg.write_text(yaml.safe_dump(doc))
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "hybrid_tools.cli", "plan", "--config", str(cfg), "--out", str(out), "--no-policy"],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    line = [x for x in run.stderr.splitlines() if "registry.k8s.io" in x]
    assert line and "nodeAccess.regions.cn-hangzhou.registryMirrors" in line[0] and "egress none" in line[0]
    assert not out.exists() or not any(out.rglob("*"))


def test_reachability_json_is_written_by_the_plan_and_deterministic(prod_raw):
    p = load(prod_raw)
    a = json.dumps(report(p), sort_keys=True)
    assert a == json.dumps(report(load(prod_raw)), sort_keys=True)
    r = p.region("cn-beijing")
    assert all(resolve(p, r, n) is not None for n in needs(p, r))


def test_terway_reaches_the_apiserver_without_kube_proxy(prod_raw):
    from hybrid import cni as cni_plan

    p = load(prod_raw)
    ds = cni_plan.terway_daemonset(p.cni, "cn-hangzhou", "x", p.node_access.control_plane_endpoint)
    spec = ds["spec"]["template"]["spec"]
    want = [{"name": "KUBERNETES_SERVICE_HOST", "value": "k8s-api.idc-bj.corp.internal"},
            {"name": "KUBERNETES_SERVICE_PORT", "value": "6443"}]
    # both the init container (terway-cli nodeconfig talks to the apiserver) and terwayd
    for c in [*spec["initContainers"], *spec["containers"]]:
        if c["name"] in ("terway-init", "terway"):
            assert [e for e in c["env"] if e["name"].startswith("KUBERNETES_SERVICE_")] == want, c["name"]
    # the name resolves on the node: a hostNetwork pod gets the node's /etc/hosts (cn-hangzhou: dns.hosts)
    assert spec["hostNetwork"] is True
    assert p.node_access.region("cn-hangzhou").dns.hosts["k8s-api.idc-bj.corp.internal"] == "10.0.0.10"


def test_a_fixed_node_is_named_after_its_instance(prod_raw):
    p = load(prod_raw)
    ctx = _ctx(p, "cn-hangzhou", "t4-infer")
    join = yaml.safe_load(cloudinit.render_join_config(ctx, "[secret]"))
    # hybrid-join fills @REGION@ and @INSTANCE_ID@ from the metadata service: cn-hangzhou.i-...
    assert join["nodeRegistration"]["name"] == "@REGION@.@INSTANCE_ID@"
    labels = join["nodeRegistration"]["kubeletExtraArgs"]["node-labels"]
    assert "hybrid.example.com/host=@HOSTNAME@" in labels.split(",")
    script = cloudinit.render_join_script(ctx)
    assert 's/@HOSTNAME@/$HOST/g' in script and 's/@INSTANCE_ID@/$INSTANCE_ID/g' in script


def test_elastic_nodes_without_terway_credentials_are_refused(prod_raw):
    # identity.nodeRole false: fixed pools could name a ramRole, the elastic node pool's role only reads its script
    prod_raw["identity"] = {"nodeRole": False}
    for r in prod_raw["regions"]:
        for pool in r.get("gpuPools", []):
            pool["ramRole"] = "hybrid-gpu-node"
    issues = refused(prod_raw)
    hit = [i for i in issues if i.startswith("cni.terway.credentials:")]
    assert len(hit) == 1 and "a10-elastic" in hit[0] and "Fix:" in hit[0], issues
    # with an AccessKey for Terway every kind of GPU node has credentials
    prod_raw["cni"]["terway"]["credentials"] = "accessKey"
    load(prod_raw)
