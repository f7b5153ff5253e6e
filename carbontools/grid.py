"""Grid geometry: cell areas and latitudes (SCIENCE.md section 5).

Areas always come from here, never from a constant: equal-area (and UTM) grids use abs(dx * dy),
geographic grids the spherical cell area R^2 * dlon * (sin(lat_n) - sin(lat_s)), other projections
the true ellipsoidal area of each cell (:func:`cell_area`).

Continuous per-area fields are coarsened and regridded conservatively (:func:`coarsen_conservative`,
:func:`regrid_conservative`): the value is the mean over the covered part of each cell and a
``coverage`` coordinate carries that part, so totals are conserved where cells are NaN.  Regridding
within one CRS uses xarray-regrid's conservative method (no ESMF needed); across CRSs rasterio's
average resampling with a coverage band.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr

from .landcover import present_codes
from .params import CONSTANTS

__all__ = ["EARTH_RADIUS", "cell_area", "latitude", "check_same_grid", "time_step"]

#: authalic Earth radius used for spherical cell areas (m): :data:`carbontools.params.CONSTANTS`
EARTH_RADIUS = CONSTANTS.earth_radius


def _crs(obj):
    crs = obj.rio.crs
    if crs is None:
        raise ValueError(
            "the grid has no CRS, so carbontools cannot tell metres from degrees: write one with "
            "obj.rio.write_crs('EPSG:4326') (geographic) or the projection's EPSG code"
        )
    return crs


def _edges(coord: np.ndarray) -> np.ndarray:
    if coord.size < 2:
        raise ValueError("a grid needs at least 2 cells along each axis to know its cell size")
    steps = np.diff(coord)
    if not np.allclose(steps, steps[0], rtol=1e-6, atol=0):
        raise ValueError("the grid is not regular along an axis; cell_area needs regular spacing")
    return np.concatenate([coord[:1] - steps[0] / 2, coord + steps[0] / 2])


#: projection methods whose grid cells have their true area ``|dx dy|`` (equal-area projections), and
#: Transverse Mercator (UTM: conformal, areal scale error under 0.1 % within a zone, SCIENCE.md section 5)
_EQUAL_AREA_PROJ = {"aea", "laea", "cea", "moll", "sinu", "eqearth", "igh", "eck2", "eck4", "eck6", "hammer",
                    "bonne", "wag4", "wag5", "wag6", "wag7", "tcea", "isea", "healpix", "rhealpix", "utm", "tmerc",
                    "etmerc", "mbtfpq", "goode", "gn_sinu", "nell", "lee_os", "qsc"}


def _proj_name(crs) -> str | None:
    import warnings

    from pyproj import CRS

    crs = CRS.from_user_input(crs)
    op = crs.coordinate_operation
    name = (op.method_name or "").lower() if op is not None else ""
    if "equal area" in name or "equal-area" in name or "transverse mercator" in name or "sinusoidal" in name \
            or "mollweide" in name:
        return "equal-area"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "you will likely lose information" when writing a PROJ string
        return crs.to_dict().get("proj")


def is_equal_area(crs) -> bool:
    """True for projections whose cells have their true area ``|dx dy|`` (see :func:`cell_area`)."""
    name = _proj_name(crs)
    return name == "equal-area" or name in _EQUAL_AREA_PROJ


def _true_areas(crs, x_edges: np.ndarray, y_edges: np.ndarray) -> np.ndarray:
    """True (ellipsoidal) areas of the cells between projected edges, m2.

    The area of a cell is the integral of the ellipsoid's surface element M(phi) N(phi) cos(phi) dphi dlambda,
    i.e. of M N cos(phi) |d(phi, lambda)/d(x, y)| over the cell in map coordinates, taken with 3 x 3
    Gauss-Legendre points per cell (the Jacobian by central differences of the inverse projection).
    Exact to far below 1e-6 for cells up to hundreds of km.
    """
    from pyproj import CRS, Transformer

    crs = CRS.from_user_input(crs)
    ell = crs.ellipsoid
    a = ell.semi_major_metre
    inv_f = ell.inverse_flattening
    e2 = 0.0 if not inv_f else (2.0 - 1.0 / inv_f) / inv_f
    to_geo = Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
    nodes, weights = np.polynomial.legendre.leggauss(3)
    xl, xr_ = x_edges[:-1], x_edges[1:]
    yl, yr = y_edges[:-1], y_edges[1:]
    xs = (xl + xr_)[:, None] / 2 + (xr_ - xl)[:, None] / 2 * nodes[None, :]  # (nx, 3)
    ys = (yl + yr)[:, None] / 2 + (yr - yl)[:, None] / 2 * nodes[None, :]  # (ny, 3)
    hx = np.abs(np.diff(x_edges)).min() * 1e-4
    hy = np.abs(np.diff(y_edges)).min() * 1e-4
    X, Y = np.meshgrid(xs.ravel(), ys.ravel())  # (ny*3, nx*3)

    def geo(dx, dy):
        lon, lat = to_geo.transform(X + dx, Y + dy)
        return np.deg2rad(np.unwrap(np.asarray(lon), period=360.0, axis=1)), np.deg2rad(np.asarray(lat))

    (lon_e, lat_e), (lon_w, lat_w) = geo(hx, 0.0), geo(-hx, 0.0)
    (lon_n, lat_n), (lon_s, lat_s) = geo(0.0, hy), geo(0.0, -hy)
    dlam_dx, dphi_dx = (lon_e - lon_w) / (2 * hx), (lat_e - lat_w) / (2 * hx)
    dlam_dy, dphi_dy = (lon_n - lon_s) / (2 * hy), (lat_n - lat_s) / (2 * hy)
    _, phi = geo(0.0, 0.0)
    w2 = 1.0 - e2 * np.sin(phi) ** 2
    element = a**2 * (1.0 - e2) / w2**2 * np.cos(phi) * np.abs(dphi_dx * dlam_dy - dphi_dy * dlam_dx)
    ny, nx = y_edges.size - 1, x_edges.size - 1
    element = element.reshape(ny, 3, nx, 3)
    quad = np.einsum("iajb,a,b->ij", element, weights, weights) / 4.0  # Gauss weights sum to 2 per axis
    return quad * np.abs(np.diff(y_edges))[:, None] * np.abs(np.diff(x_edges))[None, :]


def cell_area(obj: xr.DataArray | xr.Dataset) -> xr.DataArray:
    """True area of every (y, x) cell in m2 (SCIENCE.md section 5).

    - geographic grids: the spherical cell area R^2 * dlon * (sin(lat_n) - sin(lat_s)), R = :data:`EARTH_RADIUS`;
    - equal-area projections (Albers, Lambert azimuthal / cylindrical equal area, sinusoidal, Mollweide, ...)
      and Transverse Mercator / UTM (areal scale error under 0.1 % within a zone): ``|dx dy|``;
    - any other projection (Web Mercator, Mercator, Lambert conformal conic, stereographic, ...): the true
      area of each cell on the CRS's ellipsoid (a 1 km EPSG:3857 cell at 23 N covers 0.843 km2, not 1),
      from the inverse projection (:func:`_true_areas`).

    ``attrs['area_method']`` says which was used.
    """
    crs = _crs(obj)
    y = np.asarray(obj["y"].values, dtype=float)
    x = np.asarray(obj["x"].values, dtype=float)
    if crs.is_geographic:
        lat_edges = np.deg2rad(np.clip(_edges(y), -90.0, 90.0))
        dlon = np.deg2rad(np.abs(np.diff(_edges(x))))
        band = np.abs(np.diff(np.sin(lat_edges)))
        area = EARTH_RADIUS**2 * band[:, None] * dlon[None, :]
        method = f"spherical cell area, R = {EARTH_RADIUS} m"
    else:
        unit = crs.linear_units.lower() if crs.linear_units else "metre"
        if unit not in ("metre", "meter", "m"):
            raise ValueError(f"the grid's CRS has linear unit {unit!r}; reproject to a metric CRS first")
        if is_equal_area(crs):
            dy = np.abs(np.diff(_edges(y)))
            dx = np.abs(np.diff(_edges(x)))
            area = dy[:, None] * dx[None, :]
            method = "|dx dy| (equal-area or transverse Mercator projection)"
        else:
            area = _true_areas(crs, _edges(x), _edges(y))
            method = "true ellipsoidal area (the projection is not equal-area)"
    out = xr.DataArray(area, dims=("y", "x"), coords={"y": obj["y"], "x": obj["x"]}, name="cell_area")
    if "spatial_ref" in obj.coords:  # keep the CRS with the areas
        out = out.assign_coords(spatial_ref=obj["spatial_ref"])
    return out.assign_attrs(units="m2", long_name="cell area", area_method=method)


def latitude(obj: xr.DataArray | xr.Dataset) -> xr.DataArray:
    """Latitude (degrees north) of every (y, x) cell centre."""
    crs = _crs(obj)
    if crs.is_geographic:
        lat = obj["y"].broadcast_like(obj["x"])
    else:
        from pyproj import Transformer

        xx, yy = np.meshgrid(obj["x"].values, obj["y"].values)
        _, lat_values = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(xx, yy)
        lat = xr.DataArray(lat_values, dims=("y", "x"), coords={"y": obj["y"], "x": obj["x"]})
    return lat.transpose("y", "x").assign_attrs(units="degrees_north", long_name="latitude").rename("latitude")


# --- one grid ------------------------------------------------------------------------------------

#: coordinates closer than this fraction of a cell count as the same (float coordinates drift in
#: their last bits through reprojection and block means; a real shift is a sizeable part of a cell)
GRID_TOLERANCE = 1e-6


def _same_coords(a: np.ndarray, b: np.ndarray) -> bool:
    if a.shape != b.shape:
        return False
    if not (np.issubdtype(a.dtype, np.number) and np.issubdtype(b.dtype, np.number)):
        return bool(np.array_equal(a, b))
    step = float(np.abs(np.diff(a[:2]))[0]) if a.size > 1 else 1.0
    return bool(np.allclose(a, b, rtol=0.0, atol=GRID_TOLERANCE * (step or 1.0)))


def check_same_grid(a, b, names: tuple[str, str] = ("a", "b"), fix: str | None = None, dims=("y", "x")) -> None:
    """Raise unless ``a`` and ``b`` share their ``dims`` coordinates (to :data:`GRID_TOLERANCE` of a cell) and CRS.

    The one grid check of carbontools; ``names`` and ``fix`` make its message specific.
    """
    fix = fix or "put one on the other's grid first: carbontools.grid.regrid(...)"
    for dim in dims:
        if dim not in a.dims or dim not in b.dims:
            raise ValueError(f"{names[0]} and {names[1]} need {' and '.join(repr(d) for d in dims)} dimensions")
        if not _same_coords(np.asarray(a[dim].values), np.asarray(b[dim].values)):
            raise ValueError(f"{names[0]} and {names[1]} are on different '{dim}' coordinates (different grids); {fix}")
    try:
        ca, cb = a.rio.crs, b.rio.crs
    except Exception:  # no rio accessor information: nothing to compare
        ca = cb = None
    if ca is not None and cb is not None and ca != cb:
        raise ValueError(f"{names[0]} and {names[1]} have different CRS ({ca} and {cb}); reproject one first")


def on_grid_of(b: xr.DataArray, a, names: tuple[str, str] = ("a", "b"), fix: str | None = None) -> xr.DataArray:
    """``b`` checked to be on ``a``'s grid (:func:`check_same_grid`) and given ``a``'s exact y/x coordinates.

    Coordinates within the tolerance (float noise after a regrid) count as the same grid, so xarray's
    exact alignment must not later see them as different: ``b`` takes ``a``'s.  Its other non-dimension
    coordinates are dropped (they belong to ``b``'s own source).
    """
    check_same_grid(a, b, names=names, fix=fix)
    b = b.drop_vars([c for c in b.coords if c not in ("y", "x") and c not in b.dims])
    return b.assign_coords(y=a["y"].values, x=a["x"].values)

def _bounds_in(obj, crs) -> tuple[float, float, float, float]:
    """Bounds of ``obj`` (left, bottom, right, top) expressed in ``crs``."""
    from rasterio.warp import transform_bounds

    return transform_bounds(_crs(obj), crs, *obj.rio.bounds(), densify_pts=21)


def check_overlap(source, target, name: str = "source") -> None:
    """Raise if ``source`` and ``target`` grids do not overlap (compared in the target's CRS)."""
    l1, b1, r1, t1 = _bounds_in(source, _crs(target))
    l2, b2, r2, t2 = target.rio.bounds()
    if l1 >= r2 or l2 >= r1 or b1 >= t2 or b2 >= t1:
        raise ValueError(
            f"{name} does not overlap the target grid: {name} covers x {l1:.6g}..{r1:.6g}, y {b1:.6g}..{t1:.6g} "
            f"and the target x {l2:.6g}..{r2:.6g}, y {b2:.6g}..{t2:.6g} (in {_crs(target).to_string()}). "
            "Check the files' CRS and that they cover the same region."
        )


def regrid(da: xr.DataArray, target: xr.DataArray | xr.Dataset, kind: str = "continuous",
           name: str | None = None) -> xr.DataArray:
    """Put ``da`` on the grid of ``target`` (GDAL's warper in fixed tiles, lazily for dask input: :func:`_warp`).

    ``kind='continuous'``: bilinear interpolation; ``'categorical'``: the mode of the source pixels
    (classes are never averaged); ``'average'``: area-weighted mean of the source pixels (for
    coarsening a continuous field); ``'conservative'``: :func:`regrid_conservative` (the mean over the
    covered part of each target cell and a ``coverage`` coordinate: totals conserved where cells are NaN).
    The result has exactly the target's ``x``/``y`` coordinates.
    """
    from rasterio.enums import Resampling

    methods = {"continuous": Resampling.bilinear, "categorical": Resampling.mode, "average": Resampling.average}
    if kind == "conservative":
        return regrid_conservative(da, target, name=name)
    if kind not in methods:
        raise ValueError(f"kind must be one of {sorted(methods) + ['conservative']}, got {kind!r}")
    label = name or da.name or "data"
    _crs(da)
    check_overlap(da, target, label)
    attrs = dict(da.attrs)
    if kind != "categorical" and not np.issubdtype(da.dtype, np.floating):
        da = da.astype("float32")
    out = _warp(da, target, methods[kind])
    out.attrs = attrs
    return out


#: The size (pixels) of the destination tiles every warp works in.  GDAL's warper approximates the
#: transformation across the block it is given, so its result depends a little on the block's size: a 0.1 deg
#: field warped bilinearly to 250 m UTM lands up to 0.06 source pixel off exact bilinear interpolation when the
#: 800 x 1000 map is warped at once, 0.016 px in 512-pixel tiles
#: (``tests/test_grid.py::test_regrid_lazy_equals_eager_and_is_near_exact_bilinear``).  One fixed tile size for
#: numpy and dask input alike makes a lazy regrid give the same numbers as an eager one.
WARP_TILE = 512


def _warp(da: xr.DataArray, target, resampling) -> xr.DataArray:
    """``da`` warped (GDAL, through odc-geo's tiled ``xr_reproject``) onto the grid of ``target`` in tiles of
    :data:`WARP_TILE` pixels: lazy (dask, one task per tile and time step, reading only the source blocks the
    tile overlaps) if ``da`` is, computed otherwise.  Floats are NaN outside the source or where it is NaN;
    integer classes get the source's nodata, else their type's usual nodata (255 for uint8, as rioxarray)."""
    import odc.geo.xr  # noqa: F401  (registers the .odc accessor)
    from odc.geo.xr import xr_reproject

    lazy = da.chunks is not None
    if np.issubdtype(da.dtype, np.floating):
        nodata = np.nan
    else:
        nodata = da.rio.nodata if da.rio.nodata is not None else (
            np.iinfo(da.dtype).max if np.issubdtype(da.dtype, np.unsignedinteger) else np.iinfo(da.dtype).min)
    src = da.rio.write_crs(_crs(da)).rio.write_nodata(nodata, encoded=False)
    if not lazy:  # one block per time step (or other leading index), the whole map in each
        src = src.chunk({d: (1 if d not in ("y", "x") else -1) for d in src.dims})
    geobox = target.rio.write_crs(_crs(target)).odc.geobox
    # XSCALE/YSCALE None: GDAL's own kernel scale, widened when coarsening (odc-geo would pin it to 1, which turns a
    # coarsening bilinear regrid into point samples of the fine field)
    out = xr_reproject(src, geobox, resampling=resampling, chunks=(WARP_TILE, WARP_TILE), dst_nodata=nodata,
                       XSCALE=None, YSCALE=None)
    ydim, xdim = out.odc.spatial_dims  # odc-geo names them latitude/longitude on a geographic grid
    out = out.drop_vars(["spatial_ref", ydim, xdim], errors="ignore").rename({ydim: "y", xdim: "x"})
    out = out.assign_coords(x=target["x"].values, y=target["y"].values)
    if "spatial_ref" in target.coords:  # the target's own grid mapping (CRS and GeoTransform), as it is
        out = out.assign_coords(spatial_ref=target["spatial_ref"])
    else:
        out = out.rio.write_crs(_crs(target)).rio.write_transform(target.rio.transform())
    out = out.rio.write_nodata(nodata, encoded=False).rename(da.name)
    return out if lazy else out.compute()


def class_fractions(landcover: xr.DataArray, target: xr.DataArray | xr.Dataset | None = None,
                    factor: int | None = None, classes=None) -> xr.DataArray:
    """Fractions (0..1) of each class of a fine ``landcover`` map in the cells of a coarser grid.

    Either ``factor`` (an integer block size: exact, area-weighted with :func:`cell_area`) or
    ``target`` (any grid: :func:`regrid_conservative` of each class indicator).  Pixels without a
    class (NaN or nodata) are left out, so the fractions of a cell sum to 1 over its classified part
    wherever it has any classified pixel; the ``coverage`` coordinate (y, x) is the share of each coarse
    cell that classified pixels cover (below 1 along a clipped boundary or at the map's edge): areas
    and totals built on the fractions count cell area x coverage.  Returns dims (class, y, x).
    """
    if (target is None) == (factor is None):
        raise ValueError("give exactly one of target= (a grid) or factor= (an integer block size)")
    values = landcover.astype(float)
    valid = values.notnull()
    codes = classes if classes is not None else present_codes(landcover).tolist()
    layers = []
    if factor is not None:
        area = cell_area(landcover)
        classified = area.where(valid)
        total = classified.coarsen(y=factor, x=factor, boundary="exact").sum()
        cov = _snap(total / area.coarsen(y=factor, x=factor, boundary="exact").sum())
        for c in codes:
            part = classified.where(values == c, 0.0).coarsen(y=factor, x=factor, boundary="exact").sum()
            layers.append(_snap(part / total))
    else:
        cov = None
        for c in codes:
            indicator = (values == c).astype("float64").where(valid)
            indicator = indicator.rio.write_crs(_crs(landcover))
            layer = regrid_conservative(indicator, target, name=f"class {c}")
            cov = layer["coverage"] if cov is None else cov
            layers.append(layer.drop_vars("coverage"))
    out = xr.concat(layers, dim=xr.DataArray(np.asarray(codes, dtype=int), dims="class", name="class"))
    out = out.assign_coords(coverage=cov.drop_vars("spatial_ref", errors="ignore").assign_attrs(
        units="1", long_name="share of the cell covered by classified pixels"))
    out = out.rio.write_crs(_crs(landcover))
    out = out.rename("class_fraction")
    out.attrs = {"units": "1", "long_name": "fraction of the cell covered by the class"}  # not the areas' attrs
    return out


def _snap(coarse):
    """Block means of regular coordinates drift in the last bits (-4.4999999999999); snap them to 1e-9."""
    return coarse.assign_coords(y=np.round(coarse["y"].values, 9), x=np.round(coarse["x"].values, 9))


# --- coverage: totals conserved where cells are NaN ---------------------------------------------------
#
# A per-area field may carry a ``coverage`` coordinate (0..1): the share of each cell that its value stands
# for (the rest had no data: sea, outside a boundary, clouds).  The value is the mean over that covered
# share, so totals are sum(value x cell area x coverage), never value x the whole cell (SCIENCE.md
# section 5).  Coarsening and regridding produce it; every total of carbontools (accounting,
# greenspace, compare) multiplies by it and reports the missing share.  A field without it covers each
# cell that has a value.

def coverage(values: xr.DataArray) -> xr.DataArray:
    """The covered share of each cell (0..1): the ``coverage`` coordinate, else 1 where ``values`` has a value, else 0."""
    valid = values.notnull()
    if "coverage" in values.coords:
        return values["coverage"].where(valid, 0.0).fillna(0.0).drop_vars("coverage", errors="ignore")
    return valid.astype(float)


def covered_area(values: xr.DataArray) -> xr.DataArray:
    """Area (m2) of each cell that the values stand for: :func:`cell_area` x :func:`coverage` (0 where NaN)."""
    cov = coverage(values)
    return (cell_area(values) * cov).assign_attrs(units="m2", long_name="covered cell area")


def _with_coverage(value: xr.DataArray, cov: xr.DataArray, like: xr.DataArray) -> xr.DataArray:
    out = value.where(cov > 0)
    cov = cov.where(np.isfinite(cov), 0.0).clip(0.0, 1.0).drop_attrs(deep=False)
    cov = cov.drop_vars([c for c in cov.coords if c not in out.dims]).transpose(*out.dims)
    out = out.assign_coords(coverage=cov.assign_attrs(units="1", long_name="share of the cell covered by data"))
    out.attrs = dict(like.attrs)  # the same quantity: the field's own attrs
    return out.rename(like.name)


def coarsen_conservative(da: xr.DataArray, factor: int) -> xr.DataArray:
    """Area-weighted block mean of a per-area field with the covered share of each block: totals conserved.

    The value of a block is the mean over its cells that have a value, weighted by cell area (and by
    their own ``coverage``, if any); the ``coverage`` coordinate is the share of the block's area those
    cells cover.  sum(value x cell area x coverage) equals the fine grid's sum(value x area): NaN cells
    (sea, outside a boundary) reduce a block's covered area, they are never filled by the block mean.
    """
    area = cell_area(da)
    weights = area * coverage(da)
    blocks = dict(y=factor, x=factor, boundary="exact")
    mass = (da.fillna(0.0) * weights).coarsen(**blocks).sum()
    covered = weights.coarsen(**blocks).sum()
    value = mass / covered.where(covered > 0)
    cov = covered / area.coarsen(**blocks).sum()
    out = _snap(_with_coverage(value, cov, da))
    return out.rio.write_crs(_crs(da))


def _extend(coord: np.ndarray, k: int, limit: float | None = None) -> np.ndarray:
    step = coord[1] - coord[0]
    out = np.concatenate([coord[0] - step * np.arange(k, 0, -1), coord, coord[-1] + step * np.arange(1, k + 1)])
    if limit is not None:  # latitudes: no cell beyond a pole
        out = out[np.abs(out) + abs(step) / 2 <= limit + 1e-9]
    return out


def _pad(da: xr.DataArray, ky: int, kx: int, geographic: bool) -> xr.DataArray:
    """``da`` with ``ky``/``kx`` NaN cells added on each side (so target cells at its edges see no-data cells)."""
    y = _extend(np.asarray(da["y"].values, float), ky, 90.0 if geographic else None)
    x = _extend(np.asarray(da["x"].values, float), kx)
    return da.reindex(y=y, x=x, method=None)


def _step(coord) -> float:
    return float(abs(np.diff(np.asarray(coord.values[:2], dtype=float))[0]))


def _steps_in(source, target) -> tuple[float, float]:
    """The target's cell size expressed in the source's CRS units (y, x), near the source's centre."""
    from rasterio.warp import transform_bounds

    ty, tx = _step(target["y"]), _step(target["x"])
    bounds = _bounds_in(source, _crs(target))
    yc = float(target["y"].values[np.argmin(np.abs(target["y"].values - np.mean(bounds[1::2])))])
    xc = float(target["x"].values[np.argmin(np.abs(target["x"].values - np.mean(bounds[0::2])))])
    left, bottom, right, top = transform_bounds(_crs(target), _crs(source), xc - tx / 2, yc - ty / 2,
                                                xc + tx / 2, yc + ty / 2, densify_pts=21)
    return abs(top - bottom), abs(right - left)


def regrid_conservative(da: xr.DataArray, target: xr.DataArray | xr.Dataset, name: str | None = None) -> xr.DataArray:
    """A per-area field on the grid of ``target``, conservatively: the mean over the covered part of each
    target cell and its ``coverage`` (see :func:`coarsen_conservative`), so that sum(value x area x coverage)
    is conserved.

    - Same CRS (geographic or projected): xarray-regrid's conservative method (exact overlaps of the
      rectilinear cells, factorised along y and x, with the spherical correction on latitude), on numpy or
      dask.  Nested grids (coarser or finer) are exact.
    - Different CRS (a UTM product onto a geographic grid, ...): rasterio's (GDAL's) area-weighted ``average``
      resampling of the value x coverage and of the coverage, whose ratio is the mean over the covered part.

    Either way the source is first padded with NaN cells, so that target cells straddling its edge are
    covered only in part.  Target cells that cover no source value are NaN with coverage 0.
    """
    label = name or da.name or "data"
    src_crs, dst_crs = _crs(da), _crs(target)
    check_overlap(da, target, label)
    values = da.drop_vars([c for c in ("coverage", "spatial_ref") if c in da.coords])
    cov_in = coverage(da)
    ty, tx = (_step(target["y"]), _step(target["x"])) if src_crs == dst_crs else _steps_in(da, target)
    sy, sx = _step(values["y"]), _step(values["x"])
    ky, kx = int(np.ceil(ty / sy)) + 2, int(np.ceil(tx / sx)) + 2
    geographic = src_crs.is_geographic
    weighted = _pad((values.fillna(0.0) * cov_in).astype(float), ky, kx, geographic).fillna(0.0)
    cov = _pad(cov_in.astype(float), ky, kx, geographic).fillna(0.0)
    if src_crs == dst_crs:
        import xarray_regrid  # noqa: F401  (registers the .regrid accessor)

        grid = xr.Dataset(coords={"y": target["y"].values, "x": target["x"].values})
        lat = "y" if geographic else None

        def apply(field):
            out = field.regrid.conservative(grid, latitude_coord=lat, skipna=False)
            return out.reindex(y=target["y"].values, x=target["x"].values).fillna(0.0)

        mass, covered = apply(weighted), apply(cov)
    else:
        from rasterio.enums import Resampling

        def apply(field):
            return _warp(field.rio.write_crs(src_crs), target, Resampling.average).fillna(0.0)

        mass, covered = apply(weighted), apply(cov)
    mass = mass.drop_vars("spatial_ref", errors="ignore")
    covered = covered.drop_vars("spatial_ref", errors="ignore")
    value = mass / covered.where(covered > 1e-12)
    out = _with_coverage(value, covered.where(covered > 1e-12, 0.0), da)
    out = out.assign_coords(x=target["x"], y=target["y"])
    return out.rio.write_crs(dst_crs)


# --- time ------------------------------------------------------------------------------------------

def monthly_index(time, name: str = "data", *, gaps: bool = False, duplicates: bool = False) -> pd.PeriodIndex:
    """The months of a time axis, after the one set of checks every monthly series gets.

    Errors name the duplicated months (unless ``duplicates``: 16-day composites share months), the
    months missing between the first and the last (unless ``gaps``) and a time axis out of order.
    """
    months = pd.PeriodIndex(pd.DatetimeIndex(np.asarray(time)), freq="M")
    dup = sorted({str(m) for m in months[months.duplicated()]})
    if dup and not duplicates:
        raise ValueError(f"{name} has more than one value in month(s) {dup}: it lists month(s) {dup} more than "
                         "once; keep one value per month")
    if not months.is_monotonic_increasing:
        raise ValueError(f"the time axis of {name} is not in increasing order; sort it with .sortby('time')")
    if len(months) > 1 and not gaps:
        full = pd.period_range(months.min(), months.max(), freq="M")
        missing = sorted(set(map(str, full)) - set(map(str, months)))
        if missing:
            raise ValueError(f"{name} lacks month(s) {missing} between {months.min()} and {months.max()}")
    return months


def time_step(time, name: str = "data", unit=None) -> str:
    """``"month"`` or ``"year"``: the step of a time axis, from its stamps.

    Steps of whole years (all multiples of 12 months) are yearly; any other axis whose smallest step is
    one month is monthly (gaps allowed: the years they fall in are incomplete).  A single stamp takes
    the step of ``unit`` (per month or per year).  Anything else is an error naming ``name``.
    """
    stamps = pd.DatetimeIndex(np.asarray(time))
    if len(stamps) < 2:
        from .units import parse

        u = parse(unit, name) if unit is not None else None
        if u is not None and u.exponent("month") == -1:
            return "month"
        if u is not None and u.exponent("year") == -1:
            return "year"
        raise ValueError(f"{name} has a single time stamp, so carbontools cannot tell monthly from yearly values; "
                         "give units per month or per year (e.g. 'g C m-2 month-1' or 'g C m-2 yr-1')")
    months = stamps.year.to_numpy() * 12 + stamps.month.to_numpy()
    steps = np.diff(months)
    if (steps <= 0).any():
        raise ValueError(f"the time axis of {name} repeats a month or is out of order; keep one value per "
                         "month (or year) and sort it with .sortby('time')")
    if (steps % 12 == 0).all():
        return "year"
    if steps.min() == 1:
        return "month"
    raise ValueError(f"{name} has a time axis that is neither monthly nor yearly (steps of "
                     f"{sorted(set(steps.tolist()))} months); give monthly or yearly values")


def to_month_start(obj, name: str = "data"):
    """Stamp a monthly series at the first of each month (after checking it is monthly without gaps)."""
    months = monthly_index(obj["time"].values, name)
    return obj.assign_coords(time=months.to_timestamp(how="start"))
