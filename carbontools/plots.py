"""Figures every notebook and app reuses (HoloViews / hvplot, offline: no tiles), and ONE colour-limit rule.

- :func:`color_limits`: the colour range of one or more arrays.  Diverging maps (NEP, residuals, changes)
  get (-m, m) with m the 98th percentile of abs(values); others the 2nd to the 98th percentile.  A few
  extreme pixels do not wash out the map, and panels that are passed together share one scale.
- :func:`map_image`: a (y, x) map with square pixels and those colour limits; :func:`class_map` the same for class
  codes (one colour per code, the classes named on the colour bar); :func:`unit_label` the colour bar's units.
- :func:`geo_map`: the same map on real geography (geoviews): drawn in a map projection (the data's own CRS, or a
  Lambert conformal conic for latitude/longitude grids), region borders from GeoDataFrames on top, no tiles and
  no Natural Earth features (nothing is downloaded); :func:`screen_map` and :func:`border_lines` make it cheap.
- Product comparison (:mod:`carbontools.compare`): :func:`bar_plot`, :func:`seasonal_plot`,
  :func:`latitude_time_plots`.
- Validation (:mod:`carbontools.validate`): :func:`density_scatter`, :func:`residual_map`.
- Sensitivity (:mod:`carbontools.sensitivity`): :func:`tornado_plot`, :func:`morris_plot`, :func:`sobol_plot`.
- Life-cycle budgets of green space (:mod:`carbontools.budget`): :func:`budget_bars`.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import xarray as xr

from .accounting import seasonal_cycle


def _hvplot_accessors() -> None:
    """Register hvplot's ``.hvplot`` on xarray and pandas objects, once.

    Not a plain ``import hvplot.xarray``: in IPython hvplot forgets its modules before every cell, so each
    import in a later cell loads the bokeh extension again and writes its whole JavaScript into that cell.
    """
    if not hasattr(xr.DataArray, "hvplot"):
        import hvplot.xarray  # noqa: F401
    if not hasattr(pd.DataFrame, "hvplot"):
        import hvplot.pandas  # noqa: F401

__all__ = ["PERCENTILE", "color_limits", "map_image", "class_map", "unit_label", "square_frame_height", "screen_map",
           "map_projection", "border_lines", "border_path", "with_borders", "geo_map", "bar_plot", "seasonal_plot",
           "latitude_time_plots", "budget_bars", "density_scatter", "residual_map", "tornado_plot", "morris_plot",
           "sobol_plot"]

#: the percentile of :func:`color_limits`
PERCENTILE = 98.0
#: at most this many values per array are read to find the colour limits
SAMPLE_SIZE = 1_000_000


# --- the colour-limit rule ----------------------------------------------------------------------

def _finite_sample(values, size: int) -> np.ndarray:
    """The finite values of ``values`` (DataArray, numpy or dask array, list) as a flat float array; above
    ``size`` elements every k-th element along each dimension longer than 1, so that dask reads only those."""
    data = values.data if isinstance(values, xr.DataArray) else values
    if not hasattr(data, "ndim"):
        data = np.asarray(data, dtype=float)
    long_dims = [n for n in data.shape if n > 1]
    if data.size > size and long_dims:
        step = int(np.ceil((data.size / size) ** (1.0 / len(long_dims))))
        data = data[tuple(slice(None, None, step) if n > 1 else slice(None) for n in data.shape)]
    flat = np.asarray(data, dtype=float).ravel()
    return flat[np.isfinite(flat)]


def color_limits(*arrays, symmetric: bool, percentile: float = PERCENTILE,
                 sample_size: int = SAMPLE_SIZE) -> tuple[float, float]:
    """The colour range ``(lo, hi)`` of one or more arrays: the rule every carbontools plot uses.

    - ``symmetric=True`` (diverging maps centred on 0: NEP, residuals, storage changes): ``(-m, m)`` with
      m the ``percentile``-th percentile of abs(values).
    - ``symmetric=False``: the ``(100 - percentile)``-th and the ``percentile``-th percentiles of the values.

    The values of all ``arrays`` (DataArrays, numpy or dask arrays) are pooled, so that panels drawn with
    the result share one scale.  NaN and infinite values are left out.  An array of more than
    ``sample_size`` elements is read on a regular stride (a dask array computes only that sample).
    Without any finite value the range is (0, 1), or (-1, 1) if symmetric; a constant array ``v`` gives
    ``(v - 1, v + 1)`` (``(-1, 1)`` if symmetric and 0).
    """
    if not arrays:
        raise TypeError("color_limits needs at least one array")
    lowest = 0.0 if symmetric else 50.0  # not symmetric: the lower limit is the (100 - percentile)-th
    if not lowest < percentile <= 100.0:
        raise ValueError(f"percentile must be above {lowest:g} and at most 100 (it gives the upper limit), "
                         f"got {percentile}")
    sample = np.concatenate([_finite_sample(a, sample_size) for a in arrays])
    if symmetric:
        m = float(np.percentile(np.abs(sample), percentile)) if sample.size else 0.0
        return (-m, m) if m > 0 else (-1.0, 1.0)
    if not sample.size:
        return (0.0, 1.0)
    lo, hi = (float(v) for v in np.percentile(sample, [100.0 - percentile, percentile]))
    return (lo, hi) if hi > lo else (lo - 1.0, hi + 1.0)


# --- maps ---------------------------------------------------------------------------------------

def _extent(coord) -> tuple[int, float | None]:
    values = np.asarray(coord.values, dtype=float)
    return values.size, (abs(float(values[1] - values[0])) if values.size > 1 else None)


def square_frame_height(da: xr.DataArray, frame_width: int) -> int:
    """The frame height that gives the (y, x) cells of ``da`` square pixels at ``frame_width``.

    height = width x (ny x dy) / (nx x dx), in the grid's own units (metres, or degrees on a geographic grid);
    a dimension of one cell takes the step of the other.
    """
    (ny, dy), (nx, dx) = _extent(da["y"]), _extent(da["x"])
    dy, dx = dy or dx or 1.0, dx or dy or 1.0
    return max(1, round(frame_width * (ny * dy) / (nx * dx)))


def unit_label(da: xr.DataArray) -> str:
    """``da.attrs['units']`` as a reader writes it, the carbon basis named after the mass: carbontools' outputs
    keep ``'g m-2 yr-1'`` with ``carbon_basis='C'`` (so that UDUNITS reads them), a colour bar says
    ``'g C m-2 yr-1'``.  Units that name their species already, or are not a mass, are returned as they are."""
    from . import units

    text, basis = str(da.attrs.get("units", "")), da.attrs.get("carbon_basis")
    mass, _, rest = text.strip().partition(" ")
    if not basis or not mass or rest.split()[:1] in (["C"], ["CO2"], ["CO2e"]):
        return text
    try:  # the first word must be a mass alone (g, kg, Mg, t...): not W in 'W m-2'
        is_mass = units.ureg.Unit(mass).dimensionality == units.ureg.Unit("g").dimensionality
        units.parse(text, getattr(da, "name", None) or "value", basis=basis)
    except Exception:  # noqa: BLE001  (pint's errors on a word it does not know: leave the label as it is)
        return text
    return f"{mass} {basis} {rest}".strip() if is_mass else text


def _axis_labels(da: xr.DataArray) -> dict:
    """Axis labels that say what the coordinates are: easting/northing in metres of the CRS, or degrees.

    Metres are written in full with thousands separators (3,380,000): Bokeh's default wrote 3.380e+6."""
    try:
        crs = da.rio.crs
    except Exception:  # noqa: BLE001  (rioxarray cannot tell: keep hvplot's labels)
        crs = None
    if crs is None:
        return {}
    if crs.is_geographic:
        return {"xlabel": "longitude (degrees east)", "ylabel": "latitude (degrees north)"}
    from bokeh.models import NumeralTickFormatter

    name = crs.to_string()
    return {"xlabel": f"easting (m, {name})", "ylabel": f"northing (m, {name})",
            "xformatter": NumeralTickFormatter(format="0,0"), "yformatter": NumeralTickFormatter(format="0,0")}


def map_image(da: xr.DataArray, title: str = "", cmap: str = "viridis", clim: tuple[float, float] | None = None, *,
              symmetric: bool = False, clabel: str | None = None, frame_width: int = 300, **kwargs):
    """An hvplot image of a map on (y, x) with square pixels and the package's colour limits.

    ``clim``: the colour range; default :func:`color_limits` of ``da`` (``symmetric=True`` for a diverging
    map centred on 0, e.g. NEP with ``cmap='RdYlGn'``).  ``clabel``: the colour-bar label, default
    ``da.attrs['units']`` with its carbon basis (:func:`unit_label`).  The frame is ``frame_width`` wide and as
    high as square pixels need
    (:func:`square_frame_height`).  Non-dimension coordinates (``spatial_ref``, a selected ``year``) are
    dropped; extra dimensions (``time``) become a widget.  Other keywords go to ``hvplot.image``
    (``xaxis=None, yaxis=None`` to hide the axes, ``toolbar='above'``, ``widget_location='bottom'``, ...).
    """
    import holoviews as hv
    _hvplot_accessors()

    if not {"y", "x"} <= set(da.dims):
        raise ValueError(f"map_image needs a map with dims 'y' and 'x'; got {da.dims}")
    labels = _axis_labels(da)  # before spatial_ref is dropped
    da = da.drop_vars([c for c in da.coords if c not in da.dims])
    if clim is None:
        clim = color_limits(da, symmetric=symmetric)
    opts = dict(x="x", y="y", cmap=cmap, clim=tuple(clim), title=title, colorbar=True, frame_width=frame_width,
                frame_height=square_frame_height(da, frame_width),
                clabel=unit_label(da) if clabel is None else clabel)
    opts.update(labels)
    opts.update(kwargs)
    image = da.hvplot.image(**opts)
    if isinstance(image, hv.core.Dimensioned):  # not a Panel layout (widget_location=...)
        image = image.opts(clim=opts["clim"])  # as a plot option too: hvplot sets only the range
    return image


def class_map(da: xr.DataArray, names: dict[int, str], title: str = "", clabel: str = "class",
              frame_width: int = 300, **kwargs):
    """A map of integer class codes (land cover) with one colour per code and the colour bar naming the classes.

    Code ``c`` gets colour ``c`` of Bokeh's Category20 palette: the colours run over ``(-0.5, max + 0.5)`` in bins
    of one, so that each code is the middle of its own bin (a continuous colour map over the codes gave two
    neighbouring codes one colour, or one code two).  The colour bar has a tick, ``"c name"``, at each code that
    occurs in ``da`` (NaN and codes outside ``names`` are not named).  Other keywords go to :func:`map_image`.
    """
    from bokeh.palettes import Category20

    values = np.asarray(da.values, dtype=float)
    codes = np.unique(values[np.isfinite(values)])
    if codes.size and (np.any(codes < 0) or np.any(codes != np.round(codes))):
        raise ValueError(f"class_map needs non-negative integer class codes; {da.name or 'the map'} holds "
                         f"{codes[(codes < 0) | (codes != np.round(codes))][:5].tolist()}")
    top = int(max([*names, *codes.astype(int).tolist()], default=0))
    if top >= 20:
        raise ValueError(f"class_map has 20 colours (codes 0-19); the largest code here is {top}: recode the classes")
    palette = list(Category20[20][:top + 1])
    ticks = [(int(c), f"{int(c)} {names[int(c)]}") for c in codes if int(c) in names]
    image = map_image(da, title, palette, clim=(-0.5, top + 0.5), clabel=clabel, frame_width=frame_width, **kwargs)
    return image.opts(cticks=ticks, color_levels=top + 1)


# --- maps on real geography (geoviews) -----------------------------------------------------------

def screen_map(da: xr.DataArray, width: int) -> xr.DataArray:
    """``da`` on (y, x) coarsened to at most ``width`` columns for drawing: each drawn cell is the mean of the
    valid cells of its k x k block (k = ceil(nx / width)), blocks cut by the edge averaging the cells they
    hold.  The coordinates stay regular (the last block's centre may lie past the edge; its blank part is
    NaN).  A map already at most ``width`` wide is returned as it is.
    """
    k = math.ceil(da.sizes["x"] / width)
    if k <= 1:
        return da
    da = da.transpose("y", "x")
    ny, nx = (math.ceil(n / k) for n in da.shape)
    padded = np.full((ny * k, nx * k), np.nan)
    padded[:da.shape[0], :da.shape[1]] = da.values
    blocks = padded.reshape(ny, k, nx, k)
    valid = ~np.isnan(blocks)
    count = valid.sum(axis=(1, 3))
    total = np.where(valid, blocks, 0.0).sum(axis=(1, 3))
    means = np.divide(total, count, out=np.full(count.shape, np.nan), where=count > 0)
    centres = {}
    for dim, n in (("y", ny), ("x", nx)):
        c = da[dim].values
        step = float(c[1] - c[0]) if c.size > 1 else 1.0
        centres[dim] = c[0] + step * (k * np.arange(n) + (k - 1) / 2)
    return xr.DataArray(means, dims=("y", "x"), coords=centres, name=da.name, attrs=da.attrs)


def _cartopy_crs(crs, bounds=None):
    """A cartopy CRS for a pyproj-readable ``crs``: a plate carree on the CRS's own ellipsoid for latitude /
    longitude, the projection itself for a projected CRS.

    cartopy takes a projection's limits from its EPSG area of use, and geoviews clips the map to them; with
    ``bounds`` (left, bottom, right, top in the CRS's units) the limits are widened to hold those bounds widened
    by their own size on every side (a CRS without an area of use, e.g. a WKT that lost its EPSG code, needs them).
    """
    import cartopy.crs as ccrs
    import pyproj

    crs = pyproj.CRS.from_user_input(crs)
    if crs.is_geographic:
        e = crs.ellipsoid
        return ccrs.PlateCarree(globe=ccrs.Globe(ellipse=None, semimajor_axis=e.semi_major_metre,
                                                 semiminor_axis=e.semi_minor_metre))
    if crs.is_projected:
        code = crs.to_epsg()
        projection = ccrs.Projection(pyproj.CRS.from_epsg(code) if code else crs)
        if projection.bounds is None and bounds is None:
            raise ValueError(f"the projection {crs.name} has no area of use; give the map's bounds")
        if bounds is not None:
            # geoviews clips what it draws to the projection's limits: a scene that reaches beyond its UTM zone's
            # area of use (the Pearl River Delta's east lies in zone 50 on a zone-49 grid) lost that part
            left, bottom, right, top = (float(b) for b in bounds)
            w, h = right - left, top - bottom
            wide = (left - w, right + w, bottom - h, top + h)
            x0, x1, y0, y1 = projection.bounds or wide
            projection.bounds = (min(x0, wide[0]), max(x1, wide[1]), min(y0, wide[2]), max(y1, wide[3]))
        return projection
    raise ValueError(f"cannot draw a map in the CRS {crs.to_string()}: it is neither latitude/longitude nor a "
                     "map projection; give the data a geographic or projected CRS (da.rio.write_crs(...))")


def map_projection(crs, bounds: tuple[float, float, float, float] | None = None):
    """The projection :func:`geo_map` draws in by default: a cartopy CRS.

    A projected ``crs`` (UTM, Albers...) is drawn in itself, so that its pixels are not resampled.  A latitude /
    longitude ``crs`` with ``bounds`` (west, south, east, north, degrees) gets a Lambert conformal conic
    centred on them with its standard parallels one sixth of the latitude span inside the south and north
    edges (the one-sixth rule for conic projections; 24 N and 48 N for China's 18-54 N).  An extent that
    crosses the equator, where a conic fits badly, is drawn in plate carree centred on its middle longitude.
    """
    import cartopy.crs as ccrs
    import pyproj

    crs = pyproj.CRS.from_user_input(crs)
    if not crs.is_geographic:
        return _cartopy_crs(crs, bounds)
    if bounds is None:
        raise ValueError("map_projection of a latitude/longitude CRS needs the bounds (west, south, east, north)")
    west, south, east, north = (float(b) for b in bounds)
    lon0, lat0, sixth = (west + east) / 2, (south + north) / 2, (north - south) / 6
    parallels = (south + sixth, north - sixth)
    if south < 0 < north or min(abs(p) for p in parallels) < 1.0:
        return ccrs.PlateCarree(central_longitude=lon0)
    cutoff = min(south - 10.0, -30.0) if lat0 > 0 else max(north + 10.0, 30.0)
    return ccrs.LambertConformal(central_longitude=lon0, central_latitude=lat0, standard_parallels=parallels,
                                 cutoff=cutoff)


def _as_projection(projection):
    import cartopy.crs as ccrs

    if isinstance(projection, ccrs.Projection):
        return projection
    try:
        return _cartopy_crs(projection)
    except Exception as err:
        raise ValueError(f"projection must be a cartopy projection (e.g. cartopy.crs.LambertConformal(...)) or a "
                         f"CRS pyproj reads ('EPSG:32649'); got {projection!r} ({err})") from err


def _projected_box(bounds, source, target, n: int = 64) -> tuple[float, float, float, float]:
    """The (x0, y0, x1, y1) in ``target`` of the box ``bounds`` of ``source``, its edges densified to ``n``
    points each (a box's edges bend in another projection)."""
    west, south, east, north = bounds
    t = np.linspace(0.0, 1.0, n)
    xs = np.concatenate([west + (east - west) * t, np.full(n, east), east - (east - west) * t, np.full(n, west)])
    ys = np.concatenate([np.full(n, south), south + (north - south) * t, np.full(n, north), north - (north - south) * t])
    pts = target.transform_points(source, xs, ys)
    ok = np.isfinite(pts[:, 0]) & np.isfinite(pts[:, 1])
    if not ok.any():
        raise ValueError(f"the map's extent {bounds} has no point in the projection {target.proj4_init}; "
                         "choose a projection that shows this region")
    return (float(pts[ok, 0].min()), float(pts[ok, 1].min()), float(pts[ok, 0].max()), float(pts[ok, 1].max()))


def _border_frames(borders) -> list:
    import geopandas as gpd

    frames = [borders] if isinstance(borders, (gpd.GeoDataFrame, gpd.GeoSeries)) else list(borders)
    for i, frame in enumerate(frames):
        if not isinstance(frame, (gpd.GeoDataFrame, gpd.GeoSeries)):
            raise TypeError(f"borders must be a GeoDataFrame (or a list of them); item {i} is a {type(frame).__name__}")
        if frame.crs is None:
            raise ValueError(f"borders (item {i}) have no CRS, so they cannot be placed on the map: set it "
                             "with borders.set_crs('EPSG:4326') (or the CRS their coordinates are in)")
    return frames


def border_lines(borders, crs, tolerance: float = 0.0):
    """The outlines of ``borders`` (a GeoDataFrame of polygons or lines, or a list of them) as lines in ``crs``.

    The polygons' boundaries are transformed to ``crs`` and, with ``tolerance`` > 0 (in the units of ``crs``),
    simplified by Douglas-Peucker (shapely): every vertex kept is one of the transformed vertices, none moves
    by more than ``tolerance``.  :func:`geo_map` uses half a screen pixel, so that a country's 250,000 border
    vertices become a few thousand that draw quickly and look the same.  The other columns are kept.
    """
    import geopandas as gpd

    frames = []
    for frame in _border_frames(borders):
        frame = frame.to_frame("geometry") if isinstance(frame, gpd.GeoSeries) else frame
        moved = frame.to_crs(crs)
        geometry = moved.geometry
        polygonal = geometry.geom_type.isin(["Polygon", "MultiPolygon"])
        lines = geometry.where(~polygonal, geometry.boundary)
        if tolerance > 0:
            lines = lines.simplify(tolerance, preserve_topology=False)
        moved = moved.set_geometry(lines.values)
        frames.append(moved[~moved.geometry.is_empty & moved.geometry.notna()])
    out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)
    return gpd.GeoDataFrame(out, geometry=out.geometry.name, crs=crs)


def border_path(lines):
    """A HoloViews Path of every part of the line geometries of ``lines`` (already in the plot's coordinates), as
    one path with a NaN row between parts (Bokeh breaks a line there): a country's 2,000 island outlines as
    separate paths took HoloViews 17 s to render, as one 0.3 s."""
    import holoviews as hv
    import shapely

    parts = shapely.get_parts(np.asarray(lines.geometry.values))
    gap = np.full((1, 2), np.nan)
    pieces = [piece for part in parts for piece in (shapely.get_coordinates(part), gap)][:-1]
    return hv.Path([np.concatenate(pieces) if pieces else np.empty((0, 2))], kdims=["x", "y"])


def with_borders(image, lines, highlight: str | list[str] | None = None, name_column: str = "name",
                 color: str = "black", width: float = 1.0, highlight_color: str = "#e7298a"):
    """``image`` with the border ``lines`` (:func:`border_lines`, in the image's coordinates) drawn on top, and the
    outlines of the ``highlight`` name(s) of ``name_column`` drawn again, thicker, in ``highlight_color``.

    The borders are plain HoloViews paths already in the plot's coordinates (geoviews' own path projection,
    cartopy's project_geometry, dropped parts of multi-part borders) and do not widen the plot's ranges.
    """
    layers = image * border_path(lines).opts(color=color, line_width=width, apply_ranges=False)
    if highlight is None:
        return layers
    wanted = [str(h) for h in ([highlight] if isinstance(highlight, str) else highlight)]
    if name_column not in lines.columns:
        raise ValueError(f"highlight needs the borders' names, but they have no column {name_column!r} "
                         f"(columns: {list(lines.columns)}); pass name_column=")
    names = lines[name_column].astype(str)
    missing = sorted(set(wanted) - set(names))
    if missing:
        raise ValueError(f"highlight: no border is named {missing}; the names are {sorted(set(names))}")
    return layers * border_path(lines[names.isin(wanted)]).opts(color=highlight_color, line_width=3 * width,
                                                              apply_ranges=False)


def geo_map(da: xr.DataArray, borders=None, title: str = "", cmap: str = "viridis",
            clim: tuple[float, float] | None = None, *, symmetric: bool = False, clabel: str | None = None,
            projection=None, frame_width: int = 300, highlight: str | list[str] | None = None,
            labels: bool = False, name_column: str = "name", border_color: str = "black", border_width: float = 1.0,
            highlight_color: str = "#e7298a", **kwargs):
    """A (y, x) map on real geography (geoviews) with region borders on top: no tiles, nothing downloaded.

    ``da`` must carry its CRS (rioxarray: ``da.rio.crs``), latitude/longitude or projected.  ``projection``: what
    the map is drawn in, a cartopy projection or a CRS pyproj reads; default :func:`map_projection` (the data's
    own CRS if projected, a Lambert conformal conic fitted to a latitude/longitude extent).  Before it is
    projected the map is reduced to at most ``frame_width`` columns of block means (:func:`screen_map`): a
    1000 x 900 scene is never resampled at full size.  ``clim``: default :func:`color_limits` of the
    full-resolution ``da`` (``symmetric=True`` for diverging maps).  ``clabel``: default ``da.attrs['units']``
    with its carbon basis (:func:`unit_label`).

    ``borders``: a GeoDataFrame (or a list of them) with a CRS, drawn as unfilled outlines transformed to the
    projection and simplified to half a screen pixel (:func:`border_lines`); they do not widen the map's extent.
    ``highlight``: the value(s) of ``name_column`` whose outline is drawn again, thicker, in
    ``highlight_color``.  ``labels=True`` writes ``name_column`` at a point inside each polygon.  Other
    keywords are plot options of the image (``toolbar='above'``, ``colorbar_position='bottom'``, ...).
    Returns a HoloViews overlay: the geoviews image, the borders as HoloViews paths in projected coordinates.
    """
    import geoviews as gv
    import holoviews as hv
    from bokeh.core.validation import silence
    from bokeh.core.validation.warnings import FIXED_SIZING_MODE

    # HoloViews sizes the map by its frame (frame_width/frame_height); Bokeh's validator does not know that and
    # warns W-1005 although the figure renders at the set size (the dashboard silences it for the same reason)
    silence(FIXED_SIZING_MODE, True)
    if not isinstance(da, xr.DataArray):
        raise TypeError(f"geo_map draws one DataArray on (y, x); got a {type(da).__name__}")
    if set(da.dims) != {"y", "x"}:
        raise ValueError(f"geo_map needs a 2-D map with dims ('y', 'x'); got {da.dims}: select one time step "
                         "or reduce the others first (e.g. da.isel(time=0) or da.mean('time'))")
    try:
        crs = da.rio.crs
    except Exception:  # noqa: BLE001
        crs = None
    if crs is None:
        raise ValueError("geo_map needs the CRS of the map to place it on the Earth: write it with "
                         "da.rio.write_crs('EPSG:4326') (x = longitude, y = latitude) or your grid's CRS")
    if clim is None:
        clim = color_limits(da, symmetric=symmetric)
    bounds = da.rio.bounds()
    source = _cartopy_crs(crs, bounds)
    proj = map_projection(crs, bounds) if projection is None else _as_projection(projection)
    x0, y0, x1, y1 = _projected_box(bounds, source, proj)
    frame_height = max(1, round(frame_width * (y1 - y0) / (x1 - x0)))
    name = da.name if da.name is not None else "value"
    shown = screen_map(da.drop_vars([c for c in da.coords if c not in da.dims]).rename(name), frame_width)
    image_opts = dict(projection=proj, cmap=cmap, clim=tuple(clim), colorbar=True, frame_width=frame_width,
                      frame_height=frame_height, title=title, show_bounds=False,
                      clabel=unit_label(da) if clabel is None else clabel)
    image_opts.update(kwargs)
    layers = gv.Image(shown.transpose("y", "x"), kdims=["x", "y"], vdims=[name], crs=source).opts(**image_opts)
    if borders is not None:
        lines = border_lines(borders, proj, tolerance=0.5 * (x1 - x0) / frame_width)
        layers = with_borders(layers, lines, highlight, name_column, border_color, border_width, highlight_color)
        if labels:
            if name_column not in lines.columns:
                raise ValueError(f"labels=True needs the borders' names in a column {name_column!r} (columns: "
                                 f"{list(lines.columns)}); pass name_column=")
            frames = [f for f in _border_frames(borders) if name_column in getattr(f, "columns", ())]
            points = pd.concat([f.geometry.representative_point().to_crs(proj) for f in frames], ignore_index=True)
            names = pd.concat([f[name_column].astype(str) for f in frames], ignore_index=True)
            table = pd.DataFrame({"x": points.x.values, "y": points.y.values, name_column: names.values})
            layers = layers * hv.Labels(table, kdims=["x", "y"], vdims=[name_column]).opts(
                text_font_size="9pt", text_color=border_color, apply_ranges=False)
    return layers.opts(projection=proj)


# --- product comparison -------------------------------------------------------------------------

def bar_plot(table: pd.DataFrame, products: list[str], ensemble_label: str = "ensemble", title: str = ""):
    """Grouped bars of each product's mean annual total per zone; with an ensemble, its mean and min-max bars."""
    import holoviews as hv

    rows = [(str(zone), p, table.loc[zone, (p, "mean")]) for zone in table.index for p in products]
    bars = hv.Bars(rows, kdims=["zone", "product"], vdims=["annual total"]).opts(
        width=850, height=380, xrotation=15, title=title, tools=["hover"], ylabel=table.attrs.get("units", ""),
        multi_level=False, legend_position="right")
    if (ensemble_label, "mean") not in table.columns:
        return bars
    e = table[ensemble_label]
    means = hv.Bars([(str(z), e.loc[z, "mean"]) for z in table.index], kdims=["zone"], vdims=["annual total"])
    spread = hv.ErrorBars([(str(z), e.loc[z, "mean"], e.loc[z, "mean"] - e.loc[z, "min"], e.loc[z, "max"] - e.loc[z, "mean"])
                           for z in table.index], kdims=["zone"], vdims=["annual total", "below", "above"])
    ensemble_panel = (means.opts(color="#7570b3") * spread.opts(line_width=2, color="black")).opts(
        width=850, height=300, xrotation=15, title=f"{ensemble_label}: mean and min-max across members",
        ylabel=table.attrs.get("units", ""))
    # not shared: the grouped bars map (zone, product) factors, the ensemble panel zones alone; a shared
    # "zone" axis gave both one level of factors and Bokeh drew neither (L1FactorMap error)
    return (bars + ensemble_panel).cols(1).opts(shared_axes=False)


#: the calendar months as axis ticks: (1, "Jan") ... (12, "Dec")
MONTH_TICKS = [(m, pd.Timestamp(2001, m, 1).strftime("%b")) for m in range(1, 13)]


def seasonal_plot(harmonised: dict[str, xr.DataArray], weights: xr.DataArray | None = None,
                  members: list[str] | None = None, title: str = "Seasonal cycle"):
    """Mean seasonal cycle (g C m-2 month-1, area-weighted) of each product; ensemble members as thin lines.
    Every month is a tick, named (Jan ... Dec), as on the dashboard's seasonal tab."""
    import holoviews as hv

    curves = []
    for name, da in harmonised.items():
        cycle = seasonal_cycle(da, weights)
        style = dict(line_width=1, alpha=0.5, line_dash="dashed") if members and name in members else dict(line_width=3)
        curves.append(hv.Curve((cycle["month"].values, cycle.values), "month", "NEP (g C m-2 month-1)",
                               label=name).opts(**style))
    return hv.Overlay(curves).opts(width=700, height=350, title=title, legend_position="right", xticks=MONTH_TICKS)



def latitude_time_plots(sections: dict[str, xr.DataArray], clim: float | None = None):
    """Latitude x time panels (from :func:`carbontools.accounting.latitude_time`) side by side, shared colours.

    ``clim``: the colours run from -clim to clim; default :func:`color_limits` of all the sections together.
    """
    import holoviews as hv

    lim = clim or color_limits(*sections.values(), symmetric=True)[1]
    panels = [hv.QuadMesh((s["time"].values, s["y"].values, s.values), ["time", "latitude"], "NEP").opts(
        cmap="RdYlGn", clim=(-lim, lim), width=330, height=260, title=name, colorbar=True, tools=["hover"])
        for name, s in sections.items()]
    return hv.Layout(panels).cols(3)


# --- green-space life-cycle budgets (carbontools.budget, carbontools.greenspace) ---------------------

def budget_bars(table: pd.DataFrame, unit: str = "t CO2e per ha per year", title: str = "",
                width: int = 820, height: int = 320):
    """Stacked bars of a life-cycle budget per place (a park type, a district): sequestration up, management and
    amortised construction down, the net as a black diamond.

    ``table``: one row per place with the columns ``sequestration``, ``management``, ``construction_amortised``
    and ``net`` (the total rows of :func:`carbontools.budget.green_space_budget`), emissions positive as there.
    The legend stands right of the plot, outside it, so that it covers no bar whatever the values.
    """
    import holoviews as hv
    _hvplot_accessors()

    needed = ["sequestration", "management", "construction_amortised", "net"]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise ValueError(f"budget_bars needs the columns {needed} (the total rows of budget.green_space_budget); "
                         f"the table has no {missing} (its columns: {list(table.columns)})")
    places = [str(p) for p in table.index]
    flows = pd.DataFrame({"sequestration": table["sequestration"].to_numpy(float),
                          "management": -table["management"].to_numpy(float),
                          "construction": -table["construction_amortised"].to_numpy(float)}, index=places)
    bars = flows.hvplot.bar(stacked=True, rot=0, ylabel=unit, xlabel="", legend="right")
    net = hv.Scatter((places, table["net"].to_numpy(float)), label="net").opts(color="black", size=10,
                                                                                marker="diamond")
    return (bars * net).opts(width=width, height=height, legend_position="right", show_legend=True,
                             title=title or "Sequestration (up) against management and construction (down)")


# --- validation ---------------------------------------------------------------------------------

def _fmt(x, spec=".3g"):
    return "NaN" if not np.isfinite(x) else format(x, spec)


def density_scatter(sim, obs, gridsize: int = 40, xlabel: str | None = None, ylabel: str | None = None,
                    title: str | None = None, width: int = 480, height: int = 440, cmap: str = "viridis"):
    """Density (hexbin) of obs (x) against sim (y) with the 1:1 line and the OLS line; a HoloViews overlay.

    The title gives n, r2_pearson, NSE and RMSE (below ``title`` if given).  The colour is the number of
    pairs per hexagon on a log scale.  Offline: no map tiles.
    """
    import holoviews as hv
    _hvplot_accessors()

    from .validate import ValidationWarning, _pairs, metrics

    s, o, valid, units = _pairs(sim, obs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ValidationWarning)
        m = metrics(sim, obs)
    unit = f" ({units})" if units else ""
    xlabel = xlabel or f"{getattr(obs, 'name', None) or 'obs'}{unit}"
    ylabel = ylabel or f"{getattr(sim, 'name', None) or 'sim'}{unit}"
    df = pd.DataFrame({"obs": o[valid], "sim": s[valid]})
    stats = (f"n = {m['n']:,}, r2_pearson = {_fmt(m['r2_pearson'])}, NSE = {_fmt(m['nse'])}, "
             f"RMSE = {_fmt(m['rmse'])}")
    full_title = f"{title}\n{stats}" if title else stats
    if df.empty:
        return hv.Points([]).opts(title=full_title, width=width, height=height)
    lo = float(min(df["obs"].min(), df["sim"].min()))
    hi = float(max(df["obs"].max(), df["sim"].max()))
    pad = 0.02 * (hi - lo) if hi > lo else 1.0
    lo, hi = lo - pad, hi + pad
    hexes = df.hvplot.hexbin(x="obs", y="sim", gridsize=gridsize, cmap=cmap, logz=True, colorbar=True,
                             xlabel=xlabel, ylabel=ylabel, clabel="pairs", width=width, height=height)
    one = hv.Curve([(lo, lo), (hi, hi)], label="1:1").opts(color="black", line_dash="dashed", line_width=1.5)
    layers = hexes * one
    if np.isfinite(m["slope"]):
        sign = "-" if m["intercept"] < 0 else "+"
        ols = hv.Curve([(lo, m["intercept"] + m["slope"] * lo), (hi, m["intercept"] + m["slope"] * hi)],
                       label=f"OLS: sim = {_fmt(m['slope'])} obs {sign} {_fmt(abs(m['intercept']))}")
        layers = layers * ols.opts(color="red", line_width=2)
    # the statistics line is long: a smaller title font keeps it inside the plot's width (it was cut at "RMSE =")
    return layers.opts(title=full_title, xlim=(lo, hi), ylim=(lo, hi), legend_position="bottom_right",
                       show_legend=True, fontsize={"title": "9pt"})


def residual_map(sim, obs, cmap: str = "RdBu_r", vmax: float | None = None, title: str | None = None,
                 frame_width: int = 350, **kwargs):
    """Map of sim - obs (hvplot image) with a diverging colormap symmetric about 0.

    ``vmax`` sets the colour range (-vmax, vmax); default :func:`color_limits` (symmetric), so a few
    extreme pixels do not wash out the map.  Extra dimensions (time, year) become a slider.
    """
    from .validate import residuals

    res = residuals(sim, obs)
    if not {"x", "y"} <= set(res.dims):
        raise ValueError(f"residual_map needs DataArrays on (y, x) grids; got dims {res.dims}. Use metrics() or "
                         "density_scatter() for arrays without a map grid")
    if vmax is None:
        vmax = color_limits(res, symmetric=True)[1]
    unit = res.attrs["units"]
    return map_image(res, title or "residual sim - obs (red = sim higher)", cmap, (-vmax, vmax),
                     clabel=f"sim - obs ({unit})", frame_width=frame_width, **kwargs)


# --- sensitivity --------------------------------------------------------------------------------

def _select(ds: xr.Dataset, output: str, landcover: str | None) -> dict:
    where = {"output": output}
    if "landcover" in ds.dims:
        where["landcover"] = landcover or "all"
    return where


def tornado_plot(result: xr.Dataset, output: str = "nep", landcover: str | None = None, title: str | None = None,
                 width: int = 650):
    """Tornado chart of a :func:`carbontools.sensitivity.sweep`: each parameter's change of ``output`` from the
    base at its lowest and at its highest swept value, the widest swing on top (a HoloViews overlay)."""
    import holoviews as hv

    from .sensitivity import sweep_table

    table = sweep_table(result)
    where = _select(result, output, landcover)
    for dim, value in where.items():
        table = table[table[dim] == value]
    table = table.assign(change=table["total"] - table["base"])
    ends = table.sort_values("value").groupby("parameter", sort=False).agg(
        low=("change", "first"), high=("change", "last"), low_value=("value", "first"),
        high_value=("value", "last"))
    ends = ends.assign(swing=(ends["high"] - ends["low"]).abs()).sort_values("swing")  # widest last = on top
    unit = result.attrs.get("units", "")
    rows = list(ends.index)
    low = hv.Bars([(p, ends.loc[p, "low"], ends.loc[p, "low_value"]) for p in rows], kdims=["parameter"],
                  vdims=["change", "value"], label="lowest value").opts(color="#d95f02", alpha=0.8)
    high = hv.Bars([(p, ends.loc[p, "high"], ends.loc[p, "high_value"]) for p in rows], kdims=["parameter"],
                   vdims=["change", "value"], label="highest value").opts(color="#1b9e77", alpha=0.8)
    base = float(result["base"].sel(where))
    label = f"change of {output.upper()} from {base:.4g} {unit}"
    return (low * high).opts(hv.opts.Bars(invert_axes=True, tools=["hover"])).opts(
        width=width, height=80 + 40 * len(rows), title=title or f"{output.upper()}: one parameter at a time",
        ylabel=label, xlabel="", legend_position="right", show_legend=True)  # outside: inside it covered bars


def morris_plot(result: xr.Dataset, output: str = "nep", landcover: str | None = None, title: str | None = None,
                width: int = 520, height: int = 420):
    """Morris screening (:func:`carbontools.sensitivity.morris`): mu* (how much) against sigma (non-linear or
    interacting) of each parameter with mu*'s confidence interval, labelled; parameters near the origin do not
    matter."""
    import holoviews as hv

    r = result.sel(_select(result, output, landcover))
    frame = pd.DataFrame({"parameter": r["parameter"].values, "mu_star": r["mu_star"].values,
                          "sigma": r["sigma"].values, "mu_star_conf": r["mu_star_conf"].values})
    unit = result.attrs.get("output_units", "")
    points = hv.Points(frame, kdims=["mu_star", "sigma"], vdims=["parameter", "mu_star_conf"]).opts(
        size=10, color="#7570b3", tools=["hover"])
    bars = hv.ErrorBars(frame, kdims=["mu_star"], vdims=["sigma", "mu_star_conf"], horizontal=True).opts(
        color="#7570b3")
    labels = hv.Labels(frame, kdims=["mu_star", "sigma"], vdims=["parameter"]).opts(
        text_font_size="9pt", yoffset=0.06 * float(max(frame["sigma"].max(), 0.05 * frame["mu_star"].max(), 1e-12)),
        text_color="black")
    layers = points * bars * labels
    right = 1.15 * float(max((frame["mu_star"] + frame["mu_star_conf"].fillna(0)).max(), 1e-12))
    top = 1.25 * float(max(frame["sigma"].max(), 0.05 * right))
    return layers.opts(width=width, height=height, xlim=(0, right), ylim=(0, top),
                       title=title or f"Morris screening of {output.upper()}",
                       xlabel=f"mu* ({unit} per parameter range)", ylabel=f"sigma ({unit})")


def sobol_plot(result: xr.Dataset, output: str = "nep", landcover: str | None = None, title: str | None = None,
               width: int = 420):
    """Sobol first-order (S1) and total-order (ST) indices (:func:`carbontools.sensitivity.sobol`) as bars with
    their confidence intervals, one panel each, parameters in the same order (by ST)."""
    import holoviews as hv

    r = result.sel(_select(result, output, landcover))
    order = list(r["parameter"].values[np.argsort(-r["ST"].values)])
    level = int(round(100 * float(result.attrs.get("conf_level", 0.95))))
    panels = []
    for name, color in (("S1", "#1b9e77"), ("ST", "#7570b3")):
        values = r[name].sel(parameter=order)
        conf = r[f"{name}_conf"].sel(parameter=order)
        data = [(str(p), float(v), float(c)) for p, v, c in zip(order, values.values, conf.values)]
        bars = hv.Bars(data, kdims=["parameter"], vdims=[name, "conf"]).opts(color=color, tools=["hover"])
        errors = hv.ErrorBars(data, kdims=["parameter"], vdims=[name, "conf"]).opts(line_width=2)
        kind = "first-order" if name == "S1" else "total-order"
        panels.append((bars * errors).opts(width=width, height=340, ylim=(min(0.0, float((values - conf).min())) - 0.05,
                                                                            max(1.0, float((values + conf).max())) + 0.05),
                                           title=f"{name} ({kind}) of {output.upper()}, {level} % intervals",
                                           xrotation=30, ylabel=name, xlabel=""))
    return hv.Layout(panels).cols(2).opts(shared_axes=False, title=title or "")


# --- flux-tower calibration (carbontools.calibrate) ---------------------------------------------------

def residual_plot(x, residuals, xlabel: str, ylabel: str = "observed - modelled", title: str = "residuals",
                  width: int = 420, height: int = 300, color: str = "purple"):
    """Residuals (observed - modelled) of a fit against ``x`` (temperature, month, ...) with the zero line.

    ``x`` may be datetimes (residuals against time) or numbers; non-finite pairs are left out.
    """
    import holoviews as hv

    xs = pd.Series(np.asarray(x)).reset_index(drop=True)
    res = pd.Series(np.asarray(residuals, dtype=float))
    if xs.size != res.size:
        raise ValueError(f"residual_plot: x has {xs.size} values but residuals has {res.size}; give one x per residual")
    ok = res.notna() & xs.notna()
    frame = pd.DataFrame({"x": xs[ok].values, "residual": res[ok].values})
    points = hv.Scatter(frame, "x", "residual").opts(color=color, size=7, tools=["hover"])
    return (points * hv.HLine(0).opts(color="grey", line_dash="dashed")).opts(
        xlabel=xlabel, ylabel=ylabel, title=title, width=width, height=height)


def site_cycle_plot(observed: pd.Series, modelled: dict[str, pd.Series] | pd.Series, ylabel: str,
                    title: str = "", width: int = 760, height: int = 280):
    """Observed against modelled monthly values of one site: the time series, and the mean seasonal cycle.

    ``observed``: a Series on monthly time stamps (NaN where the tower's quality rule dropped a month);
    ``modelled``: one Series or ``{label: Series}`` on the same stamps.  The seasonal cycle (mean by calendar
    month over the years) uses only the months where the tower has a value, for the model too, so the two
    cycles compare like with like.  Returns a HoloViews layout of the two panels.
    """
    import holoviews as hv

    models = {"modelled": modelled} if isinstance(modelled, pd.Series) else dict(modelled)
    obs = observed.astype(float)
    colours = ["darkorange", "teal", "crimson", "olive"]
    series = [hv.Scatter((obs.index, obs.values), "time", ylabel, label="observed").opts(color="black", size=6)]
    def by_month(values: pd.Series):
        mean = values.groupby(values.index.month).mean().reindex(range(1, 13))
        return mean.index.values, mean.values

    cycle = [hv.Curve(by_month(obs), "month", ylabel, label="observed").opts(color="black", line_width=3)]
    for (label, m), colour in zip(models.items(), colours):
        m = m.reindex(obs.index).astype(float)
        series.append(hv.Curve((m.index, m.values), "time", ylabel, label=label).opts(color=colour))
        same = m.where(obs.notna())
        cycle.append(hv.Curve(by_month(same), "month", ylabel, label=label).opts(
            color=colour, line_width=2))
    left = hv.Overlay(series).opts(width=width, height=height, title=title or "observed and modelled, by month",
                                   legend_position="top_left")
    right = hv.Overlay(cycle).opts(width=width // 2 + 60, height=height, legend_position="top_left", xticks=list(
        range(1, 13)), title="mean seasonal cycle (months the tower has)")
    return (left + right).cols(2).opts(shared_axes=False)


__all__ += ["residual_plot", "site_cycle_plot"]
