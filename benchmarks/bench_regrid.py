"""A climate driver on another grid, warped onto a national 250 m grid lazily: wall time, pixels per second and
peak memory of ``carbontools.grid.regrid`` on dask input.

    .venv/bin/python benchmarks/bench_regrid.py [--size NY NX] [--chunk 2048] [--eager]

The source is an ERA5-Land-like monthly temperature at 0.1 deg over China (73-135 E, 18-54 N: 360 x 620 cells
x 12 months, smooth seasonal field plus noise); the target is an Albers equal-area grid of 250 m pixels centred
on China (``--size 15000 20000`` is China at 250 m).  The warped months are summed tile by tile (every tile is
computed, none kept), as a run or a Zarr write would take them.  ``--eager`` warps the same on numpy input (whole
months in memory) for comparison, at sizes a machine can hold.  Peak memory is the process's ``ru_maxrss``.
"""

import argparse
import os
import resource
import time

import dask
import numpy as np
import xarray as xr

from carbontools.grid import WARP_TILE, regrid

ALBERS = "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +datum=WGS84 +units=m +no_defs"


def era5_like() -> xr.DataArray:
    lat = 54.0 - 0.1 * (np.arange(360) + 0.5)
    lon = 73.0 + 0.1 * (np.arange(620) + 0.5)
    months = np.arange(12)
    season = -12.0 * np.cos(2 * np.pi * months / 12)[:, None, None]
    south = (54.0 - lat)[None, :, None] * 0.7
    noise = np.random.default_rng(0).normal(0.0, 1.0, (12, lat.size, lon.size))
    values = (season + south - 10.0 + noise + 0 * lon[None, None, :]).astype("float32")
    return xr.DataArray(values, dims=("time", "y", "x"), coords={"time": months, "y": lat, "x": lon},
                        name="tmean", attrs={"units": "degC"}).rio.write_crs("EPSG:4326")


def target_grid(ny: int, nx: int) -> xr.DataArray:
    y = 3_600_000.0 - 250.0 * (np.arange(ny) + 0.5) - (15000 - ny) * 125.0
    x = -2_500_000.0 + 250.0 * (np.arange(nx) + 0.5) + (20000 - nx) * 125.0
    return xr.Dataset(coords={"y": y, "x": x}).rio.write_crs(ALBERS)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, nargs=2, default=[15000, 20000], metavar=("NY", "NX"))
    parser.add_argument("--chunk", type=int, default=2048, help="chunks of the result (a run's chunks)")
    parser.add_argument("--eager", action="store_true", help="numpy input: every month warped whole in memory")
    args = parser.parse_args()
    ny, nx = args.size
    source, target = era5_like(), target_grid(ny, nx)
    pixels = 12 * ny * nx
    print(f"regrid 0.1 deg (360 x 620 x 12) onto {ny} x {nx} x 12 at 250 m (Albers), {pixels / 1e9:.2f} G pixels, "
          f"{'eager' if args.eager else f'lazy, tiles of {WARP_TILE}, chunks {args.chunk}'}; "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)
    start = time.perf_counter()
    with dask.config.set(scheduler="threads"):
        if args.eager:
            out = regrid(source, target)
            total = float(out.sum())
        else:
            out = regrid(source.chunk({"time": 1}), target).chunk({"time": 1, "y": args.chunk, "x": args.chunk})
            built = time.perf_counter() - start
            total = float(out.sum().compute())
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    whole = pixels * 4 / 1e9
    graph = "" if args.eager else f" (graph built in {built:.1f} s, {len(out.data.__dask_graph__())} tasks)"
    print(f"  wall time {wall:.1f} s{graph}; {pixels / wall / 1e6:.1f} M pixels/s; peak memory {peak:.2f} GB "
          f"against {whole:.2f} GB for the whole warped driver in float32; sum {total:.6g}")


if __name__ == "__main__":
    main()
