"""From a small config (paths per variable, target grid, period) to the drivers Dataset of :func:`carbontools.run`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import rioxarray
import xarray as xr

from ..gapfill import fill_gaps
from ..grid import check_same_grid, monthly_index, regrid, to_month_start
from ..landcover import SCHEMES, nodata_values, present_codes, scheme_table
from .config import ConfigError, DriverSpec, LandcoverSpec, validate_config
from .era5 import read_era5_land
from .modis import monthly_max_composite, read_modis_ndvi
from .rasters import read_landcover, read_raster

__all__ = ["load_drivers", "ConfigError"]

SCHEME_NAMES = {"casa": "CASA", "igbp": "IGBP", "worldcover": "ESA WorldCover", "clcd": "CLCD"}


def _read_monthly(spec: DriverSpec, chunks: dict | None) -> xr.DataArray:
    if spec.kind == "modis":
        da = read_modis_ndvi(list(spec.paths), dates=list(spec.dates) if spec.dates is not None else None,
                             qa_paths=list(spec.qa_paths) if spec.qa_paths is not None else None,
                             max_reliability=spec.max_reliability, crs=spec.crs, chunks=chunks)
    else:
        da = read_raster(spec.path, variable=spec.variable, units=spec.units, crs=spec.crs, driver=spec.name,
                         chunks=chunks)
    if "time" not in da.dims:
        raise ValueError(f"{spec.name} ({spec.path.name}) has no time axis (dims {da.dims}); a monthly driver needs "
                         "one map per month along 'time'")
    return da.rename(spec.name)


def load_drivers(config, chunks: dict | None = None) -> xr.Dataset:
    """Read, align and regrid the drivers named in ``config`` (a dict, or a JSON/YAML file).

    Keys (relative paths start at the config file's folder, or at the working folder for a dict;
    paths may hold wildcards):

    - ``ndvi``: MOD13 GeoTIFFs (a list or a pattern, or ``{"path": ..., "qa_paths": ..., "dates": ...,
      "max_reliability": 1}``; 16-day composites become monthly maximum composites) or
      ``{"path": ..., "variable": ..., "units": "1"}`` for any raster; or ``fpar``.
    - ``era5_land``: an ERA5-Land monthly-means file giving ``tmean``, ``precip`` and ``srad``;
      each of ``tmean``, ``precip``, ``srad`` (and ``et``, ``pet``, ``moisture``) may instead be
      ``{"path", "variable", "units"}`` (and ``crs``).
    - ``landcover``: ``{"path": ..., "scheme": "clcd" | "worldcover" | "igbp" | "casa", "nodata": ...}``.
    - ``impervious``: optional ``{"path", "variable", "units"}`` fraction.
    - ``grid``: the target grid, the name of a driver (default ``"ndvi"``) or a raster path.
    - ``period``: the months to return, inclusive: ``"2021"`` (a whole year), ``"2021-03"`` (one month),
      ``["2021-01", "2022-12"]`` or ``[2021, 2022]``.  Without it, the months the drivers cover.

    The config is checked before any data file is read (:func:`carbontools.io.config.validate_config`):
    an unknown or misspelled key, a value of the wrong type, an unreadable period or a missing file
    raises a :class:`ConfigError` that lists every such problem with its key path and the fix.

    Every monthly driver must hold every month of the period (or, without ``period``, the same
    months, without gaps): a missing month is an error that names the months each driver lacks and
    what the files cover, never a month of NaN.  The land-cover codes must belong to the declared
    scheme; if they belong to another one, the error names it.  Continuous fields are interpolated
    bilinearly onto the target grid, land cover by the mode.

    ``gapfill``: ``true`` or ``{max_gap: 2, climatology: true}`` fills NDVI's cloud gaps and missing
    months along time before regridding (:func:`carbontools.gapfill.fill_gaps`: linear interpolation
    over at most ``max_gap`` months, then the calendar month's mean over the other years); the shares
    of observed, interpolated, climatology and still-missing values are in ``ndvi.attrs``
    (``gapfill_*_pct``) and :func:`carbontools.run` carries them into its result.  Off by default.

    ``chunks`` (sizes by dim, e.g. ``{"time": -1, "y": 256, "x": 256}``, as a run config's ``chunks``): every
    file is opened lazily (rioxarray / xarray with dask) and the result is dask-backed in these chunks, each
    chunk reading its own window of the files.  The checks stay the same; on lazy data they cost one dask pass
    over each file where they need the values: the plausibility check of each converted driver (min, max,
    count, mean), the land-cover code check (the codes present), MODIS float files' range check.  Without
    ``chunks`` the drivers are read into memory as before.
    """
    cfg = validate_config(config)
    monthly: dict[str, xr.DataArray] = {}
    sources: dict[str, str] = {}
    if cfg.era5_land is not None:
        monthly.update(read_era5_land(cfg.era5_land, chunks=chunks).data_vars)
        sources.update(dict.fromkeys(monthly, cfg.era5_land.name))
    for name, spec in cfg.monthly.items():
        monthly[name] = _read_monthly(spec, chunks)
        sources[name] = (f"its {len(spec.paths)} {'MOD13 ' if spec.kind == 'modis' else ''}files"
                         if len(spec.paths) > 1 else spec.path.name)
    months = {name: monthly_index(da["time"].values, name, gaps=True, duplicates=name == "ndvi")
              for name, da in monthly.items()}
    target, missing = _missing_months(months, cfg.period)
    fillable = ("ndvi",) if cfg.gapfill is not None else ()  # NDVI's missing months are gaps to fill
    if any(len(m) for n, m in missing.items() if n not in fillable):
        raise ValueError(_coverage_message(months, missing, sources, cfg.period))
    for name, da in monthly.items():
        if cfg.period is not None:
            da = da.sel(time=slice(target[0].start_time, target[-1].end_time))
        if name == "ndvi" and len(months[name].unique()) != len(months[name]):
            da = monthly_max_composite(da)
        da = to_month_start(da, name=name)
        if name in fillable:
            da = fill_gaps(da.reindex(time=target.to_timestamp()), cfg.gapfill, name=name).values
        monthly[name] = da

    landcover = _read_landcover(cfg.landcover, chunks)
    static = {"landcover": landcover}
    if cfg.impervious is not None:
        spec = cfg.impervious
        static["impervious"] = read_raster(spec.path, spec.variable, spec.units, spec.crs, driver="impervious",
                                           chunks=chunks)

    everything = {**monthly, **static}
    if isinstance(cfg.grid, str):
        target_grid = everything[cfg.grid]
    else:
        target_grid = read_raster(cfg.grid, units="1", chunks=chunks)
    target_grid = target_grid.isel(time=0, drop=True) if "time" in target_grid.dims else target_grid
    out = {}
    for name, da in everything.items():
        kind = "categorical" if name == "landcover" else "continuous"
        out[name] = _on_grid(da, target_grid, kind, name) if chunks is not None else regrid(
            da, target_grid, kind=kind, name=name)
    out["landcover"].attrs.update(landcover.attrs)
    ds = xr.Dataset(out).rio.write_crs(target_grid.rio.crs)
    if chunks is not None:  # one chunking for every variable (regridding may leave others)
        ds = ds.chunk({d: s for d, s in chunks.items() if d in ds.dims})
    ds.attrs["source"] = "carbontools.io.load_drivers"
    return ds


def _on_grid(da: xr.DataArray, target: xr.DataArray, kind: str, name: str) -> xr.DataArray:
    """``regrid`` for lazy drivers: a driver already on the target grid keeps its chunks untouched; one on another
    grid is warped lazily, tile by tile (:func:`carbontools.grid.regrid`), each tile reading only the source blocks
    it overlaps."""
    try:
        check_same_grid(da, target, names=(name, "grid"))
        same = da.sizes["y"] == target.sizes["y"] and da.sizes["x"] == target.sizes["x"]
    except ValueError:
        same = False
    if not same:
        return regrid(da, target, kind=kind, name=name)
    if kind != "categorical" and not np.issubdtype(da.dtype, np.floating):
        da = da.astype("float32")  # as regrid makes continuous fields
    attrs = dict(da.attrs)
    return da.assign_coords(x=target["x"], y=target["y"]).assign_attrs(attrs)


# --- months -------------------------------------------------------------------------------------

def _missing_months(months: dict[str, pd.PeriodIndex], period) -> tuple[pd.PeriodIndex, dict[str, list]]:
    """The months asked for (``period``, else the span of all drivers) and, per driver, those it lacks."""
    if period is not None:
        target = pd.period_range(period[0], period[1], freq="M")
    else:
        union = pd.PeriodIndex(sorted(set().union(*map(set, months.values()))), freq="M")
        target = pd.period_range(union.min(), union.max(), freq="M")
    return target, {name: sorted(set(target) - set(m)) for name, m in months.items()}


def _runs(months) -> list[tuple[pd.Period, pd.Period]]:
    """Consecutive months as (first, last) pairs."""
    runs: list[list[pd.Period]] = []
    for m in sorted(set(months)):
        if runs and m == runs[-1][1] + 1:
            runs[-1][1] = m
        else:
            runs.append([m, m])
    return [tuple(r) for r in runs]


def _span(months) -> str:
    return ", ".join(str(a) if a == b else f"{a}..{b}" for a, b in _runs(months)) or "no month"


def _months_text(months) -> str:
    return str([str(m) for m in months]) if len(months) <= 6 else f"{len(months)} months ({_span(months)})"


def _coverage_message(months, missing, sources, period) -> str:
    groups: dict[tuple, list[str]] = {}
    for name, lacks in missing.items():
        if lacks:
            groups.setdefault((sources[name], tuple(lacks)), []).append(name)
    parts = []
    for (source, lacks), names in groups.items():
        covered = _span(months[names[0]].unique())
        who = names[0] if len(names) == 1 else ", ".join(names)
        verb = "lacks" if len(names) == 1 else "lack"
        whose = f"{source} cover" if source.startswith("its ") else f"{source} covers"
        parts.append(f"{who} {verb} {_months_text(list(lacks))} ({whose} {covered})")
    head = (f"drivers lack months of the period {period[0]}..{period[1]}: " if period is not None
            else "the drivers do not cover the same months: ")
    common = set.intersection(*(set(m) for m in months.values()))
    if not common:
        return (head + "; ".join(parts) + ". The drivers share no month at all: check that the files are of the "
                "same years, or add the files of the missing months")
    first, last = max(_runs(common), key=lambda r: (r[1] - r[0]).n)
    return (head + "; ".join(parts) + f". Add the files of the missing months, or "
            f"{'narrow' if period is not None else 'set'} period to months every driver covers, "
            f"e.g. period: ['{first}', '{last}']")


# --- land cover ---------------------------------------------------------------------------------

def _read_landcover(spec: LandcoverSpec, chunks: dict | None = None) -> xr.DataArray:
    """read_landcover, and when the codes do not fit the declared scheme, the scheme they do fit."""
    try:
        return read_landcover(spec.path, scheme=spec.scheme, nodata=spec.nodata, crs=spec.crs, chunks=chunks)
    except ValueError as err:
        hint = _scheme_hint(spec)
        if hint is None:
            raise
        raise ValueError(hint) from err


def _scheme_hint(spec: LandcoverSpec) -> str | None:
    """Which scheme the codes of the land-cover file belong to, if the declared one is not it."""
    raw = rioxarray.open_rasterio(spec.path, mask_and_scale=False)
    raw = raw.squeeze("band", drop=True) if "band" in raw.dims else raw
    nodata = ([spec.nodata] if spec.nodata is not None else []) + nodata_values(raw)  # as check_codes allows
    present = [int(c) if float(c).is_integer() else float(c) for c in present_codes(raw) if c not in nodata]
    tables = {s: set(scheme_table(s)["code"].astype(int)) for s in SCHEMES}
    outside = [c for c in present if c not in tables[spec.scheme]]
    if not outside:
        return None  # the codes fit: the error was about something else
    fits = [s for s in SCHEMES if s != spec.scheme and set(present) <= tables[s]]
    codes = lambda cs: ", ".join(map(str, cs[:20])) + (" ..." if len(cs) > 20 else "")  # noqa: E731
    declared = SCHEME_NAMES[spec.scheme]
    plural = len(outside) > 1
    not_codes = f"{'are not' if plural else 'is not a'} {declared} code{'s' if plural else ''}"
    if len(outside) == len(present):
        start = (f"landcover: the codes {codes(present)} of {spec.path.name} {not_codes} "
                 f"(landcover.scheme: {spec.scheme})")
    else:
        start = (f"landcover: {spec.path.name} holds the codes {codes(present)}; {codes(outside)} {not_codes} "
                 f"(landcover.scheme: {spec.scheme})")
    if len(fits) == 1:
        return f"{start}, but all of them match the '{fits[0]}' scheme; set landcover.scheme: {fits[0]}"
    if fits:
        return (f"{start}, but all of them match the schemes {', '.join(repr(s) for s in fits)}; set "
                f"landcover.scheme to the one the map is in")
    return (f"{start}, and no scheme ({', '.join(SCHEMES)}) holds them all. If "
            f"{codes(outside)} mark{'s' if len(outside) == 1 else ''} pixels without data, set landcover.nodata: "
            f"{outside[0]}; otherwise check the file and the scheme")
