"""Land-cover class schemes and their mapping onto the CASA classes.

The tables are CSV files in ``carbontools/tables`` (``landcover_<scheme>.csv``, columns
``code,name,casa``).  A user table (a dict ``code -> casa code`` or a DataFrame with ``code`` and
``casa`` columns) replaces the shipped one, e.g. to send a product's "forest" to the forest type a
regional map says it is.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr

from .params import read_table

__all__ = ["SCHEMES", "scheme_table", "to_casa", "cropland_share", "check_codes", "casa_class_names", "class_names",
           "reporting_classes", "NON_VEGETATED", "CASA_CODES"]

SCHEMES = ("casa", "igbp", "worldcover", "clcd")
#: CASA codes with NPP = 0 and Rh = 0 (water, permanent snow and ice)
NON_VEGETATED = (10, 11)
CASA_CODES = tuple(range(1, 12))


def scheme_table(scheme: str) -> pd.DataFrame:
    """The shipped table ``code, name, casa`` of a land-cover scheme."""
    if scheme not in SCHEMES:
        raise ValueError(
            f"land-cover scheme {scheme!r} unknown; choose one of {SCHEMES} "
            "or pass your own table (dict code -> CASA code)"
        )
    return read_table(f"landcover_{scheme}.csv")


def cropland_share(landcover: xr.DataArray, scheme: str | None = None) -> xr.DataArray:
    """Share (0..1) of each pixel that is harvested cropland, from the scheme table's ``cropland_share`` column.

    The CASA scheme cannot say (its class 7 mixes grassland, cropland and wetland): that is an error
    that asks for the product's own scheme.
    """
    scheme = scheme or landcover.attrs.get("scheme")
    if scheme == "casa":
        raise ValueError("CASA class 7 mixes grassland, cropland and wetland, so cropland cannot be told apart on a "
                         "CASA-coded map: pass the land-cover map in its own scheme (clcd, igbp, worldcover)")
    mapping, nodata, scheme = check_codes(landcover, scheme)
    table = scheme_table(scheme).set_index("code")["cropland_share"].to_dict()
    return class_lookup(landcover, table, nodata).rename("cropland_share").assign_attrs(
        units="1", long_name="share of the pixel that is harvested cropland")


def casa_class_names() -> dict[int, str]:
    return read_table("casa_classes.csv").set_index("code")["name"].to_dict()


def class_names(scheme: str) -> dict[int, str]:
    """Code -> class name in a scheme's own table (``class_names("clcd")[1] == "cropland"``), for reports."""
    return {int(c): str(n) for c, n in scheme_table(scheme).set_index("code")["name"].items()}


def reporting_classes(landcover: xr.DataArray, names=None, name: str = "landcover"):
    """The classes a table by ``landcover`` reports, by code, and the codes it leaves out with the reason.

    Reports keep the map's own scheme (``attrs['scheme']``: CLCD, WorldCover, IGBP, CASA), so that classes the
    models merge (CASA class 7: grassland, cropland, wetland) stay apart in tables.  Labels come from
    ``names`` (a dict code -> label, or a list indexed by code) when given, else from the scheme's table
    (:func:`class_names`), else the codes themselves.  Left out, never rows: the map's nodata codes
    (:func:`nodata_values`) and, with a scheme, codes its table does not have.

    Returns ``(labels, excluded)``: dicts code -> label and code -> reason.
    """
    nodata = {float(v) for v in nodata_values(landcover)}
    scheme = landcover.attrs.get("scheme")
    known = class_names(scheme) if names is None and scheme is not None else None
    labels, excluded = {}, {}
    for code in present_codes(landcover):
        code = int(code) if float(code).is_integer() else float(code)
        if float(code) in nodata:
            excluded[code] = f"nodata of {name}"
        elif known is not None and code not in known:
            excluded[code] = f"not a class of the {scheme!r} scheme (its table: {sorted(known)})"
        elif known is not None:
            labels[code] = known[code]
        elif names is None:
            labels[code] = code
        elif isinstance(names, (list, tuple)):
            labels[code] = names[int(code)]
        else:
            labels[code] = names.get(int(code), int(code))
    return labels, excluded


def _as_mapping(table) -> dict[int, int]:
    if isinstance(table, pd.DataFrame):
        return {int(c): int(k) for c, k in zip(table["code"], table["casa"])}
    if isinstance(table, Mapping):
        return {int(c): int(k) for c, k in table.items()}
    raise TypeError("a land-cover table must be a dict code -> CASA code or a DataFrame with 'code' and 'casa'")


def nodata_values(landcover: xr.DataArray) -> list:
    """The nodata codes a class map declares (attrs, encoding, rioxarray)."""
    vals = []
    for key in ("nodata", "_FillValue", "missing_value"):
        for src in (landcover.attrs, landcover.encoding):
            if key in src and src[key] is not None:
                vals.append(src[key])
    try:
        nd = landcover.rio.nodata
        if nd is not None:
            vals.append(nd)
    except Exception:  # rioxarray accessor unavailable or no CRS information
        pass
    return [v for v in vals if not (isinstance(v, float) and np.isnan(v))]


def check_codes(landcover: xr.DataArray, scheme: str | None = None, table=None, name: str = "landcover"):
    """The mapping code -> CASA code for ``landcover``, after checking that every code in it is known.

    ``scheme`` defaults to ``landcover.attrs['scheme']``; a ``table`` (dict or DataFrame) replaces the
    shipped one.  Codes equal to the array's nodata/_FillValue are allowed (they become NaN).
    Returns ``(mapping, nodata_values, scheme_label)``.
    """
    if table is None:
        scheme = scheme or landcover.attrs.get("scheme")
        if scheme is None:
            raise ValueError(
                f"{name} has no class scheme: set {name}.attrs['scheme'] to one of {SCHEMES} "
                "(codes overlap between schemes, so carbontools will not guess)"
            )
        mapping = _as_mapping(scheme_table(scheme))
    else:
        mapping = _as_mapping(table)
        scheme = scheme or landcover.attrs.get("scheme", "user table")
    bad_targets = sorted(set(mapping.values()) - set(CASA_CODES))
    if bad_targets:
        raise ValueError(f"land-cover table maps onto {bad_targets}, which are not CASA codes {CASA_CODES}")
    nodata = nodata_values(landcover)
    present = present_codes(landcover)
    unknown = [c for c in present if c not in mapping and c not in nodata]
    if unknown:
        shown = ", ".join(str(int(c)) if float(c).is_integer() else str(c) for c in unknown[:20])
        raise ValueError(
            f"{name} (scheme {scheme!r}) has codes that are not in the scheme's table: {shown}. "
            f"Known codes: {sorted(mapping)}. Fix the scheme attribute, mark them as nodata "
            f"({name}.attrs['nodata'] = code), or pass table={{code: casa_code, ...}}"
        )
    return mapping, nodata, scheme


def to_casa(landcover: xr.DataArray, scheme: str | None = None, table=None, name: str = "landcover") -> xr.DataArray:
    """Map land-cover codes onto CASA class codes (float, NaN where there is no data).

    ``scheme`` defaults to ``landcover.attrs['scheme']``.  Codes equal to the array's nodata /
    _FillValue, and NaN, become NaN.  A code that is neither in the table nor nodata raises an
    error that lists it (see :func:`check_codes`).
    """
    mapping, nodata, scheme = check_codes(landcover, scheme, table, name)
    top = int(max(mapping))
    lut = np.full(top + 2, np.nan)  # the last entry stays NaN: codes outside the table land there
    for code, casa in mapping.items():
        lut[code] = casa
    out = _apply_lut(landcover, lut)
    out.attrs = {"long_name": "CASA land-cover class", "units": "1", "scheme": "casa", "mapped_from": scheme}
    return out.rename("landcover_casa")


def present_codes(codes: xr.DataArray) -> np.ndarray:
    """The distinct finite codes of a class map (counting, not sorting, for integer maps); a dask map is read
    block by block (each task holds one block and returns its few codes), never whole."""
    if hasattr(codes.data, "dask"):
        import dask.array as dsa

        return _codes_in(dsa.unique(codes.data).compute())  # dask's unique: each block's codes, then their union
    return _codes_in(np.asarray(codes.data))


def _codes_in(values: np.ndarray) -> np.ndarray:
    values = values.ravel()
    if np.issubdtype(values.dtype, np.integer) and values.size and values.min() >= 0:
        return np.flatnonzero(np.bincount(values))
    found = pd.unique(values)
    return np.sort(found[np.isfinite(found.astype(float))])


def class_lookup(codes: xr.DataArray, values: Mapping[int, float], nodata=()) -> xr.DataArray:
    """Per-pixel value of a per-class quantity (``values``: code -> value); numpy or dask.

    NaN where the code is NaN, one of ``nodata``, or not in ``values``.
    """
    top = int(max(values))
    lut = np.full(top + 2, np.nan)  # the last entry stays NaN: codes outside the table land there
    for code, v in values.items():
        lut[int(code)] = v
    for nd in nodata:
        if 0 <= nd <= top and float(nd).is_integer():
            lut[int(nd)] = np.nan
    out = _apply_lut(codes, lut)
    out.attrs = {}  # a per-class quantity, not the class map: none of the map's attrs or name
    return out.rename(None)


def _apply_lut(codes: xr.DataArray, lut: np.ndarray) -> xr.DataArray:
    """Look integer codes up in ``lut`` (NaN for NaN or out-of-range codes); numpy or dask."""

    def _lookup(c):
        c = np.asarray(c)
        if np.issubdtype(c.dtype, np.integer):  # index directly; out-of-range codes hit the NaN slot
            return lut[np.where((c >= 0) & (c < len(lut)), c, len(lut) - 1)]
        c = c.astype(float)
        ok = np.isfinite(c) & (c >= 0) & (c < len(lut))
        out = np.full(c.shape, np.nan)
        out[ok] = lut[c[ok].astype(np.int64)]
        return out

    return xr.apply_ufunc(_lookup, codes, dask="parallelized", output_dtypes=[float])
