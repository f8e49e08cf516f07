"""panel_threshold against a brute-force numpy transcription of Hansen's (1999) algorithm."""
import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spatialnqpf._validation import DataError, PanelError, as_generator
from spatialnqpf.models import panel_threshold
from spatialnqpf.models.threshold import ThresholdError, hansen_c

REF = Path(__file__).parent / "reference"


def _data(N=40, T=8, seed=0, gammas=(-0.6, 0.5), deltas=(1.0, 0.0, -1.0), m=1):
    rng = np.random.default_rng(seed)
    n = N * T
    df = pd.DataFrame({"firm": np.repeat(np.arange(N), T), "year": np.tile(np.arange(T), N)})
    df["q"] = rng.normal(size=n)
    df["x1"] = rng.normal(size=n)
    df["x2"] = rng.normal(size=n)
    df["z"] = rng.normal(size=n)
    reg = np.searchsorted(np.sort(gammas), df.q.to_numpy(), side="left")
    slope = np.asarray(deltas)[reg]
    mu = rng.normal(size=N)[df.firm]
    df["y"] = mu + 0.5 * df.z + slope * df.x1 + (0.3 * slope * df.x2 if m == 2 else 0) \
        + rng.normal(size=n)
    return df.sample(frac=1, random_state=1)


# ---------------------------------------------------------------- transcription
def _brute_ssr(yw, Zw, X, q, unit, T, gam):
    """SSR of the within regression with regimes q ≤ γ1 < q ≤ γ2 … (explicit dummies)."""
    g = np.sort(gam)
    reg = np.searchsorted(g, q, side="left")
    cols = [Zw]
    for r in range(len(g) + 1):
        D = (X * (reg == r)[:, None]).reshape(-1, T, X.shape[1])   # rows unit-major
        cols.append((D - D.mean(axis=1, keepdims=True)).reshape(len(q), -1))
    A = np.hstack(cols)
    b = np.linalg.lstsq(A, yw, rcond=None)[0]
    e = yw - A @ b
    return e @ e, A, b, e


def _brute_search(yw, Zw, X, q, unit, T, fixed, nmin, cand):
    best, arg = np.inf, None
    n = len(q)
    for c in cand:
        if c in fixed:
            continue
        g = np.sort(list(fixed) + [c])
        cnt = np.diff(np.r_[0, [np.sum(q <= v) for v in g], n])
        if cnt.min() < nmin:
            continue
        s = _brute_ssr(yw, Zw, X, q, unit, T, list(fixed) + [c])[0]
        if s < best:
            best, arg = s, c
    return best, arg


def _brute(df, k, trim, xs=("z", "x1"), rx=("x1",), boot=0, seed=0):
    d = df.sort_values(["firm", "year"]).reset_index(drop=True)
    unit = d.firm.to_numpy()
    N, T = d.firm.nunique(), d.year.nunique()
    n = N * T

    def wt(a):                    # within transformation (rows sorted by firm, year)
        a3 = a.reshape(N, T, -1)
        return (a3 - a3.mean(axis=1, keepdims=True)).reshape(N * T, -1)
    zx = [v for v in xs if v not in rx]
    Zw = wt(d[zx].to_numpy(float))
    X = d[list(rx)].to_numpy(float)
    q = d.q.to_numpy(float)
    yw = wt(d[["y"]].to_numpy(float))[:, 0]
    nmin = math.ceil(trim * n)
    cand = np.unique(q)
    dfw = N * (T - 1)

    def seq(yv, kk):
        s0 = np.sum((yv - Zw_X @ np.linalg.lstsq(Zw_X, yv, rcond=None)[0]) ** 2)
        s1, g1 = _brute_search(yv, Zw, X, q, unit, T, [], nmin, cand)
        out = {1: (s0, s1, [g1])}
        if kk >= 2:
            s2, g2 = _brute_search(yv, Zw, X, q, unit, T, [g1], nmin, cand)
            s2r, g1r = _brute_search(yv, Zw, X, q, unit, T, [g2], nmin, cand)
            out[2] = (s1, s2, [g1r, g2], s2r)
        if kk >= 3:
            s3, g3 = _brute_search(yv, Zw, X, q, unit, T, [g1r, g2], nmin, cand)
            out[3] = (s2r, s3, [g1r, g2, g3])
        return out
    Zw_X = np.hstack([Zw, wt(X)])
    s = seq(yw, k)
    F = {j: (s[j][0] - s[j][1]) / (s[j][1] / dfw) for j in s}
    Fb = {}
    if boot:
        for j in range(1, k + 1):
            null = [] if j == 1 else s[j - 1][2]
            _, A, b, e = _brute_ssr(yw, Zw, X, q, unit, T, null) if null else \
                (None, Zw_X, *(lambda bb: (bb, yw - Zw_X @ bb))(np.linalg.lstsq(Zw_X, yw, rcond=None)[0]))
            fit = A @ b
            E = e.reshape(N, T)
            vals = []
            for bdraw in range(boot):
                idx = as_generator(seed, key=(j, bdraw)).integers(0, N, N)
                sb = seq(fit + E[idx].ravel(), j)
                vals.append((sb[j][0] - sb[j][1]) / (sb[j][1] / dfw))
            Fb[j] = np.array(vals)
    last = s[k]
    S_fin, A, b, e = _brute_ssr(yw, Zw, X, q, unit, T, last[2])
    Kp = A.shape[1]
    V = np.linalg.inv(A.T @ A) * S_fin / (n - N - Kp)
    return dict(th=last[2], F=F, b=b, se=np.sqrt(np.diag(V)), Fb=Fb)


@pytest.mark.parametrize("k,m", [(1, 1), (2, 1), (3, 2)])
def test_threshold_matches_bruteforce(k, m):
    df = _data(m=m)
    rx = ("x1",) if m == 1 else ("x1", "x2")
    xs = ("z", "x1", "x2") if m == 2 else ("z", "x1")
    res = panel_threshold(df, "y", list(xs), list(rx), "q", id="firm", time="year",
                          n_thresholds=k, trim=0.05, n_boot=0)
    ref = _brute(df, k, 0.05, xs=xs, rx=rx)
    assert list(res.thresholds.to_numpy()) == list(ref["th"])          # exact
    np.testing.assert_allclose(res.tests.F.to_numpy(), [ref["F"][j] for j in range(1, k + 1)],
                               rtol=1e-8)
    np.testing.assert_allclose(res.params.to_numpy(), ref["b"], rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(res.bse.to_numpy(), ref["se"], rtol=1e-8)
    names = ["z"] + (["x2"] if False else []) + [f"{v}_r{r}" for r in range(1, k + 2) for v in rx]
    assert list(res.params.index) == names
    assert res.df_resid == 40 * 8 - 40 - len(names)
    assert list(res.ci.columns) == ["lower", "upper"]
    assert (res.ci.lower <= res.thresholds).all() and (res.thresholds <= res.ci.upper).all()
    assert list(res.tests.columns[:5]) == ["F", "p_boot", "crit_10", "crit_5", "crit_1"]


def test_threshold_true_values_and_ci():
    df = _data(N=60, T=10, seed=3)
    res = panel_threshold(df, "y", ["z", "x1"], ["x1"], "q", id="firm", time="year",
                          n_thresholds=2, trim=0.05, n_boot=0)
    g = np.sort(res.thresholds.to_numpy())
    assert abs(g[0] + 0.6) < 0.1 and abs(g[1] - 0.5) < 0.1
    np.testing.assert_allclose(res.params[["x1_r1", "x1_r2", "x1_r3"]], [1, 0, -1], atol=0.15)
    assert hansen_c(0.95) == pytest.approx(7.3523, abs=1e-4)
    # CI is the set of candidates with LR <= c
    lr = res.lr[res.lr.threshold == "gamma2"]
    inside = lr.gamma[lr.LR <= hansen_c(0.95)]
    assert res.ci.loc["gamma2", "lower"] == inside.min()
    assert res.ci.loc["gamma2", "upper"] == inside.max()
    assert lr.LR.min() == pytest.approx(0, abs=1e-9)


def test_threshold_bootstrap_matches_bruteforce_draws():
    df = _data(N=25, T=6, seed=5)
    res = panel_threshold(df, "y", ["z", "x1"], ["x1"], "q", id="firm", time="year",
                          n_thresholds=2, trim=0.08, n_boot=4, seed=7)
    ref = _brute(df, 2, 0.08, boot=4, seed=7)
    for j in (1, 2):
        np.testing.assert_allclose(res.boot_F[j], ref["Fb"][j], rtol=1e-7)


def test_threshold_bootstrap_pvalue_seeds_and_clustered():
    # no threshold: p-values spread; two seeds agree within Monte Carlo error
    df = _data(N=30, T=6, seed=11, deltas=(0.5, 0.5, 0.5))
    ps = []
    for s in (0, 1):
        r = panel_threshold(df, "y", ["z", "x1"], ["x1"], "q", id="firm", time="year",
                            n_thresholds=1, trim=0.1, n_boot=150, seed=s)
        ps.append(r.tests.p_boot.iloc[0])
        assert r.tests.crit_10.iloc[0] <= r.tests.crit_5.iloc[0] <= r.tests.crit_1.iloc[0]
    se = math.sqrt(2 * 0.25 / 150)
    assert abs(ps[0] - ps[1]) < 4 * se
    assert 0.02 < ps[0] < 0.98
    rc = panel_threshold(df, "y", ["z", "x1"], ["x1"], "q", id="firm", time="year",
                         n_thresholds=1, trim=0.1, n_boot=0, cluster="firm")
    assert rc.df_resid == 29
    np.testing.assert_allclose(rc.params, r.params, rtol=1e-12)


def test_threshold_bad_input():
    df = _data()
    with pytest.raises(DataError, match="'w'.*not in x"):
        panel_threshold(df, "y", ["z", "x1"], ["w"], "q", id="firm", time="year")
    df3 = df.assign(q=np.round(df.q.clip(-1, 1)))         # 3 distinct values
    with pytest.raises(ThresholdError, match="3 distinct value"):
        panel_threshold(df3, "y", ["z", "x1"], ["x1"], "q", id="firm", time="year",
                        n_thresholds=3, trim=0.05, n_boot=0)
    df2 = df.assign(q=(df.q > 2.2).astype(float))           # 2 values, tiny upper regime
    with pytest.raises(ThresholdError, match="observations"):
        panel_threshold(df2, "y", ["z", "x1"], ["x1"], "q", id="firm", time="year",
                        n_thresholds=1, trim=0.05, n_boot=0)
    with pytest.raises(PanelError, match="unbalanced"):
        panel_threshold(df.iloc[1:], "y", ["z", "x1"], ["x1"], "q", id="firm", time="year")


# ---------------------------------------------------------------- Hansen (1999)
HANSEN = os.environ.get("SPATIALNQPF_HANSEN_INVEST")


def hansen_frame(path):
    """Hansen's regressors from pdR's ``invest`` (columns i, q, c, d; firm-major, 15 years)."""
    raw = pd.read_csv(path)
    raw.columns = ["i", "q", "c", "d"]
    N, T = 565, 15
    raw["firm"] = np.repeat(np.arange(N), T)
    raw["year"] = np.tile(np.arange(1973, 1988), N)
    g = raw.groupby("firm")
    raw["q1"], raw["cf"], raw["d1"] = g.q.shift(1), g.c.shift(1), g.d.shift(1)
    df = raw.dropna().copy()
    df["q2"], df["q3"], df["qd"] = df.q1 ** 2, df.q1 ** 3, df.q1 * df.d1
    return df


@pytest.mark.skipif(not HANSEN or not Path(HANSEN).exists(),
                    reason="set SPATIALNQPF_HANSEN_INVEST to the CSV of pdR's invest data "
                           "(tests/reference/threshold_hansen_invest.R writes it)")
def test_hansen_1999_application():
    ref = json.loads((REF / "threshold_hansen_invest.json").read_text())
    df = hansen_frame(HANSEN)
    res = panel_threshold(df, "i", ["q1", "q2", "q3", "d1", "qd", "cf"], ["cf"], "d1",
                          id="firm", time="year", n_thresholds=2, trim=0.01, n_boot=0,
                          grid=400)
    assert res.thresholds["gamma1"] == pytest.approx(0.0157, abs=5e-5)       # Hansen 0.0157
    assert abs(res.thresholds["gamma2"] - 0.54) < 0.01                       # Hansen 0.5362
    ours = ref["ours_grid400"]
    np.testing.assert_allclose(res.thresholds.to_numpy(), ours["thresholds"], rtol=1e-12)
    np.testing.assert_allclose(res.tests.F.to_numpy(), ours["F"], rtol=1e-8)
    np.testing.assert_allclose(res.params.to_numpy(), ours["params"], rtol=1e-8)


def test_threshold_lr_plot_and_frozen():
    import matplotlib
    matplotlib.use("Agg")
    df = _data(N=20, T=5, seed=2)
    res = panel_threshold(df, "y", ["z", "x1"], ["x1"], "q", id="firm", time="year",
                          n_thresholds=2, trim=0.1, n_boot=0)
    axes = res.plot_lr()
    assert len(axes) == 2 and len(axes[0].lines) == 2
    with pytest.raises(AttributeError):
        res.thresholds = None
    assert "gamma1" in res.summary()


def _lattice_sdm(side=5, T=6, seed=0, gamma=0.3):
    from libpysal.graph import Graph
    rng = np.random.default_rng(seed)
    ids = np.arange(side * side)
    edges = [(i, (i // side + dr) * side + i % side + dc, 1.0) for i in ids
             for dr, dc in ((0, 1), (1, 0), (0, -1), (-1, 0))
             if 0 <= i // side + dr < side and 0 <= i % side + dc < side]
    g = Graph.from_adjacency(pd.DataFrame(edges, columns=["focal", "neighbor", "weight"]))
    g = g.transform("r")
    W = g.sparse.toarray()
    N = len(ids)
    q, x, z = (rng.normal(size=(T, N)) for _ in range(3))
    slope = np.where(q <= gamma, 1.0, -0.5)
    A = np.linalg.inv(np.eye(N) - 0.4 * W)
    mu = rng.normal(size=N)
    Y = np.stack([A @ (slope[t] * x[t] + 0.5 * z[t] + 0.3 * W @ (slope[t] * x[t]) + mu
                       + 0.5 * rng.normal(size=N)) for t in range(T)])
    df = pd.DataFrame({"code": np.tile(ids, T), "year": np.repeat(np.arange(T), N),
                       "y": Y.ravel(), "x": x.ravel(), "z": z.ravel(), "q": q.ravel()})
    return df, g


def test_spatial_threshold_is_concentrated_ml_over_grid():
    from spatialnqpf.models import spatial_panel
    df, g = _lattice_sdm(side=4, T=5)
    res = panel_threshold(df, "y", ["z", "x"], ["x"], "q", w=g, n_thresholds=1, trim=0.1,
                          grid=8)

    def sdm_at(gam):
        d = df.assign(x_r1=df.x * (df.q <= gam), x_r2=df.x * (df.q > gam))
        return spatial_panel(d, "y", ["z", "x_r1", "x_r2"], g, id="code", time="year",
                             model="sdm", fe="individual")
    g1 = res.thresholds["gamma1"]
    best = sdm_at(g1)
    np.testing.assert_allclose(res.params.to_numpy(), best.params.to_numpy(), rtol=1e-7)
    lr = res.lr.set_index("gamma").LR
    for other in lr.index[[0, len(lr) // 2, -1]]:
        np.testing.assert_allclose(lr[other], 2 * (best.llf - sdm_at(other).llf), rtol=1e-6,
                                   atol=1e-8)
    lin = spatial_panel(df, "y", ["z", "x"], g, id="code", time="year", model="sdm",
                        fe="individual")
    np.testing.assert_allclose(res.tests.LR.iloc[0], 2 * (best.llf - lin.llf), rtol=1e-7)
    assert (lr >= -1e-9).all() and abs(g1 - 0.3) < 0.3
    assert {"W_x_r1", "W_x_r2", "rho"} <= set(res.params.index)


def test_threshold_bootstrap_runs_on_the_batch_runner_identically():
    # the draws go through spatialnqpf.batch.run in chunks: serial and processes agree bit for
    # bit, and chunking does not change a draw (draw b is seeded by (seed, (k, b)) alone)
    from spatialnqpf.models import threshold as th
    df = _data(N=25, T=6, seed=5)
    kw = dict(id="firm", time="year", n_thresholds=2, trim=0.08, n_boot=12, seed=3)
    ser = panel_threshold(df, "y", ["z", "x1"], ["x1"], "q", **kw)
    par = panel_threshold(df, "y", ["z", "x1"], ["x1"], "q", backend="processes", n_workers=2,
                          **kw)
    old = th._BOOT_CHUNK
    try:
        th._BOOT_CHUNK = 5            # 3 jobs per test instead of 1
        chunked = panel_threshold(df, "y", ["z", "x1"], ["x1"], "q", **kw)
    finally:
        th._BOOT_CHUNK = old
    ref = _brute(df, 2, 0.08, boot=12, seed=3)
    for j in (1, 2):
        np.testing.assert_array_equal(par.boot_F[j], ser.boot_F[j])
        np.testing.assert_allclose(chunked.boot_F[j], ser.boot_F[j], rtol=1e-10)
        np.testing.assert_allclose(ser.boot_F[j], ref["Fb"][j], rtol=1e-7)
    pd.testing.assert_frame_equal(par.tests, ser.tests)
    with pytest.raises(ValueError, match="backend must be one of"):
        panel_threshold(df, "y", ["z", "x1"], ["x1"], "q", backend="threads", **kw)
