"""The node user-data piece by piece, against values worked out by hand from the stack files.

Each renderer of hybrid/cloudinit.py is called in the test itself (mutmut maps a test to the
functions its run entered); the platforms are loaded once, the model is not what is measured here.
Expected values come from stacks/Pulumi.{prod,dev}.yaml read by hand and from the upstream
facts named next to them, never from the module's constants.
"""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from hybrid import cloudinit, shtemplate, unconfirmed
from hybrid.model import load
from tests.conftest import stack_raw

CA_HASH = "sha256:" + "0f" * 32
SECRET = "[secret]"  # hybrid/redaction.py's marker, as the plan artifacts show it

PROD = load(stack_raw("prod"))
DEV = load(stack_raw("dev"))


def ctx_of(platform, region: str, pool: str) -> cloudinit.NodeContext:
    return cloudinit.context_for(platform, region, next(p for p in platform.region(region).gpu_pools if p.name == pool))


def params(script: str) -> dict[str, str]:
    """The rendered parameter block of a script: name -> the text after '=' (shell-quoted)."""
    block = script.split(shtemplate.BEGIN, 1)[1].split(shtemplate.END, 1)[0]
    out = {}
    for line in block.strip().splitlines():
        if not line.startswith("#"):
            name, _, value = line.partition("=")
            out[name] = value
    return out


# --- tc -----------------------------------------------------------------------------------------

def test_htb_burst_is_one_millisecond_at_the_rate_and_at_least_64_kib():
    # 1 Mbit/s = 125,000 bytes/s, so one millisecond is 125 bytes per Mbit/s.
    assert cloudinit.tc_burst_bytes(4000) == 500_000
    assert cloudinit.tc_burst_bytes(525) == 65_625  # the first rate above the floor
    assert cloudinit.tc_burst_bytes(524) == 65_536  # 65,500 bytes: the floor of 64 KiB
    assert cloudinit.tc_burst_bytes(1) == 65_536


def test_tc_script_parameters():
    script = cloudinit.render_tc_script(3, 7, ["10.0.0.0/18", "10.2.0.0/24"])
    assert params(script) == {
        "EGRESS_MBIT": "3", "EGRESS_BURST": "65536", "INGRESS_MBIT": "7", "INGRESS_BURST": "65536",
        "IDC_RANGES": "(10.0.0.0/18 10.2.0.0/24)", "ENI_GLOB": "'eth*'", "PRIO": "65000",
        "IFB_EGRESS": "hybrid-idc-out", "IFB_INGRESS": "hybrid-idc-in"}
    assert params(cloudinit.render_tc_script(8000, 20000, ["10.0.0.0/8"], eni_glob="ens*"))["ENI_GLOB"] == "'ens*'"
    assert params(cloudinit.render_tc_script(8000, 20000, ["10.0.0.0/8"]))["INGRESS_BURST"] == "2500000"


@pytest.mark.parametrize("egress, ingress", [(0, 1), (1, 0), (-1, 5), (5, -1)])
def test_tc_refuses_a_rate_that_is_not_positive(egress, ingress):
    with pytest.raises(ValueError, match="^rates must be positive$"):
        cloudinit.render_tc_script(egress, ingress, ["10.0.0.0/8"])


def test_tc_refuses_no_ranges_and_accepts_the_smallest_rates():
    with pytest.raises(ValueError, match="^no IDC ranges to shape$"):
        cloudinit.render_tc_script(1, 1, [])
    assert params(cloudinit.render_tc_script(1, 1, ["10.0.0.0/8"]))["EGRESS_MBIT"] == "1"


def test_tc_udev_rule():
    # systemd.device(5): SYSTEMD_WANTS on a "systemd"-tagged device pulls the unit in when it appears.
    assert cloudinit.tc_udev_rule() == (
        'ACTION=="add", SUBSYSTEM=="net", KERNEL=="eth*", TAG+="systemd", ENV{SYSTEMD_WANTS}+="hybrid-tc.service"\n')
    assert 'KERNEL=="ens*"' in cloudinit.tc_udev_rule("ens*")


# --- data disk, preload -------------------------------------------------------------------------

def test_data_disk_script_parameters():
    p = params(cloudinit.render_data_disk_script(500, "/data"))
    assert p == {"MOUNT": "/data", "LABEL": "hybrid-data", "SIZE_BYTES": "536870912000", "SIZE_GIB": "500",
                 "TIMEOUT_S": "1800"}  # 500 GiB = 500 * 2^30 bytes; thirty minutes by default
    assert params(cloudinit.render_data_disk_script(40, "/mnt/x", timeout_s=60))["TIMEOUT_S"] == "60"


def test_preload_scripts_parameters():
    assert params(cloudinit.render_preload_script()) == {"PRELOAD_MARKER": ".hybrid-preload-complete"}
    assert params(cloudinit.render_preload_run_script()) == {"PRELOAD_CONF_DIR": "/etc/hybrid/preload",
                                                             "PRELOAD_BIN": "/usr/local/sbin/hybrid-preload"}


# --- labels and the join configuration ----------------------------------------------------------

A10 = ctx_of(PROD, "cn-beijing", "a10-train")
T4 = ctx_of(PROD, "cn-hangzhou", "t4-infer")
OVERFLOW = ctx_of(PROD, "cn-zhangjiakou", "a10-overflow")

# prod's cni.cloudNodeLabel, the pool's name and gpuModelSeries, the environment (stacks/Pulumi.prod.yaml)
A10_LABELS = ("alibabacloud.com/external=true,alibabacloud.com/gpu-model-series=A10,hybrid.example.com/environment=prod,"
              "hybrid.example.com/gpu-pool=a10-train,node.kubernetes.io/instance-type=@INSTANCE_TYPE@,"
              "topology.kubernetes.io/region=@REGION@,topology.kubernetes.io/zone=@ZONE@")


def test_static_labels_and_the_kubelet_flag():
    assert cloudinit.static_node_labels(A10) == {
        "alibabacloud.com/external": "true", "hybrid.example.com/gpu-pool": "a10-train",
        "alibabacloud.com/gpu-model-series": "A10", "hybrid.example.com/environment": "prod"}
    assert cloudinit.node_labels_arg(A10) == A10_LABELS


def _with_cloud_label(key: str, value: str = "true") -> cloudinit.NodeContext:
    return dataclasses.replace(A10, cloud_label_key=key, cloud_label_value=value)


def test_label_lengths_at_the_kubernetes_limits():
    # IsQualifiedName (kubernetes/apimachinery pkg/util/validation): prefix a DNS subdomain of at most
    # 253 characters, name at most 63; a value at most 63. The longest key is 253 + 1 + 63 = 317.
    prefix = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])
    assert len(prefix) == 253
    longest = f"{prefix}/{'n' * 63}"
    assert f"{longest}=true" in cloudinit.node_labels_arg(_with_cloud_label(longest)).split(",")
    assert "x=" + "v" * 63 in cloudinit.node_labels_arg(_with_cloud_label("x", "v" * 63)).split(",")
    for key, value in ((prefix + "e/" + "n" * 63, "true"), (prefix + "/" + "n" * 64, "true"), ("n" * 64, "true"),
                       ("x", "v" * 64)):
        with pytest.raises(ValueError, match="outside the Kubernetes label grammar"):
            cloudinit.node_labels_arg(_with_cloud_label(key, value))


@pytest.mark.parametrize("key, value", [("x", "true\n"), ("x\n", "true"), ("x", "a,b"), ("a/b/c", "v"), ("x", "-v")])
def test_label_outside_the_grammar_is_refused(key, value):
    with pytest.raises(ValueError) as e:
        cloudinit.node_labels_arg(_with_cloud_label(key, value))
    assert str(e.value) == f"node label {key!r}={value!r} is outside the Kubernetes label grammar"


@pytest.mark.parametrize("version, api", [("1.30.4", "v1beta3"), ("1.31.0", "v1beta4"), ("1.32.1", "v1beta4"),
                                          ("1.29.9", "v1beta3")])
def test_kubeadm_config_api_by_version(version, api):
    # v1beta4 is served from kubeadm 1.31 (kubernetes v1.31.0 cmd/kubeadm/app/apis/kubeadm/v1beta4/doc.go).
    assert cloudinit.kubeadm_api_version(version) == f"kubeadm.k8s.io/{api}"


def test_join_configuration_of_a_fixed_pool():
    text = cloudinit.render_join_config(A10, CA_HASH)
    assert yaml.safe_load(text) == {
        "apiVersion": "kubeadm.k8s.io/v1beta3",  # prod's IDC runs 1.30.4
        "kind": "JoinConfiguration",
        "discovery": {"bootstrapToken": {"apiServerEndpoint": "10.0.0.10:6443", "token": "@JOIN_TOKEN@",
                                         "caCertHashes": [CA_HASH]}},
        "nodeRegistration": {
            "criSocket": "unix:///run/containerd/containerd.sock",
            "kubeletExtraArgs": {"node-labels": A10_LABELS + ",hybrid.example.com/host=@HOSTNAME@"},
            "taints": [{"key": "hybrid.example.com/cloud", "value": "true", "effect": "PreferNoSchedule"}],
            "name": "@REGION@.@INSTANCE_ID@",
        },
        "patches": {"directory": "/etc/hybrid/kubeadm-patches"},
    }
    # keys sorted, block style, the long label line never folded
    assert [line for line in text.splitlines() if not line.startswith(" ")] == [
        "apiVersion: kubeadm.k8s.io/v1beta3", "discovery:", "kind: JoinConfiguration", "nodeRegistration:", "patches:"]
    assert "{" not in text
    assert f"    node-labels: {A10_LABELS},hybrid.example.com/host=@HOSTNAME@" in text.splitlines()
    # an untainted pool: an explicit empty list, kubeadm's "no taints"
    assert yaml.safe_load(cloudinit.render_join_config(T4, SECRET))["nodeRegistration"]["taints"] == []


def test_join_configuration_of_an_elastic_pool_and_of_v1beta4():
    join = yaml.safe_load(cloudinit.render_join_config(A10, SECRET, elastic=True))
    reg = join["nodeRegistration"]
    assert reg["name"] == "@NODE_NAME@" and reg["taints"] == "@TAINTS@"
    assert reg["kubeletExtraArgs"] == {"node-labels": A10_LABELS + "@EXTRA_LABELS@"}
    v4 = dataclasses.replace(A10, kubernetes_version="1.31.2")
    join = yaml.safe_load(cloudinit.render_join_config(v4, SECRET))
    # v1beta4 kubeletExtraArgs: a list of {name, value} (kubeadm v1beta4 Arg)
    assert join["apiVersion"] == "kubeadm.k8s.io/v1beta4"
    assert join["nodeRegistration"]["kubeletExtraArgs"] == [
        {"name": "node-labels", "value": A10_LABELS + ",hybrid.example.com/host=@HOSTNAME@"}]


def test_join_script_parameters_per_region():
    # cn-beijing: no apt override, Alibaba's VPC-internal mirror of pkgs.k8s.io; cn-hangzhou: the IDC's.
    bj = params(cloudinit.render_join_script(A10))
    assert bj == {
        "KUBE_VERSION": "1.30.4", "KUBE_MINOR": "1.30",
        "K8S_APT_MIRROR": "https://mirrors.cloud.aliyuncs.com/kubernetes-new/core/stable",
        "CERTS_D": "/etc/containerd/certs.d", "PAUSE_IMAGE": unconfirmed.value("cloudinit.pauseImage"),
        "DATA_MOUNT": "/data", "CONF_DIR": "/etc/hybrid", "METADATA": "http://100.100.100.200",
        # kubeadm < 1.32 requires conntrack (cmd/kubeadm/app/preflight/checks_linux.go addExecChecks)
        "PREFLIGHT_PACKAGES": "(conntrack ebtables ethtool iproute2 iptables socat util-linux)",
        "TOKEN_FETCH": "/usr/local/sbin/hybrid-join-token", "TOKEN_PLACEHOLDER": "@JOIN_TOKEN@"}
    assert params(cloudinit.render_join_script(T4))["K8S_APT_MIRROR"] == "http://10.1.0.40/kubernetes/core/stable"
    v32 = params(cloudinit.render_join_script(dataclasses.replace(A10, kubernetes_version="1.32.10")))
    assert (v32["KUBE_VERSION"], v32["KUBE_MINOR"]) == ("1.32.10", "1.32")
    assert v32["PREFLIGHT_PACKAGES"] == "(ebtables ethtool iproute2 iptables socat util-linux)"


@pytest.mark.parametrize("version, conntrack", [("1.30.4", True), ("1.31.14", True), ("1.32.0", False), ("1.33.2", False)])
def test_preflight_packages_by_version(version, conntrack):
    base = ("ebtables", "ethtool", "iproute2", "iptables", "socat", "util-linux")
    assert cloudinit.preflight_packages(version) == (("conntrack",) if conntrack else ()) + base


def test_join_token_script_reads_the_regions_bucket_on_its_internal_endpoint():
    # OSS VPC-internal endpoint: <bucket>.oss-<region>-internal.aliyuncs.com (Alibaba OSS "Regions and endpoints")
    assert params(cloudinit.render_join_token_script(T4)) == {
        "METADATA": "http://100.100.100.200",
        "OSS_HOST": "hybrid-prod-cn-hangzhou-join-idc-bj.oss-cn-hangzhou-internal.aliyuncs.com",
        "BUCKET": "hybrid-prod-cn-hangzhou-join-idc-bj", "KEY": "join-token", "ATTEMPTS": "14", "BACKOFF_S": "5"}
    p = params(cloudinit.render_join_token_script(T4, attempts=3, backoff_s=2))
    assert (p["ATTEMPTS"], p["BACKOFF_S"]) == ("3", "2")
    with pytest.raises(ValueError) as e:
        cloudinit.render_join_token_script(dataclasses.replace(T4, token_bucket=""))
    assert str(e.value) == "region cn-hangzhou has no join-token bucket in the render context"


def test_gpu_driver_script_parameters_per_region():
    assert params(cloudinit.render_gpu_driver_script(A10)) == {
        "DRIVER_SOURCE": "install", "DRIVER_BRANCH": "535", "EXPECT_GPUS": "1", "TOOLKIT_VERSION": "1.17.8",
        "TOOLKIT_APT_REPO": unconfirmed.value("gpu.toolkitAptRepo"),
        "TOOLKIT_GPG_KEY": unconfirmed.value("gpu.toolkitGpgKey"), "STATE_DIR": "/var/lib/hybrid"}
    t4 = params(cloudinit.render_gpu_driver_script(T4))  # cn-hangzhou's nodeAccess.apt
    assert (t4["TOOLKIT_APT_REPO"], t4["TOOLKIT_GPG_KEY"]) == (
        "http://10.1.0.40/libnvidia-container/stable/deb/amd64", "http://10.1.0.40/libnvidia-container/gpgkey")
    burst = params(cloudinit.render_gpu_driver_script(ctx_of(PROD, "cn-beijing", "a100-burst")))
    assert (burst["DRIVER_SOURCE"], burst["DRIVER_BRANCH"], burst["EXPECT_GPUS"]) == ("image", "550", "4")
    no_driver = dataclasses.replace(A10, pool=A10.pool.model_copy(update={"driver": None}))
    with pytest.raises(ValueError) as e:
        cloudinit.render_gpu_driver_script(no_driver)
    assert str(e.value) == "pool a10-train has no driver path"


# --- the cloud-config ---------------------------------------------------------------------------

@pytest.mark.parametrize("value, ok", [(CA_HASH, True), (SECRET, True), ("sha256:" + "0F" * 32, False),
                                       ("sha256:" + "0" * 63, False), ("md5:" + "0" * 32, False), ("", False)])
def test_ca_hash_form(value, ok):
    if ok:
        assert cloudinit.check_ca_hash(value) is None
    else:
        with pytest.raises(ValueError) as e:
            cloudinit.check_ca_hash(value)
        assert str(e.value) == "caCertHash must be sha256:<64 hex digits>."


def test_files_of_a_node_their_modes_and_owner():
    files = cloudinit.node_files(T4, "JOIN")
    modes = {f["path"]: f["permissions"] for f in files}
    assert modes == {
        "/etc/hybrid/kubeadm-join.yaml.tmpl": "0600",  # holds the CA hash: root only
        "/usr/local/sbin/hybrid-join": "0755", "/usr/local/sbin/hybrid-join-token": "0755",
        "/usr/local/sbin/hybrid-gpu-driver": "0755", "/usr/local/sbin/hybrid-tc": "0755",
        "/etc/udev/rules.d/90-hybrid-tc.rules": "0644", "/etc/udev/rules.d/71-nvidia-dev-char.rules": "0644",
        "/usr/local/sbin/hybrid-data-disk": "0755", "/etc/systemd/system/hybrid-data-disk.service": "0644",
        "/etc/systemd/system/hybrid-gpu-driver.service": "0644", "/etc/systemd/system/hybrid-join.service": "0644",
        "/etc/systemd/system/hybrid-tc.service": "0644", "/etc/systemd/system/hybrid-tc.timer": "0644",
        "/etc/apt/apt.conf.d/90hybrid-lock-timeout": "0644", "/etc/hybrid/ubuntu-mirror": "0644",
        "/etc/hybrid/hosts": "0644",
        **{f"/etc/containerd/certs.d/{r}/hosts.toml": "0644" for r in (
            "nvcr.io", "quay.io", "registry-cn-hangzhou-vpc.ack.aliyuncs.com", "registry-vpc.cn-hangzhou.aliyuncs.com",
            "registry.k8s.io")},
        "/usr/local/sbin/hybrid-metadata-guard": "0755", "/etc/systemd/system/hybrid-metadata-guard.service": "0644",
        "/etc/systemd/system/hybrid-metadata-guard.timer": "0644",
        "/usr/local/sbin/hybrid-preload": "0755", "/usr/local/sbin/hybrid-preload-run": "0755",
        "/etc/systemd/system/hybrid-preload@.service": "0644", "/etc/hybrid/preload/model-weights.env": "0600",
    }
    assert len(files) == len(modes) and {f["owner"] for f in files} == {"root:root"}
    by_path = {f["path"]: f["content"] for f in files}
    assert by_path["/etc/hybrid/kubeadm-join.yaml.tmpl"] == "JOIN"
    assert by_path["/etc/systemd/system/hybrid-tc.timer"] == shtemplate.unit("hybrid-tc.timer")
    assert by_path["/etc/systemd/system/hybrid-data-disk.service"] == shtemplate.unit("hybrid-data-disk.service")
    assert by_path["/etc/systemd/system/hybrid-preload@.service"] == shtemplate.unit("hybrid-preload@.service")
    assert by_path["/etc/udev/rules.d/71-nvidia-dev-char.rules"] == (
        'ACTION=="add", DEVPATH=="/bus/pci/drivers/nvidia", '
        'RUN+="/usr/bin/nvidia-ctk system create-dev-char-symlinks --create-all"\n')
    # apt.conf(5) DPkg::Lock::Timeout, in seconds
    assert by_path["/etc/apt/apt.conf.d/90hybrid-lock-timeout"] == 'DPkg::Lock::Timeout "600";\n'
    assert by_path["/etc/hybrid/ubuntu-mirror"] == "http://10.1.0.40/ubuntu\n"
    # t4-infer: egress 2000, ingress 5000 (rateLimits); 2000 * 125 = 250,000 and 625,000 bytes of burst
    tc = params(by_path["/usr/local/sbin/hybrid-tc"])
    assert (tc["EGRESS_MBIT"], tc["EGRESS_BURST"], tc["INGRESS_MBIT"], tc["INGRESS_BURST"]) == ("2000", "250000", "5000", "625000")
    assert tc["IDC_RANGES"] == "(10.0.0.0/18 10.128.0.0/14 10.1.0.0/20 10.2.0.0/24)"
    disk = params(by_path["/usr/local/sbin/hybrid-data-disk"])
    assert (disk["SIZE_GIB"], disk["MOUNT"]) == ("500", "/data")
    assert params(by_path["/usr/local/sbin/hybrid-preload"]) == {"PRELOAD_MARKER": ".hybrid-preload-complete"}
    assert params(by_path["/usr/local/sbin/hybrid-preload-run"])["PRELOAD_BIN"] == "/usr/local/sbin/hybrid-preload"
    assert by_path["/etc/hybrid/preload/model-weights.env"].startswith("NAME=model-weights\n")


def test_a_pool_without_preload_or_host_entries_gets_neither():
    paths = [f["path"] for f in cloudinit.node_files(A10, "JOIN")]
    assert "/etc/hybrid/hosts" not in paths  # cn-beijing declares no dns.hosts
    over = [f["path"] for f in cloudinit.node_files(OVERFLOW, "JOIN")]
    assert not [p for p in over if "preload" in p] and "/etc/hybrid/hosts" in over


def test_preload_settings_file_and_name_check():
    assert cloudinit.preload_env("ds", "rsync://h/x y/", "/data/d", 300) == (
        "NAME=ds\nSOURCE='rsync://h/x y/'\nTARGET=/data/d\nRATE_MBIT=300\n")
    bad = A10.pool.preload[0].model_copy(update={"name": "Imagenet"})
    ctx = dataclasses.replace(A10, pool=A10.pool.model_copy(update={"preload": [bad]}))
    with pytest.raises(ValueError) as e:
        cloudinit.node_files(ctx, "JOIN")
    assert str(e.value) == "preload name 'Imagenet' is not a lower-case word (a-z, 0-9, -)"
    ok = A10.pool.preload[0].model_copy(update={"name": "a" + "-" * 62})  # 63 characters: a systemd instance name fits
    files = cloudinit.node_files(dataclasses.replace(A10, pool=A10.pool.model_copy(update={"preload": [ok]})), "JOIN")
    assert f"/etc/hybrid/preload/a{'-' * 62}.env" in [f["path"] for f in files]


def test_ubuntu_mirror_and_hosts_entries():
    assert cloudinit.ubuntu_mirror(A10) == unconfirmed.value("nodeAccess.ubuntuMirror")
    assert cloudinit.ubuntu_mirror(T4) == "http://10.1.0.40/ubuntu"
    # prod cn-hangzhou dns.hosts, sorted by name, "<ip> <name>" as hosts(5) reads a line
    assert cloudinit.etc_hosts(T4) == ("# hybrid: IDC names (nodeAccess dns.hosts)\n"
                                       "10.0.0.10 k8s-api.idc-bj.corp.internal\n10.1.0.30 registry.idc-bj.corp.internal\n")


# --- registries without internet: containerd hosts.toml (containerd docs/hosts.md) ---------------

def test_upstream_server_of_docker_hub_is_registry_1():
    assert cloudinit.upstream_server("docker.io") == "https://registry-1.docker.io"
    assert cloudinit.upstream_server("quay.io") == "https://quay.io"


def test_hosts_toml_with_and_without_a_mirror():
    assert cloudinit.hosts_toml(A10, "nvcr.io") == (
        'server = "https://nvcr.io"\n\n'
        '[host."https://hybrid-prod-registry-vpc.cn-beijing.cr.aliyuncs.com/v2/nvcr"]\n'
        '  capabilities = ["pull", "resolve"]\n  override_path = true\n')
    assert cloudinit.hosts_toml(T4, "quay.io") == (
        'server = "https://quay.io"\n\n[host."https://registry.idc-bj.corp.internal:5000"]\n'
        '  capabilities = ["pull", "resolve"]\n')
    assert cloudinit.hosts_toml(T4, "registry-vpc.cn-hangzhou.aliyuncs.com") == (
        'server = "https://registry-vpc.cn-hangzhou.aliyuncs.com"\n')


def test_a_mirror_at_the_root_path_needs_no_override():
    # The model drops a trailing "/" from an endpoint; the renderer reads "/" as the root all the same.
    ctx = ctx_of(DEV, "cn-beijing", "a10-dev")
    mirror = ctx.access.registry_mirrors[0].model_copy(update={"endpoint": "https://10.9.0.30:5000/"})
    ctx = dataclasses.replace(ctx, access=ctx.access.model_copy(update={"registry_mirrors": [mirror]}))
    assert cloudinit.hosts_toml(ctx, "registry.k8s.io") == (
        'server = "https://registry.k8s.io"\n\n[host."https://10.9.0.30:5000/"]\n  capabilities = ["pull", "resolve"]\n')


@pytest.mark.parametrize("registry", ['a"b.io', "a\\b.io", "a\x1fb.io", "a\nb.io", "a\x7fb.io", "a\x00b.io", "a\tb.io"])
def test_a_value_that_is_no_toml_basic_string_is_refused(registry):
    with pytest.raises(ValueError) as e:
        cloudinit.hosts_toml(A10, registry)
    assert str(e.value) == f"{'https://' + registry!r} cannot be a TOML basic string here"


def test_a_space_is_a_toml_basic_string_character():
    # TOML v1.0.0 basic strings: any Unicode character but ", \ and the control characters other than tab
    # (U+0000-U+0008, U+000A-U+001F, U+007F); the renderer refuses tab as well
    assert cloudinit.hosts_toml(A10, "a b") == 'server = "https://a b"\n'
    assert cloudinit.hosts_toml(A10, "X~\x80.io") == 'server = "https://X~\x80.io"\n'  # U+007E and U+0080 around DEL


def test_one_hosts_file_per_registry_the_pods_pull_from():
    files = cloudinit.containerd_hosts_files(DEV_CTX)
    assert [f["path"] for f in files] == [f"/etc/containerd/certs.d/{r}/hosts.toml" for r in (
        "registry-cn-beijing-vpc.ack.aliyuncs.com", "registry-vpc.cn-beijing.aliyuncs.com", "registry.k8s.io")]
    assert files[2]["content"] == ('server = "https://registry.k8s.io"\n\n[host."https://10.9.0.30:5000"]\n'
                                   '  capabilities = ["pull", "resolve"]\n')
    assert {(f["owner"], f["permissions"]) for f in files} == {("root:root", "0644")}


DEV_CTX = ctx_of(DEV, "cn-beijing", "a10-dev")


def test_boot_steps_in_order():
    assert cloudinit.boot_steps(A10.pool) == [
        ["--now", "hybrid-tc.service", "hybrid-tc.timer"],
        ["--now", "hybrid-data-disk.service"],
        ["--now", "hybrid-metadata-guard.service", "hybrid-metadata-guard.timer"],
        ["--now", "hybrid-gpu-driver.service", "hybrid-join.service"],
        ["--now", "--no-block", "hybrid-preload@imagenet-1k.service"],
    ]
    assert cloudinit.boot_steps(OVERFLOW.pool) == cloudinit.boot_steps(A10.pool)[:4]


def test_cloud_config_document():
    text = cloudinit.render_cloud_init(T4, CA_HASH)
    assert text.startswith("#cloud-config\n")
    doc = yaml.safe_load(text)
    # key order as written (sort_keys=False): apt settings first, the files before the commands
    assert list(doc) == ["apt", "package_update", "packages", "write_files", "runcmd", "manage_etc_hosts"]
    # cloud-init cc_apt_configure: the image's sources replaced by the region's mirror only
    assert doc["apt"] == {"preserve_sources_list": False,
                          "primary": [{"arches": ["default"], "uri": "http://10.1.0.40/ubuntu"}],
                          "security": [{"arches": ["default"], "uri": "http://10.1.0.40/ubuntu"}]}
    assert doc["package_update"] is True
    assert doc["packages"] == ["ca-certificates", "containerd", "curl", "gpg", "iproute2", "rsync", "util-linux"]
    assert doc["runcmd"] == [["systemctl", "daemon-reload"], *(["systemctl", "enable", *s] for s in cloudinit.boot_steps(T4.pool))]
    assert doc["manage_etc_hosts"] is False
    files = doc["write_files"]
    assert files[:-1] == cloudinit.node_files(T4, cloudinit.render_join_config(T4, CA_HASH))
    assert files[-1] == {"path": "/etc/hosts", "content": cloudinit.etc_hosts(T4), "owner": "root:root",
                         "permissions": "0644", "append": True}
    # multi-line file contents as literal blocks, ASCII only (escapes, not raw characters)
    assert "  content: |\n    #!/bin/bash\n" in text and text.isascii()
    # block style for every list too (the bytes are the instances' user-data: a new form replaces them all)
    assert "packages:\n- ca-certificates\n- containerd\n" in text and "runcmd:\n- - systemctl\n  - daemon-reload\n" in text


def test_cloud_config_without_host_entries_and_bad_hash():
    doc = yaml.safe_load(cloudinit.render_cloud_init(A10, SECRET))
    assert list(doc) == ["apt", "package_update", "packages", "write_files", "runcmd"]
    assert doc["apt"]["primary"] == [{"arches": ["default"], "uri": unconfirmed.value("nodeAccess.ubuntuMirror")}]
    assert "/etc/hosts" not in [f["path"] for f in doc["write_files"]]
    with pytest.raises(ValueError, match="caCertHash"):
        cloudinit.render_cloud_init(A10, "sha256:xyz")


def test_non_ascii_content_is_escaped_in_the_user_data():
    # The model keeps sources ASCII; a copy past it shows what the dumper does with anything else.
    source = "rsync://10.1.0.20/donn\u00e9es d entra\u00eenement/" + "tr\u00e8s longues " * 4
    pre = T4.pool.preload[0].model_copy(update={"source": source})
    ctx = dataclasses.replace(T4, pool=T4.pool.model_copy(update={"preload": [pre]}))
    text = cloudinit.render_cloud_init(ctx, SECRET)
    assert text.isascii()  # allow_unicode=False: escaped, the user-data stays ASCII
    env = next(f for f in yaml.safe_load(text)["write_files"] if f["path"].endswith("model-weights.env"))
    assert f"SOURCE='{source}'\n" in env["content"]
    # that content is a double-quoted scalar now, over 80 characters with spaces: never folded
    line = next(x for x in text.splitlines() if "NAME=model-weights" in x)
    assert line.startswith('  content: "NAME=model-weights\\nSOURCE=') and line.endswith('RATE_MBIT=2000\\n"')


def test_render_context_of_a_pool():
    ctx = ctx_of(PROD, "cn-hangzhou", "t4-infer")
    assert (ctx.region_id, ctx.environment, ctx.pool.name) == ("cn-hangzhou", "prod", "t4-infer")
    assert (ctx.apiserver_host, ctx.apiserver_port, ctx.kubernetes_version) == ("10.0.0.10", 6443, "1.30.4")
    assert (ctx.cloud_label_key, ctx.cloud_label_value) == ("alibabacloud.com/external", "true")
    # idc.nodeCidrs, podCidr, extraRanges of prod, in that order
    assert ctx.idc_ranges == ("10.0.0.0/18", "10.128.0.0/14", "10.1.0.0/20", "10.2.0.0/24")
    assert ctx.access.apt.ubuntu == "http://10.1.0.40/ubuntu"
    # the registries of every image a cn-hangzhou GPU node runs, each once, sorted
    assert ctx.registries == ("nvcr.io", "quay.io", "registry-cn-hangzhou-vpc.ack.aliyuncs.com",
                              "registry-vpc.cn-hangzhou.aliyuncs.com", "registry.k8s.io")
    assert ctx.token_bucket == "hybrid-prod-cn-hangzhou-join-idc-bj"
