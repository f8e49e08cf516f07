"""Command line interface of spatialnqpf.

::

    spatialnqpf --version
    spatialnqpf info
    spatialnqpf init [analysis.toml]             write a commented configuration template
    spatialnqpf report [--config analysis.toml] [--data file.csv|.xlsx|.dta] [--out DIR] [--lang zh|en]
    spatialnqpf index|weights|moran|dagum|dynamics|model|impact [same options]   one stage, same tables

A single-stage command runs the stages it needs first (``spatialnqpf moran``: index and
weights) without drawing their figures and writes only the data intake and its own
stage (tables, figures, report files; the prerequisites' status is in
``results.json`` ``footer.prerequisites``); its progress bar reads ``spatialnqpf moran``.

The single-stage commands and the stages each runs first come from the stage registry
(:data:`spatialnqpf.report.stages.REGISTRY`: ``Stage.command``, ``Stage.requires``).

With no arguments ``spatialnqpf report`` analyses the bundled 31-province demo
panel with the demo indicator system and writes ``./spatialnqpf-report/``.
Nothing is written outside the ``--out`` folder.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

def single_stages() -> dict:
    """``{command: (stages it runs)}`` derived from the stage registry (data always runs first)."""
    from .report.stages import commands, with_requirements
    return {cmd: tuple(n for n in with_requirements([st.name]) if n != "data")
            for cmd, st in commands().items()}


def _add_run_options(p: argparse.ArgumentParser, default_out: str) -> None:
    p.add_argument("--config", "-c", help="TOML configuration (see `spatialnqpf init`)")
    p.add_argument("--data", "-d", help="data file (.csv, .xlsx, .dta); overrides [data] file")
    p.add_argument("--out", "-o", default=default_out, help=f"output folder (default: ./{default_out})")
    p.add_argument("--lang", choices=("zh", "en"), help="language of tables and figures")
    p.add_argument("--seed", type=int, help="seed of every random step (overrides [seeds] seed)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


def build_parser() -> argparse.ArgumentParser:
    from . import __version__
    parser = argparse.ArgumentParser(
        prog="spatialnqpf",
        description="Spatial econometrics of China's regional development: index, weights, "
                    "autocorrelation, regional differences, spatial panel models, reports.")
    parser.add_argument("--version", action="version", version=f"spatialnqpf {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="command")
    sub.add_parser("info", help="package, data and dependency information")
    p = sub.add_parser("init", help="write a commented configuration template")
    p.add_argument("path", nargs="?", default="analysis.toml", help="file to write (default analysis.toml)")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p = sub.add_parser("report", help="the whole analysis as a report (default: the bundled demo)")
    _add_run_options(p, "spatialnqpf-report")
    from .report.stages import commands
    for name, st in commands().items():
        p = sub.add_parser(name, help=st.help)
        _add_run_options(p, f"spatialnqpf-{name}")
    return parser


def _info() -> int:
    from . import __version__
    from ._environment import versions
    print(f"spatialnqpf {__version__}")
    try:
        from . import datasets
        panel = datasets.load_demo_panel()
        print(f"demo panel: {panel['code'].nunique()} provinces x {panel['year'].nunique()} years "
              f"({panel['year'].min()}-{panel['year'].max()}), {panel.shape[1]} columns")
    except Exception as exc:  # info must work even on a broken install
        print(f"demo panel: unavailable ({exc})")
    for mod in ("regions", "datasets", "index", "weights", "autocorrelation", "inequality", "dynamics",
                "models"):
        try:
            __import__(f"spatialnqpf.{mod}")
            status = "ok"
        except Exception as exc:
            status = f"unavailable ({type(exc).__name__}: {exc})"
        print(f"  spatialnqpf.{mod}: {status}")
    from .weights.registry import CONFIG_KINDS, label
    print("weight matrices ([weights] matrices): "
          + ", ".join(f"{k} ({label(k, 'en')})" for k in CONFIG_KINDS))
    from .report.fonts import find_cjk_font
    print(f"CJK font for figures: {find_cjk_font() or 'none (figures fall back to English)'}")
    for k, v in versions().items():
        print(f"  {k}: {v}")
    return 0


def _init(path: str, force: bool) -> int:
    from .report.config import template
    p = Path(path)
    if p.exists() and not force:
        print(f"error: {p} exists; use --force to overwrite", file=sys.stderr)
        return 2
    p.write_text(template(), encoding="utf-8")
    print(f"wrote {p}; edit it and run: spatialnqpf report --config {p}")
    return 0


def _run(args, stages, write=None) -> int:
    from ._validation import SpatialNQPFError
    from .report.builder import build_report
    from .report.config import load_config
    try:
        cfg = load_config(args.config)
        if args.seed is not None:
            cfg = cfg.replace(seeds={"seed": args.seed})
        res = build_report(cfg, out=args.out, data=args.data, lang=args.lang, stages=stages,
                           progress=not args.quiet, write=write,
                           label=f"spatialnqpf {args.command}")
    except SpatialNQPFError as exc:  # user input: one clear line, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # output folder not writable, a file where the folder should be, ...
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(res.summary())
    print(f"open {Path(res.files['html']).resolve()}")
    return 0 if res.ok else 1


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "info":
        return _info()
    if args.command == "init":
        return _init(args.path, args.force)
    if args.command == "report":
        return _run(args, None)
    single = single_stages()
    if args.command in single:
        from .report.stages import commands
        # the stages it needs run first (without figures); only its own outputs are written
        return _run(args, single[args.command], write=(commands()[args.command].name,))
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
