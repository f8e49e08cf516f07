"""Export libpysal's 46-state contiguity (spat-sym-us.mat) as an edge list keyed by Cigar state codes.

Tool: Python 3.11, libpysal 4.14.1, scipy.  Run: ``python tests/reference/cigar_export_w.py``.
Output: tests/reference/cigar_w46_edges.csv (focal, neighbor), read by the tests and by
cigar_spatialreg.R.  The .mat matrix is ordered by the Cigar state codes ascending
(1, 3, 4, ..., 51; docs/methods/models.md §6), 188 directed links, symmetric, binary.
"""
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.io as sio
from libpysal import examples

CODES = [1, 3, 4, 5, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
         27, 28, 29, 30, 31, 32, 33, 35, 36, 37, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51]

if __name__ == "__main__":
    path = Path(examples.__file__).parent / "wmat" / "spat-sym-us.mat"
    W = np.asarray(sio.loadmat(path)["spat0x2Dsym0x2Dus"])
    i, j = np.nonzero(W)
    out = Path(__file__).with_name("cigar_w46_edges.csv")
    with open(out, "w") as f:
        f.write("# Binary contiguity of the 46 states of plm::Cigar (188 directed links, symmetric).\n")
        f.write("# Source: libpysal 4.14.1 examples/wmat/spat-sym-us.mat (Elhorst's 46-state matrix);\n")
        f.write("# its row/column order is the Cigar state codes ascending; exported by "
                "tests/reference/cigar_export_w.py.\n")
        pd.DataFrame({"focal": np.array(CODES)[i], "neighbor": np.array(CODES)[j]}).to_csv(f, index=False)
