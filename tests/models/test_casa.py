"""Mirrors carbontools/models/casa.py: every public function on numpy and dask, and against an independent
implementation written here from SCIENCE.md section 1 (plain Python, one value at a time, constants typed
in from the specification rather than read from carbontools.params).

The regression sets stay where they are: SCIENCE.md oracles in tests/test_oracles.py, the public-code
mistakes in tests/test_public_code_mistakes.py, hypothesis properties in tests/test_properties.py.
"""

import math

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import carbontools as ct
from carbontools.grid import latitude
from carbontools.landcover import class_lookup
from carbontools.models import casa as m
from carbontools.params import CasaParams

from ..conftest import monthly_grid
from ..general_checks import assert_backends_agree, assert_keeps_grid, assert_own_metadata, elementwise, synthetic_scene

# --- SCIENCE.md section 1, typed in ------------------------------------------------------------

EPS_MAX = {1: 0.389, 2: 0.985, 3: 0.485, 4: 0.692, 5: 0.475, 6: 0.429, 7: 0.542, 8: 0.542, 9: 0.542}
NDVI_MAX = {1: 0.647, 2: 0.676, 3: 0.738, 4: 0.747, 5: 0.702, 6: 0.636, 7: 0.634, 8: 0.634, 9: 0.634}
ZHU = dict(fpar="ndvi_sr", ndvi_min=0.023, sr_min=1.05, sr_max=None, c=1.184, half=True)
POTTER = dict(fpar="potter_sr", ndvi_min=0.023, sr_min=1.08, sr_max=4.14, c=1.1814, half=False)
FPAR_MIN, FPAR_MAX = 0.001, 0.95


def nan(*values):
    return any(math.isnan(v) for v in values)


def hand_fpar(ndvi, ndvi_max, spec):
    """FPAR of SCIENCE.md; ``ndvi_max`` (the class's) is not used by Potter's SR-only formula."""
    if nan(ndvi) or (spec["fpar"] != "potter_sr" and nan(ndvi_max)):
        return math.nan
    sr = (1 + ndvi) / (1 - ndvi)
    sr_max = spec["sr_max"] if spec["sr_max"] is not None else (1 + ndvi_max) / (1 - ndvi_max)
    if spec["fpar"] == "potter_sr":
        fpar = (sr - spec["sr_min"]) / (sr_max - spec["sr_min"])
    else:
        span = FPAR_MAX - FPAR_MIN
        by_ndvi = (ndvi - spec["ndvi_min"]) / (ndvi_max - spec["ndvi_min"]) * span + FPAR_MIN
        by_sr = (sr - spec["sr_min"]) / (sr_max - spec["sr_min"]) * span + FPAR_MIN
        fpar = 0.5 * by_ndvi + 0.5 * by_sr
    return min(max(fpar, FPAR_MIN), FPAR_MAX)


def hand_topt(ndvi_year, t_year):
    """The temperature of the first month with the year's highest NDVI (NaN NDVI months do not count)."""
    best = None
    for k, v in enumerate(ndvi_year):
        if not math.isnan(v) and (best is None or v > ndvi_year[best]):
            best = k
    return math.nan if best is None else t_year[best]


def hand_te1(topt, t):
    if math.isnan(t):
        return math.nan
    if t <= -10:
        return 0.0
    if math.isnan(topt):
        return math.nan
    value = 0.8 + 0.02 * topt - 0.0005 * topt**2
    return value if value > 0 else 0.0


def hand_te2(topt, t, c=1.184, half=True):
    if nan(topt, t):
        return math.nan

    def raw(tt):
        return c / ((1 + math.exp(0.2 * (topt - 10 - tt))) * (1 + math.exp(0.3 * (-topt - 10 + tt))))

    if half and (t < topt - 13 or t > topt + 10):
        return 0.5 * raw(topt)
    return raw(t)


def hand_heat_index(t_year):
    if nan(*t_year):
        return math.nan
    return sum((max(t, 0.0) / 5) ** 1.514 for t in t_year)


def hand_pet(t, i):
    if nan(t, i):
        return math.nan
    if t <= 0 or i == 0:
        return 0.0
    a = 6.75e-7 * i**3 - 7.71e-5 * i**2 + 1.792e-2 * i + 0.49239
    return 16 * (10 * t / i) ** a


def hand_zhou(p, ep0):
    """(We, E, Ep) straight from the formulas of SCIENCE.md."""
    if nan(p, ep0):
        return math.nan, math.nan, math.nan
    if p > 0:
        rn = math.sqrt(ep0 * p) * (0.369 + 0.598 * math.sqrt(ep0 / p))
        e = p * rn * (p**2 + rn**2 + p * rn) / ((p + rn) * (p**2 + rn**2))
    else:
        e = 0.0
    ep = (e + ep0) / 2
    if ep == 0:
        we = 1.0
    elif p == 0:
        we = 0.5
    else:
        we = min(max(0.5 + 0.5 * e / ep, 0.5), 1.0)
    return we, e, ep


def hand_et_pet(et, pet):
    if nan(et, pet):
        return math.nan
    if pet <= 0:
        return 1.0
    return min(max(0.5 + 0.5 * et / pet, 0.5), 1.0)


def by_year(time):
    years = pd.DatetimeIndex(time).year
    return {y: np.flatnonzero(years == y) for y in np.unique(years)}


def hand_casa_npp(s, spec=ZHU):
    """NPP (time, y, x) of scene ``s``, pixel by pixel and month by month, from the functions above."""
    nt, ny, nx = s["tmean"].shape
    out = np.full((nt, ny, nx), np.nan)
    years = by_year(s["time"].values)
    v = {k: s[k].values for k in ("ndvi", "tmean", "precip", "srad")}
    for j in range(ny):
        for i in range(nx):
            code = float(s["landcover"].values[j, i])
            if math.isnan(code):
                continue
            if code in (10.0, 11.0):
                out[:, j, i] = 0.0
                continue
            eps_max = EPS_MAX[int(code)] if spec is ZHU else 0.389
            for months in years.values():
                t_year = [float(v["tmean"][k, j, i]) for k in months]
                topt = hand_topt([float(v["ndvi"][k, j, i]) for k in months], t_year)
                heat = hand_heat_index(t_year)
                for k in months:
                    t = float(v["tmean"][k, j, i])
                    fpar = hand_fpar(float(v["ndvi"][k, j, i]), NDVI_MAX[int(code)], spec)
                    we = hand_zhou(float(v["precip"][k, j, i]), hand_pet(t, heat))[0]
                    eps = hand_te1(topt, t) * hand_te2(topt, t, spec["c"], spec["half"]) * we * eps_max
                    out[k, j, i] = float(v["srad"][k, j, i]) * fpar * 0.5 * eps
    return out


def per_pixel_year(func, da):
    """``func`` of one pixel's months of one year (a list) -> one value, broadcast back onto the months."""
    values = da.transpose("time", "y", "x").values
    out = np.full(values.shape, np.nan)
    for months in by_year(da["time"].values).values():
        for j in range(values.shape[1]):
            for i in range(values.shape[2]):
                out[months, j, i] = func([float(values[k, j, i]) for k in months])
    return out


# --- the scene ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def s():
    return synthetic_scene()


@pytest.fixture(scope="module")
def limits(s):
    """NDVI_min / NDVI_max per pixel from the spec table (not from class_lookup), NaN on nodata."""
    codes = s["landcover"]
    table = [NDVI_MAX.get(int(c), 0.634) if np.isfinite(c) else np.nan for c in codes.values.ravel()]
    nmax = codes.copy(data=np.reshape(table, codes.shape))
    return xr.full_like(nmax, 0.023).where(codes.notnull()), nmax


def test_the_scene_has_what_the_checks_need(s):
    """The synthetic scene must exercise NaNs, water, ice, nodata, cold and dry months (else checks are weak)."""
    lc = s["landcover"]
    assert {10.0, 11.0, 8.0} <= set(np.unique(lc.values[np.isfinite(lc.values)]))
    assert int(lc.isnull().sum()) == 1
    assert all(int(s[v].isnull().sum()) == 1 for v in ("ndvi", "tmean", "precip", "srad"))
    assert float(s["tmean"].min()) < -10 and float(s["tmean"].max()) > 25
    assert int((s["precip"] == 0).sum()) > 10 and int((s["pet"] == 0).sum()) == 24
    assert s.sizes == {"time": 24, "y": 5, "x": 6}


# --- numpy == dask, grid kept, and the independent implementation ----------------------------

def test_simple_ratio(s):
    eager, _ = assert_backends_agree(m.simple_ratio, s["ndvi"], like=s["ndvi"])
    n = s["ndvi"].values
    np.testing.assert_allclose(eager.values, (1 + n) / (1 - n), rtol=1e-12)
    assert np.isfinite(float(m.simple_ratio(1.0)))  # capped just below NDVI = 1


@pytest.mark.parametrize("preset, spec", [("zhu2007", ZHU), ("potter1993", POTTER)])
def test_fpar_from_ndvi(s, limits, preset, spec):
    nmin, nmax = limits
    eager, _ = assert_backends_agree(m.fpar_from_ndvi, s["ndvi"], nmin, nmax, ct.casa_preset(preset), like=s["ndvi"])
    expected = elementwise(lambda n, mx: hand_fpar(n, mx, spec), s["ndvi"].values, nmax.values[None])
    np.testing.assert_allclose(eager.values, expected, rtol=1e-12)
    assert np.isnan(eager.values[3, 1, 2])  # NaN NDVI
    assert np.isnan(eager.values[:, 4, 0]).all() == (spec["sr_max"] is None)  # nodata: no class NDVI_max
    assert ((eager >= 0.001) & (eager <= 0.95)).where(eager.notnull(), True).all()


def test_fpar_methods_ndvi_and_sr_are_the_two_halves(s, limits):
    nmin, nmax = limits
    p = CasaParams()
    both = m.fpar_from_ndvi(s["ndvi"], nmin, nmax, p)
    by_ndvi = m.fpar_from_ndvi(s["ndvi"], nmin, nmax, p.replace(fpar_method="ndvi"))
    by_sr = m.fpar_from_ndvi(s["ndvi"], nmin, nmax, p.replace(fpar_method="sr"))
    unclamped = (both > 0.001) & (both < 0.95) & (by_ndvi < 0.95) & (by_sr < 0.95) & (by_ndvi > 0.001) & (by_sr > 0.001)
    assert int(unclamped.sum()) > 100
    np.testing.assert_allclose(both.where(unclamped), (0.5 * by_ndvi + 0.5 * by_sr).where(unclamped), rtol=1e-12)
    assert float(abs(by_ndvi - by_sr).where(unclamped).max()) > 0.05  # the two halves do differ


def test_optimal_temperature(s):
    eager, _ = assert_backends_agree(m.optimal_temperature, s["ndvi"], s["tmean"], like=s["tmean"])
    nd, t = s["ndvi"].values, s["tmean"].values
    expected = np.full(t.shape, np.nan)
    for months in by_year(s["time"].values).values():
        for j, i in np.ndindex(t.shape[1:]):
            expected[months, j, i] = hand_topt(list(nd[months, j, i]), list(t[months, j, i]))
    np.testing.assert_array_equal(eager.values, expected)  # a selected value: exact
    assert eager.name == "topt"


def test_te1(s):
    topt = m.optimal_temperature(s["ndvi"], s["tmean"])
    eager, _ = assert_backends_agree(m.te1, topt, s["tmean"], like=s["tmean"])
    np.testing.assert_allclose(eager.values, elementwise(hand_te1, topt.values, s["tmean"].values), rtol=1e-12)
    assert int((eager == 0).sum()) >= 2  # the cold pixel's winters


@pytest.mark.parametrize("preset, spec", [("zhu2007", ZHU), ("potter1993", POTTER)])
def test_te2(s, preset, spec):
    topt = m.optimal_temperature(s["ndvi"], s["tmean"])
    eager, _ = assert_backends_agree(m.te2, topt, s["tmean"], ct.casa_preset(preset), like=s["tmean"])
    expected = elementwise(lambda a, b: hand_te2(a, b, spec["c"], spec["half"]), topt.values, s["tmean"].values)
    np.testing.assert_allclose(eager.values, expected, rtol=1e-12)
    if spec["half"]:  # the scene must reach the half rule, or this case tests nothing extra
        outside = (s["tmean"] < topt - 13) | (s["tmean"] > topt + 10)
        assert int(outside.sum()) > 10


def test_heat_index(s):
    eager, _ = assert_backends_agree(m.heat_index, s["tmean"], like=s["tmean"])
    np.testing.assert_allclose(eager.values, per_pixel_year(hand_heat_index, s["tmean"]), rtol=1e-12)
    assert np.isnan(eager.values[12:, 2, 3]).all() and np.isfinite(eager.values[:12, 2, 3]).all()  # NaN in 2021 only


def test_heat_index_refuses_an_incomplete_year(s):
    with pytest.raises(ValueError, match=r"incomplete years: 2021 \(6 months\)"):
        m.heat_index(s["tmean"].isel(time=slice(0, 18)))


def test_thornthwaite_pet(s):
    heat = m.heat_index(s["tmean"])
    eager, _ = assert_backends_agree(m.thornthwaite_pet, s["tmean"], heat, like=s["tmean"])
    np.testing.assert_allclose(eager.values, elementwise(hand_pet, s["tmean"].values, heat.values), rtol=1e-12)
    assert int((eager == 0).sum()) > 10  # months at or below 0 degC


def test_thornthwaite_pet_with_daylength_factor(s):
    heat = m.heat_index(s["tmean"])
    k = m.daylength_factor(s["time"], latitude(s))
    eager, _ = assert_backends_agree(m.thornthwaite_pet, s["tmean"], heat, daylength=k, like=s["tmean"])
    plain = elementwise(hand_pet, s["tmean"].values, heat.values)
    np.testing.assert_allclose(eager.values, plain * k.transpose("time", "y", "x").values, rtol=1e-12)


def hand_pet_willmott(t, i):
    """Thornthwaite with Willmott, Rowe & Mintz's (1985) curve at and above 26.5 degC."""
    if nan(t, i) or t < 26.5:
        return hand_pet(t, i)
    return -415.85 + 32.24 * t - 0.43 * t**2


def test_thornthwaite_high_temperature_curve_is_an_option(s):
    assert not ct.casa_preset("zhu2007").pet_high_temperature and not ct.casa_preset("potter1993").pet_high_temperature
    heat = m.heat_index(s["tmean"])
    k = m.daylength_factor(s["time"], latitude(s))
    hot = CasaParams(pet_high_temperature=True)
    assert CasaParams.from_json(hot.to_json()) == hot  # the coefficients come back from JSON as a tuple
    eager, _ = assert_backends_agree(m.thornthwaite_pet, s["tmean"], heat, hot, daylength=k, like=s["tmean"])
    expected = elementwise(hand_pet_willmott, s["tmean"].values, heat.values) * k.transpose("time", "y", "x").values
    np.testing.assert_allclose(eager.values, expected, rtol=1e-12)
    assert int((s["tmean"] >= 26.5).sum()) > 5  # the scene has hot months
    plain = m.thornthwaite_pet(s["tmean"], heat, daylength=k)
    xr.testing.assert_equal(eager.where(s["tmean"] < 26.5), plain.where(s["tmean"] < 26.5))


def test_thornthwaite_high_temperature_curve_through_run():
    t = [14, 15, 18, 22, 26, 28, 29, 29, 27, 25, 21, 16]
    ds = monthly_grid({"ndvi": [0.6] * 12, "tmean": t, "srad": [400.0] * 12, "precip": [30.0] * 12}, landcover=4)
    plain, hot = ct.run(ds), ct.run(ds, pet_high_temperature=True)
    i = hand_heat_index(t)
    np.testing.assert_allclose(hot["pet"].values.ravel(), [hand_pet_willmott(x, i) for x in t], rtol=1e-12)
    np.testing.assert_array_equal(hot["pet"].values.ravel()[:5], plain["pet"].values.ravel()[:5])
    # less demand in the hot months: less water stress, more NPP
    assert (hot["we"].values.ravel()[5:9] > plain["we"].values.ravel()[5:9]).all()
    assert (hot["npp"].values.ravel()[5:9] > plain["npp"].values.ravel()[5:9]).all()


def test_daylength_factor(s):
    lat = latitude(s)
    eager, _ = assert_backends_agree(m.daylength_factor, s["time"], lat)
    assert_keeps_grid(eager.transpose("time", "y", "x"), s["tmean"])
    eager = eager.transpose("time", "y", "x")
    days = s["time"].dt.days_in_month.values
    mid = s["time"].dt.dayofyear.values + (days - 1) / 2
    expected = np.array([[_hand_daylength_factor(phi, d, n) for phi in s["y"].values] for d, n in zip(mid, days)])
    np.testing.assert_allclose(eager.values, np.broadcast_to(expected[:, :, None], eager.shape), rtol=1e-12)


def test_daylength_factor_dims_follow_time_y_x(s):
    assert m.daylength_factor(s["time"], latitude(s)).dims == ("time", "y", "x")


def test_daylength_factor_clips_polar_day_and_night():
    time = xr.DataArray(pd.to_datetime(["2021-06-01", "2021-12-01"]), dims="time")
    time = time.assign_coords(time=time)
    k = m.daylength_factor(time["time"], xr.DataArray(80.0))
    # 24 h of day in June (30 days): 24/12 * 30/30 = 2; no day in December
    np.testing.assert_allclose(k.values, [2.0, 0.0], atol=1e-12)


def test_zhou_water_stress(s):
    pet0 = m.thornthwaite_pet(s["tmean"], m.heat_index(s["tmean"]))
    eager, _ = assert_backends_agree(m.zhou_water_stress, s["precip"], pet0, like=s["tmean"])
    expected = [elementwise(lambda p, e: hand_zhou(p, e)[k], s["precip"].values, pet0.values) for k in range(3)]
    for got, want in zip(eager, expected):
        np.testing.assert_allclose(got.values, want, rtol=1e-9)
    we = eager[0]
    assert int((we == 0.5).sum()) > 0 and int((we == 1.0).sum()) > 0  # dry months and months without demand


def test_et_pet_water_stress(s):
    eager, _ = assert_backends_agree(m.et_pet_water_stress, s["et"], s["pet"], like=s["tmean"])
    np.testing.assert_allclose(eager.values, elementwise(hand_et_pet, s["et"].values, s["pet"].values), rtol=1e-12)
    assert int((eager == 1.0).sum()) > 24  # clipped at 1 (ET > PET) and PET = 0


CASA_VARS = ("npp", "fpar", "apar", "topt", "te1", "te2", "we", "pet", "eps")


@pytest.mark.parametrize("case", ["zhu2007", "potter1993", "et_pet", "fpar_given", "pet_daylength"])
def test_casa_npp_on_numpy_and_dask(s, case):
    kw = dict(srad=s["srad"], tmean=s["tmean"], landcover=s["landcover"], ndvi=s["ndvi"], precip=s["precip"])
    params = CasaParams()
    if case == "potter1993":
        params = ct.casa_preset("potter1993")
    elif case == "et_pet":
        kw.update(et=s["et"], pet=s["pet"])
        params = params.replace(water_stress="et_pet")
    elif case == "fpar_given":
        kw["fpar"] = m.fpar_from_ndvi(s["ndvi"], 0.023, 0.7)
        del kw["ndvi"]
    elif case == "pet_daylength":
        kw["latitude"] = latitude(s)
        params = params.replace(pet_daylength=True)
    eager, _ = assert_backends_agree(m.casa_npp, params=params, like=s["tmean"], **kw)
    assert tuple(eager.data_vars) == CASA_VARS
    assert int(eager["npp"].notnull().sum()) > 500 and float(eager["npp"].max()) > 50


@pytest.mark.parametrize("preset, spec", [("zhu2007", ZHU), ("potter1993", POTTER)])
def test_casa_npp_matches_a_pixel_by_pixel_implementation(s, preset, spec):
    out = m.casa_npp(srad=s["srad"], tmean=s["tmean"], landcover=s["landcover"], ndvi=s["ndvi"],
                     precip=s["precip"], params=ct.casa_preset(preset))
    np.testing.assert_allclose(out["npp"].values, hand_casa_npp(s, spec), rtol=1e-9)


def test_casa_npp_water_ice_and_nodata(s):
    out = m.casa_npp(srad=s["srad"], tmean=s["tmean"], landcover=s["landcover"], ndvi=s["ndvi"], precip=s["precip"])
    npp = out["npp"]
    assert (npp.isel(y=0, x=1) == 0).all() and (npp.isel(y=1, x=0) == 0).all()  # water, ice: 0 with green NDVI
    assert float(s["ndvi"].isel(y=0, x=1).max()) > 0.5
    assert npp.isel(y=4, x=0).isnull().all()  # nodata
    assert (npp.isel(y=2, x=2) > 0).any()  # built-up is not zero


def test_casa_npp_needs_its_drivers(s):
    kw = dict(srad=s["srad"], tmean=s["tmean"], landcover=s["landcover"])
    with pytest.raises(ValueError, match="either 'ndvi' or 'fpar'"):
        m.casa_npp(precip=s["precip"], **kw)
    with pytest.raises(ValueError, match="water_stress='zhou' needs 'precip'"):
        m.casa_npp(ndvi=s["ndvi"], **kw)
    with pytest.raises(ValueError, match="water_stress='et_pet' needs 'et' and 'pet'"):
        m.casa_npp(ndvi=s["ndvi"], et=s["et"], params=CasaParams(water_stress="et_pet"), **kw)
    with pytest.raises(ValueError, match="pet_daylength=True needs the latitude"):
        m.casa_npp(ndvi=s["ndvi"], precip=s["precip"], params=CasaParams(pet_daylength=True), **kw)


# --- metadata: a new quantity must not wear its inputs' attrs ---------------------------------
# The models leave units and long_name to carbontools.run, but what they return must not claim
# to be something else: xarray keeps the attrs of the first operand through arithmetic, so a
# factor computed from tmean can come out labelled "air temperature" in degC.

CASA_UNITS = {"npp": "g C m-2 month-1", "fpar": "1", "apar": "MJ m-2 month-1", "topt": "degC", "te1": "1",
              "te2": "1", "we": "1", "pet": "mm month-1", "eps": "g C MJ-1"}


def _casa_npp(s):
    return m.casa_npp(srad=s["srad"], tmean=s["tmean"], landcover=s["landcover"], ndvi=s["ndvi"], precip=s["precip"])


def _limits(s):
    return class_lookup(s["landcover"], CasaParams().ndvi_min), class_lookup(s["landcover"], CasaParams().ndvi_max)


KEEPS = "(xarray carries the first operand's name and attrs through arithmetic)"

METADATA_CASES = [
    ("simple_ratio", lambda s: (m.simple_ratio(s["ndvi"]), [s["ndvi"]]), "1", None),
    ("fpar_from_ndvi", lambda s: (m.fpar_from_ndvi(s["ndvi"], *_limits(s)), [s["ndvi"], s["landcover"]]), "1", None),
    ("optimal_temperature", lambda s: (m.optimal_temperature(s["ndvi"], s["tmean"]), [s["ndvi"], s["tmean"]]),
     "degC", None),
    ("te1", lambda s: (m.te1(m.optimal_temperature(s["ndvi"], s["tmean"]), s["tmean"]), [s["tmean"]]), "1", None),
    ("te2", lambda s: (m.te2(m.optimal_temperature(s["ndvi"], s["tmean"]), s["tmean"]), [s["tmean"]]), "1", None),
    ("heat_index", lambda s: (m.heat_index(s["tmean"]), [s["tmean"]]), "1", None),
    ("thornthwaite_pet", lambda s: (m.thornthwaite_pet(s["tmean"], m.heat_index(s["tmean"])), [s["tmean"]]),
     "mm month-1", None),
    ("daylength_factor", lambda s: (m.daylength_factor(s["time"], latitude(s)), [latitude(s)]), "1", None),
    ("zhou_water_stress", lambda s: (m.zhou_water_stress(s["precip"], s["pet"]), [s["precip"], s["pet"]]),
     {"[0]": "1", "[1]": "mm month-1", "[2]": "mm month-1"}, None),
    ("et_pet_water_stress", lambda s: (m.et_pet_water_stress(s["et"], s["pet"]), [s["et"], s["pet"]]), "1", None),
    ("casa_npp", lambda s: (_casa_npp(s), [s[v] for v in ("srad", "tmean", "landcover", "ndvi", "precip")]),
     CASA_UNITS, None),
]


def _metadata_param(name, build, units, finding):
    marks = [pytest.mark.xfail(strict=True, reason=finding)] if finding else []
    return pytest.param(build, units, id=name, marks=marks)


@pytest.mark.parametrize("build, units", [_metadata_param(*case) for case in METADATA_CASES])
def test_results_do_not_wear_their_inputs_metadata(s, build, units):
    result, inputs = build(s)
    assert_own_metadata(result, *inputs, units=units)


# --- moved unchanged from tests/test_options.py (per-module tests of models/casa.py) ----------

def test_potter_fpar_is_the_unscaled_sr_ratio():
    p = CasaParams().replace(**{k: getattr(ct.CASA_PRESETS["potter1993"], k)
                                for k in ("fpar_method", "sr_min", "sr_max")})
    # NDVI 0.5: SR 3, (3 - 1.08)/(4.14 - 1.08) = 0.62745; NDVI 0.6: SR 4 -> 0.954 capped at 0.95
    assert float(m.fpar_from_ndvi(0.5, 0.023, 0.747, p)) == pytest.approx(1.92 / 3.06)
    assert float(m.fpar_from_ndvi(0.6, 0.023, 0.747, p)) == 0.95


def _hand_daylength_factor(lat_deg, doy, days):
    decl = 0.409 * math.sin(2 * math.pi / 365 * doy - 1.39)
    ws = math.acos(-math.tan(math.radians(lat_deg)) * math.tan(decl))
    return 24 / math.pi * ws / 12 * days / 30


def test_daylength_factor_by_hand():
    time = xr.DataArray(pd.date_range("2021-01-01", periods=12, freq="MS"), dims="time")
    time = time.assign_coords(time=time)
    k0 = m.daylength_factor(time["time"], xr.DataArray(0.0))
    np.testing.assert_allclose(k0, time["time"].dt.days_in_month / 30)  # 12 h at the equator
    k45 = m.daylength_factor(time["time"], xr.DataArray(45.0))
    june = float(k45.sel(time="2021-06-01"))
    assert june == pytest.approx(_hand_daylength_factor(45.0, 152 + 14.5, 30))  # about 15.4 h of day
    assert june > 1.25 and float(k45.sel(time="2021-12-01")) < 0.8


# --- NDVI limits from the user's own NDVI (issue 10, item 4) -----------------------------------------

def _limits_scene():
    """One pixel per class with 101 NDVI values whose percentiles are worked out by hand below."""
    k = np.arange(101)
    by_class = {
        2: 0.5 + 0.5 * k / 100,             # 95th percentile 0.975: above the bound 0.95
        4: 0.9 * k / 100,                   # 95th percentile 0.855
        6: 0.2 * k / 100,                   # 95th percentile 0.19: below the bound 0.3
        7: 0.5 * k / 100,                   # 95th percentile 0.475
        9: np.round(-0.2 + 0.005 * k, 10),  # bare ground, -0.2 .. 0.3 in steps of 0.005
        10: np.full(101, -0.1),             # water: skipped
    }
    ndvi = xr.DataArray(np.stack(list(by_class.values()), axis=-1)[:, None, :], dims=("time", "y", "x"))
    landcover = xr.DataArray([[float(c) for c in by_class]], dims=("y", "x"), attrs={"scheme": "casa"})
    return ndvi, landcover


def test_ndvi_limits_by_class_bare_ground_and_full_cover():
    ndvi, landcover = _limits_scene()
    with pytest.warns(UserWarning) as caught:
        limits = m.ndvi_limits_by_class(ndvi, landcover)
    # NDVI_min: barren values above 0 are 0.005, 0.010, ..., 0.300 (60 values); the 5th percentile sits at
    # position 0.05 * 59 = 2.95 between the 3rd and 4th: 0.015 + 0.95 * 0.005 = 0.01975, one value for all
    assert limits["ndvi_min"] == pytest.approx(0.01975, rel=1e-12)
    assert limits["sr_min"] == pytest.approx(1.01975 / 0.98025, rel=1e-12)  # = (1 + NDVI_min)/(1 - NDVI_min)
    # NDVI_max: the 95th percentile of each class (position 95 of 0..100); barren takes class 7's
    assert limits["ndvi_max"] == pytest.approx({4: 0.855, 7: 0.475, 9: 0.475, 2: 0.95, 6: 0.3}, rel=1e-12)
    warned = " | ".join(str(w.message) for w in caught)
    assert "class 2 (evergreen broadleaf forest): the upper percentile 0.975 is outside the bounds [0.3, 0.95] " \
           "of CasaParams.ndvi_max; clipped to 0.950" in warned
    assert "class 6 (shrubland): the upper percentile 0.190" in warned and "clipped to 0.300" in warned
    assert len(caught) == 2 and any("class 9 (barren) is bare ground" in n for n in limits.notes)
    table = limits.table.set_index("limit")
    assert table.loc["ndvi_min", "n"] == 60
    # the overrides are valid parameters and run() takes them
    p = CasaParams().replace(**limits)
    assert set(p.ndvi_min.values()) == {limits["ndvi_min"]} and p.ndvi_max[1] == 0.647  # absent: the preset's
    out = ct.run(monthly_grid({"ndvi": [0.3] * 6 + [0.6] * 6, "tmean": [20.0] * 12, "srad": [400.0] * 12,
                               "precip": [100.0] * 12}, landcover=4), **limits)
    expected = hand_fpar(0.6, 0.855, dict(ZHU, ndvi_min=0.01975, sr_min=1.01975 / 0.98025))
    assert float(out["fpar"][6, 0, 0]) == pytest.approx(expected, rel=1e-12)


def test_ndvi_limits_without_bare_ground_keep_the_presets_bare_limits():
    ndvi, landcover = _limits_scene()
    landcover = landcover.where(landcover != 9, 7.0)
    with pytest.warns(UserWarning) as caught:
        limits = m.ndvi_limits_by_class(ndvi, landcover)
    assert "no bare ground, class 9 (barren) values above 0: ndvi_min and sr_min keep the preset's" in \
        [str(w.message).removeprefix("ndvi_limits_by_class: ") for w in caught]
    assert "ndvi_min" not in limits and "sr_min" not in limits


def test_ndvi_limits_need_casa_codes():
    ndvi, landcover = _limits_scene()
    with pytest.raises(ValueError, match=r"needs CASA class codes, got a 'igbp' map; map it first with "
                                         r"carbontools.landcover.to_casa"):
        m.ndvi_limits_by_class(ndvi, landcover.assign_attrs(scheme="igbp"))
