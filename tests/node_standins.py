"""Stand-ins for what a cloud GPU node contacts, inside a network namespace with no default route.

``Namespace`` creates ``ip netns`` NAME with only ``lo`` and a dummy interface carrying the
stand-in addresses (the IDC's, the VPC services'), an ``/etc/netns/NAME/hosts`` that plays the
node's /etc/hosts and the VPC's DNS, and a resolv.conf pointing at 127.0.0.1 where nothing
answers (so any other name fails at once, and nothing leaves the namespace). ``serve`` starts
this file as a process inside it: listeners answer as the real services do on the paths the node
uses (registry /v2/ manifests, apt InRelease and Release.key, the metadata token and the instance
role's STS credentials, OSS objects behind the V1 signature (tests/oss_standin.py), the apiserver's
cluster-info, a plain TCP port), each stopping after ``--ttl`` seconds at most.

Run as a script (inside the namespace): ``python node_standins.py CONFIG.json``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Optional

SIGNED = ("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nOrigin: stand-in\nSuite: {suite}\n"
          "-----BEGIN PGP SIGNATURE-----\n\nstand-in\n-----END PGP SIGNATURE-----\n")
DIGEST = "sha256:" + "ab" * 32


def make_certs(d: Path, names: list[str], ips: list[str], ca_name: str = "hybrid-test-ca") -> dict[str, str]:
    """A CA and a server certificate for ``names`` and ``ips`` (openssl CLI); paths by role."""
    d.mkdir(parents=True, exist_ok=True)
    ca_key, ca, key, csr, crt = d / "ca.key", d / "ca.pem", d / "server.key", d / "server.csr", d / "server.pem"
    run = lambda *a: subprocess.run(a, check=True, capture_output=True, timeout=60)  # noqa: E731
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key), "-out", str(ca), "-days", "1",
        "-subj", f"/CN={ca_name}")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr), "-subj", "/CN=standin")
    san = ",".join([f"DNS:{n}" for n in names] + [f"IP:{i}" for i in ips])
    ext = d / "san.ext"
    ext.write_text(f"subjectAltName={san}\n")
    run("openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial", "-out", str(crt),
        "-days", "1", "-extfile", str(ext))
    return {"ca": str(ca), "cert": str(crt), "key": str(key)}


class Namespace:
    def __init__(self, addresses: list[str], hosts: dict[str, str]):
        self.name = f"hybrid-{uuid.uuid4().hex[:8]}"
        self.addresses = addresses
        self.hosts = hosts
        self.etc = Path("/etc/netns") / self.name
        self.procs: list[subprocess.Popen] = []

    def ip(self, *args: str) -> None:
        subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)

    def __enter__(self) -> "Namespace":
        self.ip("netns", "add", self.name)
        try:
            self.ip("-n", self.name, "link", "set", "lo", "up")
            # A veth pair with both ends inside: an interface to hold the addresses, and no route out.
            self.ip("-n", self.name, "link", "add", "idc0", "type", "veth", "peer", "name", "idc1")
            for dev in ("idc0", "idc1"):
                self.ip("-n", self.name, "link", "set", dev, "up")
            for a in self.addresses:
                self.ip("-n", self.name, "addr", "add", f"{a}/32", "dev", "idc0")
            self.etc.mkdir(parents=True, exist_ok=True)
            self.write_hosts(self.hosts)
            (self.etc / "resolv.conf").write_text("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def write_hosts(self, hosts: dict[str, str]) -> None:
        lines = ["127.0.0.1 localhost"] + [f"{ip} {name}" for name, ip in sorted(hosts.items())]
        (self.etc / "hosts").write_text("\n".join(lines) + "\n")

    def exec(self, argv: list[str], **kw) -> subprocess.CompletedProcess:
        return subprocess.run(["ip", "netns", "exec", self.name, *argv], capture_output=True, text=True, timeout=kw.pop("timeout", 120), **kw)

    def serve(self, config: dict, workdir: Path) -> subprocess.Popen:
        cfg = workdir / f"standin-{len(self.procs)}.json"
        cfg.write_text(json.dumps(config))
        proc = subprocess.Popen(["ip", "netns", "exec", self.name, sys.executable, __file__, str(cfg)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = proc.stdout.readline()  # "ready" once every listener is bound
        if line.strip() != "ready":
            proc.kill()
            raise RuntimeError(f"stand-ins did not start: {line} {proc.stderr.read()}")
        self.procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen) -> None:
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        self.procs.remove(proc)

    def __exit__(self, *exc) -> None:
        for p in list(self.procs):
            self.stop(p)
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True, timeout=30)
        shutil.rmtree(self.etc, ignore_errors=True)


# containerd 1.7 `containerd config default`, the lines hybrid-join edits (the nodes' containerd shim prints them).
CONTAINERD_DEFAULT = """version = 2
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.8"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
    SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = ""
"""


# --- the listeners (run inside the namespace) ------------------------------------------

def _handler(listener: dict):
    kind = listener["kind"]

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):  # quiet
            pass

        def _send(self, status: int, body: bytes = b"", headers: Optional[dict] = None) -> None:
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _registry(self) -> None:
            path = self.path.split("?", 1)[0]
            if listener.get("auth"):
                return self._send(401, b"", {"WWW-Authenticate": 'Bearer realm="https://auth.example/token",service="registry"'})
            prefix = listener.get("prefix", "")
            if path in (f"{prefix}/v2/", f"{prefix}/"):
                return self._send(200, b"{}")
            for img in listener.get("images", []):  # "repo:tag"
                repo, tag = img.rsplit(":", 1)
                if path == f"{prefix}/v2/{repo}/manifests/{tag}" or path == f"{prefix}/{repo}/manifests/{tag}":
                    return self._send(200, b"", {"Docker-Content-Digest": DIGEST,
                                                  "Content-Type": "application/vnd.oci.image.index.v1+json"})
            return self._send(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}')

        def do_HEAD(self):  # noqa: N802
            self.do_GET()

        def do_PUT(self):  # noqa: N802
            if kind == "metadata" and self.path == "/latest/api/token":
                return self._send(200, b"standin-token")
            return self._send(404)

        def do_GET(self):  # noqa: N802
            path = self.path.split("?", 1)[0]
            if kind == "registry":
                return self._registry()
            if kind == "apt":
                files = listener.get("files", {})
                if path in files:
                    return self._send(200, files[path].encode())
                return self._send(404)
            if kind == "metadata":
                values = {"region-id": "cn-beijing", "zone-id": "cn-beijing-g", "instance-id": "i-2zestandin000000001",
                          "instance/instance-type": "ecs.gn7i-c8g1.2xlarge"}
                # The instance RAM role: its name, then its STS credentials (Alibaba ECS "Obtain a temporary
                # authorization token"; the fields alibabacloud-credentials' ecs_ram_role provider reads).
                role = listener.get("role")
                if role:
                    values["ram/security-credentials/"] = role
                    values[f"ram/security-credentials/{role}"] = json.dumps({
                        "AccessKeyId": listener["credentials"]["id"], "AccessKeySecret": listener["credentials"]["secret"],
                        "SecurityToken": listener["credentials"]["token"], "Expiration": "2099-01-01T00:00:00Z",
                        "LastUpdated": "2026-01-01T00:00:00Z", "Code": listener["credentials"].get("code", "Success")}, indent=2)
                key = path.removeprefix("/latest/meta-data/")
                if path.startswith("/latest/meta-data/") and key in values and self.headers.get("X-aliyun-ecs-metadata-token"):
                    return self._send(200, values[key].encode())
                return self._send(404 if path != "/" else 200)
            if kind == "apiserver":
                if path == "/api/v1/namespaces/kube-public/configmaps/cluster-info":
                    kubeconfig = ("apiVersion: v1\nkind: Config\nclusters:\n- name: ''\n  cluster:\n"
                                  f"    server: {listener['server']}\n    certificate-authority-data: c3RhbmRpbg==\n")
                    body = json.dumps({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "cluster-info", "namespace": "kube-public"},
                                       "data": {"kubeconfig": kubeconfig}}).encode()
                    return self._send(200, body, {"Content-Type": "application/json"})
                if path == "/version":
                    return self._send(200, b'{"gitVersion":"v1.30.4"}')
                return self._send(403)
            return self._send(404)

    return H


def _tcp_listener(addr: str, port: int) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(16)

    def loop():
        while True:
            try:
                c, _ = s.accept()
                c.close()
            except OSError:
                return
    threading.Thread(target=loop, daemon=True).start()
    return s


def main(cfg_path: str) -> int:
    cfg = json.loads(Path(cfg_path).read_text())
    servers = []
    for listener in cfg["listeners"]:
        if listener["kind"] == "tcp":
            servers.append(_tcp_listener(listener["addr"], listener["port"]))
            continue
        if listener["kind"] == "oss":
            # tests/oss_standin.py (this file runs as a script inside the namespace: import it by path)
            sys.path.insert(0, str(Path(__file__).resolve().parent))
            from oss_standin import Key, OssStandIn, Stored
            oss = OssStandIn(keys={k: Key(v["secret"], v.get("token")) for k, v in listener["keys"].items()},
                             objects={(o["bucket"], o["key"]): Stored(o["body"].encode(), time.time(), "text/plain", "AES256")
                                      for o in listener["objects"]})
            srv = ThreadingHTTPServer((listener["addr"], listener["port"]), oss.handler())
        else:
            srv = ThreadingHTTPServer((listener["addr"], listener["port"]), _handler(listener))
        if listener.get("tls"):
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(listener["tls"]["cert"], listener["tls"]["key"])
            srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
    print("ready", flush=True)
    deadline = time.monotonic() + cfg.get("ttl", 300)
    # Stop when the parent closes stdin, or at the deadline, whichever comes first.
    t = threading.Thread(target=sys.stdin.read, daemon=True)
    t.start()
    t.join(timeout=max(0.0, deadline - time.monotonic()))
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
