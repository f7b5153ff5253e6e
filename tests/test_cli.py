"""The batch command line."""

import json

import xarray as xr

from carbontools.cli import main


def test_run_demo_writes_netcdf(tmp_path):
    out = tmp_path / "demo.nc"
    assert main(["run", "--demo", "--size", "24", "--out", str(out), "--set", "te2_c=1.1814",
                 "--set", 'eps_max={"4": 0.7}', "--rh", "q10", "--set", "q10=2.5"]) == 0
    with xr.open_dataset(out) as ds:
        assert {"npp", "rh", "nep", "nep_annual"} <= set(ds.data_vars)
        params = json.loads(ds.attrs["parameters"])
        assert params["casa"]["te2_c"] == 1.1814 and params["casa"]["eps_max"]["4"] == 0.7
        assert params["rh"]["q10"] == 2.5 and ds.attrs["rh_model"] == "q10"
        assert ds["nep"].attrs["units"] == "g m-2 month-1" and ds["nep"].attrs["carbon_basis"] == "C"


def test_run_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "keep.nc"
    out.write_text("user data")
    assert main(["run", "--demo", "--size", "16", "--out", str(out)]) == 2
    assert out.read_text() == "user data"
    assert "--overwrite" in capsys.readouterr().err


def test_run_needs_a_source(tmp_path, capsys):
    assert main(["run", "--out", str(tmp_path / "x.nc")]) == 2
    assert "--demo or --drivers" in capsys.readouterr().err


def test_run_on_a_drivers_file(tmp_path):
    from carbontools import demo

    path = tmp_path / "drivers.nc"
    demo.delta_city(size=16).to_netcdf(path, engine="h5netcdf")
    out = tmp_path / "result.nc"
    assert main(["run", "--drivers", str(path), "--out", str(out)]) == 0
    with xr.open_dataset(out) as ds:
        assert ds["npp"].sizes == {"time": 24, "y": 16, "x": 16}
