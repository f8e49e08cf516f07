"""Data helpers shared by the benchmark scripts (imported by their subprocesses).

The large-n cases need the k-nearest-neighbour graph of random points and solves with
I − ρW; at 10⁶ points libpysal's ``build_knn`` and a sparse LU take minutes, so above
``exact_max`` points the same graph comes from one KD-tree query and the solve is a
residual-checked Neumann series.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from libpysal.graph import Graph


def knn_graph(pts, k: int, build_knn_max: int = 100_000) -> Graph:
    """Row-standardised k-nearest-neighbour Graph of ``pts`` with ids 0..n-1: libpysal's
    ``Graph.build_knn`` up to ``build_knn_max`` points, the same graph from one KD-tree
    query above (0: always the KD-tree)."""
    n = len(pts)
    if n <= build_knn_max:
        return Graph.build_knn(pts, k=k).transform("r")
    from scipy.spatial import cKDTree
    _, nb = cKDTree(pts).query(pts, k=k + 1)
    return Graph.from_sparse(sp.csr_array((np.ones(k * n), (np.repeat(np.arange(n), k),
                                           nb[:, 1:].ravel())), shape=(n, n))).transform("r")


def lag_solver(W, rho: float, lu_max: int = 100_000):
    """A function V -> (I − ρW)^{-1} V (V of shape (n,) or (n, p)): sparse LU up to ``lu_max``
    units, the residual-checked Neumann series of spatialnqpf above."""
    n = W.shape[0]
    if n <= lu_max:
        return spla.splu((sp.identity(n, format="csc") - rho * W).tocsc()).solve
    from spatialnqpf.models._logdet import neumann_solve

    def solve(V):
        V = np.asarray(V, dtype=float)
        X = neumann_solve(W, rho, V[:, None] if V.ndim == 1 else V, tol=1e-13)
        return X[:, 0] if V.ndim == 1 else X
    return solve
