"""Units and plausibility at the boundary: what the models receive is in their units, or an error says why not.

Each driver has one canonical unit (:data:`CANONICAL`).  A driver's ``attrs['units']`` (a CF/UDUNITS
string) is converted to it where the conversion is unambiguous; month totals from rates use each
month's real length.  Values that cannot be right in the canonical unit (NDVI of 8000, temperature
of 290 degC, negative rain) raise errors that say what the data look like and how to fix them.
"""

from __future__ import annotations

import re
import warnings

import dask
import xarray as xr

__all__ = ["CANONICAL", "DESCRIPTIONS", "to_canonical", "check_plausible", "normalise_unit"]

CANONICAL = {
    "ndvi": "1",
    "fpar": "1",
    "tmean": "degC",
    "precip": "mm month-1",
    "srad": "MJ m-2 month-1",
    "et": "mm month-1",
    "pet": "mm month-1",
    "impervious": "1",
    "moisture": "1",
}

DESCRIPTIONS = {
    "ndvi": "monthly NDVI (unitless, -1..1)",
    "fpar": "monthly fraction of absorbed PAR (0..1)",
    "tmean": "monthly mean air temperature (degC)",
    "precip": "monthly precipitation total (mm month-1)",
    "srad": "monthly incoming shortwave radiation (MJ m-2 month-1)",
    "et": "monthly actual evapotranspiration (mm month-1)",
    "pet": "monthly potential evapotranspiration (mm month-1)",
    "impervious": "impervious-surface fraction (0..1)",
    "moisture": "soil-moisture scalar (0..1)",
    "landcover": "land-cover class codes with attrs['scheme']",
}


def normalise_unit(units: str) -> str:
    """Lower case, no spaces, no exponent marks: 'W m**-2' -> 'wm-2', 'MJ/m^2/month' -> 'mj/m2/month'."""
    u = units.strip().lower().replace("**", "").replace("^", "").replace("°", "deg")
    u = re.sub(r"\s+", "", u)
    return u.replace("mon-1", "month-1").replace("/mon", "/month").replace("/monthth", "/month")


def _factor(f):
    return lambda x, days: x * f


_IDENTITY = _factor(1.0)
_PER_DAY = lambda x, days: x * days  # noqa: E731  a mean daily rate -> a month total
_FRACTION = {u: _IDENTITY for u in ("1", "", "-", "unitless", "dimensionless", "fraction", "none", "ratio")}
_FRACTION.update({"%": _factor(0.01), "percent": _factor(0.01)})
_WATER = {
    **{u: _IDENTITY for u in ("mmmonth-1", "mm/month", "mm", "kgm-2month-1", "kg/m2/month", "kgm-2")},
    **{u: _PER_DAY for u in ("mmday-1", "mm/day", "mmd-1", "mm/d", "kgm-2day-1", "kgm-2d-1", "kg/m2/day")},
    **{u: (lambda x, days: x * 86400.0 * days) for u in ("kgm-2s-1", "mms-1", "kg/m2/s", "mm/s")},
    **{u: _factor(1000.0) for u in ("mmonth-1", "m/month")},
}

CONVERSIONS = {
    "tmean": {
        **{u: _IDENTITY for u in ("degc", "degreesc", "deg_c", "celsius", "degree_celsius", "degrees_celsius", "c")},
        **{u: (lambda x, days: x - 273.15) for u in ("k", "kelvin", "degk", "deg_k", "degreesk")},
    },
    "precip": _WATER,
    "et": _WATER,
    "pet": _WATER,
    "srad": {
        **{u: _IDENTITY for u in ("mjm-2month-1", "mj/m2/month", "mj/m2", "mjm-2")},
        **{u: _PER_DAY for u in ("mjm-2day-1", "mjm-2d-1", "mj/m2/day", "mj/m2/d")},
        **{u: (lambda x, days: x * days * 0.0864) for u in ("wm-2", "w/m2", "wm2", "wattsperm2")},
        **{u: _factor(1e-6) for u in ("jm-2month-1", "j/m2/month")},
        **{u: (lambda x, days: x * days * 1e-6) for u in ("jm-2day-1", "jm-2d-1", "j/m2/day")},
        **{u: (lambda x, days: x * days * 1e-3) for u in ("kjm-2day-1", "kjm-2d-1", "kj/m2/day")},
    },
    "ndvi": _FRACTION,
    "fpar": _FRACTION,
    "impervious": _FRACTION,
    "moisture": _FRACTION,
}

_AMBIGUOUS = {
    ("precip", "m"): "ERA5 monthly means give 'm' per day; multiply by 1000 and by the month's days, "
    "or load ERA5 with carbontools.io",
    ("srad", "jm-2"): "ERA5 monthly means give J m-2 per day; multiply by the month's days and 1e-6",
}


def to_canonical(name: str, da: xr.DataArray, days: xr.DataArray | None = None) -> xr.DataArray:
    """``da`` converted to the canonical unit of driver ``name``; a missing unit gets the default with a warning."""
    canonical = CANONICAL[name]
    units = da.attrs.get("units")
    if units is None:
        warnings.warn(
            f"{name} has no 'units' attribute; assuming {canonical!r} ({DESCRIPTIONS[name]}). "
            f"Set {name}.attrs['units'] to silence this.",
            stacklevel=3,
        )
        units = canonical
    key = normalise_unit(str(units))
    if (name, key) in _AMBIGUOUS:
        raise ValueError(f"{name} units {units!r} are ambiguous: {_AMBIGUOUS[(name, key)]}")
    table = CONVERSIONS[name]
    if key not in table:
        raise ValueError(
            f"{name} has units {units!r}, which carbontools cannot convert to {canonical!r}. "
            f"Convert it to {canonical!r} yourself (and set attrs['units']), or use one of: "
            + ", ".join(sorted({k for k in table if k}))
        )
    convert = table[key]
    if convert is not _IDENTITY and days is None and "time" in da.dims:
        days = da["time"].dt.days_in_month
    out = convert(da, days) if convert is not _IDENTITY else da
    attrs = {k: v for k, v in da.attrs.items() if k not in ("units", "scale_factor", "add_offset")}
    out = out.assign_attrs(attrs, units=canonical)
    if convert is not _IDENTITY:
        out.attrs["converted_from"] = str(units)
    return out


# --- plausibility -------------------------------------------------------------------------------

def _stats(arrays: dict[str, xr.DataArray]) -> dict[str, tuple[float, float, int]]:
    """min, max and count of finite values of each array, computed in one pass (dask or numpy)."""
    lazy = {k: (v.min(), v.max(), v.count()) for k, v in arrays.items()}
    (computed,) = dask.compute(lazy)
    return {k: tuple(float(x) for x in v) for k, v in computed.items()}


def _fraction_problem(name: str, lo: float, hi: float) -> str | None:
    if hi > 1.0:
        if hi <= 100.0 and lo >= 0:
            return f"{name} looks like a percentage (max {hi:g}); multiply by 0.01 or set attrs['units'] = '%'"
        return f"{name} has values above 1 (max {hi:g}); a fraction must lie in [0, 1]"
    if lo < 0.0:
        return f"{name} has negative values (min {lo:g}); a fraction must lie in [0, 1]. Mask fill values to NaN"
    return None


def _ndvi_problem(name: str, lo: float, hi: float) -> str | None:
    if hi > 1.0:
        if hi <= 255.0 and lo >= 0.0:
            return (f"{name} looks like 8-bit digital numbers (0..255, max {hi:g}); convert with the product's "
                    "own scale and offset (e.g. SPOT-VGT: 0.004*DN - 0.1) to NDVI in [-1, 1]")
        if hi <= 10000.0:
            return f"{name} looks scaled by 10000 (max {hi:g}); multiply by 0.0001"
        return f"{name} has values above 1 (max {hi:g}); NDVI lies in [-1, 1]"
    if lo < -1.0:
        return (f"{name} has values below -1 (min {lo:g}); these look like unmasked fill values "
                "(MOD13 uses -3000): set them to NaN")
    return None


def _nonnegative(name, lo, hi, upper, hint):
    if lo < 0.0:
        return (f"{name} has negative values (min {lo:g} {CANONICAL[name]}); {DESCRIPTIONS[name]} cannot be "
                "negative. Mask fill values to NaN or check the sign and units")
    if hi > upper:
        return f"{name} reaches {hi:g} {CANONICAL[name]}, above the plausible {upper:g}; {hint}"
    return None


def _temperature_problem(name, lo, hi):
    if lo > 150.0:
        return (f"{name} looks like kelvin (values {lo:g}..{hi:g}) although its units say degC; "
                "subtract 273.15 or set attrs['units'] = 'K'")
    if lo < -90.0 or hi > 60.0:
        return (f"{name} has values {lo:g}..{hi:g} degC, outside the monthly-mean range of the Earth "
                "(-90..60); mask fill values and check the units")
    return None


CHECKS = {
    "ndvi": _ndvi_problem,
    "fpar": _fraction_problem,
    "impervious": _fraction_problem,
    "moisture": _fraction_problem,
    "tmean": _temperature_problem,
    "precip": lambda n, lo, hi: _nonnegative(n, lo, hi, 10000.0, "is it in the wrong units (e.g. 0.1 mm)?"),
    "et": lambda n, lo, hi: _nonnegative(n, lo, hi, 1000.0, "is it in the wrong units?"),
    "pet": lambda n, lo, hi: _nonnegative(n, lo, hi, 1000.0, "is it in the wrong units?"),
    "srad": lambda n, lo, hi: _nonnegative(
        n, lo, hi, 1500.0, "this exceeds the top-of-atmosphere maximum: are the units J m-2 or W m-2?"),
}


def check_plausible(arrays: dict[str, xr.DataArray]) -> None:
    """Raise ValueError naming every driver whose values (in canonical units) cannot be right."""
    stats = _stats({k: v for k, v in arrays.items() if k in CHECKS})
    problems = []
    for name, (lo, hi, n) in stats.items():
        if n == 0:
            warnings.warn(f"{name} holds no valid values (all NaN): results will be NaN", stacklevel=3)
            continue
        problem = CHECKS[name](name, lo, hi)
        if problem:
            problems.append(problem)
    if problems:
        raise ValueError("implausible driver values:\n- " + "\n- ".join(problems))
