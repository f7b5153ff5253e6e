"""CASA light-use-efficiency net primary production, monthly (SCIENCE.md section 1).

    NPP  = APAR * eps                g C m-2 month-1
    APAR = SOL * FPAR * par_fraction MJ m-2 month-1
    eps  = Te1 * Te2 * We * eps_max  g C MJ-1

Pure functions: numbers, numpy arrays or xarray objects in (numpy- or dask-backed), the same out.
Nothing here reads ``.values`` or computes; unit and plausibility checks happen at the boundary
(:func:`carbontools.run`).  Every constant comes from a :class:`~carbontools.params.CasaParams`.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import xarray as xr

from ..landcover import NON_VEGETATED, class_lookup
from ..params import CASA_PRESETS, CONSTANTS, FPAR_METHODS, WATER_STRESS_METHODS, CasaParams, ClassTable, class_label
from ._ops import clamp as _clamp
from ._ops import check_whole_years, fresh
from ._ops import where as _where

__all__ = [
    "extraterrestrial_radiation",
    "daily_extraterrestrial_radiation",
    "simple_ratio",
    "fpar_from_ndvi",
    "optimal_temperature",
    "te1",
    "te2",
    "heat_index",
    "thornthwaite_pet",
    "daylength_factor",
    "zhou_water_stress",
    "et_pet_water_stress",
    "casa_npp",
    "npp_from_factors",
    "ndvi_limits_by_class",
    "NdviLimits",
]


def simple_ratio(ndvi):
    """SR = (1 + NDVI) / (1 - NDVI); NDVI is capped just below 1 so SR stays finite."""
    ndvi = np.minimum(ndvi, 1.0 - 1e-6)
    return fresh((1.0 + ndvi) / (1.0 - ndvi), "sr")


# --- FPAR methods, registered by name (params.FPAR_METHODS); each f(ndvi, ndvi_min, ndvi_max, params) ---

def _sr_max(ndvi_max, p: CasaParams):
    return p.sr_max if p.sr_max is not None else simple_ratio(ndvi_max)


def _fpar_ndvi_linear(ndvi, ndvi_min, ndvi_max, p: CasaParams):
    return (ndvi - ndvi_min) / (ndvi_max - ndvi_min) * (p.fpar_max - p.fpar_min) + p.fpar_min


def _fpar_sr_linear(ndvi, ndvi_max, p: CasaParams):
    sr_max = _sr_max(ndvi_max, p)
    return (simple_ratio(ndvi) - p.sr_min) / (sr_max - p.sr_min) * (p.fpar_max - p.fpar_min) + p.fpar_min


@FPAR_METHODS.register("ndvi_sr", requires=("ndvi",), description="mean (weight alpha) of NDVI- and SR-based FPAR")
def _fpar_ndvi_sr(ndvi, ndvi_min, ndvi_max, p: CasaParams):
    return p.alpha * _fpar_ndvi_linear(ndvi, ndvi_min, ndvi_max, p) + (1.0 - p.alpha) * _fpar_sr_linear(ndvi, ndvi_max, p)


@FPAR_METHODS.register("ndvi", requires=("ndvi",), description="linear in NDVI between the class limits")
def _fpar_ndvi(ndvi, ndvi_min, ndvi_max, p: CasaParams):
    return _fpar_ndvi_linear(ndvi, ndvi_min, ndvi_max, p)


@FPAR_METHODS.register("sr", requires=("ndvi",), description="linear in the simple ratio SR between the class limits")
def _fpar_sr(ndvi, ndvi_min, ndvi_max, p: CasaParams):
    return _fpar_sr_linear(ndvi, ndvi_max, p)


@FPAR_METHODS.register("potter_sr", requires=("ndvi",), description="unscaled SR ratio (Potter et al. 1993)")
def _fpar_potter_sr(ndvi, ndvi_min, ndvi_max, p: CasaParams):
    return (simple_ratio(ndvi) - p.sr_min) / (_sr_max(ndvi_max, p) - p.sr_min)


def fpar_from_ndvi(ndvi, ndvi_min, ndvi_max, params: CasaParams | None = None):
    """FPAR from NDVI by ``params.fpar_method``; ``ndvi_min``/``ndvi_max`` are per-pixel (or scalar) values.

    SR_max is ``params.sr_max`` when set, else derived from ``ndvi_max`` as (1+NDVI_max)/(1-NDVI_max).
    The result is clamped to [fpar_min, fpar_max].
    """
    p = params if params is not None else DEFAULT
    fpar = FPAR_METHODS[p.fpar_method].function(ndvi, ndvi_min, ndvi_max, p)
    return fresh(_clamp(fpar, p.fpar_min, p.fpar_max), "fpar")


def _by_year(time: xr.DataArray) -> xr.DataArray:
    return time.dt.year.rename("year")


def _to_months(per_year: xr.DataArray, like: xr.DataArray) -> xr.DataArray:
    """Broadcast a (year, ...) field back onto the monthly time axis of ``like``, in ``like``'s time chunks.

    (Vectorised selection would otherwise leave one dask chunk per month and multiply the tasks
    of everything downstream.)
    """
    out = per_year.sel(year=_by_year(like["time"])).drop_vars("year")
    if out.chunks is not None:
        out = out.chunk({"time": like.chunksizes["time"] if like.chunks is not None else -1})
    return out


def optimal_temperature(ndvi: xr.DataArray, tmean: xr.DataArray) -> xr.DataArray:
    """Topt: each pixel's mean temperature in the month of its NDVI peak, per calendar year (first month on ties).

    Returned on the monthly axis (every month of a year carries that year's Topt).  NaN where the
    pixel has no NDVI in that year.
    """
    year = _by_year(ndvi["time"])
    counts = year.to_series().value_counts().sort_index()
    partial = {int(y): int(n) for y, n in counts.items() if n != 12}
    if partial:
        warnings.warn("Topt is the temperature of each pixel's NDVI-peak month per calendar year, but year(s) "
                      + ", ".join(f"{y} ({n} months)" for y, n in partial.items())
                      + " are incomplete: their peak is taken over the months present and may miss the real one",
                      stacklevel=2)
    peak = ndvi == _to_months(ndvi.groupby(year).max("time"), ndvi)
    first_peak = peak & (peak.astype("int8").groupby(year).cumsum("time") == 1)
    topt = tmean.where(first_peak).groupby(year).max("time")
    return fresh(_to_months(topt, tmean), "topt")


def te1(topt, tmean, params: CasaParams | None = None):
    """Te1 = a + b*Topt - c*Topt^2, and 0 in months whose mean temperature is at or below the cold limit.

    The parabola is negative for Topt below -24.7 degC (or above 64.7 degC); Te1 is floored at 0 there,
    since a stress factor below 0 would make NPP negative (SCIENCE.md does not say; see the notes).
    """
    p = params if params is not None else DEFAULT
    value = np.maximum(p.te1_a + p.te1_b * topt - p.te1_c * topt**2, 0.0)
    return fresh(_where(np.isnan(tmean), np.nan, _where(tmean <= p.te1_cold_limit, 0.0, value)), "te1")


def _te2_raw(topt, t, p: CasaParams):
    low = 1.0 + np.exp(p.te2_k_low * (topt - p.te2_offset - t))
    high = 1.0 + np.exp(p.te2_k_high * (-topt - p.te2_offset + t))
    return p.te2_c / (low * high)


def te2(topt, tmean, params: CasaParams | None = None):
    """Te2 = C / ((1 + exp(0.2(Topt-10-T))) (1 + exp(0.3(-Topt-10+T)))), with the optional half rule."""
    p = params if params is not None else DEFAULT
    value = _te2_raw(topt, tmean, p)
    if not p.te2_half_rule:
        return fresh(value, "te2")
    half = 0.5 * _te2_raw(topt, topt, p)
    outside = (tmean < topt - p.te2_half_below) | (tmean > topt + p.te2_half_above)
    return fresh(_where(outside, half, value), "te2")



def heat_index(tmean: xr.DataArray, params: CasaParams | None = None) -> xr.DataArray:
    """Thornthwaite heat index I = sum over the calendar year of (max(T, 0)/5)^1.514, on the monthly axis."""
    p = params if params is not None else DEFAULT
    check_whole_years(tmean["time"], "the Thornthwaite heat index",
                      "Supply whole years, or give water stress from a product (et and pet, water_stress='et_pet').")
    terms = (np.maximum(tmean, 0.0) / 5.0) ** p.pet_heat_exponent
    year = _by_year(tmean["time"])
    return fresh(_to_months(terms.groupby(year).sum("time", skipna=False), tmean), "heat_index")


def thornthwaite_pet(tmean, heat_idx, params: CasaParams | None = None, daylength=1.0):
    """Thornthwaite potential evapotranspiration Ep0 (mm month-1) from T and the heat index I.

    Ep0 = 16 (10 T / I)^a with a = c3 I^3 + c2 I^2 + c1 I + c0; 0 where T <= 0 or I = 0.
    With ``params.pet_high_temperature`` the unadjusted Ep0 at and above ``pet_high_threshold``
    (26.5 degC) is Thornthwaite's high-temperature curve -415.85 + 32.24 T - 0.43 T^2 instead
    (Willmott, Rowe & Mintz 1985; independent of I).  ``daylength`` is the optional correction
    factor K (see :func:`daylength_factor`), applied to either.
    """
    p = params if params is not None else DEFAULT
    c3, c2, c1, c0 = p.pet_a_coefficients
    a = ((c3 * heat_idx + c2) * heat_idx + c1) * heat_idx + c0
    active = (tmean > 0) & (heat_idx > 0)
    safe_i = _where(heat_idx > 0, heat_idx, 1.0)
    ep0 = p.pet_scale * (10.0 * np.maximum(tmean, 0.0) / safe_i) ** a
    if p.pet_high_temperature:
        h0, h1, h2 = p.pet_high_coefficients
        ep0 = _where(tmean >= p.pet_high_threshold, h0 + (h1 + h2 * tmean) * tmean, ep0)
    ep0 = ep0 * daylength
    return fresh(_where(np.isnan(tmean) | np.isnan(heat_idx), np.nan, _where(active, ep0, 0.0)), "pet")


def _mid_month_doy(time: xr.DataArray) -> xr.DataArray:
    """The day of year of each month's middle (a 31-day month starting on day 182: 197)."""
    return time.dt.dayofyear + (time.dt.days_in_month - 1) / 2.0


def _solar_geometry(doy, latitude, params: CasaParams):
    """Latitude (rad), solar declination and sunset hour angle (rad) on day of year ``doy`` (FAO-56 eq. 24-25).

    The declination's constants are ``declination_amplitude`` and ``declination_phase``; polar day and night
    are the sunset hour angle clipped to pi and 0.
    """
    decl = params.declination_amplitude * np.sin(2.0 * np.pi / 365.0 * doy - params.declination_phase)
    phi = np.deg2rad(latitude)
    ws = np.arccos(_clamp(-np.tan(phi) * np.tan(decl), -1.0, 1.0))
    return phi, decl, ws


def daylength_factor(time: xr.DataArray, latitude: xr.DataArray, params: CasaParams | None = None) -> xr.DataArray:
    """Thornthwaite's correction K = N/12 * days/30 for the month's mid day at ``latitude`` (degrees).

    N (hours) = 24/pi ws from the sunset hour angle of FAO-56 (Allen et al. 1998, eq. 24-25, 34);
    polar day and night are 24 and 0 hours.
    """
    _, _, ws = _solar_geometry(_mid_month_doy(time), latitude, params if params is not None else DEFAULT)
    k = 24.0 / np.pi * ws / 12.0 * time.dt.days_in_month / 30.0
    return fresh(k.transpose("time", ...) if "time" in k.dims else k, "daylength_factor")


def daily_extraterrestrial_radiation(doy, latitude, params: CasaParams | None = None):
    """Top-of-atmosphere solar radiation Ra (MJ m-2 day-1) on day of year ``doy`` at ``latitude`` (degrees).

    FAO-56 (Allen et al. 1998) eq. 21-25: Ra = 24*60/pi Gsc dr (ws sin(phi) sin(delta) + cos(phi)
    cos(delta) sin(ws)), with the solar constant Gsc and dr = 1 + 0.033 cos(2 pi J/365) from
    :data:`carbontools.params.CONSTANTS` and the declination and sunset hour angle of the day length.
    """
    phi, decl, ws = _solar_geometry(doy, latitude, params if params is not None else DEFAULT)
    dr = 1.0 + CONSTANTS.orbit_eccentricity * np.cos(2.0 * np.pi / 365.0 * doy)
    return 24.0 * 60.0 / np.pi * CONSTANTS.solar_constant * dr * (
        ws * np.sin(phi) * np.sin(decl) + np.cos(phi) * np.cos(decl) * np.sin(ws))


def extraterrestrial_radiation(time: xr.DataArray, latitude: xr.DataArray,
                               params: CasaParams | None = None) -> xr.DataArray:
    """Top-of-atmosphere solar radiation of each month (MJ m-2 month-1): the mid day's Ra times the days.

    The unit checks compare a driver's srad with it: a monthly Rs/Ra outside what skies allow
    (FAO-56 eq. 35: 0.25 overcast to 0.75 clear) points to wrong units.
    """
    days = time.dt.days_in_month
    ra = daily_extraterrestrial_radiation(_mid_month_doy(time), latitude, params) * days
    out = ra.transpose("time", ...) if "time" in ra.dims else ra
    return fresh(out, "extraterrestrial_radiation").assign_attrs(units="MJ m-2 month-1",
                                                                 long_name="top-of-atmosphere solar radiation")


def zhou_water_stress(precip, pet0, params: CasaParams | None = None):
    """Water stress We from precipitation P and Thornthwaite Ep0 (both mm month-1).

    Zhou Guangsheng's regional actual ET with the Bouchet complementary relation:
    Rn = sqrt(Ep0 P)(0.369 + 0.598 sqrt(Ep0/P)); E = P Rn (P^2+Rn^2+P Rn) / ((P+Rn)(P^2+Rn^2));
    Ep = (E + Ep0)/2; We = 0.5 + 0.5 E/Ep clipped to [0.5, 1]; Ep = 0 -> 1; else P = 0 -> 0.5.
    Returns ``(we, e, ep)``.
    """
    p = params if params is not None else DEFAULT
    wet = precip > 0
    # E = P * g(x) with x = Rn/P = a*sqrt(Ep0/P) + b*Ep0/P and g(x) = x(1+x+x^2)/((1+x)(1+x^2)),
    # written in y = 1/x for x > 1 so that it stays finite when P is tiny next to Ep0 (g -> 1, E -> P)
    # (P is floored at 1e-150 Ep0 inside the ratio only, to avoid overflow; there g = 1 to double precision)
    ratio = pet0 / _where(wet, np.maximum(precip, pet0 * 1e-150), 1.0)
    x = p.zhou_rn_a * np.sqrt(ratio) + p.zhou_rn_b * ratio
    small = x <= 1.0
    y = 1.0 / _where(small, 1.0, x)
    xs = _where(small, x, 0.0)
    g_small = xs * (1.0 + xs + xs**2) / ((1.0 + xs) * (1.0 + xs**2))
    g_large = (1.0 + y + y**2) / ((1.0 + y) * (1.0 + y**2))
    e = _where(wet, precip * _where(small, g_small, g_large), 0.0)
    ep = (e + pet0) / 2.0
    we = _clamp(p.we_floor + (1.0 - p.we_floor) * e / _where(ep > 0, ep, 1.0), p.we_floor, 1.0)
    we = _where(ep <= 0, 1.0, _where(wet, we, p.we_floor))
    missing = np.isnan(precip) | np.isnan(pet0)
    return (fresh(_where(missing, np.nan, we), "we"), fresh(_where(missing, np.nan, e), "et"),
            fresh(_where(missing, np.nan, ep), "ep"))


def et_pet_water_stress(et, pet, params: CasaParams | None = None):
    """We = 0.5 + 0.5 ET/PET from an evapotranspiration product (e.g. MOD16), clipped to [0.5, 1]; PET = 0 -> 1."""
    p = params if params is not None else DEFAULT
    where = _where
    ratio = et / where(pet > 0, pet, 1.0)
    we = where(pet > 0, _clamp(p.we_floor + (1.0 - p.we_floor) * ratio, p.we_floor, 1.0), 1.0)
    return fresh(where(np.isnan(et) | np.isnan(pet), np.nan, we), "we")


# --- water-stress methods, registered by name (params.WATER_STRESS_METHODS) -----------------------
# each f(drivers: dict, params) -> (We, the potential evapotranspiration it used), drivers in mm month-1

@WATER_STRESS_METHODS.register("zhou", requires=("precip", "tmean"),
                               description="Zhou regional ET + Bouchet complementary relation + Thornthwaite PET")
def _we_zhou(drivers, p: CasaParams):
    tmean = drivers["tmean"]
    k = 1.0
    if p.pet_daylength:
        if drivers.get("latitude") is None:
            raise ValueError("pet_daylength=True needs the latitude of each pixel")
        k = daylength_factor(tmean["time"], drivers["latitude"], p)
    pet0 = thornthwaite_pet(tmean, heat_index(tmean, p), p, daylength=k)
    return zhou_water_stress(drivers["precip"], pet0, p)[0], pet0


@WATER_STRESS_METHODS.register("et_pet", requires=("et", "pet"),
                               description="ET and PET from a product (e.g. MOD16): We = 0.5 + 0.5 ET/PET")
def _we_et_pet(drivers, p: CasaParams):
    return et_pet_water_stress(drivers["et"], drivers["pet"], p), drivers["pet"]


# --- presets, registered by name (params.CASA_PRESETS) --------------------------------------------

def _preset(name: str, params: CasaParams, description: str) -> CasaParams:
    return CASA_PRESETS.add(name, params, requires=params.requires(), description=description)


DEFAULT = _preset("zhu2007", CasaParams(), "improved CASA for China (Zhu et al. 2006, 2007): NDVI+SR FPAR, "
                  "class eps_max and NDVI_max, Te2 half rule")
_preset("potter1993", CasaParams(preset="potter1993", fpar_method="potter_sr", sr_min=1.08, sr_max=4.14, te2_c=1.1814,
                                 te2_half_rule=False, eps_max=ClassTable.uniform(0.389)),
        "original CASA (Potter et al. 1993): SR-based FPAR, one eps_max of 0.389 g C MJ-1")

def casa_npp(
    *,
    srad: xr.DataArray,
    tmean: xr.DataArray,
    landcover: xr.DataArray,
    ndvi: xr.DataArray | None = None,
    fpar: xr.DataArray | None = None,
    precip: xr.DataArray | None = None,
    et: xr.DataArray | None = None,
    pet: xr.DataArray | None = None,
    latitude: xr.DataArray | None = None,
    params: CasaParams | None = None,
) -> xr.Dataset:
    """Monthly CASA NPP and its factors, on (time, y, x).

    ``landcover`` holds CASA class codes (see :func:`carbontools.landcover.to_casa`).  Give ``ndvi``
    (FPAR is derived from it) or ``fpar`` directly; Topt comes from the NDVI peak (or the FPAR peak
    when only FPAR is given).  Water stress from ``precip`` (``params.water_stress='zhou'``) or from
    ``et`` and ``pet`` ('et_pet').  ``latitude`` (degrees, y/x) is needed only with ``pet_daylength``.
    Water and permanent snow/ice have NPP = 0.  Units: srad MJ m-2 month-1, tmean degC, precip,
    et and pet mm month-1.
    """
    p = params if params is not None else DEFAULT
    if fpar is None:
        if ndvi is None:
            raise ValueError("CASA needs either 'ndvi' or 'fpar' among the drivers")
        fpar = fpar_from_ndvi(ndvi, class_lookup(landcover, p.ndvi_min), class_lookup(landcover, p.ndvi_max), p)
    greenness = ndvi if ndvi is not None else fpar
    topt = optimal_temperature(greenness, tmean)
    t1 = te1(topt, tmean, p)
    t2 = te2(topt, tmean, p)
    drivers = {"precip": precip, "et": et, "pet": pet, "tmean": tmean, "latitude": latitude}
    method = WATER_STRESS_METHODS[p.water_stress]
    missing = [n for n in method.requires if drivers.get(n) is None]
    if missing:
        raise ValueError(f"water_stress={p.water_stress!r} needs {' and '.join(map(repr, method.requires))} "
                         f"(mm month-1, degC) among the drivers; missing: {', '.join(missing)}")
    we, pet0 = method.function(drivers, p)
    eps_max = class_lookup(landcover, p.eps_max)
    apar = srad * fpar * p.par_fraction
    eps = t1 * t2 * we * eps_max
    npp = npp_from_factors(apar, t1 * t2 * we, eps_max, landcover)
    parts = {"npp": npp, "fpar": fpar, "apar": apar, "topt": topt, "te1": t1, "te2": t2, "we": we, "pet": pet0,
             "eps": eps}
    return xr.Dataset({name: fresh(da, name) for name, da in parts.items()})


def npp_from_factors(apar, stress, eps_max, landcover: xr.DataArray):
    """NPP = APAR * stress * eps_max, with stress = Te1*Te2*We; 0 on water and permanent snow/ice.

    NPP is linear in eps_max: with the factors of one CASA run, a new eps_max (per pixel, e.g.
    ``class_lookup(landcover, table)``) gives the new NPP without recomputing FPAR or the stresses.
    """
    vegetated = ~landcover.isin(NON_VEGETATED)
    return fresh((apar * stress * eps_max).where(vegetated | landcover.isnull(), 0.0), "npp")


class NdviLimits(dict):
    """CASA overrides ``{"ndvi_min": x, "sr_min": y, "ndvi_max": {code: value}}`` from an NDVI sample.

    A plain ``dict`` for ``carbontools.run(drivers, **limits)`` or ``params.replace(**limits)``, with
    ``notes`` (every value clipped to its bounds, kept from the preset or taken from another class) and
    ``table`` (one row per class: its name, the number of values, the raw percentile, the value used).
    """

    def __init__(self, overrides: dict, notes: list[str], table: pd.DataFrame):
        super().__init__(overrides)
        self.notes = notes
        self.table = table


def _bounds(name: str) -> tuple[float, float]:
    return {f.name: f for f in dataclasses.fields(CasaParams)}[name].metadata["bounds"]


def ndvi_limits_by_class(ndvi: xr.DataArray, landcover: xr.DataArray, lower: float = 5.0, upper: float = 95.0, *,
                         bare_ndvi: xr.DataArray | None = None, bare_classes=(9,), bare_like: int = 7,
                         bare_above: float = 0.0, params: CasaParams | None = None) -> NdviLimits:
    """NDVI_min (bare ground, one value) and NDVI_max per CASA class from the user's own NDVI.

    The method (documented in docs/science.md, "NDVI limits from your own data"):

    - ``NDVI_min``, the NDVI of bare ground, is one value for every class: the ``lower`` (5th)
      percentile of the NDVI of the bare-ground classes ``bare_classes`` (CASA 9, barren), over
      the values above ``bare_above`` (0: water, snow and cloud have NDVI <= 0, soil does not).
      Sellers et al. (1996) took SR_min from the 5th percentile of desert NDVI; Potter et al. (1993)
      and Zhu et al. (2006, 2007) use one bare-soil value for every class.  ``bare_ndvi`` is the
      sample to take it from (default ``ndvi``; a map of each pixel's minimum NDVI fits best).
    - ``SR_min = (1 + NDVI_min)/(1 - NDVI_min)``, so the two bare-ground limits stay consistent.
    - ``NDVI_max`` per vegetated class present: the ``upper`` (95th) percentile of the class's NDVI
      (Zhu et al. 2006, 2007: 5th/95th percentiles per vegetation type), over every finite value
      of the class (all times and pixels; pass each pixel's annual maximum to use peak greenness
      only).  The bare classes have no full-cover state of their own: they take the value derived
      for ``bare_like`` (CASA 7, as in the published table).  Water and ice are skipped.

    Each value is clipped to the bounds of its CasaParams field, with a note in ``notes`` and a
    warning; classes or bare ground absent from the data keep the preset's value (also noted).
    Returns an :class:`NdviLimits` that ``params`` (default: the zhu2007 preset) accepts, i.e.
    overrides for ``carbontools.run(drivers, **limits)``.  This helper computes (it is a
    calibration step, not part of the model graph).
    """
    p = params if params is not None else DEFAULT
    scheme = landcover.attrs.get("scheme", "casa")
    if scheme != "casa":
        raise ValueError(f"ndvi_limits_by_class needs CASA class codes, got a {scheme!r} map; map it first "
                         f"with carbontools.landcover.to_casa(landcover)")
    bare_ndvi = ndvi if bare_ndvi is None else bare_ndvi
    codes = np.asarray(landcover.transpose("y", "x").values, dtype=float)
    for name, da in (("ndvi", ndvi), ("bare_ndvi", bare_ndvi)):
        if da.transpose(..., "y", "x").shape[-2:] != codes.shape:
            raise ValueError(f"{name} (y, x = {da.sizes['y']}, {da.sizes['x']}) and landcover {codes.shape} are "
                             f"not on one grid; regrid one onto the other first (carbontools.grid.regrid)")
    values = np.asarray(ndvi.transpose(..., "y", "x").values)
    notes: list[str] = []
    method: list[str] = []

    def clip(name, value, what):
        lo, hi = _bounds(name)
        if name == "ndvi_min":  # SR_min = (1+NDVI_min)/(1-NDVI_min) must stay inside sr_min's bounds too
            s_lo, s_hi = _bounds("sr_min")
            lo, hi = max(lo, (s_lo - 1.0) / (s_lo + 1.0)), min(hi, (s_hi - 1.0) / (s_hi + 1.0))
        used = float(min(max(value, lo), hi))
        if used != value:
            notes.append(f"{what}: the {'lower' if name == 'ndvi_min' else 'upper'} percentile {value:.3f} is "
                         f"outside the bounds [{lo:.3g}, {hi:.3g}] of CasaParams.{name}; clipped to {used:.3f}")
        return used

    rows, out = [], {}
    bare_mask = np.isin(codes, list(bare_classes))
    bare = np.asarray(bare_ndvi.transpose(..., "y", "x").values)[..., bare_mask]
    bare = bare[np.isfinite(bare) & (bare > bare_above)].astype(float)
    bare_label = "bare ground, " + " and ".join(class_label(c) for c in bare_classes)
    if bare.size:
        raw = float(np.percentile(bare, lower))
        out["ndvi_min"] = clip("ndvi_min", raw, bare_label)
        out["sr_min"] = (1.0 + out["ndvi_min"]) / (1.0 - out["ndvi_min"])
        rows.append({"code": pd.NA, "limit": "ndvi_min", "name": bare_label, "n": bare.size, "percentile": raw,
                     "value": out["ndvi_min"]})
    else:
        notes.append(f"no {bare_label} values above {bare_above:g}: ndvi_min and sr_min keep the preset's")

    present = [int(c) for c in np.unique(codes[np.isfinite(codes)])]
    ndvi_max = {}
    for code in present:
        if code in NON_VEGETATED or code in bare_classes:
            continue
        sample = values[..., codes == code]
        sample = sample[np.isfinite(sample)].astype(float)
        if not sample.size:
            notes.append(f"{class_label(code)} has no finite NDVI: ndvi_max keeps the preset's")
            continue
        raw = float(np.percentile(sample, upper))
        ndvi_max[code] = clip("ndvi_max", raw, class_label(code))
        rows.append({"code": code, "limit": "ndvi_max", "name": class_label(code), "n": sample.size,
                     "percentile": raw, "value": ndvi_max[code]})
    for code in (c for c in present if c in bare_classes):
        if bare_like in ndvi_max:
            ndvi_max[code] = ndvi_max[bare_like]
            method.append(f"{class_label(code)} is bare ground (the source of ndvi_min): it takes the ndvi_max "
                          f"of {class_label(bare_like)}, {ndvi_max[code]:.3f}, as the published table does")
            rows.append({"code": code, "limit": "ndvi_max", "name": class_label(code), "n": 0,
                         "percentile": np.nan, "value": ndvi_max[code]})
        else:
            notes.append(f"{class_label(code)} is bare ground and {class_label(bare_like)} is absent: ndvi_max "
                         "keeps the preset's")
    out["ndvi_max"] = ndvi_max
    try:
        p.replace(**out)
    except ValueError as err:
        raise ValueError(f"the NDVI limits derived from these data are not usable: {err}. Check the land-cover "
                         f"classes (bare_classes={tuple(bare_classes)}) and the NDVI sample") from None
    for note in notes:  # clipped or missing: worth a warning; the bare classes' rule is the method, a note only
        warnings.warn(f"ndvi_limits_by_class: {note}", UserWarning, stacklevel=2)
    table = pd.DataFrame(rows, columns=["limit", "code", "name", "n", "percentile", "value"]).astype({"code": "Int64"})
    return NdviLimits(out, notes + method, table)
