"""The one unit layer of carbontools: parsing, conversion and plausibility, on pint.

Every module that converts a unit comes here.  Units are CF/UDUNITS strings (``"W m-2"``,
``"kg m-2 s-1"``, ``"g C m-2 month-1"``) read by a pint registry built on cf_xarray's CF-aware one,
with three additions that the carbon accounting needs:

- **a carbon basis**: a mass may name its species, ``C`` or ``CO2`` (``"t C"``, ``"Gg CO2e yr-1"``,
  ``"Mg C ha-1"``).  Pint reads "C" as the coulomb, so the species is split off before pint sees
  the string, and C <-> CO2 converts by ``CONSTANTS.co2_per_c`` (44/12).  A unit that names no
  species takes the other side's (``"g m-2"`` to ``"t C"`` is a change of mass and area only).
- **water**: 1 kg m-2 of water is 1 mm (``CONSTANTS.water_density``), so ``kg m-2 s-1`` converts to
  ``mm month-1``.
- **amount <-> rate by the real calendar**: a month is 28 to 31 days and a year 365 or 366, never
  pint's mean month and year.  Conversions that change a per-month or per-year unit need the
  length of each time step (``days`` / ``year_days``, taken from a DataArray's ``time`` axis).
  Monthly values in a per-year unit are rates; their month's amount is rate x month length.

Each driver has one canonical unit, from the variable registry (:mod:`carbontools.variables`).
:func:`to_canonical` converts a driver to it; :func:`check_plausible` refuses values that cannot be
right in that unit (NDVI of 8000, temperature of 290 degC, negative rain) and says how to fix them.
"""

from __future__ import annotations

import copy
import dataclasses
import re
import warnings

import cf_xarray.units
import dask
import numpy as np
import pint
import xarray as xr

from .params import CONSTANTS
from .variables import DRIVERS

__all__ = [
    "ureg",
    "Unit",
    "parse",
    "factor",
    "convert",
    "area_total_factor",
    "units_of",
    "same_units",
    "CANONICAL",
    "DESCRIPTIONS",
    "to_canonical",
    "check_plausible",
    "plausibility_problems",
    "normalise_unit",
]

# --- the registry ---------------------------------------------------------------------------------

#: carbontools' pint registry: a copy of cf_xarray's (CF strings in and out), with the additions below
ureg = copy.deepcopy(cf_xarray.units.units)
ureg.define("@alias degree_Celsius = degrees_C = degreesC = degrees_celsius = degree_C")
ureg.define("@alias kelvin = degK = deg_K = degrees_K = degreesK")
ureg.define("@alias month = mon")

_water = pint.Context("water")
for _dims in ("", " / [time]"):
    _water.add_transformation(f"[mass] / [length] ** 2{_dims}", f"[length]{_dims}",
                              lambda reg, x: x / reg.Quantity(CONSTANTS.water_density, "kg m-3"))
    _water.add_transformation(f"[length]{_dims}", f"[mass] / [length] ** 2{_dims}",
                              lambda reg, x: x * reg.Quantity(CONSTANTS.water_density, "kg m-3"))
ureg.add_context(_water)

#: spellings of the carbon species -> (basis, is an equivalent such as CO2e)
SPECIES = {"C": ("C", False), "CE": ("C", True), "C-eq": ("C", True), "CO2": ("CO2", False),
           "CO2e": ("CO2", True), "CO2eq": ("CO2", True), "CO2-eq": ("CO2", True)}
#: mass symbols that may carry a species; pint reads "kt" as the knot, so it is spelled out
_MASS = {"g": "g", "kg": "kg", "t": "tonne", "Mg": "Mg", "kt": "kilotonne", "Gg": "Gg", "Mt": "megatonne",
         "Tg": "Tg", "Gt": "gigatonne", "Pg": "Pg"}
_CARBON_RE = re.compile(
    r"\s*(?P<mass>" + "|".join(sorted(_MASS, key=len, reverse=True)) + r")\s*"
    r"(?P<species>" + "|".join(re.escape(s) for s in sorted(SPECIES, key=len, reverse=True)) + r")"
    r"(?P<rest>((\s+|\s*(?=/)).*)?)$")  # "g C m-2 d-1" or "g C/m2/d"
_DIMENSIONLESS = {"", "1", "-", "unitless", "dimensionless", "fraction", "none", "ratio"}
_STEPS = ("month", "year")


@dataclasses.dataclass(frozen=True)
class Unit:
    """A parsed unit: the pint unit without the carbon species, and the species (``C``, ``CO2`` or None)."""

    text: str
    pint_unit: pint.Unit
    basis: str | None = None
    equivalent: bool = False

    def exponent(self, name: str) -> int:
        """Exponent of a pint unit name (``"month"``, ``"year"``) in this unit."""
        return int(dict(self.pint_unit._units).get(name, 0))

    def parts(self) -> dict[str, float | None]:
        """Factors of the mass (to g), area denominator (to m2) and whether the unit is per year.

        ``{"grams": ..., "area_m2": ... or None, "per_year": bool}``; used for carbon amounts and fluxes.
        """
        grams, area = 1.0, None
        for name, exp in dict(self.pint_unit._units).items():
            dim = ureg.Unit(name).dimensionality
            if dim == ureg.Unit("g").dimensionality and exp == 1:
                grams *= float(ureg.Quantity(1.0, name).to("g").magnitude)
            elif dim == ureg.Unit("m2").dimensionality and exp == -1:
                area = (area or 1.0) * float(ureg.Quantity(1.0, name).to("m2").magnitude)
            elif dim == ureg.Unit("m").dimensionality and exp == -2:
                area = (area or 1.0) * float(ureg.Quantity(1.0, name).to("m").magnitude) ** 2
        return {"grams": grams, "area_m2": area, "per_year": self.exponent("year") == -1}

    def __str__(self):
        return self.text


def _clean(text: str) -> str:
    t = str(text).strip()
    return "1" if t.lower() in _DIMENSIONLESS else t.replace("°", "deg")


def parse(text, name: str = "value", basis: str | None = None) -> Unit:
    """Parse a unit string; a carbon mass may name its species (``"t C yr-1"``, ``"kg CO2e m-2"``).

    ``basis``: the species of a unit that names none, e.g. from a variable's ``carbon_basis``
    attribute (carbontools' own outputs are in ``"g m-2 month-1"`` with ``carbon_basis = "C"``, so
    that UDUNITS reads their units).  Errors name ``name``, the string and what is accepted.
    """
    if not isinstance(text, str):
        raise ValueError(f"{name} has no unit: state it, e.g. 'g C m-2 month-1', 't CO2 yr-1', 'W m-2'")
    raw = text.strip()
    equivalent, pint_text = False, _clean(raw)
    m = _CARBON_RE.fullmatch(raw)
    if m is not None:
        basis, equivalent = SPECIES[m["species"]]
        pint_text = _MASS[m["mass"]] + (" " + m["rest"].strip() if m["rest"].strip() else "")
    elif raw.replace("°", "").lower() == "c":
        pint_text = "degC"  # a lone "C" on a temperature means degrees Celsius, not coulomb
    try:
        unit = ureg.Unit(pint_text)
    except (pint.UndefinedUnitError, pint.DefinitionSyntaxError, AssertionError, ValueError, TypeError) as err:
        raise ValueError(f"{name} has unit {raw!r}, which carbontools cannot read ({err}). Write a CF/UDUNITS "
                         "unit such as 'W m-2', 'mm month-1', 'kg m-2 s-1', 'degC', or a carbon unit with its "
                         "species: a mass (g, kg, t, Mg, kt, Gg, Mt, Tg, Gt, Pg), C or CO2 (CO2e), then per "
                         "area and time, e.g. 'g C m-2 month-1', 'Mg C ha-1', 't CO2e yr-1'") from None
    if basis is not None and m is None:
        if basis not in ("C", "CO2"):
            raise ValueError(f"{name}: carbon basis {basis!r} unknown; 'C' or 'CO2'")
        basis = basis if "[mass]" in str(unit.dimensionality) else None
    return Unit(raw, unit, basis, equivalent)


def units_of(da, name: str | None = None, default: str | None = None) -> Unit:
    """The parsed units of a DataArray (or anything with ``attrs``), its ``carbon_basis`` attribute applied."""
    attrs = getattr(da, "attrs", {}) or {}
    text = attrs.get("units", default)
    return parse(text, name or getattr(da, "name", None) or "value", basis=attrs.get("carbon_basis"))


def _as_unit(u, name: str) -> Unit:
    return u if isinstance(u, Unit) else parse(u, name)


def _step_lengths(obj, days, year_days):
    if (days is None or year_days is None) and isinstance(obj, (xr.DataArray, xr.Dataset)) and "time" in obj.coords:
        time = obj["time"]
        if np.issubdtype(time.dtype, np.datetime64) or time.dtype == object:
            if days is None:
                days = time.dt.days_in_month.astype(float)  # float: rates go to negative powers of it
            if year_days is None:
                year_days = xr.where(time.dt.is_leap_year, 366.0, 365.0)
    return days, year_days


def factor(source, target, *, days=None, year_days=None, name: str = "value", context: str | None = "water"):
    """``(scale, offset)`` with ``value_in_target = value_in_source * scale + offset``.

    ``scale`` is a number, or an array/DataArray when the conversion needs the month (``days``) or
    year (``year_days``) length of each time step.  The offset is non-zero only for temperatures.
    """
    s, t = _as_unit(source, name), _as_unit(target, name)
    scale = 1.0
    if s.basis and t.basis and s.basis != t.basis:
        scale = CONSTANTS.co2_per_c if (s.basis, t.basis) == ("C", "CO2") else 1.0 / CONSTANTS.co2_per_c
    su, tu = s.pint_unit, t.pint_unit
    for step, length, label in (("month", days, "days"), ("year", year_days, "year_days")):
        es, et = s.exponent(step), t.exponent(step)
        if es == et:
            continue  # the same per-step basis on both sides: its length cancels
        if length is None:
            raise ValueError(f"{name}: converting {s.text!r} to {t.text!r} needs the length of each {step} "
                             f"(the data's time axis, or {label}=...); carbontools never uses a mean {step}")
        # x per step = x / length per day: swap the step for days on both sides, keep the factor
        su = su / ureg.Unit(step) ** es * ureg.Unit("day") ** es
        tu = tu / ureg.Unit(step) ** et * ureg.Unit("day") ** et
        scale = scale * length ** (es - et)
    try:
        ctx = (context,) if context else ()
        zero = float(ureg.Quantity(0.0, su).to(tu, *ctx).magnitude)
        one = float(ureg.Quantity(1.0, su).to(tu, *ctx).magnitude)
    except pint.DimensionalityError:
        raise ValueError(f"{name} has units {s.text!r}, which cannot be converted to {t.text!r} "
                         f"({su.dimensionality} is not {tu.dimensionality})") from None
    return scale * (one - zero), zero


def convert(values, source, target, *, days=None, year_days=None, name: str = "value"):
    """``values`` (a number, array or DataArray) from ``source`` to ``target`` units.

    For a DataArray ``source`` defaults to ``attrs['units']`` and the month and year lengths come
    from its ``time`` axis; the result has ``units = target`` (its other attrs are kept).
    """
    if source is None:
        source = getattr(values, "attrs", {}).get("units")
    days, year_days = _step_lengths(values, days, year_days)
    scale, offset = factor(source, target, days=days, year_days=year_days, name=name)
    if isinstance(scale, float) and scale == 1.0 and offset == 0.0:
        out = values
    else:
        out = values * scale + offset if offset else values * scale
    if isinstance(out, xr.DataArray):
        out = out.assign_attrs({**getattr(values, "attrs", {}), "units": str(target)})
    return out


def area_total_factor(per_area, total, name: str = "values") -> float:
    """The factor that turns sum(value x cell area in m2) into an amount in ``total``.

    ``per_area`` is a unit per area (``"g C m-2 yr-1"``, ``"Mg C ha-1"``); any time denominator is
    kept implicit (a per-year map gives a per-year total).  ``total`` is a mass, with its species
    (``"t C"``, ``"Gg C"``, ``"kt CO2"``).  Errors name what is wrong.
    """
    try:
        t = parse(total, "unit")
    except ValueError:
        t = None
    if t is None or t.basis is None or t.parts()["area_m2"] is not None or len(dict(t.pint_unit._units)) != 1 or \
            t.pint_unit.dimensionality != ureg.Unit("g").dimensionality:
        raise ValueError(f"unit {total!r} unknown; give a mass of carbon (or CO2) such as 'g C', 't C', 'kt C', "
                         "'Gg C', 'Tg C', 'Pg C' or 'Mt CO2'")
    u = parse(per_area, name)
    parts = u.parts()
    if parts["area_m2"] is None:
        raise ValueError(f"{name} has units {per_area!r}, which are not per area; totals need values per area "
                         "such as 'g C m-2 yr-1' or 'Mg C ha-1'")
    basis = factor(f"g {u.basis}", f"g {t.basis}")[0] if u.basis and t.basis else 1.0
    return parts["grams"] / parts["area_m2"] * basis / t.parts()["grams"]


def same_units(a, b) -> bool:
    """True when two unit strings mean the same unit (``"g C m-2 yr-1"`` and ``"g C m**-2 yr**-1"``)."""
    try:
        ua, ub = parse(a), parse(b)
    except ValueError:
        return normalise_unit(str(a)) == normalise_unit(str(b))
    if ua.basis and ub.basis and ua.basis != ub.basis:  # a unit without a species takes the other's
        return False
    try:
        scale, offset = factor(ua, ub, context=None)
    except ValueError:
        return False
    return bool(np.isclose(scale, 1.0, rtol=1e-12, atol=0) and offset == 0.0)


def normalise_unit(units: str) -> str:
    """Lower case, no spaces, no exponent marks: 'W m**-2' -> 'wm-2', 'MJ/m^2/month' -> 'mj/m2/month'.

    Only for comparing spellings in messages; conversions go through :func:`parse`.
    """
    u = units.strip().lower().replace("**", "").replace("^", "").replace("°", "deg")
    u = re.sub(r"\s+", "", u)
    return u.replace("mon-1", "month-1").replace("/mon", "/month").replace("/monthth", "/month")


# --- drivers in canonical units -------------------------------------------------------------------

#: canonical unit of each driver (from the variable registry)
CANONICAL = {name: v.units for name, v in DRIVERS.items() if v.units is not None}
#: a short description of each driver, for messages
DESCRIPTIONS = {name: v.description for name, v in DRIVERS.items()}

#: unit spellings that are ambiguous for a driver: the reason and the fix
_AMBIGUOUS = {
    ("precip", "m"): "ERA5 monthly means give 'm' per day; multiply by 1000 and by the month's days, "
    "or load ERA5 with carbontools.io",
    ("srad", "J m-2"): "ERA5 monthly means give J m-2 per day; multiply by the month's days and 1e-6",
}


#: the pint unit names a driver's unit may be built from: what climate and satellite products use.
#: Anything else (furlongs, millijoules written "mj", degrees Fahrenheit) is refused, never guessed.
_DRIVER_UNIT_NAMES = {"meter", "millimeter", "centimeter", "kilogram", "gram", "second", "minute", "hour", "day",
                      "month", "year", "joule", "kilojoule", "megajoule", "watt", "kelvin", "degree_Celsius",
                      "percent"}


def _per_step(unit: Unit, canonical: Unit) -> Unit:
    """A monthly driver's amount without a time unit ('mm', 'MJ m-2') is the month's total.

    An amount is what the canonical rate becomes times a month (energy has [time] in its dimensions
    too, so the test is on the whole dimensionality, not on the presence of [time]).
    """
    amount = (canonical.pint_unit * ureg.Unit("month")).dimensionality
    if canonical.exponent("month") == -1 and unit.pint_unit.dimensionality == amount:
        return Unit(unit.text, unit.pint_unit / ureg.Unit("month"), unit.basis, unit.equivalent)
    return unit


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
        da = da.assign_attrs(units_assumed=canonical)
    spelled = " ".join(str(units).replace("**", "").split())
    if (name, spelled) in _AMBIGUOUS:
        raise ValueError(f"{name} units {units!r} are ambiguous: {_AMBIGUOUS[(name, spelled)]}")
    try:
        source = parse(str(units), name)
        odd = sorted(set(dict(source.pint_unit._units)) - _DRIVER_UNIT_NAMES)
        if odd:
            raise ValueError(f"{', '.join(odd)} is not a unit climate or satellite products use")
        target = parse(canonical, name)
        source = _per_step(source, target)
        scale, offset = factor(source, target, days=_step_lengths(da, days, None)[0], name=name)
    except ValueError as err:
        raise ValueError(
            f"{name} has units {units!r}, which carbontools cannot convert to {canonical!r} ({err}). "
            f"Convert it to {canonical!r} yourself (and set attrs['units']), or give a CF unit such as "
            + {"tmean": "'K' or 'degC'", "srad": "'W m-2', 'MJ m-2 day-1' or 'J m-2 day-1'",
               "precip": "'mm day-1', 'kg m-2 s-1' or 'm month-1'", "et": "'mm day-1' or 'kg m-2 s-1'",
               "pet": "'mm day-1' or 'kg m-2 s-1'"}.get(name, "'1' or '%'")
        ) from None
    identity = isinstance(scale, float) and scale == 1.0 and offset == 0.0
    out = da if identity else (da * scale + offset if offset else da * scale)
    attrs = {k: v for k, v in da.attrs.items() if k not in ("units", "scale_factor", "add_offset")}
    out = out.drop_attrs(deep=False).assign_attrs(attrs, units=canonical)  # without the packing attrs
    if not identity:
        out.attrs["converted_from"] = str(units)
    return out


# --- plausibility -------------------------------------------------------------------------------

def _stats(arrays: dict[str, xr.DataArray], reference: dict[str, xr.DataArray]) -> dict[str, tuple]:
    """min, max, count and mean of the finite values of each array, computed in one pass (dask or numpy).

    With a ``reference`` for an array (e.g. top-of-atmosphere radiation for srad), a fifth number:
    the array's sum over the reference's sum where both are valid and the reference is positive.
    """
    lazy = {}
    for k, v in arrays.items():
        stats = [v.min(), v.max(), v.count(), v.mean()]
        if k in reference:
            both = v.notnull() & (reference[k] > 0)
            stats.append(v.where(both).sum() / reference[k].where(both).sum())
        lazy[k] = tuple(stats)
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


def _nonnegative(hint):
    def check(name, lo, hi):
        upper = DRIVERS[name].range[1]
        if lo < 0.0:
            return (f"{name} has negative values (min {lo:g} {CANONICAL[name]}); {DESCRIPTIONS[name]} cannot be "
                    "negative. Mask fill values to NaN or check the sign and units")
        if hi > upper:
            return f"{name} reaches {hi:g} {CANONICAL[name]}, above the plausible {upper:g}; {hint}"
        return None
    return check


def _temperature_problem(name, lo, hi):
    low, high = DRIVERS[name].range
    if lo > 150.0:
        return (f"{name} looks like kelvin (values {lo:g}..{hi:g}) although its units say degC; "
                "subtract 273.15 or set attrs['units'] = 'K'")
    if lo < low or hi > high:
        return (f"{name} has values {lo:g}..{hi:g} degC, outside the monthly-mean range of the Earth "
                f"({low:g}..{high:g}); mask fill values and check the units")
    return None


CHECKS = {
    "ndvi": _ndvi_problem,
    "fpar": _fraction_problem,
    "impervious": _fraction_problem,
    "moisture": _fraction_problem,
    "tmean": _temperature_problem,
    "precip": _nonnegative("is it in the wrong units (e.g. 0.1 mm)?"),
    "et": _nonnegative("is it in the wrong units?"),
    "pet": _nonnegative("is it in the wrong units?"),
    "srad": _nonnegative("this exceeds the top-of-atmosphere maximum: are the units J m-2 or W m-2?"),
}


# A driver without units is taken in its canonical unit (with a warning), unless its values cannot be
# in that unit: then the units it is likely in are named.  The factors to the canonical unit use the
# mean month (only to name the likely unit; a real conversion uses each month's length).
MEAN_MONTH_DAYS = 365.25 / 12.0
#: monthly water amounts (mm month-1): a scene's mean below this is drier than the driest deserts
#: (the Atacama's stations record a few mm a year); the likely units give a mean of 5..500 mm month-1
WATER_SCENE_MEAN = (0.5, (5.0, 500.0))
_LIKELY = {
    "precip": ("m day-1", "kg m-2 s-1", "mm day-1", "m month-1", "cm month-1"),
    "et": ("m day-1", "kg m-2 s-1", "mm day-1", "m month-1"),
    "pet": ("m day-1", "kg m-2 s-1", "mm day-1", "m month-1"),
    "srad": ("W m-2", "MJ m-2 day-1", "kJ m-2 day-1", "J m-2 day-1"),
}


def _to_canonical_factor(name: str, unit: str) -> float:
    scale, _ = factor(_per_step(parse(unit, name), parse(CANONICAL[name], name)), CANONICAL[name],
                      days=MEAN_MONTH_DAYS, name=name)
    return float(scale)


def _likely(name: str, statistic: float, band: tuple[float, float]) -> list[tuple[str, float]]:
    """The units among ``_LIKELY[name]`` that bring ``statistic`` (in the canonical unit) into ``band``,
    the likeliest (nearest the band's geometric middle) first."""
    middle = np.sqrt(band[0] * band[1])
    out = []
    for unit in _LIKELY[name]:
        value = statistic * _to_canonical_factor(name, unit)
        if band[0] <= value <= band[1]:
            out.append((unit, value))
    return sorted(out, key=lambda item: abs(np.log(item[1] / middle)))


def _assumed_unit_problem(name: str, stats: tuple) -> str | None:
    """Why the canonical unit assumed for a driver without units cannot be right, with the likely units."""
    canonical = CANONICAL[name]
    if name in ("precip", "et", "pet"):
        mean = stats[3]
        floor, band = WATER_SCENE_MEAN
        if mean >= floor:
            return None
        what = f"its mean would be {mean:.3g} {canonical}, drier than any desert"
        likely = [f"{u} (mean {v:.0f} {canonical})" for u, v in _likely(name, mean, band)]
    elif name == "srad" and len(stats) > 4:
        ratio = stats[4]
        low, high = CONSTANTS.clearness_range
        if 0.8 * low <= ratio <= 1.0:
            return None
        what = (f"it would be {ratio:.2f} of the top-of-atmosphere radiation, where monthly skies give "
                f"{low:g} (overcast) to {high:g} (clear; FAO-56 eq. 35)")
        likely = [f"{u} (ratio {v:.2f})" for u, v in _likely(name, ratio, (low, high))]
    else:
        return None
    hint = ("it looks like " + " or ".join(likely) + "; set attrs['units'] to that unit") if likely else \
        "set attrs['units'] to the unit the values are in"
    return (f"{name} has no units and was taken as {canonical!r}, but {what}: {hint} (or to {canonical!r} "
            "if that really is its unit)")


def check_plausible(arrays: dict[str, xr.DataArray], reference: dict[str, xr.DataArray] | None = None) -> None:
    """Raise ValueError naming every driver whose values (in canonical units) cannot be right.

    A driver whose units were assumed (:func:`to_canonical` marks it with ``units_assumed``) must also
    look like values in that unit; ``reference``: ``{"srad": top-of-atmosphere radiation}`` (MJ m-2
    month-1, :func:`carbontools.models.casa.extraterrestrial_radiation`) lets srad be checked so.
    """
    problems = plausibility_problems(arrays, reference)
    if problems:
        raise ValueError("implausible driver values:\n- " + "\n- ".join(problems))


def plausibility_problems(arrays: dict[str, xr.DataArray], reference: dict[str, xr.DataArray] | None = None
                          ) -> list[str]:
    """The messages :func:`check_plausible` raises, one per implausible driver (empty if all are plausible)."""
    reference = {k: v for k, v in (reference or {}).items() if k in arrays}
    stats = _stats({k: v for k, v in arrays.items() if k in CHECKS}, reference)
    problems = []
    for name, values in stats.items():
        lo, hi, n = values[:3]
        if n == 0:
            warnings.warn(f"{name} holds no valid values (all NaN): results will be NaN", stacklevel=3)
            continue
        problem = CHECKS[name](name, lo, hi)
        if problem is None and "units_assumed" in arrays[name].attrs:
            problem = _assumed_unit_problem(name, values)
        if problem:
            problems.append(problem)
    return problems
