"""Every test oracle of SCIENCE.md sections 1-3, checked to relative 1e-4 (or the printed precision)."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import carbontools as ct
from carbontools import demo
from carbontools.models import casa as m
from carbontools.models import respiration as r
from carbontools.params import CasaParams, LloydTaylorParams, Pei2009Params, Q10Params

from .conftest import approx_printed, monthly_grid
from .models.test_casa import hand_heat_index, hand_pet

# The worked pixel: deciduous broadleaf forest, C = 1.1814 and no half rule (SCIENCE.md section 1)
WORKED = CasaParams().replace(te2_c=1.1814, te2_half_rule=False)
NDVI_MIN, NDVI_MAX = 0.023, 0.747


def test_worked_pixel_step_by_step():
    p = WORKED
    assert float(m.simple_ratio(0.6)) == approx_printed("4.0000")
    assert float(m.fpar_from_ndvi(0.6, NDVI_MIN, NDVI_MAX, p.replace(fpar_method="ndvi"))) == approx_printed("0.7573")
    assert float(m.fpar_from_ndvi(0.6, NDVI_MIN, NDVI_MAX, p.replace(fpar_method="sr"))) == approx_printed("0.4791")
    fpar = float(m.fpar_from_ndvi(0.6, NDVI_MIN, NDVI_MAX, p))
    assert fpar == approx_printed("0.6182")
    t1 = float(m.te1(22.0, 20.0, p))
    t2 = float(m.te2(22.0, 20.0, p))
    we = float(m.zhou_water_stress(100.0, 100.0, p)[0])
    assert t1 == approx_printed("0.9980")
    assert t2 == approx_printed("0.9568")
    assert we == approx_printed("0.9244")
    assert p.eps_max[4] == 0.692 and p.par_fraction == 0.5
    # the pixel's NPP comes from the package itself, never from multiplying its own factors here:
    # see test_worked_pixel_through_run_with_zhou_and_thornthwaite and test_worked_pixel_through_run


def _bisect(f, lo, hi, steps=200):
    """A root of f in [lo, hi] by bisection (f(lo) and f(hi) of opposite signs)."""
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if (f(lo) < 0) == (f(mid) < 0) else (lo, mid)
    return 0.5 * (lo + hi)


def test_worked_pixel_through_run_with_zhou_and_thornthwaite():
    """The worked pixel through carbontools.run with its default water stress: Zhou + Thornthwaite.

    The year is built so that April is the worked pixel: T 20 degC, NDVI 0.6, P 100 mm, and the NDVI
    peaks in July at 22 degC (Topt 22).  Ep0 = 100 mm in April needs the year's heat index I to solve
    16 (10*20/I)^a(I) = 100 (I = 36.17); December's temperature is solved for that by bisection on the
    specification's formulas (tests/models/test_casa.py, written without carbontools), so the oracle's
    P = Ep0 = 100 holds and run() must give its NPP.
    """
    tmean = [-4.0, -2.0, 2.0, 20.0, 12.0, 16.0, 22.0, 14.0, 10.0, 5.0, 1.0]
    i_star = _bisect(lambda i: hand_pet(20.0, i) - 100.0, 20.0, 200.0)
    december = _bisect(lambda t: hand_heat_index(tmean + [t]) - i_star, 0.0, 10.0)
    tmean.append(december)
    assert hand_pet(20.0, hand_heat_index(tmean)) == pytest.approx(100.0, rel=1e-12)
    ndvi = [0.3, 0.3, 0.4, 0.6, 0.6, 0.65, 0.7, 0.65, 0.6, 0.5, 0.4, 0.3]
    ds = monthly_grid({"ndvi": ndvi, "tmean": tmean, "srad": [600.0] * 12, "precip": [100.0] * 12}, landcover=4)
    out = ct.run(ds, te2_c=1.1814, te2_half_rule=False)
    assert out.attrs["parameters"] and '"water_stress": "zhou"' in out.attrs["parameters"]
    april = out.isel(time=3, y=0, x=0)
    assert float(april["topt"]) == 22.0
    assert float(april["pet"]) == pytest.approx(100.0, rel=1e-9)
    assert float(april["fpar"]) == approx_printed("0.6182")
    assert float(april["te1"]) == approx_printed("0.9980")
    assert float(april["te2"]) == approx_printed("0.9568")
    assert float(april["we"]) == approx_printed("0.9244")
    assert float(april["npp"]) == approx_printed("113.29")


def test_worked_pixel_through_run():
    """The same pixel through carbontools.run: Topt found as the temperature of the NDVI-peak month.

    Water stress is given as an ET/PET pair equal to Zhou's E and Ep for P = Ep0 = 100 mm (73.7279
    and 86.8640 mm, the oracle's intermediate values), so We = 0.9244 as in the worked example.
    """
    ndvi = [0.3, 0.3, 0.4, 0.6, 0.6, 0.65, 0.7, 0.65, 0.6, 0.5, 0.4, 0.3]
    tmean = [5, 7, 12, 20, 20, 21, 22, 21, 18, 14, 9, 6]
    ds = monthly_grid({"ndvi": ndvi, "tmean": tmean, "srad": [600.0] * 12, "et": [73.7279056] * 12,
                       "pet": [86.8639528] * 12, "precip": [100.0] * 12}, landcover=4)
    out = ct.run(ds, te2_c=1.1814, te2_half_rule=False, water_stress="et_pet")
    april = out.isel(time=3, y=0, x=0)
    assert float(april["topt"]) == 22.0
    assert float(april["fpar"]) == approx_printed("0.6182")
    assert float(april["we"]) == approx_printed("0.9244")
    assert float(april["npp"]) == approx_printed("113.29")


def test_published_rounded_sr_max_gives_published_numbers():
    p = WORKED.replace(sr_max=6.91)
    fpar = float(m.fpar_from_ndvi(0.6, NDVI_MIN, NDVI_MAX, p))
    assert fpar == approx_printed("0.6180")
    npp = 600.0 * fpar * 0.5 * float(m.te1(22.0, 20.0, p)) * float(m.te2(22.0, 20.0, p)) * 0.92438724 * 0.692
    assert npp == approx_printed("113.25")


@pytest.mark.parametrize("c, expected", [(1.1814, "0.99122"), (1.184, "0.99341")])
def test_te2_at_optimum(c, expected):
    assert float(m.te2(25.0, 25.0, CasaParams(te2_c=c))) == approx_printed(expected)


# Te1 at Topt 20 and 0 is exact: 0.8 + 0.02*20 - 0.0005*400 = 1 and 0.8 + 0 - 0 = 0.8
@pytest.mark.parametrize("topt, expected, exact", [(20.0, "1.0", True), (25.0, "0.9875", False), (0.0, "0.8", True)])
def test_te1(topt, expected, exact):
    assert float(m.te1(topt, 15.0)) == approx_printed(expected, exact=exact)


def test_te1_zero_in_cold_months():
    assert float(m.te1(20.0, -10.0)) == 0.0
    assert float(m.te1(20.0, -9.9)) == approx_printed("1.0", exact=True)


def test_te2_half_rule():
    p = CasaParams()  # zhu2007: half rule on
    half = 0.5 * float(m.te2(20.0, 20.0, p.replace(te2_half_rule=False)))
    assert float(m.te2(20.0, 6.9, p)) == pytest.approx(half)  # below Topt - 13
    assert float(m.te2(20.0, 30.1, p)) == pytest.approx(half)  # above Topt + 10
    assert float(m.te2(20.0, 7.0, p)) == pytest.approx(float(m.te2(20.0, 7.0, p.replace(te2_half_rule=False))))


@pytest.mark.parametrize(
    "precip, ep0, we",
    [(100.0, 100.0, "0.9244"), (50.0, 120.0, "0.7801"), (10.0, 150.0, "0.5625")],
)
def test_zhou_water_stress(precip, ep0, we):
    assert float(m.zhou_water_stress(precip, ep0)[0]) == approx_printed(we)


def test_zhou_intermediates():
    we, e, ep = m.zhou_water_stress(100.0, 100.0)
    assert float(e) == approx_printed("73.728")
    assert float(ep) == approx_printed("86.864")


def test_zhou_edge_rules():
    we, _, _ = m.zhou_water_stress(np.array([0.0, 50.0, 0.0]), np.array([100.0, 0.0, 0.0]))
    assert we.tolist() == [0.5, 1.0, 1.0]  # no rain -> 0.5; no demand (Ep = 0) -> 1, which wins over P = 0


THORN_T = [-5, -2, 5, 12, 18, 23, 26, 25, 19, 12, 4, -3]
THORN_EP0 = ["0", "0", "13.20", "44.75", "78.77", "110.87", "131.55", "124.55", "84.94", "44.75", "9.67", "0"]


def _year_of(values):
    time = pd.date_range("2020-01-01", periods=len(values), freq="MS")
    return xr.DataArray(np.asarray(values, float), dims="time", coords={"time": time})


def test_thornthwaite_oracle():
    t = _year_of(THORN_T)
    index = m.heat_index(t)
    assert float(index[0]) == approx_printed("57.391")
    c3, c2, c1, c0 = CasaParams().pet_a_coefficients
    i = float(index[0])
    assert c3 * i**3 + c2 * i**2 + c1 * i + c0 == approx_printed("1.3945")
    pet = m.thornthwaite_pet(t, index)
    for got, expected in zip(pet.values, THORN_EP0):
        assert got == approx_printed(expected, exact=expected == "0")  # T <= 0 -> Ep0 = 0 by rule


def test_thornthwaite_high_temperature_oracle():
    """Willmott, Rowe & Mintz 1985: at and above 26.5 degC the unadjusted Ep0 = -415.85 + 32.24 T - 0.43 T^2.

    At 28.8 degC: -415.85 + 928.512 - 356.6592 = 156.0028 mm month-1.  The power law, with the heat
    index of the demo's Pearl-River-Delta-like year (I = 118.72), gives 169.39 instead.
    """
    t = _year_of(demo.T_CLIM)
    index = m.heat_index(t)
    assert float(index[0]) == approx_printed("118.72")
    july = t.isel(time=6)
    assert float(july) == 28.8
    assert float(m.thornthwaite_pet(july, index[6])) == approx_printed("169.39")
    hot = CasaParams(pet_high_temperature=True)
    assert float(m.thornthwaite_pet(july, index[6], hot)) == approx_printed("156.00")
    # the day-length factor applies on top of the curve: 156.0028 * 1.1 = 171.603
    assert float(m.thornthwaite_pet(july, index[6], hot, daylength=1.1)) == approx_printed("171.60")


@pytest.mark.parametrize(
    "t, p, expected",
    [(20, 100, "29.697"), (10, 50, "16.285"), (25, 200, "42.763"), (0, 0, "3.069"), (-10, 5, "4.133")],
)
def test_pei2009(t, p, expected):
    assert float(r.rh_pei2009(float(t), float(p))) == approx_printed(expected)


def test_pei2009_real_month_length():
    feb = float(r.rh_pei2009(20.0, 100.0, Pei2009Params(real_month_length=True), days_in_month=28))
    assert feb == pytest.approx(29.6966 * 28 / 30, rel=1e-4)


def test_q10_defaults_agree_with_pei2009_at_10_degc_50mm():
    # SCIENCE.md: Rh_ref 16.3 is "the pei2009 value at 10 degC and 50 mm" (16.285, rounded to 16.3)
    assert float(r.rh_q10(10.0)) == 16.3
    assert float(r.rh_q10(10.0)) == pytest.approx(float(r.rh_pei2009(10.0, 50.0)), abs=0.05)
    assert float(r.rh_q10(20.0)) == pytest.approx(32.6)  # doubles per 10 degC at Q10 = 2
    assert float(r.rh_q10(20.0, params=Q10Params(q10=3.0))) == pytest.approx(48.9)


@pytest.mark.parametrize("t, factor", [(0, "0.3021"), (10, "1"), (20, "2.3032"), (30, "4.2593")])
def test_lloyd_taylor_factors(t, factor):
    p = LloydTaylorParams(rh_ref=1.0)
    unit = float(r.rh_lloyd_taylor(float(t), params=p))
    assert unit == approx_printed(factor, exact=t == 10)  # at the reference 10 degC: exp(0) = 1 exactly
    assert float(r.rh_lloyd_taylor(float(t))) == pytest.approx(16.3 * unit, rel=1e-12)  # default R10 = 16.3


def test_nep_is_npp_minus_rh_and_annual_is_sum_of_months():
    ds = monthly_grid({"ndvi": np.linspace(0.2, 0.7, 12), "tmean": THORN_T, "srad": [400.0] * 12,
                       "precip": [80.0] * 12}, landcover=7)
    out = ct.run(ds)
    np.testing.assert_allclose(out["nep"], out["npp"] - out["rh"])
    assert float(out["nep_annual"].sum()) == pytest.approx(float(out["npp"].sum() - out["rh"].sum()))
    # never from annual means: Rh of the annual mean climate is a different (wrong) number
    rh_of_means = 12 * float(r.rh_pei2009(np.mean(THORN_T), 80.0))
    assert float(out["rh_annual"].squeeze()) != pytest.approx(rh_of_means, rel=1e-3)


def test_te1_never_negative():
    # the parabola gives 0.8 - 0.5 - 0.3125 = -0.0125 at Topt = -25; NPP must not turn negative
    assert float(m.te1(-25.0, -5.0)) == 0.0
    assert float(m.te1(-22.0, -5.0)) == pytest.approx(0.8 - 0.44 - 0.242)
