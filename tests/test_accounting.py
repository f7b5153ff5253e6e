"""Zonal totals: by-hand values on a small grid, and the sum of zones equals the total of the same pixels."""

import numpy as np
import pytest
import xarray as xr

import carbontools as ct
from carbontools import accounting
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


# --- by hand on 1 m cells, numpy only (the fast selection `make mutation` runs) -------------------------

def row_strip(values, months=None, coverage=None, units="g C m-2 month-1", pad=np.nan):
    """A row of 1 m x 1 m UTM cells (1 m2 each, so areas are the weights themselves), (time, y, x) with months.

    A grid needs two rows to know its cell size: the second row holds ``pad`` (NaN: no value, no zone).
    """
    values = np.asarray(values, float)
    nt = len(months) if months is not None else 1
    rows = values.reshape(nt, 1, -1)
    rows = np.concatenate([rows, np.full_like(rows, pad)], axis=1)
    coords = {"y": [0.5, -0.5], "x": 0.5 + np.arange(rows.shape[2])}
    if months is not None:
        da = xr.DataArray(rows, dims=("time", "y", "x"), coords={"time": pd.to_datetime(months), **coords})
    else:
        da = xr.DataArray(rows[0], dims=("y", "x"), coords=coords)
    if coverage is not None:
        cov = np.concatenate([np.reshape(coverage, (1, -1)), np.zeros((1, rows.shape[2]))])
        da = da.assign_coords(coverage=(("y", "x"), cov))
    return da.rio.write_crs("EPSG:32649").assign_attrs(units=units)


def test_zonal_totals_full_table_with_time_coverage_and_class_shares():
    # January and February on three 1 m2 cells; the middle cell is covered by half, the last misses February.
    values = row_strip([[10.0, 20.0, 30.0], [1.0, 2.0, np.nan]], months=["2021-01-01", "2021-02-01"],
                   coverage=[1.0, 0.5, 1.0])
    shares = np.array([[1.0, 0.5, 0.0],    # class 1 forest
                       [0.0, 0.5, 1.0],    # class 2 city
                       [0.0, 0.0, 0.5],    # class 3 lake: only the cell without February
                       [0.0, 0.0, 0.0],    # class 4: no cell, and no name (labelled by its code)
                       [1.0, 0.0, 0.0]])   # class 5 field
    shares = np.stack([shares, np.zeros_like(shares)], axis=1)  # the padding row is in no class
    # coordinates off by float noise (1e-9 of a cell, as after a regrid): the same grid, aligned to the values'
    weights = xr.DataArray(shares, dims=("class", "y", "x"),
                           coords={"class": [1, 2, 3, 4, 5], "y": [0.5 + 1e-9, -0.5 + 1e-9], "x": values["x"].values + 1e-9})
    t = zonal_totals(values, weights, unit="kg C", names={1: "forest", 2: "city", 3: "lake", 5: "field"})
    # per m2 of the period (covered share counted): cell 0: 10 + 1 = 11; cell 1: (20 + 2) x 0.5 = 11 g on 0.5 m2
    # (22 g m-2 of its covered half); cell 2 misses February: missing, never 30.
    # forest: 11 x 1 + 22 x 0.5 (covered) x 0.5 (share) = 16.5 g on 1 + 0.25 = 1.25 m2 of 1.5 m2
    # city:   22 x 0.5 x 0.5 = 5.5 g on 0.25 m2 of 0.5 + 1 = 1.5 m2; lake: nothing valid on 0.5 m2
    # field:  11 g on 1 m2 of 1 m2; sum of the totals 16.5 + 5.5 + 11 = 33 g
    expected = pd.DataFrame({
        "total": [16.5e-3, 5.5e-3, np.nan, np.nan, 11e-3],
        "unit": ["kg C"] * 5,
        "area_m2": [1.25, 0.25, 0.0, 0.0, 1.0],
        "mean": [16.5 / 1.25, 5.5 / 0.25, np.nan, np.nan, 11.0],
        "pixels": [2, 2, 1, 0, 1],
        "missing_pct": [100 * (1 - 1.25 / 1.5), 100 * (1 - 0.25 / 1.5), 100.0, np.nan, 0.0],
        "contribution_pct": [100 * 16.5 / 33, 100 * 5.5 / 33, np.nan, np.nan, 100 * 11 / 33],
    }, index=pd.Index(["forest", "city", "lake", "4", "field"], name="zone"))
    pd.testing.assert_frame_equal(t, expected, check_dtype=False, rtol=1e-12)
    assert t.attrs == {"total": "kg C", "mean": "g C m-2 month-1", "area_m2": "m2 (covered)",
                       "missing_pct": "share of the zone's area without a value (%)",
                       "area_basis": "per m2 of cell", "contribution": "negative zones included",
                       "excluded": []}  # fractions: no class code is left out


def test_zonal_totals_of_a_class_raster_named_by_its_attrs():
    # codes 0, 0, 1 with attrs['names'] (as zones_from_polygons gives); 1 m2 cells of a yearly map
    values = row_strip([4.0, -1.0, 3.0], units="Mg C ha-1")  # 1 Mg C ha-1 = 100 g C m-2
    zones = row_strip([0.0, 0.0, 1.0]).assign_attrs(names=["old town", "new town"])
    t = zonal_totals(values, zones, unit="g C", include_negative=False)
    # old town: (4 - 1) x 100 g m-2 x 1 m2 = 300 g; new town: 300 g
    assert list(t.index) == ["old town", "new town"] and t.index.name == "zone"
    np.testing.assert_allclose(t["total"], [300.0, 300.0])
    np.testing.assert_allclose(t["mean"], [1.5, 3.0])  # in the values' unit
    assert t.attrs["mean"] == "Mg C ha-1" and t.attrs["contribution"] == "negative zones excluded"
    by_code = zonal_totals(values, zones.assign_attrs(names=None), unit="g C")
    assert list(by_code.index) == [0, 1]
    named = zonal_totals(values, zones, unit="g C", names={0: "a"})  # a code without a name keeps its code
    assert list(named.index) == ["a", 1]


def test_a_zone_whose_total_is_zero_contributes_zero_not_nan():
    # a water zone's NEP is 0 exactly: excluding negative zones leaves it in with 0 % (0 is not negative)
    values = row_strip([6.0, 0.0, -2.0], units="g C m-2 yr-1")
    zones = row_strip([1.0, 2.0, 3.0])
    t = zonal_totals(values, zones, unit="g C", include_negative=False)
    # positive and zero zones: 6 + 0 = 6 g; zone 3 (-2 g) is left out of the denominator and gets NaN
    np.testing.assert_allclose(t["contribution_pct"], [100.0, 0.0, np.nan])
    small = zonal_totals(row_strip([0.5, 0.25, -2.0], units="g C m-2 yr-1"), zones, unit="g C", include_negative=False)
    np.testing.assert_allclose(small["contribution_pct"], [100 * 0.5 / 0.75, 100 * 0.25 / 0.75, np.nan])


def test_zonal_totals_by_polygons_with_their_own_name_column():
    # 10 m UTM cells (100 m2); two districts split the row between x = 0..20 and 20..30; one covers nothing
    values = row_strip([1.0, 2.0, 3.0], units="g C m-2 yr-1").assign_coords(x=[5.0, 15.0, 25.0], y=[5.0, -5.0])
    districts = gpd.GeoDataFrame({"district": ["west", "east", "away"]},
                                 geometry=[box(0, 0, 20, 10), box(20, 0, 30, 10), box(500, 500, 510, 510)],
                                 crs="EPSG:32649")
    t = zonal_totals(values, districts, unit="g C", name_column="district")
    # west: (1 + 2) x 100 m2 = 300 g, east: 300 g; 'away' is an explicit empty row
    assert list(t.index) == ["west", "east", "away"]
    np.testing.assert_allclose(t["total"], [300.0, 300.0, np.nan])
    np.testing.assert_allclose(t["pixels"], [2, 1, 0])
    w = zone_weights(districts, values, name_column="district")
    assert w.name == "zone_weight" and set(w.coords) == {"zone", "y", "x", "spatial_ref"} and w.dtype == float
    np.testing.assert_array_equal(w.values[:, 0], [[1.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(w.values[:, 1], 0.0)  # the second row (y = -5) is in no district
    z = zones_from_polygons(districts, values, name_column="district")
    assert z.name == "zone" and z.attrs["names"] == ["west", "east", "away"]
    np.testing.assert_array_equal(z.values, [[0.0, 0.0, 1.0], [np.nan, np.nan, np.nan]])


def test_zones_from_polygons_on_a_0_to_360_longitude_grid():
    # cell centres at 250.5 and 251.5 E are -109.5 and -108.5; the polygon is given in -180..180
    like = xr.DataArray(np.ones((2, 2)), dims=("y", "x"), coords={"y": [40.5, 39.5], "x": [250.5, 251.5]}).rio.write_crs("EPSG:4326")
    region = gpd.GeoDataFrame({"name": ["west"]}, geometry=[box(-110.0, 40.0, -109.0, 41.0)], crs="EPSG:4326")
    z = zones_from_polygons(region, like)
    np.testing.assert_array_equal(z.values, [[0.0, np.nan], [np.nan, np.nan]])


MONTHS_2020 = [f"2020-{m:02d}-01" for m in range(1, 13)]


def year_and_a_month(cells):
    """(13, 3) monthly values: cells[i] every month of 2020 and January 2021."""
    return np.tile(np.asarray(cells, float), (13, 1))


def test_annual_totals_by_hand_with_coverage_missing_months_and_an_incomplete_year():
    v = year_and_a_month([1.0, 2.0, 3.0])
    v[5, 2] = np.nan  # the third cell misses June 2020
    values = row_strip(v, months=MONTHS_2020 + ["2021-01-01"], coverage=[1.0, 0.5, 1.0]).rename("nep")
    out = annual_totals(values, unit="g C")
    # 2020: cell 0: 12 x 1 g m-2 on 1 m2 = 12 g; cell 1: 12 x 2 g m-2 on its covered 0.5 m2 = 12 g; cell 2 misses June:
    # left out (never counted as 0 in June). Valid area 1 + 0.5 = 1.5 m2 of 6 m2 (the padding row has no value).
    # 2021: January only, so NaN; its valid area 1 + 0.5 + 1 = 2.5 m2 of 6.
    np.testing.assert_allclose(out.values, [24.0, np.nan])
    np.testing.assert_allclose(out["missing_pct"].values, [100 * (1 - 1.5 / 6), 100 * (1 - 2.5 / 6)])
    assert out["months"].values.tolist() == [12, 1] and out["months"].dtype.kind == "i"
    assert out.attrs == {"units": "g C yr-1", "long_name": "annual total of nep", "area_basis": "per m2 of cell",
                         "incomplete_years": "NaN (a year needs all 12 months; see the 'months' coordinate)"}
    assert out["months"].attrs == {"long_name": "months of the year present", "units": "1"}
    assert out["missing_pct"].attrs == {"long_name": "share of the area without a value in every step of the year",
                                        "units": "%"}
    default = annual_totals(values.assign_attrs(long_name="net ecosystem production"))
    np.testing.assert_allclose(default.values, [24e-12, np.nan])  # the default unit: Tg C (1 Tg = 1e12 g)
    assert default.attrs["units"] == "Tg C yr-1" and default.attrs["long_name"] == "annual total of net ecosystem production"


def test_annual_totals_by_zone_with_fractional_shares():
    v = year_and_a_month([1.0, 2.0, 3.0])[:12]
    v[5, 2] = np.nan
    values = row_strip(v, months=MONTHS_2020, coverage=[1.0, 0.5, 1.0])
    shares = np.array([[1.0, 0.5, 0.0],   # a: all of cell 0, half of cell 1
                       [0.0, 1.0, 0.0],   # b: cell 1 only (covered by half)
                       [0.0, 0.0, 0.5],   # c: half of cell 2, which misses June
                       [1.0, 0.0, 0.0]])  # d: cell 0, fully covered
    weights = xr.DataArray(np.stack([shares, np.zeros_like(shares)], axis=1), dims=("zone", "y", "x"),
                           coords={"zone": list("abcd"), "y": values["y"], "x": values["x"]})
    out = annual_totals(values, weights, unit="g C").sel(year=2020)
    # a: 12 x 1 x 1 + 12 x 2 x 0.5 (covered) x 0.5 (share) = 18 g on 1 + 0.25 m2 of 1.5 m2
    # b: 12 x 2 x 0.5 = 12 g on 0.5 m2 of 1 m2; c: nothing valid (NaN, not 0) on 0.5 m2; d: 12 g, nothing missing
    np.testing.assert_allclose(out.values, [18.0, 12.0, np.nan, 12.0])
    np.testing.assert_allclose(out["missing_pct"].values, [100 * (1 - 1.25 / 1.5), 50.0, 100.0, 0.0])


def test_annual_totals_of_yearly_values():
    # one value a year stands for its 12 months: 2020 and 2021 are complete; 5 Mg C ha-1 yr-1 = 500 g C m-2 yr-1
    values = row_strip([[5.0, 1.0, 0.0], [7.0, 1.0, 0.0]], months=["2020-01-01", "2021-01-01"], units="Mg C ha-1 yr-1")
    out = annual_totals(values, unit="kg C")
    np.testing.assert_allclose(out.values, [(500 + 100) * 1e-3, (700 + 100) * 1e-3])
    assert out["months"].values.tolist() == [12, 12]


def test_step_amounts_read_the_unit_against_the_time_axis():
    months = ["2020-01-01", "2020-02-01"]
    plain = accounting.step_amounts(row_strip([[3.0], [4.0]], months=months, units="g C m-2"))
    np.testing.assert_allclose(plain.values[:, 0, 0], [3.0, 4.0])  # no time base: the amount of each step
    assert plain.attrs["units"] == "g C m-2 month-1" and plain.attrs["time_step"] == "month"
    default = accounting.step_amounts(row_strip([[3.0], [4.0]], months=months).drop_attrs(deep=False))
    np.testing.assert_allclose(default.values[:, 0, 0], [3.0, 4.0])  # no units: g C m-2, each step's amount
    rate = accounting.step_amounts(row_strip([[366.0], [366.0]], months=months, units="g C m-2 yr-1"))
    np.testing.assert_allclose(rate.values[:, 0, 0], [31.0, 29.0])  # 366 g a year of 366 days: 1 g a day
    one = accounting.step_amounts(row_strip([[2.0]], months=["2020-01-01"], units="Mg C ha-1 yr-1"))
    assert one.attrs["time_step"] == "year" and float(one[0, 0, 0]) == pytest.approx(200.0)  # a single stamp
    with pytest.raises(ValueError, match="needs a 'time' dimension of dates"):
        accounting.step_amounts(row_strip([1.0]))
    with pytest.raises(ValueError, match="needs a 'time' dimension of dates"):
        accounting.step_amounts(row_strip([[1.0], [2.0]], months=months).assign_coords(time=[2020, 2021]))


def test_seasonal_cycle_by_hand_with_coverage_and_weights():
    # January and February of 2020 and 2021 on three 1 m2 cells; the middle cell is covered by half
    v = np.array([[1.0, 4.0, np.nan], [2.0, 2.0, 2.0], [3.0, 4.0, 6.0], [4.0, 2.0, 2.0]])
    values = row_strip(v, months=["2020-01-01", "2020-02-01", "2021-01-01", "2021-02-01"], coverage=[1.0, 0.5, 1.0],
                   units="g C m-2 month-1").assign_attrs(long_name="net ecosystem production").rename("nep")
    out = seasonal_cycle(values)
    # Jan 2020: (1 x 1 + 4 x 0.5) / 1.5 = 2; Jan 2021: (3 + 2 + 6) / 2.5 = 4.4 -> January 3.2
    # Feb 2020: (2 + 1 + 2) / 2.5 = 2; Feb 2021: (4 + 1 + 2) / 2.5 = 2.8 -> February 2.4
    np.testing.assert_allclose(out.values, [3.2, 2.4])
    assert out.name == "nep" and out.attrs == {
        "units": "g C m-2 month-1",
        "long_name": "seasonal cycle of net ecosystem production (area-weighted mean by calendar month)"}
    assert seasonal_cycle(values.drop_attrs(deep=False)).attrs["long_name"].startswith("seasonal cycle of nep ")
    weights = xr.DataArray(np.array([[[0.0, 1.0, 1.0], [0.0, 0.0, 0.0]]]), dims=("zone", "y", "x"),
                           coords={"zone": ["east"], "y": values["y"], "x": values["x"]})
    east = seasonal_cycle(values, weights)
    # Jan 2020: 4 (cell 2 has no value); Jan 2021: (2 + 6) / 1.5; Feb 2020: 2; Feb 2021: (1 + 2) / 1.5 = 2
    np.testing.assert_allclose(east.sel(zone="east").values, [(4 + 8 / 1.5) / 2, 2.0])


def test_latitude_time_by_hand_with_coverage_and_land_share():
    v = np.array([[1.0, 4.0, np.nan], [2.0, 2.0, 2.0]])
    values = row_strip(v, months=["2020-01-01", "2020-02-01"], coverage=[1.0, 0.5, 1.0], units="g C m-2 month-1")
    land = xr.DataArray([[1.0, 0.5, 1.0], [0.0, 0.0, 0.0]], dims=("y", "x"),
                        coords={"y": values["y"], "x": values["x"], "band": 1})
    out = latitude_time(values, land)
    # row 0, January: (1 x 1 + 4 x 0.5 x 0.5) / (1 + 0.25) = 1.6; February: 2; row 1 has no land: NaN
    np.testing.assert_allclose(out.values, [[1.6, 2.0], [np.nan, np.nan]])
    assert out.dims == ("y", "time") and "band" not in out.coords
    assert out.attrs == {"units": "g C m-2 month-1", "long_name": "zonal mean over land"}
    small = latitude_time(values, land * 0.1)  # rows with a little land (0.1 m2) are still means, not NaN
    np.testing.assert_allclose(small.values[0], [1.6, 2.0])


def test_zonal_totals_per_m2_of_land_count_the_land_share():
    # 10 g C m-2 of land on 1 m2 cells whose land shares are 1, 0.5 and unknown (NaN: no land counted):
    # 10 + 5 + 0 = 15 g C
    values = row_strip([10.0, 10.0, 10.0], units="g C m-2 yr-1").assign_attrs(area_basis="land")
    land = row_strip([1.0, 0.5, np.nan], pad=0.0).drop_attrs(deep=False)
    zones = row_strip([1.0, 1.0, 1.0])
    t = zonal_totals(values, zones, unit="g C", land_fraction=land)
    assert t.loc[1, "total"] == pytest.approx(15.0) and t.loc[1, "area_m2"] == pytest.approx(1.5)
    assert t.attrs["area_basis"] == "per m2 of land"
    with pytest.raises(ValueError, match="per m2 of land"):
        zonal_totals(values, zones, unit="g C")


def test_overlapping_polygons_files_and_other_crs(tmp_path):
    # 1 degree cells at x = 100.5, 101.5, 102.5; 'a' covers x 100..102, 'b' x 101..103: they share the middle column
    like = xr.DataArray(np.ones((2, 3)), dims=("y", "x"),
                        coords={"y": [41.5, 40.5], "x": [100.5, 101.5, 102.5]}).rio.write_crs("EPSG:4326")
    regions = gpd.GeoDataFrame({"name": ["a", "b", "far"]}, geometry=[box(100, 40, 102, 42), box(101, 40, 103, 42),
                                                                      box(150, 0, 151, 1)], crs="EPSG:4326")
    w = zone_weights(regions, like)
    # shares: each region all of the cells it covers (the shared column counts for both); 'far' covers none
    np.testing.assert_allclose(w.sel(zone="a").values, [[1, 1, 0], [1, 1, 0]], atol=1e-6)
    np.testing.assert_allclose(w.sel(zone="b").values, [[0, 1, 1], [0, 1, 1]], atol=1e-6)
    np.testing.assert_array_equal(w.sel(zone="far").values, 0.0)
    z = zones_from_polygons(regions, like)  # one region a cell: the shared column goes to the later polygon
    np.testing.assert_array_equal(z.values, [[0.0, 1.0, 1.0], [0.0, 1.0, 1.0]])
    path = tmp_path / "regions.geojson"
    regions.to_crs("EPSG:3857").to_file(path, driver="GeoJSON")  # a file, in another CRS
    np.testing.assert_allclose(zone_weights(str(path), like).values, w.values, atol=1e-6)
    np.testing.assert_array_equal(zones_from_polygons(str(path), like).values, z.values)


def test_values_without_units_say_so_in_their_outputs():
    values = row_strip([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]], months=["2020-01-01", "2020-02-01"]).drop_attrs(deep=False)
    assert seasonal_cycle(values).attrs["units"] == ""
    land = xr.ones_like(values.isel(time=0, drop=True))
    section = latitude_time(values, land)
    assert section.attrs["units"] == "" and section.rio.crs == "EPSG:32649"  # the grid's CRS stays
    assert zonal_totals(values, row_strip([1.0, 1.0, 1.0]), unit="g C").attrs["mean"] == "per m2"


def test_a_land_fraction_off_by_float_noise_counts_as_on_the_grid():
    """Coordinates 1e-9 of a cell apart pass the grid check; the totals must then not fail to align (they did)."""
    from carbontools.accounting import annual_totals, latitude_time

    values = row_strip([[10.0, 20.0], [1.0, 2.0]], months=["2021-01-01", "2021-02-01"]).assign_attrs(area_basis="land")
    land = xr.ones_like(values.isel(time=0, drop=True)) * 0.5
    land = land.assign_coords(y=land["y"] + 1e-9, x=land["x"] + 1e-9)
    # per m2 of land on 1 m2 cells that are half land: (10 + 1) x 0.5 + (20 + 2) x 0.5 = 16.5 g
    one_zone = xr.zeros_like(values.isel(time=0, drop=True), dtype=int)
    assert float(zonal_totals(values, one_zone, unit="g C", land_fraction=land)["total"].sum()) == pytest.approx(16.5)
    lt = latitude_time(values.assign_attrs(area_basis="cell"), land_fraction=land)
    np.testing.assert_allclose(lt.sel(y=0.5), [15.0, 1.5])  # land-weighted means of (10, 20) and (1, 2)


# --- block sums (memory bounded by the block) equal the dense (zone, y, x) weights ---------------------

from shapely.geometry import Polygon  # noqa: E402

from .test_batch import largest_array  # noqa: E402


def fine_scene(crs="EPSG:4326", ny=30, nx=40, seed=3):
    """Yearly values on a 0.1 degree (or 10 km) grid with NaNs, a class map with a nodata code, and regions
    whose edges cut cells: a triangle, a square with a hole, the hole itself, an island smaller than a cell."""
    rng = np.random.default_rng(seed)
    step = 0.1 if crs == "EPSG:4326" else 10_000.0
    y0, x0 = (45.0, 100.0) if crs == "EPSG:4326" else (4_500_000.0, 500_000.0)
    y = y0 - step * (np.arange(ny) + 0.5)
    x = x0 + step * (np.arange(nx) + 0.5)
    values = rng.normal(200.0, 150.0, (ny, nx))
    values[rng.random((ny, nx)) < 0.1] = np.nan
    da = xr.DataArray(values, dims=("y", "x"), coords={"y": y, "x": x}, name="nep")
    da = da.rio.write_crs(crs).assign_attrs(units="g C m-2 yr-1")
    classes = rng.choice([1.0, 2.0, 7.0, 8.0, 255.0], size=(ny, nx))
    lc = da.copy(data=classes).rename("landcover").assign_attrs(units="1", nodata=255.0)

    def p(*pts):  # points in cells of the grid, from its north-west corner
        return [(x0 + step * a, y0 - step * b) for a, b in pts]

    outer = Polygon(p((20.3, 2.2), (37.7, 2.2), (37.7, 19.6), (20.3, 19.6)), [p((25.15, 7.35), (31.4, 7.35),
                                                                             (31.4, 13.05), (25.15, 13.05))])
    regions = gpd.GeoDataFrame({"name": ["triangle", "square with a hole", "hole", "island", "off the grid"]},
                               geometry=[Polygon(p((1.3, 1.1), (17.6, 4.45), (6.25, 27.8))), outer,
                                         Polygon(p((25.15, 7.35), (31.4, 7.35), (31.4, 13.05), (25.15, 13.05))),
                                         Polygon(p((12.2, 20.3), (12.5, 20.3), (12.5, 20.6), (12.2, 20.6))),
                                         Polygon(p((100, 100), (101, 100), (101, 101)))], crs=crs)
    return da, lc, regions


def assert_tables_equal(new, old):
    pd.testing.assert_frame_equal(new, old, rtol=1e-12, atol=0, check_exact=False)
    assert len(new.attrs["excluded"]) == len(old.attrs["excluded"])
    for a, b in zip(new.attrs["excluded"], old.attrs["excluded"]):
        assert a == {**b, "area_m2": pytest.approx(b["area_m2"], rel=1e-12), "total": pytest.approx(b["total"], rel=1e-12)}
    assert new.attrs == {**old.attrs, "excluded": new.attrs["excluded"]}


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:32647"])
@pytest.mark.parametrize("chunks", [None, {"y": 7, "x": 9}])
@pytest.mark.parametrize("zoning", ["regions", "landcover", "regions x landcover", "landcover x regions"])
def test_block_sums_equal_the_dense_weights(monkeypatch, crs, chunks, zoning):
    """Partial cells at polygon edges (geographic grids), centres (projected), NaN cells, the nodata code's
    excluded row, regions without a cell, combinations; blocks smaller than the grid and tiles smaller than the
    blocks, so that edges cross block and tile borders."""
    monkeypatch.setattr(accounting, "EDGE_TILE", 4)
    monkeypatch.setattr(accounting, "BLOCK", 16)
    values, lc, regions = fine_scene(crs)
    if chunks:
        values, lc = values.chunk(chunks), lc.chunk(chunks)
    zones = {"regions": regions, "landcover": lc, "regions x landcover": [regions, lc],
             "landcover x regions": {"lc": lc, "district": regions}}[zoning]
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no RegionsWarning, nothing from regionmask
        new = zonal_totals(values, zones, unit="t C")
    old = zonal_totals(values, zones, unit="t C", method="dense")
    assert_tables_equal(new, old)
    assert new["pixels"].sum() > 0 and np.isfinite(new["total"]).sum() >= 3
    if zoning == "regions" and crs == "EPSG:4326":  # edges cut cells: shares between 0 and 1 make the areas
        w = zone_weights(regions, values)
        assert ((w > 0) & (w < 1)).any()
        assert new.loc["island", "pixels"] == 1 and np.isnan(new.loc["off the grid", "total"])
    if "landcover" in zoning:
        assert new.attrs["excluded"][0]["code"] == 255 and new.attrs["excluded"][0]["pixels"] > 0


def test_block_sums_over_time_with_coverage_and_several_fields(monkeypatch):
    monkeypatch.setattr(accounting, "EDGE_TILE", 3)
    values, lc, regions = fine_scene()
    rng = np.random.default_rng(5)
    monthly = xr.concat([values * rng.uniform(0.5, 1.5) for _ in range(12)],
                        dim=pd.Index(pd.date_range("2021-01-01", periods=12, freq="MS"), name="time"))
    monthly = monthly.assign_coords(coverage=(("y", "x"), rng.uniform(0.2, 1.0, values.shape)))
    monthly = monthly.assign_attrs(units="g C m-2 month-1").chunk({"time": 6, "y": 11, "x": 13})
    fields = {"monthly": monthly, "yearly": values.chunk({"y": 11, "x": 13})}
    new = accounting.zonal_tables(fields, [regions, lc], unit="Gg C")
    for key, v in fields.items():
        assert_tables_equal(new[key], zonal_totals(v, [regions, lc], unit="Gg C", method="dense"))


def test_block_sums_hold_one_block_per_task_and_never_the_dense_weights():
    """Every dask task of a lazy total returns at most one block of the values (no (zone, y, x) weights, no
    whole map), and the total equals the dense one."""
    from dask.callbacks import Callback

    values, lc, regions = fine_scene(ny=60, nx=80)
    lazy = values.chunk({"y": 10, "x": 20})
    seen = []
    with Callback(posttask=lambda key, result, dsk, state, worker: seen.append(largest_array(result))):
        new = zonal_totals(lazy, [regions, lc.chunk({"y": 10, "x": 20})], unit="t C")
    assert len(seen) > 24  # the 6 x 4 blocks' tasks were seen
    assert max(seen) <= 10 * 20 < len(regions) * values.size
    assert_tables_equal(new, zonal_totals(values, [regions, lc], unit="t C", method="dense"))


def test_region_zones_of_overlapping_regions_are_the_dense_weights_with_their_warning():
    values, _, _ = fine_scene()
    both = gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=[box(100.0, 42.0, 102.0, 45.0), box(101.0, 42.0, 103.0, 45.0)],
                            crs="EPSG:4326")
    with pytest.warns(accounting.RegionsWarning, match="regions overlap: 'a' and 'b'"):
        z = accounting.region_zones(both, values)
    assert isinstance(z, xr.DataArray) and z.dims == ("zone", "y", "x")
    apart = accounting.region_zones(both.iloc[:1], values)
    assert isinstance(apart, accounting.RegionZones) and not apart.empty
    with pytest.warns(accounting.RegionsWarning, match="covers the centre of a cell"):
        off = accounting.region_zones(both.assign(geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)]), values)
    assert off.empty
