"""No import cycle in the package, counting imports inside functions.

The graph is built from the source with :mod:`ast` (nothing is imported): an edge A → B for
every ``import spatialnqpf.B`` / ``from .B import x`` / ``from . import B`` anywhere in module A,
module level or inside a function.  ``from .pkg import name`` points at ``pkg.name`` when that
is a module, else at ``pkg`` (its ``__init__``).  Lazy ``importlib.import_module`` calls of the
package ``__init__`` files are not edges (they only run on attribute access).

The former exception ``weights.recipe → weights._api`` (``Recipe.rebuild`` imported the
builders) is gone: ``Recipe.rebuild`` goes through the W-builder registry
(``weights.registry`` registers itself with ``recipe``), so the whole graph has no cycle.
"""
from __future__ import annotations

import ast
import functools
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "spatialnqpf"
KNOWN: set = set()


def _modules() -> dict:
    out = {}
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(PKG.parent).with_suffix("")
        parts = list(rel.parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        out[".".join(parts)] = (path, is_pkg)
    return out


def import_graph() -> dict:
    """module → set of package modules it imports (anywhere in its source); a fresh copy."""
    return {k: set(v) for k, v in _graph().items()}


@functools.lru_cache(maxsize=None)
def _graph() -> dict:
    mods = _modules()
    graph = {m: set() for m in mods}
    for mod, (path, is_pkg) in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        base = mod.split(".") if is_pkg else mod.split(".")[:-1]
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    anchor = base[:len(base) - (node.level - 1)]
                    src = ".".join(anchor + ([node.module] if node.module else []))
                else:
                    src = node.module or ""
                for a in node.names:
                    sub = f"{src}.{a.name}"
                    targets.append(sub if sub in mods else src)
            for t in targets:
                # "import spatialnqpf.x.y" imports the deepest module that exists
                while t and t not in mods and "." in t:
                    t = t.rsplit(".", 1)[0]
                if t in mods and t != mod and t.startswith("spatialnqpf"):
                    graph[mod].add(t)
    return graph


def cycles(graph: dict) -> list:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_graph_sees_function_level_imports():
    g = import_graph()
    # a function-level import (datasets.load_provinces imports _shapes inside the function)
    assert "spatialnqpf._shapes" in g["spatialnqpf.datasets"]
    assert "spatialnqpf._validation" in g["spatialnqpf.models.panel"]
    assert len(g) > 40
    # the cycle finder finds a planted cycle
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_regions_does_not_import_shapes():
    g = import_graph()
    assert "spatialnqpf._shapes" not in g["spatialnqpf.regions"]


def test_no_cycle_besides_the_known_edge():
    g = import_graph()
    for a, b in KNOWN:
        g[a].discard(b)
    assert cycles(g) == []


def test_no_cycle_at_all():
    assert cycles(import_graph()) == []
