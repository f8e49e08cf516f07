"""The default ``spatialnqpf report`` end to end: total, stages against writing, share writing.

Run by hand:  python benchmarks/bench_report.py [--repeat N] [--tree PATH]

One process runs the default report (bundled demo, every stage, every format) the way
``spatialnqpf report`` does, so the first run includes the imports a user waits for;
``--repeat`` adds warm runs.  Printed per run: the total wall time, the time of each
stage *without* the figure files it saves, and the writing time = figure files
(PNG + SVG) + tables (tex/docx/xlsx/csv/html/md, all_tables.*) + results.json +
report.html/.md/.docx, with its share of the total.  ``--tree`` runs the package of
another checkout (e.g. an export of an older commit) in the same conditions, so
before/after figures are taken back to back.  The peer is that older tree: there is
no other tool that writes this report.

Measured 2026-12-02 on the 2-core machine, shared with other work, before (aff3c57) and
after back to back, first run of a fresh process each:

    load ~2.5  before: total  55.6 s; stages 13.2 s; writing 42.4 s (76 %) = figure files 11.0 s
                       + tables and reports 31.4 s
               after:  total  24.5 s; stages 11.1 s; writing 13.4 s (55 %) = figure files 10.0 s
                       + tables and reports  3.4 s (14 % of the run)
    load ~5.5  before 105.0 s, after 29.1 s;  load ~9: before 167.0 s, after 64.1 s.

Quiet machine (2026-12-02, load average < 1, after every branch of the session was merged;
the "after" run also has the patterns stage and 9 999 LISA permutations instead of 999):

    before (aff3c57): total 33.9 s; stages 8.1 s; writing 25.8 s (76 %) = figure files 6.5 s
                      + tables and reports 19.3 s
    after:            total 13.4 s; stages 5.5 s; writing 7.9 s (59 %) = figure files 5.8 s
                      + tables and reports 2.1 s (16 % of the run)

Left: the figure files (14 figures as PNG and SVG: a layout pass for the tight box, then
one render per format) and, in the dynamics stage, importing giddy.markov -> mapclassify,
which compiles a numba function at import (5-10 s here, once per process).
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=1, help="runs in this process (first: cold imports)")
    ap.add_argument("--tree", default=str(Path(__file__).resolve().parents[1]),
                    help="checkout whose spatialnqpf is run (default: this one)")
    ap.add_argument("--out", help="output folder (default: a temporary folder)")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(Path(args.tree).resolve()))
    t_imp = time.perf_counter()
    import spatialnqpf
    from spatialnqpf.report import builder
    from spatialnqpf.report.stages import _base
    t_imp = time.perf_counter() - t_imp
    print(f"spatialnqpf from {Path(spatialnqpf.__file__).parent}; import {t_imp:.1f} s")

    saved = {"s": 0.0, "by_stage": {}}
    real_save = _base.save_figure
    current = {"stage": None}

    def timed_save(*a, **k):  # figure files are writing, not the analysis of the stage
        t = time.perf_counter()
        try:
            return real_save(*a, **k)
        finally:
            dt = time.perf_counter() - t
            saved["s"] += dt
            st = current["stage"]
            saved["by_stage"][st] = saved["by_stage"].get(st, 0.0) + dt
    _base.save_figure = timed_save
    real_run_stage = builder.run_stage

    def run_stage(state, name):
        current["stage"] = name
        return real_run_stage(state, name)
    builder.run_stage = run_stage

    for k in range(args.repeat):
        saved["s"], saved["by_stage"] = 0.0, {}
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(args.out or tmp) / f"run{k}"
            t0 = time.perf_counter()
            res = builder.build_report(None, out=out, progress=False)
            total = time.perf_counter() - t0
        stage_all = sum(s.seconds for s in res.stages)
        compute = stage_all - saved["s"]
        writing = total - compute
        print(f"run {k + 1}{' (cold)' if k == 0 else ''}: total {total:.1f} s; "
              f"stages {compute:.1f} s; writing {writing:.1f} s ({100 * writing / total:.0f} %) = "
              f"figure files {saved['s']:.1f} s + tables and reports {total - stage_all:.1f} s")
        print("   stages without their figure files: " + ", ".join(
            f"{s.name} {s.seconds - saved['by_stage'].get(s.name, 0.0):.1f}" for s in res.stages))
        w = res.footer.get("timings", {}).get("writing")
        if w:
            print("   writing phases: " + ", ".join(f"{k2} {v:.1f}" for k2, v in w.items()))


if __name__ == "__main__":
    main()
