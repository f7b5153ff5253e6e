"""Which knobs matter: one-at-a-time sweeps and global sensitivity (Morris, Sobol) of the regional totals.

Every analysis here answers one question: how do the region's **mean annual totals** of NPP, Rh and NEP
(``UNIT``, Gg C yr-1; optionally per CASA land-cover class) move when model parameters move?

- :func:`sweep`: one parameter at a time over given values, the others at their defaults
  (``sweep(drivers, eps_max_scale=[0.8, 1, 1.2], q10=[1.5, 2, 2.5], rh="q10")``); :func:`sweep_table`
  makes it a tidy table, :func:`carbontools.plots.tornado_plot` a tornado chart.
- :func:`morris` (elementary-effects screening) and :func:`sobol` (Saltelli sampling; first- and
  total-order indices with bootstrap confidence intervals), both through SALib, over chosen parameters;
  ranges are the parameters' soft ranges (``_p(..., soft=)`` in :mod:`carbontools.params`) unless given.
  :func:`morris_indices` and :func:`sobol_indices` are the same analyses of any vectorised function
  (used by the model runs and by the tests on the Ishigami function).  :func:`convergence` repeats an
  analysis over sample sizes.

The knobs (:func:`knobs` lists them): every numeric scalar field of the CASA parameters and of the chosen Rh
model's parameters, ``eps_max_scale`` (every class's maximum light-use efficiency times one factor), and
``eps_max_<code>`` (one CASA class's eps_max, e.g. ``eps_max_4``).

The model runs go through the pipeline's stages: the drivers are prepared once
(:func:`carbontools.pipeline.prepare`), CASA runs only when a CASA parameter changes and Rh only when an Rh
parameter changes (neither depends on the other's parameters), and a change of eps_max alone rescales an
earlier CASA result (``casa_stage(prep, reuse=...)``; NPP is linear in eps_max).

``sample_pixels=N`` runs the model on N random mapped pixels (``seed``) instead of the whole grid and
scales their area up to the mapped area: the totals are then estimates, stated in ``attrs['spatial_sample']``.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from .grid import cell_area
from .landcover import casa_class_names
from .models.nep import annual_sum, nep
from .params import ParamSet
from .pipeline import Prepared, assemble, casa_stage, prepare, rh_stage
from .units import area_total_factor

__all__ = ["UNIT", "OUTPUTS", "EPS_MAX_SCALE_SOFT", "knobs", "sweep", "sweep_table", "morris", "sobol",
           "morris_indices", "sobol_indices", "convergence", "Model"]

#: the unit of every total here (per year: mean annual totals)
UNIT = "Gg C"
#: the outputs, in this order
OUTPUTS = ("npp", "rh", "nep")
#: the range a global analysis gives ``eps_max_scale`` by default (+-20 %)
EPS_MAX_SCALE_SOFT = (0.8, 1.2)
_NAMES = {"npp": "net primary production", "rh": "soil heterotrophic respiration", "nep": "net ecosystem production"}


# --- the knobs ----------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Knob:
    """One parameter a sensitivity analysis can move: its side (``casa`` or ``rh``), default, bounds, unit."""

    name: str
    side: str
    default: float | None
    bounds: tuple | None
    soft: tuple | None
    unit: str
    doc: str

    def check(self, value) -> float:
        """``value`` as a float, or a ValueError naming the bounds."""
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{self.name} = {value!r} is not a number") from None
        if self.bounds is not None and not (self.bounds[0] <= v <= self.bounds[1]):
            raise ValueError(f"{self.name} = {v:g} is outside its bounds [{self.bounds[0]:g}, {self.bounds[1]:g}] "
                             f"({self.unit or 'no unit'}): {self.doc}")
        return v

    def overrides(self, value: float, base: ParamSet) -> dict:
        """The parameter-set fields this knob at ``value`` sets, from ``base`` (the CASA or Rh parameters)."""
        if self.name == "eps_max_scale":
            return {"eps_max": base.eps_max.scaled(value)}
        m = re.fullmatch(r"eps_max_(\d+)", self.name)
        if m:
            return {"eps_max": base.eps_max.updated({int(m.group(1)): value})}
        return {self.name: value}


def _numeric(value) -> bool:
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))


def _fields(params: ParamSet, side: str) -> dict[str, Knob]:
    out = {}
    for f in dataclasses.fields(params):
        value = getattr(params, f.name)
        if f.name == "eps_max" or not _numeric(value) or (value is None and f.metadata.get("bounds") is None):
            continue
        meta = f.metadata
        out[f.name] = Knob(f.name, side, value, meta.get("bounds"), meta.get("soft"), meta.get("unit", ""),
                           meta.get("doc", ""))
    return out


def _knobs(prep: Prepared) -> dict[str, Knob]:
    out = {**_fields(prep.casa, "casa"), **_fields(prep.rh, "rh")}
    table = prep.casa.eps_max
    meta = {f.name: f.metadata for f in dataclasses.fields(prep.casa)}["eps_max"]
    lo, hi = meta["bounds"]
    top = max(table.values())
    out["eps_max_scale"] = Knob("eps_max_scale", "casa", 1.0, (lo, hi / top if top > 0 else np.inf),
                                EPS_MAX_SCALE_SOFT, "1", "factor on every class's eps_max (bounds: every class "
                                f"stays within eps_max's [{lo:g}, {hi:g}] g C MJ-1)")
    names = casa_class_names()
    for code, value in table.items():
        out[f"eps_max_{code}"] = Knob(f"eps_max_{code}", "casa", value, meta["bounds"], meta["soft"], meta["unit"],
                                      f"eps_max of CASA class {code} ({names.get(code, '?')})")
    return out


def knobs(casa="zhu2007", rh="pei2009") -> pd.DataFrame:
    """The parameters :func:`sweep`, :func:`morris` and :func:`sobol` can move under these models, as a table."""
    prep = _bare_prepared(casa, rh)
    rows = [{"name": k.name, "side": k.side, "default": k.default, "bounds": k.bounds, "soft": k.soft,
             "unit": k.unit, "doc": k.doc} for k in _knobs(prep).values()]
    return pd.DataFrame(rows).set_index("name")


def _bare_prepared(casa, rh) -> Prepared:
    from .pipeline import split_overrides

    casa_p, rh_model, rh_p = split_overrides(casa, rh, {})
    return Prepared(xr.Dataset(), xr.DataArray(), casa_p, rh_model, rh_p)


def _resolve(prep: Prepared, names: Sequence[str]) -> list[Knob]:
    """The knobs by name, or a ValueError listing the known ones and the nearest name."""
    from .params import RH_MODELS

    known = _knobs(prep)
    out = []
    for name in names:
        if name in known:
            out.append(known[name])
            continue
        others = [m for m, v in RH_MODELS.items() if v.params is not None and m != prep.rh_model
                  and name in {f.name for f in dataclasses.fields(v.params)}]
        hint = (f"; {name} is a parameter of Rh model(s) {others}: pass rh={others[0]!r}" if others else "")
        near = difflib.get_close_matches(name, list(known), n=1)
        hint += f"; did you mean {near[0]!r}?" if near and not others else ""
        raise ValueError(f"unknown parameter {name!r} for CASA preset {prep.casa.preset!r} and Rh model "
                         f"{prep.rh_model!r}{hint} Known parameters: {', '.join(sorted(known))}")
    return out


# --- the model: regional annual totals as a function of the knobs --------------------------------

class Model:
    """Regional mean annual totals (``UNIT`` yr-1) of NPP, Rh and NEP as a function of parameter values.

    Built once per analysis: the drivers are prepared once, CASA and Rh results are cached by their own
    parameters (``cache`` entries each), eps_max-only changes reuse the CASA factors.  ``by_class=True``
    adds the totals per CASA land-cover class (dim ``landcover``).  ``sample_pixels``/``seed``: see the module.
    """

    def __init__(self, drivers_or_prepared, casa="zhu2007", rh="pei2009", *, by_class: bool = False,
                 sample_pixels: int | None = None, seed: int = 0, year: int | None = None, cache: int = 32):
        if isinstance(drivers_or_prepared, Prepared):  # its parameters, unless others are asked for
            base = drivers_or_prepared
            if casa != "zhu2007" or rh != "pei2009":
                base = base.with_parameters(casa=casa, rh=rh)
        else:
            base = prepare(drivers_or_prepared, casa, rh)
        self.by_class, self.year, self._cache_size = by_class, year, cache
        self.prep, self.area, self.spatial_sample, self.on_pixels = self._sample(base, sample_pixels, seed)
        self.full_landcover = base.landcover  # the whole grid (zones of it go onto the pixels by on_pixels)
        self.knobs = _knobs(self.prep)
        self._casa: dict[str, xr.Dataset] = {}
        self._rh: dict[str, xr.DataArray] = {}
        self.evaluations = 0
        codes = self.prep.landcover
        present = sorted(int(c) for c in np.unique(codes.values[np.isfinite(codes.values)]))
        names = casa_class_names()
        self.classes = [names.get(c, str(c)) for c in present]
        self._onehot = xr.concat([(codes == c).astype(float) for c in present],
                                 dim=pd.Index(self.classes, name="landcover", dtype=object)) if by_class else None

    @staticmethod
    def _sample(prep: Prepared, n: int | None, seed: int):
        """The prepared state on all pixels or on ``n`` random mapped ones, the cell areas they stand for, the note,
        and the function that puts a map of the full grid on those pixels (``Model.on_pixels``)."""
        area = cell_area(prep.landcover)
        mapped = prep.landcover.notnull()
        if n is None:
            return prep, area.where(mapped, 0.0), "none: every pixel of the grid", (lambda da: da)
        flat = np.flatnonzero(mapped.values.ravel())
        if not 0 < int(n) <= flat.size:
            raise ValueError(f"sample_pixels={n} must lie between 1 and the {flat.size} mapped pixels")
        pick = np.sort(np.random.default_rng(seed).choice(flat, int(n), replace=False))
        iy, ix = np.unravel_index(pick, mapped.shape)

        def take(da):
            if not {"y", "x"} <= set(da.dims):
                return da
            out = da.isel(y=xr.DataArray(iy, dims="pixel"), x=xr.DataArray(ix, dims="pixel"))
            out = out.drop_vars([c for c in ("y", "x") if c in out.coords]).rename(pixel="x").expand_dims("y", -2)
            return out.assign_coords(y=[0.0], x=np.arange(float(n)))

        drivers = xr.Dataset({k: take(v) for k, v in prep.drivers.data_vars.items()}, attrs=prep.drivers.attrs)
        sub = dataclasses.replace(prep, drivers=drivers, landcover=take(prep.landcover))
        a = take(area)
        scale = float(area.where(mapped).sum()) / float(a.sum())
        note = (f"{int(n)} random mapped pixels (seed {seed}) of {flat.size}; each stands for {scale:.4g} times "
                "its area, so the totals are estimates")
        return sub, a * scale, note, take

    def _side(self, cache: dict, key: str, compute):
        if key not in cache:
            if len(cache) >= self._cache_size:
                cache.pop(next(iter(cache)))
            cache[key] = compute()
        return cache[key]

    def prepared(self, values: Mapping[str, float]) -> Prepared:
        """The prepared state with these knob values (checked against their bounds) in force."""
        casa_over, rh_over = {}, {}
        casa_p = self.prep.casa
        for knob in _resolve(self.prep, list(values)):
            v = knob.check(values[knob.name])
            if knob.side == "casa":
                changes = knob.overrides(v, casa_p)
                casa_p = casa_p.replace(**changes)
                casa_over.update(changes)
            else:
                rh_over.update(knob.overrides(v, self.prep.rh))
        return dataclasses.replace(self.prep, casa=casa_p, rh=self.prep.rh.replace(**rh_over))

    def stages(self, values: Mapping[str, float]) -> tuple[xr.Dataset, xr.DataArray, Prepared]:
        """The CASA and Rh stage results with these knob values (each from the cache when its side is unchanged)."""
        prep = self.prepared(values)
        factors_key = json.dumps({**prep.casa.to_dict(), "eps_max": None}, sort_keys=True)
        factors = self._side(self._casa, factors_key, lambda: casa_stage(prep).compute())
        same = factors.attrs["casa_parameters"] == prep.casa.to_json()
        casa = factors if same else casa_stage(prep, reuse=factors)  # eps_max alone differs: NPP rescaled
        rh = self._side(self._rh, prep.rh.to_json(), lambda: rh_stage(prep).compute())
        self.evaluations += 1
        return casa, rh, prep

    def run(self, values: Mapping[str, float]) -> xr.Dataset:
        """The pipeline's full result (:func:`carbontools.pipeline.assemble`) with these knob values."""
        return assemble(*self.stages(values))

    def field(self, values: Mapping[str, float] | None = None) -> xr.DataArray:
        """Each pixel's share of the mean annual totals (``output``, y, x) in ``UNIT`` yr-1 with these knob values."""
        casa, rh, prep = self.stages(values or {})
        # the annual sums assemble() makes, of NPP, Rh and NEP only (assemble also sums and checks every factor,
        # three times the cost of a run): the same functions on the same valid mask
        valid = prep.landcover.notnull()
        monthly = {"npp": casa["npp"], "rh": rh, "nep": nep(casa["npp"], rh)}
        stacked = xr.concat([monthly[o] for o in OUTPUTS], dim=pd.Index(list(OUTPUTS), name="output", dtype=object))
        annual = annual_sum(stacked.where(valid).rename("totals"))
        annual = annual.sel(year=self.year) if self.year is not None else annual.mean("year")
        factor = area_total_factor("g m-2 yr-1", UNIT, "annual totals")
        return annual.fillna(0.0) * self.area * factor

    def totals(self, values: Mapping[str, float] | None = None) -> xr.DataArray:
        """Mean annual totals (``output``[, ``landcover``]) in ``UNIT`` yr-1 with these knob values."""
        field = self.field(values)
        total = field.sum(("y", "x"))
        if self.by_class:
            total = xr.concat([total.expand_dims(landcover=["all"]),
                               xr.dot(field, self._onehot, dim=("y", "x"))], dim="landcover")
        total = total.drop_vars([c for c in total.coords if c not in total.dims])
        return total.assign_attrs(units=f"{UNIT} yr-1", long_name=self.long_name)

    @property
    def long_name(self) -> str:
        years = f"year {self.year}" if self.year is not None else "mean over the complete years"
        return f"regional annual total ({years})"

    def attrs(self) -> dict:
        return {"units": f"{UNIT} yr-1", "totals": self.long_name, "casa_preset": self.prep.casa.preset,
                "rh_model": self.prep.rh_model, "urban_soils": self.prep.urban_soils,
                "spatial_sample": self.spatial_sample,
                "parameters": json.dumps({"casa": self.prep.casa.to_dict(), "rh": self.prep.rh.to_dict()}),
                "sign_convention": "NEP = NPP - Rh, positive = carbon sink"}

    def outputs(self, names: Sequence[str], X: np.ndarray) -> np.ndarray:
        """Totals for each row of ``X`` (knob values in the order of ``names``): (rows, output[, landcover])."""
        return np.stack([self.totals(dict(zip(names, row))).values for row in X])


def _model(drivers_or_model, casa, rh, **kw) -> Model:
    return drivers_or_model if isinstance(drivers_or_model, Model) else Model(drivers_or_model, casa, rh, **kw)


# --- one at a time ------------------------------------------------------------------------------

def sweep(drivers_or_prepared, casa="zhu2007", rh="pei2009", *, by_class: bool = False, year: int | None = None,
          sample_pixels: int | None = None, seed: int = 0, **values) -> xr.Dataset:
    """Regional annual totals with one parameter at a time set to each of its values, the others at default.

    ``sweep(drivers, eps_max_scale=[0.8, 1, 1.2], q10=[1.5, 2, 2.5], rh="q10")``: any knob of
    :func:`knobs` with a list of values (each within the knob's bounds).  Returns a Dataset with one
    variable ``by_<parameter>`` per swept parameter, on a dimension named by the parameter (its values) and
    ``output`` (``npp``, ``rh``, ``nep``; with ``by_class=True`` also ``landcover``: ``all`` and each CASA
    class), in ``UNIT`` yr-1; ``base`` holds the totals at the defaults.  ``ds["by_q10"].sel(output="nep").hvplot()``
    plots one; :func:`sweep_table` gives a tidy table.  ``year``: that year's totals instead of the mean
    over the complete years.
    """
    if not values:
        raise ValueError("sweep needs at least one parameter with values, e.g. sweep(drivers, eps_max_scale=[0.8, 1, 1.2]); "
                         "carbontools.sensitivity.knobs() lists them")
    model = _model(drivers_or_prepared, casa, rh, by_class=by_class, year=year, sample_pixels=sample_pixels, seed=seed)
    for knob in _resolve(model.prep, list(values)):  # every name and value checked before anything runs
        if np.ndim(values[knob.name]) != 1 or len(values[knob.name]) == 0:
            raise ValueError(f"{knob.name} needs a list of values, got {values[knob.name]!r}")
        for v in values[knob.name]:
            knob.check(v)
    out = xr.Dataset({"base": model.totals({})})
    for name, vals in values.items():
        vals = [float(v) for v in vals]
        knob = model.knobs[name]
        runs = [model.totals({name: v}) for v in vals]
        da = xr.concat(runs, dim=pd.Index(vals, name=name))
        out[f"by_{name}"] = da.assign_attrs(units=f"{UNIT} yr-1", long_name=f"regional annual totals by {name}",
                                            default=str(knob.default))
        out[name].attrs = {"units": knob.unit, "long_name": knob.doc, "default": str(knob.default)}
    out.attrs = {**model.attrs(), "method": "one at a time: each swept parameter alone, the others at their defaults",
                 "swept": json.dumps(list(values)), "evaluations": model.evaluations}
    return out


def sweep_table(result: xr.Dataset) -> pd.DataFrame:
    """A :func:`sweep` result as a tidy table: parameter, value, output[, landcover], total, base, change_pct, unit.

    ``change_pct`` is 100 (total - base) / abs(base), NaN where the base is 0 (e.g. Rh on water).
    """
    frames = []
    base = result["base"]
    for name in json.loads(result.attrs["swept"]):
        da = result[f"by_{name}"]
        df = da.rename("total").to_dataframe().reset_index().rename(columns={name: "value"})
        df = df.merge(base.rename("base").to_dataframe().reset_index(), on=[d for d in base.dims])
        df.insert(0, "parameter", name)
        frames.append(df[["parameter", "value", *base.dims, "total", "base"]])
    table = pd.concat(frames, ignore_index=True)
    table["change_pct"] = 100.0 * (table["total"] - table["base"]) / table["base"].abs().where(table["base"] != 0)
    table["unit"] = result.attrs["units"]
    table.attrs = {"totals": result.attrs["totals"], "spatial_sample": result.attrs["spatial_sample"]}
    return table


# --- global sensitivity with SALib --------------------------------------------------------------

def _problem(names: Sequence[str], bounds: Sequence[tuple]) -> dict:
    return {"num_vars": len(names), "names": list(names), "bounds": [list(map(float, b)) for b in bounds]}


def _vectorise(func: Callable, X: np.ndarray) -> np.ndarray:
    Y = np.asarray(func(X), dtype=float)
    if Y.shape[0] != X.shape[0]:
        raise ValueError(f"the function returned {Y.shape[0]} rows for {X.shape[0]} samples")
    return Y.reshape(X.shape[0], -1)


def sobol_indices(func: Callable[[np.ndarray], np.ndarray], names: Sequence[str], bounds: Sequence[tuple],
                  n: int = 256, *, seed: int = 0, conf_level: float = 0.95, num_resamples: int = 200,
                  output_coords: Mapping | None = None) -> xr.Dataset:
    """Sobol first-order (S1) and total-order (ST) indices of ``func`` with their confidence intervals (SALib).

    ``func`` maps a (samples, parameters) array of values to outputs of shape (samples,) or (samples, k).
    Saltelli's sampling (SALib ``sample.sobol``, ``n`` a power of 2; ``n * (parameters + 2)`` evaluations)
    and Jansen/Saltelli estimators (SALib ``analyze.sobol``, no second order); ``S1_conf`` and ``ST_conf`` are the
    half-widths of the ``conf_level`` bootstrap intervals.  Returns a Dataset on ``parameter`` and the outputs' dims.
    """
    from SALib.analyze import sobol as analyze
    from SALib.sample import sobol as sample

    problem = _problem(names, bounds)
    X = sample.sample(problem, n, calc_second_order=False, seed=seed)
    Y = _vectorise(func, X)
    stats = {k: [] for k in ("S1", "S1_conf", "ST", "ST_conf")}
    for j in range(Y.shape[1]):
        y = Y[:, j]
        if np.ptp(y) == 0:  # an output no parameter moves: no variance to share out
            r = {k: np.zeros(len(names)) for k in stats}
        else:
            r = analyze.analyze(problem, y, calc_second_order=False, num_resamples=num_resamples,
                                conf_level=conf_level, seed=seed)
        for k in stats:
            stats[k].append(np.asarray(r[k], dtype=float))
    return _indices(stats, names, Y, output_coords, {
        "method": "Sobol (SALib: Saltelli sampling, sample.sobol; analyze.sobol without second order)",
        "n": n, "evaluations": X.shape[0], "conf_level": conf_level, "num_resamples": num_resamples, "seed": seed,
        "ranges": _ranges_json(names, problem["bounds"])})


def morris_indices(func: Callable[[np.ndarray], np.ndarray], names: Sequence[str], bounds: Sequence[tuple],
                   trajectories: int = 20, *, num_levels: int = 4, seed: int = 0, conf_level: float = 0.95,
                   output_coords: Mapping | None = None) -> xr.Dataset:
    """Morris elementary effects of ``func`` (SALib): mu, mu_star (mean absolute effect), sigma, mu_star_conf.

    ``trajectories * (parameters + 1)`` evaluations on a ``num_levels`` grid; effects are in the outputs'
    unit per the full range of each parameter (SALib scales the inputs to [0, 1]).
    """
    from SALib.analyze import morris as analyze
    from SALib.sample import morris as sample

    problem = _problem(names, bounds)
    X = sample.sample(problem, trajectories, num_levels=num_levels, seed=seed)
    Y = _vectorise(func, X)
    stats = {k: [] for k in ("mu", "mu_star", "sigma", "mu_star_conf")}
    for j in range(Y.shape[1]):
        r = analyze.analyze(problem, X, Y[:, j], num_levels=num_levels, conf_level=conf_level, seed=seed)
        for k in stats:
            stats[k].append(np.asarray(r[k], dtype=float))
    return _indices(stats, names, Y, output_coords, {
        "method": "Morris elementary effects (SALib sample.morris, analyze.morris)", "trajectories": trajectories,
        "num_levels": num_levels, "evaluations": X.shape[0], "conf_level": conf_level, "seed": seed,
        "ranges": _ranges_json(names, problem["bounds"])})


def _ranges_json(names, bounds) -> str:
    return json.dumps({name: [float(f"{v:.10g}") for v in b] for name, b in zip(names, bounds)})


def _indices(stats: dict, names, Y: np.ndarray, output_coords: Mapping | None, attrs: dict) -> xr.Dataset:
    """Per-output index arrays -> a Dataset on (parameter, *outputs) (the flattened outputs reshaped)."""
    coords = dict(output_coords or {"output": np.arange(Y.shape[1])})
    shape = [len(v) for v in coords.values()]
    data = {}
    for k, per_output in stats.items():
        arr = np.stack(per_output, axis=-1).reshape(len(names), *shape)  # (parameter, outputs...)
        data[k] = (("parameter", *coords), arr)
    return xr.Dataset(data, coords={"parameter": list(names), **coords}, attrs=attrs)


def _ranges(model: Model, names: Sequence[str], ranges: Mapping | None, relative: float | None) -> list[tuple]:
    """The range of each knob: given, or +-``relative`` of its default, else its soft range; all within bounds."""
    out = []
    for knob in _resolve(model.prep, names):
        given = (ranges or {}).get(knob.name)
        if given is not None:
            lo, hi = (knob.check(v) for v in given)
        elif relative is not None and knob.default not in (None, 0):
            d = abs(float(knob.default))
            lo, hi = float(knob.default) - relative * d, float(knob.default) + relative * d
            if knob.bounds is not None:
                lo, hi = max(lo, knob.bounds[0]), min(hi, knob.bounds[1])
        elif knob.soft is not None:
            lo, hi = knob.soft
        else:
            raise ValueError(f"{knob.name} has no bounds to take a range from; give ranges={{{knob.name!r}: (low, high)}}")
        if not lo < hi:
            raise ValueError(f"the range of {knob.name} must have low < high, got ({lo:g}, {hi:g})")
        out.append((float(lo), float(hi)))
    return out


def _global(kind: str, drivers_or_model, params, casa, rh, ranges, relative, by_class, sample_pixels, seed, year,
            **kw) -> xr.Dataset:
    if not params:
        raise ValueError(f"{kind} needs parameters, e.g. params=['eps_max_scale', 'b', 'te2_c']; "
                         "carbontools.sensitivity.knobs() lists them")
    model = _model(drivers_or_model, casa, rh, by_class=by_class, sample_pixels=sample_pixels, seed=seed, year=year)
    names = list(params)
    bounds = _ranges(model, names, ranges, relative)
    base = model.totals({})
    coords = {d: base[d].values for d in base.dims}
    func = (lambda X: model.outputs(names, X))
    run = sobol_indices if kind == "sobol" else morris_indices
    out = run(func, names, bounds, seed=seed, output_coords=coords, **kw)
    out["base"] = base
    attrs = model.attrs()
    attrs.pop("units")
    out.attrs.update(attrs, output_units=f"{UNIT} yr-1")
    return out


def sobol(drivers_or_model, params: Sequence[str], casa="zhu2007", rh="pei2009", *, n: int = 64,
          ranges: Mapping | None = None, relative: float | None = None, by_class: bool = False,
          sample_pixels: int | None = None, seed: int = 0, year: int | None = None,
          conf_level: float = 0.95) -> xr.Dataset:
    """Sobol indices (S1, ST, S1_conf, ST_conf) of the regional annual NPP, Rh and NEP to ``params``.

    ``ranges``: ``{name: (low, high)}`` for some parameters; others get +-``relative`` (a share of the
    default) if given, else their soft range (:func:`knobs`).  ``n`` base samples (a power of 2):
    ``n * (len(params) + 2)`` model runs.  Returns a Dataset on (``parameter``, ``output``[, ``landcover``])
    with ``base`` (the totals at the defaults) and attrs stating the method, ranges, sample size and
    spatial sample.  Indices near 0 may come out slightly negative, and first-order ones of weak parameters
    noisy: read them with their confidence intervals and check with :func:`convergence`.
    """
    return _global("sobol", drivers_or_model, params, casa, rh, ranges, relative, by_class, sample_pixels, seed,
                   year, n=n, conf_level=conf_level)


def morris(drivers_or_model, params: Sequence[str], casa="zhu2007", rh="pei2009", *, trajectories: int = 10,
           num_levels: int = 4, ranges: Mapping | None = None, relative: float | None = None,
           by_class: bool = False, sample_pixels: int | None = None, seed: int = 0,
           year: int | None = None) -> xr.Dataset:
    """Morris screening (mu, mu_star, sigma, mu_star_conf) of the regional annual NPP, Rh and NEP to ``params``.

    ``trajectories * (len(params) + 1)`` model runs; effects in Gg C yr-1 per each parameter's full range
    (ranges as in :func:`sobol`).  A large mu_star matters; a large sigma against mu_star means
    non-linear or interacting.
    """
    return _global("morris", drivers_or_model, params, casa, rh, ranges, relative, by_class, sample_pixels, seed,
                   year, trajectories=trajectories, num_levels=num_levels)


def convergence(analysis: Callable[..., xr.Dataset], sizes: Sequence[int], *args, size_arg: str = "n",
                **kwargs) -> xr.Dataset:
    """An analysis repeated over sample sizes, concatenated on a dimension named ``size_arg``.

    ``convergence(sobol, [16, 32, 64], model, ["eps_max_scale", "b"])`` (pass a :class:`Model` so the drivers
    are prepared once), ``convergence(sobol_indices, [64, 256], func, names, bounds)``, or with
    ``morris``/``morris_indices`` and ``size_arg="trajectories"``.  Indices that still move between the
    last sizes, or whose intervals do not shrink, need a larger sample.
    """
    runs = [analysis(*args, **{size_arg: int(s)}, **kwargs) for s in sizes]
    out = xr.concat(runs, dim=pd.Index([int(s) for s in sizes], name=size_arg), combine_attrs="drop_conflicts")
    out.attrs.pop("evaluations", None)
    out.attrs.pop(size_arg, None)
    return out
