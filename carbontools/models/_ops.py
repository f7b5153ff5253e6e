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
