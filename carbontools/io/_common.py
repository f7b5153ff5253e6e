"""Pieces every loader shares: file checks, the project's dim names, CRS, longitudes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

DIM_NAMES = {"latitude": "y", "lat": "y", "longitude": "x", "lon": "x", "valid_time": "time"}


def existing(path, what: str = "file") -> Path:
    p = Path(path).expanduser()
    if not p.exists():
        raise FileNotFoundError(f"{what} {str(p)!r} does not exist; check the path (relative paths start at "
                                f"{Path.cwd()})")
    return p


def chunked(obj, chunks: dict | None):
    """``obj`` as dask chunks of ``chunks`` (sizes by dim name; dims it lacks are skipped), or as it is for None.

    Applied right after a file is opened (before any arithmetic), each chunk of the result reads its own window of
    the file when computed.
    """
    if chunks is None:
        return obj
    return obj.chunk({d: s for d, s in chunks.items() if d in obj.dims})


def standard_dims(ds):
    """Rename latitude/longitude/valid_time (and lat/lon) to y/x/time."""
    names = {k: v for k, v in DIM_NAMES.items() if k in ds.dims or k in ds.coords}
    names = {k: v for k, v in names.items() if v not in ds.dims and v not in ds.coords}
    return ds.rename(names) if names else ds


_DEGREES = ("degrees_east", "degree_east", "degrees_e", "degree_e", "degrees", "degree", "deg")


def looks_geographic(ds, crs=None) -> bool:
    """Whether ``ds``'s x/y are longitude/latitude: by the CRS given or written, else by the x attributes, else by range.

    Only when nothing declares it are the values used: |x| <= 360 and |y| <= 90 (a projected grid in
    metres or feet lies far outside that).
    """
    from pyproj import CRS

    if crs is not None:
        return CRS.from_user_input(crs).is_geographic
    if ds.rio.crs is not None:
        return ds.rio.crs.is_geographic
    x = ds["x"]
    if str(x.attrs.get("units", "")).lower() in _DEGREES or x.attrs.get("standard_name") == "longitude":
        return True
    if str(x.attrs.get("units", "")).lower() in ("m", "metre", "meter", "km", "ft", "us_survey_foot"):
        return False
    return float(abs(x).max()) <= 360.0 and float(abs(ds["y"]).max()) <= 90.0


def wrap_longitudes(ds, crs=None):
    """0..360 longitudes to -180..180, sorted west to east; projected grids are returned unchanged."""
    if "x" in ds.coords and float(ds["x"].max()) > 180.0 and looks_geographic(ds, crs):
        ds = ds.assign_coords(x=((ds["x"] + 180.0) % 360.0) - 180.0).sortby("x")
    return ds


def with_crs(obj, path, crs=None, default_geographic: bool = False):
    """Write ``crs`` (or EPSG:4326 for lat/lon data when ``default_geographic``); error if there is none."""
    if crs is not None:
        return obj.rio.write_crs(crs)
    if obj.rio.crs is not None:
        return obj
    if default_geographic:
        return obj.rio.write_crs("EPSG:4326")
    raise ValueError(f"{path}: the raster has no CRS; pass crs='EPSG:...' (the projection it is in) to the loader")


def mask_fill(da: xr.DataArray, path, fill=None, valid_range=None, scale=None, name: str = "data") -> xr.DataArray:
    """Integer product values -> float: fill and out-of-range values to NaN, then times ``scale``.

    An all-fill tile is not an error: it becomes NaN with a warning naming the file.
    """
    import warnings

    raw = da
    good = xr.ones_like(raw, dtype=bool)
    if fill is not None:
        for f in np.atleast_1d(fill):
            good &= raw != f
    if valid_range is not None:
        good &= (raw >= valid_range[0]) & (raw <= valid_range[1])
    out = raw.astype("float32").where(good)
    if scale is not None:
        out = out * np.float32(scale)
    if not bool(good.any()):
        warnings.warn(f"{path}: {name} holds only fill values; it is read as NaN", stacklevel=3)
    out.attrs = {k: v for k, v in raw.attrs.items() if k not in ("_FillValue", "scale_factor", "add_offset",
                                                                  "valid_range", "missing_value")}
    return out
