"""Interactive explorers behind the teaching notebooks (02 CASA, 03 soil respiration).

Each is a ``param.Parameterized`` whose parameters become widgets (``pn.Param``) and whose methods
return results and views, so a notebook, a served app and a test drive the same object (a test
sets ``explorer.q10 = 3`` and reads ``explorer.results()``).
"""

from __future__ import annotations

import dataclasses

import holoviews as hv
import hvplot.pandas  # noqa: F401
import hvplot.xarray  # noqa: F401
import numpy as np
import pandas as pd
import panel as pn
import param
import xarray as xr

from ..landcover import NON_VEGETATED, casa_class_names, to_casa
from ..params import CASA_PRESETS, FPAR_METHODS, RH_MODELS, CasaParams, Q10Params, casa_preset, widget_spec
from ..pipeline import prepare, rh_response, rh_stage, run
from ..plots import color_limits, map_image

__all__ = ["CasaExplorer", "RespirationExplorer", "RH_KNOBS", "rh_knobs", "models_using", "knob_widgets"]

FACTORS = ["srad", "par", "fpar", "apar", "te1", "te2", "we", "eps_max", "eps", "npp"]
#: the Rh knobs; each applies to the models whose parameter set has a field of that name
RH_KNOBS = ("q10", "rh_ref")


def rh_knobs(model: str) -> tuple[str, ...]:
    """The Rh knobs (:data:`RH_KNOBS`) that change the results of Rh model ``model``."""
    if model not in RH_MODELS:
        raise ValueError(f"unknown Rh model {model!r}; choose one of {', '.join(RH_MODELS)}")
    fields = {f.name for f in dataclasses.fields(RH_MODELS[model].params)}
    return tuple(k for k in RH_KNOBS if k in fields)


def models_using(knob: str) -> list[str]:
    """The Rh models whose results an Rh knob changes (for labels: "Q10 (q10 model)")."""
    return [m for m in RH_MODELS if knob in rh_knobs(m)]


def knob_widgets(owner: param.Parameterized, parameters: list[str], sliders: tuple[str, ...] = (),
                 explain: bool = False, width: int | None = 380) -> pn.Column:
    """Widgets for ``owner``'s ``parameters`` (a FloatSlider for those in ``sliders``), in that order.

    When ``owner`` has an ``rh_model`` parameter, each Rh knob is disabled (greyed out) while the chosen
    model has no parameter of that name, so a knob that cannot change the result never looks live.
    ``explain``: each knob carries its parameter's doc (description and source): selects as their
    description, sliders (which take none) in an icon beside them.
    """
    widgets = []
    for name in parameters:
        kind = pn.widgets.FloatSlider if name in sliders else pn.Param.widget_type(owner.param[name])
        extra = {}
        if name in RH_KNOBS and "rh_model" in owner.param:
            extra["disabled"] = pn.bind(lambda model, knob=name: knob not in rh_knobs(model), owner.param.rh_model)
        doc = owner.param[name].doc if explain else None
        if doc and kind is not pn.widgets.FloatSlider:
            extra["description"] = doc
        widget = kind.from_param(owner.param[name], sizing_mode="stretch_width", **extra)
        if doc and kind is pn.widgets.FloatSlider:
            widget = pn.Row(widget, pn.widgets.TooltipIcon(value=doc, margin=(28, 0, 0, 0)), sizing_mode="stretch_width")
        widgets.append(widget)
    return pn.Column(*widgets, **({"width": width} if width else {"sizing_mode": "stretch_width"}))


def _short(name: str) -> str:
    """A class name short enough for a slider label: its first two parts ("grassland, cropland, ...")."""
    parts = [p.strip() for p in name.split(",")]
    return ", ".join(parts[:2]) + (", ..." if len(parts) > 2 else "")


def number_knob(params, name: str, label: str | None = None) -> param.Number:
    """A param.Number whose default, range and step come from the parameter object's field metadata.

    The step lands on the default (:func:`carbontools.params.slider_step`); the doc is the field's
    description with its source (shown beside the knob in the apps).
    """
    spec = widget_spec(params, name)
    doc = f"{spec['doc']} (source: {spec['source']})" if spec["source"] else spec["doc"]
    return param.Number(spec["value"], bounds=(spec["start"], spec["end"]), step=spec["step"],
                        label=label or spec["label"], doc=doc)


class CasaExplorer(param.Parameterized):
    """CASA step by step: preset, FPAR method, Te2 constant and half rule, eps_max per class; one pixel's breakdown."""

    preset = param.Selector(default="zhu2007", objects=list(CASA_PRESETS))
    fpar_method = param.Selector(default="ndvi_sr", objects=list(FPAR_METHODS), label="FPAR method")
    te2_c = number_knob(CasaParams(), "te2_c", label="Te2 constant C")
    te2_half_rule = param.Boolean(True, label="Te2 half rule outside [Topt-13, Topt+10]")
    month = param.Selector(default=None, objects=[])
    pixel = param.XYCoordinates(default=None, label="pixel (x, y)")

    def __init__(self, drivers: xr.Dataset, **params):
        super().__init__(**params)
        self.drivers = drivers
        self._casa = to_casa(drivers["landcover"])
        names = casa_class_names()
        present = [int(c) for c in np.unique(self._casa.values[np.isfinite(self._casa.values)])
                   if int(c) not in NON_VEGETATED]
        eps = widget_spec(casa_preset(), "eps_max")
        # the label is the class's short name: the widget cuts long CASA names ("grassland, cropland, wetland, ...")
        self.eps_sliders = {c: pn.widgets.FloatSlider(label=f"{c}: {_short(names[c])}", start=eps["start"],
                                                      end=eps["end"], step=0.01, value=eps["value"][c], format="0.00")
                            for c in present}
        for slider in self.eps_sliders.values():
            slider.param.watch(lambda e: self.param.trigger("month"), "value")
        months = [str(t)[:10] for t in drivers["time"].values]
        self.param.month.objects = months
        july = [m for m in months if m[5:7] == "07"]
        self.month = july[-1] if july else months[-1]  # the last year's July, the year the notebooks' maps show
        self.pixel = (float(drivers["x"][len(drivers["x"]) // 2]), float(drivers["y"][len(drivers["y"]) // 2]))
        self._cache = None

    @param.depends("preset", watch=True)
    def _apply_preset(self):
        p = casa_preset(self.preset)
        with param.parameterized.batch_call_watchers(self):
            self.param.update(fpar_method=p.fpar_method, te2_c=p.te2_c, te2_half_rule=p.te2_half_rule)
        for code, slider in self.eps_sliders.items():
            slider.value = p.eps_max[code]

    def overrides(self) -> dict:
        return {"fpar_method": self.fpar_method, "te2_c": self.te2_c, "te2_half_rule": self.te2_half_rule,
                "eps_max": {c: s.value for c, s in self.eps_sliders.items()}}

    def results(self) -> xr.Dataset:
        key = (self.preset, tuple(sorted(self.overrides()["eps_max"].items())), self.fpar_method, self.te2_c,
               self.te2_half_rule)
        if self._cache is None or self._cache[0] != key:
            out = run(self.drivers, casa=self.preset, check=False, **self.overrides())
            self._cache = (key, out.compute())
        return self._cache[1]

    def breakdown(self, x: float | None = None, y: float | None = None) -> pd.DataFrame:
        """Every factor of NPP at one pixel and month: SOL, PAR, FPAR, APAR, Te1, Te2, We, eps_max, eps, NPP."""
        x, y = (x, y) if x is not None else self.pixel
        r = self.results().sel(time=self.month).sel(x=x, y=y, method="nearest")
        srad = float(self.drivers["srad"].sel(time=self.month).sel(x=x, y=y, method="nearest"))
        par_fraction = casa_preset(self.preset).par_fraction
        code = int(r["landcover_casa"])
        eps_max = casa_preset(self.preset).replace(eps_max=self.overrides()["eps_max"]).eps_max[code]
        rows = [
            ("SOL: incoming shortwave radiation", srad, "MJ m-2 month-1"),
            (f"PAR = {par_fraction} x SOL", srad * par_fraction, "MJ m-2 month-1"),
            ("FPAR", float(r["fpar"]), "1"),
            ("APAR = PAR x FPAR", float(r["apar"]), "MJ m-2 month-1"),
            ("Te1 (temperature, optimum)", float(r["te1"]), "1"),
            ("Te2 (temperature, departure)", float(r["te2"]), "1"),
            ("We (water stress)", float(r["we"]), "1"),
            ("eps_max (class)", eps_max, "g C MJ-1"),
            ("eps = Te1 Te2 We eps_max", float(r["eps"]), "g C MJ-1"),
            ("NPP = APAR x eps", float(r["npp"]), "g C m-2 month-1"),
        ]
        return pd.DataFrame(rows, columns=["step", "value", "unit"]).set_index("step")

    @param.depends("month", "fpar_method", "te2_c", "te2_half_rule")
    def npp_map(self):
        da = self.results()["npp"].sel(time=self.month).drop_vars(["time", "spatial_ref"], errors="ignore")
        img = map_image(da, f"NPP {self.month[:7]}: click a pixel", "YlGn", clabel="NPP (g C m-2 month-1)",
                        frame_width=330, xaxis=None, yaxis=None)
        marker = hv.DynamicMap(lambda pixel: hv.Points([pixel]).opts(marker="x", size=16, color="red", line_width=3),
                               streams=[hv.streams.Params(self, ["pixel"])])
        shown = img * marker
        tap = hv.streams.Tap(source=shown, x=self.pixel[0], y=self.pixel[1])
        tap.add_subscriber(lambda x, y: self.param.update(pixel=(x, y)) if x is not None else None)
        return shown

    def pixel_caption(self) -> str:
        """Which pixel the breakdown is of: coordinates, land cover, month."""
        x, y = self.pixel
        px = self.results()["landcover_casa"].sel(x=x, y=y, method="nearest")
        code = px.values
        cls = casa_class_names().get(int(code), "?") if np.isfinite(code) else "no land cover"
        crs = self.drivers.rio.crs
        digits = 4 if crs is None or crs.is_geographic else 0  # degrees, or metres of a projected grid
        where = f"x = {float(px['x']):.{digits}f}, y = {float(px['y']):.{digits}f}" + (f" ({crs})" if crs else "")
        return f"**Pixel at {where}**: CASA class {cls}; {self.month[:7]} (red cross on the map)"

    @param.depends("pixel", "month", "fpar_method", "te2_c", "te2_half_rule")
    def breakdown_view(self):
        return pn.Column(pn.pane.Markdown(self.pixel_caption(), width=480),
                         pn.widgets.Tabulator(self.breakdown().round(4), disabled=True, width=480))

    def controls(self):
        knobs = pn.Param(self.param, parameters=["preset", "fpar_method", "te2_c", "te2_half_rule", "month"],
                         widgets={"te2_c": {"type": pn.widgets.FloatSlider, "format": "0.0000"}}, show_name=False)
        return pn.Column(knobs, pn.pane.Markdown("**eps_max by class** (g C MJ-1)"), *self.eps_sliders.values())

    def view(self):
        return pn.Row(self.controls(), pn.Column(self.npp_map, self.breakdown_view))


class RespirationExplorer(param.Parameterized):
    """The three Rh models side by side: response curves, maps, and where they disagree."""

    q10 = number_knob(Q10Params(), "q10", label=f"Q10 (1), used by {', '.join(models_using('q10'))}")
    rh_ref = number_knob(Q10Params(), "rh_ref",
                     label=f"Rh at 10 degC (g C m-2 month-1), used by {', '.join(models_using('rh_ref'))}")
    precip_curve = param.Number(100.0, bounds=(0.0, 400.0), step=10.0, label="precipitation for the curves (mm/month)")

    def __init__(self, drivers: xr.Dataset, **params):
        super().__init__(**params)
        prep = prepare(drivers, check=False)
        self._prep = dataclasses.replace(prep, drivers=prep.drivers.compute(), landcover=prep.landcover.compute())
        self._casa = self._prep.landcover

    def _prepared(self, model: str):
        return self._prep.with_parameters(rh=model, **{k: getattr(self, k) for k in rh_knobs(model)})

    def model_params(self) -> dict:
        return {name: self._prepared(name).rh for name in RH_MODELS}

    def results(self) -> xr.Dataset:
        """Monthly Rh of every model (g C m-2 month-1), dims (model, time, y, x)."""
        maps = [rh_stage(self._prepared(name)) for name in RH_MODELS]
        return xr.concat(maps, dim=pd.Index(list(RH_MODELS), name="model")).rename("rh").to_dataset()

    @param.depends("q10", "rh_ref", "precip_curve")
    def curves(self):
        t = np.linspace(-10, 35, 91)
        frame = pd.DataFrame({name: rh_response(name, t, self.precip_curve, p)
                              for name, p in self.model_params().items()}, index=pd.Index(t, name="temperature (degC)"))
        return frame.hvplot.line(ylabel="Rh (g C m-2 month-1)", width=520, height=320, legend="top_left",
                                 title=f"Response to temperature (pei2009 at P = {self.precip_curve:.0f} mm)")

    def annual(self) -> xr.DataArray:
        """Annual Rh of every model in the last year (g C m-2 yr-1), dims (model, y, x); water and ice blank."""
        rh = self.results()["rh"]
        annual = rh.groupby("time.year").sum().isel(year=-1)
        year = int(annual["year"])
        annual = annual.where(~self._casa.isin(NON_VEGETATED)).drop_vars(["spatial_ref", "year"], errors="ignore")
        return annual.rename("rh_annual").assign_attrs(long_name="annual soil heterotrophic respiration",
                                                       units="g C m-2 yr-1", year=year)

    @param.depends("q10", "rh_ref")
    def maps(self):
        annual = self.annual()
        spread = (annual.max("model") - annual.min("model")).rename("spread")
        unit, year = annual.attrs["units"], annual.attrs["year"]
        opts = dict(frame_width=230, xaxis=None, yaxis=None)
        shared = color_limits(annual, symmetric=False)  # one scale for the three models, so they compare
        panels = [map_image(annual.sel(model=m), f"{m}: annual Rh {year}", "YlOrBr", shared,
                            clabel=f"Rh ({unit})", **opts) for m in annual["model"].values]
        panels.append(map_image(spread, f"spread: max - min of the three, {year}", "Purples",
                                clabel=f"Rh spread ({unit})", **opts))
        return pn.FlexBox(*panels)

    def view(self):
        knobs = knob_widgets(self, ["q10", "rh_ref", "precip_curve"], sliders=("q10", "rh_ref", "precip_curve"))
        return pn.Column(pn.Row(knobs, self.curves), self.maps)
