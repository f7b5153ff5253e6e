"""Several flux products on one grid and one sign convention, compared by region and land cover.

:func:`harmonise` converts each product (its ``attrs['units']``, ``attrs['convention']`` and
``attrs['area_basis']``) to g C m-2 per step of its time axis with sink positive, per m2 of cell, on a
target grid, conserving totals (a ``coverage`` coordinate where cells are covered in part); :func:`by_zone`
tabulates annual totals (complete years, one common valid mask, missing share) per product and per
zone with the ensemble mean and spread; :func:`seasonal_peak` gives the month and size of each product's
largest mean monthly sink per zone;
the figures (``bar_plot``, ``seasonal_plot``, ``latitude_time_plots``) are in :mod:`carbontools.plots`
(and importable from here).

Conventions: ``NEP`` (net ecosystem production, sink > 0), ``NBP`` (net biome production as
inversions report it, sink > 0) and ``NEE`` (net ecosystem exchange, sink < 0; flipped).  Harmonising
makes the signs agree; it does not turn NBP into NEP (NBP also holds fire, harvest and other losses).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from . import units
from .accounting import annual_totals, area_basis, covered_share, step_amounts
from .grid import cell_area, check_same_grid, on_grid_of, regrid_conservative
from .plots import bar_plot, latitude_time_plots, seasonal_plot

__all__ = ["CONVENTIONS", "to_flux_density", "harmonise", "by_zone", "seasonal_peak", "ensemble", "bar_plot",
           "seasonal_plot", "latitude_time_plots"]

CONVENTIONS = {"NEP": 1.0, "NBP": 1.0, "NEE": -1.0}


def _per_area_per_step(da: xr.DataArray, name: str) -> xr.DataArray:
    """Values in g C m-2 per step of the time axis (month or year) from the units the product declares.

    Totals per cell (``"Tg C cell-1 month-1"``) are first divided by the cell's true area; then
    :func:`carbontools.accounting.step_amounts` reads the unit against the time axis: rates (per day,
    per second, per year on a monthly axis) become each step's amount by its real length, and a unit
    that contradicts the axis (per month on a yearly axis) is refused.
    """
    declared = da.attrs.get("units")
    if declared is None:
        raise ValueError(f"{name} declares no units; set attrs['units'] (e.g. 'g C m-2 month-1', 'kg C m-2 s-1')")
    tokens = declared.split()
    per_cell = "cell-1" in tokens
    # only a per-cell total loses its 'cell-1'; any other unit goes on as declared ('kg C/m2/s' keeps its '/')
    text = " ".join(t for t in tokens if t != "cell-1") if per_cell else declared
    try:
        if per_cell:
            if units.parse(text, name).parts()["area_m2"] is not None:
                raise ValueError("a total per cell cannot also be per area")
            da = (da / cell_area(da)).assign_attrs(da.attrs, units=f"{text} m-2")
        else:
            da = da.assign_attrs(units=text)
        return step_amounts(da, name)
    except ValueError as err:
        raise ValueError(f"{name} has units {declared!r}, which carbontools cannot turn into g C m-2 per time step "
                         f"({err}); supported: carbon per area per month, year, day or second (g C m-2 month-1, "
                         "kg C m-2 s-1, ...) and totals per cell such as 'Tg C cell-1 month-1' or "
                         "'Pg C cell-1 yr-1'") from None


def to_flux_density(da: xr.DataArray, name: str = "product") -> xr.DataArray:
    """A product in g C m-2 per step of its time axis (month or year), sink positive, on its own grid.

    The step comes from the time axis and the declared unit is read against it (see
    :func:`carbontools.accounting.step_amounts`); ``attrs['time_step']`` says which.
    """
    convention = da.attrs.get("convention")
    if convention not in CONVENTIONS:
        raise ValueError(f"{name} has sign convention {convention!r}; set attrs['convention'] to one of "
                         f"{sorted(CONVENTIONS)} (NEE is flipped so that sinks are positive)")
    dens = _per_area_per_step(da, name)
    out = dens * CONVENTIONS[convention]
    return out.assign_attrs(units=dens.attrs["units"], time_step=dens.attrs["time_step"], convention="sink positive",
                            source_convention=convention, source_units=da.attrs["units"],
                            long_name=da.attrs.get("long_name", name))


def _land_for(land_fraction, name):
    if isinstance(land_fraction, dict):
        return land_fraction.get(name)
    return land_fraction


def harmonise(products: dict[str, xr.DataArray], target: xr.DataArray | xr.Dataset,
              land_fraction: xr.DataArray | dict | None = None) -> dict[str, xr.DataArray]:
    """Every product as g C m-2 per step of its time axis, sink positive, per m2 of cell, on the grid of ``target``.

    - Units and signs: :func:`to_flux_density` (the step from the time axis; rates by the real step length).
    - Area basis: a product per m2 of land (``attrs['area_basis'] = 'land'``) is first turned into per m2 of
      cell with its land share, ``land_fraction`` on its own grid (one DataArray, or a dict by product name).
    - Grids: a product already on the target grid (same CRS, same coordinates: :func:`carbontools.grid.check_same_grid`)
      is kept as is; every other one goes through :func:`carbontools.grid.regrid_conservative`, which compares
      cell edges only within one CRS (xarray-regrid's conservative method, exact for nested grids) and
      reprojects across CRSs (rasterio's average resampling with a coverage band).  Cells the source covers
      only in part (coasts, edges, NaN cells) carry the covered share in a ``coverage`` coordinate, and their
      value is the mean over that share: totals (sum of value x cell area x coverage, as
      :func:`carbontools.accounting.annual_totals` and :func:`by_zone` take them) are conserved.

    ``attrs['regridding']`` records the path taken.
    """
    out = {}
    for name, da in products.items():
        dens = to_flux_density(da, name)
        basis = area_basis(dens, name)
        if basis == "land":
            land = _land_for(land_fraction, name)
            if land is None:
                raise ValueError(f"{name} is per m2 of land (attrs['area_basis'] = 'land'); give its land share on its "
                                 "own grid: harmonise(..., land_fraction=share) or land_fraction={name: share}")
            land = on_grid_of(land, dens, names=(name, "its land_fraction"),
                              fix=f"give {name}'s land share on {name}'s own grid (land_fraction={{{name!r}: share}})")
            dens = (dens * land).assign_attrs(dens.attrs)
        dens = dens.assign_attrs(area_basis="cell")
        if dens.rio.crs is None:
            dens = dens.rio.write_crs("EPSG:4326")
        try:
            check_same_grid(dens, target, names=(name, "target"))
            on_target, path = dens.assign_coords(y=target["y"], x=target["x"]), "none (already on the target grid)"
        except ValueError:
            on_target = regrid_conservative(dens, target, name=name)
            same_crs = dens.rio.crs == (target.rio.crs or dens.rio.crs)
            path = ("conservative (xarray-regrid)" if same_crs
                    else "reprojected: area-weighted average with a coverage band (rasterio)")
        attrs = {**dens.attrs, "regridding": path}
        if basis == "land":
            attrs["area_basis_source"] = "land (multiplied by the land share before regridding)"
        out[name] = on_target.assign_attrs(attrs).rio.write_crs(target.rio.crs or "EPSG:4326").rename(name)
    return out


def by_zone(harmonised: dict[str, xr.DataArray], weights: xr.DataArray, unit: str = "Tg C",
            ensemble_members: list[str] | None = None, land_fraction: xr.DataArray | None = None,
            common_mask: bool = True) -> pd.DataFrame:
    """Mean annual total (``unit`` per year) and its interannual std for every product and zone.

    ``weights`` (zone, y, x) are cell shares: region polygons (:func:`carbontools.accounting.zone_weights`)
    or land-cover fractions.  Do not multiply them by the land share for products per m2 of cell (the
    usual case, and every output of :func:`harmonise`): only products per m2 of land
    (``attrs['area_basis'] = 'land'``) count with ``land_fraction``.  With ``ensemble_members``, the
    ensemble mean, std, min and max across the members are added per zone, and the ensemble mean's own
    ``interannual_std``: the std over the years of the members' mean annual total (the figure an ensemble's
    "mean +- interannual SD" reports; ``std`` is the spread across the members).  Columns are a (product,
    statistic) MultiIndex.

    Choices (SCIENCE.md sections 3 and 5):

    - years count only when complete (:func:`carbontools.accounting.annual_totals`): ``mean`` and
      ``interannual_std`` (ddof=1, NaN with fewer than 2 complete years) are over the complete years,
      whose number is the statistic ``years``;
    - with ``common_mask`` (default) every product is compared over one set of cells: those with a value
      in every product at every time step; a product's NaN cell is never a zero;
    - ``missing_pct``: the share of the zone's area left out (no value, or outside the common mask, or
      a partly covered cell), averaged over the complete years.
    """
    data = _masked(harmonised, common_mask)
    columns, annual = {}, {}
    for name, da in data.items():
        totals = annual_totals(da, weights, unit=unit, land_fraction=land_fraction, name=name)  # (year, zone)
        annual[name] = totals
        complete = totals.notnull()
        mean, std, n = _over_years(totals)
        columns[(name, "mean")] = mean.to_series()
        columns[(name, "interannual_std")] = std.to_series()
        columns[(name, "years")] = n.to_series()
        columns[(name, "missing_pct")] = totals["missing_pct"].where(complete).mean("year").to_series()
    table = pd.DataFrame(columns)
    if ensemble_members:
        members = table.loc[:, [(m, "mean") for m in ensemble_members]]
        stats = ensemble(members.droplevel(1, axis=1))
        for col in stats.columns:
            table[("ensemble", col)] = stats[col]
        # the ensemble mean's own year-to-year spread: the std over the years of the members' mean annual total
        # (a year counts where every member has it), not the spread across members above
        member_mean = xr.concat([annual[m].drop_vars(["months", "missing_pct"]) for m in ensemble_members],
                                "member").mean("member", skipna=False)
        _, std, n = _over_years(member_mean)
        table[("ensemble", "interannual_std")] = std.to_series()
        table[("ensemble", "years")] = n.to_series()
    table.columns = pd.MultiIndex.from_tuples(table.columns, names=["product", "statistic"])
    table.attrs = {"units": f"{unit} yr-1 (sink positive)", "years": "complete calendar years only",
                   "missing_pct": "share of the zone's area without a value (%)",
                   "mask": "cells with a value in every product at every step" if common_mask else "each product's own",
                   "area_basis": "per m2 of cell (products per m2 of land multiplied by land_fraction)"}
    return table


def _masked(harmonised: dict[str, xr.DataArray], common_mask: bool) -> dict[str, xr.DataArray]:
    """The products, with ``common_mask`` NaN wherever any product lacks a value at any step (one set of cells)."""
    data = dict(harmonised)
    if common_mask and data:
        valid = None
        for da in data.values():
            v = da.notnull()
            v = v.all("time") if "time" in v.dims else v
            v = v.drop_vars([c for c in v.coords if c not in ("y", "x")])
            valid = v if valid is None else valid & v
        data = {name: da.where(valid) for name, da in data.items()}
    return data


def _over_years(totals: xr.DataArray):
    """Mean, std (ddof=1; NaN with fewer than 2) and number of the non-NaN years of (year[, zone]) totals."""
    n = totals.notnull().sum("year")
    mean = totals.mean("year")
    std = np.sqrt(((totals - mean) ** 2).sum("year") / (n - 1).where(n > 1))
    return mean.where(n > 0), std, n


def seasonal_peak(harmonised: dict[str, xr.DataArray], weights: xr.DataArray, unit: str = "Tg C",
                  ensemble_members: list[str] | None = None, common_mask: bool = True) -> pd.DataFrame:
    """The calendar month of each product's largest mean monthly sink per zone, and its size.

    Each product (monthly, per m2 of cell, sink positive: the output of :func:`harmonise`) is totalled over
    each zone month by month (value x cell area x ``weights`` x covered share, in ``unit`` per month), the
    totals are averaged by calendar month over the years, and the peak is the month with the largest mean
    (the first of equal ones).  ``weights`` (zone, y, x) and ``common_mask`` are those of :func:`by_zone`;
    with ``ensemble_members`` the peak of the members' mean cycle is added as product ``"ensemble"``.

    Returns one row per zone, columns (product, statistic) with statistics ``peak_month`` (1-12) and
    ``peak`` (``unit`` month-1).
    """
    if not isinstance(weights, xr.DataArray) or "zone" not in weights.dims:
        raise ValueError("weights must be a DataArray (zone, y, x) of the zones' cell shares, e.g. "
                         "carbontools.accounting.zone_weights(regions, like)")
    cycles = {}
    for name, da in _masked(harmonised, common_mask).items():
        if da.attrs.get("convention") == "NEE":
            raise ValueError(f"{name} is NEE (sink negative): give the products through compare.harmonise first, "
                             "which makes every sink positive")
        amounts = step_amounts(da, name)
        if amounts.attrs["time_step"] != "month":
            raise ValueError(f"{name} is on a {amounts.attrs['time_step']}ly time axis; a seasonal peak needs "
                             "monthly values")
        share = covered_share(amounts, name=name)  # coverage; 0 where NaN
        mass = (amounts.fillna(0.0) * share * cell_area(amounts) * weights).sum(("y", "x"))
        monthly = mass * units.area_total_factor(amounts.attrs["units"], unit, name)  # (time, zone)
        cycles[name] = monthly.drop_vars([c for c in monthly.coords if c not in ("time", "zone")]).groupby(
            "time.month").mean()
    if ensemble_members:
        missing = [m for m in ensemble_members if m not in cycles]
        if missing:
            raise ValueError(f"ensemble_members {missing} are not among the products {sorted(cycles)}")
        cycles["ensemble"] = xr.concat([cycles[m] for m in ensemble_members], "member").mean("member")
    columns = {}
    for name, cycle in cycles.items():
        columns[(name, "peak_month")] = cycle["month"][cycle.argmax("month")].drop_vars("month").to_series()
        columns[(name, "peak")] = cycle.max("month").to_series()
    table = pd.DataFrame(columns)
    table.columns = pd.MultiIndex.from_tuples(table.columns, names=["product", "statistic"])
    table.attrs = {"units": f"{unit} month-1 (sink positive)",
                   "peak": "largest mean monthly total over the years, by calendar month"}
    return table


def ensemble(members: pd.DataFrame) -> pd.DataFrame:
    """Mean, standard deviation (ddof=1), min and max across the member columns, row by row."""
    return pd.DataFrame({"mean": members.mean(axis=1), "std": members.std(axis=1, ddof=1),
                         "min": members.min(axis=1), "max": members.max(axis=1), "members": members.shape[1]})
