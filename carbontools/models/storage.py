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
(``carbontools/tables/carbon_pools_<scheme>_<zone>.csv``, one per IPCC climate zone) are ILLUSTRATIVE
Tier 1 values of the IPCC 2006 Guidelines, built by :func:`ipcc_pools` from the per-zone quantities of
``ipcc_tier1_defaults.csv``, each value with its table number and how far it could be checked.  The zone
is the user's choice or follows from mean annual temperature, precipitation and elevation by the IPCC
rule (:func:`ipcc_climate_zone`, :func:`climate_zone`).  Built-up soil follows the pixel's impervious
fraction when one is given (``impervious=`` of :func:`storage_density` and :func:`storage_pools`).  A
class present in a map but not in the table is an error naming the class, never a silent zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from os import PathLike

import numpy as np
import pandas as pd
import xarray as xr

from ..grid import check_same_grid
from ..landcover import class_lookup, nodata_values, present_codes
from ..params import read_table
from ..units import check_plausible, to_canonical

__all__ = [
    "POOLS",
    "STORAGE_UNITS",
    "ZONES",
    "pool_schemes",
    "ipcc_climate_zone",
    "climate_zone",
    "ipcc_defaults",
    "ipcc_pools",
    "pool_table_csv",
    "read_pools",
    "pool_standard_errors",
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
#: optional columns: a class with both (built-up) takes soil_open x (1 - impervious) + soil_sealed x impervious
SEALING_COLUMNS = ("soil_open", "soil_sealed")
#: IPCC climate zones with shipped pool tables (tropical montane, boreal and polar have none)
ZONES = ("tropical_wet", "tropical_moist", "tropical_dry", "warm_temperate_moist", "warm_temperate_dry",
         "cool_temperate_moist", "cool_temperate_dry")
#: the zone of read_pools() without one: the table carbontools shipped before zones (backwards compatible)
DEFAULT_ZONE = "warm_temperate_moist"
SOIL_TYPES = {"LAC": "soc_lac", "HAC": "soc_hac"}
#: optional columns: the standard error of each pool (Mg C ha-1; empty = no uncertainty at hand), each with a source
SE_COLUMNS = tuple(f"{p}_se" for p in POOLS)
#: 95 % interval half-width = Z95 x standard error (normal; IPCC 2006 Vol. 1 Ch. 3)
Z95 = 1.959963984540054
FOREST_STATES = ("mature", "secondary")


# --------------------------------------------------------------------------------------------
# The pool table
# --------------------------------------------------------------------------------------------

def pool_schemes() -> list[str]:
    """Schemes with shipped (illustrative) pool tables ``carbon_pools_<scheme>_<zone>.csv``."""
    names = [f.name for f in resources.files("carbontools.tables").iterdir()]
    return sorted({n[len("carbon_pools_"):-len(f"_{z}.csv")] for n in names for z in ZONES
                   if n.startswith("carbon_pools_") and n.endswith(f"_{z}.csv")})


# --------------------------------------------------------------------------------------------
# IPCC climate zones
# --------------------------------------------------------------------------------------------

def ipcc_climate_zone(mat, map_mm, elevation=0.0, pet_mm=None, warmest_month=None, frost_days=None):
    """The IPCC climate zone of a climate: a zone name, or an array of names for array input.

    ``mat`` mean annual temperature (degC), ``map_mm`` mean annual precipitation (mm), ``elevation`` (m),
    ``pet_mm`` annual potential evapotranspiration (mm; needed outside the tropics, where moist/dry is
    MAP > PET), ``warmest_month`` the warmest month's mean temperature (degC; separates boreal from polar),
    ``frost_days`` per year (optional: without it, the tropics' "virtually no frost" is not tested).

    The rule of the IPCC 2006 Guidelines, Vol. 4, Ch. 3, Annex 3A.5 (Figure 3A.5.1, the climate zone
    decision tree), thresholds from recall and as implemented in the R package soilsRevealed
    (``classify_climate``, R/IPCC.R):

    - tropical: MAT > 18 and frost days <= 7; then montane if elevation > 1000 m, else wet if
      MAP > 2000 mm, moist if MAP > 1000 mm, else dry;
    - warm temperate: MAT > 10; cool temperate: MAT > 0; else boreal if the warmest month is >= 10 degC,
      polar otherwise; each moist if MAP > PET, else dry.
    """
    mat, map_mm = np.asarray(mat, dtype=float), np.asarray(map_mm, dtype=float)
    elevation = np.asarray(elevation, dtype=float)
    valid = np.isfinite(mat) & np.isfinite(map_mm)
    tropical = mat > 18.0
    if frost_days is not None:
        tropical = tropical & (np.asarray(frost_days, dtype=float) <= 7.0)
    outside = valid & ~tropical
    if pet_mm is None and bool(outside.any()):
        raise ValueError("outside the tropics (mean annual temperature <= 18 degC) the IPCC zone needs the annual "
                         "potential evapotranspiration: pass pet_mm= (or use climate_zone(tmean, precip), which "
                         "computes Thornthwaite PET)")
    if warmest_month is None and bool((outside & (mat <= 0.0)).any()):
        raise ValueError("mean annual temperature <= 0 degC: boreal or polar depends on the warmest month; pass "
                         "warmest_month= (degC)")
    pet = np.asarray(np.nan if pet_mm is None else pet_mm, dtype=float)
    warmest = np.asarray(np.nan if warmest_month is None else warmest_month, dtype=float)
    moisture = np.where(map_mm > pet, "_moist", "_dry")
    band = np.where(mat > 10.0, "warm_temperate",
                    np.where(mat > 0.0, "cool_temperate", np.where(warmest >= 10.0, "boreal", "polar")))
    tropics = np.where(elevation > 1000.0, "tropical_montane",
                       np.where(map_mm > 2000.0, "tropical_wet",
                                np.where(map_mm > 1000.0, "tropical_moist", "tropical_dry")))
    zone = np.where(valid, np.where(tropical, tropics, np.char.add(band, moisture)), "")
    return str(zone) if zone.ndim == 0 else zone


def climate_zone(tmean: xr.DataArray, precip: xr.DataArray, elevation=None, per_pixel: bool = False):
    """The IPCC climate zone of a region (or of each pixel) from monthly temperature and precipitation.

    ``tmean`` (degC) and ``precip`` (mm month-1) are monthly (time, y, x) over whole calendar years;
    ``elevation`` (m) a map or a number.  MAT is the mean of the months, MAP the mean of the yearly sums,
    PET the yearly sum of plain Thornthwaite Ep0 (:func:`carbontools.models.casa.thornthwaite_pet`),
    the warmest month the highest monthly mean of the mean year.  The region's zone is that of its mean
    climate (means over the valid pixels; the mean elevation); ``per_pixel=True`` gives a zone map
    instead.  See :func:`ipcc_climate_zone` for the rule.
    """
    from .casa import heat_index, thornthwaite_pet

    tmean = to_canonical("tmean", tmean)
    precip = to_canonical("precip", precip)
    if not per_pixel:
        space = [d for d in tmean.dims if d != "time"]
        tmean, precip = tmean.mean(space), precip.mean(space)
        if elevation is not None and isinstance(elevation, xr.DataArray):
            elevation = float(elevation.mean())
    pet = thornthwaite_pet(tmean, heat_index(tmean), None)
    years = tmean["time"].dt.year
    map_mm = precip.groupby(years).sum("time").mean("year")
    pet_mm = pet.groupby(years).sum("time").mean("year")
    warmest = tmean.groupby(tmean["time"].dt.month).mean("time").max("month")
    mat = tmean.mean("time")
    elev = 0.0 if elevation is None else elevation
    zone = ipcc_climate_zone(mat.values, map_mm.values, np.asarray(elev), pet_mm.values, warmest.values)
    if not per_pixel:
        return str(zone)
    return xr.DataArray(zone, dims=mat.dims, coords=mat.coords, name="ipcc_climate_zone",
                        attrs={"long_name": "IPCC climate zone (IPCC 2006 Vol. 4 Ch. 3 Annex 3A.5)"})


# --------------------------------------------------------------------------------------------
# Tier 1 defaults -> pool tables
# --------------------------------------------------------------------------------------------

def ipcc_defaults(zone: str) -> pd.DataFrame:
    """The Tier 1 quantities of ``zone`` (and of every zone): indexed by item, with value, unit, source, status
    and their uncertainty ``u95_pct`` (half the 95 % interval in % of the value; NaN: none at hand), ``u95_source``
    and ``u95_status``."""
    _check_zone(zone)
    table = read_table("ipcc_tier1_defaults.csv")
    rows = table[table["zone"].isin(["all", zone])]
    return rows.set_index("item")[["value", "unit", "source", "status", "u95_pct", "u95_source", "u95_status"]]


def _check_zone(zone: str) -> None:
    if zone not in ZONES:
        raise ValueError(f"no shipped carbon pool table for IPCC climate zone {zone!r}; shipped: {list(ZONES)}. "
                         "Choose one of those, or pass your own table: read_pools('my_pools.csv', scheme=...)")


def _pool_rows(kind: str, q, forest: str, soil_item: str) -> dict:
    """value and source of each pool of one class ``kind``; ``q(item)`` gives (value, 'source [status]')."""
    cf, cf_src = q("cf")
    soc, soc_src = q(soil_item)
    if kind.startswith("forest"):
        agb, agb_src = q("agb_forest")
        rs, rs_src = q("rs_forest")
        if forest == "secondary":
            ratio, ratio_src = q("secondary_ratio")
            agb, agb_src = agb * ratio, f"{agb_src} x secondary_ratio {ratio:g}: {ratio_src}"
            rs, rs_src = q("rs_forest_secondary")
        above = agb * cf
        litters = {"broadleaf": [q("litter_broadleaf")], "needleleaf": [q("litter_needleleaf")],
                   "mixed": [q("litter_broadleaf"), q("litter_needleleaf")]}[kind.split("_")[1]]
        dead = sum(v for v, _ in litters) / len(litters)
        dead_src = " and ".join(src for _, src in litters) + (" (their mean)" if len(litters) > 1 else "")
        return {"above": (above, f"AGB {agb:g} t d.m./ha: {agb_src}; x CF {cf:g}: {cf_src}"),
                "below": (above * rs, f"above x R {rs:g}: {rs_src}"), "soil": (soc, soc_src), "dead": (dead, dead_src)}
    if kind == "shrub":
        agb, agb_src = q("agb_shrub")
        rs, rs_src = q("rs_shrub")
        return {"above": (agb * cf, f"AGB {agb:g} t d.m./ha: {agb_src}; x CF {cf:g}: {cf_src}"),
                "below": (agb * cf * rs, f"above x R {rs:g}: {rs_src}"), "soil": (soc, soc_src), "dead": (0.0, "none")}
    if kind in ("grass", "wetland"):
        ga, ga_src = q("grass_above")
        gt, gt_src = q("grass_total")
        if kind == "wetland":
            soc, soc_src = q("soc_wetland")
        return {"above": (ga * cf, f"{ga:g} t d.m./ha: {ga_src}; x CF {cf:g}"),
                "below": ((gt - ga) * cf, f"({gt:g} - {ga:g}) t d.m./ha: {gt_src}; x CF {cf:g}"),
                "soil": (soc, soc_src), "dead": (0.0, "none")}
    if kind == "crop":
        c, c_src = q("crop_c")
        share, share_src = q("crop_above_share")
        flu, flu_src = q("flu_crop")
        return {"above": (c * share, f"{c:g} Mg C/ha: {c_src}; x {share:g}: {share_src}"),
                "below": (c * (1 - share), f"{c:g} Mg C/ha x {1 - share:g}: {share_src}"),
                "soil": (soc * flu, f"{soc_src}; x F_LU {flu:g}: {flu_src}"), "dead": (0.0, "none")}
    if kind in ("urban", "barren"):
        loss, loss_src = q("sealed_loss")
        sealed = (soc * (1 - loss), f"{soc_src}; x (1 - {loss:g}): {loss_src}")
        if kind == "barren":
            return {"above": (0.0, "none"), "below": (0.0, "none"), "soil": sealed, "dead": (0.0, "none")}
        tc, tc_src = q("urban_tree_c")
        cover, cover_src = q("urban_tree_cover")
        rs, rs_src = q("urban_rs")
        share, share_src = q("sealed_share")
        trees = tc * cover
        tree_src = f"{tc:g} Mg C/ha of tree cover: {tc_src}; x cover {cover:g}: {cover_src}"
        return {"above": (trees / (1 + rs), f"{tree_src}; / (1 + R {rs:g}): {rs_src}"),
                "below": (trees * rs / (1 + rs), f"{tree_src}; x R/(1 + R), R {rs:g}: {rs_src}"),
                "soil": (soc * (1 - share) + sealed[0] * share,
                         f"open {soc:g} x (1 - {share:g}) + sealed {sealed[0]:.4g} x {share:g} ({share_src}); "
                         "follows the pixel's impervious fraction when one is given"),
                "dead": (0.0, "none"), "soil_open": (soc, soc_src), "soil_sealed": sealed}
    if kind == "none":
        return {p: (0.0, "not accounted") for p in POOLS}
    raise ValueError(f"pool kind {kind!r} unknown")


def ipcc_pools(scheme: str = "casa", zone: str = DEFAULT_ZONE, soil: str = "LAC", forest: str = "mature") -> pd.DataFrame:
    """The Tier 1 carbon pool table of ``scheme``'s classes in IPCC climate ``zone`` (Mg C ha-1).

    Built from ``ipcc_tier1_defaults.csv`` by the recipe of each class in ``pool_kinds.csv``; pools are
    rounded to 0.1 Mg C ha-1 and each has a ``<pool>_source`` column: the tables and factors it comes from,
    with their check status in brackets.  ``soil``: the mineral soil of the SOC reference stock, "LAC"
    (low-activity clay, the default: the weathered soils of the humid tropics and subtropics) or "HAC".
    ``forest``: "mature" (natural forest, Table 4.7) or "secondary" (see the header of
    ``ipcc_tier1_defaults.csv``).  The built-up class also has ``soil_open`` and ``soil_sealed``.
    """
    if soil not in SOIL_TYPES:
        raise ValueError(f"soil={soil!r}: give one of {list(SOIL_TYPES)} (low- or high-activity clay mineral soils)")
    if forest not in FOREST_STATES:
        raise ValueError(f"forest={forest!r}: give one of {list(FOREST_STATES)}")
    defaults = ipcc_defaults(zone)
    kinds = read_table("pool_kinds.csv")
    kinds = kinds[kinds["scheme"] == scheme]
    if kinds.empty:
        raise ValueError(f"no pool recipe for scheme {scheme!r}; schemes: {sorted(read_table('pool_kinds.csv')['scheme'].unique())}")

    def q(item):
        row = defaults.loc[item]
        return float(row["value"]), f"{row['source']} [{row['status']}]"

    rows = []
    for _, cls in kinds.iterrows():
        pools = _pool_rows(cls["kind"], q, forest, SOIL_TYPES[soil])
        row = {"code": int(cls["code"]), "name": cls["name"]}
        row.update({k: round(v, 1) for k, (v, _) in pools.items()})
        row.update({f"{k}_source": src for k, (_, src) in pools.items()})
        for pool, (se, src) in _pool_errors(cls["kind"], q, defaults, forest, SOIL_TYPES[soil]).items():
            row[f"{pool}_se"], row[f"{pool}_se_source"] = (round(se, 1) if np.isfinite(se) else np.nan), src
        rows.append(row)
    columns = ["code", "name", *POOLS, *SEALING_COLUMNS, *SE_COLUMNS,
               *(f"{p}_source" for p in (*POOLS, *SEALING_COLUMNS)), *(f"{c}_source" for c in SE_COLUMNS)]
    table = pd.DataFrame(rows).reindex(columns=columns)
    label = f"IPCC 2006 Tier 1 defaults, {zone}, {soil} soils, {forest} forest (illustrative)"
    out = _validated(table, label, scheme)
    out.attrs.update(zone=zone, soil=soil, forest=forest)
    return out


def _pool_errors(kind: str, q, defaults: pd.DataFrame, forest: str, soil_item: str) -> dict:
    """Standard error (Mg C ha-1) and its source of each pool of one class ``kind``, by IPCC Approach 1.

    Each pool is a sum of products of the Tier 1 quantities (:func:`_pool_rows`) and linear in each one, so
    its partial derivatives are exact central differences; the quantities are taken as independent:
    se = sqrt(sum_i (d pool / d q_i x se_i)^2), se_i = q_i x u95_pct_i / 100 / Z95 (IPCC 2006 Vol. 1 Ch. 3,
    Eqs. 3.1 and 3.2 to first order).  A quantity of status "assumption" is a choice and counts as exact; a
    pool that depends on any other quantity without an uncertainty gets NaN (no interval), its source says which.
    """
    used: set[str] = set()
    _pool_rows(kind, lambda item: (used.add(item), q(item))[1], forest, soil_item)

    def q_with(shift: dict):
        def shifted(item):
            return float(defaults.loc[item, "value"]) + shift.get(item, 0.0), ""
        return shifted

    sources = {p: src for p, (_, src) in _pool_rows(kind, q, forest, soil_item).items() if p in POOLS}
    out = {}
    for pool in POOLS:
        if sources[pool] in ("none", "not accounted"):
            out[pool] = (0.0, "none (no such pool in this class)")
            continue
        var, parts, unknown = 0.0, [], []
        for item in sorted(used):
            row = defaults.loc[item]
            h = max(abs(float(row["value"])), 1.0) * 1e-3
            up = _pool_rows(kind, q_with({item: h}), forest, soil_item)[pool][0]
            down = _pool_rows(kind, q_with({item: -h}), forest, soil_item)[pool][0]
            slope = (up - down) / (2 * h)
            if slope == 0.0:
                continue
            if pd.isna(row["u95_pct"]):
                if row["status"] != "assumption":
                    unknown.append(item)
                continue
            se = abs(float(row["value"])) * float(row["u95_pct"]) / 100.0 / Z95
            var += (slope * se) ** 2
            parts.append(f"{item} +-{float(row['u95_pct']):g} %: {row['u95_source']} [{row['u95_status']}]")
        if unknown:
            out[pool] = (np.nan, f"no uncertainty at hand for {', '.join(unknown)}: no interval")
        else:
            out[pool] = (float(np.sqrt(var)), "IPCC 2006 V1 Ch.3 Approach 1 (independent) of " + "; ".join(parts)
                         + " (assumptions exact)")
    return out


def pool_table_csv(scheme: str = "casa", zone: str = DEFAULT_ZONE) -> str:
    """The text of the shipped table ``carbon_pools_<scheme>_<zone>.csv``: :func:`ipcc_pools` with its header."""
    table = ipcc_pools(scheme, zone).reset_index()
    header = [
        f"Carbon pools per {scheme.upper()} class in the IPCC climate zone {zone} (InVEST carbon model convention):",
        "above-ground biomass, below-ground biomass, soil organic carbon (0-30 cm, low-activity clay mineral soils)",
        "and dead organic matter, Mg C ha-1 (= t C ha-1), mature natural forest.",
        "",
        "ILLUSTRATIVE DEFAULTS, NOT LOCAL DATA: IPCC 2006 Guidelines Vol. 4 Tier 1 values and the literature",
        "values named in the source columns, with how far each could be checked in brackets (see the header of",
        "ipcc_tier1_defaults.csv). Replace them with values for your region: read_pools('my_pools.csv', scheme=...).",
        "",
        "Generated by carbontools.models.storage.pool_table_csv from ipcc_tier1_defaults.csv and pool_kinds.csv;",
        "tests/test_storage.py checks that this file is what they give. Built-up soil follows the pixel's",
        "impervious fraction when one is given (soil_open, soil_sealed); soil is the value at sealed_share.",
        "<pool>_se: standard error (Mg C ha-1) propagated from the u95_pct of ipcc_tier1_defaults.csv by IPCC",
        "Approach 1 (see <pool>_se_source); empty where a quantity it needs has no uncertainty at hand.",
    ]
    body = table.to_csv(index=False, lineterminator="\n", float_format="%.1f")
    return "".join(f"# {line}".rstrip() + "\n" for line in header) + body


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


def read_pools(path_or_df=None, scheme: str = "casa", zone: str | None = None, soil: str = "LAC",
               forest: str = "mature") -> pd.DataFrame:
    """The carbon pool table: indexed by class ``code``, columns ``above, below, soil, dead`` in Mg C ha-1.

    ``path_or_df``: ``None`` for the shipped ILLUSTRATIVE table of ``scheme`` in IPCC climate ``zone``
    (``carbon_pools_<scheme>_<zone>.csv``; see :data:`ZONES`, :func:`climate_zone` to derive the zone,
    and :func:`ipcc_pools` for ``soil`` and ``forest``), a CSV path (``#`` lines are comments), a
    DataFrame, or a dict ``code -> (above, below, soil, dead)``.  Without a zone the warm temperate moist
    table is read, the one carbontools shipped before zones existed.  InVEST column names (``lucode,
    c_above, c_below, c_soil, c_dead``) are accepted.  ``scheme`` names the class scheme of the codes; a
    land-cover map whose ``attrs['scheme']`` differs is refused.

    Every pool must be a number >= 0 for every class (water may be all zeros, but must be listed);
    errors name the column and the class.  Optional ``soil_open`` and ``soil_sealed`` (both or neither)
    let a class's soil follow an impervious fraction (:func:`storage_density`).
    """
    if path_or_df is None:
        zone = DEFAULT_ZONE if zone is None else zone
        available = pool_schemes()
        if scheme not in available:
            raise ValueError(f"no shipped carbon pool table for scheme {scheme!r}; shipped: {available}. "
                             "Pass your own table: read_pools('my_pools.csv', scheme=...)")
        _check_zone(zone)
        if (soil, forest) != ("LAC", "mature"):
            return ipcc_pools(scheme, zone, soil, forest)
        name = f"carbon_pools_{scheme}_{zone}.csv"
        table, source = read_table(name), f"carbontools/tables/{name} (illustrative defaults)"
        out = _validated(table, source, scheme)
        out.attrs.update(zone=zone, soil=soil, forest=forest)
        return out
    if zone is not None:
        raise ValueError("zone= chooses a shipped table; a table of your own is used as it is (drop zone=)")
    if isinstance(path_or_df, pd.DataFrame):
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
    if any(c in table.columns for c in SEALING_COLUMNS):
        for col in SEALING_COLUMNS:
            values = pd.to_numeric(table[col], errors="coerce") if col in table.columns else pd.Series(np.nan, table.index)
            if bool((values < 0).any()):
                raise ValueError(f"carbon pool table ({source}): column {col!r} is negative for class(es) "
                                 f"{table.index[values < 0].tolist()}")
            table[col] = values.astype(float)
        half = table.index[table["soil_open"].isna() != table["soil_sealed"].isna()].tolist()
        if half:
            raise ValueError(f"carbon pool table ({source}): class(es) {half} give only one of soil_open and "
                             "soil_sealed; give both (soil where open and where sealed) or neither")
    _validate_errors(table, source)
    table.attrs = {"units": STORAGE_UNITS, "scheme": scheme, "source": source}
    return table


def _validate_errors(table: pd.DataFrame, source: str) -> None:
    """The optional ``<pool>_se`` columns: numbers >= 0 or empty, each given one with a ``<pool>_se_source``."""
    for pool in POOLS:
        col = f"{pool}_se"
        if col not in table.columns:
            continue
        raw = table[col]
        values = pd.to_numeric(raw, errors="coerce")
        text = table.index[values.isna() & raw.notna() & (raw.astype(str).str.strip() != "")].tolist()
        if text:
            raise ValueError(f"carbon pool table ({source}): column {col!r} is not a number for class(es) {text}; "
                             "give the standard error of the pool in Mg C ha-1, or leave it empty (no uncertainty)")
        negative = table.index[values < 0].tolist()
        if negative:
            raise ValueError(f"carbon pool table ({source}): column {col!r} is negative for class(es) {negative}; "
                             "a standard error is >= 0 Mg C ha-1")
        src_col = f"{col}_source"
        sources = table[src_col] if src_col in table.columns else pd.Series(np.nan, table.index)
        blank = sources.isna() | (sources.astype(str).str.strip() == "")
        unsourced = table.index[values.notna() & blank].tolist()
        if unsourced:
            raise ValueError(f"carbon pool table ({source}): {col!r} of class(es) {unsourced} has no source; add a "
                             f"column {src_col!r} saying where each standard error comes from (e.g. 'IPCC 2006 V4 "
                             "Ch.2 Table 2.3 note, +-90 %', or 'unverified')")
        table[col] = values.astype(float)


def pool_standard_errors(table: pd.DataFrame) -> pd.DataFrame:
    """The standard error (Mg C ha-1) of every pool of a table from :func:`read_pools`: columns ``above, below,
    soil, dead``; NaN where the table gives none (a pool column without ``<pool>_se``, or an empty cell).

    ``attrs['note']`` says which pools the table has no column for (then no interval for them).
    """
    out = pd.DataFrame({p: (table[f"{p}_se"].astype(float) if f"{p}_se" in table.columns
                            else pd.Series(np.nan, table.index)) for p in POOLS}, index=table.index)
    absent = [p for p in POOLS if f"{p}_se" not in table.columns]
    out.attrs = {"units": STORAGE_UNITS, "source": table.attrs.get("source", ""),
                 "note": (f"the pool table has no standard error column for {absent}: no interval for those pools"
                          if absent else "every pool has a standard error column")}
    return out


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


def _soil(landcover: xr.DataArray, table: pd.DataFrame, nodata, impervious: xr.DataArray | None) -> xr.DataArray:
    """Soil organic carbon per pixel; classes with soil_open/soil_sealed follow ``impervious`` where it is given."""
    soil = class_lookup(landcover, table["soil"].to_dict(), nodata)
    if impervious is None:
        return soil
    sealable = table.dropna(subset=list(SEALING_COLUMNS)) if set(SEALING_COLUMNS) <= set(table.columns) else table.iloc[:0]
    if sealable.empty:
        raise ValueError("impervious= was given but no class of the carbon pool table has soil_open and soil_sealed "
                         f"({table.attrs.get('source', 'user table')}); add both columns for the built-up class")
    check_same_grid(landcover, impervious, ("landcover", "impervious"),
                    fix="put the impervious fraction on the land-cover grid first: carbontools.grid.regrid(...)")
    imp = to_canonical("impervious", impervious)
    check_plausible({"impervious": imp})
    open_, sealed = (class_lookup(landcover, sealable[c].to_dict(), nodata) for c in SEALING_COLUMNS)
    follows = landcover.isin(list(sealable.index))
    return xr.where(follows & imp.notnull(), open_ * (1.0 - imp) + sealed * imp, soil)


def storage_pools(landcover: xr.DataArray, pools: pd.DataFrame | None = None,
                  impervious: xr.DataArray | None = None) -> xr.Dataset:
    """The four pools (Mg C ha-1) of every pixel of a class map: a Dataset with ``above, below, soil, dead``.

    ``pools`` defaults to :func:`read_pools` (illustrative CASA table); codes must be those of the table's
    scheme.  ``impervious`` (fraction 0..1 on the same grid): the soil of classes with ``soil_open`` and
    ``soil_sealed`` (built-up) is soil_open x (1 - impervious) + soil_sealed x impervious instead of the
    table's fixed share.  NaN where the map is NaN or nodata; a class missing from the table is an error.
    """
    table = read_pools() if pools is None else pools
    nodata = _class_codes(landcover, table, "landcover")
    layers = {p: class_lookup(landcover, table[p].to_dict(), nodata) for p in POOLS}
    layers["soil"] = _soil(landcover, table, nodata, impervious)
    return xr.Dataset({p: _finish(layers[p], landcover, p, POOL_NAMES[p], table) for p in POOLS})


def storage_density(landcover: xr.DataArray, pools: pd.DataFrame | None = None,
                    impervious: xr.DataArray | None = None) -> xr.DataArray:
    """Carbon stored per pixel (Mg C ha-1): the sum of the four pools of the pixel's class.

    ``landcover`` holds class codes of the pool table's scheme (see :func:`read_pools`); NaN where the
    map is NaN or nodata.  A class missing from the table raises an error naming its code.
    ``impervious``: built-up soil follows the pixel's impervious fraction (see :func:`storage_pools`).
    """
    table = read_pools() if pools is None else pools
    nodata = _class_codes(landcover, table, "landcover")
    if impervious is None:
        total = class_lookup(landcover, table[list(POOLS)].sum(axis=1).to_dict(), nodata)
    else:
        total = sum(storage_pools(landcover, table, impervious).data_vars.values())
    return _finish(total, landcover, "carbon_storage", "carbon storage (sum of 4 pools)", table)


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


def _density(obj: xr.DataArray, table: pd.DataFrame, impervious=None) -> xr.DataArray:
    if "class" in obj.dims:
        if impervious is not None:
            raise ValueError("an impervious fraction applies to class maps, not to class fractions: the coarse "
                             "cell's impervious share is not that of its built-up part")
        return storage_from_fractions(obj, table)
    return storage_density(obj, table, impervious)


def _check_same_grid(a: xr.DataArray, b: xr.DataArray, names=("before", "after")) -> None:
    check_same_grid(a, b, names, fix="put one on the other's grid first: carbontools.grid.regrid(..., "
                                     "kind='categorical')")


def sequestration(before: xr.DataArray, after: xr.DataArray, pools: pd.DataFrame | None = None,
                  impervious_before: xr.DataArray | None = None,
                  impervious_after: xr.DataArray | None = None) -> xr.DataArray:
    """Carbon sequestered per pixel between two land-cover states (Mg C ha-1): storage(after) - storage(before).

    ``before`` and ``after`` are class maps (or class fractions with a ``class`` dim) on the same grid;
    > 0 is a gain of stored carbon, < 0 a loss (an emission).  ``impervious_before``/``impervious_after``:
    the impervious fraction of each state, for class maps (see :func:`storage_density`).
    """
    table = read_pools() if pools is None else pools
    _check_same_grid(before, after)
    out = _density(after, table, impervious_after) - _density(before, table, impervious_before)
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
