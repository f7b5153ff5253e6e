"""Land-cover schemes map onto the CASA classes exactly as SCIENCE.md's table says."""

import numpy as np
import pytest
import xarray as xr

import carbontools as ct
from carbontools.landcover import scheme_table, to_casa

from .conftest import monthly_grid

# SCIENCE.md "Default mappings onto the casa codes"
SPEC = {
    "igbp": {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 6, 8: 7, 9: 7, 10: 7, 11: 7, 12: 7, 13: 8, 14: 7, 15: 11, 16: 9,
             0: 10, 17: 10},
    "worldcover": {10: 5, 20: 6, 30: 7, 40: 7, 50: 8, 60: 9, 70: 11, 80: 10, 90: 7, 95: 2, 100: 7},
    "clcd": {1: 7, 2: 5, 3: 6, 4: 7, 5: 10, 6: 11, 7: 9, 8: 8, 9: 7},
    "casa": {c: c for c in range(1, 12)},
}


@pytest.mark.parametrize("scheme", sorted(SPEC))
def test_shipped_tables_match_specification(scheme):
    table = scheme_table(scheme)
    assert dict(zip(table["code"], table["casa"])) == SPEC[scheme]


@pytest.mark.parametrize("scheme", sorted(SPEC))
def test_to_casa_maps_every_code(scheme):
    codes = np.array(sorted(SPEC[scheme]))
    da = xr.DataArray(codes.reshape(1, -1), dims=("y", "x"), attrs={"scheme": scheme})
    assert to_casa(da).values.ravel().tolist() == [SPEC[scheme][c] for c in codes]


def test_user_table_overrides_the_scheme():
    da = xr.DataArray([[2, 2, 1]], dims=("y", "x"), attrs={"scheme": "clcd"})
    # a forest-type map says these CLCD "forest" pixels are evergreen broadleaf
    assert to_casa(da, table={1: 7, 2: 2}).values.tolist() == [[2.0, 2.0, 7.0]]
    with pytest.raises(ValueError, match="not CASA codes"):
        to_casa(da, table={1: 7, 2: 12})


def test_to_casa_on_dask():
    da = xr.DataArray(np.array([[1, 2], [5, 8]]), dims=("y", "x"), attrs={"scheme": "clcd"}).chunk({"y": 1})
    out = to_casa(da)
    assert out.chunks is not None
    assert out.values.tolist() == [[7.0, 5.0], [10.0, 8.0]]


def test_built_up_pixels_are_not_zero():
    """Built-up pixels carry NPP from the urban green share of their NDVI (SCIENCE.md)."""
    from .models.test_casa import ZHU, hand_fpar, hand_heat_index, hand_pet, hand_te2, hand_zhou

    ds = monthly_grid({"ndvi": [0.25] * 12, "tmean": [20.0] * 12, "srad": [400.0] * 12, "precip": [100.0] * 12},
                      landcover=8)
    npp = ct.run(ds)["npp"]
    # built-up takes the last row of the class table (eps_max 0.542, NDVI_max 0.634); Topt = T = 20: Te1 = 1
    we = hand_zhou(100.0, hand_pet(20.0, hand_heat_index([20.0] * 12)))[0]
    expected = 400 * hand_fpar(0.25, 0.634, ZHU) * 0.5 * 1.0 * hand_te2(20.0, 20.0, ZHU["c"]) * we * 0.542
    assert expected > 20  # g C m-2 month-1: by hand, far from zero
    np.testing.assert_allclose(npp.values, expected, rtol=1e-12)


def test_water_and_ice_have_zero_npp_and_rh_even_with_green_ndvi():
    ds = monthly_grid({"ndvi": [0.5] * 12, "tmean": [20.0] * 12, "srad": [400.0] * 12, "precip": [100.0] * 12},
                      nx=2, landcover=[[5, 6]], scheme="clcd")
    out = ct.run(ds)
    assert (out["npp"] == 0).all() and (out["rh"] == 0).all() and (out["nep"] == 0).all()


# --- numpy and dask, grid and metadata kept (tests/general_checks.py) ----------------------------

from carbontools.landcover import class_lookup  # noqa: E402

from .general_checks import assert_backends_agree, assert_own_metadata, synthetic_scene  # noqa: E402


def igbp_map():
    """IGBP codes on the synthetic scene's grid: every class, water 0 and 17, and the fill value 255."""
    lc = synthetic_scene()["landcover"]
    codes = np.array([[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11], [12, 13, 14, 15, 16, 17],
                      [255, 1, 17, 13, 4, 0], [2, 8, 12, 255, 16, 10]], dtype="int32")
    return lc.copy(data=codes).assign_attrs(scheme="igbp", nodata=255, long_name="land cover (IGBP)")


def test_to_casa_gives_the_same_on_numpy_and_dask():
    lc = igbp_map()
    eager, _ = assert_backends_agree(to_casa, lc, like=lc, max_computes=1, units="1", long_name="CASA land-cover class")
    expected = [[SPEC["igbp"].get(int(c), np.nan) for c in row] for row in lc.values]
    np.testing.assert_array_equal(eager.values, expected)
    assert eager.attrs["scheme"] == "casa" and eager.attrs["mapped_from"] == "igbp"


@pytest.mark.xfail(strict=True, reason="to_casa reads the class map once while building the graph (check_codes -> "
                   "present_codes: dask's unique, block by block) to check the codes against the table")
def test_to_casa_stays_lazy():
    assert_backends_agree(to_casa, igbp_map())


def test_class_lookup_on_numpy_and_dask():
    lc = synthetic_scene()["landcover"]  # float CASA codes with NaN (nodata)
    values = {1: 0.389, 4: 0.692, 7: 0.542, 10: 0.0}
    eager, _ = assert_backends_agree(class_lookup, lc, values, like=lc)
    expected = [[values.get(int(c), np.nan) if np.isfinite(c) else np.nan for c in row] for row in lc.values]
    np.testing.assert_array_equal(eager.values, expected)
    assert eager.dtype == float


def test_class_lookup_of_integer_codes_with_nodata():
    lc = igbp_map()
    eager, _ = assert_backends_agree(class_lookup, lc, {0: 1.0, 17: 2.0, 13: 3.0}, nodata=(17,), like=lc)
    expected = [[{0: 1.0, 13: 3.0}.get(int(c), np.nan) for c in row] for row in lc.values]
    np.testing.assert_array_equal(eager.values, expected)  # 17 declared nodata -> NaN; 255 beyond the table -> NaN


def test_class_lookup_values_do_not_wear_the_class_maps_metadata():
    lc = synthetic_scene()["landcover"]
    assert_own_metadata(class_lookup(lc, {1: 0.389}), lc)


def test_reporting_classes_keep_the_maps_own_scheme_and_leave_out_nodata_and_unknown_codes():
    from carbontools.landcover import class_names, reporting_classes

    # WorldCover (ESA PUM v2.0 table 1): 40 cropland, 30 grassland, 90 herbaceous wetland; 0 declared nodata;
    # 255 is no WorldCover class
    lc = xr.DataArray([[40, 30, 90], [0, 255, 40]], dims=("y", "x"), name="worldcover",
                      attrs={"scheme": "worldcover", "nodata": 0})
    labels, excluded = reporting_classes(lc)
    assert labels == {30: "grassland", 40: "cropland", 90: "herbaceous wetland"}
    assert excluded[0] == "nodata of landcover" and "not a class of the 'worldcover' scheme" in excluded[255]
    # names given: they label the codes; nodata still left out
    labels, excluded = reporting_classes(lc.where(lc != 255, 40), names={40: "farm", 30: "meadow", 90: "marsh"})
    assert labels == {30: "meadow", 40: "farm", 90: "marsh"} and list(excluded) == [0]
    assert class_names("clcd")[1] == "cropland" and class_names("clcd")[9] == "wetland"


# --- nodata, scheme labels and the class map's own attrs (numpy only) ---------------------------------------

def igbp_codes(codes, **attrs):
    da = xr.DataArray(np.asarray(codes, dtype="uint8"), dims=("y", "x"), coords={"y": [1.5, 0.5], "x": [0.5, 1.5]})
    return da.rio.write_crs("EPSG:4326").assign_attrs(attrs)


def test_nodata_values_come_from_attrs_encoding_and_rioxarray():
    from carbontools.landcover import nodata_values

    da = igbp_codes([[1, 2], [3, 4]], nodata=250, missing_value=252)
    da.encoding["_FillValue"] = 251
    assert sorted(nodata_values(da)) == [250, 251, 252]
    kept_in_memory = igbp_codes([[1, 2], [3, 4]])
    kept_in_memory.rio.set_nodata(255, inplace=True)  # not in attrs or encoding: only rioxarray knows it
    assert nodata_values(kept_in_memory) == [255]
    assert nodata_values(igbp_codes([[1, 2], [3, 4]], _FillValue=np.nan)) == []  # a NaN fill is no code


def test_to_casa_states_the_scheme_it_mapped_from():
    # IGBP 1 (evergreen needleleaf) -> casa 1, 13 (urban) -> 8, 17 (water) -> 10 (SCIENCE.md table); 255 nodata
    lc = igbp_codes([[1, 13], [17, 255]], nodata=255)
    by_argument = to_casa(lc, scheme="igbp")
    np.testing.assert_array_equal(by_argument.values, [[1.0, 8.0], [10.0, np.nan]])
    assert by_argument.dtype == float and by_argument.name == "landcover_casa"
    assert by_argument.attrs == {"long_name": "CASA land-cover class", "units": "1", "scheme": "casa",
                                 "mapped_from": "igbp"}
    table = {1: 4, 13: 8, 17: 10}
    assert to_casa(lc, table=table).attrs["mapped_from"] == "user table"
    assert to_casa(lc.assign_attrs(scheme="igbp"), table=table).attrs["mapped_from"] == "igbp"
    np.testing.assert_array_equal(to_casa(lc, table=table).values, [[4.0, 8.0], [10.0, np.nan]])


def test_integer_codes_just_past_the_table_are_nan():
    from carbontools.landcover import class_lookup

    # values for codes 0 and 17: the look-up table has 19 slots (0..17 and the NaN slot 18); 18, 19 and 255 are past it
    codes = xr.DataArray(np.array([[0, 17], [18, 19]], dtype="uint8"), dims=("y", "x"))
    np.testing.assert_array_equal(class_lookup(codes, {0: 1.0, 17: 2.0}).values, [[1.0, 2.0], [np.nan, np.nan]])


def test_the_codes_of_a_lazy_class_map_are_found_block_by_block():
    """present_codes on a dask map: the codes of the numpy map, and no task of the search holds more than a block
    (the 4 x 4 blocks of a 12 x 12 map; before, the whole map was computed into one array)."""
    from dask.callbacks import Callback

    from carbontools.landcover import present_codes

    from .test_batch import largest_array

    values = np.random.default_rng(1).choice([1, 2, 5, 7, 10, 13, 255], size=(12, 12)).astype("uint8")
    codes = xr.DataArray(values, dims=("y", "x"))
    seen = []
    with Callback(posttask=lambda key, result, dsk, state, worker: seen.append(largest_array(result))):
        lazy = present_codes(codes.chunk({"y": 4, "x": 4}))
    np.testing.assert_array_equal(lazy, present_codes(codes))
    np.testing.assert_array_equal(lazy, np.unique(values))  # numpy's own unique, an independent answer
    assert 0 < max(seen) <= 16 < values.size
    floats = codes.astype("float32").where(codes != 255)  # NaN is no code
    np.testing.assert_array_equal(present_codes(floats.chunk({"y": 4, "x": 4})), [1, 2, 5, 7, 10, 13])
