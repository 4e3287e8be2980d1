"""Figures for Twinsim run folders (`twinsim plot RUN_DIR`, or postprocess/plot.py).

One module per solver family; each exposes `plot(run, out) -> list of written paths`.
Only Debian's python3-numpy, python3-h5py and python3-matplotlib are needed.
"""
