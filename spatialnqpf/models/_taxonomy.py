"""The one model taxonomy: names, lag/error/Durbin groups, FE types and aliases, labels.

Every estimator, the effects code, the results, the tables and the report read the model
vocabulary from here, so that a model name means the same thing everywhere.

=========  ==========  ===========  ========  ==============================
name       spatial lag  spatial err  Durbin    equation
=========  ==========  ===========  ========  ==============================
``ols``    no           no           no        y = Xβ + ε
``slx``    no           no           yes       y = Xβ + WXθ + ε
``sar``    yes          no           no        y = ρWy + Xβ + ε
``sdm``    yes          no           yes       y = ρWy + Xβ + WXθ + ε
``sem``    no           yes          no        y = Xβ + u, u = λWu + ε
``sdem``   no           yes          yes       y = Xβ + WXθ + u, u = λWu + ε
``sac``    yes          yes          no        y = ρWy + Xβ + u, u = λW₂u + ε
=========  ==========  ===========  ========  ==============================
"""
from __future__ import annotations

from typing import NamedTuple

from .._validation import SpatialNQPFError

__all__ = ["ModelKind", "MODELS", "MODEL_NAMES", "LAG_MODELS", "ERROR_MODELS",
           "DURBIN_MODELS", "FE_TYPES", "FE_ALIASES", "normalise_model", "normalise_fe",
           "model_label", "fe_label", "ConvergenceError"]


class ConvergenceError(SpatialNQPFError):
    """The optimiser did not converge (the message gives the last state)."""


class ModelKind(NamedTuple):
    name: str
    lag: bool          # has ρ W y
    error: bool        # has λ W u
    durbin: bool       # has W X θ
    label_en: str
    label_zh: str


MODELS = {
    "ols": ModelKind("ols", False, False, False, "OLS", "普通最小二乘"),
    "slx": ModelKind("slx", False, False, True, "SLX (spatial lag of X)", "空间滞后解释变量模型"),
    "sar": ModelKind("sar", True, False, False, "SAR (spatial lag)", "空间滞后模型"),
    "sdm": ModelKind("sdm", True, False, True, "SDM (spatial Durbin)", "空间杜宾模型"),
    "sem": ModelKind("sem", False, True, False, "SEM (spatial error)", "空间误差模型"),
    "sdem": ModelKind("sdem", False, True, True, "SDEM (spatial Durbin error)",
                      "空间杜宾误差模型"),
    "sac": ModelKind("sac", True, True, False, "SAC (lag and error)", "空间自相关模型"),
}
MODEL_NAMES = tuple(MODELS)
LAG_MODELS = tuple(k for k, m in MODELS.items() if m.lag)
ERROR_MODELS = tuple(k for k, m in MODELS.items() if m.error and not m.lag)
DURBIN_MODELS = tuple(k for k, m in MODELS.items() if m.durbin)

FE_TYPES = ("none", "individual", "time", "twoways")
FE_ALIASES = {"both": "twoways", "two-way": "twoways", "twoway": "twoways",
              "two_way": "twoways", "unit": "individual", "entity": "individual",
              "id": "individual", "period": "time", "year": "time", "pooled": "none"}
_FE_LABELS = {"none": ("none", "无"), "individual": ("individual", "个体"),
              "time": ("time", "时间"), "twoways": ("two-way", "双向"),
              "random": ("random", "随机")}


def normalise_model(model, allowed=MODEL_NAMES) -> str:
    """Lower-cased model name, refused with the list of names when unknown."""
    key = str(model).lower()
    if key not in allowed:
        raise ValueError(f"model must be one of {tuple(allowed)}, got {model!r}")
    return key


def normalise_fe(fe, allowed=FE_TYPES) -> str:
    """Map the aliases of ``fe`` (both, unit, entity, period, ...) and refuse unknown values.

    ``None`` means no fixed effects (``"none"``).
    """
    key = "none" if fe is None else str(fe).lower()
    key = FE_ALIASES.get(key, key)
    if key not in allowed:
        raise ValueError(f"fe must be one of {tuple(allowed)}, got {fe!r}")
    return key


def model_label(model: str, lang: str = "en") -> str:
    m = MODELS.get(str(model).lower())
    if m is None:
        return str(model).upper()
    return m.label_zh if lang == "zh" else m.label_en


def fe_label(fe: str, lang: str = "en") -> str:
    en, zh = _FE_LABELS.get(str(fe), (str(fe), str(fe)))
    return zh if lang == "zh" else en
