"""Carbon storage in four pools per land-cover class, and what small green spaces add (SCIENCE.md section 4).

InVEST carbon model convention: every land-cover class has four pools, above-ground biomass,
below-ground biomass, soil organic carbon and dead organic matter, in Mg C ha-1 (= t C ha-1).  A
pixel stores the sum of its class's pools; a region stores sum(pixel value x pixel area m2 / 10000)
Mg C, with areas from :func:`carbontools.grid.cell_area`.  Sequestration between two maps is
storage(after) - storage(before).

Small green spaces: a fine land-cover map aggregated to class FRACTIONS per coarse cell
(:func:`carbontools.grid.class_fractions`) stores sum(fraction x class storage); majority-class
accounting gives each coarse cell the storage of its largest class.  The difference
(:func:`small_green_space_effect`) is what pocket parks, street trees and other sub-cell patches add
(or what sub-cell sealing removes) and majority-class accounting misses.

The pool table is user-replaceable (:func:`read_pools`); the shipped defaults
(``carbontools/tables/carbon_pools_<scheme>.csv``) are ILLUSTRATIVE values from the IPCC 2006
Guidelines, to be replaced with local ones.  A class present in a map but not in the table is an
error naming the class, never a silent zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from os import PathLike

import numpy as np
import pandas as pd
import xarray as xr

from ..budget import M2_PER_HA, parse_unit
from ..grid import cell_area, class_fractions
from ..landcover import class_lookup, nodata_values, present_codes
from ..params import read_table

__all__ = [
    "POOLS",
    "M2_PER_HA",
    "G_M2_PER_MG_HA",
    "STORAGE_UNITS",
    "pool_schemes",
    "read_pools",
    "storage_pools",
    "storage_density",
    "storage_from_fractions",
    "storage_total",
    "sequestration",
    "majority_class",
    "class_means",
    "nep_from_fractions",
    "nep_total",
    "small_green_space_effect",
]

# M2_PER_HA (10 000 m2 per hectare) comes from carbontools.budget with the other unit constants
#: the four carbon pools (InVEST: c_above, c_below, c_soil, c_dead)
POOLS = ("above", "below", "soil", "dead")
#: g C m-2 per Mg C ha-1 (1e6 g / 1e4 m2); zonal_totals expects g C m-2
G_M2_PER_MG_HA = 100.0
#: the unit of storage densities
STORAGE_UNITS = "Mg C ha-1"
#: other spellings of the table's columns (the InVEST biophysical table uses lucode, c_above, ...)
COLUMN_ALIASES = {"lucode": "code", "c_above": "above", "c_below": "below", "c_soil": "soil", "c_dead": "dead"}
POOL_NAMES = {"above": "above-ground biomass", "below": "below-ground biomass", "soil": "soil organic carbon",
              "dead": "dead organic matter"}


# --------------------------------------------------------------------------------------------
# The pool table
# --------------------------------------------------------------------------------------------

def pool_schemes() -> list[str]:
    """Schemes with a shipped (illustrative) pool table ``carbon_pools_<scheme>.csv``."""
    files = resources.files("carbontools.tables").iterdir()
    return sorted(f.name[len("carbon_pools_"):-4] for f in files
                  if f.name.startswith("carbon_pools_") and f.name.endswith(".csv"))


def _from_mapping(table: Mapping) -> pd.DataFrame:
    rows = []
    for code, pools in table.items():
        if isinstance(pools, Mapping):
            rows.append({"code": code, **pools})
        else:
            values = list(pools)
            if len(values) != len(POOLS):
                raise ValueError(f"carbon pools of class {code}: give {len(POOLS)} values {POOLS}, got {values}")
            rows.append({"code": code, **dict(zip(POOLS, values))})
    return pd.DataFrame(rows)


def read_pools(path_or_df=None, scheme: str = "casa") -> pd.DataFrame:
    """The carbon pool table: indexed by class ``code``, columns ``above, below, soil, dead`` in Mg C ha-1.

    ``path_or_df``: ``None`` for the shipped ILLUSTRATIVE table of ``scheme`` (``carbon_pools_casa.csv``
    by default; see its header for sources and :func:`pool_schemes`), a CSV path (``#`` lines are
    comments), a DataFrame, or a dict ``code -> (above, below, soil, dead)``.  InVEST column names
    (``lucode, c_above, c_below, c_soil, c_dead``) are accepted.  ``scheme`` names the class scheme of
    the codes; a land-cover map whose ``attrs['scheme']`` differs is refused.

    Every pool must be a number >= 0 for every class (water may be all zeros, but must be listed);
    errors name the column and the class.
    """
    if path_or_df is None:
        available = pool_schemes()
        if scheme not in available:
            raise ValueError(f"no shipped carbon pool table for scheme {scheme!r}; shipped: {available}. "
                             "Pass your own table: read_pools('my_pools.csv', scheme=...)")
        name = f"carbon_pools_{scheme}.csv"
        table, source = read_table(name), f"carbontools/tables/{name} (illustrative defaults)"
    elif isinstance(path_or_df, pd.DataFrame):
        table, source = path_or_df.copy(), "DataFrame"
    elif isinstance(path_or_df, Mapping):
        table, source = _from_mapping(path_or_df), "dict"
    elif isinstance(path_or_df, (str, PathLike)):
        table, source = pd.read_csv(path_or_df, comment="#", skipinitialspace=True), str(path_or_df)
    else:
        raise TypeError("carbon pools must be None (shipped table), a CSV path, a DataFrame or a dict "
                        f"code -> (above, below, soil, dead), not {type(path_or_df).__name__}")
    return _validated(table, source, scheme)


def _validated(table: pd.DataFrame, source: str, scheme: str) -> pd.DataFrame:
    table = table.rename(columns=lambda c: COLUMN_ALIASES.get(str(c).strip(), str(c).strip()))
    if "code" not in table.columns and table.index.name in ("code", "lucode"):
        table = table.rename_axis("code").reset_index()
    missing = [c for c in ("code", *POOLS) if c not in table.columns]
    if missing:
        raise ValueError(f"carbon pool table ({source}) lacks column(s) {missing}; it has {list(table.columns)}. "
                         f"It needs 'code' and the pools {list(POOLS)} in Mg C ha-1 (InVEST names lucode, "
                         "c_above, c_below, c_soil, c_dead are accepted)")
    if table.empty:
        raise ValueError(f"carbon pool table ({source}) has no rows")
    codes = pd.to_numeric(table["code"], errors="coerce")
    bad = table["code"][codes.isna() | (codes % 1 != 0) | (codes < 0)].tolist()
    if bad:
        raise ValueError(f"carbon pool table ({source}): class codes must be integers >= 0, got {bad}")
    table["code"] = codes.astype(int)
    dup = sorted(table["code"][table["code"].duplicated()].unique().tolist())
    if dup:
        raise ValueError(f"carbon pool table ({source}) lists class code(s) {dup} more than once")
    table = table.set_index("code").sort_index()
    for pool in POOLS:
        values = pd.to_numeric(table[pool], errors="coerce")
        nan = table.index[values.isna()].tolist()
        if nan:
            raise ValueError(f"carbon pool table ({source}): column {pool!r} is missing or not a number for "
                             f"class(es) {nan}; write 0 where a pool is empty")
        negative = table.index[values < 0].tolist()
        if negative:
            raise ValueError(f"carbon pool table ({source}): column {pool!r} is negative for class(es) "
                             f"{negative}; stocks are >= 0 Mg C ha-1")
        table[pool] = values.astype(float)
    table.attrs = {"units": STORAGE_UNITS, "scheme": scheme, "source": source}
    return table


# --------------------------------------------------------------------------------------------
# Class maps -> storage
# --------------------------------------------------------------------------------------------

def _check_scheme(landcover: xr.DataArray, table: pd.DataFrame, name: str) -> None:
    scheme, pool_scheme = landcover.attrs.get("scheme"), table.attrs.get("scheme")
    if scheme and pool_scheme and scheme != pool_scheme:
        hint = "convert it with carbontools.landcover.to_casa(...)" if pool_scheme == "casa" else ""
        if scheme in pool_schemes():
            alt = f"read_pools(scheme={scheme!r})"
        else:
            alt = f"read_pools('your_{scheme}_table.csv', scheme={scheme!r})"
        raise ValueError(f"{name} has codes of scheme {scheme!r} but the carbon pool table is for {pool_scheme!r}: "
                         f"{hint + ' or ' if hint else ''}use a table for {scheme!r} ({alt})")


def _class_codes(landcover: xr.DataArray, table: pd.DataFrame, name: str) -> list[float]:
    """Check every class of ``landcover`` has pools; return its nodata values."""
    _check_scheme(landcover, table, name)
    nodata = nodata_values(landcover)
    codes = [c for c in present_codes(landcover).tolist() if c not in nodata]
    fractional = [c for c in codes if not float(c).is_integer()]
    if fractional:
        raise ValueError(f"{name} has non-integer class codes {fractional[:10]}; a class map holds integer codes "
                         "(class fractions go to storage_from_fractions)")
    missing = sorted({int(c) for c in codes} - set(table.index))
    if missing:
        raise ValueError(f"{name} has class code(s) {missing} that are not in the carbon pool table "
                         f"({table.attrs.get('source', 'user table')}, codes {list(table.index)}). Add a row for "
                         "each (zeros are fine, e.g. for water), or mark them as nodata "
                         f"({name}.attrs['nodata'] = code)")
    return nodata


def _finish(da: xr.DataArray, like: xr.DataArray, name: str, long_name: str, table: pd.DataFrame,
            units: str = STORAGE_UNITS) -> xr.DataArray:
    out = da.rename(name).assign_attrs(units=units, long_name=long_name, pools_source=table.attrs.get("source", ""))
    try:
        crs = like.rio.crs
    except Exception:
        crs = None
    return out.rio.write_crs(crs) if crs is not None else out


def storage_pools(landcover: xr.DataArray, pools: pd.DataFrame | None = None) -> xr.Dataset:
    """The four pools (Mg C ha-1) of every pixel of a class map: a Dataset with ``above, below, soil, dead``.

    ``pools`` defaults to :func:`read_pools` (illustrative CASA table); codes must be those of the table's
    scheme.  NaN where the map is NaN or nodata; a class missing from the table is an error.
    """
    table = read_pools() if pools is None else pools
    nodata = _class_codes(landcover, table, "landcover")
    return xr.Dataset({p: _finish(class_lookup(landcover, table[p].to_dict(), nodata), landcover, p, POOL_NAMES[p], table)
                       for p in POOLS})


def storage_density(landcover: xr.DataArray, pools: pd.DataFrame | None = None) -> xr.DataArray:
    """Carbon stored per pixel (Mg C ha-1): the sum of the four pools of the pixel's class.

    ``landcover`` holds class codes of the pool table's scheme (see :func:`read_pools`); NaN where the
    map is NaN or nodata.  A class missing from the table raises an error naming its code.
    """
    table = read_pools() if pools is None else pools
    nodata = _class_codes(landcover, table, "landcover")
    total = table[list(POOLS)].sum(axis=1).to_dict()
    return _finish(class_lookup(landcover, total, nodata), landcover, "carbon_storage", "carbon storage (sum of 4 pools)",
                   table)


def _check_fractions(fractions: xr.DataArray, classes_with_values, name: str, table_label: str,
                     atol: float = 1e-3) -> None:
    if "class" not in fractions.dims:
        raise ValueError(f"{name} needs a 'class' dimension (as from carbontools.grid.class_fractions); it has "
                         f"{fractions.dims}")
    present = [int(c) for c in fractions["class"].values if bool((fractions.sel({"class": c}) > 0).any())]
    missing = sorted(set(present) - {int(c) for c in classes_with_values})
    if missing:
        raise ValueError(f"{name} has class code(s) {missing} with non-zero fractions that are not in the "
                         f"{table_label} (codes {sorted(int(c) for c in classes_with_values)}); add a row for each")
    total = fractions.sum("class", min_count=1)
    off = abs(total - 1.0) > atol
    if bool(off.any()):
        raise ValueError(f"the class fractions of {int(off.sum())} cell(s) of {name} do not sum to 1 (they range "
                         f"{float(total.min()):.4g}..{float(total.max()):.4g}): give the fractions of every class, "
                         "as carbontools.grid.class_fractions does")


def _from_fractions(fractions: xr.DataArray, values: Mapping[int, float]) -> xr.DataArray:
    weights = xr.DataArray([float(values.get(int(c), 0.0)) for c in fractions["class"].values], dims="class",
                           coords={"class": fractions["class"]})
    return (fractions * weights).sum("class", min_count=1)


def storage_from_fractions(fractions: xr.DataArray, pools: pd.DataFrame | None = None) -> xr.DataArray:
    """Carbon stored per coarse cell (Mg C ha-1) from class fractions: sum over classes of fraction x class storage.

    ``fractions`` has dims (class, y, x) as from :func:`carbontools.grid.class_fractions`; the fractions of
    a cell sum to 1.  A class with non-zero fractions but no row in the table is an error.
    """
    table = read_pools() if pools is None else pools
    _check_fractions(fractions, table.index, "fractions", f"carbon pool table ({table.attrs.get('source', '')})")
    total = table[list(POOLS)].sum(axis=1).to_dict()
    return _finish(_from_fractions(fractions, total), fractions, "carbon_storage",
                   "carbon storage from class fractions (sum of 4 pools)", table)


def _density(obj: xr.DataArray, table: pd.DataFrame) -> xr.DataArray:
    return storage_from_fractions(obj, table) if "class" in obj.dims else storage_density(obj, table)


def _check_same_grid(a: xr.DataArray, b: xr.DataArray, names=("before", "after")) -> None:
    for dim in ("y", "x"):
        if dim not in a.dims or dim not in b.dims:
            raise ValueError(f"{names[0]} and {names[1]} need 'y' and 'x' dimensions")
        if a[dim].size != b[dim].size or not np.allclose(a[dim].values, b[dim].values, rtol=0, atol=1e-6):
            raise ValueError(f"{names[0]} and {names[1]} are on different grids (their '{dim}' coordinates differ); "
                             "put one on the other's grid first: carbontools.grid.regrid(..., kind='categorical')")
    try:
        ca, cb = a.rio.crs, b.rio.crs
    except Exception:
        ca = cb = None
    if ca is not None and cb is not None and ca != cb:
        raise ValueError(f"{names[0]} and {names[1]} have different CRS ({ca} and {cb}); reproject one first")


def sequestration(before: xr.DataArray, after: xr.DataArray, pools: pd.DataFrame | None = None) -> xr.DataArray:
    """Carbon sequestered per pixel between two land-cover states (Mg C ha-1): storage(after) - storage(before).

    ``before`` and ``after`` are class maps (or class fractions with a ``class`` dim) on the same grid;
    > 0 is a gain of stored carbon, < 0 a loss (an emission).
    """
    table = read_pools() if pools is None else pools
    _check_same_grid(before, after)
    out = _density(after, table) - _density(before, table)
    return _finish(out, after, "sequestration", "change in carbon storage, after - before (> 0: gain)", table)


def storage_total(density: xr.DataArray, unit: str = "Mg C", density_unit: str | None = None):
    """Total carbon stored on the grid: sum(density x cell area m2 / 10000), in ``unit`` (``'Mg C'``, ``'Gg C'``,
    ``'t CO2'``, ...).

    ``density`` is per area: ``density_unit``, else ``density.attrs['units']``, else Mg C ha-1 (the unit of
    :func:`storage_density`).  Areas come from :func:`carbontools.grid.cell_area`, so geographic grids get
    their true cell areas.  NaN pixels add nothing.  Returns a float, or a DataArray over any dims besides
    (y, x).
    """
    du = parse_unit(density_unit or density.attrs.get("units") or STORAGE_UNITS, "density")
    ou = parse_unit(unit, "unit")
    if du.area_m2 is None:
        raise ValueError(f"density has unit {du.text!r}, which is not per area; give e.g. 'Mg C ha-1'")
    if ou.area_m2 is not None or ou.per_year != du.per_year:
        raise ValueError(f"unit {unit!r} must be a total mass{' per year' if du.per_year else ''} such as "
                         f"'Mg C' or 'Gg CO2'{' yr-1' if du.per_year else ''} (density is {du.text!r})")
    factor = du.to_grams_basis(ou.basis) / du.area_m2 / ou.grams  # per m2 -> output unit
    total = (density * cell_area(density) * factor).sum(("y", "x"))
    return float(total) if total.ndim == 0 else total.assign_attrs(units=ou.text)


# --------------------------------------------------------------------------------------------
# Small green spaces: fractions against the majority class
# --------------------------------------------------------------------------------------------

def majority_class(fractions: xr.DataArray) -> xr.DataArray:
    """The class with the largest area fraction in each cell (an area-weighted block mode); NaN where no class.

    Ties go to the class listed first in ``fractions['class']`` (the lowest code, as class_fractions orders them).
    """
    if "class" not in fractions.dims:
        raise ValueError(f"fractions need a 'class' dimension; they have {fractions.dims}")
    index = fractions.fillna(-1.0).argmax("class")
    codes = xr.DataArray(fractions["class"].values.astype(float), dims="class")
    out = codes.isel({"class": index}).where(fractions.notnull().any("class"))
    out = out.drop_vars("class", errors="ignore").rename("majority_class")
    out.attrs = {"long_name": "class with the largest fraction of the cell", "units": "1"}
    try:
        crs = fractions.rio.crs
    except Exception:
        crs = None
    return out.rio.write_crs(crs) if crs is not None else out


def class_means(values: xr.DataArray, landcover: xr.DataArray) -> pd.Series:
    """Area-weighted mean of ``values`` over the pixels of each class of ``landcover`` (same grid), by class code.

    E.g. the mean annual NEP of each class, to feed :func:`nep_from_fractions`.
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


def nep_from_fractions(fractions: xr.DataArray, nep_by_class) -> xr.DataArray:
    """NEP per coarse cell from class fractions: sum over classes of fraction x class NEP (units of ``nep_by_class``).

    ``nep_by_class``: mapping or Series class code -> NEP (e.g. g C m-2 yr-1, from :func:`class_means`);
    a class with non-zero fractions and no value is an error.
    """
    values = {int(k): float(v) for k, v in dict(nep_by_class).items()}
    _check_fractions(fractions, values, "fractions", "NEP values by class")
    units = getattr(nep_by_class, "attrs", {}).get("units") or "g C m-2 yr-1"
    out = _from_fractions(fractions, values).rename("nep").assign_attrs(
        units=units, long_name="NEP from class fractions")
    return out


def nep_total(nep: xr.DataArray, unit: str = "t C", nep_unit: str | None = None):
    """Total NEP of the grid (a sink if > 0) in ``unit`` per year: sum(NEP x cell area).

    ``nep`` is annual NEP per area (``nep_unit``, else ``attrs['units']``, else g C m-2 yr-1, the unit of
    ``carbontools.run(...)['nep_annual']``).  Returns a float, or a pandas Series by year for a ``year``
    dim, with ``attrs['units']`` e.g. ``'t C yr-1'``.
    """
    nu = parse_unit(nep_unit or nep.attrs.get("units") or "g C m-2 yr-1", "nep")
    if nu.area_m2 is None or not nu.per_year:
        raise ValueError(f"nep has unit {nu.text!r}; annual NEP is per area and per year, e.g. 'g C m-2 yr-1' "
                         "(sum monthly values to years first: carbontools.models.nep.annual_sum)")
    ou = parse_unit(unit, "unit")
    if ou.area_m2 is not None or ou.per_year:
        raise ValueError(f"unit {unit!r} must be a mass such as 't C' or 'Gg CO2' (the result is per year)")
    factor = nu.to_grams_basis(ou.basis) / nu.area_m2 / ou.grams
    total = (nep * cell_area(nep) * factor).sum(("y", "x"))
    label = f"{ou.text} yr-1"
    if total.ndim == 0:
        return float(total)
    series = total.to_series().rename("nep_total")
    series.attrs = {"units": label}
    return series


def small_green_space_effect(fine_landcover: xr.DataArray, factor_or_target, pools: pd.DataFrame | None = None,
                             zones=None, names=None, name_column: str = "name", nep_by_class=None,
                             return_maps: bool = False):
    """Storage from class fractions minus storage from the majority class, per region (or the whole grid).

    ``fine_landcover`` (e.g. 10-30 m) is aggregated onto a coarse grid: ``factor_or_target`` is an integer
    block size or a target grid (see :func:`carbontools.grid.class_fractions`).  Fraction-based storage
    is sum(fraction x class storage); majority-class storage gives each coarse cell the storage of its
    largest class (:func:`majority_class`).  Their difference is what sub-cell patches (small green
    spaces, or sub-cell sealing) contribute that majority-class accounting misses.

    ``zones``: None (the whole grid), an integer raster on the coarse grid, or region polygons
    (GeoDataFrame or vector file, rasterised on the coarse grid's cell centres).  A named region with
    no coarse cell gets an explicit row of NaN and a note.  ``nep_by_class`` (class code -> NEP in
    g C m-2 yr-1) adds the same comparison for annual NEP.

    Returns a DataFrame by zone: ``area_m2``, ``cells``, ``fraction_based_MgC``, ``majority_class_MgC``,
    ``difference_MgC`` (fraction - majority), ``difference_pct`` (of the majority-class total), ``note``
    (and ``nep_*_tC_yr`` columns); with ``return_maps=True`` also a Dataset of the maps (Mg C ha-1).
    """
    from ..accounting import zonal_totals, zones_from_polygons

    table = read_pools() if pools is None else pools
    nodata = _class_codes(fine_landcover, table, "fine_landcover")
    if nodata:  # nodata pixels are no class: leave them out of the fractions
        fine_landcover = fine_landcover.where(~fine_landcover.isin(nodata))
    if isinstance(factor_or_target, (int, np.integer)) and not isinstance(factor_or_target, bool):
        if factor_or_target < 2:
            raise ValueError(f"the block size must be an integer >= 2, got {factor_or_target}")
        fractions = class_fractions(fine_landcover, factor=int(factor_or_target))
    elif isinstance(factor_or_target, (xr.DataArray, xr.Dataset)):
        fractions = class_fractions(fine_landcover, target=factor_or_target)
    else:
        raise TypeError("factor_or_target must be an integer block size or a target grid (DataArray/Dataset), "
                        f"not {type(factor_or_target).__name__}")
    by_fraction = storage_from_fractions(fractions, table)
    majority = majority_class(fractions)
    by_majority = storage_density(majority, table)

    if zones is None:
        zone_map = xr.zeros_like(by_fraction).rename("zone")
        names = ["whole grid"]
    elif isinstance(zones, xr.DataArray):
        zone_map, names = zones, names or zones.attrs.get("names")
    else:
        zone_map = zones_from_polygons(zones, by_fraction, name_column)
        names = names or zone_map.attrs.get("names")
    if not bool(zone_map.notnull().any()):
        raise ValueError("the zones cover no cell of the coarse grid: check that they overlap it and share its CRS")

    def totals(density):  # Mg C ha-1 -> g C m-2, as zonal_totals expects
        values = (density * G_M2_PER_MG_HA).assign_attrs(units="g C m-2")
        return zonal_totals(values, zone_map, unit="Mg C", names=names)

    t_frac, t_maj = totals(by_fraction), totals(by_majority)
    out = pd.DataFrame({"area_m2": t_frac["area_m2"], "cells": t_frac["pixels"],
                        "fraction_based_MgC": t_frac["total"], "majority_class_MgC": t_maj["total"]})
    out["difference_MgC"] = out["fraction_based_MgC"] - out["majority_class_MgC"]
    maj = out["majority_class_MgC"].where(out["majority_class_MgC"] != 0)
    out["difference_pct"] = 100.0 * out["difference_MgC"] / maj
    out["note"] = np.where(maj.isna(), "majority-class storage is zero: no percentage", "")

    maps = {"fraction_based": by_fraction, "majority_class_storage": by_majority,
            "difference": (by_fraction - by_majority).assign_attrs(units=STORAGE_UNITS), "majority_class": majority}
    if nep_by_class is not None:
        nep_frac = nep_from_fractions(fractions, nep_by_class)
        values = {int(k): float(v) for k, v in dict(nep_by_class).items()}
        nep_maj = class_lookup(majority, values, [])
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
