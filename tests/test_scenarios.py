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
