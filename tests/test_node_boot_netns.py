"""A dev cloud GPU node's user-data, booted in a network namespace with no default route.

The namespace holds only the stand-ins on its own addresses (tests/node_standins.py): Alibaba's
VPC-internal mirror site with real signed apt repositories (a throwaway GPG key; Ubuntu suites,
the Kubernetes and NVIDIA toolkit flat repositories and their keys), the VPC registries, the
metadata service (with the instance RAM role's STS credentials), the region's join-token bucket on
its OSS internal endpoint (tests/oss_standin.py: the V1 signature checked), the IDC apiserver
(cluster-info) and the IDC registry mirror. Any other name
fails to resolve and any other address has no route: the node has no internet.

The boot runs the rendered files as the instance gets them, in a private mount namespace (the
node's /etc/apt, /etc/containerd, /etc/hybrid, ... are temporary directories, nothing on this
machine changes), with the network steps real: apt-get update against the mirrors cloud-init's
``apt`` section and the scripts configure (signatures checked), curl to the metadata service and
for the repository keys, kubeadm's discovery (cluster-info from the apiserver endpoint, then its
``server:``), and for every image the node's pods use, a manifest request the way containerd
resolves it from the rendered ``certs.d/<registry>/hosts.toml`` (hosts first, then ``server``).
Only what needs real hardware or packages is a shim (package installs, containerd and
nvidia-ctk themselves, systemctl, modprobe). Two control steps without the mirror config fail.

``python -m tests.test_node_boot_netns`` prints the boot's step table.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from hybrid import cloudinit
from hybrid.model import join_token, load
from hybrid.model.node_access import needs
from tests.conftest import stack_raw
from tests.node_standins import CONTAINERD_DEFAULT, Namespace, make_certs

VPC_REGISTRY, VPC_MIRROR, METADATA, OSS = "10.40.0.5", "10.40.0.6", "100.100.100.200", "10.40.0.7"
APISERVER, RSYNC, IDC_REGISTRY = "10.8.0.10", "10.9.0.20", "10.9.0.30"
NAMES = {"mirrors.cloud.aliyuncs.com": VPC_MIRROR, "registry-vpc.cn-beijing.aliyuncs.com": VPC_REGISTRY,
         "registry-cn-beijing-vpc.ack.aliyuncs.com": VPC_REGISTRY}
VPC_IMAGES = ["acs/pause:3.9", "acs/k8s-device-plugin:v0.17.4", "acs/terway:v1.16.7"]
SUITES = ("jammy", "jammy-updates", "jammy-backports", "jammy-security")
COMPONENTS = ("main", "restricted", "universe", "multiverse")
TOKEN, CA_HASH = "q7w2ke.5t8y1u4i0o3p6a9s", "sha256:" + "0" * 64
STS = {"id": "STS.NTbootstandin", "secret": "boot-standin-secret", "token": "CAISbootstandintoken"}

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not all(shutil.which(t) for t in ("ip", "openssl", "gpg", "apt-get", "unshare", "curl")),
    reason="needs root, ip, openssl, gpg, apt-get, unshare and curl")

SHIMS = {
    "apt-get": 'if [ "$1" = update ]; then exec /usr/bin/apt-get "$@"; fi; echo "apt-get $* (shim: no packages in the stand-in)" >> "$BOOT_LOG"',
    "apt-mark": 'echo "apt-mark $*" >> "$BOOT_LOG"',
    "systemctl": 'echo "systemctl $*" >> "$BOOT_LOG"',
    "modprobe": 'echo "modprobe $*" >> "$BOOT_LOG"',
    "sysctl": 'true',
    "swapoff": 'true',
    "mountpoint": 'true',
    "hostname": 'echo a10-dev-cn-beijing-g-0',
    "nvidia-smi": 'echo "GPU 0: NVIDIA A10 (UUID: GPU-0)"',
    "nvidia-ctk": 'if [ "$1" = --version ]; then echo "NVIDIA Container Toolkit CLI version 1.0.0"; else echo "nvidia-ctk $*" >> "$BOOT_LOG"; fi',
    "containerd": f'cat <<"EOF"\n{CONTAINERD_DEFAULT}EOF',
    # kubeadm join's discovery as kubeadm does it: cluster-info from the apiServerEndpoint, then the
    # server: it names (where the kubelet goes next); the TLS trust is the CA hash's business, not tested here.
    "kubeadm": r'''conf=${3:?}
ep=$(sed -n 's/^ *apiServerEndpoint: *//p' "$conf")
ci=$(curl -fsSk "https://$ep/api/v1/namespaces/kube-public/configmaps/cluster-info") || { echo "kubeadm: cluster-info from $ep failed" >&2; exit 1; }
server=$(python3 -c 'import json,sys; d=json.load(sys.stdin); print([l.split(": ",1)[1] for l in d["data"]["kubeconfig"].splitlines() if "server:" in l][0])' <<<"$ci")
curl -fsSk "$server/version" >/dev/null || { echo "kubeadm: cluster-info server $server unreachable" >&2; exit 1; }
tok=$(sed -n 's/^ *token: *//p' "$conf" | tr -d "'\"")
echo "kubeadm join: discovery via $ep, kubelet server $server, token sha256 $(printf %s "$tok" | sha256sum | cut -c1-16)" >> "$BOOT_LOG"''',
}


def _gpg(home: Path, *args: str, input_: bytes | None = None) -> bytes:
    return subprocess.run(["gpg", "--batch", "--homedir", str(home), *args], input=input_, check=True, capture_output=True, timeout=120).stdout


def _release(entries: dict[str, bytes], suite: str, components: tuple[str, ...] | None) -> bytes:
    date = time.strftime("%a, %d %b %Y %H:%M:%S UTC", time.gmtime(time.time() - 3600))
    head = ["Origin: stand-in", "Label: stand-in", f"Suite: {suite}", f"Codename: {suite}", f"Date: {date}", "Architectures: amd64"]
    if components:
        head.append("Components: " + " ".join(components))
    lines = head + ["SHA256:"] + [f" {hashlib.sha256(b).hexdigest()} {len(b)} {name}" for name, b in sorted(entries.items())]
    return ("\n".join(lines) + "\n").encode()


def apt_repos(home: Path) -> tuple[dict[str, str], str]:
    """Signed repositories as the node's sources name them, and the armored public key."""
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        return _signed_repos(home)
    finally:
        # gpg starts an agent for the key: stop it with the key's home
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True, timeout=30)


def _signed_repos(home: Path) -> tuple[dict[str, str], str]:
    _gpg(home, "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key", "hybrid stand-in mirror", "ed25519", "sign", "never")
    key = _gpg(home, "--armor", "--export").decode()
    files: dict[str, str] = {}

    def sign(release: bytes) -> str:
        return _gpg(home, "--pinentry-mode", "loopback", "--passphrase", "", "--clearsign", "--digest-algo", "SHA256", input_=release).decode()

    for suite in SUITES:
        entries = {f"{c}/binary-amd64/Packages": b"" for c in COMPONENTS}
        files[f"/ubuntu/dists/{suite}/InRelease"] = sign(_release(entries, suite, COMPONENTS))
        for name in entries:
            files[f"/ubuntu/dists/{suite}/{name}"] = ""
    for base in ("/kubernetes-new/core/stable/v1.30/deb", "/libnvidia-container/stable/deb/amd64"):
        files[f"{base}/InRelease"] = sign(_release({"Packages": b""}, "stable", None))
        files[f"{base}/Packages"] = ""
    files["/kubernetes-new/core/stable/v1.30/deb/Release.key"] = key
    files["/libnvidia-container/gpgkey"] = key
    return files, key


# containerd's resolution from certs.d (containerd docs/hosts.md): each [host] in order, then server;
# the request is HEAD <host>[/v2]/<repo>/manifests/<tag>[?ns=<registry>] (no /v2 with override_path).
PULL = r'''
import sys, tomllib, ssl, urllib.request, urllib.error, pathlib
certs, image = sys.argv[1], sys.argv[2]
reg, _, rest = image.partition("/")
repo, _, tag = rest.rpartition(":")
f = pathlib.Path(certs, reg, "hosts.toml")
conf = tomllib.loads(f.read_text()) if f.exists() else {}
hosts = [(h, v.get("override_path", False), True) for h, v in conf.get("host", {}).items()]
hosts.append((conf.get("server", "https://" + reg), False, False))
for url, override, mirror in hosts:
    u = f"{url.rstrip('/')}{'' if override else '/v2'}/{repo}/manifests/{tag}" + (f"?ns={reg}" if mirror else "")
    try:
        r = urllib.request.urlopen(urllib.request.Request(u, method="HEAD"), timeout=3)
        print(f"pulled {image} from {u.split('/v2')[0] if not override else url} ({r.headers['Docker-Content-Digest']})"); sys.exit(0)
    except (urllib.error.URLError, OSError) as e:
        print(f"  {u}: {getattr(e, 'reason', e)}")
sys.exit(1)
'''


class Boot:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        p = self.platform = load(stack_raw("dev"))
        self.region = p.region("cn-beijing")
        self.ctx = self.context()
        self.doc = yaml.safe_load(cloudinit.render_cloud_init(self.ctx, CA_HASH))
        # The join token is only in the region's OSS object, read with the instance role at boot.
        self.oss_host = join_token.internal_host(self.ctx.token_bucket, self.ctx.region_id)
        names = {**NAMES, self.oss_host: OSS}
        self.certs = make_certs(tmp / "certs", sorted(names), [APISERVER, IDC_REGISTRY])
        tls = {"cert": self.certs["cert"], "key": self.certs["key"]}
        self.apt_files, self.key = apt_repos(tmp / "gnupg")
        self.ns = Namespace([VPC_REGISTRY, VPC_MIRROR, METADATA, OSS, APISERVER, RSYNC, IDC_REGISTRY], names)
        self.listeners = {"ttl": 600, "listeners": [
            {"kind": "metadata", "addr": METADATA, "port": 80, "role": "hybrid-dev-cn-beijing-gpu-node", "credentials": STS},
            {"kind": "oss", "addr": OSS, "port": 443, "tls": tls, "keys": {STS["id"]: {"secret": STS["secret"], "token": STS["token"]}},
             "objects": [{"bucket": self.ctx.token_bucket, "key": join_token.TOKEN_KEY, "body": TOKEN + "\n"}]},
            {"kind": "apt", "addr": VPC_MIRROR, "port": 80, "files": self.apt_files},
            {"kind": "apt", "addr": VPC_MIRROR, "port": 443, "tls": tls, "files": self.apt_files},
            {"kind": "registry", "addr": VPC_REGISTRY, "port": 443, "tls": tls, "images": VPC_IMAGES},
            {"kind": "apiserver", "addr": APISERVER, "port": 6443, "tls": tls, "server": f"https://{APISERVER}:6443"},
            {"kind": "tcp", "addr": RSYNC, "port": 873},
            {"kind": "registry", "addr": IDC_REGISTRY, "port": 5000, "tls": tls, "images": ["kube-proxy:v1.30.4"]},
        ]}

    @staticmethod
    def context() -> cloudinit.NodeContext:
        p = load(stack_raw("dev"))
        return cloudinit.context_for(p, "cn-beijing", p.region("cn-beijing").gpu_pools[0])

    def _root(self) -> Path:
        """The node's file system parts the boot writes: user-data files, then empty system dirs."""
        root = self.tmp / "root"
        for d in ("etc/apt/apt.conf.d", "etc/apt/sources.list.d", "etc/apt/trusted.gpg.d", "etc/apt/preferences.d",
                  "var/lib/apt/lists/partial", "var/cache/apt/archives/partial", "usr/local/sbin", "etc/udev/rules.d",
                  "etc/systemd/system", "shim"):
            (root / d).mkdir(parents=True, exist_ok=True)
        for f in self.doc["write_files"]:
            path = root / f["path"].lstrip("/")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f["content"])
            path.chmod(int(f["permissions"], 8))
        # The Ubuntu image's archive key (ubuntu-keyring) is the stand-in mirror's key here.
        (root / "etc/apt/trusted.gpg.d/ubuntu-keyring.asc").write_text(self.key)
        # apt trusts the stand-ins' CA as the node trusts the real mirror's
        # (and downloads as root: the CA file sits in the test's private temporary directory)
        (root / "etc/apt/apt.conf.d/00standin").write_text(f'Acquire::https::CaInfo "{self.certs["ca"]}";\nAPT::Sandbox::User "root";\n')
        for name, body in SHIMS.items():
            (root / "shim" / name).write_text("#!/bin/bash\n" + body + "\n")
            (root / "shim" / name).chmod(0o755)
        (root / "pull.py").write_text(PULL)
        return root

    def _sources(self, mirror: str) -> str:
        # cloud-init's Ubuntu sources template with apt.primary / apt.security as the uri
        lines = [f"deb {mirror} jammy main restricted universe multiverse",
                 f"deb {mirror} jammy-updates main restricted universe multiverse",
                 f"deb {mirror} jammy-backports main restricted universe multiverse",
                 f"deb {mirror} jammy-security main restricted universe multiverse"]
        return "\n".join(lines) + "\n"

    def run(self) -> tuple[list[tuple[str, str, int, str]], str]:
        root = self._root()
        primary = self.doc["apt"]["primary"][0]["uri"]
        (root / "sources.mirror").write_text(self._sources(primary))
        (root / "sources.default").write_text(self._sources("http://archive.ubuntu.com/ubuntu"))
        # Bound over directories this machine has; everything else the boot writes goes to overlays
        # of /etc and /var whose upper directories are the node's root here.
        binds = ["etc/apt", "usr/local/sbin"]
        images = sorted({i for n in needs(self.platform, self.region) for i in n.images})
        steps = [
            # Error-Mode any: a single index that fails to download fails the update (apt >= 2.1.16)
            ("cloud-init apt: apt-get update, primary/security = " + primary,
             "cp /mnt/sources.mirror /etc/apt/sources.list && apt-get update -q -o APT::Update::Error-Mode=any"),
            ("control: the image's default archive.ubuntu.com, no mirror", "cp /mnt/sources.default /etc/apt/sources.list.d/default.list && "
             "apt-get update -q -o APT::Update::Error-Mode=any; rc=$?; rm -f /etc/apt/sources.list.d/default.list; exit $rc"),
            ("hybrid-gpu-driver (toolkit key + apt-get update from the toolkit mirror)", "/usr/local/sbin/hybrid-gpu-driver"),
            ("hybrid-join (metadata, join token from OSS with the instance role, kubernetes key + apt-get update, containerd certs.d, "
             "kubeadm discovery)", "/usr/local/sbin/hybrid-join"),
            ("containerd config: config_path", f'grep -F \'config_path = "{cloudinit.CONTAINERD_CERTS_D}"\' /etc/containerd/config.toml'),
        ]
        steps += [(f"containerd pull {img} (certs.d)", f"python3 /mnt/pull.py /etc/containerd/certs.d {img}") for img in images]
        steps.append(("control: pull registry.k8s.io/kube-proxy:v1.30.4 without certs.d", "python3 /mnt/pull.py /nonexistent registry.k8s.io/kube-proxy:v1.30.4"))
        netns_etc = f"/etc/netns/{self.ns.name}"
        lines = ["set -eu", "mount --make-rprivate /"]
        for top in ("etc", "var"):
            (self.tmp / f"{top}-work").mkdir(exist_ok=True)
            lines.append(f"mount -t overlay overlay -o lowerdir=/{top},upperdir={root / top},workdir={self.tmp / (top + '-work')} /{top}")
        lines += [f"mount --bind {netns_etc}/hosts /etc/hosts", f"mount --bind {netns_etc}/resolv.conf /etc/resolv.conf"]
        lines += [f"mount --bind {root / b} /{b}" for b in binds]
        # the test's own helpers, where the steps find them
        lines += ["mount -t tmpfs tmpfs /mnt", f"cp {root}/pull.py {root}/sources.mirror {root}/sources.default /mnt/",
                  "mkdir -m 0700 /mnt/gnupg", "set +e"]
        for i, (_, cmd) in enumerate(steps):
            lines.append(f"( {cmd} ) > {self.tmp}/step{i}.out 2>&1; echo \"$?\" > {self.tmp}/step{i}.rc")
        runner = self.tmp / "boot.sh"
        runner.write_text("\n".join(lines) + "\n")
        log = self.tmp / "boot.log"
        env_prefix = ["env", f"PATH={root / 'shim'}:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin", f"BOOT_LOG={log}",
                      f"CURL_CA_BUNDLE={self.certs['ca']}", f"SSL_CERT_FILE={self.certs['ca']}", "DEBIAN_FRONTEND=noninteractive",
                      "GNUPGHOME=/mnt/gnupg"]
        with self.ns:
            self.ns.serve(self.listeners, self.tmp)
            done = self.ns.exec([*env_prefix, "unshare", "--mount", "bash", str(runner)], timeout=600)
        if done.returncode != 0:
            raise RuntimeError(done.stdout + done.stderr)
        rows = []
        for i, (title, _cmd) in enumerate(steps):
            rc = int((self.tmp / f"step{i}.rc").read_text())
            rows.append((title, "ok" if rc == 0 else "FAILED", rc, (self.tmp / f"step{i}.out").read_text()))
        return rows, log.read_text() if log.exists() else ""


@pytest.fixture(scope="module")
def boot(tmp_path_factory):
    return Boot(tmp_path_factory.mktemp("boot")).run()


def _row(rows, prefix):
    return next(r for r in rows if r[0].startswith(prefix))


def test_apt_through_the_rendered_mirror_succeeds_and_the_default_archive_fails(boot):
    rows, _ = boot
    ok = _row(rows, "cloud-init apt")
    assert ok[1] == "ok", ok[3]
    assert "mirrors.cloud.aliyuncs.com/ubuntu jammy-security InRelease" in ok[3]
    control = _row(rows, "control: the image's default")
    assert control[1] == "FAILED" and "archive.ubuntu.com" in control[3]


def test_driver_and_join_scripts_run_through_with_the_mirror_config(boot):
    rows, log = boot
    for prefix in ("hybrid-gpu-driver", "hybrid-join", "containerd config"):
        r = _row(rows, prefix)
        assert r[1] == "ok", (prefix, r[3])
    join = _row(rows, "hybrid-join")[3]
    assert "kubernetes-new/core/stable/v1.30/deb  InRelease" in join  # the real apt-get update, signature checked
    assert "joined as cn-beijing.i-2zestandin000000001" in join
    # the token kubeadm got is the OSS object's: the user-data has only the placeholder
    assert (f"kubeadm join: discovery via {APISERVER}:6443, kubelet server https://{APISERVER}:6443, "
            f"token sha256 {hashlib.sha256(TOKEN.encode()).hexdigest()[:16]}") in log
    assert "libnvidia-container/stable/deb/amd64  InRelease" in _row(rows, "hybrid-gpu-driver")[3]
    assert "nvidia-ctk system create-dev-char-symlinks --create-all" in log


def test_the_user_data_holds_no_token_and_the_join_fetched_it(boot):
    rows, _ = boot
    ud = cloudinit.render_cloud_init(Boot.context(), CA_HASH)
    assert TOKEN not in ud and cloudinit.JOIN_TOKEN_PLACEHOLDER in ud
    join = _row(rows, "hybrid-join")[3]
    assert TOKEN not in join and STS["secret"] not in join and STS["token"] not in join


def test_every_image_pulls_through_certs_d_and_kube_proxy_needs_the_mirror(boot):
    rows, _ = boot
    pulls = [r for r in rows if r[0].startswith("containerd pull")]
    # pause, Terway, the device plugin (VPC registries) and kube-proxy (the IDC mirror)
    assert len(pulls) == 4 and all(r[1] == "ok" for r in pulls), pulls
    kp = _row(rows, "containerd pull registry.k8s.io/kube-proxy")
    assert f"from https://{IDC_REGISTRY}:5000" in kp[3]
    control = _row(rows, "control: pull registry.k8s.io")
    assert control[1] == "FAILED"


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        rows, log = Boot(Path(d)).run()
    for title, status, rc, out in rows:
        last = [line for line in out.strip().splitlines() if line.strip()][-1:] or [""]
        print(f"| {title} | {status} (exit {rc}) | {last[0][:150]} |")
    print("\nshim log (what would have changed the machine):\n" + log)
