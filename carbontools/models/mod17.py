"""MOD17 GPP and annual NPP, the MODIS algorithm run on carbontools drivers: an independent reference for CASA.

The algorithm of Running & Zhao (MOD17 User's Guide, Collection 6.1, 2021; the C6 science of 2015), with its
Biome Properties Look-Up Table (``carbontools.params.MOD17_BPLUT``)::

    GPP        = LUEmax * f(Tmin) * f(VPD) * FPAR * 0.45 * SWrad            (daily)
    f(Tmin)    = 0 at Tmin <= Tmin_min, 1 at Tmin >= Tmin_max, linear between
    f(VPD)     = 1 at VPD <= VPD_min,   0 at VPD >= VPD_max,   linear between
    leaf mass  = LAI / SLA;  fine-root mass = leaf mass * froot_leaf_ratio
    Rm_leaf    = leaf mass * leaf_mr_base * Q10_leaf**((Tavg - 20)/10),  Q10_leaf = 3.22 - 0.046 Tavg
    Rm_froot   = fine-root mass * froot_mr_base * Q10**((Tavg - 20)/10)  (daily)
    Rm_wood    = annual max leaf mass * livewood_leaf_ratio * livewood_mr_base * sum over days Q10**((Tavg - 20)/10)
    NPP        = sum(GPP - Rm_leaf - Rm_froot) - Rm_wood - Rg,  Rg = 0.25 NPP  ->  NPP = 0.8 (GPP - Rm)   (annual)

**What this module does differently from the product, and why.** It is not MODIS data and does not pretend to be:

- *Monthly step.* The guide sums daily values over the year.  carbontools drivers are monthly, so each month's
  daily rates are computed from the month's mean drivers and multiplied by its number of days.  Because the
  ramps and the Q10 terms are non-linear, this is not the sum of the daily values; it is the stated
  approximation of this reference.
- *Inputs the demo does not have* (assumptions of the reference, :class:`carbontools.params.Mod17Params`):
  daily Tmin = tmean - ``half_diurnal_range``; daytime VPD = es(tmean) (1 - ``relative_humidity``) with es from
  Tetens' formula (FAO-56 eq. 11), unless ``vpd`` is given; FPAR from NDVI by Myneni & Williams (1994),
  FPAR = 1.1638 NDVI - 0.1426 clipped to [0, 0.95], and LAI from FPAR by Beer's law, LAI = -ln(1 - FPAR)/k with
  k = 0.5, unless ``fpar`` and/or ``lai`` are given.  This FPAR is *not* CASA's (class-scaled NDVI and simple
  ratio), so the two models share the drivers but not that step; they share the 0.95 upper FPAR limit.
- *Negative years.* Growth respiration is 0 where GPP - Rm <= 0 (nothing grows); NPP is then GPP - Rm, negative,
  and is not floored at 0.
- *Land cover.* IGBP (or CASA) codes are mapped onto the guide's biomes by
  ``carbontools.params.MOD17_BIOMES`` (IGBP wetlands -> Grass and cropland/natural mosaic -> Crop are our
  choices).  Water and permanent snow/ice have NPP = 0, as in CASA; urban and barren land, which no BPLUT biome
  covers, are NaN (no MOD17 value), so that comparisons leave them out rather than count a made-up 0.

Units out: g C m-2 month-1 (monthly terms) and g C m-2 yr-1 (annual terms).  Pure functions on numbers, numpy
or xarray (numpy- or dask-backed); :func:`mod17_npp` checks its inputs, the building blocks do not.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
import xarray as xr

from ..landcover import class_lookup
from ..params import MOD17_BIOMES, MOD17_BPLUT, MOD17_ZERO_NPP, Mod17Biome, Mod17Params
from ..units import plausibility_problems, to_canonical
from ._ops import clamp as _clamp
from ._ops import check_whole_years, fresh
from ._ops import where as _where

__all__ = [
    "tmin_scalar",
    "vpd_scalar",
    "saturation_vapour_pressure",
    "vpd_from_humidity",
    "fpar_lai_from_ndvi",
    "daily_gpp",
    "leaf_froot_respiration",
    "livewood_respiration",
    "biome_parameters",
    "mod17_npp",
    "DEFAULT",
]

DEFAULT = Mod17Params()
_KG_TO_G = 1000.0


def tmin_scalar(tmin, tmin_min, tmin_max):
    """f(Tmin): 0 at or below ``tmin_min``, 1 at or above ``tmin_max``, linear between (degC)."""
    return fresh(_clamp((tmin - tmin_min) / (tmin_max - tmin_min), 0.0, 1.0), "f_tmin")


def vpd_scalar(vpd, vpd_min, vpd_max):
    """f(VPD): 1 at or below ``vpd_min``, 0 at or above ``vpd_max``, linear between (Pa)."""
    return fresh(_clamp((vpd_max - vpd) / (vpd_max - vpd_min), 0.0, 1.0), "f_vpd")


def saturation_vapour_pressure(t, params: Mod17Params | None = None):
    """es (Pa) at air temperature ``t`` (degC): Tetens' formula as FAO-56 eq. 11, 610.8 exp(17.27 T/(T + 237.3))."""
    p = params if params is not None else DEFAULT
    return fresh(p.svp_a * np.exp(p.svp_b * t / (t + p.svp_c)), "es")


def vpd_from_humidity(tmean, relative_humidity=None, params: Mod17Params | None = None):
    """Vapour pressure deficit (Pa) = es(tmean) (1 - RH); RH (0..1) defaults to ``params.relative_humidity``."""
    p = params if params is not None else DEFAULT
    rh = p.relative_humidity if relative_humidity is None else relative_humidity
    return fresh(saturation_vapour_pressure(tmean, p) * (1.0 - rh), "vpd")


def fpar_lai_from_ndvi(ndvi, params: Mod17Params | None = None):
    """FPAR and LAI from NDVI: FPAR = 1.1638 NDVI - 0.1426 (Myneni & Williams 1994) clipped to [0, fpar_max],
    LAI = -ln(1 - FPAR)/k (Beer's law, k = 0.5).  Returns ``(fpar, lai)``."""
    p = params if params is not None else DEFAULT
    fpar = _clamp(p.fpar_ndvi_slope * ndvi + p.fpar_ndvi_intercept, 0.0, p.fpar_max)
    return fresh(fpar, "fpar"), fresh(-np.log1p(-fpar) / p.extinction_k, "lai")


def daily_gpp(swrad, fpar, tmin, vpd, biome, params: Mod17Params | None = None):
    """Daily GPP (g C m-2 day-1) = 1000 LUEmax f(Tmin) f(VPD) FPAR par_fraction SWrad.

    ``swrad`` in MJ m-2 day-1, ``tmin`` degC, ``vpd`` Pa; ``biome`` is a :class:`~carbontools.params.Mod17Biome`
    or a mapping of its field names to per-pixel values (:func:`biome_parameters`).
    """
    p = params if params is not None else DEFAULT
    b = _fields(biome)
    scalars = tmin_scalar(tmin, b["tmin_min"], b["tmin_max"]) * vpd_scalar(vpd, b["vpd_min"], b["vpd_max"])
    return fresh(_KG_TO_G * b["lue_max"] * scalars * fpar * p.par_fraction * swrad, "gpp")


def leaf_froot_respiration(lai, tavg, biome, params: Mod17Params | None = None):
    """Daily maintenance respiration of leaves and of fine roots (g C m-2 day-1) at mean temperature ``tavg``.

    Leaf mass = LAI/SLA (kg C m-2); fine roots = leaf mass * froot_leaf_ratio.  Leaves use the
    temperature-acclimated Q10 = 3.22 - 0.046 Tavg, fine roots the BPLUT's Q10, both about 20 degC.
    Returns ``(rm_leaf, rm_froot)``.
    """
    p = params if params is not None else DEFAULT
    b = _fields(biome)
    leaf_mass = lai / b["sla"]
    exponent = (tavg - p.t_ref) / 10.0
    leaf = _KG_TO_G * leaf_mass * b["leaf_mr_base"] * (p.q10_leaf_a - p.q10_leaf_b * tavg) ** exponent
    froot = _KG_TO_G * leaf_mass * b["froot_leaf_ratio"] * b["froot_mr_base"] * b["q10"] ** exponent
    return fresh(leaf, "rm_leaf"), fresh(froot, "rm_froot")


def livewood_respiration(max_lai, q10_days, biome):
    """Annual live-wood maintenance respiration (g C m-2 yr-1).

    ``max_lai`` is the year's maximum LAI (the guide's annual maximum leaf mass is max LAI / SLA);
    ``q10_days`` is the year's sum over days of ``Q10**((Tavg - 20)/10)`` (at a monthly step: the sum over
    months of days x that term).
    """
    b = _fields(biome)
    livewood_mass = max_lai / b["sla"] * b["livewood_leaf_ratio"]
    return fresh(_KG_TO_G * livewood_mass * b["livewood_mr_base"] * q10_days, "rm_livewood")


def biome_parameters(landcover: xr.DataArray, scheme: str | None = None, bplut: Mapping[str, Mod17Biome] | None = None,
                     biomes: Mapping[int, str] | None = None) -> dict[str, xr.DataArray]:
    """Per-pixel BPLUT values on the land-cover grid: ``{field: DataArray}``, NaN where no biome applies.

    ``biomes`` (code -> biome name) defaults to ``carbontools.params.MOD17_BIOMES`` of the map's scheme
    (``landcover.attrs['scheme']``, or ``scheme``).
    """
    table = dict(MOD17_BPLUT if bplut is None else bplut)
    mapping = dict(biomes) if biomes is not None else _scheme_biomes(landcover, scheme)
    unknown = sorted({v for v in mapping.values()} - set(table))
    if unknown:
        raise ValueError(f"biomes names {unknown}, which the BPLUT does not have; the BPLUT's biomes are "
                         f"{sorted(table)}")
    fields = [f.name for f in dataclasses.fields(Mod17Biome) if f.name != "name"]
    return {f: class_lookup(landcover, {code: getattr(table[name], f) for code, name in mapping.items()})
            for f in fields}


def _scheme_biomes(landcover, scheme):
    scheme = scheme or landcover.attrs.get("scheme")
    if scheme not in MOD17_BIOMES:
        raise ValueError(
            f"landcover has scheme {scheme!r} (attrs['scheme']); MOD17 biomes are defined here for "
            f"{sorted(MOD17_BIOMES)} codes. Set landcover.attrs['scheme'] to 'igbp' or 'casa', map the map first "
            "(carbontools.landcover.to_casa), or give biomes={code: 'ENF', ...} (BPLUT names)")
    return MOD17_BIOMES[scheme]


def _fields(biome) -> Mapping:
    if isinstance(biome, Mod17Biome):
        return {f.name: getattr(biome, f.name) for f in dataclasses.fields(biome)}
    return biome


def _checked(name: str, da, unit: str | None = None) -> xr.DataArray:
    if not isinstance(da, xr.DataArray):
        raise TypeError(f"mod17_npp: {name} must be an xarray.DataArray with dims (time, y, x), got "
                        f"{type(da).__name__}")
    if "time" not in da.dims:
        raise ValueError(f"mod17_npp: {name} has dims {da.dims} but no 'time': give monthly (time, y, x) values")
    if unit is None:
        return da
    units = da.attrs.get("units")
    if units is not None and units != unit:
        raise ValueError(f"mod17_npp: {name} has units {units!r}; give it in {unit!r} (set attrs['units'])")
    return da



def mod17_npp(
    *,
    srad: xr.DataArray,
    tmean: xr.DataArray,
    landcover: xr.DataArray,
    ndvi: xr.DataArray | None = None,
    fpar: xr.DataArray | None = None,
    lai: xr.DataArray | None = None,
    tmin: xr.DataArray | None = None,
    vpd: xr.DataArray | None = None,
    params: Mod17Params | None = None,
    bplut: Mapping[str, Mod17Biome] | None = None,
    biomes: Mapping[int, str] | None = None,
    check: bool = True,
) -> xr.Dataset:
    """MOD17 monthly GPP and respiration and annual NPP on carbontools' monthly drivers.

    Parameters
    ----------
    srad, tmean : xarray.DataArray
        Monthly (time, y, x) incoming shortwave radiation (MJ m-2 month-1, or any unit
        :func:`carbontools.units.to_canonical` converts) and mean air temperature (degC or K).
    landcover : xarray.DataArray
        (y, x) codes of ``attrs['scheme']`` 'igbp' or 'casa' (or give ``biomes``).
    ndvi : xarray.DataArray, optional
        Monthly NDVI, for FPAR and LAI (:func:`fpar_lai_from_ndvi`) when ``fpar`` or ``lai`` is not given.
    fpar, lai : xarray.DataArray, optional
        Monthly FPAR (0..1) and LAI (m2 m-2); one alone gives the other by Beer's law.
    tmin, vpd : xarray.DataArray, optional
        Monthly mean daily minimum temperature (degC) and daytime vapour pressure deficit (Pa); by default
        tmean - ``params.half_diurnal_range`` and es(tmean) (1 - ``params.relative_humidity``).
    params : Mod17Params, optional
        Constants and the reference's assumptions.
    bplut, biomes : optional
        A BPLUT (biome name -> :class:`~carbontools.params.Mod17Biome`) and a code -> biome mapping instead of
        the guide's and ``carbontools.params.MOD17_BIOMES``.
    check : bool
        Check the drivers' values (:func:`carbontools.units.plausibility_problems`); this computes their minima
        and maxima once.

    Returns
    -------
    xarray.Dataset
        Monthly (time, y, x): ``gpp``, ``rm_leaf``, ``rm_froot`` (g C m-2 month-1), ``fpar``, ``lai``, ``tmin``
        (degC), ``vpd`` (Pa), ``f_tmin``, ``f_vpd``; annual (year, y, x), g C m-2 yr-1: ``gpp_annual``,
        ``rm_livewood``, ``rm_annual`` (all maintenance respiration), ``rg`` and ``npp_annual``.

    Raises
    ------
    ValueError
        Naming the driver: missing or wrong dims or units, implausible values, incomplete years, unknown scheme.
    """
    p = params if params is not None else DEFAULT
    if not isinstance(p, Mod17Params):
        raise TypeError(f"mod17_npp: params must be a Mod17Params, got {type(p).__name__}")
    srad = to_canonical("srad", _checked("srad", srad))
    tmean = to_canonical("tmean", _checked("tmean", tmean))
    if not isinstance(landcover, xr.DataArray) or "time" in landcover.dims:
        raise ValueError("mod17_npp: landcover must be a (y, x) xarray.DataArray of class codes")
    if fpar is None and lai is None and ndvi is None:
        raise ValueError("mod17_npp needs 'ndvi' (FPAR and LAI are derived from it) or 'fpar' and/or 'lai'")
    checks = {"srad": srad, "tmean": tmean}
    if ndvi is not None and (fpar is None or lai is None):
        checks["ndvi"] = _checked("ndvi", ndvi, "1")
    if fpar is not None:
        checks["fpar"] = _checked("fpar", fpar, "1")
    for name, da, unit in (("lai", lai, "m2 m-2"), ("tmin", tmin, "degC"), ("vpd", vpd, "Pa")):
        if da is not None:
            _checked(name, da, unit)
    check_whole_years(tmean["time"], "mod17_npp: annual NPP",
                      "Select whole years (e.g. drivers.sel(time=slice('2021', '2022'))).")
    if check:
        problems = plausibility_problems(checks)
        extra = {n: da for n, da in (("lai", lai), ("vpd", vpd)) if da is not None}
        for name, da in extra.items():
            lo = float(da.min())
            if lo < 0:
                problems.append(f"{name} has negative values (min {lo:g}); it cannot be negative. Mask fill values "
                                "to NaN")
        if tmin is not None:
            hi = float((tmin - tmean).max())
            if hi > 0:
                problems.append(f"tmin is above tmean by up to {hi:g} degC; give the daily minimum temperature")
        if problems:
            raise ValueError("mod17_npp: implausible driver values:\n- " + "\n- ".join(problems))

    b = biome_parameters(landcover, bplut=bplut, biomes=biomes)
    if fpar is None or lai is None:
        if fpar is None and lai is None:
            fpar, lai = fpar_lai_from_ndvi(ndvi, p)
        elif fpar is None:
            fpar = 1.0 - np.exp(-p.extinction_k * lai)
        else:
            lai = -np.log1p(-np.minimum(fpar, p.fpar_max)) / p.extinction_k
    tmin = tmean - p.half_diurnal_range if tmin is None else tmin
    vpd = vpd_from_humidity(tmean, params=p) if vpd is None else vpd

    days = tmean["time"].dt.days_in_month
    year = tmean["time"].dt.year.rename("year")
    gpp = daily_gpp(srad / days, fpar, tmin, vpd, b, p) * days
    rm_leaf, rm_froot = leaf_froot_respiration(lai, tmean, b, p)
    rm_leaf, rm_froot = rm_leaf * days, rm_froot * days
    q10_days = (days * b["q10"] ** ((tmean - p.t_ref) / 10.0)).groupby(year).sum("time", skipna=False)
    rm_wood = livewood_respiration(lai.groupby(year).max("time", skipna=False), q10_days, b)

    gpp_annual = gpp.groupby(year).sum("time", skipna=False)
    rm_annual = (rm_leaf + rm_froot).groupby(year).sum("time", skipna=False) + rm_wood
    net = gpp_annual - rm_annual
    rg = _where(net > 0, p.growth_share / (1.0 + p.growth_share) * net, _where(np.isnan(net), np.nan, 0.0))
    npp = net - rg

    zero = landcover.isin(list(_zero_codes(landcover, biomes)))
    parts = {"gpp": gpp, "rm_leaf": rm_leaf, "rm_froot": rm_froot, "fpar": fpar, "lai": lai, "tmin": tmin, "vpd": vpd,
             "f_tmin": tmin_scalar(tmin, b["tmin_min"], b["tmin_max"]),
             "f_vpd": vpd_scalar(vpd, b["vpd_min"], b["vpd_max"]),
             "gpp_annual": gpp_annual, "rm_livewood": rm_wood, "rm_annual": rm_annual, "rg": rg, "npp_annual": npp}
    zero_filled = ("gpp", "rm_leaf", "rm_froot", "gpp_annual", "rm_livewood", "rm_annual", "rg", "npp_annual")
    out = {}
    for name, da in parts.items():
        da = fresh(da, name)
        if name in zero_filled:
            da = da.where(~zero, 0.0)
        out[name] = da.transpose(*[d for d in ("time", "year", "y", "x") if d in da.dims], ...)
    units = {"gpp": "g C m-2 month-1", "rm_leaf": "g C m-2 month-1", "rm_froot": "g C m-2 month-1", "fpar": "1",
             "lai": "m2 m-2", "tmin": "degC", "vpd": "Pa", "f_tmin": "1", "f_vpd": "1"}
    ds = xr.Dataset(out)
    for name in ds.data_vars:
        ds[name].attrs["units"] = units.get(name, "g C m-2 yr-1")
    ds.attrs["reference"] = ("MOD17 algorithm (Running & Zhao, C6.1 guide) on carbontools drivers at a monthly step; "
                             "not MODIS data")
    return ds


def _zero_codes(landcover, biomes):
    return MOD17_ZERO_NPP.get(landcover.attrs.get("scheme"), ())
