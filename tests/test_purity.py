"""The planning package stays pure: importing all of it never loads pulumi."""

import subprocess
import sys


def test_hybrid_package_does_not_import_pulumi():
    code = (
        "import pkgutil, importlib, sys, hybrid\n"
        "for m in pkgutil.walk_packages(hybrid.__path__, 'hybrid.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n == 'pulumi' or n.startswith(('pulumi.', 'pulumi_')))\n"
        "print(len([n for n in sys.modules if n.startswith('hybrid')]), bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert int(out.stdout.split()[0]) >= 5  # the modules were really imported
