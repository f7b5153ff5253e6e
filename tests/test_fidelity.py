"""Issue 10, the model's outputs: what a reviewing scientist found where the model meets real data.

Each test failed on the code before the fix (partial years labelled annual, NPP and Rh on different
masks, moisture silently ignored, the urban-soil choice hidden in the drivers).
"""

import warnings

import numpy as np
import pytest

import carbontools as ct
from carbontools import demo

from .conftest import monthly_grid

# a deciduous broadleaf pixel with ET/PET water stress, so a half year is a valid run
YEAR = {"ndvi": [0.3, 0.3, 0.4, 0.6, 0.6, 0.65, 0.7, 0.65, 0.6, 0.5, 0.4, 0.3],
        "tmean": [5, 7, 12, 20, 20, 21, 22, 21, 18, 14, 9, 6], "srad": [600.0] * 12, "et": [70.0] * 12,
        "pet": [90.0] * 12, "precip": [100.0] * 12}


def test_a_half_year_has_no_annual_values_and_says_so():
    half = monthly_grid({k: v[:6] for k, v in YEAR.items()}, landcover=4)
    with pytest.warns(UserWarning) as record:
        out = ct.run(half, water_stress="et_pet")
    messages = " | ".join(str(w.message) for w in record)
    assert "Topt" in messages and "2021 (6 months)" in messages
    assert "fewer than 12 months" in messages
    for name in ("npp_annual", "rh_annual", "nep_annual"):
        assert out[name].isnull().all(), name
        assert out[name]["months"].values.tolist() == [6]
    assert np.isfinite(out["npp"].values).all()  # the monthly values are still there


def test_a_whole_year_runs_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = ct.run(monthly_grid(YEAR, landcover=4), water_stress="et_pet")
    # the annual value is the sum of the 12 monthly values
    assert float(out["npp_annual"].squeeze()) == pytest.approx(float(out["npp"].sum()), rel=1e-12)


def test_every_output_shares_one_valid_mask():
    ds = monthly_grid(YEAR, nx=3, landcover=[4, 255, 10])  # deciduous broadleaf, nodata, water
    ds["landcover"].attrs["nodata"] = 255
    out = ct.run(ds)
    nodata = out.isel(x=1)
    for name, da in nodata.data_vars.items():
        assert da.isnull().all(), f"{name} is not NaN on the nodata pixel"
    water = out.isel(x=2)
    assert float(water["npp_annual"].squeeze()) == 0.0 and float(water["rh_annual"].squeeze()) == 0.0
    assert np.isfinite(out.isel(x=0)["nep_annual"]).all()


def test_pei2009_warns_that_it_ignores_a_moisture_driver():
    ds = monthly_grid({**YEAR, "moisture": [0.1] * 12}, landcover=4)
    with pytest.warns(UserWarning, match=r"Rh model 'pei2009' does not use one.*ignored.*q10, lloyd_taylor"):
        with_moisture = ct.run(ds)
    without = ct.run(ds.drop_vars("moisture"))
    np.testing.assert_array_equal(with_moisture["rh"].values, without["rh"].values)
    # q10 uses it: Rh scales by the scalar exactly
    q10_dry = ct.run(ds, rh="q10")["rh"]
    q10 = ct.run(ds.drop_vars("moisture"), rh="q10")["rh"]
    np.testing.assert_allclose(q10_dry.values, 0.1 * q10.values, rtol=1e-12)


def test_urban_soils_is_an_explicit_choice_that_flips_dense_cores():
    drivers = demo.delta_city(size=80)
    core = drivers["impervious"] > 0.85
    assert int(core.sum()) > 10
    unsealed = ct.run(drivers)
    climate = ct.run(drivers, urban_soils="climate")
    assert unsealed.attrs["urban_soils"].startswith("unsealed") and climate.attrs["urban_soils"].startswith("climate")
    # climate Rh over sealed soil = unsealed Rh / (1 - impervious), pixel by pixel (hand relation)
    imp = drivers["impervious"].where(core)
    np.testing.assert_allclose((climate["rh"] * (1 - imp)).where(core).values,
                               unsealed["rh"].where(core).values, rtol=1e-6)
    np.testing.assert_array_equal(climate["npp"].values, unsealed["npp"].values)  # NPP does not depend on it
    cores_unsealed = float(unsealed["nep_annual"].isel(year=-1).where(core).mean())
    cores_climate = float(climate["nep_annual"].isel(year=-1).where(core).mean())
    assert cores_unsealed > 0 > cores_climate  # the sign of the city cores is the choice's
    with pytest.raises(ValueError, match=r"urban_soils 'sealed' unknown; choose one of \['climate', 'unsealed'\]"):
        ct.run(drivers, urban_soils="sealed")


def test_written_outputs_have_cf_metadata_that_udunits_reads(tmp_path):
    """Issue 10 item 5: UDUNITS (cf-units) reads every unit, fluxes as mass fluxes; CF standard names where they exist."""
    import cf_units
    import xarray as xr

    path = tmp_path / "out.nc"
    ct.run(monthly_grid(YEAR, nx=2, landcover=4)).drop_vars("spatial_ref", errors="ignore").to_netcdf(
        path, engine="h5netcdf")
    ds = xr.open_dataset(path, engine="h5netcdf")
    mass_flux = cf_units.Unit("kg m-2 s-1")
    for name, da in ds.data_vars.items():
        unit = cf_units.Unit(da.attrs["units"])  # raises for a string UDUNITS cannot read
        assert not unit.is_unknown(), name
    for name in ("npp", "rh", "nep", "npp_annual", "rh_annual", "nep_annual"):
        assert cf_units.Unit(ds[name].attrs["units"]).is_convertible(mass_flux), name
        assert ds[name].attrs["carbon_basis"] == "C", name
        assert "time: sum" in ds[name].attrs["cell_methods"], name
    assert ds["npp"].attrs["standard_name"] == "net_primary_productivity_of_biomass_expressed_as_carbon"
    assert ds["rh"].attrs["standard_name"] == "heterotrophic_respiration_carbon_flux"
    assert "scheme" not in ds["npp"].attrs and "mapped_from" not in ds["fpar"].attrs
    # the old spelling is grams times coulombs for UDUNITS: that is why it is not used
    assert not cf_units.Unit("g C m-2 month-1").is_convertible(mass_flux)


def _clcd(codes, nep):
    import xarray as xr

    coords = {"y": [1000.0, 750.0], "x": [0.0, 250.0]}
    lc = xr.DataArray(np.array(codes), dims=("y", "x"), coords=coords, attrs={"scheme": "clcd"})
    values = xr.DataArray(np.array(nep, float), dims=("y", "x"), coords=coords,
                          attrs={"units": "g m-2 yr-1", "carbon_basis": "C"})
    return lc.rio.write_crs("EPSG:32649"), values.rio.write_crs("EPSG:32649")


def test_cropland_is_shown_apart_and_left_out_of_the_offset_sink():
    """Issue 10 item 9.  Cells of 250 m x 250 m = 62 500 m2; CLCD 1 is cropland, 2 forest, 8 impervious.

    NEP (g C m-2 yr-1): cropland 100 and 300, forest 200, impervious -50.  Totals in t C yr-1:
    all (100 + 200 - 50 + 300) x 62 500 / 1e6 = 34.375; cropland 400 x 0.0625 = 25; other 9.375.
    """
    from carbontools import budget

    lc, nep = _clcd([[1, 2], [8, 1]], [[100.0, 200.0], [-50.0, 300.0]])
    out = budget.sink_for_offsets(nep, lc)
    assert out["nep_total"] == pytest.approx(34.375)
    assert out["cropland_nep"] == pytest.approx(25.0)
    assert out["counted"] == pytest.approx(9.375)  # default: cropland left out
    assert out["harvest_removal"] == 1.0 and "harvest" in out["rule"]
    assert budget.sink_for_offsets(nep, lc, harvest_removal=0.6)["counted"] == pytest.approx(9.375 + 0.4 * 25)
    assert budget.sink_for_offsets(nep, lc, harvest_removal=0.0)["counted"] == pytest.approx(34.375)
    with pytest.raises(ValueError, match=r"harvest_removal must lie in \[0, 1\]"):
        budget.sink_for_offsets(nep, lc, harvest_removal=1.5)
    casa = lc.copy(data=np.array([[7, 5], [8, 7]])).assign_attrs(scheme="casa")
    with pytest.raises(ValueError, match="cannot be told apart on a CASA-coded map"):
        budget.sink_for_offsets(nep, casa)
