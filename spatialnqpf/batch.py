"""Batch runner: robustness grids, bootstraps and Monte Carlo studies on one machine or Dask.

Robustness grids (weights × model × fixed effects × subsample × dependent variable),
bootstraps and Monte Carlo studies are embarrassingly parallel.  This module runs them
serially, on local processes or on a :mod:`dask.distributed` cluster with the same result
bit for bit::

    from spatialnqpf import batch, models
    jobs = batch.grid(models.spatial_panel,
                      over={"w": {"queen": wq, "knn4": wk}, "model": ["sar", "sdm"],
                            "fe": ["individual", "twoways"]},
                      data=panel, y="lgdp", x=["lrd", "lpat"], id="code", time="year")
    out = batch.run(jobs, backend="serial" | "processes" | "dask", client=None, seed=0)
    out.to_frame()      # one tidy row per job x term, the job's parameters as columns
    out.failures        # job key -> JobFailure(error, traceback), for the jobs that raised

Reproducibility
---------------
Every job has a *key*: the tuple of the labels of its grid values (``("queen", "sar",
"individual")``), or the replicate number of a bootstrap / Monte Carlo replicate.  The
random stream of a job is :func:`spatialnqpf._validation.as_generator` ``(seed, key)``
(``SeedSequence(seed, spawn_key=key)``): it depends on the run seed and the job's key only,
never on the order in which jobs are run, on the backend or on the number of workers.  A
function with a ``seed`` parameter receives the integer ``as_generator(seed, key).integers(
2**63 - 1)``; :func:`bootstrap` and :func:`monte_carlo` hand the generator itself to the
user's function.  Each job runs with one BLAS thread on every backend (``threadpoolctl``),
so that floating-point reductions are the same in the main process and in workers.

Data are shipped once
---------------------
Arguments that are not plain scalars (frames, arrays, weights) are collected once per run
and sent once: the ``processes`` backend hands them to each worker process through the pool
initializer, the ``dask`` backend scatters them to the cluster (``Client.scatter``,
``broadcast=True``) and passes futures; tasks carry only small references.

Failures
--------
A job that raises does not stop the run: its key, the exception's ``repr`` and the full
traceback are stored in :attr:`BatchResults.failures`; the others are returned.

Written here: concurrent.futures and dask.distributed schedule tasks but have no notion of
keyed seeds, shared-argument deduplication or tidy result collection, which is what this
module adds on top of them.
"""
from __future__ import annotations

import dataclasses
import inspect
import itertools
import os
import traceback as _tb
from typing import Any, Callable, Mapping, NamedTuple, Sequence

import numpy as np
import pandas as pd

from ._results import Results, as_mapping
from ._validation import SpatialNQPFError, as_generator

__all__ = ["Job", "JobFailure", "BatchResults", "BootstrapResults", "MonteCarloResults",
           "grid", "run", "bootstrap", "monte_carlo", "BACKENDS"]

#: Backends of :func:`run`.
BACKENDS = ("serial", "processes", "dask")

_SCALARS = (str, bytes, int, float, complex, bool, type(None), np.generic)


class BatchError(SpatialNQPFError):
    """Bad arguments to a batch function (grid specification, backend, jobs)."""


class JobFailure(NamedTuple):
    """A job that raised: ``error`` (``repr`` of the exception) and the ``traceback`` text."""

    error: str
    traceback: str

    def __str__(self):
        return self.error


@dataclasses.dataclass(frozen=True)
class Job:
    """One unit of work: ``func(**kwargs)`` under ``key``.

    ``params`` maps each grid dimension to the label of its value (these become columns of
    :meth:`BatchResults.to_frame`); ``seed_arg`` names the keyword through which the job's
    derived seed is passed (None: no seed passed).
    """

    key: tuple
    func: Callable
    kwargs: Mapping[str, Any]
    params: Mapping[str, Any]
    seed_arg: str | None = None


def _label(value, dim):
    if isinstance(value, _SCALARS):
        return value.item() if isinstance(value, np.generic) else value
    if isinstance(value, (list, tuple)) and all(isinstance(v, _SCALARS) for v in value):
        return "+".join(map(str, value))
    if callable(value) and getattr(value, "__name__", "<lambda>") != "<lambda>":
        return value.__name__
    raise BatchError(f"grid dimension {dim!r}: value {type(value).__name__} has no label; "
                     f"give the values as a dict {{label: value}}")


def _seed_param(func) -> str | None:
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return None
    return "seed" if "seed" in sig.parameters else None


def grid(func: Callable, over: Mapping[str, Any], *, seed_arg: str | None | bool = True,
         **fixed) -> list[Job]:
    """Jobs for every combination of the values in ``over`` (a robustness grid).

    Parameters
    ----------
    func : callable
        The estimator, e.g. :func:`spatialnqpf.models.spatial_panel`; called as
        ``func(**fixed, **combination)``.
    over : dict
        Grid dimension (a keyword argument of ``func``) → values.  Values are a dict
        ``{label: value}`` (needed for weights, frames and other objects) or a list of
        scalars / tuples of scalars (labelled by themselves; a list ``["x1", "x2"]`` of
        regressors is labelled ``"x1+x2"``).  The Cartesian product is taken in the order
        given; a job's key is the tuple of its labels.
    seed_arg : True, str or None
        Keyword through which each job receives its derived seed: True (default) uses
        ``"seed"`` when ``func`` has such a parameter; None/False never passes one.
    **fixed
        Keyword arguments shared by all jobs (``data=``, ``y=``, ``x=``...).

    Returns
    -------
    list of Job
        In grid order (the first dimension varies slowest).
    """
    if not callable(func):
        raise BatchError(f"func must be callable, got {func!r}")
    if not isinstance(over, Mapping) or not over:
        raise BatchError(f"over must be a non-empty dict of dimension -> values, got {over!r}")
    clash = sorted(set(over) & set(fixed))
    if clash:
        raise BatchError(f"{clash} given both in over and as fixed arguments")
    dims = []
    for dim, values in over.items():
        if isinstance(values, Mapping):
            items = [(lab, v) for lab, v in values.items()]
        elif isinstance(values, (list, tuple, pd.Index, np.ndarray)):
            items = [(_label(v, dim), v) for v in values]
        else:
            raise BatchError(f"grid dimension {dim!r}: give a list or a dict of values, "
                             f"got {type(values).__name__}")
        if not items:
            raise BatchError(f"grid dimension {dim!r} has no values")
        labels = [lab for lab, _ in items]
        dup = sorted({str(lab) for lab in labels if labels.count(lab) > 1})
        if dup:
            raise BatchError(f"grid dimension {dim!r}: duplicated labels {dup}")
        dims.append((dim, items))
    if seed_arg is True:
        seed_arg = _seed_param(func)
    elif not seed_arg:
        seed_arg = None
    if seed_arg is not None and seed_arg in over:
        raise BatchError(f"{seed_arg!r} is a grid dimension; the batch derives it per job "
                         f"(pass seed_arg=None to vary it yourself)")
    jobs = []
    for combo in itertools.product(*[items for _, items in dims]):
        params = {dim: lab for (dim, _), (lab, _) in zip(dims, combo)}
        kwargs = dict(fixed)
        kwargs.update({dim: v for (dim, _), (_, v) in zip(dims, combo)})
        jobs.append(Job(key=tuple(params.values()), func=func, kwargs=kwargs,
                        params=params, seed_arg=seed_arg))
    return jobs


# --------------------------------------------------------------------------- execution
class _Ref(NamedTuple):
    token: int


_SHARED: dict = {}          # worker-side store of the shared arguments (processes backend)


def _init_worker(shared):
    _SHARED.clear()
    _SHARED.update(shared)


def _is_small(v) -> bool:
    if isinstance(v, (_SCALARS, range)):
        return True
    if isinstance(v, (list, tuple)) and len(v) <= 64:
        return all(isinstance(u, _SCALARS) for u in v)
    return False


def _share(jobs):
    """Replace non-scalar keyword values by references; return (specs, shared objects)."""
    shared, by_id, specs = {}, {}, []
    for job in jobs:
        kw = {}
        for name, v in job.kwargs.items():
            if _is_small(v):
                kw[name] = v
                continue
            tok = by_id.get(id(v))
            if tok is None:
                tok = by_id[id(v)] = len(shared)
                shared[tok] = v
            kw[name] = _Ref(tok)
        specs.append(kw)
    return specs, shared


def _default_collect(res):
    if hasattr(res, "tidy"):
        out = res.tidy()
    elif isinstance(res, pd.DataFrame):
        out = res
    elif isinstance(res, pd.Series):
        out = res.to_frame().T.reset_index(drop=True)
    elif hasattr(res, "to_frame"):
        out = res.to_frame()
    else:
        return res
    flags = tuple(getattr(res, "flags", ()) or out.attrs.get("flags", ()))
    return out, tuple(tuple(f) for f in flags)


def _job_seed(seed, key, how):
    rng = as_generator(seed, key)
    if how == "int":
        return int(rng.integers(2**63 - 1))
    return rng


def _limit_threads():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scipy/sklearn stacks
        import contextlib
        return contextlib.nullcontext()
    return threadpool_limits(1)


def _execute(func, kwargs, key, seed_arg, seed, seed_how, collect, shared=None):
    """Run one job; never raises.  Returns ("ok", value) or ("error", JobFailure)."""
    store = _SHARED if shared is None else shared
    try:
        kw = {k: (store[v.token] if isinstance(v, _Ref) else v) for k, v in kwargs.items()}
        if seed_arg is not None:
            kw[seed_arg] = _job_seed(seed, key, seed_how)
        import warnings
        with _limit_threads(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = func(**kw)
            value = (collect or _default_collect)(res)
        return "ok", value
    except Exception as exc:  # noqa: BLE001 - the job's failure is the result
        return "error", JobFailure(repr(exc), _tb.format_exc())


def _progress(total, enabled, desc):
    from tqdm.auto import tqdm
    return tqdm(total=total, disable=not enabled, desc=desc, leave=False)


def _run_raw(jobs, backend, client, seed, progress, n_workers, collect, seed_how, desc):
    """Execute jobs; returns list of (status, value) in job order."""
    if backend not in BACKENDS:
        raise BatchError(f"backend must be one of {BACKENDS}, got {backend!r}")
    keys = [j.key for j in jobs]
    if len(set(keys)) != len(keys):
        dup = sorted({str(k) for k in keys if keys.count(k) > 1})[:10]
        raise BatchError(f"job keys must be unique; duplicated: {dup}")
    as_generator(seed)  # validates the seed (raises TypeError/ValueError with its value)
    if isinstance(seed, np.random.Generator):
        raise BatchError("seed must be an int (or None, SeedSequence): a Generator cannot "
                         "be split into keyed streams reproducibly")
    specs, shared = _share(jobs)
    out = [None] * len(jobs)
    bar = _progress(len(jobs), progress, desc)
    try:
        if backend == "serial":
            for i, (job, kw) in enumerate(zip(jobs, specs)):
                out[i] = _execute(job.func, kw, job.key, job.seed_arg, seed, seed_how,
                                  collect, shared)
                bar.update(1)
        elif backend == "processes":
            import concurrent.futures as cf
            import multiprocessing as mp
            nw = n_workers or min(len(jobs), os.cpu_count() or 1)
            if os.name == "nt":
                ctx = mp.get_context("spawn")
            else:  # forked from a server that has imported the job functions' modules once
                ctx = mp.get_context("forkserver")
                mods = sorted({getattr(j.func, "__module__", None) or "spatialnqpf.batch"
                               for j in jobs} | {"spatialnqpf.batch"})
                ctx.set_forkserver_preload([m for m in mods if m != "__main__"])
            with cf.ProcessPoolExecutor(max_workers=max(1, nw), mp_context=ctx,
                                        initializer=_init_worker,
                                        initargs=(shared,)) as pool:
                futs = {pool.submit(_execute, job.func, kw, job.key, job.seed_arg, seed,
                                    seed_how, collect): i
                        for i, (job, kw) in enumerate(zip(jobs, specs))}
                for f in cf.as_completed(futs):
                    try:
                        out[futs[f]] = f.result()
                    except Exception as exc:  # a worker died (killed, out of memory...)
                        out[futs[f]] = ("error", JobFailure(repr(exc), _tb.format_exc()))
                    bar.update(1)
        else:
            out = _run_dask(jobs, specs, shared, client, seed, seed_how, collect, bar,
                            n_workers)
    finally:
        bar.close()
    return out


def _run_dask(jobs, specs, shared, client, seed, seed_how, collect, bar, n_workers):
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError as exc:  # pragma: no cover
        raise BatchError("backend='dask' needs dask.distributed "
                         "(pip install 'dask[distributed]')") from exc
    own = None
    if client is None:
        own = Client(LocalCluster(n_workers=n_workers or min(len(jobs), os.cpu_count() or 1),
                                  threads_per_worker=1, processes=True,
                                  dashboard_address=None))
        client = own
    elif not isinstance(client, Client):
        raise BatchError(f"client must be a dask.distributed Client, got {client!r}")
    try:
        # one scatter of every shared object; tasks carry futures, resolved on the worker
        futures_shared = (client.scatter(shared, broadcast=True, hash=False)
                          if shared else {})
        out = [None] * len(jobs)
        futs = {}
        for i, (job, kw) in enumerate(zip(jobs, specs)):
            need = {v.token: futures_shared[v.token] for v in kw.values()
                    if isinstance(v, _Ref)}
            f = client.submit(_execute, job.func, kw, job.key, job.seed_arg, seed, seed_how,
                              collect, need, pure=False)
            futs[f] = i
        for f in as_completed(list(futs)):
            try:
                out[futs[f]] = f.result()
            except Exception as exc:  # worker died, unpicklable result...
                out[futs[f]] = ("error", JobFailure(repr(exc), _tb.format_exc()))
            bar.update(1)
        return out
    finally:
        if own is not None:
            cluster = own.cluster
            own.close()
            cluster.close()


def run(jobs: Sequence[Job], backend: str = "serial", client=None, seed=0,
        progress: bool = True, *, n_workers: int | None = None,
        collect: Callable | None = None) -> "BatchResults":
    """Run jobs (from :func:`grid`) on a backend; the same results bit for bit on each.

    Parameters
    ----------
    jobs : list of Job
    backend : {"serial", "processes", "dask"}
        ``"processes"``: a local process pool (``n_workers``, default the number of CPUs);
        ``"dask"``: :mod:`dask.distributed` on ``client``, or, when ``client`` is None, on a
        ``LocalCluster(n_workers, threads_per_worker=1)`` made for this run and closed after.
    client : dask.distributed.Client, optional
    seed : int or None
        Run seed (default 0); job ``key`` gets ``as_generator(seed, key)`` (see module
        docstring).  None draws fresh entropy, recorded in ``out.seed`` to rerun the batch.
    progress : bool
        Show a tqdm progress bar (every backend).
    n_workers : int, optional
    collect : callable, optional
        Applied to each job's result in the worker; its return value is what is kept (and
        shipped back).  Default: ``(result.tidy(), result.flags)`` for estimation results,
        the frame for a DataFrame, the value itself otherwise (the full result objects hold
        the data and are not shipped back).

    Returns
    -------
    BatchResults
    """
    jobs = list(jobs)
    if not jobs:
        raise BatchError("no jobs to run")
    bad = [type(j).__name__ for j in jobs if not isinstance(j, Job)]
    if bad:
        raise BatchError(f"jobs must be Job objects from batch.grid, got {sorted(set(bad))}")
    if seed is None:  # fresh entropy, recorded in the result, the same for every job
        seed = int(np.random.SeedSequence().entropy)
    raw = _run_raw(jobs, backend, client, seed, progress, n_workers, collect, "int",
                   "batch")
    values, failures = {}, {}
    for job, (status, value) in zip(jobs, raw):
        (values if status == "ok" else failures)[job.key] = value
    return BatchResults(jobs=tuple(jobs), values=values, failures=failures, seed=seed,
                        backend=backend, default_collect=collect is None)


class BatchResults(Results):
    """Results of :func:`run`.

    Attributes
    ----------
    values : mapping
        Job key → collected value (by default ``(tidy frame, flags)``), for jobs that ran.
    failures : mapping
        Job key → :class:`JobFailure` (``error``, ``traceback``), for jobs that raised.
    jobs : tuple of Job
    """

    _title = "Batch run"

    def __init__(self, jobs, values, failures, seed, backend, default_collect=True):
        self.jobs = tuple(jobs)
        self._values = dict(values)
        self._failures = dict(failures)
        self.seed = seed
        self.backend = backend
        self._default_collect = default_collect
        self._freeze()

    @property
    def values(self) -> Mapping:
        return as_mapping(self._values)

    @property
    def failures(self) -> Mapping:
        return as_mapping(self._failures)

    @property
    def keys(self) -> list:
        """Keys of the jobs that ran, in job order."""
        return [j.key for j in self.jobs if j.key in self._values]

    def params_frame(self) -> pd.DataFrame:
        """One row per job: its grid labels and its status (``"ok"`` / ``"error"``)."""
        rows = [dict(j.params, status="ok" if j.key in self._values else "error")
                for j in self.jobs]
        return pd.DataFrame(rows)

    def to_frame(self) -> pd.DataFrame:
        """One row per job × term: the job's parameters, then the tidy columns.

        With the default ``collect``: columns = grid dimensions, ``term, estimate,
        std_error, statistic, p_value, conf_low, conf_high`` and ``flags`` (the codes of the
        job's flags joined by ``,``; empty for a clean fit).  Jobs in grid order; failed
        jobs are absent (see :attr:`failures`).
        """
        parts = []
        for job in self.jobs:
            if job.key not in self._values:
                continue
            v = self._values[job.key]
            flags = ()
            if self._default_collect and isinstance(v, tuple) and len(v) == 2 \
                    and isinstance(v[0], pd.DataFrame):
                v, flags = v
            if isinstance(v, pd.Series):
                v = v.to_frame().T
            if not isinstance(v, pd.DataFrame):
                v = pd.DataFrame({"value": [v]})
            v = v.reset_index(drop=True).copy()
            for i, (dim, lab) in enumerate(job.params.items()):
                v.insert(i, dim, [lab] * len(v))
            if self._default_collect:
                v["flags"] = ",".join(sorted({f[0] for f in flags}))
            parts.append(v)
        if not parts:
            return pd.DataFrame(columns=list(self.jobs[0].params) if self.jobs else [])
        return pd.concat(parts, ignore_index=True)

    def _summary_notes(self):
        n = len(self.jobs)
        notes = [f"{n - len(self._failures)} of {n} jobs ran (backend {self.backend!r}, "
                 f"seed {self.seed})"]
        for key, f in self._failures.items():
            notes.append(f"  failed {key}: {f.error}")
        return notes

    def summary(self) -> str:
        lines = [self._title, "=" * 20]
        with pd.option_context("display.width", 120, "display.max_columns", 50,
                               "display.max_rows", 60):
            lines.append(self.to_frame().to_string())
        lines.extend(self._summary_notes())
        return "\n".join(lines)


# --------------------------------------------------------------------------- replicates
def _as_row(value) -> dict:
    if isinstance(value, Mapping):
        return {str(k): float(v) for k, v in value.items()}
    if isinstance(value, pd.Series):
        return {str(k): float(v) for k, v in value.items()}
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return {"value": float(arr)}
    return {f"value_{i}": float(v) for i, v in enumerate(arr.ravel())}


def _boot_chunk(stat, data, cluster, reps, seed):
    """Replicates ``reps`` of a bootstrap; replicate b uses as_generator(seed, ("boot", b))."""
    rows = []
    if cluster is None:
        n = len(data)
        groups = None
    else:
        codes, uniq = pd.factorize(data[cluster], sort=True)
        order = np.argsort(codes, kind="stable")
        starts = np.searchsorted(codes[order], np.arange(len(uniq) + 1))
        groups = [order[starts[g]:starts[g + 1]] for g in range(len(uniq))]
        n = len(uniq)
    for b in reps:
        rng = as_generator(seed, ("boot", int(b)))
        draw = rng.integers(0, n, size=n)
        if groups is None:
            idx = draw
        else:
            idx = np.concatenate([groups[g] for g in draw])
        sample = data.iloc[idx] if hasattr(data, "iloc") else np.asarray(data)[idx]
        if cluster is not None:  # relabel resampled clusters so that duplicates are distinct
            sizes = np.array([len(groups[g]) for g in draw])
            sample = sample.copy()
            sample[cluster] = np.repeat(np.arange(n), sizes)
        rows.append(_as_row(stat(sample)))
    return rows


def _mc_chunk(fn, params, kwargs, reps, seed, key_prefix):
    rows = []
    for r in reps:
        rng = as_generator(seed, tuple(key_prefix) + (int(r),))
        rows.append(_as_row(fn(rng, **kwargs)))
    return rows


def _identity(value):
    return value


def _chunks(n, size):
    return [range(i, min(n, i + size)) for i in range(0, n, size)]


def _run_chunks(func, fixed, chunks, backend, client, progress, n_workers, desc,
                keys=None):
    jobs = [Job(key=("chunk",) + (keys[i] if keys else ()) + (c.start,), func=func,
                kwargs=dict(fixed[i] if isinstance(fixed, list) else fixed, reps=c),
                params={}) for i, c in enumerate(chunks)]
    raw = _run_raw(jobs, backend, client, 0, progress, n_workers, _identity, "int", desc)
    errs = [(j.key, v) for j, (s, v) in zip(jobs, raw) if s != "ok"]
    if errs:
        key, f = errs[0]
        raise BatchError(f"{len(errs)} of {len(jobs)} chunks raised; first {key}: "
                         f"{f.error}\n{f.traceback}")
    return [v for _, v in raw]


@dataclasses.dataclass(eq=False, repr=False)
class BootstrapResults(Results):
    """Bootstrap of a statistic: ``estimate`` (on the data), ``replicates`` (B × k frame),
    standard errors and percentile intervals (:meth:`to_frame`)."""

    estimate: pd.Series
    replicates: pd.DataFrame
    level: float
    seed: Any
    _title = "Bootstrap"

    def to_frame(self) -> pd.DataFrame:
        a = (1 - self.level) / 2
        rep = self.replicates
        return pd.DataFrame({"estimate": self.estimate, "std_error": rep.std(ddof=1),
                             "conf_low": rep.quantile(a), "conf_high": rep.quantile(1 - a),
                             "n_boot": rep.notna().sum()})


def _replicate_seed(seed) -> int:
    """The int root of keyed replicate streams: ``seed`` as given, fresh entropy for None."""
    if isinstance(seed, np.random.Generator):
        raise BatchError("seed must be an int (or None): a Generator cannot be split into "
                         "keyed replicate streams reproducibly")
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    return seed


def bootstrap(stat: Callable, data, n_boot: int = 999, *, cluster: str | None = None,
              seed=0, level: float = 0.95, backend: str = "serial", client=None,
              progress: bool = True, n_workers: int | None = None,
              chunk_size: int = 50) -> BootstrapResults:
    """Nonparametric (cluster) bootstrap of ``stat(data)``, parallel and reproducible.

    Replicate ``b`` (0-based) draws ``n`` rows (or, with ``cluster``, ``G`` whole clusters,
    e.g. the units of a panel, each relabelled so that a cluster drawn twice counts as two)
    with replacement using ``as_generator(seed, ("boot", b))``; the replicate set is
    therefore identical for any backend, worker count and ``chunk_size``.

    Parameters
    ----------
    stat : callable
        ``stat(sample) -> float | array | Series | dict`` (must be picklable for the
        processes/dask backends: a module-level function).
    data : DataFrame or array
    n_boot : int
    cluster : str, optional
        Column whose groups are resampled as blocks.
    level : float
        Level of the percentile intervals.

    Returns
    -------
    BootstrapResults
        ``to_frame()``: estimate, bootstrap standard error (ddof = 1), percentile interval.
    """
    if int(n_boot) < 2:
        raise BatchError(f"n_boot must be at least 2, got {n_boot!r}")
    if cluster is not None and (not hasattr(data, "columns") or cluster not in data.columns):
        raise BatchError(f"cluster column {cluster!r} is not in data")
    seed = _replicate_seed(seed)
    est = pd.Series(_as_row(stat(data)))
    rows = _run_chunks(_boot_chunk, dict(stat=stat, data=data, cluster=cluster, seed=seed),
                       _chunks(int(n_boot), chunk_size), backend, client, progress,
                       n_workers, "bootstrap")
    rep = pd.DataFrame([r for chunk in rows for r in chunk], columns=est.index)
    return BootstrapResults(estimate=est, replicates=rep, level=level, seed=seed)


@dataclasses.dataclass(eq=False, repr=False)
class MonteCarloResults(Results):
    """Monte Carlo replicates: ``replicates`` (one row per design point × replicate) and
    :meth:`to_frame` (mean, sd and count per design point and output)."""

    replicates: pd.DataFrame
    dims: tuple
    seed: Any
    _title = "Monte Carlo"

    def to_frame(self) -> pd.DataFrame:
        rep = self.replicates
        outs = [c for c in rep.columns if c not in self.dims and c != "rep"]
        long = rep.melt(id_vars=list(self.dims) + ["rep"], value_vars=outs,
                        var_name="output")
        by = list(self.dims) + ["output"]
        g = long.groupby(by, sort=False)["value"]
        return pd.DataFrame({"mean": g.mean(), "sd": g.std(ddof=1),
                             "n": g.count()}).reset_index()


def monte_carlo(fn: Callable, n_rep: int, *, over: Mapping[str, Any] | None = None,
                seed=0, backend: str = "serial", client=None, progress: bool = True,
                n_workers: int | None = None, chunk_size: int = 20,
                **fixed) -> MonteCarloResults:
    """Monte Carlo study: ``fn(rng, **design)`` for ``n_rep`` replicates per design point.

    Replicate ``r`` of the design point with labels ``(l1, l2, ...)`` gets the generator
    ``as_generator(seed, (l1, l2, ..., r))``: adding design points or replicates, the
    backend or the worker count never changes the draws of another replicate.

    Parameters
    ----------
    fn : callable
        ``fn(rng, **kwargs) -> float | array | Series | dict`` of outputs (a module-level
        function for the processes/dask backends).
    n_rep : int
        Replicates per design point.
    over : dict, optional
        Design grid as in :func:`grid` (dimension → list or ``{label: value}``).
    **fixed
        Arguments shared by all design points (sent once per worker).

    Returns
    -------
    MonteCarloResults
        ``replicates`` (design labels, ``rep``, outputs) and ``to_frame()`` (mean, sd, n).
    """
    if int(n_rep) < 1:
        raise BatchError(f"n_rep must be positive, got {n_rep!r}")
    seed = _replicate_seed(seed)
    points = grid(fn, over, seed_arg=None, **fixed) if over else \
        [Job(key=(), func=fn, kwargs=dict(fixed), params={})]
    chunks, fixed_list, keys, owners = [], [], [], []
    for p in points:
        for c in _chunks(int(n_rep), chunk_size):
            chunks.append(c)
            fixed_list.append(dict(fn=fn, params=p.params, kwargs=p.kwargs, seed=seed,
                                   key_prefix=p.key))
            keys.append(p.key)
            owners.append(p)
    rows = _run_chunks(_mc_chunk, fixed_list, chunks, backend, client, progress, n_workers,
                       "monte carlo", keys=keys)
    recs = []
    for p, c, chunk in zip(owners, chunks, rows):
        for r, row in zip(c, chunk):
            recs.append({**p.params, "rep": r, **row})
    dims = tuple(points[0].params)
    return MonteCarloResults(replicates=pd.DataFrame(recs), dims=dims, seed=seed)
