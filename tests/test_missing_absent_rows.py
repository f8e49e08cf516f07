"""A province-year row absent from the file is covered by ``[data] missing`` (issue 13 item 2).

Hand-derived references on a 3 provinces x 3 years file without the row (天津, 2013):
interpolation gives the mean of 2012 and 2014; drop_units drops Tianjin; error names the row.
"""
from __future__ import annotations

import pandas as pd
import pytest

from spatialnqpf._validation import DataError
from spatialnqpf.report.config import load_config, load_data


@pytest.fixture
def gappy(tmp_path):
    rows = [{"省份": nm, "年份": y, "v": 10.0 * k + (y - 2012), "w": 100.0 + k}
            for k, nm in enumerate(["北京", "天津", "河北"]) for y in (2012, 2013, 2014)
            if not (nm == "天津" and y == 2013)]
    p = tmp_path / "gappy.csv"
    pd.DataFrame(rows).to_csv(p, index=False)
    return p


def _load(path, policy):
    cfg = load_config(None, data={"file": str(path), "id": "省份", "time": "年份", "missing": policy},
                      index={"system": "inline", "indicators": [{"column": "v", "direction": 1}]})
    return load_data(cfg, ["v", "w"])


def test_absent_row_is_interpolated_and_reported(gappy):
    d = _load(gappy, "interpolate")
    f = d.frame.set_index(["code", "year"])
    assert len(f) == 9
    assert f.loc[(12, 2013), "v"] == pytest.approx((10.0 + 12.0) / 2, rel=1e-15)
    assert f.loc[(12, 2013), "w"] == pytest.approx(101.0, rel=1e-15)
    acts = [(c["action"], c["code"], c["year"], c["column"]) for c in d.changes]
    assert acts == [("absent row", 12, 2013, "v, w"), ("interpolated", 12, 2013, "v"),
                    ("interpolated", 12, 2013, "w")]
    assert d.derived["missing_before"] == {"v": 1, "w": 1}


def test_absent_row_drop_units_drops_the_province(gappy):
    d = _load(gappy, "drop_units")
    assert sorted(d.frame["code"].unique()) == [11, 13] and len(d.frame) == 6
    assert [(c["action"], c["code"]) for c in d.changes] == [("absent row", 12),
                                                               ("dropped province", 12)]


def test_absent_row_drop_rows_and_error(gappy):
    d = _load(gappy, "drop_rows")
    assert len(d.frame) == 8
    assert [(c["action"], c["code"], c["year"]) for c in d.changes] == [
        ("absent row", 12, 2013), ("dropped row", 12, 2013)]
    with pytest.raises(DataError, match=r"1 \(code, year\) row\(s\) absent from the data: \(12, 2013\)"):
        _load(gappy, "error")


def test_balanced_file_has_no_absent_rows(gappy, tmp_path):
    df = pd.read_csv(gappy)
    df = df[df["省份"] != "天津"]
    p = tmp_path / "ok.csv"
    df.to_csv(p, index=False)
    d = _load(p, "error")
    assert len(d.frame) == 6 and d.changes == ()
