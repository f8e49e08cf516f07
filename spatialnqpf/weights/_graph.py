"""An immutable, id-keyed libpysal ``Graph`` that carries its :class:`Recipe`.

libpysal's ``Graph`` methods construct plain ``Graph`` objects, and its
``transformation`` attribute can be reassigned without changing the weights
(see shared/reference/STYLE.md (b)3).  :class:`WeightsGraph` keeps the
unstandardised weights next to the standardised ones, refuses attribute
assignment, and re-attaches the recipe in :meth:`transform`, :meth:`copy`
and :meth:`subgraph`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from libpysal.graph import Graph

from .._validation import IdMismatchError, SpatialNQPFError, format_values
from .recipe import Recipe

__all__ = ["WeightsGraph", "standardize_matrix", "STANDARDIZATIONS"]

#: accepted spellings of the standardisations -> canonical name
STANDARDIZATIONS = {
    "row": "row", "r": "row", "spectral": "spectral", "s": "spectral",
    "none": "none", "o": "none", None: "none",
}
_LIBPYSAL_CODE = {"row": "R", "spectral": "C", "none": "O"}


def _canonical_std(standardize) -> str:
    key = standardize.lower() if isinstance(standardize, str) else standardize
    if key not in STANDARDIZATIONS:
        raise SpatialNQPFError(f"standardize must be 'row', 'spectral' or 'none', got {standardize!r}")
    return STANDARDIZATIONS[key]


#: largest n for which the spectral radius uses dense eigenvalues
DENSE_EIG_MAX = 1500


def spectral_radius(m: sp.spmatrix) -> float:
    """Largest absolute eigenvalue of a square (sparse) matrix.

    * non-negative matrix with equal row sums (or equal column sums): that sum
      (Perron-Frobenius; exact, e.g. any row-standardised matrix gives 1);
    * n <= 1500: dense ``numpy.linalg.eigvalsh``/``eigvals`` (exact to rounding);
    * otherwise ARPACK (``scipy.sparse.linalg.eigsh``/``eigs``, tol 1e-12), with
      a dense fallback up to n = 8000 if ARPACK does not converge (several
      eigenvalues of the same modulus).
    """
    m = sp.csr_matrix(m, dtype=float)
    n = m.shape[0]
    if n == 0 or m.nnz == 0:
        return 0.0
    if m.data.min() >= 0:
        for sums in (np.asarray(m.sum(axis=1)).ravel(), np.asarray(m.sum(axis=0)).ravel()):
            if np.ptp(sums) <= 1e-14 * sums.max():
                return float(sums.mean())
    sym = abs(m - m.T).max() <= 1e-12 * abs(m).max()
    if n <= DENSE_EIG_MAX:
        d = m.toarray()
        ev = np.linalg.eigvalsh(d) if sym else np.linalg.eigvals(d)
        return float(np.max(np.abs(ev)))
    from scipy.sparse.linalg import ArpackNoConvergence, eigs, eigsh

    try:
        if sym:
            ev = eigsh(m, k=1, which="LM", return_eigenvectors=False, tol=1e-12)
        else:
            ev = eigs(m, k=1, which="LM", return_eigenvectors=False, tol=1e-12)
    except ArpackNoConvergence:
        if n > 8000:
            raise SpatialNQPFError(f"the spectral radius of this {n} x {n} matrix did not converge "
                                   "(ARPACK); use row standardisation") from None
        d = m.toarray()
        ev = np.linalg.eigvalsh(d) if sym else np.linalg.eigvals(d)
    return float(np.max(np.abs(ev)))


def standardize_matrix(m: sp.spmatrix, standardize: str = "row") -> tuple[sp.csr_matrix, float | None]:
    r"""Standardise a weights matrix.

    * ``"row"``: :math:`w^*_{ij} = w_{ij} / \sum_k w_{ik}` (rows without
      neighbours stay zero);
    * ``"spectral"``: :math:`W^* = W / \max_i |\omega_i|` with
      :math:`\omega_i` the eigenvalues of W (Kelejian & Prucha 2010; Stata
      ``spmatrix``'s default), so the spectral radius of :math:`W^*` is 1;
    * ``"none"``: unchanged.

    Returns the matrix and the spectral divisor (None unless spectral).
    """
    std = _canonical_std(standardize)
    m = sp.csr_matrix(m, dtype=float)
    if std == "row":
        rs = np.asarray(m.sum(axis=1)).ravel()
        inv = np.divide(1.0, rs, out=np.zeros_like(rs), where=rs != 0)
        return sp.csr_matrix(sp.diags(inv) @ m), None
    if std == "spectral":
        r = spectral_radius(m)
        if r == 0:
            raise SpatialNQPFError("cannot standardise spectrally: the matrix has no non-zero eigenvalue")
        return sp.csr_matrix(m / r), r
    return m.copy(), None


def _adjacency_from_sparse(m: sp.spmatrix, ids: pd.Index) -> pd.Series:
    """libpysal adjacency Series (isolates as zero self-loops) in ``ids`` order."""
    m = sp.csr_matrix(m, dtype=float)
    m.eliminate_zeros()
    m.sort_indices()
    n = m.shape[0]
    counts = np.diff(m.indptr)
    rows = np.repeat(np.arange(n), counts)
    cols = m.indices.copy()
    vals = m.data.copy()
    iso = np.flatnonzero(counts == 0)
    if iso.size:
        rows = np.concatenate([rows, iso])
        cols = np.concatenate([cols, iso])
        vals = np.concatenate([vals, np.zeros(iso.size)])
        order = np.lexsort((cols, rows))
        rows, cols, vals = rows[order], cols[order], vals[order]
    ids = np.asarray(ids)
    index = pd.MultiIndex.from_arrays([ids[rows], ids[cols]], names=["focal", "neighbor"])
    return pd.Series(vals, index=index, name="weight")


class WeightsGraph(Graph):
    """libpysal :class:`~libpysal.graph.Graph` keyed by region codes, with a recipe.

    Do not call directly: use the builders of :mod:`spatialnqpf.weights`.
    The object is immutable (assignment raises ``AttributeError``); use
    :meth:`transform`/:meth:`standardize` or :meth:`subgraph` to derive new
    ones.  ``recipe`` describes the construction; ``raw`` is the matrix before
    standardisation (in the same id order).
    """

    def __init__(self, adjacency, transformation="O", is_sorted=False, *, recipe=None, raw=None):
        super().__init__(adjacency, transformation=transformation, is_sorted=is_sorted)
        if recipe is None:
            recipe = Recipe(kind="graph", level="custom", ids=tuple(self.unique_ids.tolist()),
                            standardization="none")
        if raw is None:
            raw = sp.csr_matrix(self.sparse, dtype=float)
        object.__setattr__(self, "_recipe", recipe)
        object.__setattr__(self, "_raw", sp.csr_matrix(raw, dtype=float))
        object.__setattr__(self, "_frozen", True)

    # -- immutability ----------------------------------------------------------
    def __setattr__(self, name, value):
        if getattr(self, "_frozen", False) and name != "_xarray_index_names":
            raise AttributeError(
                f"spatialnqpf weights are immutable (cannot set {name!r}); "
                "use .transform()/.standardize()/.subgraph() to derive a new matrix")
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        raise AttributeError("spatialnqpf weights are immutable")

    # -- construction ------------------------------------------------------------
    @classmethod
    def _from_raw(cls, raw: sp.spmatrix, ids, recipe: Recipe, standardize: str = "row") -> "WeightsGraph":
        std = _canonical_std(standardize)
        ids = pd.Index(ids)
        m, scale = standardize_matrix(raw, std)
        recipe = recipe.replace(standardization=std, scale=scale, ids=tuple(ids.tolist()))
        adj = _adjacency_from_sparse(m, ids)
        return cls(adj, transformation=_LIBPYSAL_CODE[std], recipe=recipe, raw=raw)

    # -- properties ----------------------------------------------------------------
    @property
    def recipe(self) -> Recipe:
        """The frozen construction :class:`Recipe`."""
        return self._recipe

    @property
    def raw(self) -> sp.csr_matrix:
        """Copy of the unstandardised weights (CSR, rows/columns in ``unique_ids`` order)."""
        return self._raw.copy()

    @property
    def standardization(self) -> str:
        """``"row"``, ``"spectral"`` or ``"none"`` (or a libpysal code after transform)."""
        return self._recipe.standardization

    def __repr__(self):
        return (f"<spatialnqpf {self._recipe.kind} weights: {self.n} units, "
                f"{int(np.count_nonzero(self._adjacency.to_numpy()))} links, standardisation "
                f"{self._recipe.standardization!r}>")

    def __str__(self):
        return repr(self) + "\n" + str(self._recipe)

    # -- derived matrices ---------------------------------------------------------
    def standardize(self, standardize: str = "row") -> "WeightsGraph":
        """New matrix with the unstandardised weights standardised again.

        ``standardize`` is ``"row"``, ``"spectral"`` or ``"none"``; always
        computed from :attr:`raw`, so the result does not depend on the
        current standardisation.  The recipe is kept, with the new
        standardisation recorded.
        """
        return type(self)._from_raw(self._raw, self.unique_ids, self._recipe, standardize)

    def transform(self, transformation):
        """libpysal ``transform`` that keeps the recipe.

        ``"R"``/``"row"``, ``"spectral"``, ``"O"``/``"none"`` recompute from the
        unstandardised weights (see :meth:`standardize`).  Other libpysal codes
        (``"B"``, ``"D"``, ``"V"``, callables) are applied by libpysal and the
        code is recorded in the recipe.
        """
        key = transformation.lower() if isinstance(transformation, str) else transformation
        if key in STANDARDIZATIONS and key is not None:
            return self.standardize(key)
        g = Graph.transform(self, transformation)
        code = g.transformation
        raw = sp.csr_matrix(g.sparse, dtype=float) if code == "B" else self._raw
        return type(self)(g.adjacency, transformation=code,
                          recipe=self._recipe.replace(standardization=f"libpysal:{code}", scale=None),
                          raw=raw)

    def copy(self, deep=True):
        """A copy (same recipe, same weights)."""
        return type(self)(self._adjacency.copy(deep=deep), transformation=self.transformation,
                          is_sorted=True, recipe=self._recipe, raw=self._raw)

    def subgraph(self, ids):
        """Matrix restricted to ``ids``, standardised again on the subset.

        The unstandardised weights among ``ids`` are kept and the
        standardisation of this matrix is applied to them, so a row-standardised
        matrix stays row-standardised.  Ids not in the matrix raise
        :class:`~spatialnqpf._validation.IdMismatchError`.  Units that lose
        all their neighbours become islands and are named in a recipe note;
        to re-apply an island rule, rebuild with the builder's ``ids=``
        argument instead.
        """
        ids = pd.Index(ids)
        if ids.has_duplicates:
            raise IdMismatchError(f"duplicated ids: {format_values(ids[ids.duplicated()].unique())}")
        mine = self.unique_ids
        unknown = ids.difference(mine)
        if len(unknown):
            raise IdMismatchError(f"ids not in the weights: {format_values(list(unknown))}")
        pos = mine.get_indexer(ids)
        raw = self._raw[pos][:, pos].tocsr()
        rs = np.asarray(abs(raw).sum(axis=1)).ravel()
        iso = ids[rs == 0].tolist()
        notes = self._recipe.notes + ((f"subset of {len(mine)} units; islands in the subset: {iso}",)
                                      if iso else (f"subset of {len(mine)} units",))
        std = self._recipe.standardization
        if std not in ("row", "spectral", "none"):
            std = "none"
        return type(self)._from_raw(raw, ids, self._recipe.replace(notes=notes), std)

    def _with_recipe_params(self, recipe: Recipe) -> "WeightsGraph":
        """Same weights, with the parameters of ``recipe`` (used when rebuilding)."""
        new = self._recipe.replace(params=recipe.params, notes=recipe.notes)
        return type(self)(self._adjacency, transformation=self.transformation, is_sorted=True,
                          recipe=new, raw=self._raw)

    def lag(self, y, categorical=None, ties="raise"):
        r"""Spatial lag :math:`Wy`, aligned by id for pandas input.

        ``y`` as a Series (or DataFrame) indexed by id is aligned to the
        weights' ids (any order); ids missing on either side raise
        :class:`~spatialnqpf._validation.IdMismatchError` naming them, and the
        result is a Series/DataFrame indexed like ``y``.  A plain array is
        taken in :attr:`unique_ids` order (libpysal behaviour).  libpysal's own
        ``Graph.lag`` checks only the length (shared/reference/STYLE.md (b)2).
        """
        if isinstance(y, (pd.Series, pd.DataFrame)) and not categorical:
            from .._validation import graph_to_sparse

            idx = pd.Index(y.index)
            m = graph_to_sparse(self, idx)
            vals = y.to_numpy(dtype=float)
            if isinstance(y, pd.Series):
                return pd.Series(m @ vals, index=y.index, name=f"W_{y.name}" if y.name is not None else "W_y")
            return pd.DataFrame(m @ vals, index=y.index, columns=[f"W_{c}" for c in y.columns])
        return Graph.lag(self, y, categorical=categorical, ties=ties)

    def to_frame(self) -> pd.DataFrame:
        """Edge list ``focal, neighbor, weight`` (non-zero weights; islands as zero self-links)."""
        return self.adjacency.reset_index()

    # NB: ``summary()`` is libpysal's (a GraphSummary with s0, s1, s2 that esda relies on);
    # the text description is ``spatialnqpf.weights.describe(w).summary()``.

    def dense(self) -> pd.DataFrame:
        """Weights as a dense DataFrame with the ids as index and columns (small n only)."""
        ids = self.unique_ids
        return pd.DataFrame(self.sparse.toarray(), index=ids, columns=ids)
