"""Interchange formats of spatialnqpf.weights: exact round trips and foreign files.

References: libpysal.io's own GAL/GWT readers (an independent parser) read our files; a Chinese-named
dense matrix is written cell by cell with openpyxl (as Excel would save it) and a Stata spmatrix
text file and an Elhorst-style MATLAB file (only ``W``) are written by hand in the tests, then read.
Round trips compare weights with ``==`` (exact), not a tolerance.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from spatialnqpf import weights as W
from spatialnqpf._validation import DataError, IdMismatchError, graph_to_sparse

SHORT = {11: "北京", 12: "天津", 13: "河北", 14: "山西", 15: "内蒙古", 21: "辽宁", 22: "吉林", 23: "黑龙江",
         31: "上海", 32: "江苏", 33: "浙江", 34: "安徽", 35: "福建", 36: "江西", 37: "山东", 41: "河南",
         42: "湖北", 43: "湖南", 44: "广东", 45: "广西", 46: "海南", 50: "重庆", 51: "四川", 52: "贵州",
         53: "云南", 54: "西藏", 61: "陕西", 62: "甘肃", 63: "青海", 64: "宁夏", 65: "新疆"}


@pytest.fixture(scope="module")
def mats():
    panel = pd.read_csv(__import__("pathlib").Path(__file__).parents[1] / "spatialnqpf/data/nqpf_panel_2012_2022.csv")
    with pytest.warns(UserWarning):
        keep = W.contiguity(islands="keep")
    return {
        "queen": W.contiguity(),
        "queen_keep": keep,  # Hainan an island: the formats must keep isolated ids
        "distance": W.distance(),  # full matrix of irrational weights
        "knn": W.knn(k=3, standardize="none"),  # asymmetric
        "economic": W.economic(panel, column="gdp", standardize="spectral"),
    }


def same(a, b):
    assert list(a.unique_ids) == list(b.unique_ids)
    ia = a.unique_ids
    x, y = graph_to_sparse(a, ia).toarray(), graph_to_sparse(b, ia).toarray()
    assert np.array_equal(x, y), np.abs(x - y).max()


@pytest.mark.parametrize("fmt, ext", [("gwt", ".gwt"), ("edges", ".csv"), ("dense_csv", ".csv"),
                                      ("excel", ".xlsx"), ("stata", ".txt"), ("mat", ".mat")])
@pytest.mark.parametrize("name", ["queen", "queen_keep", "distance", "knn", "economic"])
def test_exact_round_trip(tmp_path, mats, fmt, ext, name):
    w = mats[name]
    path = W.write(w, tmp_path / f"w{ext}", format=fmt)
    back = W.read(path, format=None if fmt != "edges" else "edges")
    same(w, back)
    assert all(isinstance(i, int) for i in back.unique_ids)
    if fmt in ("mat", "excel"):  # spatialnqpf's own .mat and .xlsx keep the recipe
        assert back.recipe.kind == w.recipe.kind and back.recipe.params == w.recipe.params


def test_gal_round_trip_is_the_neighbour_structure(tmp_path, mats):
    for name in ("queen", "queen_keep", "knn"):
        w = mats[name]
        back = W.read(W.write(w, tmp_path / f"{name}.gal"))
        assert list(back.unique_ids) == list(w.unique_ids)
        assert (back.sparse != (w.sparse != 0).astype(float)).nnz == 0
    again = W.read(tmp_path / "queen.gal", standardize="row")
    same(mats["queen"], again)
    with pytest.warns(UserWarning, match="neighbour structure only"):
        W.write(mats["distance"], tmp_path / "d.gal")


def test_libpysal_reads_our_gal_and_gwt(tmp_path, mats):
    import libpysal

    w = mats["queen"]
    W.write(w, tmp_path / "q.gal")
    W.write(mats["distance"], tmp_path / "d.gwt")
    lw = libpysal.io.open(str(tmp_path / "q.gal")).read()
    nb = {int(k): sorted(int(x) for x in v) for k, v in lw.neighbors.items()}
    assert nb == {int(k): sorted(int(x) for x in v) for k, v in w.neighbors.items()}
    with pytest.warns(RuntimeWarning, match="DBF"):  # libpysal: no shapefile next to the GWT
        lw = libpysal.io.open(str(tmp_path / "d.gwt")).read()
    ids = [int(i) for i in lw.id_order]
    ours = graph_to_sparse(mats["distance"], ids).toarray()
    theirs = lw.full()[0]
    np.testing.assert_array_equal(theirs, ours)


def test_chinese_named_excel_from_colleague(tmp_path, mats):
    """A matrix typed in Excel: short Chinese names as headers, full names as row labels, shuffled."""
    import openpyxl

    w = mats["distance"]
    full = {11: "北京市", 15: "内蒙古自治区", 45: "广西壮族自治区", 46: "海南省", 54: "西藏自治区", 65: "新疆维吾尔自治区"}
    rng = np.random.default_rng(3)
    rows = list(rng.permutation(list(SHORT)))
    cols = list(rng.permutation(list(SHORT)))
    d = w.dense()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "空间权重"
    ws.cell(1, 1, "省份")
    for j, c in enumerate(cols):
        ws.cell(1, j + 2, SHORT[int(c)])
    for i, r in enumerate(rows):
        ws.cell(i + 2, 1, full.get(int(r), SHORT[int(r)]))
        for j, c in enumerate(cols):
            ws.cell(i + 2, j + 2, float(d.loc[r, c]))
    wb.save(tmp_path / "W.xlsx")
    back = W.read(tmp_path / "W.xlsx", sheet_name="空间权重")
    assert back.recipe.kind == "file"
    assert list(back.unique_ids) == [int(r) for r in rows]
    same_ids = sorted(SHORT)
    # openpyxl stores 16 significant digits ("%.16g"), as a real Excel file would hold at most 15-17
    np.testing.assert_allclose(graph_to_sparse(back, same_ids).toarray(),
                               graph_to_sparse(w, same_ids).toarray(), rtol=1e-15, atol=0)
    # aligned to the data's ids, in the data's order
    back2 = W.read(tmp_path / "W.xlsx", sheet_name="空间权重", ids=same_ids)
    assert list(back2.unique_ids) == same_ids


def test_chinese_labels_written_and_read(tmp_path, mats):
    for fmt, ext in (("dense_csv", ".csv"), ("excel", ".xlsx")):
        p = W.write(mats["queen"], tmp_path / f"zh{ext}", format=fmt, labels="short")
        back = W.read(p, format=fmt)
        same(mats["queen"], back)
    head = (tmp_path / "zh.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert head.startswith("id,北京,天津,河北")


def test_mismatching_ids_listed(tmp_path, mats):
    p = W.write(mats["queen"], tmp_path / "q.csv")
    data_ids = [c for c in SHORT if c != 54] + [99]
    with pytest.raises(IdMismatchError, match=r"Only in the file: 54\..*Only in the data: 99"):
        W.read(p, ids=data_ids)


def test_stata_text_layout(tmp_path, mats):
    p = W.write(mats["queen"], tmp_path / "w.txt")
    lines = p.read_text().splitlines()
    assert lines[0] == "31" and len(lines) == 32
    first = lines[1].split()
    assert first[0] == "11" and len(first) == 32 and first[2] == "0.5"  # Beijing: Tianjin, Hebei
    # a file as Stata's spmatrix export writes it (hand-made, 3 units, spectral-normalised)
    (tmp_path / "stata.txt").write_text("3\n1 0 .5 .5\n2 .5 0 0\n3 .5 0 0\n")
    s = W.read(tmp_path / "stata.txt")
    np.testing.assert_array_equal(s.sparse.toarray(), [[0, .5, .5], [.5, 0, 0], [.5, 0, 0]])


def test_matlab_file_without_ids(tmp_path, mats):
    from scipy.io import savemat

    d = mats["queen"].dense()
    savemat(tmp_path / "W31.mat", {"W": d.to_numpy()})  # Elhorst-style: the matrix only
    with pytest.raises(IdMismatchError, match="no 'ids'"):
        W.read(tmp_path / "W31.mat")
    back = W.read(tmp_path / "W31.mat", ids=list(d.index))
    same(mats["queen"], back)
    assert back.recipe.kind == "file"
    with pytest.raises(DataError, match="no variable 'W2'"):
        W.read(tmp_path / "W31.mat", ids=list(d.index), variable="W2")


def test_bad_files(tmp_path):
    (tmp_path / "a.csv").write_text("id,11,12\n11,0,x\n12,1,0\n")
    with pytest.raises(DataError, match=r"non-numeric cells.*'11', '12', 'x'"):
        W.read(tmp_path / "a.csv")
    (tmp_path / "b.csv").write_text("id,11,12\n11,0,\n12,1,0\n")
    with pytest.raises(DataError, match=r"empty cells.*'11', '12'"):
        W.read(tmp_path / "b.csv")
    assert np.count_nonzero(W.read(tmp_path / "b.csv", blank_as_zero=True).sparse.toarray()) == 1
    (tmp_path / "c.csv").write_text("id,11,12\n11,0,1\n13,1,0\n")
    with pytest.raises(IdMismatchError, match="row and column labels differ"):
        W.read(tmp_path / "c.csv")
    (tmp_path / "d.csv").write_text("id,北京,北京市\n北京,0,1\n北京市,1,0\n")
    with pytest.raises(IdMismatchError, match="duplicated ids"):
        W.read(tmp_path / "d.csv")
    (tmp_path / "e.gwt").write_text("0 2 x y\n1 2 0.5\n1 2 0.5\n")
    with pytest.raises(DataError, match="duplicated"):
        W.read(tmp_path / "e.gwt")
    with pytest.raises(Exception, match="format"):
        W.read(tmp_path / "e.unknown")


def test_excel_edited_by_hand_uses_visible_values(tmp_path, mats):
    """The hidden exact sheet is ignored once the visible matrix was edited (no stale weights)."""
    import openpyxl

    p = W.write(mats["queen"], tmp_path / "q.xlsx")
    wb = openpyxl.load_workbook(p)
    ws = wb.worksheets[0]
    assert ws.cell(1, 2).value == 11 and ws.cell(2, 3).value == 0.5  # Beijing row, Tianjin column
    ws.cell(2, 3, 0.25)
    wb.save(p)
    back = W.read(p)
    assert back.dense().loc[11, 12] == 0.25 and back.recipe.kind == "file"


def test_gbk_csv_from_chinese_excel(tmp_path, mats):
    """Excel on Chinese Windows saves "CSV" in GBK/GB18030: read it without being told."""
    d = mats["queen"].dense()
    lines = ["地区," + ",".join(SHORT[c] for c in d.columns)]
    lines += [SHORT[r] + "," + ",".join(repr(float(v)) for v in d.loc[r]) for r in d.index]
    (tmp_path / "gbk.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    back = W.read(tmp_path / "gbk.csv")
    same(mats["queen"], back)


def test_custom_string_ids_round_trip(tmp_path):
    pts = {"site-a": (100.0, 30.0), "site-b": (101.0, 31.0), "site-c": (103.0, 29.5)}
    w = W.distance(points=pts)
    for fmt, ext in (("edges", ".csv"), ("gwt", ".gwt"), ("dense_csv", ".csv"), ("mat", ".mat")):
        back = W.read(W.write(w, tmp_path / f"s_{fmt}{ext}", format=fmt), format=fmt)
        assert list(back.unique_ids) == ["site-a", "site-b", "site-c"]
        same(w, back)
    with pytest.raises(Exception, match="火星"):  # one unknown name among province names
        (tmp_path / "bad.csv").write_text("id,北京,火星\n北京,0,1\n火星,1,0\n", encoding="utf-8")
        W.read(tmp_path / "bad.csv")


def test_read_files_written_by_libpysal(tmp_path, mats):
    """libpysal's own GAL/GWT writers (independent of ours); its GWT keeps 7 decimals."""
    from libpysal.graph import Graph

    q, d = mats["queen"], mats["distance"]
    Graph(q.adjacency, transformation="R").to_gal(str(tmp_path / "lp.gal"))
    Graph(d.adjacency).to_gwt(str(tmp_path / "lp.gwt"))
    a = W.read(tmp_path / "lp.gal", standardize="row")
    same(q, a)
    b = W.read(tmp_path / "lp.gwt", ids=list(d.unique_ids))
    np.testing.assert_allclose(b.sparse.toarray(), d.sparse.toarray(), rtol=0, atol=5e-8)


def test_mat_recipe_rebuilds_the_matrix(tmp_path, mats):
    for name in ("queen", "economic", "knn"):
        back = W.read(W.write(mats[name], tmp_path / f"{name}.mat"))
        again = back.recipe.rebuild()
        same(mats[name], again)
