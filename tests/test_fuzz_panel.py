"""Fuzz the panel entry points on small generated panels (magnitudes, NaN, duplicates, ids)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from libpysal.graph import Graph

from spatialnqpf import autocorrelation as ac
from spatialnqpf import dynamics as dyn, index, inequality as ineq
from spatialnqpf.models import spatial_panel

from _fuzz import FUZZ, attempt

CODES = [11, 12, 13, 14, 15, 21, 22, 23]


def _ring(ids):
    n = len(ids)
    return Graph.from_dicts({ids[i]: {ids[(i - 1) % n]: 1.0, ids[(i + 1) % n]: 1.0}
                             for i in range(n)}).transform("r")


@st.composite
def panels(draw):
    n = draw(st.integers(4, 7))
    T = draw(st.integers(2, 4))
    ids = CODES[:n]
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    scale = 10.0 ** draw(st.sampled_from([0, 0, -160, 160, -300, 300]))
    rows = [{"code": i, "year": 2000 + t, "x": float(rng.uniform(1, 10)) * scale,
             "z": float(rng.uniform(1, 10)), "g": float(rng.normal())}
            for t in range(T) for i in ids]
    df = pd.DataFrame(rows)
    mutation = draw(st.sampled_from(["none", "none", "nan", "dup", "const", "negative",
                                     "shuffle", "text"]))
    bad = None
    if mutation == "nan":
        k = draw(st.integers(0, len(df) - 1))
        df.loc[k, "x"] = np.nan
        bad = df.loc[k, "code"]
    elif mutation == "dup":
        df = pd.concat([df, df.iloc[[0]]], ignore_index=True)
        bad = df.loc[0, "code"]
    elif mutation == "const":
        df["x"] = 3.0 * scale
    elif mutation == "negative":
        df.loc[0, "x"] = -df.loc[0, "x"]
        bad = df.loc[0, "code"]
    elif mutation == "shuffle":
        df = df.sample(frac=1.0, random_state=1).reset_index(drop=True)
    elif mutation == "text":
        df["x"] = df["x"].astype(object)
        df.loc[0, "x"] = "1,234"
        bad = "1,234"
    return df, ids, mutation, bad


def _names(bad):
    return () if bad is None else (str(bad),)


def _finite(*arrays):
    for a in arrays:
        a = np.asarray(a, dtype=float)
        assert np.isfinite(a).all(), a


@FUZZ
@given(panels())
def test_index_and_inequality(p):
    df, ids, mutation, bad = p
    out, err, _ = attempt(lambda: index.entropy_topsis(df, {"x": 1, "z": -1}), *_names(bad))
    if err is None:
        s = out.scores
        assert len(s) == len(df)
        _finite(s.to_numpy() if isinstance(s, pd.Series) else s.select_dtypes("number").to_numpy())
    out, err, warned = attempt(lambda: ineq.dagum_gini_by_year(df, "x"), *_names(bad))
    if err is None:
        tab = out.to_frame()
        assert len(tab) == df["year"].nunique()
        _finite(tab["G"])
        assert (tab["G"] >= 0).all() and (tab["G"] <= 1 + 1e-12).all()
    out, err, warned = attempt(lambda: ineq.theil_by_year(df, "x"), *_names(bad))
    if err is None:
        _finite(out["T"], out["L"])
        if out.isna().to_numpy().any():
            assert warned, "NaN in theil_by_year without a warning"


@FUZZ
@given(panels())
def test_autocorrelation_and_dynamics(p):
    df, ids, mutation, bad = p
    w = _ring(ids)
    out, err, _ = attempt(lambda: ac.moran_by_year(df, "x", w, permutations=9, seed=1),
                          *_names(bad))
    if err is None:
        tab = out.to_frame()
        assert len(tab) == df["year"].nunique()
        _finite(tab["I"], tab["z_norm"] if "z_norm" in tab else tab["I"])
        assert (tab["I"].abs() <= 5).all()
    out, err, warned = attempt(lambda: dyn.sigma_convergence(df, "x", group=False),
                               *_names(bad))
    if err is None:
        _finite(out.table.to_numpy())
    out, err, _ = attempt(lambda: dyn.markov(df, "x", k=2), *_names(bad))
    if err is None:
        P = out.P.to_numpy()
        rows = out.transitions.to_numpy().sum(axis=1) > 0
        _finite(P[rows])


@FUZZ
@given(panels(), st.sampled_from(["sar", "sem", "sdm"]))
def test_spatial_panel(p, model):
    df, ids, mutation, bad = p
    w = _ring(ids)
    out, err, warned = attempt(lambda: spatial_panel(df, "x", ["z", "g"], w, id="code",
                                                     time="year", model=model, fe="individual"),
                               *_names(bad))
    if err is None:
        _finite(out.params)
        assert list(out.params.index)[:2] == ["z", "g"]
        if not np.isfinite(out.bse).all():
            assert any(f.code == "degenerate_se" for f in out.flags)
