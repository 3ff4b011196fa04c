"""The project uses the public APIs of the Pulumi SDKs, pulumi-policy and Hypothesis only.

A private attribute (``_x``) or an internal module changes without notice on an upgrade. This
scans every Python file of the repository: names the SDK keeps for itself
(``_sync_await``, ``run_pulumi_func``, ``SETTINGS``, ``rpc_manager``) anywhere, and, through
the syntax tree, any ``_name`` reached from an import of those libraries, and any import from
their internal modules.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.conftest import ROOT

LIBRARIES = ("pulumi", "pulumi_policy", "pulumi_alicloud", "pulumi_kubernetes", "hypothesis")
# Modules the SDKs name as their own machinery, whatever their names' spelling.
INTERNAL_MODULES = ("pulumi.runtime.settings", "pulumi.runtime.stack", "pulumi.runtime.sync_await",
                    "pulumi.runtime.rpc_manager", "hypothesis.internal")
INTERNAL_WORDS = re.compile(r"\b(_sync_await|run_pulumi_func|SETTINGS|rpc_manager)\b")
SKIP = {".venv", "build", ".git", "node_modules"}


def _library(module: str) -> bool:
    return module.split(".")[0] in LIBRARIES


def _private(dotted: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in dotted.split("."))


def findings(source: str, where: str) -> list[str]:
    """Every use of a private name or internal module of LIBRARIES in ``source``."""
    found = [f"{where}:{n}: {m.group(0)}" for n, line in enumerate(source.splitlines(), 1)
             for m in INTERNAL_WORDS.finditer(line)]
    tree = ast.parse(source)
    bound: set[str] = set()  # local names that refer to a library module or one of its objects
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _library(alias.name):
                    bound.add(alias.asname or alias.name.split(".")[0])
                    if _private(alias.name) or alias.name.startswith(INTERNAL_MODULES):
                        found.append(f"{where}:{node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and _library(node.module):
            for alias in node.names:
                bound.add(alias.asname or alias.name)
                dotted = f"{node.module}.{alias.name}"
                if _private(dotted) or dotted.startswith(INTERNAL_MODULES):
                    found.append(f"{where}:{node.lineno}: from {node.module} import {alias.name}")
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module":
            arg = node.args[0] if node.args else None
            text = ast.unparse(arg) if arg is not None else ""
            if any(lib in text for lib in LIBRARIES):
                # importlib.import_module("pulumi_alicloud.x") bound to a name: track it too
                parent = next((p for p in ast.walk(tree) if isinstance(p, ast.Assign) and p.value is node), None)
                for target in (parent.targets if parent else []):
                    if isinstance(target, ast.Name):
                        bound.add(target.id)
    inner = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and id(node) not in inner:  # the outermost of a chain
            chain, base = [], node
            while isinstance(base, (ast.Attribute, ast.Call, ast.Subscript)):
                if isinstance(base, ast.Attribute):
                    chain.append(base.attr)
                    base = base.value
                else:
                    base = base.func if isinstance(base, ast.Call) else base.value
            if not (isinstance(base, ast.Name) and base.id in bound):
                continue
            dotted = ".".join([base.id, *reversed(chain)])
            if _private(dotted) or dotted.startswith(INTERNAL_MODULES):
                found.append(f"{where}:{node.lineno}: {ast.unparse(node)}")
    return found


def _python_files() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if not SKIP & set(p.relative_to(ROOT).parts))


def test_no_private_pulumi_pulumi_policy_or_hypothesis_api_is_used():
    this = Path(__file__).resolve()
    found = []
    for path in _python_files():
        source = path.read_text()
        if path.resolve() == this:
            # its own code, without the lists of what it looks for and the controls that name them
            source = "def _library" + source.split("# --- the detector" + "'s own controls", 1)[0].split("\ndef _library", 1)[1]
        found += findings(source, str(path.relative_to(ROOT)))
    assert not found, "\n".join(found)


# --- the detector's own controls (excluded from the scan above) ---------------------------

def test_the_detector_finds_each_kind_of_private_use():
    cases = {
        "from pulumi.runtime.sync_await import _sync_await": 2,  # the word and the private name
        "from pulumi.runtime.stack import run_pulumi_func": 2,
        "from pulumi.runtime.settings import SETTINGS\nSETTINGS.outputs.clear()": 3,
        "import pulumi\npulumi.runtime.settings.ROOT.set(None)": 1,
        "import pulumi\nx = pulumi.Output.from_input(1)._data": 1,
        "import pulumi_alicloud as ali\nali.ecs._inputs": 1,
        "import importlib\npackage = importlib.import_module('pulumi_alicloud.ecs')\npackage._inputs": 1,
        "from hypothesis.internal.conjecture import providers": 1,
        "from pulumi_policy import policy\npolicy._PolicyAnalyzerServicer": 1,
        "import pulumi\npulumi.Output.all(1).apply(str)": 0,
        "class A:\n    def _inputs(self): ...\n    def f(self): return self._inputs()": 0,
    }
    got = {src: len(findings(src, "x")) for src in cases}
    assert got == cases, got
