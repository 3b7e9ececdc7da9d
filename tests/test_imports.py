"""The import graph of ``beeutils`` has no cycles, and ``import beeutils`` stays cheap.

Every module under ``beeutils/`` is parsed with :mod:`ast` (nothing is
imported), every import of another ``beeutils`` module is collected -- at
module level and inside functions alike, since a deferred import is still a
dependency -- and the resulting module graph must be acyclic.  A cycle is
reported by name, e.g. ``beeutils.a -> beeutils.b -> beeutils.a``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = "beeutils"
PACKAGE_DIR = Path(__file__).resolve().parent.parent / PACKAGE


# ------------------------------------------------------------- the graph
def module_files(package_dir: Path = PACKAGE_DIR) -> dict[str, Path]:
    """Dotted module name -> source file, for every module of the package."""
    root = package_dir.parent
    modules = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The longest known module that ``name`` is or lies in (``a.b.func`` -> ``a.b``)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def imported_modules(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package modules that ``module`` imports, anywhere in its source."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = _resolve(alias.name, modules)
                if target:
                    found.add(target)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import: resolve against this module's package
                anchor = module.split(".")
                if not is_package:
                    anchor = anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            if _resolve(base, modules) is None:
                continue
            for alias in node.names:
                # ``from beeutils.x import y``: y is a module or a name in beeutils.x.
                target = _resolve(f"{base}.{alias.name}", modules)
                if target:
                    found.add(target)
    found.discard(module)
    return found


def import_graph(package_dir: Path = PACKAGE_DIR) -> dict[str, set[str]]:
    modules = module_files(package_dir)
    return {name: imported_modules(name, path, modules) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as ``[a, b, ..., a]``, or None if the graph is acyclic."""
    WHITE, GREY, BLACK = 0, 1, 2
    colour = {node: WHITE for node in graph}
    for targets in graph.values():
        for target in targets:
            colour.setdefault(target, WHITE)
    for start in sorted(colour):
        if colour[start] != WHITE:
            continue
        stack = [(start, iter(sorted(graph.get(start, ()))))]
        path = [start]
        colour[start] = GREY
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                colour[node] = BLACK
            elif colour[child] == GREY:
                return path[path.index(child):] + [child]
            elif colour[child] == WHITE:
                colour[child] = GREY
                path.append(child)
                stack.append((child, iter(sorted(graph.get(child, ())))))
    return None


def all_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """A cycle for every strongly connected knot, found by removing one edge at a time."""
    graph = {node: set(targets) for node, targets in graph.items()}
    cycles = []
    while (cycle := find_cycle(graph)) is not None:
        cycles.append(cycle)
        graph[cycle[-2]].discard(cycle[-1])
    return cycles


# ------------------------------------------------------------- self-tests
def test_find_cycle_on_synthetic_graphs():
    assert find_cycle({}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set(), "d": {"b", "c"}}) is None
    assert find_cycle({"a": {"a"}}) == ["a", "a"]
    assert find_cycle({"a": {"b"}, "b": {"a"}}) == ["a", "b", "a"]
    cycle = find_cycle({"x": {"a"}, "a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()})
    assert cycle == ["a", "b", "c", "a"]
    assert len(all_cycles({"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"c"}})) == 2


def test_import_collection_on_a_synthetic_package(tmp_path):
    pkg = tmp_path / "beeutils"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "a.py").write_text(
        "import beeutils.sub.b\n"
        "def f():\n"
        "    from beeutils.sub import c\n"
        "    from beeutils.sub.d import NAME\n"
        "    from . import e\n"
        "    import numpy\n"
    )
    for name in "bcde":
        (pkg / "sub" / f"{name}.py").write_text("")
    (pkg / "sub" / "e.py").write_text("from beeutils.sub.a import f\n")
    graph = import_graph(pkg)
    assert graph["beeutils.sub.a"] == {f"beeutils.sub.{n}" for n in "bcde"}
    assert find_cycle(graph) == ["beeutils.sub.a", "beeutils.sub.e", "beeutils.sub.a"]


# ------------------------------------------------------------- the package
def test_package_graph_is_not_empty():
    graph = import_graph()
    assert "beeutils.dsp.spectral" in graph
    assert "beeutils.dsp.spectral" in graph["beeutils.dsp.representations"]


def test_no_import_cycles():
    cycles = all_cycles(import_graph())
    if cycles:
        pytest.fail("import cycles in beeutils:\n" + "\n".join(" -> ".join(c) for c in cycles))


def test_import_beeutils_does_not_import_tensorflow_or_keras():
    code = (
        "import sys, beeutils\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras'))\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        cwd=PACKAGE_DIR.parent, timeout=120,
    )
    assert out.stdout.strip() == "", f"import beeutils imported: {out.stdout.strip()}"
