"""From a small config (paths per variable, target grid, period) to the drivers Dataset of :func:`carbontools.run`."""

from __future__ import annotations

import glob
import json
from collections.abc import Mapping
from pathlib import Path

import xarray as xr

from ..grid import monthly_index, regrid, to_month_start
from ..variables import MONTHLY
from .era5 import read_era5_land
from .modis import monthly_max_composite, read_modis_ndvi
from .rasters import read_landcover, read_raster

__all__ = ["load_drivers"]

KNOWN = set(MONTHLY) | {"era5_land", "landcover", "impervious", "grid", "period"}


def _read_config(config) -> tuple[dict, Path]:
    if isinstance(config, Mapping):
        return dict(config), Path.cwd()
    p = Path(config)
    text = p.read_text()
    if p.suffix.lower() in (".yml", ".yaml"):
        import yaml

        return yaml.safe_load(text), p.parent
    return json.loads(text), p.parent


def _paths(value, base: Path) -> list[Path]:
    items = [value] if isinstance(value, (str, Path)) else list(value)
    out = []
    for item in items:
        item = Path(item) if Path(item).is_absolute() else base / item
        matches = sorted(glob.glob(str(item))) if any(ch in str(item) for ch in "*?[") else [str(item)]
        if not matches:
            raise FileNotFoundError(f"no file matches {str(item)!r}")
        out += [Path(m) for m in matches]
    return out


def _entry(value) -> dict:
    return dict(value) if isinstance(value, Mapping) else {"path": value}


def _read_monthly(name: str, spec: dict, base: Path) -> xr.DataArray:
    kind = spec.get("kind", "modis" if name == "ndvi" and "variable" not in spec else "raster")
    if kind == "modis":
        files = _paths(spec.get("paths", spec.get("path")), base)
        qa = _paths(spec["qa_paths"], base) if "qa_paths" in spec else None
        da = read_modis_ndvi(files, dates=spec.get("dates"), qa_paths=qa, max_reliability=spec.get("max_reliability", 1))
    else:
        (path,) = _paths(spec["path"], base)
        da = read_raster(path, variable=spec.get("variable"), units=spec.get("units"), crs=spec.get("crs"), driver=name)
    return da.rename(name)


def load_drivers(config) -> xr.Dataset:
    """Read, align and regrid the drivers named in ``config`` (a dict, or a JSON/YAML file).

    Keys (paths may be relative to the config file, and may hold wildcards):

    - ``ndvi``: MOD13 GeoTIFFs (a list or a pattern; 16-day composites become monthly maximum
      composites) or ``{"path": ..., "variable": ..., "units": "1"}`` for any raster; or ``fpar``.
    - ``era5_land``: an ERA5-Land monthly-means file giving ``tmean``, ``precip`` and ``srad``;
      each of ``tmean``, ``precip``, ``srad`` (and ``et``, ``pet``, ``moisture``) may instead be
      ``{"path", "variable", "units"}``.
    - ``landcover``: ``{"path": ..., "scheme": "clcd" | "worldcover" | "igbp" | "casa", "nodata": ...}``.
    - ``impervious``: optional ``{"path", "variable", "units"}`` fraction.
    - ``grid``: the target grid, the name of a driver (default ``"ndvi"``) or a raster path.
    - ``period``: ``["2021-01", "2022-12"]`` (inclusive months).

    Continuous fields are interpolated bilinearly onto the target grid, land cover by the mode.
    Every monthly driver must cover the same months without gaps; errors name the months.
    """
    cfg, base = _read_config(config)
    unknown = set(cfg) - KNOWN
    if unknown:
        raise ValueError(f"unknown config key(s) {sorted(unknown)}; known keys: {sorted(KNOWN)}")
    if "landcover" not in cfg:
        raise ValueError("config lacks 'landcover': {'path': ..., 'scheme': 'clcd' | 'worldcover' | 'igbp' | 'casa'}")
    monthly: dict[str, xr.DataArray] = {}
    if "era5_land" in cfg:
        (path,) = _paths(_entry(cfg["era5_land"])["path"], base)
        monthly.update(read_era5_land(path).data_vars)
    for name in MONTHLY:
        if name in cfg:
            monthly[name] = _read_monthly(name, _entry(cfg[name]), base)
    if "ndvi" in monthly and len(monthly_index(monthly["ndvi"]["time"].values, "ndvi", gaps=True, duplicates=True).unique()) != monthly["ndvi"].sizes["time"]:
        monthly["ndvi"] = monthly_max_composite(monthly["ndvi"])
    start, end = cfg.get("period", (None, None))
    for name, da in monthly.items():
        da = da.sel(time=slice(start, end)) if start or end else da
        if da.sizes["time"] == 0:
            raise ValueError(f"{name} has no months in the period {start}..{end}")
        monthly[name] = to_month_start(da, name=name)
    _check_same_months(monthly)

    lc_spec = _entry(cfg["landcover"])
    (lc_path,) = _paths(lc_spec["path"], base)
    landcover = read_landcover(lc_path, scheme=lc_spec.get("scheme"), nodata=lc_spec.get("nodata"),
                               crs=lc_spec.get("crs"))
    static = {"landcover": landcover}
    if "impervious" in cfg:
        spec = _entry(cfg["impervious"])
        (path,) = _paths(spec["path"], base)
        static["impervious"] = read_raster(path, spec.get("variable"), spec.get("units"), spec.get("crs"),
                                           driver="impervious")

    grid_spec = cfg.get("grid", "ndvi" if "ndvi" in monthly else "fpar")
    everything = {**monthly, **static}
    if isinstance(grid_spec, str) and grid_spec in everything:
        target = everything[grid_spec]
    else:
        (grid_path,) = _paths(grid_spec, base)
        target = read_raster(grid_path, units="1")
    target = target.isel(time=0, drop=True) if "time" in target.dims else target
    out = {}
    for name, da in everything.items():
        kind = "categorical" if name == "landcover" else "continuous"
        out[name] = regrid(da, target, kind=kind, name=name)
    out["landcover"].attrs.update(landcover.attrs)
    ds = xr.Dataset(out).rio.write_crs(target.rio.crs)
    ds.attrs["source"] = "carbontools.io.load_drivers"
    return ds


def _check_same_months(monthly: dict[str, xr.DataArray]) -> None:
    sets = {name: set(map(str, monthly_index(da["time"].values, name))) for name, da in monthly.items()}
    union = set().union(*sets.values())
    problems = [f"{name} lacks {sorted(union - s)}" for name, s in sets.items() if union - s]
    if problems:
        raise ValueError("the drivers do not cover the same months: " + "; ".join(problems)
                         + ". Restrict them with config['period'] = [first, last]")
