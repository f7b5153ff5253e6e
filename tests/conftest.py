import numpy as np
import pandas as pd
import pytest
import xarray as xr

from carbontools import demo


def approx_printed(text: str, rel: float = 1e-4):
    """pytest.approx for a value printed in the specification: relative 1e-4, or half a unit of its last digit.

    "0.9244" accepts |x - 0.9244| <= max(1e-4 * 0.9244, 0.00005): a rounded oracle is met by any
    value that rounds to it.
    """
    value = float(text)
    decimals = len(text.split(".")[1]) if "." in text else 0
    return pytest.approx(value, rel=rel, abs=0.5 * 10.0**-decimals * (1 + 1e-9))


def monthly_grid(values: dict, year: int = 2021, ny: int = 1, nx: int = 1, landcover=4, scheme="casa",
                 units=None) -> xr.Dataset:
    """A drivers Dataset with per-month values (arrays of 12*k) broadcast over a small projected grid."""
    n = len(next(iter(values.values())))
    time = pd.date_range(f"{year}-01-01", periods=n, freq="MS")
    coords = {"time": time, "y": 1000.0 - 250.0 * np.arange(ny), "x": 250.0 * np.arange(nx)}
    default_units = {"ndvi": "1", "fpar": "1", "tmean": "degC", "precip": "mm month-1", "srad": "MJ m-2 month-1",
                     "et": "mm month-1", "pet": "mm month-1", "moisture": "1"}
    units = {**default_units, **(units or {})}
    data = {}
    for name, v in values.items():
        arr = np.asarray(v, dtype=float)
        if arr.ndim == 1:
            arr = arr[:, None, None]
        data[name] = (("time", "y", "x"), np.broadcast_to(arr, (n, ny, nx)).copy(), {"units": units[name]})
    lc = np.broadcast_to(np.asarray(landcover), (ny, nx)).copy()
    data["landcover"] = (("y", "x"), lc, {"scheme": scheme})
    ds = xr.Dataset(data, coords=coords)
    return ds.rio.write_crs("EPSG:32649")


@pytest.fixture(scope="session")
def small_demo() -> xr.Dataset:
    return demo.delta_city(size=48)


# CI runs derandomised (the same examples every run, so a red CI is reproducible); locally random.
from hypothesis import settings as _hsettings  # noqa: E402

_hsettings.register_profile("ci", derandomize=True, print_blob=True)
if __import__("os").environ.get("CI"):
    _hsettings.load_profile("ci")
