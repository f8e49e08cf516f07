"""Summary statistics of a spatial weights matrix."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from .._results import Results
from .._validation import graph_ids, graph_to_sparse

__all__ = ["WeightsDescription", "describe"]


@dataclasses.dataclass(eq=False, repr=False)
class WeightsDescription(Results):
    """Frozen description of a weights matrix (see :func:`describe`).

    Attributes
    ----------
    n : int
        Number of units.
    n_links : int
        Number of non-zero off-diagonal weights (directed).
    mean_neighbors, min_neighbors, max_neighbors : float, int, int
        Neighbour counts per unit (non-zero weights in the row).
    islands : tuple
        Units without neighbours.
    n_components : int
        Connected components (weak connectivity: a link in either direction).
    component_sizes : tuple of int
        Sizes, largest first.
    links_symmetric : bool
        Whether j is a neighbour of i exactly when i is a neighbour of j
        (a row-standardised contiguity matrix has symmetric links but not
        symmetric weights).
    symmetric : bool
        Whether :math:`w_{ij} = w_{ji}` for all pairs (to 1e-12 relative).
    n_asymmetric : int
        Number of ordered pairs with :math:`w_{ij} \\ne w_{ji}`.
    max_asymmetry : float
        :math:`\\max |w_{ij} - w_{ji}|`.
    row_sum_min, row_sum_max : float
        Range of the row sums.
    diagonal_nonzero : int
        Number of non-zero diagonal entries (should be 0).
    recipe : str
        Printed recipe (construction) of the matrix, or "" for plain graphs.
    neighbors : pandas.Series
        Neighbour count per id.
    n_asymmetric_links : int
        Unordered pairs linked in one direction only (0 when ``links_symmetric``).
    """

    n: int
    n_links: int
    mean_neighbors: float
    min_neighbors: int
    max_neighbors: int
    islands: tuple
    n_components: int
    component_sizes: tuple
    links_symmetric: bool
    symmetric: bool
    n_asymmetric: int
    max_asymmetry: float
    row_sum_min: float
    row_sum_max: float
    diagonal_nonzero: int
    recipe: str
    neighbors: pd.Series = dataclasses.field(repr=False, compare=False)
    n_asymmetric_links: int = 0

    def to_frame(self) -> pd.DataFrame:
        """One column ``value`` indexed by statistic name."""
        rows = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if f.name not in ("neighbors", "recipe")}
        rows["islands"] = ", ".join(map(str, self.islands)) or "none"
        rows["component_sizes"] = ", ".join(map(str, self.component_sizes))
        return pd.DataFrame({"value": pd.Series(rows, dtype=object)})

    def summary(self) -> str:
        """Printable text summary (statistics then recipe)."""
        lines = [
            f"Spatial weights: n = {self.n}, links = {self.n_links}",
            f"  neighbours per unit: mean {self.mean_neighbors:.3f}, min {self.min_neighbors}, "
            f"max {self.max_neighbors}",
            f"  islands: {', '.join(map(str, self.islands)) or 'none'}",
            f"  connected components: {self.n_components} (sizes {list(self.component_sizes)})",
            f"  links symmetric: {self.links_symmetric}; weights symmetric: {self.symmetric} ({self.n_asymmetric} asymmetric pairs, "
            f"max |w_ij - w_ji| = {self.max_asymmetry:.6g})",
            f"  row sums: {self.row_sum_min:.6g} .. {self.row_sum_max:.6g}; "
            f"non-zero diagonal entries: {self.diagonal_nonzero}",
        ]
        if self.recipe:
            lines.append("Recipe:")
            lines.extend("  " + ln for ln in self.recipe.splitlines())
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def describe(w) -> WeightsDescription:
    """Describe a weights matrix: neighbours, islands, components, asymmetry, recipe.

    Parameters
    ----------
    w : libpysal Graph (spatialnqpf :class:`~spatialnqpf.weights.WeightsGraph` or
        plain) or ``W``.

    Returns
    -------
    WeightsDescription
    """
    ids = graph_ids(w)
    m = sp.csr_matrix(graph_to_sparse(w, ids), dtype=float)
    m.eliminate_zeros()
    n = m.shape[0]
    diag = m.diagonal()
    off = m - sp.diags(diag)
    off = sp.csr_matrix(off)
    off.eliminate_zeros()
    nb = np.diff(off.indptr)
    islands = tuple(v.item() if isinstance(v, np.generic) else v for v in ids[nb == 0])
    ncomp, labels = connected_components(off, directed=True, connection="weak")
    sizes = tuple(sorted(np.bincount(labels).tolist(), reverse=True))
    diff = sp.csr_matrix(m - m.T)
    diff.data[np.abs(diff.data) <= 1e-12 * max(abs(m).max() if m.nnz else 1.0, 1e-300)] = 0
    diff.eliminate_zeros()
    b = (off != 0).astype(np.int8)
    n_asym_links = (b != b.T).nnz // 2
    links_sym = n_asym_links == 0
    rs = np.asarray(m.sum(axis=1)).ravel()
    recipe = getattr(w, "recipe", None)
    return WeightsDescription(
        n=n, n_links=int(off.nnz), mean_neighbors=float(nb.mean()) if n else 0.0,
        min_neighbors=int(nb.min()) if n else 0, max_neighbors=int(nb.max()) if n else 0,
        islands=islands, n_components=int(ncomp), component_sizes=sizes, links_symmetric=bool(links_sym),
        symmetric=diff.nnz == 0, n_asymmetric=int(diff.nnz),
        max_asymmetry=float(abs(diff).max()) if diff.nnz else 0.0,
        row_sum_min=float(rs.min()) if n else 0.0, row_sum_max=float(rs.max()) if n else 0.0,
        diagonal_nonzero=int(np.count_nonzero(diag)),
        recipe=str(recipe) if recipe is not None else "",
        neighbors=pd.Series(nb, index=ids, name="neighbors"), n_asymmetric_links=int(n_asym_links),
    )
