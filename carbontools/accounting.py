"""Totals and shares by region and by land cover (SCIENCE.md section 5).

``zonal_totals(values, zones, unit="t C")``: ``values`` is a flux or stock per area in its declared
``units`` (g C m-2 when it declares none, over whatever period the values cover) on (y, x) or (time, y, x); ``zones`` an integer raster on the
same grid, or region polygons (GeoDataFrame or a vector file) rasterised with regionmask (a cell
belongs to the polygon that contains its centre).  Areas come from :func:`carbontools.grid.cell_area`.

Every total here is sum(value x cell area x covered share x zone weight) (SCIENCE.md section 5):

- the **covered share** is the field's ``coverage`` coordinate where it has one (coarsened or regridded
  fields: :func:`carbontools.grid.coarsen_conservative`), else 1 where it has a value; the share of a
  zone's area without a value is reported as ``missing_pct``;
- the **area basis** (``attrs['area_basis']``): ``'cell'`` (the default: per m2 of the cell, as models
  and most products give) or ``'land'`` (per m2 of the cell's land); only the latter is multiplied by
  the land share, which must then be given (``land_fraction=``).

The sums are grouped sums block by block (:func:`zonal_tables`): a class map gives each cell its row, regions
that do not overlap give each cell inside one region that region's row and, on geographic grids, each cell
a polygon edge crosses its share in each region (regionmask's points, sampled only in tiles an edge
crosses), so memory follows the block, not regions x cells (``benchmarks/bench_zonal.py``).  (zone, y, x)
shares and overlapping regions, which give a cell to several zones, are summed as dense weights.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr

from . import units
from .grid import _edges, cell_area, check_same_grid, coverage, on_grid_of, time_step
from .landcover import present_codes, reporting_classes
from .units import area_total_factor

__all__ = ["zonal_totals", "zonal_tables", "region_zones", "RegionZones", "zones_from_polygons", "zone_weights", "annual_totals", "seasonal_cycle",
           "latitude_time", "step_amounts", "land_class_weights", "RegionsWarning"]

#: the unit assumed for values that declare none (the models' own)
DEFAULT_UNITS = "g C m-2"
#: what a flux or stock per area is per m2 of: the whole cell (default) or the cell's land
AREA_BASES = ("cell", "land")


def area_basis(values: xr.DataArray, name: str | None = None) -> str:
    """``values.attrs['area_basis']`` (``'cell'`` when absent), checked."""
    basis = values.attrs.get("area_basis", "cell")
    if basis not in AREA_BASES:
        raise ValueError(f"{name or values.name or 'values'} has attrs['area_basis'] = {basis!r}; use 'cell' (per m2 of "
                         "the cell, the usual case) or 'land' (per m2 of the cell's land, then give land_fraction=)")
    return basis


def covered_share(values: xr.DataArray, land_fraction: xr.DataArray | None = None,
                  name: str | None = None) -> xr.DataArray:
    """The share of each cell's area a total counts for ``values``: coverage (0 where NaN) x land share if per m2 of land.

    ``land_fraction`` (0..1 on the values' grid) is needed, and used, only for ``attrs['area_basis'] = 'land'``.
    """
    label = name or values.name or "values"
    share = coverage(values)
    if area_basis(values, label) == "land":
        if land_fraction is None:
            raise ValueError(f"{label} is per m2 of land (attrs['area_basis'] = 'land'): its totals multiply by the "
                             "land share of each cell; give land_fraction= (0..1 on its grid), or set "
                             "attrs['area_basis'] = 'cell' if the values are per m2 of the whole cell")
        land = on_grid_of(land_fraction, values, names=(label, "land_fraction"),
                          fix="put the land fraction on the values' grid first (carbontools.grid.regrid)")
        share = share * land.fillna(0.0)
    return share


def _total_factor(values: xr.DataArray, unit: str) -> float:
    """sum(value x area m2) -> ``unit``, from the values' declared units (default g C m-2)."""
    return area_total_factor(values.attrs.get("units") or DEFAULT_UNITS, unit, values.name or "values")


#: the time denominator of each step of a time axis
STEP_UNITS = {"month": "month-1", "year": "yr-1"}


def step_amounts(values: xr.DataArray, name: str | None = None) -> xr.DataArray:
    """Per-area values as the amount of each step of their time axis: g C m-2 month-1 or g C m-2 yr-1.

    The step (month or year) comes from the time axis (:func:`carbontools.grid.time_step`), never from the
    unit alone, and the declared ``units`` (default g C m-2) are read against it (SCIENCE.md section 5):

    - a unit per step of the axis (per month on a monthly axis, per year on a yearly one) is the step's amount;
    - a unit per another time (per year on a monthly axis, per day, per second) is a rate, converted by the
      real length of each step (28..31 days, 365 or 366): monthly values in g C m-2 yr-1 are not monthly
      totals, and a yearly value in kg C m-2 s-1 is not a January;
    - a unit without a time base ('g C m-2', 'Mg C ha-1') is the amount of each step;
    - a per-month unit on a yearly axis contradicts it and is refused.

    The result has ``units`` 'g C m-2 month-1' or 'g C m-2 yr-1' and ``attrs['time_step']``.
    """
    name = name or values.name or "values"
    if "time" not in values.dims or not np.issubdtype(values["time"].dtype, np.datetime64):
        raise ValueError(f"{name} needs a 'time' dimension of dates (monthly or yearly) to tell amounts from rates")
    declared = values.attrs.get("units") or DEFAULT_UNITS
    u = units.parse(declared, name)
    if u.parts()["area_m2"] is None:
        raise ValueError(f"{name} has units {declared!r}, which are not per area; give e.g. 'g C m-2 month-1'")
    step = time_step(values["time"], name, declared)
    per_time = int(u.pint_unit.dimensionality.get("[time]", 0))
    if per_time == 0:
        source = f"{declared} {STEP_UNITS[step]}"  # the amount of each step
    elif per_time == -1:
        if step == "year" and u.exponent("month") == -1:
            raise ValueError(f"{name} has units {declared!r} (per month) but a yearly time axis: give yearly values "
                             "per year (e.g. 'g C m-2 yr-1') or the monthly series")
        source = declared
    else:
        raise ValueError(f"{name} has units {declared!r}; a flux is per area and per one time unit "
                         "(e.g. 'g C m-2 month-1', 'kg C m-2 s-1')")
    out = units.convert(values, source, f"g C m-2 {STEP_UNITS[step]}", name=name)
    return out.assign_attrs(time_step=step)


class RegionsWarning(UserWarning):
    """Something about region polygons the totals depend on: overlapping regions, regions that cover no cell."""


def zones_from_polygons(regions, like: xr.DataArray | xr.Dataset, name_column: str = "name") -> xr.DataArray:
    """Rasterise region polygons onto the grid of ``like`` (regionmask; cell centres): integer codes, NaN outside.

    The result's ``attrs['names']`` lists the region names by code.  A cell can have one code only: where
    regions overlap, the cell goes to the region listed last, and a :class:`RegionsWarning` says which
    regions overlap and on how many cells.
    """
    gdf, r = _regions(regions, like, name_column, overlap=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mask = r.mask(like["x"], like["y"], wrap_lon=None if _geographic(like) else False)
    _reissue(caught, gdf, name_column)
    pairs = _overlapping_pairs(gdf)
    if pairs:
        both = _regions(gdf.iloc[sorted({i for p in pairs for i in p})], like, name_column)[1]
        w = both.mask_3D(like["x"], like["y"], drop=False, wrap_lon=None if _geographic(like) else False)
        _warn_overlaps(w.astype(float).assign_coords(region=[str(n) for n in both.names]).rename(region="zone"),
                       "each of these cells counts for the region listed last only")
    return mask.rename("zone").assign_attrs(names=list(gdf[name_column].astype(str)))


def zone_weights(regions, like: xr.DataArray | xr.Dataset, name_column: str = "name") -> xr.DataArray:
    """Share (0..1) of every cell inside each region, dims (zone, y, x).

    Geographic grids: the fraction of the cell covered by the polygon (regionmask ``mask_3D_frac_approx``);
    projected grids: 1 where the cell centre lies in the polygon.  Regions that cover no cell are kept
    (all zeros), so that they show up as explicit empty rows.  Overlapping regions each count the cells they
    share (regionmask ``overlap=True``); a :class:`RegionsWarning` names them, since their totals then add up
    to more than the area's.
    """
    gdf, r = _regions(regions, like, name_column)
    names = list(gdf[name_column].astype(str))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if _geographic(like):
            lon, lat = like["x"].rename({"x": "lon"}), like["y"].rename({"y": "lat"})
            w = r.mask_3D_frac_approx(lon.values, lat.values).rename({"lat": "y", "lon": "x"})
        else:
            w = r.mask_3D(like["x"], like["y"], drop=False, wrap_lon=False).astype(float)
    _reissue(caught, gdf, name_column)
    w = w.reindex(region=range(len(names)), fill_value=0.0)
    w = w.drop_vars([c for c in w.coords if c not in ("region", "y", "x")]).rename(region="zone")
    w = w.assign_coords(zone=names, y=like["y"], x=like["x"])
    w = w.fillna(0.0).astype(float).rename("zone_weight")
    if len(names) > 1 and _overlapping_pairs(gdf):
        _warn_overlaps(w, "their totals count these cells once in each region, so the regions' totals add up to "
                          "more than the total of the area")
    return w


def _overlapping_pairs(gdf) -> list[tuple[int, int]]:
    """Pairs of row positions whose polygons share some area (shared edges are no overlap): shapely/geopandas.

    A shared area below 1e-9 of the smaller polygon's is rounding left by a polygon overlay (e.g. regions cut
    from one another, :func:`carbontools.io.china_geographic_regions`), not an overlap.
    """
    left, right = gdf.sindex.query(gdf.geometry, predicate="intersects")
    geoms = gdf.geometry.to_numpy()
    return [(int(i), int(j)) for i, j in zip(left, right)
            if i < j and geoms[i].intersection(geoms[j]).area > 1e-9 * min(geoms[i].area, geoms[j].area)]


def _warn_overlaps(w: xr.DataArray, consequence: str) -> None:
    """A RegionsWarning naming the regions that share cells of the grid (none when no cell is shared)."""
    inside = (w > 0).astype(int)
    shared = xr.dot(inside, inside.rename(zone="other"), dim=("y", "x")).values
    zones = [str(z) for z in w["zone"].values]
    found = [f"{zones[i]!r} and {zones[j]!r} ({int(shared[i, j])} cell(s))"
             for i in range(len(zones)) for j in range(i + 1, len(zones)) if shared[i, j] > 0]
    if found:
        warnings.warn(f"regions overlap: {', '.join(found)} lie in both; {consequence}. If the regions should "
                      "divide the area between them, fix the polygons (e.g. geopandas.overlay) before totalling",
                      RegionsWarning, stacklevel=_outside_package())


def _outside_package() -> int:
    """The ``stacklevel`` of the first caller outside carbontools (a warning points at the user's line)."""
    import sys
    from pathlib import Path

    package = str(Path(__file__).resolve().parent)
    frame, level = sys._getframe(1), 1
    while frame is not None and str(Path(frame.f_code.co_filename).resolve()).startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def _reissue(caught, gdf, name_column) -> None:
    """regionmask's warnings, reworded where we know what they mean for the totals; others passed on."""
    for w in caught:
        text = str(w.message)
        if "No gridpoint belongs to any region" in text:
            _warn_no_cell(gdf, name_column)
        elif not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning)):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _warn_no_cell(gdf, name_column) -> None:
    b = [round(float(v), 3) for v in gdf.total_bounds]
    warnings.warn(f"none of the {len(gdf)} regions ({', '.join(map(str, gdf[name_column][:5]))}"
                  f"{', ...' if len(gdf) > 5 else ''}) covers the centre of a cell of the grid (regions' "
                  f"bounds {b} in {gdf.crs}): every region's total is empty; check that the regions lie "
                  "on the grid and share its CRS", RegionsWarning, stacklevel=_outside_package())


def _geographic(like) -> bool:
    crs = like.rio.crs
    return crs is None or crs.is_geographic


def _regions(regions, like, name_column, overlap: bool = True):
    """The regions as a GeoDataFrame in the grid's CRS and as regionmask Regions (``overlap`` stated, so that
    regionmask does not guess)."""
    import geopandas as gpd
    import regionmask

    gdf = gpd.read_file(regions) if not isinstance(regions, gpd.GeoDataFrame) else regions
    if name_column not in gdf.columns:
        raise ValueError(f"the regions have no column {name_column!r}; columns: {[c for c in gdf.columns if c != 'geometry']}")
    if len(gdf) == 0:
        raise ValueError("the regions table is empty")
    crs = like.rio.crs
    if gdf.crs is not None and crs is not None and gdf.crs != crs:
        gdf = gdf.to_crs(crs)
    # regionmask warns about attrs 'name'/'source'/'overlap' (its own round trip), which io.read_regions sets
    plain = gdf.copy()
    plain.attrs = {}
    return gdf, regionmask.from_geopandas(plain, names=name_column, overlap=overlap)


def land_class_weights(fractions: xr.DataArray, non_land=(10,)) -> xr.DataArray:
    """Weights (class, y, x) that share a per-m2-of-cell flux among the LAND classes of each cell.

    ``fractions`` are class fractions of the whole cell (:func:`carbontools.grid.class_fractions`;
    casa class 10 is water, the sea included).  A flux per m2 of cell comes from the cell's land, so
    each land class gets fraction / land share and the ``non_land`` classes get nothing (they are
    dropped); cells without land get 0 (what they hold is reported as missing by the totals).  The
    weights of a cell with land sum to 1, so by-class totals add up to the totals over those cells.
    """
    if "class" not in fractions.dims:
        raise ValueError(f"fractions need a 'class' dimension; they have {fractions.dims}")
    fractions = fractions.drop_vars("coverage", errors="ignore")
    land_codes = [c for c in fractions["class"].values.tolist() if c not in set(non_land)]
    land = fractions.sel({"class": land_codes})
    share = land.sum("class")
    out = (land / share.where(share > 0)).fillna(0.0)
    return out.rename("land_class_weight").assign_attrs(
        units="1", long_name="share of the cell's land in each class",
        non_land_classes=str(list(non_land)))


def _label(names, code):
    if names is None:
        return int(code)
    if isinstance(names, (list, tuple)):
        return names[int(code)]
    return names.get(int(code), int(code))


# --- zonal sums block by block ---------------------------------------------------------------------
#
# A zoning is turned, block by block of the grid, into entries (cell, group, weight): a class map gives each
# cell its class's row with weight 1; region polygons give each cell inside one region that region's row with
# weight 1 and, on geographic grids, each cell a polygon edge crosses one entry per region it touches with the
# covered share regionmask computes (``mask_3D_frac_approx``: 10 x 10 points per cell).  Grouped sums of the
# entries then give the same totals as the dense (zone, y, x) weights, with memory bounded by the block.

#: cells per side of the tiles inside a block that are tested for a polygon edge (only those are sampled)
EDGE_TILE = 32
#: cells per side of the blocks numpy-backed values are summed in
BLOCK = 1024


def _polygonal(geom):
    """The polygon part of a clipped geometry (a clip can leave lines or points on the clip rectangle)."""
    import shapely

    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon") and not g.is_empty]
    return shapely.union_all(parts) if parts else None


class RegionZones:
    """Region polygons that do not overlap, to be rasterised on a grid block by block (:func:`region_zones`).

    Holds the polygons in the grid's CRS, their names, the grid's coordinates and whether cells count with
    their covered share (geographic grids, as :func:`zone_weights`) or by their centre (projected grids).
    """

    def __init__(self, gdf, names, like, name_column: str):
        import shapely

        self.names = list(names)
        self.geoms = np.asarray(gdf.geometry.values, dtype=object)
        self.bounds = shapely.bounds(self.geoms)
        self.x = np.asarray(like["x"].values, dtype=float)
        self.y = np.asarray(like["y"].values, dtype=float)
        self.crs = like.rio.crs
        self.fractional = _geographic(like)
        self.xe, self.ye = _edges(self.x), _edges(self.y)  # cell edges (a regular grid)
        self.name_column = name_column
        x0, x1 = sorted((self.xe[0], self.xe[-1]))
        y0, y1 = sorted((self.ye[0], self.ye[-1]))
        self.empty = not bool(shapely.intersects(self.geoms, shapely.box(x0, y0, x1, y1)).any())

    def like(self) -> xr.Dataset:
        """The grid, coordinates only (for the grid check)."""
        ds = xr.Dataset(coords={"y": self.y, "x": self.x})
        return ds.rio.write_crs(self.crs) if self.crs is not None else ds

    def dense(self) -> xr.DataArray:
        """The (zone, y, x) shares of the same regions (:func:`zone_weights`; memory grows with the grid)."""
        import geopandas as gpd

        gdf = gpd.GeoDataFrame({self.name_column: self.names}, geometry=list(self.geoms), crs=self.crs)
        return zone_weights(gdf, self.like(), self.name_column)

    def entries(self, rows: slice, cols: slice):
        """(cell, region, weight) of the block ``rows`` x ``cols``: cell = flat index in the block."""
        import shapely

        ny, nx = rows.stop - rows.start, cols.stop - cols.start
        out = ([], [], [])
        rect = self._box(rows, cols, margin=2)
        near = np.flatnonzero((self.bounds[:, 0] <= rect[2]) & (self.bounds[:, 2] >= rect[0])
                              & (self.bounds[:, 1] <= rect[3]) & (self.bounds[:, 3] >= rect[1]))
        clipped = [(int(k), _polygonal(shapely.clip_by_rect(self.geoms[k], *rect))) for k in near]
        clipped = [(k, g) for k, g in clipped if g is not None]
        if not clipped:
            return tuple(np.zeros(0, t) for t in (np.int64, np.int64, float))
        codes = np.array([k for k, _ in clipped])
        geoms = np.array([g for _, g in clipped], dtype=object)
        shapely.prepare(geoms)
        edges = shapely.boundary(geoms)
        shapely.prepare(edges)
        for r0 in range(rows.start, rows.stop, EDGE_TILE):
            for c0 in range(cols.start, cols.stop, EDGE_TILE):
                tr, tc = slice(r0, min(r0 + EDGE_TILE, rows.stop)), slice(c0, min(c0 + EDGE_TILE, cols.stop))
                cell, zone, weight = self._tile(tr, tc, codes, geoms, edges)
                iy, ix = np.divmod(cell, tc.stop - tc.start)
                out[0].append((iy + tr.start - rows.start) * nx + ix + tc.start - cols.start)
                out[1].append(zone)
                out[2].append(weight)
        return tuple(np.concatenate(p) for p in out)

    def _box(self, rows: slice, cols: slice, margin: int = 0):
        """(xmin, ymin, xmax, ymax) of the cells' edges, widened by ``margin`` cells."""
        xs = self.xe[[cols.start, cols.stop]]
        ys = self.ye[[rows.start, rows.stop]]
        dx, dy = abs(self.xe[1] - self.xe[0]) * margin, abs(self.ye[1] - self.ye[0]) * margin
        return xs.min() - dx, ys.min() - dy, xs.max() + dx, ys.max() + dy

    def _tile(self, rows: slice, cols: slice, codes, geoms, edges):
        import shapely

        n = (rows.stop - rows.start) * (cols.stop - cols.start)
        tile = shapely.box(*self._box(rows, cols))
        if not shapely.intersects(edges, tile).any():  # inside one region, or outside all: every cell alike
            cx, cy = self.x[(cols.start + cols.stop - 1) // 2], self.y[(rows.start + rows.stop - 1) // 2]
            inside = np.flatnonzero(shapely.contains_xy(geoms, cx, cy))
            if inside.size == 0:
                return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
            return np.arange(n), np.full(n, codes[inside[0]]), np.ones(n)
        # an edge crosses the tile: regionmask on the tile and one cell around it (its spacing needs 2 cells),
        # with the regions that reach it
        wide = slice(max(rows.start - 1, 0), min(rows.stop + 1, self.y.size))
        wcols = slice(max(cols.start - 1, 0), min(cols.stop + 1, self.x.size))
        around = self._box(wide, wcols, margin=1)  # the sample points of the widened tile lie inside it
        reach = np.flatnonzero(shapely.intersects(geoms, shapely.box(*around)))
        import regionmask

        # clipped to the tile (exact inside it): rasterising then costs the tile's vertices, not the region's
        parts = [_polygonal(shapely.clip_by_rect(g, *around)) for g in geoms[reach]]
        keep = [i for i, g in enumerate(parts) if g is not None]
        reach = reach[keep]
        if reach.size == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        # one code per point (the regions do not overlap): regionmask's 2-D mask, on the cell centres (projected
        # grids) or on the 10 x 10 points per cell that mask_3D_frac_approx samples (geographic grids)
        r = regionmask.Regions([parts[i] for i in keep], numbers=list(codes[reach]), overlap=False)
        x, y = self.x[wcols], self.y[wide]
        n = SAMPLES if self.fractional else 1
        if n > 1:
            x, y = _sample_points(x, n), _sample_points(y, n)
        m = r.mask(x, y, wrap_lon=None if self.fractional else False).values
        m = m[(rows.start - wide.start) * n:(rows.stop - wide.start) * n,
              (cols.start - wcols.start) * n:(cols.stop - wcols.start) * n]
        ty, tx = rows.stop - rows.start, cols.stop - cols.start
        valid = np.abs(y[(rows.start - wide.start) * n:(rows.stop - wide.start) * n]) <= 90 if self.fractional else None
        cells, zones, weights = [], [], []
        for code in codes[reach]:
            inside = (m == code)
            if valid is not None and not valid.all():  # points beyond a pole do not count (as regionmask)
                inside = inside & valid[:, None]
                share = inside.reshape(ty, n, tx, n).sum(axis=(1, 3)) / (
                    valid.reshape(ty, n).sum(axis=1)[:, None] * n)
            else:
                share = inside.reshape(ty, n, tx, n).sum(axis=(1, 3)) / (n * n)
            cell = np.flatnonzero(share > 0)
            cells.append(cell)
            zones.append(np.full(cell.size, code))
            weights.append(share.ravel()[cell])
        return np.concatenate(cells), np.concatenate(zones), np.concatenate(weights)


#: sample points per cell and axis of the covered shares (regionmask's mask_3D_frac_approx uses 10)
SAMPLES = 10


def _sample_points(coord: np.ndarray, n: int) -> np.ndarray:
    """``n`` evenly spaced points inside each cell of a regular coordinate, as mask_3D_frac_approx places them."""
    step = coord[1] - coord[0]
    return np.linspace(coord[0] - step / 2 + step / (2 * n), coord[-1] + step / 2 - step / (2 * n), coord.size * n)


def region_zones(regions, like: xr.DataArray | xr.Dataset, name_column: str = "name"):
    """Region polygons ready for :func:`zonal_totals` on the grid of ``like``, without a (zone, y, x) array.

    Regions that do not overlap give a :class:`RegionZones`: rasterised block by block when totals are
    computed (memory bounded by the block, not by regions x cells), with the shares of :func:`zone_weights`
    (partial cells at polygon edges on geographic grids, cell centres on projected grids).  Overlapping regions
    cannot share one code per cell: they give :func:`zone_weights` (dense, with its :class:`RegionsWarning`).
    A :class:`RegionsWarning` says when no region reaches the grid.
    """
    gdf, _ = _regions(regions, like, name_column)
    if len(gdf) > 1 and _overlapping_pairs(gdf):
        return zone_weights(gdf, like, name_column)
    zones = RegionZones(gdf, gdf[name_column].astype(str), like, name_column)
    if zones.empty:
        _warn_no_cell(gdf, name_column)
    return zones


class _ClassGroups:
    """A class map's rows for the block sums: codes -> row (0..L-1), left-out codes -> L.., others -> none."""

    def __init__(self, by_label: dict, left_out: dict):
        self.by_label = dict(by_label)
        self.labels = list(by_label)
        self.excluded = list(left_out)
        codes = [(float(c), i) for i, cs in enumerate(by_label.values()) for c in cs]
        codes += [(float(c), len(self.labels) + i) for i, c in enumerate(self.excluded)]
        codes.sort()
        self.codes = np.array([c for c, _ in codes], dtype=float)
        self.rows = np.array([g for _, g in codes], dtype=np.int64)

    def groups(self, block: np.ndarray) -> np.ndarray:
        """Row of every cell of ``block`` (flat), -1 where its code is no row."""
        v = np.asarray(block, dtype=float).ravel()
        if self.codes.size == 0:
            return np.full(v.size, -1, np.int64)
        at = np.clip(np.searchsorted(self.codes, v), 0, self.codes.size - 1)
        return np.where(self.codes[at] == v, self.rows[at], -1)


def _present_codes(zones: xr.DataArray) -> xr.DataArray:
    """A small array of the distinct codes of a (dask-backed) class map, with its attrs and encoding, so that
    :func:`carbontools.landcover.reporting_classes` reads the map's codes and nodata without loading it."""
    found = present_codes(zones)  # block by block for a dask map
    probe = xr.DataArray(found.astype(zones.dtype), dims="code", attrs=dict(zones.attrs), name=zones.name)
    probe.encoding = dict(zones.encoding)
    return probe


def _join(a, b):
    """Entries (cell, group, weight) of the combinations of two zonings' entries of the same cells."""
    ca, ga, wa, na = a
    cb, gb, wb, nb = b
    order = np.argsort(cb, kind="stable")
    cb, gb, wb = cb[order], gb[order], wb[order]
    if cb.size == np.unique(cb).size:  # at most one entry per cell: a lookup
        at = np.clip(np.searchsorted(cb, ca), 0, max(cb.size - 1, 0))
        ok = (cb[at] == ca) if cb.size else np.zeros(ca.size, bool)
        return ca[ok], ga[ok] * nb + gb[at[ok]], wa[ok] * wb[at[ok]], na * nb
    left = pd.DataFrame({"cell": ca, "ga": ga, "wa": wa})
    both = left.merge(pd.DataFrame({"cell": cb, "gb": gb, "wb": wb}), on="cell")
    return (both["cell"].to_numpy(), both["ga"].to_numpy() * nb + both["gb"].to_numpy(),
            both["wa"].to_numpy() * both["wb"].to_numpy(), na * nb)


def _block_sums(rows, cols, like, zonings, area, values, shares, classes):
    """The grouped sums of one block: per field mass and valid area, and the area and pixels of every group;
    per class zoning, the pixels, area and mass of its left-out codes."""
    from .grid import cell_area

    ny, nx = rows.stop - rows.start, cols.stop - cols.start
    if area is None:  # the block's cell areas, with a cell around it so that edges come from neighbours
        wr = slice(max(rows.start - 1, 0), min(rows.stop + 1, like.sizes["y"]))
        wc = slice(max(cols.start - 1, 0), min(cols.stop + 1, like.sizes["x"]))
        a = cell_area(like.isel(y=wr, x=wc)).values
        area = a[rows.start - wr.start:rows.stop - wr.start, cols.start - wc.start:cols.stop - wc.start]
    area = np.broadcast_to(np.asarray(area, float), (ny, nx)).ravel()
    fields = [np.nan_to_num(np.asarray(v, float).ravel(), nan=0.0) for v in values]
    shares = [np.asarray(s, float).ravel() for s in shares]
    entries, excluded, k = None, [], 0
    for z in zonings:
        if isinstance(z, RegionZones):
            cell, group, weight = z.entries(rows, cols)
            e = (cell, group, weight, len(z.names))
        else:
            g = z.groups(classes[k])
            k += 1
            left = np.flatnonzero(g >= len(z.labels))
            n_ex = len(z.excluded)
            gx = g[left] - len(z.labels)
            excluded.append((np.bincount(gx, minlength=n_ex), np.bincount(gx, area[left], minlength=n_ex),
                             [np.bincount(gx, f[left] * area[left] * s[left], minlength=n_ex)
                              for f, s in zip(fields, shares)]))
            cell = np.flatnonzero((g >= 0) & (g < len(z.labels)))
            e = (cell, g[cell], np.ones(cell.size), len(z.labels))
        entries = e if entries is None else _join(entries, e)
    cell, group, weight, n = entries
    a = area[cell] * weight
    return {"area_all": np.bincount(group, a, minlength=n), "pixels": np.bincount(group, minlength=n),
            "mass": [np.bincount(group, f[cell] * s[cell] * a, minlength=n) for f, s in zip(fields, shares)],
            "area_valid": [np.bincount(group, s[cell] * a, minlength=n) for s in shares],
            "excluded": excluded}


def _add(a, b):
    if isinstance(a, dict):
        return {k: _add(a[k], b[k]) for k in a}
    if isinstance(a, (list, tuple)):
        return type(a)(_add(x, y) for x, y in zip(a, b))
    return a + b


def _sums_by_blocks(values: list, shares: list, zonings: list, class_maps: list) -> dict:
    """Grouped sums of the fields over the whole grid, one task per block (dask), added up."""
    import dask
    import dask.array as dsa

    like = values[0]
    arrays = [*values, *shares, *class_maps]
    chunked = next((a.chunks for a in arrays if a.chunks is not None), None)
    if chunked is None:
        chunks = {"y": min(BLOCK, like.sizes["y"]), "x": min(BLOCK, like.sizes["x"])}
    else:
        chunks = dict(zip(next(a for a in arrays if a.chunks is not None).dims, chunked))
        chunks = {"y": chunks["y"], "x": chunks["x"]}
    blocks = [a.transpose("y", "x").chunk(chunks).data.to_delayed() for a in arrays]
    ys = np.cumsum((0,) + tuple(dsa.core.normalize_chunks(chunks["y"], (like.sizes["y"],))[0]))
    xs = np.cumsum((0,) + tuple(dsa.core.normalize_chunks(chunks["x"], (like.sizes["x"],))[0]))
    coords = xr.Dataset(coords={"y": like["y"].values, "x": like["x"].values})
    grid = dask.delayed(coords.rio.write_crs(like.rio.crs) if like.rio.crs is not None else coords, traverse=False)
    spec = dask.delayed(zonings, traverse=False)
    nv, ns = len(values), len(shares)
    tasks = []
    for i in range(len(ys) - 1):
        for j in range(len(xs) - 1):
            parts = [b[i, j] for b in blocks]
            tasks.append(dask.delayed(_block_sums)(
                slice(int(ys[i]), int(ys[i + 1])), slice(int(xs[j]), int(xs[j + 1])), grid, spec, None,
                parts[:nv], parts[nv:nv + ns], parts[nv + ns:]))
    with warnings.catch_warnings(record=True) as caught:  # set once here, around the threads that warn
        warnings.simplefilter("always")
        results = dask.compute(*tasks)
    for w in caught:  # a tile without a sample point inside, regionmask's and rasterio's own notes: no news
        if not (issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning))
                or "No gridpoint belongs to any region" in str(w.message)
                or w.category.__name__ == "NotGeoreferencedWarning"):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    total = results[0]
    for r in results[1:]:
        total = _add(total, r)
    return total


def _zoning_spec(zones, values: xr.DataArray, names, name_column: str, dense: bool) -> dict:
    """One zoning on the values' grid: its default level name, row labels, how its cells are grouped (class rows
    or region polygons, for the block sums) or its dense (zone, y, x) weights, and the codes left out.

    ``left_out`` lists (code, reason) for the class codes that are no rows (nodata, not in the scheme).
    """
    fix = ("put the zones on the values' grid first (carbontools.grid.regrid(zones, values, kind='categorical'))")
    if isinstance(zones, xr.DataArray) and zones.ndim == 3:
        weights = zones.rename({zones.dims[0]: "zone"})
        if names is not None:
            weights = weights.assign_coords(zone=[_label(names, c) for c in weights["zone"].values])
        check_same_grid(values, weights, names=("values", "zones"), fix=fix)
        return {"level": zones.dims[0], "weights": weights, "left_out": []}
    if isinstance(zones, xr.DataArray):
        check_same_grid(values, zones, names=("values", "zones"), fix=fix)
        probe = _present_codes(zones) if hasattr(zones.data, "dask") else zones
        labels, left_out = reporting_classes(probe, names if names is not None else zones.attrs.get("names"),
                                             name=zones.name or "zones")
        if not labels:
            raise ValueError(f"the zones {zones.name or ''} have no class to report (codes left out: "
                             f"{left_out or 'none, the map is all NaN'}); check the map and its nodata")
        by_label = {}  # one row per class name: codes sharing a name (IGBP 0 and 17, water bodies) count together
        for code, lab in labels.items():
            by_label.setdefault(lab, []).append(code)
        level = "landcover" if zones.attrs.get("scheme") else (zones.name or "zone")
        out = {"level": level, "labels": list(by_label), "groups": _ClassGroups(by_label, left_out), "map": zones,
               "left_out": list(left_out.items())}
        if dense:
            out["weights"] = xr.concat([zones.isin(codes).astype(float) for codes in by_label.values()],
                                       dim=pd.Index(list(by_label), name="zone"))
        return out
    if isinstance(zones, RegionZones):
        check_same_grid(values, zones.like(), names=("values", "zones"), fix="build the region zones on the values' "
                        "grid (carbontools.accounting.region_zones(regions, values))")
        regions = zones
    else:
        regions = (zone_weights if dense else region_zones)(zones, values, name_column)
    if isinstance(regions, xr.DataArray):
        return {"level": "region", "weights": regions, "left_out": []}
    out = {"level": "region", "labels": regions.names, "groups": regions, "map": None, "left_out": []}
    if dense:
        out["weights"] = regions.dense()
    return out


def _zoning(zones, values: xr.DataArray, names, name_column: str):
    """One zoning as dense cell weights (zone, y, x) on the values' grid, its default level name and the codes left
    out as (code, reason, mask) (for callers that need the weights themselves, e.g. carbontools.uncertainty)."""
    z = _zoning_spec(zones, values, names, name_column, dense=True)
    return z["weights"], z["level"], [(c, why, z["map"] == c) for c, why in z["left_out"]]


def _prepared(values: xr.DataArray, unit: str, land_fraction):
    """The values summed over time, their covered share (0 where no value), the factor to ``unit``, their label."""
    to_unit = _total_factor(values, unit)
    label = values.name or "values"
    share = covered_share(values, land_fraction, label)
    if "time" in values.dims:
        mass_per_m2 = (values * share).sum("time", skipna=False)
        share = share.mean("time") if "time" in share.dims else share
        values = (mass_per_m2 / share.where(share > 0)).assign_attrs(values.attrs)
    share = share.where(values.notnull(), 0.0)
    return values, share, to_unit, label


def zonal_totals(values: xr.DataArray, zones, unit: str = "t C", names=None, name_column: str = "name",
                 include_negative: bool = True, land_fraction: xr.DataArray | None = None,
                 method: str = "auto") -> pd.DataFrame:
    """Total, its unit, area, mean, pixel count, missing share and contribution of each zone.

    ``zones``: an integer raster on the values' grid (classes or region codes), a (zone, y, x) array of
    cell shares (e.g. land-cover fractions with dim ``class``, or :func:`zone_weights`), or region polygons
    (a GeoDataFrame, a vector file or :func:`region_zones`; partial cells at polygon edges count with their
    covered share on geographic grids).  Rows of a class map are labelled by ``names`` (dict code -> label, or list by code),
    else by the map's ``attrs['names']``, else by its scheme's class names (``attrs['scheme']``: a CLCD or
    WorldCover map keeps its own classes, e.g. cropland apart from grassland, which the models merge into
    CASA class 7; :func:`carbontools.landcover.reporting_classes`), else by code.  Codes that are no class
    (the map's nodata, codes its scheme does not have) are no rows: ``attrs['excluded']`` lists them with
    their pixels, area and the total of the values on them.

    Several zonings at once: ``zones=[districts, landcover]`` or ``zones={"district": districts,
    "landcover": landcover}`` gives one row per combination that has a cell (a tidy table indexed by a
    MultiIndex, levels named by the dict's keys, else ``region`` for polygons, ``landcover`` for a map
    with a scheme, else the zoning's name); ``names`` is then a list with one entry per zoning (or None).

    Returns a DataFrame indexed by zone with ``total`` (in ``unit``), ``unit``, ``area_m2`` (valid area),
    ``mean`` (the values' unit, area-weighted over valid cells), ``pixels`` (cells touched),
    ``missing_pct`` (share of the zone's area without a value; the valid share is 100 minus it) and
    ``contribution_pct`` (100 * zone total / sum of the zone totals; with ``include_negative=False``
    negative zones are left out of the denominator and get NaN).  With one zoning, a zone that covers
    no cell is an explicit row with NaN totals.
    Over a time axis the values are summed first (monthly fluxes -> the period's total).
    Cells count with their covered share (``coverage`` coordinate) and, for values per m2 of land
    (``attrs['area_basis'] = 'land'``), their ``land_fraction`` (see the module docstring).

    ``method``: ``'auto'`` sums class maps and regions that do not overlap block by block (grouped sums over
    each block's cells, in the values' dask chunks or blocks of :data:`BLOCK` cells: memory follows the block,
    not zones x cells); (zone, y, x) shares and overlapping regions, which give a cell to several zones, are
    summed as dense weights.  ``'dense'`` uses the dense weights for every zoning (the reference the block
    sums are tested against).
    """
    return zonal_tables({"values": values}, zones, unit=unit, names=names, name_column=name_column,
                        include_negative=include_negative, land_fraction=land_fraction, method=method)["values"]


def zonal_tables(fields: Mapping, zones, unit: str = "t C", names=None, name_column: str = "name",
                 include_negative: bool = True, land_fraction: xr.DataArray | None = None,
                 method: str = "auto") -> dict:
    """:func:`zonal_totals` of several fields on one grid (e.g. each variable and year of a run) in one pass.

    ``fields`` maps keys to values (each as :func:`zonal_totals` takes them); returns a dict of the same keys
    to their tables.  The zones are rasterised once per block for all the fields.
    """
    if method not in ("auto", "dense"):
        raise ValueError(f"method {method!r} unknown; give 'auto' (block sums where the zones allow) or 'dense'")
    if not fields:
        raise ValueError("fields is empty: give one or more values to total")
    prepared = {key: _prepared(v, unit, land_fraction) for key, v in fields.items()}
    first, _, _, first_label = next(iter(prepared.values()))
    for values, _, _, label in prepared.values():
        check_same_grid(first, values, names=(first_label, label))

    several = isinstance(zones, (list, tuple, Mapping))
    if several:
        keys = list(zones) if isinstance(zones, Mapping) else [None] * len(zones)
        zonings = list(zones.values()) if isinstance(zones, Mapping) else list(zones)
        if len(zonings) < 1:
            raise ValueError("zones is an empty list: give one zoning or several")
        if names is not None and (not isinstance(names, (list, tuple)) or len(names) != len(zonings)):
            raise ValueError(f"with {len(zonings)} zonings, names must be a list of {len(zonings)} entries (a dict "
                             "code -> label or None for each zoning), in the order of zones")
        per_zoning = names if names is not None else [None] * len(zonings)
    else:
        keys, zonings, per_zoning = [None], [zones], [names]
    specs, levels = [], []
    for key, zoning, zoning_names in zip(keys, zonings, per_zoning):
        z = _zoning_spec(zoning, first, zoning_names, name_column, dense=method == "dense")
        level = key or ("zone" if not several else z["level"])
        while level in levels:
            level = f"{level}_{len(levels)}"
        levels.append(level)
        specs.append(z)
    if all("groups" in z for z in specs) and method != "dense":
        parts = _tables_by_blocks(prepared, specs, levels)
    else:
        for z in specs:
            if "weights" not in z:
                z["weights"] = (z["groups"].dense() if isinstance(z["groups"], RegionZones) else
                                xr.concat([z["map"].isin(codes).astype(float) for codes in z["groups"].by_label.values()],
                                          dim=pd.Index(z["labels"], name="zone")))
        parts = _tables_dense(prepared, specs, levels)
    return {key: _table(*parts[key], prepared[key], unit, include_negative, several, levels) for key in prepared}


def _tables_dense(prepared: dict, specs: list, levels: list) -> dict:
    """(mass, valid area, area, pixels, excluded) of each field from dense (zone, y, x) weights."""
    first = next(iter(prepared.values()))[0]
    area = cell_area(first)
    dims = ("y", "x")
    weights = [z["weights"].assign_coords(y=first["y"], x=first["x"]).rename(zone=level)
               for z, level in zip(specs, levels)]
    weights = [w.drop_vars([c for c in w.coords if c not in (*levels, "y", "x")]) for w in weights]
    area_all = xr.dot(area, *weights, dim=dims)
    pixels = xr.dot(*[(w > 0).astype(int) for w in weights], dim=dims) if len(weights) > 1 else (
        (weights[0] > 0).sum(dims))
    out = {}
    for key, (values, share, to_unit, _) in prepared.items():
        field = values.fillna(0.0) * area * share
        excluded = []
        for z, level in zip(specs, levels):
            for code, why in z["left_out"]:
                mask = (z["map"] == code).assign_coords(y=values["y"], x=values["x"])
                excluded.append({"zoning": level, "code": code, "reason": why, "pixels": int(mask.sum()),
                                 "area_m2": float((area * mask).sum()),
                                 "total": float((field * mask).sum()) * to_unit})
        out[key] = (xr.dot(field, *weights, dim=dims), xr.dot(area * share, *weights, dim=dims), area_all, pixels,
                    excluded)
    return out


def _tables_by_blocks(prepared: dict, specs: list, levels: list) -> dict:
    """(mass, valid area, area, pixels, excluded) of each field from grouped sums block by block."""
    first = next(iter(prepared.values()))[0]
    cell_area(first.isel(y=slice(0, 2), x=slice(0, 2)))  # the CRS and units checked before any block
    for dim in ("y", "x"):
        _edges(np.asarray(first[dim].values, dtype=float))  # a regular grid, as cell_area needs
    keys = list(prepared)
    values = [prepared[k][0] for k in keys]
    shares = [prepared[k][1].broadcast_like(prepared[k][0]) for k in keys]
    maps = [z["map"] for z in specs if not isinstance(z["groups"], RegionZones)]
    sums = _sums_by_blocks(values, shares, [z["groups"] for z in specs], maps)
    shape = [len(z["labels"]) for z in specs]
    coords = {level: pd.Index(z["labels"], name=level) for z, level in zip(specs, levels)}

    def array(flat):
        return xr.DataArray(np.asarray(flat).reshape(shape), dims=levels, coords=coords)

    area_all, pixels = array(sums["area_all"]), array(sums["pixels"])
    out = {}
    for i, key in enumerate(keys):
        to_unit = prepared[key][2]
        excluded, k = [], 0
        for z, level in zip(specs, levels):
            if isinstance(z["groups"], RegionZones):
                continue
            counts, area, mass = sums["excluded"][k]
            k += 1
            for j, (code, why) in enumerate(z["left_out"]):
                excluded.append({"zoning": level, "code": code, "reason": why, "pixels": int(counts[j]),
                                 "area_m2": float(area[j]), "total": float(mass[i][j]) * to_unit})
        out[key] = (array(sums["mass"][i]), array(sums["area_valid"][i]), area_all, pixels, excluded)
    return out


def _table(mass, area_valid, area_all, pixels, excluded, prepared, unit, include_negative, several, levels):
    values, _, to_unit, label = prepared
    table = pd.DataFrame({
        "total": (mass * to_unit).where(area_valid > 0).to_series(),
        "unit": unit,
        "area_m2": area_valid.to_series(),
        "mean": (mass / area_valid.where(area_valid > 0)).to_series(),
        "pixels": pixels.to_series(),
        "missing_pct": (100.0 * (1 - area_valid / area_all.where(area_all > 0))).clip(min=0.0).to_series(),
    })
    if several:  # one row per combination that has a cell
        table = table[area_all.to_series().reindex(table.index) > 0]
    positive = table["total"] if include_negative else table["total"].where(table["total"] >= 0)
    table["contribution_pct"] = 100.0 * positive / positive.sum()
    if not several:
        table.index.name = "zone"
    table.attrs = {"total": unit, "mean": values.attrs.get("units", "per m2"), "area_m2": "m2 (covered)",
                   "missing_pct": "share of the zone's area without a value (%)",
                   "area_basis": f"per m2 of {area_basis(values, label)}",
                   "contribution": "negative zones included" if include_negative else "negative zones excluded",
                   "excluded": excluded}
    if several:
        table.attrs["rows"] = f"combinations of {', '.join(levels)} that have a cell"
    return table


# --- time summaries ------------------------------------------------------------------------------

def annual_totals(values: xr.DataArray, weights=None, unit: str = "Tg C",
                  land_fraction: xr.DataArray | None = None, name: str | None = None) -> xr.DataArray:
    """Yearly total over the grid (or per zone with ``weights`` (zone, y, x)) of a per-area flux series.

    ``values`` per area on a monthly or yearly time axis (their ``units``, default g C m-2 per step);
    each step's amount comes from :func:`step_amounts` (rates converted by the real length of the step).
    Choices (SCIENCE.md sections 3 and 5):

    - a year is **complete** with all 12 months (one yearly value covers them): incomplete years are NaN,
      with the months present in the coordinate ``months``;
    - a cell counts in a year only where it has a value in every step of that year (a cell's NaN is
      missing data, never zero); the share of the (zone's) area left out is the coordinate ``missing_pct``
      (year[, zone]);
    - cells count with their covered share (``coverage``) and, per m2 of land, their ``land_fraction``.

    Returns (year[, zone]) in ``unit`` per year.
    """
    label = name or values.name or "values"
    amounts = step_amounts(values, label)
    share = covered_share(amounts, land_fraction, label)
    stamps = pd.DatetimeIndex(amounts["time"].values)
    per_step = 12 if amounts.attrs["time_step"] == "year" else 1
    months = pd.Series(per_step, index=stamps.year).groupby(level=0).sum()
    year = amounts["time"].dt.year.rename("year")
    mass = (amounts.fillna(0.0) * share).groupby(year).sum()
    valid = amounts.notnull().groupby(year).all()
    share_year = share.groupby(year).mean() if "time" in share.dims else share
    area = cell_area(values)
    w = area if weights is None else area * weights
    dims = ("y", "x")
    total = (mass.where(valid, 0.0) * w).sum(dims) * _total_factor(amounts, unit)
    valid_area = (share_year.where(valid, 0.0) * w).sum(dims)
    all_area = w.sum(dims)
    complete = xr.DataArray(months.reindex(total["year"].values).values == 12, dims="year")
    out = total.where(complete & (valid_area > 0))
    missing = (100.0 * (1.0 - valid_area / all_area.where(all_area > 0))).clip(min=0.0)  # no -0.0 from rounding
    out = out.assign_coords(months=("year", months.reindex(total["year"].values).values.astype(int)),
                            missing_pct=missing.transpose(*out.dims))
    out["months"].attrs = {"long_name": "months of the year present", "units": "1"}
    out["missing_pct"].attrs = {"long_name": "share of the area without a value in every step of the year", "units": "%"}
    return out.drop_attrs(deep=False).assign_attrs(units=f"{unit} yr-1", long_name=f"annual total of {values.attrs.get('long_name', values.name)}",
                            area_basis=f"per m2 of {area_basis(values, label)}",
                            incomplete_years="NaN (a year needs all 12 months; see the 'months' coordinate)")


def seasonal_cycle(values: xr.DataArray, weights=None) -> xr.DataArray:
    """Area-weighted mean by calendar month over the years (dim ``month``), per zone with ``weights``."""
    area = cell_area(values) * coverage(values)
    w = area if weights is None else area * weights
    mean = (values.fillna(0.0) * w).sum(("y", "x")) / w.where(values.notnull()).sum(("y", "x"))
    out = mean.drop_vars("coverage", errors="ignore").groupby("time.month").mean()
    out.attrs = {"units": values.attrs.get("units", ""),
                 "long_name": f"seasonal cycle of {values.attrs.get('long_name', values.name or 'values')} "
                              "(area-weighted mean by calendar month)"}
    return out.rename(values.name)


def latitude_time(values: xr.DataArray, land_fraction: xr.DataArray | None = None) -> xr.DataArray:
    """Zonal mean (latitude x time, a Hovmoller section) over land cells only.

    Each cell counts with its land share (``land_fraction``, 0..1, required: without it sea cells would
    count as land) times its area (and its covered share, ``coverage``); rows without land are NaN.
    Along a row all cells have the same area on a regular geographic grid, so this is the land-weighted
    mean.  (To average every cell regardless of land, pass ``land_fraction=xr.ones_like(...)``.)
    """
    if land_fraction is None:
        raise ValueError(f"latitude_time averages {values.name or 'values'} over land only: give land_fraction= "
                         "(0..1 on the values' grid, e.g. 1 - the water fraction); without it sea cells would "
                         "count as land")
    land = on_grid_of(land_fraction, values, names=(values.name or "values", "land_fraction"),
                      fix="put the land fraction on the values' grid first (carbontools.grid.regrid)")
    w = cell_area(values) * coverage(values) * land
    w = w.where(values.notnull(), 0.0)
    out = (values.fillna(0.0) * w).sum("x") / w.sum("x").where(w.sum("x") > 0)
    out = out.drop_vars("coverage", errors="ignore")
    return out.transpose("y", "time").drop_attrs(deep=False).assign_attrs(units=values.attrs.get("units", ""),
                                                    long_name="zonal mean over land")
