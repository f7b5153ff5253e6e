"""One entry point from drivers to NPP, Rh and NEP: :func:`run`.

Input contract (``drivers``: an ``xarray.Dataset``, or a dict of DataArrays on identical grids)

=============  ==============  =====================================================  ============
variable       dims            meaning                                                 unit
=============  ==============  =====================================================  ============
ndvi | fpar    time, y, x      monthly NDVI (or FPAR given directly)                   1
tmean          time, y, x      monthly mean air temperature                            degC (or K)
precip         time, y, x      monthly precipitation (needed by water_stress='zhou'    mm month-1
                               and by Rh 'pei2009')
srad           time, y, x      incoming shortwave radiation                            MJ m-2 month-1
landcover      y, x            class codes; ``attrs['scheme']`` one of casa, igbp,      codes
                               worldcover, clcd
impervious     y, x            optional impervious-surface fraction (scales Rh)        1
et, pet        time, y, x      optional ET and PET product (water_stress='et_pet')     mm month-1
moisture       time, y, x      optional moisture scalar for Rh 'q10'/'lloyd_taylor'    1
=============  ==============  =====================================================  ============

``time`` is monthly (one value per calendar month).  Units are read from ``attrs['units']``
(CF/UDUNITS strings) and converted where unambiguous (K -> degC, W m-2 -> MJ m-2 month-1 with the
real month length, mm day-1 -> mm month-1, % -> 1, ...); a variable without units is assumed to be
in the unit above, with a warning.  Works unchanged on numpy- and dask-backed data: apart from one
pass of plausibility statistics (``check=True``) nothing is computed until you ask.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping

import pandas as pd
import xarray as xr

from . import __version__
from .grid import latitude
from .landcover import to_casa
from .models.casa import casa_npp
from .models.nep import annual_sum, nep
from .models.respiration import RH_MODELS, soil_respiration
from .params import CasaParams, ParamSet, casa_preset
from .units import CANONICAL, DESCRIPTIONS, check_plausible, to_canonical

__all__ = ["run", "prepare_drivers", "split_overrides"]

MONTHLY = ("ndvi", "fpar", "tmean", "precip", "srad", "et", "pet", "moisture")
STATIC = ("landcover", "impervious")

SIGN_SINK = "positive = uptake by the ecosystem (sink); NEE = -NEP"

OUTPUT_ATTRS = {
    "npp": ("net primary production", "g C m-2 month-1", "positive = carbon fixed by plants"),
    "rh": ("soil heterotrophic respiration", "g C m-2 month-1", "positive = carbon released to the air"),
    "nep": ("net ecosystem production, NPP - Rh", "g C m-2 month-1", SIGN_SINK),
    "fpar": ("fraction of absorbed photosynthetically active radiation", "1", None),
    "apar": ("absorbed photosynthetically active radiation", "MJ m-2 month-1", None),
    "topt": ("optimal temperature: mean temperature of the NDVI-peak month of the year", "degC", None),
    "te1": ("temperature stress Te1 (response to the optimum)", "1", None),
    "te2": ("temperature stress Te2 (departure from the optimum)", "1", None),
    "we": ("water stress We", "1", None),
    "pet": ("potential evapotranspiration used by the water stress", "mm month-1", None),
    "eps": ("light-use efficiency Te1*Te2*We*eps_max", "g C MJ-1", None),
}


def split_overrides(casa, rh, overrides: Mapping) -> tuple[CasaParams, str, ParamSet]:
    """Resolve ``casa`` (preset name or CasaParams), ``rh`` (model name or its params) and keyword overrides."""
    if isinstance(rh, ParamSet):
        name = next((m.name for m in RH_MODELS.values() if isinstance(rh, m.params)), None)
        if name is None:
            raise TypeError(f"rh={type(rh).__name__} is not the parameter set of a known Rh model")
        rh_model, rh_p = name, rh
    else:
        if rh not in RH_MODELS:
            raise ValueError(f"unknown Rh model {rh!r}; choose one of {sorted(RH_MODELS)}")
        rh_model, rh_p = rh, RH_MODELS[rh].params()
    casa_p = casa_preset(casa)
    casa_fields = {f.name for f in dataclasses.fields(casa_p)}
    rh_fields = {f.name for f in dataclasses.fields(rh_p)}
    unknown = set(overrides) - casa_fields - rh_fields
    if unknown:
        raise TypeError(
            f"unknown parameter(s) {sorted(unknown)} for CASA and Rh model {rh_model!r}. "
            f"CASA parameters: {sorted(casa_fields)}; {rh_model} parameters: {sorted(rh_fields)}"
        )
    casa_p = casa_p.replace(**{k: v for k, v in overrides.items() if k in casa_fields})
    rh_p = rh_p.replace(**{k: v for k, v in overrides.items() if k in rh_fields})
    return casa_p, rh_model, rh_p


def _as_dataset(drivers) -> xr.Dataset:
    if isinstance(drivers, xr.Dataset):
        return drivers
    if not isinstance(drivers, Mapping):
        raise TypeError("drivers must be an xarray.Dataset or a dict of DataArrays")
    arrays = {k: v for k, v in drivers.items()}
    names = list(arrays)
    for name in names[1:]:
        for dim in ("time", "y", "x"):
            a, b = arrays[names[0]], arrays[name]
            if dim in a.dims and dim in b.dims and not a[dim].equals(b[dim]):
                raise ValueError(
                    f"drivers {names[0]!r} and {name!r} are on different '{dim}' coordinates; put every "
                    "driver on one grid first (e.g. b.rio.reproject_match(a), or b.interp_like(a))"
                )
    return xr.Dataset(arrays)


def _check_time(time: xr.DataArray) -> None:
    months = pd.PeriodIndex(pd.DatetimeIndex(time.values), freq="M")
    dup = months[months.duplicated()]
    if len(dup):
        raise ValueError(f"drivers have the month(s) {sorted(set(map(str, dup)))} more than once; keep one value per month")
    if not months.is_monotonic_increasing:
        raise ValueError("drivers' time axis is not in increasing order; sort it with drivers.sortby('time')")


def prepare_drivers(drivers, need: tuple[str, ...] = (), check: bool = True) -> xr.Dataset:
    """Check and convert drivers to canonical units; returns a Dataset on (time, y, x)."""
    ds = _as_dataset(drivers)
    missing = [n for n in need if n not in ds]
    if "ndvi" not in ds and "fpar" not in ds:
        missing.insert(0, "ndvi")
    if missing:
        raise ValueError(
            "drivers lack "
            + "; ".join(f"{n!r}: {DESCRIPTIONS[n]}" for n in missing)
            + f". The drivers have {sorted(ds.data_vars)}. Add them, e.g. drivers['{missing[0]}'] = ..."
        )
    for name in ("y", "x"):
        if name not in ds.dims:
            hint = " (rename with ds.rename(lat='y', lon='x'))" if {"lat", "lon"} & set(ds.dims) or {
                "latitude", "longitude"} & set(ds.dims) else ""
            raise ValueError(f"drivers have no '{name}' dimension{hint}; spatial dims must be named y and x")
    out = {}
    for name, da in ds.data_vars.items():
        if name in MONTHLY:
            if "time" not in da.dims:
                raise ValueError(f"{name} has no 'time' dimension; {DESCRIPTIONS[name]} is needed per month")
            out[name] = to_canonical(name, da.transpose("time", "y", "x", ...))
        elif name in STATIC:
            da = da.transpose(..., "y", "x")
            out[name] = to_canonical(name, da) if name in CANONICAL else da
    if "time" in ds.dims:
        _check_time(ds["time"])
    if check:
        check_plausible({k: v for k, v in out.items() if k != "landcover"})
    return xr.Dataset(out)


def _finish(da: xr.DataArray, name: str) -> xr.DataArray:
    long_name, units, sign = OUTPUT_ATTRS[name]
    attrs = {"long_name": long_name, "units": units}
    if sign:
        attrs["sign_convention"] = sign
    return da.rename(name).assign_attrs(attrs)


def run(drivers, casa: str | CasaParams = "zhu2007", rh: str | ParamSet = "pei2009", *, check: bool = True,
        **overrides) -> xr.Dataset:
    """Run CASA NPP, soil heterotrophic respiration and NEP on monthly drivers.

    Parameters
    ----------
    drivers : xarray.Dataset or dict of DataArrays
        See the module docstring for the contract (variables, dims, units).
    casa : str or CasaParams
        CASA preset name (``'zhu2007'`` default, ``'potter1993'``) or a parameter set.
    rh : str or ParamSet
        Rh model name (``'pei2009'`` default, ``'q10'``, ``'lloyd_taylor'``) or its parameter set.
    check : bool
        Check units and value ranges of the drivers first (one pass over the data).
    **overrides
        Any CASA or Rh parameter, e.g. ``te2_c=1.1814``, ``eps_max={4: 0.7}`` (per class) or
        ``eps_max=0.5`` (all classes), ``q10=2.5``.

    Returns
    -------
    xarray.Dataset
        Monthly ``npp``, ``rh``, ``nep`` (g C m-2 month-1) and the factors ``fpar``, ``apar``, ``topt``,
        ``te1``, ``te2``, ``we``, ``pet``, ``eps``; annual sums ``npp_annual``, ``rh_annual``,
        ``nep_annual`` (g C m-2 yr-1, dim ``year``); ``landcover_casa``.  Every variable has
        ``units`` and ``long_name``; the fluxes a ``sign_convention``; ``attrs['parameters']`` holds
        the parameters as JSON.
    """
    casa_p, rh_model, rh_p = split_overrides(casa, rh, overrides)
    need = ["tmean", "srad", "landcover"]
    if casa_p.water_stress == "zhou" or RH_MODELS[rh_model].needs_precip:
        need.append("precip")
    if casa_p.water_stress == "et_pet":
        need += ["et", "pet"]
    d = prepare_drivers(drivers, tuple(need), check=check)
    lc = to_casa(d["landcover"])
    lat = latitude(d) if casa_p.pet_daylength else None
    c = casa_npp(srad=d["srad"], tmean=d["tmean"], landcover=lc, ndvi=d.get("ndvi"), fpar=d.get("fpar"),
                 precip=d.get("precip"), et=d.get("et"), pet=d.get("pet"), latitude=lat, params=casa_p)
    r = soil_respiration(d["tmean"], d.get("precip"), model=rh_model, params=rh_p, landcover=lc,
                         impervious=d.get("impervious"), moisture=d.get("moisture"))
    n = nep(c["npp"], r)
    out = xr.Dataset({name: _finish(c[name], name) for name in c.data_vars})
    out["rh"] = _finish(r, "rh")
    out["nep"] = _finish(n, "nep")
    for name in ("npp", "rh", "nep"):
        annual = annual_sum(out[name])
        out[f"{name}_annual"] = annual.assign_attrs(
            {**out[name].attrs, "units": "g C m-2 yr-1", "long_name": f"annual {out[name].attrs['long_name']}",
             "cell_methods": "time: sum (of the monthly values)"})
    out["landcover_casa"] = lc
    out = out[["npp", "rh", "nep", "npp_annual", "rh_annual", "nep_annual", "fpar", "apar", "topt", "te1", "te2",
               "we", "pet", "eps", "landcover_casa"]]
    if "spatial_ref" in d.coords:
        out = out.assign_coords(spatial_ref=d["spatial_ref"])
    out.attrs = {
        "title": "carbontools CASA NPP, soil heterotrophic respiration and NEP",
        "sign_convention": SIGN_SINK,
        "casa_preset": casa_p.preset,
        "rh_model": rh_model,
        "parameters": json.dumps({"casa": casa_p.to_dict(), "rh": rh_p.to_dict()}),
        "carbontools_version": __version__,
    }
    return out

