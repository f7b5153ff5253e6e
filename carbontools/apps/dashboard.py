"""The carbontools dashboard: a region's NPP, Rh and NEP with the knobs that matter.

``carbontools app`` (or ``make app``) serves it with Panel on localhost.  It only orchestrates the
pipeline's stages (:mod:`carbontools.pipeline`): the drivers are prepared and CASA runs once.  What a
knob move shows (indicators, maps, tables) needs the annual maps of the selected year only: NPP is
eps_max times the annual sum of APAR x stress kept from CASA's run (NPP is linear in eps_max), Rh comes
from :func:`~carbontools.pipeline.rh_stage` once per setting of the Rh knobs, and the maps are drawn as
block means at about the frame's pixels (colour limits from the full-resolution map).  The monthly
results (:meth:`Dashboard.results`, the pipeline's stages with CASA reused) are computed for the seasonal
cycle and the downloads only, and hidden tabs are computed when shown.  Slider ranges and defaults come
from the parameter objects.
With regions (districts), a region picker restricts the indicators and the land-cover table to one of them
and highlights its border on the maps; maps of geographic (latitude/longitude) drivers are drawn on real
geography (:func:`carbontools.plots.geo_map`, a Lambert conformal conic) with the region borders.
Tabs: maps, totals by land cover and district, the seasonal cycle, sensitivity (a tornado chart and 95 %
intervals, :mod:`carbontools.apps.dashboard_tabs`), a greening scenario for one district, and the parameters in
force; downloads of the current results.
"""

from __future__ import annotations

import dataclasses
import io as _io
import json
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

import holoviews as hv
import hvplot.pandas  # noqa: F401  (registers .hvplot on DataFrames)
import hvplot.xarray  # noqa: F401  (registers .hvplot)
import numpy as np
import pandas as pd
import panel as pn
import param
from param import Skip
import xarray as xr
from bokeh.core.validation import silence
from bokeh.core.validation.warnings import FIXED_SIZING_MODE

from .. import demo
from ..accounting import zonal_totals, zones_from_polygons
from ..grid import cell_area
from ..landcover import NON_VEGETATED, casa_class_names, class_lookup
from ..params import RH_MODELS, Q10Params
from ..pipeline import (URBAN_SOILS, Prepared, annual_attrs, annual_light_use, annual_sums, assemble, casa_stage,
                        prepare, rh_stage)
from ..plots import (MONTH_TICKS, border_lines, color_limits, geo_map, map_image, map_projection, screen_map,
                     with_borders)
from ..units import convert
from .dashboard_tabs import ScenarioTab, SensitivityTab
from .explorers import knob_widgets, number_knob, rh_knobs

__all__ = ["Dashboard", "build_dashboard", "regional_summary", "district_zones", "shared_state", "SharedState",
           "screen_map"]

# HoloViews sizes plots by their frame (frame_width/frame_height); Bokeh's validator does not know
# that and warns W-1005 for every map although the figures render at the set size.
silence(FIXED_SIZING_MODE, True)

KNOBS = ("eps_scale", "rh_model", "q10", "rh_ref", "urban_soils")
#: map frames (px), colour bars below them: with the sidebar, three maps side by side from a 1024 px window (a
#: projector) up; a narrower window wraps them
MAP_WIDTH = 170
#: px: wide enough for the longest knob label ("reference Rh at 10 degC (g C m-2 month-1): 16.30")
SIDEBAR_WIDTH = 340
#: the columns of the totals tables (Dashboard.table)
TABLE_COLUMNS = ("area (km2)", "NPP (Gg C/yr)", "Rh (Gg C/yr)", "NEP (Gg C/yr)", "NEP (g C/m2/yr)", "share of NEP (%)")
#: the variables the dashboard shows and downloads
SHOWN = ["npp", "rh", "nep", "npp_annual", "rh_annual", "nep_annual", "landcover_casa"]
#: the region picker's entry for the whole region, and the colour of the picked region's border on the maps
ALL = "all"
HIGHLIGHT = "#e7298a"


def regional_summary(npp: xr.DataArray, rh: xr.DataArray, nep: xr.DataArray, area: xr.DataArray) -> dict:
    """Regional totals (Gg C yr-1) and the sink/source split of annual maps (g C m-2 yr-1) on cells of ``area`` m2.

    The mapped cells are those where NEP is a number; each total is the area-weighted sum over them (one dot
    product of the map and the areas of the mapped cells).
    """
    nep_v = np.asarray(nep, dtype=float).ravel()
    valid = ~np.isnan(nep_v)
    weights = np.where(valid, np.asarray(area, dtype=float).ravel(), 0.0)
    sink, source = nep_v > 0, nep_v < 0

    def total(values):
        # einsum, not np.dot: BLAS's threads made the dot 100 times slower on a busy 2-core machine
        values = np.where(valid, np.asarray(values, dtype=float).ravel(), 0.0)
        return convert(float(np.einsum("i,i->", values, weights)), "g C", "Gg C")

    land = float(weights.sum())
    return {
        "npp_total": total(npp),
        "rh_total": total(rh),
        "nep_total": total(nep_v),
        "sink_total": total(np.where(sink, nep_v, 0.0)),
        "source_total": total(np.where(source, nep_v, 0.0)),
        "sink_area_pct": 100.0 * float(weights[sink].sum()) / land,
        "source_area_pct": 100.0 * float(weights[source].sum()) / land,
        "area_km2": convert(land, "m2", "km2"),
    }


def _polygons(regions):
    import geopandas as gpd

    return regions if isinstance(regions, gpd.GeoDataFrame) else gpd.read_file(regions)


def district_zones(regions, like: xr.DataArray | xr.Dataset) -> xr.DataArray:
    """The district polygons (a GeoDataFrame or file with ``name``) as zones on the grid of ``like``; an error if none
    of them covers a cell (polygons elsewhere, or in another CRS than they declare)."""
    regions = _polygons(regions)
    zones = zones_from_polygons(regions, like)
    if not bool(zones.notnull().any()):
        crs = like.rio.crs
        west, south, east, north = (regions.to_crs(crs) if crs is not None and regions.crs is not None
                                    else regions).total_bounds
        raise ValueError(
            f"none of the {len(regions)} regions covers a cell of the drivers: the regions span "
            f"x {west:.6g}..{east:.6g}, y {south:.6g}..{north:.6g} and the drivers x {float(like['x'].min()):.6g}..{float(like['x'].max()):.6g}, "
            f"y {float(like['y'].min()):.6g}..{float(like['y'].max()):.6g} (CRS {crs}); give the districts of this "
            "region, or check the CRS the regions file declares")
    return zones


@dataclasses.dataclass
class SharedState:
    """What every session of one dashboard reads and nobody changes: the prepared drivers, CASA once, the
    cell areas and the district zones; and the results of the knob settings asked so far (a few kept)."""

    drivers: xr.Dataset
    prep: Prepared
    casa: xr.Dataset
    area: xr.DataArray
    districts: xr.DataArray | None
    #: annual sums (dim ``year``) of APAR x Te1 x Te2 x We of CASA's run, float64: annual NPP per unit eps_max
    #: (g C m-2 yr-1 per g C MJ-1), so that an eps_max move costs one product per pixel
    npp_per_eps: xr.DataArray | None = None
    #: the cells left blank on the maps (water, permanent ice) and the cells with a land-cover class
    blank: xr.DataArray | None = None
    valid: xr.DataArray | None = None
    #: the CASA classes as integers (-1 where there is none), for fast class look-ups
    classes: xr.DataArray | None = None
    #: the objects the state was built from, held so that their identities (the cache key) stay theirs
    given: tuple = ()
    #: the region polygons (GeoDataFrame with ``name``) the districts came from, or None
    regions: object = None
    #: the projection the maps are drawn in (geographic drivers) or None (projected: map_image in their CRS), and
    #: the region borders as lines in the maps' coordinates, simplified to half a drawn pixel (computed once)
    projection: object = None
    borders: object = None
    results: OrderedDict = dataclasses.field(default_factory=OrderedDict)
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    #: results of this many knob settings are kept for all sessions (each about the size of the drivers)
    KEEP = 8

    def result(self, key, compute):
        """The result for ``key``, computed by ``compute()`` once for all sessions."""
        with self.lock:
            if key in self.results:
                self.results.move_to_end(key)
                return self.results[key]
        value = compute()
        with self.lock:
            self.results[key] = value
            while len(self.results) > self.KEEP:
                self.results.popitem(last=False)
        return value


def _build_shared(drivers: xr.Dataset | None, regions) -> SharedState:
    given = (drivers, regions)
    drivers = demo.delta_city() if drivers is None else drivers
    prep = prepare(drivers)
    prep = dataclasses.replace(prep, drivers=prep.drivers.compute(), landcover=prep.landcover.compute())
    casa = casa_stage(prep).compute()  # CASA once; eps_max moves reuse it
    if regions is None and drivers.attrs.get("synthetic"):
        regions = demo.districts(size=drivers.sizes["x"])
    regions = _polygons(regions) if regions is not None else None
    districts = district_zones(regions, casa["npp"]) if regions is not None else None
    projection, borders = _map_geometry(casa["npp"], regions)
    npp_per_eps = annual_light_use(casa)  # annual NPP per unit eps_max
    blank = prep.landcover.isin(NON_VEGETATED)
    valid = prep.landcover.notnull()
    classes = prep.landcover.fillna(-1).astype("int64")
    return SharedState(drivers, prep, casa, cell_area(drivers), districts, npp_per_eps, blank, valid, classes, given,
                       regions=regions, projection=projection, borders=borders)


def _map_geometry(like: xr.DataArray, regions):
    """The maps' projection (geographic drivers: plots.map_projection; projected: None, drawn in their own CRS)
    and the region borders as lines in the maps' coordinates simplified to half a drawn pixel (or None)."""
    crs = like.rio.crs
    geographic = crs is not None and crs.is_geographic
    projection = map_projection(crs, like.rio.bounds()) if geographic else None
    if regions is None or crs is None:
        return projection, None
    target = projection if geographic else crs
    if geographic:
        from ..plots import _cartopy_crs, _projected_box
        x0, _, x1, _ = _projected_box(like.rio.bounds(), _cartopy_crs(crs), projection)
    else:
        x0, x1 = float(like["x"].min()), float(like["x"].max())
    return projection, border_lines(regions, target, tolerance=0.5 * (x1 - x0) / MAP_WIDTH)


def shared_state(drivers: xr.Dataset | None = None, regions=None) -> SharedState:
    """The :class:`SharedState` of these drivers and regions, built once per process (in ``pn.state.cache``).

    A served dashboard opened by a class builds it on the first tab only; the next tabs start from it.
    Keyed by the objects' identity (the drivers given to ``carbontools app``; the state holds them, so
    the identity stays theirs), or ``"demo"``.  (``pn.state.as_cached`` would hash the Dataset.)
    """
    key = "carbontools-dashboard-" + ("demo" if drivers is None and regions is None else f"{id(drivers)}-{id(regions)}")
    with _SHARED_LOCK:
        if key not in pn.state.cache:
            pn.state.cache[key] = _build_shared(drivers, regions)
        return pn.state.cache[key]


_SHARED_LOCK = threading.Lock()


class Dashboard(param.Parameterized):
    """State and views of the dashboard; widgets are generated from these parameters."""

    eps_scale = param.Number(1.0, bounds=(0.5, 1.5), step=0.05, label="eps_max scaling (x class values)",
                             doc="maximum light-use efficiency of every class times this factor (NPP is "
                                 "proportional to it); the class values are the preset's (zhu2007: Zhu et al. 2006)")
    rh_model = param.Selector(default="pei2009", objects=list(RH_MODELS), label="Rh model",
                              doc="; ".join(f"{name}: {variant.description}" for name, variant in RH_MODELS.items()))
    q10 = number_knob(Q10Params(), "q10", "Q10")
    rh_ref = number_knob(Q10Params(), "rh_ref", "reference Rh at 10 degC (g C m-2 month-1)")
    urban_soils = param.Selector(default="unsealed", objects=list(URBAN_SOILS), label="urban soils (Rh)",
                                 doc="; ".join(f"{k}: {v}" for k, v in URBAN_SOILS.items()))
    year = param.Selector(default=None, objects=[])
    region = param.Selector(default=ALL, objects=[ALL], label="region",
                            doc="the indicators and the land-cover table of the whole region or of one district; "
                                "its border is highlighted on the maps")

    def __init__(self, drivers: xr.Dataset | None = None, regions=None, **params):
        super().__init__(**params)
        self._shared = shared_state(drivers, regions)
        self.drivers = self._shared.drivers
        self._prep = self._shared.prep
        self._casa = self._shared.casa
        self._npp = self._casa["npp"]
        self._landcover = self._prep.landcover
        self.area = self._shared.area
        self._districts = self._shared.districts
        self._class_names = casa_class_names()
        if self._districts is not None:
            self.param.region.objects = [ALL, *(str(n) for n in self._districts.attrs["names"])]
        years = sorted({int(y) for y in self._npp["time"].dt.year.values})
        self.param.year.objects = years
        self.year = years[-1]

    # --- computation -------------------------------------------------------------------------
    def prepared(self):
        """The pipeline's prepared state for the current knobs (same drivers, other parameters)."""
        knobs = {k: getattr(self, k) for k in rh_knobs(self.rh_model)}
        eps_max = self._prep.casa.eps_max.scaled(self.eps_scale)
        return self._prep.with_parameters(rh=self.rh_model, urban_soils=self.urban_soils, eps_max=eps_max, **knobs)

    def rh_params(self):
        return self.prepared().rh

    def parameters(self) -> dict:
        """The parameter set behind the current results (CASA with the scaled eps_max, and the Rh model)."""
        prep = self.prepared()
        return {"casa": prep.casa.to_dict(), "rh_model": prep.rh_model, "rh": prep.rh.to_dict(),
                "urban_soils": prep.urban_soils}

    def results(self) -> xr.Dataset:
        """Monthly and annual NPP, Rh, NEP for the current knobs (computed once per knob setting)."""
        return self._shared.result(tuple(getattr(self, k) for k in KNOBS), self._compute)

    def _compute(self) -> xr.Dataset:
        prep = self.prepared()
        ds = assemble(casa_stage(prep, reuse=self._casa), rh_stage(prep), prep)[SHOWN]
        ds.attrs = {"title": "carbontools dashboard results", "parameters": json.dumps(self.parameters()),
                    "synthetic_demo": str(bool(self.drivers.attrs.get("synthetic")))}
        return ds.rio.write_crs(self.drivers.rio.crs)

    def annual(self) -> xr.Dataset:
        """Annual NPP, Rh, NEP (g C m-2 yr-1) of the selected year: what the indicators, maps and tables show.

        The values of :meth:`results` (to rounding in the last digits of float64) without its monthly maps:
        NPP = eps_max x the annual sum of APAR x stress kept from CASA's run (NPP is linear in eps_max), Rh
        summed once per setting of the Rh knobs (an eps_max move reuses it), NEP = NPP - Rh with Rh
        summed in float64 as the pipeline sums monthly NEP.
        """
        return self._shared.result(("annual", self.year, *(getattr(self, k) for k in KNOBS)), self._compute_annual)

    def _compute_annual(self) -> xr.Dataset:
        prep, shared = self.prepared(), self._shared
        per_eps = shared.npp_per_eps.sel(year=self.year, drop=True)
        eps_max = class_lookup(shared.classes, prep.casa.eps_max).values  # the values pipeline.casa_stage looks up
        npp = np.where(shared.blank.values, 0.0, per_eps.values * eps_max)  # 0 on water and ice
        rh, rh64 = (a.sel(year=self.year, drop=True) for a in self._rh_annual(prep))
        valid = shared.valid.values
        out = {"npp": np.where(valid, npp, np.nan), "rh": rh.values, "nep": np.where(valid, npp - rh64.values, np.nan)}
        return xr.Dataset({k: per_eps.copy(data=v).rename(k).assign_attrs(annual_attrs(k)) for k, v in out.items()})

    def _rh_annual(self, prep: Prepared) -> tuple[xr.DataArray, xr.DataArray]:
        """Annual Rh of the current Rh knobs (the Rh model's own knobs only), summed in its float type and in
        float64; computed once for all sessions and eps_max settings."""
        key = ("rh_annual", self.rh_model, self.urban_soils, *(getattr(self, k) for k in rh_knobs(self.rh_model)))

        def compute():
            rh = rh_stage(prep).where(self._shared.valid)
            return annual_sums(rh), annual_sums(rh.astype("float64"))

        return self._shared.result(key, compute)

    def in_region(self) -> xr.DataArray | None:
        """The cells of the picked region (True inside), or None for the whole region."""
        if self.region == ALL or self._districts is None:
            return None
        names = [str(n) for n in self._districts.attrs["names"]]
        code = self._districts.attrs["flag_values"][names.index(self.region)]
        return self._districts == code

    def summary(self) -> dict:
        """The indicators' totals (:func:`regional_summary`) of the whole region or of the picked one."""
        a = self.annual()
        inside = self.in_region()
        nep = a["nep"] if inside is None else a["nep"].where(inside)
        return regional_summary(a["npp"], a["rh"], nep, self.area)

    def table(self, zones: xr.DataArray, names) -> pd.DataFrame:
        """NPP, Rh, NEP totals (Gg C/yr), area, mean NEP and share of the regional NEP per zone."""
        a = self.annual()
        parts = {k: zonal_totals(a[k], zones, unit="Gg C", names=names) for k in ("npp", "rh", "nep")}
        nep = parts["nep"]
        return pd.DataFrame({
            "area (km2)": convert(nep["area_m2"], "m2", "km2"),  # the names: TABLE_COLUMNS
            "NPP (Gg C/yr)": parts["npp"]["total"],
            "Rh (Gg C/yr)": parts["rh"]["total"],
            "NEP (Gg C/yr)": nep["total"],
            "NEP (g C/m2/yr)": nep["mean"],
            "share of NEP (%)": nep["contribution_pct"],
        }).round(2)

    def landcover_table(self) -> pd.DataFrame:
        """The totals by land cover of the whole region or of the picked one."""
        inside = self.in_region()
        classes = self._landcover if inside is None else self._landcover.where(inside)
        return self.table(classes, self._class_names).rename_axis("land cover (CASA class)")

    def district_table(self) -> pd.DataFrame | None:
        if self._districts is None:
            return None
        return self.table(self._districts, self._districts.attrs["names"]).rename_axis("district")

    def seasonal(self) -> pd.DataFrame:
        """Mean monthly NEP (g C m-2 month-1) by calendar month and land-cover class, over all years."""
        nep = self.results()["nep"]
        by_class = nep.groupby(self._landcover.rename("casa")).mean()
        by_month = by_class.groupby("time.month").mean().to_pandas()
        by_month.columns = [self._class_names[int(c)] for c in by_month.columns]
        by_month["region (area mean)"] = nep.weighted(self.area.fillna(0)).mean(("y", "x")).groupby("time.month").mean()
        return by_month.rename_axis(columns="land cover")

    # --- downloads ---------------------------------------------------------------------------
    def netcdf_bytes(self) -> _io.BytesIO:
        return _io.BytesIO(self.results().drop_vars("spatial_ref", errors="ignore").to_netcdf(engine="h5netcdf"))

    def annual_netcdf_bytes(self) -> _io.BytesIO:
        """The annual maps of NPP, Rh and NEP only, as float32: a compact result for a class to share."""
        r = self.results()
        annual = r[["npp_annual", "rh_annual", "nep_annual"]].drop_vars("spatial_ref", errors="ignore")
        annual = annual.astype("float32").assign_attrs(r.attrs)
        return _io.BytesIO(annual.to_netcdf(engine="h5netcdf"))

    def geotiff_bytes(self) -> _io.BytesIO:
        nep = self.annual()["nep"].rio.write_crs(self.drivers.rio.crs)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "nep.tif"
            nep.astype("float32").rio.to_raster(path)
            return _io.BytesIO(path.read_bytes())

    def csv_text(self) -> _io.StringIO:
        tables = [self.landcover_table().assign(kind="land cover" if self.region == ALL else f"land cover in {self.region}")]
        districts = self.district_table()
        if districts is not None:
            tables.append(districts.assign(kind="district"))
        text = _io.StringIO()
        pd.concat([t.rename_axis("zone").reset_index() for t in tables]).to_csv(text, index=False)
        text.seek(0)
        return text

    def json_text(self) -> _io.StringIO:
        return _io.StringIO(json.dumps(self.parameters(), indent=2))

    # --- views -------------------------------------------------------------------------------
    def _map(self, da: xr.DataArray, title: str, cmap: str, symmetric: bool = False, clabel: str = "g C m-2 yr-1"):
        # colour bars below the maps: three maps side by side fit beside the sidebar from 1024 px up.  The colour
        # limits are those of the full-resolution map; the image drawn has about the frame's pixels (block means)
        clim = color_limits(da, symmetric=symmetric)
        shared = self._shared
        highlight = None if self.region == ALL else self.region
        if shared.projection is not None:  # latitude/longitude drivers: on real geography
            return geo_map(da.rio.write_crs(self.drivers.rio.crs), shared.borders, title, cmap, clim, clabel=clabel,
                           projection=shared.projection, frame_width=MAP_WIDTH, highlight=highlight,
                           toolbar="above", colorbar_position="bottom")
        image = map_image(screen_map(da, MAP_WIDTH), title, cmap, clim, frame_width=MAP_WIDTH, clabel=clabel,
                          toolbar="above", xaxis=None, yaxis=None).opts(colorbar_position="bottom")
        if shared.borders is None:
            return image
        return with_borders(image, shared.borders, highlight, highlight_color=HIGHLIGHT)

    @param.depends(*KNOBS, "year", "region")
    def maps(self):
        # water and permanent ice are 0 by definition: leave them blank on the maps (not in the totals)
        a = self.annual().where(~self._shared.blank)
        return pn.FlexBox(
            self._map(a["npp"], f"NPP {self.year}", "YlGn"),
            self._map(a["rh"], f"Rh {self.year}", "YlOrBr"),
            self._map(a["nep"], f"NEP {self.year}", "RdYlGn", symmetric=True, clabel="g C m-2 yr-1 (green = sink)"),
        )

    @param.depends(*KNOBS, "year", "region")
    def indicators(self):
        s = self.summary()
        fmt = "{value:,.1f}"
        small = dict(font_size="16pt", title_size="10pt")
        rest = 100.0 - s["sink_area_pct"] - s["source_area_pct"]
        return pn.Column(pn.FlexBox(
            pn.indicators.Number(label="Regional NEP (Gg C/yr)" if self.region == ALL else f"NEP of {self.region} (Gg C/yr)",
                                 value=s["nep_total"], format=fmt, font_size="24pt",
                                 title_size="11pt", colors=[(0, "#b2182b"), (1e12, "#1a9850")],
                                 css_classes=["nep-total"]),
            pn.indicators.Number(label="NPP (Gg C/yr)", value=s["npp_total"], format=fmt, **small),
            pn.indicators.Number(label="Rh (Gg C/yr)", value=s["rh_total"], format=fmt, **small),
            pn.indicators.Number(label="Sinks (Gg C/yr)", value=s["sink_total"], format=fmt, **small),
            pn.indicators.Number(label="Sources (Gg C/yr)", value=s["source_total"], format=fmt, **small),
            pn.indicators.Number(label="Sink area (%)", value=s["sink_area_pct"], format="{value:.1f}", **small),
            pn.indicators.Number(label="Source area (%)", value=s["source_area_pct"], format="{value:.1f}", **small),
        ), pn.pane.Markdown(("" if self.region == ALL else f"**{self.region}** only (the region picker). ")
                            + f"Sink and source areas are shares of the mapped area in {self.year}; the other "
                            f"{rest:.1f} % is water and permanent ice (NEP = 0 there by definition) or pixels "
                            "with NEP exactly 0.", styles={"font-size": "9pt"}, margin=(0, 10)))

    @param.depends(*KNOBS, "year", "region")
    def tables(self):
        # columns fitted to the width with their headers wrapped: nothing is cut from 1024 px up
        table = dict(disabled=True, layout="fit_columns", sizing_mode="stretch_width",
                     configuration={"columnDefaults": {"headerWordWrap": True}},
                     formatters={c: {"type": "money", "thousand": ",", "precision": 0 if c.startswith("area") else 1}
                                 for c in TABLE_COLUMNS}, text_align={c: "right" for c in TABLE_COLUMNS})
        classes, districts = self.landcover_table(), self.district_table()
        where = "" if self.region == ALL else f" in {self.region}"
        items = [pn.pane.Markdown(f"### By land cover{where}, {self.year}"),
                 pn.widgets.Tabulator(classes, widths={classes.index.name: 200}, **table)]
        if districts is not None:
            items += [pn.pane.Markdown(f"### By district, {self.year}"),
                      pn.widgets.Tabulator(districts, widths={districts.index.name: 130}, **table)]
        items.append(pn.pane.Markdown("Shares are of the regional NEP including negative zones (sources)."))
        return pn.Column(*items, sizing_mode="stretch_width")

    @param.depends(*KNOBS)
    def seasonal_plot(self):
        return self.seasonal().hvplot.line(x="month", ylabel="NEP (g C m-2 month-1)", xlabel="month",
                                           legend="bottom", responsive=True, height=460, xticks=MONTH_TICKS,
                                           title="Seasonal cycle of NEP by land cover (mean over the years)"
                                           ).opts(legend_cols=3)

    @param.depends(*KNOBS)
    def parameter_view(self):
        return pn.pane.JSON(self.parameters(), depth=2, theme="light", sizing_mode="stretch_width")

    def reset(self, *_):
        """Every knob back to its default (the preset's and the Rh model's values)."""
        self.param.update({k: self.param[k].default for k in KNOBS})

    def controls(self):
        knobs = dict(sliders=("eps_scale", "q10", "rh_ref"), explain=True, width=None)
        reset = pn.widgets.Button(label="Reset to defaults", color="light", sizing_mode="stretch_width")
        reset.on_click(self.reset)
        picker = ([pn.widgets.Select.from_param(self.param.region, sizing_mode="stretch_width")]
                  if self._districts is not None else [])
        return pn.Column(*picker, knob_widgets(self, ["eps_scale", "rh_model", "q10", "rh_ref"], **knobs),
                         pn.pane.Markdown(self._knob_note, sizing_mode="stretch_width"),
                         knob_widgets(self, ["urban_soils", "year"], **knobs), reset, sizing_mode="stretch_width")

    def downloads(self):
        button = dict(color="success", variant="outline", sizing_mode="stretch_width")
        return pn.Column(
            "**Download the current results**",
            pn.widgets.FileDownload(callback=self.annual_netcdf_bytes, filename="carbontools_annual.nc",
                                    label="NetCDF: annual maps of NPP, Rh, NEP", **button),
            pn.widgets.FileDownload(callback=self.netcdf_bytes, filename="carbontools_results.nc",
                                    label="NetCDF: all monthly and annual results", **button),
            pn.widgets.FileDownload(callback=self.geotiff_bytes, filename="carbontools_nep_annual.tif",
                                    label="GeoTIFF: annual NEP of the selected year", **button),
            pn.widgets.FileDownload(callback=self.csv_text, filename="carbontools_totals.csv",
                                    label="CSV: totals by land cover and district", **button),
            pn.widgets.FileDownload(callback=self.json_text, filename="carbontools_parameters.json",
                                    label="JSON: the parameters in force", **button),
        )

    @param.depends("rh_model")
    def _knob_note(self):
        uses = {"pei2009": "Pei et al. 2009 uses temperature and precipitation; Q10 and the reference rate "
                           "do not apply.",
                "q10": "Q10 model: Q10 and the reference rate at 10 degC apply.",
                "lloyd_taylor": "Lloyd & Taylor 1994: the reference rate at 10 degC applies (Q10 does not)."}
        return uses[self.rh_model]


def build_dashboard(drivers: xr.Dataset | None = None, regions=None) -> pn.template.BaseTemplate:
    """The servable dashboard (a Panel template) for ``drivers`` (default: the synthetic demo region)."""
    hv.extension("bokeh")
    pn.extension("tabulator")
    dash = Dashboard(drivers, regions=regions)
    synthetic = dash.drivers.attrs.get("synthetic")
    about = pn.pane.Markdown(
        "Net primary production (CASA, preset zhu2007), soil heterotrophic respiration and "
        "NEP = NPP - Rh. NEP > 0 is a carbon sink. Water is left blank on the maps.\n\n"
        + ("**Synthetic demo region** (carbontools.demo): a generated river-delta city, not observed data."
           if synthetic else ""),
        sizing_mode="stretch_width",
    )
    dash.sensitivity, dash.scenario = SensitivityTab(dash), ScenarioTab(dash)
    indicators = pn.panel(dash.indicators)  # first: its watchers run before the maps'
    tabs = pn.Tabs(dynamic=True)
    knobs, with_year = [dash.param[k] for k in KNOBS], [dash.param[k] for k in (*KNOBS, "year", "region")]
    tabs.extend([("Maps", dash.maps),
                 ("Land cover & districts", _while_shown(tabs, 1, dash.tables, with_year)),
                 ("Seasonal cycle", _while_shown(tabs, 2, dash.seasonal_plot, knobs)),
                 ("Sensitivity", _while_shown(tabs, 3, dash.sensitivity.view)),
                 ("Scenario", _while_shown(tabs, 4, dash.scenario.view)),
                 ("Parameters", dash.parameter_view)])
    scenario_tab = tabs._names.index("Scenario")
    dash.scenario.shown = False  # the Maps tab is first; the Scenario tab follows the tabs from here on
    tabs.param.watch(lambda event: setattr(dash.scenario, "shown", event.new == scenario_tab), "active")
    template = pn.template.BootstrapTemplate(
        title="carbontools: urban and regional carbon balance",
        sidebar=[dash.controls(), dash.downloads(), about],
        main=[pn.Column(indicators, tabs, sizing_mode="stretch_width")],
        header_background="#1a9850",
        sidebar_width=SIDEBAR_WIDTH,
    )
    template.dashboard = dash  # for tests and notebooks
    return template


def _while_shown(tabs: pn.Tabs, index: int, view, deps=None):
    """The content of tab ``index``, computed only while that tab is shown.

    ``deps`` (parameters): the content is recomputed when they move while the tab is shown, and when the tab
    is shown again after they moved; a hidden tab keeps its last content and costs nothing.  Without
    ``deps`` the content (a view with its own widgets and dependencies) is made once, when first shown.
    """
    shown_with = []  # the values of deps the shown content was computed with (empty: nothing computed yet)

    def content(active, *values):
        if shown_with and (active != index or deps is None or shown_with[0] == values):
            raise Skip  # hidden, or already showing these settings: keep the content
        if active != index:
            return pn.pane.Markdown("", sizing_mode="stretch_width")
        shown_with[:] = [values]
        return view()

    return pn.bind(content, tabs.param.active, *(deps or ()))
