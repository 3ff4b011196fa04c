"""A real Prometheus (Debian's `prometheus` package) on 127.0.0.1 over a TSDB the test writes.

The raw series are written as OpenMetrics text and turned into blocks by
``promtool tsdb create-blocks-from openmetrics``; the recording rules the program ships are
then evaluated over that history by ``promtool tsdb create-blocks-from rules`` against the
running server (the way Prometheus documents backfilling rules), and the server is restarted
with the rules file loaded, so ``/api/v1/rules`` lists them as a live server does.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Iterable, Optional

Sample = tuple[float, float]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def openmetrics(families: dict[str, list[tuple[dict[str, str], Iterable[Sample]]]]) -> str:
    out = []
    for name, series in families.items():
        out.append(f"# TYPE {name} gauge")
        for labels, samples in series:
            ls = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
            out.extend(f"{name}{{{ls}}} {v:g} {t:.0f}" for t, v in samples)
    out.append("# EOF")
    return "\n".join(out) + "\n"


class PromServer:
    def __init__(self, root: Path, rules: Optional[Path] = None):
        self.root, self.rules = root, rules
        self.data = root / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: Optional[subprocess.Popen] = None

    def load(self, text: str) -> None:
        src = self.root / "series.om"
        src.write_text(text)
        subprocess.run([shutil.which("promtool") or "promtool", "tsdb", "create-blocks-from", "openmetrics", str(src), str(self.data)],
                       check=True, capture_output=True, timeout=600)

    def start(self, with_rules: bool) -> None:
        cfg = self.root / "prometheus.yml"
        doc: dict = {"global": {"evaluation_interval": "1m"}}
        if with_rules and self.rules is not None:
            doc["rule_files"] = [str(self.rules)]
        cfg.write_text(json.dumps(doc))
        self.proc = subprocess.Popen(
            [shutil.which("prometheus") or "prometheus", f"--config.file={cfg}", f"--storage.tsdb.path={self.data}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--storage.tsdb.retention.time=100y"],
            stdout=subprocess.DEVNULL, stderr=(self.root / "prometheus.log").open("ab"))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"prometheus did not become ready: {(self.root / 'prometheus.log').read_text()[-2000:]}")

    def backfill_rules(self, start: int, end: int) -> None:
        out = self.root / "rule-blocks"
        subprocess.run([shutil.which("promtool") or "promtool", "tsdb", "create-blocks-from", "rules", f"--start={start}", f"--end={end}",
                        f"--url={self.url}", f"--output-dir={out}", "--eval-interval=60s", str(self.rules)],
                       check=True, capture_output=True, timeout=900)
        self.stop()
        for block in out.iterdir():
            block.rename(self.data / block.name)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
