"""Carbon budgets: offsets of emissions by sequestration, and the life-cycle budget of green spaces.

SCIENCE.md section 4.

**Offsets.** ``offset(sequestration, emissions, basis)`` compares the two on one stated basis: carbon
(``"C"``) or carbon dioxide (``"CO2"``, 1 t C = 44/12 t CO2).  Both inputs carry their unit (``"t C"``,
``"Gg C yr-1"``, ``"t CO2e yr-1"``, ``"g C m-2 yr-1"`` for rasters, ...) in ``attrs['units']`` or as an
argument; nothing is assumed.  It returns the offset ratio ``sequestration / emissions`` and the net
balance ``emissions - sequestration`` (> 0: emissions left over; < 0: more removed than emitted).

**Green-space budget.** ``green_space_budget`` is the life-cycle budget of green spaces per class and in
total: net = sequestration - management emissions (irrigation, mowing, fertiliser, pruning, ... from a
user table in kg CO2e m-2 yr-1) - construction emissions / lifetime.  ``net > 0`` means the green
space removes more CO2 than its upkeep and construction emit.  ``break_even`` turns such a table into the
years it takes to repay the construction emissions.

Units are parsed by :func:`parse_unit` on the project's unit layer (:mod:`carbontools.units`): a mass
(g, kg, t, Mg, kt, Gg, Mt, Tg, Gt, Pg), a species (C, CE, CO2, CO2e), optionally per area (m-2, ha-1,
km-2) and per year (yr-1).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from numbers import Number
from os import PathLike

import numpy as np
import pandas as pd
import xarray as xr

from . import units
from .params import CONSTANTS

__all__ = [
    "CO2_PER_C",
    "M2_PER_HA",
    "BASES",
    "Unit",
    "parse_unit",
    "offset",
    "sink_for_offsets",
    "read_management_factors",
    "green_space_budget",
    "break_even",
]

#: g CO2 per g C (the physical constant of :data:`carbontools.params.CONSTANTS`)
CO2_PER_C = CONSTANTS.co2_per_c
#: m2 per hectare
M2_PER_HA = units.convert(1.0, "ha", "m2")
#: the bases a budget can be stated on
BASES = ("C", "CO2")
#: area units of an area value
AREA_UNITS = ("m2", "ha", "km2")
_EXAMPLES = "'t C', 'Gg C yr-1', 't CO2e yr-1', 'g C m-2 yr-1', 'Mg C ha-1'"


@dataclasses.dataclass(frozen=True)
class Unit:
    """A parsed carbon unit: ``grams`` of ``basis`` (C or CO2) per mass unit, per ``area_m2`` m2 (None
    for a total) and ``per_year``."""

    text: str
    grams: float
    basis: str
    equivalent: bool
    area_m2: float | None
    per_year: bool

    def to_grams_basis(self, basis: str) -> float:
        """Factor from a value in this unit to grams of ``basis`` (still per area and year if the unit is)."""
        return units.factor(f"g {self.basis}", f"g {basis}")[0] * self.grams


def parse_unit(text: str, name: str = "value", basis: str | None = None) -> Unit:
    """Parse a carbon unit such as ``'t C'``, ``'Gg CO2e yr-1'`` or ``'g C m-2 yr-1'``; errors say what is accepted.

    ``basis`` (``'C'`` or ``'CO2'``) is the species of a unit that names none, as a variable's
    ``carbon_basis`` attribute states it (``run()``'s fluxes are ``'g m-2 yr-1'`` with ``carbon_basis='C'``).
    """
    if not isinstance(text, str):
        raise ValueError(f"{name} has no unit: state it, e.g. {_EXAMPLES}")
    u = units.parse(text, name, basis=basis)
    if u.basis is None:
        raise ValueError(f"{name} has unit {text!r}, which carbontools cannot read as a carbon unit (it names no "
                         f"carbon species): write a mass, C or CO2 (CO2e) and optionally per area and per year, "
                         f"separated by spaces, e.g. {_EXAMPLES}")
    parts = u.parts()
    powers = dict(u.pint_unit._units)
    mass = [n for n, e in powers.items() if e == 1 and units.ureg.Unit(n).dimensionality == units.ureg.Unit("g")
            .dimensionality]
    expected = len(mass) + (parts["area_m2"] is not None) + parts["per_year"]
    if len(mass) != 1 or len(powers) != expected or any(e not in (1, -1, -2) for e in powers.values()):
        raise ValueError(f"{name} has unit {text!r}: after the mass and species only an area (m-2, ha-1, km-2) and a "
                         f"time ('yr-1') denominator may follow, each once (one is not, or it is repeated); "
                         f"e.g. {_EXAMPLES}")
    return Unit(text.strip(), parts["grams"], u.basis, u.equivalent, parts["area_m2"], parts["per_year"])


def _tonnes_factor(u: Unit, basis: str) -> float:
    """Tonnes of ``basis`` per unit of ``u`` (still per area and per year if ``u`` is)."""
    return u.to_grams_basis(basis) * units.convert(1.0, "g", "t")


def check_basis(basis: str, name: str = "basis") -> str:
    if basis not in BASES:
        raise ValueError(f"{name} {basis!r} unknown; choose one of {BASES} (1 t C = 44/12 t CO2)")
    return basis


# --------------------------------------------------------------------------------------------
# Offset ratio and net balance
# --------------------------------------------------------------------------------------------

def _kind(value, name: str) -> str:
    if isinstance(value, xr.DataArray):
        return "scalar" if value.ndim == 0 else "raster"
    if isinstance(value, pd.Series):
        return "series"
    if isinstance(value, (Number, np.number)) and not isinstance(value, bool):
        return "scalar"
    raise TypeError(f"{name} must be a number, a pandas Series by region or an xarray DataArray, "
                    f"not {type(value).__name__}")


def _unit_of(value, unit: str | None, name: str) -> Unit:
    attrs = getattr(value, "attrs", {}) if hasattr(value, "attrs") else {}
    attr, basis = attrs.get("units"), attrs.get("carbon_basis")
    if unit is not None and attr is not None and \
            dataclasses.replace(parse_unit(attr, name, basis), text="") != \
            dataclasses.replace(parse_unit(unit, name, basis), text=""):
        raise ValueError(f"{name}.attrs['units'] is {attr!r} but {name}_unit={unit!r} was given: "
                         "they disagree; fix one of them")
    return parse_unit(unit if unit is not None else attr, name, basis)


def _pair_note(s: float, e: float, missing_s: bool = False, missing_e: bool = False) -> str:
    notes = []
    if missing_s:
        notes.append("no sequestration value for this region")
    elif np.isnan(s):
        notes.append("sequestration is missing (NaN)")
    if missing_e:
        notes.append("no emissions value for this region")
    elif np.isnan(e):
        notes.append("emissions are missing (NaN)")
    if not notes:
        if e == 0:
            notes.append("emissions are zero: the ratio is undefined" if s == 0
                         else "emissions are zero: the ratio is infinite")
        elif e < 0:
            notes.append("emissions are negative (a net removal): the ratio is not meaningful")
        if s < 0:
            notes.append("sequestration is negative: the land is a carbon source")
    return "; ".join(notes)


def _ratio(s, e):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.divide(s, e)


RATIO_IS = "sequestration / emissions (1 = fully offset)"
BALANCE_IS = "emissions - sequestration (> 0: emissions left over, < 0: net removal)"


def offset(sequestration, emissions, basis: str = "CO2", sequestration_unit: str | None = None,
           emissions_unit: str | None = None):
    """Offset ratio (sequestration / emissions) and net balance (emissions - sequestration) on one basis.

    ``sequestration`` and ``emissions`` are both numbers, both pandas Series indexed by region, or both
    DataArrays on the same (y, x) grid.  Their units come from ``*_unit`` or ``attrs['units']`` (a
    Series' ``attrs`` too): totals such as ``'t C'``, ``'Gg CO2 yr-1'``; rasters may also be per area
    (``'g C m-2 yr-1'``), converted to cell totals with :func:`carbontools.grid.cell_area`.  Both must
    be per year, or both not.  ``basis`` (``'C'`` or ``'CO2'``) is the basis of the result, in tonnes:
    ``t C`` or ``t CO2`` (``t CO2e``, or ``t C-eq`` on the C basis, when an input is a CO2 equivalent: the
    label keeps saying so, with ``attrs['equivalent']``), ``yr-1`` for rates.

    Returns a dict (numbers), a DataFrame by region (Series; a region found in one input only gets a
    row with NaN and a note, never dropped) or a Dataset (rasters) with ``sequestration``,
    ``emissions``, ``offset_ratio``, ``net_balance`` and notes: zero emissions give an infinite ratio
    with a note, not an error.
    """
    basis = check_basis(basis)
    ks, ke = _kind(sequestration, "sequestration"), _kind(emissions, "emissions")
    if ks != ke:
        raise TypeError(f"sequestration is a {ks} and emissions a {ke}: give both as numbers, both as Series "
                        "by region or both as rasters on one grid (sum a raster first for a city total)")
    su = _unit_of(sequestration, sequestration_unit, "sequestration")
    eu = _unit_of(emissions, emissions_unit, "emissions")
    if su.per_year != eu.per_year:
        rate, total = ("sequestration", "emissions") if su.per_year else ("emissions", "sequestration")
        raise ValueError(f"{rate} is a rate per year ({(su if su.per_year else eu).text!r}) but {total} is not "
                         f"({(eu if su.per_year else su).text!r}): state both over the same period")
    equivalent = su.equivalent or eu.equivalent  # a CO2 equivalent went in: the result is an equivalent too
    species = {"CO2": "CO2e", "C": "C-eq"}[basis] if equivalent else basis
    unit = f"t {species}" + (" yr-1" if su.per_year else "")
    meta = {"units": unit, "basis": basis, "offset_ratio_is": RATIO_IS, "net_balance_is": BALANCE_IS}
    if equivalent:
        meta["equivalent"] = ("CO2-equivalent emissions (other greenhouse gases as CO2e)"
                              + (", expressed as carbon (x 12/44)" if basis == "C" else ""))
    if ks == "raster":
        return _offset_rasters(sequestration, emissions, su, eu, basis, meta)
    for u, name in ((su, "sequestration"), (eu, "emissions")):
        if u.area_m2 is not None:
            raise ValueError(f"{name} is per area ({u.text!r}); for numbers and tables give totals (e.g. 't C "
                             "yr-1'): multiply by the area, or use carbontools.accounting.zonal_totals")
    fs, fe = _tonnes_factor(su, basis), _tonnes_factor(eu, basis)
    if ks == "scalar":
        s, e = float(sequestration) * fs, float(emissions) * fe
        return {"sequestration": s, "emissions": e, "offset_ratio": float(_ratio(s, e)), "net_balance": e - s,
                "note": _pair_note(s, e), **meta}
    return _offset_series(sequestration, emissions, fs, fe, meta)


def _offset_series(seq: pd.Series, emi: pd.Series, fs: float, fe: float, meta: dict) -> pd.DataFrame:
    for s, name in ((seq, "sequestration"), (emi, "emissions")):
        if s.empty:
            raise ValueError(f"{name} has no regions (empty Series)")
        dup = s.index[s.index.duplicated()].unique().tolist()
        if dup:
            raise ValueError(f"{name} lists region(s) {dup} more than once; aggregate them first")
        if not pd.api.types.is_numeric_dtype(s):
            raise ValueError(f"{name} values must be numbers (got dtype {s.dtype})")
    index = seq.index.append(emi.index[~emi.index.isin(seq.index)])
    s = seq.reindex(index).astype(float) * fs
    e = emi.reindex(index).astype(float) * fe
    table = pd.DataFrame({"sequestration": s, "emissions": e})
    table["offset_ratio"] = _ratio(s.to_numpy(), e.to_numpy())
    table["net_balance"] = e - s
    table["note"] = [_pair_note(a, b, r not in seq.index, r not in emi.index) for r, a, b in zip(index, s, e)]
    table.index.name = seq.index.name or emi.index.name or "region"
    table.attrs = meta
    return table


def _offset_rasters(seq: xr.DataArray, emi: xr.DataArray, su: Unit, eu: Unit, basis: str, meta: dict) -> xr.Dataset:
    from .grid import cell_area, check_same_grid

    check_same_grid(seq, emi, names=("sequestration", "emissions"),
                    fix="put them on one grid first (carbontools.grid.regrid(emissions, sequestration, kind='average'))")
    emi = emi.assign_coords(y=seq["y"], x=seq["x"])

    def tonnes(da, u):
        out = da.astype(float) * _tonnes_factor(u, basis)
        if u.area_m2 is not None:  # per area -> per cell
            out = out * (cell_area(da) / u.area_m2)
        return out.drop_vars("spatial_ref", errors="ignore")

    s, e = tonnes(seq, su), tonnes(emi, eu)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = xr.apply_ufunc(_ratio, s, e, dask="parallelized", output_dtypes=[float])
    both = s.notnull() & e.notnull()
    zero = int((both & (e == 0)).sum())
    missing = int((s.notnull() != e.notnull()).sum())
    s_total, e_total = float(s.where(both).sum()), float(e.where(both).sum())
    notes = []
    if zero:
        notes.append(f"{zero} cell(s) have zero emissions: their ratio is infinite (or undefined if nothing is "
                     "sequestered there either)")
    if missing:
        notes.append(f"{missing} cell(s) have a value in one input only; they are left out of the totals")
    ds = xr.Dataset({"sequestration": s, "emissions": e, "offset_ratio": ratio, "net_balance": e - s})
    for v in ds.data_vars:
        ds[v].attrs = {"units": "1" if v == "offset_ratio" else meta["units"] + " per cell",
                       "long_name": {"offset_ratio": RATIO_IS, "net_balance": BALANCE_IS}.get(v, v)}
    ds.attrs = {**meta, "units": meta["units"] + " per cell", "total_sequestration": s_total,
                "total_emissions": e_total, "total_offset_ratio": float(_ratio(s_total, e_total)),
                "total_net_balance": e_total - s_total, "note": "; ".join(notes)}
    if seq.rio.crs is not None:
        ds = ds.rio.write_crs(seq.rio.crs)
    return ds


# --------------------------------------------------------------------------------------------
# The sink that may offset emissions: cropland harvest
# --------------------------------------------------------------------------------------------

#: what the harvest rule means, stated in every result
HARVEST_RULE = ("cropland NEP counted towards offsets = (1 - harvest_removal) x cropland NEP: harvest exports "
                "most of a crop's net uptake, which is respired or burnt elsewhere within the year")


def sink_for_offsets(nep: xr.DataArray, landcover: xr.DataArray, harvest_removal: float = 1.0,
                     unit: str = "t C", zones=None, names=None):
    """The net uptake that may offset emissions, with cropland shown apart (SCIENCE.md section 3).

    Cropland NEP is not a lasting sink: harvest exports most of it.  ``harvest_removal`` (0..1) is the
    share of cropland NEP that does not count (default 1: cropland is left out of the offset sink;
    0 counts it whole, the NEP -> NBP step skipped).  Cropland comes from the ``cropland_share`` of
    ``landcover``'s own scheme table (:func:`carbontools.landcover.cropland_share`; IGBP mosaics count half).

    ``nep``: annual NEP per area on the land cover's grid (``run()['nep_annual'].sel(year=...)``).
    Returns a dict (whole grid) or, with ``zones`` (as :func:`carbontools.accounting.zonal_totals`), a
    DataFrame by zone: ``nep_total``, ``cropland_nep``, ``other_nep``, ``counted`` (the sink for
    :func:`offset`), in ``unit`` per year; the rule and the factor are in the result.
    """
    from .accounting import zonal_totals
    from .grid import check_same_grid
    from .landcover import cropland_share

    if not 0.0 <= float(harvest_removal) <= 1.0:
        raise ValueError(f"harvest_removal must lie in [0, 1] (the share of cropland NEP exported by harvest), "
                         f"got {harvest_removal!r}")
    check_same_grid(nep, landcover, names=("nep", "landcover"),
                    fix="put the land cover on the NEP grid first (carbontools.grid.regrid(..., kind='categorical'))")
    share = cropland_share(landcover).assign_coords(y=nep["y"], x=nep["x"])
    crop_part = (nep * share).assign_attrs(nep.attrs)
    if zones is None:
        zones, names = xr.zeros_like(share).rename("zone"), ["whole grid"]
    total = zonal_totals(nep, zones, unit=unit, names=names)["total"]
    crop = zonal_totals(crop_part, zones, unit=unit, names=names)["total"]
    table = pd.DataFrame({"nep_total": total, "cropland_nep": crop, "other_nep": total - crop})
    table["counted"] = table["other_nep"] + (1.0 - float(harvest_removal)) * table["cropland_nep"]
    table.attrs = {"units": f"{unit} yr-1", "harvest_removal": float(harvest_removal), "rule": HARVEST_RULE}
    if len(table) == 1 and table.index[0] == "whole grid":
        return {**table.iloc[0].to_dict(), **table.attrs}
    return table


# --------------------------------------------------------------------------------------------
# Green-space life-cycle budget
# --------------------------------------------------------------------------------------------

#: the column of the management factor table and its unit
FACTOR_COLUMN = "kg_CO2e_per_m2_yr"
FACTOR_TABLE_EXAMPLE = "management_emissions_example.csv"


def _labels(rows: pd.DataFrame) -> list[str]:
    return [f"{c}/{a}" for c, a in zip(rows["class"], rows["activity"])]


def read_management_factors(path_or_df=None) -> pd.DataFrame:
    """A table of management emission factors: columns ``class``, ``activity``, ``kg_CO2e_per_m2_yr``.

    ``None`` reads the ILLUSTRATIVE example shipped as ``carbontools/tables/management_emissions_example.csv``
    (see its header for sources); pass your own CSV path or DataFrame for real work.  Factors are
    kg CO2e per m2 of the class per year, >= 0; each (class, activity) pair appears once.
    """
    from .params import read_table

    if path_or_df is None:
        table, source = read_table(FACTOR_TABLE_EXAMPLE), f"carbontools/tables/{FACTOR_TABLE_EXAMPLE} (illustrative)"
    elif isinstance(path_or_df, pd.DataFrame):
        table, source = path_or_df.copy(), "DataFrame"
    elif isinstance(path_or_df, (str, PathLike)):
        table, source = pd.read_csv(path_or_df, comment="#", skipinitialspace=True), str(path_or_df)
    else:
        raise TypeError("management factors must be a CSV path or a DataFrame with columns class, activity, "
                        f"{FACTOR_COLUMN}")
    required = ["class", "activity", FACTOR_COLUMN]
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise ValueError(f"management factor table ({source}) lacks column(s) {missing}; it has {list(table.columns)}. "
                         f"Factors are kg CO2e per m2 per year in a column named {FACTOR_COLUMN!r} "
                         "(t C ha-1 yr-1 x 44/12 / 10 = kg CO2 m-2 yr-1)")
    if table.empty:
        raise ValueError(f"management factor table ({source}) has no rows")
    values = pd.to_numeric(table[FACTOR_COLUMN], errors="coerce")
    bad = _labels(table[values.isna()])
    if bad:
        raise ValueError(f"management factor table ({source}): {FACTOR_COLUMN} is not a number for {bad}")
    negative = _labels(table[values < 0])
    if negative:
        raise ValueError(f"management factor table ({source}): negative factors for {negative}; factors are "
                         "emissions (>= 0); count removals as sequestration instead")
    table[FACTOR_COLUMN] = values.astype(float)
    table["class"] = table["class"].astype(str).str.strip()
    table["activity"] = table["activity"].astype(str).str.strip()
    dup = _labels(table[table.duplicated(["class", "activity"])])
    if dup:
        raise ValueError(f"management factor table ({source}) lists {dup} more than once")
    table.attrs = {"units": "kg CO2e m-2 yr-1", "source": source}
    return table


def _per_class(value, classes: list[str], name: str, fix: str) -> dict[str, float]:
    if isinstance(value, (Number, np.number)) and not isinstance(value, bool):
        return {c: float(value) for c in classes}
    if isinstance(value, (Mapping, pd.Series)):
        given = {str(k).strip(): float(v) for k, v in dict(value).items()}
        missing = [c for c in classes if c not in given]
        if missing:
            raise ValueError(f"{name} has no value for class(es) {missing}; {fix}")
        nan = [c for c in classes if np.isnan(given[c])]
        if nan:
            raise ValueError(f"{name} is NaN for class(es) {nan}; give a number")
        return {c: given[c] for c in classes}
    raise TypeError(f"{name} must be a number or a mapping class -> value, not {type(value).__name__}")


def green_space_budget(area_by_class, sequestration_per_area, management_factors, construction=None,
                       lifetime_years: float | None = None, *, area_unit: str = "m2",
                       sequestration_unit: str = "g C m-2 yr-1", construction_unit: str = "kg CO2e m-2",
                       basis: str = "CO2") -> pd.DataFrame:
    """Life-cycle carbon budget of green spaces, per class and in total, per year.

    net = sequestration - management emissions - construction emissions / ``lifetime_years``

    - ``area_by_class``: mapping (or Series) class -> area in ``area_unit`` (m2, ha, km2).
    - ``sequestration_per_area``: mapping class -> rate, or one number for all classes, in
      ``sequestration_unit`` (per area and per year: ``'g C m-2 yr-1'`` as NEP, ``'t C ha-1 yr-1'``,
      ``'kg CO2 m-2 yr-1'``, ...).  Negative values (a source) are allowed.
    - ``management_factors``: a table (CSV path or DataFrame, see :func:`read_management_factors`) with one
      row per class and activity, in kg CO2e m-2 yr-1.  Every class must have at least one row (write
      explicit zeros for what is not done); an activity not listed for a class shows as NaN.
    - ``construction``: one-off emissions per area (mapping class -> value, or one number) in
      ``construction_unit``, spread evenly over ``lifetime_years``.

    Returns a DataFrame with one row per class plus ``total``: ``area_m2``, ``sequestration``, one column
    per activity, ``management``, ``construction_amortised`` and ``net``, in t CO2e yr-1 (``basis='CO2'``)
    or t C yr-1 (``basis='C'``, CO2e x 12/44).  ``net > 0``: the green space is a net sink.
    """
    basis = check_basis(basis)
    if area_unit not in AREA_UNITS:
        raise ValueError(f"area_unit {area_unit!r} unknown; choose one of {list(AREA_UNITS)}")
    if not isinstance(area_by_class, (Mapping, pd.Series)) or len(area_by_class) == 0:
        raise ValueError("area_by_class must be a non-empty mapping (or Series) class -> area")
    areas = {str(k).strip(): units.convert(float(v), area_unit, "m2") for k, v in dict(area_by_class).items()}
    bad = [c for c, a in areas.items() if not np.isfinite(a) or a < 0]
    if bad:
        raise ValueError(f"area_by_class has negative or missing areas for {bad}")
    classes = list(areas)

    su = parse_unit(sequestration_unit, "sequestration_per_area")
    if su.area_m2 is None or not su.per_year:
        raise ValueError(f"sequestration_unit {sequestration_unit!r} must be per area and per year, "
                         "e.g. 'g C m-2 yr-1' or 't C ha-1 yr-1'")
    seq_rate = _per_class(sequestration_per_area, classes, "sequestration_per_area",
                          "give a rate for every class in area_by_class")
    kg_co2_per_m2 = units.convert(1.0, su.text, "kg CO2 m-2 yr-1")
    sequestration = {c: seq_rate[c] * kg_co2_per_m2 * areas[c] for c in classes}  # kg CO2 yr-1

    factors = read_management_factors(management_factors)
    without = [c for c in classes if c not in set(factors["class"])]
    if without:
        raise ValueError(f"the management factor table has no rows for class(es) {without} (it has "
                         f"{sorted(set(factors['class']))}); add their activities, with explicit 0 for none")
    used = factors[factors["class"].isin(classes)]
    activities = list(dict.fromkeys(used["activity"]))
    per_activity = used.pivot(index="class", columns="activity", values=FACTOR_COLUMN).reindex(
        index=classes, columns=activities)
    management = per_activity.mul(pd.Series(areas), axis=0)  # kg CO2e yr-1, NaN where not listed

    if construction is None:
        amortised = dict.fromkeys(classes, 0.0)
    else:
        if lifetime_years is None or not np.isfinite(lifetime_years) or lifetime_years <= 0:
            raise ValueError(f"lifetime_years must be a positive number of years to spread construction over, "
                             f"got {lifetime_years!r}")
        cu = parse_unit(construction_unit, "construction")
        if cu.area_m2 is None or cu.per_year:
            raise ValueError(f"construction_unit {construction_unit!r} must be a one-off amount per area, "
                             "e.g. 'kg CO2e m-2' or 't CO2 ha-1' (no 'yr-1')")
        once = _per_class(construction, classes, "construction", "give 0 for classes built without emissions")
        kg_per_m2 = units.convert(1.0, cu.text, "kg CO2 m-2")
        amortised = {c: once[c] * kg_per_m2 * areas[c] / lifetime_years for c in classes}

    table = pd.DataFrame({"area_m2": pd.Series(areas), "sequestration": pd.Series(sequestration)})
    table = table.join(management)
    table["management"] = management.sum(axis=1, min_count=1).fillna(0.0)
    table["construction_amortised"] = pd.Series(amortised)
    table["net"] = table["sequestration"] - table["management"] - table["construction_amortised"]
    table.loc["total"] = table.sum(axis=0, min_count=1)
    flows = [c for c in table.columns if c != "area_m2"]
    to_out = units.convert(1.0, "kg CO2", f"t {basis}")  # kg CO2e -> t CO2e or t C
    table[flows] = table[flows] * to_out
    table.index.name = "class"
    unit = "t CO2e yr-1" if basis == "CO2" else "t C yr-1 (C-equivalent of CO2e)"
    table.attrs = {"units": unit, "area_m2": "m2", "basis": basis, "lifetime_years": lifetime_years,
                   "sign": "net > 0: the green space removes more than its management and construction emit",
                   "management_factors": factors.attrs.get("source", "")}
    return table


def break_even(table: pd.DataFrame) -> pd.DataFrame:
    """Years until a green space's construction emissions are repaid, from a :func:`green_space_budget` table.

    Per row (class, or ``total``): the one-off ``construction`` emissions (``construction_amortised`` x the
    table's ``attrs['lifetime_years']``), the ``operating_net`` per year (sequestration - management, before
    construction) and ``break_even_years`` = construction / operating_net.  Where the operating net is not
    positive the construction is never repaid (``inf``, with a ``note``); without construction emissions the
    break-even is 0 years.  ``repaid_within_lifetime`` says whether break-even comes before the end of the
    lifetime.  Amounts are in the table's units (t CO2e or t C; per year for ``operating_net``).
    """
    needed = ["sequestration", "management", "construction_amortised"]
    missing = [c for c in needed if c not in getattr(table, "columns", [])]
    if missing:
        raise ValueError(f"break_even needs a table from green_space_budget (columns {needed}); this one lacks "
                         f"{missing}")
    lifetime = table.attrs.get("lifetime_years")
    amortised = table["construction_amortised"].astype(float)
    if lifetime is None:
        if (amortised != 0).any():
            raise ValueError("the table has construction emissions but no attrs['lifetime_years']; use the table "
                             "green_space_budget returned (it records the lifetime)")
        lifetime = np.inf
    construction = amortised * lifetime if np.isfinite(lifetime) else amortised * 0.0
    operating = table["sequestration"] - table["management"]
    with np.errstate(divide="ignore", invalid="ignore"):
        years = np.where(construction <= 0, 0.0, np.where(operating > 0, construction / operating, np.inf))
    out = pd.DataFrame({"construction": construction, "operating_net": operating, "break_even_years": years},
                       index=table.index)
    out["repaid_within_lifetime"] = out["break_even_years"] <= lifetime
    out["note"] = np.where(np.isinf(years), "never repaid: management emits as much as or more than is sequestered",
                           "")
    unit = str(table.attrs.get("units", "t CO2e yr-1")).replace(" yr-1", "", 1)
    out.attrs = {"units": f"construction in {unit}; operating_net in {unit} yr-1; break_even_years in years",
                 "lifetime_years": None if np.isinf(lifetime) else lifetime,
                 "rule": "break-even = construction emissions / (sequestration - management) per year"}
    return out
