"""Read and write spatial weights in the formats users exchange.

========== ============================================================== =========
format     layout                                                          weights
========== ============================================================== =========
gal        GeoDa/libpysal GAL: header ``0 n spatialnqpf code``, then per   binary
           unit ``id k`` and a line of its k neighbour ids
gwt        GeoDa/libpysal GWT: header, then ``i j w_ij`` per link          yes
           (islands as ``i i 0``)
edges      CSV edge list ``focal,neighbor,weight`` (islands as ``i,i,0``,  yes
           the libpysal ``Graph`` convention)
dense_csv  square matrix with ids (codes or Chinese/English names) as     yes
           column headers and first column; what Excel/Stata users share
excel      the same in the first sheet of an ``.xlsx`` workbook            yes
stata      Stata ``spmatrix export``/``import`` text: first line n, then   yes
           per row the id followed by the n weights
mat        MATLAB ``.mat`` (scipy.io): ``W`` (dense, or sparse for n >     yes
           2000), ``ids`` (column vector), ``recipe`` (JSON text)
========== ============================================================== =========

Weights are written with Python's shortest round-trip float representation,
so ``read(write(w))`` restores ids and weights exactly.  Reading with
``ids=`` (the data's ids) checks the file's ids against them and lists the
differences; the result follows the order of ``ids``.
"""
from __future__ import annotations

import io as _io
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._validation import (DataError, IdMismatchError, SpatialNQPFError, check_weights,
                           format_values, graph_ids, graph_to_sparse)
from ._graph import WeightsGraph, _canonical_std
from .recipe import Recipe

__all__ = ["FORMATS", "read", "write"]

FORMATS = ("gal", "gwt", "edges", "dense_csv", "excel", "stata", "mat")
_EXT = {".gal": "gal", ".gwt": "gwt", ".xlsx": "excel", ".xls": "excel", ".mat": "mat",
        ".txt": "stata", ".csv": "dense_csv"}


def _fmt_of(path, format):
    if format is not None:
        if format not in FORMATS:
            raise SpatialNQPFError(f"format must be one of {FORMATS}, got {format!r}")
        return format
    ext = Path(path).suffix.lower()
    if ext not in _EXT:
        raise SpatialNQPFError(f"cannot infer the format of {str(path)!r} from its extension; "
                               f"pass format= one of {FORMATS}")
    return _EXT[ext]


def _r(x: float) -> str:
    """Shortest repr that round-trips exactly ("1" for 1.0)."""
    x = float(x)
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)


def _id_str(v) -> str:
    s = str(v.item() if isinstance(v, np.generic) else v)
    if any(ch.isspace() for ch in s):
        raise SpatialNQPFError(f"id {s!r} contains whitespace and cannot be written to this format")
    return s


# ---------------------------------------------------------------------------
# writing

def write(w, path, format: str | None = None, labels: str = "code", sheet_name: str = "W") -> Path:
    """Write weights ``w`` to ``path``.

    Parameters
    ----------
    w : Graph (spatialnqpf :class:`WeightsGraph` or libpysal)
    path : str or Path
    format : one of :data:`FORMATS`, optional
        Inferred from the extension (``.gal``, ``.gwt``, ``.csv`` = dense_csv,
        ``.xlsx``, ``.txt`` = stata, ``.mat``); ``"edges"`` must be named.
    labels : {"code", "zh", "short", "en", "pinyin"}
        Dense CSV/Excel only: label rows and columns with province codes
        (default) or names (:func:`spatialnqpf.regions.names`).
    sheet_name : str
        Excel sheet.

    Notes
    -----
    GAL stores the neighbour structure only (weights become 1 on reading).
    """
    fmt = _fmt_of(path, format)
    path = Path(path)
    ids = graph_ids(w)
    m = sp.csr_matrix(graph_to_sparse(w, ids), dtype=float)
    m.eliminate_zeros()
    m.sort_indices()
    n = len(ids)
    if fmt == "gal":
        _warn_if_weighted(m)
        lines = [f"0 {n} spatialnqpf code"]
        for i in range(n):
            nb = [c for c in m.indices[m.indptr[i]:m.indptr[i + 1]] if c != i]
            lines.append(f"{_id_str(ids[i])} {len(nb)}")
            lines.append(" ".join(_id_str(ids[c]) for c in nb))
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    elif fmt == "gwt":
        lines = [f"0 {n} spatialnqpf code"]
        for i in range(n):
            s, e = m.indptr[i], m.indptr[i + 1]
            if s == e:
                lines.append(f"{_id_str(ids[i])} {_id_str(ids[i])} 0")
            for c, v in zip(m.indices[s:e], m.data[s:e]):
                lines.append(f"{_id_str(ids[i])} {_id_str(ids[c])} {_r(v)}")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    elif fmt == "edges":
        out = ["focal,neighbor,weight"]
        for i in range(n):
            s, e = m.indptr[i], m.indptr[i + 1]
            if s == e:
                out.append(f"{_csv(ids[i])},{_csv(ids[i])},0")
            for c, v in zip(m.indices[s:e], m.data[s:e]):
                out.append(f"{_csv(ids[i])},{_csv(ids[c])},{_r(v)}")
        path.write_text("\n".join(out) + "\n", encoding="utf-8")
    elif fmt in ("dense_csv", "excel"):
        lab = _labels(ids, labels)
        d = m.toarray()
        if fmt == "dense_csv":
            buf = _io.StringIO()
            buf.write(",".join(["id"] + [_csv(x) for x in lab]) + "\n")
            for i in range(n):
                buf.write(",".join([_csv(lab[i])] + [_r(v) for v in d[i]]) + "\n")
            path.write_text(buf.getvalue(), encoding="utf-8-sig")
        else:
            _write_excel(path, d, lab, sheet_name, getattr(w, "recipe", None))
    elif fmt == "stata":
        bad = [v for v in ids if not _is_intlike(v)]
        if bad:
            raise SpatialNQPFError(f"Stata spmatrix needs numeric ids; got {format_values(bad)}")
        d = m.toarray()
        lines = [str(n)] + [" ".join([_id_str(ids[i])] + [_r(v) for v in d[i]]) for i in range(n)]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    elif fmt == "mat":
        from scipy.io import savemat

        payload = {"W": m if n > 2000 else m.toarray()}
        if all(_is_intlike(v) for v in ids):
            payload["ids"] = np.asarray([int(v) for v in ids], dtype=np.int64).reshape(-1, 1)
        else:
            payload["ids"] = np.asarray([str(v) for v in ids], dtype=object).reshape(-1, 1)
        rec = getattr(w, "recipe", None)
        if rec is not None:
            payload["recipe"] = rec.to_json()
        savemat(path, payload, do_compression=True)
    return path


_EXACT_SHEET = "spatialnqpf_exact"


def _write_excel(path, d, lab, sheet_name, recipe):
    """Visible sheet: numbers (openpyxl stores 16 significant digits, Excel shows 15).

    A hidden sheet ``spatialnqpf_exact`` keeps every weight as its exact
    shortest-repr text (and the recipe), so that our own round trip is
    exact; :func:`read` uses it only while the visible numbers still agree
    with it (i.e. nobody edited the matrix in Excel).
    """
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet_name
    ex = wb.create_sheet(_EXACT_SHEET)
    ex.sheet_state = "hidden"
    ws.cell(1, 1, "id")
    for j, x in enumerate(lab):
        ws.cell(1, j + 2, x.item() if isinstance(x, np.generic) else x)
    for i, x in enumerate(lab):
        ws.cell(i + 2, 1, x.item() if isinstance(x, np.generic) else x)
        for j in range(len(lab)):
            v = float(d[i, j])
            ws.cell(i + 2, j + 2, v)
            if v != 0.0:
                ex.cell(i + 1, j + 1, repr(v))
    ex.cell(len(lab) + 2, 1, "recipe")
    if recipe is not None:
        ex.cell(len(lab) + 2, 2, recipe.to_json())
    wb.save(path)


def _exact_from_excel(path, d: np.ndarray, sheet_name):
    """Exact weights (and recipe) from the hidden sheet if it agrees with the visible one."""
    import openpyxl

    if sheet_name not in (0, None):
        # only the first sheet is written by spatialnqpf
        wb = openpyxl.load_workbook(path, read_only=True)
        first = wb.sheetnames[0]
        wb.close()
        if sheet_name != first:
            return d, None
    try:
        ex = pd.read_excel(path, sheet_name=_EXACT_SHEET, header=None, dtype=str)
    except (ValueError, KeyError):
        return d, None
    n = d.shape[0]
    vals = ex.iloc[:n, :n].reindex(index=range(n), columns=range(n))
    exact = vals.apply(lambda c: pd.to_numeric(c, errors="coerce")).fillna(0.0).to_numpy(float)
    if exact.shape != d.shape or not np.allclose(exact, d, rtol=1e-15, atol=0):
        return d, None
    rec = None
    if ex.shape[0] > n + 1 and ex.shape[1] > 1 and ex.iat[n + 1, 0] == "recipe":
        txt = ex.iat[n + 1, 1]
        if isinstance(txt, str) and txt.startswith("{"):
            try:
                rec = Recipe.from_json(txt)
            except (ValueError, TypeError):
                rec = None
    return exact, rec


def _warn_if_weighted(m: sp.csr_matrix):
    """GAL keeps neighbours only: warn when a row's weights are not all equal (they are lost)."""
    import warnings

    off = sp.csr_matrix(m - sp.diags(m.diagonal()))
    off.eliminate_zeros()
    rows = np.repeat(np.arange(off.shape[0]), np.diff(off.indptr))
    if off.nnz == 0:
        return
    mx = np.zeros(off.shape[0])
    mn = np.full(off.shape[0], np.inf)
    np.maximum.at(mx, rows, off.data)
    np.minimum.at(mn, rows, off.data)
    has = np.diff(off.indptr) > 0
    if np.any(mx[has] - mn[has] > 1e-12 * mx[has]):
        warnings.warn("GAL stores the neighbour structure only: the (unequal) weights of this matrix "
                      "are not written; use gwt, edges, dense_csv, excel, stata or mat to keep them",
                      UserWarning, stacklevel=3)


def _csv(v) -> str:
    s = str(v.item() if isinstance(v, np.generic) else v)
    if any(ch in s for ch in ',"\n'):
        s = '"' + s.replace('"', '""') + '"'
    return s


def _is_intlike(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _labels(ids, labels):
    if labels == "code":
        return list(ids)
    from .. import regions

    level = "city" if all(_is_intlike(v) and int(v) >= 100000 for v in ids) else "province"
    if level == "city" and not set(int(v) for v in ids) <= set(regions.cities().index):
        level = "county"   # six-digit codes that are not all city-level units
    return list(regions.names(list(ids), lang=labels, level=level))


# ---------------------------------------------------------------------------
# reading

def read(path, format: str | None = None, ids=None, level: str = "province",
         standardize: str = "none", sheet_name=0, variable: str = "W",
         blank_as_zero: bool = False, encoding: str | None = None) -> WeightsGraph:
    """Read weights from ``path``.

    Parameters
    ----------
    path : str or Path
    format : one of :data:`FORMATS`, optional
        Inferred from the extension; a ``.csv`` whose header is
        ``focal,neighbor,weight`` is read as an edge list, any other as a
        dense matrix.
    ids : list, optional
        The data's ids.  The file's ids must be exactly these (otherwise an
        :class:`~spatialnqpf._validation.IdMismatchError` lists the ids only in
        the file and only in the data) and the result follows their order.
        For a ``.mat`` file without an ``ids`` variable they are taken as the
        ids of the rows, in file order.
    level : {"province", "city", "county"}
        How to interpret non-numeric labels (Chinese or English names are
        mapped with :func:`spatialnqpf.regions.normalize`).
    standardize : {"none", "row", "spectral"}
        Applied after reading; default keeps the file's weights.
    sheet_name : Excel sheet (name or position).
    variable : str
        Name of the matrix in a ``.mat`` file.
    blank_as_zero : bool
        Dense CSV/Excel: treat empty cells as 0 (default: error naming them).
    encoding : str, optional
        Text formats: default UTF-8 (BOM or not), falling back to GB18030,
        which is what Excel on Chinese Windows writes for "CSV".

    Returns
    -------
    WeightsGraph
        With a ``kind="file"`` recipe naming the file and format (or, for
        ``.mat`` files written by spatialnqpf, the stored recipe).
    """
    fmt = _fmt_of(path, format)
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(str(path))
    if path.is_file() and path.stat().st_size == 0:
        raise DataError(f"weights file {str(path)!r} is empty (0 bytes)")
    enc = _encoding(path, encoding) if fmt not in ("excel", "mat") else None
    if fmt == "dense_csv":
        with open(path, encoding=enc) as fh:
            first = fh.readline().strip().lower().replace(" ", "")
        if first.split(",")[:3] == ["focal", "neighbor", "weight"]:
            fmt = "edges"
    try:
        return _read(path, fmt, enc, ids, level, standardize, sheet_name, variable,
                     blank_as_zero)
    except SpatialNQPFError:
        raise
    except Exception as exc:  # malformed file: name it, whatever the parser raised
        raise DataError(f"cannot read {str(path)!r} as {fmt} weights: "
                        f"{type(exc).__name__}: {exc}") from None


def _read(path, fmt, enc, ids, level, standardize, sheet_name, variable, blank_as_zero):
    stored_recipe = None
    stored_ids = None
    if fmt in ("gal", "gwt"):
        file_ids, m = _read_gal_gwt(path, fmt, enc)
    elif fmt == "edges":
        df = pd.read_csv(path, dtype={"focal": str, "neighbor": str}, encoding=enc)
        for c in ("focal", "neighbor", "weight"):
            if c not in df.columns:
                raise DataError(f"edge list {str(path)!r} lacks column {c!r}")
        w = pd.to_numeric(df["weight"], errors="coerce")
        if w.isna().any():
            raise DataError(f"non-numeric or missing weights in {str(path)!r} at lines "
                            f"{format_values((df.index[w.isna()] + 2).tolist())}")
        file_ids, pos = _unique_in_order(pd.concat([df["focal"], df["neighbor"]]).tolist())
        m = sp.csr_matrix((w.to_numpy(float), (df["focal"].map(pos), df["neighbor"].map(pos))),
                          shape=(len(file_ids), len(file_ids)))
        _check_no_dup_edges(df, path)
    elif fmt in ("dense_csv", "excel"):
        if fmt == "excel":
            raw = pd.read_excel(path, sheet_name=sheet_name, header=None, dtype=object)
        else:
            raw = pd.read_csv(path, header=None, dtype=str, encoding=enc, keep_default_na=False,
                              na_values=[""])
        file_ids, col_labels, d = _parse_dense(raw, path, blank_as_zero)
        if file_ids is None:
            if ids is None or len(list(ids)) != d.shape[0]:
                raise IdMismatchError(
                    f"{str(path)!r} is a {d.shape[0]} x {d.shape[1]} matrix without id labels; "
                    f"pass ids= (the {d.shape[0]} ids of its rows, in order"
                    + (f"; got {len(list(ids))})" if ids is not None else ")")
                    + " or add a header row and a first column with the ids")
            file_ids = col_labels = [str(v) for v in ids]
        if fmt == "excel":
            d, stored_recipe = _exact_from_excel(path, d, sheet_name)
        rc, cc = _to_codes(file_ids, level), _to_codes(col_labels, level)
        if rc != cc:
            rset, cset = set(rc), set(cc)
            if rset != cset or len(rset) != len(rc) or len(cset) != len(cc):
                raise IdMismatchError(
                    f"{str(path)!r}: row and column labels differ: rows only "
                    f"{format_values([l for l, c in zip(file_ids, rc) if c not in cset])}; columns only "
                    f"{format_values([l for l, c in zip(col_labels, cc) if c not in rset])}")
            d = d[:, [cc.index(r) for r in rc]]
        m = sp.csr_matrix(d)
    elif fmt == "stata":
        file_ids, m = _read_stata(path, enc)
    elif fmt == "mat":
        file_ids, m, stored_recipe, stored_ids = _read_mat(path, variable, ids)
    else:  # pragma: no cover
        raise SpatialNQPFError(fmt)
    codes = _to_codes(file_ids, level)
    codes_idx = pd.Index(codes)
    if codes_idx.has_duplicates:
        dup = codes_idx[codes_idx.duplicated(keep=False)]
        shown = [(lab, c) for lab, c in zip(file_ids, codes) if c in set(dup)]
        raise IdMismatchError(f"duplicated ids in {str(path)!r}: {format_values(shown)}")
    ids_given_as_file_order = fmt == "mat" and stored_ids is False
    if ids is not None and not ids_given_as_file_order:
        want = pd.Index(_to_codes(list(ids), level))
        only_file, only_data = codes_idx.difference(want), want.difference(codes_idx)
        if len(only_file) or len(only_data) or want.has_duplicates:
            msg = [f"ids of {str(path)!r} and the data's ids differ."]
            if len(only_file):
                msg.append(f"Only in the file: {format_values(list(only_file))}.")
            if len(only_data):
                msg.append(f"Only in the data: {format_values(list(only_data))}.")
            if want.has_duplicates:
                msg.append(f"Duplicated data ids: {format_values(want[want.duplicated()].unique())}.")
            raise IdMismatchError(" ".join(msg))
        pos = codes_idx.get_indexer(want)
        m = sp.csr_matrix(m)[pos][:, pos]
        codes_idx = want
    std = _canonical_std(standardize)
    m = sp.csr_matrix(m, dtype=float)
    check_weights(m, list(codes_idx), repr(str(path)))
    if stored_recipe is not None and std == "none":
        # a matrix written by spatialnqpf: keep its recipe and its (standardised) weights
        from ._graph import _LIBPYSAL_CODE, _adjacency_from_sparse

        rec = stored_recipe.replace(ids=tuple(codes_idx.tolist()),
                                    notes=stored_recipe.notes + (f"read from {path.name}",))
        code = _LIBPYSAL_CODE.get(rec.standardization, "C")
        return WeightsGraph(_adjacency_from_sparse(m, codes_idx), transformation=code,
                            recipe=rec, raw=m)
    rec = Recipe(kind="file", level=level if _looks_like_codes(codes_idx) else "custom",
                 params=(("path", str(path)), ("format", fmt)),
                 notes=("weights as stored in the file",))
    return WeightsGraph._from_raw(m, codes_idx, rec, std)


def _encoding(path, encoding):
    """``encoding`` or, if None, UTF-8 (with or without BOM) else GB18030 (Excel on Chinese Windows)."""
    if encoding is not None:
        return encoding
    data = Path(path).read_bytes()
    try:
        data.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError:
        try:
            data.decode("gb18030")
            return "gb18030"
        except UnicodeDecodeError:
            raise DataError(f"{str(path)!r} is neither UTF-8 nor GB18030 text; pass encoding=") from None


def _looks_like_codes(idx) -> bool:
    return all(_is_intlike(v) for v in idx)


def _unique_in_order(values):
    seen = {}
    for v in values:
        if v not in seen:
            seen[v] = len(seen)
    return list(seen), seen


def _check_no_dup_edges(df, path):
    dup = df.duplicated(["focal", "neighbor"], keep=False)
    if dup.any():
        pairs = list(df.loc[dup, ["focal", "neighbor"]].drop_duplicates().itertuples(index=False, name=None))
        raise DataError(f"duplicated (focal, neighbor) edges in {str(path)!r}: {format_values(pairs)}")


def _read_gal_gwt(path, fmt, enc):
    text = path.read_text(encoding=enc).split("\n")
    lines = [ln.strip() for ln in text if ln.strip()]
    if not lines:
        raise DataError(f"{str(path)!r} is empty")
    head = lines[0].split()
    try:
        n = int(head[0]) if len(head) == 1 else int(head[1])
    except (ValueError, IndexError):
        raise DataError(f"bad header in {str(path)!r}: {lines[0]!r}; expected the number of "
                        "units (or '0 n shapefile id')") from None
    if n < 1:
        raise DataError(f"bad header in {str(path)!r}: {lines[0]!r} declares {n} units")
    body = lines[1:]
    if fmt == "gal":
        if len(body) != 2 * n and not (len(body) < 2 * n):
            raise DataError(f"{str(path)!r}: expected {n} units (2 lines each), got {len(body)} lines")
        ids, nbrs = [], []
        k = 0
        while k < len(body):
            parts = body[k].split()
            if len(parts) != 2 or not (parts[1].isascii() and parts[1].isdecimal()):
                raise DataError(f"{str(path)!r}: expected 'id count' at line {k + 2}, got {body[k]!r}")
            cnt = int(parts[1])
            if cnt and k + 1 >= len(body):
                raise DataError(f"{str(path)!r}: unit {parts[0]} declares {cnt} neighbours but the "
                                "file ends (truncated?)")
            ids.append(parts[0])
            if cnt:
                nb = body[k + 1].split()
                if len(nb) != cnt:
                    raise DataError(f"{str(path)!r}: unit {parts[0]} declares {cnt} neighbours "
                                    f"but lists {len(nb)}")
                twice = sorted({x for x in nb if nb.count(x) > 1})
                if twice:
                    raise DataError(f"{str(path)!r}: unit {parts[0]} lists neighbour(s) "
                                    f"{format_values(twice)} more than once (line {k + 3})")
                nbrs.append(nb)
                k += 2
            else:
                nbrs.append([])
                # an empty neighbour line may have been stripped
                k += 1
        if len(ids) != n:
            raise DataError(f"{str(path)!r}: header says {n} units, found {len(ids)}")
        ids_idx, pos = _unique_in_order(ids)
        if len(ids_idx) != len(ids):
            dup = pd.Index(ids)[pd.Index(ids).duplicated()].unique()
            raise IdMismatchError(f"duplicated ids in {str(path)!r}: {format_values(list(dup))}")
        unknown = sorted({x for nb in nbrs for x in nb} - set(pos))
        if unknown:
            raise IdMismatchError(f"{str(path)!r} lists neighbours that are not units: {format_values(unknown)}")
        rows = [pos[i] for i, nb in zip(ids, nbrs) for _ in nb]
        cols = [pos[x] for nb in nbrs for x in nb]
        m = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
        return ids, m
    rows_l, cols_l, vals = [], [], []
    for k, ln in enumerate(body):
        parts = ln.split()
        if len(parts) != 3:
            raise DataError(f"{str(path)!r}: expected 'i j w' at line {k + 2}, got {ln!r}")
        rows_l.append(parts[0])
        cols_l.append(parts[1])
        try:
            vals.append(float(parts[2]))
        except ValueError:
            raise DataError(f"{str(path)!r}: non-numeric weight at line {k + 2}: {ln!r}") from None
    ids, pos = _unique_in_order(rows_l + cols_l)
    if len(ids) != n:
        raise DataError(f"{str(path)!r}: header says {n} units, the links name {len(ids)}")
    df = pd.DataFrame({"focal": rows_l, "neighbor": cols_l})
    _check_no_dup_edges(df, path)
    m = sp.csr_matrix((vals, ([pos[i] for i in rows_l], [pos[j] for j in cols_l])), shape=(n, n))
    return ids, m


def _parse_dense(raw: pd.DataFrame, path, blank_as_zero):
    raw = raw.dropna(how="all").dropna(axis=1, how="all").reset_index(drop=True)
    raw.columns = range(raw.shape[1])
    if raw.empty:
        raise DataError(f"{str(path)!r} holds no cells")
    allnum = raw.apply(lambda s: pd.to_numeric(s, errors="coerce")).notna().to_numpy().all()
    if raw.shape[0] == raw.shape[1] and allnum:
        # n x n numbers and no labels: reading the first row as labels would drop a unit
        d = raw.apply(lambda s: pd.to_numeric(s, errors="coerce")).to_numpy(dtype=float)
        return None, None, d
    header = [_cell_label(x) for x in raw.iloc[0].tolist()]
    body = raw.iloc[1:].reset_index(drop=True)
    nrow, ncol = body.shape
    if ncol == nrow + 1:
        col_labels = header[1:]
        row_labels = [_cell_label(x) for x in body.iloc[:, 0].tolist()]
        vals = body.iloc[:, 1:]
    elif ncol == nrow:
        col_labels = header
        row_labels = list(header)
        vals = body
    else:
        raise DataError(f"{str(path)!r}: a dense matrix needs n rows and n (+1 label) columns; "
                        f"got {nrow} data rows and {ncol} columns")
    num = vals.apply(lambda s: pd.to_numeric(s, errors="coerce"))
    blank = vals.isna() | vals.apply(lambda s: s.astype(str).str.strip() == "")
    nonnum = num.isna() & ~blank
    if nonnum.to_numpy().any():
        cells = [(row_labels[i], col_labels[j], vals.iat[i, j]) for i, j in zip(*np.nonzero(nonnum.to_numpy()))]
        raise DataError(f"{str(path)!r}: non-numeric cells (row, column, value): {format_values(cells, 10)}")
    if blank.to_numpy().any():
        if not blank_as_zero:
            cells = [(row_labels[i], col_labels[j]) for i, j in zip(*np.nonzero(blank.to_numpy()))]
            raise DataError(f"{str(path)!r}: empty cells (row, column): {format_values(cells, 10)}; "
                            "pass blank_as_zero=True if empty means 0")
        num = num.fillna(0.0)
    d = num.to_numpy(dtype=float)
    if not np.isfinite(d).all():
        cells = [(row_labels[i], col_labels[j]) for i, j in zip(*np.nonzero(~np.isfinite(d)))]
        raise DataError(f"{str(path)!r}: non-finite cells: {format_values(cells, 10)}")
    return row_labels, col_labels, d


def _cell_label(x):
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    return str(x).strip()


def _read_stata(path, enc):
    lines = [ln.split() for ln in path.read_text(encoding=enc).splitlines() if ln.strip()]
    try:
        n = int(lines[0][0])
    except (IndexError, ValueError):
        raise DataError(f"{str(path)!r}: the first line of a Stata spmatrix file is n") from None
    body = lines[1:]
    if len(body) != n or any(len(r) != n + 1 for r in body):
        raise DataError(f"{str(path)!r}: expected {n} lines of an id and {n} weights")
    ids = [r[0] for r in body]
    try:
        d = np.array([[float(x) for x in r[1:]] for r in body])
    except ValueError as exc:
        raise DataError(f"{str(path)!r}: non-numeric weight ({exc})") from None
    return ids, sp.csr_matrix(d)


def _read_mat(path, variable, ids):
    from scipy.io import loadmat

    data = loadmat(path)
    if variable not in data:
        have = [k for k in data if not k.startswith("__")]
        raise DataError(f"{str(path)!r} has no variable {variable!r}; variables: {format_values(have)}")
    W = data[variable]
    m = sp.csr_matrix(W, dtype=float)
    n = m.shape[0]
    if m.shape != (n, n):
        raise DataError(f"{variable!r} in {str(path)!r} is not square: {m.shape}")
    rec = None
    if "recipe" in data:
        txt = data["recipe"]
        txt = str(txt[0]) if np.ndim(txt) else str(txt)
        rec = Recipe.from_json(txt)
    if "ids" in data:
        raw_ids = np.asarray(data["ids"]).ravel()
        file_ids = [str(x.item() if hasattr(x, "item") else x).strip() for x in raw_ids]
        file_ids = [str(np.ravel(x)[0]).strip() if isinstance(x, np.ndarray) else s
                    for x, s in zip(raw_ids, file_ids)]
        if len(file_ids) != n:
            raise IdMismatchError(f"{str(path)!r} holds a {n} x {n} matrix but its 'ids' variable "
                                  f"has {len(file_ids)} ids")
    elif ids is not None:
        file_ids = [str(v) for v in ids]
        if len(file_ids) != n:
            raise IdMismatchError(f"{str(path)!r} holds a {n} x {n} matrix but {len(file_ids)} ids were given")
    else:
        raise IdMismatchError(f"{str(path)!r} has no 'ids' variable: pass ids= (the ids of the rows, "
                              "in the file's order)")
    return file_ids, m, rec, "ids" in data


def _numeric(st: str) -> bool:
    """An ASCII integer literal (optionally negative); not e.g. Ethiopic digits."""
    t = st[1:] if st.startswith("-") else st
    return bool(t) and t.isascii() and t.isdecimal()


def _to_codes(labels, level):
    """File labels -> ids: integers stay integers, names become region codes."""
    out = []
    names = []
    strs = [str(v.item() if isinstance(v, np.generic) else v).strip() for v in labels]
    # ids such as "007" keep their text: converting them to 7 would lose the label
    keep_text = any(_numeric(st) and str(int(st)) != st for st in strs)
    if keep_text:
        return strs
    for v, st in zip(labels, strs):
        s = v if not isinstance(v, np.generic) else v.item()
        if isinstance(s, (int, np.integer)) and not isinstance(s, bool):
            out.append(int(s))
            continue
        if _numeric(st):
            out.append(int(st))
        else:
            out.append(None)
            names.append(st)
    if names:
        from .. import regions

        coded = list(regions.normalize(names, level=level, errors="coerce"))
        if all(c is None or (isinstance(c, float) and np.isnan(c)) for c in coded) and not any(
                o is not None for o in out):
            return names  # custom string ids (e.g. user points), kept as they are
        if any(c is None or (isinstance(c, float) and np.isnan(c)) for c in coded):
            regions.normalize(names, level=level)  # raises, naming the unknown labels
        codes = iter(coded)
        out = [c if c is not None else int(next(codes)) for c in out]
    return out
