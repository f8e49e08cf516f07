"""spatialnqpf.batch: a 48-job robustness grid identical on serial, processes and Dask;
keyed seeds; failures reported; bootstrap and Monte Carlo helpers vs plain loops."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from spatialnqpf import batch, datasets, weights
from spatialnqpf._results import TIDY_COLUMNS
from spatialnqpf._validation import as_generator
from spatialnqpf.models import spatial_panel


@pytest.fixture(scope="module")
def demo():
    df = datasets.load_demo_panel()
    d = df.assign(lgdp=np.log(df.gdp), lrd=np.log(df.rd_exp_total),
                  lpat=np.log(df.patent_app_total), lbud=np.log(df.budget_exp_total))
    ids = d.code.unique()
    return d, {"queen": weights.contiguity(ids), "knn4": weights.knn(ids, k=4)}


def _grid(demo):
    d, ws = demo
    jobs = batch.grid(spatial_panel,
                      over={"w": ws, "model": ["sar", "sdm", "sem", "sdem"],
                            "fe": ["individual", "time", "twoways"],
                            "y": ["lgdp", "lpat"]},
                      data=d, x=["lrd", "lbud"], id="code", time="year")
    # job 17 raises (unknown regressor); the other 47 must come back
    jobs[17] = dataclasses.replace(jobs[17], kwargs={**jobs[17].kwargs, "x": ["lrd", "nope"]})
    return jobs


@pytest.fixture(scope="module")
def serial(demo):
    return batch.run(_grid(demo), backend="serial", seed=7, progress=False)


def test_grid_shape_and_keys(demo):
    jobs = _grid(demo)
    assert len(jobs) == 48
    assert jobs[0].key == ("queen", "sar", "individual", "lgdp")
    assert jobs[-1].key == ("knn4", "sdem", "twoways", "lpat")
    assert len({j.key for j in jobs}) == 48
    assert jobs[0].seed_arg == "seed"        # spatial_panel has a seed parameter


def test_serial_matches_direct_fit_and_reports_failure(demo, serial):
    d, ws = demo
    fr = serial.to_frame()
    assert list(fr.columns) == ["w", "model", "fe", "y", *TIDY_COLUMNS, "flags"]
    assert set(serial.failures) == {_grid(demo)[17].key}
    f = serial.failures[_grid(demo)[17].key]
    assert "nope" in f.error and "Traceback" in f.traceback
    assert fr.groupby(["w", "model", "fe", "y"]).ngroups == 47
    # a job equals the direct call with the seed derived from (run seed, job key)
    key = ("knn4", "sdm", "twoways", "lgdp")
    s = int(as_generator(7, key).integers(2**63 - 1))
    direct = spatial_panel(d, "lgdp", ["lrd", "lbud"], ws["knn4"], id="code", time="year",
                           model="sdm", fe="twoways", seed=s).tidy()
    got = fr[(fr.w == "knn4") & (fr.model == "sdm") & (fr.fe == "twoways")
             & (fr.y == "lgdp")]
    np.testing.assert_allclose(got.estimate.to_numpy(), direct.estimate.to_numpy(),
                               rtol=0, atol=1e-12)
    assert got.term.tolist() == direct.term.tolist() == ["lrd", "lbud", "W_lrd", "W_lbud",
                                                         "rho"]


def test_processes_and_dask_bit_identical(demo, serial):
    distributed = pytest.importorskip("distributed")
    ref = serial.to_frame()
    proc = batch.run(_grid(demo), backend="processes", seed=7, progress=False, n_workers=2)
    pd.testing.assert_frame_equal(proc.to_frame(), ref, check_exact=True)
    assert set(proc.failures) == set(serial.failures)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        # order independence: run the jobs reversed on the cluster
        dk = batch.run(_grid(demo)[::-1], backend="dask", client=client, seed=7,
                       progress=False)
    fr = dk.to_frame()
    order = {j.key: i for i, j in enumerate(_grid(demo))}
    fr = (fr.assign(_o=[order[k] for k in zip(fr.w, fr.model, fr.fe, fr.y)])
            .sort_values("_o", kind="stable").drop(columns="_o").reset_index(drop=True))
    pd.testing.assert_frame_equal(fr, ref, check_exact=True)
    assert set(dk.failures) == set(serial.failures)


def test_seed_changes_only_stochastic_parts(demo):
    d, ws = demo
    # a stochastic job function: the keyed seed reaches it, and differs per key
    jobs = batch.grid(_draw, over={"a": [1, 2, 3]})
    out = batch.run(jobs, seed=3, progress=False).to_frame()
    want = [as_generator(3, (a,)).integers(2**63 - 1) for a in (1, 2, 3)]
    want = [np.random.default_rng(int(s)).standard_normal() * a for s, a in zip(want, (1, 2, 3))]
    np.testing.assert_array_equal(out.value.to_numpy(), want)
    # a subset of the grid in another order gives the same values for the same keys
    sub = batch.run(jobs[::-2], seed=3, progress=False).to_frame().set_index("a").value
    assert sub[3] == out.value[2] and sub[1] == out.value[0]


def _draw(a, seed):
    return float(np.random.default_rng(seed).standard_normal() * a)


def _mean_x(sample):
    return {"mean": float(sample["x"].mean()), "n": float(len(sample))}


def test_bootstrap_equals_plain_loop_any_chunking():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"x": rng.standard_normal(40), "g": np.repeat(np.arange(10), 4)})
    a = batch.bootstrap(_mean_x, df, n_boot=30, seed=5, progress=False, chunk_size=7)
    b = batch.bootstrap(_mean_x, df, n_boot=30, seed=5, progress=False, chunk_size=30,
                        backend="processes", n_workers=2)
    pd.testing.assert_frame_equal(a.replicates, b.replicates, check_exact=True)
    # plain-numpy transcription of the documented scheme
    loop = [df.x.to_numpy()[as_generator(5, ("boot", r)).integers(0, 40, 40)].mean()
            for r in range(30)]
    np.testing.assert_array_equal(a.replicates["mean"].to_numpy(), loop)
    fr = a.to_frame()
    assert fr.loc["mean", "estimate"] == pytest.approx(df.x.mean())
    assert fr.loc["mean", "std_error"] == pytest.approx(np.std(loop, ddof=1))
    # cluster bootstrap: whole groups of 4 rows are drawn
    c = batch.bootstrap(_mean_x, df, n_boot=5, cluster="g", seed=5, progress=False)
    assert (c.replicates["n"] == 40).all()
    draws = as_generator(5, ("boot", 0)).integers(0, 10, 10)
    want = np.concatenate([df.x.to_numpy()[4 * g:4 * g + 4] for g in draws]).mean()
    assert c.replicates["mean"].iloc[0] == pytest.approx(want, abs=1e-15)


def _mc(rng, mu, n):
    x = rng.normal(mu, 1.0, size=n)
    return {"mean": x.mean()}


def test_monte_carlo_keyed_and_summarised():
    a = batch.monte_carlo(_mc, 12, over={"mu": [0.0, 1.0]}, n=50, seed=2, progress=False,
                          chunk_size=5)
    b = batch.monte_carlo(_mc, 12, over={"mu": [1.0]}, n=50, seed=2, progress=False,
                          chunk_size=12)
    ra = a.replicates[a.replicates.mu == 1.0].reset_index(drop=True)
    pd.testing.assert_frame_equal(ra, b.replicates, check_exact=True)
    want = as_generator(2, (1.0, 3)).normal(1.0, 1.0, size=50).mean()
    assert b.replicates["mean"].iloc[3] == want
    fr = a.to_frame()
    assert fr.shape == (2, 5) and (fr.n == 12).all()
    assert fr.loc[fr.mu == 1.0, "mean"].item() == pytest.approx(ra["mean"].mean())


def test_bad_arguments_named(demo):
    with pytest.raises(batch.BatchError, match="backend"):
        batch.run(batch.grid(_draw, over={"a": [1]}), backend="spark", progress=False)
    with pytest.raises(batch.BatchError, match="label"):
        batch.grid(_draw, over={"a": [object()]})
    with pytest.raises(batch.BatchError, match="both"):
        batch.grid(_draw, over={"a": [1]}, a=2)
    with pytest.raises(batch.BatchError, match="unique"):
        j = batch.grid(_draw, over={"a": [1]})
        batch.run(j + j, progress=False)
