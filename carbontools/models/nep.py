"""Net ecosystem production NEP = NPP - Rh (SCIENCE.md section 3) and annual sums."""

from __future__ import annotations

import warnings

import xarray as xr

from ._ops import fresh

__all__ = ["nep", "annual_sum"]


def nep(npp: xr.DataArray, rh: xr.DataArray) -> xr.DataArray:
    """Monthly NEP = NPP - Rh (g C m-2 month-1); NEP > 0 is a sink."""
    return fresh(npp - rh, "nep")


def annual_sum(monthly: xr.DataArray) -> xr.DataArray:
    """Sum of the monthly values per calendar year (dim ``year``); NaN if any month of the year is NaN.

    Annual NEP is always the sum of monthly NPP - Rh, never a function of annual means.  A calendar
    year with fewer than 12 months in the data has no annual value: it is NaN, with a warning, and
    the coordinate ``months`` keeps how many months each year holds (SCIENCE.md section 3).
    """
    year = monthly["time"].dt.year.rename("year")
    total = monthly.groupby(year).sum("time", skipna=False)
    months = monthly["time"].groupby(year).count()
    partial = [int(y) for y, n in zip(months["year"].values, months.values) if n != 12]
    if partial:
        warnings.warn(f"{monthly.name or 'values'}: calendar year(s) {partial} have fewer than 12 months "
                      f"({', '.join(str(int(n)) for n in months.values if n != 12)}); their annual sums are NaN. "
                      "Give whole years for annual values (the monthly values are unaffected)", stacklevel=2)
        total = total.where(months == 12)
    return fresh(total, monthly.name).assign_coords(months=("year", months.data))
