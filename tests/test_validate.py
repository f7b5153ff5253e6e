"""carbontools.validate: every metric against a hand calculation, the common mask, grid and unit checks,
zones, residuals and the validation plots (carbontools.plots).  Monthly tower totals
(carbontools.io.tower_monthly) are tested in test_io_fluxnet.py.
"""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from carbontools.plots import density_scatter, residual_map
from carbontools.validate import METRIC_KEYS, ValidationWarning, metrics, metrics_by_zone, residuals

OBS = np.array([1.0, 2.0, 3.0, 4.0])
SIM = np.array([2.0, 2.0, 4.0, 3.0])


def grid(values, units="g C m-2 yr-1", x0=0.0, name=None):
    """A (y, x) DataArray on a small projected 250 m grid."""
    values = np.asarray(values, dtype=float)
    ny, nx = values.shape
    da = xr.DataArray(values, dims=("y", "x"),
                      coords={"y": 1000.0 - 250.0 * np.arange(ny), "x": x0 + 250.0 * np.arange(nx)}, name=name,
                      attrs={"units": units} if units else {})
    return da.rio.write_crs("EPSG:32649")


# --- every metric by hand ------------------------------------------------------------------------

def test_every_metric_by_hand():
    m = metrics(SIM, OBS)
    assert tuple(m) == METRIC_KEYS
    # pairs (obs, sim): (1, 2), (2, 2), (3, 4), (4, 3); d = sim - obs = [1, 0, 1, -1]
    assert m["n"] == 4
    assert m["mean_obs"] == pytest.approx(2.5)          # (1 + 2 + 3 + 4) / 4 = 10 / 4
    assert m["mean_sim"] == pytest.approx(2.75)         # (2 + 2 + 4 + 3) / 4 = 11 / 4
    assert m["bias"] == pytest.approx(0.25)             # (1 + 0 + 1 - 1) / 4 = 1 / 4
    assert m["rmse"] == pytest.approx(math.sqrt(0.75))  # sqrt((1 + 0 + 1 + 1) / 4) = sqrt(3/4) = 0.8660
    assert m["mae"] == pytest.approx(0.75)              # (|1| + |0| + |1| + |-1|) / 4 = 3 / 4
    assert m["relative_rmse"] == pytest.approx(math.sqrt(0.75) / 2.5)  # 0.8660 / 2.5 = 0.3464
    # SS_res = 1 + 0 + 1 + 1 = 3
    # obs - mean_obs = [-1.5, -0.5, 0.5, 1.5]  -> SS_tot = 2.25 + 0.25 + 0.25 + 2.25 = 5
    assert m["nse"] == pytest.approx(0.4)               # 1 - 3 / 5
    # sim - mean_sim = [-0.75, -0.75, 1.25, 0.25] -> SS_sim = 0.5625 + 0.5625 + 1.5625 + 0.0625 = 2.75
    # cross products: 1.125 + 0.375 + 0.625 + 0.375 = 2.5
    assert m["slope"] == pytest.approx(0.5)             # 2.5 / SS_tot = 2.5 / 5
    assert m["intercept"] == pytest.approx(1.5)         # mean_sim - slope * mean_obs = 2.75 - 0.5 * 2.5
    assert m["r2_pearson"] == pytest.approx(6.25 / 13.75)  # 2.5**2 / (5 * 2.75) = 5 / 11 = 0.4545


def test_negative_nse_by_hand():
    obs = np.array([1.0, 2.0, 3.0])
    sim = np.array([3.0, 4.0, 1.0])
    # d = [2, 2, -2] -> SS_res = 4 + 4 + 4 = 12; obs - 2 = [-1, 0, 1] -> SS_tot = 2
    m = metrics(sim, obs)
    assert m["nse"] == pytest.approx(1 - 12 / 2) == -5.0   # worse than the mean of obs: negative, no floor
    # sim - 8/3 = [1/3, 4/3, -5/3]; cross products -1/3 + 0 - 5/3 = -2 -> slope = -2 / 2 = -1
    assert m["slope"] == pytest.approx(-1.0)
    assert m["intercept"] == pytest.approx(8 / 3 + 2)       # 8/3 - (-1) * 2
    # SS_sim = 1/9 + 16/9 + 25/9 = 42/9 -> r2 = (-2)**2 / (2 * 42/9) = 4 * 9 / 84 = 3/7
    assert m["r2_pearson"] == pytest.approx(3 / 7)


def test_r2_pearson_and_nse_differ_and_both_are_reported():
    obs = np.array([1.0, 2.0, 3.0, 4.0])
    sim = 2.0 * obs + 1.0                    # [3, 5, 7, 9]: a perfect line, but not the 1:1 line
    m = metrics(sim, obs)
    assert m["r2_pearson"] == pytest.approx(1.0)
    # d = sim - obs = obs + 1 = [2, 3, 4, 5] -> SS_res = 4 + 9 + 16 + 25 = 54; SS_tot = 5 -> NSE = 1 - 54/5
    assert m["nse"] == pytest.approx(1 - 54 / 5) == pytest.approx(-9.8)
    assert m["slope"] == pytest.approx(2.0) and m["intercept"] == pytest.approx(1.0)
    assert {"r2_pearson", "nse"} <= set(m) and "r2" not in m


def test_perfect_match():
    obs = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0])
    m = metrics(obs.copy(), obs)
    assert m["rmse"] == 0.0 and m["mae"] == 0.0 and m["bias"] == 0.0
    assert m["nse"] == pytest.approx(1.0) and m["r2_pearson"] == pytest.approx(1.0)
    assert m["slope"] == pytest.approx(1.0) and m["intercept"] == pytest.approx(0.0, abs=1e-12)


def test_nan_in_either_array_is_excluded_and_n_counts_pairs():
    obs = np.array([1.0, 2.0, np.nan, 3.0, 4.0, 7.0])
    sim = np.array([2.0, 2.0, 5.0, 4.0, 3.0, np.inf])
    # the finite pairs are the hand example: (1, 2), (2, 2), (3, 4), (4, 3)
    m = metrics(sim, obs)
    assert m["n"] == 4
    assert m == pytest.approx(metrics(SIM, OBS))


def test_independent_check_against_numpy_polyfit_and_corrcoef():
    rng = np.random.default_rng(7)
    obs = rng.gamma(4.0, 150.0, 500)
    sim = 0.8 * obs + 60.0 + rng.normal(0, 80.0, 500)
    m = metrics(sim, obs)
    slope, intercept = np.polyfit(obs, sim, 1)              # sim = slope * obs + intercept
    assert m["slope"] == pytest.approx(slope, rel=1e-10)
    assert m["intercept"] == pytest.approx(intercept, rel=1e-9)
    assert m["r2_pearson"] == pytest.approx(np.corrcoef(obs, sim)[0, 1] ** 2, rel=1e-10)
    assert m["nse"] == pytest.approx(1 - np.sum((sim - obs) ** 2) / np.sum((obs - obs.mean()) ** 2), rel=1e-12)


def test_large_offset_is_stable():
    # values around 1e8 with a spread of a few units: centred sums keep the regression exact
    obs = 1e8 + OBS
    sim = 1e8 + SIM
    m = metrics(sim, obs)
    assert m["slope"] == pytest.approx(0.5) and m["nse"] == pytest.approx(0.4)


# --- too few pairs, no spread --------------------------------------------------------------------

def test_fewer_than_three_pairs_gives_nan_with_a_warning():
    with pytest.warns(ValidationWarning, match="n = 2"):
        m = metrics(np.array([1.0, 5.0, np.nan]), np.array([2.0, 3.0, 4.0]))
    assert m["n"] == 2
    for key in ("r2_pearson", "nse", "slope", "intercept"):
        assert np.isnan(m[key]), key
    # d = [-1, 2]: the metrics that need no spread are still given
    assert m["bias"] == pytest.approx(0.5) and m["mae"] == pytest.approx(1.5)
    assert m["rmse"] == pytest.approx(math.sqrt(2.5))


def test_no_pairs_gives_n_zero_and_nan_never_zero():
    with pytest.warns(ValidationWarning, match="n = 0"):
        m = metrics(np.array([np.nan, 1.0]), np.array([2.0, np.nan]))
    assert m["n"] == 0
    assert all(np.isnan(m[k]) for k in METRIC_KEYS if k != "n")


def test_constant_obs_gives_nan_nse_with_a_warning():
    with pytest.warns(ValidationWarning, match="no spread"):
        m = metrics(np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 2.0]))
    assert np.isnan(m["nse"]) and np.isnan(m["slope"]) and np.isnan(m["r2_pearson"])
    assert m["bias"] == pytest.approx(0.0) and m["n"] == 3


def test_no_warning_when_everything_is_defined():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        metrics(SIM, OBS)


# --- xarray: grids and units ---------------------------------------------------------------------

def test_xarray_and_numpy_give_equal_results():
    obs = grid([[1.0, 2.0, np.nan], [3.0, 4.0, 5.0]])
    sim = grid([[2.0, 2.0, 1.0], [4.0, 3.0, np.nan]])
    assert metrics(sim, obs) == pytest.approx(metrics(SIM, OBS))
    assert metrics(sim, obs) == pytest.approx(metrics(sim.values, obs.values))
    assert metrics(sim, obs)["n"] == 4


def test_dimension_order_does_not_matter():
    obs = grid([[1.0, 2.0], [3.0, 4.0]])
    sim = grid([[2.0, 2.0], [4.0, 3.0]])
    assert metrics(sim, obs.transpose("x", "y")) == pytest.approx(metrics(SIM, OBS))


def test_mismatched_grids_raise_and_name_regrid():
    obs = grid([[1.0, 2.0], [3.0, 4.0]])
    shifted = grid([[2.0, 2.0], [4.0, 3.0]], x0=125.0)
    with pytest.raises(ValueError, match=r"'x' coordinates.*carbontools\.grid\.regrid"):
        metrics(shifted, obs)
    bigger = grid(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"size along 'x'.*carbontools\.grid\.regrid"):
        metrics(bigger, obs)
    with pytest.raises(ValueError, match="regrid"):
        residuals(shifted, obs)


def test_mismatched_time_raises():
    t1 = pd.date_range("2021-01-01", periods=3, freq="MS")
    t2 = pd.date_range("2021-01-15", periods=3, freq="MS") + pd.Timedelta(days=14)
    a = xr.DataArray(np.arange(3.0), dims="time", coords={"time": t1})
    b = xr.DataArray(np.arange(3.0), dims="time", coords={"time": t2})
    with pytest.raises(ValueError, match="time stamps"):
        metrics(a, b)


def test_different_units_raise_naming_both():
    sim = grid([[2.0, 2.0], [4.0, 3.0]], units="g C m-2 yr-1")
    obs = grid([[1.0, 2.0], [3.0, 4.0]], units="kg C m-2")
    with pytest.raises(ValueError, match=r"sim has units 'g C m-2 yr-1' but obs has units 'kg C m-2'"):
        metrics(sim, obs)
    # the same units written differently are the same
    assert metrics(sim, grid([[1.0, 2.0], [3.0, 4.0]], units="g C m**-2 yr**-1"))["n"] == 4


def test_shape_mismatch_for_numpy_raises():
    with pytest.raises(ValueError, match="shape"):
        metrics(np.ones(3), np.ones(4))


# --- zones ---------------------------------------------------------------------------------------

def test_metrics_by_zone_with_an_empty_zone():
    obs = grid([[1.0, 2.0, 10.0], [3.0, 4.0, np.nan]])
    sim = grid([[2.0, 2.0, 11.0], [4.0, 3.0, 12.0]])
    zones = grid([[1, 1, 2], [1, 1, 3]], units=None)
    names = {1: "farm", 2: "city", 3: "lake", 4: "snow"}
    with pytest.warns(ValidationWarning, match="city"):
        table = metrics_by_zone(sim, obs, zones, names=names)
    assert list(table.index) == ["farm", "city", "lake", "snow", "all"]
    assert list(table.columns) == ["code", *METRIC_KEYS]
    # zone 1 holds the hand example exactly
    assert table.loc["farm", list(METRIC_KEYS)].to_dict() == pytest.approx(metrics(SIM, OBS))
    # zone 2: one pair (10, 11) -> n = 1, bias 1, no regression
    assert table.loc["city", "n"] == 1 and table.loc["city", "bias"] == pytest.approx(1.0)
    assert np.isnan(table.loc["city", "nse"])
    # zone 3 has a pixel but its obs is missing; zone 4 is not in the raster: explicit n = 0 rows, all NaN
    for empty in ("lake", "snow"):
        assert table.loc[empty, "n"] == 0
        assert table.loc[empty, list(METRIC_KEYS[1:])].isna().all()
    # 'all': every valid pair = metrics(sim, obs)
    assert table.loc["all", "n"] == 5
    assert table.loc["all", list(METRIC_KEYS)].to_dict() == pytest.approx(metrics(sim, obs))
    assert table.attrs["units"] == "g C m-2 yr-1"


def test_metrics_by_zone_broadcasts_over_time_and_uses_codes_without_names():
    time = pd.date_range("2021-01-01", periods=2, freq="MS")
    base = grid([[1.0, 2.0], [3.0, 4.0]])
    obs = xr.concat([base, base + 1], dim=pd.Index(time, name="time"))
    sim = obs * 2
    zones = grid([[5, 5], [7, np.nan]], units=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ValidationWarning)
        table = metrics_by_zone(sim, obs, zones)
    assert list(table.index) == [5, 7, "all"]
    assert table.loc[5, "n"] == 4 and table.loc[7, "n"] == 2 and table.loc["all", "n"] == 8
    # zone 7: obs = [3, 4], sim = [6, 8] -> bias = (3 + 4) / 2
    assert table.loc[7, "bias"] == pytest.approx(3.5)


def test_metrics_by_zone_rejects_zones_on_another_grid_and_fractional_codes():
    obs = grid([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(ValueError, match="kind='categorical'"):
        metrics_by_zone(obs, obs, grid([[1, 1], [2, 2]], units=None, x0=500.0))
    with pytest.raises(ValueError, match="non-integer"):
        metrics_by_zone(obs, obs, grid([[1.5, 1], [2, 2]], units=None))


# --- residuals and plots -------------------------------------------------------------------------

def test_residuals_on_the_common_mask_with_units():
    obs = grid([[1.0, 2.0], [np.nan, 4.0]], name="mod17")
    sim = grid([[2.0, np.nan], [4.0, 3.0]], name="npp")
    res = residuals(sim, obs)
    np.testing.assert_array_equal(res.values, [[1.0, np.nan], [np.nan, -1.0]])
    assert res.attrs["units"] == "g C m-2 yr-1"
    assert "npp - mod17" in res.attrs["long_name"]
    assert res.dims == ("y", "x") and np.array_equal(res["x"], sim["x"])


def test_plots_build_offline():
    import holoviews as hv

    rng = np.random.default_rng(1)
    obs = grid(rng.uniform(100, 900, (20, 20)))
    sim = obs * 1.1 + rng.normal(0, 20, obs.shape)
    scatter = density_scatter(sim, obs)
    m = metrics(sim, obs)
    title = scatter.opts.get().kwargs["title"]
    assert f"n = {m['n']:,}" in title and "r2_pearson" in title and "NSE" in title and "RMSE" in title
    assert any(isinstance(el, hv.HexTiles) for el in scatter)
    assert sum(isinstance(el, hv.Curve) for el in scatter) == 2          # 1:1 and OLS
    image = residual_map(sim, obs)
    low, high = image.opts.get().kwargs["clim"]
    assert low == -high and high > 0                                   # symmetric about 0


def test_tower_monthly_is_still_importable_from_validate():
    from carbontools import io, validate

    assert validate.tower_monthly is io.tower_monthly
