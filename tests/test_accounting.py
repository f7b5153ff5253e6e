"""Zonal totals: by-hand values on a small grid, and the sum of zones equals the total of the same pixels."""

import numpy as np
import pytest
import xarray as xr

import carbontools as ct
from carbontools import demo
from carbontools.accounting import zonal_totals, zones_from_polygons
from carbontools.grid import cell_area


def grid(values, res=100.0):
    ny, nx = np.shape(values)
    da = xr.DataArray(np.asarray(values, float), dims=("y", "x"),
                      coords={"y": 1000.0 - res * np.arange(ny), "x": res * np.arange(nx)})
    return da.rio.write_crs("EPSG:32649").assign_attrs(units="g C m-2 yr-1")


def test_by_hand():
    values = grid([[100.0, 200.0], [-50.0, np.nan]])  # g C m-2 on 100 m x 100 m = 1e4 m2 cells
    zones = grid([[1, 1], [2, 2]])
    t = zonal_totals(values, zones, unit="t C", names={1: "park", 2: "core"})
    assert t.loc["park", "total"] == pytest.approx((100 + 200) * 1e4 / 1e6)  # 3 t C
    assert t.loc["core", "total"] == pytest.approx(-50 * 1e4 / 1e6)
    assert t.loc["park", "mean"] == pytest.approx(150.0)
    assert t.loc["core", "area_m2"] == pytest.approx(1e4)  # only the valid pixel
    assert t.loc["core", "missing_pct"] == pytest.approx(50.0)
    assert t.loc["park", "contribution_pct"] == pytest.approx(100 * 3 / 2.5)
    excluded = zonal_totals(values, zones, include_negative=False, names={1: "park", 2: "core"})
    assert excluded.loc["park", "contribution_pct"] == pytest.approx(100.0)
    assert np.isnan(excluded.loc["core", "contribution_pct"])
    assert t.attrs["total"] == "t C" and "included" in t.attrs["contribution"]


def test_zones_sum_to_the_total_over_the_same_pixels():
    ds = demo.delta_city(size=60)
    nep = ct.run(ds)["nep_annual"].isel(year=0)
    districts = demo.districts(size=60)
    t = zonal_totals(nep, districts, unit="Gg C")
    zones = zones_from_polygons(districts, nep)
    inside = zones.notnull()
    total = float((nep * cell_area(nep)).where(inside).sum()) / 1e9
    assert t["total"].sum() == pytest.approx(total, rel=1e-9)
    assert list(t.index) == list(districts["name"])
    assert t["contribution_pct"].sum() == pytest.approx(100.0)


def test_monthly_values_are_summed_over_time():
    ds = demo.delta_city(size=24)
    out = ct.run(ds)
    lc = out["landcover_casa"]
    by_month = zonal_totals(out["nep"].sel(time="2021"), lc, unit="t C")
    by_year = zonal_totals(out["nep_annual"].sel(year=2021), lc, unit="t C")
    np.testing.assert_allclose(by_month["total"], by_year["total"], rtol=1e-6)


def test_mismatched_grids_and_units():
    values = grid([[1.0, 2.0]])
    with pytest.raises(ValueError, match="different 'x' coordinates"):
        zonal_totals(values, grid([[1, 1]]).assign_coords(x=[5.0, 105.0]))
    with pytest.raises(ValueError, match="unit 'tons' unknown"):
        zonal_totals(values, grid([[1, 1]]), unit="tons")
