"""The fused per-pixel kernel (engine='numba') equals the plain xarray path (engine='xarray', the reference).

Tolerances.  float64 drivers: both paths compute in float64 and differ only in the order of operations,
so they agree to 1e-12 relative (plus 1e-12 of the field's largest value for values that are differences).
float32 drivers: the reference computes Te1, Te2, PET, We, Rh and the heat index in float32 (numpy keeps
float32 arrays float32) and FPAR, APAR, eps and NPP in float64 (the class tables are float64); the kernel
computes in float64 and rounds each output once to float32.  One float32 rounding is 6e-8 relative; the
longest float32 chain of the reference (heat index -> Thornthwaite exponent a up to ~5 -> PET -> We) stays
below ~50 roundings, so 1e-5 relative bounds the difference.  Differences of nearly equal numbers
(NEP = NPP - Rh, FPAR's SR - SR_min) carry the rounding of their operands: that part is bounded by 1e-6 of
the largest value of the field (about 8 float32 roundings of it).  NaN masks must be identical.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import carbontools as ct
from carbontools import demo
from carbontools.models import fused
from carbontools.pipeline import RESULT_VARIABLES

TOL = {np.dtype(np.float32): (1e-5, 1e-6), np.dtype(np.float64): (1e-12, 1e-12)}


def drivers(ny=2, nx=3, years=(2021,), seed=0, dtype=np.float32, extra=(), landcover=None, lat0=30.0):
    """Plausible random drivers on a small geographic grid (values rounded as products deliver them)."""
    rng = np.random.default_rng(seed)
    time = pd.date_range(f"{years[0]}-01-01", f"{years[-1]}-12-01", freq="MS")
    shape = (len(time), ny, nx)
    month = time.month.to_numpy()[:, None, None]
    season = np.sin((month - 4) / 12 * 2 * np.pi)
    values = {
        "ndvi": np.round(np.clip(0.4 + 0.3 * season + rng.normal(0, 0.15, shape), -0.2, 0.95), 3),
        "tmean": np.round(12 + 14 * season + rng.normal(0, 4, shape), 2),
        "precip": np.round(rng.gamma(1.5, 60, shape), 1),
        "srad": np.round(300 + 200 * season + rng.normal(0, 30, shape), 1).clip(0),
        "et": np.round(rng.uniform(0, 120, shape), 1),
        "pet": np.round(rng.uniform(0, 200, shape), 1),
        "moisture": np.round(rng.uniform(0, 1, shape), 3),
    }
    units = {"ndvi": "1", "tmean": "degC", "precip": "mm month-1", "srad": "MJ m-2 month-1", "et": "mm month-1",
             "pet": "mm month-1", "moisture": "1"}
    keep = ("ndvi", "tmean", "precip", "srad") + tuple(extra)
    data = {n: (("time", "y", "x"), values[n].astype(dtype), {"units": units[n]}) for n in keep}
    lc = rng.integers(1, 12, (ny, nx)).astype(float) if landcover is None else np.asarray(landcover, float)
    data["landcover"] = (("y", "x"), lc, {"scheme": "casa"})
    data["impervious"] = (("y", "x"), np.round(rng.uniform(0, 1, (ny, nx)), 2).astype(dtype), {"units": "1"})
    coords = {"time": time, "y": lat0 - 0.5 * np.arange(ny), "x": 110.0 + 0.5 * np.arange(nx)}
    return xr.Dataset(data, coords=coords).rio.write_crs("EPSG:4326")


def both(ds, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the same warnings on both paths (checked in test_warnings_are_the_same)
        ref = ct.run(ds, engine="xarray", **kw)
        out = ct.run(ds, engine="numba", **kw)
    return out, ref


def assert_same(out, ref):
    assert out.attrs.pop("engine") == "numba" and ref.attrs.pop("engine") == "xarray"
    assert out.attrs == ref.attrs
    assert list(out.data_vars) == list(ref.data_vars)
    assert set(out.coords) == set(ref.coords)
    for c in ref.coords:
        xr.testing.assert_equal(out[c], ref[c])
    in_dtype = out["npp"].dtype if "npp" in out else next(iter(out.data_vars.values())).dtype
    rtol, atol_share = TOL[np.dtype(in_dtype)]
    for name in ref.data_vars:
        a, b = out[name], ref[name]
        assert a.dims == b.dims, name
        np.testing.assert_equal(a.attrs, b.attrs, err_msg=name)  # (a valid_share of NaN where nothing is mapped)
        if name in ("landcover_casa", "landcover"):
            xr.testing.assert_identical(a, b)
            continue
        av, bv = np.asarray(a.values, dtype=float), np.asarray(b.values, dtype=float)
        np.testing.assert_array_equal(np.isnan(av), np.isnan(bv), err_msg=f"NaN mask of {name}")
        scale = np.nanmax(np.abs(bv)) if np.isfinite(bv).any() else 0.0
        np.testing.assert_allclose(av, bv, rtol=rtol, atol=atol_share * scale, equal_nan=True, err_msg=name)


COMBOS = [
    dict(casa="zhu2007", rh="pei2009"),
    dict(casa="potter1993", rh="pei2009"),
    dict(casa="zhu2007", rh="q10", q10=2.7),
    dict(casa="zhu2007", rh="lloyd_taylor"),
    dict(casa="zhu2007", rh="pei2009", real_month_length=True),
    dict(casa="zhu2007", rh="pei2009", urban_soils="climate"),
    dict(casa="zhu2007", rh="pei2009", pet_daylength=True, pet_high_temperature=True),
    dict(casa="zhu2007", rh="pei2009", fpar_method="ndvi"),
    dict(casa="zhu2007", rh="pei2009", fpar_method="sr", sr_max=6.0),
    dict(casa="potter1993", rh="q10", te2_half_rule=True),
    dict(casa="zhu2007", rh="pei2009", water_stress="et_pet", extra=("et", "pet")),
    dict(casa="zhu2007", rh="q10", extra=("moisture",)),
    dict(casa="potter1993", rh="lloyd_taylor", extra=("moisture", "et", "pet"), water_stress="et_pet"),
]


@pytest.mark.parametrize("combo", COMBOS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_covered_variant_equals_the_reference(combo, dtype):
    combo = dict(combo)
    extra = combo.pop("extra", ())
    ds = drivers(ny=3, nx=4, years=(2020, 2021), dtype=dtype, extra=extra, seed=len(combo))
    out, ref = both(ds, **combo)
    assert all(out[n].dtype == dtype for n in RESULT_VARIABLES if n != "landcover_casa")
    assert_same(out, ref)


COMBO_STRATEGY = st.sampled_from(COMBOS)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), combo=COMBO_STRATEGY, n_years=st.integers(1, 2), ny=st.integers(1, 3), nx=st.integers(1, 3))
def test_property_random_valid_inputs(data, combo, n_years, ny, nx):
    """Any plausible drivers (random values, NaN gaps, any class or nodata) and any covered variant."""
    combo = dict(combo)
    extra = combo.pop("extra", ())
    ds = drivers(ny=ny, nx=nx, years=tuple(range(2019, 2019 + n_years)), extra=extra)
    shape = ds["tmean"].shape

    def field(lo, hi, digits, nan=True):
        el = st.floats(lo, hi, allow_nan=False, width=32)
        if nan:
            el = st.one_of(el, el, el, st.just(np.nan))
        return np.round(data.draw(arrays(np.float32, shape, elements=el)), digits)

    ds["ndvi"].values = field(-0.25, 1.0, 3)
    ds["tmean"].values = field(-40.0, 45.0, 2)
    ds["precip"].values = field(0.0, 800.0, 1)
    ds["srad"].values = field(0.0, 900.0, 1, nan=False)
    for name in extra:
        hi = 1.0 if name == "moisture" else 300.0
        ds[name].values = field(0.0, hi, 2)
    lc = data.draw(arrays(np.float64, (ny, nx), elements=st.one_of(st.integers(1, 11).map(float), st.just(np.nan))))
    ds["landcover"].values = lc
    out, ref = both(ds, check=False, **combo)
    assert_same(out, ref)


def edge_case(**changes):
    ds = drivers(ny=2, nx=3, years=(2021,), seed=3, landcover=[[4, 10, 11], [7, np.nan, 2]])
    for name, (index, value) in changes.items():
        ds[name].values[index] = value
    return ds


@pytest.mark.parametrize("combo", COMBOS[:4], ids=lambda c: f"{c['casa']}-{c['rh']}")
@pytest.mark.parametrize("case", ["cold", "dry", "bare", "tie", "nan_month", "hot"])
def test_edge_cases(case, combo):
    """-10 degC (Te1's cold limit) and colder, P = 0, NDVI <= 0, ties in the NDVI peak, a NaN month, heat;
    every grid also holds water (10), ice (11) and a land-cover nodata pixel."""
    every = (slice(None), slice(None), slice(None))
    if case == "cold":
        ds = edge_case(tmean=((slice(0, 6), slice(None), slice(None)), -10.0))
        ds["tmean"].values[6:9] = -25.0
    elif case == "dry":
        ds = edge_case(precip=(every, 0.0))
    elif case == "bare":
        ds = edge_case(ndvi=((slice(None), 0, slice(None)), -0.1))
        ds["ndvi"].values[:, 1] = 0.0
    elif case == "tie":  # the same peak NDVI in three months: Topt is the temperature of the first of them
        ds = edge_case(ndvi=(every, 0.3))
        ds["ndvi"].values[[3, 6, 9]] = 0.8
    elif case == "nan_month":
        ds = edge_case(ndvi=((5, 0, 0), np.nan), tmean=((7, 1, 2), np.nan), precip=((2, 0, 2), np.nan))
    else:
        ds = edge_case(tmean=(every, 38.0))
    out, ref = both(ds, check=False, **combo)
    assert_same(out, ref)
    if case == "tie":
        np.testing.assert_array_equal(out["topt"].values[0, 0, 0], ds["tmean"].values[3, 0, 0])
    if case == "cold":
        assert (out["te1"].values[:9][np.isfinite(out["te1"].values[:9])] == 0).all()


def test_several_years_and_the_demo():
    ds = demo.delta_city(size=24, years=(2019, 2020, 2021))
    out, ref = both(ds)
    assert out.sizes["year"] == 3
    assert_same(out, ref)


def test_dask_chunks_equal_numpy():
    ds = demo.delta_city(size=30)
    eager = ct.run(ds)
    lazy = ct.run(ds.chunk({"time": 6, "y": 10, "x": 16}))
    assert lazy.attrs["engine"] == "numba"
    assert lazy["npp"].chunks is not None
    computed = lazy.compute()
    for name in eager.data_vars:
        np.testing.assert_array_equal(computed[name].values, eager[name].values, err_msg=name)
    eager_attrs = {n: {k: v for k, v in eager[n].attrs.items() if k != "valid_share"} for n in eager.data_vars}
    assert eager_attrs == {n: computed[n].attrs for n in computed.data_vars}
    assert ct.pipeline.valid_shares(lazy) == {n: eager[n].attrs["valid_share"] for n in ct.pipeline.REPORTED}


def test_float32_in_float32_out_and_float64_in_float64_out(small_demo):
    out32 = ct.run(small_demo)
    out64 = ct.run(small_demo.assign({n: small_demo[n].astype(np.float64) for n in ("ndvi", "tmean", "precip",
                                                                                      "srad")}))
    for name in fused.MONTHLY_OUTPUTS + fused.ANNUAL_OUTPUTS:
        assert out32[name].dtype == np.float32, name
        assert out64[name].dtype == np.float64, name


@pytest.mark.parametrize("engine", ["numba", "xarray"])
def test_outputs_subset_exactly(small_demo, engine):
    full = ct.run(small_demo, engine=engine)
    for names in [("nep_annual",), ("nep_annual", "npp_annual", "rh_annual"), ("fpar", "landcover_casa"),
                  ("te2", "rh", "landcover")]:
        part = ct.run(small_demo, engine=engine, outputs=names)
        assert sorted(part.data_vars) == sorted(names)
        assert part.attrs == full.attrs
        for name in names:
            xr.testing.assert_identical(part[name], full[name])


def test_bad_outputs_and_engine_are_named(small_demo):
    with pytest.raises(ValueError, match="unknown name.*'nep_yearly'.*choose among"):
        ct.run(small_demo, outputs=("nep_yearly",))
    with pytest.raises(ValueError, match="engine='fast' unknown.*auto"):
        ct.run(small_demo, engine="fast")


def test_uncovered_runs_fall_back_or_say_why():
    """A partial calendar year: 'auto' takes the xarray path (and says so), 'numba' refuses, naming the reason."""
    ds = drivers(years=(2021, 2022), extra=("et", "pet")).isel(time=slice(0, 18))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Topt and the annual sums warn about the incomplete year
        out = ct.run(ds, water_stress="et_pet", engine="auto")
    assert out.attrs["engine"] == "xarray"
    with pytest.raises(ValueError, match="whole calendar years"):
        ct.run(ds, water_stress="et_pet", engine="numba")


def test_warnings_are_the_same():
    ds = drivers(extra=("moisture",))
    for engine in ("xarray", "numba"):
        with pytest.warns(UserWarning, match="does not use one"):
            ct.run(ds, engine=engine)  # pei2009 ignores a moisture scalar: said on both paths


def test_a_broken_kernel_is_caught(monkeypatch):
    """The comparison can fail: a kernel with Te2's constant off by 1 % differs from the reference."""
    ds = drivers(ny=2, nx=2)
    original = fused._float_params

    def broken(p, model, rh):
        a = original(p, model, rh)
        a[fused.A_T2C] *= 1.01
        return a

    monkeypatch.setattr(fused, "_float_params", broken)
    out, ref = both(ds)
    with pytest.raises(AssertionError, match="npp"):
        assert_same(out, ref)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tiles_and_their_edges(dtype):
    """The kernel walks tiles of fused.TILE pixels: a scene of several tiles, the last one partial, with land-cover
    nodata on the first and last pixel of every tile (and a tile edge inside a row) equals the reference."""
    ny, nx = 7, 2 * fused.TILE // 7 + 5  # 7 x 78 = 546 pixels: tiles of 256, 256 and 34
    rng = np.random.default_rng(7)
    lc = rng.integers(1, 12, (ny, nx)).astype(float)
    flat = lc.reshape(-1)
    for start in range(0, ny * nx, fused.TILE):
        flat[start] = flat[min(start + fused.TILE, ny * nx) - 1] = np.nan
    ds = drivers(ny=ny, nx=nx, years=(2020, 2021), dtype=dtype, landcover=lc, seed=11)
    for combo in (COMBOS[0], COMBOS[6]):  # the default, and Thornthwaite PET with the day length (uses latitude)
        out, ref = both(ds, **combo)
        assert_same(out, ref)
        assert np.isnan(out["npp"].values[:, 0, 0]).all() and np.isfinite(out["npp"].values[:, 0, 1]).all()
