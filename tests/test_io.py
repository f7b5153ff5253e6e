"""Loaders: small files written in the products' exact formats, read back; bad files give clear errors."""

import json

import numpy as np
import pandas as pd
import pytest
import rioxarray  # noqa: F401
import xarray as xr

import carbontools as ct
from carbontools import io

LAT = np.round(np.arange(23.05, 22.45, -0.1), 4)  # 6 rows, north first (ERA5 order)
LON360 = np.round(np.arange(112.95, 113.55, 0.1), 4)  # 6 columns
MONTHS = pd.date_range("2021-01-01", periods=12, freq="MS")


# --- ERA5-Land --------------------------------------------------------------------------------

def era5_dataset(lon=LON360, months=MONTHS):
    shape = (len(months), len(LAT), len(lon))
    rng = np.random.default_rng(0)
    t2m = 288.0 + 10 * np.sin(np.arange(len(months)) / 12 * 2 * np.pi)[:, None, None] + rng.random(shape)
    tp = 0.002 + 0.006 * rng.random(shape)  # m per day
    ssrd = 1.2e7 + 4e6 * rng.random(shape)  # J m-2 per day
    coords = {"valid_time": months, "latitude": LAT, "longitude": lon}
    dims = ("valid_time", "latitude", "longitude")
    return xr.Dataset(
        {
            "t2m": (dims, t2m, {"units": "K", "long_name": "2 metre temperature"}),
            "tp": (dims, tp, {"units": "m", "long_name": "Total precipitation"}),
            "ssrd": (dims, ssrd, {"units": "J m**-2", "long_name": "Surface short-wave (solar) radiation downwards"}),
        },
        coords=coords,
    )


def packed(ds):
    enc = {}
    for v in ds.data_vars:
        lo, hi = float(ds[v].min()), float(ds[v].max())
        scale = (hi - lo) / 60000
        enc[v] = {"dtype": "int16", "scale_factor": scale, "add_offset": (hi + lo) / 2, "_FillValue": -32767}
    return enc


def test_era5_land_new_cds_format(tmp_path):
    """2024+ CDS: valid_time, expver as a coordinate, scalar number, float32 with NaN fill, 0..360 longitudes."""
    ds = era5_dataset(lon=np.round(np.arange(359.75, 360.35, 0.1) % 360, 4)).astype("float32")
    ds = ds.assign_coords(expver=("valid_time", ["0001"] * 12), number=0)
    path = tmp_path / "era5land_monthly.nc"
    ds.to_netcdf(path, encoding={v: {"_FillValue": np.float32(np.nan)} for v in ds.data_vars})
    out = io.read_era5_land(path)
    assert set(out.data_vars) == {"tmean", "precip", "srad"}
    assert out.rio.crs.to_epsg() == 4326
    assert list(out["x"].values) == sorted(out["x"].values) and float(out["x"].min()) < 0 < float(out["x"].max())
    feb = out.sel(time="2021-02-01")
    raw = ds.sel(valid_time="2021-02-01")
    lon_raw = float(raw["longitude"][0])  # 359.75 -> -0.25
    pix = dict(y=LAT[2], x=lon_raw - 360)
    tol = {"rtol": 1e-3}
    np.testing.assert_allclose(feb["tmean"].sel(pix), raw["t2m"].isel(latitude=2, longitude=0) - 273.15, atol=0.01)
    np.testing.assert_allclose(feb["precip"].sel(pix), raw["tp"].isel(latitude=2, longitude=0) * 1000 * 28, **tol)
    np.testing.assert_allclose(feb["srad"].sel(pix), raw["ssrd"].isel(latitude=2, longitude=0) * 28 / 1e6, **tol)
    assert out["precip"].attrs["units"] == "mm month-1" and out["srad"].attrs["units"] == "MJ m-2 month-1"


def test_era5_land_legacy_format_packed_with_expver_dimension(tmp_path):
    """Legacy CDS files: time, packed int16 (scale_factor/add_offset), ERA5 (expver 1) and ERA5T (expver 5)
    months as a dimension, each NaN where the other holds the month."""
    ds = era5_dataset().rename(valid_time="time")
    final = ds.where(ds["time"] < np.datetime64("2021-10-01"))
    prelim = ds.where(ds["time"] >= np.datetime64("2021-10-01"))
    both = xr.concat([final, prelim], dim=pd.Index([1, 5], name="expver"))
    path = tmp_path / "era5_expver.nc"
    both.to_netcdf(path, encoding=packed(ds))
    out = io.read_era5_land(path)
    assert "expver" not in out.dims and out.sizes["time"] == 12
    assert bool(out["tmean"].notnull().all())
    step = packed(ds)["t2m"]["scale_factor"]  # the packing's resolution
    np.testing.assert_allclose(out["tmean"].isel(time=11), ds["t2m"].isel(time=11) - 273.15, atol=step)
    np.testing.assert_allclose(out["tmean"].isel(time=0), ds["t2m"].isel(time=0) - 273.15, atol=step)


def test_era5_land_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="ERA5-Land file .*missing.nc.* does not exist"):
        io.read_era5_land(tmp_path / "missing.nc")
    ds = era5_dataset().drop_vars("ssrd")
    ds.to_netcdf(tmp_path / "no_ssrd.nc")
    with pytest.raises(ValueError, match=r"no_ssrd.nc has no variable\(s\) \['ssrd'\].*surface solar radiation"):
        io.read_era5_land(tmp_path / "no_ssrd.nc")
    ds = era5_dataset()
    ds["t2m"].attrs["units"] = "degC"
    ds.to_netcdf(tmp_path / "celsius.nc")
    with pytest.raises(ValueError, match=r"t2m has units 'degC', expected 'K'"):
        io.read_era5_land(tmp_path / "celsius.nc")


def test_era5_land_gap_month_is_an_error(tmp_path):
    ds = era5_dataset().isel(valid_time=[0, 1, 2, 4, 5])
    ds.to_netcdf(tmp_path / "gap.nc")
    with pytest.raises(ValueError, match=r"lacks month\(s\) \['2021-04'\]"):
        io.read_era5_land(tmp_path / "gap.nc")


# --- MODIS ------------------------------------------------------------------------------------

def write_geotiff(path, values, crs="EPSG:4326", lat=None, lon=None, nodata=None):
    lat = np.round(np.arange(23.0 - 0.025, 22.5, -0.05), 4) if lat is None else lat
    lon = np.round(np.arange(113.0 + 0.025, 113.5, 0.05), 4) if lon is None else lon
    da = xr.DataArray(values, dims=("y", "x"), coords={"y": lat[: values.shape[0]], "x": lon[: values.shape[1]]})
    if crs:
        da = da.rio.write_crs(crs)
    if nodata is not None:
        da = da.rio.write_nodata(nodata)
    da.rio.to_raster(path)
    return path


def modis_series(tmp_path, n_months=2):
    """Two 16-day composites per month (int16, fill -3000), named like MOD13Q1 files."""
    rng = np.random.default_rng(1)
    files, raws = [], []
    for doy in range(1, 32 * n_months, 16):
        raw = rng.integers(1000, 9000, size=(10, 10)).astype("int16")
        if doy == 1:
            raw[0, 0] = -3000  # fill in the first composite only
        name = f"MOD13Q1.A2021{doy:03d}.h28v06.061.2021{doy + 17:03d}.250m_16_days_NDVI.tif"
        files.append(write_geotiff(tmp_path / name, raw))
        raws.append(raw)
    return files, raws


def test_modis_ndvi_scaling_fill_and_monthly_max(tmp_path):
    files, raws = modis_series(tmp_path)
    ndvi = io.read_modis_ndvi(files)
    assert ndvi.sizes["time"] == len(files) and ndvi.dtype == np.float32
    assert list(pd.DatetimeIndex(ndvi["time"].values).day_of_year) == [1, 17, 33, 49]
    assert np.isnan(ndvi[0, 0, 0])
    assert float(ndvi[0, 3, 4]) == pytest.approx(raws[0][3, 4] * 1e-4, rel=1e-6)
    monthly = io.monthly_max_composite(ndvi)
    assert list(monthly["time"].dt.month.values) == [1, 2]
    jan = np.fmax(raws[0], raws[1]).astype(float) * 1e-4  # doy 1 and 17 start in January
    np.testing.assert_allclose(monthly.isel(time=0).values[1:, 1:], jan[1:, 1:], rtol=1e-6)
    assert float(monthly[0, 0, 0]) == pytest.approx(raws[1][0, 0] * 1e-4, rel=1e-6)  # fill in one composite only


def test_modis_quality_mask(tmp_path):
    files, _ = modis_series(tmp_path, n_months=1)
    qa = np.zeros((10, 10), dtype="int8")
    qa[5, 5] = 3  # cloudy
    qa[6, 6] = 1  # marginal
    qa_files = [write_geotiff(tmp_path / f"qa{i}.tif", qa) for i in range(len(files))]
    ndvi = io.read_modis_ndvi(files, qa_paths=qa_files, max_reliability=0)
    assert np.isnan(ndvi[0, 5, 5]) and np.isnan(ndvi[0, 6, 6]) and np.isfinite(ndvi[0, 4, 4])
    ndvi = io.read_modis_ndvi(files, qa_paths=qa_files, max_reliability=1)
    assert np.isnan(ndvi[0, 5, 5]) and np.isfinite(ndvi[0, 6, 6])


def test_all_fill_tile_is_nan_with_a_warning(tmp_path):
    path = write_geotiff(tmp_path / "MOD13Q1.A2021001.tile.tif", np.full((4, 4), -3000, dtype="int16"))
    with pytest.warns(UserWarning, match=r"MOD13Q1.A2021001.tile.tif: NDVI holds only fill values"):
        ndvi = io.read_modis_ndvi([path])
    assert bool(ndvi.isnull().all())


def test_modis_file_without_date_or_crs(tmp_path):
    path = write_geotiff(tmp_path / "ndvi.tif", np.full((4, 4), 5000, dtype="int16"))
    with pytest.raises(ValueError, match=r"no MODIS date .* pass dates="):
        io.read_modis_ndvi([path])
    assert float(io.read_modis_ndvi([path], dates=["2021-03-01"])[0, 0, 0]) == pytest.approx(0.5)
    bare = write_geotiff(tmp_path / "MOD13Q1.A2021001.nocrs.tif", np.full((4, 4), 5000, dtype="int16"), crs=None)
    with pytest.raises(ValueError, match=r"nocrs.tif: the raster has no CRS; pass crs="):
        io.read_modis_ndvi([bare])


def test_mod17_npp(tmp_path):
    raw = np.array([[5000, 32767], [32761, -100]], dtype="int16")  # 0.5 kg C m-2, fill, water code, -0.01
    npp = io.read_mod17_npp(write_geotiff(tmp_path / "MOD17A3HGF.A2021001.tif", raw))
    assert npp.attrs["units"] == "g C m-2 yr-1"
    np.testing.assert_allclose(npp.values, [[500.0, np.nan], [np.nan, -10.0]], rtol=1e-6)


def test_mod17_npp_already_scaled_float_is_not_scaled_again(tmp_path):
    # issue 10 item 16: a float file in kg C m-2 came out 10000 times too small (0.5 kg C m-2 -> 0.05 g C m-2 yr-1)
    scaled = np.array([[0.5, 3.2767], [3.2761, -0.01]], dtype="float32")  # 0.5 kg C m-2 = 500 g C m-2; 2 codes
    npp = io.read_mod17_npp(write_geotiff(tmp_path / "MOD17A3HGF.A2021001.scaled.tif", scaled))
    assert npp.attrs["units"] == "g C m-2 yr-1"
    np.testing.assert_allclose(npp.values, [[500.0, np.nan], [np.nan, -10.0]], rtol=1e-6)
    with_nodata = np.array([[0.5, -9999.0]], dtype="float32")
    npp = io.read_mod17_npp(write_geotiff(tmp_path / "nodata.tif", with_nodata, nodata=-9999.0))
    np.testing.assert_allclose(npp.values, [[500.0, np.nan]], rtol=1e-6)
    nan_fill = np.array([[0.25, np.nan]], dtype="float64")
    np.testing.assert_allclose(io.read_mod17_npp(write_geotiff(tmp_path / "nan.tif", nan_fill)).values,
                               [[250.0, np.nan]], rtol=1e-12)


def test_mod17_npp_float_digital_numbers_are_refused(tmp_path):
    dn_as_float = np.array([[5000.0, 32767.0], [1200.0, -100.0]], dtype="float32")
    with pytest.raises(ValueError, match=r"4 value\(s\) outside -3.0..3.27 \(from -100 to 32767\).*multiply by 0.0001"):
        io.read_mod17_npp(write_geotiff(tmp_path / "dn.tif", dn_as_float))


# --- land cover, generic rasters, regions --------------------------------------------------

def test_read_landcover_checks_codes(tmp_path):
    codes = np.array([[1, 2, 8], [5, 9, 0]], dtype="uint8")
    lc = io.read_landcover(write_geotiff(tmp_path / "clcd.tif", codes, nodata=0), scheme="clcd")
    assert lc.attrs["scheme"] == "clcd" and lc.attrs["nodata"] == 0
    from carbontools.landcover import to_casa

    assert to_casa(lc).values.tolist()[0] == [7.0, 5.0, 8.0]
    assert np.isnan(to_casa(lc).values[1, 2])
    bad = write_geotiff(tmp_path / "bad.tif", np.array([[1, 12]], dtype="uint8"))
    with pytest.raises(ValueError, match=r"land cover bad.tif \(scheme 'clcd'\) has codes that are not in the scheme's table: 12"):
        io.read_landcover(bad, scheme="clcd")
    with pytest.raises(ValueError, match="scheme 'modis' unknown"):
        io.read_landcover(bad, scheme="modis")


def test_read_raster_netcdf_geotiff_and_units(tmp_path):
    da = xr.DataArray(np.full((12, 3, 3), 290.0), dims=("time", "lat", "lon"),
                      coords={"time": MONTHS, "lat": [23.0, 22.9, 22.8], "lon": [113.0, 113.1, 113.2]},
                      name="temperature", attrs={"units": "K"})
    da.to_netcdf(tmp_path / "t.nc")
    t = io.read_raster(tmp_path / "t.nc", driver="tmean")
    assert t.dims == ("time", "y", "x") and t.rio.crs.to_epsg() == 4326
    np.testing.assert_allclose(t, 16.85)
    da.attrs = {}
    da.to_netcdf(tmp_path / "nounits.nc")
    with pytest.raises(ValueError, match=r"nounits.nc: temperature declares no units; pass units="):
        io.read_raster(tmp_path / "nounits.nc")
    with pytest.raises(ValueError, match=r"has no variable 'tas'; it has \['temperature'\]"):
        io.read_raster(tmp_path / "nounits.nc", variable="tas", units="K")
    with pytest.raises(ValueError, match=r"cannot convert to 'degC'"):
        io.read_raster(tmp_path / "nounits.nc", units="furlongs", driver="tmean")
    tif = write_geotiff(tmp_path / "imp.tif", np.full((3, 3), 40.0, dtype="float32"))
    imp = io.read_raster(tif, units="%", driver="impervious")
    np.testing.assert_allclose(imp, 0.4)


def test_read_raster_zarr(tmp_path):
    pytest.importorskip("zarr")
    da = xr.DataArray(np.ones((2, 2)), dims=("latitude", "longitude"),
                      coords={"latitude": [1.0, 0.0], "longitude": [10.0, 11.0]}, name="fpar", attrs={"units": "1"})
    da.to_dataset().to_zarr(tmp_path / "f.zarr")
    out = io.read_raster(tmp_path / "f.zarr")
    assert out.dims == ("y", "x") and out.rio.crs.to_epsg() == 4326


def test_read_regions(tmp_path):
    from carbontools import demo

    gdf = demo.districts(size=20).rename(columns={"name": "district"})
    gdf.to_file(tmp_path / "d.geojson")
    out = io.read_regions(tmp_path / "d.geojson", name_column="district")
    assert list(out.columns) == ["name", "geometry"] and len(out) == 6
    with pytest.raises(ValueError, match=r"has no column 'NAME'; its columns are \['district'\]"):
        io.read_regions(tmp_path / "d.geojson", name_column="NAME")


# --- load_drivers ------------------------------------------------------------------------------

def test_load_drivers_end_to_end(tmp_path):
    """16-day MODIS NDVI (0.05 deg), ERA5-Land (0.1 deg), CLCD (0.01 deg) -> drivers on the NDVI grid -> run."""
    rng = np.random.default_rng(2)
    for doy in range(1, 366, 16):
        season = 0.5 + 0.3 * np.sin((doy - 80) / 365 * 2 * np.pi)
        raw = (10000 * np.clip(season + 0.05 * rng.standard_normal((10, 10)), 0, 0.95)).astype("int16")
        write_geotiff(tmp_path / f"MOD13Q1.A2021{doy:03d}.h28v06.061.tif", raw)
    era5_dataset().to_netcdf(tmp_path / "era5.nc")
    fine_lat = np.round(np.arange(23.0 - 0.005, 22.5, -0.01), 4)
    fine_lon = np.round(np.arange(113.0 + 0.005, 113.5, 0.01), 4)
    codes = rng.choice([1, 2, 4, 8, 5], size=(50, 50)).astype("uint8")
    write_geotiff(tmp_path / "clcd.tif", codes, lat=fine_lat, lon=fine_lon, nodata=0)
    config = {"ndvi": "MOD13Q1.A2021*.tif", "era5_land": "era5.nc", "landcover": {"path": "clcd.tif", "scheme": "clcd"},
              "period": ["2021-01", "2021-12"]}
    (tmp_path / "config.json").write_text(json.dumps(config))
    drivers = io.load_drivers(tmp_path / "config.json")
    assert set(drivers.data_vars) == {"ndvi", "tmean", "precip", "srad", "landcover"}
    assert drivers.sizes == {"time": 12, "y": 10, "x": 10}
    assert drivers["landcover"].attrs["scheme"] == "clcd"
    assert set(np.unique(drivers["landcover"].values)) <= {1, 2, 4, 5, 8}
    out = ct.run(drivers)
    assert bool(np.isfinite(out["nep_annual"]).all())


def test_load_drivers_months_must_match(tmp_path):
    era5_dataset().isel(valid_time=slice(0, 6)).to_netcdf(tmp_path / "era5.nc")
    files, _ = modis_series(tmp_path, n_months=2)  # January and February only
    write_geotiff(tmp_path / "lc.tif", np.ones((10, 10), dtype="uint8"))
    config = {"ndvi": [str(f) for f in files], "era5_land": str(tmp_path / "era5.nc"),
              "landcover": {"path": str(tmp_path / "lc.tif"), "scheme": "clcd"}}
    with pytest.raises(ValueError, match=r"do not cover the same months: ndvi lacks \['2021-03', '2021-04', '2021-05', '2021-06'\]"):
        io.load_drivers(config)
    config["period"] = ["2021-01", "2021-02"]
    assert io.load_drivers(config).sizes["time"] == 2


def test_load_drivers_grids_that_do_not_overlap(tmp_path):
    files, _ = modis_series(tmp_path, n_months=1)
    ds = era5_dataset().assign_coords(longitude=LON360 + 40)  # 153 E, far from the NDVI tiles
    ds.to_netcdf(tmp_path / "elsewhere.nc")
    write_geotiff(tmp_path / "lc.tif", np.ones((10, 10), dtype="uint8"))
    config = {"ndvi": [str(f) for f in files], "era5_land": str(tmp_path / "elsewhere.nc"),
              "landcover": {"path": str(tmp_path / "lc.tif"), "scheme": "clcd"}, "period": ["2021-01", "2021-01"]}
    with pytest.raises(ValueError, match=r"tmean does not overlap the target grid"):
        io.load_drivers(config)
