"""Benchmark 2 of issue 14: a Pearl-River-Delta-size batch run from files on disk, via the config CLI.

About 55,000 km2 at 250 m: 1000 x 900 pixels, 24 months.  The drivers are the demo generator's scene
(carbontools.demo.delta_city(1000), cut to 900 columns), written first as provider-like files:

- ``loader``: one NetCDF per monthly driver, the land cover and the impervious fraction as GeoTIFFs, read by a
  load_drivers config inside the run config;
- ``file``: one drivers NetCDF (opened lazily in the run's chunks).

Each case then runs ``carbontools run CONFIG.yaml --quiet`` in a child process (results NetCDF with all
of run's variables, COGs of the annual maps, tables by the demo's districts and by land cover) and
prints its wall time and peak memory (the child's own ru_maxrss from os.wait4: dask's threads live in it).

With ``--scaling`` it prints instead a table of peak memory against scene size and chunk size: a drivers
NetCDF (the lazy path) of 1000 x 900 and 2000 x 1800 pixels x 24 months, each run in 256- and 512-pixel chunks
(every other setting as above).  Peak memory bounded by the chunk size shows as a peak that grows with the chunk
and stays flat with the scene.  Measured on this 2-core machine (shared with other jobs, so walls vary), peak
child ru_maxrss in MB: before -> after the lazy-path fixes of the ``batchmem`` branch -> with the tables summed
block by block (accounting.zonal_tables) and the class codes found block by block (landcover.present_codes):

    scene        chunk 256              chunk 512
    1000 x 900   1,035 ->   721 -> 677  1,568 -> 1,430 -> 1,391
    2000 x 1800  2,316 -> 1,185 -> 664  2,801 -> 1,671 -> 1,410

The peak now follows the chunk size and not the scene.

    python benchmarks/bench_batch.py [--case loader|file|both] [--scheduler threads] [--keep DIR]
    python benchmarks/bench_batch.py --scaling [--sizes 1000x900,2000x1800] [--chunks 256,512]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

NY, NX, SIZE = 1000, 900, 1000


def write_drivers_file(folder: Path, ny: int, nx: int) -> None:
    """Only the drivers NetCDF and the districts of an ny x nx scene (the demo's scene of size ny, cut to nx)."""
    from carbontools import demo

    t0 = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    demo.delta_city(size=ny).isel(x=slice(0, nx)).to_netcdf(folder / "drivers.nc", engine="h5netcdf")
    demo.districts(size=ny).to_file(folder / "districts.geojson")
    print(f"inputs: {ny} x {nx} pixels x 24 months written in {time.perf_counter() - t0:.1f} s "
          f"({(folder / 'drivers.nc').stat().st_size / 1e6:,.0f} MB)")


def write_inputs(folder: Path) -> None:
    import rioxarray  # noqa: F401

    from carbontools import demo

    t0 = time.perf_counter()
    scene = demo.delta_city(size=SIZE).isel(x=slice(0, NX))
    for name in ("ndvi", "tmean", "precip", "srad"):
        scene[[name]].to_netcdf(folder / f"{name}.nc", engine="h5netcdf")
    for name, dtype in (("landcover", "uint8"), ("impervious", "float32")):
        da = scene[name].astype(dtype)
        da.attrs = {}
        da.rio.write_crs(scene.rio.crs).rio.to_raster(folder / f"{name}.tif", driver="COG")
    scene.to_netcdf(folder / "drivers.nc", engine="h5netcdf")
    demo.districts(size=SIZE).to_file(folder / "districts.geojson")
    print(f"inputs: {NY} x {NX} pixels x {scene.sizes['time']} months written in {time.perf_counter() - t0:.1f} s "
          f"({sum(p.stat().st_size for p in folder.iterdir()) / 1e6:,.0f} MB)")


def config(case: str) -> dict:
    if case == "loader":
        drivers = {name: {"path": f"{name}.nc", "variable": name, "units": units}
                   for name, units in (("ndvi", "1"), ("tmean", "degC"), ("precip", "mm month-1"),
                                       ("srad", "MJ m-2 month-1"))}
        drivers["landcover"] = {"path": "landcover.tif", "scheme": "clcd"}
        drivers["impervious"] = {"path": "impervious.tif", "units": "1"}
    else:
        drivers = "drivers.nc"
    return {"drivers": drivers, "regions": {"path": "districts.geojson", "name_column": "name"},
            "output": f"out_{case}", "format": "netcdf"}


def _child_env() -> dict:
    """This process's environment, with this checkout's carbontools first on the child's path."""
    root = str(Path(__file__).resolve().parents[1])
    return {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}


def run_case(folder: Path, case: str, scheduler: str, chunk: int | None = None, pixels: int = NY * NX) -> dict:
    path = folder / f"run_{case}.yaml"
    cfg = config(case)
    if chunk is not None:
        cfg["chunks"] = {"y": chunk, "x": chunk}
    path.write_text(yaml.safe_dump(cfg))
    cmd = [sys.executable, "-m", "carbontools.cli", "run", str(path), "--quiet", "--scheduler", scheduler]
    with open(folder / f"{case}.out", "w") as out, open(folder / f"{case}.err", "w") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=folder, stdout=out, stderr=err, env=_child_env())
        try:
            import psutil

            child = psutil.Process(proc.pid)
        except ImportError:
            child = None
        sampled = 0
        while True:  # wait4: this child's own rusage (ru_maxrss in kB on Linux); meanwhile sample its RSS
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if child is not None:
                try:
                    sampled = max(sampled, child.memory_info().rss)
                except psutil.Error:
                    pass
            time.sleep(0.1)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
    # Linux counts in a child's ru_maxrss the RSS it inherits at fork: so this process stays small (the inputs are
    # written by another child, and carbontools is not imported here)
    if proc.returncode != 0:
        raise SystemExit(f"{case}: carbontools run failed:\n{(folder / f'{case}.err').read_text()}")
    record = json.loads((folder / f"out_{case}" / "run.json").read_text())
    written = sum(f["bytes"] for f in record["summary"]["files"])
    print((folder / f"{case}.out").read_text().rstrip())
    return {"case": case, "wall_s": wall, "peak_mb": usage.ru_maxrss / 1024, "sampled_mb": sampled / 2**20,
            "written_mb": written / 1e6,
            "pixel_months_per_s": pixels * 24 / wall}


def scaling(folder: Path, sizes: list[tuple[int, int]], chunks: list[int], scheduler: str) -> None:
    rows = []
    for ny, nx in sizes:
        scene = folder / f"{ny}x{nx}"
        subprocess.run([sys.executable, __file__, "--write-drivers", str(scene), str(ny), str(nx)], check=True,
                       env=_child_env())
        for chunk in chunks:
            r = run_case(scene, "file", scheduler, chunk=chunk, pixels=ny * nx)
            shutil.rmtree(scene / "out_file")
            rows.append((ny, nx, chunk, r))
        shutil.rmtree(scene)
    print(f"\npeak memory of `carbontools run` on a drivers NetCDF (all outputs, maps, tables), {scheduler}, "
          f"{os.cpu_count()} cores")
    print(f"{'scene':>11} {'chunk':>6} {'wall s':>7} {'peak MB':>8} {'sampled MB':>11} {'written MB':>11}")
    for ny, nx, chunk, r in rows:
        print(f"{ny:>5} x {nx:<4} {chunk:>6} {r['wall_s']:>7.1f} {r['peak_mb']:>8,.0f} {r['sampled_mb']:>11,.0f} "
              f"{r['written_mb']:>11,.0f}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--case", choices=("loader", "file", "both"), default="both")
    parser.add_argument("--scheduler", default="threads")
    parser.add_argument("--keep", help="write inputs and outputs here (default: a temporary folder, deleted)")
    parser.add_argument("--scaling", action="store_true", help="peak memory by scene size and chunk size")
    parser.add_argument("--sizes", default="1000x900,2000x1800", help="scenes of --scaling, NYxNX,...")
    parser.add_argument("--chunks", default="256,512", help="chunk sizes (pixels) of --scaling")
    args = parser.parse_args(argv)
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_batch_"))
    folder.mkdir(parents=True, exist_ok=True)
    if args.scaling:
        try:
            scaling(folder, [tuple(int(n) for n in s.split("x")) for s in args.sizes.split(",")],
                    [int(c) for c in args.chunks.split(",")], args.scheduler)
        finally:
            if not args.keep:
                shutil.rmtree(folder, ignore_errors=True)
        return
    try:
        subprocess.run([sys.executable, __file__, "--write-inputs", str(folder)], check=True, env=_child_env())
        cases = ("loader", "file") if args.case == "both" else (args.case,)
        rows = [run_case(folder, case, args.scheduler) for case in cases]
        for r in rows:
            print(f"batch {r['case']:>6}: {NY} x {NX} x 24 on {os.cpu_count()} cores, {args.scheduler}: "
                  f"wall {r['wall_s']:.1f} s, peak memory {r['peak_mb']:,.0f} MB (child ru_maxrss; "
                  f"{r['sampled_mb']:,.0f} MB sampled RSS), "
                  f"{r['written_mb']:,.0f} MB written, {r['pixel_months_per_s'] / 1e6:.2f} M pixel-months/s")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--write-inputs"]:
        write_inputs(Path(sys.argv[2]))
    elif sys.argv[1:2] == ["--write-drivers"]:
        write_drivers_file(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    else:
        main()
