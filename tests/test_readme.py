"""The README's Python session runs as written (so the first thing a user copies never rots)."""
import re
import warnings
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_block_runs(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    assert blocks, "README has no python block"
    monkeypatch.chdir(tmp_path)
    ns: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for code in blocks:
            exec(compile(code, "README.md", "exec"), ns)
    # The normalisation example's comment states its result.
    assert ns["sn"].regions.normalize(["北　京", "内蒙古自治区", "Shaanxi", "廣東"]) == [11, 15, 61, 44]
    assert ns["res"].params.index[-1] == "rho"
    assert len(ns["idx"].rank_table(2022)) == 31
