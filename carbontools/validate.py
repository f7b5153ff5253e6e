"""Validation statistics: a simulation against a reference map or a flux tower (SCIENCE.md section 6).

:func:`metrics` reports, on the common valid mask only (pairs where both ``sim`` and ``obs`` are finite):

==================  ==========================================================================
``n``               number of pairs compared
``bias``            mean(sim - obs)
``rmse``            sqrt(mean((sim - obs)**2))
``mae``             mean(abs(sim - obs))
``relative_rmse``   rmse / mean(obs)  (a ratio, not %; negative when mean(obs) < 0, e.g. NEE)
``r2_pearson``      squared Pearson correlation r**2 (0..1): how well a *line* explains sim
``nse``             Nash-Sutcliffe efficiency 1 - SS_res / SS_tot with SS_res = sum((sim - obs)**2),
                    SS_tot = sum((obs - mean(obs))**2): agreement with the *1:1* line; 1 is perfect,
                    0 is no better than mean(obs), negative is worse than that (no lower bound)
``slope``           OLS regression of sim on obs, ``sim = slope * obs + intercept``
``intercept``       (obs on x, sim on y; the unit of sim)
``mean_obs``        mean(obs) over the pairs
``mean_sim``        mean(sim) over the pairs
==================  ==========================================================================

Both R2 forms are reported under their own names because papers mix them: ``r2_pearson`` is blind
to a bias or a wrong slope (sim = 2 * obs + 100 has r2_pearson = 1), ``nse`` is not.

Inputs are numpy arrays or xarray DataArrays.  Two DataArrays must be on the same grid (identical
``y``/``x`` and, if present, ``time`` or any other shared coordinate): put the reference on the
model grid first with :func:`carbontools.grid.regrid`.  Reference products: MODIS MOD17A3HGF NPP with
:func:`carbontools.io.read_mod17_npp` (g C m-2 yr-1, fill codes masked) and MOD13 NDVI with
:func:`carbontools.io.read_modis_ndvi`.

Figures: :func:`carbontools.plots.density_scatter` and :func:`carbontools.plots.residual_map` (re-exported
here).  Tower comparison: :func:`carbontools.io.tower_monthly` (re-exported here) makes monthly totals from a
daily FLUXNET2015 file.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import xarray as xr

from .grid import _same_coords
from .io.fluxnet import tower_monthly
from .plots import density_scatter, residual_map
from .units import same_units

__all__ = ["METRIC_KEYS", "ValidationWarning", "metrics", "metrics_by_zone", "residuals", "density_scatter",
           "residual_map", "tower_monthly"]

#: the keys of :func:`metrics`, in order
METRIC_KEYS = ("n", "bias", "rmse", "mae", "relative_rmse", "r2_pearson", "nse", "slope", "intercept",
               "mean_obs", "mean_sim")
#: metrics that need a spread of values (NaN when n < MIN_PAIRS)
_NEED_VARIANCE = ("r2_pearson", "nse", "slope", "intercept")
MIN_PAIRS = 3
_REGRID_HINT = ("put them on one grid first, e.g. obs = carbontools.grid.regrid(obs, sim) "
                "(or carbontools.grid.regrid(sim, obs) to compare on the reference grid)")


class ValidationWarning(UserWarning):
    """A metric could not be computed (too few pairs, no spread); the value is NaN, never 0."""


# --- inputs ----------------------------------------------------------------------------------------

def _label(da, default):
    name = getattr(da, "name", None)
    return f"{default} ({name!r})" if name is not None else default


def _check_units(sim, obs) -> str | None:
    """The common units (None if neither says); raise if both say and they differ."""
    su = getattr(sim, "attrs", {}).get("units")
    ou = getattr(obs, "attrs", {}).get("units")
    if su is not None and ou is not None and not same_units(str(su), str(ou)):
        raise ValueError(f"sim has units {su!r} but obs has units {ou!r}; convert one to the other's units before "
                         "comparing (e.g. kg C m-2 -> g C m-2: multiply by 1000 and set attrs['units'])")
    return su if su is not None else ou


def _check_grid(sim: xr.DataArray, obs: xr.DataArray) -> xr.DataArray:
    """Raise unless both are on the same grid; return obs with sim's dimension order."""
    sl, ol = _label(sim, "sim"), _label(obs, "obs")
    if set(sim.dims) != set(obs.dims):
        raise ValueError(f"{sl} has dims {sim.dims} but {ol} has dims {obs.dims}; select or reduce to the same "
                         f"dimensions (e.g. .sel(year=...)) and {_REGRID_HINT}")
    for dim in sim.dims:
        if sim.sizes[dim] != obs.sizes[dim]:
            raise ValueError(f"{sl} and {ol} differ in size along {dim!r} ({sim.sizes[dim]} vs {obs.sizes[dim]}): "
                             f"they are not on the same grid; {_REGRID_HINT}")
        has_s, has_o = dim in sim.coords, dim in obs.coords
        if has_s and has_o:
            a, b = sim[dim].values, obs[dim].values
            if not _same_coords(a, b):  # the project's one tolerance for float coordinates
                what = "time stamps" if dim == "time" else f"'{dim}' coordinates"
                fix = ("align the time axes (e.g. both monthly at the first of the month, "
                       "carbontools.grid.to_month_start)" if dim == "time" else _REGRID_HINT)
                raise ValueError(f"{sl} and {ol} have different {what} (first values {a[:2]} vs {b[:2]}); "
                                 f"they are not on the same grid: {fix}")
        elif has_s != has_o and dim in ("y", "x", "time"):
            raise ValueError(f"only one of {sl} and {ol} has a {dim!r} coordinate, so carbontools cannot check that "
                             f"they are on the same grid; {_REGRID_HINT}")
    crs_s, crs_o = _crs_or_none(sim), _crs_or_none(obs)
    if crs_s is not None and crs_o is not None and crs_s != crs_o:
        raise ValueError(f"{sl} is in {crs_s.to_string()} but {ol} in {crs_o.to_string()}; {_REGRID_HINT}")
    return obs.transpose(*sim.dims)


def _crs_or_none(da):
    try:
        return da.rio.crs
    except Exception:  # noqa: BLE001  (no rio accessor or no spatial dims: nothing to compare)
        return None


def _pairs(sim, obs) -> tuple[np.ndarray, np.ndarray, np.ndarray, str | None]:
    """(sim values, obs values, common valid mask, units) as float64 arrays of one shape."""
    units = _check_units(sim, obs)
    if isinstance(sim, xr.DataArray) and isinstance(obs, xr.DataArray):
        obs = _check_grid(sim, obs)
    s = np.asarray(sim.values if isinstance(sim, xr.DataArray) else sim, dtype=float)
    o = np.asarray(obs.values if isinstance(obs, xr.DataArray) else obs, dtype=float)
    if s.shape != o.shape:
        raise ValueError(f"sim has shape {s.shape} but obs has shape {o.shape}; compare arrays of one shape on "
                         f"one grid: {_REGRID_HINT}")
    valid = np.isfinite(s) & np.isfinite(o)
    return s, o, valid, units


# --- the statistics --------------------------------------------------------------------------------

def _stats(s: np.ndarray, o: np.ndarray) -> tuple[dict, list[str]]:
    """Metrics of 1-D float arrays of valid pairs; also the reasons for any NaN (no warnings here)."""
    n = int(s.size)
    out = dict.fromkeys(METRIC_KEYS, np.nan)
    out["n"] = n
    why = []
    if n == 0:
        return out, ["no pair where both sim and obs are finite (n = 0): every metric is NaN"]
    d = s - o
    mean_o, mean_s = float(o.mean()), float(s.mean())
    rmse = float(np.sqrt(np.mean(d * d)))
    out.update(bias=float(d.mean()), rmse=rmse, mae=float(np.abs(d).mean()), mean_obs=mean_o, mean_sim=mean_s)
    if mean_o != 0.0:
        out["relative_rmse"] = rmse / mean_o
    else:
        why.append("mean(obs) is 0, so relative_rmse = rmse / mean(obs) is undefined (NaN)")
    if n < MIN_PAIRS:
        why.append(f"only n = {n} valid pair(s) (fewer than {MIN_PAIRS}): {', '.join(_NEED_VARIANCE)} need a spread "
                   "of values and are NaN")
        return out, why
    do, ds = o - mean_o, s - mean_s                       # centred: stable for large offsets
    ss_tot, ss_sim, sp = float(do @ do), float(ds @ ds), float(do @ ds)
    ss_res = float(d @ d)
    if ss_tot > 0.0:
        out["nse"] = 1.0 - ss_res / ss_tot
        out["slope"] = sp / ss_tot
        out["intercept"] = mean_s - out["slope"] * mean_o
    else:
        why.append("obs has no spread (all values equal): nse, slope and intercept are NaN")
    if ss_tot > 0.0 and ss_sim > 0.0:
        out["r2_pearson"] = sp * sp / (ss_tot * ss_sim)
    else:
        why.append("sim or obs has no spread (all values equal): r2_pearson (squared Pearson r) is NaN")
    return out, why


def metrics(sim, obs) -> dict:
    """Agreement statistics of ``sim`` against ``obs`` on their common valid mask.

    Parameters
    ----------
    sim, obs : numpy array or xarray.DataArray
        Simulation and reference (observation) of one shape.  Two DataArrays must be on the same grid
        (identical ``y``/``x``, and ``time`` if present; same CRS if both have one), otherwise a
        ``ValueError`` says to use :func:`carbontools.grid.regrid` first.  If both have
        ``attrs['units']`` they must agree (``ValueError`` naming both otherwise).  Only pairs where
        both values are finite are used (NaN in either array drops the pair).

    Returns
    -------
    dict
        Keys :data:`METRIC_KEYS`: ``n`` (pairs used), ``bias`` = mean(sim - obs), ``rmse``, ``mae``,
        ``relative_rmse`` = rmse / mean(obs), ``r2_pearson`` (squared Pearson r), ``nse`` = 1 - SS_res/SS_tot
        (Nash-Sutcliffe, can be negative), ``slope`` and ``intercept`` of the ordinary-least-squares
        regression of sim on obs, **sim = slope * obs + intercept**, ``mean_obs``, ``mean_sim``.

    Warns
    -----
    ValidationWarning
        When n < 3 (``r2_pearson``, ``nse``, ``slope``, ``intercept`` are NaN), when obs or sim have no
        spread, or when mean(obs) is 0; the warning says which metric is NaN and why.  Never 0 instead.
    """
    s, o, valid, _ = _pairs(sim, obs)
    out, why = _stats(s[valid], o[valid])
    for reason in why:
        warnings.warn(f"metrics: {reason}", ValidationWarning, stacklevel=2)
    return out


def _zone_names(zones, names) -> dict:
    names = names if names is not None else getattr(zones, "attrs", {}).get("names")
    if names is None:
        return {}
    if isinstance(names, dict):
        return {int(k): str(v) for k, v in names.items()}
    return {i: str(v) for i, v in enumerate(names)}


def metrics_by_zone(sim, obs, zones, names=None) -> pd.DataFrame:
    """:func:`metrics` for every zone of an integer raster (regions, CASA land-cover classes), plus ``'all'``.

    Parameters
    ----------
    sim, obs : xarray.DataArray or numpy array
        As for :func:`metrics`; may have a ``time`` (or ``year``) axis, the zones then apply to every step.
    zones : xarray.DataArray or numpy array
        Integer zone codes on the (y, x) grid of ``sim`` (NaN = in no zone), e.g.
        ``result["landcover_casa"]`` or :func:`carbontools.accounting.zones_from_polygons`.
    names : dict code -> name, or list indexed by code, optional
        Row labels (default ``zones.attrs['names']``, else the codes).  Every code named here gets a row
        even when it does not occur in ``zones``.

    Returns
    -------
    pandas.DataFrame
        One row per zone (index ``zone``: the name, or the code) with the :func:`metrics` columns and
        ``code``, then a row ``'all'``: every valid pair, also those outside any zone (= ``metrics(sim, obs)``).
        A zone without valid pairs is kept as an explicit row with ``n = 0`` and NaN metrics.
        ``df.attrs['units']`` holds the units of bias, rmse, mae, intercept and the means.
    """
    s, o, valid, units = _pairs(sim, obs)
    z_label = _label(zones, "zones")
    if isinstance(zones, xr.DataArray) and isinstance(sim, xr.DataArray):
        for dim in ("y", "x"):
            if dim in sim.dims and (dim not in zones.dims or not _same_coords(zones[dim].values, sim[dim].values)):
                raise ValueError(f"{z_label} are not on the grid of sim (different {dim!r} coordinates); put them on "
                                 "it first: carbontools.grid.regrid(zones, sim, kind='categorical')")
        spatial = [d for d in sim.dims if d in zones.dims]
        zones = zones.transpose(*spatial)
        z = np.asarray(zones.values, dtype=float)
        extra = [d for d in sim.dims if d not in zones.dims]
        z = np.broadcast_to(np.expand_dims(z, tuple(i for i, d in enumerate(sim.dims) if d in extra)), s.shape)
    else:
        z = np.asarray(zones.values if isinstance(zones, xr.DataArray) else zones, dtype=float)
        try:
            z = np.broadcast_to(z, s.shape)
        except ValueError as err:
            raise ValueError(f"{z_label} have shape {z.shape}, which does not fit sim's shape {s.shape}; give zones "
                             "on the (y, x) grid of sim") from err
    finite = np.isfinite(z)
    if np.any(z[finite] != np.round(z[finite])):
        raise ValueError(f"{z_label} hold non-integer values; give integer zone codes (a classified raster, e.g. "
                         "result['landcover_casa']), regridded with kind='categorical'")
    labels = _zone_names(zones, names)
    codes = sorted(set(np.unique(z[finite]).astype(int).tolist()) | set(labels))
    rows, few = [], []
    for code in codes:
        inside = valid & (z == code)
        row, why = _stats(s[inside], o[inside])
        if why:
            few.append(labels.get(code, code))
        rows.append({"zone": labels.get(code, code), "code": code, **row})
    row, why = _stats(s[valid], o[valid])
    for reason in why:
        warnings.warn(f"metrics_by_zone, all pairs: {reason}", ValidationWarning, stacklevel=2)
    rows.append({"zone": "all", "code": pd.NA, **row})
    if few:
        warnings.warn(f"metrics_by_zone: zone(s) {few} have fewer than {MIN_PAIRS} valid pairs or no spread; "
                      f"their undefined metrics are NaN (n is in the table)", ValidationWarning, stacklevel=2)
    table = pd.DataFrame(rows).set_index("zone")
    table["n"] = table["n"].astype(int)
    table["code"] = table["code"].astype("Int64")
    table = table[["code", *METRIC_KEYS]]
    table.attrs = {"units": units or "unknown", "relative_rmse": "1 (ratio rmse / mean_obs)",
                   "r2_pearson": "1", "nse": "1", "slope": "1",
                   "regression": "OLS of sim on obs: sim = slope * obs + intercept"}
    return table


def residuals(sim, obs) -> xr.DataArray:
    """sim - obs on the common valid mask (NaN where either is missing), with units and long_name."""
    s, o, valid, units = _pairs(sim, obs)
    diff = np.where(valid, s - o, np.nan)
    if isinstance(sim, xr.DataArray):
        out = xr.DataArray(diff, dims=sim.dims, coords=sim.coords)
    elif isinstance(obs, xr.DataArray):
        out = xr.DataArray(diff, dims=obs.dims, coords=obs.coords)
    else:
        out = xr.DataArray(diff)
    sn, on = getattr(sim, "name", None) or "sim", getattr(obs, "name", None) or "obs"
    attrs = {"long_name": f"residual {sn} - {on} (positive = simulation above the reference)",
             "units": units or "unknown", "comment": "NaN where sim or obs is missing (common valid mask)"}
    return out.rename("residual").assign_attrs(attrs)
