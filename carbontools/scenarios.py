"""Scenarios: what-if drivers made from today's, and their carbon balance against the baseline.

Land-cover change
    :func:`convert_classes` turns a share of the pixels of some classes (optionally only inside a
    region, or where a mask allows, e.g. near built-up land) into another class, chosen by a fixed
    random ranking, so that the same seed always gives the same map and a larger share converts the
    pixels of a smaller share and more.  The result keeps the map's attrs (scheme, nodata) and CRS, so it
    goes straight into :func:`carbontools.models.storage.sequestration` against the original.
    :func:`convert` does the same on a whole driver Dataset: the converted pixels also take the NDVI
    (per month) and the impervious fraction of their new class, as the mean of that class's pixels inside
    the region (the whole scene when the region has none).

Green share of built-up pixels
    :func:`add_green` unseals a share ``g`` of every built-up pixel (CASA class 8) in a region and
    :func:`remove_green` seals it: impervious fraction -g / +g, NDVI by linear mixing, everything else
    unchanged.  The rule, per pixel and month t, with V(t) the mean NDVI of the region's pixels of the
    ``green_class`` (the vegetation the new green space is like; the whole scene's when the region has none)::

        add:     NDVI' = NDVI + g * (V(t) - X)
        remove:  NDVI' = NDVI - g * (V(t) - X)

    X is the NDVI of what the share g was before (add) or becomes (remove): ``sealed_ndvi`` when given
    (the NDVI of sealed surface), otherwise the pixel's own NDVI, so that adding green moves the pixel's
    NDVI a share g of the way towards V(t) (NDVI' = (1 - g) NDVI + g V(t)).  With X = NDVI the rule
    underestimates the gain of a pixel whose unsealed part is already green (the share replaced was sealed,
    with a lower NDVI than the pixel's mean); give ``sealed_ndvi`` for the other end-member.

Results relative to the baseline
    :func:`compare_scenario` runs :func:`carbontools.run` on both driver sets (or takes their results) and
    returns change maps and tables of annual NEP and carbon storage per region and per land cover
    (:func:`carbontools.accounting.zonal_totals`), the life-cycle budget of the green space the scenario
    adds (:func:`carbontools.greenspace.mixed_green_space_budget`) and the offset ratios against given
    emissions (:func:`carbontools.budget.offset`).  :func:`district_green_change` is the fast path for
    one district (apps): it runs the pipeline's stages on the district's bounding box only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from numbers import Number

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["convert_classes", "region_mask", "convert", "add_green", "remove_green", "compare_scenario",
           "district_green_change", "BUILT_UP_CASA", "VEGETATED_CASA"]

#: the CASA class of built-up land (SCIENCE.md section 1)
BUILT_UP_CASA = 8
#: the vegetated CASA classes (forests, shrubland, grassland/cropland/wetland): their whole pixel is green
VEGETATED_CASA = (1, 2, 3, 4, 5, 6, 7)


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


def _scheme_classes(landcover: xr.DataArray) -> dict[int, str] | None:
    from .landcover import SCHEMES, class_names

    scheme = landcover.attrs.get("scheme")
    return class_names(scheme) if scheme in SCHEMES else None


def _check_known(codes: list[int], landcover: xr.DataArray, name: str) -> None:
    known = _scheme_classes(landcover)
    if known is None:
        return
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ValueError(f"{name} {unknown if len(unknown) > 1 else unknown[0]} is not a class of the "
                         f"{landcover.attrs['scheme']!r} scheme; its classes are "
                         + ", ".join(f"{c} {n}" for c, n in known.items()))


def _on_grid(where: xr.DataArray, landcover: xr.DataArray, name: str = "where") -> xr.DataArray:
    if not isinstance(where, xr.DataArray) or where.dtype != bool:
        raise TypeError(f"{name} must be a boolean DataArray on the land-cover grid (True where conversion is "
                        f"allowed), got {type(where).__name__}"
                        f"{' of ' + str(where.dtype) if hasattr(where, 'dtype') else ''}")
    for dim in ("y", "x"):
        if dim not in where.dims or not np.array_equal(where[dim].values, landcover[dim].values):
            raise ValueError(f"{name} is not on the land-cover grid (its {dim!r} coordinates differ or are missing); "
                             "build it from the map itself, e.g. where = landcover == 8")
    return where.transpose("y", "x")


def _share(value, name: str = "share") -> float:
    ok = isinstance(value, (Number, np.number)) and not isinstance(value, bool) and np.isfinite(float(value))
    if not ok or not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{name} must be a fraction from 0 to 1, got {value!r}: give e.g. {name}=0.2 for 20 %")
    return float(value)


# --------------------------------------------------------------------------------------------
# Regions
# --------------------------------------------------------------------------------------------

def _describe(region) -> str:
    if isinstance(region, (str, int, np.integer)):
        return repr(region)
    return type(region).__name__


def region_mask(like, region=None, zones=None, name_column: str = "name") -> xr.DataArray:
    """True on the cells of ``like`` (a DataArray or Dataset on (y, x)) that lie in ``region``.

    ``region`` is one of:

    - ``None``: the whole grid;
    - a boolean DataArray on the grid (returned as it is, after a grid check);
    - a shapely polygon (in the grid's CRS) or a GeoDataFrame (all its polygons together);
    - a region of ``zones``: its name (``'Old Town'``) or its position (an int) in a GeoDataFrame or vector
      file of region polygons, or a code (or a name of ``attrs['names']``) of an integer zone raster on the grid.

    Polygons are rasterised as :func:`carbontools.accounting.zones_from_polygons` does (a cell belongs to
    the polygon containing its centre).  A region that does not exist, or that covers no cell, is an error.
    """
    import geopandas as gpd

    from .accounting import zones_from_polygons

    grid = like if isinstance(like, xr.DataArray) else like[next(iter(like.data_vars))]
    template = xr.zeros_like(grid.isel({d: 0 for d in grid.dims if d not in ("y", "x")}, drop=True), dtype=bool)
    if region is None:
        return ~template
    if isinstance(region, xr.DataArray):
        mask = _on_grid(region, grid, "region")
    elif isinstance(region, gpd.GeoDataFrame) or hasattr(region, "geom_type"):
        gdf = region if isinstance(region, gpd.GeoDataFrame) else gpd.GeoDataFrame(
            {"name": ["region"]}, geometry=[region], crs=grid.rio.crs)
        column = name_column if name_column in gdf.columns else None
        if column is None:
            gdf = gdf.assign(name=[str(i) for i in range(len(gdf))])
            column = "name"
        mask = zones_from_polygons(gdf, grid, column).notnull()
    elif isinstance(region, (str, int, np.integer)) and not isinstance(region, bool):
        if zones is None:
            raise ValueError(f"region {region!r} names a zone, but no zones were given: pass zones= (region polygons "
                             "such as carbontools.demo.districts(), or an integer zone raster), or give the region "
                             "as a polygon or a boolean mask")
        if isinstance(zones, xr.DataArray):
            names = zones.attrs.get("names")
            codes = [int(c) for c in np.unique(zones.values[np.isfinite(zones.values)])]
            if isinstance(region, str):
                if not names or region not in list(names):
                    raise ValueError(f"region {region!r} is not a zone of the zone raster (its names: "
                                     f"{list(names) if names else 'none; give a code'}, codes {codes})")
                code = list(names).index(region)
            else:
                code = int(region)
                if code not in codes:
                    raise ValueError(f"region {region!r} is not a code of the zone raster; its codes are {codes}")
            mask = _on_grid((zones == code), grid, "zones")
        else:
            raster = zones_from_polygons(zones, grid, name_column)
            names = list(raster.attrs["names"])
            if isinstance(region, str):
                if region not in names:
                    raise ValueError(f"region {region!r} is not one of the zones; the zones are {names} "
                                     f"(column {name_column!r}); give one of these names or its position 0..{len(names) - 1}")
                code = names.index(region)
            else:
                code = int(region)
                if not 0 <= code < len(names):
                    raise ValueError(f"region {region!r} is no zone: give a position 0..{len(names) - 1} or a name "
                                     f"of {names}")
            mask = raster == code
    else:
        raise TypeError(f"region must be None, a boolean DataArray, a polygon, a GeoDataFrame or a zone's name or "
                        f"code, not {type(region).__name__}")
    mask = mask.drop_vars([c for c in mask.coords if c not in ("y", "x")]).assign_coords(y=grid["y"], x=grid["x"])
    if not bool(mask.any()):
        raise ValueError(f"region {_describe(region)} covers no cell of the grid (no cell centre lies in it): check "
                         "that it overlaps the grid and is in its CRS")
    return mask.rename("region")


# --------------------------------------------------------------------------------------------
# Land-cover change
# --------------------------------------------------------------------------------------------

def convert_classes(landcover: xr.DataArray, from_classes, to_class: int, share: float, *,
                    where: xr.DataArray | None = None, seed: int = 0, otherwise: int | None = None,
                    region=None, zones=None, name_column: str = "name"):
    """A scenario map: ``share`` of the pixels of ``from_classes`` (inside ``where`` and ``region``) become ``to_class``.

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
    region, zones, name_column
        Limit the conversion to a region (see :func:`region_mask`): a district's name with ``zones``
        (e.g. ``region="Delta Farms", zones=demo.districts()``), a polygon, a GeoDataFrame or a mask.

    Returns
    -------
    (after, converted)
        ``after``: the new map, with the dtype, attrs (plus ``attrs['scenario']``, the arguments as JSON)
        and CRS of ``landcover``.  ``converted``: a boolean DataArray, True on every pixel the scenario
        gave a new class, ``to_class`` or ``otherwise`` (so ``converted & (after == to_class)`` are the
        pixels that became ``to_class``).

    Class codes that are not classes of the map's scheme (``attrs['scheme']``), and a conversion with no
    eligible pixel (the classes do not occur where conversion is allowed), are errors.
    The eligible mask is computed (a dask-backed map is read once to count it).
    """
    if not isinstance(landcover, xr.DataArray) or not {"y", "x"} <= set(landcover.dims):
        raise ValueError("landcover must be a DataArray of class codes with dims 'y' and 'x'")
    sources = _codes(from_classes, "from_classes")
    target = _codes(to_class, "to_class")[0]
    rest = None if otherwise is None else _codes(otherwise, "otherwise")[0]
    _check_known(sources, landcover, "from_classes")
    _check_known([target], landcover, "to_class")
    if rest is not None:
        _check_known([rest], landcover, "otherwise")
    share = _share(share)
    eligible = landcover.isin(sources)
    if where is not None:
        eligible = eligible & _on_grid(where, landcover)
    if region is not None:
        eligible = eligible & region_mask(landcover, region, zones, name_column)
    mask = np.asarray(eligible.values, dtype=bool)
    if not mask.any():
        present = sorted(int(c) for c in np.unique(np.asarray(landcover.values)) if np.isfinite(c))
        within = " inside the region" if region is not None else ""
        within += " where `where` is True" if where is not None else ""
        raise ValueError(f"no pixel of from_classes {sources} lies{within or ' in the map'}, so the scenario would "
                         f"change nothing; the map has classes {present}: choose classes that occur there, or "
                         "another region")
    count = int(np.floor(share * int(mask.sum()) + 0.5))
    ranks = np.where(mask, np.random.default_rng(seed).random(mask.shape), np.inf)
    chosen = np.zeros(mask.size, dtype=bool)
    chosen[np.argsort(ranks, axis=None, kind="stable")[:count]] = True
    chosen = xr.DataArray(chosen.reshape(mask.shape), dims=eligible.dims, coords=eligible.coords)

    after = xr.where(chosen, target, landcover if rest is None else xr.where(eligible, rest, landcover))
    scenario = {"from_classes": sources, "to_class": target, "share": share, "seed": seed,
                "otherwise": rest, "where": where is not None, "converted_to_class": count}
    if region is not None:
        scenario["region"] = region if isinstance(region, (str, int)) else _describe(region)
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


def _drivers(drivers, need=("landcover",)) -> xr.Dataset:
    if not isinstance(drivers, xr.Dataset):
        raise TypeError(f"drivers must be an xarray Dataset such as carbontools.demo.delta_city(), not "
                        f"{type(drivers).__name__}")
    missing = [n for n in need if n not in drivers]
    if missing:
        raise ValueError(f"drivers lack {missing} (they have {sorted(drivers.data_vars)}); a scenario changes "
                         "these, so add them first")
    return drivers


def _mean_ndvi(ndvi: xr.DataArray, mask: xr.DataArray) -> xr.DataArray:
    """Mean NDVI per month over the cells of ``mask`` (NaN cells left out); dim time."""
    return ndvi.where(mask).mean(("y", "x"))


def _profile(drivers: xr.Dataset, code: int, region: xr.DataArray, what: str):
    """Per-month NDVI and impervious fraction of class ``code`` in ``region`` (else the scene), and where from."""
    lc = drivers["landcover"]
    inside = (lc == code) & region
    where = "region"
    if not bool(inside.any()):
        inside, where = lc == code, "scene (the region has no pixel of this class)"
    if not bool(inside.any()):
        raise ValueError(f"{what} {code} has no pixel anywhere in the scene to take its NDVI and impervious fraction "
                         "from; choose a class that occurs in the map, or pass properties='keep' to leave the "
                         "converted pixels' NDVI and impervious fraction as they are")
    ndvi = _mean_ndvi(drivers["ndvi"], inside) if "ndvi" in drivers else None
    imp = drivers["impervious"].where(inside).mean() if "impervious" in drivers else None
    return ndvi, imp, where


def _with_step(ds: xr.Dataset, step: dict) -> xr.Dataset:
    steps = json.loads(ds.attrs.get("scenario", "[]"))
    return ds.assign_attrs(scenario=json.dumps([*steps, step]))


def convert(drivers: xr.Dataset, from_classes, to_class: int, share: float = 1.0, *, region=None, zones=None,
            where: xr.DataArray | None = None, seed: int = 0, otherwise: int | None = None,
            properties: str = "class_mean", name_column: str = "name"):
    """New drivers in which ``share`` of the pixels of ``from_classes`` (in ``region``) become ``to_class``.

    The land cover changes as in :func:`convert_classes` (same arguments, same seeded choice of pixels).
    With ``properties='class_mean'`` (default) every converted pixel also takes the NDVI of its new class,
    month by month, and its impervious fraction: the means over the pixels of that class inside the region
    (over the whole scene when the region has none; the class must occur somewhere).  ``'keep'`` leaves
    NDVI and impervious as they were (only the class-dependent parameters and pools change).  Temperature,
    precipitation, radiation and every pixel not converted stay exactly as they were.

    Returns ``(scenario_drivers, converted)``: a Dataset for :func:`carbontools.run` with the steps in
    ``attrs['scenario']`` (JSON), and the converted pixels (boolean).
    """
    ds = _drivers(drivers)
    if properties not in ("class_mean", "keep"):
        raise ValueError(f"properties={properties!r}: give 'class_mean' (converted pixels take their new class's "
                         "NDVI and impervious fraction) or 'keep'")
    inside = region_mask(ds, region, zones, name_column)
    after, converted = convert_classes(ds["landcover"], from_classes, to_class, share, where=where, seed=seed,
                                       otherwise=otherwise, region=inside)
    out = ds.copy()
    out["landcover"] = after
    record = {}
    if properties == "class_mean":
        for code in dict.fromkeys([c for c in (int(to_class), otherwise) if c is not None]):
            pixels = converted & (after == code)
            ndvi, imp, source = _profile(ds, code, inside, "to_class" if code == int(to_class) else "otherwise")
            if ndvi is not None:
                out["ndvi"] = xr.where(pixels, ndvi.astype(ds["ndvi"].dtype), out["ndvi"]).transpose(
                    *ds["ndvi"].dims).assign_attrs(ds["ndvi"].attrs)
            if imp is not None:
                out["impervious"] = xr.where(pixels, imp.astype(ds["impervious"].dtype), out["impervious"]).transpose(
                    *ds["impervious"].dims).assign_attrs(ds["impervious"].attrs)
            record[str(code)] = f"NDVI and impervious fraction: mean of the class's pixels in the {source}"
    step = {"step": "convert", **json.loads(after.attrs["scenario"]), "properties": properties, "from": record}
    return _with_step(out, step), converted


# --------------------------------------------------------------------------------------------
# Green share of built-up pixels
# --------------------------------------------------------------------------------------------

def _built_up(ds: xr.Dataset, built_classes) -> xr.DataArray:
    from .landcover import to_casa

    if built_classes is None:
        return to_casa(ds["landcover"]) == BUILT_UP_CASA
    codes = _codes(built_classes, "built_classes")
    _check_known(codes, ds["landcover"], "built_classes")
    return ds["landcover"].isin(codes)


def _green(drivers, share, green_class, sign, region, zones, built_classes, sealed_ndvi, name_column):
    ds = _drivers(drivers, ("landcover", "ndvi", "impervious"))
    g = _share(share)
    green = _codes(green_class, "green_class")[0]
    _check_known([green], ds["landcover"], "green_class")
    if sealed_ndvi is not None and not (isinstance(sealed_ndvi, (Number, np.number)) and -1 <= float(sealed_ndvi) <= 1):
        raise ValueError(f"sealed_ndvi must be an NDVI from -1 to 1 (the NDVI of sealed surface), got {sealed_ndvi!r}")
    inside = region_mask(ds, region, zones, name_column)
    pixels = _built_up(ds, built_classes) & inside & ds["impervious"].notnull()
    if not bool(pixels.any()):
        raise ValueError(f"region {_describe(region)} has no built-up pixel (CASA class {BUILT_UP_CASA}"
                         f"{'' if built_classes is None else ', or built_classes=' + str(built_classes)}) with an "
                         "impervious fraction, so there is no green share to change; choose another region")
    imp = ds["impervious"]
    if sign > 0:
        short = pixels & (imp < g)
        if bool(short.any()):
            raise ValueError(f"share={g:g} of green is larger than the impervious fraction of {int(short.sum())} "
                             f"built-up pixel(s) (the smallest is {float(imp.where(pixels).min()):.4g}): a pixel cannot "
                             f"lose more sealed surface than it has. Give share <= {float(imp.where(pixels).min()):.4g}, "
                             "or limit the region")
    else:
        room = 1.0 - imp
        short = pixels & (room < g)
        if bool(short.any()):
            raise ValueError(f"share={g:g} of green to remove is larger than the green (unsealed) share 1 - impervious "
                             f"of {int(short.sum())} built-up pixel(s) (the smallest is "
                             f"{float(room.where(pixels).min()):.4g}). Give share <= "
                             f"{float(room.where(pixels).min()):.4g}, or limit the region")
    vegetation, _, source = _profile(ds, green, inside, "green_class")
    ndvi = ds["ndvi"]
    other = ndvi if sealed_ndvi is None else float(sealed_ndvi)
    dtype = ndvi.dtype
    new_ndvi = ndvi + (sign * g) * (vegetation - other)
    out = ds.copy()
    out["ndvi"] = xr.where(pixels, new_ndvi.astype(dtype), ndvi).transpose(*ndvi.dims).assign_attrs(ndvi.attrs)
    out["impervious"] = xr.where(pixels, (imp - sign * g).astype(imp.dtype), imp).transpose(
        *imp.dims).assign_attrs(imp.attrs)
    rule = ("NDVI' = NDVI " + ("+" if sign > 0 else "-") + " g x (V(t) - "
            + ("NDVI)" if sealed_ndvi is None else f"{float(sealed_ndvi):g})")
            + f"; V(t) = mean NDVI of class {green} pixels in the {source}")
    step = {"step": "add_green" if sign > 0 else "remove_green", "share": g, "green_class": green,
            "region": region if isinstance(region, (str, int)) else _describe(region) if region is not None else None,
            "pixels": int(pixels.sum()), "impervious": f"{'-' if sign > 0 else '+'}{g:g}", "ndvi_rule": rule}
    return _with_step(out, step)


def add_green(drivers: xr.Dataset, share: float, green_class: int, *, region=None, zones=None, built_classes=None,
              sealed_ndvi: float | None = None, name_column: str = "name") -> xr.Dataset:
    """New drivers with a share ``share`` of every built-up pixel of ``region`` turned from sealed into green.

    ``share`` (0..1) is taken off the impervious fraction of each built-up pixel (CASA class 8, or
    ``built_classes`` codes) inside ``region`` (see :func:`region_mask`; default the whole grid); a share
    larger than a pixel's impervious fraction is an error.  NDVI rises by the module's mixing rule:
    NDVI' = NDVI + share x (V(t) - X), V(t) the mean NDVI in month t of the region's pixels of
    ``green_class`` (the vegetation the new green is like, e.g. CLCD 2 forest for tree-covered parks), X the
    pixel's own NDVI, or ``sealed_ndvi``.  Every other variable and pixel is unchanged; the land cover too
    (the pixels stay built-up, with more green).  Returns drivers for :func:`carbontools.run`, the step
    recorded in ``attrs['scenario']``.
    """
    return _green(drivers, share, green_class, +1, region, zones, built_classes, sealed_ndvi, name_column)


def remove_green(drivers: xr.Dataset, share: float, green_class: int, *, region=None, zones=None, built_classes=None,
                 sealed_ndvi: float | None = None, name_column: str = "name") -> xr.Dataset:
    """The reverse of :func:`add_green`: a share ``share`` of every built-up pixel of ``region`` is sealed.

    The impervious fraction rises by ``share`` (an error where that would pass 1) and NDVI falls by the
    same mixing rule, NDVI' = NDVI - share x (V(t) - X).  Everything else is unchanged.
    """
    return _green(drivers, share, green_class, -1, region, zones, built_classes, sealed_ndvi, name_column)


# --------------------------------------------------------------------------------------------
# Results relative to the baseline
# --------------------------------------------------------------------------------------------

def _annual_nep(result: xr.Dataset, year=None) -> xr.DataArray:
    """Annual NEP (g C m-2 yr-1) of ``year``, or the mean over the complete years."""
    nep = result["nep_annual"]
    if year is not None:
        if int(year) not in nep["year"].values.tolist():
            raise ValueError(f"year={year!r} is not a year of the results; they have {nep['year'].values.tolist()}")
        out = nep.sel(year=int(year))
    else:
        complete = (nep["months"] == 12).values
        if not complete.any():
            raise ValueError("the results have no complete calendar year (12 months): give drivers over whole years")
        out = nep.isel(year=complete).mean("year", keep_attrs=True)
    return out.drop_vars([c for c in out.coords if c not in ("y", "x", "spatial_ref")]).assign_attrs(
        units="g C m-2 yr-1")


def _default_pools(drivers: xr.Dataset):
    from .models import storage

    elevation = drivers["elevation"] if "elevation" in drivers else 0.0
    zone = storage.climate_zone(drivers["tmean"], drivers["precip"], elevation=elevation)
    return storage.read_pools(scheme=drivers["landcover"].attrs.get("scheme", "casa"), zone=zone)


def _storage(drivers: xr.Dataset, pools) -> xr.DataArray:
    from .models import storage

    sealing = set(storage.SEALING_COLUMNS) <= set(pools.columns) and bool(
        pools[list(storage.SEALING_COLUMNS)].notna().all(axis=1).any())
    impervious = drivers["impervious"] if ("impervious" in drivers and sealing) else None
    return storage.storage_density(drivers["landcover"], pools, impervious=impervious)


def _green_share(drivers: xr.Dataset) -> xr.DataArray:
    """Green share of each pixel: 1 on vegetated classes, 1 - impervious on built-up, 0 elsewhere."""
    from .landcover import to_casa

    casa = to_casa(drivers["landcover"])
    built = 1.0 - drivers["impervious"].fillna(1.0) if "impervious" in drivers else 0.0
    return xr.where(casa.isin(list(VEGETATED_CASA)), 1.0, xr.where(casa == BUILT_UP_CASA, built, 0.0))


def _pair_table(before: pd.DataFrame, after: pd.DataFrame, column: str, name: str) -> pd.DataFrame:
    return pd.DataFrame({f"{name}_baseline": before[column], f"{name}_scenario": after[column],
                         f"{name}_change": after[column] - before[column]})


def compare_scenario(baseline: xr.Dataset, scenario: xr.Dataset, zones=None, *, name_column: str = "name",
                     pools=None, year: int | None = None, emissions=None, emissions_unit: str = "t CO2 yr-1",
                     harvest_removal: float = 1.0, green_space: Mapping | None = None,
                     baseline_result: xr.Dataset | None = None, scenario_result: xr.Dataset | None = None,
                     **run_options) -> dict:
    """The scenario against the baseline: change maps and tables of annual NEP, storage, budget and offsets.

    Parameters
    ----------
    baseline, scenario : Dataset
        Driver sets on one grid (the scenario from :func:`convert`, :func:`add_green`, ...).
    zones : optional
        Regions as :func:`carbontools.accounting.zonal_totals` takes them (GeoDataFrame, vector file, zone raster).
    pools : optional
        Carbon pool table (:func:`carbontools.models.storage.read_pools`); default the shipped table of the
        land cover's scheme in the baseline's IPCC climate zone.  Built-up soil follows the impervious fraction.
    year : int, optional
        The year of annual NEP; default the mean over the complete years.
    emissions : number or Series by region, optional
        Emissions to offset, in ``emissions_unit``: a number for the whole grid, a Series by region name with
        ``zones``.  The sink counted for offsets is :func:`carbontools.budget.sink_for_offsets` (cropland NEP x
        (1 - ``harvest_removal``)).
    green_space : mapping, optional
        The life-cycle budget of the green space the scenario adds: ``composition`` (class -> share of the
        area, names of the management table), ``management_factors`` (optional, default the shipped example),
        ``construction``, ``lifetime_years``, ``construction_unit``, ``basis``
        (:func:`carbontools.greenspace.mixed_green_space_budget`).  The added green area is the increase of
        each pixel's green share (1 on vegetated classes, 1 - impervious on built-up land) times its area; its
        sequestration is the region's change in annual NEP spread over it.
    baseline_result, scenario_result : optional
        Results of :func:`carbontools.run` already computed for the two driver sets (else they are run with
        ``run_options``).

    Returns
    -------
    dict
        ``maps`` (Dataset: ``nep_baseline``, ``nep_scenario``, ``nep_change`` in g C m-2 yr-1, ``storage_*`` in
        Mg C ha-1, ``green_share_change``, ``changed`` cells); ``by_landcover`` (by the baseline's classes),
        ``by_region`` and ``by_region_landcover`` (with ``zones``): NEP in t C yr-1 and storage in Mg C, baseline,
        scenario and change; ``offset`` (with ``emissions``): offset ratio and net balance before and after;
        ``budget`` (with ``green_space``): per region (or the grid) in t CO2e yr-1; ``baseline`` and
        ``scenario``: the two run results.
    """
    from . import budget as budget_mod
    from .accounting import zonal_totals
    from .greenspace import mixed_green_space_budget, storage_by_zone
    from .grid import cell_area, check_same_grid
    from .pipeline import run

    base, scen = _drivers(baseline), _drivers(scenario)
    check_same_grid(base["landcover"], scen["landcover"], names=("baseline", "scenario"),
                    fix="make the scenario from the baseline drivers (carbontools.scenarios.convert, add_green)")
    r0 = baseline_result if baseline_result is not None else run(base, **run_options)
    r1 = scenario_result if scenario_result is not None else run(scen, **run_options)
    pools = _default_pools(base) if pools is None else pools
    nep0, nep1 = _annual_nep(r0, year), _annual_nep(r1, year)
    st0, st1 = _storage(base, pools), _storage(scen, pools)
    gs0, gs1 = _green_share(base), _green_share(scen)
    changed = (base["landcover"] != scen["landcover"])
    for v in ("ndvi", "impervious"):
        if v in base and v in scen:
            diff = base[v] != scen[v]
            changed = changed | (diff.any("time") if "time" in diff.dims else diff)
    maps = xr.Dataset({
        "nep_baseline": nep0, "nep_scenario": nep1,
        "nep_change": (nep1 - nep0).assign_attrs(units="g C m-2 yr-1", long_name="change in annual NEP (> 0: more uptake)"),
        "storage_baseline": st0, "storage_scenario": st1,
        "storage_change": (st1 - st0).assign_attrs(units="Mg C ha-1", long_name="change in carbon storage (> 0: gain)"),
        "green_share_change": (gs1 - gs0).assign_attrs(units="1", long_name="change in the green share of the pixel"),
        "changed": changed.rename(None).assign_attrs(long_name="cells whose drivers the scenario changed"),
    })

    def tables(zoning, names=None):
        t_nep = [zonal_totals(n, zoning, unit="t C", names=names, name_column=name_column) for n in (nep0, nep1)]
        t_st = [storage_by_zone(s, zoning, unit="Mg C", names=names, name_column=name_column) for s in (st0, st1)]
        out = pd.concat([_pair_table(*t_nep, "total", "nep_tC_yr"), _pair_table(*t_st, "total", "storage_MgC")], axis=1)
        out.insert(0, "area_m2", t_st[0]["area_m2"])
        return out

    landcover = base["landcover"]
    out = {"maps": maps, "baseline": r0, "scenario": r1,
           "by_landcover": tables(landcover), "by_region": None, "by_region_landcover": None,
           "offset": None, "budget": None}
    out["by_landcover"].attrs = {"rows": "the baseline's land-cover classes (converted pixels under their old class)",
                                 "nep": "t C yr-1", "storage": "Mg C"}
    if zones is not None:
        out["by_region"] = tables(zones)
        out["by_region_landcover"] = tables({"region": zones, "landcover": landcover})

    if emissions is not None:
        sinks = [budget_mod.sink_for_offsets(n, d["landcover"], harvest_removal, unit="t C",
                                             zones=zones if not isinstance(emissions, Number) else None)
                 for n, d in ((nep0, base), (nep1, scen))]
        if isinstance(emissions, (Number, np.number)):
            pair = [budget_mod.offset(s["counted"], float(emissions), sequestration_unit="t C yr-1",
                                      emissions_unit=emissions_unit) for s in sinks]
            table = pd.DataFrame(pair, index=["baseline", "scenario"])[
                ["sequestration", "emissions", "offset_ratio", "net_balance", "units"]]
            table.loc["change"] = table.loc["scenario", ["sequestration", "emissions", "offset_ratio", "net_balance"]] \
                - table.loc["baseline", ["sequestration", "emissions", "offset_ratio", "net_balance"]]
            table.loc["change", "units"] = table.loc["baseline", "units"]
        else:
            if zones is None:
                raise ValueError("emissions by region need zones= (the regions of the emissions' index)")
            if not isinstance(emissions, pd.Series):
                raise TypeError(f"emissions must be a number (whole grid) or a pandas Series by region, not "
                                f"{type(emissions).__name__}")
            pair = [budget_mod.offset(s["counted"], emissions, sequestration_unit="t C yr-1",
                                      emissions_unit=emissions_unit) for s in sinks]
            table = pd.DataFrame({"emissions": pair[0]["emissions"],
                                  "sequestration_baseline": pair[0]["sequestration"],
                                  "sequestration_scenario": pair[1]["sequestration"],
                                  "offset_ratio_baseline": pair[0]["offset_ratio"],
                                  "offset_ratio_scenario": pair[1]["offset_ratio"]})
            table["offset_ratio_change"] = table["offset_ratio_scenario"] - table["offset_ratio_baseline"]
            table["net_balance_baseline"] = pair[0]["net_balance"]
            table["net_balance_scenario"] = pair[1]["net_balance"]
            table["note"] = pair[1]["note"]
        table.attrs = {"units": pair[0]["units"] if isinstance(pair[0], dict) else pair[0].attrs["units"],
                       "sink": f"NEP counted for offsets: {budget_mod.HARVEST_RULE}",
                       "harvest_removal": float(harvest_removal)}
        out["offset"] = table

    if green_space is not None:
        out["budget"] = _green_budget(maps, nep0, nep1, zones, name_column, dict(green_space), cell_area,
                                      mixed_green_space_budget, zonal_totals)
    return out


def _green_budget(maps, nep0, nep1, zones, name_column, spec, cell_area, mixed_budget, zonal_totals):
    from .accounting import zones_from_polygons
    from .budget import read_management_factors

    if "composition" not in spec:
        raise ValueError("green_space needs 'composition': the classes of the new green space and their shares, e.g. "
                         "{'park_trees': 0.7, 'lawn': 0.3} (class names of the management factor table)")
    composition = spec.pop("composition")
    factors = spec.pop("management_factors", None)
    factors = read_management_factors(factors)
    lifetime = spec.pop("lifetime_years", None)
    area = cell_area(maps["green_share_change"])
    added = (maps["green_share_change"].clip(min=0.0) * area)
    delta = (nep1 - nep0).assign_attrs(units="g C m-2 yr-1")
    if zones is None:
        groups = {"whole grid": xr.ones_like(added, dtype=bool)}
    elif isinstance(zones, xr.DataArray):
        names = zones.attrs.get("names")
        groups = {(names[int(c)] if names else int(c)): zones == c
                  for c in np.unique(zones.values[np.isfinite(zones.values)])}
    else:
        raster = zones_from_polygons(zones, added, name_column)
        groups = {n: raster == i for i, n in enumerate(raster.attrs["names"])}
    rows, unit = {}, None  # the unit of mixed_green_space_budget's table (None: no region adds green space)
    for name, mask in groups.items():
        green_m2 = float(added.where(mask).sum())
        nep_change = float((delta.fillna(0.0) * area).where(mask).sum())  # g C yr-1
        if green_m2 <= 0:
            rows[name] = {"green_area_m2": 0.0, "note": "the scenario adds no green space here"}
            continue
        table = mixed_budget(green_m2, composition, nep_change / green_m2, factors, lifetime_years=lifetime,
                             sequestration_unit="g C m-2 yr-1", **spec)
        total, unit = table.loc["total"], table.attrs["units"]
        rows[name] = {"green_area_m2": green_m2, "sequestration": total["sequestration"],
                      "management": total["management"], "construction_amortised": total["construction_amortised"],
                      "net": total["net"], "note": ""}
    result = pd.DataFrame.from_dict(rows, orient="index")
    result.index.name = "region"
    result.attrs = {"units": unit,
                    "sequestration": "the region's change in annual NEP, spread over the green area the scenario adds",
                    "composition": dict(composition), "management_factors": factors.attrs.get("source", "")}
    return result


# --------------------------------------------------------------------------------------------
# The fast path for one district (apps)
# --------------------------------------------------------------------------------------------

def _bounding_box(mask: xr.DataArray) -> dict:
    rows = np.flatnonzero(mask.any("x").values)
    cols = np.flatnonzero(mask.any("y").values)
    return {"y": slice(int(rows[0]), int(rows[-1]) + 1), "x": slice(int(cols[0]), int(cols[-1]) + 1)}


def _district_totals(drivers: xr.Dataset, mask: xr.DataArray, pools, run_options, year) -> dict:
    from .greenspace import nep_total, storage_total
    from .pipeline import assemble, casa_stage, prepare, rh_stage

    prep = prepare(drivers, **run_options)
    result = assemble(casa_stage(prep), rh_stage(prep), prep)
    nep = _annual_nep(result, year).where(mask)
    return {"nep_tC_yr": float(nep_total(nep, unit="t C")),
            "storage_MgC": float(storage_total(_storage(drivers, pools).where(mask), unit="Mg C"))}


def district_green_change(drivers: xr.Dataset, zones, district, share: float, green_class: int, *,
                          name_column: str = "name", pools=None, year: int | None = None,
                          sealed_ndvi: float | None = None, baseline: Mapping | None = None, **run_options) -> dict:
    """The change in annual NEP and storage of one district when ``share`` of its built-up pixels turns green: fast.

    The same numbers as ``compare_scenario(drivers, add_green(drivers, share, green_class, region=district,
    zones=zones), zones)`` gives in its ``by_region`` row for that district, computed on far fewer pixels: every
    pixel's NPP and Rh depend on its own drivers only, so the pipeline's stages
    (:func:`carbontools.pipeline.prepare`, ``casa_stage``, ``rh_stage``, ``assemble``) run on the bounding box of
    the district (its baseline totals) and on the bounding box of the pixels the scenario changes (the district's
    built-up pixels), before and after.  ``baseline``: the ``baseline`` entry of an earlier result for the same
    drivers, district, pools and options; the baseline is then not run again, so a slider moving ``share`` runs
    only the changed pixels' scenario.

    Returns a dict: ``district``, ``share``, ``nep_baseline_tC_yr``, ``nep_scenario_tC_yr``, ``nep_change_tC_yr``
    (> 0: more uptake), ``storage_baseline_MgC``, ``storage_scenario_MgC``, ``storage_change_MgC``, ``pixels``
    (the district's), ``built_pixels`` (those made greener) and ``baseline`` (to pass back).
    """
    ds = _drivers(drivers, ("landcover", "ndvi", "impervious"))
    share = _share(share)
    green = _codes(green_class, "green_class")[0]
    mask = region_mask(ds, district, zones, name_column)
    box = _bounding_box(mask)
    crop, inside = ds.isel(box), mask.isel(box)
    key = {"district": district if isinstance(district, (str, int)) else _describe(district),
           "box": [box["y"].start, box["y"].stop, box["x"].start, box["x"].stop], "run_options": repr(run_options),
           "year": year}
    if baseline is not None and baseline.get("key") == key:
        base = baseline
    else:
        pools = _default_pools(ds) if pools is None else pools
        base = {"key": key, "pools": pools, **_district_totals(crop, inside, pools, run_options, year)}
    pools = base["pools"]
    # the scenario: made on the district's box when the district has pixels of the green class (its vegetation
    # NDVI is then the district's, as on the whole scene), else on the whole scene (the scene's vegetation NDVI)
    if bool(((crop["landcover"] == green) & inside).any()):
        scen = add_green(crop, share, green, region=inside, sealed_ndvi=sealed_ndvi)
    else:
        scen = add_green(ds, share, green, region=mask, sealed_ndvi=sealed_ndvi).isel(box)
    changed = _built_up(crop, None) & inside & crop["impervious"].notnull()
    inner = _bounding_box(changed)
    if "changed" not in base:  # the changed pixels follow from the district (in the key)
        base["changed"] = {"box": inner, **_district_totals(crop.isel(inner), changed.isel(inner), pools,
                                                            run_options, year)}
    after = _district_totals(scen.isel(inner), changed.isel(inner), pools, run_options, year)
    d_nep = after["nep_tC_yr"] - base["changed"]["nep_tC_yr"]
    d_storage = after["storage_MgC"] - base["changed"]["storage_MgC"]
    return {"district": key["district"], "share": share,
            "nep_baseline_tC_yr": base["nep_tC_yr"], "nep_scenario_tC_yr": base["nep_tC_yr"] + d_nep,
            "nep_change_tC_yr": d_nep,
            "storage_baseline_MgC": base["storage_MgC"], "storage_scenario_MgC": base["storage_MgC"] + d_storage,
            "storage_change_MgC": d_storage,
            "pixels": int(inside.sum()), "built_pixels": int(changed.sum()), "baseline": base}
