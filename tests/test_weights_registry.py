"""The registry of W builders (spatialnqpf.weights.registry).

* every kind a configuration may ask for builds the same matrix as its builder called
  directly (reference: the builders of spatialnqpf.weights, themselves checked against
  spdep/geosphere in test_weights.py), and ``Recipe.rebuild`` goes through the registry;
* the weights modules do not import each other in a loop (``recipe`` never imports the
  builders, not even inside a function);
* unknown kinds are named errors listing the kinds.
"""
from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from spatialnqpf import datasets, weights
from spatialnqpf._validation import SpatialNQPFError, graph_to_sparse
from spatialnqpf.weights import registry

WEIGHTS = Path(weights.__file__).parent
OPTIONS = {"islands": "guangdong", "k": 4, "economic_variable": "gdp", "phi": 0.5}


@pytest.fixture(scope="module")
def panel():
    return datasets.load_demo_panel()


@pytest.fixture(scope="module")
def ids(panel):
    return sorted(panel["code"].unique())


def _dense(w, ids):
    return graph_to_sparse(w, ids).toarray()


def test_config_kinds_build_what_the_builders_build(panel, ids):
    direct = {
        "contiguity": weights.contiguity(ids=ids, islands="guangdong"),
        "distance": weights.distance(ids=ids),
        "knn": weights.knn(ids=ids, k=4),
        "economic": weights.economic(panel, "gdp", id="code", time="year", ids=ids),
    }
    direct["nested"] = weights.nested(weights.distance(ids=ids), direct["economic"], phi=0.5)
    assert set(direct) <= set(registry.CONFIG_KINDS)
    for kind, w in direct.items():
        got = registry.build(kind, ids, panel, OPTIONS)
        assert got.recipe.kind == kind
        np.testing.assert_array_equal(_dense(got, ids), _dense(w, ids))


def test_rebuild_goes_through_the_registry(panel, ids, monkeypatch):
    w = registry.build("knn", ids, panel, dict(OPTIONS, k=3))
    again = w.recipe.rebuild()
    np.testing.assert_array_equal(_dense(again, ids), _dense(w, ids))
    calls = []
    b = registry.BUILDERS["knn"]
    monkeypatch.setitem(registry.BUILDERS, "knn", registry.WBuilder(
        b.kind, b.label, b.from_options, lambda r: calls.append(r) or b.from_recipe(r)))
    w.recipe.rebuild()
    assert calls == [w.recipe]


def test_labels_and_named_errors(panel, ids):
    assert registry.label("contiguity", "zh") == "邻接矩阵"
    assert registry.label("nested", "en") == "Nested economic-geographic"
    assert all(set(b.label) == {"zh", "en"} for b in registry.BUILDERS.values())
    with pytest.raises(SpatialNQPFError, match="'queen'.*contiguity, distance"):
        registry.build("queen", ids, panel, OPTIONS)
    with pytest.raises(SpatialNQPFError, match="economic_variable 'nope'"):
        registry.build("economic", ids, panel, dict(OPTIONS, economic_variable="nope"))
    with pytest.raises(SpatialNQPFError, match="cannot be rebuilt"):
        weights.Recipe(kind="file", ids=(11, 12)).rebuild()


def _imports(path: Path) -> set:
    """Modules of spatialnqpf.weights imported anywhere in ``path`` (function level included)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                out.add(node.module.split(".")[0])
            else:
                out.update(a.name for a in node.names)
    return out


def test_no_import_loop_inside_weights():
    graph = {p.stem: _imports(p) & {q.stem for q in WEIGHTS.glob("*.py")}
             for p in WEIGHTS.glob("*.py") if p.stem != "__init__"}
    assert "_api" not in graph["recipe"] and "registry" not in graph["recipe"]

    cycles = []
    for mod in graph:
        stack, seen = [(mod, (mod,))], set()
        while stack:
            cur, path = stack.pop()
            for nxt in graph.get(cur, ()):
                if nxt == mod:
                    cycles.append(path + (nxt,))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, path + (nxt,)))
    assert not cycles, cycles
    assert "_api" in graph["registry"] and "recipe" in graph["_graph"]   # the graph is not empty


def test_report_config_takes_its_matrix_names_from_the_registry():
    from spatialnqpf.report.config import ConfigError, load_config
    with pytest.raises(ConfigError, match=r"\[weights\] matrices: 'queen' is not one of 'contiguity'.*'nested'"):
        load_config(None, weights={"matrices": ["contiguity", "queen"]})
    with pytest.raises(ConfigError, match=r"\[weights\] matrices must be a list, got 'contiguity'"):
        load_config(None, weights={"matrices": "contiguity"})
    assert load_config(None, weights={"matrices": list(registry.CONFIG_KINDS)}).get(
        "weights", "matrices") == list(registry.CONFIG_KINDS)
