"""Carbon reports: storage and NEP totals, class means and what small green spaces add (SCIENCE.md section 4).

The per-pixel storage model is :mod:`carbontools.models.storage` (pools per class, storage densities in
Mg C ha-1, storage from class fractions, sequestration).  This module reports on its maps, beside
:mod:`carbontools.accounting`:

- :func:`storage_total` and :func:`nep_total`: a grid's total, sum(value x pixel area), with areas from
  :func:`carbontools.grid.cell_area` and the result in a stated unit (``'Mg C'``, ``'Mt CO2'``, ...);
- :func:`storage_by_zone`: storage totals and mean densities by land-cover class or region;
- :func:`class_means`: the area-weighted mean of a map over each land-cover class;
- :func:`small_green_space_effect`: storage from class FRACTIONS minus storage from the majority
  class, per region.  The difference is what pocket parks, street trees and other sub-cell patches
  add (or what sub-cell sealing removes) and majority-class accounting misses;
- :func:`mixed_green_space_budget`: the life-cycle budget (:func:`carbontools.budget.green_space_budget`)
  of a green space made of several classes in fixed shares (a park of trees and lawn), from its area or
  a mask of its pixels.
"""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Number

import numpy as np
import pandas as pd
import xarray as xr

from .accounting import covered_share, zonal_totals, zones_from_polygons
from .budget import green_space_budget, parse_unit
from .grid import cell_area, class_fractions
from .landcover import class_lookup, nodata_values
from .models.storage import (STORAGE_UNITS, _check_same_grid, _class_codes, majority_class, nep_from_fractions,
                             read_pools, storage_density, storage_from_fractions)

__all__ = [
    "storage_total",
    "storage_by_zone",
    "class_means",
    "nep_total",
    "small_green_space_effect",
    "mixed_green_space_budget",
    "Total",
]


class Total(float):
    """A total (a float) that says what it is in ``attrs``: ``units``, ``missing_pct`` (share of the grid's area
    without a value, %), ``area_m2`` (the area with a value).  It computes and prints as the plain float."""

    def __new__(cls, value, attrs=None):
        obj = super().__new__(cls, value)
        obj.attrs = dict(attrs or {})
        return obj

    def __reduce__(self):
        return (Total, (float(self), self.attrs))


def _grid_total(values: xr.DataArray, factor: float, units: str):
    """sum(value x cell area x covered share) x factor over (y, x), NaN where no cell has a value, with the missing share."""
    area = cell_area(values)
    share = covered_share(values)
    dims = ("y", "x")
    valid_area = (area * share).sum(dims)
    missing = 100.0 * (1.0 - valid_area / area.sum(dims))
    total = ((values.fillna(0.0) * area * share).sum(dims) * factor).where(valid_area > 0)
    if total.ndim == 0:
        return Total(float(total), {"units": units, "missing_pct": float(missing), "area_m2": float(valid_area)})
    return total.drop_vars("coverage", errors="ignore").assign_coords(missing_pct=missing).assign_attrs(units=units)


# --------------------------------------------------------------------------------------------
# Totals
# --------------------------------------------------------------------------------------------

def storage_total(density: xr.DataArray, unit: str = "Mg C", density_unit: str | None = None):
    """Total carbon stored on the grid: sum(density x cell area m2 / 10000), in ``unit`` (``'Mg C'``, ``'Gg C'``,
    ``'t CO2'``, ...).

    ``density`` is per area: ``density_unit``, else ``density.attrs['units']``, else Mg C ha-1 (the unit of
    :func:`carbontools.models.storage.storage_density`).  Areas come from :func:`carbontools.grid.cell_area`,
    so geographic grids get their true cell areas; cells count with their covered share (``coverage``
    coordinate of coarsened maps).  NaN pixels are missing data: a map without any value gives NaN (not 0).
    Returns a :class:`Total` (a float with ``attrs`` ``units``, ``missing_pct`` and ``area_m2``), or a
    DataArray over any dims besides (y, x) with a ``missing_pct`` coordinate.
    """
    du = parse_unit(density_unit or density.attrs.get("units") or STORAGE_UNITS, "density",
                    density.attrs.get("carbon_basis"))
    ou = parse_unit(unit, "unit")
    if du.area_m2 is None:
        raise ValueError(f"density has unit {du.text!r}, which is not per area; give e.g. 'Mg C ha-1'")
    if ou.area_m2 is not None or ou.per_year != du.per_year:
        raise ValueError(f"unit {unit!r} must be a total mass{' per year' if du.per_year else ''} such as "
                         f"'Mg C' or 'Gg CO2'{' yr-1' if du.per_year else ''} (density is {du.text!r})")
    factor = du.to_grams_basis(ou.basis) / du.area_m2 / ou.grams  # per m2 -> output unit
    return _grid_total(density, factor, ou.text)


def storage_by_zone(density: xr.DataArray, zones, unit: str = "Mg C", names=None, name_column: str = "name",
                    density_unit: str | None = None) -> pd.DataFrame:
    """Carbon stored in each zone (land-cover classes or regions): :func:`carbontools.accounting.zonal_totals`
    of a storage density, with ``mean`` in the density's own unit.

    ``density`` is a stock per area: ``density_unit``, else ``density.attrs['units']``, else Mg C ha-1 (the
    unit of :func:`carbontools.models.storage.storage_density`); it is converted to g C m-2 for
    ``zonal_totals``.  ``zones``, ``names`` and ``name_column`` are those of ``zonal_totals`` (an integer
    raster such as the land-cover map itself, or region polygons); ``unit`` is the unit of ``total``
    (``'Mg C'``, ``'Gg C'``, ...).  Returns the ``zonal_totals`` table.
    """
    du = parse_unit(density_unit or density.attrs.get("units") or STORAGE_UNITS, "density",
                    density.attrs.get("carbon_basis"))
    if du.area_m2 is None or du.per_year:
        raise ValueError(f"density has unit {du.text!r}; a storage density is a stock per area such as 'Mg C ha-1' "
                         "(for annual fluxes per area use carbontools.accounting.zonal_totals)")
    # zonal_totals reads the density's unit: totals in ``unit``, means in the density's own unit
    return zonal_totals(density.assign_attrs(units=du.text), zones, unit=unit, names=names, name_column=name_column)


def nep_total(nep: xr.DataArray, unit: str = "t C", nep_unit: str | None = None):
    """Total NEP of the grid (a sink if > 0) in ``unit`` per year: sum(NEP x cell area).

    ``nep`` is annual NEP per area (``nep_unit``, else ``attrs['units']``, else g C m-2 yr-1, the unit of
    ``carbontools.run(...)['nep_annual']``).  Returns a float, or a pandas Series by year for a ``year``
    dim, with ``attrs['units']`` e.g. ``'t C yr-1'``.  As for :func:`storage_total`, cells count with their
    covered share, NaN cells are missing (an all-NaN map gives NaN) and the float is a :class:`Total`
    carrying ``missing_pct``; the Series has a ``missing_pct`` attr per year.
    """
    nu = parse_unit(nep_unit or nep.attrs.get("units") or "g C m-2 yr-1", "nep", nep.attrs.get("carbon_basis"))
    if nu.area_m2 is None or not nu.per_year:
        raise ValueError(f"nep has unit {nu.text!r}; annual NEP is per area and per year, e.g. 'g C m-2 yr-1' "
                         "(sum monthly values to years first: carbontools.models.nep.annual_sum)")
    ou = parse_unit(unit, "unit")
    if ou.area_m2 is not None or ou.per_year:
        raise ValueError(f"unit {unit!r} must be a mass such as 't C' or 'Gg CO2' (the result is per year)")
    factor = nu.to_grams_basis(ou.basis) / nu.area_m2 / ou.grams
    label = f"{ou.text} yr-1"
    total = _grid_total(nep, factor, label)
    if isinstance(total, Total):
        return total
    series = total.drop_vars("missing_pct").to_series().rename("nep_total")
    series.attrs = {"units": label, "missing_pct": total["missing_pct"].to_series().to_dict()}
    return series



# --------------------------------------------------------------------------------------------
# Small green spaces: fractions against the majority class
# --------------------------------------------------------------------------------------------

def class_means(values: xr.DataArray, landcover: xr.DataArray) -> pd.Series:
    """Area-weighted mean of ``values`` over the pixels of each class of ``landcover`` (same grid), by class code.

    E.g. the mean annual NEP of each class, to feed :func:`carbontools.models.storage.nep_from_fractions`.
    """
    _check_same_grid(values, landcover, ("values", "landcover"))
    nodata = nodata_values(landcover)
    area = cell_area(values)
    valid = values.notnull() & landcover.notnull()
    for nd in nodata:
        valid = valid & (landcover != nd)
    frame = pd.DataFrame({"cls": landcover.where(valid).values.ravel(),
                          "w": (values.fillna(0) * area).where(valid).values.ravel(),
                          "a": area.where(valid).values.ravel()}).dropna()
    grouped = frame.groupby("cls")
    out = grouped["w"].sum() / grouped["a"].sum()
    out.index = out.index.astype(int)
    out.index.name = "class"
    out.attrs = {"units": values.attrs.get("units", "")}
    return out.rename(values.name or "mean")


def small_green_space_effect(fine_landcover: xr.DataArray, factor_or_target, pools: pd.DataFrame | None = None,
                             zones=None, names=None, name_column: str = "name", nep_by_class=None,
                             return_maps: bool = False):
    """Storage from class fractions minus storage from the majority class, per region (or the whole grid).

    ``fine_landcover`` (e.g. 10-30 m) is aggregated onto a coarse grid: ``factor_or_target`` is an integer
    block size or a target grid (see :func:`carbontools.grid.class_fractions`).  Fraction-based storage
    is sum(fraction x class storage); majority-class storage gives each coarse cell the storage of its
    largest class (:func:`carbontools.models.storage.majority_class`).  Their difference is what sub-cell
    patches (small green spaces, or sub-cell sealing) contribute that majority-class accounting misses.

    ``zones``: None (the whole grid), an integer raster on the coarse grid, or region polygons
    (GeoDataFrame or vector file, rasterised on the coarse grid's cell centres).  A named region with
    no coarse cell gets an explicit row of NaN and a note.  ``nep_by_class`` (class code -> NEP in
    g C m-2 yr-1) adds the same comparison for annual NEP.

    Coarse cells only partly covered by classified pixels (a map clipped to a city boundary, nodata)
    count with their classified share (the ``coverage`` of :func:`carbontools.grid.class_fractions`):
    both totals and ``area_m2`` cover the classified area only, never whole coarse cells.

    Returns a DataFrame by zone: ``area_m2`` (classified area), ``cells``, ``fraction_based_MgC``, ``majority_class_MgC``,
    ``difference_MgC`` (fraction - majority), ``difference_pct`` (of the majority-class total), ``note``
    (and ``nep_*_tC_yr`` columns); with ``return_maps=True`` also a Dataset of the maps (Mg C ha-1).
    """
    table = read_pools() if pools is None else pools
    nodata = _class_codes(fine_landcover, table, "fine_landcover")
    if nodata:  # nodata pixels are no class: leave them out of the fractions
        fine_landcover = fine_landcover.where(~fine_landcover.isin(nodata))
    if isinstance(factor_or_target, (int, np.integer)) and not isinstance(factor_or_target, bool):
        if factor_or_target < 2:
            raise ValueError(f"the block size must be an integer >= 2, got {factor_or_target}")
        block = int(factor_or_target)
        ny, nx = fine_landcover.sizes["y"], fine_landcover.sizes["x"]
        if ny % block or nx % block:
            raise ValueError(f"fine_landcover is {ny} x {nx} pixels (y, x), not a whole number of {block} x {block} "
                             f"blocks: pad it with {-ny % block} row(s) and {-nx % block} column(s) of NaN (unclassified "
                             "pixels, left out of the fractions; extend the y and x coordinates at the same spacing), "
                             "crop it, or give a target grid instead of a block size")
        fractions = class_fractions(fine_landcover, factor=block)
    elif isinstance(factor_or_target, (xr.DataArray, xr.Dataset)):
        fractions = class_fractions(fine_landcover, target=factor_or_target)
    else:
        raise TypeError("factor_or_target must be an integer block size or a target grid (DataArray/Dataset), "
                        f"not {type(factor_or_target).__name__}")
    cov = fractions["coverage"]  # the classified share of each coarse cell: areas and totals count it
    by_fraction = storage_from_fractions(fractions, table).assign_coords(coverage=cov)
    majority = majority_class(fractions).assign_coords(coverage=cov)
    by_majority = storage_density(majority, table).assign_coords(coverage=cov)

    if zones is None:
        zone_map = xr.zeros_like(by_fraction).drop_vars("coverage").rename("zone")
        names = ["whole grid"]
    elif isinstance(zones, xr.DataArray):
        zone_map, names = zones, names or zones.attrs.get("names")
    else:
        zone_map = zones_from_polygons(zones, by_fraction, name_column)
        names = names or zone_map.attrs.get("names")
    if not bool(zone_map.notnull().any()):
        raise ValueError("the zones cover no cell of the coarse grid: check that they overlap it and share its CRS")

    t_frac, t_maj = (storage_by_zone(d, zone_map, unit="Mg C", names=names) for d in (by_fraction, by_majority))
    out = pd.DataFrame({"area_m2": t_frac["area_m2"], "cells": t_frac["pixels"], "missing_pct": t_frac["missing_pct"],
                        "fraction_based_MgC": t_frac["total"], "majority_class_MgC": t_maj["total"]})
    out["difference_MgC"] = out["fraction_based_MgC"] - out["majority_class_MgC"]
    maj = out["majority_class_MgC"].where(out["majority_class_MgC"] != 0)
    out["difference_pct"] = 100.0 * out["difference_MgC"] / maj
    out["note"] = np.where(maj.isna(), "majority-class storage is zero: no percentage", "")

    maps = {"fraction_based": by_fraction, "majority_class_storage": by_majority,
            "difference": (by_fraction - by_majority).assign_attrs(units=STORAGE_UNITS), "majority_class": majority}
    if nep_by_class is not None:
        nep_frac = nep_from_fractions(fractions, nep_by_class).assign_coords(coverage=cov)
        values = {int(k): float(v) for k, v in dict(nep_by_class).items()}
        nep_maj = class_lookup(majority, values, []).assign_coords(coverage=cov)
        for label, nep in (("fraction_based", nep_frac), ("majority_class", nep_maj)):
            t = zonal_totals(nep.assign_attrs(units="g C m-2 yr-1"), zone_map, unit="t C", names=names)
            out[f"nep_{label}_tC_yr"] = t["total"]
        out["nep_difference_tC_yr"] = out["nep_fraction_based_tC_yr"] - out["nep_majority_class_tC_yr"]
        maps["nep_difference"] = (nep_frac - nep_maj).assign_attrs(units="g C m-2 yr-1")

    if names is not None:  # regions without a single coarse cell: explicit rows, never dropped
        labels = list(names.values()) if isinstance(names, Mapping) else list(names)
        empty = [n for n in labels if n not in out.index]
        if empty:
            out = out.reindex(list(out.index) + empty)
            out.loc[empty, "note"] = ("no coarse cell has its centre in this region (outside the grid, or "
                                      "smaller than one cell)")
            out.loc[empty, "cells"] = 0
    out.index.name = "zone"
    out.attrs = {"units": "Mg C (storage), t C yr-1 (nep)", "difference": "fraction-based minus majority-class",
                 "pools_source": table.attrs.get("source", "")}
    if return_maps:
        ds = xr.Dataset(maps)
        return out, ds
    return out


# --------------------------------------------------------------------------------------------
# Life-cycle budget of a mixed green space
# --------------------------------------------------------------------------------------------

def mixed_green_space_budget(area, composition, sequestration_per_area, management_factors, construction=None,
                             lifetime_years: float | None = None, **options) -> pd.DataFrame:
    """The life-cycle budget of a green space made of several classes in fixed shares, per class and in total.

    - ``area``: the green space's area, a number (m2, or ``area_unit``), or a boolean DataArray on a
      grid, True on its pixels (their areas from :func:`carbontools.grid.cell_area`, in m2).
    - ``composition``: mapping class -> share of the area (>= 0, summing to 1), e.g.
      ``{"park_trees": 0.7, "lawn": 0.3}``; the class names are those of the management factor table.
    - ``sequestration_per_area``, ``management_factors``, ``construction``, ``lifetime_years`` and the
      ``options`` (``area_unit``, ``sequestration_unit``, ``construction_unit``, ``basis``) are those of
      :func:`carbontools.budget.green_space_budget`, which is called with area x share for every class.

    Returns its table (one row per class plus ``total``; ``net > 0``: a net sink), with the shares in
    ``attrs['composition']``.
    """
    if isinstance(area, xr.DataArray):
        if area.dtype != bool:
            raise TypeError(f"area as a DataArray must be a boolean mask (True on the green space), not {area.dtype}")
        if options.get("area_unit", "m2") != "m2":
            raise ValueError("the area of a mask is in m2 (carbontools.grid.cell_area); leave area_unit out")
        total = float(cell_area(area).where(area).sum())
    elif isinstance(area, (Number, np.number)) and not isinstance(area, bool):
        total = float(area)
    else:
        raise TypeError(f"area must be a number or a boolean DataArray mask, not {type(area).__name__}")
    if not isinstance(composition, (Mapping, pd.Series)) or len(composition) == 0:
        raise ValueError("composition must be a non-empty mapping class -> share of the area, e.g. "
                         "{'park_trees': 0.7, 'lawn': 0.3}")
    shares = {str(k).strip(): float(v) for k, v in dict(composition).items()}
    bad = [c for c, v in shares.items() if not np.isfinite(v) or v < 0]
    if bad:
        raise ValueError(f"composition has negative or missing shares for {bad}")
    if not np.isclose(sum(shares.values()), 1.0, rtol=0, atol=1e-6):
        raise ValueError(f"the shares of composition sum to {sum(shares.values()):.6g}, not 1: give the share of "
                         "every class of the green space")
    table = green_space_budget({c: v * total for c, v in shares.items()}, sequestration_per_area, management_factors,
                               construction, lifetime_years, **options)
    table.attrs["composition"] = shares
    return table
