"""Mirrors carbontools/models/respiration.py: rh_pei2009, rh_q10, rh_lloyd_taylor, soil_respiration and the
RH_MODELS registry, on numpy and dask, against formulas typed in here from SCIENCE.md section 2.

SCIENCE.md oracles for single values live in tests/test_oracles.py; the pei2009 bracket misprint in
tests/test_public_code_mistakes.py.
"""

import math

import numpy as np
import pytest

from carbontools.models import respiration as r
from carbontools.params import LloydTaylorParams, Pei2009Params, Q10Params

from ..general_checks import assert_backends_agree, assert_own_metadata, elementwise, synthetic_scene


def hand_pei2009(t, p, days=30.0):
    return 0.22 * (math.exp(0.0912 * t) + math.log(0.3145 * p + 1)) * days * 0.465


def hand_q10(t, moisture=1.0):
    return 16.3 * 2.0 ** ((t - 10.0) / 10.0) * moisture


def hand_lloyd_taylor(t, moisture=1.0):
    if math.isnan(t):
        return math.nan
    if t + 46.02 <= 0:
        return 0.0
    return 16.3 * math.exp(308.56 * (1 / 56.02 - 1 / (t + 46.02))) * moisture


HAND = {"pei2009": hand_pei2009, "q10": hand_q10, "lloyd_taylor": hand_lloyd_taylor}


@pytest.fixture(scope="module")
def s():
    return synthetic_scene()


def expected_rh(s, model, moisture=False, impervious=False, landcover=False, real_month_length=False):
    t, p = s["tmean"].values, s["precip"].values
    if model == "pei2009":
        days = s["time"].dt.days_in_month.values[:, None, None] if real_month_length else 30.0
        rh = elementwise(hand_pei2009, t, p, days)
    else:
        rh = elementwise(HAND[model], t, s["moisture"].values if moisture else 1.0)
    if impervious:
        rh = rh * (1 - s["impervious"].values)
    if landcover:  # 0 on water and ice, NaN where the land cover has no data (SCIENCE.md section 2)
        lc = s["landcover"].values
        rh = np.where(np.isin(lc, [10, 11]), 0.0, np.where(np.isnan(lc), np.nan, rh))
    return rh


# --- each model on numpy and dask, against the typed-in formula --------------------------------

def test_rh_pei2009(s):
    eager, _ = assert_backends_agree(r.rh_pei2009, s["tmean"], s["precip"], like=s["tmean"])
    np.testing.assert_allclose(eager.values, expected_rh(s, "pei2009"), rtol=1e-12)


def test_rh_pei2009_real_month_length(s):
    days = s["time"].dt.days_in_month
    eager, _ = assert_backends_agree(r.rh_pei2009, s["tmean"], s["precip"], Pei2009Params(real_month_length=True),
                                     days_in_month=days, like=s["tmean"])
    np.testing.assert_allclose(eager.values, expected_rh(s, "pei2009", real_month_length=True), rtol=1e-12)
    feb_2020 = eager.sel(time="2020-02-01") / r.rh_pei2009(s["tmean"], s["precip"]).sel(time="2020-02-01")
    np.testing.assert_allclose(feb_2020.values[np.isfinite(feb_2020.values)], 29 / 30, rtol=1e-12)  # a leap year
    with pytest.raises(ValueError, match="real_month_length=True needs days_in_month"):
        r.rh_pei2009(s["tmean"], s["precip"], Pei2009Params(real_month_length=True))


@pytest.mark.parametrize("moisture", [False, True])
def test_rh_q10(s, moisture):
    kw = {"moisture": s["moisture"]} if moisture else {}
    eager, _ = assert_backends_agree(r.rh_q10, s["tmean"], like=s["tmean"], **kw)
    np.testing.assert_allclose(eager.values, expected_rh(s, "q10", moisture=moisture), rtol=1e-12)


@pytest.mark.parametrize("moisture", [False, True])
def test_rh_lloyd_taylor(s, moisture):
    kw = {"moisture": s["moisture"]} if moisture else {}
    eager, _ = assert_backends_agree(r.rh_lloyd_taylor, s["tmean"], like=s["tmean"], **kw)
    np.testing.assert_allclose(eager.values, expected_rh(s, "lloyd_taylor", moisture=moisture), rtol=1e-12)


def test_rh_lloyd_taylor_is_zero_at_and_below_t0():
    assert r.rh_lloyd_taylor(np.array([-46.02, -50.0])).tolist() == [0.0, 0.0]
    assert float(r.rh_lloyd_taylor(-40.0)) == pytest.approx(16.3 * math.exp(308.56 * (1 / 56.02 - 1 / 6.02)))


@pytest.mark.parametrize("model", sorted(r.RH_MODELS))
def test_soil_respiration(s, model):
    kw = dict(model=model, landcover=s["landcover"], impervious=s["impervious"])
    if model != "pei2009":
        kw["moisture"] = s["moisture"]
    eager, _ = assert_backends_agree(r.soil_respiration, s["tmean"], s["precip"], like=s["tmean"], **kw)
    expected = expected_rh(s, model, moisture=model != "pei2009", impervious=True, landcover=True)
    np.testing.assert_allclose(eager.values, expected, rtol=1e-12)
    assert (eager.isel(y=0, x=1) == 0).all() and (eager.isel(y=1, x=0) == 0).all()  # water, snow/ice


def test_soil_respiration_real_month_length_reads_the_time_axis(s):
    rh = r.soil_respiration(s["tmean"], s["precip"], params=Pei2009Params(real_month_length=True))
    np.testing.assert_allclose(rh.values, expected_rh(s, "pei2009", real_month_length=True), rtol=1e-12)


def test_soil_respiration_is_nan_on_landcover_nodata(s):
    rh = r.soil_respiration(s["tmean"], s["precip"], landcover=s["landcover"])
    assert rh.isel(y=4, x=0).isnull().all()


# --- the registry ------------------------------------------------------------------------------

def test_rh_models_registry():
    assert sorted(r.RH_MODELS) == ["lloyd_taylor", "pei2009", "q10"]
    expected = {"pei2009": (r.rh_pei2009, Pei2009Params, True), "q10": (r.rh_q10, Q10Params, False),
                "lloyd_taylor": (r.rh_lloyd_taylor, LloydTaylorParams, False)}
    for name, model in r.RH_MODELS.items():
        assert model.name == name
        assert (model.function, model.params, "precip" in model.requires) == expected[name]
        assert model.description


@pytest.mark.parametrize("model", sorted(r.RH_MODELS))
def test_soil_respiration_by_name_is_the_registered_function(s, model):
    by_name = r.soil_respiration(s["tmean"], s["precip"], model=model)
    np.testing.assert_allclose(by_name.values, expected_rh(s, model), rtol=1e-12)


def test_soil_respiration_refuses_bad_choices(s):
    with pytest.raises(ValueError, match=r"unknown Rh model 'q11'; choose one of \['lloyd_taylor', 'pei2009', 'q10'\]"):
        r.soil_respiration(s["tmean"], s["precip"], model="q11")
    with pytest.raises(TypeError, match="Rh model 'q10' takes Q10Params, got Pei2009Params"):
        r.soil_respiration(s["tmean"], model="q10", params=Pei2009Params())
    with pytest.raises(ValueError, match=r"Rh model 'pei2009' needs 'precip'"):
        r.soil_respiration(s["tmean"])


# --- metadata ----------------------------------------------------------------------------------

RH_UNIT = "g C m-2 month-1"
KEEPS = "(xarray carries the first operand's name and attrs through arithmetic)"

METADATA_CASES = [
    ("rh_pei2009", lambda s: (r.rh_pei2009(s["tmean"], s["precip"]), [s["tmean"], s["precip"]]), None),
    ("rh_q10", lambda s: (r.rh_q10(s["tmean"]), [s["tmean"]]), None),
    ("rh_lloyd_taylor", lambda s: (r.rh_lloyd_taylor(s["tmean"]), [s["tmean"]]), None),
    ("soil_respiration-pei2009", lambda s: (r.soil_respiration(s["tmean"], s["precip"], impervious=s["impervious"]),
                                            [s["tmean"], s["precip"], s["impervious"]]), None),
    ("soil_respiration-q10", lambda s: (r.soil_respiration(s["tmean"], model="q10", landcover=s["landcover"]),
                                        [s["tmean"], s["landcover"]]), None),
]


@pytest.mark.parametrize("build", [
    pytest.param(build, id=name, marks=[pytest.mark.xfail(strict=True, reason=finding)] if finding else [])
    for name, build, finding in METADATA_CASES])
def test_results_do_not_wear_their_inputs_metadata(s, build):
    result, inputs = build(s)
    assert_own_metadata(result, *inputs, units=RH_UNIT)
