"""Notebook widgets, set from code: the results change the way the science says."""

import numpy as np
import pytest

from carbontools import demo
from carbontools.apps.explorers import CasaExplorer, RespirationExplorer


@pytest.fixture(scope="module")
def drivers():
    return demo.delta_city(size=40)


def test_doubling_eps_max_doubles_npp_of_that_class_only(drivers):
    e = CasaExplorer(drivers)
    forest = e.results()["landcover_casa"] == 5
    before = e.results()["npp"]
    e.eps_sliders[5].value = 2 * e.eps_sliders[5].value  # 0.475 -> 0.95
    after = e.results()["npp"]
    np.testing.assert_allclose(after.where(forest), 2 * before.where(forest), rtol=1e-12)
    np.testing.assert_array_equal(after.where(~forest).values, before.where(~forest).values)


def test_te2_constant_scales_npp_proportionally(drivers):
    e = CasaExplorer(drivers)
    npp_zhu = e.results()["npp"]
    e.te2_c = 1.1814  # Te2 is proportional to C (the half rule too)
    np.testing.assert_allclose(e.results()["npp"], npp_zhu * 1.1814 / 1.184, rtol=1e-6)  # float32 drivers


def test_preset_switch_sets_the_knobs(drivers):
    e = CasaExplorer(drivers)
    e.preset = "potter1993"
    assert (e.fpar_method, e.te2_c, e.te2_half_rule) == ("potter_sr", 1.1814, False)
    assert {s.value for s in e.eps_sliders.values()} == {0.389}


def test_breakdown_multiplies_out(drivers):
    e = CasaExplorer(drivers)
    b = e.breakdown()["value"]
    assert b["APAR = PAR x FPAR"] == pytest.approx(b["PAR = 0.5 x SOL"] * b["FPAR"], rel=1e-6)
    eps = b["Te1 (temperature, optimum)"] * b["Te2 (temperature, departure)"] * b["We (water stress)"] * b["eps_max (class)"]
    assert b["eps = Te1 Te2 We eps_max"] == pytest.approx(eps, rel=1e-6)
    assert b["NPP = APAR x eps"] == pytest.approx(b["APAR = PAR x FPAR"] * eps, rel=1e-6)


def test_raising_q10_raises_summer_rh(drivers):
    e = RespirationExplorer(drivers)
    july = lambda: e.results()["rh"].sel(model="q10", time="2022-07-01").mean()  # noqa: E731
    low = float(july())
    e.q10 = 3.0
    assert float(july()) > low  # July is far above the 10 degC reference everywhere
    assert float(e.results()["rh"].sel(model="pei2009", time="2022-07-01").mean()) > 0


def test_reference_rate_scales_q10_and_lloyd_taylor(drivers):
    e = RespirationExplorer(drivers)
    base = e.results()["rh"]
    e.rh_ref = 2 * e.rh_ref
    doubled = e.results()["rh"]
    for model in ("q10", "lloyd_taylor"):
        np.testing.assert_allclose(doubled.sel(model=model), 2 * base.sel(model=model), rtol=1e-6)
    np.testing.assert_allclose(doubled.sel(model="pei2009"), base.sel(model="pei2009"))
