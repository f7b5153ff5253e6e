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
from ._common import existing, mask_fill, with_crs

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


def _open_band(path, crs=None) -> xr.DataArray:
    da = rioxarray.open_rasterio(path, mask_and_scale=False)
    if "band" in da.dims:
        if da.sizes["band"] != 1:
            raise ValueError(f"{path} has {da.sizes['band']} bands; give one file per date and layer")
        da = da.squeeze("band", drop=True)
    return with_crs(da, path, crs)


def read_modis_ndvi(paths: str | Path | Sequence, dates=None, qa_paths=None, max_reliability: int = 1,
                    crs=None) -> xr.DataArray:
    """MOD13 NDVI GeoTIFFs (one per composite) -> NDVI on (time, y, x), fill and invalid values as NaN.

    ``dates``: one per file, else parsed from the names (``AYYYYDDD``).  ``qa_paths``: the matching
    pixel-reliability layers (0 good, 1 marginal, 2 snow/ice, 3 cloudy); pixels above
    ``max_reliability`` become NaN.  Integer files are scaled by 0.0001; files already in NDVI units
    (float) are only masked.
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
        raw = _open_band(f, crs)
        if np.issubdtype(raw.dtype, np.integer):
            ndvi = mask_fill(raw, f, fill=NDVI_FILL, valid_range=NDVI_VALID, scale=NDVI_SCALE, name="NDVI")
        else:
            ndvi = mask_fill(raw, f, fill=NDVI_FILL * NDVI_SCALE, valid_range=(-0.2, 1.0), name="NDVI")
        if qa_paths is not None:
            qa = _open_band(existing(qa_paths[i], "MODIS pixel-reliability file"), crs)
            ndvi = ndvi.where((qa >= 0) & (qa <= max_reliability))
        layers.append(ndvi)
    out = xr.concat(layers, dim=pd.DatetimeIndex(stamps, name="time")).sortby("time")
    out = out.rio.write_crs(layers[0].rio.crs)
    return out.rename("ndvi").assign_attrs(units="1", long_name="NDVI (MODIS MOD13)",
                                           source=", ".join(f.name for f in files[:3]) + (" ..." if len(files) > 3 else ""))


def monthly_max_composite(ndvi: xr.DataArray) -> xr.DataArray:
    """Maximum-value composite per calendar month (a 16-day composite counts in the month it starts)."""
    out = ndvi.resample(time="MS").max(skipna=True)
    return out.assign_attrs(ndvi.attrs, long_name="NDVI, monthly maximum-value composite")


def read_mod17_npp(path, crs=None) -> xr.DataArray:
    """MOD17A3HGF annual NPP GeoTIFF -> g C m-2 yr-1 (raw kg C m-2 x 0.0001; codes above 32700 as NaN)."""
    p = existing(path, "MOD17 NPP file")
    raw = _open_band(p, crs)
    npp = mask_fill(raw, p, valid_range=NPP_VALID, scale=NPP_SCALE, name="NPP")  # kg C m-2 (over the year)
    npp = units.convert(npp, "kg C m-2 yr-1", "g C m-2 yr-1", name="NPP")
    return npp.rename("npp").assign_attrs(units="g C m-2 yr-1", long_name="annual net primary production (MOD17A3HGF)",
                                          source=p.name)
