"""ERA5-Land monthly means (Copernicus Climate Data Store) -> tmean, precip, srad in the project's units.

ERA5-Land "monthly averaged reanalysis" stores accumulated fields as the mean of daily
accumulations: ``tp`` in metres per day and ``ssrd`` in J m-2 per day.  A month's total is that
times the month's real length.  Files from the 2024+ CDS name time ``valid_time`` and may carry
``expver`` (ERA5 final vs. ERA5T preliminary) as a dimension or a coordinate and a scalar
``number``; older files use ``time``.  Longitudes may run 0..360.  Packed int16 with
scale_factor/add_offset is decoded by xarray.
"""

from __future__ import annotations

import xarray as xr

from .. import units
from ..grid import to_month_start
from ..units import CANONICAL
from ._common import chunked, existing, standard_dims, with_crs, wrap_longitudes

__all__ = ["read_era5_land", "ERA5_VARIABLES"]

#: ERA5 short name -> (driver name, units the file declares, what they mean in the monthly-means product).
#: Accumulations are means of daily totals, so 'm' is metres per day and 'J m-2' joules per m2 per day.
ERA5_VARIABLES = {
    "t2m": ("tmean", ("K",), "K"),
    "tp": ("precip", ("m",), "m day-1"),
    "ssrd": ("srad", ("J m**-2", "J m-2"), "J m-2 day-1"),
}


def _merge_expver(ds: xr.Dataset) -> xr.Dataset:
    """One value per month from the ERA5 (final) and ERA5T (preliminary) streams: the first that is present."""
    if "expver" in ds.dims:
        merged = ds.isel(expver=0)
        for i in range(1, ds.sizes["expver"]):
            merged = merged.combine_first(ds.isel(expver=i))
        ds = merged
    return ds.drop_vars([v for v in ("expver", "number") if v in ds.coords])


def read_era5_land(path, variables=("t2m", "tp", "ssrd"), chunks: dict | None = None) -> xr.Dataset:
    """Read an ERA5-Land monthly-means NetCDF (or GRIB, if cfgrib is installed) as monthly drivers.

    Returns ``tmean`` (degC), ``precip`` (mm month-1), ``srad`` (MJ m-2 month-1) for the requested
    ERA5 short names, on (time, y, x) with y = latitude, x = longitude in -180..180, EPSG:4326, time
    at the first of each month.  Errors name the file, the variable and the fix.  ``chunks`` (sizes by
    dim, e.g. ``{"time": -1, "y": 256, "x": 256}``): dask-backed, each chunk reading its own window of the file.
    """
    p = existing(path, "ERA5-Land file")
    engine = "cfgrib" if p.suffix.lower() in (".grib", ".grb", ".grib2", ".grb2") else None
    try:
        ds = xr.open_dataset(p, engine=engine, decode_coords="all")
    except ValueError as err:
        if engine == "cfgrib":
            raise ValueError(f"{p}: reading GRIB needs cfgrib (pip install cfgrib eccodes): {err}") from err
        raise
    ds = _merge_expver(chunked(standard_dims(ds), chunks))
    missing = [v for v in variables if v not in ds]
    if missing:
        raise ValueError(f"{p} has no variable(s) {missing}; it has {sorted(ds.data_vars)}. "
                         "Download t2m (2m temperature), tp (total precipitation) and ssrd (surface solar "
                         "radiation downwards) from 'ERA5-Land monthly averaged data'")
    if "time" not in ds.dims:
        raise ValueError(f"{p} has no time dimension (dims {dict(ds.sizes)}); expected monthly means")
    ds = wrap_longitudes(ds).transpose("time", "y", "x", ...)
    ds = to_month_start(ds, name=str(p))
    out = {}
    for short in variables:
        if short not in ERA5_VARIABLES:
            out[short] = ds[short]
            continue
        name, expected, meaning = ERA5_VARIABLES[short]
        found = ds[short].attrs.get("units")
        if found not in expected:
            raise ValueError(f"{p}: {short} has units {found!r}, expected {expected[0]!r} (ERA5-Land monthly "
                             "means); convert it yourself or check that this is the monthly-means product")
        da = units.convert(ds[short].astype("float64"), meaning, CANONICAL[name], name=short).astype("float32")
        out[name] = da.assign_attrs(units=CANONICAL[name], long_name=ds[short].attrs.get("long_name", short),
                                    source=f"ERA5-Land {short} from {p.name}")
    result = xr.Dataset(out, attrs={"source": str(p)})
    return with_crs(result, p, default_geographic=True)
