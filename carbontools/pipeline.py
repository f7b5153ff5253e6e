"""From drivers to NPP, Rh and NEP, in stages that apps, sensitivity runs and batch runs can call::

    prepare(drivers, casa, rh, **overrides) -> Prepared      checked drivers in canonical units,
                                                              CASA classes, resolved parameters
    casa_stage(prepared[, reuse=])           -> Dataset       NPP and its factors
    rh_stage(prepared)                       -> DataArray     soil heterotrophic respiration
    assemble(casa, rh, prepared)             -> Dataset       NEP, annual sums, attributes

:func:`run` chains them.  A :class:`Prepared` can change its parameters without re-reading the
drivers (:meth:`Prepared.with_parameters`), and :func:`casa_stage` reuses an earlier CASA result
where only eps_max changed (NPP is linear in eps_max).  Which drivers a run needs follows from the
variant registries (FPAR method, water-stress method, Rh model); their units and descriptions come
from the variable registry (:mod:`carbontools.variables`).  See :func:`run` for the input contract.

Works unchanged on numpy- and dask-backed data: apart from one pass of plausibility statistics
(``check=True``) and the class codes present in the land-cover map, nothing is computed until you ask.
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from collections.abc import Mapping

import xarray as xr

from . import __version__
from .grid import check_same_grid, latitude, monthly_index
from .landcover import to_casa
from .models.casa import casa_npp, extraterrestrial_radiation, npp_from_factors
from .models.nep import annual_sum, nep
from .models.respiration import soil_respiration
from .landcover import class_lookup
from .params import FPAR_METHODS, RH_MODELS, WATER_STRESS_METHODS, CasaParams, ParamSet, casa_preset
from .units import DESCRIPTIONS, check_plausible, to_canonical
from .variables import DRIVERS, MONTHLY, STATIC, contract_table, output_attrs

__all__ = ["run", "prepare", "Prepared", "casa_stage", "rh_stage", "assemble", "annual_sums", "annual_light_use", "annual_attrs", "fused_assemble", "warm_up_kernel", "ENGINES", "rh_response", "valid_shares", "prepare_drivers",
           "split_overrides", "MONTHLY", "STATIC"]

SIGN_SINK = output_attrs("nep")["sign_convention"]
#: the variables of run()'s result, in order
RESULT_VARIABLES = ("npp", "rh", "nep", "npp_annual", "rh_annual", "nep_annual", "fpar", "apar", "topt", "te1",
                    "te2", "we", "pet", "eps", "landcover_casa")


def split_overrides(casa, rh, overrides: Mapping) -> tuple[CasaParams, str, ParamSet]:
    """Resolve ``casa`` (preset name or CasaParams), ``rh`` (model name or its params) and keyword overrides."""
    if isinstance(rh, ParamSet):
        name = next((m.name for m in RH_MODELS.values() if isinstance(rh, m.params)), None)
        if name is None:
            raise TypeError(f"rh={type(rh).__name__} is not the parameter set of a known Rh model")
        rh_model, rh_p = name, rh
    else:
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
    first = next(iter(arrays), None)
    for name, da in arrays.items():
        dims = tuple(d for d in ("time", "y", "x") if d in da.dims and d in arrays[first].dims)
        check_same_grid(arrays[first], da, names=(f"drivers {first!r}", repr(name)), dims=dims,
                        fix="put every driver on one grid first: carbontools.grid.regrid(b, a) "
                            "(kind='categorical' for classes)")
        arrays[name] = da.assign_coords({d: arrays[first][d] for d in dims})
    return xr.Dataset(arrays)


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
            out[name] = to_canonical(name, da) if DRIVERS[name].units is not None else da
    if "time" in ds.dims:
        monthly_index(ds["time"].values, "drivers", gaps=True)
    if check:
        check_plausible({k: v for k, v in out.items() if k != "landcover"}, reference=_radiation_reference(out))
    return xr.Dataset(out)


def _radiation_reference(drivers: dict) -> dict:
    """Top-of-atmosphere radiation to judge an srad driver that came without units (none when it has them)."""
    srad = drivers.get("srad")
    if srad is None or "units_assumed" not in srad.attrs or srad.rio.crs is None:
        return {}
    return {"srad": extraterrestrial_radiation(srad["time"], latitude(srad))}


def _finish(da: xr.DataArray, name: str) -> xr.DataArray:
    """An output with exactly its registry attributes (nothing carried over from the inputs)."""
    out = da.rename(name)
    out.attrs = output_attrs(name)
    return out


# --- the stages -----------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Prepared:
    """Drivers checked and in canonical units, land cover in CASA classes, and the resolved parameters."""

    drivers: xr.Dataset
    landcover: xr.DataArray
    casa: CasaParams
    rh_model: str
    rh: ParamSet
    urban_soils: str = "unsealed"

    def with_parameters(self, casa: str | CasaParams | None = None, rh: str | ParamSet | None = None,
                        urban_soils: str | None = None, **overrides) -> "Prepared":
        """The same drivers with other parameters (a preset, an Rh model, or any override of :func:`run`).

        Unchanged parts keep their current values: ``prep.with_parameters(q10=2.5)`` changes only Q10
        (if the Rh model is ``q10``), ``prep.with_parameters(rh="lloyd_taylor")`` switches the model.
        """
        casa_p = self.casa if casa is None else casa_preset(casa)
        rh_arg = rh if rh is not None else self.rh
        casa_p, rh_model, rh_p = split_overrides(casa_p, rh_arg, overrides)
        missing = [n for n in _needs(casa_p, rh_model, self.drivers) if n not in self.drivers]
        if missing:
            raise ValueError("these parameters need driver(s) the prepared drivers lack: "
                             + "; ".join(f"{n!r}: {DESCRIPTIONS[n]}" for n in missing))
        return dataclasses.replace(self, casa=casa_p, rh_model=rh_model, rh=rh_p,
                                   urban_soils=_urban_soils(urban_soils or self.urban_soils))


#: how Rh treats sealed urban soil (SCIENCE.md section 2): the choice is the user's and is recorded in the result
URBAN_SOILS = {
    "unsealed": "Rh x (1 - impervious fraction): sealed soil does not respire (where an impervious driver is given)",
    "climate": "Rh from climate over all land, the impervious fraction ignored (as most regional CASA studies do; "
               "dense city cores then come out as sources)",
}


def _urban_soils(choice: str) -> str:
    if choice not in URBAN_SOILS:
        raise ValueError(f"urban_soils {choice!r} unknown; choose one of {sorted(URBAN_SOILS)}: "
                         + "; ".join(f"{k}: {v}" for k, v in URBAN_SOILS.items()))
    return choice


def _needs(casa_p: CasaParams, rh_model: str, ds) -> tuple[str, ...]:
    need = list(casa_p.requires()) + list(RH_MODELS.requires(rh_model))
    if "fpar" in ds:  # FPAR given directly replaces the NDVI-based methods
        need = [n for n in need if n != "ndvi"]
    return tuple(dict.fromkeys(need))


def prepare(drivers, casa: str | CasaParams = "zhu2007", rh: str | ParamSet = "pei2009", *, check: bool = True,
            urban_soils: str = "unsealed", **overrides) -> Prepared:
    """Stage 1: resolve the parameters, then check and convert the drivers they need (see :func:`run`)."""
    urban_soils = _urban_soils(urban_soils)
    casa_p, rh_model, rh_p = split_overrides(casa, rh, overrides)
    ds = _as_dataset(drivers)
    d = prepare_drivers(ds, _needs(casa_p, rh_model, ds), check=check)
    return Prepared(d, to_casa(d["landcover"]), casa_p, rh_model, rh_p, urban_soils)


def casa_stage(prep: Prepared, reuse: xr.Dataset | None = None) -> xr.Dataset:
    """Stage 2: monthly CASA NPP and its factors (fpar, apar, topt, te1, te2, we, pet, eps).

    ``reuse``: an earlier result of this stage on the same drivers.  When its parameters differ from
    ``prep.casa`` in ``eps_max`` only, NPP and eps are rescaled from its factors (NPP is linear in
    eps_max) instead of recomputing FPAR, the temperature and the water stresses.
    """
    p, d = prep.casa, prep.drivers
    if reuse is not None and _only_eps_max_differs(reuse, p):
        eps_max = class_lookup(prep.landcover, p.eps_max)
        stress = reuse["te1"] * reuse["te2"] * reuse["we"]
        out = reuse.copy()
        out["npp"] = _finish(npp_from_factors(reuse["apar"], stress, eps_max, prep.landcover), "npp")
        out["eps"] = _finish(stress * eps_max, "eps")
    else:
        lat = latitude(d) if p.pet_daylength else None
        c = casa_npp(srad=d["srad"], tmean=d["tmean"], landcover=prep.landcover, ndvi=d.get("ndvi"),
                     fpar=d.get("fpar"), precip=d.get("precip"), et=d.get("et"), pet=d.get("pet"), latitude=lat,
                     params=p)
        out = xr.Dataset({name: _finish(c[name], name) for name in c.data_vars})
    out.attrs = {"casa_parameters": p.to_json()}
    return out


def _only_eps_max_differs(reuse: xr.Dataset, p: CasaParams) -> bool:
    if "casa_parameters" not in reuse.attrs:
        return False
    before = json.loads(reuse.attrs["casa_parameters"])
    now = json.loads(p.to_json())
    before.pop("eps_max", None)
    now.pop("eps_max", None)
    return before == now


def annual_sums(monthly: xr.DataArray, name: str | None = None) -> xr.DataArray:
    """The calendar-year sums of a monthly output (NaN for an incomplete year), as :func:`assemble` makes them;
    with ``name`` (``"npp"``, ``"rh"``, ``"nep"``, ...) the attributes of the result's ``<name>_annual``."""
    out = annual_sum(monthly)
    return out.assign_attrs(annual_attrs(name)) if name is not None else out


def annual_light_use(casa: xr.DataArray | xr.Dataset) -> xr.DataArray:
    """The annual sum of APAR x Te1 x Te2 x We of a :func:`casa_stage` result: annual NPP per unit eps_max.

    NPP is linear in eps_max, so annual NPP = eps_max (per class) x this, for any eps_max; the same product, in
    the same order, as ``casa_stage(prep, reuse=...)`` rescales.
    """
    return annual_sum(casa["apar"] * (casa["te1"] * casa["te2"] * casa["we"]))


def rh_stage(prep: Prepared) -> xr.DataArray:
    """Stage 3: monthly soil heterotrophic respiration by ``prep.rh_model`` (0 on water and ice)."""
    d = prep.drivers
    model = RH_MODELS[prep.rh_model]
    moisture = d.get("moisture")
    if moisture is not None and "moisture" not in model.requires + model.optional:
        warnings.warn(f"the drivers have a 'moisture' scalar, but Rh model {prep.rh_model!r} does not use one "
                      f"(its moisture term is {'precipitation' if 'precip' in model.requires else 'absent'}); "
                      "it is ignored. Models that use it: "
                      + ", ".join(n for n, v in RH_MODELS.items() if "moisture" in v.requires + v.optional),
                      stacklevel=2)
        moisture = None
    impervious = d.get("impervious") if prep.urban_soils == "unsealed" else None
    r = soil_respiration(d["tmean"], d.get("precip"), model=prep.rh_model, params=prep.rh, landcover=prep.landcover,
                         impervious=impervious, moisture=moisture)
    return _finish(r, "rh")


def assemble(casa: xr.Dataset, rh: xr.DataArray, prep: Prepared, min_valid_share: float = 0.9,
             outputs=None) -> xr.Dataset:
    """Stage 4: NEP = NPP - Rh, annual sums of NPP, Rh and NEP, the class map and the run's attributes.

    On data in memory each output's ``valid_share`` attribute is recorded (see :func:`valid_shares`),
    with a warning naming the outputs below ``min_valid_share``; dask-backed results are left lazy
    (call :func:`valid_shares` when computing them).  ``outputs``: the variables to keep (see :func:`run`).
    """
    names = _output_names(outputs, prep)
    out = xr.Dataset({name: casa[name] for name in casa.data_vars})
    out["rh"] = _finish(rh, "rh")
    out["nep"] = _finish(nep(casa["npp"], rh), "nep")
    for name in ("npp", "rh", "nep"):
        if f"{name}_annual" in names:
            out[f"{name}_annual"] = annual_sums(out[name], name)
    valid = prep.landcover.notnull()  # one valid mask: land-cover nodata is NaN in every output
    result = xr.Dataset({name: out[name].where(valid) for name in names if name in out})
    return _result(result, prep, names, min_valid_share, engine="xarray")


def annual_attrs(name: str) -> dict:
    """The attributes of the annual sums of output ``name`` (CF units, long name, cell_methods)."""
    monthly = output_attrs(name)
    return {**monthly, "units": "g m-2 yr-1", "long_name": f"annual {monthly['long_name']}",
            "cell_methods": "time: sum (of the 12 monthly values of each calendar year)"}


def _output_names(outputs, prep: Prepared) -> tuple[str, ...]:
    """The result's variables: all of them (None), or the ones asked for, checked, in the result's order."""
    own = prep.drivers["landcover"].attrs.get("scheme") not in (None, "casa")
    every = RESULT_VARIABLES + (("landcover",) if own else ())
    if outputs is None:
        return every
    if isinstance(outputs, str):
        outputs = (outputs,)
    asked = list(outputs)
    unknown = [n for n in asked if n not in every]
    if unknown or not asked:
        extra = "" if own else " ('landcover', the drivers' own class map, only when its scheme is not CASA)"
        raise ValueError(f"outputs={tuple(asked)!r}: " + (f"unknown name(s) {unknown}" if unknown else "nothing asked")
                         + f"; choose among {list(every)}{extra}, e.g. outputs=('nep_annual',)")
    return tuple(n for n in every if n in asked)


def _result(out: xr.Dataset, prep: Prepared, names: tuple[str, ...], min_valid_share: float,
            engine: str) -> xr.Dataset:
    """The result Dataset: the class maps, the grid's CRS, valid shares and the run's attributes."""
    if "landcover_casa" in names:
        out["landcover_casa"] = prep.landcover
    if "landcover" in names:
        # the user's own classes, for tables that keep apart what the CASA class merges (accounting.zonal_totals)
        out["landcover"] = prep.drivers["landcover"]
    out = out[list(names)]
    if "spatial_ref" in prep.drivers.coords:
        out = out.assign_coords(spatial_ref=prep.drivers["spatial_ref"])
    if not any(out[name].chunks for name in names if name not in ("landcover_casa", "landcover")):
        if not 0.0 <= min_valid_share <= 1.0:
            raise ValueError(f"min_valid_share must lie in [0, 1], got {min_valid_share!r}")
        _record_valid_shares(out, prep.landcover, min_valid_share)
    out.attrs = {
        "title": "carbontools CASA NPP, soil heterotrophic respiration and NEP",
        "sign_convention": SIGN_SINK,
        "casa_preset": prep.casa.preset,
        "rh_model": prep.rh_model,
        "urban_soils": f"{prep.urban_soils}: {URBAN_SOILS[prep.urban_soils]}",
        "parameters": json.dumps({"casa": prep.casa.to_dict(), "rh": prep.rh.to_dict()}),
        "carbontools_version": __version__,
        "engine": engine,
    }
    filled = {k: v for k, v in prep.drivers["ndvi"].attrs.items() if k.startswith("gapfill_")} \
        if "ndvi" in prep.drivers else {}
    if filled:  # NDVI's gaps were filled by the loader: say how much of it is not observed
        out.attrs["ndvi_gap_filling"] = json.dumps({**filled, "rule": prep.drivers["ndvi"].attrs.get("gap_filling")})
    return out


def fused_assemble(prep: Prepared, min_valid_share: float = 0.9, outputs=None) -> xr.Dataset:
    """Stages 2-4 in one pass of the compiled per-pixel kernel (:mod:`carbontools.models.fused`).

    The same result as ``assemble(casa_stage(prep), rh_stage(prep), prep)`` (the reference), in the
    drivers' float type; raises ValueError naming the reason when the kernel does not cover ``prep``.
    """
    from .models.fused import fused_outputs, unsupported

    why = unsupported(prep)
    if why:
        raise ValueError(f"engine='numba' cannot run these drivers: {why}. Use engine='auto' (falls back to "
                         "the xarray path) or engine='xarray'")
    if "moisture" in prep.drivers and "moisture" not in (RH_MODELS[prep.rh_model].requires
                                                         + RH_MODELS[prep.rh_model].optional):
        rh_stage(prep)  # the same warning as the reference path (nothing is computed)
    names = _output_names(outputs, prep)
    computed = fused_outputs(prep, names)
    attrs = {n: annual_attrs(n[:-len("_annual")]) if n.endswith("_annual") else output_attrs(n) for n in computed}
    out = xr.Dataset({n: da.assign_attrs(attrs[n]) for n, da in computed.items()})
    return _result(out, prep, names, min_valid_share, engine="numba")


#: the outputs whose valid share is reported (the factors share their masks)
REPORTED = ("npp", "rh", "nep", "npp_annual", "rh_annual", "nep_annual")


def valid_shares(result: xr.Dataset, names=REPORTED) -> dict[str, float]:
    """Share of the mapped pixels (land cover not nodata) where each output is a number.

    Monthly outputs count pixel-months, annual ones pixel-years of the complete years only (a partial
    year has no annual value by design and is warned about already).  Cloud gaps in NDVI, masked
    drivers or a missing month show up here.  One pass over the data (dask or numpy).
    """
    import dask

    mapped = result["landcover_casa"].notnull()
    n_mapped = mapped.sum()
    lazy = {}
    for name in names:
        da = result[name]
        if "year" in da.dims and "months" in da.coords:
            da = da.isel(year=(da["months"] == 12).values)
        steps = da.sizes.get("time", da.sizes.get("year", 1))
        lazy[name] = (da.notnull() & mapped).sum() / (n_mapped * steps)
    (computed,) = dask.compute(lazy)
    return {k: float(v) for k, v in computed.items()}


def _record_valid_shares(out: xr.Dataset, landcover: xr.DataArray, min_valid_share: float) -> None:
    names = [n for n in REPORTED if n in out]
    if not names:
        return
    shares = valid_shares(out.assign(landcover_casa=landcover), names)
    for name, share in shares.items():
        out[name].attrs["valid_share"] = round(share, 6) if share == share else share
    low = {n: s for n, s in shares.items() if n in REPORTED and s < min_valid_share}
    if low:
        warnings.warn("only " + ", ".join(f"{100 * s:.1f} % of {n}" for n, s in low.items())
                      + f" of the mapped pixels hold a value (below min_valid_share={min_valid_share:g}): the "
                      "other pixels are NaN from gaps in the drivers (clouds in NDVI, masked or missing months). "
                      "Totals cover only the valid pixels; fill the gaps or check the drivers' masks",
                      stacklevel=3)


def rh_response(model: str, tmean, precip=None, params: ParamSet | None = None, moisture=None):
    """Rh of a named model on plain numbers or arrays (e.g. a response curve over temperature)."""
    m = RH_MODELS[model]
    return m.function(tmean, precip, params if params is not None else m.params(), moisture=moisture)


def run(drivers, casa: str | CasaParams = "zhu2007", rh: str | ParamSet = "pei2009", *, check: bool = True,
        urban_soils: str = "unsealed", min_valid_share: float = 0.9, engine: str = "auto", outputs=None,
        **overrides) -> xr.Dataset:
    """Run CASA NPP, soil heterotrophic respiration and NEP on monthly drivers.

    Parameters
    ----------
    drivers : xarray.Dataset or dict of DataArrays
        On identical grids; see the input contract below.
    casa : str or CasaParams
        CASA preset name (``'zhu2007'`` default, ``'potter1993'``) or a parameter set.
    rh : str or ParamSet
        Rh model name (``'pei2009'`` default, ``'q10'``, ``'lloyd_taylor'``) or its parameter set.
    check : bool
        Check units and value ranges of the drivers first (one pass over the data).
    urban_soils : str
        How Rh treats sealed urban soil: ``'unsealed'`` (default) scales it by (1 - impervious
        fraction) where an ``impervious`` driver is given; ``'climate'`` takes Rh from climate over
        all land, as most regional CASA studies do (dense city cores then become sources).  The
        choice is recorded in ``attrs['urban_soils']``.
    min_valid_share : float
        Warn when a smaller share of the mapped pixels than this holds a value in NPP, Rh or NEP
        (monthly or annual); each output records its share in ``attrs['valid_share']`` (for data in
        memory; on dask call :func:`valid_shares`).
    engine : str
        ``'auto'`` (default): the compiled per-pixel kernel (:mod:`carbontools.models.fused`) where it
        covers the run, else the xarray path; ``'numba'``: the kernel, or an error saying why it cannot;
        ``'xarray'``: the plain xarray path (the reference).  Both give the same numbers; the kernel
        is several times faster and returns the drivers' float type (float32 drivers: float32 outputs).
        ``attrs['engine']`` records which one ran.
    outputs : sequence of str, optional
        The variables to keep (default: all of those listed under Returns), e.g.
        ``outputs=("nep_annual",)`` for a national map: the kernel then computes and stores nothing else.
    **overrides
        Any CASA or Rh parameter, e.g. ``te2_c=1.1814``, ``eps_max={4: 0.7}`` (per class) or
        ``eps_max=0.5`` (all classes), ``q10=2.5``.

    Returns
    -------
    xarray.Dataset
        Monthly ``npp``, ``rh``, ``nep`` (g C m-2 month-1) and the factors ``fpar``, ``apar``, ``topt``,
        ``te1``, ``te2``, ``we``, ``pet``, ``eps``; annual sums ``npp_annual``, ``rh_annual``,
        ``nep_annual`` (g C m-2 yr-1, dim ``year``); ``landcover_casa``, and ``landcover`` (the
        drivers' own class map, when its scheme is not CASA: tables by its class names).  Every variable has
        ``units`` and ``long_name``; the fluxes a ``sign_convention``; ``attrs['parameters']`` holds
        the parameters as JSON.

    Notes
    -----
    Input contract (from the variable registry; "needed by" from the variant registries):

{contract}

    ``time`` is monthly (one value per calendar month).  Units are read from ``attrs['units']``
    (CF/UDUNITS strings) and converted where unambiguous (K -> degC, W m-2 -> MJ m-2 month-1 with the
    real month length, mm day-1 -> mm month-1, % -> 1, ...); a variable without units is assumed to
    be in the unit above, with a warning.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine={engine!r} unknown; choose one of {list(ENGINES)}: "
                         + "; ".join(f"{k}: {v}" for k, v in ENGINES.items()))
    prep = prepare(drivers, casa, rh, check=check, urban_soils=urban_soils, **overrides)
    _output_names(outputs, prep)  # bad names fail before anything is computed
    if engine == "numba" or (engine == "auto" and _fused_covers(prep)):
        return fused_assemble(prep, min_valid_share=min_valid_share, outputs=outputs)
    return assemble(casa_stage(prep), rh_stage(prep), prep, min_valid_share=min_valid_share, outputs=outputs)


def warm_up_kernel() -> float:
    """Compile the fused kernel (or load it from numba's on-disk cache) for float32 and float64 drivers, on
    numpy (parallel loop) and dask (serial loop per block); returns the seconds it took.

    The first :func:`run` with ``engine='auto'`` does this by itself; call it to pay the cost up front
    (a server before its first user, a benchmark).
    """
    import time

    import numpy as np

    from .demo import delta_city

    start = time.perf_counter()
    ds = delta_city(size=16, years=(2021,))
    for dt in (np.float32, np.float64):
        typed = ds.assign({n: ds[n].astype(dt) for n in ("ndvi", "tmean", "precip", "srad")})
        for drivers in (typed, typed.chunk({"y": 8})):
            fused_assemble(prepare(drivers, check=False)).compute()
    return time.perf_counter() - start


#: the engines of run(): which code computes the monthly step
ENGINES = {
    "auto": "the compiled kernel where it covers the run (whole calendar years, drivers on (time, y, x)), else xarray",
    "numba": "the compiled per-pixel kernel (carbontools.models.fused)",
    "xarray": "the plain xarray path (the reference)",
}


def _fused_covers(prep: Prepared) -> bool:
    try:
        import numba  # noqa: F401
    except ImportError:  # numba missing: the plain path
        return False
    from .models.fused import unsupported

    return unsupported(prep) is None


def _needed_by() -> dict[str, str]:
    """Driver -> who needs it, from the variant registries (for the contract table)."""
    users: dict[str, dict[str, list[str]]] = {}
    for label, registry in (("fpar_method", FPAR_METHODS), ("water_stress", WATER_STRESS_METHODS), ("rh", RH_MODELS)):
        for name, variant in registry.items():
            for n in variant.requires:
                users.setdefault(n, {}).setdefault(label, []).append(name)
            for n in variant.optional:
                users.setdefault(n, {}).setdefault(label, []).append(f"{name} (optional)")
    text = {n: "; ".join(f"{label} {', '.join(names)}" for label, names in by.items()) for n, by in users.items()}
    text.update(srad="every run", tmean="every run", landcover="every run", fpar="optional: replaces ndvi",
                impervious="optional: Rh x (1 - fraction) with urban_soils='unsealed'")
    return text


run.__doc__ = run.__doc__.replace("{contract}", "\n".join("    " + line for line in
                                                          contract_table(_needed_by()).splitlines()))
