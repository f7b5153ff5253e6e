"""load_drivers on the user's own files: the config is checked before any file is read, every problem is named
with its key and the fix, and a month a driver lacks is an error, never a month of NaN (issue 11)."""

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml

import carbontools as ct
from carbontools import io
from carbontools.io import drivers as drivers_module
from carbontools.io.config import ConfigError, parse_period

from .test_io import write_geotiff

# the NDVI grid: 10 x 10 cells of 0.05 deg (the ERA5-like file and the land cover are written on it too, so
# that regridding is the identity and the expected values come straight from the files)
LAT = np.round(np.arange(23.0 - 0.025, 22.5, -0.05), 4)
LON = np.round(np.arange(113.0 + 0.025, 113.5, 0.05), 4)
DOYS = list(range(1, 366, 16))  # the 23 MOD13 16-day composites of a year
CLCD_CODES = [1, 2, 4, 5, 8]
WORLDCOVER_CODES = [10, 20, 30, 40, 50, 60, 80]


def ndvi_raw(doy: int) -> np.ndarray:
    rng = np.random.default_rng(doy)
    season = 0.5 + 0.3 * np.sin((doy - 80) / 365 * 2 * np.pi)
    raw = (10000 * np.clip(season + 0.05 * rng.standard_normal((10, 10)), 0, 0.95)).astype("int16")
    if doy == 17:
        raw[0, 0] = -3000  # fill in one January composite only
    return raw


def write_modis(folder, year=2021, doys=DOYS):
    for doy in doys:
        write_geotiff(folder / f"MOD13Q1.A{year}{doy:03d}.h28v06.061.tif", ndvi_raw(doy), lat=LAT, lon=LON)


def era5_like(months=pd.date_range("2021-01-01", periods=12, freq="MS")) -> xr.Dataset:
    rng = np.random.default_rng(0)
    shape = (len(months), len(LAT), len(LON))
    dims = ("valid_time", "latitude", "longitude")
    return xr.Dataset(
        {"t2m": (dims, 288.0 + 10 * rng.random(shape), {"units": "K"}),
         "tp": (dims, 0.002 + 0.006 * rng.random(shape), {"units": "m"}),
         "ssrd": (dims, 1.2e7 + 4e6 * rng.random(shape), {"units": "J m**-2"})},
        coords={"valid_time": months, "latitude": LAT, "longitude": LON})


def landcover_codes(codes) -> np.ndarray:
    return np.random.default_rng(3).choice(codes, size=(10, 10)).astype("uint8")


def write_driver_files(folder):
    """A year of MOD13-like NDVI, an ERA5-Land-like file and a CLCD map, written into ``folder`` (created)."""
    folder.mkdir()
    write_modis(folder)
    era5_like().to_netcdf(folder / "era5.nc")
    write_geotiff(folder / "clcd.tif", landcover_codes(CLCD_CODES), lat=LAT, lon=LON, nodata=0)
    return folder


@pytest.fixture
def files(tmp_path):
    """A year of MOD13-like NDVI, an ERA5-Land-like file and a CLCD map, in tmp_path/data."""
    return write_driver_files(tmp_path / "data")


def config(**changes):
    cfg = {"ndvi": "MOD13Q1.A2021*.tif", "era5_land": "era5.nc", "landcover": {"path": "clcd.tif", "scheme": "clcd"}}
    cfg.update(changes)
    return {k: v for k, v in cfg.items() if v is not None}


def write_config(folder, cfg, suffix=".yaml"):
    path = folder / f"config{suffix}"
    path.write_text(yaml.safe_dump(cfg) if suffix == ".yaml" else json.dumps(cfg))
    return path


def expected_ndvi(month: int) -> np.ndarray:
    """The monthly maximum of the composites that start in ``month`` (2021), fill as NaN, x 0.0001."""
    layers = []
    for doy in DOYS:
        if (pd.Timestamp(2021, 1, 1) + pd.Timedelta(days=doy - 1)).month == month:
            raw = ndvi_raw(doy).astype("float32")
            layers.append(np.where(raw == -3000, np.nan, raw) * np.float32(1e-4))
    return np.fmax.reduce(layers)


# --- the happy path is today's result -------------------------------------------------------------

def check_values_of_the_files(ds: xr.Dataset, months):
    era5 = era5_like()
    assert list(ds["time"].values) == list(pd.DatetimeIndex([f"2021-{m:02d}-01" for m in months]))
    assert ds.sizes == {"time": len(months), "y": 10, "x": 10}
    assert ds.rio.crs.to_epsg() == 4326 and ds.attrs["source"] == "carbontools.io.load_drivers"
    for i, m in enumerate(months):
        np.testing.assert_allclose(ds["ndvi"].isel(time=i), expected_ndvi(m), rtol=1e-6)
        days = pd.Timestamp(2021, m, 1).days_in_month
        raw = era5.isel(valid_time=m - 1)
        np.testing.assert_allclose(ds["tmean"].isel(time=i), raw["t2m"] - 273.15, atol=1e-4)
        np.testing.assert_allclose(ds["precip"].isel(time=i), raw["tp"] * 1000 * days, rtol=1e-5)
        np.testing.assert_allclose(ds["srad"].isel(time=i), raw["ssrd"] * days / 1e6, rtol=1e-5)
    assert ds["ndvi"].attrs["units"] == "1" and ds["precip"].attrs["units"] == "mm month-1"
    np.testing.assert_array_equal(ds["landcover"], landcover_codes(CLCD_CODES))
    assert ds["landcover"].attrs["scheme"] == "clcd" and ds["landcover"].attrs["nodata"] == 0


def test_period_forms_people_write_give_the_values_of_the_files(files):
    # ["2021-01", "2021-12"] and no period are today's forms: their result must stay what it was
    for period in (["2021-01", "2021-12"], None, "2021", 2021, [2021, 2021], ["2021-01-01", "2021-12-31"]):
        ds = io.load_drivers(write_config(files, config(period=period)))
        check_values_of_the_files(ds, range(1, 13))


def test_one_month_and_a_span_of_months(files):
    check_values_of_the_files(io.load_drivers(write_config(files, config(period="2021-03"))), [3])
    ds = io.load_drivers(write_config(files, config(period=["2021-02", "2021-11"]), suffix=".json"))
    check_values_of_the_files(ds, range(2, 12))


def test_dict_json_and_yaml_configs_give_identical_drivers(files, monkeypatch):
    monkeypatch.chdir(files)
    from_dict = io.load_drivers(config(period=["2021-01", "2021-12"]))
    xr.testing.assert_identical(from_dict, io.load_drivers(write_config(files, config(period="2021"))))
    xr.testing.assert_identical(from_dict, io.load_drivers(write_config(files, config(period=[2021, 2021]), ".json")))


def test_parse_period():
    m = lambda s: pd.Period(s, freq="M")  # noqa: E731
    assert parse_period("2021") == parse_period(2021) == parse_period([2021]) == (m("2021-01"), m("2021-12"))
    assert parse_period("2021-03") == (m("2021-03"), m("2021-03"))
    assert parse_period([2021, 2022]) == parse_period(["2021-01", "2022-12"]) == (m("2021-01"), m("2022-12"))
    assert parse_period(["2021-02-15", "2021-06-30"]) == (m("2021-02"), m("2021-06"))  # a date stands for its month
    import datetime

    assert parse_period([datetime.date(2021, 1, 1), datetime.date(2021, 12, 31)]) == (m("2021-01"), m("2021-12"))
    for bad, message in [("2021-13", r"'2021-13' is not a year or a month; write '2021' \(the whole year\)"),
                         ([2022, 2021], r"starts at 2022-01 after it ends at 2021-12"),
                         (["2021-01", "2021-06", "2021-12"], r"has 3 items; give \[first, last\]"),
                         (True, r"True is not a year or a month"), ({"start": 2021}, r"is not a period"),
                         ("21", r"'21' is not a year or a month")]:
        with pytest.raises(ValueError, match=message):
            parse_period(bad)


# --- item 1: a missing month ------------------------------------------------------------------------

def test_missing_june_composites_are_refused_with_the_month_named(files):
    for doy in (161, 177):  # the two composites that start in June
        (files / f"MOD13Q1.A2021{doy:03d}.h28v06.061.tif").unlink()
    for period in (None, "2021", ["2021-01", "2021-06"]):
        with pytest.raises(ValueError, match=r"ndvi lacks \['2021-06'\] \(its 21 MOD13 files cover 2021-01\.\.2021-05, "
                                             r"2021-07\.\.2021-12\)\. Add the files of the missing months, or "
                                             r"(set|narrow) period to months every driver covers, e\.g\. "
                                             r"period: \['2021-07', '2021-12'\]"):
            io.load_drivers(write_config(files, config(period=period)))
    ds = io.load_drivers(write_config(files, config(period=["2021-07", "2021-12"])))  # the advice works
    check_values_of_the_files(ds, range(7, 13))
    assert bool(ds["ndvi"].isel(x=slice(1, None)).notnull().all())


def test_a_gap_in_a_raster_driver_is_refused_too(files):
    da = xr.DataArray(np.full((11, 10, 10), 60.0), dims=("time", "y", "x"), name="et", attrs={"units": "mm month-1"},
                      coords={"time": pd.date_range("2021-01-01", periods=12, freq="MS").delete(4), "y": LAT, "x": LON})
    da.to_netcdf(files / "et.nc")
    with pytest.raises(ValueError, match=r"do not cover the same months: et lacks \['2021-05'\] \(et.nc covers "
                                         r"2021-01\.\.2021-04, 2021-06\.\.2021-12\)"):
        io.load_drivers(write_config(files, config(et={"path": "et.nc"})))


def test_gapfill_fills_a_missing_ndvi_month_and_says_so(files):
    """June's composites deleted: with gapfill, June is the line between May and July (a 1-month gap <= 2)."""
    for doy in (161, 177):  # the two composites that start in June
        (files / f"MOD13Q1.A2021{doy:03d}.h28v06.061.tif").unlink()
    ds = io.load_drivers(write_config(files, config(gapfill=True)))
    assert ds.sizes["time"] == 12
    june = ds["ndvi"].sel(time="2021-06-01")
    # linear in the month index: June = (May + July) / 2 wherever both are observed
    np.testing.assert_allclose(june, (expected_ndvi(5) + expected_ndvi(7)) / 2, rtol=1e-6)
    # 1 month of 12 filled on every pixel where May and July are observed (the fill pixel of the first
    # composites is NaN in January only, and January is not next to June)
    assert ds["ndvi"].attrs["gapfill_interpolated_pct"] == pytest.approx(100 / 12)
    result = ct.run(ds)
    assert json.loads(result.attrs["ndvi_gap_filling"])["gapfill_interpolated_pct"] == pytest.approx(100 / 12)


def test_gapfill_fills_only_ndvi(files):
    da = xr.DataArray(np.full((11, 10, 10), 60.0), dims=("time", "y", "x"), name="et", attrs={"units": "mm month-1"},
                      coords={"time": pd.date_range("2021-01-01", periods=12, freq="MS").delete(4), "y": LAT, "x": LON})
    da.to_netcdf(files / "et.nc")
    with pytest.raises(ValueError, match=r"et lacks \['2021-05'\]"):
        io.load_drivers(write_config(files, config(et={"path": "et.nc"}, gapfill={"max_gap": 1})))


def test_gapfill_entries_are_checked():
    with pytest.raises(ConfigError) as err:
        io.load_drivers({"ndvi": "x.tif", "landcover": {"path": "lc.tif", "scheme": "clcd"},
                         "gapfill": {"max_gap": 1.5, "method": "linear"}})
    text = str(err.value)
    assert "gapfill.method: unknown key" in text and "gapfill.max_gap: expected a whole number of months" in text
    with pytest.raises(ConfigError, match=r"gapfill: expected true, false or \{max_gap"):
        io.load_drivers({"ndvi": "x.tif", "landcover": {"path": "lc.tif", "scheme": "clcd"}, "gapfill": "yes"})


# --- item 5: a period beyond the data ----------------------------------------------------------------

def test_a_period_beyond_the_data_is_refused_naming_each_drivers_missing_months(files):
    with pytest.raises(ValueError) as err:
        io.load_drivers(write_config(files, config(period=["2020-07", "2022-06"])))
    text = str(err.value)
    assert text.startswith("drivers lack months of the period 2020-07..2022-06: ")
    assert ("tmean, precip, srad lack 12 months (2020-07..2020-12, 2022-01..2022-06) (era5.nc covers 2021-01..2021-12)"
            in text)
    assert ("ndvi lacks 12 months (2020-07..2020-12, 2022-01..2022-06) (its 23 MOD13 files cover 2021-01..2021-12)"
            in text)
    assert text.endswith("or narrow period to months every driver covers, e.g. period: ['2021-01', '2021-12']")


def test_drivers_of_different_years_are_told_they_share_no_month(files):
    era5_like(pd.date_range("2022-01-01", periods=12, freq="MS")).to_netcdf(files / "era5_2022.nc")
    with pytest.raises(ValueError, match=r"ndvi lacks 12 months \(2022-01\.\.2022-12\) .*\. The drivers share no "
                                         r"month at all: check that the files are of the same years"):
        io.load_drivers(write_config(files, config(era5_land="era5_2022.nc")))


# --- item 7: config mistakes, found before any file is read -----------------------------------------

@pytest.fixture
def no_reading(monkeypatch):
    """Make any data read fail: the config checks must come first."""
    def refuse(*args, **kwargs):
        raise AssertionError("a data file was read before the config was checked")

    for name in ("read_era5_land", "read_modis_ndvi", "read_landcover", "read_raster"):
        monkeypatch.setattr(drivers_module, name, refuse)


def problems_of(cfg, folder=None, suffix=".yaml") -> list[str]:
    with pytest.raises(ConfigError) as err:
        io.load_drivers(write_config(folder, cfg, suffix) if folder is not None else cfg)
    return err.value.problems


def test_a_misspelled_nested_key_is_named_with_the_key_it_should_be(files, no_reading):
    cfg = config(landcover={"path": "clcd.tif", "sheme": "clcd"})
    assert problems_of(cfg, files) == ["landcover.sheme: unknown key; did you mean 'scheme'?"]
    with pytest.raises(ValueError, match=r"config.yaml: landcover.sheme: unknown key; did you mean 'scheme'\?$"):
        io.load_drivers(write_config(files, cfg))


def test_file_instead_of_path(files, no_reading):
    cfg = config(ndvi={"file": "MOD13Q1.A2021*.tif"}, era5_land={"file": "era5.nc"},
                 landcover={"file": "clcd.tif", "scheme": "clcd"})
    assert problems_of(cfg, files) == ["ndvi.file: unknown key; did you mean 'path'?",
                                       "era5_land.file: unknown key; did you mean 'path'?",
                                       "landcover.file: unknown key; did you mean 'path'?"]


def test_every_problem_in_one_message_with_its_key_path(files, no_reading):
    cfg = {"ndvi": "MOD13Q1.A2022*.tif", "era5_land": 5,
           "landcover": {"path": "clcd.tif", "scheme": "CLCD", "nodata": "none"},
           "impervious": {"path": "imp.tif", "unit": "%"}, "period": "2021-13", "grid": "ndiv", "landcovr": {}}
    problems = problems_of(cfg, files)
    folder = f"in {files} (relative paths start at the config file's folder)"
    assert problems == [
        "landcovr: unknown key; did you mean 'landcover'?",
        f"ndvi.path: no file matches 'MOD13Q1.A2022*.tif' {folder}",
        "era5_land: expected a path or a mapping such as {path: era5land_monthly.nc}, got 5 (int)",
        "landcover.scheme: 'CLCD' unknown; did you mean 'clcd'? the schemes are casa, igbp, worldcover, clcd",
        "landcover.nodata: expected a number (the code of pixels without data), got 'none'",
        "impervious.unit: unknown key; did you mean 'units'?",
        f"impervious.path: no file matches 'imp.tif' {folder}",
        "period: '2021-13' is not a year or a month; write '2021' (the whole year), '2021-03' (one month), "
        "['2021-01', '2022-12'] or [2021, 2022]",
        f"grid: no file matches 'ndiv' {folder}; or did you mean the driver 'ndvi'?",
    ]
    with pytest.raises(ConfigError, match=r"config.yaml has 9 problems:\n- landcovr: unknown key"):
        io.load_drivers(write_config(files, cfg))


def test_missing_files_are_looked_for_in_the_config_files_folder(tmp_path, files, monkeypatch, no_reading):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the working folder is not where relative paths start
    problems = problems_of(config(era5_land="era5_2021.nc"), files)
    assert problems == [f"era5_land.path: no file matches 'era5_2021.nc' in {files} (relative paths start at the "
                        "config file's folder)"]
    problems = problems_of(config(era5_land="era5_2021.nc", ndvi=str(files / "MOD13Q1.A2021*.tif")))
    assert f"no file matches 'era5_2021.nc' in {elsewhere} (relative paths start at the working folder, since the " \
           "config is a dict)" in problems[0]


def test_wrong_types_and_values_name_the_key(files, no_reading):
    cfg = config(ndvi={"path": "MOD13Q1.A2021*.tif", "max_reliability": 7, "units": "1", "dates": ["2021-01-01"]},
                 grid=3, tmean={"path": "era5.nc", "kind": "modis"}, landcover={"path": "clcd.tif"})
    problems = problems_of(cfg, files)
    assert problems == [
        "ndvi.units: MOD13 files are read with the product's own scale (int16 x 0.0001), so units do not apply; "
        "remove units, or add variable (and kind: raster) to read another raster",
        "ndvi.max_reliability: expected 0, 1, 2 or 3 (0 good, 1 marginal, 2 snow/ice, 3 cloudy), got 7",
        "ndvi.dates: 1 dates for 23 files; give one date per file",
        "tmean.kind: 'modis' unknown; use 'raster' (only ndvi can be read as MOD13 files)",
        "landcover.scheme: missing; say which codes the map holds: one of casa, igbp, worldcover, clcd",
        "grid: expected a driver name (tmean, precip, srad, ndvi, landcover) or a raster path, got 3",
    ]
    assert problems_of({"era5_land": "era5.nc"}, files) == [
        "landcover: missing; give {path: ..., scheme: one of casa, igbp, worldcover, clcd}",
        "ndvi: missing; give ndvi (MOD13 GeoTIFFs, or {path, variable, units}) or fpar"]


def test_a_pattern_matching_several_files_where_one_is_needed(files, no_reading):
    era5_like().to_netcdf(files / "era5_copy.nc")
    assert problems_of(config(era5_land="era5*.nc"), files) == [
        "era5_land.path: 'era5*.nc' matches 2 files (era5.nc, era5_copy.nc); give exactly one file"]


def test_a_config_file_that_is_not_a_mapping(files):
    path = files / "config.yaml"
    path.write_text("- ndvi\n- era5_land\n")
    with pytest.raises(ValueError, match=r"config.yaml: the config must be a mapping of keys \['ndvi'"):
        io.load_drivers(path)
    path.write_text("ndvi: [unclosed\n")
    with pytest.raises(ValueError, match=r"config.yaml: not valid YAML"):
        io.load_drivers(path)
    with pytest.raises(FileNotFoundError, match=r"config file .*nothere.yaml' does not exist"):
        io.load_drivers(files / "nothere.yaml")


def test_worldcover_codes_declared_as_clcd_name_the_scheme_they_match(files):
    write_geotiff(files / "worldcover.tif", landcover_codes(WORLDCOVER_CODES), lat=LAT, lon=LON)
    cfg = config(landcover={"path": "worldcover.tif", "scheme": "clcd"})
    with pytest.raises(ValueError, match=r"landcover: the codes 10, 20, 30, 40, 50, 60, 80 of worldcover.tif are not "
                                         r"CLCD codes \(landcover.scheme: clcd\), but all of them match the "
                                         r"'worldcover' scheme; set landcover.scheme: worldcover"):
        io.load_drivers(write_config(files, cfg))
    ds = io.load_drivers(write_config(files, config(landcover={"path": "worldcover.tif", "scheme": "worldcover"})))
    assert ds["landcover"].attrs["scheme"] == "worldcover"


def test_a_fill_code_in_the_land_cover_asks_for_nodata(files):
    codes = landcover_codes(CLCD_CODES)
    codes[0, :3] = 255
    write_geotiff(files / "clcd255.tif", codes, lat=LAT, lon=LON)
    cfg = config(landcover={"path": "clcd255.tif", "scheme": "clcd"})
    with pytest.raises(ValueError, match=r"255 is not a CLCD code .*no scheme \(casa, igbp, worldcover, clcd\) holds "
                                         r"them all\. If 255 marks pixels without data, set landcover.nodata: 255"):
        io.load_drivers(write_config(files, cfg))
    fixed = config(landcover={"path": "clcd255.tif", "scheme": "clcd", "nodata": 255})
    ds = io.load_drivers(write_config(files, fixed))
    assert ds["landcover"].attrs["nodata"] == 255
