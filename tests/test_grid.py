"""Cell areas from the grid, never a constant (SCIENCE.md section 5)."""

import math

import numpy as np
import pytest
import xarray as xr

from carbontools import demo
from carbontools.grid import EARTH_RADIUS, cell_area, latitude


def geographic(res=1.0):
    lat = np.arange(90 - res / 2, -90, -res)
    lon = np.arange(-180 + res / 2, 180, res)
    da = xr.DataArray(np.zeros((lat.size, lon.size)), dims=("y", "x"), coords={"y": lat, "x": lon})
    return da.rio.write_crs("EPSG:4326")


def test_global_one_degree_areas_sum_to_sphere():
    total = float(cell_area(geographic()).sum())
    assert total == pytest.approx(4 * math.pi * EARTH_RADIUS**2, rel=1e-9)


def test_geographic_cell_area_by_hand():
    area = cell_area(geographic())
    # the cell 0..1 N, 0..1 E: R^2 * dlon * (sin 1 - sin 0)
    expected = EARTH_RADIUS**2 * math.radians(1.0) * math.sin(math.radians(1.0))
    assert float(area.sel(y=0.5, x=0.5)) == pytest.approx(expected, rel=1e-12)
    assert float(area.sel(y=60.5, x=0.5)) < 0.5 * float(area.sel(y=0.5, x=0.5))


def test_projected_cell_area():
    area = cell_area(demo.delta_city(size=20))
    assert area.attrs["units"] == "m2"
    np.testing.assert_allclose(area, 250.0 * 250.0)


def test_no_crs_is_an_error():
    da = xr.DataArray(np.zeros((2, 2)), dims=("y", "x"), coords={"y": [1, 0], "x": [0, 1]})
    with pytest.raises(ValueError, match=r"no CRS.*write_crs"):
        cell_area(da)


def test_latitude_of_demo_scene():
    lat = latitude(demo.delta_city(size=20))
    assert 22.0 < float(lat.min()) < float(lat.max()) < 23.2  # the scene sits at about 22.4-23.1 N
    assert float(lat[0, 0]) > float(lat[-1, 0])  # north at the top


# --- one grid -------------------------------------------------------------------------------------

from carbontools.grid import (check_overlap, class_fractions, coarsen_conservative, monthly_index,  # noqa: E402
                              regrid, to_month_start)


def projected(values, res=100.0, x0=500_000.0, y0=2_500_000.0, crs="EPSG:32649"):
    ny, nx = values.shape
    da = xr.DataArray(values, dims=("y", "x"),
                      coords={"y": y0 - res * (np.arange(ny) + 0.5), "x": x0 + res * (np.arange(nx) + 0.5)})
    return da.rio.write_crs(crs)


def test_coarsen_conserves_totals_geographic():
    rng = np.random.default_rng(0)
    fine = geographic(0.25).copy(data=rng.gamma(2.0, 100.0, size=(720, 1440)))
    coarse = coarsen_conservative(fine, 4)  # 1 degree
    total_fine = float((fine * cell_area(fine)).sum())
    total_coarse = float((coarse * cell_area(coarse)).sum())
    assert total_coarse == pytest.approx(total_fine, rel=1e-9)
    assert coarse.sizes == {"y": 180, "x": 360}


def test_coarsen_conserves_totals_projected():
    rng = np.random.default_rng(1)
    fine = projected(rng.random((60, 90)))
    coarse = coarsen_conservative(fine, 3)
    assert float((coarse * cell_area(coarse)).sum()) == pytest.approx(float((fine * cell_area(fine)).sum()), rel=1e-9)


def test_class_fractions_by_block_by_hand():
    codes = np.array([[1, 1, 2, 2], [1, 7, 2, np.nan], [5, 5, 5, 5], [5, 5, 5, 8]], dtype=float)
    f = class_fractions(projected(codes), factor=2)
    assert f.sel({"class": 1}).values.tolist() == [[0.75, 0.0], [0.0, 0.0]]
    assert f.sel({"class": 2}).values[0, 1] == pytest.approx(1.0)  # the NaN pixel is left out: 3 of 3
    assert f.sel({"class": 5}).values[1].tolist() == [1.0, 0.75]
    np.testing.assert_allclose(f.sum("class"), 1.0)


def test_class_fractions_geographic_are_area_weighted():
    lat = np.array([60.5, 59.5])  # two 1-degree rows of very different area
    da = xr.DataArray([[1.0], [2.0]], dims=("y", "x"), coords={"y": lat, "x": [0.5]}).rio.write_crs("EPSG:4326")
    da = xr.concat([da, da.assign_coords(x=[1.5])], dim="x")
    f = class_fractions(da, factor=2)
    a_north = math.sin(math.radians(61)) - math.sin(math.radians(60))
    a_south = math.sin(math.radians(60)) - math.sin(math.radians(59))
    assert f.sel({"class": 1}).item() == pytest.approx(a_north / (a_north + a_south), rel=1e-12)


def test_class_fractions_onto_a_target_grid_match_blocks():
    rng = np.random.default_rng(3)
    codes = projected(rng.choice([1.0, 5.0, 7.0], size=(40, 40)))
    target = projected(np.zeros((8, 8)), res=500.0)
    by_target = class_fractions(codes, target=target)
    by_block = class_fractions(codes, factor=5)
    np.testing.assert_allclose(by_target.values, by_block.values, atol=1e-6)
    np.testing.assert_allclose(by_target.sum("class"), 1.0, atol=1e-6)


def test_regrid_bilinear_reproduces_a_linear_field():
    fine = projected(np.zeros((20, 20)), res=100.0)
    coarse_x = projected(np.zeros((10, 10)), res=200.0)
    field = coarse_x.copy(data=np.add.outer(np.arange(10.0), 2 * np.arange(10.0)))
    out = regrid(field, fine.isel(y=slice(2, 18), x=slice(2, 18)))  # stay inside: no edge effects
    # bilinear interpolation of f = row + 2 col at the fine centres (half a coarse cell = 0.5 steps)
    rows = (np.arange(2, 18) + 0.5) / 2 - 0.5
    cols = (np.arange(2, 18) + 0.5) / 2 - 0.5
    np.testing.assert_allclose(out.values, np.add.outer(rows, 2 * cols), atol=1e-5)
    assert out["x"].equals(fine["x"][2:18])


def test_regrid_categorical_takes_the_mode():
    codes = projected(np.array([[1, 1, 2, 2], [1, 8, 2, 2], [5, 5, 8, 8], [5, 8, 8, 7]], dtype="uint8"))
    target = projected(np.zeros((2, 2)), res=200.0)
    out = regrid(codes, target, kind="categorical")
    assert out.values.tolist() == [[1, 2], [5, 8]]
    assert out.dtype == np.uint8


def test_grids_that_do_not_overlap():
    a = projected(np.zeros((4, 4)))
    b = projected(np.zeros((4, 4)), x0=900_000.0)
    with pytest.raises(ValueError, match=r"ndvi does not overlap the target grid"):
        check_overlap(a, b, "ndvi")


def test_monthly_time_checks():
    import pandas as pd

    t = pd.to_datetime(["2021-01-15", "2021-02-15", "2021-04-15"])
    with pytest.raises(ValueError, match=r"precip lacks month\(s\) \['2021-03'\]"):
        monthly_index(t, "precip")
    t = pd.to_datetime(["2021-01-15", "2021-01-31"])
    with pytest.raises(ValueError, match=r"tmean has more than one value in month\(s\) \['2021-01'\]"):
        monthly_index(t, "tmean")
    da = xr.DataArray([1.0, 2.0], dims="time", coords={"time": pd.to_datetime(["2021-01-31", "2021-02-28"])})
    assert [str(d)[:10] for d in to_month_start(da)["time"].values] == ["2021-01-01", "2021-02-01"]


# --- numpy and dask, grid and metadata kept (tests/general_checks.py) ----------------------------

from .general_checks import assert_backends_agree, assert_keeps_grid, synthetic_scene  # noqa: E402


@pytest.fixture(scope="module")
def scene():
    return synthetic_scene()  # 24 months x 5 x 6 on a 1-degree geographic grid, 45.5..41.5 N


def hand_geographic_area(lat, dlat=1.0, dlon=1.0):
    """R^2 * dlon * (sin(lat_n) - sin(lat_s)) of one cell centred at ``lat`` (degrees)."""
    north, south = math.radians(lat + dlat / 2), math.radians(lat - dlat / 2)
    return EARTH_RADIUS**2 * math.radians(dlon) * (math.sin(north) - math.sin(south))


def test_cell_area_on_numpy_and_dask(scene):
    eager, _ = assert_backends_agree(cell_area, scene["tmean"], lazy=False, units="m2", long_name="cell area")
    assert eager.dims == ("y", "x")
    expected = [[hand_geographic_area(lat)] * scene.sizes["x"] for lat in scene["y"].values]
    np.testing.assert_allclose(eager.values, expected, rtol=1e-12)
    np.testing.assert_array_equal(eager["y"], scene["y"])
    np.testing.assert_array_equal(eager["x"], scene["x"])


def test_cell_area_keeps_the_crs(scene):
    assert_keeps_grid(cell_area(scene["landcover"]), scene["landcover"])


@pytest.mark.parametrize("kind", ["geographic", "projected"])
def test_latitude_on_numpy_and_dask(scene, kind):
    grid_ = scene["landcover"] if kind == "geographic" else projected(np.zeros((4, 3)), res=100_000.0)
    eager, _ = assert_backends_agree(latitude, grid_, lazy=False, units="degrees_north", long_name="latitude")
    assert eager.dims == ("y", "x")
    if kind == "geographic":
        np.testing.assert_array_equal(eager.values, np.broadcast_to(scene["y"].values[:, None], (5, 6)))
    else:  # UTM 49N near its central meridian: about 110.7 km per degree of latitude; rows go south
        np.testing.assert_allclose(eager.values[:, 0], grid_["y"].values / 110.7e3, atol=0.05)
        assert (np.diff(eager.values, axis=0) < 0).all()


def hand_block_fractions(codes, lats, factor, classes):
    """Area-weighted class fractions per factor x factor block, by a loop over the fine cells."""
    ny, nx = codes.shape
    out = np.zeros((len(classes), ny // factor, nx // factor))
    for bj in range(ny // factor):
        for bi in range(nx // factor):
            area = {c: 0.0 for c in classes}
            total = 0.0
            for j in range(bj * factor, (bj + 1) * factor):
                for i in range(bi * factor, (bi + 1) * factor):
                    if np.isfinite(codes[j, i]):
                        a = hand_geographic_area(lats[j])
                        total += a
                        if codes[j, i] in area:
                            area[codes[j, i]] += a
            for k, c in enumerate(classes):
                out[k, bj, bi] = area[c] / total if total > 0 else np.nan
    return out


def test_class_fractions_on_numpy_and_dask_with_classes_given(scene):
    lc = scene["landcover"].isel(y=slice(0, 4))  # 4 x 6 -> 2 x 3 blocks; water, ice and the nodata pixel inside
    classes = list(range(1, 12))
    eager, _ = assert_backends_agree(class_fractions, lc, factor=2, classes=classes, chunks={"y": 2, "x": 2},
                                     units="1", long_name=True)
    assert eager.dims == ("class", "y", "x") and eager["class"].values.tolist() == classes
    assert "spatial_ref" in eager.coords
    np.testing.assert_allclose(eager.values, hand_block_fractions(lc.values, lc["y"].values, 2, classes), rtol=1e-12)
    np.testing.assert_allclose(eager["y"].values, [45.0, 43.0])
    np.testing.assert_allclose(eager.sum("class"), 1.0)


def test_class_fractions_without_classes_computes_the_codes_once(scene):
    lc = scene["landcover"].isel(y=slice(0, 4))
    eager, _ = assert_backends_agree(class_fractions, lc, factor=2, chunks={"y": 2, "x": 2}, max_computes=1,
                                     units="1", long_name=True)
    present = sorted(set(lc.values[np.isfinite(lc.values)].tolist()))
    assert eager["class"].values.tolist() == present


@pytest.mark.xfail(strict=True, reason="class_fractions without classes= reads the class map once while building "
                   "the graph (landcover.present_codes: dask's unique, block by block) to learn the class codes")
def test_class_fractions_stays_lazy_without_classes(scene):
    assert_backends_agree(class_fractions, scene["landcover"].isel(y=slice(0, 4)), factor=2, chunks={"y": 2, "x": 2})


def hand_coarsen(values, lats, factor):
    nt, ny, nx = values.shape
    out = np.full((nt, ny // factor, nx // factor), np.nan)
    for t, bj, bi in np.ndindex(out.shape):
        mass = area = 0.0
        for j in range(bj * factor, (bj + 1) * factor):
            for i in range(bi * factor, (bi + 1) * factor):
                if np.isfinite(values[t, j, i]):
                    mass += values[t, j, i] * hand_geographic_area(lats[j])
                    area += hand_geographic_area(lats[j])
        out[t, bj, bi] = mass / area if area > 0 else np.nan
    return out


def test_coarsen_conservative_on_numpy_and_dask(scene):
    t = scene["tmean"].isel(y=slice(0, 4))  # its NaN (month 14, pixel (2, 3)) falls inside a block
    eager, _ = assert_backends_agree(coarsen_conservative, t, 2, chunks={"y": 2, "x": 2}, like=t,
                                     reduced=("y", "x"), added=("y", "x"))
    np.testing.assert_allclose(eager.values, hand_coarsen(t.values, t["y"].values, 2), rtol=1e-12)
    assert eager.name == "tmean" and eager.attrs == t.attrs


def test_coarsen_conservative_keeps_exactly_the_input_attrs(scene):
    t = scene["tmean"].isel(y=slice(0, 4))
    t = t.drop_attrs(deep=False).assign_attrs(units="degC")
    assert coarsen_conservative(t, 2).attrs == {"units": "degC"}


def test_regrid_gives_the_same_on_numpy_and_dask(scene):
    target = scene["tmean"].isel(y=slice(1, 4), x=slice(1, 5))
    eager, _ = assert_backends_agree(regrid, scene["tmean"].isel(time=slice(0, 6)), target, lazy=False,
                                     max_computes=1, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(eager["x"], target["x"])
    np.testing.assert_allclose(eager.values, target.isel(time=slice(0, 6)).values, rtol=1e-6)  # same centres


def test_regrid_stays_lazy(scene):
    assert_backends_agree(regrid, scene["tmean"].isel(time=slice(0, 6)), scene["tmean"].isel(y=slice(1, 4)))


# --- true areas on projections that are not equal-area (issue 10 item 15) -------------------------

def mercator_grid(lat_centre=23.0, res=1000.0, n=3, crs="EPSG:3857"):
    """An n x n grid of ``res`` m cells in Web Mercator whose middle row is centred on ``lat_centre``."""
    y_centre = 6378137.0 * math.log(math.tan(math.pi / 4 + math.radians(lat_centre) / 2))
    offsets = res * (np.arange(n) - n // 2)
    da = xr.DataArray(np.zeros((n, n)), dims=("y", "x"),
                      coords={"y": y_centre - offsets, "x": 1.25e7 + offsets})
    return da.rio.write_crs(crs)


def test_web_mercator_cells_get_their_true_area():
    """A 1 km EPSG:3857 cell at 23 N covers 0.843 km2, not 1 (SCIENCE.md section 5).

    By hand: Web Mercator maps latitude phi to y = a ln tan(pi/4 + phi/2) (a = 6378137 m), so dy = a dphi / cos phi
    and dx = a dlambda; the WGS 84 surface element is M N cos phi dphi dlambda, M = a (1 - e2) / W^3,
    N = a / W, W^2 = 1 - e2 sin^2 phi.  A small cell therefore covers dx dy M N cos^2 phi / a^2
    = 1e6 * (1 - e2) / W^4 * cos^2(23 deg) = 843,380 m2 (e2 = 0.00669438).
    """
    e2 = 0.00669437999014
    phi = math.radians(23.0)
    by_hand = 1e6 * (1 - e2) / (1 - e2 * math.sin(phi) ** 2) ** 2 * math.cos(phi) ** 2
    assert by_hand == pytest.approx(0.8434e6, rel=1e-4)
    area = cell_area(mercator_grid())
    assert float(area[1, 1]) == pytest.approx(by_hand, rel=1e-6)
    assert "true" in area.attrs["area_method"]


def test_true_areas_match_geodesic_polygons_on_a_conformal_conic_grid():
    """100 km Lambert conformal conic cells against pyproj.Geod's area of each cell's densified outline."""
    from pyproj import Geod, Transformer

    crs = "+proj=lcc +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +datum=WGS84 +units=m"
    res = 100_000.0
    da = projected(np.zeros((6, 8)), res=res, x0=-400_000.0, y0=4_000_000.0, crs=crs)
    area = cell_area(da)
    to_geo = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    geod = Geod(ellps="WGS84")
    n = 40
    for j, i in [(0, 0), (2, 5), (5, 7)]:
        xc, yc = float(da["x"][i]), float(da["y"][j])
        w, e, s, nn = xc - res / 2, xc + res / 2, yc - res / 2, yc + res / 2
        xs = np.concatenate([np.linspace(w, e, n), np.full(n, e), np.linspace(e, w, n), np.full(n, w)])
        ys = np.concatenate([np.full(n, s), np.linspace(s, nn, n), np.full(n, nn), np.linspace(nn, s, n)])
        lon, lat = to_geo.transform(xs, ys)
        expected = abs(geod.polygon_area_perimeter(lon, lat)[0])
        assert float(area[j, i]) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("crs", ["EPSG:32649", "EPSG:3035", "ESRI:102025", "EPSG:6933"])
def test_equal_area_and_utm_grids_keep_dx_dy(crs):
    da = projected(np.zeros((3, 4)), res=250.0, x0=500_000.0, y0=2_500_000.0, crs=crs)
    np.testing.assert_allclose(cell_area(da).values, 250.0 * 250.0)
    assert "dx dy" in cell_area(da).attrs["area_method"]


def test_true_cell_area_on_numpy_and_dask():
    da = mercator_grid(n=4)
    eager, _ = assert_backends_agree(cell_area, da, lazy=False, units="m2", long_name="cell area", like=da)
    assert (np.diff(eager.values, axis=0) > 0).all()  # rows further south (nearer the equator) cover more


# --- conservative regridding with coverage (issue 10 items 11 and 12) ---------------------------------

def test_regrid_conservative_on_numpy_and_dask(scene):
    from carbontools.grid import regrid_conservative

    t = scene["precip"].isel(time=slice(0, 3))  # 1 degree, a NaN at month 7 only: all 3 months full
    t = t.where(scene["landcover"] != 10.0)  # the water cell is NaN
    target = geographic(2.0).sel(y=slice(46.5, 40.5), x=slice(99.5, 107.5))
    eager, _ = assert_backends_agree(regrid_conservative, t, target, like=t, reduced=("y", "x"), added=("y", "x"),
                                     units="mm month-1")
    np.testing.assert_array_equal(eager["y"], target["y"])
    assert eager["coverage"].dims == eager.dims
    total_in = float((t.fillna(0) * cell_area(t)).sum())
    total_out = float((eager.fillna(0) * cell_area(eager) * eager["coverage"]).sum())
    assert total_out == pytest.approx(total_in, rel=1e-4)


def test_coarsen_conservative_carries_the_covered_share_by_hand():
    """A 2 x 2 block of 100 m cells with one NaN: value = mean of the 3 valid cells, coverage 3/4."""
    values = np.ones((4, 4))
    values[:2, :2] = [[4.0, 8.0], [np.nan, 12.0]]
    out = coarsen_conservative(projected(values), 2)
    assert out[0, 0].item() == pytest.approx(8.0) and out["coverage"][0, 0].item() == pytest.approx(0.75)
    assert out["coverage"].values.tolist() == [[0.75, 1.0], [1.0, 1.0]]
    total = float((out * cell_area(out) * out["coverage"]).sum())
    assert total == pytest.approx((4 + 8 + 12 + 12 * 1.0) * 1e4)  # the old block mean x whole cell gave (32 + 12) x 1e4


# --- lazy regridding across projections (issue 14: the last input read whole) ---------------------

def era5_like_and_utm_scene():
    """A 0.1 deg lat/lon field onto a 250 m UTM 49N grid of 1000 x 800 pixels (about the size of a city region).
    The field is linear in lon and lat, f = 2 lon + 3 lat (deg C), so that bilinear interpolation of it is exact:
    the right answer at each target centre is f at that centre's lon/lat, computed here with pyproj."""
    lat = 24.0 - 0.1 * (np.arange(40) + 0.5)
    lon = 112.0 + 0.1 * (np.arange(40) + 0.5)
    field = (2.0 * lon[None, :] + 3.0 * lat[:, None])[None] + np.arange(3.0)[:, None, None]  # 3 time steps
    src = xr.DataArray(field.astype("float32"), dims=("time", "y", "x"),
                       coords={"time": np.arange(3), "y": lat, "x": lon}, name="tmean").rio.write_crs("EPSG:4326")
    target = projected(np.zeros((800, 1000), dtype="float32"), res=250.0, x0=650_000.0, y0=2_620_000.0)
    return src, target


def test_regrid_lazy_equals_eager_and_is_near_exact_bilinear():
    from pyproj import Transformer

    src, target = era5_like_and_utm_scene()
    eager = regrid(src, target)
    lazy = regrid(src.chunk({"time": 1}), target)
    assert lazy.chunks is not None  # stays a dask array: nothing read until asked
    np.testing.assert_array_equal(lazy.values, eager.values)  # the same tiles warped either way
    import dask

    with dask.config.set(scheduler="sync"):  # GDAL warps in dask's threads give what one thread gives
        np.testing.assert_array_equal(lazy.values, eager.values)
    X, Y = np.meshgrid(target["x"].values, target["y"].values)
    lon, lat = Transformer.from_crs("EPSG:32649", "EPSG:4326", always_xy=True).transform(X, Y)
    exact = 2.0 * lon + 3.0 * lat
    inside = (lon > 112.05 + 0.1) & (lon < 115.95 - 0.1) & (lat > 20.05 + 0.1) & (lat < 23.95 - 0.1)
    err = np.abs(eager.values[0] - exact)[inside]
    # one source pixel is worth 0.2-0.3 deg C of f. GDAL's warper given the whole 800 x 1000 map at once (rioxarray's
    # reproject_match, the old regrid) is up to 0.016 deg C off, about 0.06 of a source pixel; warped in WARP_TILE
    # tiles, 0.004 (float32 arithmetic is 1e-5 here)
    assert err.max() < 0.008, err.max()
    np.testing.assert_allclose(eager.values[2] - eager.values[0], 2.0, atol=1e-4)  # time steps stay apart


def test_a_lazy_regrid_holds_a_tile_at_a_time_and_reads_only_the_source_blocks_it_overlaps():
    import dask
    from dask.callbacks import Callback

    from carbontools.grid import WARP_TILE

    from .test_batch import largest_array

    src, target = era5_like_and_utm_scene()
    target = projected(np.zeros((1200, 1100), dtype="float32"), res=250.0, x0=650_000.0, y0=2_620_000.0)
    blocks = src.chunk({"time": 1, "y": 10, "x": 10})
    lazy = regrid(blocks, target)
    graph = dict(lazy.data.__dask_graph__())
    first_tile = dask.core.get_dependencies(graph, (lazy.data.name, 0, 0, 0))
    assert 0 < len(first_tile) < 16  # the top-left tile needs a few of the 16 source blocks of its time step
    seen = []
    with Callback(posttask=lambda key, result, dsk, state, worker: seen.append(largest_array(result))):
        dask.compute(*lazy.data.to_delayed().ravel())  # every tile, as a chunked run or a Zarr write takes them
    assert max(seen) == WARP_TILE * WARP_TILE < target.size  # one tile of one time step, never the whole map


def test_regrid_categorical_fills_outside_with_the_types_nodata():
    codes = projected(np.array([[1, 1, 2, 2], [1, 8, 2, 2], [5, 5, 8, 8], [5, 8, 8, 7]], dtype="uint8"))
    wider = projected(np.zeros((2, 3)), res=200.0)  # a third column beyond the source's edge
    out = regrid(codes, wider, kind="categorical")
    assert out.dtype == np.uint8
    assert out.values.tolist() == [[1, 2, 255], [5, 8, 255]]  # 255: uint8's nodata, as rioxarray writes


def test_a_continuous_regrid_to_a_coarser_grid_averages_rather_than_samples():
    """Bilinear onto a 10 x coarser grid uses GDAL's widened kernel (as rioxarray's reproject_match did): white
    noise of standard deviation 1 comes out with the spread of a mean over many fine cells (about 1/sqrt(100) =
    0.1 for a 10 x 10 footprint), not that of a point sample between four cells (1/2 at a cell corner), lazily and
    eagerly alike."""
    rng = np.random.default_rng(0)
    fine = projected(rng.normal(0.0, 1.0, (1000, 1000)).astype("float32"), res=100.0)
    coarse = projected(np.zeros((100, 100), dtype="float32"), res=1000.0)
    eager = regrid(fine, coarse)
    assert float(eager.std()) < 0.2
    np.testing.assert_array_equal(regrid(fine.chunk({"y": 250, "x": 250}), coarse).values, eager.values)
