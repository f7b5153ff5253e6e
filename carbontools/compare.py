"""Several flux products on one grid and one sign convention, compared by region and land cover.

:func:`harmonise` converts each product (its ``attrs['units']`` and ``attrs['convention']``) to
g C m-2 per time step with sink positive, on a target grid, conserving totals; :func:`by_zone`
tabulates annual totals per product and per zone with the ensemble mean and spread;
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
from .accounting import annual_totals, step_amounts
from .grid import cell_area, coarsen_conservative, regrid
from .plots import bar_plot, latitude_time_plots, seasonal_plot

__all__ = ["CONVENTIONS", "to_flux_density", "harmonise", "by_zone", "ensemble", "bar_plot", "seasonal_plot",
           "latitude_time_plots"]

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
    tokens = declared.replace("/", " ").split()
    per_cell = "cell-1" in tokens
    text = " ".join(t for t in tokens if t != "cell-1")
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


def _step(coord) -> float:
    return float(abs(np.diff(coord.values[:2])[0]))


def harmonise(products: dict[str, xr.DataArray], target: xr.DataArray | xr.Dataset) -> dict[str, xr.DataArray]:
    """Every product as g C m-2 per time step, sink positive, on the grid of ``target``, totals conserved.

    Coarser products nested in the target grid are repeated onto its cells; finer ones nested in it are
    coarsened area-weighted (both exact); anything else goes through rasterio's average resampling.
    """
    out = {}
    for name, da in products.items():
        dens = to_flux_density(da, name)
        if dens.rio.crs is None:
            dens = dens.rio.write_crs("EPSG:4326")
        ratio_y, ratio_x = _step(target["y"]) / _step(dens["y"]), _step(target["x"]) / _step(dens["x"])
        same_ratio = np.isclose(ratio_y, ratio_x)  # the exact paths need the same block size along y and x
        if same_ratio and np.isclose(ratio_y, 1):
            on_target = dens.reindex(y=target["y"], x=target["x"], method="nearest", tolerance=1e-6)
        elif same_ratio and ratio_y > 1 and np.isclose(ratio_y, round(ratio_y)):
            on_target = coarsen_conservative(dens, int(round(ratio_y)))
            on_target = on_target.reindex(y=target["y"], x=target["x"], method="nearest", tolerance=1e-6)
        elif same_ratio and ratio_y < 1 and np.isclose(1 / ratio_y, round(1 / ratio_y)):
            on_target = dens.reindex(y=target["y"], x=target["x"], method="nearest")  # repeat coarse cells
        else:
            on_target = regrid(dens, target, kind="average", name=name)
        out[name] = on_target.assign_attrs(dens.attrs).rio.write_crs(target.rio.crs or "EPSG:4326").rename(name)
    return out


def by_zone(harmonised: dict[str, xr.DataArray], weights: xr.DataArray, unit: str = "Tg C",
            ensemble_members: list[str] | None = None) -> pd.DataFrame:
    """Mean annual total (``unit`` per year) and its interannual std for every product and zone.

    ``weights`` (zone, y, x) are cell shares: region polygons (:func:`carbontools.accounting.zone_weights`)
    times the land share, or land-cover fractions.  With ``ensemble_members``, the ensemble mean, std,
    min and max across the members are added per zone.  Columns are a (product, statistic) MultiIndex.
    """
    columns = {}
    for name, da in harmonised.items():
        totals = annual_totals(da, weights, unit=unit)  # (year, zone)
        columns[(name, "mean")] = totals.mean("year").to_series()
        columns[(name, "interannual_std")] = totals.std("year", ddof=1).to_series()
    table = pd.DataFrame(columns)
    if ensemble_members:
        members = table.loc[:, [(m, "mean") for m in ensemble_members]]
        stats = ensemble(members.droplevel(1, axis=1))
        for col in stats.columns:
            table[("ensemble", col)] = stats[col]
    table.columns = pd.MultiIndex.from_tuples(table.columns, names=["product", "statistic"])
    table.attrs["units"] = f"{unit} yr-1 (sink positive)"
    return table


def ensemble(members: pd.DataFrame) -> pd.DataFrame:
    """Mean, standard deviation (ddof=1), min and max across the member columns, row by row."""
    return pd.DataFrame({"mean": members.mean(axis=1), "std": members.std(axis=1, ddof=1),
                         "min": members.min(axis=1), "max": members.max(axis=1), "members": members.shape[1]})
