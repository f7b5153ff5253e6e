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
