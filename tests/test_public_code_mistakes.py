"""One test per mistake SCIENCE.md lists from public CASA code: each fails if the mistake is made.

Every test also computes the mistaken value by hand and checks that it would not pass, so the
test is known to discriminate.
"""

import math

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import carbontools as ct
from carbontools.models import casa as m
from carbontools.models import respiration as r
from carbontools.params import CasaParams
from carbontools.units import to_canonical

from .conftest import approx_printed, monthly_grid
from .models.test_casa import ZHU, hand_fpar


def test_e_uses_p_times_rn_not_p_plus_rn():
    p, ep0 = 100.0, 100.0
    rn = math.sqrt(ep0 * p) * (0.369 + 0.598 * math.sqrt(ep0 / p))
    mistaken = p * rn * (p**2 + rn**2 + (p + rn)) / ((p + rn) * (p**2 + rn**2))
    assert mistaken != approx_printed("73.728")
    assert float(m.zhou_water_stress(p, ep0)[1]) == approx_printed("73.728")


def test_thornthwaite_constant_is_0_49239_not_0_48239():
    i = 57.391
    mistaken = 6.75e-7 * i**3 - 7.71e-5 * i**2 + 1.792e-2 * i + 0.48239
    assert mistaken != approx_printed("1.3945")
    c3, c2, c1, c0 = CasaParams().pet_a_coefficients
    assert c0 == 0.49239
    t = xr.DataArray([5.0] * 12, dims="time", coords={"time": pd.date_range("2020-01-01", periods=12, freq="MS")})
    # all months 5 degC: I = 12, Ep0 = 16 * (50/12)^a; a with the right constant
    a = c3 * 12**3 + c2 * 12**2 + c1 * 12 + 0.49239
    assert float(m.thornthwaite_pet(t, m.heat_index(t))[0]) == pytest.approx(16 * (50 / 12) ** a, rel=1e-12)


def test_zhou_rn_coefficient_is_0_598_not_0_589():
    p, ep0 = 50.0, 120.0
    rn = math.sqrt(ep0 * p) * (0.369 + 0.589 * math.sqrt(ep0 / p))
    e = p * rn * (p**2 + rn**2 + p * rn) / ((p + rn) * (p**2 + rn**2))
    mistaken = 0.5 + 0.5 * e / ((e + ep0) / 2)
    assert mistaken != approx_printed("0.7801")
    assert float(m.zhou_water_stress(p, ep0)[0]) == approx_printed("0.7801")


def test_te2_second_bracket_divides():
    topt, t, c = 22.0, 20.0, 1.1814
    mistaken = c / (1 + math.exp(0.2 * (topt - 10 - t))) * (1 + math.exp(0.3 * (-topt - 10 + t)))
    assert mistaken != approx_printed("0.9568")
    assert float(m.te2(topt, t, CasaParams(te2_c=c, te2_half_rule=False))) == approx_printed("0.9568")


def test_te2_has_its_constant():
    mistaken = 1 / ((1 + math.exp(-2)) * (1 + math.exp(-3)))  # 0.839 at T = Topt
    assert mistaken != approx_printed("0.99122")
    assert float(m.te2(15.0, 15.0, CasaParams(te2_c=1.1814))) == approx_printed("0.99122")


def test_radiation_uses_real_month_length():
    time = pd.date_range("2021-01-01", periods=12, freq="MS")
    w = xr.DataArray(np.full(12, 100.0), dims="time", coords={"time": time}, attrs={"units": "W m-2"})
    mj = to_canonical("srad", w)
    feb, jul = float(mj.sel(time="2021-02-01")), float(mj.sel(time="2021-07-01"))
    assert feb == pytest.approx(100 * 86400 * 28 / 1e6)  # 241.92 MJ m-2
    assert jul == pytest.approx(100 * 86400 * 31 / 1e6)  # 267.84 MJ m-2
    assert feb != pytest.approx(100 * 86400 * 30 / 1e6)  # the fixed 30-day month
    assert mj.attrs["units"] == "MJ m-2 month-1"


def test_te1_coefficients_are_0_02_and_0_0005():
    mistaken = 0.8 + 0.2 * 25 - 0.005 * 25**2  # 2.675
    assert mistaken != approx_printed("0.9875")
    assert float(m.te1(25.0, 20.0)) == approx_printed("0.9875")


def test_topt_from_each_pixels_own_ndvi_peak():
    """Two pixels peak in different months; a scene-mean peak would give both the same Topt."""
    n = 12
    ndvi = np.full((n, 1, 2), 0.3)
    ndvi[3, 0, 0] = 0.8  # pixel A peaks in April
    ndvi[8, 0, 1] = 0.8  # pixel B peaks in September
    tmean = np.broadcast_to(np.arange(n, dtype=float)[:, None, None] * 2.0, (n, 1, 2))  # 0, 2, ..., 22
    ds = monthly_grid({"ndvi": ndvi, "tmean": tmean, "srad": [400.0] * n, "precip": [80.0] * n}, nx=2)
    topt = ct.run(ds)["topt"].isel(time=0, y=0)
    assert topt.values.tolist() == [6.0, 16.0]


def test_topt_first_month_on_ties():
    ndvi = np.array([0.3, 0.7, 0.5, 0.7, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3])
    tmean = np.arange(12, dtype=float) + 10
    da = lambda v: xr.DataArray(v, dims="time", coords={"time": pd.date_range("2020-01-01", periods=12, freq="MS")})  # noqa
    assert float(m.optimal_temperature(da(ndvi), da(tmean))[0]) == 11.0


def test_topt_per_calendar_year():
    ndvi = np.r_[np.full(12, 0.3), np.full(12, 0.3)]
    ndvi[6], ndvi[12 + 2] = 0.8, 0.8
    tmean = np.arange(24, dtype=float)
    time = pd.date_range("2020-01-01", periods=24, freq="MS")
    da = lambda v: xr.DataArray(v, dims="time", coords={"time": time})  # noqa: E731
    topt = m.optimal_temperature(da(ndvi), da(tmean))
    assert set(topt.values[:12]) == {6.0} and set(topt.values[12:]) == {14.0}


def test_sr_max_per_class_not_one_scene_value():
    """The same NDVI in two classes with different NDVI_max gives different FPAR (SR_max per class)."""
    ds = monthly_grid({"ndvi": [0.6] * 12, "tmean": [20.0] * 12, "srad": [400.0] * 12, "precip": [80.0] * 12},
                      nx=2, landcover=[[4, 1]])
    fpar = ct.run(ds)["fpar"].isel(time=0, y=0).values
    # deciduous broadleaf: the worked pixel's 0.6182; evergreen needleleaf (NDVI_max 0.647, SR_max 4.6657):
    # FPAR_NDVI 0.8785, FPAR_SR 0.7753 -> 0.8269, both by the formulas of SCIENCE.md (tests/models/test_casa.py)
    assert fpar[0] == approx_printed("0.6182")
    np.testing.assert_allclose(fpar, [hand_fpar(0.6, 0.747, ZHU), hand_fpar(0.6, 0.647, ZHU)], rtol=1e-12)
    assert fpar[1] == pytest.approx(0.82689, abs=1e-5)
    # one scene SR_max (here the broadleaf class's, for both) would give both pixels 0.6182
    assert abs(fpar[0] - fpar[1]) > 0.2


def test_pei2009_bracket_closes_before_days_and_share():
    # the misprint closes the bracket after "* 30 * 0.465"; SCIENCE.md quotes 12.045 for it, the
    # expression evaluates to 12.0425 (by hand: 0.22 * (6.19658 + 3.47975 * 13.95))
    mistaken = 0.22 * (math.exp(0.0912 * 20) + math.log(0.3145 * 100 + 1) * 30 * 0.465)
    assert mistaken == pytest.approx(12.0425, abs=1e-4)
    assert float(r.rh_pei2009(20.0, 100.0)) == approx_printed("29.697")
