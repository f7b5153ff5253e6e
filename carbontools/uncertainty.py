"""How sure are the totals? 95 % intervals of regional and per-class NEP, NPP, Rh, storage and offsets.

Carbon accounting standards ask for the uncertainty of reported totals by the IPCC 2006 Guidelines,
Volume 1, Chapter 3.  Both of its approaches are here:

- **Approach 1, error propagation** (Eqs. 3.1 and 3.2).  Uncertainties are half the 95 % interval in
  percent of the value, U.  A product of independent quantities has U = sqrt(U1^2 + U2^2 + ...) (Eq. 3.1);
  a sum has U = sqrt((U1 x1)^2 + (U2 x2)^2 + ...) / abs(x1 + x2 + ...) (Eq. 3.2).  It is exact for sums of
  independent normal quantities and a first-order approximation otherwise (the Guidelines accept it while
  the uncertainties stay below about 50-100 %; above that prefer Approach 2).
  :func:`storage_approach1` applies it to storage totals (sum over classes of area x density, the density
  the sum of the class's four pools, each with the standard error of the pool table's ``<pool>_se``).
- **Approach 2, Monte Carlo**: draw the uncertain inputs, recompute the totals, report the 2.5 and 97.5
  percentiles.  :func:`monte_carlo` does it for the model's annual NPP, Rh and NEP over parameter
  distributions (through :class:`carbontools.sensitivity.Model`, so the drivers are prepared once and a
  CASA result is reused where only Rh or eps_max move); :func:`storage_monte_carlo` over the pool tables'
  standard errors; :func:`offset_interval` for the offset ratio with uncertain emissions too.

Parameter distributions (``distributions={name: spec}``; names as :func:`carbontools.sensitivity.knobs`):
``("uniform", low, high)``, ``("normal", mean, sd)``, ``("triangular", low, mode, high)``,
``("lognormal", mean, sd)`` (mean and standard deviation of the parameter itself, not of its log) or a frozen
``scipy.stats`` distribution.  A parameter named in ``params`` without a distribution is **uniform over
its soft range** (the plausible range of :mod:`carbontools.params`, ``_p(..., soft=)``), or over +-``relative``
of its default when ``relative`` is given.  A bounded distribution must lie within the parameter's hard
bounds; an unbounded one (normal, lognormal) may put at most 1 % of its mass outside them and is then
drawn truncated to them (the mass cut off is stated).  Draws are independent between parameters and come
from ``numpy.random.default_rng(seed)``: the same seed gives the same draws.

:func:`nep_interval` is the cheap call for "the interval beside each total" (a dashboard): a small Monte
Carlo on a spatial sample of the pixels, returning region, mean, low, high.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats

from . import sensitivity
from .budget import offset
from .grid import cell_area
from .models import storage as st
from .models.storage import POOLS, Z95
from .sensitivity import UNIT, Model

__all__ = ["DISTRIBUTIONS", "STATS", "draw_parameters", "monte_carlo", "interval_table", "nep_interval",
           "default_params", "storage_approach1", "storage_monte_carlo", "offset_interval", "Z95"]

#: distribution names a parameter can be given
DISTRIBUTIONS = {"uniform": "(low, high)", "normal": "(mean, sd)", "triangular": "(low, mode, high)",
                 "lognormal": "(mean, sd) of the value itself"}
#: the statistics of every summary, in this order
STATS = ("mean", "median", "p2.5", "p97.5")
#: most of an unbounded distribution's mass that may lie outside a parameter's bounds (then cut off)
MAX_MASS_OUTSIDE = 0.01
#: Rh parameters that are conventions or reference points, not uncertain quantities (left out by default)
_NOT_UNCERTAIN = {"t_ref", "t0", "days_per_month"}


# --- distributions ------------------------------------------------------------------------------

def _frozen(name: str, spec):
    """``spec`` as a frozen scipy distribution and a description, or a ValueError naming ``name``."""
    if hasattr(spec, "ppf") and hasattr(spec, "cdf") and hasattr(spec, "support"):
        return spec, f"scipy.stats {getattr(spec.dist, 'name', 'distribution')} {spec.args} {spec.kwds}"
    if not isinstance(spec, (tuple, list)) or not spec or not isinstance(spec[0], str):
        raise ValueError(f"distribution of {name}: give (name, numbers...), e.g. ('normal', mean, sd), or a frozen "
                         f"scipy.stats distribution; got {spec!r}. Names: {DISTRIBUTIONS}")
    kind, *args = spec
    if kind not in DISTRIBUTIONS:
        raise ValueError(f"distribution of {name}: unknown distribution {kind!r}; known: "
                         + ", ".join(f"{k} {v}" for k, v in DISTRIBUTIONS.items()))
    want = DISTRIBUTIONS[kind].count(",") + 1
    if len(args) != want:
        raise ValueError(f"distribution of {name}: {kind} takes {want} numbers {DISTRIBUTIONS[kind]}, got {args}")
    try:
        a = [float(v) for v in args]
    except (TypeError, ValueError):
        raise ValueError(f"distribution of {name}: {kind} takes numbers {DISTRIBUTIONS[kind]}, got {args}") from None
    if not all(np.isfinite(a)):
        raise ValueError(f"distribution of {name}: {kind}{tuple(a)} has a non-finite number")
    text = f"{kind}{tuple(a)}"
    if kind == "uniform":
        lo, hi = a
        if not lo < hi:
            raise ValueError(f"distribution of {name}: uniform needs low < high, got {text}")
        return stats.uniform(lo, hi - lo), text
    if kind == "triangular":
        lo, mode, hi = a
        if not (lo < hi and lo <= mode <= hi):
            raise ValueError(f"distribution of {name}: triangular needs low <= mode <= high and low < high, got {text}")
        return stats.triang((mode - lo) / (hi - lo), loc=lo, scale=hi - lo), text
    mean, sd = a
    if not sd > 0:
        raise ValueError(f"distribution of {name}: {kind} needs sd > 0, got {text}")
    if kind == "normal":
        return stats.norm(mean, sd), text
    if not mean > 0:
        raise ValueError(f"distribution of {name}: lognormal needs mean > 0 (a positive quantity), got {text}")
    s2 = np.log1p((sd / mean) ** 2)
    return stats.lognorm(s=np.sqrt(s2), scale=mean * np.exp(-s2 / 2)), text


def _truncation(knob, dist, text: str) -> tuple[float, float, str]:
    """The cdf limits to draw ``dist`` within the knob's bounds, and a note; a ValueError if it reaches out too far."""
    if knob.bounds is None:
        return 0.0, 1.0, text
    blo, bhi = (float(b) for b in knob.bounds)
    slo, shi = dist.support()
    bounded = np.isfinite(slo) and np.isfinite(shi)
    if bounded and (slo < blo - 1e-12 or shi > bhi + 1e-12):
        raise ValueError(f"distribution of {knob.name}: {text} reaches outside the parameter's bounds "
                         f"[{blo:g}, {bhi:g}] ({knob.unit or 'no unit'}: {knob.doc}); keep it within them")
    flo, fhi = float(dist.cdf(blo)), float(dist.cdf(bhi))
    outside = flo + (1.0 - fhi)
    if outside > MAX_MASS_OUTSIDE:
        raise ValueError(f"distribution of {knob.name}: {text} puts {100 * outside:.1f} % of its mass outside the "
                         f"parameter's bounds [{blo:g}, {bhi:g}] (at most {100 * MAX_MASS_OUTSIDE:g} % may be cut "
                         "off); narrow it or move it inside them")
    if outside > 0:
        text += f", truncated to [{blo:g}, {bhi:g}] ({100 * outside:.3g} % of its mass cut off)"
    return flo, fhi, text


def default_params(model: Model) -> list[str]:
    """The parameters :func:`nep_interval` varies by default: ``eps_max_scale`` and the Rh model's parameters
    with a soft range (its reference temperatures and month length left out: conventions, not uncertain)."""
    return ["eps_max_scale"] + [k.name for k in model.knobs.values()
                                if k.side == "rh" and k.soft is not None and k.default is not None
                                and k.name not in _NOT_UNCERTAIN]


def draw_parameters(model: Model, distributions: Mapping | None = None, params: Sequence[str] | None = None,
                    n: int = 200, *, seed: int = 0, relative: float | None = None) -> pd.DataFrame:
    """``n`` random parameter sets (rows ``draw``, a column per parameter) and what each was drawn from.

    ``distributions``: ``{name: spec}`` (see the module); ``params``: more names, each uniform over its soft
    range or +-``relative`` of its default.  ``attrs['sampled']`` maps each name to its distribution.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n = {n!r}: a Monte Carlo needs an integer number of draws n >= 2 (intervals need "
                         "hundreds to thousands)")
    distributions = dict(distributions or {})
    extra = [p for p in (params or []) if p not in distributions]
    if not distributions and not extra:
        raise ValueError("give distributions={name: ('normal', mean, sd), ...} or params=[names] (uniform over their "
                         "soft ranges); carbontools.sensitivity.knobs() lists the names")
    names = list(distributions) + extra
    knobs = sensitivity._resolve(model.prep, names)  # unknown names: an error listing the known ones
    specs = dict(distributions)
    if extra:
        for name, (lo, hi) in zip(extra, sensitivity._ranges(model, extra, None, relative)):
            specs[name] = ("uniform", lo, hi)
    rng = np.random.default_rng(seed)
    columns, sampled = {}, {}
    for knob in knobs:
        dist, text = _frozen(knob.name, specs[knob.name])
        if knob.name in extra:
            text += (f" (default: +-{relative:g} of the default)" if relative is not None
                     else " (default: the parameter's soft range)")
        flo, fhi, text = _truncation(knob, dist, text)
        u = rng.uniform(flo, fhi, int(n))
        columns[knob.name] = np.asarray(dist.ppf(u), dtype=float)
        sampled[knob.name] = text
    out = pd.DataFrame(columns, index=pd.RangeIndex(int(n), name="draw"))
    out.attrs = {"sampled": sampled, "seed": seed, "n": int(n)}
    return out


# --- Monte Carlo of the model's totals ----------------------------------------------------------

def _summary(draws: xr.DataArray) -> xr.DataArray:
    """mean, median, 2.5 and 97.5 percentiles over ``draw``, on a ``stat`` dimension."""
    v = draws.values
    axis = draws.dims.index("draw")
    parts = [np.mean(v, axis=axis), np.median(v, axis=axis), *np.percentile(v, [2.5, 97.5], axis=axis)]
    dims = [d for d in draws.dims if d != "draw"]
    coords = {d: draws[d].values for d in dims}
    return xr.DataArray(np.stack(parts), dims=("stat", *dims), coords={"stat": list(STATS), **coords},
                        attrs=draws.attrs)


def _zone_weights(zones, like: xr.DataArray, name_column: str) -> xr.DataArray:
    """Zones (as :func:`carbontools.accounting.zonal_totals` takes them: a code map, (zone, y, x) shares or
    polygons) as cell weights (region, y, x) on ``like``'s grid."""
    from .accounting import _zoning

    w, _, _ = _zoning(zones, like, None, name_column)
    w = w.assign_coords(y=like["y"], x=like["x"]).fillna(0.0)
    return w.rename(zone="region").assign_coords(region=[str(r) for r in w["zone"].values])


def monte_carlo(drivers_or_model, distributions: Mapping | None = None, *, params: Sequence[str] | None = None,
                relative: float | None = None, n: int = 200, seed: int = 0, zones=None, by_class: bool = True,
                casa="zhu2007", rh="pei2009", sample_pixels: int | None = None, year: int | None = None,
                name_column: str = "name") -> xr.Dataset:
    """IPCC Approach 2 for the regional annual NPP, Rh and NEP (``UNIT`` yr-1): ``n`` model runs with random parameters.

    ``drivers_or_model``: drivers (or :func:`carbontools.pipeline.prepare`'s result) or a
    :class:`carbontools.sensitivity.Model` (then ``by_class``, ``sample_pixels`` and ``year`` are the model's).
    ``distributions``/``params``/``relative``/``seed``: see the module and :func:`draw_parameters`.
    ``zones``: regions as :func:`carbontools.accounting.zonal_totals` takes them (code map, shares or polygons).

    Returns a Dataset with ``parameters`` (draw, parameter), ``class_draws`` (draw, output, landcover: ``all``
    and each CASA class present) and ``class_summary`` (stat, output, landcover; ``STATS``), with zones also
    ``region_draws`` and ``region_summary`` (region: ``all`` and each zone); attrs say what was sampled (from
    which distribution), n, seed, the spatial sample and the method.  :func:`interval_table` makes it a table.
    """
    model = (drivers_or_model if isinstance(drivers_or_model, Model)
             else Model(drivers_or_model, casa, rh, by_class=by_class, sample_pixels=sample_pixels, seed=seed,
                        year=year))
    draws = draw_parameters(model, distributions, params, n, seed=seed, relative=relative)
    codes = model.prep.landcover
    present = sorted(int(c) for c in np.unique(codes.values[np.isfinite(codes.values)]))
    onehot = xr.concat([(codes == c).astype(float) for c in present], dim="landcover")
    weights = None
    if zones is not None:
        weights = model.on_pixels(_zone_weights(zones, model.full_landcover, name_column))
        weights = weights.assign_coords(y=codes["y"], x=codes["x"])
    per_class, per_region = [], []
    names = list(draws.columns)
    for row in draws.itertuples(index=False):
        field = model.field(dict(zip(names, row)))
        total = field.sum(("y", "x")).values
        per_class.append(np.concatenate([total[:, None], xr.dot(field, onehot, dim=("y", "x")).values], axis=1))
        if weights is not None:
            per_region.append(np.concatenate([total[:, None], xr.dot(field, weights, dim=("y", "x"))
                                              .transpose("output", "region").values], axis=1))
    units = {"units": f"{UNIT} yr-1"}
    outputs = list(sensitivity.OUTPUTS)
    out = xr.Dataset({"parameters": (("draw", "parameter"), draws.to_numpy())},
                     coords={"draw": np.arange(len(draws)), "parameter": names})
    out["class_draws"] = xr.DataArray(np.stack(per_class), dims=("draw", "output", "landcover"),
                                      coords={"output": outputs, "landcover": ["all", *model.classes]}, attrs=units)
    out["class_summary"] = _summary(out["class_draws"])
    if weights is not None:
        out["region_draws"] = xr.DataArray(np.stack(per_region), dims=("draw", "output", "region"),
                                           coords={"output": outputs,
                                                   "region": ["all", *[str(r) for r in weights["region"].values]]},
                                           attrs=units)
        out["region_summary"] = _summary(out["region_draws"])
    attrs = model.attrs()
    attrs.update(method="IPCC 2006 Vol. 1 Ch. 3 Approach 2 (Monte Carlo): independent random draws of the "
                        "parameters, the model's regional annual totals for each; interval = 2.5 to 97.5 percentiles",
                 sampled=json.dumps(draws.attrs["sampled"]), n=int(n), seed=seed,
                 not_sampled="every other parameter at its value in the model; drivers and land cover as given")
    out.attrs = attrs
    return out


def interval_table(result: xr.Dataset, output: str | None = "nep") -> pd.DataFrame:
    """A :func:`monte_carlo` or :func:`storage_monte_carlo` result as a tidy table of intervals.

    Rows by (kind, name[, output]): kind ``landcover`` or ``region``; columns mean, median, low (2.5 %),
    high (97.5 %), u95_pct (half the interval in % of abs(mean), IPCC's form), n, unit.
    """
    def stat_table(summary: xr.DataArray) -> pd.DataFrame:
        if output is not None and "output" in summary.dims:
            summary = summary.sel(output=output, drop=True)
        df = summary.drop_vars([c for c in summary.coords if c not in summary.dims]).to_dataframe(name="v")["v"]
        return df.unstack("stat")[list(STATS)].rename(columns={"p2.5": "low", "p97.5": "high"})

    if "summary" in result:  # storage: (region, landcover)
        table = stat_table(result["summary"])
    else:
        frames = {kind: stat_table(result[var]).rename_axis("name")
                  for kind, var in (("landcover", "class_summary"), ("region", "region_summary")) if var in result}
        table = pd.concat(frames, names=["kind"])
    table.columns.name = None
    table["u95_pct"] = 100.0 * (table["high"] - table["low"]) / 2.0 / table["mean"].abs().where(table["mean"] != 0)
    table["n"] = int(result.attrs["n"])
    table["unit"] = next(result[v].attrs.get("units") for v in ("class_summary", "region_summary", "draws")
                         if v in result)
    table.attrs = {k: result.attrs[k] for k in ("method", "sampled", "seed", "spatial_sample") if k in result.attrs}
    return table


def nep_interval(model_or_drivers, zones=None, *, n: int = 100, sample_pixels: int | None = 1000, seed: int = 0,
                 distributions: Mapping | None = None, params: Sequence[str] | None = None, relative: float = 0.2,
                 output: str = "nep", casa="zhu2007", rh="pei2009", name_column: str = "name") -> pd.DataFrame:
    """The 95 % interval beside each regional total: a table (region, mean, low, high, unit), cheaply.

    A :func:`monte_carlo` of ``n`` runs on ``sample_pixels`` random pixels (all when the region has fewer,
    or ``None``; a :class:`~carbontools.sensitivity.Model` keeps its own sample).  Without ``distributions``
    and ``params`` it varies :func:`default_params` (eps_max and the Rh model's parameters) uniformly over
    +-``relative`` (20 %) of their defaults.  Rows: ``all`` and each zone of ``zones``.  The sampling of
    pixels and parameters is in ``attrs``; the means are estimates from the sampled pixels.
    """
    if isinstance(model_or_drivers, Model):
        model = model_or_drivers
    else:
        from .pipeline import Prepared, prepare

        prep = model_or_drivers if isinstance(model_or_drivers, Prepared) else prepare(model_or_drivers, casa, rh)
        mapped = int(prep.landcover.notnull().sum())
        take = None if sample_pixels is None or sample_pixels >= mapped else int(sample_pixels)
        model = Model(prep, by_class=False, sample_pixels=take, seed=seed)
    if distributions is None and params is None:
        params = default_params(model)
    result = monte_carlo(model, distributions, params=params, relative=relative, n=n, seed=seed, zones=zones,
                         name_column=name_column)
    var = "region_summary" if zones is not None else "class_summary"
    s = result[var].sel(output=output)
    s = s.sel(landcover=["all"]).rename(landcover="region") if var == "class_summary" else s
    table = s.to_dataframe(name="v")["v"].unstack("stat")
    table = table.rename(columns={"p2.5": "low", "p97.5": "high"})[["mean", "median", "low", "high"]]
    table.index.name, table.columns.name = "region", None
    table["unit"] = f"{UNIT} yr-1"
    table.attrs = {"output": output, **{k: result.attrs[k] for k in ("method", "sampled", "n", "seed", "spatial_sample")}}
    return table


# --- storage ------------------------------------------------------------------------------------

def _class_areas(landcover: xr.DataArray, table: pd.DataFrame, zones, name_column: str) -> pd.DataFrame:
    """Area (ha) of each pool-table class in each region (rows ``all`` then the zones), from a class map or
    class fractions (class, y, x)."""
    area_ha = cell_area(landcover) / 1e4
    if "class" in landcover.dims:
        st._check_fractions(landcover, table.index, "landcover fractions", "carbon pool table")
        codes = [int(c) for c in landcover["class"].values if bool((landcover.sel({"class": c}) > 0).any())]
        layer = {c: landcover.sel({"class": c}).fillna(0.0).drop_vars("class") for c in codes}
        grid = landcover.isel({"class": 0})
    else:
        nodata = st._class_codes(landcover, table, "landcover")
        codes = sorted({int(c) for c in np.unique(landcover.values[np.isfinite(landcover.values)])} - set(nodata))
        layer = {c: (landcover == c).astype(float) for c in codes}
        grid = landcover
    regions = {"all": xr.ones_like(grid, dtype=float)}
    if zones is not None:
        w = _zone_weights(zones, grid, name_column)
        regions.update({str(r): w.sel(region=r, drop=True) for r in w["region"].values})
    rows = {name: {c: float((layer[c] * area_ha * reg).sum()) for c in codes} for name, reg in regions.items()}
    out = pd.DataFrame(rows).T
    out.index.name, out.columns.name = "region", "code"
    return out


def _densities(table: pd.DataFrame):
    """Per class: pools (Mg C ha-1), their standard errors (NaN: none) and the table's note."""
    se = st.pool_standard_errors(table)
    return table[list(POOLS)].astype(float), se


def storage_approach1(landcover: xr.DataArray, pools: pd.DataFrame | None = None, zones=None, *,
                      area_u95_pct: float = 0.0, name_column: str = "name") -> pd.DataFrame:
    """IPCC Approach 1 for carbon storage totals: each total (Mg C) with its 95 % half-width, absolute and in %.

    Total of a region = sum over classes of area x density, density = sum of the class's four pools.  Each
    pool's standard error comes from the table's ``<pool>_se`` (:func:`carbontools.models.storage.read_pools`);
    pools and classes are taken as independent, so the half-width of a class density is
    Z95 sqrt(sum of its pools' se^2) (Eq. 3.2), of area x density sqrt(U_area^2 + U_density^2) (Eq. 3.1,
    ``area_u95_pct`` the area's U, default 0: areas exact) and of the region's sum sqrt(sum of the classes'
    squared half-widths) (Eq. 3.2).  A pool with a stock but no standard error counts as exact:
    ``without_uncertainty_pct`` is the share of the total it holds, and a table without any ``<pool>_se``
    gives no interval (NaN), said in ``attrs['note']``.

    ``landcover``: a class map of the table's scheme or class fractions (class, y, x); ``zones`` as
    :func:`carbontools.accounting.zonal_totals` takes them.  Rows (region, landcover): ``all`` and each zone,
    each with ``all`` and each class present; columns area_ha, storage, se, half_width, u95_pct, low, high
    (Mg C) and without_uncertainty_pct.
    """
    table = st.read_pools() if pools is None else pools
    if not np.isfinite(area_u95_pct) or area_u95_pct < 0:
        raise ValueError(f"area_u95_pct = {area_u95_pct!r}: the areas' uncertainty (half the 95 % interval, %) is >= 0")
    areas = _class_areas(landcover, table, zones, name_column)
    dens, se = _densities(table)
    names = table["name"] if "name" in table.columns else pd.Series(table.index.astype(str), table.index)
    rows = []
    for region, a in areas.iterrows():
        total = var = unknown = 0.0
        for code, ha in a.items():
            d = dens.loc[code]
            s = se.loc[code]
            known = s.notna() | (d == 0)
            stock = ha * float(d.sum())
            dse = float(np.sqrt((s.fillna(0.0) ** 2).sum()))
            # Eq. 3.1 on area x density: relative U's add in quadrature; in absolute terms (T U_a)^2 + (a h_D)^2
            cls_var = (ha * dse) ** 2 + (stock * area_u95_pct / 100.0 / Z95) ** 2
            lost = ha * float(d[~known].sum())
            rows.append(_row(region, str(names.get(code, code)), ha, stock, cls_var, lost,
                             bool((s.notna() & (d > 0)).any() or stock == 0)))
            total, var, unknown = total + stock, var + cls_var, unknown + lost
        rows.append(_row(region, "all", float(a.sum()), total, var, unknown, bool(se.notna().to_numpy().any())))
    out = pd.DataFrame(rows).set_index(["region", "landcover"])
    order = ["all", *[str(names.get(c, c)) for c in areas.columns]]
    out = out.reindex(pd.MultiIndex.from_product([list(areas.index), order], names=["region", "landcover"]))
    out.attrs = {"units": "Mg C", "method": "IPCC 2006 Vol. 1 Ch. 3 Approach 1 (Eqs. 3.1, 3.2): pools, classes and "
                 "areas independent; half_width = 1.96 x se", "pools_source": table.attrs.get("source", ""),
                 "area_u95_pct": area_u95_pct, "note": st.pool_standard_errors(table).attrs["note"]}
    if any(f"{p}_se" in table.columns for p in POOLS) and float(out["without_uncertainty_pct"].max()) > 0:
        warnings.warn(f"some carbon pools have a stock but no standard error ({table.attrs.get('source', 'table')}); "
                      f"they count as exact: up to {float(out['without_uncertainty_pct'].max()):.1f} % of a total "
                      "(column without_uncertainty_pct)", UserWarning, stacklevel=2)
    return out


def _row(region, cls, ha, stock, var, lost, any_se) -> dict:
    se = float(np.sqrt(var)) if any_se else np.nan
    half = Z95 * se
    return {"region": region, "landcover": cls, "area_ha": ha, "storage": stock, "se": se, "half_width": half,
            "u95_pct": 100.0 * half / abs(stock) if stock else (0.0 if any_se else np.nan),
            "low": stock - half, "high": stock + half,
            "without_uncertainty_pct": 100.0 * lost / stock if stock else 0.0}


def storage_monte_carlo(landcover: xr.DataArray, pools: pd.DataFrame | None = None, zones=None, *, n: int = 10000,
                        seed: int = 0, distribution: str = "normal", area_u95_pct: float = 0.0,
                        name_column: str = "name") -> xr.Dataset:
    """IPCC Approach 2 for carbon storage totals (Mg C): ``n`` draws of every pool density from its standard error.

    Each (class, pool) with a standard error is drawn independently, ``distribution="normal"`` (mean the
    table's value; the same assumptions as :func:`storage_approach1`, so the two agree on this linear total) or
    ``"lognormal"`` (same mean and standard deviation, never negative: better for large uncertainties); pools
    without one stay at their value.  The same class density serves every region in a draw.  ``area_u95_pct``:
    each region's class areas are scaled by an independent normal factor of that uncertainty.

    Returns a Dataset with ``draws`` (draw, region, landcover: ``all`` and each class) and ``summary``
    (stat, region, landcover); attrs n, seed, distribution, method.  :func:`interval_table` makes it a table.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n = {n!r}: a Monte Carlo needs an integer number of draws n >= 2")
    if distribution not in ("normal", "lognormal"):
        raise ValueError(f"distribution={distribution!r}: give 'normal' or 'lognormal'")
    table = st.read_pools() if pools is None else pools
    areas = _class_areas(landcover, table, zones, name_column)
    dens, se = _densities(table)
    codes = list(areas.columns)
    rng = np.random.default_rng(seed)
    d = dens.loc[codes].to_numpy()  # (class, pool)
    s = se.loc[codes].fillna(0.0).to_numpy()
    if distribution == "normal":
        draws = d + s * rng.standard_normal((n, *d.shape))
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            s2 = np.where(d > 0, np.log1p((s / np.where(d > 0, d, 1.0)) ** 2), 0.0)
        z = rng.standard_normal((n, *d.shape))
        draws = np.where(d > 0, d * np.exp(np.sqrt(s2) * z - s2 / 2), 0.0)
    density = draws.sum(axis=2)  # (draw, class)
    a = areas.to_numpy()  # (region, class)
    if area_u95_pct:
        a = a[None] * (1.0 + area_u95_pct / 100.0 / Z95 * rng.standard_normal((n, *a.shape)))
    else:
        a = np.broadcast_to(a, (n, *a.shape))
    per_class = a * density[:, None, :]  # (draw, region, class)
    names = table["name"] if "name" in table.columns else pd.Series(table.index.astype(str), table.index)
    values = np.concatenate([per_class.sum(axis=2, keepdims=True), per_class], axis=2)
    out = xr.Dataset({"draws": xr.DataArray(values, dims=("draw", "region", "landcover"),
                                            coords={"draw": np.arange(n), "region": list(areas.index),
                                                    "landcover": ["all", *[str(names.get(c, c)) for c in codes]]},
                                            attrs={"units": "Mg C"})})
    out["summary"] = _summary(out["draws"])
    out.attrs = {"method": "IPCC 2006 Vol. 1 Ch. 3 Approach 2 (Monte Carlo) of area x density, each (class, pool) "
                           f"density {distribution} from the table's standard error, independent",
                 "n": int(n), "seed": seed, "distribution": distribution, "area_u95_pct": area_u95_pct,
                 "pools_source": table.attrs.get("source", ""), "note": st.pool_standard_errors(table).attrs["note"]}
    return out


# --- offsets ------------------------------------------------------------------------------------

def offset_interval(sequestration, emissions, *, emissions_u95_pct: float, sequestration_u95_pct: float | None = None,
                    basis: str = "CO2", sequestration_unit: str | None = None, emissions_unit: str | None = None,
                    n: int = 10000, seed: int = 0, distribution: str = "normal") -> pd.DataFrame:
    """95 % intervals of the offset ratio (sequestration / emissions) and the net balance (emissions - sequestration).

    ``sequestration``: a total with ``sequestration_u95_pct`` (half its 95 % interval in %), or Monte Carlo draws
    of it (a 1-D array or a DataArray on ``draw``, e.g. ``monte_carlo(...)['class_draws'].sel(output='nep',
    landcover='all')``; then its units from ``attrs`` or ``sequestration_unit``).  ``emissions``: a total with
    ``emissions_u95_pct``; drawn ``distribution`` (normal or lognormal with that mean and standard deviation),
    independent of the sequestration.  Every draw goes through :func:`carbontools.budget.offset` (units and
    basis as there).  Rows offset_ratio, net_balance, sequestration, emissions; columns estimate (the central
    values through ``offset``), mean, median, low, high and ``approach1_u95_pct`` (Eq. 3.1 for the ratio,
    Eq. 3.2 for the balance: first order, good while the uncertainties are small).
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n = {n!r}: a Monte Carlo needs an integer number of draws n >= 2")
    if distribution not in ("normal", "lognormal"):
        raise ValueError(f"distribution={distribution!r}: give 'normal' or 'lognormal'")
    rng = np.random.default_rng(seed)

    def draw(value, u, name):
        if u is None or not np.isfinite(u) or u < 0:
            raise ValueError(f"{name}_u95_pct = {u!r}: give the uncertainty of {name} as half its 95 % interval in "
                             "% of the value (>= 0)")
        v = float(value)
        sd = abs(v) * u / 100.0 / Z95
        if distribution == "normal" or sd == 0:
            return v + sd * rng.standard_normal(n)
        if v <= 0:
            raise ValueError(f"{name} = {v:g}: a lognormal needs a positive value; use distribution='normal'")
        s2 = np.log1p((sd / v) ** 2)
        return v * np.exp(np.sqrt(s2) * rng.standard_normal(n) - s2 / 2)

    units = getattr(sequestration, "attrs", {}).get("units") if hasattr(sequestration, "attrs") else None
    s_unit = sequestration_unit or units
    if np.ndim(sequestration) == 0:
        s_central, u_s = float(sequestration), sequestration_u95_pct
        s_draws = draw(sequestration, sequestration_u95_pct, "sequestration")
    else:
        if sequestration_u95_pct is not None:
            raise ValueError("sequestration is given as draws: drop sequestration_u95_pct (the draws are its uncertainty)")
        s_draws = np.asarray(sequestration, dtype=float).ravel()
        if s_draws.size < 2 or not np.isfinite(s_draws).all():
            raise ValueError(f"sequestration draws: need at least 2 finite values, got {s_draws.size}")
        n = s_draws.size
        s_central = float(np.mean(s_draws))
        u_s = 100.0 * (np.percentile(s_draws, 97.5) - np.percentile(s_draws, 2.5)) / 2.0 / abs(s_central)
    e_draws = draw(emissions, emissions_u95_pct, "emissions")
    index = pd.RangeIndex(n, name="draw")
    per_draw = offset(pd.Series(s_draws, index), pd.Series(e_draws, index), basis=basis,
                      sequestration_unit=s_unit, emissions_unit=emissions_unit)
    central = offset(s_central, float(emissions), basis=basis, sequestration_unit=s_unit, emissions_unit=emissions_unit)
    rows = {}
    e = central["emissions"]
    s = central["sequestration"]
    approach1 = {"offset_ratio": float(np.hypot(u_s, emissions_u95_pct)),
                 "net_balance": float(np.hypot(u_s * s, emissions_u95_pct * e) / abs(e - s)) if e != s else np.inf,
                 "sequestration": float(u_s), "emissions": float(emissions_u95_pct)}
    for col in ("offset_ratio", "net_balance", "sequestration", "emissions"):
        v = per_draw[col].to_numpy(dtype=float)
        rows[col] = {"estimate": central[col], "mean": float(np.mean(v)), "median": float(np.median(v)),
                     "low": float(np.percentile(v, 2.5)), "high": float(np.percentile(v, 97.5)),
                     "approach1_u95_pct": approach1[col]}
    out = pd.DataFrame(rows).T
    out.index.name = "quantity"
    out["unit"] = ["1", central["units"], central["units"], central["units"]]
    out.attrs = {"method": "IPCC 2006 Vol. 1 Ch. 3 Approach 2 through budget.offset per draw; approach1_u95_pct by "
                           "Eqs. 3.1 (ratio) and 3.2 (balance)", "n": int(n), "seed": seed,
                 "distribution": distribution, "basis": central["basis"], "offset_ratio_is": central["offset_ratio_is"]}
    if float((e_draws <= 0).mean()) > 0:
        out.attrs["note"] = (f"{100 * float((e_draws <= 0).mean()):.2g} % of the emission draws are <= 0 (their ratio "
                             "is infinite or negative): the uncertainty is too large for a normal; try lognormal")
    return out
