"""The batch command line."""

import json

import pytest

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


# --- carbontools app --regions FILE --name-column COL (issue 11, item 12) ---------------------------

def user_files(tmp_path, shift=0.0):
    """A drivers NetCDF of the demo scene and district polygons of the user's own (other names, other column)."""
    from carbontools import demo

    drivers = tmp_path / "drivers.nc"
    demo.delta_city(size=16).to_netcdf(drivers, engine="h5netcdf")
    wards = demo.districts(size=16).rename(columns={"name": "WARD_NAME"})
    wards["WARD_NAME"] = [f"Ward {c}" for c in "ABCDEF"]
    wards["geometry"] = wards.translate(xoff=shift)
    wards.to_file(tmp_path / "wards.geojson")
    return drivers, tmp_path / "wards.geojson"


@pytest.fixture
def served(monkeypatch):
    """Capture what `carbontools app` would serve, instead of serving it."""
    import panel as pn

    apps = {}
    monkeypatch.setattr(pn, "serve", lambda panels, **kwargs: apps.update(panels, **{"kwargs": kwargs}))
    return apps


def test_app_shows_the_users_districts(tmp_path, served):
    drivers, wards = user_files(tmp_path)
    assert main(["app", "--drivers", str(drivers), "--regions", str(wards), "--name-column", "WARD_NAME",
                 "--port", "5999"]) == 0
    assert served["kwargs"]["port"] == 5999
    dash = served["dashboard"]().dashboard
    table = dash.district_table()
    assert list(table.index) == [f"Ward {c}" for c in "ABCDEF"]
    s = dash.summary()
    assert table["area (km2)"].sum() == pytest.approx(s["area_km2"], rel=1e-3)  # the wards tile the scene
    assert table["NEP (Gg C/yr)"].sum() == pytest.approx(s["nep_total"], abs=6 * 0.005)  # rounded to 0.01


def test_app_regions_default_to_a_name_column_called_name(tmp_path, served):
    from carbontools import demo

    drivers, _ = user_files(tmp_path)
    demo.districts(size=16).to_file(tmp_path / "d.gpkg")
    assert main(["app", "--drivers", str(drivers), "--regions", str(tmp_path / "d.gpkg")]) == 0
    assert "Old Town" in served["dashboard"]().dashboard.district_table().index


def test_app_region_mistakes_are_told_before_serving(tmp_path, served, capsys):
    drivers, wards = user_files(tmp_path)
    assert main(["app", "--drivers", str(drivers), "--regions", str(wards)]) == 2
    err = capsys.readouterr().err
    assert "has no column 'name'; its columns are ['WARD_NAME']; name the column with --name-column COL" in err
    assert main(["app", "--name-column", "WARD_NAME"]) == 2
    assert "--name-column needs --regions FILE" in capsys.readouterr().err
    assert main(["app", "--regions", str(tmp_path / "nowhere.geojson"), "--name-column", "x"]) == 2
    assert "regions file" in capsys.readouterr().err
    (tmp_path / "far").mkdir()
    far_drivers, far_wards = user_files(tmp_path / "far", shift=5e5)  # 500 km east of the scene
    assert main(["app", "--drivers", str(far_drivers), "--regions", str(far_wards), "--name-column", "WARD_NAME"]) == 2
    assert "none of the 6 regions covers a cell of the drivers" in capsys.readouterr().err
    assert served == {}  # nothing was served


# --- carbontools run CONFIG.yaml (issue 14) ------------------------------------------------------------

def test_run_config_on_a_drivers_netcdf(tmp_path, capsys):
    from carbontools import demo

    demo.delta_city(size=16).to_netcdf(tmp_path / "drivers.nc", engine="h5netcdf")
    (tmp_path / "run.yaml").write_text("drivers: drivers.nc\noutput: results\nperiod: 2022\nmaps: [nep_annual]\n"
                                       "casa: potter1993\n")
    assert main(["run", str(tmp_path / "run.yaml"), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "maps/nep_annual_2022.tif" in printed and "s on the threads scheduler" in printed
    with xr.open_dataset(tmp_path / "results" / "results.nc") as ds:
        assert ds.sizes["time"] == 12 and ds.attrs["casa_preset"] == "potter1993"  # period: 2022 only
    assert main(["run", str(tmp_path / "run.yaml"), "--quiet", "--resume", "--overwrite"]) == 2
    assert "resume or overwrite, not both" in capsys.readouterr().err


def test_run_config_and_single_file_options_do_not_mix(tmp_path, capsys):
    (tmp_path / "run.yaml").write_text("drivers: drivers.nc\noutput: results\n")
    assert main(["run", str(tmp_path / "run.yaml"), "--out", str(tmp_path / "x.nc")]) == 2
    assert "give CONFIG alone" in capsys.readouterr().err
    assert main(["run", str(tmp_path / "run.yaml"), "--rh", "q10"]) == 2
    assert "choose the CASA preset and the Rh model in it" in capsys.readouterr().err
    assert main(["run", "--demo", "--size", "16", "--out", str(tmp_path / "d.nc"), "--resume"]) == 2
    assert "--resume and --scheduler work with a run config" in capsys.readouterr().err
    assert main(["run", "--demo", "--size", "16"]) == 2
    assert "--out FILE is needed" in capsys.readouterr().err
    assert main(["run", str(tmp_path / "run.yaml")]) == 2  # drivers.nc does not exist: named, nothing written
    assert "drivers: no file matches 'drivers.nc'" in capsys.readouterr().err
    assert not (tmp_path / "results").exists()
