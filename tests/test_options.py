"""Model options: presets, FPAR given directly, ET/PET water stress, day-length PET, NDVI limits, impervious;
run() on numpy and dask, and the metadata of its outputs."""

import numpy as np
import pytest

import carbontools as ct
from carbontools.models import casa as m
from carbontools.params import CasaParams

from .conftest import monthly_grid
from .models.test_casa import POTTER, ZHU, _hand_daylength_factor, hand_fpar, hand_heat_index, hand_pet, hand_te1, \
    hand_te2, hand_zhou

T = [14, 15, 18, 22, 26, 28, 29, 29, 27, 25, 21, 16]
NDVI = [0.4, 0.42, 0.5, 0.6, 0.7, 0.75, 0.8, 0.78, 0.7, 0.6, 0.5, 0.45]


def base(**extra):
    return monthly_grid({"ndvi": NDVI, "tmean": T, "srad": [400.0] * 12, "precip": [100.0] * 12, **extra},
                        landcover=4)


def test_potter_preset_runs_with_its_constants():
    out = ct.run(base(), casa="potter1993")
    params = CasaParams.from_dict(__import__("json").loads(out.attrs["parameters"])["casa"])
    assert params == ct.CASA_PRESETS["potter1993"]
    j = out.isel(time=6, y=0, x=0)  # July: NDVI 0.8 -> SR 9 -> (9 - 1.08)/(4.14 - 1.08) = 2.59, capped at 0.95
    assert float(j["fpar"]) == 0.95 == hand_fpar(0.8, None, POTTER)
    # Topt = July's 29 degC: Te1 = 0.8 + 0.58 - 0.4205 = 0.9595; Te2(T = Topt, C 1.1814) = 0.99122 (oracle);
    # We from Zhou with P 100 and Thornthwaite Ep0 of the year; eps_max 0.389 for every class
    we = hand_zhou(100.0, hand_pet(29.0, hand_heat_index(T)))[0]
    expected = 400 * 0.95 * 0.5 * 0.9595 * hand_te2(29.0, 29.0, 1.1814, half=False) * we * 0.389
    assert hand_te2(29.0, 29.0, 1.1814, half=False) == pytest.approx(0.99122, abs=5e-6)
    assert float(j["npp"]) == pytest.approx(expected, rel=1e-12)
    assert float(j["npp"]) != pytest.approx(expected / 0.389 * 0.692, rel=1e-3)  # not the Zhu eps_max of the class


def test_fpar_given_directly():
    fpar = [0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.65, 0.55, 0.45, 0.3, 0.2]
    ds = monthly_grid({"fpar": fpar, "tmean": T, "srad": [400.0] * 12, "precip": [100.0] * 12}, landcover=4)
    out = ct.run(ds)
    np.testing.assert_allclose(out["fpar"].values.ravel(), fpar)
    assert float(out["topt"][0, 0, 0]) == 29.0  # FPAR peaks in July
    row = out.isel(time=3, y=0, x=0)  # April: FPAR 0.4 as given, T 22 against Topt 29
    we = hand_zhou(100.0, hand_pet(22.0, hand_heat_index(T)))[0]
    expected = 400 * 0.4 * 0.5 * hand_te1(29.0, 22.0) * hand_te2(29.0, 22.0, ZHU["c"], ZHU["half"]) * we * 0.692
    assert float(row["npp"]) == pytest.approx(expected, rel=1e-12)


def test_et_pet_water_stress():
    assert float(m.et_pet_water_stress(60.0, 100.0)) == pytest.approx(0.8)  # 0.5 + 0.5 * 0.6
    assert float(m.et_pet_water_stress(0.0, 0.0)) == 1.0  # no demand
    assert float(m.et_pet_water_stress(150.0, 100.0)) == 1.0  # clipped
    out = ct.run(base(et=[60.0] * 12, pet=[100.0] * 12), water_stress="et_pet")
    np.testing.assert_allclose(out["we"], 0.8)


def test_et_pet_requires_both():
    with pytest.raises(ValueError, match=r"drivers lack 'et'"):
        ct.run(base(), water_stress="et_pet")


def test_daylength_option_changes_pet_with_latitude():
    ds = base()  # UTM 49N near 0.01 deg N for these small coordinates
    geo = ds.assign_coords(y=[45.0], x=[110.0]).rio.write_crs("EPSG:4326")
    plain = ct.run(geo)
    corrected = ct.run(geo, pet_daylength=True)
    ratio = (corrected["pet"] / plain["pet"]).isel(y=0, x=0)
    days = geo["time"].dt.days_in_month
    mid = geo["time"].dt.dayofyear + (days - 1) / 2
    expected = [_hand_daylength_factor(45.0, float(d), float(n)) for d, n in zip(mid, days)]
    np.testing.assert_allclose(ratio, expected, rtol=1e-9)


def test_impervious_scales_rh_only():
    plain = ct.run(base())
    ds = base()
    ds["impervious"] = (("y", "x"), np.array([[0.3]]), {"units": "1"})
    sealed = ct.run(ds)
    np.testing.assert_allclose(sealed["rh"], 0.7 * plain["rh"])
    np.testing.assert_allclose(sealed["npp"], plain["npp"])


@pytest.mark.parametrize("model", ["q10", "lloyd_taylor"])
def test_moisture_scalar_multiplies_rh(model):
    plain = ct.run(base(), rh=model)
    wet = ct.run(base(moisture=[0.5] * 12), rh=model)
    np.testing.assert_allclose(wet["rh"], 0.5 * plain["rh"])


def test_outputs_carry_units_names_and_sign_convention():
    out = ct.run(base())
    for name in ("npp", "rh", "nep", "fpar", "te1", "te2", "we"):
        assert out[name].attrs["units"] and out[name].attrs["long_name"], name
    assert out["nep"].attrs["units"] == "g m-2 month-1" and out["nep"].attrs["carbon_basis"] == "C"
    assert out["nep_annual"].attrs["units"] == "g m-2 yr-1"
    assert "sink" in out["nep"].attrs["sign_convention"]
    assert out["nep_annual"]["months"].values.tolist() == [12]
    assert out.attrs["rh_model"] == "pei2009" and out.attrs["casa_preset"] == "zhu2007"


# --- run() on numpy and dask, and its output metadata (tests/general_checks.py) ------------------

from .general_checks import assert_backends_agree, assert_has_metadata, assert_own_metadata, synthetic_scene  # noqa

DRIVERS = ["ndvi", "tmean", "precip", "srad", "landcover"]


@pytest.fixture(scope="module")
def scene():
    return synthetic_scene()  # NaNs, water, ice, nodata, cold and dry months


@pytest.mark.parametrize("options", [
    {},
    {"casa": "potter1993", "rh": "q10"},
    {"rh": "lloyd_taylor", "water_stress": "et_pet"},
    {"pet_daylength": True, "real_month_length": True},
], ids=["defaults", "potter1993-q10", "lloyd_taylor-et_pet", "daylength-month_length"])
def test_run_gives_the_same_on_numpy_and_dask(scene, options):
    drivers = scene[DRIVERS + ["et", "pet", "impervious", "moisture"]]
    # one compute: to_casa checks the land-cover codes (see test_run_builds_its_graph_without_computing)
    eager, _ = assert_backends_agree(ct.run, drivers, check=False, max_computes=1, units=True, long_name=True,
                                     rtol=1e-10, atol=1e-10, **options)
    assert int(eager["npp"].notnull().sum()) > 500 and (eager["nep"] < 0).any() and (eager["nep"] > 0).any()


@pytest.mark.xfail(strict=True, reason="run(check=False) reads the land-cover map once while building the graph, "
                   "block by block, to learn its class codes (to_casa -> check_codes -> present_codes, dask's "
                   "unique), as the pipeline docstring says; nothing else is computed")
def test_run_builds_its_graph_without_computing(scene):
    assert_backends_agree(ct.run, scene[DRIVERS], check=False)


def test_run_with_check_computes_the_statistics_in_one_pass_besides_the_codes(scene):
    assert_backends_agree(ct.run, scene[DRIVERS], check=True, max_computes=2, rtol=1e-10, atol=1e-10)


def test_run_outputs_carry_units_and_long_name(scene):
    out = ct.run(scene[DRIVERS], check=False)
    assert_has_metadata(out, units=True, long_name=True)
    for name in ("npp", "rh", "nep"):
        assert_has_metadata(out[name], units="g m-2 month-1")  # UDUNITS-readable; basis in carbon_basis
        assert_has_metadata(out[f"{name}_annual"], units="g m-2 yr-1")


def test_run_outputs_do_not_wear_the_drivers_metadata(scene):
    out = ct.run(scene[DRIVERS], check=False)
    not_topt = [v for v in out.data_vars if v != "topt"]  # Topt is an air temperature: its standard_name may stay
    assert_own_metadata(out[not_topt], *[scene[v] for v in DRIVERS])


def test_run_outputs_are_nan_on_landcover_nodata(scene):
    out = ct.run(scene[DRIVERS], check=False)
    pixel = out.drop_vars("landcover_casa").isel(y=4, x=0)  # the nodata pixel of the scene
    finite = [v for v in pixel.data_vars if pixel[v].notnull().any()]
    assert not finite, f"finite on nodata: {finite}"


def test_run_npp_and_nep_are_nan_on_landcover_nodata(scene):
    out = ct.run(scene[DRIVERS], check=False)
    for name in ("npp", "nep", "npp_annual", "nep_annual", "fpar", "apar", "eps", "landcover_casa"):
        assert out[name].isel(y=4, x=0).isnull().all(), name
