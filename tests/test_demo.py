"""The synthetic demo region: deterministic, plausible, honest about being synthetic."""

import numpy as np
import pytest

import carbontools as ct
from carbontools import demo
from carbontools.grid import cell_area
from carbontools.pipeline import prepare_drivers


def test_deterministic_and_seeded(small_demo):
    again = demo.delta_city(size=48)
    assert again.identical(small_demo)
    other = demo.delta_city(size=48, seed=1)
    assert not np.array_equal(other["ndvi"].values, small_demo["ndvi"].values)


def test_default_scene_shape_crs_and_classes():
    ds = demo.delta_city()
    assert ds.sizes == {"time": 24, "y": 400, "x": 400}
    assert ds.rio.crs.to_epsg() == 32649
    assert ds.rio.resolution() == (250.0, -250.0)
    assert ds["landcover"].attrs["scheme"] == "clcd"
    assert set(np.unique(ds["landcover"])) == {1, 2, 3, 4, 5, 7, 8, 9}
    assert "synthetic" in ds.attrs and "not observed" in ds.attrs["synthetic"]
    # the urban core is built-up with a high impervious fraction and low NDVI
    built = ds["landcover"] == 8
    assert float(ds["impervious"].where(built).mean()) > 0.5
    assert float(ds["ndvi"].where(built).mean()) < float(ds["ndvi"].where(ds["landcover"] == 2).mean()) - 0.3


def test_passes_the_plausibility_checks(small_demo):
    prepare_drivers(small_demo, need=("tmean", "precip", "srad", "landcover"), check=True)


def test_annual_climate_of_a_subtropical_delta(small_demo):
    annual_p = small_demo["precip"].groupby("time.year").sum().mean(("y", "x"))
    assert ((annual_p > 1200) & (annual_p < 2600)).all()
    t = small_demo["tmean"].mean(("y", "x"))
    assert 10 < float(t.min()) and float(t.max()) < 32


def test_dask_chunks():
    lazy = demo.delta_city(size=32, chunks={"y": 16})
    assert lazy["ndvi"].chunks is not None


def test_districts_tile_the_scene():
    gdf = demo.districts(size=40)
    assert len(gdf) == 6 and gdf["name"].is_unique
    assert gdf.crs.to_epsg() == 32649
    area = float(cell_area(demo.delta_city(size=40)).sum())
    assert float(gdf.area.sum()) == pytest.approx(area, rel=1e-9)


def test_nep_has_sinks_and_sources(small_demo):
    """Forests are sinks in every year, barren land (construction sites: no NPP, Pei's Rh has no substrate
    limit) a source everywhere, open water exactly zero; the classes are CLCD codes (demo.CLCD)."""
    nep = ct.run(small_demo)["nep_annual"]
    lc = small_demo["landcover"]
    forest, barren, water = (nep.where(lc == demo.CLCD[name]) for name in ("forest", "barren", "water"))
    assert int(lc.isin([demo.CLCD["forest"]]).sum()) > 100 and int((lc == demo.CLCD["barren"]).sum()) > 10
    assert float(forest.min()) > 0 and float(forest.mean()) > 200
    assert float(barren.max()) < 0
    assert float(abs(water).max()) == 0.0
