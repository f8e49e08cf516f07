"""A whitelisting expression language for derived variables (the report's ``[variables]``).

Configurations travel between colleagues, so a derived variable must never run code.
This module parses an expression with :mod:`ast` and evaluates the tree itself; nothing
is passed to ``eval``, ``exec``, ``DataFrame.eval`` or pickle.  Our own code: pandas'
``DataFrame.eval(engine="python")`` evaluates attribute access, method calls and ``@``
references (``gdp.to_csv('/any/path')``, ``@pd.read_pickle(...)``), so it cannot be used
on untrusted text.

Grammar (everything else is an :class:`ExpressionError` quoting the expression)
------------------------------------------------------------------------------
* column names of the data (any Python identifier, Chinese included), except names that
  begin with an underscore;
* numbers (``2``, ``0.5``, ``1e-3``);
* ``+  -  *  /  **``, unary ``-`` and ``+``, parentheses;
* comparisons ``<  <=  >  >=  ==  !=`` (chains allowed; the result is 1.0 or 0.0);
* the functions ``log, log1p, exp, sqrt, abs`` (one argument each);
* the panel functions, computed within each unit (``id``) by time (``time``):

  ``lag(x)``, ``lag(x, k)``
      x_{i, t−k}: the value of the same unit ``k`` periods earlier (k a positive integer
      constant, default 1); missing where that period is absent (first year, gaps).
  ``diff(x)``
      x_{i,t} − x_{i,t−1}.
  ``growth(x)``
      x_{i,t} / x_{i,t−1} − 1.

Periods are the values of the ``time`` column (integers, e.g. years), not row positions,
so a unit whose file lacks a year gets a missing lag, not the value two years back.

Domain errors (log of a non-positive value, sqrt of a negative one, division by zero)
are :class:`ExpressionError` naming the first offending (id, time) cells; missing values
produced by ``lag``/``diff``/``growth`` at the start of a series are left missing (the
report's ``[data] missing`` policy then handles and reports them).
"""
from __future__ import annotations

import ast
import operator

import numpy as np
import pandas as pd

from ._validation import SpatialNQPFError, format_values

__all__ = ["ExpressionError", "parse", "evaluate", "FUNCTIONS", "PANEL_FUNCTIONS", "names"]


class ExpressionError(SpatialNQPFError):
    """An expression uses syntax outside the whitelist, an unknown name, or fails a domain check."""


#: element-wise functions: name → (numpy function, domain check or None, domain text)
FUNCTIONS = {
    "log": (np.log, lambda v: v > 0, "log of a non-positive value"),
    "log1p": (np.log1p, lambda v: v > -1, "log1p of a value <= -1"),
    "exp": (np.exp, None, ""),
    "sqrt": (np.sqrt, lambda v: v >= 0, "sqrt of a negative value"),
    "abs": (np.abs, None, ""),
}
#: within-unit panel functions
PANEL_FUNCTIONS = ("lag", "diff", "growth")

_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.Pow: operator.pow}
_CMPOPS = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt,
           ast.GtE: operator.ge, ast.Eq: operator.eq, ast.NotEq: operator.ne}
_MAX_LEN = 2000


def _refuse(expr: str, what: str):
    raise ExpressionError(f"expression {expr!r}: {what} is not allowed. Allowed: column names, "
                          "numbers, + - * / **, comparisons, and the functions "
                          f"{', '.join(list(FUNCTIONS) + list(PANEL_FUNCTIONS))}")


def parse(expr) -> ast.Expression:
    """Parse and check ``expr`` against the whitelist; return the tree (nothing is evaluated).

    Raises :class:`ExpressionError` quoting ``expr`` for anything outside the grammar of the
    module docstring (attribute access, method calls, subscripts, ``@`` references, lambdas,
    comprehensions, imports, keyword arguments, strings, names beginning with ``_``...).
    """
    if isinstance(expr, bool) or not isinstance(expr, (str, int, float)):
        raise ExpressionError(f"an expression must be a string, got {expr!r} "
                              f"({type(expr).__name__})")
    expr = str(expr)
    if not expr.strip():
        raise ExpressionError(f"expression {expr!r} is empty")
    if len(expr) > _MAX_LEN:
        raise ExpressionError(f"expression {expr[:60]!r}... is longer than {_MAX_LEN} characters")
    if "@" in expr:
        _refuse(expr, "an '@' reference")
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"expression {expr!r} is not valid syntax: {exc.msg}") from None
    _check(tree.body, expr)
    return tree


def _check(node, expr: str) -> None:
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINOPS:
            _refuse(expr, f"the operator {type(node.op).__name__}")
        _check(node.left, expr)
        _check(node.right, expr)
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            _refuse(expr, f"the operator {type(node.op).__name__}")
        _check(node.operand, expr)
    elif isinstance(node, ast.Compare):
        for op in node.ops:
            if type(op) not in _CMPOPS:
                _refuse(expr, f"the comparison {type(op).__name__}")
        _check(node.left, expr)
        for c in node.comparators:
            _check(c, expr)
    elif isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            _refuse(expr, f"the constant {node.value!r}")
    elif isinstance(node, ast.Name):
        if node.id.startswith("_"):
            _refuse(expr, f"the name {node.id!r} (names beginning with '_')")
        if node.id in FUNCTIONS or node.id in PANEL_FUNCTIONS:
            _refuse(expr, f"the function {node.id!r} without a call")
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            _refuse(expr, "a method call or call of a computed object")
        fn = node.func.id
        if fn not in FUNCTIONS and fn not in PANEL_FUNCTIONS:
            _refuse(expr, f"the function {fn!r}")
        if node.keywords:
            _refuse(expr, f"a keyword argument in {fn}()")
        if any(isinstance(a, ast.Starred) for a in node.args):
            _refuse(expr, f"a starred argument in {fn}()")
        nmax = 2 if fn == "lag" else 1
        if not 1 <= len(node.args) <= nmax:
            raise ExpressionError(f"expression {expr!r}: {fn}() takes "
                                  f"{'1 or 2 arguments' if nmax == 2 else '1 argument'}, "
                                  f"got {len(node.args)}")
        if fn == "lag" and len(node.args) == 2:
            k = node.args[1]
            if not (isinstance(k, ast.Constant) and isinstance(k.value, int)
                    and not isinstance(k.value, bool) and k.value >= 1):
                raise ExpressionError(f"expression {expr!r}: the order of lag(x, k) must be a "
                                      f"positive integer constant, got {ast.unparse(k)!r}")
        _check(node.args[0], expr)
    elif isinstance(node, ast.Attribute):
        _refuse(expr, f"attribute access ('.{node.attr}')")
    elif isinstance(node, ast.Subscript):
        _refuse(expr, "subscripting ([...])")
    elif isinstance(node, ast.Lambda):
        _refuse(expr, "a lambda")
    elif isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        _refuse(expr, "a comprehension")
    else:
        _refuse(expr, f"the syntax {type(node).__name__}")


def names(expr) -> set:
    """Column names referenced by ``expr`` (after checking it with :func:`parse`)."""
    tree = parse(expr)
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
            and n.id not in FUNCTIONS and n.id not in PANEL_FUNCTIONS}


class _Evaluator:
    def __init__(self, expr: str, frame: pd.DataFrame, id: str | None, time: str | None):
        self.expr, self.frame, self.id, self.time = expr, frame, id, time

    def cells(self, mask) -> str:
        keys = [k for k in (self.id, self.time) if k is not None and k in self.frame.columns]
        idx = self.frame.index[np.asarray(mask, bool)]
        if keys:
            where = list(self.frame.loc[idx, keys].itertuples(index=False, name=None))
            where = [w[0] if len(w) == 1 else w for w in where]
        else:
            where = list(idx)
        label = f"({', '.join(keys)})" if keys else "rows"
        return f"{label} {format_values(where, 5)}"

    def run(self, node):
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            if node.id not in self.frame.columns:
                raise ExpressionError(
                    f"expression {self.expr!r}: unknown column {node.id!r}; available: "
                    f"{format_values(list(self.frame.columns), 40)}")
            col = self.frame[node.id]
            if isinstance(col, pd.DataFrame):
                raise ExpressionError(f"expression {self.expr!r}: column {node.id!r} appears "
                                      f"{col.shape[1]} times in the data; rename the duplicates")
            if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
                conv = pd.to_numeric(col, errors="coerce")
                bad = conv.isna() & col.notna()
                if bad.any() or pd.api.types.is_bool_dtype(col):
                    ex = col[bad].head(3).tolist() if bad.any() else col.head(3).tolist()
                    raise ExpressionError(f"expression {self.expr!r}: column {node.id!r} is not "
                                          f"numeric, e.g. {format_values(ex)}")
                col = conv
            return col.to_numpy(dtype=float)
        if isinstance(node, ast.UnaryOp):
            v = self.run(node.operand)
            return -v if isinstance(node.op, ast.USub) else +v
        if isinstance(node, ast.BinOp):
            a, b = self.run(node.left), self.run(node.right)
            with np.errstate(all="ignore"):
                out = _BINOPS[type(node.op)](np.asarray(a, float), np.asarray(b, float))
            fin_in = np.isfinite(a) & np.isfinite(b)
            bad = np.broadcast_to(fin_in & ~np.isfinite(out), np.shape(out))
            if bad.any():
                what = ("division by zero" if isinstance(node.op, ast.Div) and
                        np.any(np.broadcast_to(b, np.shape(out))[bad] == 0)
                        else "an overflow or undefined power")
                raise ExpressionError(f"expression {self.expr!r}: {what} in "
                                      f"{ast.unparse(node)!r} at "
                                      f"{self.cells(np.broadcast_to(bad, (len(self.frame),)))}")
            return out
        if isinstance(node, ast.Compare):
            left = self.run(node.left)
            result = True
            for op, c in zip(node.ops, node.comparators):
                right = self.run(c)
                result = result & _CMPOPS[type(op)](left, right)
                left = right
            return np.asarray(result, dtype=float)
        if isinstance(node, ast.Call):
            fn = node.func.id
            arg = np.broadcast_to(np.asarray(self.run(node.args[0]), float),
                                  (len(self.frame),)).copy()
            if fn in FUNCTIONS:
                f, ok, what = FUNCTIONS[fn]
                if ok is not None:
                    with np.errstate(invalid="ignore"):
                        bad = np.isfinite(arg) & ~ok(arg)
                    if bad.any():
                        raise ExpressionError(f"expression {self.expr!r}: {what} in "
                                              f"{ast.unparse(node)!r} at {self.cells(bad)}")
                with np.errstate(all="ignore"):
                    out = f(arg)
                bad = np.isfinite(arg) & ~np.isfinite(out)
                if bad.any():
                    raise ExpressionError(f"expression {self.expr!r}: overflow in "
                                          f"{ast.unparse(node)!r} at {self.cells(bad)}")
                return out
            k = node.args[1].value if len(node.args) == 2 else 1
            prev = self.lag(arg, k)
            if fn == "lag":
                return prev
            if fn == "diff":
                return arg - prev
            with np.errstate(all="ignore"):
                out = arg / prev - 1
            bad = np.isfinite(arg) & np.isfinite(prev) & (prev == 0)
            if bad.any():
                raise ExpressionError(f"expression {self.expr!r}: growth() divides by a "
                                      f"previous value of 0 at {self.cells(bad)}")
            return out
        raise ExpressionError(f"expression {self.expr!r}: cannot evaluate "
                              f"{type(node).__name__}")  # unreachable after parse()

    def lag(self, values: np.ndarray, k: int) -> np.ndarray:
        fr = self.frame
        if self.id is None or self.time is None or self.id not in fr.columns \
                or self.time not in fr.columns:
            raise ExpressionError(f"expression {self.expr!r}: lag/diff/growth need the id and "
                                  f"time columns ({self.id!r}, {self.time!r}) in the data")
        t = pd.to_numeric(fr[self.time], errors="coerce")
        if t.isna().any() or (t % 1 != 0).any():
            bad = fr.loc[t.isna() | (t % 1 != 0), self.time].head(5).tolist()
            raise ExpressionError(f"expression {self.expr!r}: lag/diff/growth need integer "
                                  f"periods in {self.time!r}, got {format_values(bad)}")
        key = pd.MultiIndex.from_arrays([fr[self.id].to_numpy(), t.astype("int64").to_numpy()])
        if key.has_duplicates:
            raise ExpressionError(f"expression {self.expr!r}: duplicated ({self.id}, "
                                  f"{self.time}) rows: "
                                  f"{format_values(list(key[key.duplicated()].unique()), 5)}")
        s = pd.Series(values, index=key)
        want = pd.MultiIndex.from_arrays([fr[self.id].to_numpy(),
                                          t.astype("int64").to_numpy() - int(k)])
        return s.reindex(want).to_numpy(dtype=float)


def evaluate(expr, frame: pd.DataFrame, id: str | None = "code",
             time: str | None = "year") -> pd.Series:
    """Evaluate a whitelisted expression on ``frame``; return a float Series on its index.

    Parameters
    ----------
    expr : str
        See the module docstring for the grammar.
    frame : DataFrame
        Long panel; columns are the names the expression may use.
    id, time : str or None
        Unit and period columns used by ``lag``/``diff``/``growth``.

    Raises
    ------
    ExpressionError
        Syntax outside the whitelist, an unknown or non-numeric column, a domain error;
        the message quotes the expression (and names the cells for domain errors).
    """
    tree = parse(expr)
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    out = _Evaluator(str(expr), frame, id, time).run(tree.body)
    out = np.broadcast_to(np.asarray(out, dtype=float), (len(frame),)).copy()
    return pd.Series(out, index=frame.index)
