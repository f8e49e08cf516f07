"""Data intake: a statistical-yearbook workbook (provinces as rows, years as columns) → long panel.

Writes a small workbook in yearbook layout from the bundled demo panel (one sheet per
indicator, a merged title row, a unit row, a 全国 row, footnotes, missing marks and numbers
stored as text, province names in several spellings), reads it back with
``spatialnqpf.datasets.read_yearbook`` and checks that it gives the demo panel again.

Run: python examples/07_yearbook.py
"""
import numpy as np
import openpyxl
from _common import output_dir

from spatialnqpf import datasets, regions

COLUMNS = {"rd_exp_total": "万元", "patent_grant_invention": "件", "gdp": "亿元"}
TITLES = {"rd_exp_total": "各地区R&D经费内部支出", "patent_grant_invention": "各地区发明专利授权量",
          "gdp": "各地区生产总值"}

demo = datasets.load_demo_panel()
years = sorted(demo["year"].unique())
prov = regions.provinces()

wb = openpyxl.Workbook()
wb.remove(wb.active)
for s, (col, unit) in enumerate(COLUMNS.items()):
    wide = demo.pivot(index="code", columns="year", values=col)
    ws = wb.create_sheet(col)
    ws.cell(1, 1, f"表{s + 1}  {TITLES[col]}（{years[0]}—{years[-1]}年）")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=1 + len(years))
    ws.cell(2, 1 + len(years), f"单位：{unit}")
    ws.cell(3, 1, "地  区")
    for j, y in enumerate(years):
        ws.cell(3, 2 + j, f"{y}年")
    ws.cell(4, 1, "全  国")
    for j, y in enumerate(years):
        ws.cell(4, 2 + j, float(np.nansum(wide[y])))
    for i, code in enumerate(wide.index):
        name = prov.loc[code, "name_zh"] if i % 2 else "\u3000".join(prov.loc[code, "short_zh"])
        ws.cell(5 + i, 1, name)
        for j, y in enumerate(years):
            v = wide.at[code, y]
            # yearbook cells: "—" for missing, every third number stored as text with separators
            ws.cell(5 + i, 2 + j, "—" if np.isnan(v) else f"{v:,}" if (i + j) % 3 == 0 else float(v))
    ws.cell(5 + len(wide), 1, "注：不含香港、澳门特别行政区和台湾省数据。")
    ws.cell(6 + len(wide), 1, "资料来源：国家统计局。")
path = output_dir("yearbook") / "yearbook_demo.xlsx"
wb.save(path)
print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB)")

panel, report = datasets.read_yearbook(path, units={"rd_exp_total": "亿元"})
print(report.summary())
print(panel.head())

expected = demo.sort_values(["code", "year"]).reset_index(drop=True)
assert list(panel["code"]) == list(expected["code"]) and list(panel["year"]) == list(expected["year"])
np.testing.assert_allclose(panel["rd_exp_total"], expected["rd_exp_total"] / 1e4, rtol=1e-15)
np.testing.assert_allclose(panel["gdp"], expected["gdp"], rtol=1e-15)  # NaN where the demo has NaN
assert set(report.dropped["reason"]) == {"total row"}
assert report.to_frame().loc["rd_exp_total", "unit_out"] == "亿元"
