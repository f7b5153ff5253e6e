"""Every constant of the models, as frozen dataclasses with unit, bounds and source.

Each field carries ``metadata`` with ``unit``, ``bounds`` (plausible range, used by widgets and
checks), ``doc`` and ``source``.  Parameter sets are immutable: derive a variant with
:meth:`ParamSet.replace` (``params.replace(te2_c=1.1814)``).  All of them round-trip through JSON.

Presets are registered by name (``CASA_PRESETS``), so a dropdown can list them.
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
    "ClassTable",
    "ParamSet",
    "CasaParams",
    "Pei2009Params",
    "Q10Params",
    "LloydTaylorParams",
    "CASA_PRESETS",
    "casa_preset",
    "read_table",
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


def _p(default, unit: str, doc: str, source: str = "", bounds: tuple | None = None):
    """A dataclass field with its unit, description, source and plausible bounds."""
    meta = {"unit": unit, "doc": doc, "source": source, "bounds": bounds}
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
            values = value.values() if isinstance(value, ClassTable) else [value]
            for v in values:
                if not (lo <= v <= hi):
                    raise ValueError(
                        f"{type(self).__name__}.{f.name} = {v!r} is outside its plausible range "
                        f"[{lo}, {hi}] ({f.metadata.get('unit')}); {f.metadata.get('doc')}"
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


# --------------------------------------------------------------------------------------------
# CASA
# --------------------------------------------------------------------------------------------

ZHU = "Zhu Wenquan et al. 2006 (Chinese Science Bulletin 51:457), 2007 (J. Plant Ecol. 31:413)"
POTTER = "Potter et al. 1993, Global Biogeochem. Cycles 7:811"
THORN = "Thornthwaite 1948, Geogr. Rev. 38:55"
ZHOU = "Zhou Guangsheng & Zhang Xinshi 1995, Acta Phytoecol. Sin. 19:193"


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
    ndvi_max: ClassTable = _p(_casa_class_table("ndvi_max"), "1", "NDVI of full cover (95th pct) per class",
                              ZHU, (0.3, 1.0))
    sr_min: float = _p(1.05, "1", "simple ratio of bare ground", ZHU, (1.0, 2.0))
    sr_max: float | None = _p(None, "1", "one simple-ratio maximum for every class; None derives it per "
                              "class from ndvi_max as (1+NDVI_max)/(1-NDVI_max)", POTTER, (1.5, 20.0))
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
    # --- light-use efficiency ---
    eps_max: ClassTable = _p(_casa_class_table("eps_max"), "g C MJ-1", "maximum light-use efficiency per class",
                             ZHU, (0.0, 3.0))

    def __post_init__(self):
        super().__post_init__()
        if self.fpar_method not in FPAR_METHODS:
            raise ValueError(f"fpar_method {self.fpar_method!r} unknown; choose one of {sorted(FPAR_METHODS)}")
        if self.water_stress not in WATER_STRESS_METHODS:
            raise ValueError(
                f"water_stress {self.water_stress!r} unknown; choose one of {sorted(WATER_STRESS_METHODS)}")
        if isinstance(self.pet_a_coefficients, list):
            object.__setattr__(self, "pet_a_coefficients", tuple(self.pet_a_coefficients))


FPAR_METHODS = ("ndvi_sr", "ndvi", "sr", "potter_sr")
WATER_STRESS_METHODS = ("zhou", "et_pet")

CASA_PRESETS: dict[str, CasaParams] = {
    "zhu2007": CasaParams(),
    "potter1993": CasaParams(
        preset="potter1993",
        fpar_method="potter_sr",
        sr_min=1.08,
        sr_max=4.14,
        te2_c=1.1814,
        te2_half_rule=False,
        eps_max=ClassTable.uniform(0.389),
    ),
}


def casa_preset(name: str | CasaParams = "zhu2007", **overrides) -> CasaParams:
    """The CASA parameter preset ``name`` (or a given CasaParams) with ``overrides`` applied."""
    if isinstance(name, CasaParams):
        params = name
    else:
        try:
            params = CASA_PRESETS[name]
        except KeyError:
            raise ValueError(f"unknown CASA preset {name!r}; choose one of {sorted(CASA_PRESETS)}") from None
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

    q10: float = _p(2.0, "1", "factor per 10 degC warming", "van 't Hoff; common default", (1.0, 5.0))
    t_ref: float = _p(10.0, "degC", "reference temperature", "", (-10.0, 30.0))
    rh_ref: float = _p(16.3, "g C m-2 month-1", "Rh at t_ref (pei2009 value at 10 degC and 50 mm)", PEI,
                       (0.0, 200.0))


@dataclasses.dataclass(frozen=True)
class LloydTaylorParams(ParamSet):
    """Rh = r10 * exp(e0 * (1/(t_ref - t0) - 1/(T - t0))), times an optional moisture scalar."""

    r10: float = _p(16.3, "g C m-2 month-1", "Rh at 10 degC", PEI, (0.0, 200.0))
    e0: float = _p(308.56, "K", "activation-energy-like parameter", LT, (50.0, 600.0))
    t0: float = _p(-46.02, "degC", "temperature where respiration would vanish (227.13 K)", LT)
    t_ref: float = _p(10.0, "degC", "reference temperature of r10", LT)
