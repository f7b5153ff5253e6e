"""Properties that must hold for any plausible input (hypothesis), and numpy == dask."""

import numpy as np
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import carbontools as ct
from carbontools import demo
from carbontools.models import respiration as r
from carbontools.params import LloydTaylorParams, Q10Params

from .conftest import monthly_grid

SHAPE = (12, 2, 3)
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def field(lo, hi):
    return arrays(np.float64, SHAPE, elements=st.floats(lo, hi, allow_nan=False, allow_infinity=False))


def with_nans(lo, hi):
    return arrays(np.float64, SHAPE, elements=st.one_of(st.floats(lo, hi), st.just(np.nan)))


@st.composite
def driver_sets(draw, nans=False):
    f = with_nans if nans else field
    values = {
        "ndvi": draw(f(-0.2, 0.95)),
        "tmean": draw(f(-25.0, 35.0)),
        "srad": draw(f(0.0, 900.0)),
        "precip": draw(f(0.0, 600.0)),
    }
    landcover = draw(arrays(np.int64, SHAPE[1:], elements=st.integers(1, 11)))
    return monthly_grid(values, ny=SHAPE[1], nx=SHAPE[2], landcover=landcover)


def _pixel_year_has_nan(ds):
    """True where any driver of that pixel is NaN in any month of the year (Topt and I are annual)."""
    any_nan = sum(ds[v].isnull() for v in ("ndvi", "tmean", "srad", "precip")) > 0
    return any_nan.groupby(ds["time"].dt.year).max().sel(year=ds["time"].dt.year).drop_vars("year")


@SETTINGS
@given(driver_sets(nans=True))
def test_npp_nonnegative_and_nan_only_where_inputs_are_nan(ds):
    out = ct.run(ds, check=False)
    npp = out["npp"]
    assert (npp.fillna(0) >= 0).all()
    nan_in_year = _pixel_year_has_nan(ds)
    assert not (npp.isnull() & ~nan_in_year).any(), "NaN NPP where all inputs of the pixel-year are finite"
    assert not (out["nep"].isnull() & ~nan_in_year).any()


@SETTINGS
@given(driver_sets(), st.floats(1.01, 2.5))
def test_npp_rises_with_eps_max_and_srad(ds, k):
    base = ct.run(ds, check=False)["npp"]
    eps = ct.casa_preset("zhu2007").eps_max.scaled(min(k, 2.9 / 0.985))
    more_eps = ct.run(ds, check=False, eps_max=eps)["npp"]
    ds2 = ds.copy()
    ds2["srad"] = ds["srad"] * k
    more_sun = ct.run(ds2, check=False)["npp"]
    assert (more_eps >= base).all() and (more_sun >= base).all()
    vegetated = (ds["landcover"] < 10) & (base > 0)
    assert (more_sun > base).where(vegetated, True).all()


@SETTINGS
@given(st.floats(-40, 45), st.floats(0.01, 20), st.floats(1.0, 5.0))
def test_rh_rises_with_temperature(t, dt, q10):
    assert r.rh_q10(t + dt, params=Q10Params(q10=q10)) >= r.rh_q10(t, params=Q10Params(q10=q10))
    assert r.rh_lloyd_taylor(t + dt) > r.rh_lloyd_taylor(t)
    assert r.rh_lloyd_taylor(t + dt, params=LloydTaylorParams(rh_ref=3.0)) > r.rh_lloyd_taylor(
        t, params=LloydTaylorParams(rh_ref=3.0))


@SETTINGS
@given(driver_sets(), st.sampled_from(["pei2009", "q10", "lloyd_taylor"]))
def test_nep_equals_npp_minus_rh(ds, model):
    out = ct.run(ds, rh=model, check=False)
    np.testing.assert_array_equal(out["nep"].values, (out["npp"] - out["rh"]).values)


@SETTINGS
@given(driver_sets())
def test_water_and_ice_have_zero_npp_and_rh(ds):
    out = ct.run(ds, check=False)
    water = ds["landcover"].isin([10, 11])
    assert (out["npp"].where(water, 0) == 0).all()
    assert (out["rh"].where(water, 0) == 0).all()


@pytest.mark.parametrize("casa, rh", [("zhu2007", "pei2009"), ("potter1993", "q10"), ("zhu2007", "lloyd_taylor")])
def test_numpy_and_dask_give_equal_results(casa, rh):
    eager = demo.delta_city(size=32)
    lazy = demo.delta_city(size=32, chunks={"y": 16, "x": 16})
    a = ct.run(eager, casa=casa, rh=rh)
    b = ct.run(lazy, casa=casa, rh=rh)
    assert b["npp"].chunks is not None, "the dask input should give a lazy result"
    for name in a.data_vars:
        xr.testing.assert_allclose(a[name], b[name].compute(), rtol=1e-6)


def test_run_stays_lazy_on_dask():
    lazy = demo.delta_city(size=32, chunks={"y": 16, "x": 16})
    out = ct.run(lazy, check=False)
    for name in ("npp", "rh", "nep", "nep_annual", "te2", "we"):
        assert out[name].chunks is not None, name
