"""Fuzz the report configuration: every option with values of every type, random
[variables] expressions; a valid config round-trips through TOML, an invalid one is a
ConfigError naming its section and key, raised before any stage runs."""
from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from spatialnqpf import _expr
from spatialnqpf.report.config import DEFAULTS, ConfigError, load_config, validate_settings

from _fuzz import FUZZ

KEYS = [(s, k) for s, body in DEFAULTS.items() if s != "variables" for k in body]
value = st.one_of(st.none(), st.booleans(), st.integers(-5, 5000), st.floats(allow_nan=True),
                  st.text(max_size=8), st.lists(st.sampled_from(["contiguity", "png", "csv", 1]),
                                                 max_size=3),
                  st.sampled_from(["contiguity", "high", "../x/y.png", "sdm", "twoways",
                                   "elhorst", "zh", "png", "region4", "entropy"]))


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(KEYS), value), min_size=1, max_size=3))
def test_every_option_is_checked_with_section_and_key(changes):
    over: dict = {}
    for (sec, key), v in changes:
        over.setdefault(sec, {})[key] = v
    try:
        cfg = load_config(None, **over)
    except ConfigError as exc:
        msg = str(exc)
        assert any(f"[{sec}" in msg and key in msg for sec, body in over.items() for key in body) \
            or "index.indicators" in msg, msg
        return
    # accepted: the whole configuration is valid and survives TOML
    validate_settings(cfg.settings)
    assert isinstance(cfg.seed, int)
    text = cfg.to_toml()
    assert "[seeds]" in text


TOKENS = ["gdp", "pop", "1", "2.5", "+", "-", "*", "/", "**", "(", ")", "log(", "lag(", "growth(",
          "diff(", "sqrt(", ",", "<", ".", "to_csv", "[", "]", "@", "lambda", ":", "__class__",
          "'x'", "_y", "exp(", "abs(", "open(", " "]


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=8))
def test_expressions_parse_evaluate_or_quote_the_expression(tokens):
    expr = "".join(tokens)
    df = pd.DataFrame({"code": [1, 1, 2, 2], "year": [2000, 2001, 2000, 2001],
                       "gdp": [1.0, 2.0, 3.0, 5.0], "pop": [2.0, 2.0, 1.0, 4.0]})
    try:
        out = _expr.evaluate(expr, df)
    except _expr.ExpressionError as exc:
        assert repr(expr) in str(exc) or repr(expr.strip()) in str(exc), str(exc)
        try:
            load_config(None, variables={"z": expr})
        except ConfigError as cexc:
            assert "[variables] z" in str(cexc)
        return
    assert len(out) == len(df) and list(out.index) == list(df.index)
    assert out.dtype == float
    # accepted expressions contain no attribute access, subscripts, strings, @ or dunders
    for bad in (".to_csv", "[", "@", "lambda", "__", "'"):
        assert bad not in expr.replace("2.5", "")
