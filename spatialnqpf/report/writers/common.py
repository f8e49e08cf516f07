"""Shared pieces of the report writers: fixed zh/en words, JSON conversion, versions."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from ..._environment import versions

__all__ = ["WORDS", "jsonable", "versions", "source_text"]

#: Words of the report frame (headings, status), zh and en.
WORDS = {
    "zh": {"report": "空间计量分析报告", "reproduce": "复现信息", "skipped": "跳过", "failed": "失败",
           "ok": "完成", "warning": "警告", "contents": "目录", "readings": "解读",
           "seed": "随机种子", "data": "数据", "config": "配置", "versions": "软件版本",
           "traceback": "错误追踪"},
    "en": {"report": "Spatial econometric report", "reproduce": "Reproducibility", "skipped": "skipped",
           "failed": "failed", "ok": "ok", "warning": "warning", "contents": "Contents",
           "readings": "Reading", "seed": "seed", "data": "data", "config": "config",
           "versions": "versions", "traceback": "traceback"},
}

#: The data source of the bundled demo (``PreparedData.source``) in each language.
_DEMO_SOURCE = {"zh": "内置演示面板", "en": "bundled demo panel"}


def source_text(source: str, lang: str) -> str:
    """The data source line in the report language (a file path stays as it is)."""
    s = str(source)
    if s.startswith(_DEMO_SOURCE["en"]):
        return _DEMO_SOURCE[lang] + s[len(_DEMO_SOURCE["en"]):].replace(" (", "（" if lang == "zh" else " (", 1) \
            .replace(")", "）" if lang == "zh" else ")", 1)
    return s


def jsonable(obj):
    """Convert numpy/pandas objects to JSON-compatible Python (NaN → None)."""
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, pd.DataFrame):
        df = obj.copy()
        df.columns = [" ".join(map(str, c)) if isinstance(c, tuple) else str(c) for c in df.columns]
        return {"index": [jsonable(i) for i in df.index.tolist()], "columns": list(df.columns),
                "data": jsonable(df.to_numpy().tolist())}
    if isinstance(obj, pd.Series):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, Path):
        return str(obj)
    if obj is None or isinstance(obj, (int, str)):
        return obj
    return str(obj)
