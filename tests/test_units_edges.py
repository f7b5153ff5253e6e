"""Edges of carbontools/units.py and landcover.py that the mutation run (make mutation) found unguarded: the
plausibility checks switch exactly at the limits they state, conversions use the real month and year lengths
and the C/CO2 ratio 44/12 in both directions, class codes 0 are codes like any other."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from carbontools import units
from carbontools.landcover import class_lookup, nodata_values, present_codes


def check(name, lo, hi):
    return units.CHECKS[name](name, lo, hi)


@pytest.mark.parametrize("lo, hi, says", [
    (-1.0, 1.0, None), (0.0, 255.0, "8-bit"), (0.0, 1.5, "8-bit"), (-0.1, 200.0, "scaled by 10000"),
    (0.0, 255.5, "scaled by 10000"), (0.0, 10000.0, "scaled by 10000"), (0.0, 10000.5, "above 1"),
    (-1.0001, 0.9, "below -1"),
])
def test_ndvi_checks_switch_at_their_limits(lo, hi, says):
    problem = check("ndvi", lo, hi)
    assert problem is None if says is None else says in problem


@pytest.mark.parametrize("lo, hi, says", [
    (0.0, 1.0, None), (0.0, 1.5, "percentage"), (0.0, 100.0, "percentage"), (0.0, 100.5, "above 1"),
    (-0.5, 50.0, "above 1"), (-0.01, 0.5, "negative"),
])
def test_fraction_checks_switch_at_their_limits(lo, hi, says):
    problem = check("impervious", lo, hi)
    assert problem is None if says is None else says in problem


@pytest.mark.parametrize("name, lo, hi, says", [
    ("precip", 0.0, 10000.0, None), ("precip", -0.1, 10.0, "negative"), ("precip", 0.0, 10000.5, "above the plausible"),
    ("srad", 0.0, 1500.0, None), ("srad", 0.0, 1500.5, "top-of-atmosphere"),
    ("tmean", -90.0, 60.0, None), ("tmean", 150.0, 160.0, "outside"), ("tmean", 150.5, 300.0, "kelvin"),
    ("tmean", -90.5, 20.0, "outside"), ("tmean", -10.0, 60.5, "outside"),
])
def test_range_checks_switch_at_their_limits(name, lo, hi, says):
    problem = check(name, lo, hi)
    assert problem is None if says is None else says in problem


def test_c_and_co2_convert_both_ways():
    assert units.factor("g C m-2", "g CO2 m-2")[0] == pytest.approx(44 / 12)
    assert units.factor("g CO2 m-2", "g C m-2")[0] == pytest.approx(12 / 44)
    assert units.area_total_factor("g CO2 m-2", "t C") == pytest.approx(1e-6 * 12 / 44)
    assert units.area_total_factor("g C m-2", "t CO2") == pytest.approx(1e-6 * 44 / 12)
    assert units.area_total_factor("Mg C ha-1", "Mg C") == pytest.approx(1e-4)


def test_rates_use_the_real_month_and_year_length():
    time = pd.to_datetime(["2020-02-01", "2021-02-01", "2021-07-01"])
    rate = xr.DataArray([1.0, 1.0, 1.0], dims="time", coords={"time": time}, attrs={"units": "g C m-2 yr-1",
                                                                                    "long_name": "a rate"})
    monthly = units.convert(rate, None, "g C m-2 month-1")
    np.testing.assert_allclose(monthly.values, [29 / 366, 28 / 365, 31 / 365])
    assert monthly.attrs == {"units": "g C m-2 month-1", "long_name": "a rate"}
    # with the month lengths given, the year lengths still come from the axis
    given = units.convert(rate, None, "g C m-2 month-1", days=xr.DataArray([30.0, 30.0, 30.0], dims="time"))
    np.testing.assert_allclose(given.values, [30 / 366, 30 / 365, 30 / 365])
    per_day = units.convert(xr.DataArray([31.0], dims="time", coords={"time": time[2:]},
                                         attrs={"units": "g C m-2 month-1"}), None, "g C m-2 d-1")
    np.testing.assert_allclose(per_day.values, [1.0])


def test_offsets_are_added_after_scaling():
    k = units.convert(xr.DataArray([10.0, -5.0], attrs={"units": "degC"}), None, "K")
    np.testing.assert_allclose(k.values, [283.15, 268.15])
    assert units.convert(np.array([2.0]), "kg C m-2", "g C m-2")[0] == pytest.approx(2000.0)
    assert units.convert(5.0, "g C m-2", "g C m-2") == 5.0


def test_class_code_zero_and_nodata_zero():
    codes = xr.DataArray(np.array([[0, 1], [2, 5]]), dims=("y", "x"))
    np.testing.assert_array_equal(class_lookup(codes, {0: 10.0, 1: 11.0, 2: 12.0}).values, [[10, 11], [12, np.nan]])
    np.testing.assert_array_equal(class_lookup(codes.astype(float), {0: 10.0, 1: 11.0, 2: 12.0}).values,
                                  [[10, 11], [12, np.nan]])
    assert np.isnan(class_lookup(codes, {0: 10.0, 1: 11.0, 2: 12.0}, nodata=[0]).values[0, 0])
    assert np.isnan(class_lookup(codes, {0: 10.0, 1: 11.0, 2: 12.0}).values[1, 1])  # 5 lies beyond the table
    assert present_codes(codes).tolist() == [0, 1, 2, 5]
    assert present_codes(codes.astype(float).where(codes != 5)).tolist() == [0.0, 1.0, 2.0]
    assert set(nodata_values(codes.assign_attrs(nodata=0))) == {0}
    assert nodata_values(codes.assign_attrs(nodata=None)) == []
    assert set(nodata_values(codes.astype(float).rio.write_nodata(255))) == {255}
