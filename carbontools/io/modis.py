"""MODIS products as GeoTIFF: MOD13 NDVI (16-day or monthly) and MOD17A3HGF annual NPP.

Scale factors, fill values and valid ranges from the products' user guides (MOD13: Didan et al.,
MODIS Vegetation Index User's Guide, collection 6.1; MOD17: Running & Zhao, MOD17 User's Guide,
collection 6.1): NDVI is int16 x 0.0001 with fill -3000 and valid range -2000..10000; NPP is
kg C m-2 x 0.0001 with valid range -30000..32700 (32761-32767 are land-cover and fill codes).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import rioxarray
import xarray as xr

from .. import units
from ._common import chunked, existing, mask_fill, with_crs

__all__ = ["read_modis_ndvi", "monthly_max_composite", "read_mod17_npp", "modis_date"]

NDVI_SCALE, NDVI_FILL, NDVI_VALID = 0.0001, -3000, (-2000, 10000)
NPP_SCALE, NPP_VALID = 0.0001, (-30000, 32700)
_DOY = re.compile(r"A(\d{4})(\d{3})")


def modis_date(path) -> pd.Timestamp:
    """The composite's start date from a MODIS file name (``...A2021017...`` = 2021, day 17)."""
    m = _DOY.search(Path(path).name)
    if not m:
        raise ValueError(f"{path}: no MODIS date (AYYYYDDD) in the file name; pass dates=[...] to the loader")
    return pd.Timestamp(int(m.group(1)), 1, 1) + pd.Timedelta(days=int(m.group(2)) - 1)


def _open_band(path, crs=None, chunks: dict | None = None) -> xr.DataArray:
    da = rioxarray.open_rasterio(path, mask_and_scale=False)
    if "band" in da.dims:
        if da.sizes["band"] != 1:
            raise ValueError(f"{path} has {da.sizes['band']} bands; give one file per date and layer")
        da = da.squeeze("band", drop=True)
    return chunked(with_crs(da, path, crs), chunks)


def read_modis_ndvi(paths: str | Path | Sequence, dates=None, qa_paths=None, max_reliability: int = 1,
                    crs=None, chunks: dict | None = None) -> xr.DataArray:
    """MOD13 NDVI GeoTIFFs (one per composite) -> NDVI on (time, y, x), fill and invalid values as NaN.

    ``dates``: one per file, else parsed from the names (``AYYYYDDD``).  ``qa_paths``: the matching
    pixel-reliability layers (0 good, 1 marginal, 2 snow/ice, 3 cloudy); pixels above
    ``max_reliability`` become NaN.  Integer files are scaled by 0.0001; files already in NDVI units
    (float) are only masked.  ``chunks`` (sizes by dim): dask-backed, each chunk reading its own window.
    """
    files = [paths] if isinstance(paths, (str, Path)) else list(paths)
    if not files:
        raise ValueError("read_modis_ndvi got no files")
    files = [existing(f, "MODIS NDVI file") for f in files]
    stamps = [pd.Timestamp(d) for d in dates] if dates is not None else [modis_date(f) for f in files]
    if len(stamps) != len(files):
        raise ValueError(f"{len(files)} files but {len(stamps)} dates")
    layers = []
    for i, f in enumerate(files):
        raw = _open_band(f, crs, chunks)
        if np.issubdtype(raw.dtype, np.integer):
            ndvi = mask_fill(raw, f, fill=NDVI_FILL, valid_range=NDVI_VALID, scale=NDVI_SCALE, name="NDVI")
        else:
            _refuse_implausible_float(raw, f)
            ndvi = mask_fill(raw, f, fill=NDVI_FILL * NDVI_SCALE, valid_range=(-0.2, 1.0), name="NDVI")
        if qa_paths is not None:
            qa = _open_band(existing(qa_paths[i], "MODIS pixel-reliability file"), crs, chunks)
            ndvi = ndvi.where((qa >= 0) & (qa <= max_reliability))
        layers.append(ndvi)
    out = xr.concat(layers, dim=pd.DatetimeIndex(stamps, name="time")).sortby("time")
    out = out.rio.write_crs(layers[0].rio.crs)
    return out.rename("ndvi").assign_attrs(units="1", long_name="NDVI (MODIS MOD13)",
                                           source=", ".join(f.name for f in files[:3]) + (" ..." if len(files) > 3 else ""))


def _refuse_implausible_float(raw: xr.DataArray, path) -> None:
    """A float NDVI file is read as already scaled: refuse one that still holds digital numbers.

    The product's fill (-3000, or -0.3 once scaled) and the file's nodata are left out; what is left must
    be NDVI, else the plausibility check's message says what the values look like and the fix.
    """
    values = raw.where(np.isfinite(raw) & (raw != NDVI_FILL))
    if raw.rio.nodata is not None and not np.isnan(raw.rio.nodata):
        values = values.where(raw != raw.rio.nodata)
    if not bool(values.notnull().any()):
        return  # an all-fill tile: mask_fill warns about it
    problems = units.plausibility_problems({"ndvi": values})
    if problems:
        raise ValueError(f"{path}: a float NDVI file is read as NDVI already scaled, but " + "; ".join(problems))


def monthly_max_composite(ndvi: xr.DataArray) -> xr.DataArray:
    """Maximum-value composite per calendar month (a 16-day composite counts in the month it starts)."""
    out = ndvi.resample(time="MS").max(skipna=True)
    return out.assign_attrs(ndvi.attrs, long_name="NDVI, monthly maximum-value composite")


def read_mod17_npp(path, crs=None) -> xr.DataArray:
    """MOD17A3HGF annual NPP GeoTIFF -> g C m-2 yr-1, fill and land-cover codes as NaN.

    Integer files hold the product's digital numbers: kg C m-2 x 0.0001, valid -30000..32700 (32761-32767
    are codes).  Float files are taken as already scaled, in kg C m-2, as the NDVI loader takes float NDVI:
    they are masked (the file's nodata, NaN, values outside -3.0..3.27 kg C m-2, which includes the
    scaled codes 3.2761..3.2767) but not scaled again.  A float file whose values cannot be kg C m-2
    (digital numbers or g C m-2 saved as float) is refused, with the conversion to make.
    """
    p = existing(path, "MOD17 NPP file")
    raw = _open_band(p, crs)
    if np.issubdtype(raw.dtype, np.integer):
        npp = mask_fill(raw, p, valid_range=NPP_VALID, scale=NPP_SCALE, name="NPP")  # kg C m-2 (over the year)
    else:
        npp = _already_scaled_npp(raw, p)
    npp = units.convert(npp, "kg C m-2 yr-1", "g C m-2 yr-1", name="NPP")
    return npp.rename("npp").assign_attrs(units="g C m-2 yr-1", long_name="annual net primary production (MOD17A3HGF)",
                                          source=p.name)


def _already_scaled_npp(raw: xr.DataArray, path) -> xr.DataArray:
    lo, hi = (v * NPP_SCALE for v in NPP_VALID)  # -3.0 .. 3.27 kg C m-2
    codes = np.arange(32761, 32768) * NPP_SCALE
    nodata = raw.rio.nodata
    values = raw.where(raw != nodata) if nodata is not None and not np.isnan(nodata) else raw
    is_code = xr.zeros_like(values, dtype=bool)
    for code in codes:
        is_code |= np.isclose(values, code, rtol=0, atol=5e-6)
    beyond = values.where(~is_code & ((values < lo) | (values > hi)))
    n_beyond = int(beyond.notnull().sum())
    if n_beyond:
        raise ValueError(
            f"{path}: float NPP with {n_beyond} value(s) outside -3.0..3.27 (from {float(beyond.min()):.6g} to "
            f"{float(beyond.max()):.6g}); a float MOD17 file is "
            "read as already scaled, in kg C m-2. If it holds the product's digital numbers, save it as integers "
            "(or multiply by 0.0001); if it is in g C m-2, multiply by 0.001 before writing it")
    return mask_fill(values, path, valid_range=(lo, hi), name="NPP")  # the codes lie above 3.27: masked
