"""Zonal totals by China's provinces on a lazily generated 250 m geographic grid: wall time and peak memory of
the block sums (``zonal_totals``' default) and of the dense (zone, y, x) weights (``method='dense'``).

    .venv/bin/python benchmarks/bench_zonal.py [--new 64 16 4] [--old 4096 1024] [--chunk 1000]

The grid is a window of China at 0.0025 degrees (about 250 m; the whole country is about 20,000 x 15,000
cells) centred on 113.5 E, 30.5 N where many provinces meet; ``--new 16 4`` are 1/16 (3750 x 5000 cells) and
1/4 (7500 x 10000) of the country.  The regions are the 34 provincial-level divisions of
``carbontools.io.read_china_admin("province")`` (WGS84; those off the window are empty rows).  The values
are a float32 annual field generated per chunk inside the dask graph (with NaN cells), so the scene is never
in memory.  Each measurement runs in its own process, so the peak resident set (``ru_maxrss``) is its own;
the dense path builds regionmask's 10 x 10 sample points of every cell for every region (its memory grows
with regions x cells x 100), so it runs on much smaller windows (``--old``); where both run on the same
window the relative difference of their totals is printed.
"""

import argparse
import json
import resource
import subprocess
import sys
import time

import dask.array as da
import numpy as np
import xarray as xr

STEP = 0.0025
CHINA = (15_000, 20_000)  # about China at 250 m: rows, columns
CENTRE = (30.5, 113.5)  # lat, lon


def _field(block, block_info=None):
    info = block_info[None]
    (y0, _), (x0, _) = info["array-location"]
    rng = np.random.default_rng(hash(tuple(info["chunk-location"])) % (2**32))
    shape = info["chunk-shape"]
    out = 300.0 + 50.0 * np.sin(np.arange(y0, y0 + shape[0])[:, None] / 500.0) + rng.normal(0, 80, shape)
    out[rng.random(shape) < 0.02] = np.nan
    return out.astype(np.float32)


def window(fraction: int, chunk: int) -> xr.DataArray:
    """1/fraction of China's cells, lazily, centred on CENTRE."""
    scale = np.sqrt(fraction)
    ny, nx = int(round(CHINA[0] / scale)), int(round(CHINA[1] / scale))
    lat = CENTRE[0] + STEP * (ny / 2 - 0.5 - np.arange(ny))
    lon = CENTRE[1] + STEP * (np.arange(nx) - nx / 2 + 0.5)
    data = da.empty((ny, nx), chunks=(chunk, chunk), dtype=np.float32).map_blocks(_field, dtype=np.float32)
    values = xr.DataArray(data, dims=("y", "x"), coords={"y": lat, "x": lon}, name="nep")
    return values.rio.write_crs("EPSG:4326").assign_attrs(units="g C m-2 yr-1")


def one(fraction: int, method: str, chunk: int) -> dict:
    import warnings

    from carbontools.accounting import zonal_totals
    from carbontools.io import read_china_admin

    provinces = read_china_admin("province")
    values = window(fraction, chunk)
    if method == "dense":
        values = values.compute()  # the dense weights are in memory anyway
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = zonal_totals(values, provinces, unit="Tg C", method="auto" if method == "blocks" else "dense")
    seconds = time.perf_counter() - started
    return {"fraction": fraction, "method": method, "cells": int(values.size), "seconds": round(seconds, 2),
            "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "regions_with_cells": int((table["pixels"] > 0).sum()), "total": float(table["total"].sum()),
            "totals": table["total"].fillna(0.0).tolist()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--new", type=int, nargs="*", default=[64, 16, 4], help="block sums on 1/N of China")
    ap.add_argument("--old", type=int, nargs="*", default=[4096, 1024], help="dense weights on 1/N of China")
    ap.add_argument("--chunk", type=int, default=1000)
    ap.add_argument("--one", nargs=2, metavar=("FRACTION", "METHOD"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(int(args.one[0]), args.one[1], args.chunk)))
        return
    runs = [(f, "blocks") for f in sorted(set(args.new) | set(args.old), reverse=True)]
    runs += [(f, "dense") for f in sorted(args.old, reverse=True)]
    print(f"zonal totals by 34 provinces, 0.0025 degree grid, chunks {args.chunk} x {args.chunk}, 2-core machine")
    print(f"{'window':>8} {'cells':>12} {'method':>7} {'seconds':>8} {'peak MB':>8} {'regions':>8} {'sum Tg C':>10}")
    results = {}
    for fraction, method in runs:
        done = subprocess.run([sys.executable, __file__, "--one", str(fraction), method, "--chunk", str(args.chunk)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            print(f"{'1/' + str(fraction):>8} {'':>12} {method:>7} failed: {done.stderr.strip().splitlines()[-1:]}")
            continue
        r = json.loads(done.stdout.strip().splitlines()[-1])
        results[fraction, method] = r
        print(f"{'1/' + str(fraction):>8} {r['cells']:>12,} {method:>7} {r['seconds']:>8.2f} {r['peak_mb']:>8} "
              f"{r['regions_with_cells']:>8} {r['total']:>10.4f}")
    for fraction in args.old:
        if (fraction, "blocks") in results and (fraction, "dense") in results:
            a = np.array(results[fraction, "blocks"]["totals"])
            b = np.array(results[fraction, "dense"]["totals"])
            diff = np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300)
            print(f"1/{fraction}: block sums vs dense weights, largest difference of a region's total: {diff:.1e} "
                  "of the largest total")


if __name__ == "__main__":
    main()
