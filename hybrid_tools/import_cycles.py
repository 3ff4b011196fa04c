"""Import cycles among the project's own packages, from the source (ast), without importing it.

``python -m hybrid_tools.import_cycles`` prints every cycle and exits 1 if there is one.
Every import counts, including the ones inside functions (a lazy import only hides a
cycle until the function runs); imports under ``if TYPE_CHECKING:`` do not, since they
never run. ``policy/`` is the pack's own top level (its ``__main__`` imports ``rules``).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGES = ("hybrid", "hybrid_tools", "components")
FLAT_DIRS = ("policy",)  # modules importable by bare name (the pack runs with cwd policy/)


def module_files(root: Path) -> dict[str, Path]:
    mods: dict[str, Path] = {}
    for pkg in PACKAGES:
        for path in sorted((root / pkg).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            mods[".".join(parts)] = path
    for flat in FLAT_DIRS:
        for path in sorted((root / flat).glob("*.py")):
            mods[f"{flat}:{path.stem}"] = path
    return mods


def _runtime_nodes(tree: ast.AST):
    """Every node except the bodies of ``if TYPE_CHECKING:`` blocks."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                stack.extend(child.orelse)
                continue
            stack.append(child)


def imports_of(name: str, path: Path, mods: dict[str, Path]) -> set[str]:
    flat = name.split(":")[0] if ":" in name else None
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def resolve(target: str) -> str | None:
        if flat is not None and f"{flat}:{target}" in mods:
            return f"{flat}:{target}"
        while target:
            if target in mods:
                return target
            target = target.rpartition(".")[0]
        return None

    out: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # "from pkg import sub" imports the submodule when there is one.
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
        else:
            continue
        for t in targets:
            r = resolve(t)
            if r is not None and r != name:
                out.add(r)
    return out


def graph(root: Path) -> dict[str, set[str]]:
    mods = module_files(root)
    return {name: imports_of(name, path, mods) for name, path in mods.items()}


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(g.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in sorted(g):
        if v not in index:
            visit(v)
    return sorted(found)


def main(root: Path | None = None) -> int:
    root = root or Path(__file__).resolve().parents[1]
    g = graph(root)
    found = cycles(g)
    edges = sum(len(v) for v in g.values())
    print(f"import graph: {len(g)} modules, {edges} edges in {', '.join(PACKAGES + FLAT_DIRS)}")
    for comp in found:
        print("cycle: " + " <-> ".join(comp))
    print(f"{len(found)} import cycle(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
