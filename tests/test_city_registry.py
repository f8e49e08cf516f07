"""shapes/cities_registry.csv (read by spatialnqpf.regions without the shapes code) is the table
the city polygons give (spatialnqpf._shapes.city_table), row for row and value for value."""
from __future__ import annotations

import pandas as pd

from spatialnqpf import _shapes, regions
from spatialnqpf._paths import shapes_path


def test_registry_equals_the_table_built_from_the_shapes():
    pd.testing.assert_frame_equal(regions._city_table(), _shapes.city_table().set_index("code"))
    assert len(regions.cities()) == 367


def test_registry_keeps_the_sar_rows_flagged():
    with shapes_path("cities_registry.csv").open("r", encoding="utf-8") as fh:
        raw = pd.read_csv(fh)
    full = _shapes.load_cities(include_sar=True)
    assert list(raw["code"]) == sorted(full.index)
    assert raw.set_index("code")["is_sar"].equals(full["is_sar"].sort_index().astype(bool))
