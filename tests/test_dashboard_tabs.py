"""The dashboard's Sensitivity and Scenario tabs: they start from the settings in force and say what they sampled."""

import numpy as np
import pytest

from carbontools import demo, scenarios
from carbontools.apps import dashboard_tabs
from carbontools.apps.dashboard import Dashboard, build_dashboard
from carbontools.apps.dashboard_tabs import ScenarioTab, SensitivityTab


@pytest.fixture(scope="module")
def dash():
    return Dashboard(demo.delta_city(size=40))


def test_the_tabs_are_in_the_served_dashboard():
    tpl = build_dashboard(demo.delta_city(size=24))
    import panel as pn

    (tabs,) = [o for o in tpl.main[0].objects if isinstance(o, pn.Tabs)]
    assert {"Sensitivity", "Scenario"} <= set(tabs._names)


def test_the_sweep_moves_each_parameter_around_the_value_the_sliders_set(dash, monkeypatch):
    monkeypatch.setattr(dashboard_tabs, "SWEEP_PIXELS", 10**9)  # every pixel: exact totals
    dash.param.update(eps_scale=1.2, rh_model="pei2009")
    tab = SensitivityTab(dash, spread=20.0)
    swept = tab.sweep()
    base = swept["base"].sel(output="npp").item()
    npp = swept["by_eps_max_scale"].sel(output="npp").values
    # NPP is proportional to eps_max: the sliders' eps_max (x1.2) times 0.8 and 1.2 scales NPP by exactly that
    assert npp == pytest.approx([0.8 * base, 1.2 * base], rel=1e-9)
    # the base is the dashboard's own total for the year shown (Gg C yr-1)
    assert swept["base"].sel(output="nep").item() == pytest.approx(dash.summary()["nep_total"], rel=1e-9)
    # +-20 % of fpar_max 0.95 is cut at its upper bound 1.0
    assert swept["fpar_max"].values.tolist() == pytest.approx([0.76, 1.0])
    assert "a" in swept.data_vars["by_a"].dims and "q10" not in swept  # Pei's parameters under pei2009


def test_a_district_sweep_sums_that_district_only(dash, monkeypatch):
    monkeypatch.setattr(dashboard_tabs, "SWEEP_PIXELS", 10**9)
    dash.param.update(eps_scale=1.0, rh_model="q10")
    tab = SensitivityTab(dash)
    name = tab.param.region.objects[2]
    tab.region = name
    swept = tab.sweep()
    table = dash.district_table()
    assert swept["base"].sel(output="nep").item() == pytest.approx(table.loc[name, "NEP (Gg C/yr)"], abs=0.006)
    assert {"by_q10", "by_rh_ref"} <= set(swept.data_vars)


def test_the_sweep_on_a_sample_says_so(dash, monkeypatch):
    monkeypatch.setattr(dashboard_tabs, "SWEEP_PIXELS", 200)
    dash.param.update(eps_scale=1.0, rh_model="pei2009")
    tab = SensitivityTab(dash)
    tab.run_sweep()
    note = tab.chart.objects[1].object
    assert "200 random mapped pixels" in note and "pei2009" in note


def test_intervals_stand_beside_the_exact_totals(dash, monkeypatch):
    monkeypatch.setattr(dashboard_tabs, "INTERVAL_RUNS", 20)
    dash.param.update(eps_scale=1.0, rh_model="pei2009")
    table = SensitivityTab(dash).interval_table()
    assert list(table.index) == ["all", *dash._districts.attrs["names"]]
    assert table.loc["all", "exact"] == pytest.approx(dash.summary()["nep_total"])
    assert (table["low"] < table["high"]).all()


def test_the_interval_tables_headers_are_wrapped_not_cut(dash, monkeypatch):
    """Fitted to the tab's width, the headers were cut ("NEP (Gg ...", "Monte Ca..."); they wrap, as the district
    tables' do."""
    import panel as pn

    monkeypatch.setattr(dashboard_tabs, "INTERVAL_RUNS", 5)
    tab = SensitivityTab(dash)
    tab.run_intervals()
    (table,) = [o for o in tab.intervals.objects if isinstance(o, pn.widgets.Tabulator)]
    model = table.get_root()  # what Tabulator is given in the browser
    assert model.configuration["columnDefaults"]["headerWordWrap"] is True
    assert list(table.value.columns) == ["region", "NEP (Gg C/yr)", "Monte Carlo mean", "95 % low", "95 % high"]


def test_the_scenario_runs_with_the_settings_in_force(dash):
    dash.param.update(eps_scale=1.1, rh_model="q10", urban_soils="unsealed")
    tab = ScenarioTab(dash, share=0.3)
    assert tab.green_class.startswith("forest")  # the demo is in CLCD codes: forest (2)
    got = tab.change()
    prep = dash.prepared()
    expected = scenarios.district_green_change(dash.drivers, dash._districts, tab.district, 0.3, 2, year=dash.year,
                                               rh=prep.rh, urban_soils="unsealed", eps_max=prep.casa.eps_max)
    assert got["nep_change_tC_yr"] == pytest.approx(expected["nep_change_tC_yr"], rel=1e-12)
    dash.rh_model = "pei2009"
    assert tab.change()["nep_change_tC_yr"] != pytest.approx(got["nep_change_tC_yr"], rel=1e-6)
    tab.share = 0.0
    nothing = tab.change()
    assert nothing["nep_change_tC_yr"] == 0 and nothing["storage_change_MgC"] == 0
    assert np.isfinite(nothing["nep_baseline_tC_yr"])


def test_a_hidden_scenario_tab_does_not_rerun_on_knob_moves(monkeypatch):
    """Once shown, the Scenario tab used to rerun its scenario on every slider move of the main dashboard, shown or
    not. Now: hidden, nothing runs; shown again after the knobs moved, it catches up once; shown again with nothing
    changed, nothing runs."""
    import panel as pn

    calls = []
    real = scenarios.district_green_change
    monkeypatch.setattr(scenarios, "district_green_change", lambda *a, **k: calls.append(1) or real(*a, **k))
    tpl = build_dashboard(demo.delta_city(size=24))
    dash = tpl.dashboard
    (tabs,) = [o for o in tpl.main[0].objects if isinstance(o, pn.Tabs)]
    scenario = tabs._names.index("Scenario")
    content = tabs.objects[scenario]

    def shown(active):
        tabs.active = active
        return pn.panel(content).get_root()  # render the tab's content as a browser would see it

    shown(scenario)
    assert len(calls) == 1  # shown: the scenario runs once
    shown(0)
    dash.eps_scale = 1.15
    dash.q10 = 2.2
    assert len(calls) == 1  # hidden: two knob moves run nothing
    shown(scenario)
    assert len(calls) == 2  # shown again: it catches up once, with the settings in force
    shown(0)
    shown(scenario)
    assert len(calls) == 2  # nothing moved: nothing reruns
    dash.eps_scale = 1.0
    assert len(calls) == 3  # shown: a knob move reruns it
