"""Unit conversion at the boundary, with each month's real length."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from carbontools.units import normalise_unit, to_canonical

TIME = pd.date_range("2021-01-01", periods=3, freq="MS")  # 31, 28, 31 days
DAYS = np.array([31, 28, 31])


def series(values, units):
    return xr.DataArray(np.asarray(values, float), dims="time", coords={"time": TIME}, attrs={"units": units})


@pytest.mark.parametrize("units, values, expected", [
    ("K", [273.15, 283.15, 300.0], [0.0, 10.0, 26.85]),
    ("degC", [1.0, 2.0, 3.0], [1.0, 2.0, 3.0]),
    ("°C", [1.0, 2.0, 3.0], [1.0, 2.0, 3.0]),
])
def test_temperature(units, values, expected):
    np.testing.assert_allclose(to_canonical("tmean", series(values, units)), expected)


@pytest.mark.parametrize("units, factor", [
    ("mm month-1", np.ones(3)),
    ("mm/month", np.ones(3)),
    ("mm day-1", DAYS),
    ("kg m-2 s-1", DAYS * 86400.0),
    ("m month-1", np.full(3, 1000.0)),
])
def test_precipitation(units, factor):
    out = to_canonical("precip", series([1.0, 1.0, 1.0], units))
    np.testing.assert_allclose(out, factor)
    assert out.attrs["units"] == "mm month-1"


@pytest.mark.parametrize("units, factor", [
    ("MJ m-2 month-1", np.ones(3)),
    ("MJ m-2 day-1", DAYS),
    ("W m-2", DAYS * 86400 / 1e6),
    ("W m**-2", DAYS * 86400 / 1e6),
    ("J m-2 day-1", DAYS / 1e6),
    ("MJ m-2", np.ones(3)),  # a monthly driver's amount without a time unit is the month's total (as 'mm' is)
])
def test_radiation(units, factor):
    np.testing.assert_allclose(to_canonical("srad", series([1.0, 1.0, 1.0], units)), factor)


def test_percent_fraction():
    da = xr.DataArray([[50.0]], dims=("y", "x"), attrs={"units": "%"})
    assert to_canonical("impervious", da).values.tolist() == [[0.5]]


def test_conversion_records_the_source_unit():
    out = to_canonical("tmean", series([280.0, 281.0, 282.0], "K"))
    assert out.attrs == {"units": "degC", "converted_from": "K"}


def test_normalise_unit():
    assert normalise_unit("W m**-2") == "wm-2"
    assert normalise_unit(" MJ/m^2/mon ") == "mj/m2/month"
