"""Totals and shares by region and by land cover (SCIENCE.md section 5).

``zonal_totals(values, zones, unit="t C")``: ``values`` is a flux or stock per area (g C m-2, over
whatever period the values cover) on (y, x) or (time, y, x); ``zones`` an integer raster on the
same grid, or region polygons (GeoDataFrame or a vector file) rasterised with regionmask (a cell
belongs to the polygon that contains its centre).  Areas come from :func:`carbontools.grid.cell_area`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from .grid import cell_area

__all__ = ["UNITS", "zonal_totals", "zones_from_polygons"]

#: grams of carbon per reporting unit
UNITS = {"g C": 1.0, "kg C": 1e3, "t C": 1e6, "Mg C": 1e6, "Gg C": 1e9, "Tg C": 1e12, "Pg C": 1e15}


def zones_from_polygons(regions, like: xr.DataArray | xr.Dataset, name_column: str = "name") -> xr.DataArray:
    """Rasterise region polygons onto the grid of ``like`` (regionmask; cell centres): integer codes, NaN outside.

    The result's ``attrs['names']`` lists the region names by code.
    """
    import geopandas as gpd
    import regionmask

    gdf = gpd.read_file(regions) if not isinstance(regions, gpd.GeoDataFrame) else regions
    if name_column not in gdf.columns:
        raise ValueError(f"the regions have no column {name_column!r}; columns: {[c for c in gdf.columns if c != 'geometry']}")
    crs = like.rio.crs
    if gdf.crs is not None and crs is not None and gdf.crs != crs:
        gdf = gdf.to_crs(crs)
    r = regionmask.from_geopandas(gdf, names=name_column, overlap=False)
    geographic = crs is None or crs.is_geographic
    mask = r.mask(like["x"], like["y"], wrap_lon=None if geographic else False)
    return mask.rename("zone").assign_attrs(names=list(gdf[name_column].astype(str)))


def zonal_totals(values: xr.DataArray, zones, unit: str = "t C", names=None, name_column: str = "name",
                 include_negative: bool = True) -> pd.DataFrame:
    """Total, area, mean, pixel count, missing share and contribution of each zone.

    Returns a DataFrame indexed by zone with ``total`` (in ``unit``), ``area_m2``, ``mean`` (the
    values' unit: area-weighted mean over valid pixels), ``pixels``, ``missing_pct`` (share of the
    zone's pixels without a value) and ``contribution_pct`` (100 * zone total / total of all zones;
    with ``include_negative=False`` negative zones are left out of the denominator and get NaN).
    Over a time axis the values are summed first (e.g. monthly fluxes -> the period's total).
    ``df.attrs`` records the units and the sign handling.
    """
    if unit not in UNITS:
        raise ValueError(f"unit {unit!r} unknown; choose one of {list(UNITS)}")
    if not isinstance(zones, xr.DataArray):
        zones = zones_from_polygons(zones, values, name_column)
    names = names or zones.attrs.get("names")
    if "time" in values.dims:
        values = values.sum("time", skipna=False)
    for dim in ("y", "x"):
        if not np.array_equal(values[dim].values, zones[dim].values):
            raise ValueError(f"values and zones are on different '{dim}' coordinates; put the zones on the "
                             "values' grid first (carbontools.grid.regrid(zones, values, kind='categorical'))")
    area = cell_area(values)
    valid = values.notnull()
    frame = pd.DataFrame({
        "zone": zones.values.ravel(),
        "mass_g": (values.fillna(0.0) * area).values.ravel(),
        "area_m2": area.where(valid).fillna(0.0).values.ravel(),
        "valid": valid.values.ravel(),
    }).dropna(subset=["zone"])
    grouped = frame.groupby("zone")
    table = pd.DataFrame({
        "total": grouped["mass_g"].sum() / UNITS[unit],
        "area_m2": grouped["area_m2"].sum(),
        "pixels": grouped.size(),
        "valid_pixels": grouped["valid"].sum(),
    })
    table["mean"] = grouped["mass_g"].sum() / table["area_m2"].where(table["area_m2"] > 0)
    table["missing_pct"] = 100.0 * (1 - table["valid_pixels"] / table["pixels"])
    positive = table["total"] if include_negative else table["total"].where(table["total"] > 0)
    table["contribution_pct"] = 100.0 * positive / positive.sum()
    table.index = table.index.astype(int)
    if names is not None:
        table.index = [names[int(i)] if isinstance(names, (list, tuple)) else names.get(int(i), int(i))
                       for i in table.index]
    table.index.name = "zone"
    table = table[["total", "area_m2", "mean", "pixels", "missing_pct", "contribution_pct"]]
    table.attrs = {"total": unit, "mean": values.attrs.get("units", "per m2"), "area_m2": "m2",
                   "contribution": "negative zones included" if include_negative else "negative zones excluded"}
    return table
