"""The carbontools dashboard: annual NPP, Rh and NEP maps of a region with the knobs that matter.

``carbontools app`` (or ``make app``) serves it with Panel on localhost.  Built from the package's
own functions: CASA runs once with the class eps_max values; because NPP is proportional to
eps_max, the eps_max scaling slider multiplies that result exactly, and Rh is recomputed by the
selected model whenever its knobs move.
"""

from __future__ import annotations

import holoviews as hv
import hvplot.xarray  # noqa: F401  (registers .hvplot)
import numpy as np
import panel as pn
import param
import xarray as xr
from bokeh.core.validation import silence
from bokeh.core.validation.warnings import FIXED_SIZING_MODE

from .. import demo
from ..grid import cell_area
from ..landcover import NON_VEGETATED, to_casa
from ..models.nep import annual_sum
from ..models.respiration import RH_MODELS, soil_respiration
from ..params import LloydTaylorParams, Q10Params
from ..pipeline import prepare_drivers, run

__all__ = ["Dashboard", "build_dashboard", "regional_summary"]

# HoloViews sizes plots by their frame (frame_width/frame_height); Bokeh's validator does not know
# that and warns W-1005 for every map although the figures render at the set size.
silence(FIXED_SIZING_MODE, True)

G_PER_GG = 1e9


def regional_summary(npp: xr.DataArray, rh: xr.DataArray, nep: xr.DataArray, area: xr.DataArray) -> dict:
    """Regional totals (Gg C yr-1) and the sink/source split of annual maps (g C m-2 yr-1) on cells of ``area`` m2."""
    valid = nep.notnull()
    total = lambda v: float((v * area).where(valid).sum()) / G_PER_GG  # noqa: E731
    land = float(area.where(valid).sum())
    sink, source = nep > 0, nep < 0
    return {
        "npp_total": total(npp),
        "rh_total": total(rh),
        "nep_total": total(nep),
        "sink_total": total(nep.where(sink, 0.0)),
        "source_total": total(nep.where(source, 0.0)),
        "sink_area_pct": 100.0 * float(area.where(sink).sum()) / land,
        "source_area_pct": 100.0 * float(area.where(source).sum()) / land,
        "area_km2": land / 1e6,
    }


class Dashboard(param.Parameterized):
    """State and views of the dashboard; widgets are generated from these parameters."""

    eps_scale = param.Number(1.0, bounds=(0.5, 1.5), step=0.05, label="eps_max scaling (x class values)")
    rh_model = param.Selector(default="pei2009", objects=list(RH_MODELS), label="Rh model")
    q10 = param.Number(Q10Params().q10, bounds=(1.2, 3.5), step=0.05, label="Q10")
    rh_ref = param.Number(Q10Params().rh_ref, bounds=(5.0, 40.0), step=0.5,
                          label="reference Rh at 10 degC (g C m-2 month-1)")
    year = param.Selector(default=None, objects=[])

    def __init__(self, drivers: xr.Dataset | None = None, **params):
        super().__init__(**params)
        self.drivers = drivers if drivers is not None else demo.delta_city()
        base = run(self.drivers).compute()  # CASA once, eps_max as in the preset
        self._npp_annual = base["npp_annual"]
        d = prepare_drivers(self.drivers, check=False)
        self._tmean, self._precip = d["tmean"].compute(), d["precip"].compute()
        self._impervious = d["impervious"] if "impervious" in d else None
        self._landcover = to_casa(self.drivers["landcover"]).compute()
        self.area = cell_area(self.drivers)
        years = [int(y) for y in self._npp_annual["year"].values]
        self.param.year.objects = years
        self.year = years[-1]

    # --- computation -------------------------------------------------------------------------
    def rh_params(self):
        if self.rh_model == "q10":
            return Q10Params(q10=self.q10, rh_ref=self.rh_ref)
        if self.rh_model == "lloyd_taylor":
            return LloydTaylorParams(r10=self.rh_ref)
        return None

    @param.depends("eps_scale", "rh_model", "q10", "rh_ref", "year")
    def annual(self) -> xr.Dataset:
        """Annual NPP, Rh, NEP (g C m-2 yr-1) of the selected year for the current knob settings."""
        rh = soil_respiration(self._tmean, self._precip, model=self.rh_model, params=self.rh_params(),
                              landcover=self._landcover, impervious=self._impervious)
        rh_annual = annual_sum(rh).sel(year=self.year)
        npp = self.eps_scale * self._npp_annual.sel(year=self.year)
        return xr.Dataset({"npp": npp, "rh": rh_annual, "nep": npp - rh_annual})

    def summary(self) -> dict:
        a = self.annual()
        return regional_summary(a["npp"], a["rh"], a["nep"], self.area)

    # --- views -------------------------------------------------------------------------------
    def _map(self, da: xr.DataArray, title: str, cmap: str, symmetric: bool = False):
        lim = float(np.nanpercentile(np.abs(da.values), 99)) if symmetric else None
        width = 235
        height = round(width * np.ptp(da["y"].values) / max(np.ptp(da["x"].values), 1e-12))  # square pixels
        opts = dict(x="x", y="y", cmap=cmap, frame_width=width, frame_height=height, title=title, toolbar="above",
                    clabel="g C m-2 yr-1", xaxis=None, yaxis=None, colorbar=True)
        if symmetric:
            opts["clim"] = (-lim, lim)
        return da.drop_vars([c for c in da.coords if c not in ("x", "y")]).hvplot.image(**opts)

    @param.depends("eps_scale", "rh_model", "q10", "rh_ref", "year")
    def maps(self):
        # water and permanent ice are 0 by definition: leave them blank on the maps (not in the totals)
        a = self.annual().where(~self._landcover.isin(NON_VEGETATED))
        return pn.FlexBox(
            self._map(a["npp"], f"NPP {self.year}", "YlGn"),
            self._map(a["rh"], f"Rh {self.year}", "YlOrBr"),
            self._map(a["nep"], f"NEP {self.year} (green = sink)", "RdYlGn", symmetric=True),
        )

    @param.depends("eps_scale", "rh_model", "q10", "rh_ref", "year")
    def indicators(self):
        s = self.summary()
        fmt = "{value:,.1f}"
        return pn.FlexBox(
            pn.indicators.Number(label="Regional NEP (Gg C/yr)", value=s["nep_total"], format=fmt, font_size="28pt",
                                 colors=[(0, "#b2182b"), (1e12, "#1a9850")], css_classes=["nep-total"]),
            pn.indicators.Number(label="NPP (Gg C/yr)", value=s["npp_total"], format=fmt, font_size="20pt"),
            pn.indicators.Number(label="Rh (Gg C/yr)", value=s["rh_total"], format=fmt, font_size="20pt"),
            pn.indicators.Number(label="Sinks (Gg C/yr)", value=s["sink_total"], format=fmt, font_size="20pt"),
            pn.indicators.Number(label="Sources (Gg C/yr)", value=s["source_total"], format=fmt, font_size="20pt"),
            pn.indicators.Number(label="Sink area (%)", value=s["sink_area_pct"], format="{value:.1f}",
                                 font_size="20pt"),
            pn.indicators.Number(label="Source area (%)", value=s["source_area_pct"], format="{value:.1f}",
                                 font_size="20pt"),
        )

    def controls(self):
        widgets = pn.Param(
            self.param,
            parameters=["eps_scale", "rh_model", "q10", "rh_ref", "year"],
            widgets={"eps_scale": pn.widgets.FloatSlider, "q10": pn.widgets.FloatSlider,
                     "rh_ref": pn.widgets.FloatSlider},
            show_name=False,
        )
        note = pn.pane.Markdown(self._knob_note, sizing_mode="stretch_width")
        return pn.Column(widgets, note)

    @param.depends("rh_model")
    def _knob_note(self):
        uses = {"pei2009": "Pei et al. 2009 uses temperature and precipitation; Q10 and the reference rate "
                           "do not apply.",
                "q10": "Q10 model: Q10 and the reference rate at 10 degC apply.",
                "lloyd_taylor": "Lloyd & Taylor 1994: the reference rate at 10 degC applies (Q10 does not)."}
        return uses[self.rh_model]


def build_dashboard(drivers: xr.Dataset | None = None) -> pn.template.BaseTemplate:
    """The servable dashboard (a Panel template) for ``drivers`` (default: the synthetic demo region)."""
    hv.extension("bokeh")
    dash = Dashboard(drivers)
    synthetic = dash.drivers.attrs.get("synthetic")
    about = pn.pane.Markdown(
        "Annual net primary production (CASA, preset zhu2007), soil heterotrophic respiration and "
        "NEP = NPP - Rh. NEP > 0 is a carbon sink. Water is left blank on the maps.\n\n"
        + ("**Synthetic demo region** (carbontools.demo): a generated river-delta city, not observed data."
           if synthetic else ""),
        sizing_mode="stretch_width",
    )
    template = pn.template.BootstrapTemplate(
        title="carbontools: urban and regional carbon balance",
        sidebar=[dash.controls(), about],
        main=[pn.Column(dash.indicators, dash.maps)],
        header_background="#1a9850",
    )
    template.dashboard = dash  # for tests and notebooks
    return template
