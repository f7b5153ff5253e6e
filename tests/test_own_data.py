"""Own data in without surprises (issue 11): files made the way providers ship them, and the mistakes people make.

Each mistake is refused or warned about with a message that names the culprit and the fix; the happy
path is unchanged.  Files are written in the tests (never the shared data).
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import rioxarray  # noqa: F401
import xarray as xr

import carbontools as ct
from carbontools import demo, io, pipeline
from carbontools.models.casa import daily_extraterrestrial_radiation, extraterrestrial_radiation

@pytest.fixture(scope="module")
def scene():
    return demo.delta_city(size=24)


# --- item 2: longitudes are wrapped on geographic grids only -----------------------------------------

def _netcdf(path, x, y, crs=None, x_attrs=None):
    da = xr.DataArray(np.arange(len(y) * len(x), dtype="float32").reshape(len(y), len(x)), dims=("y", "x"),
                      coords={"y": y, "x": x}, name="impervious", attrs={"units": "1"})
    da = da / da.max()
    da.attrs["units"] = "1"
    if x_attrs:
        da["x"].attrs.update(x_attrs)
    if crs:
        da = da.rio.write_crs(crs)
    da.to_dataset().to_netcdf(path)
    return path


def test_projected_netcdf_keeps_its_x(tmp_path):
    """A UTM file with x 700000..700900 came back as -20, 40, 100, 160 (x wrapped as if longitudes)."""
    x = np.arange(700000.0, 701000.0, 100.0)
    y = np.arange(2550950.0, 2550000.0, -100.0)
    out = io.read_raster(_netcdf(tmp_path / "utm.nc", x, y, crs="EPSG:32649"))
    np.testing.assert_array_equal(out["x"].values, x)
    assert out.rio.crs.to_epsg() == 32649


def test_projected_netcdf_without_crs_asks_for_one(tmp_path):
    x = np.arange(700000.0, 701000.0, 100.0)
    y = np.arange(2550950.0, 2550000.0, -100.0)
    with pytest.raises(ValueError, match=r"has no CRS; pass crs="):
        io.read_raster(_netcdf(tmp_path / "utm_nocrs.nc", x, y, x_attrs={"units": "m"}))
    out = io.read_raster(tmp_path / "utm_nocrs.nc", crs="EPSG:32649")
    np.testing.assert_array_equal(out["x"].values, x)


def test_geographic_0_360_netcdf_is_still_wrapped(tmp_path):
    x = np.array([358.5, 359.5, 0.5, 1.5])
    y = np.array([1.5, 0.5, -0.5])
    out = io.read_raster(_netcdf(tmp_path / "geo.nc", x, y, x_attrs={"units": "degrees_east"}))
    np.testing.assert_array_equal(out["x"].values, [-1.5, -0.5, 0.5, 1.5])
    assert out.rio.crs.to_epsg() == 4326


# --- item 3: NDVI still scaled by 10000 is recognised in every loader -----------------------------

def _mod13(path, values):
    lat = np.round(np.arange(23.0 - 0.025, 22.7, -0.05), 4)
    lon = np.round(np.arange(113.0 + 0.025, 113.3, 0.05), 4)
    da = xr.DataArray(values, dims=("y", "x"), coords={"y": lat[: values.shape[0]], "x": lon[: values.shape[1]]})
    da.rio.write_crs("EPSG:4326").rio.to_raster(path)
    return path


def test_float_mod13_still_scaled_is_refused(tmp_path):
    """Was: masked against -0.2..1, twelve 'holds only fill values' warnings, NaN NEP on 98 % of pixels."""
    raw = np.random.default_rng(0).integers(1000, 9000, size=(5, 5)).astype("float32")
    raw[0, 0] = -3000.0  # the product's fill, kept as a float
    path = _mod13(tmp_path / "MOD13Q1.A2021161.h28v06.061.tif", raw)
    with pytest.raises(ValueError, match=r"MOD13Q1.A2021161.*looks scaled by 10000 .*multiply by 0.0001"):
        io.read_modis_ndvi([path])


def test_float_mod13_already_scaled_reads_as_before(tmp_path):
    raw = np.random.default_rng(0).integers(1000, 9000, size=(5, 5)).astype("float32") * np.float32(1e-4)
    raw[0, 0] = -0.3  # the fill once scaled
    ndvi = io.read_modis_ndvi([_mod13(tmp_path / "MOD13Q1.A2021161.h28v06.061.tif", raw)])
    assert np.isnan(ndvi[0, 0, 0])
    np.testing.assert_array_equal(ndvi[0].values[1:], raw[1:])


def test_read_raster_checks_a_driver_too(tmp_path):
    raw = np.full((3, 3), 6500.0, dtype="float32")
    path = _mod13(tmp_path / "ndvi_scaled.tif", raw)
    with pytest.raises(ValueError, match=r"ndvi_scaled.tif: .*ndvi looks scaled by 10000 .*multiply by 0.0001"):
        io.read_raster(path, units="1", driver="ndvi")
    assert float(io.read_raster(path, units="1").max()) == 6500.0  # without a driver name: no driver check


# --- item 4: a driver without units is believed only when its values fit the unit assumed ----------

def test_top_of_atmosphere_radiation_fao56_example_8():
    """FAO-56 Example 8: 20 deg S on 3 September (day 246): Ra = 32.2 MJ m-2 day-1."""
    assert daily_extraterrestrial_radiation(246, -20.0) == pytest.approx(32.2, abs=0.05)


def test_monthly_top_of_atmosphere_radiation_is_the_mid_day_times_the_days():
    time = xr.DataArray(pd.date_range("2021-01-01", periods=12, freq="MS"), dims="time")
    lat = xr.DataArray([40.0, -20.0], dims="y")
    ra = extraterrestrial_radiation(time, lat)
    # July 2021: days 182..212, mid day 197 (182 + 30/2), 31 days
    assert float(ra.sel(time="2021-07-01").isel(y=0)) == pytest.approx(31 * daily_extraterrestrial_radiation(197.0, 40.0))
    assert ra.attrs["units"] == "MJ m-2 month-1"
    # northern summer above southern summer in July, and the other way in January
    assert float(ra[6, 0]) > float(ra[6, 1]) and float(ra[0, 0]) < float(ra[0, 1])


def _without_units(scene, name, factor=1.0):
    d = scene.copy()
    da = d[name] * factor
    da.attrs = {k: v for k, v in d[name].attrs.items() if k != "units"}
    d[name] = da
    return d


def test_precipitation_in_metres_per_day_without_units_is_refused(scene):
    """m day-1 read as mm month-1 gave NEP 121.6 instead of 362.0 (-66 %): refused, the likely unit named."""
    d = _without_units(scene, "precip", 1.0 / (1000.0 * 365.25 / 12))
    with pytest.raises(ValueError, match=r"precip has no units .*drier than any desert.*looks like m day-1"):
        ct.run(d)


def _watts(scene):
    """srad in W m-2, without units: MJ m-2 month-1 / (days x 86400 s) x 1e6 J/MJ, month by month."""
    return _without_units(scene, "srad", 1e6 / (scene["time"].dt.days_in_month * 86400.0))


def test_radiation_in_watts_without_units_is_refused(scene):
    """W m-2 read as MJ m-2 month-1 turned the region from sink (+362) to source (-116.5)."""
    d = _watts(scene)
    with pytest.raises(ValueError, match=r"srad has no units .*top-of-atmosphere .*looks like W m-2"):
        ct.run(d)


def test_the_fix_the_message_names_gives_the_right_result(scene):
    d = _watts(scene)
    d["srad"].attrs["units"] = "W m-2"  # what the message says to do
    # srad in W m-2 becomes float64, the scene's float32 drivers give float32 results (the fused kernel):
    # they differ by a few float32 roundings of each value, and of the largest for NEP near 0 (NPP - Rh)
    expected = ct.run(scene)["nep_annual"]
    np.testing.assert_allclose(ct.run(d)["nep_annual"], expected, rtol=1e-6, atol=1e-6 * float(abs(expected).max()))


def test_plausible_values_without_units_still_run_with_a_warning(scene):
    d = _without_units(_without_units(scene, "srad"), "precip")
    with pytest.warns(UserWarning, match=r"precip has no 'units' attribute; assuming 'mm month-1'"):
        result = ct.run(d)
    xr.testing.assert_identical(result, ct.run(scene))


# --- item 6: the valid share of every output -----------------------------------------------------

def test_valid_share_is_recorded_and_low_shares_warn(scene):
    d = scene.copy()
    mapped = d["landcover"].notnull() & (d["landcover"] != 0)
    assert bool(mapped.all())  # the demo maps every pixel, so the shares below count pixels directly
    ndvi = d["ndvi"].copy()
    ny, nx = ndvi.sizes["y"], ndvi.sizes["x"]
    ndvi[5, : ny // 2, :] = np.nan  # clouds over the northern half in June of the first year
    d["ndvi"] = ndvi
    with pytest.warns(UserWarning, match=r"only .*% of nep_annual of the mapped pixels hold a value"):
        result = ct.run(d)
    # water keeps NPP = Rh = 0 whatever its NDVI, so the cloud leaves a gap on the land pixels under it only:
    # monthly: 1 of 24 months lacks them; annual: year 1 of 2 lacks them
    water = int((result["landcover_casa"][: ny // 2] == 10).sum())
    gap = (ny // 2 * nx - water) / (ny * nx)
    assert result["nep"].attrs["valid_share"] == pytest.approx(1 - gap / 24, abs=1e-6)
    assert result["nep_annual"].attrs["valid_share"] == pytest.approx(1 - gap / 2, abs=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ct.run(d, min_valid_share=0.7)  # the user's threshold: no warning above it
    assert pipeline.valid_shares(result)["npp_annual"] == pytest.approx(1 - gap / 2)


def test_valid_share_threshold_must_be_a_share(scene):
    with pytest.raises(ValueError, match=r"min_valid_share must lie in \[0, 1\]"):
        ct.run(scene, min_valid_share=90)


def test_valid_shares_of_a_dask_result_are_left_to_the_caller(scene):
    result = ct.run(scene.chunk({"time": 6}))
    assert "valid_share" not in result["nep"].attrs
    assert pipeline.valid_shares(result)["nep"] == pytest.approx(1.0)


# --- item 11: the user's own classes stay in the result for reporting ----------------------------

def test_result_keeps_the_drivers_classes_for_tables_by_their_names(scene):
    from carbontools.accounting import zonal_totals
    from carbontools.landcover import class_names

    result = ct.run(scene)
    xr.testing.assert_identical(result["landcover"], scene["landcover"])  # CLCD codes, scheme attrs and all
    table = zonal_totals(result["nep_annual"].isel(year=-1), zones=result["landcover"])
    clcd = class_names("clcd")
    assert set(table.index) == {clcd[int(c)] for c in np.unique(scene["landcover"])}
    # the CASA class map merges CLCD cropland (1) and grassland (4) into class 7; the CLCD rows add up to it
    merged = zonal_totals(result["nep_annual"].isel(year=-1), zones=result["landcover_casa"])
    casa_seven = merged.loc[class_names("casa")[7], "total"]
    from_clcd = sum(table.loc[clcd[c], "total"] for c in np.unique(scene["landcover"])
                    if int(c) in (1, 4, 9) and clcd[int(c)] in table.index)  # CLCD 1, 4, 9 -> CASA 7
    assert from_clcd == pytest.approx(casa_seven, rel=1e-9)


# --- issue 14: load_drivers lazily, in chunks ----------------------------------------------------------

from .test_batch import largest_array  # noqa: E402
from .test_io_config import config as loader_config  # noqa: E402
from .test_io_config import write_config, write_driver_files  # noqa: E402


@pytest.mark.parametrize("changes", [{}, {"period": ["2021-02", "2021-11"]}, {"gapfill": True}])
def test_a_chunked_load_equals_the_eager_load_and_no_task_holds_more_than_a_chunk(tmp_path, changes):
    """MODIS GeoTIFFs, an ERA5-Land NetCDF and a CLCD GeoTIFF opened with chunks: dask-backed drivers in those
    chunks, identical to the eager load, and no dask task of the load, its checks or a computation of the result
    returns more than one 4 x 4 chunk of a monthly driver (each chunk reads its window of the files)."""
    import dask
    from dask.callbacks import Callback

    folder = write_driver_files(tmp_path / "data")
    path = write_config(folder, loader_config(**changes))
    eager = io.load_drivers(path)
    seen = []
    chunks = {"time": -1, "y": 4, "x": 4}
    with Callback(posttask=lambda key, result, dsk, state, worker: seen.append(largest_array(result))):
        lazy = io.load_drivers(path, chunks=chunks)
        assert all(lazy[v].chunks is not None for v in lazy.data_vars)
        assert lazy["ndvi"].chunksizes["y"] == (4, 4, 2) and lazy["landcover"].chunksizes["x"] == (4, 4, 2)
        blocks = [b for v in lazy.data_vars for b in lazy[v].data.to_delayed().ravel()]
        dask.compute(*blocks)  # every chunk of every driver, as a run computes them (never a whole array)
    loaded = lazy.compute()
    one_chunk = eager.sizes["time"] * 4 * 4
    assert len(seen) > 20 and max(seen) <= one_chunk < eager["ndvi"].size
    xr.testing.assert_identical(loaded, eager)


def test_a_chunked_load_warps_a_coarser_climate_file_lazily(tmp_path):
    """ERA5-Land at 0.1 deg beside 0.05 deg NDVI (the usual case: climate coarser than the grid): the chunked load
    keeps the warped climate lazy (before issue 14's last step it was read whole by rioxarray's reproject_match)
    and gives the eager load's numbers; the warped temperature stays between the file's extremes."""
    from .test_io_config import era5_like

    folder = write_driver_files(tmp_path / "data")
    fine = era5_like()
    coarse = fine.isel(latitude=slice(0, None, 2), longitude=slice(0, None, 2)).assign_coords(
        latitude=np.round(np.arange(23.0 - 0.05, 22.5, -0.1), 4), longitude=np.round(np.arange(113.05, 113.5, 0.1), 4))
    coarse.to_netcdf(folder / "era5.nc")  # over the 0.05 deg one: 5 x 5 cells of 0.1 deg on the same box
    path = write_config(folder, loader_config(grid="ndvi"))
    eager = io.load_drivers(path)
    lazy = io.load_drivers(path, chunks={"time": -1, "y": 4, "x": 4})
    assert eager.sizes == {"time": 12, "y": 10, "x": 10}
    for name in ("tmean", "precip", "srad"):  # dask graphs of tasks, holding no block already read and warped
        graph = dict(lazy[name].data.__dask_graph__())
        held = [getattr(v, "value", v) for v in graph.values()]
        assert not any(isinstance(v, np.ndarray) and v.ndim >= 2 and min(v.shape[-2:]) > 1 for v in held), name
    xr.testing.assert_identical(lazy.compute(), eager)
    t2m = coarse["t2m"] - 273.15
    low, high = float(t2m.min()) - 1e-4, float(t2m.max()) + 1e-4
    assert low <= float(eager["tmean"].min()) <= float(eager["tmean"].max()) <= high
