"""Batch runs from a run config: ``carbontools run CONFIG.yaml`` and :func:`run_config`.

A run config (YAML / JSON, or a dict; schema in :func:`carbontools.io.config.validate_run_config`) names
the drivers (a :func:`carbontools.io.load_drivers` config, inline or as a file, or a drivers NetCDF /
Zarr), the model choices of :func:`carbontools.run`, the tables to report and an output directory.  The
directory receives::

    results.nc | results.zarr       the run's variables (``outputs``; the class maps always)
    maps/<variable>_<year>.tif      Cloud-Optimized GeoTIFFs of the annual maps (``maps``)
    tables/totals_by_region.csv     totals by region (``regions``) and by land cover, per variable and year
    tables/totals_by_landcover.csv
    run.json                        the run record: the config as resolved, versions, times, files written

Order of work: the whole config is checked first, then the drivers are opened lazily (in ``chunks``)
and checked against the model (units, period, drivers needed, regions on the grid), then the outputs
already in the directory are looked at; only then is anything computed or written.  Every file is
written under a temporary name in the same directory and renamed when complete (``os.replace``; a
Zarr store is a temporary directory renamed at the end), so a run that stops midway never leaves a
file under a final name.  ``resume=True`` keeps the finished outputs as they are (not rewritten) and
writes the rest; a Zarr store is written in bands of rows (one band per chunk row), and an
interrupted store resumes at the first band not written.  Without ``resume`` or ``overwrite`` a run
into a directory that holds any of its outputs is refused before anything changes.

The model is applied on dask and each output is written chunk by chunk: a drivers NetCDF / Zarr, or the
files of a loader config (:func:`carbontools.io.load_drivers` with ``chunks``; a driver on another grid than
the target is still regridded whole), is read window by window in the run's chunks, only the config's ``outputs`` are computed, the results are written
chunk by chunk and the maps tile by tile, so that part of the memory follows the chunk size, not the scene.
The tables too: :func:`carbontools.accounting.zonal_tables` sums every variable and year by region and by
land cover in one pass over the results, block by block (regions that do not overlap are rasterised per
block; overlapping regions alone fall back to (zone, y, x) weights, whose memory grows with the scene;
``benchmarks/bench_zonal.py`` measures the tables, ``benchmarks/bench_batch.py --scaling`` the run).  ``scheduler``: ``'threads'`` (default), ``'processes'``, ``'local'`` (a
dask.distributed LocalCluster of 2 single-threaded workers on this machine) or the address of a
running dask.distributed scheduler (``'tcp://host:8786'``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
import time
import warnings
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from . import __version__
from .io.config import CHUNK_DIMS, ConfigError, DriversConfig, RunConfig, validate_run_config

__all__ = ["run_config", "open_drivers", "planned_outputs", "OutputsExist", "SCHEDULERS"]

#: the named schedulers (anything else must be the address of a dask.distributed scheduler)
SCHEDULERS = ("threads", "processes", "local")
RECORD = "run.json"
#: the mark of a temporary name (``.results.nc.partial``): a file being written, never a finished one
PARTIAL = ".partial"
#: Zarr format 2 with consolidated metadata: what most Zarr readers (xarray, GDAL, zarr-python 2 and 3) open
ZARR_FORMAT = 2
BANDS_STATE = ".bands.json"  # beside the temporary store: the rows written so far
VERSIONED = ("numpy", "pandas", "xarray", "dask", "distributed", "rioxarray", "rasterio", "h5netcdf", "zarr",
             "geopandas", "regionmask")


class OutputsExist(FileExistsError):
    """The output directory holds outputs of this run already (pass resume=True or overwrite=True), or
    outputs that another config wrote (then only overwrite=True, or another directory)."""


@dataclass(frozen=True)
class Output:
    kind: str  # results | map | table | record
    path: Path
    variable: str | None = None
    year: int | None = None
    zoning: str | None = None


# --- opening and checking, before anything is computed ----------------------------------------------

def _chunks_for(ds: xr.Dataset, chunks: dict) -> dict:
    return {d: s for d, s in chunks.items() if d in ds.dims}


def open_drivers(cfg: RunConfig) -> xr.Dataset:
    """The drivers of a checked run config, opened lazily in its chunks and cut to its period.

    Problems found here (a driver file that cannot be read, a unit that cannot be converted, months the
    drivers lack) raise :class:`ConfigError` naming the config key.
    """
    from .grid import monthly_index
    from .io.drivers import _coverage_message, _missing_months, load_drivers

    try:
        if isinstance(cfg.drivers, DriversConfig):
            ds = load_drivers(cfg.drivers, chunks=cfg.chunks)  # opened lazily, each chunk reading its window
            name = Path(cfg.drivers.source).name if cfg.drivers.source != "config" else "the drivers"
        else:
            p = cfg.drivers
            name = p.name
            # opened in the run's chunks, so that each task reads its own window of the file: opened with the
            # file's chunks and rechunked, a contiguous (unchunked) NetCDF variable is one dask chunk, read whole
            # by every task that needs a piece of it (the peak then grows with the scene)
            chunks = {d: s for d, s in cfg.chunks.items() if d in CHUNK_DIMS}
            if p.suffix.lower() == ".zarr" or p.is_dir():
                ds = xr.open_zarr(p, decode_coords="all", chunks=chunks)
            else:
                ds = xr.open_dataset(p, decode_coords="all", chunks=chunks)
            ds = ds.chunk(_chunks_for(ds, cfg.chunks))
    except ConfigError:
        raise
    except (OSError, ValueError, KeyError) as err:
        raise ConfigError(cfg.source, [f"drivers: {err}"]) from err
    if cfg.period is not None:
        if "time" not in ds.dims:
            raise ConfigError(cfg.source, [f"period: the drivers ({name}) have no time axis"])
        months = {"drivers": monthly_index(ds["time"].values, "drivers", gaps=True)}
        target, missing = _missing_months(months, cfg.period)
        if missing["drivers"]:
            raise ConfigError(cfg.source, ["period: " + _coverage_message(months, missing, {"drivers": name},
                                                                         cfg.period)])
        ds = ds.sel(time=slice(target[0].start_time, target[-1].end_time))
    return ds


def _preflight(cfg: RunConfig, ds: xr.Dataset):
    """Check the drivers against the model and the regions against the grid (no model computation)."""
    from . import pipeline

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the run itself warns, once
        try:
            pipeline.prepare(ds, cfg.casa, cfg.rh, check=False, urban_soils=cfg.urban_soils, **cfg.parameters)
        except (TypeError, ValueError) as err:
            raise ConfigError(cfg.source, [f"drivers: {err}"]) from err
    zones = None
    if cfg.regions is not None:
        from .accounting import RegionZones, region_zones
        from .io import read_regions

        try:
            regions = read_regions(cfg.regions.path, cfg.regions.name_column, crs=cfg.regions.crs)
            # regions that do not overlap are rasterised block by block when the tables are made; overlapping
            # ones are (zone, y, x) weights, which grow with the grid
            zones = region_zones(regions, ds, name_column="name")
        except (OSError, ValueError) as err:
            fix = "; set regions.name_column" if "no column" in str(err) else ""
            raise ConfigError(cfg.source, [f"regions: {err}{fix}"]) from err
        empty = zones.empty if isinstance(zones, RegionZones) else float(zones.sum()) == 0
        if empty:
            n = len(zones.names) if isinstance(zones, RegionZones) else zones.sizes["zone"]
            raise ConfigError(cfg.source, [
                f"regions: none of the {n} regions of {cfg.regions.path.name} covers a cell of "
                f"the drivers' grid (regions in {regions.crs}, drivers in {ds.rio.crs}); check that they cover the "
                "same place"])
    return zones


def _complete_years(ds: xr.Dataset) -> list[int]:
    if "time" not in ds.dims:
        return []
    years = pd.DatetimeIndex(ds["time"].values).year
    counts = pd.Series(1, index=years).groupby(level=0).sum()
    return [int(y) for y, n in counts.items() if n == 12]


def planned_outputs(cfg: RunConfig, years: list[int]) -> list[Output]:
    """The files of a run, in the order they are written (the record last)."""
    out = cfg.output
    plan = [Output("results", out / ("results.zarr" if cfg.format == "zarr" else "results.nc"))]
    plan += [Output("map", out / "maps" / f"{v}_{y}.tif", v, y) for v in cfg.maps for y in years]
    if cfg.tables:
        if cfg.regions is not None:
            plan.append(Output("table", out / "tables" / "totals_by_region.csv", zoning="region"))
        if cfg.landcover_table:
            plan.append(Output("table", out / "tables" / "totals_by_landcover.csv", zoning="landcover"))
    plan.append(Output("record", out / RECORD))
    return plan


def _partials(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if p.name.startswith(".") and PARTIAL in p.name]
    for sub in ("maps", "tables"):
        found += _partials(folder / sub) if (folder / sub).is_dir() else []
    return found


def _fingerprint(cfg: RunConfig) -> str:
    resolved = cfg.resolved()
    resolved.pop("output")
    text = json.dumps(resolved, sort_keys=True, default=str) + __version__
    return hashlib.sha256(text.encode()).hexdigest()


def _read_record(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _check_existing(cfg: RunConfig, plan: list[Output], resume: bool, overwrite: bool, fingerprint: str):
    present = [o.path for o in plan if o.path.exists()] + _partials(cfg.output)
    if not present:
        return
    shown = ", ".join(str(p.relative_to(cfg.output)) for p in present[:6]) + (" ..." if len(present) > 6 else "")
    if overwrite:
        return
    if not resume:
        raise OutputsExist(f"{cfg.output} holds outputs of a run already ({shown}); nothing was changed. Pass "
                           "--resume to finish an interrupted run (finished files are kept), --overwrite to replace "
                           "them, or give another output directory")
    record = _read_record(cfg.output / RECORD)
    if record is None or record.get("fingerprint") != fingerprint:
        why = ("has no readable run record (run.json)" if record is None else
               "was written by another config (or another carbontools version): its run.json differs")
        raise OutputsExist(f"{cfg.output} {why}, so its outputs ({shown}) cannot be resumed; nothing was changed. "
                           "Pass --overwrite to replace them, or give another output directory")


# --- writing ------------------------------------------------------------------------------------------

def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _partial_name(final: Path) -> Path:
    return final.with_name(f".{final.name}{PARTIAL}")


def _atomic_file(final: Path, write) -> None:
    """``write(tmp)`` under a temporary name beside ``final``, then renamed onto it (replacing it)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = _partial_name(final)
    _remove(tmp)
    try:
        write(tmp)
        os.replace(tmp, final)
    except BaseException:
        _remove(tmp)
        raise


def _publish_dir(tmp: Path, final: Path) -> None:
    """Rename a finished directory onto ``final`` (an older one is moved aside first, then deleted)."""
    old = final.with_name(f".{final.name}.old")
    _remove(old)
    if final.exists():
        os.replace(final, old)
    os.replace(tmp, final)
    _remove(old)


def _bands(n: int, step: int) -> list[tuple[int, int]]:
    return [(a, min(a + step, n)) for a in range(0, n, step)]


def _write_zarr(result: xr.Dataset, final: Path, fingerprint: str, resume: bool, steps) -> None:
    """The result as a Zarr store, in bands of chunk rows; an interrupted store resumes at its first band left."""
    import zarr

    tmp = _partial_name(final)
    state_path = tmp.with_name(tmp.name + BANDS_STATE)
    bands = [list(b) for b in _bands(result.sizes["y"], result.chunks["y"][0] if result.chunks else result.sizes["y"])]
    state = _read_record(state_path) if resume else None
    if state is None or state.get("fingerprint") != fingerprint or state.get("bands") != bands:
        _remove(tmp)
        _remove(state_path)
        result.to_zarr(tmp, mode="w", compute=False, consolidated=False, zarr_format=ZARR_FORMAT)  # metadata, coords
        state = {"fingerprint": fingerprint, "bands": bands, "done": []}
        _atomic_file(state_path, lambda p: p.write_text(json.dumps(state)))
    region = result.drop_vars([v for v in result.variables if "y" not in result[v].dims])
    for i, (a, b) in enumerate(bands):
        if i in state["done"]:
            continue
        region.isel(y=slice(a, b)).to_zarr(tmp, region={"y": slice(a, b)}, mode="r+", consolidated=False,
                                             zarr_format=ZARR_FORMAT)
        state["done"].append(i)
        _atomic_file(state_path, lambda p: p.write_text(json.dumps(state)))
        steps.update(f"{final.name} rows {a}..{b}")
    zarr.consolidate_metadata(str(tmp), zarr_format=ZARR_FORMAT)
    _publish_dir(tmp, final)
    state_path.unlink()


def _run_outputs(cfg: RunConfig, drivers: xr.Dataset) -> tuple[str, ...] | None:
    """``outputs`` for :func:`carbontools.run`: the config's, and the class maps always (the drivers' own
    ``landcover`` where :func:`carbontools.run` returns it: when its scheme is not CASA's)."""
    if cfg.outputs is None:
        return None
    own = drivers["landcover"].attrs.get("scheme") not in (None, "casa") if "landcover" in drivers else False
    return tuple(dict.fromkeys([*cfg.outputs, "landcover_casa", *(("landcover",) if own else ())]))


def _write_results(result: xr.Dataset, out: Output, cfg: RunConfig, fingerprint: str, resume: bool, steps) -> None:
    if cfg.format == "zarr":
        _write_zarr(result, out.path, fingerprint, resume, steps)
    else:
        # HDF5 chunks = the dask chunks: each computed block is written as it comes, and read back the same way
        # (set in each variable's own encoding, which holds rioxarray's grid_mapping and keys h5netcdf ignores)
        result = result.copy()
        for name, da in result.data_vars.items():
            if da.chunks is not None and da.ndim:
                da.encoding = {**da.encoding, "chunksizes": tuple(c[0] for c in da.chunks)}
        _atomic_file(out.path, lambda tmp: result.to_netcdf(tmp, engine="h5netcdf"))


def _open_results(out: Output, chunks: dict) -> xr.Dataset:
    """The results as written, lazily in the run's chunks (for the maps, the tables and the valid shares)."""
    if out.path.suffix == ".zarr":
        ds = xr.open_zarr(out.path, decode_coords="all", consolidated=True)
    else:
        ds = xr.open_dataset(out.path, engine="h5netcdf", decode_coords="all", chunks={})
    return ds.chunk(_chunks_for(ds, chunks))


#: tile size of the annual maps (GDAL's COG default): the tiled GeoTIFF the COG is copied from has the same tiles
MAP_BLOCK = 512


def _annual_map(results: xr.Dataset, variable: str, year: int, crs) -> xr.DataArray:
    """One annual map, lazily (in the results' chunks) when the results are."""
    da = results[variable].sel(year=year)
    da = da.drop_vars([c for c in da.coords if c not in ("y", "x")])
    da.encoding = {}  # the results file's encoding (its _FillValue) is not the GeoTIFF's
    return da.rio.write_crs(crs).rio.write_nodata(np.nan, encoded=False)


def _write_map(results: xr.Dataset, out: Output, crs) -> None:
    """A Cloud-Optimized GeoTIFF of an annual map, without holding the map in memory: it is computed and written
    tile by tile (rioxarray ``windowed``: one small computation per tile, in this process, on any scheduler) into a
    tiled GeoTIFF beside it, which GDAL then copies into the COG layout (GDAL's COG driver cannot be written window
    by window)."""
    import rasterio.shutil

    da = _annual_map(results, out.variable, out.year, crs)

    def write(tmp: Path) -> None:
        tiled = tmp.with_name(tmp.name + ".tif")  # hidden and marked partial, like tmp
        try:
            da.rio.to_raster(tiled, driver="GTiff", tiled=True, blockxsize=MAP_BLOCK, blockysize=MAP_BLOCK,
                             windowed=True)
            rasterio.shutil.copy(tiled, tmp, driver="COG", blocksize=MAP_BLOCK)
        finally:
            _remove(tiled)

    _atomic_file(out.path, write)


def _zonings(results: xr.Dataset, regions) -> dict:
    zones = {}
    if regions is not None:
        zones["region"] = regions
    zones["landcover"] = results["landcover"] if "landcover" in results else results["landcover_casa"]  # lazily
    return zones


def _annual_fields(results: xr.Dataset, variables, years: list[int]) -> dict:
    """Each (variable, year) of the annual variables, lazily, as the tables and totals take them."""
    return {(v, y): results[v].sel(year=y, drop=True).drop_vars("months", errors="ignore")
            for v in variables for y in years}


def _totals_table(results: xr.Dataset, cfg: RunConfig, zones, years: list[int]) -> pd.DataFrame:
    """Totals by one zoning of every table variable and year: one pass over the results, block by block (the
    regions rasterised once per block), so that memory follows the chunks, not the scene."""
    from .accounting import zonal_tables

    frames = []
    for (variable, year), t in zonal_tables(_annual_fields(results, cfg.tables, years), zones,
                                            unit=cfg.table_unit).items():
        t.index.name = "zone"
        t = t.reset_index()
        t.insert(0, "year", year)
        t.insert(0, "variable", variable)
        frames.append(t)
    return pd.concat(frames, ignore_index=True)


def _write_table(table: pd.DataFrame, out: Output) -> None:
    _atomic_file(out.path, lambda tmp: table.to_csv(tmp, index=False))


def _grid_totals(results: xr.Dataset, cfg: RunConfig, years: list[int]) -> dict:
    """Total over the mapped cells of each annual variable and year, in the tables' unit (one lazy pass)."""
    from .accounting import zonal_tables

    mapped = results["landcover_casa"]
    whole = xr.zeros_like(mapped, dtype=float).where(mapped.notnull()).rename("all")
    variables = [v for v in ("npp_annual", "rh_annual", "nep_annual") if v in results]
    if not variables or not years:
        return {v: {} for v in variables}
    tables = zonal_tables(_annual_fields(results, variables, years), whole, unit=cfg.table_unit, names={0: "all"})
    return {v: {str(y): float(tables[(v, y)]["total"].iloc[0]) for y in years} for v in variables}


# --- the scheduler and the progress bar -------------------------------------------------------------

@contextlib.contextmanager
def _scheduler(spec: str | None):
    """Run the dask computations inside on the named scheduler; yields its description."""
    import dask

    spec = spec or "threads"
    if spec == "threads":
        with dask.config.set(scheduler="threads"):
            yield spec
        return
    if spec == "processes":  # one pool for the whole run (dask would start one per computation)
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(os.cpu_count(), mp_context=multiprocessing.get_context("spawn")) as pool, \
                dask.config.set(scheduler="processes", pool=pool):
            yield spec
        return
    from distributed import Client, LocalCluster

    if spec == "local":
        with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=":0",
                          processes=True) as cluster, Client(cluster) as client:
            yield f"local cluster {client.scheduler.address}"
        return
    with Client(spec, timeout="30s") as client:
        yield f"cluster {client.scheduler.address}"


def _check_scheduler(spec: str | None) -> None:
    if spec is None or spec in SCHEDULERS or "://" in str(spec):
        return
    raise ValueError(f"scheduler {spec!r} unknown; give one of {', '.join(SCHEDULERS)} or the address of a "
                     "dask.distributed scheduler such as 'tcp://10.0.0.5:8786'")


class _Steps:
    """A line per finished step on a terminal (tqdm); with a local scheduler, dask's own bar per computation."""

    def __init__(self, total: int, enabled: bool, distributed: bool):
        self.enabled = enabled and sys.stderr.isatty()
        self.bar = None
        self.dask_bar = None
        if self.enabled:
            if distributed:
                from tqdm import tqdm

                self.bar = tqdm(total=total, unit="step", file=sys.stderr)
            else:
                from dask.diagnostics import ProgressBar

                self.dask_bar = ProgressBar(minimum=1.0, dt=0.5)

    def __enter__(self):
        if self.dask_bar is not None:
            self.dask_bar.__enter__()
        return self

    def __exit__(self, *exc):
        if self.dask_bar is not None:
            self.dask_bar.__exit__(*exc)
        if self.bar is not None:
            self.bar.close()

    def update(self, what: str) -> None:
        if self.bar is not None:
            self.bar.set_description(what)
            self.bar.update(1)
        elif self.enabled:
            print(f"  {what}", file=sys.stderr, flush=True)


def _versions() -> dict:
    out = {"carbontools": __version__, "python": sys.version.split()[0]}
    for name in VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def _write_record(path: Path, record: dict) -> None:
    _atomic_file(path, lambda tmp: tmp.write_text(json.dumps(record, indent=2, default=str) + "\n"))


# --- the run ----------------------------------------------------------------------------------------------

def run_config(config, resume: bool = False, overwrite: bool = False, scheduler: str | None = None,
               progress: bool = True) -> dict:
    """Run :func:`carbontools.run` as a run config says and write its outputs (see the module docstring).

    Parameters
    ----------
    config : dict, str or Path
        A run config or the path of its YAML / JSON file
        (:func:`carbontools.io.config.validate_run_config` lists the keys).
    resume : bool
        Keep the outputs an earlier run of the same config finished (untouched) and write the rest.
    overwrite : bool
        Replace the outputs already in the output directory.
    scheduler : str
        ``'threads'`` (default), ``'processes'``, ``'local'`` (a dask.distributed LocalCluster) or the
        address of a running dask.distributed scheduler (``'tcp://host:8786'``).
    progress : bool
        Show progress on a terminal (never when stderr is not one).

    Returns
    -------
    dict
        The summary also stored in ``run.json``: the files (path, bytes, ``written`` or ``kept``), the
        totals over the mapped cells of the annual variables per year (in ``tables.unit``), the valid
        shares of the outputs, the scheduler and the wall time in seconds.
    """
    from . import pipeline

    started = time.time()
    if resume and overwrite:
        raise ValueError("give resume or overwrite, not both: resume keeps the finished outputs, overwrite "
                         "replaces them")
    _check_scheduler(scheduler)
    cfg = validate_run_config(config)
    if scheduler == "processes" and cfg.format == "netcdf":
        raise ValueError("scheduler 'processes' cannot write NetCDF (an HDF5 file cannot be written from several "
                         "processes); set format: zarr, or use the threads or local scheduler")
    drivers = open_drivers(cfg)
    regions = _preflight(cfg, drivers)
    years = _complete_years(drivers)
    plan = planned_outputs(cfg, years)
    fingerprint = _fingerprint(cfg)
    _check_existing(cfg, plan, resume, overwrite, fingerprint)
    done = {o.path for o in plan if resume and o.path.exists() and o.kind != "record"}
    record_path = cfg.output / RECORD
    earlier = _read_record(record_path) if resume else None
    if done and len(done) == len(plan) - 1 and earlier is not None and earlier.get("status") == "complete":
        summary = dict(earlier["summary"], seconds=round(time.time() - started, 2))
        summary["files"] = [dict(f, status="kept") for f in summary["files"]] + [
            {"path": RECORD, "bytes": _size(record_path), "status": "kept"}]
        return {**summary, "resumed": "nothing left to do: every output was finished (all kept as they were)"}

    cfg.output.mkdir(parents=True, exist_ok=True)
    if not resume:
        for p in _partials(cfg.output):
            _remove(p)  # left by an interrupted run that overwrite replaces
    record = {"status": "running", "fingerprint": fingerprint, "config": cfg.resolved(), "config_source": cfg.source,
              "versions": _versions(), "started": pd.Timestamp(started, unit="s", tz="UTC").isoformat()}
    if earlier is not None and earlier.get("started"):
        record["first_started"] = earlier.get("first_started", earlier["started"])
    _write_record(record_path, record)

    files: dict[Path, str] = {}
    with _scheduler(scheduler) as where:
        n_steps = len(plan) + (len(_bands(drivers.sizes["y"], drivers.chunks["y"][0])) if cfg.format == "zarr" else 0)
        with _Steps(n_steps, progress, distributed=where.startswith(("local", "cluster"))) as steps:
            results_out = plan[0]
            if results_out.path in done:
                files[results_out.path] = "kept"
            else:
                # only what is written is computed (the kernel then neither computes nor holds the rest)
                result = pipeline.run(drivers, cfg.casa, cfg.rh, check=cfg.check, urban_soils=cfg.urban_soils,
                                      min_valid_share=cfg.min_valid_share, outputs=_run_outputs(cfg, drivers),
                                      **cfg.parameters)
                _write_results(result, results_out, cfg, fingerprint, resume, steps)
                files[results_out.path] = "written"
            steps.update(results_out.path.name)
            results = _open_results(results_out, cfg.chunks)
            crs = drivers.rio.crs
            zones = _zonings(results, regions) if cfg.tables else {}
            tables = {}
            for out in plan[1:-1]:
                if out.path in done:
                    files[out.path] = "kept"
                elif out.kind == "map":
                    _write_map(results, out, crs)
                    files[out.path] = "written"
                else:
                    if out.zoning not in tables:
                        tables[out.zoning] = _totals_table(results, cfg, zones[out.zoning], years)
                    _write_table(tables[out.zoning], out)
                    files[out.path] = "written"
                steps.update(str(out.path.relative_to(cfg.output)))
            totals = _grid_totals(results, cfg, years)
            reported = [n for n in pipeline.REPORTED if n in results]
            shares = pipeline.valid_shares(results, reported) if reported else {}
            results.close()

    summary = {
        "output": str(cfg.output),
        "files": [{"path": str(p.relative_to(cfg.output)), "bytes": _size(p), "status": s} for p, s in files.items()],
        "totals": totals, "unit": f"{cfg.table_unit} yr-1",
        "valid_shares": {k: round(v, 6) for k, v in shares.items()},
        "scheduler": where, "seconds": round(time.time() - started, 2),
    }
    record.update(status="complete", finished=pd.Timestamp.now(tz="UTC").isoformat(), summary=summary)
    _write_record(record_path, record)
    summary["files"].append({"path": RECORD, "bytes": _size(record_path), "status": "written"})
    return summary


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return path.stat().st_size
