"""The demo scenes on real geography (demo.real_place, demo.pearl_river_delta, demo.hangzhou).

Scenes are built at 1-2 km here (the 250 m default takes seconds and hundreds of MB); the upsampling, the
boundaries and the generators are the same at every resolution.  Build times: benchmarks/bench_demo_places.py.
"""

import warnings

import numpy as np
import pytest
from pyproj import Transformer

import carbontools as ct
from carbontools import demo
from carbontools.accounting import zones_from_polygons
from carbontools.io import read_mcd12c1


@pytest.fixture(scope="module")
def prd():
    return demo.pearl_river_delta(resolution_m=1000)


@pytest.fixture(scope="module")
def mcd12c1():
    return read_mcd12c1()


def _lonlat(ds):
    xx, yy = np.meshgrid(ds["x"].values, ds["y"].values)
    return Transformer.from_crs(ds.rio.crs, "EPSG:4326", always_xy=True).transform(xx, yy)


def _coarse_index(mcd, lon, lat):
    """Row and column of the 0.05 degree MCD12C1 cell holding each point, from the map's outer edges."""
    west = float(mcd["x"][0]) - 0.025
    north = float(mcd["y"][0]) + 0.025
    return np.floor((north - lat) / 0.05).astype(int), np.floor((lon - west) / 0.05).astype(int)


def test_deterministic_and_seeded():
    cities = demo.prd_cities()
    a, ra = demo.real_place(cities, resolution_m=2000)
    b, rb = demo.real_place(cities, resolution_m=2000)
    assert a.identical(b)
    assert ra.geom_equals(rb).all() and list(ra["name_en"]) == list(demo.PRD_CITIES.values())
    c, _ = demo.real_place(cities, resolution_m=2000, seed=1)
    assert not np.array_equal(c["landcover"].values, a["landcover"].values)
    assert not np.array_equal(c["ndvi"].values, a["ndvi"].values)


def test_grid_is_projected_on_the_cities_extent(prd):
    ds, cities = prd
    assert ds.rio.crs.to_epsg() == 32649  # the PRD (about 113.4 E) is in UTM zone 49N (108-114 E)
    assert ds.rio.resolution() == (1000.0, -1000.0)
    assert cities.crs == ds.rio.crs
    west, south, east, north = cities.total_bounds
    x, y = ds["x"].values, ds["y"].values
    assert x[0] - 500 <= west < x[0] + 500 and x[-1] - 500 < east <= x[-1] + 500
    assert y[-1] - 500 <= south < y[-1] + 500 and y[0] - 500 < north <= y[0] + 500
    assert ds.sizes["time"] == 24 and str(ds["time"].values[0])[:7] == "2021-01"


def test_provenance_says_what_is_real_and_what_is_generated(prd):
    ds, _ = prd
    text = ds.attrs["provenance"]
    assert "REAL" in text and "MCD12C1" in text and "boundaries" in text
    for generated in ("NDVI", "climate", "impervious"):
        assert generated in text.split("GENERATED")[1]
    assert ds["landcover"].attrs["scheme"] == "igbp"


def test_fine_land_cover_shares_follow_the_mcd12c1_shares(prd, mcd12c1):
    """Over the whole extent, each class's share of the fine pixels equals the share of pixels whose MCD12C1
    cell has that class (a blocky nearest-cell copy) to within 0.5 percentage points.

    Why 0.5: inside the extent the upsampling moves shares only between neighbouring cells (weights summing
    to 1) and rounds each cell's counts to whole pixels (< 1 pixel per class and cell, about 30 pixels per cell
    at 1 km, spread evenly in sign); shares leave or enter only through the cells on the extent's border, about
    5 % of the pixels here, of which at most half (a cell's weight on its neighbours) changes class: a worst case
    of 2.5 points where every border cell differs from all its outside neighbours; the PRD's border cells are
    mostly like their neighbours (sea next to sea, hills next to hills), so 0.5 is a fifth of the worst case."""
    ds, _ = prd
    lon, lat = _lonlat(ds)
    row, col = _coarse_index(mcd12c1, lon, lat)
    coarse = mcd12c1.values[row, col]
    fine = ds["landcover"].values
    for code in np.union1d(np.unique(fine), np.unique(coarse)):
        assert (fine == code).mean() * 100 == pytest.approx((coarse == code).mean() * 100, abs=0.5), code
    # and it is not the blocky copy: a good part of the pixels differ from their cell's majority class
    assert (fine != coarse).mean() > 0.15


def test_each_cells_fine_shares_are_its_neighbourhood_shares(prd, mcd12c1):
    """In every 0.05 degree cell, the fine count of each class is the cell's target share x its pixel count to
    within one pixel, the target written here as a plain sum over the 3 x 3 neighbourhood: 1/2 the cell's own
    class, 1/12 each edge neighbour's, 1/24 each corner's (demo.NEIGHBOURHOOD)."""
    ds, _ = prd
    lon, lat = _lonlat(ds)
    row, col = _coarse_index(mcd12c1, lon, lat)
    fine = ds["landcover"].values
    big = mcd12c1.values
    weights = {(0, 0): 1 / 2, **{d: 1 / 12 for d in [(-1, 0), (1, 0), (0, -1), (0, 1)]},
               **{d: 1 / 24 for d in [(-1, -1), (-1, 1), (1, -1), (1, 1)]}}
    cells = {}
    for r, c, k in zip(row.ravel(), col.ravel(), fine.ravel()):
        cells.setdefault((r, c), []).append(k)
    worst = 0.0
    for (r, c), classes in list(cells.items())[::7]:  # every 7th cell: about 700 of them
        target = {}
        for (dr, dc), w in weights.items():
            # at the map window's edge the builder repeats the edge cell (mode "nearest"); inside the PRD there is
            # always a neighbour on the global map, which is what the window holds too
            code = big[r + dr, c + dc]
            target[code] = target.get(code, 0.0) + w
        classes = np.asarray(classes)
        for code in set(target) | set(classes.tolist()):
            worst = max(worst, abs((classes == code).sum() - target.get(code, 0.0) * classes.size))
    assert worst < 1.0 + 1e-9


def test_every_city_has_its_pixels(prd):
    """Each city covers about its own area in pixels: 1 km pixels whose centres lie in it, within 5 % of the
    polygon's area (edge pixels count in or out by their centre: the error is about the perimeter x a few
    hundred m, under 3 % for these cities except Zhuhai's islands)."""
    ds, cities = prd
    zones = zones_from_polygons(cities, ds, name_column="name_en")
    for code, name in enumerate(zones.attrs["names"]):
        pixels = int((zones == code).sum())
        area_km2 = float(cities.set_index("name_en").loc[name].geometry.area) / 1e6
        assert pixels == pytest.approx(area_km2, rel=0.05), name


def test_hangzhou_districts_have_pixels():
    ds, districts = demo.hangzhou(resolution_m=1000, years=(2021,))
    assert ds.rio.crs.to_epsg() == 32650  # Hangzhou (about 119.5 E) is in UTM zone 50N (114-120 E)
    zones = zones_from_polygons(districts, ds, name_column="name_en")
    counts = {name: int((zones == code).sum()) for code, name in enumerate(zones.attrs["names"])}
    assert set(counts) == set(demo.HANGZHOU_DISTRICTS.values()) and min(counts.values()) > 20, counts
    # Hangzhou's climatology: its winter is colder than the PRD's
    assert float(ds["tmean"].isel(time=0).mean()) < 8 < float(demo.PRD_CLIMATE["tmean"][0])


def test_runs_through_the_pipeline_without_a_driver_warning(prd):
    ds, cities = prd
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = ct.run(ds.isel(time=slice(0, 12)))
    ours = [w for w in caught if "carbontools" in str(w.filename) or "carbontools" in type(w.message).__module__]
    assert not ours, [str(w.message) for w in ours]
    nep = out["nep_annual"].isel(year=0)
    lc = ds["landcover"]
    assert float(abs(nep.where(lc == 0)).max()) == 0.0  # water holds no flux
    assert float(nep.where(lc == 2).mean()) > 0  # evergreen broadleaf forest is a sink
    assert np.isfinite(nep.where(lc != 255)).mean() > 0.99


def test_bad_input_is_refused_with_the_reason():
    cities = demo.prd_cities()
    with pytest.raises(ValueError, match="resolution_m"):
        demo.real_place(cities, resolution_m=0)
    with pytest.raises(ValueError, match="pixels.*coarser resolution_m"):
        demo.real_place(cities, resolution_m=30)
    with pytest.raises(ValueError, match="no CRS"):
        demo.real_place(cities.set_crs(None, allow_override=True))
    with pytest.raises(ValueError, match="non-empty GeoDataFrame"):
        demo.real_place(cities.iloc[:0])
    with pytest.raises(ValueError, match="climate needs 12 monthly values"):
        demo.real_place(cities, resolution_m=5000, climate={"tmean": [20] * 12})
