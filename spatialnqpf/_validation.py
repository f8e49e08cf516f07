"""Shared input checks: panels keyed by (id, time), id alignment with weights.

Every public function of the package funnels its user input through these
helpers so that errors name the offending ids, years, cells or columns.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

__all__ = [
    "SpatialNQPFError", "DataError", "PanelError", "IdMismatchError",
    "format_values", "did_you_mean", "require_columns", "check_panel", "check_finite",
    "graph_ids", "graph_to_sparse", "as_1d_float", "as_generator", "WeightsError",
    "check_weights", "check_id_types", "check_unique_columns", "as_count", "ArgumentError",
]


class SpatialNQPFError(ValueError):
    """Base class of the package's input errors (a ``ValueError``)."""


class DataError(SpatialNQPFError):
    """Missing, non-numeric or otherwise unusable data values."""


class PanelError(SpatialNQPFError):
    """Duplicate (id, time) rows, unbalanced panels, gaps."""


class IdMismatchError(SpatialNQPFError):
    """Ids of the data and of the spatial weights do not match."""


class ArgumentError(SpatialNQPFError, TypeError):
    """A function argument of the wrong type or out of range (a ValueError and a TypeError)."""


class WeightsError(DataError):
    """Spatial weights that no statistic can use: non-finite or negative weights, self-links."""


def format_values(values: Iterable, limit: int = 20) -> str:
    """Comma-separated repr of ``values``, truncated after ``limit`` items."""
    vals = list(values)
    shown = ", ".join(repr(v.item() if isinstance(v, np.generic) else v) for v in vals[:limit])
    if len(vals) > limit:
        shown += f", ... ({len(vals) - limit} more)"
    return shown


def did_you_mean(value, choices: Iterable, n: int = 1, cutoff: float = 0.6) -> str:
    """``"; did you mean 'x'?"`` with the closest of ``choices`` to ``value`` (up to ``n``,
    :func:`difflib.get_close_matches` at ``cutoff``), or ``""`` when none is close."""
    import difflib
    close = difflib.get_close_matches(str(value), [str(c) for c in choices], n=n, cutoff=cutoff)
    return f"; did you mean {format_values(close)}?" if close else ""


def require_columns(data: pd.DataFrame, columns: Sequence[str], what: str = "data") -> None:
    """Raise :class:`DataError` naming every column of ``columns`` absent from ``data``."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, got {type(data).__name__}")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        hint = ""
        in_index = [c for c in missing if c is not None and c in [n for n in data.index.names]]
        if in_index:
            hint = (f". {format_values(in_index)} are index levels of the frame: call "
                    f"data.reset_index() first")
        else:
            import difflib
            near = [(c, difflib.get_close_matches(str(c), [str(x) for x in data.columns], n=1))
                    for c in missing]
            near = [f"{c!r} -> {m[0]!r}" for c, m in near if m]
            if near:
                hint = f"; did you mean {', '.join(near)}?"
        raise DataError(f"column(s) not found in {what}: {format_values(missing)}; "
                        f"available: {format_values(list(data.columns), 40)}{hint}")


def check_panel(data: pd.DataFrame, id: str, time: str | None = None,
                columns: Sequence[str] = (), balanced: bool = False,
                allow_missing: bool = False) -> pd.DataFrame:
    """Validate a long panel and return a copy sorted by (time, id).

    Checks, each with an error that names what is wrong:

    * ``id``/``time``/``columns`` exist;
    * no duplicated (id, time) pair (or duplicated id in a cross-section);
    * ``columns`` are numeric and (unless ``allow_missing``) have no NaN/inf;
    * with ``balanced=True``, every id is observed in every period.

    Rows are sorted time-major (all units of the first period, then the next),
    the stacking used by the panel estimators.
    """
    keys = [id] + ([time] if time is not None else [])
    if isinstance(columns, str):
        columns = [columns]
    if (time is not None and isinstance(data, pd.DataFrame) and time not in data.columns
            and time not in data.index.names and id in data.columns):
        raise DataError(f"time column {time!r} not found in the data; for a cross-section "
                        f"(one row per unit) pass time=None")
    require_columns(data, list(keys) + list(columns))
    used = list(dict.fromkeys(keys + list(columns)))
    dupcols = [c for c in used if (data.columns == c).sum() > 1]
    if dupcols:
        raise DataError(f"column name(s) {format_values(dupcols)} appear more than once in the "
                        "data; rename or drop the copies (e.g. df.loc[:, ~df.columns.duplicated()])")
    df = data.loc[:, used].copy()
    for k in keys:
        check_id_types(df[k], f"column {k!r}")
    for k in keys:
        if df[k].isna().any():
            rows = df.index[df[k].isna()].tolist()
            raise PanelError(f"column {k!r} has missing values at rows {format_values(rows)}")
    dup = df.duplicated(keys, keep=False)
    if dup.any():
        pairs = df.loc[dup, keys].drop_duplicates().itertuples(index=False, name=None)
        pairs = [p if len(p) > 1 else p[0] for p in pairs]
        label = f"({id}, {time})" if time is not None else id
        raise PanelError(f"duplicated {label} rows: {format_values(pairs)}")
    for c in columns:
        if not pd.api.types.is_numeric_dtype(df[c]):
            conv = pd.to_numeric(df[c], errors="coerce")
            bad = conv.isna() & df[c].notna()
            if not bad.any():  # every cell is a number stored as text
                ex = df.loc[df[c].notna(), keys + [c]].head(2).to_dict("records")
                raise DataError(f"column {c!r} holds numbers stored as text, e.g. {ex}; convert "
                                f"it first: df[{c!r}] = pd.to_numeric(df[{c!r}])")
            examples = df.loc[bad, keys + [c]].head(5).to_dict("records")
            raise DataError(f"column {c!r} is not numeric; e.g. {examples}")
    if not allow_missing and len(columns):
        check_finite(df, columns, keys)
    if balanced and time is not None:
        ids = pd.Index(df[id].unique())
        times = pd.Index(df[time].unique())
        if len(df) != len(ids) * len(times):
            full = pd.MultiIndex.from_product([ids, times], names=[id, time])
            have = pd.MultiIndex.from_frame(df[[id, time]])
            missing = full.difference(have)
            raise PanelError(f"unbalanced panel: {len(missing)} ({id}, {time}) pair(s) absent: "
                             f"{format_values(list(missing))}")
    sort_keys = ([time] if time is not None else []) + [id]
    return df.sort_values(sort_keys, kind="mergesort").reset_index(drop=True)


def check_finite(df: pd.DataFrame, columns: Sequence[str], keys: Sequence[str] = ()) -> None:
    """Raise :class:`DataError` listing every non-finite cell of ``columns``."""
    problems = []
    for c in columns:
        vals = pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(vals)
        if bad.any():
            where = (df.loc[bad, list(keys)].itertuples(index=False, name=None)
                     if keys else df.index[bad])
            where = [w if not isinstance(w, tuple) or len(w) > 1 else w[0] for w in where]
            problems.append(f"{c!r} at {format_values(where, 10)}")
    if problems:
        raise DataError("missing or non-finite values: " + "; ".join(problems))


def as_1d_float(values, name: str = "values") -> np.ndarray:
    """Return ``values`` as a finite 1-D float array; refuse 2-D input and NaN."""
    arr = np.asarray(values, dtype=float) if not isinstance(values, pd.Series) else values.to_numpy(dtype=float)
    if arr.ndim != 1:
        raise DataError(f"{name} must be one-dimensional, got an array of shape {arr.shape}")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        labels = values.index[bad].tolist() if isinstance(values, pd.Series) else bad.tolist()
        raise DataError(f"{name} has missing or non-finite values at {format_values(labels)}")
    return arr


def graph_ids(w) -> pd.Index:
    """Ids of a libpysal ``Graph`` or ``W`` (in the weights' own order)."""
    if hasattr(w, "unique_ids"):
        return pd.Index(w.unique_ids)
    if hasattr(w, "id_order"):
        return pd.Index(w.id_order)
    raise TypeError(f"expected a libpysal Graph or W, got {type(w).__name__}")


def graph_to_sparse(w, ids: Sequence) -> sp.csr_matrix:
    """Weights of ``w`` as a CSR matrix whose rows/columns follow ``ids``.

    ``w`` is a libpysal ``Graph`` (preferred) or ``W``.  The data's ids and the
    weights' ids must be the same set; otherwise an :class:`IdMismatchError`
    lists the ids found only in the data and only in the weights.  Duplicated
    ids are refused.  The weights' stored values are used as they are (no
    re-standardisation after alignment).
    """
    ids = pd.Index(ids)
    if ids.has_duplicates:
        raise IdMismatchError(f"duplicated ids: {format_values(ids[ids.duplicated()].unique())}")
    wids = graph_ids(w)
    only_data = ids.difference(wids)
    only_w = wids.difference(ids)
    if len(only_data) or len(only_w):
        msg = ["ids of the data and of the weights differ."]
        if len(only_data):
            msg.append(f"In the data but not in the weights: {format_values(list(only_data))}.")
        if len(only_w):
            msg.append(f"In the weights but not in the data: {format_values(list(only_w))}.")
        msg.append("Rebuild the weights for the data's ids (e.g. weights.contiguity(ids=...)) "
                   "or subset the data.")
        raise IdMismatchError(" ".join(msg))
    if hasattr(w, "sparse") and hasattr(w, "unique_ids"):
        m = w.sparse
    else:
        m = w.sparse
    m = sp.csr_matrix(m, dtype=float)
    check_weights(m, wids, "the weights", diagonal=False)
    pos = wids.get_indexer(ids)
    if np.array_equal(pos, np.arange(len(ids))):
        return m
    return m[pos][:, pos].tocsr()


def _key_entropy(key) -> list:
    """Stable integer words for a job/year/replication key (str, int or tuple of them)."""
    import hashlib
    parts = key if isinstance(key, tuple) else (key,)
    out = []
    for k in parts:
        if isinstance(k, (int, np.integer)) and not isinstance(k, bool) and int(k) >= 0:
            out.append(int(k))
        else:
            h = hashlib.sha256(repr(k).encode("utf-8")).digest()[:8]
            out.append(int.from_bytes(h, "little"))
    return out


def as_generator(seed=0, key=None) -> np.random.Generator:
    """The package's one seed convention: ``seed`` → :class:`numpy.random.Generator`.

    ``seed`` is a non-negative int (default 0 everywhere: results are reproducible unless
    the user asks otherwise), ``None`` (fresh OS entropy), a :class:`~numpy.random.SeedSequence`
    or a ``Generator`` (used as is).  With ``key`` (an int, str or tuple, e.g. a year or a
    batch job key) the stream is ``SeedSequence(seed, spawn_key=key)``: independent of the
    order in which keys are drawn, of other keys and of the worker that runs them.
    """
    if isinstance(seed, np.random.Generator):
        if key is not None:
            raise ArgumentError("a Generator seed cannot be combined with a key; pass an int seed")
        return seed
    if isinstance(seed, bool) or not (seed is None or isinstance(seed, (int, np.integer,
                                                                         np.random.SeedSequence))):
        raise ArgumentError(f"seed must be a non-negative int, None, a SeedSequence or a "
                        f"numpy Generator, got {seed!r}")
    if isinstance(seed, (int, np.integer)) and seed < 0:
        raise ArgumentError(f"seed must be non-negative, got {seed!r}")
    if key is None:
        return np.random.default_rng(seed)
    if isinstance(seed, np.random.SeedSequence):
        entropy = seed.entropy
    else:
        entropy = seed
    return np.random.default_rng(np.random.SeedSequence(entropy=entropy,
                                                        spawn_key=tuple(_key_entropy(key))))


def check_weights(m, ids=None, what: str = "the weights", diagonal: bool = True) -> None:
    """The one validation of a weights matrix used by every reader, statistic and estimator.

    Refuses, naming the (i, j) pairs or ids: non-finite weights, negative weights and (with
    ``diagonal=True``) non-zero diagonal entries w_ii (a unit linked to itself).
    ``m`` is a scipy sparse matrix or array whose rows/columns follow ``ids``.
    """
    m = sp.coo_matrix(m)
    lab = (lambda k: k) if ids is None else (lambda k, _ids=list(ids): _ids[k])
    bad = ~np.isfinite(m.data)
    if bad.any():
        pairs = [(lab(i), lab(j)) for i, j in zip(m.row[bad], m.col[bad])]
        raise WeightsError(f"{what} have non-finite weights (NaN or inf) at (i, j) = "
                           f"{format_values(pairs, 10)}")
    neg = m.data < 0
    if neg.any():
        pairs = [(lab(i), lab(j), float(v)) for i, j, v in
                 zip(m.row[neg], m.col[neg], m.data[neg])]
        raise WeightsError(f"{what} have negative weights at (i, j, w_ij) = "
                           f"{format_values(pairs, 10)}; spatial weights must be non-negative")
    if diagonal:
        d = (m.row == m.col) & (m.data != 0)
        if d.any():
            raise WeightsError(f"{what} link units to themselves (w_ii != 0) for ids "
                               f"{format_values([lab(i) for i in m.row[d]], 10)}; set the "
                               "diagonal to 0")


def check_id_types(values, what: str = "ids") -> None:
    """Refuse ids that mix numbers and strings (11 and "11" would be two units)."""
    vals = pd.Series(values).dropna()
    if vals.empty or vals.dtype != object:
        return
    kinds = vals.map(lambda v: "number" if isinstance(v, (int, float, np.integer, np.floating))
                     and not isinstance(v, (bool, np.bool_)) else type(v).__name__)
    if kinds.nunique() > 1:
        ex = {k: vals[kinds == k].iloc[0] for k in kinds.unique()}
        raise DataError(f"{what} mix types ({', '.join(f'{k} e.g. {v!r}' for k, v in ex.items())}"
                        f"): 11 and '11' would be different units; convert the column first, "
                        f"e.g. df[col] = df[col].astype(int) or .astype(str)")


def check_unique_columns(data, what: str = "data") -> None:
    """Refuse a DataFrame with duplicated column names (naming them)."""
    if isinstance(data, pd.DataFrame) and data.columns.has_duplicates:
        dup = data.columns[data.columns.duplicated()].unique().tolist()
        raise DataError(f"{what} has duplicated column names: {format_values(dup)}; rename them "
                        "(e.g. df.columns = [...]) or drop the copies")


def as_count(value, name: str, minimum: int = 0) -> int:
    """An integer count >= ``minimum`` (refuses floats such as 2.5, booleans and strings)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            value = int(value)
        else:
            raise ArgumentError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ArgumentError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)
