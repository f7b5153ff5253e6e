"""carbontools.scenarios.convert_classes: how many pixels, which ones, what they become, and what is kept."""

import json

import numpy as np
import pytest
import xarray as xr

from carbontools.scenarios import convert_classes

CROP, FOREST, BUILT, WATER = 1, 2, 8, 5


def landcover():
    """4 x 5 map: rows 0-1 cropland (10 pixels), row 2 built-up, row 3 water; CLCD scheme, EPSG:32649."""
    values = np.array([[CROP] * 5, [CROP] * 5, [BUILT] * 5, [WATER] * 5], dtype="uint8")
    da = xr.DataArray(values, dims=("y", "x"), coords={"y": [35.0, 25.0, 15.0, 5.0], "x": 5.0 + 10.0 * np.arange(5)},
                      name="landcover", attrs={"scheme": "clcd", "nodata": 255})
    return da.rio.write_crs("EPSG:32649")


def test_share_of_the_eligible_pixels_is_converted():
    lc = landcover()
    after, converted = convert_classes(lc, CROP, FOREST, 0.3)
    # 10 cropland pixels x 0.3 = 3 become forest; the other 7 stay cropland (no `otherwise`)
    assert int((after == FOREST).sum()) == 3 and int((after == CROP).sum()) == 7
    assert int(converted.sum()) == 3 and bool((after.where(converted) == FOREST).sum() == 3)
    assert bool((after[2:] == lc[2:]).all())  # built-up and water untouched
    # half up: 10 x 0.25 = 2.5 -> 3; 10 x 0.24 = 2.4 -> 2
    assert int((convert_classes(lc, CROP, FOREST, 0.25)[0] == FOREST).sum()) == 3
    assert int((convert_classes(lc, CROP, FOREST, 0.24)[0] == FOREST).sum()) == 2
    assert bool((convert_classes(lc, CROP, FOREST, 0.0)[0] == lc).all())
    assert int((convert_classes(lc, CROP, FOREST, 1.0)[0] == FOREST).sum()) == 10


def test_the_rest_of_the_eligible_pixels_get_otherwise():
    after, converted = convert_classes(landcover(), [CROP], FOREST, 0.3, otherwise=BUILT)
    # 3 forest, 7 built-up from cropland + the 5 built-up of row 2
    assert int((after == FOREST).sum()) == 3 and int((after == BUILT).sum()) == 12 and int((after == CROP).sum()) == 0
    assert int(converted.sum()) == 10 and int((converted & (after == FOREST)).sum()) == 3


def test_where_limits_the_eligible_pixels():
    lc = landcover()
    near_built = xr.zeros_like(lc, dtype=bool)
    near_built[1] = True  # only the cropland row next to the built-up row: 5 pixels
    after, converted = convert_classes(lc, CROP, FOREST, 0.6, where=near_built)
    assert int((after[1] == FOREST).sum()) == 3 and bool((after[0] == CROP).all())  # 5 x 0.6 = 3
    with pytest.raises(TypeError, match="boolean"):
        convert_classes(lc, CROP, FOREST, 0.5, where=near_built.astype(int))
    with pytest.raises(ValueError, match="not on the land-cover grid"):
        convert_classes(lc, CROP, FOREST, 0.5, where=near_built.assign_coords(x=near_built["x"] + 1))


def test_one_seed_one_map_and_larger_shares_contain_smaller_ones():
    lc = landcover()
    small, _ = convert_classes(lc, CROP, FOREST, 0.3, seed=7)
    again, _ = convert_classes(lc, CROP, FOREST, 0.3, seed=7)
    large, _ = convert_classes(lc, CROP, FOREST, 0.7, seed=7)
    xr.testing.assert_identical(small, again)
    assert bool(((small == FOREST) <= (large == FOREST)).all())  # every pixel of 30 % is in 70 %
    others = [convert_classes(lc, CROP, FOREST, 0.3, seed=s)[0] for s in range(5)]
    assert any(not bool((o == small).all()) for o in others)  # the seed matters


def test_the_map_keeps_dtype_attrs_and_crs():
    lc = landcover()
    after, _ = convert_classes(lc, CROP, FOREST, 0.5, otherwise=BUILT)
    assert after.dtype == lc.dtype and after.name == "landcover"
    assert after.attrs["scheme"] == "clcd" and after.attrs["nodata"] == 255
    assert after.rio.crs == lc.rio.crs
    assert json.loads(after.attrs["scenario"]) == {"from_classes": [1], "to_class": 2, "share": 0.5, "seed": 0,
                                                   "otherwise": 8, "where": False, "converted_to_class": 5}
    np.testing.assert_array_equal(after["x"], lc["x"])


def test_dask_backed_maps_work_too():
    lc = landcover()
    eager, _ = convert_classes(lc, CROP, FOREST, 0.3)
    lazy, _ = convert_classes(lc.chunk({"y": 2}), CROP, FOREST, 0.3)
    xr.testing.assert_identical(eager.drop_vars("spatial_ref"), lazy.compute().drop_vars("spatial_ref"))


def test_bad_arguments_name_the_fix():
    lc = landcover()
    with pytest.raises(ValueError, match="share"):
        convert_classes(lc, CROP, FOREST, 1.5)
    with pytest.raises(ValueError, match="integer class codes"):
        convert_classes(lc, [1.5], FOREST, 0.5)
    with pytest.raises(ValueError, match="empty"):
        convert_classes(lc, [], FOREST, 0.5)
    with pytest.raises(ValueError, match="'y' and 'x'"):
        convert_classes(lc.isel(y=0), CROP, FOREST, 0.5)


# --- scenarios on whole drivers: convert, add_green, remove_green, compare_scenario ----------------

import pandas as pd  # noqa: E402

import carbontools as ct  # noqa: E402
from carbontools import demo, scenarios  # noqa: E402
from carbontools.models import storage  # noqa: E402

SIZE = 48
PIXEL_HA = 250.0 * 250.0 / 10_000.0  # the demo's 250 m pixels: 6.25 ha


@pytest.fixture(scope="module")
def scene():
    return demo.delta_city(size=SIZE), demo.districts(size=SIZE)


@pytest.fixture(scope="module")
def baseline_result(scene):
    return ct.run(scene[0])


def tiny_drivers():
    """1 x 3 pixels, 2 months: a built-up pixel (CLCD 8, 60 % sealed) and two forest pixels (CLCD 2)."""
    ndvi = np.array([[[0.30, 0.70, 0.80]], [[0.35, 0.60, 0.80]]], dtype="float32")  # (time, y, x)
    coords = {"time": pd.date_range("2021-01-01", periods=2, freq="MS"), "y": [5.0], "x": [5.0, 15.0, 25.0]}
    ds = xr.Dataset({"ndvi": (("time", "y", "x"), ndvi, {"units": "1"}),
                     "landcover": (("y", "x"), np.array([[BUILT, FOREST, FOREST]], dtype="uint8"), {"scheme": "clcd"}),
                     "impervious": (("y", "x"), np.array([[0.6, 0.0, 0.0]], dtype="float32"), {"units": "1"})},
                    coords=coords)
    return ds.rio.write_crs("EPSG:32649")


def test_adding_green_lowers_impervious_by_the_share_and_mixes_ndvi_by_the_stated_rule():
    ds = tiny_drivers()
    out = scenarios.add_green(ds, 0.2, FOREST)
    # impervious 0.6 - 0.2 = 0.4 on the built-up pixel; the forest pixels keep 0
    np.testing.assert_allclose(out["impervious"].values, [[0.4, 0.0, 0.0]], rtol=1e-6)
    # V(t) = mean forest NDVI: (0.7 + 0.8)/2 = 0.75 in month 1, (0.6 + 0.8)/2 = 0.70 in month 2
    # NDVI' = NDVI + g (V - NDVI): 0.30 + 0.2 x 0.45 = 0.39; 0.35 + 0.2 x 0.35 = 0.42
    np.testing.assert_allclose(out["ndvi"].values[:, 0, 0], [0.39, 0.42], rtol=1e-6)
    np.testing.assert_array_equal(out["ndvi"].values[:, 0, 1:], ds["ndvi"].values[:, 0, 1:])  # forest unchanged
    # with the NDVI of sealed surface as the replaced end-member: 0.30 + 0.2 x (0.75 - 0.05) = 0.44
    sealed = scenarios.add_green(ds, 0.2, FOREST, sealed_ndvi=0.05)
    np.testing.assert_allclose(sealed["ndvi"].values[:, 0, 0], [0.44, 0.35 + 0.2 * (0.70 - 0.05)], rtol=1e-6)
    # the reverse: impervious 0.6 + 0.2 = 0.8; NDVI 0.30 - 0.2 x (0.75 - 0.30) = 0.21
    back = scenarios.remove_green(ds, 0.2, FOREST)
    np.testing.assert_allclose(back["impervious"].values[0, 0], 0.8, rtol=1e-6)
    np.testing.assert_allclose(back["ndvi"].values[:, 0, 0], [0.21, 0.35 - 0.2 * (0.70 - 0.35)], rtol=1e-6)
    for other in ("landcover",):
        xr.testing.assert_identical(out[other], ds[other])
    assert out["ndvi"].dtype == ds["ndvi"].dtype and out["ndvi"].attrs == ds["ndvi"].attrs
    step = json.loads(out.attrs["scenario"])[-1]
    assert step["step"] == "add_green" and step["share"] == 0.2 and step["pixels"] == 1


def test_a_scenario_that_changes_nothing_changes_nothing(scene, baseline_result):
    drivers, districts = scene
    for same in (scenarios.add_green(drivers, 0.0, FOREST, region="Old Town", zones=districts),
                 scenarios.remove_green(drivers, 0.0, FOREST),
                 scenarios.convert(drivers, CROP, FOREST, 0.0)[0]):
        for name in drivers.data_vars:  # bit-identical drivers
            np.testing.assert_array_equal(same[name].values, drivers[name].values)
        result = ct.run(same)
        for name in baseline_result.data_vars:  # bit-identical results
            np.testing.assert_array_equal(result[name].values, baseline_result[name].values)
    same = scenarios.add_green(drivers, 0.0, FOREST)
    c = scenarios.compare_scenario(drivers, same, districts, baseline_result=baseline_result)
    for table in ("by_region", "by_landcover"):
        changes = c[table][[col for col in c[table].columns if col.endswith("_change")]]
        assert (changes.to_numpy() == 0.0).all()
    assert float(abs(c["maps"]["nep_change"]).max()) == 0.0 and not bool(c["maps"]["changed"].any())


def test_cropland_to_forest_changes_storage_by_the_table_difference_times_the_area(scene, baseline_result):
    drivers, districts = scene
    # pools (above, below, soil, dead) in Mg C/ha, the InVEST oracle's classes 1 and 2 (SCIENCE.md section 4):
    # forest (15, 10, 60, 1) = 86, cropland (5, 3, 20, 0) = 28: converting one 6.25 ha pixel adds 58 x 6.25 Mg C
    others = {code: (2, 1, 5, 0) for code in (3, 4, 5, 6, 7, 8, 9)}
    pools = storage.read_pools({FOREST: (15, 10, 60, 1), CROP: (5, 3, 20, 0), **others}, scheme="clcd")
    after, converted = scenarios.convert(drivers, CROP, FOREST, 0.5, seed=3)
    n = int(converted.sum())
    assert n == int(np.floor(0.5 * int((drivers["landcover"] == CROP).sum()) + 0.5)) and n > 0
    c = scenarios.compare_scenario(drivers, after, districts, pools=pools, baseline_result=baseline_result)
    expected = (86.0 - 28.0) * PIXEL_HA * n  # Mg C
    assert c["by_landcover"].loc["cropland", "storage_MgC_change"] == pytest.approx(expected, rel=1e-9)
    assert c["by_region"]["storage_MgC_change"].sum() == pytest.approx(expected, rel=1e-9)
    assert float(c["maps"]["storage_change"].where(converted).min()) == pytest.approx(58.0)
    assert float(abs(c["maps"]["storage_change"].where(~converted)).max()) == 0.0


def test_converted_pixels_take_the_ndvi_and_impervious_of_their_new_class_in_the_region(scene):
    drivers, districts = scene
    after, converted = scenarios.convert(drivers, CROP, FOREST, 1.0, region="Northern Hills", zones=districts)
    inside = scenarios.region_mask(drivers, "Northern Hills", districts)
    forest = ((drivers["landcover"] == FOREST) & inside).values
    assert forest.any() and bool(converted.any())
    ndvi = drivers["ndvi"].values  # plain numpy: mean over the region's forest pixels, month by month
    expected = np.array([month[forest].mean() for month in ndvi], dtype="float32")
    got = after["ndvi"].values[:, converted.values]
    np.testing.assert_allclose(got, np.repeat(expected[:, None], got.shape[1], axis=1), rtol=1e-6)
    np.testing.assert_allclose(after["impervious"].values[converted.values],
                               drivers["impervious"].values[forest].mean(), rtol=1e-6)
    kept = scenarios.convert(drivers, CROP, FOREST, 1.0, region="Northern Hills", zones=districts, properties="keep")[0]
    np.testing.assert_array_equal(kept["ndvi"].values, drivers["ndvi"].values)


def test_a_scenario_in_one_district_leaves_the_other_districts_untouched(scene, baseline_result):
    drivers, districts = scene
    inside = scenarios.region_mask(drivers, "Delta Farms", districts)
    for after in (scenarios.convert(drivers, CROP, FOREST, 0.6, region="Delta Farms", zones=districts)[0],
                  scenarios.add_green(drivers, 0.3, FOREST, region="Delta Farms", zones=districts)):
        for name in ("ndvi", "impervious", "landcover"):
            np.testing.assert_array_equal(after[name].where(~inside).values, drivers[name].where(~inside).values)
        changed = ~(after["landcover"] == drivers["landcover"]) | (after["impervious"] != drivers["impervious"])
        assert bool(changed.any()) and not bool((changed & ~inside).any())
        c = scenarios.compare_scenario(drivers, after, districts, baseline_result=baseline_result)
        table = c["by_region"]
        others = table.drop(index="Delta Farms")
        assert (others["nep_tC_yr_change"] == 0.0).all() and (others["storage_MgC_change"] == 0.0).all()
        assert table.loc["Delta Farms", "nep_tC_yr_change"] != 0.0
        assert float(abs(c["maps"]["nep_change"].where(~inside)).max()) == 0.0


def test_a_region_by_name_by_polygon_and_by_mask_is_the_same_region(scene):
    drivers, districts = scene
    by_name = scenarios.region_mask(drivers, "Old Town", districts)
    by_position = scenarios.region_mask(drivers, 0, districts)
    by_polygon = scenarios.region_mask(drivers, districts.geometry.iloc[0])
    by_frame = scenarios.region_mask(drivers, districts.iloc[[0]])
    for other in (by_position, by_polygon, by_frame, scenarios.region_mask(drivers, by_name)):
        xr.testing.assert_equal(by_name, other)
    assert 0 < int(by_name.sum()) < SIZE * SIZE


def test_offsets_and_the_green_space_budget_follow_the_nep_change(scene, baseline_result):
    drivers, districts = scene
    after = scenarios.add_green(drivers, 0.3, FOREST, region="Old Town", zones=districts)
    c = scenarios.compare_scenario(drivers, after, districts, baseline_result=baseline_result, emissions=1e5,
                                   green_space={"composition": {"park_trees": 1.0}})
    change = c["by_region"].loc["Old Town", "nep_tC_yr_change"]  # t C yr-1; no cropland changed, all counts
    offset = c["offset"]
    assert offset.loc["change", "sequestration"] == pytest.approx(change * 44 / 12, rel=1e-9)
    assert offset.loc["change", "offset_ratio"] == pytest.approx(change * 44 / 12 / 1e5, rel=1e-9)
    budget = c["budget"]
    # the added green: 0.3 of every built-up pixel of Old Town with an impervious fraction, 6.25 ha each
    step = json.loads(after.attrs["scenario"])[-1]
    assert budget.loc["Old Town", "green_area_m2"] == pytest.approx(0.3 * step["pixels"] * 62_500.0, rel=1e-6)
    assert budget.loc["Old Town", "sequestration"] == pytest.approx(change * 44 / 12, rel=1e-9)
    # park trees: mowing 0.03 + irrigation 0.0095 + pruning 0.02 kg CO2e m-2 yr-1 (the shipped example table)
    assert budget.loc["Old Town", "management"] == pytest.approx(
        0.0595 * budget.loc["Old Town", "green_area_m2"] / 1000, rel=1e-9)
    assert budget.loc["Riverside", "green_area_m2"] == 0.0 and "no green space" in budget.loc["Riverside", "note"]
    assert budget.attrs["units"] == "t CO2e yr-1"


def test_the_fast_district_path_equals_the_whole_scene_comparison(scene, baseline_result):
    drivers, districts = scene
    fast = scenarios.district_green_change(drivers, districts, "New Town", 0.25, FOREST)
    full = scenarios.compare_scenario(
        drivers, scenarios.add_green(drivers, 0.25, FOREST, region="New Town", zones=districts), districts,
        baseline_result=baseline_result)["by_region"].loc["New Town"]
    for key, column in (("nep_change_tC_yr", "nep_tC_yr_change"), ("storage_change_MgC", "storage_MgC_change"),
                        ("nep_baseline_tC_yr", "nep_tC_yr_baseline")):
        assert fast[key] == pytest.approx(full[column], rel=1e-6)
    assert fast["nep_change_tC_yr"] != 0.0
    again = scenarios.district_green_change(drivers, districts, "New Town", 0.25, FOREST, baseline=fast["baseline"])
    assert again["nep_change_tC_yr"] == fast["nep_change_tC_yr"]
    # another district's baseline is not taken for this one
    other = scenarios.district_green_change(drivers, districts, "Old Town", 0.25, FOREST, baseline=fast["baseline"])
    fresh = scenarios.district_green_change(drivers, districts, "Old Town", 0.25, FOREST)
    assert other["nep_baseline_tC_yr"] == fresh["nep_baseline_tC_yr"] != fast["nep_baseline_tC_yr"]
    assert other["nep_change_tC_yr"] == fresh["nep_change_tC_yr"]


def test_bad_scenarios_name_the_value_and_the_fix(scene):
    drivers, districts = scene
    with pytest.raises(ValueError, match=r"from_classes 42 is not a class of the 'clcd' scheme"):
        scenarios.convert(drivers, 42, FOREST, 0.5)
    with pytest.raises(ValueError, match=r"to_class 42 is not a class"):
        convert_classes(landcover(), CROP, 42, 0.5)
    with pytest.raises(ValueError, match=r"no pixel of from_classes \[6\].*choose classes that occur"):
        scenarios.convert(drivers, 6, FOREST, 0.5)  # snow/ice: a CLCD class the demo does not have
    with pytest.raises(ValueError, match=r"region 'Atlantis' is not one of the zones; the zones are \['Old Town'"):
        scenarios.add_green(drivers, 0.1, FOREST, region="Atlantis", zones=districts)
    with pytest.raises(ValueError, match="no zones were given"):
        scenarios.add_green(drivers, 0.1, FOREST, region="Old Town")
    for bad in (1.5, -0.1, float("nan"), True):
        with pytest.raises(ValueError, match=r"share must be a fraction from 0 to 1, got"):
            scenarios.add_green(drivers, bad, FOREST)
    with pytest.raises(ValueError, match=r"share=0.7 of green is larger than the impervious fraction .* Give share <="):
        scenarios.add_green(tiny_drivers(), 0.7, FOREST)
    with pytest.raises(ValueError, match=r"larger than the green \(unsealed\) share .* Give share <= 0.4"):
        scenarios.remove_green(tiny_drivers(), 0.5, FOREST)
    with pytest.raises(ValueError, match="drivers lack"):
        scenarios.add_green(tiny_drivers().drop_vars("impervious"), 0.1, FOREST)
    with pytest.raises(ValueError, match="has no built-up pixel"):
        scenarios.add_green(drivers, 0.1, FOREST, region=drivers["landcover"] == FOREST)
