"""Notebook widgets, set from code: the results change the way the science says."""

import numpy as np
import panel as pn
import param
import pytest

from carbontools import demo
from carbontools.apps.explorers import CasaExplorer, RespirationExplorer, knob_widgets, rh_knobs


@pytest.fixture(scope="module")
def drivers():
    return demo.delta_city(size=40)


def test_doubling_eps_max_doubles_npp_of_that_class_only(drivers):
    e = CasaExplorer(drivers)
    forest = e.results()["landcover_casa"] == 5
    before = e.results()["npp"]
    e.eps_sliders[5].value = 2 * e.eps_sliders[5].value  # 0.475 -> 0.95
    after = e.results()["npp"]
    np.testing.assert_allclose(after.where(forest), 2 * before.where(forest), rtol=1e-12)
    np.testing.assert_array_equal(after.where(~forest).values, before.where(~forest).values)


def test_te2_constant_scales_npp_proportionally(drivers):
    e = CasaExplorer(drivers)
    npp_zhu = e.results()["npp"]
    e.te2_c = 1.1814  # Te2 is proportional to C (the half rule too)
    np.testing.assert_allclose(e.results()["npp"], npp_zhu * 1.1814 / 1.184, rtol=1e-6)  # float32 drivers


def test_preset_switch_sets_the_knobs(drivers):
    e = CasaExplorer(drivers)
    e.preset = "potter1993"
    assert (e.fpar_method, e.te2_c, e.te2_half_rule) == ("potter_sr", 1.1814, False)
    assert {s.value for s in e.eps_sliders.values()} == {0.389}


def test_breakdown_multiplies_out(drivers):
    e = CasaExplorer(drivers)
    b = e.breakdown()["value"]
    assert b["APAR = PAR x FPAR"] == pytest.approx(b["PAR = 0.5 x SOL"] * b["FPAR"], rel=1e-6)
    eps = b["Te1 (temperature, optimum)"] * b["Te2 (temperature, departure)"] * b["We (water stress)"] * b["eps_max (class)"]
    assert b["eps = Te1 Te2 We eps_max"] == pytest.approx(eps, rel=1e-6)
    assert b["NPP = APAR x eps"] == pytest.approx(b["APAR = PAR x FPAR"] * eps, rel=1e-6)


def test_raising_q10_raises_summer_rh(drivers):
    e = RespirationExplorer(drivers)
    july = lambda: e.results()["rh"].sel(model="q10", time="2022-07-01").mean()  # noqa: E731
    low = float(july())
    e.q10 = 3.0
    assert float(july()) > low  # July is far above the 10 degC reference everywhere
    assert float(e.results()["rh"].sel(model="pei2009", time="2022-07-01").mean()) > 0


def test_reference_rate_scales_q10_and_lloyd_taylor(drivers):
    e = RespirationExplorer(drivers)
    base = e.results()["rh"]
    e.rh_ref = 2 * e.rh_ref
    doubled = e.results()["rh"]
    for model in ("q10", "lloyd_taylor"):
        np.testing.assert_allclose(doubled.sel(model=model), 2 * base.sel(model=model), rtol=1e-6)
    np.testing.assert_allclose(doubled.sel(model="pei2009"), base.sel(model="pei2009"))


def test_rh_knobs_apply_only_to_models_with_that_parameter():
    assert rh_knobs("pei2009") == ()
    assert rh_knobs("q10") == ("q10", "rh_ref")
    assert rh_knobs("lloyd_taylor") == ("rh_ref",)
    with pytest.raises(ValueError, match="unknown Rh model 'q11'.*pei2009"):
        rh_knobs("q11")


def test_knobs_that_cannot_change_the_result_are_disabled():
    class Owner(param.Parameterized):
        rh_model = param.Selector(default="pei2009", objects=["pei2009", "q10", "lloyd_taylor"])
        q10 = param.Number(2.0, bounds=(1.0, 4.0))
        rh_ref = param.Number(16.3, bounds=(1.0, 40.0))

    owner = Owner()
    model, q10, rh_ref = knob_widgets(owner, ["rh_model", "q10", "rh_ref"], sliders=("q10", "rh_ref"))
    assert isinstance(q10, pn.widgets.FloatSlider) and isinstance(model, pn.widgets.Select)
    assert (q10.disabled, rh_ref.disabled) == (True, True)  # pei2009 has neither
    owner.rh_model = "lloyd_taylor"
    assert (q10.disabled, rh_ref.disabled) == (True, False)
    owner.rh_model = "q10"
    assert (q10.disabled, rh_ref.disabled) == (False, False)
    q10.value = 3.0  # the widgets drive the owner
    assert owner.q10 == 3.0


def test_rh_maps_share_one_colour_scale_and_say_what_they_show(drivers):
    import holoviews as hv
    from bokeh.models import ColorBar

    from carbontools.plots import color_limits

    hv.extension("bokeh")
    e = RespirationExplorer(drivers)
    annual = e.annual()
    assert annual.attrs["units"] == "g C m-2 yr-1" and "impervious" not in annual.attrs["long_name"]
    bars = []
    for pane in e.maps().objects:
        figure = hv.render(pane.object)
        (bar,) = figure.select({"type": ColorBar})
        bars.append((figure.title.text, bar.title, bar.color_mapper.low, bar.color_mapper.high))
    lo, hi = color_limits(annual, symmetric=False)
    assert [b[:2] for b in bars[:3]] == [(f"{m}: annual Rh 2022", "Rh (g C m-2 yr-1)")
                                         for m in ("pei2009", "q10", "lloyd_taylor")]
    assert [b[2:] for b in bars[:3]] == [pytest.approx((lo, hi))] * 3  # one scale over all three maps
    assert bars[3][1] == "Rh spread (g C m-2 yr-1)"


def test_the_breakdown_says_which_pixel_and_class_it_is():
    from carbontools import demo
    from carbontools.apps.explorers import CasaExplorer
    from carbontools.landcover import casa_class_names

    e = CasaExplorer(demo.delta_city(size=30))
    assert e.month.startswith(str(int(e.drivers["time.year"].max())))  # the last year's month, as the maps
    x, y = float(e.drivers["x"][3]), float(e.drivers["y"][5])
    e.pixel = (x, y)
    code = int(e.results()["landcover_casa"].isel(y=5, x=3))
    caption = e.pixel_caption()
    assert f"x = {x:.0f}, y = {y:.0f}" in caption and casa_class_names()[code] in caption
