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


# --- parsing, parts and conversions (numbers from the unit definitions: 1 kg = 1e3 g, 1 ha = 1e4 m2, ...) -------

@pytest.mark.parametrize("text, grams, area, per_year", [
    ("kg C m-2", 1e3, 1.0, False), ("Mg C ha-1 yr-1", 1e6, 1e4, True), ("g C km-2", 1.0, 1e6, False),
    ("t C", 1e6, None, False), ("g C m-1", 1.0, None, False), ("Pg C yr-1", 1e15, None, True),
])
def test_parts_give_the_mass_in_grams_and_the_area_in_m2(text, grams, area, per_year):
    assert units.parse(text).parts() == {"grams": grams, "area_m2": area, "per_year": per_year}


def test_parse_keeps_the_text_the_species_and_the_equivalent_flag():
    u = units.parse("t CO2e yr-1")
    assert (str(u), u.basis, u.equivalent) == ("t CO2e yr-1", "CO2", True)
    assert units.parse("W m-2").equivalent is False and units.parse("g C m-2").equivalent is False
    assert units.parse("g m-2 month-1", basis="C").basis == "C"
    assert units.parse("g m-2 month-1", basis="CO2").basis == "CO2"
    assert units.parse("mm month-1", basis="C").basis is None  # no mass: no species
    with pytest.raises(ValueError, match="carbon basis 'c' unknown"):
        units.parse("g m-2", basis="c")
    with pytest.raises(ValueError, match="carbon basis 'X' unknown"):
        units.parse("W m-2", basis="X")


@pytest.mark.parametrize("text", ["C", "c", "°C", "degC"])
def test_a_lone_c_is_degrees_celsius(text):
    assert units.convert(20.0, text, "K") == pytest.approx(293.15)


@pytest.mark.parametrize("text", ["fraction", "unitless", "-", "ratio"])
def test_dimensionless_spellings(text):
    assert units.convert(0.25, text, "%") == pytest.approx(25.0)


def test_convert_scales_offsets_and_keeps_the_attrs():
    assert units.convert(1.0, "mm week-1", "mm fortnight-1") == pytest.approx(2.0)  # a fortnight is 2 weeks
    assert units.convert(212.0, "degF", "degC") == pytest.approx(100.0)  # (212 - 32) x 5/9
    da = xr.DataArray([1.0, 2.0], dims="x", attrs={"units": "g", "long_name": "carbon"})
    out = units.convert(da, None, "kg")
    np.testing.assert_allclose(out.values, [1e-3, 2e-3])
    assert out.attrs == {"units": "kg", "long_name": "carbon"}
    with pytest.raises(ValueError, match="has no unit"):
        units.convert(1.0, None, "g")
    codes = xr.DataArray([1.0, 2.0], dims="time", coords={"time": [2020, 2021]}, attrs={"units": "g"})
    np.testing.assert_allclose(units.convert(codes, None, "kg").values, [1e-3, 2e-3])  # a time axis of numbers


def test_a_given_year_length_still_takes_the_month_lengths_from_the_axis():
    da = xr.DataArray([365.0, 365.0], dims="time", coords={"time": pd.to_datetime(["2020-01-01", "2020-02-01"])})
    out = units.convert(da, "g m-2 yr-1", "g m-2 month-1", year_days=365.0)
    # the given year of 365 days is used (2020 itself has 366): 365 g a year = 1 g a day; 31 and 29 days
    np.testing.assert_allclose(out.values, [31.0, 29.0])


def test_to_canonical_uses_the_month_lengths_it_is_given():
    rain = xr.DataArray([2.0, 3.0], dims="x", attrs={"units": "mm d-1"})  # no time axis: the lengths are given
    out = units.to_canonical("precip", rain, days=xr.DataArray([30.0, 31.0], dims="x"))
    np.testing.assert_allclose(out.values, [60.0, 93.0])  # 2 mm a day x 30 days, 3 x 31


def test_area_total_factor_refuses_what_is_not_a_carbon_mass():
    assert units.area_total_factor("Mg C ha-1", "t C") == pytest.approx(1e6 / 1e4 / 1e6)  # Mg ha-1 x m2 -> t
    with pytest.raises(ValueError, match="unit 'bananas' unknown"):
        units.area_total_factor("g C m-2", "bananas")
    with pytest.raises(ValueError, match="unit 't C m-2' unknown"):
        units.area_total_factor("g C m-2", "t C m-2")


@pytest.mark.parametrize("text, expected", [
    ("°C", "degc"), ("g C m-2 mon-1", "gcm-2month-1"), ("mm/mon", "mm/month"), ("MJ/m^2/month", "mj/m2/month"),
])
def test_normalise_unit(text, expected):
    assert units.normalise_unit(text) == expected


def test_a_monthly_driver_without_a_time_unit_is_the_months_total():
    precip = xr.DataArray([30.0, 60.0], dims="x", attrs={"units": "mm", "long_name": "rain"})
    out = units.to_canonical("precip", precip)
    np.testing.assert_allclose(out.values, [30.0, 60.0])
    assert out.attrs == {"long_name": "rain", "units": "mm month-1"}  # the same number: nothing converted


def test_to_canonical_drops_the_packing_attrs_and_says_what_it_converted():
    da = xr.DataArray([1.5], dims="x", attrs={"units": "mm month-1", "long_name": "rain", "scale_factor": 0.1,
                                              "add_offset": 0.0})
    same = units.to_canonical("precip", da)
    # already unpacked values keep no scale_factor: written to a file, a reader would apply it a second time
    assert same.attrs == {"long_name": "rain", "units": "mm month-1"}  # nothing converted: no converted_from
    assert da.attrs["scale_factor"] == 0.1  # the input is left as it was
    cm = units.to_canonical("precip", da.assign_attrs(units="cm month-1"))
    np.testing.assert_allclose(cm.values, [15.0])
    assert cm.attrs == {"long_name": "rain", "units": "mm month-1", "converted_from": "cm month-1"}


UPPER = units.DRIVERS["precip"].range[1]  # the registry's plausible maximum of monthly precipitation


@pytest.mark.parametrize("lo, hi, says", [
    (0.0, UPPER, None), (0.5, 10.0, None), (-0.5, 10.0, "negative"), (0.0, UPPER + 1, "above the plausible"),
])
def test_nonnegative_checks_switch_at_their_limits(lo, hi, says):
    problem = check("precip", lo, hi)
    assert problem is None if says is None else says in problem


def test_a_driver_without_values_does_not_stop_the_checks_of_the_others():
    arrays = {"ndvi": xr.DataArray([np.nan, np.nan]), "precip": xr.DataArray([-5.0, 1.0])}
    with pytest.warns(UserWarning, match="ndvi holds no valid values"):
        with pytest.raises(ValueError, match="precip has negative values"):
            units.check_plausible(arrays)


def test_carbon_units_written_with_slashes_name_their_species():
    """'g C/m2/d' read the C as a temperature interval (degC) and was refused; now it is grams of carbon."""
    slashed, spaced = units.parse("g C/m2/d"), units.parse("g C m-2 d-1")
    assert slashed.basis == spaced.basis == "C" and slashed.pint_unit == spaced.pint_unit
    # 1 kg C m-2 s-1 = 1000 g x 86400 s per day
    assert units.factor("kg C/m2/s", "g C m-2 d-1") == (pytest.approx(1000.0 * 86400.0), 0.0)
    assert units.parse("g CO2/m2/yr").basis == "CO2"
