"""patterns.lisa_paths: LISA time paths by hand, quadrants and transitions vs giddy/esda."""
import numpy as np
import pandas as pd
import pytest
from esda.moran import Moran_Local
from giddy.directional import Rose

from spatialnqpf import datasets, patterns, weights
from spatialnqpf._validation import IdMismatchError


@pytest.fixture(scope="module")
def setup():
    d = datasets.load_demo_panel()[["code", "year", "gdp"]]
    w = weights.contiguity(ids=d.code.unique())
    return d, w, patterns.lisa_paths(d, "gdp", w, permutations=99)


def test_paths_by_hand(setup):
    d, w, r = setup
    W, m = patterns._aligned_W(w, pd.Index(sorted(d.code.unique())))
    Y = d.pivot(index="code", columns="year", values="gdp").to_numpy()
    Z = (Y - Y.mean(0)) / Y.std(0)
    WZ = m @ Z
    i = 5
    steps = np.sqrt(np.diff(Z[i]) ** 2 + np.diff(WZ[i]) ** 2)
    p = r.paths.iloc[i]
    assert p.path_length == pytest.approx(steps.sum(), rel=1e-12)
    allsteps = np.sqrt(np.diff(Z, axis=1) ** 2 + np.diff(WZ, axis=1) ** 2).sum(1)
    assert p.relative_length == pytest.approx(31 * steps.sum() / allsteps.sum(), rel=1e-12)
    chord = np.hypot(Z[i, -1] - Z[i, 0], WZ[i, -1] - WZ[i, 0])
    assert p.tortuosity == pytest.approx(steps.sum() / chord, rel=1e-12)
    assert r.paths.tortuosity.min() >= 1 - 1e-12
    rose = Rose(Z[:, [0, -1]], W, k=8)
    np.testing.assert_allclose(r.paths.direction_deg, np.degrees(rose.theta) % 360, atol=1e-9)
    np.testing.assert_array_equal(r.rose["count"], rose.counts)


def test_quadrants_and_types(setup):
    d, w, r = setup
    ids = pd.Index(sorted(d.code.unique()))
    W, m = patterns._aligned_W(w, ids)
    Y = d.pivot(index="code", columns="year", values="gdp").to_numpy()
    for t in (0, 5, 10):
        q = Moran_Local(Y[:, t], W, permutations=0).q
        assert (r.quadrants.iloc[:, t].map({"HH": 1, "LH": 2, "LL": 3, "HL": 4}).to_numpy()
                == q).all()
    tr = r.transitions
    assert len(tr) == 31 * 10
    own = {"HH": 1, "HL": 1, "LH": 0, "LL": 0}
    lag = {"HH": 1, "LH": 1, "HL": 0, "LL": 0}
    for row in tr.itertuples():
        k = int(own[row._3] != own[row.to]) + 2 * int(lag[row._3] != lag[row.to])
        assert row.type == patterns.TRANSITION_TYPES[k]
    ct = pd.crosstab(tr["from"], tr["to"]).reindex(index=list("HH LH LL HL".split()),
                                                   columns=list("HH LH LL HL".split()),
                                                   fill_value=0)
    np.testing.assert_array_equal(ct.to_numpy(), r.transition_matrix.to_numpy())
    assert r.type_shares["count"].sum() == 310
    # cohesion: the share of transitions where neither side of the mean changes
    assert r.cohesion == (tr["type"] == "Type 0").sum() / 310
    assert 0.5 < r.cohesion < 1


def test_rose_permutations_seeded(setup):
    d, w, r = setup
    again = patterns.lisa_paths(d, "gdp", w, permutations=99)
    pd.testing.assert_frame_equal(r.rose, again.rose)
    assert r.rose.expected.sum() == pytest.approx(31)
    assert ((r.rose.p_value >= 0) & (r.rose.p_value <= 1)).all()


def test_aligned_by_id(setup):
    d, w, r = setup
    shuffled = d.sample(frac=1, random_state=3)
    r2 = patterns.lisa_paths(shuffled, "gdp", w, permutations=0)
    pd.testing.assert_frame_equal(r.paths, r2.paths)
    w2 = weights.contiguity(ids=d.code.unique()[:-1])
    with pytest.raises(IdMismatchError):
        patterns.lisa_paths(d, "gdp", w2)
