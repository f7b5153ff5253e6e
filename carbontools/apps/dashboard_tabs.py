"""The dashboard's analysis tabs: which knobs matter (Sensitivity) and what more green space changes (Scenario).

Both start from the dashboard's settings in force (:meth:`Dashboard.prepared`): the tornado chart moves each
parameter around the value the sliders set, and the scenario runs with the chosen Rh model and urban-soil rule.
They only call the package: :func:`carbontools.sensitivity.sweep` (on a spatial sample of the chosen region),
:func:`carbontools.uncertainty.nep_interval` (95 % intervals beside the totals) and
:func:`carbontools.scenarios.district_green_change` (only the district's pixels run).
"""

from __future__ import annotations

import dataclasses
import json
import time

import numpy as np
import pandas as pd
import panel as pn
import param

from .. import scenarios, sensitivity, uncertainty
from ..landcover import class_names, scheme_table
from ..plots import tornado_plot

__all__ = ["SensitivityTab", "ScenarioTab", "CASA_SWEPT", "RH_SWEPT", "WHOLE"]

WHOLE = "whole region"
#: CASA parameters the tornado chart moves, and each Rh model's
CASA_SWEPT = ("eps_max_scale", "par_fraction", "fpar_max", "we_floor", "te2_c")
RH_SWEPT = {"pei2009": ("a", "b", "c"), "q10": ("q10", "rh_ref"), "lloyd_taylor": ("rh_ref", "e0")}
#: the sweep runs on this many random pixels of the region (all of them when it has fewer): about 5 s
SWEEP_PIXELS = 20_000
#: the Monte Carlo of the intervals: runs, and random pixels per run
INTERVAL_RUNS, INTERVAL_PIXELS = 100, 5_000


def _district_names(dash) -> list[str]:
    zones = dash._districts
    return [] if zones is None else [str(n) for n in zones.attrs["names"]]


def _crop_to(prep, mask):
    """The prepared state on the bounding box of ``mask``, land cover blank outside it (so nothing there counts)."""
    ys, xs = np.nonzero(mask.values)
    box = {"y": slice(int(ys.min()), int(ys.max()) + 1), "x": slice(int(xs.min()), int(xs.max()) + 1)}
    inside = mask.isel(box)
    return dataclasses.replace(prep, drivers=prep.drivers.isel(box), landcover=prep.landcover.isel(box).where(inside))


class SensitivityTab(param.Parameterized):
    """A tornado chart of the region's annual totals, and Monte Carlo 95 % intervals of NEP by district."""

    region = param.Selector(default=WHOLE, objects=[WHOLE], label="region",
                            doc="the whole region or one district: the chart sums that area's pixels only")
    spread = param.Number(20.0, bounds=(5.0, 50.0), step=5.0, label="range of each parameter (+- % of its value)",
                          doc="each parameter is set to its value in force times (1 - r) and (1 + r), within its bounds")
    output = param.Selector(default="nep", objects=["nep", "npp", "rh"], label="output",
                            doc="regional annual total of NEP, NPP or Rh (Gg C yr-1)")

    def __init__(self, dash, **params):
        super().__init__(**params)
        self.dash = dash
        self.param.region.objects = [WHOLE, *_district_names(dash)]
        self.swept = None
        self.chart = pn.Column(pn.pane.Markdown("Press **Run the sweep**: each parameter alone at the low and the "
                                                "high end of its range, the others as the sliders set them."))
        self.intervals = pn.Column()
        self.run_button = pn.widgets.Button(label="Run the sweep", button_type="primary")
        self.run_button.on_click(self.run_sweep)
        self.interval_button = pn.widgets.Button(label="95 % intervals by district", button_type="default")
        self.interval_button.on_click(self.run_intervals)

    # --- computation -------------------------------------------------------------------------
    def prepared(self):
        prep = self.dash.prepared()
        if self.region == WHOLE:
            return prep
        zones = self.dash._districts
        code = zones.attrs["flag_values"][_district_names(self.dash).index(self.region)]
        return _crop_to(prep, zones == code)

    def ranges(self, model: sensitivity.Model) -> dict[str, list[float]]:
        """The low and high value of each swept parameter: +-spread % of its value in force, within its bounds."""
        r = self.spread / 100.0
        out = {}
        for name in CASA_SWEPT + RH_SWEPT[model.prep.rh_model]:
            knob = model.knobs[name]
            d = float(knob.default)
            lo, hi = sorted((d * (1 - r), d * (1 + r)))
            if knob.bounds is not None:
                lo, hi = max(lo, knob.bounds[0]), min(hi, knob.bounds[1])
            out[name] = [lo, hi]
        return out

    def sweep(self):
        prep = self.prepared()
        mapped = int(prep.landcover.notnull().sum())
        model = sensitivity.Model(prep, sample_pixels=SWEEP_PIXELS if mapped > SWEEP_PIXELS else None,
                                  year=self.dash.year)
        return sensitivity.sweep(model, **self.ranges(model))

    def interval_table(self) -> pd.DataFrame:
        """NEP totals with their 95 % interval (Monte Carlo over the parameters) for the region and each district."""
        prep = self.dash.prepared()
        mapped = int(prep.landcover.notnull().sum())
        model = sensitivity.Model(prep, sample_pixels=INTERVAL_PIXELS if mapped > INTERVAL_PIXELS else None,
                                  year=self.dash.year)
        table = uncertainty.nep_interval(model, zones=self.dash._districts, n=INTERVAL_RUNS,
                                         relative=self.spread / 100.0)
        exact = {"all": self.dash.summary()["nep_total"]}
        districts = self.dash.district_table()
        if districts is not None:
            exact.update(districts["NEP (Gg C/yr)"].to_dict())
        return table.assign(exact=[exact.get(r, np.nan) for r in table.index])

    # --- callbacks and views -------------------------------------------------------------------
    def run_sweep(self, *_):
        self.run_button.loading = True
        try:
            t0 = time.perf_counter()
            self.swept = self.sweep()
            seconds = time.perf_counter() - t0
            title = f"{self.output.upper()} {self.dash.year}, {self.region}: one parameter at a time (+-{self.spread:g} %)"
            self.chart.objects = [
                pn.pane.HoloViews(tornado_plot(self.swept, output=self.output, title=title, width=620)),
                pn.pane.Markdown(f"{self.swept.attrs['evaluations']} runs in {seconds:.1f} s; pixels: "
                                 f"{self.swept.attrs['spatial_sample']}. Settings in force: Rh model "
                                 f"{self.swept.attrs['rh_model']}, urban soils {self.swept.attrs['urban_soils']}. "
                                 + "; ".join(f"**{n}**: {self.swept[n].attrs['long_name']}"
                                             for n in json.loads(self.swept.attrs["swept"])) + ".",
                                 styles={"font-size": "9pt"}, sizing_mode="stretch_width")]
        finally:
            self.run_button.loading = False

    def run_intervals(self, *_):
        self.interval_button.loading = True
        try:
            t0 = time.perf_counter()
            table = self.interval_table()
            seconds = time.perf_counter() - t0
            shown = table[["exact", "mean", "low", "high"]].round(1).rename(columns={
                "exact": "NEP (Gg C/yr)", "mean": "Monte Carlo mean", "low": "95 % low",
                "high": "95 % high"}).rename_axis("region")
            self.intervals.objects = [
                # headers wrapped, as the district tables: fitted to the width they were cut ("Monte Ca...")
                pn.widgets.Tabulator(shown.reset_index(), disabled=True, show_index=False, layout="fit_columns",
                                     sizing_mode="stretch_width",
                                     configuration={"columnDefaults": {"headerWordWrap": True}}),
                pn.pane.Markdown(f"NEP: the exact total with the settings in force. Monte Carlo, {INTERVAL_RUNS} runs "
                                 f"in {seconds:.1f} s: eps_max and the Rh model's "
                                 f"parameters drawn uniformly within +-{self.spread:g} % of their values in force; "
                                 f"each run's totals estimated on the same {INTERVAL_PIXELS:,} random pixels (the "
                                 "Monte Carlo mean differs from the exact total by that sampling and because NEP is "
                                 f"not linear in the parameters). Year: {self.dash.year}.",
                                 styles={"font-size": "9pt"}, sizing_mode="stretch_width")]
        finally:
            self.interval_button.loading = False

    def view(self):
        widgets = pn.Param(self, parameters=["region", "spread", "output"], show_name=False, width=330,
                           widgets={"spread": {"type": pn.widgets.FloatSlider, "step": 5.0}})
        return pn.Row(pn.Column(widgets, self.run_button, self.interval_button, width=340),
                      pn.Column(self.chart, self.intervals, sizing_mode="stretch_width"), sizing_mode="stretch_width")


class ScenarioTab(param.Parameterized):
    """Pick a district, add green share to its built-up pixels, see the change in annual NEP and storage."""

    district = param.Selector(default=None, objects=[], label="district")
    share = param.Number(0.2, bounds=(0.0, 1.0), step=0.05, label="green share added to built-up pixels",
                         doc="each built-up pixel's impervious fraction falls by this share (at most to 0) and its NDVI "
                             "moves that far towards the district's vegetation of the chosen class")
    green_class = param.Selector(default=None, objects=[], label="the added green is like",
                                 doc="the land-cover class whose NDVI, month by month, the added green takes")
    shown = param.Boolean(default=True, precedence=-1,
                          doc="whether the tab is on screen: while hidden, knob moves do not rerun the scenario "
                              "(the dashboard sets this from its tabs); shown again, it catches up once")

    def __init__(self, dash, **params):
        super().__init__(**params)
        self.dash = dash
        names = _district_names(dash)
        self.param.district.objects = names
        self.district = names[0] if names else None
        lc = dash.drivers["landcover"]
        scheme = lc.attrs.get("scheme")
        to_casa = dict(zip(scheme_table(scheme)["code"], scheme_table(scheme)["casa"])) if scheme else {}
        labels = class_names(scheme) if scheme else {}
        present = sorted(int(c) for c in np.unique(lc.values[np.isfinite(lc.values)]))
        green = [c for c in present if 1 <= to_casa.get(c, 0) <= 7]  # CASA's vegetated classes
        self._green = {f"{labels.get(c, c)} ({c})": c for c in green}
        self.param.green_class.objects = list(self._green)
        forest = [k for k in self._green if "forest" in k.lower()]
        self.green_class = (forest or list(self._green) or [None])[0]
        self._baseline = {}
        self._showing = None  # the settings the result on screen was computed with

    def change(self) -> dict:
        dash = self.dash
        prep = dash.prepared()
        options = {"rh": prep.rh, "urban_soils": prep.urban_soils, "eps_max": prep.casa.eps_max}
        key = (self.district, *(getattr(dash, k) for k in ("eps_scale", "rh_model", "q10", "rh_ref", "urban_soils")),
               dash.year)
        out = scenarios.district_green_change(dash.drivers, dash._districts, self.district, self.share,
                                              self._green[self.green_class], year=dash.year,
                                              baseline=self._baseline.get(key), **options)
        self._baseline = {key: out["baseline"]}
        return out

    @param.depends("district", "share", "green_class", "dash.eps_scale", "dash.rh_model", "dash.q10", "dash.rh_ref",
                   "dash.urban_soils", "dash.year", "shown")
    def result_view(self):
        if self.district is None or not self._green:
            return pn.pane.Markdown("A scenario needs districts (give regions) and a vegetated land-cover class.")
        settings = (self.district, self.share, self.green_class,
                    *(getattr(self.dash, k) for k in ("eps_scale", "rh_model", "q10", "rh_ref", "urban_soils", "year")))
        if self._showing is not None and (not self.shown or settings == self._showing):
            raise param.Skip  # hidden, or already showing these settings: keep what is on screen
        self._showing = settings
        c = self.change()
        small = {"font_size": "18pt", "title_size": "10pt", "format": "{value:,.0f}"}
        return pn.Column(
            pn.FlexBox(
                pn.indicators.Number(label="NEP change (t C/yr)", value=c["nep_change_tC_yr"],
                                     colors=[(0, "#b2182b"), (1e12, "#1a9850")], **small),
                pn.indicators.Number(label="storage change (Mg C)", value=c["storage_change_MgC"], **small),
                pn.indicators.Number(label="built-up pixels made greener", value=c["built_pixels"], **small)),
            pn.pane.Markdown(
                f"**{c['district']}**, {self.dash.year}: annual NEP {c['nep_baseline_tC_yr']:,.0f} -> "
                f"{c['nep_scenario_tC_yr']:,.0f} t C/yr; carbon stock {c['storage_baseline_MgC']:,.0f} -> "
                f"{c['storage_scenario_MgC']:,.0f} Mg C ({c['pixels']:,} pixels). NEP > 0 is uptake. Under the "
                f"urban-soil rule '{self.dash.urban_soils}', unsealed soil also respires more, so the NEP gain is "
                "smaller than the NPP gain. Cooling by the new green space is not modelled "
                "(carbontools.scenarios; notebook 11 goes further).", sizing_mode="stretch_width"))

    def view(self):
        widgets = pn.Param(self, parameters=["district", "share", "green_class"], show_name=False, width=330,
                           widgets={"share": {"type": pn.widgets.FloatSlider, "step": 0.05}})
        return pn.Row(pn.Column(widgets, width=340), self.result_view, sizing_mode="stretch_width")
