#!/usr/bin/env python3
"""Writes a valid dataset file that DECLARES 10 million trials and 10^7 stimuli of 10000x10000
float32 pixels (400 TB of stimuli), chunked and almost entirely unwritten, so the file itself is
a few kilobytes. Used to show that `receptive inspect` answers from metadata plus bounded samples
(docs/reliability.md). Only the first stimulus chunk and the first trials hold written values.

    /work/venv/bin/python scripts/make_huge_declared.py OUT.h5 [--stimuli N] [--trials T] [--side S]

The Swift test ReliabilityHugeFileTests writes the same layout through libhdf5 itself.
"""
import argparse

import h5py
import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--stimuli", type=int, default=10_000_000)
    ap.add_argument("--trials", type=int, default=10_000_000)
    ap.add_argument("--units", type=int, default=4)
    ap.add_argument("--side", type=int, default=10_000)
    a = ap.parse_args()
    n, t, u, s = a.stimuli, a.trials, a.units, a.side
    with h5py.File(a.out, "w") as f:
        f.attrs["modality"] = "spikes"
        stim = f.create_dataset("stimuli", shape=(n, s, s), dtype="float32", chunks=(1, min(s, 1000), min(s, 1000)))
        stim[0, :min(s, 1000), :min(s, 1000)] = np.random.default_rng(0).random((min(s, 1000), min(s, 1000)), dtype=np.float32)
        resp = f.create_dataset("responses", shape=(t, u), dtype="float32", chunks=(min(t, 65536), u))
        resp[:1000] = np.random.default_rng(1).poisson(2.0, (1000, u)).astype(np.float32)
        idx = f.create_dataset("stimulus_index", shape=(t,), dtype="int64", chunks=(min(t, 65536),))
        idx[:1000] = np.arange(1000) % n
        split = f.create_dataset("split", shape=(n,), dtype="uint8", chunks=(min(n, 65536),))
        split[:10] = [0, 0, 0, 0, 0, 0, 1, 1, 2, 2]


if __name__ == "__main__":
    main()
