"""Net ecosystem production NEP = NPP - Rh (SCIENCE.md section 3) and annual sums."""

from __future__ import annotations

import xarray as xr

from ._ops import fresh

__all__ = ["nep", "annual_sum"]


def nep(npp: xr.DataArray, rh: xr.DataArray) -> xr.DataArray:
    """Monthly NEP = NPP - Rh (g C m-2 month-1); NEP > 0 is a sink."""
    return fresh(npp - rh, "nep")


def annual_sum(monthly: xr.DataArray) -> xr.DataArray:
    """Sum of the monthly values per calendar year (dim ``year``); NaN if any month of the year is NaN.

    Annual NEP is always the sum of monthly NPP - Rh, never a function of annual means.  Years with
    fewer than 12 months in the data are summed over what is there; the coordinate ``months`` says
    how many months each sum holds.
    """
    year = monthly["time"].dt.year.rename("year")
    total = monthly.groupby(year).sum("time", skipna=False)
    months = monthly["time"].groupby(year).count()
    return fresh(total, monthly.name).assign_coords(months=("year", months.data))
