"""Batch runs from a run config (issue 14): the files and tables a run writes, chunked = in memory, atomic
writes, --resume and refusals, bad configs refused before any computation, and a LocalCluster run.

The drivers are files written the way providers ship them (MOD13 GeoTIFFs, an ERA5-Land-like NetCDF, a
CLCD GeoTIFF; the writers of tests/test_io_config.py) into tmp_path; the run config points at them.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
import xarray as xr
import yaml

import carbontools as ct
from carbontools import batch, io, pipeline
from carbontools.cli import main
from carbontools.io.config import ConfigError

from .test_io_config import CLCD_CODES, LAT, LON, write_driver_files

YEAR = 2021
ANNUAL = ("npp_annual", "rh_annual", "nep_annual")


@pytest.fixture
def data(tmp_path):
    """A year of MOD13-like NDVI, an ERA5-Land-like file, a CLCD map and two district polygons, in tmp_path/data."""
    import geopandas as gpd
    from shapely.geometry import box

    folder = write_driver_files(tmp_path / "data")
    # the west and east halves of the 10 x 10 grid of 0.05 degree cells (113.0..113.5 E, 22.5..23.0 N)
    gpd.GeoDataFrame({"NAME": ["West", "East"]},
                     geometry=[box(113.0, 22.5, 113.25, 23.0), box(113.25, 22.5, 113.5, 23.0)],
                     crs="EPSG:4326").to_file(folder / "districts.geojson")
    return folder


LOADER = {"ndvi": "MOD13Q1.A2021*.tif", "era5_land": "era5.nc", "landcover": {"path": "clcd.tif", "scheme": "clcd"}}


def run_cfg(output="out", **changes):
    cfg = {"drivers": dict(LOADER), "rh": "q10", "parameters": {"q10": 2.2, "te2_c": 1.1814},
           "regions": {"path": "districts.geojson", "name_column": "NAME"}, "chunks": {"y": 4, "x": 4},
           "output": output}
    cfg.update(changes)
    return {k: v for k, v in cfg.items() if v is not None}


def write_cfg(folder, cfg, name="run.yaml"):
    path = folder / name
    path.write_text(yaml.safe_dump(cfg))
    return path


def in_memory_result(folder):
    """The reference: the same drivers loaded into memory and run without dask."""
    drivers = io.load_drivers({k: (str(folder / v) if isinstance(v, str) else {**v, "path": str(folder / v["path"])})
                               for k, v in LOADER.items()})
    return ct.run(drivers, rh="q10", q10=2.2, te2_c=1.1814)


EXPECTED_FILES = ["results.nc", *(f"maps/{v}_{YEAR}.tif" for v in ANNUAL), "tables/totals_by_region.csv",
                  "tables/totals_by_landcover.csv", "run.json"]


def listing(folder):
    """Every file below ``folder`` (hidden ones too) with its size and modification time in ns."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def spherical_area(lat, lon):
    """Cell areas (m2) of a regular geographic grid: R^2 * dlon * (sin(lat_n) - sin(lat_s)), written out here."""
    r = ct.grid.EARTH_RADIUS
    half = abs(lat[1] - lat[0]) / 2
    north, south = np.radians(lat + half), np.radians(lat - half)
    dlon = np.radians(abs(lon[1] - lon[0]))
    return (r ** 2 * dlon * (np.sin(north) - np.sin(south)))[:, None] * np.ones(len(lon))


# --- the files and tables of a run ------------------------------------------------------------------

def test_config_cli_writes_results_maps_tables_and_record(data, capsys):
    assert main(["run", str(write_cfg(data, run_cfg())), "--quiet"]) == 0
    out = data / "out"
    assert sorted(listing(out)) == sorted(EXPECTED_FILES)
    printed = capsys.readouterr().out
    assert "results.nc" in printed and "tables/totals_by_region.csv" in printed and "nep_annual total (t C yr-1)" in printed

    reference = in_memory_result(data)
    with xr.open_dataset(out / "results.nc", engine="h5netcdf", decode_coords="all") as res:
        # a chunked run (4 x 4 pixel chunks, written chunk by chunk) equals the in-memory run
        assert set(res.data_vars) == set(reference.data_vars)
        for name in reference.data_vars:
            np.testing.assert_array_equal(res[name].values, reference[name].values, err_msg=name)
            assert res[name].attrs["units"] == reference[name].attrs["units"]
        assert json.loads(res.attrs["parameters"])["rh"]["q10"] == 2.2
        nep = res["nep_annual"].sel(year=YEAR).values
        npp = res["npp_annual"].sel(year=YEAR).values
        lc = res["landcover"].values

    with rasterio.open(out / f"maps/nep_annual_{YEAR}.tif") as cog:
        assert cog.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG" and cog.crs.to_epsg() == 4326
        np.testing.assert_array_equal(cog.read(1), nep)
        np.testing.assert_allclose([cog.bounds.left, cog.bounds.top], [113.0, 23.0])

    # totals re-computed with numpy: g C m-2 yr-1 x m2 / 1e6 = t C, per half of the grid and per CLCD class
    area = spherical_area(LAT, LON)
    regions = pd.read_csv(out / "tables/totals_by_region.csv")
    west = np.arange(10) < 5
    for name, cols, values in (("West", west, nep), ("East", ~west, nep)):
        row = regions[(regions.variable == "nep_annual") & (regions.zone == name) & (regions.year == YEAR)]
        assert row["total"].item() == pytest.approx(np.nansum((values * area)[:, cols]) / 1e6, rel=1e-9)
        assert row["unit"].item() == "t C"
    by_class = pd.read_csv(out / "tables/totals_by_landcover.csv")
    forest = by_class[(by_class.variable == "npp_annual") & (by_class.zone == "forest")]  # CLCD 2 is forest
    assert forest["total"].item() == pytest.approx(np.nansum(np.where(lc == 2, npp * area, 0)) / 1e6, rel=1e-9)
    assert set(by_class.variable) == set(ANNUAL) and len(by_class) == 3 * len(CLCD_CODES)

    record = json.loads((out / "run.json").read_text())
    assert record["status"] == "complete" and record["config"]["rh"] == "q10"
    assert record["config"]["drivers"]["era5_land"] == str(data / "era5.nc")  # resolved against the config's folder
    assert {"carbontools", "xarray", "dask", "numpy"} <= set(record["versions"])
    written = {f["path"]: f["bytes"] for f in record["summary"]["files"]}
    assert written["results.nc"] == (out / "results.nc").stat().st_size
    assert record["summary"]["totals"]["nep_annual"][str(YEAR)] == pytest.approx(np.nansum(nep * area) / 1e6, rel=1e-9)


def test_zarr_results_equal_the_in_memory_run_and_outputs_select_variables(data):
    summary = batch.run_config(write_cfg(data, run_cfg(format="zarr", outputs=["nep", "nep_annual", "npp_annual"],
                                                       maps=["nep_annual"], tables={"variables": ["nep_annual"],
                                                                                     "unit": "kt C"})))
    out = data / "out"
    assert [f["path"] for f in summary["files"]] == ["results.zarr", f"maps/nep_annual_{YEAR}.tif",
                                                    "tables/totals_by_region.csv", "tables/totals_by_landcover.csv",
                                                    "run.json"]
    reference = in_memory_result(data)
    with xr.open_zarr(out / "results.zarr", decode_coords="all") as res:
        assert set(res.data_vars) == {"nep", "nep_annual", "npp_annual", "landcover_casa", "landcover"}
        assert res["nep"].encoding["chunks"] == (12, 4, 4)  # written chunk by chunk in the config's chunks
        for name in res.data_vars:
            np.testing.assert_array_equal(res[name].values, reference[name].values, err_msg=name)
    table = pd.read_csv(out / "tables/totals_by_region.csv")
    assert set(table["unit"]) == {"kt C"} and set(table["variable"]) == {"nep_annual"}
    assert not [p for p in out.rglob("*") if ".partial" in p.name]


# --- interrupted runs, --resume, refusals --------------------------------------------------------------

class Killed(Exception):
    pass


def kill_at_call(monkeypatch, n):
    """The n-th atomic write (1: the first run record) dies after writing its file, before the rename.

    ``calls[-1]`` is then (name, whether the final name existed when the write died): a process killed there
    (SIGKILL: no clean-up) leaves what is on disk at that moment."""
    real = batch._atomic_file
    calls = []

    def dying(final, write):
        calls.append(final.name)
        if len(calls) == n:
            def write_then_die(tmp):
                write(tmp)
                calls[-1] = (final.name, final.exists())
                raise Killed(f"killed while writing {final.name}")
            return real(final, write_then_die)
        return real(final, write)

    monkeypatch.setattr(batch, "_atomic_file", dying)
    return calls


def assert_same_outputs(a, b):
    with xr.open_dataset(a / "results.nc", engine="h5netcdf") as ra, xr.open_dataset(b / "results.nc",
                                                                                      engine="h5netcdf") as rb:
        xr.testing.assert_identical(ra, rb)
    for name in EXPECTED_FILES[1:-1]:
        if name.endswith(".csv"):
            assert (a / name).read_bytes() == (b / name).read_bytes(), name
        else:
            with rasterio.open(a / name) as fa, rasterio.open(b / name) as fb:
                np.testing.assert_array_equal(fa.read(), fb.read())
                pa, pb = dict(fa.profile), dict(fb.profile)
                assert np.isnan(pa.pop("nodata")) and np.isnan(pb.pop("nodata")) and pa == pb


def test_a_run_killed_midway_leaves_no_final_file_and_resumes_to_the_same_outputs(data, monkeypatch):
    cfg = write_cfg(data, run_cfg())
    calls = kill_at_call(monkeypatch, 3)  # 1: record, 2: results.nc, 3: the first map
    with pytest.raises(Killed):
        batch.run_config(cfg, progress=False)
    assert calls[-1] == (f"npp_annual_{YEAR}.tif", False)  # written under another name
    out = data / "out"
    left = listing(out)
    assert sorted(left) == ["results.nc", "run.json"]  # no map or table under its name, no temporary left
    assert json.loads((out / "run.json").read_text())["status"] == "running"
    monkeypatch.undo()

    assert main(["run", str(cfg), "--quiet"]) == 2  # neither --resume nor --overwrite: refused, nothing changed
    assert listing(out) == left
    assert main(["run", str(cfg), "--quiet", "--resume"]) == 0
    after = listing(out)
    assert after["results.nc"] == left["results.nc"]  # finished: kept as it was (same size and mtime)
    assert sorted(after) == sorted(EXPECTED_FILES)
    record = json.loads((out / "run.json").read_text())
    assert {f["path"]: f["status"] for f in record["summary"]["files"]}["results.nc"] == "kept"

    assert main(["run", str(write_cfg(data, run_cfg(output="uninterrupted"), "other.yaml")), "--quiet"]) == 0
    assert_same_outputs(out, data / "uninterrupted")


def test_a_netcdf_write_that_dies_leaves_nothing_under_the_final_name(data, monkeypatch):
    real = xr.Dataset.to_netcdf

    def half_then_die(self, path, *args, **kwargs):
        real(self.isel(time=slice(0, 2)), path, *args, **kwargs)  # some bytes on disk, as a killed writer leaves
        written.append(Path(path).name)
        raise Killed("killed inside to_netcdf")

    written = []

    monkeypatch.setattr(xr.Dataset, "to_netcdf", half_then_die)
    with pytest.raises(Killed):
        batch.run_config(write_cfg(data, run_cfg()), progress=False)
    assert written == [".results.nc.partial"]  # never the final name, even while writing
    assert sorted(listing(data / "out")) == ["run.json"]


def test_an_interrupted_zarr_store_resumes_at_its_first_band_not_written(data, monkeypatch):
    cfg = write_cfg(data, run_cfg(format="zarr", maps=False, tables=False, regions=None))
    real = xr.Dataset.to_zarr
    regions_written = []

    def counting(self, store, *args, region=None, **kwargs):
        if region is not None:
            if len(regions_written) == 2 and not resumed:
                raise Killed("killed after two bands")
            regions_written.append(region["y"])
        return real(self, store, *args, region=region, **kwargs)

    resumed = False
    monkeypatch.setattr(xr.Dataset, "to_zarr", counting)
    with pytest.raises(Killed):
        batch.run_config(cfg, progress=False)
    out = data / "out"
    assert not (out / "results.zarr").exists() and (out / ".results.zarr.partial").is_dir()
    resumed = True
    batch.run_config(cfg, resume=True, progress=False)
    # 10 rows in bands of 4: [0, 4), [4, 8), [8, 10); the resumed run wrote only the last band
    assert regions_written == [slice(0, 4), slice(4, 8), slice(8, 10)]
    assert not [p for p in out.rglob("*") if ".partial" in p.name]
    reference = in_memory_result(data)
    with xr.open_zarr(out / "results.zarr") as res:
        for name in reference.data_vars:
            np.testing.assert_array_equal(res[name].values, reference[name].values, err_msg=name)


def test_resume_after_a_complete_run_touches_nothing(data):
    cfg = write_cfg(data, run_cfg())
    batch.run_config(cfg, progress=False)
    before = listing(data / "out")
    summary = batch.run_config(cfg, resume=True, progress=False)
    assert listing(data / "out") == before
    assert {f["status"] for f in summary["files"]} == {"kept"}


def test_refusals_change_nothing(data, capsys):
    cfg = write_cfg(data, run_cfg())
    batch.run_config(cfg, progress=False)
    out = data / "out"
    before = listing(out)
    with pytest.raises(batch.OutputsExist, match=r"holds outputs of a run already .*nothing was changed. Pass --resume"):
        batch.run_config(cfg, progress=False)
    assert listing(out) == before
    other = write_cfg(data, run_cfg(parameters={"q10": 2.0}), "other.yaml")  # another config, same directory
    assert main(["run", str(other), "--resume", "--quiet"]) == 2
    assert "was written by another config" in capsys.readouterr().err
    assert listing(out) == before
    # a file of the user's where the record goes: refused too, and kept
    (data / "mine").mkdir()
    (data / "mine" / "run.json").write_text("my notes")
    with pytest.raises(batch.OutputsExist):
        batch.run_config(write_cfg(data, run_cfg(output="mine")), progress=False)
    with pytest.raises(batch.OutputsExist, match="no readable run record"):
        batch.run_config(write_cfg(data, run_cfg(output="mine")), resume=True, progress=False)
    assert (data / "mine" / "run.json").read_text() == "my notes"
    # --overwrite replaces every output
    batch.run_config(other, overwrite=True, progress=False)
    after = listing(out)
    assert sorted(after) == sorted(before) and all(after[k][1] != before[k][1] for k in before)


# --- bad configs fail before any computation and before any file is written ---------------------------

@pytest.fixture
def no_computing(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the model ran before the config was checked")

    monkeypatch.setattr(pipeline, "run", refuse)
    monkeypatch.setattr(batch, "_write_results", refuse)


BAD = [
    (dict(outptu="out", output=None), ["outptu: unknown key; did you mean 'output'?"]),
    (dict(parameters={"q10": 2.2, "te2c": 1.1}),
     ["parameters.te2c: unknown parameter of CASA 'zhu2007' and Rh model 'q10'; did you mean 'te2_c'?"]),
    (dict(parameters={"e0": 300.0}),
     ["parameters.e0: unknown parameter of CASA 'zhu2007' and Rh model 'q10'; it belongs to the Rh model "
      "'lloyd_taylor'; set rh: lloyd_taylor"]),
    (dict(drivers={**LOADER, "landcover": {"path": "clcd.tif", "sheme": "clcd"}}),
     ["drivers.landcover.sheme: unknown key; did you mean 'scheme'?"]),
    (dict(drivers={**LOADER, "era5_land": "era5_2022.nc"}), ["drivers.era5_land.path: no file matches 'era5_2022.nc'"]),
    (dict(ndvi="x.tif"), ["ndvi: a key of the drivers' loader config; put it under drivers:"]),
    (dict(tables={"unit": "t C m-2"}), ["tables.unit: 't C m-2' unknown; give a mass of carbon"]),
    (dict(maps=["nep_annual"], outputs=["npp_annual"]), ["maps: 'nep_annual' is not among outputs"]),
    (dict(format="zar", chunks={"y": 0}), ["chunks.y: expected a number of pixels", "format: 'zar' unknown; did you mean 'zarr'?"]),
    (dict(regions={"path": "districts.geojson"}), ["regions: ", "has no column 'name'; its columns are ['NAME']; set regions.name_column"]),
    (dict(period=[2021, 2022]), ["period: drivers lack months of the period 2021-01..2022-12: drivers lacks 12 months "
                                 "(2022-01..2022-12)"]),
    (dict(drivers={**LOADER, "tmean": {"path": "era5.nc", "variable": "t2m", "units": "mm"}}),
     ["drivers: tmean has units 'mm', which carbontools cannot convert to 'degC'"]),  # a unit that is no temperature, found when the drivers are opened
]


@pytest.mark.parametrize("changes, expected", BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_configs_fail_before_computing_or_writing_naming_the_key(data, no_computing, changes, expected):
    cfg = write_cfg(data, run_cfg(**changes))
    with pytest.raises(ConfigError) as err:
        batch.run_config(cfg, progress=False)
    text = str(err.value)
    assert all(e in text for e in expected), text
    assert not (data / "out").exists()


def test_an_output_that_cannot_be_a_directory_is_refused(data, no_computing, capsys):
    (data / "taken").write_text("a file")
    assert main(["run", str(write_cfg(data, run_cfg(output="taken"))), "--quiet"]) == 2
    assert "output: " in capsys.readouterr().err and (data / "taken").read_text() == "a file"
    assert main(["run", str(write_cfg(data, run_cfg(output="taken/out"))), "--quiet"]) == 2
    assert "is not writable" in capsys.readouterr().err
    with pytest.raises(ValueError, match="scheduler 'slurm' unknown"):
        batch.run_config(write_cfg(data, run_cfg()), scheduler="slurm")
    assert not (data / "out").exists()


# --- dask.distributed ---------------------------------------------------------------------------------

def test_a_local_cluster_gives_the_outputs_of_the_threaded_scheduler(data):
    threads = batch.run_config(write_cfg(data, run_cfg(output="threads")), progress=False)
    local = batch.run_config(write_cfg(data, run_cfg(output="local"), "local.yaml"), scheduler="local", progress=False)
    assert threads["scheduler"] == "threads" and local["scheduler"].startswith("local cluster tcp://127.0.0.1:")
    assert_same_outputs(data / "threads", data / "local")


# --- memory: a run on a drivers file reads and computes it chunk by chunk ------------------------------

def largest_array(result) -> int:
    """Elements of the largest numpy array in a task's result (looking into tuples, lists and dicts)."""
    if isinstance(result, np.ndarray):
        return result.size
    if isinstance(result, (tuple, list)):
        return max((largest_array(r) for r in result), default=0)
    if isinstance(result, dict):
        return max((largest_array(r) for r in result.values()), default=0)
    return 0


@pytest.mark.parametrize("fmt", ["nc", "zarr"])
def test_a_run_on_a_drivers_file_never_computes_a_whole_monthly_array(data, fmt):
    """Every dask task of the run (reading, checking, the kernel, writing, maps, tables) yields at most one chunk of
    a monthly variable: a task that held a whole monthly driver or output would make the peak grow with the scene.
    The drivers file is written unchunked (contiguous HDF5, the way xarray writes by default), which the run must
    read window by window rather than whole; its results equal the in-memory run's."""
    from dask.callbacks import Callback

    reference_drivers = io.load_drivers({k: (str(data / v) if isinstance(v, str) else
                                             {**v, "path": str(data / v["path"])}) for k, v in LOADER.items()})
    path = data / f"drivers.{fmt}"
    if fmt == "nc":
        reference_drivers.to_netcdf(path, engine="h5netcdf")
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            assert ds["ndvi"].encoding["contiguous"]
    else:
        reference_drivers.to_zarr(path, zarr_format=2)  # one zarr chunk per variable (its default here)
    n_time, n_y, n_x = reference_drivers["ndvi"].shape
    assert (n_time, n_y, n_x) == (12, 10, 10)
    one_chunk = n_time * 4 * 4  # the config's chunks are 4 x 4 pixels over the whole year
    seen = []
    with Callback(posttask=lambda key, result, dsk, state, worker: seen.append(largest_array(result))):
        batch.run_config(write_cfg(data, run_cfg(drivers=path.name)), progress=False)
    assert len(seen) > 100  # the callback saw the run's tasks
    assert max(seen) <= one_chunk < n_time * n_y * n_x
    reference = ct.run(reference_drivers, rh="q10", q10=2.2, te2_c=1.1814)
    with xr.open_dataset(data / "out" / "results.nc", engine="h5netcdf", decode_coords="all") as res:
        for name in reference.data_vars:
            np.testing.assert_array_equal(res[name].values, reference[name].values, err_msg=name)


def test_the_tables_hold_one_chunk_of_an_annual_map_per_task_and_equal_the_dense_totals(data, monkeypatch):
    """While the tables and the summary totals are made, no dask task returns more than one 4 x 4 chunk of an
    annual map (the regions are rasterised block by block, the land cover read lazily), and the tables equal
    accounting.zonal_totals' dense (zone, y, x) path on the results read back whole."""
    from dask.callbacks import Callback

    from carbontools import accounting

    seen, phase = [], {"tables": False}
    for name in ("_totals_table", "_grid_totals"):
        original = getattr(batch, name)

        def watched(*args, _original=original, **kwargs):
            phase["tables"] = True
            try:
                return _original(*args, **kwargs)
            finally:
                phase["tables"] = False

        monkeypatch.setattr(batch, name, watched)
    with Callback(posttask=lambda key, result, dsk, state, worker: seen.append(largest_array(result))
                  if phase["tables"] else None):
        batch.run_config(write_cfg(data, run_cfg()), progress=False)
    assert len(seen) > 25  # the 3 x 3 blocks of each pass were seen
    assert max(seen) <= 4 * 4 < 10 * 10
    table = pd.read_csv(data / "out" / "tables" / "totals_by_region.csv")
    regions = io.read_regions(data / "districts.geojson", "NAME")
    with xr.open_dataset(data / "out" / "results.nc", engine="h5netcdf", decode_coords="all") as res:
        for variable in ANNUAL:
            dense = accounting.zonal_totals(res[variable].sel(year=YEAR, drop=True).load(), regions,
                                            unit="t C", method="dense")
            rows = table[(table["variable"] == variable) & (table["year"] == YEAR)].set_index("zone")
            np.testing.assert_allclose(rows.loc[list(dense.index), "total"], dense["total"], rtol=1e-9)
            np.testing.assert_array_equal(rows.loc[list(dense.index), "pixels"], dense["pixels"])
