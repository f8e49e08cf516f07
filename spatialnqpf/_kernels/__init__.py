"""Pure numerical kernels (numpy/scipy/numba only; no pandas, no plotting, no I/O)."""
