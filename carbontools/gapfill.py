"""Gap filling of a monthly series along time (cloud gaps in NDVI), every filled value flagged.

A driver step between the loaders and the models: it imports only params and grid, works on numpy- and
dask-backed arrays, and nothing calls it unless asked (gap filling is off by default; a loader or a
notebook calls :func:`fill_gaps` when the user wants it).

Per pixel, along ``time`` (a regular monthly axis: :func:`carbontools.grid.monthly_index`):

1. **linear interpolation** between the observed months around a gap of at most ``max_gap``
   consecutive missing months (``GapFillParams.max_gap``, default 2): xarray's ``interpolate_na`` in the
   month index (each month one step, so a gap of 2 months between 0.3 and 0.6 gets 0.4 and 0.5);
   gaps at the start or the end of the series are not extrapolated;
2. the **climatology** of the calendar month for what remains: the mean of the same pixel's observed
   values of that calendar month in the other years (``groupby("time.month").mean()``);
3. what neither can fill stays NaN.

The flag (``<name>_gapfill_flag``, int8) says what each value is, with CF ``flag_values`` and
``flag_meanings``: 0 observed, 1 interpolated, 2 climatology, 3 missing.  The shares of the four kinds
(% of all values) are in the result's ``shares`` and in the filled values' attrs.

The gap length rule (n missing months in a row are interpolated iff n <= max_gap) is what
``interpolate_na(max_gap=max_gap + 1, use_coordinate=False)`` means (its gap size is the distance between
the observed values around the gap); xarray needs bottleneck or numbagg for that argument, which the
environment does not have, so the same rule is written here with two rolling windows
(``DataArray.rolling``): a missing month lies in a gap longer than ``max_gap`` iff some window of
``max_gap + 1`` months around it is missing throughout.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np
import pandas as pd
import xarray as xr

from .grid import monthly_index
from .params import ParamSet, _p

__all__ = ["FLAG_MEANINGS", "FLAG_VALUES", "GapFillParams", "GapFilled", "fill_gaps"]

#: the flag codes and their CF meanings
FLAG_VALUES = {"observed": 0, "interpolated": 1, "climatology": 2, "missing": 3}
FLAG_MEANINGS = " ".join(FLAG_VALUES)


@dataclasses.dataclass(frozen=True)
class GapFillParams(ParamSet):
    """How :func:`fill_gaps` fills a monthly series."""

    max_gap: int = _p(2, "month", "longest run of consecutive missing months filled by linear interpolation "
                      "(0: none); longer runs take the calendar month's climatology",
                      "carbontools choice (cloud gaps of one or two months in monthly NDVI composites)",
                      bounds=(0, 12), soft=(0, 6))
    climatology: bool = _p(True, "", "fill what interpolation leaves with the mean of the same calendar month "
                           "over the other years of the pixel", "carbontools choice")

    def __post_init__(self):
        if isinstance(self.max_gap, bool) or not float(self.max_gap).is_integer():
            raise ValueError(f"GapFillParams.max_gap = {self.max_gap!r} must be a whole number of months (0..12)")
        object.__setattr__(self, "max_gap", int(self.max_gap))
        super().__post_init__()


class GapFilled(NamedTuple):
    """The result of :func:`fill_gaps`."""

    #: the series with its gaps filled (NaN where nothing could fill them); attrs carry the shares
    values: xr.DataArray
    #: int8 flag on the same dims: 0 observed, 1 interpolated, 2 climatology, 3 missing
    flag: xr.DataArray
    #: % of all values that are observed, interpolated, climatology, missing (sums to 100)
    shares: pd.Series


def _in_long_gap(missing: xr.DataArray, max_gap: int) -> xr.DataArray:
    """True where a missing month lies in a run of more than ``max_gap`` missing months (rolling windows)."""
    n = max_gap + 1
    # a window of n months ending at t, missing throughout (windows reaching past the start do not count)
    window_missing = missing.astype(int).rolling(time=n).sum() == n
    # t lies in such a window iff one of the windows ending at t .. t + n - 1 is one
    ahead = window_missing.shift(time=-(n - 1), fill_value=False)
    return ahead.astype(int).rolling(time=n, min_periods=1).max().astype(bool) & missing


def fill_gaps(values: xr.DataArray, params: GapFillParams | None = None, name: str | None = None,
              **changes) -> GapFilled:
    """Fill the missing months of ``values`` (time, ...): interpolation within ``max_gap``, then climatology.

    ``params`` (:class:`GapFillParams`, default ``max_gap=2``, ``climatology=True``) or its fields as
    keywords (``fill_gaps(ndvi, max_gap=1)``).  See the module docstring for the rule.

    Returns :class:`GapFilled` ``(values, flag, shares)``.  The filled values keep the input's name and
    attrs, plus ``gap_filling`` (the rule) and ``gapfill_<kind>_pct`` for the four kinds; the flag has CF
    ``flag_values`` / ``flag_meanings``.  On dask the result stays lazy but the shares are computed
    (one compute of the flag counts); the time axis is put in one chunk (interpolation needs whole series).
    """
    label = name or values.name or "values"
    p = (params or GapFillParams()).replace(**changes) if changes else (params or GapFillParams())
    if not isinstance(p, GapFillParams):
        raise TypeError(f"params must be a GapFillParams, not {type(p).__name__}")
    if not isinstance(values, xr.DataArray) or "time" not in values.dims:
        raise ValueError(f"{label} needs a 'time' dimension of monthly dates to fill gaps along; it has "
                         f"{getattr(values, 'dims', None)}")
    monthly_index(values["time"].values, label)  # regular months: one step is one month, no month left out
    if not np.issubdtype(values.dtype, np.floating):
        raise ValueError(f"{label} has dtype {values.dtype}; gaps are NaN in a float array (mask fill values first)")
    if values.chunks is not None:
        values = values.chunk({"time": -1})

    missing = values.isnull()
    filled = values
    interpolated = xr.zeros_like(missing)
    if p.max_gap > 0:
        line = values.interpolate_na("time", method="linear", use_coordinate=False)
        line = line.where(~_in_long_gap(missing, p.max_gap))
        interpolated = missing & line.notnull()
        filled = values.where(~interpolated, line)
    from_climatology = xr.zeros_like(missing)
    if p.climatology:
        clim = values.groupby("time.month").mean("time")  # observed values only: the other years' same month
        clim_at = clim.sel(month=values["time"].dt.month).drop_vars("month")
        from_climatology = filled.isnull() & clim_at.notnull()
        filled = filled.where(~from_climatology, clim_at)

    flag = xr.where(~missing, FLAG_VALUES["observed"],
                    xr.where(interpolated, FLAG_VALUES["interpolated"],
                             xr.where(from_climatology, FLAG_VALUES["climatology"], FLAG_VALUES["missing"])))
    flag = flag.astype(np.int8).rename(f"{label}_gapfill_flag")
    flag.attrs = {"long_name": f"gap-filling flag of {label}",
                  "flag_values": [np.int8(v) for v in FLAG_VALUES.values()],  # the flag's own type (CF)
                  "flag_meanings": FLAG_MEANINGS}

    import dask

    counts = dask.compute(*[(flag == code).sum() for code in FLAG_VALUES.values()])
    total = max(int(flag.size), 1)
    shares = pd.Series([100.0 * float(c) / total for c in counts], index=list(FLAG_VALUES), name="share_pct")
    shares.attrs = {"units": "%", "of": f"all {int(flag.size)} values of {label}", "max_gap_months": p.max_gap}

    rule = (f"linear interpolation over gaps of at most {p.max_gap} month(s)" if p.max_gap else "no interpolation")
    rule += ", then the calendar month's mean over the other years" if p.climatology else ""
    attrs = {**values.attrs, "gap_filling": rule, "gapfill_max_gap_months": p.max_gap,
             **{f"gapfill_{k}_pct": float(v) for k, v in shares.items()}}
    out = filled.assign_attrs(attrs)
    out.name = values.name
    return GapFilled(out, flag, shares)
