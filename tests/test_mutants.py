"""Tests written to kill the survivors of the mutation run (tests/MUTATION.md): each checks a behaviour that a
surviving mutant changed and no other test saw.  Expected values come from the spec, a hand calculation shown
next to them, the shipped files, or an independent computation."""

import warnings
from importlib import resources

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from shapely.geometry import box

from carbontools import compare, params, units
from carbontools.accounting import RegionsWarning, zone_weights
from carbontools.models import storage


# --- params -------------------------------------------------------------------------------------------------

def test_unknown_method_names_the_argument():
    """The error names the CasaParams field, not the registry's kind."""
    with pytest.raises(ValueError, match=r"^water_stress 'bogus' unknown; choose one of \['et_pet', 'zhou'\]"):
        params.CasaParams(water_stress="bogus")
    with pytest.raises(ValueError, match=r"^fpar_method 'bogus' unknown; choose one of"):
        params.CasaParams(fpar_method="bogus")


def test_ndvi_limits_are_checked_on_the_classes_both_tables_give():
    """A class in ndvi_min only (12, not a CASA class of ndvi_max) has no pair to compare: it is accepted."""
    p = params.casa_preset("zhu2007")
    q = p.replace(ndvi_min=p.ndvi_min.updated({12: 0.05}))
    assert sorted(q.ndvi_min) == list(range(1, 13)) and sorted(q.ndvi_max) == list(range(1, 12))
    with pytest.raises(ValueError, match=r"ndvi_min = 0.45 is not below ndvi_max = 0.4 for class 1"):
        p.replace(ndvi_min=p.ndvi_min.updated({1: 0.45, 12: 0.05}), ndvi_max=p.ndvi_max.updated({1: 0.4}))


# --- units --------------------------------------------------------------------------------------------------

def test_a_lone_c_with_a_degree_sign_in_any_case_is_celsius():
    # 'degc' is no pint unit; the rule for a lone C (a temperature) takes '°c' as degC too
    assert units.parse("°c", "tmean").pint_unit == units.ureg.Unit("degC")
    assert units.convert(xr.DataArray([20.0], attrs={"units": "°c"}), "°c", "K", name="tmean").item() == \
        pytest.approx(293.15)


def test_same_units_compares_without_the_water_context():
    assert units.same_units("g C m-2 yr-1", "g C m**-2 yr**-1")
    assert units.same_units("kg m-2", "kg/m2")
    # 1 mm of water is 1 kg m-2 only through pint's 'water' context: as units they differ
    assert not units.same_units("mm month-1", "kg m-2 month-1")
    assert units.factor("mm month-1", "kg m-2 month-1") == (pytest.approx(1.0), 0.0)


@pytest.mark.parametrize("spelling", ["J m**-2", "J  m-2", "J m-2"])
def test_era5_radiation_in_joules_is_refused_however_it_is_spelled(spelling):
    srad = xr.DataArray(np.full((1, 1, 1), 1.5e7), dims=("time", "y", "x"),
                        coords={"time": pd.date_range("2020-01-01", periods=1, freq="MS"), "y": [0.5], "x": [0.5]},
                        attrs={"units": spelling})
    with pytest.raises(ValueError, match=r"srad units .* are ambiguous: ERA5 monthly means give J m-2 per day"):
        units.to_canonical("srad", srad)


# --- compare ------------------------------------------------------------------------------------------------

def test_harmonise_takes_a_product_without_crs_as_geographic():
    time = pd.date_range("2020-01-01", periods=2, freq="MS")
    coords = {"time": time, "y": [40.5, 39.5], "x": [100.5, 101.5]}
    values = np.arange(8.0).reshape(2, 2, 2)
    product = xr.DataArray(values, dims=("time", "y", "x"), coords=coords,
                           attrs={"units": "g C m-2 month-1", "convention": "NEP"})
    assert product.rio.crs is None
    target = xr.zeros_like(product).rio.write_crs("EPSG:4326")
    out = compare.harmonise({"p": product}, target)["p"]
    assert out.attrs["regridding"] == "none (already on the target grid)"
    assert out.rio.crs.to_epsg() == 4326
    np.testing.assert_array_equal(out.values, values)


# --- accounting: regions ------------------------------------------------------------------------------------

def projected(nx=4):
    """2 x nx cells of 100 m in UTM 49N, centres x = 0, 100, ...; y = 1000, 900."""
    da = xr.DataArray(np.ones((2, nx)), dims=("y", "x"), coords={"y": [1000.0, 900.0], "x": 100.0 * np.arange(nx)})
    return da.rio.write_crs("EPSG:32649").assign_attrs(units="g C m-2 yr-1")


def test_overlapping_regions_each_get_the_cells_they_share():
    like = projected()
    regions = gpd.GeoDataFrame({"name": ["a", "b"]}, crs="EPSG:32649",
                               geometry=[box(-50, 850, 250, 1050), box(50, 850, 350, 1050)])
    with pytest.warns(RegionsWarning, match="regions overlap"):
        w = zone_weights(regions, like)
    # a holds the centres x = 0, 100, 200; b x = 100, 200, 300: both hold 100 and 200
    assert w.sel(zone="a").values.tolist() == [[1, 1, 1, 0]] * 2
    assert w.sel(zone="b").values.tolist() == [[0, 1, 1, 1]] * 2


def test_regions_without_crs_are_taken_in_the_grids_crs():
    like = projected()
    regions = gpd.GeoDataFrame({"name": ["a"]}, geometry=[box(-50, 850, 150, 1050)])  # no CRS
    assert regions.crs is None
    w = zone_weights(regions, like)
    assert w.sel(zone="a").values.tolist() == [[1, 1, 0, 0]] * 2


def test_a_grid_without_crs_takes_the_regions_as_they_are():
    # a geographic grid of 1-degree cells without CRS; a region covering exactly the western column
    like = xr.DataArray(np.ones((2, 2)), dims=("y", "x"), coords={"y": [40.5, 39.5], "x": [100.5, 101.5]})
    regions = gpd.GeoDataFrame({"name": ["west"]}, geometry=[box(100.0, 39.0, 101.0, 41.0)], crs="EPSG:4326")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = zone_weights(regions, like)
    np.testing.assert_allclose(w.sel(zone="west").values, [[1.0, 0.0], [1.0, 0.0]], atol=1e-6)


# --- storage ------------------------------------------------------------------------------------------------

def shipped(name):
    return resources.files("carbontools.tables").joinpath(name).read_text()


def test_default_scheme_and_zone_are_the_shipped_casa_table():
    name = f"carbon_pools_casa_{storage.DEFAULT_ZONE}.csv"
    assert storage.pool_table_csv() == shipped(name)
    built = storage.ipcc_pools()
    table = storage.read_pools()
    assert table.attrs["source"] == f"carbontools/tables/{name} (illustrative defaults)"
    pd.testing.assert_frame_equal(built[list(storage.POOLS)], table[list(storage.POOLS)], check_names=False)


def test_a_csv_with_spaces_after_the_commas(tmp_path):
    path = tmp_path / "pools.csv"
    path.write_text("code, name, above, below, soil, dead\n1, forest, 10, 2, 50, 3\n2, crop, 1, 0.5, 30, 0\n")
    table = storage.read_pools(path)
    assert table["name"].tolist() == ["forest", "crop"]
    assert table.loc[1, list(storage.POOLS)].tolist() == [10.0, 2.0, 50.0, 3.0]


def test_a_map_of_another_scheme_is_pointed_at_its_table():
    lc = xr.DataArray(np.array([[1.0, 2.0]]), dims=("y", "x"), coords={"y": [0.5], "x": [0.5, 1.5]})
    with pytest.raises(ValueError, match=r"use a table for 'clcd' \(read_pools\(scheme='clcd'\)\)"):
        storage.storage_pools(lc.assign_attrs(scheme="clcd"))
    with pytest.raises(ValueError, match=r"read_pools\('your_modis_table.csv', scheme='modis'\)"):
        storage.storage_pools(lc.assign_attrs(scheme="modis"))
    with pytest.raises(ValueError, match=r"^landcover has class code\(s\) \[42\] that are not in the carbon pool"):
        storage.storage_pools(lc.where(lc != 2.0, 42.0))


def test_built_up_soil_follows_impervious_with_other_columns_blank():
    """A user table with a notes column left empty for the built-up class (NaN there) still seals its soil."""
    table = pd.DataFrame({"code": [1, 8], "note": ["forest", np.nan], "above": [10.0, 1.0], "below": [2.0, 0.0],
                          "soil": [50.0, 20.0], "dead": [3.0, 0.0], "soil_open": [np.nan, 40.0],
                          "soil_sealed": [np.nan, 10.0]})
    pools = storage.read_pools(table)
    lc = xr.DataArray(np.array([[1.0, 8.0]]), dims=("y", "x"), coords={"y": [0.5], "x": [0.5, 1.5]})
    imp = xr.DataArray(np.array([[0.5, 0.25]]), dims=("y", "x"), coords=lc.coords, attrs={"units": "1"})
    soil = storage.storage_pools(lc, pools, impervious=imp)["soil"]
    # forest keeps 50; built-up: 40 x (1 - 0.25) + 10 x 0.25 = 32.5
    assert soil.values.tolist() == [[50.0, 32.5]]
    off_grid = imp.assign_coords(x=[0.6, 1.6])
    with pytest.raises(ValueError, match=r"^landcover and impervious are on different"):
        storage.storage_pools(lc, pools, impervious=off_grid)


def test_nep_from_fractions_names_what_lacks_a_value():
    fr = xr.DataArray(np.array([[[0.5]], [[0.5]]]), dims=("class", "y", "x"),
                      coords={"class": [1, 3], "y": [0.5], "x": [0.5]})
    with pytest.raises(ValueError, match=r"^fractions has class code\(s\) \[3\] with non-zero fractions that are "
                                         r"not in the NEP values by class \(codes \[1\]\)"):
        storage.nep_from_fractions(fr, {1: 10.0})
