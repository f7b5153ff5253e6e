"""Land-cover scenarios: what-if maps made from today's map, for storage and budget comparisons.

:func:`convert_classes` turns a share of the pixels of some classes (optionally only where a mask
allows, e.g. near built-up land) into another class, chosen by a fixed random ranking, so that the
same seed always gives the same map and a larger share converts the pixels of a smaller share and
more.  The result keeps the map's attrs (scheme, nodata) and CRS, so it goes straight into
:func:`carbontools.models.storage.sequestration` against the original.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import numpy as np
import xarray as xr

__all__ = ["convert_classes"]


def _codes(value, name: str) -> list[int]:
    values = list(value) if isinstance(value, Iterable) and not isinstance(value, str) else [value]
    if not values:
        raise ValueError(f"{name} is empty: give at least one class code")
    out = []
    for v in values:
        try:
            ok = not isinstance(v, (bool, str)) and float(v).is_integer()
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ValueError(f"{name} must be integer class codes, got {v!r}")
        out.append(int(v))
    return out


def _on_grid(where: xr.DataArray, landcover: xr.DataArray) -> xr.DataArray:
    if not isinstance(where, xr.DataArray) or where.dtype != bool:
        raise TypeError("where must be a boolean DataArray on the land-cover grid (True where conversion is allowed), "
                        f"got {type(where).__name__}{' of ' + str(where.dtype) if hasattr(where, 'dtype') else ''}")
    for dim in landcover.dims:
        if dim not in where.dims or not np.array_equal(where[dim].values, landcover[dim].values):
            raise ValueError(f"where is not on the land-cover grid (its {dim!r} coordinates differ or are missing); "
                             "build it from the map itself, e.g. where = landcover == 8")
    return where.transpose(*landcover.dims)


def convert_classes(landcover: xr.DataArray, from_classes, to_class: int, share: float, *,
                    where: xr.DataArray | None = None, seed: int = 0, otherwise: int | None = None):
    """A scenario map: ``share`` of the pixels of ``from_classes`` (inside ``where``) become ``to_class``.

    Parameters
    ----------
    landcover : xarray.DataArray
        Class codes on (y, x).
    from_classes : int or list of int
        The classes that may be converted (e.g. cropland).
    to_class : int
        The class the chosen pixels get (e.g. forest for tree-covered parks).
    share : float, 0..1
        The share of the eligible pixels (those of ``from_classes`` where ``where`` is True) that become
        ``to_class``: round(share x eligible pixels) of them, rounded half up, counted in pixels, not area.
    where : boolean DataArray on the map's grid, optional
        Where conversion is allowed (default: everywhere).
    seed : int
        Seed of the random ranking of the pixels.  The pixels with the lowest ranks are converted, so one
        seed gives one map, and a larger ``share`` converts all the pixels of a smaller one and more.
    otherwise : int, optional
        The class of the eligible pixels that are not chosen (e.g. built-up land); ``None`` leaves them
        as they are.

    Returns
    -------
    (after, converted)
        ``after``: the new map, with the dtype, attrs (plus ``attrs['scenario']``, the arguments as JSON)
        and CRS of ``landcover``.  ``converted``: a boolean DataArray, True on every pixel the scenario
        gave a new class, ``to_class`` or ``otherwise`` (so ``converted & (after == to_class)`` are the
        pixels that became ``to_class``).

    The eligible mask is computed (a dask-backed map is read once to count it).
    """
    if not isinstance(landcover, xr.DataArray) or not {"y", "x"} <= set(landcover.dims):
        raise ValueError("landcover must be a DataArray of class codes with dims 'y' and 'x'")
    sources = _codes(from_classes, "from_classes")
    target = _codes(to_class, "to_class")[0]
    rest = None if otherwise is None else _codes(otherwise, "otherwise")[0]
    if isinstance(share, bool) or not 0.0 <= float(share) <= 1.0:
        raise ValueError(f"share must be a fraction from 0 to 1, got {share!r}")
    eligible = landcover.isin(sources)
    if where is not None:
        eligible = eligible & _on_grid(where, landcover)
    mask = np.asarray(eligible.values, dtype=bool)
    count = int(np.floor(float(share) * int(mask.sum()) + 0.5))
    ranks = np.where(mask, np.random.default_rng(seed).random(mask.shape), np.inf)
    chosen = np.zeros(mask.size, dtype=bool)
    chosen[np.argsort(ranks, axis=None, kind="stable")[:count]] = True
    chosen = xr.DataArray(chosen.reshape(mask.shape), dims=landcover.dims, coords=eligible.coords)

    after = xr.where(chosen, target, landcover if rest is None else xr.where(eligible, rest, landcover))
    scenario = {"from_classes": sources, "to_class": target, "share": float(share), "seed": seed,
                "otherwise": rest, "where": where is not None, "converted_to_class": count}
    after = after.astype(landcover.dtype).rename(landcover.name).assign_attrs(
        {**landcover.attrs, "scenario": json.dumps(scenario)})
    try:
        crs = landcover.rio.crs
    except Exception:
        crs = None
    if crs is not None:
        after = after.rio.write_crs(crs)
    converted = (chosen if rest is None else eligible).rename("converted").assign_attrs(
        long_name=f"pixels converted to class {target}" + (f" or {rest}" if rest is not None else ""))
    return after, converted
