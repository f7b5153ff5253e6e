"""Element-wise helpers that work on numbers, numpy arrays and xarray objects alike."""

import numpy as np
import xarray as xr


def clamp(x, lo, hi):
    return np.minimum(np.maximum(x, lo), hi)


def where(cond, a, b):
    """``xr.where`` when any argument is an xarray object (keeps dims, dask-lazy), else ``np.where``."""
    if any(isinstance(v, (xr.DataArray, xr.Dataset)) for v in (cond, a, b)):
        return xr.where(cond, a, b)
    return np.where(cond, a, b)


def fresh(x, name: str | None = None):
    """A model result as a new quantity: no name or attrs inherited from its inputs (numbers pass through).

    xarray carries the first operand's name and attrs through arithmetic, so ``te2(topt, tmean)``
    would otherwise come out named ``tmean`` in degC; the pipeline sets each output's own attrs.
    """
    if isinstance(x, xr.DataArray):
        out = x.copy(deep=False)
        out.attrs = {}
        return out.rename(name)
    return x


def check_whole_years(time: xr.DataArray, what: str, fix: str) -> None:
    """Raise if a monthly ``time`` axis has a calendar year without all 12 months: ``what`` needs them, ``fix``
    says what to do; the message names each incomplete year and its month count."""
    counts = time.dt.year.to_series().value_counts().sort_index()
    partial = counts[counts != 12]
    if len(partial):
        raise ValueError(f"{what} needs all 12 months of each calendar year; incomplete years: "
                         + ", ".join(f"{y} ({n} months)" for y, n in partial.items()) + f". {fix}")
