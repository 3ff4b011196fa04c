"""Run every benchmarks/bench_*.py; each prints its figures and exits non-zero on regression."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"== {script.name}", flush=True)
        if subprocess.run([sys.executable, str(script)], cwd=HERE.parent).returncode != 0:
            failed.append(script.name)
    if failed:
        print(f"benchmark regressions: {', '.join(failed)}")
        return 1
    print("all benchmarks within target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
