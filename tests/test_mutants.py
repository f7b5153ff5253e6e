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

from carbontools import accounting, compare, params, units
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

def test_harmonise_takes_a_product_without_crs_as_lon_lat():
    # (no 'graph' in this test's name: `make mutation` deselects -k graph)
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
    # a target without CRS either: both are taken as longitude/latitude, and the result says so
    out = compare.harmonise({"p": product}, xr.zeros_like(product))["p"]
    assert out.rio.crs.to_epsg() == 4326 and out.attrs["regridding"] == "none (already on the target grid)"


def lonlat(nt, ny, nx, lon0=100.0, **attrs):
    """1-degree cells from 40 N and ``lon0`` E, g C m-2 month-1 of NEP, EPSG:4326."""
    da = xr.DataArray(np.ones((nt, ny, nx)), dims=("time", "y", "x"),
                      coords={"time": pd.date_range("2020-01-01", periods=nt, freq="MS"),
                              "y": 40.0 - (np.arange(ny) + 0.5), "x": lon0 + np.arange(nx) + 0.5},
                      attrs={"units": "g C m-2 month-1", "convention": "NEP", **attrs})
    return da.rio.write_crs("EPSG:4326")


def test_harmonise_names_the_product_in_its_errors():
    target = lonlat(2, 2, 2)
    with pytest.raises(ValueError, match=r"^p has units 'mol m-2', which carbontools cannot turn into g C m-2"):
        compare.harmonise({"p": lonlat(2, 2, 2, units="mol m-2")}, target)
    with pytest.raises(ValueError, match=r"^p has attrs\['area_basis'\] = 'sea'; use 'cell'"):
        compare.harmonise({"p": lonlat(2, 2, 2, area_basis="sea")}, target)
    with pytest.raises(ValueError, match=r"^p and its land_fraction are on different 'x' coordinates \(different "
                                         r"grids\); give p's land share on p's own grid \(land_fraction=\{'p': share\}\)"):
        compare.harmonise({"p": lonlat(2, 2, 2, area_basis="land")}, target, land_fraction=lonlat(1, 2, 2, lon0=110)[0])
    with pytest.raises(ValueError, match=r"^p does not overlap the target grid: p covers x 0..2"):
        compare.harmonise({"p": lonlat(2, 2, 2, lon0=0.0)}, target)


def test_latitude_time_names_the_values_and_the_fix_when_the_land_share_is_off_grid():
    off = lonlat(1, 2, 2, lon0=110.0)[0]
    fix = r"put the land fraction on the values' grid first \(carbontools.grid.regrid\)$"
    with pytest.raises(ValueError, match=r"^nep and land_fraction are on different 'x' coordinates.*; " + fix):
        accounting.latitude_time(lonlat(2, 2, 2).rename("nep"), off)
    with pytest.raises(ValueError, match=r"^values and land_fraction are on different 'x' coordinates"):
        accounting.latitude_time(lonlat(2, 2, 2), off)


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


# --- casa, respiration, nep: what each result is called -------------------------------------------------------

from carbontools.models import casa as m  # noqa: E402
from carbontools.models import nep as nep_model  # noqa: E402
from carbontools.models import respiration  # noqa: E402


def months(values, name, units, year=2021):
    values = np.asarray(values, float)
    time = pd.date_range(f"{year}-01-01", periods=len(values), freq="MS")
    return xr.DataArray(values[:, None, None], dims=("time", "y", "x"),
                        coords={"time": time, "y": [1000.0], "x": [0.0]}, name=name, attrs={"units": units})


def test_each_model_result_is_named_as_its_result_variable_and_inherits_no_attrs():
    """The names are those of pipeline.RESULT_VARIABLES (``npp``, ``te1``, ...); without fresh() a result would
    carry its first operand's name and units (te2(topt, tmean) named 'tmean' in degC)."""
    t = months([5, 8, 12, 16, 20, 24, 26, 25, 21, 15, 9, 6], "tmean", "degC")
    ndvi = months([0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.65, 0.5, 0.4, 0.3, 0.2], "ndvi", "1")
    precip = months([20, 30, 50, 80, 120, 150, 160, 140, 100, 60, 30, 20], "precip", "mm month-1")
    lc = xr.DataArray([[4.0]], dims=("y", "x"), coords={"y": [1000.0], "x": [0.0]}, name="landcover")
    topt = m.optimal_temperature(ndvi, t)
    hi = m.heat_index(t)
    pet = m.thornthwaite_pet(t, hi)
    no_half = params.casa_preset("potter1993")
    assert not no_half.te2_half_rule and params.casa_preset("zhu2007").te2_half_rule
    lat = xr.DataArray([[30.0]], dims=("y", "x"), coords={"y": [1000.0], "x": [0.0]}, name="lat")
    npp = m.npp_from_factors(ndvi * 100.0, t / t, ndvi, lc)
    rh = respiration.soil_respiration(t, precip)
    results = {
        "sr": m.simple_ratio(ndvi), "fpar": m.fpar_from_ndvi(ndvi, 0.023, 0.647), "topt": topt,
        "te1": m.te1(topt, t), "te2": m.te2(topt, t), "te2 (no half rule)": m.te2(topt, t, no_half),
        "heat_index": hi, "pet": pet, "daylength_factor": m.daylength_factor(t["time"], lat),
        "we": m.et_pet_water_stress(precip * 0.5, pet), "npp": npp, "rh": rh, "nep": nep_model.nep(npp, rh),
        **dict(zip(("we (zhou)", "et", "ep"), m.zhou_water_stress(precip, pet))),
    }
    for key, da in results.items():
        assert da.name == key.split(" ")[0], key
        assert da.attrs == {}, key
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert nep_model.annual_sum(results["nep"]).name == "nep"


def test_incomplete_years_are_named_in_the_topt_warning_and_the_heat_index_error():
    t = months(np.linspace(5.0, 25.0, 18), "tmean", "degC")
    ndvi = months(np.linspace(0.2, 0.7, 18), "ndvi", "1")
    with pytest.warns(UserWarning, match=r"year\(s\) 2022 \(6 months\) are incomplete: their peak is taken over"):
        m.optimal_temperature(ndvi, t)
    with pytest.raises(ValueError, match=r"^the Thornthwaite heat index needs all 12 months of each calendar year; "
                                         r"incomplete years: 2022 \(6 months\)"):
        m.heat_index(t)


def test_thornthwaite_high_temperature_curve_starts_at_26_5_degrees():
    """SCIENCE.md: 'for T >= 26.5 deg C the unadjusted Ep0 = -415.85 + 32.24*T - 0.43*T^2'."""
    p = params.CasaParams().replace(pet_high_temperature=True)
    t = months([26.5, 26.4] + [10.0] * 10, "tmean", "degC")
    heat = xr.full_like(t, 150.0)
    pet = m.thornthwaite_pet(t, heat, p)
    # at 26.5: -415.85 + 32.24 x 26.5 - 0.43 x 26.5^2 = -415.85 + 854.36 - 301.9675 = 136.5425
    assert float(pet[0, 0, 0]) == pytest.approx(136.5425, rel=1e-12)
    # at 26.4 Thornthwaite's formula: a = 6.75e-7 I^3 - 7.71e-5 I^2 + 1.792e-2 I + 0.49239 with I = 150
    a = 6.75e-7 * 150**3 - 7.71e-5 * 150**2 + 1.792e-2 * 150 + 0.49239
    assert float(pet[1, 0, 0]) == pytest.approx(16.0 * (10 * 26.4 / 150) ** a, rel=1e-12)


# --- casa.ndvi_limits_by_class: the table, the notes and the bounds ------------------------------------------

def limits_scene(codes, ndvi_by_time):
    """Land cover ``codes`` (y, x) without a scheme attribute (CASA by default) and NDVI (time, y, x)."""
    codes = np.asarray(codes, float)
    ny, nx = codes.shape
    coords = {"y": 1000.0 - 250.0 * np.arange(ny), "x": 250.0 * np.arange(nx)}
    lc = xr.DataArray(codes, dims=("y", "x"), coords=coords)
    values = np.asarray(ndvi_by_time, float)
    ndvi = xr.DataArray(values, dims=("time", "y", "x"),
                        coords={"time": pd.date_range("2021-01-01", periods=len(values), freq="MS"), **coords})
    return ndvi, lc


GRASS = "class 7 (grassland, cropland, wetland, other vegetated)"


def test_ndvi_limits_table_and_notes_by_hand():
    nan = np.nan
    ndvi, lc = limits_scene([[1, 4, 7], [9, 9, 10]],
                            [[[0.5, nan, 0.3], [0.05, 0.10, -0.1]],
                             [[0.7, nan, 0.6], [0.15, 0.20, -0.2]]])
    assert "scheme" not in lc.attrs
    with pytest.warns(UserWarning) as caught:
        limits = m.ndvi_limits_by_class(ndvi, lc)
    # bare ground (class 9): 0.05, 0.10, 0.15, 0.20; 5th percentile at position 0.05 x 3 = 0.15: 0.05 + 0.15 x 0.05
    # class 1: 0.5, 0.7 -> 0.5 + 0.95 x 0.2 = 0.69; class 7: 0.3, 0.6 -> 0.3 + 0.95 x 0.3 = 0.585; 4 has no NDVI
    assert limits["ndvi_min"] == pytest.approx(0.0575, rel=1e-12)
    assert limits["sr_min"] == pytest.approx(1.0575 / 0.9425, rel=1e-12)
    assert limits["ndvi_max"] == pytest.approx({1: 0.69, 7: 0.585, 9: 0.585}, rel=1e-12)
    assert [str(w.message) for w in caught] == [
        "ndvi_limits_by_class: class 4 (deciduous broadleaf forest) has no finite NDVI: ndvi_max keeps the preset's"]
    assert limits.notes == [
        "class 4 (deciduous broadleaf forest) has no finite NDVI: ndvi_max keeps the preset's",
        f"class 9 (barren) is bare ground (the source of ndvi_min): it takes the ndvi_max of {GRASS}, 0.585, as the "
        "published table does"]
    expected = pd.DataFrame({
        "limit": ["ndvi_min", "ndvi_max", "ndvi_max", "ndvi_max"],
        "code": pd.array([pd.NA, 1, 7, 9], dtype="Int64"),
        "name": ["bare ground, class 9 (barren)", "class 1 (evergreen needleleaf forest)", GRASS, "class 9 (barren)"],
        "n": [4, 2, 2, 0],
        "percentile": [0.0575, 0.69, 0.585, nan],
        "value": [0.0575, 0.69, 0.585, 0.585]})
    pd.testing.assert_frame_equal(limits.table, expected, check_exact=False, rtol=1e-12)
    # the same data with the dimensions in another order give the same limits
    with pytest.warns(UserWarning):
        again = m.ndvi_limits_by_class(ndvi.transpose("y", "time", "x"), lc.transpose("x", "y"))
    pd.testing.assert_frame_equal(again.table, limits.table)


def test_ndvi_limits_from_a_separate_bare_sample_with_two_bare_classes_clipped_to_sr_bounds():
    """NDVI_min is clipped so that SR_min = (1 + NDVI_min)/(1 - NDVI_min) stays in sr_min's bounds [1, 2]:
    NDVI_min in [(1 - 1)/(1 + 1), (2 - 1)/(2 + 1)] = [0, 1/3]."""
    ndvi, lc = limits_scene([[1, 6, 7, 9]], [[[0.5, 0.2, 0.4, 0.3]]])
    bare = xr.full_like(ndvi, 0.4)
    with pytest.warns(UserWarning) as caught:
        limits = m.ndvi_limits_by_class(ndvi, lc, bare_ndvi=bare, bare_classes=(6, 9))
    label = "bare ground, class 6 (shrubland) and class 9 (barren)"
    assert [str(w.message) for w in caught] == [
        f"ndvi_limits_by_class: {label}: the lower percentile 0.400 is outside the bounds [0, 0.333] of "
        "CasaParams.ndvi_min; clipped to 0.333"]
    assert limits["ndvi_min"] == pytest.approx(1 / 3, rel=1e-12) and limits["sr_min"] == pytest.approx(2.0)
    # class 1: 0.5, class 7: 0.4 (one value each); the two bare classes take class 7's
    assert limits["ndvi_max"] == pytest.approx({1: 0.5, 7: 0.4, 6: 0.4, 9: 0.4}, rel=1e-12)
    assert limits.table["name"].iloc[0] == label and limits.table["n"].tolist() == [2, 1, 1, 0, 0]


def test_ndvi_limits_below_zero_are_clipped_to_sr_one():
    ndvi, lc = limits_scene([[1, 9]], [[[0.5, -0.1]]])
    with pytest.warns(UserWarning) as caught:
        limits = m.ndvi_limits_by_class(ndvi, lc, bare_above=-1.0)
    assert "the lower percentile -0.100 is outside the bounds [0, 0.333] of CasaParams.ndvi_min; clipped to 0.000" \
        in str(caught[0].message)
    assert limits["ndvi_min"] == 0.0 and limits["sr_min"] == 1.0


def test_ndvi_limits_are_checked_against_the_given_parameters():
    ndvi, lc = limits_scene([[1, 9]], [[[0.5, 0.25]]])
    # SR_min = 1.25 / 0.75 = 1.667 is not below the one sr_max = 1.5 of these parameters (the preset has none)
    with pytest.raises(ValueError, match=r"^the NDVI limits derived from these data are not usable: CasaParams: "
                                         r"sr_min = 1.66667 is not below sr_max = 1.5"):
        m.ndvi_limits_by_class(ndvi, lc, params=params.CasaParams().replace(sr_max=1.5))
    with pytest.warns(UserWarning, match=r"^ndvi_limits_by_class: class 9 \(barren\) is bare ground and " + GRASS.replace(
            "(", r"\(").replace(")", r"\)") + " is absent: ndvi_max keeps the preset's$"):
        limits = m.ndvi_limits_by_class(ndvi, lc)
    assert limits["ndvi_max"] == {1: 0.5}


def test_ndvi_limits_name_the_sample_off_the_grid():
    ndvi, lc = limits_scene([[1, 9]], [[[0.5, 0.1]], [[0.6, 0.2]]])
    # two months on one row of two cells: a (y, time, x) sample is on the grid too (time is not y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert m.ndvi_limits_by_class(ndvi.transpose("y", "time", "x"), lc).table.equals(
            m.ndvi_limits_by_class(ndvi, lc).table)
    wide = xr.DataArray(np.ones((1, 1, 3)), dims=("time", "y", "x"))
    with pytest.raises(ValueError, match=r"^ndvi \(y, x = 1, 3\) and landcover \(1, 2\) are not on one grid"):
        m.ndvi_limits_by_class(wide, lc)
    with pytest.raises(ValueError, match=r"^bare_ndvi \(y, x = 1, 3\) and landcover \(1, 2\) are not on one grid"):
        m.ndvi_limits_by_class(ndvi, lc, bare_ndvi=wide)


def test_yearly_fields_come_back_in_the_time_chunks_of_the_monthly_input():
    """Topt and the heat index are put back on the monthly axis in the input's chunks (12 months a chunk here),
    not one chunk per month nor one for the whole record."""
    t = months(np.tile(np.linspace(2.0, 24.0, 12), 2), "tmean", "degC").chunk({"time": 12})
    ndvi = months(np.tile(np.linspace(0.2, 0.7, 12), 2), "ndvi", "1").chunk({"time": 12})
    assert m.heat_index(t).chunksizes["time"] == (12, 12)
    assert m.optimal_temperature(ndvi, t).chunksizes["time"] == (12, 12)
    # dask NDVI with numpy temperatures: Topt is lazy, in one time chunk (the numpy input has none to follow)
    assert m.optimal_temperature(ndvi, t.compute()).chunksizes["time"] == (24,)
    # the numbers: I = sum over the year of (T/5)^1.514, the same for both years
    expected = sum((v / 5.0) ** 1.514 for v in np.linspace(2.0, 24.0, 12))
    np.testing.assert_allclose(m.heat_index(t).values.ravel(), expected, rtol=1e-12)


def test_covered_share_names_the_values_and_the_fix():
    off = lonlat(1, 2, 2, lon0=110.0)[0]
    fix = r"put the land fraction on the values' grid first \(carbontools.grid.regrid\)$"
    with pytest.raises(ValueError, match=r"^nep and land_fraction are on different 'x' coordinates.*; " + fix):
        accounting.covered_share(lonlat(2, 2, 2, area_basis="land").rename("nep"), off)
    with pytest.raises(ValueError, match=r"^values and land_fraction are on different 'x' coordinates.*; " + fix):
        accounting.covered_share(lonlat(2, 2, 2, area_basis="land"), off)
    with pytest.raises(ValueError, match=r"^values has attrs\['area_basis'\] = 'sea'"):
        accounting.covered_share(lonlat(2, 2, 2, area_basis="sea"))
