"""patterns.gravity_centre / std_ellipse against a numpy transcription of the ArcGIS
formulas and pointpats (same plane: CHINA_CRS via pyproj)."""
import numpy as np
import pandas as pd
import pytest
from pointpats import centrography
from pyproj import Transformer

from spatialnqpf import datasets, patterns, regions
from spatialnqpf._validation import DataError, IdMismatchError


@pytest.fixture(scope="module")
def panel():
    return datasets.load_demo_panel()[["code", "year", "gdp"]]


def _plane():
    cap = regions.capitals()
    tr = Transformer.from_crs("EPSG:4326", patterns.CHINA_CRS, always_xy=True)
    x, y = tr.transform(cap.lon.to_numpy(), cap.lat.to_numpy())
    return pd.DataFrame({"x": np.asarray(x) / 1e3, "y": np.asarray(y) / 1e3}, index=cap.index)


def _arcgis(x, y, w):
    """ArcGIS 'Directional Distribution' (weighted), written from its documented formulas:
    tan θ = (A + B) / C, A = Σw x̃² − Σw ỹ², B = √(A² + 4(Σw x̃ỹ)²), C = 2 Σw x̃ỹ,
    σx = √2 √(Σw (x̃ cos θ − ỹ sin θ)² / Σw), σy = √2 √(Σw (x̃ sin θ + ỹ cos θ)² / Σw)."""
    cx, cy = np.average(x, weights=w), np.average(y, weights=w)
    xt, yt = x - cx, y - cy
    A = (w * xt ** 2).sum() - (w * yt ** 2).sum()
    C = 2 * (w * xt * yt).sum()
    B = np.sqrt(A ** 2 + C ** 2)
    th = np.arctan((A + B) / C)
    sx = np.sqrt(2) * np.sqrt((w * (xt * np.cos(th) - yt * np.sin(th)) ** 2).sum() / w.sum())
    sy = np.sqrt(2) * np.sqrt((w * (xt * np.sin(th) + yt * np.cos(th)) ** 2).sum() / w.sum())
    return cx, cy, sx, sy, th


def test_crs_constant():
    from spatialnqpf.weights import EQUAL_AREA_CRS
    assert patterns.CHINA_CRS == EQUAL_AREA_CRS
    assert "+lon_0=105" in patterns.CHINA_CRS and "+lat_1=25" in patterns.CHINA_CRS
    assert "+lat_2=47" in patterns.CHINA_CRS and "+datum=WGS84" in patterns.CHINA_CRS


def test_centre_equals_transcription(panel):
    res = patterns.gravity_centre(panel, "gdp")
    tab = res.table.set_index("year")
    xy = _plane()
    prev = None
    for yr, g in panel.groupby("year"):
        p = xy.loc[g.code]
        w = g.gdp.to_numpy()
        cx, cy = (w * p.x.to_numpy()).sum() / w.sum(), (w * p.y.to_numpy()).sum() / w.sum()
        assert tab.loc[yr, "x_km"] == pytest.approx(cx, abs=1e-10)
        assert tab.loc[yr, "y_km"] == pytest.approx(cy, abs=1e-10)
        ppc = centrography.weighted_mean_center(p.to_numpy(), w)
        np.testing.assert_allclose([tab.loc[yr, "x_km"], tab.loc[yr, "y_km"]], ppc,
                                   rtol=0, atol=1e-10)
        inv = Transformer.from_crs(patterns.CHINA_CRS, "EPSG:4326", always_xy=True)
        lon, lat = inv.transform(cx * 1e3, cy * 1e3)
        assert tab.loc[yr, "lon"] == pytest.approx(lon, abs=1e-10)
        assert tab.loc[yr, "lat"] == pytest.approx(lat, abs=1e-10)
        if prev is None:
            assert np.isnan(tab.loc[yr, "distance_km"]) and np.isnan(tab.loc[yr, "direction_deg"])
        else:
            dx, dy = cx - prev[0], cy - prev[1]
            assert tab.loc[yr, "distance_km"] == pytest.approx(np.hypot(dx, dy), abs=1e-10)
            bearing = (90 - np.degrees(np.arctan2(dy, dx))) % 360   # compass from math angle
            assert tab.loc[yr, "direction_deg"] == pytest.approx(bearing, abs=1e-9)
            # the geodesic distance agrees with the planar one to < 2 % near China's centre
            assert tab.loc[yr, "geodesic_km"] == pytest.approx(np.hypot(dx, dy), rel=0.02)
        prev = (cx, cy)
    # not the weighted mean of lon/lat
    g = panel[panel.year == 2012]
    cap = regions.capitals().loc[g.code]
    assert abs(np.average(cap.lon, weights=g.gdp) - tab.loc[2012, "lon"]) > 1e-3


def test_ellipse_equals_arcgis_and_pointpats(panel):
    res = patterns.std_ellipse(panel, "gdp")
    tab = res.table.set_index("year")
    xy = _plane()
    for yr, g in panel.groupby("year"):
        p = xy.loc[g.code]
        w = g.gdp.to_numpy()
        cx, cy, sx, sy, th = _arcgis(p.x.to_numpy(), p.y.to_numpy(), w)
        major, minor = max(sx, sy), min(sx, sy)
        row = tab.loc[yr]
        assert row.sigma_y_km == pytest.approx(major, abs=1e-10)
        assert row.sigma_x_km == pytest.approx(minor, abs=1e-10)
        assert row.area_km2 == pytest.approx(np.pi * sx * sy, rel=1e-12)
        assert row.shape_index == pytest.approx(minor / major, rel=1e-12)
        # ArcGIS θ is the rotation clockwise from north of the y-axis σ (sy)
        rot = np.degrees(th) % 180 if sy >= sx else (np.degrees(th) + 90) % 180
        d = abs(row.rotation_deg - rot)
        assert min(d, 180 - d) == pytest.approx(0, abs=1e-9)
        pmaj, pmin, _ = centrography.ellipse(p.to_numpy(), weights=w, method="yuill",
                                             crimestatCorr=True, degfreedCorr=False)
        assert row.sigma_y_km == pytest.approx(pmaj, abs=1e-10)
        assert row.sigma_x_km == pytest.approx(pmin, abs=1e-10)
        cmaj, cmin, _ = centrography.ellipse(p.to_numpy(), weights=w, method="crimestat")
        assert 0 <= row.rotation_deg < 180
    cs = patterns.std_ellipse(panel, "gdp", method="crimestat").table.set_index("year")
    assert cs.loc[2022, "sigma_y_km"] == pytest.approx(cmaj, abs=1e-10)
    assert cs.loc[2022, "sigma_x_km"] == pytest.approx(cmin, abs=1e-10)
    pl = patterns.std_ellipse(panel, "gdp", method="plain").table.set_index("year")
    assert pl.loc[2022, "sigma_y_km"] == pytest.approx(tab.loc[2022, "sigma_y_km"] / np.sqrt(2))


def test_ellipse_geometry_by_hand():
    # four points on a line rotated 30° clockwise from north: the major axis is that line
    t = np.radians(30)
    s = np.array([-3., -1., 1., 3.])
    lon0, lat0 = 105.0, 35.0
    x0, y0 = patterns.project(lon0, lat0)
    xs, ys = x0 + s * 100 * np.sin(t), y0 + s * 100 * np.cos(t)
    xs = np.r_[xs, x0 + 10 * np.cos(t)]
    ys = np.r_[ys, y0 - 10 * np.sin(t)]
    lon, lat = patterns.unproject(xs, ys)
    ids = list(range(1, 6))
    coords = pd.DataFrame({"lon": lon, "lat": lat}, index=ids)
    d = pd.DataFrame({"code": ids, "v": 1.0})
    r = patterns.std_ellipse(d, "v", time=None, coords=coords).table.iloc[0]
    assert r.rotation_deg == pytest.approx(30, abs=1e-6)
    out = patterns.std_ellipse(d, "v", time=None, coords=coords).outline(lonlat=False)
    assert out.x_km.max() > r.x_km


def test_bad_input(panel):
    with pytest.raises(DataError, match="non-negative"):
        patterns.gravity_centre(panel.assign(gdp=-panel.gdp), "gdp")
    with pytest.raises(IdMismatchError):
        patterns.gravity_centre(panel.assign(code=panel.code + 1000), "gdp")
    with pytest.raises(DataError, match="not found"):
        patterns.std_ellipse(panel, "nope")
    with pytest.raises(Exception, match="method"):
        patterns.std_ellipse(panel, "gdp", method="esri")


def test_lazy_submodules():
    import spatialnqpf
    from spatialnqpf import network
    assert spatialnqpf.patterns is patterns and spatialnqpf.network is network
    assert {"patterns", "network"} <= set(dir(spatialnqpf))
    assert callable(spatialnqpf.dynamics.club_convergence)
