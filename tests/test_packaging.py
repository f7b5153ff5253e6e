"""The environment files agree, the README shows the two commands, CI runs exactly `make test`."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONDA_ONLY = {"python", "pip"}  # conda-side tools
CONDA_SPLITS = {"dask": {"dask", "distributed"}, "h5netcdf": {"h5netcdf", "h5py"}}


def _name(req: str) -> str:
    return re.split(r"[<>=!\[ ;]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject_names():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {_name(r) for r in meta["dependencies"] + meta["optional-dependencies"]["test"]}
    out = set()
    for n in names:
        out |= CONDA_SPLITS.get(n, {n})
    return out


def _conda_names(path):
    env = yaml.safe_load(path.read_text())
    names = set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            names |= {_name(d) for d in dep["pip"]}
        else:
            names.add(_name(dep))
    return {n for n in names if n not in CONDA_ONLY}


def test_environment_yml_has_the_pyproject_dependencies():
    assert _conda_names(ROOT / "environment.yml") == _pyproject_names()


def test_binder_environment_is_the_root_environment():
    assert (ROOT / "binder" / "environment.yml").read_text() == (ROOT / "environment.yml").read_text()


def test_binder_postbuild_stops_on_errors_and_installs_the_package():
    lines = (ROOT / "binder" / "postBuild").read_text().splitlines()
    assert [line for line in lines if line and not line.startswith("#")][0] == "set -e"
    assert any("pip install" in line and "-e ." in line for line in lines)


def test_readme_quick_start_and_ci():
    readme = (ROOT / "README.md").read_text()
    assert "make app" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


def test_tables_ship_with_the_package():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "*.csv" in meta["tool"]["setuptools"]["package-data"]["carbontools.tables"]
