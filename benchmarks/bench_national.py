"""A national-size run (China at 250 m: about 20,000 x 15,000 pixels, 12 months) on lazily generated drivers,
written to Zarr; prints wall time, pixel-months per second and peak memory.

    .venv/bin/python benchmarks/bench_national.py [--size NY NX] [--chunk 1000] [--engine auto] [--no-check]

The drivers are generated chunk by chunk inside the dask graph (smooth seasonal fields plus noise seeded
by the chunk's position, as carbontools.demo makes its scene), so nothing of the whole scene is ever in
memory; the run keeps only ``nep_annual``, ``npp_annual`` and ``rh_annual`` and writes them to a Zarr
store in a temporary directory (deleted afterwards).  Peak memory is the process's peak resident set
(``ru_maxrss``).  ``--size 7500 10000`` is a quarter of the area, for a shared machine.
"""

import argparse
import os
import resource
import shutil
import tempfile
import time
import zlib

import dask
import dask.array as da
import numpy as np
import pandas as pd
import xarray as xr

import carbontools as ct
from carbontools.demo import P_CLIM, SW_DAILY, T_CLIM

OUTPUTS = ("nep_annual", "npp_annual", "rh_annual")
CLASSES = np.array([1, 2, 4, 5, 6, 7, 7, 7, 8, 9, 10])  # CASA classes, cropland/grass (7) three times as often


_CUBES: dict = {}


def _noise(block_id, shape, salt):
    """Standard-normal noise for one block, cheap: a (12, chunk, chunk) cube drawn once per process and shape,
    rolled by offsets seeded by the block's position and ``salt`` (one copy per block instead of drawing
    millions of normals: the benchmark times the model, not the random-number generator)."""
    key = tuple(shape)
    cube = _CUBES.get(key)
    if cube is None:
        cube = _CUBES[key] = np.random.default_rng(2020).standard_normal(shape, dtype=np.float32)
    rng = np.random.default_rng(zlib.crc32(repr((salt,) + tuple(block_id)).encode()))
    shifts = tuple(int(rng.integers(n)) for n in shape[-2:])
    return np.roll(cube, shifts, axis=(-2, -1))


def _monthly(kind):
    def make(block, block_info=None):
        info = block_info[None]
        shape = info["chunk-shape"]
        (t0, _), (y0, _), (x0, _) = info["array-location"]
        ny_total = info["shape"][1]
        lat_shift = (np.arange(y0, y0 + shape[1], dtype=np.float32) / ny_total - 0.5)[None, :, None]
        months = (np.arange(t0, t0 + shape[0]) % 12)
        noise = _noise(info["chunk-location"], shape, kind)
        if kind == "tmean":
            base = T_CLIM[months].astype(np.float32)[:, None, None] - 25.0 * lat_shift
            return base + 1.5 * noise
        if kind == "precip":
            base = P_CLIM[months].astype(np.float32)[:, None, None] * (1.0 - lat_shift)
            return np.maximum(base * (1.0 + 0.3 * noise), 0.0)
        if kind == "srad":
            days = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.float32)[months]
            return (SW_DAILY[months].astype(np.float32) * days)[:, None, None] * (1.0 + 0.05 * noise)
        season = np.sin((months - 3) / 12.0 * 2 * np.pi).astype(np.float32)[:, None, None]
        return np.clip(0.45 + 0.25 * season - 0.2 * lat_shift + 0.05 * noise, -0.1, 0.9)

    return make


def _landcover(block, block_info=None):
    info = block_info[None]
    noise = _noise(info["chunk-location"], info["chunk-shape"], "landcover")
    index = np.clip(((noise + 2.5) / 5.0 * len(CLASSES)).astype(int), 0, len(CLASSES) - 1)
    return CLASSES[index].astype(np.uint8)


def lazy_drivers(ny: int, nx: int, chunk: int, year: int = 2020) -> xr.Dataset:
    """Drivers of ``ny`` x ``nx`` pixels for one year, generated per (12, chunk, chunk) block when computed."""
    time = pd.date_range(f"{year}-01-01", periods=12, freq="MS")
    chunks3 = (12, chunk, chunk)
    template = da.empty((12, ny, nx), chunks=chunks3, dtype=np.float32)
    units = {"ndvi": "1", "tmean": "degC", "precip": "mm month-1", "srad": "MJ m-2 month-1"}
    data = {k: (("time", "y", "x"), template.map_blocks(_monthly(k), dtype=np.float32), {"units": u})
            for k, u in units.items()}
    lc = da.empty((ny, nx), chunks=(chunk, chunk), dtype=np.uint8).map_blocks(_landcover, dtype=np.uint8)
    data["landcover"] = (("y", "x"), lc, {"scheme": "casa"})
    coords = {"time": time, "y": 4_500_000.0 - 250.0 * (np.arange(ny) + 0.5),
              "x": -2_500_000.0 + 250.0 * (np.arange(nx) + 0.5)}
    return xr.Dataset(data, coords=coords).rio.write_crs("EPSG:32649")


def cpu_seconds() -> float:
    """CPU seconds (user + system, all threads) this process has used so far."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def load() -> str:
    return "load average %.2f %.2f %.2f" % os.getloadavg()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, nargs=2, default=[15000, 20000], metavar=("NY", "NX"))
    parser.add_argument("--chunk", type=int, default=1000)
    parser.add_argument("--engine", default="auto")
    parser.add_argument("--no-check", action="store_true", help="skip the plausibility pass over the drivers")
    args = parser.parse_args()
    ny, nx = args.size
    drivers = lazy_drivers(ny, nx, args.chunk)
    pm = 12 * ny * nx
    print(f"national run {ny} x {nx} x 12 ({pm / 1e9:.2f} G pixel-months), chunks {args.chunk}, "
          f"check={not args.no_check}, outputs {OUTPUTS}; at the start: {load()}", flush=True)
    warm = ct.pipeline.warm_up_kernel()
    target = tempfile.mkdtemp(prefix="carbontools-national-")
    try:
        with dask.config.set(scheduler="threads"):
            start, cpu0 = time.perf_counter(), cpu_seconds()  # one pass of the generator alone, to subtract
            dask.compute(*[drivers[k].sum() for k in ("ndvi", "tmean", "precip", "srad", "landcover")])
            generation, gen_cpu = time.perf_counter() - start, cpu_seconds() - cpu0
            start, cpu0 = time.perf_counter(), cpu_seconds()
            result = ct.run(drivers, check=not args.no_check, engine=args.engine, outputs=OUTPUTS)
            prepared = time.perf_counter() - start
            result.to_zarr(f"{target}/national.zarr", mode="w")
            wall, cpu = time.perf_counter() - start, cpu_seconds() - cpu0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # kB -> GB
        written = sum(f.stat().st_size for f in __import__("pathlib").Path(target).rglob("*") if f.is_file())
    finally:
        shutil.rmtree(target, ignore_errors=True)
    passes = 1 if args.no_check else 2  # check=True reads (here: generates) the drivers once more
    print(f"  engine {result.attrs['engine']} (kernel compiled or loaded from numba's cache first: {warm:.1f} s)")
    print(f"  wall time {wall:.1f} s = run() {prepared:.1f} s (prepare: checks, class codes) + computing and writing "
          f"Zarr {wall - prepared:.1f} s; {pm / wall / 1e6:.1f} M pixel-months/s; peak memory {peak:.2f} GB; "
          f"Zarr written {written / 1e9:.2f} GB")
    print(f"  CPU time of the run {cpu:.1f} s (all threads; on {os.cpu_count()} idle cores at least {cpu / os.cpu_count():.0f} s "
          f"wall), of the generation pass {gen_cpu:.1f} s")
    print(f"  generating the drivers alone (one pass): {generation:.1f} s; the run generates them {passes} time(s), "
          f"so about {passes * generation:.1f} s of the wall time is the benchmark's own input")
    full = 12 * 15000 * 20000
    if pm < full:
        print(f"  extrapolated to China at 250 m (15000 x 20000): {wall * full / pm:.0f} s wall at this load, "
              f"{cpu * full / pm:.0f} CPU s "
              f"(linear in pixels; memory stays bounded by the chunks)")
    print(f"  at the end: {load()}")


if __name__ == "__main__":
    main()
