"""Zonal totals: by-hand values on a small grid, and the sum of zones equals the total of the same pixels."""

import numpy as np
import pytest
import xarray as xr

import carbontools as ct
from carbontools import demo
from carbontools.accounting import zonal_totals, zones_from_polygons
from carbontools.grid import cell_area


def grid(values, res=100.0):
    ny, nx = np.shape(values)
    da = xr.DataArray(np.asarray(values, float), dims=("y", "x"),
                      coords={"y": 1000.0 - res * np.arange(ny), "x": res * np.arange(nx)})
    return da.rio.write_crs("EPSG:32649").assign_attrs(units="g C m-2 yr-1")


def test_by_hand():
    values = grid([[100.0, 200.0], [-50.0, np.nan]])  # g C m-2 on 100 m x 100 m = 1e4 m2 cells
    zones = grid([[1, 1], [2, 2]])
    t = zonal_totals(values, zones, unit="t C", names={1: "park", 2: "core"})
    assert t.loc["park", "total"] == pytest.approx((100 + 200) * 1e4 / 1e6)  # 3 t C
    assert t.loc["core", "total"] == pytest.approx(-50 * 1e4 / 1e6)
    assert t.loc["park", "mean"] == pytest.approx(150.0)
    assert t.loc["core", "area_m2"] == pytest.approx(1e4)  # only the valid pixel
    assert t.loc["core", "missing_pct"] == pytest.approx(50.0)
    assert t.loc["park", "contribution_pct"] == pytest.approx(100 * 3 / 2.5)
    excluded = zonal_totals(values, zones, include_negative=False, names={1: "park", 2: "core"})
    assert excluded.loc["park", "contribution_pct"] == pytest.approx(100.0)
    assert np.isnan(excluded.loc["core", "contribution_pct"])
    assert t.attrs["total"] == "t C" and "included" in t.attrs["contribution"]


def test_zones_sum_to_the_total_over_the_same_pixels():
    ds = demo.delta_city(size=60)
    nep = ct.run(ds)["nep_annual"].isel(year=0)
    districts = demo.districts(size=60)
    t = zonal_totals(nep, districts, unit="Gg C")
    zones = zones_from_polygons(districts, nep)
    inside = zones.notnull()
    total = float((nep * cell_area(nep)).where(inside).sum()) / 1e9
    assert t["total"].sum() == pytest.approx(total, rel=1e-9)
    assert list(t.index) == list(districts["name"])
    assert t["contribution_pct"].sum() == pytest.approx(100.0)


def test_monthly_values_are_summed_over_time():
    ds = demo.delta_city(size=24)
    out = ct.run(ds)
    lc = out["landcover_casa"]
    by_month = zonal_totals(out["nep"].sel(time="2021"), lc, unit="t C")
    by_year = zonal_totals(out["nep_annual"].sel(year=2021), lc, unit="t C")
    np.testing.assert_allclose(by_month["total"], by_year["total"], rtol=1e-6)


def test_mismatched_grids_and_units():
    values = grid([[1.0, 2.0]])
    with pytest.raises(ValueError, match="different 'x' coordinates"):
        zonal_totals(values, grid([[1, 1]]).assign_coords(x=[5.0, 105.0]))
    with pytest.raises(ValueError, match="unit 'tons' unknown"):
        zonal_totals(values, grid([[1, 1]]), unit="tons")


# --- numpy and dask, grid and metadata kept (tests/general_checks.py) ----------------------------

import math  # noqa: E402

import geopandas as gpd  # noqa: E402
import pandas as pd  # noqa: E402
from shapely.geometry import box  # noqa: E402

from carbontools.accounting import annual_totals, latitude_time, seasonal_cycle, zone_weights  # noqa: E402
from carbontools.grid import EARTH_RADIUS  # noqa: E402
from carbontools.models import casa, respiration  # noqa: E402
from carbontools.models import nep as nep_model  # noqa: E402

from .general_checks import assert_backends_agree, synthetic_scene  # noqa: E402

FLUX = "g C m-2 month-1"


@pytest.fixture(scope="module")
def scene():
    return synthetic_scene()


@pytest.fixture(scope="module")
def nep(scene):
    """Monthly NEP of the synthetic scene (sinks and sources, NaNs, water 0, nodata NaN), labelled as run() does."""
    s = scene
    npp = casa.casa_npp(srad=s["srad"], tmean=s["tmean"], landcover=s["landcover"], ndvi=s["ndvi"],
                        precip=s["precip"])["npp"]
    rh = respiration.soil_respiration(s["tmean"], s["precip"], landcover=s["landcover"])
    out = nep_model.nep(npp, rh).drop_attrs(deep=False).rename("nep")
    return out.assign_attrs(units=FLUX, long_name="net ecosystem production")


@pytest.fixture(scope="module")
def regions():
    return gpd.GeoDataFrame({"name": ["west", "east"]}, geometry=[box(100.0, 41.0, 103.0, 46.0),
                                                                  box(103.0, 41.0, 106.0, 46.0)], crs="EPSG:4326")


def hand_area(lat):
    return EARTH_RADIUS**2 * math.radians(1.0) * (math.sin(math.radians(lat + 0.5)) - math.sin(math.radians(lat - 0.5)))


def test_annual_totals_on_numpy_and_dask(nep):
    eager, _ = assert_backends_agree(annual_totals, nep, unit="Gg C", units="Gg C yr-1", long_name=True,
                                     like=nep, reduced=("time", "y", "x"), added=("year",))
    v = nep.values
    years = nep["time"].dt.year.values
    expected, missing = [], []
    for year in (2020, 2021):
        total = area_out = area_all = 0.0
        steps = np.flatnonzero(years == year)
        for j, i in np.ndindex(v.shape[1:]):
            a = hand_area(float(nep["y"][j]))
            area_all += a
            if np.isfinite(v[steps, j, i]).all():  # a cell with a missing month is missing that year, not zero
                total += v[steps, j, i].sum() * a
            else:
                area_out += a
        expected.append(total / 1e9)
        missing.append(100 * area_out / area_all)
    np.testing.assert_allclose(eager.values, expected, rtol=1e-12)
    np.testing.assert_allclose(eager["missing_pct"].values, missing, rtol=1e-12)
    assert min(missing) > 0 and eager["months"].values.tolist() == [12, 12]
    assert eager.attrs["long_name"] == "annual total of net ecosystem production"


def test_annual_totals_by_zone_on_numpy_and_dask(nep, scene):
    lc = scene["landcover"]
    weights = xr.concat([(lc == c).astype(float) for c in (7.0, 8.0)], dim=pd.Index(["grass", "urban"], name="zone"))
    eager, _ = assert_backends_agree(annual_totals, nep, weights, unit="t C", units="t C yr-1", long_name=True)
    assert eager.dims == ("year", "zone")
    urban = (nep * cell_area(nep)).where(lc == 8.0).sum(("y", "x")).groupby("time.year").sum() / 1e6
    np.testing.assert_allclose(eager.sel(zone="urban").values, urban.values, rtol=1e-12)


def test_seasonal_cycle_on_numpy_and_dask(nep):
    eager, _ = assert_backends_agree(seasonal_cycle, nep, units=FLUX, like=nep, reduced=("time", "y", "x"),
                                     added=("month",))
    v = nep.values
    months = nep["time"].dt.month.values
    expected = []
    for month in range(1, 13):
        means = []
        for k in np.flatnonzero(months == month):
            ok = np.isfinite(v[k])
            a = np.array([[hand_area(float(lat))] * v.shape[2] for lat in nep["y"].values])
            means.append((v[k][ok] * a[ok]).sum() / a[ok].sum())
        expected.append(np.mean(means))
    np.testing.assert_allclose(eager.values, expected, rtol=1e-12)
    assert eager["month"].values.tolist() == list(range(1, 13))


def test_seasonal_cycle_has_its_own_long_name(nep):
    out = seasonal_cycle(nep)
    assert out.attrs.get("long_name") not in (None, "cell area")


def test_latitude_time_on_numpy_and_dask(nep, scene):
    land = scene["land_fraction"]  # row 3 has no land; water has land fraction 0
    eager, _ = assert_backends_agree(latitude_time, nep, land, units=FLUX, long_name="zonal mean over land",
                                     like=nep.transpose("y", "time", "x"), reduced=("x",))
    assert eager.dims == ("y", "time")
    v, lf = nep.values, land.values
    expected = np.full((v.shape[1], v.shape[0]), np.nan)
    for j, k in np.ndindex(expected.shape):
        w = np.array([hand_area(float(nep["y"][j])) * lf[j, i] if np.isfinite(v[k, j, i]) else 0.0
                      for i in range(v.shape[2])])
        if w.sum() > 0:
            expected[j, k] = np.nansum(v[k, j] * w) / w.sum()
    np.testing.assert_allclose(eager.values, expected, rtol=1e-12)
    assert eager.isel(y=3).isnull().all() and eager.isel(y=0).notnull().all()


@pytest.mark.parametrize("zones", ["classes", "weights", "polygons"])
def test_zonal_totals_same_table_on_numpy_and_dask(nep, scene, regions, zones):
    if zones == "classes":
        z, names = scene["landcover"], {c: f"class {c}" for c in range(1, 12)}
    elif zones == "weights":
        z, names = zone_weights(regions, nep), None
    else:
        z, names = regions, None
    eager, _ = assert_backends_agree(zonal_totals, nep, z, unit="Gg C", names=names, lazy=False, max_computes=None)
    assert list(eager.columns) == ["total", "unit", "area_m2", "mean", "pixels", "missing_pct", "contribution_pct"]
    assert eager["total"].notna().all() and eager.attrs["total"] == "Gg C"
    if zones != "classes":
        assert list(eager.index) == ["west", "east"]
        west = (nep.sum("time", skipna=False) * cell_area(nep)).sel(x=slice(100, 103)).sum()
        assert eager.loc["west", "total"] == pytest.approx(float(west) / 1e9, rel=1e-9)


def test_zone_weights_on_numpy_and_dask(nep, regions):
    eager, _ = assert_backends_agree(zone_weights, regions, nep, lazy=False)
    assert eager.dims == ("zone", "y", "x") and eager["zone"].values.tolist() == ["west", "east"]
    np.testing.assert_allclose(eager.sel(zone="west").values, np.where(nep["x"].values < 103, 1.0, 0.0)[None, :]
                               * np.ones((5, 1)), atol=1e-6)
    np.testing.assert_allclose(eager.sum("zone"), 1.0, atol=1e-6)


# --- issue 11: polygons without regionmask's warnings, two zonings in one table, the map's own classes -------

import warnings  # noqa: E402

from carbontools.accounting import RegionsWarning  # noqa: E402


def strip(values, res=100.0):
    """A 2 x 4 grid of 100 m cells (1e4 m2 each) in UTM 49N, g C m-2 yr-1."""
    return grid(values, res)


def boxes(*spans, names=None, crs="EPSG:32649"):
    """Polygons spanning x = a..b over the whole strip (y 850..1050 covers both rows of grid())."""
    names = names or [chr(ord("a") + i) for i in range(len(spans))]
    return gpd.GeoDataFrame({"name": names}, geometry=[box(a, 850.0, b, 1050.0) for a, b in spans], crs=crs)


def test_polygon_totals_raise_no_warning_from_regionmask():
    """io.read_regions records the file in attrs['source']; regionmask warned about that on every call."""
    values = strip([[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0]])
    districts = boxes((-50.0, 150.0), (150.0, 350.0))  # x centres 0, 100 | 200, 300: a partition sharing an edge
    districts.attrs["source"] = "districts.geojson"
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        t = zonal_totals(values, districts, unit="t C")
        zones_from_polygons(districts, values)
    # a: (1 + 2) x 2 rows x 1e4 m2 = 6e4 g = 0.06 t; b: (3 + 4) x 2 x 1e4 = 0.14 t
    assert t["total"].tolist() == pytest.approx([0.06, 0.14])


def test_overlapping_districts_are_reported_in_our_own_words():
    values = strip([[1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]])
    districts = boxes((-50.0, 250.0), (50.0, 350.0))  # a: columns 0-2, b: columns 1-3; shared: 2 columns x 2 rows
    with pytest.warns(RegionsWarning, match=r"regions overlap: 'a' and 'b' \(4 cell\(s\)\) lie in both; their "
                                            r"totals count these cells once in each region"):
        t = zonal_totals(values, districts, unit="t C")
    # each 6 cells x 1 g C m-2 x 1e4 m2 = 0.06 t C: the shared cells count twice
    assert t["total"].tolist() == pytest.approx([0.06, 0.06])
    with pytest.warns(RegionsWarning, match=r"'a' and 'b' \(4 cell\(s\)\).*counts for the region listed last only"):
        zones = zones_from_polygons(districts, values)
    assert zones.values.tolist() == [[0, 1, 1, 1], [0, 1, 1, 1]]


def test_regions_off_the_grid_are_reported_in_our_own_words():
    values = strip([[1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]])
    with pytest.warns(RegionsWarning, match=r"none of the 2 regions \(a, b\) covers the centre of a cell of the "
                                            r"grid.*share its CRS"):
        t = zonal_totals(values, boxes((5000.0, 5100.0), (5100.0, 5200.0)))
    assert t["pixels"].tolist() == [0, 0] and t["total"].isna().all()


def clcd(codes, nodata=0):
    lc = strip(codes).astype("uint8").assign_attrs(scheme="clcd", nodata=nodata, units="1")
    return lc.rename("landcover")


def test_totals_by_district_and_land_cover_in_one_tidy_table():
    # NEP g C m-2 yr-1 on 1e4 m2 cells; CLCD codes: 1 cropland, 2 forest, 4 grassland, 9 wetland, 0 nodata
    values = strip([[100.0, 200.0, 300.0, 400.0],
                    [10.0, 20.0, np.nan, 40.0]])
    lc = clcd([[1, 4, 2, 2],
               [9, 4, 0, 1]])
    districts = boxes((-50.0, 150.0), (150.0, 350.0), names=["west", "east"])
    t = zonal_totals(values, {"district": districts, "landcover": lc}, unit="t C")
    assert t.index.names == ["district", "landcover"]
    assert list(t.index) == [("west", "cropland"), ("west", "grassland"), ("west", "wetland"),
                             ("east", "cropland"), ("east", "forest")]
    # by hand (g -> t: x 1e4 m2 / 1e6): west cropland 100 -> 1.0; grassland 200 + 20 -> 2.2; wetland 10 -> 0.1;
    # east cropland 40 -> 0.4; forest 300 + 400 -> 7.0 (the nodata cell, NaN NEP, is no row)
    assert t["total"].tolist() == pytest.approx([1.0, 2.2, 0.1, 0.4, 7.0])
    assert t["area_m2"].tolist() == pytest.approx([1e4, 2e4, 1e4, 1e4, 2e4])
    assert t["pixels"].tolist() == [1, 2, 1, 1, 2] and (t["missing_pct"] == 0).all()
    assert (t["unit"] == "t C").all()
    assert t["contribution_pct"].sum() == pytest.approx(100.0)
    assert t.attrs["excluded"] == [{"zoning": "landcover", "code": 0, "reason": "nodata of landcover",
                                    "pixels": 1, "area_m2": pytest.approx(1e4), "total": 0.0}]
    # a list names the levels itself: region for polygons, landcover for a map with a scheme
    assert zonal_totals(values, [districts, lc]).index.names == ["region", "landcover"]


def test_a_class_map_is_tabulated_by_its_own_class_names_without_a_nodata_row():
    values = strip([[100.0, 200.0, 300.0, 400.0], [10.0, 20.0, 30.0, 40.0]])
    lc = clcd([[1, 4, 2, 2], [9, 4, 0, 1]])
    t = zonal_totals(values, lc, unit="t C")
    assert list(t.index) == ["cropland", "forest", "grassland", "wetland"]
    # cropland 100 + 40 = 140 -> 1.4 t; forest 700 -> 7.0; grassland 220 -> 2.2; wetland 10 -> 0.1
    assert t["total"].tolist() == pytest.approx([1.4, 7.0, 2.2, 0.1])
    # the nodata cell holds 30 g C m-2 x 1e4 m2 = 0.3 t C, reported, not a row
    (left_out,) = t.attrs["excluded"]
    assert (left_out["code"], left_out["pixels"], left_out["total"]) == (0, 1, pytest.approx(0.3))


def test_reporting_by_the_original_scheme_keeps_apart_what_casa_merges():
    """CLCD cropland (1), grassland (4) and wetland (9) are all CASA class 7: the CLCD table keeps them apart and
    they add up to the CASA row (an independent path: the same map through to_casa)."""
    values = strip([[100.0, 200.0, 300.0, 400.0], [10.0, 20.0, 30.0, 40.0]])
    lc = clcd([[1, 4, 2, 2], [9, 4, 2, 1]])
    by_clcd = zonal_totals(values, lc, unit="t C")
    by_casa = zonal_totals(values, ct.landcover.to_casa(lc), unit="t C")
    merged = "grassland, cropland, wetland, other vegetated"
    assert list(by_casa.index) == ["mixed forest", merged]
    assert by_clcd.loc[["cropland", "grassland", "wetland"], "total"].sum() == pytest.approx(by_casa.loc[merged, "total"])
    # by hand: cropland 1.4 + grassland 2.2 + wetland 0.1 = 3.7 t C
    assert by_casa.loc[merged, "total"] == pytest.approx(3.7)


def test_a_code_outside_the_scheme_is_left_out_and_reported():
    values = strip([[1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]])
    t = zonal_totals(values, clcd([[1, 1, 1, 1], [1, 1, 1, 12]], nodata=255))
    assert list(t.index) == ["cropland"]
    (left_out,) = t.attrs["excluded"]
    assert left_out["code"] == 12 and "not a class of the 'clcd' scheme" in left_out["reason"]


def test_two_zonings_need_one_names_entry_each():
    values = strip([[1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]])
    lc = clcd([[1, 1, 1, 1], [1, 1, 1, 1]])
    with pytest.raises(ValueError, match=r"with 2 zonings, names must be a list of 2 entries"):
        zonal_totals(values, [lc, lc], names={1: "x"})


def test_district_by_land_cover_table_on_numpy_and_dask(nep, scene, regions):
    def cross(values, landcover):
        return zonal_totals(values, [regions, landcover], unit="Gg C")

    eager, _ = assert_backends_agree(cross, nep, scene["landcover"], lazy=False, max_computes=None)
    # each region's rows add up to its own total over the classified cells (the nodata cell is NaN: no class)
    by_region = zonal_totals(nep.where(scene["landcover"].notnull()), regions, unit="Gg C")["total"]
    np.testing.assert_allclose(eager["total"].groupby(level="region").sum().reindex(by_region.index), by_region,
                               rtol=1e-12)


def test_codes_that_share_a_class_name_are_one_row():
    # IGBP (MCD12Q1 user guide, table 3) has water bodies as 0 and as 17: one row, 2 cells x 1e4 m2 x 5 g = 0.1 t
    values = strip([[5.0, 5.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]])
    igbp = strip([[0, 17, 12, 12], [12, 12, 12, 12]]).astype("uint8").assign_attrs(scheme="igbp")
    t = zonal_totals(values, igbp, unit="t C")
    assert list(t.index) == ["water bodies", "croplands"]
    assert t["total"].tolist() == pytest.approx([0.1, 0.06])
