"""Every constant of the models, as frozen dataclasses with unit, bounds and source.

Each field carries ``metadata`` with ``unit``, ``bounds`` (plausible range, used by widgets and
checks), ``doc`` and ``source``.  Parameter sets are immutable: derive a variant with
:meth:`ParamSet.replace` (``params.replace(te2_c=1.1814)``).  All of them round-trip through JSON.

Variants are registered by name in :class:`Registry` objects, each entry with the drivers it
requires: CASA presets (``CASA_PRESETS``, here), FPAR methods and water-stress methods
(filled by :mod:`carbontools.models.casa`) and Rh models (:mod:`carbontools.models.respiration`).
A dropdown lists a registry; :func:`carbontools.run` asks the registries which drivers it needs.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Mapping
from importlib import resources
from typing import Any, ClassVar

import pandas as pd

__all__ = [
    "Registry",
    "Variant",
    "PhysicalConstants",
    "CONSTANTS",
    "FPAR_METHODS",
    "WATER_STRESS_METHODS",
    "RH_MODELS",
    "widget_spec",
    "ClassTable",
    "ParamSet",
    "CasaParams",
    "Pei2009Params",
    "Q10Params",
    "LloydTaylorParams",
    "CASA_PRESETS",
    "casa_preset",
    "read_table",
    "class_label",
]


def read_table(name: str) -> pd.DataFrame:
    """A CSV table shipped in ``carbontools/tables`` (lines starting with ``#`` are its header notes).

    Each file is read once per session; callers get their own copy.
    """
    return _shipped_table(name).copy()


@functools.cache
def _shipped_table(name: str) -> pd.DataFrame:
    with resources.files("carbontools.tables").joinpath(name).open("r", encoding="utf-8") as f:
        return pd.read_csv(f, comment="#", skipinitialspace=True)


def class_label(code) -> str:
    """``"class 4 (deciduous broadleaf forest)"``: a CASA class code with its name, for messages."""
    names = _shipped_table("casa_classes.csv").set_index("code")["name"]
    return f"class {int(code)} ({names[int(code)]})" if int(code) in names.index else f"class {int(code)}"


class ClassTable(Mapping):
    """An immutable, hashable mapping ``CASA class code -> value``.

    Build it from a dict, from pairs, or from one number for every class (``ClassTable.uniform``).
    """

    __slots__ = ("_items",)

    def __init__(self, values: Mapping[Any, float] | None = None, /, **kw: float):
        items = dict(values or {})
        items.update(kw)
        self._items = tuple(sorted((int(k), float(v)) for k, v in items.items()))

    @classmethod
    def uniform(cls, value: float, codes=range(1, 12)) -> "ClassTable":
        return cls({c: value for c in codes})

    def __getitem__(self, code):
        for k, v in self._items:
            if k == int(code):
                return v
        raise KeyError(code)

    def __iter__(self):
        return (k for k, _ in self._items)

    def __len__(self):
        return len(self._items)

    def __hash__(self):
        return hash(self._items)

    def __eq__(self, other):
        return isinstance(other, Mapping) and dict(self) == {int(k): float(v) for k, v in other.items()}

    def __repr__(self):
        return f"ClassTable({dict(self._items)})"

    def updated(self, other: Mapping[Any, float] | float) -> "ClassTable":
        """A copy with some classes replaced; a single number replaces every class."""
        if isinstance(other, (int, float)):
            return ClassTable.uniform(float(other), codes=list(self))
        return ClassTable({**dict(self), **{int(k): v for k, v in other.items()}})

    def scaled(self, factor: float) -> "ClassTable":
        return ClassTable({k: v * factor for k, v in self._items})


# --------------------------------------------------------------------------------------------
# Variants registered by name
# --------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Variant:
    """One named variant: the object it stands for, the drivers it requires and a one-line description.

    ``obj`` is a function (FPAR and water-stress methods, Rh models) or a parameter set (presets);
    ``params`` is the parameter class a function takes, where it takes one.
    """

    name: str
    obj: Any
    requires: tuple[str, ...] = ()
    description: str = ""
    params: type | None = None
    optional: tuple[str, ...] = ()

    @property
    def function(self):
        return self.obj


class Registry(Mapping):
    """Variants of one kind (``"FPAR method"``, ``"Rh model"``, ...) by name, in registration order.

    ``registry[name]`` gives the registered object (for presets the parameter set, otherwise the
    :class:`Variant`); an unknown name raises a ``ValueError`` that lists the choices.
    """

    def __init__(self, kind: str, values_are_objects: bool = False):
        self.kind = kind
        self._entries: dict[str, Variant] = {}
        self._objects = values_are_objects

    def add(self, name: str, obj, *, requires=(), optional=(), description: str = "", params: type | None = None):
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._entries[name] = Variant(name, obj, tuple(requires), description, params, tuple(optional))
        return obj

    def register(self, name: str, **kw):
        """Decorator form of :meth:`add`: ``@FPAR_METHODS.register("ndvi", requires=("ndvi",))``."""
        return lambda obj: self.add(name, obj, **kw)

    def variant(self, name: str, label: str | None = None) -> Variant:
        """The entry ``name``; ``label`` names the argument in the error (e.g. ``"fpar_method"``)."""
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            what = f"{label} {name!r} unknown" if label else f"unknown {self.kind} {name!r}"
            raise ValueError(f"{what}; choose one of {sorted(self._entries)}") from None

    def requires(self, name: str) -> tuple[str, ...]:
        return self.variant(name).requires

    def __getitem__(self, name):
        v = self.variant(name)
        return v.obj if self._objects else v

    def __contains__(self, name):
        return isinstance(name, str) and name in self._entries

    def __iter__(self):
        return iter(self._entries)

    def __len__(self):
        return len(self._entries)

    def __repr__(self):
        return f"Registry({self.kind!r}: {list(self._entries)})"


#: FPAR from NDVI, by name (filled by carbontools.models.casa)
FPAR_METHODS = Registry("FPAR method")
#: water stress We, by name (filled by carbontools.models.casa)
WATER_STRESS_METHODS = Registry("water-stress method")
#: soil heterotrophic respiration models, by name (filled by carbontools.models.respiration)
RH_MODELS = Registry("Rh model")


def _p(default, unit: str, doc: str, source: str = "", bounds: tuple | None = None, soft: tuple | None = None):
    """A dataclass field with its unit, description, source and plausible bounds.

    ``bounds`` are hard: a value outside them is refused.  ``soft`` is the range a widget offers by
    default (the values people usually try), inside ``bounds``; it defaults to ``bounds``.
    """
    if soft is not None and bounds is not None and not (bounds[0] <= soft[0] <= soft[1] <= bounds[1]):
        raise ValueError(f"soft range {soft} must lie inside the bounds {bounds}")
    meta = {"unit": unit, "doc": doc, "source": source, "bounds": bounds, "soft": soft or bounds}
    if isinstance(default, (ClassTable, dict)):
        table = ClassTable(default)
        return dataclasses.field(default_factory=lambda: table, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


@dataclasses.dataclass(frozen=True)
class ParamSet:
    """Base class: validation of bounds, replace, and dict/JSON round-trip."""

    #: registry of concrete classes by name, for from_dict/from_json
    _kinds: ClassVar[dict[str, type]] = {}

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        ParamSet._kinds[cls.__name__] = cls

    def __post_init__(self):
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Mapping) and not isinstance(value, ClassTable):
                object.__setattr__(self, f.name, ClassTable(value))
                value = getattr(self, f.name)
            bounds = f.metadata.get("bounds")
            if bounds is None or value is None:
                continue
            lo, hi = bounds
            items = value.items() if isinstance(value, ClassTable) else [(None, value)]
            bad = [(k, v) for k, v in items if not (lo <= v <= hi)]
            if bad:
                (code, v), more = bad[0], len(bad) - 1
                where = "" if code is None else f" for {class_label(code)}" + (f" (and {more} more)" if more else "")
                raise ValueError(
                    f"{type(self).__name__}.{f.name} = {v!r} is outside its plausible range "
                    f"[{lo}, {hi}] ({f.metadata.get('unit')}){where}; {f.metadata.get('doc')}"
                )

    def replace(self, **changes) -> "ParamSet":
        """A copy with some fields changed; per-class tables accept a dict of changed classes or one number."""
        names = {f.name for f in dataclasses.fields(self)}
        unknown = set(changes) - names
        if unknown:
            raise TypeError(
                f"{type(self).__name__} has no parameter(s) {sorted(unknown)}; valid names: {sorted(names)}"
            )
        for name, value in list(changes.items()):
            current = getattr(self, name)
            if isinstance(current, ClassTable) and not isinstance(value, ClassTable):
                changes[name] = current.updated(value)
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        out = {"kind": type(self).__name__}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            out[f.name] = {str(k): x for k, x in v.items()} if isinstance(v, ClassTable) else v
        return out

    @classmethod
    def from_dict(cls, data: Mapping) -> "ParamSet":
        data = dict(data)
        kind = data.pop("kind", cls.__name__)
        target = ParamSet._kinds[kind] if cls is ParamSet else cls
        if kind != target.__name__:
            raise ValueError(f"parameters are of kind {kind!r}, expected {target.__name__!r}")
        return target(**data)

    def to_json(self, **kw) -> str:
        return json.dumps(self.to_dict(), **kw)

    @classmethod
    def from_json(cls, text: str) -> "ParamSet":
        return cls.from_dict(json.loads(text))

    @classmethod
    def describe(cls) -> pd.DataFrame:
        """A table of the fields: name, default, unit, bounds, description, source."""
        rows = []
        for f in dataclasses.fields(cls):
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
            rows.append({"name": f.name, "default": default, **f.metadata})
        return pd.DataFrame(rows).set_index("name")


def widget_spec(params: "ParamSet | type", name: str, **override) -> dict:
    """Start, end, value, label and unit of a numeric field, for a slider (its ``soft`` range).

    ``params`` is a parameter set (its value becomes the default) or a parameter class.
    """
    cls = params if isinstance(params, type) else type(params)
    field = {f.name: f for f in dataclasses.fields(cls)}[name]
    meta = field.metadata
    if meta.get("soft") is None:
        raise ValueError(f"{cls.__name__}.{name} has no bounds, so no slider range")
    value = getattr(params, name) if not isinstance(params, type) else (
        field.default if field.default is not dataclasses.MISSING else field.default_factory())
    start, end = meta["soft"]
    unit = meta.get("unit") or ""
    scalar = isinstance(value, (int, float)) and not isinstance(value, bool)
    spec = {"start": start, "end": end, "value": value, "unit": unit,
            "step": slider_step(start, end, value) if scalar else None,  # per-class tables: the caller's step
            "label": f"{name} ({unit})" if unit and unit != "1" else name, "doc": meta.get("doc", ""),
            "source": meta.get("source", "")}
    spec.update(override)
    return spec


def slider_step(start: float, end: float, value: float, max_steps: int = 500) -> float:
    """A slider step of 1, 2 or 5 x 10^k on which a slider from ``start`` lands on ``value`` exactly (a slider
    snaps to start + n step: a default off that grid is never shown): the coarsest that also lands on
    ``end`` with 20..``max_steps`` steps, else the coarsest that lands on ``value`` (e.g. 0.0001 for Te2's
    1.1814)."""
    steps = [m * 10.0 ** e for e in range(3, -7, -1) for m in (5, 2, 1)]

    def on(x, step):
        return abs(x / step - round(x / step)) < 1e-9

    for step in steps:
        if on(value - start, step) and on(end - start, step) and 20 <= (end - start) / step <= max_steps:
            return step
    for step in steps:
        if on(value - start, step) and (end - start) / step >= 20:
            return step
    raise ValueError(f"no slider step from {start} to {end} lands on {value}: round the default")
    raise ValueError(f"no slider step from {start} to {end} lands on {value}: round the default")


@dataclasses.dataclass(frozen=True)
class PhysicalConstants(ParamSet):
    """Physical constants the unit layer and the grid use (not model parameters: nothing to tune)."""

    earth_radius: float = _p(6371007.181, "m", "authalic Earth radius for spherical cell areas (the MODIS "
                             "sinusoidal sphere)", "NASA MODIS land grid; Snyder 1987")
    co2_per_c: float = _p(44.0 / 12.0, "g CO2 (g C)-1", "mass of CO2 per mass of carbon (molar masses 44 and 12)",
                          "IPCC 2006 Guidelines, Vol. 4, Ch. 2")
    water_density: float = _p(1000.0, "kg m-3", "density of liquid water: 1 kg m-2 of water is 1 mm", "")
    solar_constant: float = _p(0.0820, "MJ m-2 min-1", "solar constant (1367 W m-2)",
                               "Allen et al. 1998, FAO Irrigation and Drainage Paper 56, eq. 21")
    orbit_eccentricity: float = _p(0.033, "1", "amplitude of the inverse relative Earth-Sun distance over the "
                                   "year: dr = 1 + 0.033 cos(2 pi J / 365)", "FAO-56 eq. 23")
    clearness_range: tuple = _p((0.25, 0.75), "1", "monthly surface solar radiation over top-of-atmosphere "
                                "radiation, overcast to clear sky (Angstrom a_s and a_s + b_s)", "FAO-56 eq. 35")


CONSTANTS = PhysicalConstants()


# --------------------------------------------------------------------------------------------
# CASA
# --------------------------------------------------------------------------------------------

ZHU = "Zhu Wenquan et al. 2006 (Chinese Science Bulletin 51:457), 2007 (J. Plant Ecol. 31:413)"
POTTER = "Potter et al. 1993, Global Biogeochem. Cycles 7:811"
THORN = "Thornthwaite 1948, Geogr. Rev. 38:55"
ZHOU = "Zhou Guangsheng & Zhang Xinshi 1995, Acta Phytoecol. Sin. 19:193"
FAO56 = "Allen et al. 1998, FAO Irrigation and Drainage Paper 56, eq. 24"
WRM = "Willmott, Rowe & Mintz 1985, J. Climatol. 5:589 (the curve of Thornthwaite's 1948 table above 26.5 degC)"


def _casa_class_table(column: str) -> ClassTable:
    table = read_table("casa_classes.csv").set_index("code")
    return ClassTable(table[column].dropna().to_dict())


@dataclasses.dataclass(frozen=True)
class CasaParams(ParamSet):
    """Parameters of the CASA light-use-efficiency model (defaults: preset ``zhu2007``)."""

    preset: str = _p("zhu2007", "", "name of the preset these values started from")
    # --- FPAR ---
    fpar_method: str = _p(
        "ndvi_sr", "", "FPAR method: 'ndvi_sr' (mean of NDVI- and SR-based), 'ndvi', 'sr', or "
        "'potter_sr' (unscaled SR ratio, Potter 1993)", ZHU)
    alpha: float = _p(0.5, "1", "weight of the NDVI-based FPAR in 'ndvi_sr'", ZHU, (0.0, 1.0))
    fpar_min: float = _p(0.001, "1", "lower FPAR limit", ZHU, (0.0, 0.1))
    fpar_max: float = _p(0.95, "1", "upper FPAR limit", ZHU, (0.5, 1.0))
    ndvi_min: ClassTable = _p(ClassTable.uniform(0.023), "1", "NDVI of bare ground per class", ZHU, (-0.2, 0.5))
    ndvi_max: ClassTable = _p(_casa_class_table("ndvi_max"), "1", "NDVI of full cover (95th pct) per class, "
                              "above the class's ndvi_min and at most 0.95: SR_max = (1+NDVI_max)/(1-NDVI_max) "
                              "grows without bound as NDVI_max -> 1 (39 at 0.95, 2e6 at 1) and the SR-based "
                              "FPAR collapses towards FPAR_min", ZHU, (0.3, 0.95))
    sr_min: float = _p(1.05, "1", "simple ratio of bare ground, below SR_max", ZHU, (1.0, 2.0))
    sr_max: float | None = _p(None, "1", "one simple-ratio maximum for every class; None derives it per "
                              "class from ndvi_max as (1+NDVI_max)/(1-NDVI_max) (at most 39, NDVI_max 0.95)",
                              POTTER, (1.5, 39.0), soft=(1.5, 20.0))
    par_fraction: float = _p(0.5, "1", "PAR share of incoming shortwave radiation", POTTER, (0.4, 0.55))
    # --- temperature stress ---
    te1_a: float = _p(0.8, "1", "Te1 = a + b*Topt - c*Topt^2: a", POTTER)
    te1_b: float = _p(0.02, "degC-1", "Te1: b", POTTER)
    te1_c: float = _p(0.0005, "degC-2", "Te1: c", POTTER)
    te1_cold_limit: float = _p(-10.0, "degC", "Te1 = 0 in months with mean temperature at or below this", POTTER)
    te2_c: float = _p(1.184, "1", "Te2 constant C (1.184 Zhu; 1.1814 Potter)", ZHU, (1.0, 1.3))
    te2_k_low: float = _p(0.2, "degC-1", "Te2 first bracket: exp(k_low*(Topt - offset - T))", POTTER)
    te2_k_high: float = _p(0.3, "degC-1", "Te2 second bracket: exp(k_high*(-Topt - offset + T))", POTTER)
    te2_offset: float = _p(10.0, "degC", "Te2 temperature offset in both brackets", POTTER)
    te2_half_rule: bool = _p(True, "", "outside [Topt-13, Topt+10] set Te2 to half its value at T = Topt", ZHU)
    te2_half_below: float = _p(13.0, "degC", "half rule: lower edge Topt - this", ZHU)
    te2_half_above: float = _p(10.0, "degC", "half rule: upper edge Topt + this", ZHU)
    # --- water stress ---
    water_stress: str = _p("zhou", "", "'zhou' (regional ET + Bouchet + Thornthwaite) or 'et_pet' "
                           "(user-supplied ET and PET, e.g. MOD16)", ZHOU)
    we_floor: float = _p(0.5, "1", "We = floor + (1-floor)*E/Ep", POTTER, (0.0, 1.0))
    zhou_rn_a: float = _p(0.369, "1", "Rn = sqrt(Ep0*P)*(a + b*sqrt(Ep0/P)): a", ZHOU)
    zhou_rn_b: float = _p(0.598, "1", "Rn: b", ZHOU)
    pet_scale: float = _p(16.0, "mm month-1", "Thornthwaite Ep0 = scale*(10*T/I)^a", THORN)
    pet_heat_exponent: float = _p(1.514, "1", "heat index I = sum((T/5)^exponent)", THORN)
    pet_a_coefficients: tuple = _p((6.75e-7, -7.71e-5, 1.792e-2, 0.49239), "1",
                                   "a = c3*I^3 + c2*I^2 + c1*I + c0 (c3, c2, c1, c0)", THORN)
    pet_daylength: bool = _p(False, "", "correct Thornthwaite PET by day length and month length "
                             "(K = N/12 * days/30)", THORN)
    pet_high_temperature: bool = _p(False, "", "at and above pet_high_threshold replace the power law by "
                                    "Thornthwaite's high-temperature curve, unadjusted Ep0 = c0 + c1*T + c2*T^2 "
                                    "(the day-length factor still applies); off in both presets", WRM)
    pet_high_threshold: float = _p(26.5, "degC", "monthly mean temperature from which the high-temperature "
                                   "curve applies", WRM, (20.0, 35.0))
    pet_high_coefficients: tuple = _p((-415.85, 32.24, -0.43), "mm month-1",
                                      "high-temperature curve Ep0 = c0 + c1*T + c2*T^2 (c0, c1, c2; T in degC)", WRM)
    declination_amplitude: float = _p(0.409, "rad", "solar declination = amplitude*sin(2 pi doy/365 - phase)",
                                      FAO56)
    declination_phase: float = _p(1.39, "rad", "solar declination: phase", FAO56)
    # --- light-use efficiency ---
    eps_max: ClassTable = _p(_casa_class_table("eps_max"), "g C MJ-1", "maximum light-use efficiency per class",
                             ZHU, (0.0, 3.0), soft=(0.1, 1.5))

    def __post_init__(self):
        super().__post_init__()
        FPAR_METHODS.variant(self.fpar_method, "fpar_method")  # unknown names raise, listing the choices
        WATER_STRESS_METHODS.variant(self.water_stress, "water_stress")
        for name in ("pet_a_coefficients", "pet_high_coefficients"):  # JSON gives lists back
            if isinstance(getattr(self, name), list):
                object.__setattr__(self, name, tuple(getattr(self, name)))
        self._check_fpar_limits()

    def _check_fpar_limits(self):
        """Bare ground below full cover, per class: NDVI_min < NDVI_max and SR_min < SR_max.

        Otherwise FPAR would fall as NDVI rises, or divide by zero where the two limits are equal.
        SR_max is the one ``sr_max`` when it is set, else each class's (1+NDVI_max)/(1-NDVI_max).
        """
        if self.sr_max is not None and self.sr_min >= self.sr_max:
            raise ValueError(
                f"CasaParams: sr_min = {self.sr_min:g} is not below sr_max = {self.sr_max:g}, so the SR-based FPAR "
                f"would {'divide by zero' if self.sr_min == self.sr_max else 'fall as NDVI rises'}; lower sr_min "
                f"(bare ground, 1.05 in zhu2007) or raise sr_max (4.14 in potter1993)")
        for code in sorted(set(self.ndvi_min) & set(self.ndvi_max)):
            lo, hi = self.ndvi_min[code], self.ndvi_max[code]
            if lo >= hi:
                why = "the two limits are equal, so FPAR would divide by zero" if lo == hi else \
                    "FPAR would fall as NDVI rises"
                raise ValueError(
                    f"CasaParams: ndvi_min = {lo:g} is not below ndvi_max = {hi:g} for {class_label(code)}: {why}. "
                    f"ndvi_min is the NDVI of bare ground (0.023 in zhu2007), ndvi_max that of full cover; "
                    f"give ndvi_min={{{code}: value below {hi:g}}} or ndvi_max={{{code}: value above {lo:g}}}")
            sr_max = (1.0 + hi) / (1.0 - hi)
            if self.sr_max is None and self.sr_min >= sr_max:
                raise ValueError(
                    f"CasaParams: sr_min = {self.sr_min:g} is not below SR_max = (1+NDVI_max)/(1-NDVI_max) = "
                    f"{sr_max:.4g} (ndvi_max = {hi:g}) for {class_label(code)}, so the SR-based FPAR would "
                    f"{'divide by zero' if self.sr_min == sr_max else 'fall as NDVI rises'}; lower sr_min "
                    f"(bare ground, 1.05 in zhu2007) or raise ndvi_max for class {code}")

    def requires(self) -> tuple[str, ...]:
        """The drivers these parameters need (from the FPAR and water-stress registries)."""
        needs = ["srad", "tmean", "landcover", *FPAR_METHODS.requires(self.fpar_method),
                 *WATER_STRESS_METHODS.requires(self.water_stress)]
        return tuple(dict.fromkeys(needs))


#: CASA parameter presets by name (registered by carbontools.models.casa, where their methods live)
CASA_PRESETS = Registry("CASA preset", values_are_objects=True)


def casa_preset(name: str | CasaParams = "zhu2007", **overrides) -> CasaParams:
    """The CASA parameter preset ``name`` (or a given CasaParams) with ``overrides`` applied."""
    params = name if isinstance(name, CasaParams) else CASA_PRESETS[name]
    return params.replace(**overrides) if overrides else params


# --------------------------------------------------------------------------------------------
# Soil heterotrophic respiration
# --------------------------------------------------------------------------------------------

PEI = "Pei Zhiyong et al. 2009, J. Integr. Plant Biol. 51:521"
LT = "Lloyd & Taylor 1994, Funct. Ecol. 8:315"


@dataclasses.dataclass(frozen=True)
class Pei2009Params(ParamSet):
    """Rh = a*(exp(b*T) + ln(c*P + 1)) * days * het_share (g C m-2 month-1)."""

    a: float = _p(0.22, "g C m-2 day-1", "scale of the soil-respiration regression", PEI, (0.0, 2.0))
    b: float = _p(0.0912, "degC-1", "temperature coefficient", PEI, (0.0, 0.3))
    c: float = _p(0.3145, "month mm-1", "precipitation coefficient", PEI, (0.0, 2.0))
    days_per_month: float = _p(30.0, "day", "days per month (ignored when real_month_length)", PEI, (28, 31))
    real_month_length: bool = _p(False, "", "use each month's real length instead of days_per_month", PEI)
    het_share: float = _p(0.465, "1", "heterotrophic share of soil respiration", PEI, (0.0, 1.0))


@dataclasses.dataclass(frozen=True)
class Q10Params(ParamSet):
    """Rh = rh_ref * q10**((T - t_ref)/10), times an optional moisture scalar."""

    q10: float = _p(2.0, "1", "factor per 10 degC warming", "van 't Hoff; common default", (1.0, 5.0),
                    soft=(1.2, 3.5))
    t_ref: float = _p(10.0, "degC", "reference temperature", "", (-10.0, 30.0))
    rh_ref: float = _p(16.3, "g C m-2 month-1", "Rh at t_ref (pei2009 value at 10 degC and 50 mm)", PEI,
                       (0.0, 200.0), soft=(5.0, 40.0))


@dataclasses.dataclass(frozen=True)
class LloydTaylorParams(ParamSet):
    """Rh = rh_ref * exp(e0 * (1/(t_ref - t0) - 1/(T - t0))), times an optional moisture scalar.

    ``rh_ref`` is Lloyd & Taylor's R10 (the rate at t_ref = 10 degC); it has the Q10 model's name so
    that one knob drives both.
    """

    rh_ref: float = _p(16.3, "g C m-2 month-1", "Rh at t_ref, R10 (pei2009 value at 10 degC and 50 mm)", PEI,
                       (0.0, 200.0), soft=(5.0, 40.0))
    e0: float = _p(308.56, "K", "activation-energy-like parameter", LT, (50.0, 600.0))
    t0: float = _p(-46.02, "degC", "temperature where respiration would vanish (227.13 K)", LT)
    t_ref: float = _p(10.0, "degC", "reference temperature of rh_ref", LT)


# --------------------------------------------------------------------------------------------
# MOD17 (an independent light-use-efficiency reference; carbontools.models.mod17)
# --------------------------------------------------------------------------------------------

#: Running, S. W. & Zhao, M. (2021) User's Guide, Daily GPP and Annual NPP (MOD17A2H/A3H) and Year-end Gap-Filled
#: (MOD17A2HGF/A3HGF) Products, NASA EOS MODIS Land Algorithm, Collection 6.1, Version 1.1 (the C6.1 science is
#: that of the C6 guide: Running & Zhao 2015, Version 3.0 For Collection 6).
MOD17_GUIDE = "Running & Zhao 2021, MOD17 User's Guide, Collection 6.1, Version 1.1"
#: where the BPLUT values come from.  The guide's biome table (section 2.1, "The BPLUT and constant biome
#: properties") could not be opened page by page from the copies stored here (only the guide's opening is
#: readable), so its table and page numbers are NOT cited; the values were transcribed from two independent public
#: transcriptions of that table that agree with each other to every digit (a BPLUT dict citing
#: MOD17C61UsersGuideV10Feb2021.pdf, and an NPP calculator listing the C6.1 SLA and leaf_mr_base rows).
MOD17_BPLUT_SOURCE = MOD17_GUIDE + ", BPLUT (section 2.1; C6/C6.1 values, NCEP-DOE II and C6 FPAR/LAI inputs)"
#: the equations: GPP = LUEmax f(Tmin) f(VPD) FPAR 0.45 SWrad; leaf mass = LAI/SLA (eq. 1.4), fine roots
#: (eq. 1.5), leaf and fine-root maintenance respiration (eq. 1.6, 1.7), livewood (eq. 1.10), the leaf Q10 of
#: Tjoelker et al. 2001 (eq. 1.11), growth respiration 25 % of NPP (Figure 1); equation numbers as the public
#: MOD17 reference implementation of the C6.1 calibration (Endsley, github arthur-e/MOD17) cites them.
MOD17_EQ = MOD17_GUIDE + ", section 1.3 (eq. 1.4-1.11, Figure 1)"
MYNENI = "Myneni & Williams 1994, Remote Sens. Environ. 49:200 (FPAR = 1.1638 NDVI - 0.1426)"
BEER = "Monsi & Saeki 1953 (Beer-Lambert extinction in canopies): FPAR = 1 - exp(-k LAI)"
FAO56_SVP = "Allen et al. 1998, FAO Irrigation and Drainage Paper 56, eq. 11 (Tetens' formula)"


@dataclasses.dataclass(frozen=True)
class Mod17Biome(ParamSet):
    """One row of the MOD17 Biome Properties Look-Up Table (BPLUT), in the guide's own units.

    Every value is the guide's (:data:`MOD17_BPLUT_SOURCE`); bounds only refuse impossible edits.
    """

    name: str = _p("", "", "MODIS biome abbreviation (ENF, EBF, DNF, DBF, MF, CShrub, OShrub, WSavanna, Savanna, "
                   "Grass, Crop)")
    lue_max: float = _p(0.001, "kg C m-2 d-1 MJ-1", "maximum light-use efficiency LUEmax (per MJ of APAR)",
                        MOD17_BPLUT_SOURCE, (0.0, 0.005))
    tmin_min: float = _p(-8.0, "degC", "daily minimum temperature at which f(Tmin) = 0 (Tmin_min)",
                         MOD17_BPLUT_SOURCE, (-30.0, 10.0))
    tmin_max: float = _p(10.0, "degC", "daily minimum temperature from which f(Tmin) = 1 (Tmin_max)",
                         MOD17_BPLUT_SOURCE, (-10.0, 30.0))
    vpd_min: float = _p(650.0, "Pa", "daytime VPD up to which f(VPD) = 1 (VPD_min)", MOD17_BPLUT_SOURCE,
                        (0.0, 5000.0))
    vpd_max: float = _p(3000.0, "Pa", "daytime VPD from which f(VPD) = 0 (VPD_max)", MOD17_BPLUT_SOURCE,
                        (100.0, 10000.0))
    sla: float = _p(20.0, "LAI (kg C)-1", "specific leaf area: projected leaf area per kg of leaf carbon (SLA)",
                    MOD17_BPLUT_SOURCE, (1.0, 100.0))
    q10: float = _p(2.0, "1", "Q10 of fine-root and livewood maintenance respiration", MOD17_BPLUT_SOURCE,
                    (1.0, 5.0))
    froot_leaf_ratio: float = _p(1.0, "1", "fine-root carbon per leaf carbon", MOD17_BPLUT_SOURCE, (0.0, 10.0))
    livewood_leaf_ratio: float = _p(0.0, "1", "live-wood carbon per annual maximum leaf carbon",
                                    MOD17_BPLUT_SOURCE, (0.0, 5.0))
    leaf_mr_base: float = _p(0.006, "kg C (kg C)-1 d-1", "leaf maintenance respiration at 20 degC",
                             MOD17_BPLUT_SOURCE, (0.0, 0.05))
    froot_mr_base: float = _p(0.005, "kg C (kg C)-1 d-1", "fine-root maintenance respiration at 20 degC",
                              MOD17_BPLUT_SOURCE, (0.0, 0.05))
    livewood_mr_base: float = _p(0.0, "kg C (kg C)-1 d-1", "live-wood maintenance respiration at 20 degC",
                                 MOD17_BPLUT_SOURCE, (0.0, 0.05))

    def __post_init__(self):
        super().__post_init__()
        for lo, hi, what in (("tmin_min", "tmin_max", "f(Tmin)"), ("vpd_min", "vpd_max", "f(VPD)")):
            if getattr(self, lo) >= getattr(self, hi):
                raise ValueError(f"Mod17Biome {self.name!r}: {lo} = {getattr(self, lo):g} is not below {hi} = "
                                 f"{getattr(self, hi):g}, so the {what} ramp has no width; give {lo} < {hi}")


def _bplut_row(name, lue_max, tmin_min, tmin_max, vpd_min, vpd_max, sla, q10, froot_leaf_ratio, livewood_leaf_ratio,
               leaf_mr_base, froot_mr_base, livewood_mr_base) -> Mod17Biome:
    return Mod17Biome(name=name, lue_max=lue_max, tmin_min=tmin_min, tmin_max=tmin_max, vpd_min=vpd_min,
                      vpd_max=vpd_max, sla=sla, q10=q10, froot_leaf_ratio=froot_leaf_ratio,
                      livewood_leaf_ratio=livewood_leaf_ratio, leaf_mr_base=leaf_mr_base,
                      froot_mr_base=froot_mr_base, livewood_mr_base=livewood_mr_base)


#: The MOD17 C6/C6.1 BPLUT (:data:`MOD17_BPLUT_SOURCE`), one :class:`Mod17Biome` per biome.  Columns, in order:
#: LUEmax (kg C m-2 d-1 MJ-1), Tmin_min, Tmin_max (degC), VPD_min, VPD_max (Pa), SLA (LAI (kg C)-1), Q10,
#: froot_leaf_ratio, livewood_leaf_ratio, leaf_mr_base, froot_mr_base, livewood_mr_base (kg C (kg C)-1 d-1).
MOD17_BPLUT: dict[str, Mod17Biome] = {row.name: row for row in (
    _bplut_row("ENF", 0.000962, -8.0, 8.31, 650.0, 4600.0, 14.1, 2.0, 1.2, 0.182, 0.00604, 0.00519, 0.00397),
    _bplut_row("EBF", 0.001268, -8.0, 9.09, 800.0, 3100.0, 25.9, 2.0, 1.1, 0.162, 0.00604, 0.00519, 0.00397),
    _bplut_row("DNF", 0.001086, -8.0, 10.44, 650.0, 2300.0, 15.5, 2.0, 1.7, 0.165, 0.00815, 0.00519, 0.00397),
    _bplut_row("DBF", 0.001165, -6.0, 9.94, 650.0, 1650.0, 21.8, 2.0, 1.1, 0.203, 0.00778, 0.00519, 0.00371),
    _bplut_row("MF", 0.001051, -7.0, 9.50, 650.0, 2400.0, 21.5, 2.0, 1.1, 0.203, 0.00778, 0.00519, 0.00371),
    _bplut_row("CShrub", 0.001281, -8.0, 8.61, 650.0, 4700.0, 9.0, 2.0, 1.0, 0.079, 0.00869, 0.00519, 0.00436),
    _bplut_row("OShrub", 0.000841, -8.0, 8.80, 650.0, 4800.0, 11.5, 2.0, 1.3, 0.040, 0.00519, 0.00519, 0.00218),
    _bplut_row("WSavanna", 0.001239, -8.0, 11.39, 650.0, 3200.0, 27.4, 2.0, 1.8, 0.091, 0.00869, 0.00519, 0.00312),
    _bplut_row("Savanna", 0.001206, -8.0, 11.39, 650.0, 3100.0, 27.1, 2.0, 1.8, 0.051, 0.00869, 0.00519, 0.00100),
    _bplut_row("Grass", 0.000860, -8.0, 12.02, 650.0, 5300.0, 37.5, 2.0, 2.6, 0.000, 0.00980, 0.00819, 0.00000),
    _bplut_row("Crop", 0.001044, -8.0, 12.02, 650.0, 4300.0, 30.4, 2.0, 2.0, 0.000, 0.00980, 0.00819, 0.00000),
)}

#: land-cover code -> MOD17 biome, per scheme; codes absent here have no MOD17 NPP (see mod17.mod17_npp).
#: IGBP 1-10 and 12 are the guide's own biomes.  Ours (assumptions of the reference, not the guide's):
#: IGBP 11 permanent wetlands -> Grass and 14 cropland/natural mosaic -> Crop; CASA 6 (closed and open shrubland
#: merged) -> CShrub and CASA 7 (grassland, cropland, wetland merged) -> Grass.
MOD17_BIOMES: dict[str, dict[int, str]] = {
    "igbp": {1: "ENF", 2: "EBF", 3: "DNF", 4: "DBF", 5: "MF", 6: "CShrub", 7: "OShrub", 8: "WSavanna",
             9: "Savanna", 10: "Grass", 11: "Grass", 12: "Crop", 14: "Crop"},
    "casa": {1: "ENF", 2: "EBF", 3: "DNF", 4: "DBF", 5: "MF", 6: "CShrub", 7: "Grass"},
}
#: codes with MOD17 NPP = 0, as CASA has (water and permanent snow/ice); urban and barren, which the guide's
#: biomes do not cover, are NaN (no value) instead
MOD17_ZERO_NPP: dict[str, tuple[int, ...]] = {"igbp": (0, 15, 17), "casa": (10, 11)}


@dataclasses.dataclass(frozen=True)
class Mod17Params(ParamSet):
    """The MOD17 constants that are not per biome, and the assumptions of the monthly reference run.

    The first four are the guide's; the rest say how the daily inputs MOD17 needs (Tmin, daytime VPD, FPAR and
    LAI) are made from monthly carbontools drivers when they are not given.
    """

    par_fraction: float = _p(0.45, "1", "PAR share of incoming shortwave radiation in MOD17", MOD17_EQ, (0.4, 0.55))
    q10_leaf_a: float = _p(3.22, "1", "leaf Q10 = a - b*Tavg (temperature-acclimated): a",
                           MOD17_EQ + "; Tjoelker et al. 2001, Glob. Change Biol. 7:223", (1.0, 5.0))
    q10_leaf_b: float = _p(0.046, "degC-1", "leaf Q10 = a - b*Tavg: b", MOD17_EQ, (0.0, 0.1))
    growth_share: float = _p(0.25, "1", "growth respiration as a share of NPP (Rg = 0.25 NPP, so NPP = "
                             "(GPP - Rm)/1.25 = 0.8 (GPP - Rm))", MOD17_EQ, (0.0, 1.0))
    t_ref: float = _p(20.0, "degC", "reference temperature of the *_mr_base rates", MOD17_EQ, (0.0, 30.0))
    half_diurnal_range: float = _p(4.0, "degC", "ASSUMPTION of the reference: daily Tmin = monthly tmean minus this "
                                   "(half of an 8 degC diurnal temperature range, a round value for humid "
                                   "subtropical lowlands; not from a dataset)", "", (0.0, 15.0))
    relative_humidity: float = _p(0.75, "1", "ASSUMPTION of the reference: daytime relative humidity for VPD = "
                                  "es(tmean) (1 - RH) when no vpd driver is given (a round value for a humid "
                                  "monsoon climate; not from a dataset)", "", (0.05, 1.0))
    fpar_ndvi_slope: float = _p(1.1638, "1", "FPAR = slope NDVI + intercept: slope", MYNENI, (0.5, 2.0))
    fpar_ndvi_intercept: float = _p(-0.1426, "1", "FPAR = slope NDVI + intercept: intercept", MYNENI, (-0.5, 0.5))
    fpar_max: float = _p(0.95, "1", "FPAR is clipped to [0, fpar_max] so that LAI = -ln(1 - FPAR)/k stays finite "
                         "(LAI 6.0 at 0.95 with k = 0.5); the same upper limit as CASA's zhu2007", ZHU, (0.5, 0.99))
    extinction_k: float = _p(0.5, "1", "canopy light extinction coefficient k in FPAR = 1 - exp(-k LAI) "
                             "(0.5: spherical leaf-angle distribution)", BEER, (0.2, 1.0))
    svp_a: float = _p(610.8, "Pa", "saturation vapour pressure es = a exp(b T/(T + c)): a (0.6108 kPa)", FAO56_SVP,
                      (600.0, 620.0))
    svp_b: float = _p(17.27, "1", "es: b", FAO56_SVP, (17.0, 18.0))
    svp_c: float = _p(237.3, "degC", "es: c", FAO56_SVP, (230.0, 245.0))
