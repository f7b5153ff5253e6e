"""Gap filling along time (issue 11 item 9): interpolation within max_gap months, then the calendar month's
climatology, every value flagged; expectations worked by hand on tiny series."""

import importlib.util

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from carbontools.gapfill import FLAG_MEANINGS, GapFillParams, fill_gaps

from .general_checks import assert_backends_agree

NAN = np.nan


def series(values, start="2021-01-01", pixels=1):
    """A (time, y, x) NDVI series: the same values in ``pixels`` pixels of one row."""
    v = np.asarray(values, dtype=float)
    data = np.repeat(v[:, None, None], pixels, axis=2)
    t = pd.date_range(start, periods=len(v), freq="MS")
    return xr.DataArray(data, dims=("time", "y", "x"), name="ndvi", attrs={"units": "1", "long_name": "NDVI"},
                        coords={"time": t, "y": [30.5], "x": np.arange(pixels) + 100.5})


def test_gaps_up_to_max_gap_are_interpolated_linearly_in_months():
    # 0.3, _, _, 0.6: a two-month gap, steps of (0.6 - 0.3) / 3 = 0.1 -> 0.4, 0.5
    # 0.6, _, 0.8: a one-month gap -> (0.6 + 0.8) / 2 = 0.7
    da = series([0.3, NAN, NAN, 0.6, NAN, 0.8], pixels=2)
    out = fill_gaps(da, max_gap=2, climatology=False)
    np.testing.assert_allclose(out.values[:, 0, 0], [0.3, 0.4, 0.5, 0.6, 0.7, 0.8], rtol=1e-12)
    assert out.flag[:, 0, 0].values.tolist() == [0, 1, 1, 0, 1, 0]
    # 3 of the 6 values of each pixel interpolated: 50 %
    assert out.shares.to_dict() == pytest.approx({"observed": 50.0, "interpolated": 50.0, "climatology": 0.0,
                                                  "missing": 0.0})


def test_a_gap_longer_than_max_gap_is_not_interpolated_at_all():
    # three missing months with max_gap=2: none of them interpolated (not the first two of them)
    da = series([0.2, NAN, NAN, NAN, 0.6, NAN, 0.4])
    out = fill_gaps(da, max_gap=2, climatology=False)
    np.testing.assert_allclose(out.values[:, 0, 0], [0.2, NAN, NAN, NAN, 0.6, 0.5, 0.4], rtol=1e-12)
    assert out.flag[:, 0, 0].values.tolist() == [0, 3, 3, 3, 0, 1, 0]
    # max_gap=3 takes it: steps of 0.4 / 4 = 0.1
    np.testing.assert_allclose(fill_gaps(da, max_gap=3, climatology=False).values[:4, 0, 0], [0.2, 0.3, 0.4, 0.5])
    # max_gap=0: nothing interpolated
    assert fill_gaps(da, max_gap=0, climatology=False).flag[:, 0, 0].values.tolist() == [0, 3, 3, 3, 0, 3, 0]


def test_what_interpolation_leaves_takes_the_calendar_months_mean_over_the_other_years():
    # three years of 12 months; pixel value = month + 10 * year index (Jan 2021 = 1, Jan 2022 = 11, Jan 2023 = 21)
    v = np.array([m + 10.0 * y for y in range(3) for m in range(1, 13)])
    v[0] = NAN              # January 2021, at the start: not interpolated -> Jan mean of 2022, 2023 = (11 + 21) / 2 = 16
    v[16:19] = NAN          # May-July 2022, three months > max_gap 2 -> (5 + 25) / 2 = 15, (6 + 26) / 2 = 16, 17
    v[35] = NAN             # December 2023, at the end -> (12 + 22) / 2 = 17
    out = fill_gaps(series(v), max_gap=2)
    got = out.values[:, 0, 0].values
    assert got[0] == pytest.approx(16.0) and got[35] == pytest.approx(17.0)
    np.testing.assert_allclose(got[16:19], [15.0, 16.0, 17.0])
    flag = out.flag[:, 0, 0].values
    assert flag[[0, 16, 17, 18, 35]].tolist() == [2, 2, 2, 2, 2] and (np.delete(flag, [0, 16, 17, 18, 35]) == 0).all()
    # 5 of 36 values from the climatology
    assert out.shares["climatology"] == pytest.approx(100.0 * 5 / 36)
    assert out.values.attrs["gapfill_climatology_pct"] == pytest.approx(100.0 * 5 / 36)


def test_a_calendar_month_never_observed_stays_missing_and_is_flagged_so():
    # one year only: March missing at the start of a 3-month gap -> neither interpolation nor a climatology
    da = series([0.5, NAN, NAN, NAN, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5])
    out = fill_gaps(da, max_gap=2)
    assert out.flag[1:4, 0, 0].values.tolist() == [3, 3, 3] and np.isnan(out.values[1:4, 0, 0]).all()
    # 3 of 12 values still missing: 25 %
    assert out.shares["missing"] == pytest.approx(25.0)


def test_the_flag_carries_cf_flag_values_and_meanings():
    out = fill_gaps(series([0.3, NAN, 0.5]))
    assert out.flag.dtype == np.int8 and out.flag.name == "ndvi_gapfill_flag"
    assert list(out.flag.attrs["flag_values"]) == [0, 1, 2, 3]
    assert out.flag.attrs["flag_meanings"] == FLAG_MEANINGS == "observed interpolated climatology missing"
    assert out.values.name == "ndvi" and out.values.attrs["units"] == "1"


def test_gap_filling_agrees_on_numpy_and_dask():
    v = np.array([m / 20 + 0.1 * y for y in range(2) for m in range(12)])
    data = np.stack([v, v[::-1], v * 0.5])[:, None, :].transpose(2, 1, 0).copy()  # (24, 1, 3)
    data[[1, 2, 9], 0, 0] = NAN           # a two-month gap and a one-month gap
    data[[4, 5, 6, 7], 0, 1] = NAN        # four months: climatology
    data[:, 0, 2] = NAN                   # never observed
    da = xr.DataArray(data, dims=("time", "y", "x"), name="ndvi", attrs={"units": "1"},
                      coords={"time": pd.date_range("2021-01-01", periods=24, freq="MS"), "y": [1.0],
                              "x": [1.0, 2.0, 3.0]})
    def as_tuple(values):  # the checker rebuilds tuples positionally
        return tuple(fill_gaps(values))

    (_, flag, shares), _ = assert_backends_agree(as_tuple, da, max_computes=1)
    assert flag[:, 0, 2].values.tolist() == [3] * 24 and shares["missing"] > 33.3


@pytest.mark.skipif(importlib.util.find_spec("bottleneck") is None and importlib.util.find_spec("numbagg") is None,
                    reason="xarray's interpolate_na(max_gap=) needs bottleneck or numbagg")
def test_the_gap_rule_is_xarrays_max_gap():
    """Independent implementation: xarray's own max_gap (gap size = distance between the observed values)."""
    rng = np.random.default_rng(3)
    v = rng.random(60)
    v[rng.random(60) < 0.4] = NAN
    da = series(v)
    for max_gap in (1, 2, 3):
        ours = fill_gaps(da, max_gap=max_gap, climatology=False).values
        theirs = da.interpolate_na("time", use_coordinate=False, max_gap=max_gap + 1)
        np.testing.assert_allclose(ours.values, theirs.values)


def test_bad_input_is_refused_with_a_fix():
    da = series([0.3, NAN, 0.5])
    with pytest.raises(ValueError, match=r"ndvi lacks month\(s\) \['2021-02'\]"):
        fill_gaps(da.isel(time=[0, 2]))
    with pytest.raises(ValueError, match=r"max_gap = 13 is outside its plausible range \[0, 12\]"):
        fill_gaps(da, max_gap=13)
    with pytest.raises(ValueError, match="max_gap = 1.5 must be a whole number of months"):
        GapFillParams(max_gap=1.5)
    with pytest.raises(ValueError, match="ndvi needs a 'time' dimension"):
        fill_gaps(da.isel(time=0))
    with pytest.raises(TypeError, match="no parameter"):
        fill_gaps(da, max_gaps=2)


def test_the_gap_rule_matches_a_month_by_month_count():
    """Independent implementation: walk each series, measure every run of missing months, fill it iff its
    length <= max_gap and it has observed months on both sides."""
    rng = np.random.default_rng(7)
    v = rng.random((60, 1, 4))
    v[rng.random(v.shape) < 0.45] = NAN
    da = xr.DataArray(v, dims=("time", "y", "x"), coords={"time": pd.date_range("2020-01-01", periods=60, freq="MS")})
    for max_gap in (1, 2, 4):
        flag = fill_gaps(da, max_gap=max_gap, climatology=False).flag.values
        for k in range(v.shape[2]):
            s = v[:, 0, k]
            expected = np.where(np.isnan(s), 3, 0)
            t = 0
            while t < len(s):
                if np.isnan(s[t]):
                    end = t
                    while end < len(s) and np.isnan(s[end]):
                        end += 1
                    if t > 0 and end < len(s) and end - t <= max_gap:
                        expected[t:end] = 1
                    t = end
                else:
                    t += 1
            assert flag[:, 0, k].tolist() == expected.tolist(), (max_gap, k)


def test_the_flag_writes_to_netcdf_with_its_own_type(tmp_path):
    out = fill_gaps(series([0.3, NAN, 0.5]))
    path = tmp_path / "flag.nc"
    out.flag.to_netcdf(path)
    with xr.open_dataarray(path) as back:
        assert back.dtype == np.int8 and back.attrs["flag_values"].dtype == np.int8
        assert back.attrs["flag_meanings"] == FLAG_MEANINGS
