"""Carbon storage in four pools per land-cover class, per pixel (SCIENCE.md section 4).

InVEST carbon model convention: every land-cover class has four pools, above-ground biomass,
below-ground biomass, soil organic carbon and dead organic matter, in Mg C ha-1 (= t C ha-1).  A
pixel stores the sum of its class's pools.  Sequestration between two maps is storage(after) -
storage(before).

Small green spaces: a fine land-cover map aggregated to class FRACTIONS per coarse cell
(:func:`carbontools.grid.class_fractions`) stores sum(fraction x class storage)
(:func:`storage_from_fractions`); majority-class accounting gives each coarse cell the storage of its
largest class (:func:`majority_class`).  Totals over a grid or by region, class means and the
small-green-space report are in :mod:`carbontools.greenspace`.

The pool table is user-replaceable (:func:`read_pools`); the shipped defaults
(``carbontools/tables/carbon_pools_<scheme>.csv``) are ILLUSTRATIVE values from the IPCC 2006
Guidelines, to be replaced with local ones.  A class present in a map but not in the table is an
error naming the class, never a silent zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from os import PathLike

import pandas as pd
import xarray as xr

from ..grid import check_same_grid
from ..landcover import class_lookup, nodata_values, present_codes
from ..params import read_table

__all__ = [
    "POOLS",
    "STORAGE_UNITS",
    "pool_schemes",
    "read_pools",
    "storage_pools",
    "storage_density",
    "storage_from_fractions",
    "sequestration",
    "majority_class",
    "nep_from_fractions",
]

#: the four carbon pools (InVEST: c_above, c_below, c_soil, c_dead)
POOLS = ("above", "below", "soil", "dead")
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
    check_same_grid(a, b, names, fix="put one on the other's grid first: carbontools.grid.regrid(..., "
                                     "kind='categorical')")


def sequestration(before: xr.DataArray, after: xr.DataArray, pools: pd.DataFrame | None = None) -> xr.DataArray:
    """Carbon sequestered per pixel between two land-cover states (Mg C ha-1): storage(after) - storage(before).

    ``before`` and ``after`` are class maps (or class fractions with a ``class`` dim) on the same grid;
    > 0 is a gain of stored carbon, < 0 a loss (an emission).
    """
    table = read_pools() if pools is None else pools
    _check_same_grid(before, after)
    out = _density(after, table) - _density(before, table)
    return _finish(out, after, "sequestration", "change in carbon storage, after - before (> 0: gain)", table)


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


def nep_from_fractions(fractions: xr.DataArray, nep_by_class) -> xr.DataArray:
    """NEP per coarse cell from class fractions: sum over classes of fraction x class NEP (units of ``nep_by_class``).

    ``nep_by_class``: mapping or Series class code -> NEP (e.g. g C m-2 yr-1, from
    :func:`carbontools.greenspace.class_means`);
    a class with non-zero fractions and no value is an error.
    """
    values = {int(k): float(v) for k, v in dict(nep_by_class).items()}
    _check_fractions(fractions, values, "fractions", "NEP values by class")
    units = getattr(nep_by_class, "attrs", {}).get("units") or "g C m-2 yr-1"
    out = _from_fractions(fractions, values).rename("nep").assign_attrs(
        units=units, long_name="NEP from class fractions")
    return out
