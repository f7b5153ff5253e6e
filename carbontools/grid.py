"""Grid geometry: cell areas and latitudes (SCIENCE.md section 5).

Areas always come from here, never from a constant: projected grids use |dx * dy|, geographic
grids the spherical cell area R^2 * dlon * (sin(lat_n) - sin(lat_s)).
"""

from __future__ import annotations

import numpy as np
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr

__all__ = ["EARTH_RADIUS", "cell_area", "latitude"]

#: authalic Earth radius used for spherical cell areas (m); the radius of the MODIS sinusoidal sphere
EARTH_RADIUS = 6371007.181


def _crs(obj):
    crs = obj.rio.crs
    if crs is None:
        raise ValueError(
            "the grid has no CRS, so carbontools cannot tell metres from degrees: write one with "
            "obj.rio.write_crs('EPSG:4326') (geographic) or the projection's EPSG code"
        )
    return crs


def _edges(coord: np.ndarray) -> np.ndarray:
    if coord.size < 2:
        raise ValueError("a grid needs at least 2 cells along each axis to know its cell size")
    steps = np.diff(coord)
    if not np.allclose(steps, steps[0], rtol=1e-6, atol=0):
        raise ValueError("the grid is not regular along an axis; cell_area needs regular spacing")
    return np.concatenate([coord[:1] - steps[0] / 2, coord + steps[0] / 2])


def cell_area(obj: xr.DataArray | xr.Dataset) -> xr.DataArray:
    """Area of every (y, x) cell in m2, for projected (metres) or geographic (degrees) grids."""
    crs = _crs(obj)
    y = np.asarray(obj["y"].values, dtype=float)
    x = np.asarray(obj["x"].values, dtype=float)
    if crs.is_geographic:
        lat_edges = np.deg2rad(np.clip(_edges(y), -90.0, 90.0))
        dlon = np.deg2rad(np.abs(np.diff(_edges(x))))
        band = np.abs(np.diff(np.sin(lat_edges)))
        area = EARTH_RADIUS**2 * band[:, None] * dlon[None, :]
    else:
        unit = crs.linear_units.lower() if crs.linear_units else "metre"
        if unit not in ("metre", "meter", "m"):
            raise ValueError(f"the grid's CRS has linear unit {unit!r}; reproject to a metric CRS first")
        dy = np.abs(np.diff(_edges(y)))
        dx = np.abs(np.diff(_edges(x)))
        area = dy[:, None] * dx[None, :]
    out = xr.DataArray(area, dims=("y", "x"), coords={"y": obj["y"], "x": obj["x"]}, name="cell_area")
    return out.assign_attrs(units="m2", long_name="cell area")


def latitude(obj: xr.DataArray | xr.Dataset) -> xr.DataArray:
    """Latitude (degrees north) of every (y, x) cell centre."""
    crs = _crs(obj)
    if crs.is_geographic:
        lat = obj["y"].broadcast_like(obj["x"])
    else:
        from pyproj import Transformer

        xx, yy = np.meshgrid(obj["x"].values, obj["y"].values)
        _, lat_values = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(xx, yy)
        lat = xr.DataArray(lat_values, dims=("y", "x"), coords={"y": obj["y"], "x": obj["x"]})
    return lat.transpose("y", "x").assign_attrs(units="degrees_north", long_name="latitude").rename("latitude")
