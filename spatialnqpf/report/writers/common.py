"""Shared pieces of the report writers: fixed zh/en words, JSON conversion, versions."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from ..._environment import versions

__all__ = ["WORDS", "jsonable", "versions"]

#: Words of the report frame (headings, status), zh and en.
WORDS = {
    "zh": {"report": "空间计量分析报告", "reproduce": "复现信息", "skipped": "跳过", "failed": "失败",
           "ok": "完成", "warning": "警告", "contents": "目录", "readings": "解读"},
    "en": {"report": "Spatial econometric report", "reproduce": "Reproducibility", "skipped": "skipped",
           "failed": "failed", "ok": "ok", "warning": "warning", "contents": "Contents",
           "readings": "Reading"},
}

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
