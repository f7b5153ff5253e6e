"""Edges of carbontools/models/casa.py, respiration.py and nep.py that the mutation run (make mutation) found
unguarded: every constant passed as a parameter is used, boundaries of the rules sit where SCIENCE.md puts
them, tiny but non-zero inputs are not treated as zero.  Expected values come from the formulas of
SCIENCE.md written out in tests/models/test_casa.py (hand_*) or by hand here."""

import math

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import carbontools as ct
from carbontools.models import casa as m
from carbontools.models import respiration as r
from carbontools.params import CasaParams

from ..conftest import approx_printed, monthly_grid
from .test_casa import hand_et_pet, hand_heat_index, hand_pet, hand_te1, hand_zhou


def year(values, start="2020-01-01"):
    time = pd.date_range(start, periods=len(values), freq="MS")
    return xr.DataArray(np.asarray(values, dtype=float), dims="time", coords={"time": time})


# --- every function uses the parameters it is given ----------------------------------------------

def test_te1_uses_its_parameters():
    p = CasaParams(te1_a=0.7, te1_b=0.03, te1_c=0.001, te1_cold_limit=-5.0)
    assert float(m.te1(20.0, 15.0, p)) == pytest.approx(0.7 + 0.6 - 0.4)
    assert float(m.te1(20.0, -5.0, p)) == 0.0 and float(m.te1(20.0, -4.9, p)) > 0


def test_heat_index_and_thornthwaite_use_their_parameters():
    t = year([-5, -2, 5, 12, 18, 23, 26, 25, 19, 12, 4, -3])
    p = CasaParams(pet_heat_exponent=1.5, pet_scale=15.0)
    i = sum((max(v, 0.0) / 5) ** 1.5 for v in t.values)
    assert float(m.heat_index(t, p)[0]) == pytest.approx(i, rel=1e-12)
    a = 6.75e-7 * i**3 - 7.71e-5 * i**2 + 1.792e-2 * i + 0.49239
    pet = m.thornthwaite_pet(t, m.heat_index(t, p), p)
    assert float(pet[6]) == pytest.approx(15.0 * (10 * 26 / i) ** a, rel=1e-12)


def test_daylength_uses_its_parameters():
    time = xr.DataArray(pd.date_range("2021-06-01", periods=1, freq="MS"), dims="time")
    lat = xr.DataArray(45.0)
    plain = float(m.daylength_factor(time, lat)[0])
    flat = float(m.daylength_factor(time, lat, CasaParams(declination_amplitude=0.0))[0])
    assert flat == pytest.approx(30 / 30 * 1.0)  # no declination: 12 h of day everywhere, June has 30 days
    assert plain > 1.2  # a June day at 45 N is about 15.4 h


def test_zhou_and_et_pet_use_their_parameters():
    p = CasaParams(we_floor=0.4, zhou_rn_a=0.4, zhou_rn_b=0.5)
    rn = math.sqrt(100 * 50) * (0.4 + 0.5 * math.sqrt(100 / 50))
    e = 50 * rn * (50**2 + rn**2 + 50 * rn) / ((50 + rn) * (50**2 + rn**2))
    ep = (e + 100) / 2
    we, e_pkg, ep_pkg = m.zhou_water_stress(50.0, 100.0, p)
    assert float(e_pkg) == pytest.approx(e, rel=1e-12) and float(ep_pkg) == pytest.approx(ep, rel=1e-12)
    assert float(we) == pytest.approx(0.4 + 0.6 * e / ep, rel=1e-12)
    assert float(m.et_pet_water_stress(20.0, 100.0, p)) == pytest.approx(0.4 + 0.6 * 0.2)
    assert float(m.et_pet_water_stress(0.0, 100.0, p)) == pytest.approx(0.4)


def test_casa_npp_uses_the_given_te1_coefficients():
    ds = monthly_grid({"ndvi": [0.3] * 6 + [0.7] + [0.3] * 5, "tmean": [20.0] * 12, "srad": [400.0] * 12,
                       "precip": [100.0] * 12}, landcover=4)
    plain = ct.run(ds)
    steeper = ct.run(ds, te1_a=0.6)  # Te1(20) = 0.6 + 0.4 - 0.2 = 0.8 instead of 1.0
    np.testing.assert_allclose(steeper["te1"].values, 0.8)
    np.testing.assert_allclose(steeper["npp"].values, 0.8 * plain["npp"].values, rtol=1e-12)


# --- boundaries where SCIENCE.md puts them -------------------------------------------------------------

def test_te2_half_rule_edges_are_inside():
    # "outside [Topt-13, Topt+10]": at exactly Topt+10 and Topt-13 the formula still holds
    p = CasaParams()
    raw = CasaParams(te2_half_rule=False)
    for t in (30.0, 7.0):
        assert float(m.te2(20.0, t, p)) == pytest.approx(float(m.te2(20.0, t, raw)), rel=1e-12)
    assert float(m.te2(20.0, 30.001, p)) == pytest.approx(0.5 * float(m.te2(20.0, 20.0, raw)), rel=1e-12)


def test_thornthwaite_with_a_heat_index_at_or_below_one():
    # one month above freezing: 5 degC gives I = 1 exactly; 3.16 degC gives I = 0.5 (a cold year, not no year)
    for t_warm in (5.0, 5 * 0.5 ** (1 / 1.514)):
        t = year([-5.0] * 11 + [t_warm])
        i = hand_heat_index(list(t.values))
        assert float(m.heat_index(t)[0]) == pytest.approx(i, rel=1e-12)
        pet = m.thornthwaite_pet(t, m.heat_index(t))
        assert float(pet[11]) == pytest.approx(hand_pet(t_warm, i), rel=1e-12) and float(pet[11]) > 50
        assert float(pet[0]) == 0.0


def test_a_little_rain_and_a_little_demand_are_not_none():
    for p_mm in (0.5, 1.0):  # wet months with under 1 mm are still wet
        assert float(m.zhou_water_stress(p_mm, 100.0)[0]) == pytest.approx(hand_zhou(p_mm, 100.0)[0], rel=1e-12)
        assert float(m.zhou_water_stress(p_mm, 100.0)[1]) > 0
    for pet in (0.5, 1.0):  # a PET below 1 mm is still a demand
        assert float(m.et_pet_water_stress(0.25 * pet, pet)) == pytest.approx(hand_et_pet(0.25 * pet, pet))
        assert float(m.et_pet_water_stress(0.25 * pet, pet)) == pytest.approx(0.625)


def test_a_missing_et_or_pet_makes_we_missing():
    we = m.et_pet_water_stress(xr.DataArray([np.nan, 50.0, np.nan]), xr.DataArray([100.0, np.nan, np.nan]))
    assert np.isnan(we.values).all()


def test_eps_and_apar_of_the_worked_pixel():
    """APAR = SOL x FPAR x 0.5 and eps = Te1 Te2 We eps_max, printed beside the worked pixel in docs/science.md."""

    ds = monthly_grid({"ndvi": [0.3, 0.3, 0.4, 0.6, 0.6, 0.65, 0.7, 0.65, 0.6, 0.5, 0.4, 0.3],
                       "tmean": [5, 7, 12, 20, 20, 21, 22, 21, 18, 14, 9, 6], "srad": [600.0] * 12,
                       "et": [73.7279056] * 12, "pet": [86.8639528] * 12, "precip": [100.0] * 12}, landcover=4)
    april = ct.run(ds, te2_c=1.1814, te2_half_rule=False, water_stress="et_pet").isel(time=3, y=0, x=0)
    assert float(april["apar"]) == approx_printed("185.47")
    assert float(april["eps"]) == approx_printed("0.6108")
    assert float(april["eps"]) == pytest.approx(hand_te1(22.0, 20.0) * float(april["te2"]) * float(april["we"]) * 0.692)


def test_soil_respiration_of_a_map_without_a_time_axis():
    t, p = xr.DataArray([[20.0, 10.0]], dims=("y", "x")), xr.DataArray([[100.0, 50.0]], dims=("y", "x"))
    rh = r.soil_respiration(t, p)
    np.testing.assert_allclose(rh.values, [[29.69655, 16.28473]], rtol=1e-6)  # the pei2009 oracles, 30-day months


def test_daylength_of_a_single_date():
    one = xr.DataArray(np.datetime64("2021-06-01"))  # a 0-d time: no time dimension to put first
    k = m.daylength_factor(one, xr.DataArray([45.0, 0.0], dims="y"))
    assert k.dims == ("y",) and float(k[1]) == pytest.approx(12.0 / 12.0, abs=0.02)  # the equator: 12 h
