"""Mirrors carbontools/models/nep.py: nep (monthly NPP - Rh) and annual_sum (calendar-year sums), on numpy and
dask, against sums written out here (SCIENCE.md section 3).

The checker's own tests (tests/general_checks.py is not a test_*.py file) are collected at the end.
"""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from carbontools.models import casa, respiration
from carbontools.models import nep as n

from ..general_checks import assert_backends_agree, assert_own_metadata, synthetic_scene

UNIT = "g C m-2 month-1"


@pytest.fixture(scope="module")
def fluxes():
    s = synthetic_scene()
    npp = casa.casa_npp(srad=s["srad"], tmean=s["tmean"], landcover=s["landcover"], ndvi=s["ndvi"],
                        precip=s["precip"])["npp"]
    rh = respiration.soil_respiration(s["tmean"], s["precip"], landcover=s["landcover"])
    # labelled as carbontools.run labels them, so that metadata checks have something to find
    npp = npp.drop_attrs(deep=False).rename("npp").assign_attrs(units=UNIT, long_name="net primary production")
    rh = rh.drop_attrs(deep=False).rename("rh").assign_attrs(units=UNIT, long_name="soil heterotrophic respiration")
    return npp, rh


def test_nep(fluxes):
    npp, rh = fluxes
    eager, _ = assert_backends_agree(n.nep, npp, rh, like=npp)
    np.testing.assert_array_equal(eager.values, npp.values - rh.values)
    assert (eager > 0).any() and (eager < 0).any()  # the scene has sinks and sources: NEP > 0 is a sink
    assert_own_metadata(eager, npp, rh, units=UNIT)


def hand_annual_sums(da):
    """{year: (sum over the year's months, or NaN if one is NaN; number of months)} per pixel, by a loop."""
    values = da.transpose("time", "y", "x").values
    years = pd.DatetimeIndex(da["time"].values).year
    out = {}
    for year in np.unique(years):
        months = np.flatnonzero(years == year)
        total = np.zeros(values.shape[1:])
        for k in months:
            total = total + values[k]  # NaN stays NaN
        out[int(year)] = (total, len(months))
    return out


def test_annual_sum(fluxes):
    npp, _ = fluxes
    eager, _ = assert_backends_agree(n.annual_sum, npp, like=npp, reduced=("time",), added=("year",))
    hand = hand_annual_sums(npp)
    assert eager["year"].values.tolist() == [2020, 2021]
    assert eager["months"].values.tolist() == [12, 12]
    for year, (total, _) in hand.items():
        np.testing.assert_allclose(eager.sel(year=year).values, total, rtol=1e-12)
    # one NaN month (the srad gap of pixel (4, 4) in 2021) makes that year NaN, the other year stays
    assert np.isnan(float(eager.sel(year=2021)[4, 4])) and np.isfinite(float(eager.sel(year=2020)[4, 4]))


def test_annual_nep_is_the_sum_of_monthly_nep(fluxes):
    npp, rh = fluxes
    annual = n.annual_sum(n.nep(npp, rh))
    np.testing.assert_allclose(annual.values, (n.annual_sum(npp) - n.annual_sum(rh)).values, rtol=1e-12)


def test_annual_sum_counts_the_months_of_a_partial_year(fluxes):
    npp, _ = fluxes
    out = n.annual_sum(npp.isel(time=slice(0, 18)))
    assert out["months"].values.tolist() == [12, 6]


def test_annual_sum_is_nan_for_an_incomplete_year(fluxes):
    npp, _ = fluxes
    with pytest.warns(UserWarning, match=r"calendar year\(s\) \[2021\] have fewer than 12 months \(6\)"):
        out = n.annual_sum(npp.isel(time=slice(0, 18)))
    assert out.sel(year=2021).isnull().all()
    whole = n.annual_sum(npp.isel(time=slice(0, 12)))
    np.testing.assert_array_equal(out.sel(year=2020).values, whole.sel(year=2020).values)


def test_annual_sum_does_not_keep_a_per_month_unit(fluxes):
    npp, _ = fluxes
    assert_own_metadata(n.annual_sum(npp), npp, units="g C m-2 yr-1", keep_names=True)


def test_annual_sum_on_a_plain_time_series():
    time = pd.date_range("2019-01-01", periods=36, freq="MS")
    da = xr.DataArray(np.arange(36.0), dims="time", coords={"time": time})
    out = n.annual_sum(da)
    # 0+1+...+11 = 66; 12+...+23 = 66 + 144 = 210; 24+...+35 = 354
    assert out.values.tolist() == [66.0, 210.0, 354.0]


# --- the checker's own tests (defined in tests/general_checks.py) ------------------------------

from ..general_checks import (  # noqa: E402,F401
    test_checker_catches_a_compute_while_building_the_graph,
    test_checker_catches_a_function_that_modifies_its_input,
    test_checker_catches_a_result_that_is_no_longer_dask,
    test_checker_catches_lost_coords_and_metadata,
    test_checker_catches_numpy_and_dask_that_differ,
    test_checker_passes_an_elementwise_function,
)
