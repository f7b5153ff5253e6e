"""Bad input gets an error that names the variable, says what is wrong and how to fix it."""

import warnings

import numpy as np
import pytest

import carbontools as ct

from .conftest import monthly_grid

T = [14, 15, 18, 22, 26, 28, 29, 29, 27, 25, 21, 16]
NDVI = [0.4, 0.42, 0.5, 0.6, 0.7, 0.75, 0.8, 0.78, 0.7, 0.6, 0.5, 0.45]


def drivers(**changes):
    values = {"ndvi": NDVI, "tmean": T, "srad": [400.0] * 12, "precip": [100.0] * 12}
    units = changes.pop("units", None)
    landcover = changes.pop("landcover", 4)
    scheme = changes.pop("scheme", "casa")
    values.update(changes)
    return monthly_grid(values, landcover=landcover, scheme=scheme, units=units)


def test_good_drivers_run_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = ct.run(drivers())
    assert np.isfinite(out["npp"]).all() and float(out["npp"].min()) > 0
    # the same drivers with one thing wrong do warn, so the silence above means something
    lacking = drivers()
    del lacking["tmean"].attrs["units"]
    with pytest.warns(UserWarning, match="tmean has no 'units' attribute"):
        ct.run(lacking)


def test_ndvi_scaled_by_10000():
    with pytest.raises(ValueError, match=r"ndvi looks scaled by 10000.*multiply by 0\.0001"):
        ct.run(drivers(ndvi=[v * 10000 for v in NDVI]))


def test_ndvi_as_bytes():
    with pytest.raises(ValueError, match=r"ndvi looks like 8-bit digital numbers \(0\.\.255"):
        ct.run(drivers(ndvi=[int(v * 250) for v in NDVI]))


def test_ndvi_fill_values():
    with pytest.raises(ValueError, match=r"ndvi has values below -1.*fill values.*NaN"):
        ct.run(drivers(ndvi=[-0.3] + NDVI[1:11] + [-3000.0]))


def test_temperature_in_kelvin_labelled_celsius():
    with pytest.raises(ValueError, match=r"tmean looks like kelvin.*subtract 273\.15 or set attrs\['units'\] = 'K'"):
        ct.run(drivers(tmean=[t + 273.15 for t in T]))


def test_temperature_in_kelvin_with_units_is_converted():
    a = ct.run(drivers())
    b = ct.run(drivers(tmean=[t + 273.15 for t in T], units={"tmean": "K"}))
    np.testing.assert_allclose(a["npp"], b["npp"], rtol=1e-9)
    np.testing.assert_allclose(a["rh"], b["rh"], rtol=1e-9)


def test_negative_precipitation():
    with pytest.raises(ValueError, match=r"precip has negative values \(min -5 mm month-1\)"):
        ct.run(drivers(precip=[100.0] * 11 + [-5.0]))


def test_negative_radiation():
    with pytest.raises(ValueError, match=r"srad has negative values"):
        ct.run(drivers(srad=[400.0] * 11 + [-1.0]))


def test_radiation_in_joules_labelled_mj():
    with pytest.raises(ValueError, match=r"srad reaches .*top-of-atmosphere"):
        ct.run(drivers(srad=[4e8] * 12))


def test_missing_variable():
    ds = drivers().drop_vars("tmean")
    with pytest.raises(ValueError, match=r"drivers lack 'tmean': monthly mean air temperature \(degC\)"):
        ct.run(ds)


def test_missing_ndvi_and_fpar():
    with pytest.raises(ValueError, match=r"drivers lack 'ndvi'"):
        ct.run(drivers().drop_vars("ndvi"))


def test_misaligned_coordinates():
    ds = drivers()
    parts = {name: ds[name] for name in ds.data_vars}
    parts["tmean"] = parts["tmean"].assign_coords(x=parts["tmean"]["x"] + 30.0)
    with pytest.raises(ValueError, match=r"'tmean' are on different 'x' coordinates.*one grid"):
        ct.run(parts)


def test_unknown_landcover_codes():
    with pytest.raises(ValueError, match=r"landcover \(scheme 'clcd'\) has codes that are not in the scheme's table: 42"):
        ct.run(drivers(landcover=42, scheme="clcd"))


def test_landcover_without_scheme():
    ds = drivers()
    del ds["landcover"].attrs["scheme"]
    with pytest.raises(ValueError, match=r"landcover has no class scheme: set landcover.attrs\['scheme'\]"):
        ct.run(ds)


def test_landcover_nodata_is_missing_not_error():
    ds = drivers(landcover=[[255]], scheme="igbp")
    ds["landcover"].attrs["nodata"] = 255
    out = ct.run(ds)
    assert out["npp"].isnull().all()


def test_unconvertible_units():
    with pytest.raises(ValueError, match=r"precip has units 'furlongs'.*cannot convert to 'mm month-1'"):
        ct.run(drivers(units={"precip": "furlongs"}))


def test_ambiguous_era5_precip_units():
    with pytest.raises(ValueError, match=r"precip units 'm' are ambiguous.*ERA5"):
        ct.run(drivers(units={"precip": "m"}))


def test_missing_units_warns_and_assumes_default():
    ds = drivers()
    del ds["precip"].attrs["units"]
    with pytest.warns(UserWarning, match=r"precip has no 'units' attribute; assuming 'mm month-1'"):
        out = ct.run(ds)
    np.testing.assert_allclose(out["npp"], ct.run(drivers())["npp"])


def test_unknown_parameter():
    with pytest.raises(TypeError, match=r"unknown parameter\(s\) \['epsmax'\].*CASA parameters: .*eps_max"):
        ct.run(drivers(), epsmax=0.5)


def test_unknown_preset_and_model():
    with pytest.raises(ValueError, match=r"unknown CASA preset 'zhu'; choose one of \['potter1993', 'zhu2007'\]"):
        ct.run(drivers(), casa="zhu")
    with pytest.raises(ValueError, match=r"unknown Rh model 'q11'"):
        ct.run(drivers(), rh="q11")


def test_parameter_out_of_bounds():
    with pytest.raises(ValueError, match=r"CasaParams.eps_max = 30.0 is outside its plausible range"):
        ct.run(drivers(), eps_max=30.0)


def test_incomplete_year_for_thornthwaite():
    ds = drivers().isel(time=slice(0, 10))
    with pytest.raises(ValueError, match=r"incomplete years: 2021 \(10 months\).*water_stress='et_pet'"):
        ct.run(ds)


def test_duplicate_month():
    ds = drivers()
    ds = ds.assign_coords(time=ds["time"].values.copy())
    t = ds["time"].values.copy()
    t[5] = t[4]
    with pytest.raises(ValueError, match=r"month\(s\) \['2021-05'\] more than once"):
        ct.run(ds.assign_coords(time=t))


def test_impervious_in_percent():
    ds = drivers()
    ds["impervious"] = (("y", "x"), np.array([[40.0]]), {"units": "1"})
    with pytest.raises(ValueError, match=r"impervious looks like a percentage.*multiply by 0.01"):
        ct.run(ds)
    ds["impervious"].attrs["units"] = "%"
    assert float(ct.run(ds)["rh"].sum()) == pytest.approx(0.6 * float(ct.run(drivers())["rh"].sum()))


def test_lat_lon_dims_named_in_error():
    ds = drivers().rename(y="lat", x="lon")
    with pytest.raises(ValueError, match=r"no 'y' dimension.*rename"):
        ct.run(ds)


def test_crossed_ndvi_limits_stop_the_run_naming_the_class():
    with pytest.raises(ValueError, match=r"ndvi_min = 0.5 is not below ndvi_max = 0.4 for class 4 "
                                         r"\(deciduous broadleaf forest\)"):
        ct.run(drivers(), ndvi_min=0.5, ndvi_max={4: 0.4})
