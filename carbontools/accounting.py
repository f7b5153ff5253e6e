"""Totals and shares by region and by land cover (SCIENCE.md section 5).

``zonal_totals(values, zones, unit="t C")``: ``values`` is a flux or stock per area in its declared
``units`` (g C m-2 when it declares none, over whatever period the values cover) on (y, x) or (time, y, x); ``zones`` an integer raster on the
same grid, or region polygons (GeoDataFrame or a vector file) rasterised with regionmask (a cell
belongs to the polygon that contains its centre).  Areas come from :func:`carbontools.grid.cell_area`.

Every total here is sum(value x cell area x covered share x zone weight) (SCIENCE.md section 5):

- the **covered share** is the field's ``coverage`` coordinate where it has one (coarsened or regridded
  fields: :func:`carbontools.grid.coarsen_conservative`), else 1 where it has a value; the share of a
  zone's area without a value is reported as ``missing_pct``;
- the **area basis** (``attrs['area_basis']``): ``'cell'`` (the default: per m2 of the cell, as models
  and most products give) or ``'land'`` (per m2 of the cell's land); only the latter is multiplied by
  the land share, which must then be given (``land_fraction=``).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr

from . import units
from .grid import cell_area, check_same_grid, coverage, on_grid_of, time_step
from .landcover import reporting_classes
from .units import area_total_factor

__all__ = ["zonal_totals", "zones_from_polygons", "zone_weights", "annual_totals", "seasonal_cycle",
           "latitude_time", "step_amounts", "land_class_weights", "RegionsWarning"]

#: the unit assumed for values that declare none (the models' own)
DEFAULT_UNITS = "g C m-2"
#: what a flux or stock per area is per m2 of: the whole cell (default) or the cell's land
AREA_BASES = ("cell", "land")


def area_basis(values: xr.DataArray, name: str | None = None) -> str:
    """``values.attrs['area_basis']`` (``'cell'`` when absent), checked."""
    basis = values.attrs.get("area_basis", "cell")
    if basis not in AREA_BASES:
        raise ValueError(f"{name or values.name or 'values'} has attrs['area_basis'] = {basis!r}; use 'cell' (per m2 of "
                         "the cell, the usual case) or 'land' (per m2 of the cell's land, then give land_fraction=)")
    return basis


def covered_share(values: xr.DataArray, land_fraction: xr.DataArray | None = None,
                  name: str | None = None) -> xr.DataArray:
    """The share of each cell's area a total counts for ``values``: coverage (0 where NaN) x land share if per m2 of land.

    ``land_fraction`` (0..1 on the values' grid) is needed, and used, only for ``attrs['area_basis'] = 'land'``.
    """
    label = name or values.name or "values"
    share = coverage(values)
    if area_basis(values, label) == "land":
        if land_fraction is None:
            raise ValueError(f"{label} is per m2 of land (attrs['area_basis'] = 'land'): its totals multiply by the "
                             "land share of each cell; give land_fraction= (0..1 on its grid), or set "
                             "attrs['area_basis'] = 'cell' if the values are per m2 of the whole cell")
        land = on_grid_of(land_fraction, values, names=(label, "land_fraction"),
                          fix="put the land fraction on the values' grid first (carbontools.grid.regrid)")
        share = share * land.fillna(0.0)
    return share


def _total_factor(values: xr.DataArray, unit: str) -> float:
    """sum(value x area m2) -> ``unit``, from the values' declared units (default g C m-2)."""
    return area_total_factor(values.attrs.get("units") or DEFAULT_UNITS, unit, values.name or "values")


#: the time denominator of each step of a time axis
STEP_UNITS = {"month": "month-1", "year": "yr-1"}


def step_amounts(values: xr.DataArray, name: str | None = None) -> xr.DataArray:
    """Per-area values as the amount of each step of their time axis: g C m-2 month-1 or g C m-2 yr-1.

    The step (month or year) comes from the time axis (:func:`carbontools.grid.time_step`), never from the
    unit alone, and the declared ``units`` (default g C m-2) are read against it (SCIENCE.md section 5):

    - a unit per step of the axis (per month on a monthly axis, per year on a yearly one) is the step's amount;
    - a unit per another time (per year on a monthly axis, per day, per second) is a rate, converted by the
      real length of each step (28..31 days, 365 or 366): monthly values in g C m-2 yr-1 are not monthly
      totals, and a yearly value in kg C m-2 s-1 is not a January;
    - a unit without a time base ('g C m-2', 'Mg C ha-1') is the amount of each step;
    - a per-month unit on a yearly axis contradicts it and is refused.

    The result has ``units`` 'g C m-2 month-1' or 'g C m-2 yr-1' and ``attrs['time_step']``.
    """
    name = name or values.name or "values"
    if "time" not in values.dims or not np.issubdtype(values["time"].dtype, np.datetime64):
        raise ValueError(f"{name} needs a 'time' dimension of dates (monthly or yearly) to tell amounts from rates")
    declared = values.attrs.get("units") or DEFAULT_UNITS
    u = units.parse(declared, name)
    if u.parts()["area_m2"] is None:
        raise ValueError(f"{name} has units {declared!r}, which are not per area; give e.g. 'g C m-2 month-1'")
    step = time_step(values["time"], name, declared)
    per_time = int(u.pint_unit.dimensionality.get("[time]", 0))
    if per_time == 0:
        source = f"{declared} {STEP_UNITS[step]}"  # the amount of each step
    elif per_time == -1:
        if step == "year" and u.exponent("month") == -1:
            raise ValueError(f"{name} has units {declared!r} (per month) but a yearly time axis: give yearly values "
                             "per year (e.g. 'g C m-2 yr-1') or the monthly series")
        source = declared
    else:
        raise ValueError(f"{name} has units {declared!r}; a flux is per area and per one time unit "
                         "(e.g. 'g C m-2 month-1', 'kg C m-2 s-1')")
    out = units.convert(values, source, f"g C m-2 {STEP_UNITS[step]}", name=name)
    return out.assign_attrs(time_step=step)


class RegionsWarning(UserWarning):
    """Something about region polygons the totals depend on: overlapping regions, regions that cover no cell."""


def zones_from_polygons(regions, like: xr.DataArray | xr.Dataset, name_column: str = "name") -> xr.DataArray:
    """Rasterise region polygons onto the grid of ``like`` (regionmask; cell centres): integer codes, NaN outside.

    The result's ``attrs['names']`` lists the region names by code.  A cell can have one code only: where
    regions overlap, the cell goes to the region listed last, and a :class:`RegionsWarning` says which
    regions overlap and on how many cells.
    """
    gdf, r = _regions(regions, like, name_column, overlap=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mask = r.mask(like["x"], like["y"], wrap_lon=None if _geographic(like) else False)
    _reissue(caught, gdf, name_column)
    pairs = _overlapping_pairs(gdf)
    if pairs:
        both = _regions(gdf.iloc[sorted({i for p in pairs for i in p})], like, name_column)[1]
        w = both.mask_3D(like["x"], like["y"], drop=False, wrap_lon=None if _geographic(like) else False)
        _warn_overlaps(w.astype(float).assign_coords(region=[str(n) for n in both.names]).rename(region="zone"),
                       "each of these cells counts for the region listed last only")
    return mask.rename("zone").assign_attrs(names=list(gdf[name_column].astype(str)))


def zone_weights(regions, like: xr.DataArray | xr.Dataset, name_column: str = "name") -> xr.DataArray:
    """Share (0..1) of every cell inside each region, dims (zone, y, x).

    Geographic grids: the fraction of the cell covered by the polygon (regionmask ``mask_3D_frac_approx``);
    projected grids: 1 where the cell centre lies in the polygon.  Regions that cover no cell are kept
    (all zeros), so that they show up as explicit empty rows.  Overlapping regions each count the cells they
    share (regionmask ``overlap=True``); a :class:`RegionsWarning` names them, since their totals then add up
    to more than the area's.
    """
    gdf, r = _regions(regions, like, name_column)
    names = list(gdf[name_column].astype(str))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if _geographic(like):
            lon, lat = like["x"].rename({"x": "lon"}), like["y"].rename({"y": "lat"})
            w = r.mask_3D_frac_approx(lon.values, lat.values).rename({"lat": "y", "lon": "x"})
        else:
            w = r.mask_3D(like["x"], like["y"], drop=False, wrap_lon=False).astype(float)
    _reissue(caught, gdf, name_column)
    w = w.reindex(region=range(len(names)), fill_value=0.0)
    w = w.drop_vars([c for c in w.coords if c not in ("region", "y", "x")]).rename(region="zone")
    w = w.assign_coords(zone=names, y=like["y"], x=like["x"])
    w = w.fillna(0.0).astype(float).rename("zone_weight")
    if len(names) > 1 and _overlapping_pairs(gdf):
        _warn_overlaps(w, "their totals count these cells once in each region, so the regions' totals add up to "
                          "more than the total of the area")
    return w


def _overlapping_pairs(gdf) -> list[tuple[int, int]]:
    """Pairs of row positions whose polygons share some area (shared edges are no overlap): shapely/geopandas.

    A shared area below 1e-9 of the smaller polygon's is rounding left by a polygon overlay (e.g. regions cut
    from one another, :func:`carbontools.io.china_geographic_regions`), not an overlap.
    """
    left, right = gdf.sindex.query(gdf.geometry, predicate="intersects")
    geoms = gdf.geometry.to_numpy()
    return [(int(i), int(j)) for i, j in zip(left, right)
            if i < j and geoms[i].intersection(geoms[j]).area > 1e-9 * min(geoms[i].area, geoms[j].area)]


def _warn_overlaps(w: xr.DataArray, consequence: str) -> None:
    """A RegionsWarning naming the regions that share cells of the grid (none when no cell is shared)."""
    inside = (w > 0).astype(int)
    shared = xr.dot(inside, inside.rename(zone="other"), dim=("y", "x")).values
    zones = [str(z) for z in w["zone"].values]
    found = [f"{zones[i]!r} and {zones[j]!r} ({int(shared[i, j])} cell(s))"
             for i in range(len(zones)) for j in range(i + 1, len(zones)) if shared[i, j] > 0]
    if found:
        warnings.warn(f"regions overlap: {', '.join(found)} lie in both; {consequence}. If the regions should "
                      "divide the area between them, fix the polygons (e.g. geopandas.overlay) before totalling",
                      RegionsWarning, stacklevel=_outside_package())


def _outside_package() -> int:
    """The ``stacklevel`` of the first caller outside carbontools (a warning points at the user's line)."""
    import sys
    from pathlib import Path

    package = str(Path(__file__).resolve().parent)
    frame, level = sys._getframe(1), 1
    while frame is not None and str(Path(frame.f_code.co_filename).resolve()).startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def _reissue(caught, gdf, name_column) -> None:
    """regionmask's warnings, reworded where we know what they mean for the totals; others passed on."""
    for w in caught:
        text = str(w.message)
        if "No gridpoint belongs to any region" in text:
            b = [round(float(v), 3) for v in gdf.total_bounds]
            warnings.warn(f"none of the {len(gdf)} regions ({', '.join(map(str, gdf[name_column][:5]))}"
                          f"{', ...' if len(gdf) > 5 else ''}) covers the centre of a cell of the grid (regions' "
                          f"bounds {b} in {gdf.crs}): every region's total is empty; check that the regions lie "
                          "on the grid and share its CRS", RegionsWarning, stacklevel=_outside_package())
        elif not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning)):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _geographic(like) -> bool:
    crs = like.rio.crs
    return crs is None or crs.is_geographic


def _regions(regions, like, name_column, overlap: bool = True):
    """The regions as a GeoDataFrame in the grid's CRS and as regionmask Regions (``overlap`` stated, so that
    regionmask does not guess)."""
    import geopandas as gpd
    import regionmask

    gdf = gpd.read_file(regions) if not isinstance(regions, gpd.GeoDataFrame) else regions
    if name_column not in gdf.columns:
        raise ValueError(f"the regions have no column {name_column!r}; columns: {[c for c in gdf.columns if c != 'geometry']}")
    if len(gdf) == 0:
        raise ValueError("the regions table is empty")
    crs = like.rio.crs
    if gdf.crs is not None and crs is not None and gdf.crs != crs:
        gdf = gdf.to_crs(crs)
    # regionmask warns about attrs 'name'/'source'/'overlap' (its own round trip), which io.read_regions sets
    plain = gdf.copy()
    plain.attrs = {}
    return gdf, regionmask.from_geopandas(plain, names=name_column, overlap=overlap)


def land_class_weights(fractions: xr.DataArray, non_land=(10,)) -> xr.DataArray:
    """Weights (class, y, x) that share a per-m2-of-cell flux among the LAND classes of each cell.

    ``fractions`` are class fractions of the whole cell (:func:`carbontools.grid.class_fractions`;
    casa class 10 is water, the sea included).  A flux per m2 of cell comes from the cell's land, so
    each land class gets fraction / land share and the ``non_land`` classes get nothing (they are
    dropped); cells without land get 0 (what they hold is reported as missing by the totals).  The
    weights of a cell with land sum to 1, so by-class totals add up to the totals over those cells.
    """
    if "class" not in fractions.dims:
        raise ValueError(f"fractions need a 'class' dimension; they have {fractions.dims}")
    fractions = fractions.drop_vars("coverage", errors="ignore")
    land_codes = [c for c in fractions["class"].values.tolist() if c not in set(non_land)]
    land = fractions.sel({"class": land_codes})
    share = land.sum("class")
    out = (land / share.where(share > 0)).fillna(0.0)
    return out.rename("land_class_weight").assign_attrs(
        units="1", long_name="share of the cell's land in each class",
        non_land_classes=str(list(non_land)))


def _label(names, code):
    if names is None:
        return int(code)
    if isinstance(names, (list, tuple)):
        return names[int(code)]
    return names.get(int(code), int(code))


def _zoning(zones, values: xr.DataArray, names, name_column: str):
    """One zoning as cell weights (zone, y, x) on the values' grid, its default level name and the codes left out.

    ``excluded`` lists (code, reason, mask) for the class codes that are no rows (nodata, not in the scheme).
    """
    fix = ("put the zones on the values' grid first (carbontools.grid.regrid(zones, values, kind='categorical'))")
    if isinstance(zones, xr.DataArray) and zones.ndim == 3:
        weights = zones.rename({zones.dims[0]: "zone"})
        if names is not None:
            weights = weights.assign_coords(zone=[_label(names, c) for c in weights["zone"].values])
        check_same_grid(values, weights, names=("values", "zones"), fix=fix)
        return weights, zones.dims[0], []
    if isinstance(zones, xr.DataArray):
        check_same_grid(values, zones, names=("values", "zones"), fix=fix)
        labels, left_out = reporting_classes(zones, names if names is not None else zones.attrs.get("names"),
                                             name=zones.name or "zones")
        if not labels:
            raise ValueError(f"the zones {zones.name or ''} have no class to report (codes left out: "
                             f"{left_out or 'none, the map is all NaN'}); check the map and its nodata")
        by_label = {}  # one row per class name: codes sharing a name (IGBP 0 and 17, water bodies) count together
        for code, lab in labels.items():
            by_label.setdefault(lab, []).append(code)
        weights = xr.concat([zones.isin(codes).astype(float) for codes in by_label.values()],
                            dim=pd.Index(list(by_label), name="zone"))
        level = "landcover" if zones.attrs.get("scheme") else (zones.name or "zone")
        return weights, level, [(c, why, zones == c) for c, why in left_out.items()]
    return zone_weights(zones, values, name_column), "region", []


def zonal_totals(values: xr.DataArray, zones, unit: str = "t C", names=None, name_column: str = "name",
                 include_negative: bool = True, land_fraction: xr.DataArray | None = None) -> pd.DataFrame:
    """Total, its unit, area, mean, pixel count, missing share and contribution of each zone.

    ``zones``: an integer raster on the values' grid (classes or region codes), a (zone, y, x) array of
    cell shares (e.g. land-cover fractions with dim ``class``, or :func:`zone_weights`), or region polygons
    (a GeoDataFrame or a vector file; partial cells at polygon edges count with their covered share on
    geographic grids).  Rows of a class map are labelled by ``names`` (dict code -> label, or list by code),
    else by the map's ``attrs['names']``, else by its scheme's class names (``attrs['scheme']``: a CLCD or
    WorldCover map keeps its own classes, e.g. cropland apart from grassland, which the models merge into
    CASA class 7; :func:`carbontools.landcover.reporting_classes`), else by code.  Codes that are no class
    (the map's nodata, codes its scheme does not have) are no rows: ``attrs['excluded']`` lists them with
    their pixels, area and the total of the values on them.

    Several zonings at once: ``zones=[districts, landcover]`` or ``zones={"district": districts,
    "landcover": landcover}`` gives one row per combination that has a cell (a tidy table indexed by a
    MultiIndex, levels named by the dict's keys, else ``region`` for polygons, ``landcover`` for a map
    with a scheme, else the zoning's name); ``names`` is then a list with one entry per zoning (or None).

    Returns a DataFrame indexed by zone with ``total`` (in ``unit``), ``unit``, ``area_m2`` (valid area),
    ``mean`` (the values' unit, area-weighted over valid cells), ``pixels`` (cells touched),
    ``missing_pct`` (share of the zone's area without a value; the valid share is 100 minus it) and
    ``contribution_pct`` (100 * zone total / sum of the zone totals; with ``include_negative=False``
    negative zones are left out of the denominator and get NaN).  With one zoning, a zone that covers
    no cell is an explicit row with NaN totals.
    Over a time axis the values are summed first (monthly fluxes -> the period's total).
    Cells count with their covered share (``coverage`` coordinate) and, for values per m2 of land
    (``attrs['area_basis'] = 'land'``), their ``land_fraction`` (see the module docstring).
    """
    to_unit = _total_factor(values, unit)
    label = values.name or "values"
    share = covered_share(values, land_fraction, label)
    if "time" in values.dims:
        mass_per_m2 = (values * share).sum("time", skipna=False)
        share = share.mean("time") if "time" in share.dims else share
        values = (mass_per_m2 / share.where(share > 0)).assign_attrs(values.attrs)
    share = share.where(values.notnull(), 0.0)

    several = isinstance(zones, (list, tuple, Mapping))
    if several:
        keys = list(zones) if isinstance(zones, Mapping) else [None] * len(zones)
        zonings = list(zones.values()) if isinstance(zones, Mapping) else list(zones)
        if len(zonings) < 1:
            raise ValueError("zones is an empty list: give one zoning or several")
        if names is not None and (not isinstance(names, (list, tuple)) or len(names) != len(zonings)):
            raise ValueError(f"with {len(zonings)} zonings, names must be a list of {len(zonings)} entries (a dict "
                             "code -> label or None for each zoning), in the order of zones")
        per_zoning = names if names is not None else [None] * len(zonings)
    else:
        keys, zonings, per_zoning = [None], [zones], [names]
    weights, levels, left_out = [], [], []
    for key, zoning, zoning_names in zip(keys, zonings, per_zoning):
        w, level, codes = _zoning(zoning, values, zoning_names, name_column)
        level = key or ("zone" if not several else level)
        while level in levels:
            level = f"{level}_{len(levels)}"
        weights.append(w.assign_coords(y=values["y"], x=values["x"]).rename(zone=level))
        levels.append(level)
        left_out += [(level, *c) for c in codes]
    area = cell_area(values)
    dims = ("y", "x")
    field = values.fillna(0.0) * area * share
    excluded = []
    for level, code, why, mask in left_out:
        mask = mask.assign_coords(y=values["y"], x=values["x"])
        excluded.append({"zoning": level, "code": code, "reason": why, "pixels": int(mask.sum()),
                         "area_m2": float((area * mask).sum()), "total": float((field * mask).sum()) * to_unit})
    weights = [w.drop_vars([c for c in w.coords if c not in (*levels, "y", "x")]) for w in weights]
    mass = xr.dot(field, *weights, dim=dims)
    area_valid = xr.dot(area * share, *weights, dim=dims)
    area_all = xr.dot(area, *weights, dim=dims)
    pixels = xr.dot(*[(w > 0).astype(int) for w in weights], dim=dims) if len(weights) > 1 else (
        (weights[0] > 0).sum(dims))
    table = pd.DataFrame({
        "total": (mass * to_unit).where(area_valid > 0).to_series(),
        "unit": unit,
        "area_m2": area_valid.to_series(),
        "mean": (mass / area_valid.where(area_valid > 0)).to_series(),
        "pixels": pixels.to_series(),
        "missing_pct": (100.0 * (1 - area_valid / area_all.where(area_all > 0))).clip(min=0.0).to_series(),
    })
    if several:  # one row per combination that has a cell
        table = table[area_all.to_series().reindex(table.index) > 0]
    positive = table["total"] if include_negative else table["total"].where(table["total"] >= 0)
    table["contribution_pct"] = 100.0 * positive / positive.sum()
    if not several:
        table.index.name = "zone"
    table.attrs = {"total": unit, "mean": values.attrs.get("units", "per m2"), "area_m2": "m2 (covered)",
                   "missing_pct": "share of the zone's area without a value (%)",
                   "area_basis": f"per m2 of {area_basis(values, label)}",
                   "contribution": "negative zones included" if include_negative else "negative zones excluded",
                   "excluded": excluded}
    if several:
        table.attrs["rows"] = f"combinations of {', '.join(levels)} that have a cell"
    return table


# --- time summaries ------------------------------------------------------------------------------

def annual_totals(values: xr.DataArray, weights=None, unit: str = "Tg C",
                  land_fraction: xr.DataArray | None = None, name: str | None = None) -> xr.DataArray:
    """Yearly total over the grid (or per zone with ``weights`` (zone, y, x)) of a per-area flux series.

    ``values`` per area on a monthly or yearly time axis (their ``units``, default g C m-2 per step);
    each step's amount comes from :func:`step_amounts` (rates converted by the real length of the step).
    Choices (SCIENCE.md sections 3 and 5):

    - a year is **complete** with all 12 months (one yearly value covers them): incomplete years are NaN,
      with the months present in the coordinate ``months``;
    - a cell counts in a year only where it has a value in every step of that year (a cell's NaN is
      missing data, never zero); the share of the (zone's) area left out is the coordinate ``missing_pct``
      (year[, zone]);
    - cells count with their covered share (``coverage``) and, per m2 of land, their ``land_fraction``.

    Returns (year[, zone]) in ``unit`` per year.
    """
    label = name or values.name or "values"
    amounts = step_amounts(values, label)
    share = covered_share(amounts, land_fraction, label)
    stamps = pd.DatetimeIndex(amounts["time"].values)
    per_step = 12 if amounts.attrs["time_step"] == "year" else 1
    months = pd.Series(per_step, index=stamps.year).groupby(level=0).sum()
    year = amounts["time"].dt.year.rename("year")
    mass = (amounts.fillna(0.0) * share).groupby(year).sum()
    valid = amounts.notnull().groupby(year).all()
    share_year = share.groupby(year).mean() if "time" in share.dims else share
    area = cell_area(values)
    w = area if weights is None else area * weights
    dims = ("y", "x")
    total = (mass.where(valid, 0.0) * w).sum(dims) * _total_factor(amounts, unit)
    valid_area = (share_year.where(valid, 0.0) * w).sum(dims)
    all_area = w.sum(dims)
    complete = xr.DataArray(months.reindex(total["year"].values).values == 12, dims="year")
    out = total.where(complete & (valid_area > 0))
    missing = (100.0 * (1.0 - valid_area / all_area.where(all_area > 0))).clip(min=0.0)  # no -0.0 from rounding
    out = out.assign_coords(months=("year", months.reindex(total["year"].values).values.astype(int)),
                            missing_pct=missing.transpose(*out.dims))
    out["months"].attrs = {"long_name": "months of the year present", "units": "1"}
    out["missing_pct"].attrs = {"long_name": "share of the area without a value in every step of the year", "units": "%"}
    return out.drop_attrs(deep=False).assign_attrs(units=f"{unit} yr-1", long_name=f"annual total of {values.attrs.get('long_name', values.name)}",
                            area_basis=f"per m2 of {area_basis(values, label)}",
                            incomplete_years="NaN (a year needs all 12 months; see the 'months' coordinate)")


def seasonal_cycle(values: xr.DataArray, weights=None) -> xr.DataArray:
    """Area-weighted mean by calendar month over the years (dim ``month``), per zone with ``weights``."""
    area = cell_area(values) * coverage(values)
    w = area if weights is None else area * weights
    mean = (values.fillna(0.0) * w).sum(("y", "x")) / w.where(values.notnull()).sum(("y", "x"))
    out = mean.drop_vars("coverage", errors="ignore").groupby("time.month").mean()
    out.attrs = {"units": values.attrs.get("units", ""),
                 "long_name": f"seasonal cycle of {values.attrs.get('long_name', values.name or 'values')} "
                              "(area-weighted mean by calendar month)"}
    return out.rename(values.name)


def latitude_time(values: xr.DataArray, land_fraction: xr.DataArray | None = None) -> xr.DataArray:
    """Zonal mean (latitude x time, a Hovmoller section) over land cells only.

    Each cell counts with its land share (``land_fraction``, 0..1, required: without it sea cells would
    count as land) times its area (and its covered share, ``coverage``); rows without land are NaN.
    Along a row all cells have the same area on a regular geographic grid, so this is the land-weighted
    mean.  (To average every cell regardless of land, pass ``land_fraction=xr.ones_like(...)``.)
    """
    if land_fraction is None:
        raise ValueError(f"latitude_time averages {values.name or 'values'} over land only: give land_fraction= "
                         "(0..1 on the values' grid, e.g. 1 - the water fraction); without it sea cells would "
                         "count as land")
    land = on_grid_of(land_fraction, values, names=(values.name or "values", "land_fraction"),
                      fix="put the land fraction on the values' grid first (carbontools.grid.regrid)")
    w = cell_area(values) * coverage(values) * land
    w = w.where(values.notnull(), 0.0)
    out = (values.fillna(0.0) * w).sum("x") / w.sum("x").where(w.sum("x") > 0)
    out = out.drop_vars("coverage", errors="ignore")
    return out.transpose("y", "time").drop_attrs(deep=False).assign_attrs(units=values.attrs.get("units", ""),
                                                    long_name="zonal mean over land")
