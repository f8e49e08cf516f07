"""The Dagum bootstrap on the batch runner (issue 17, item 2).

References: a plain loop over the documented replication streams (replication b resamples
within groups with ``as_generator(s, ("dagum", b))`` and is decomposed by the bootstrap-free
``dagum_gini``; se = sd with ddof 1, percentile interval by ``np.quantile``); and the
invariances themselves: the same numbers bit for bit on the serial and processes backends,
for every chunk size and worker count.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spatialnqpf import inequality as ineq
from spatialnqpf._validation import ArgumentError, as_generator


def _data(seed=5, sizes=(9, 12, 7)):
    rng = np.random.default_rng(seed)
    y = np.concatenate([rng.lognormal(0.4 * j, 0.5 + 0.1 * j, n) for j, n in enumerate(sizes)])
    g = np.concatenate([[f"g{j}"] * n for j, n in enumerate(sizes)])
    perm = rng.permutation(len(y))
    w = rng.uniform(0.5, 3.0, len(y))
    return y[perm], g[perm], w[perm]


@pytest.fixture(scope="module")
def panel():
    from spatialnqpf.datasets import load_demo_panel
    d = load_demo_panel()
    return d[d["year"].between(2013, 2015)]


def _loop_reference(y, g, w, n_boot, seed, level=0.95):
    """Plain transcription of the documented bootstrap (no batch runner, no chunks)."""
    order = sorted(set(g))
    members = [np.flatnonzero(g == lab) for lab in order]
    draws = []
    for b in range(n_boot):
        rng = as_generator(seed, ("dagum", b))
        idx = np.concatenate([m[rng.integers(0, len(m), len(m))] for m in members])
        draws.append(ineq.dagum_gini(y[idx], g[idx], None if w is None else w[idx],
                                     order=order).to_series().to_numpy())
    draws = np.array(draws)
    a = (1 - level) / 2
    return pd.DataFrame({"se": draws.std(axis=0, ddof=1),
                         "low": np.quantile(draws, a, axis=0),
                         "high": np.quantile(draws, 1 - a, axis=0)})


@pytest.mark.parametrize("weighted", [False, True])
def test_matches_plain_loop_over_documented_streams(weighted):
    y, g, w = _data()
    w = w if weighted else None
    r = ineq.dagum_gini(y, g, w, n_boot=23, seed=17, progress=False)
    ref = _loop_reference(y, g, w, 23, 17)
    np.testing.assert_allclose(r.ci.to_numpy(), ref.to_numpy(), rtol=1e-12, atol=1e-15)
    assert r.seed == 17 and r.n_boot == 23
    assert r.ci.loc["G", "se"] > 0 and r.ci.loc["G", "low"] < r.G < r.ci.loc["G", "high"]


def test_chunking_and_backend_bit_identical(monkeypatch):
    y, g, w = _data(seed=2)
    ref = ineq.dagum_gini(y, g, w, n_boot=12, seed=4, progress=False).ci
    assert (ref["se"].iloc[:4] > 0).all()
    for size in (1, 5, 12):
        monkeypatch.setattr(ineq, "_BOOT_CHUNK", size)
        got = ineq.dagum_gini(y, g, w, n_boot=12, seed=4, progress=False).ci
        pd.testing.assert_frame_equal(got, ref, check_exact=True)
    monkeypatch.setattr(ineq, "_BOOT_CHUNK", 5)   # 3 jobs over 2 worker processes
    got = ineq.dagum_gini(y, g, w, n_boot=12, seed=4, progress=False, backend="processes",
                          n_workers=2).ci
    pd.testing.assert_frame_equal(got, ref, check_exact=True)


def test_by_year_one_batch_bit_identical_and_year_invariant(panel, monkeypatch):
    from spatialnqpf import regions
    ref = ineq.dagum_gini_by_year(panel, "rd_intensity", n_boot=10, seed=3, progress=False)
    monkeypatch.setattr(ineq, "_BOOT_CHUNK", 4)
    proc = ineq.dagum_gini_by_year(panel, "rd_intensity", n_boot=10, seed=3, progress=False,
                                   backend="processes", n_workers=2)
    pd.testing.assert_frame_equal(proc.to_frame(ci=True), ref.to_frame(ci=True),
                                  check_exact=True)
    # year t = the cross-section with the documented year seed; other years do not matter
    one_year = ineq.dagum_gini_by_year(panel[panel["year"] == 2014], "rd_intensity",
                                       n_boot=10, seed=3, progress=False)
    pd.testing.assert_frame_equal(one_year[2014].ci, ref[2014].ci, check_exact=True)
    sub = panel[panel["year"] == 2014]
    grp = regions.groups(sub["code"]).reindex(sub["code"]).to_numpy()
    ss = np.random.SeedSequence(3, spawn_key=(2014,))
    cs = ineq.dagum_gini(sub["rd_intensity"].to_numpy(), grp, n_boot=10, seed=ss)
    pd.testing.assert_frame_equal(cs.ci, ref[2014].ci, check_exact=True)
    assert not ref[2013].ci.equals(ref[2014].ci)
    assert all(ref[t].seed == 3 for t in ref.years)


def test_dask_backend_identical():
    distributed = pytest.importorskip("distributed")
    y, g, w = _data(seed=8)
    ref = ineq.dagum_gini(y, g, w, n_boot=6, seed=1, progress=False).ci
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        got = ineq.dagum_gini(y, g, w, n_boot=6, seed=1, progress=False, backend="dask",
                              client=client).ci
    pd.testing.assert_frame_equal(got, ref, check_exact=True)


def test_generator_none_and_seedsequence_seeds_are_recorded_and_rerunnable():
    y, g, _ = _data()
    r = ineq.dagum_gini(y, g, n_boot=8, seed=np.random.default_rng(9), progress=False)
    assert r.seed == int(np.random.default_rng(9).integers(2**63))
    again = ineq.dagum_gini(y, g, n_boot=8, seed=r.seed, progress=False)
    pd.testing.assert_frame_equal(again.ci, r.ci, check_exact=True)
    fresh = ineq.dagum_gini(y, g, n_boot=8, seed=None, progress=False)
    assert isinstance(fresh.seed, int) and fresh.seed >= 0
    pd.testing.assert_frame_equal(
        ineq.dagum_gini(y, g, n_boot=8, seed=fresh.seed, progress=False).ci, fresh.ci)
    ss = np.random.SeedSequence(4)
    pd.testing.assert_frame_equal(
        ineq.dagum_gini(y, g, n_boot=8, seed=ss, progress=False).ci,
        ineq.dagum_gini(y, g, n_boot=8, seed=np.random.default_rng(ss), progress=False).ci)
    assert not ineq.dagum_gini(y, g, n_boot=8, seed=1, progress=False).ci.equals(
        ineq.dagum_gini(y, g, n_boot=8, seed=2, progress=False).ci)


def test_bad_arguments_are_named(panel):
    y, g, _ = _data()
    with pytest.raises(ArgumentError, match="'threads'"):
        ineq.dagum_gini(y, g, n_boot=5, backend="threads")
    with pytest.raises(ArgumentError, match="'threads'"):
        ineq.dagum_gini_by_year(panel, "rd_intensity", n_boot=5, backend="threads")
    with pytest.raises(ArgumentError, match="-3"):
        ineq.dagum_gini(y, g, n_boot=5, seed=-3)
    with pytest.raises(ineq.DataError, match="1.5"):
        ineq.dagum_gini(y, g, n_boot=5, ci_level=1.5)


def test_a_failed_job_is_reported_with_its_key(monkeypatch):
    y, g, _ = _data()

    def broken(**kw):
        raise FloatingPointError("boom in replication")
    monkeypatch.setattr(ineq, "_boot_reps", broken)
    with pytest.raises(RuntimeError, match=r"Dagum bootstrap: 1 of 1 jobs failed; first "
                                           r"\('dagum_boot', 0, 0\).*boom in replication"):
        ineq.dagum_gini(y, g, n_boot=5, progress=False)
