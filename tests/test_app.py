"""The dashboard: its numbers follow the knobs the way the science says; the served app answers."""

import subprocess
import sys
import time
import urllib.request

import numpy as np
import panel as pn
import pytest

from carbontools import demo
from carbontools.apps.dashboard import Dashboard, build_dashboard, regional_summary
from carbontools.grid import cell_area

from .serving import free_port, server_log_problems


@pytest.fixture(scope="module")
def dash():
    return Dashboard(demo.delta_city(size=40))


def test_summary_by_hand(dash):
    a = dash.annual()
    s = dash.summary()
    area = cell_area(dash.drivers)
    # Rh is float32 (from float32 drivers): summation order alone moves the total by ~1e-9
    assert s["nep_total"] == pytest.approx(float((a["nep"] * area).sum()) / 1e9, rel=1e-8)
    assert s["sink_total"] + s["source_total"] == pytest.approx(s["nep_total"], rel=1e-12)
    assert s["npp_total"] - s["rh_total"] == pytest.approx(s["nep_total"], rel=1e-8)  # Rh sums in float32
    assert s["area_km2"] == pytest.approx(40 * 40 * 0.0625)


def test_doubling_eps_max_doubles_npp(dash):
    dash.param.update(eps_scale=1.0, rh_model="pei2009")
    s1 = dash.summary()
    dash.eps_scale = 1.5
    s2 = dash.summary()
    assert s2["npp_total"] == pytest.approx(1.5 * s1["npp_total"], rel=1e-12)
    assert s2["rh_total"] == pytest.approx(s1["rh_total"], rel=1e-12)
    assert s2["nep_total"] == pytest.approx(s1["nep_total"] + 0.5 * s1["npp_total"], rel=1e-12)
    dash.eps_scale = 1.0


def test_eps_scaling_equals_a_full_run_with_scaled_eps_max(dash):
    import carbontools as ct

    dash.param.update(eps_scale=1.3, rh_model="pei2009")
    full = ct.run(dash.drivers, eps_max=ct.casa_preset().eps_max.scaled(1.3))["npp_annual"].sel(year=dash.year)
    np.testing.assert_allclose(dash.annual()["npp"], full, rtol=1e-6)
    dash.eps_scale = 1.0


def test_raising_q10_raises_rh_in_a_warm_region(dash):
    dash.param.update(rh_model="q10", q10=2.0)
    low = dash.summary()["rh_total"]
    dash.q10 = 3.0
    high = dash.summary()["rh_total"]
    # nearly all pixel-months of the subtropical demo are warmer than T_ref = 10 degC, where a larger
    # Q10 raises Rh (and lowers it below 10 degC): the regional total must rise
    assert float((dash.prepared().drivers["tmean"] > 10.0).mean()) > 0.95
    assert high > low
    dash.param.update(rh_model="pei2009", q10=2.0)


def test_rh_models_differ(dash):
    totals = {}
    for model in ("pei2009", "q10", "lloyd_taylor"):
        dash.rh_model = model
        totals[model] = dash.summary()["rh_total"]
    dash.rh_model = "pei2009"
    assert len(set(np.round(list(totals.values()), 6))) == 3


def test_regional_summary_sign_split():
    import xarray as xr

    nep = xr.DataArray([[100.0, -50.0], [np.nan, 20.0]], dims=("y", "x"))
    area = xr.DataArray(np.full((2, 2), 1e6), dims=("y", "x"))
    s = regional_summary(nep + 100, nep * 0 + 100, nep, area)
    assert s["sink_total"] == pytest.approx(120e6 / 1e9)  # (100 + 20) g m-2 x 1 km2
    assert s["source_total"] == pytest.approx(-50e6 / 1e9)
    assert s["sink_area_pct"] == pytest.approx(200 / 3)
    assert s["area_km2"] == pytest.approx(3.0)


def test_dashboard_builds_its_views():
    template = build_dashboard(demo.delta_city(size=24))
    dash = template.dashboard
    maps = dash.maps()
    assert len(maps.objects) == 3  # NPP, Rh, NEP
    numbers, note = dash.indicators().objects
    assert len(numbers.objects) == 7
    assert numbers.objects[0].value == pytest.approx(dash.summary()["nep_total"])
    s = dash.summary()  # the note names the area that is neither sink nor source (water, ice)
    assert f"{100 - s['sink_area_pct'] - s['source_area_pct']:.1f} %" in note.object
    assert len(dash.downloads().objects) == 6  # a heading and five files


def test_served_app_answers():
    port = free_port()
    exe = [sys.executable, "-m", "carbontools.cli", "app", "--port", str(port)]
    proc = subprocess.Popen(exe, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 180
        html = None
        while time.time() < deadline and html is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/dashboard", timeout=30) as r:
                    assert r.status == 200
                    html = r.read().decode()
            except OSError:  # not up yet, or slow to answer on a loaded machine (socket timeout)
                time.sleep(0.5)
        assert html is not None, "the app did not answer within 180 s"
        assert "carbontools" in html
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert f"http://localhost:{port}/dashboard" in out
    assert not server_log_problems(out), out


def test_tables_add_up_to_the_regional_totals(dash):
    dash.param.update(eps_scale=1.0, rh_model="pei2009")
    s = dash.summary()
    lc = dash.landcover_table()
    assert lc["NEP (Gg C/yr)"].sum() == pytest.approx(s["nep_total"], abs=0.01 * len(lc))  # rounded to 0.01
    assert lc["share of NEP (%)"].sum() == pytest.approx(100.0, abs=0.05)
    assert lc.loc["water", "NEP (Gg C/yr)"] == 0.0
    districts = dash.district_table()
    assert districts is not None and len(districts) == 6  # the demo's districts tile the scene
    assert districts["area (km2)"].sum() == pytest.approx(s["area_km2"], rel=1e-3)


def test_seasonal_cycle_has_twelve_months_and_a_summer_sink(dash):
    cycle = dash.seasonal()
    assert list(cycle.index) == list(range(1, 13))
    forest = cycle["mixed forest"]
    assert forest.loc[[6, 7, 8]].mean() > forest.loc[[12, 1, 2]].mean()  # monsoon summer vs winter uptake


def test_downloads(dash, tmp_path):
    import json as _json

    import rioxarray
    import xarray as xr

    path = tmp_path / "r.nc"
    path.write_bytes(dash.netcdf_bytes().getvalue())
    with xr.open_dataset(path) as ds:
        assert {"npp", "rh", "nep", "nep_annual"} <= set(ds.data_vars)
        assert _json.loads(ds.attrs["parameters"])["rh_model"] == dash.rh_model
    tif = tmp_path / "nep.tif"
    tif.write_bytes(dash.geotiff_bytes().getvalue())
    nep = rioxarray.open_rasterio(tif).squeeze("band", drop=True)
    np.testing.assert_allclose(nep.values, dash.annual()["nep"].values, rtol=1e-6)
    assert nep.rio.crs.to_epsg() == 32649
    csv = dash.csv_text().getvalue()
    assert csv.splitlines()[0].startswith("zone,area (km2),NPP (Gg C/yr)") and "Old Town" in csv
    params = _json.loads(dash.json_text().getvalue())
    assert params["casa"]["kind"] == "CasaParams" and params["rh"]["kind"]


def test_parameters_follow_the_knobs(dash):
    dash.param.update(eps_scale=1.2, rh_model="q10", q10=2.5)
    p = dash.parameters()
    assert p["casa"]["eps_max"]["4"] == pytest.approx(0.692 * 1.2)
    assert p["rh_model"] == "q10" and p["rh"]["q10"] == 2.5
    dash.param.update(eps_scale=1.0, rh_model="pei2009", q10=2.0)


# --- what a lecturer expects (issue 12) ------------------------------------------------------------

def test_sessions_share_the_prepared_drivers_and_the_results():
    """A class opening the dashboard: the second session reads what the first computed (one CASA run)."""
    drivers = demo.delta_city(size=24)
    first, second = Dashboard(drivers), Dashboard(drivers)
    assert first._shared is second._shared and first._casa is second._casa
    assert first.results() is second.results()  # the same knobs: computed once for both
    second.eps_scale = 1.2
    assert second.results() is not first.results()
    assert Dashboard(demo.delta_city(size=24))._shared is not first._shared  # other drivers, other state


def test_knobs_the_rh_model_does_not_use_are_greyed_out():
    dash = Dashboard(demo.delta_city(size=24))
    controls = dash.controls()
    sliders = {w.label: w for w in controls.select(pn.widgets.FloatSlider)}
    q10, ref = sliders[dash.param.q10.label], sliders[dash.param.rh_ref.label]
    dash.rh_model = "pei2009"  # temperature and precipitation only
    assert q10.disabled and ref.disabled
    dash.rh_model = "q10"
    assert not q10.disabled and not ref.disabled
    dash.rh_model = "lloyd_taylor"  # its reference rate, no Q10
    assert q10.disabled and not ref.disabled
    summary = dash.summary()
    dash.q10 = 3.0  # greyed out: moving it changes nothing
    assert dash.summary() == summary


def test_reset_puts_every_knob_back_to_its_default():
    dash = Dashboard(demo.delta_city(size=24))
    dash.param.update(eps_scale=1.4, rh_model="q10", q10=3.1, rh_ref=20.0, urban_soils="climate")
    dash.reset()
    assert {k: getattr(dash, k) for k in ("eps_scale", "rh_model", "q10", "rh_ref", "urban_soils")} == {
        "eps_scale": 1.0, "rh_model": "pei2009", "q10": 2.0, "rh_ref": 16.3, "urban_soils": "unsealed"}


def test_every_slider_lands_on_its_default():
    """A slider snaps to start + n * step: the default 16.3 on a 0.5 step from 5 showed as 16.5."""
    dash = Dashboard(demo.delta_city(size=24))
    for slider in dash.controls().select(pn.widgets.FloatSlider):
        n = (slider.value - slider.start) / slider.step
        assert abs(n - round(n)) < 1e-9, f"{slider.label}: {slider.value} is not on the grid of step {slider.step}"
        assert slider.value == dash.param[[k for k in ("eps_scale", "q10", "rh_ref")
                                          if dash.param[k].label == slider.label][0]].default


def test_compact_download_holds_the_annual_maps_only():
    import xarray as xr

    dash = Dashboard(demo.delta_city(size=24))
    compact = xr.open_dataset(dash.annual_netcdf_bytes(), engine="h5netcdf")
    assert set(compact.data_vars) == {"npp_annual", "rh_annual", "nep_annual"}
    assert compact["nep_annual"].dtype == np.float32 and compact.attrs["parameters"]
    np.testing.assert_allclose(compact["nep_annual"], dash.results()["nep_annual"], rtol=1e-6)


# --- speed (issue 14): what is shown is computed without the monthly maps, drawn at the screen's pixels ---

@pytest.mark.parametrize("knobs", [dict(eps_scale=1.0, rh_model="pei2009"),
                                   dict(eps_scale=1.35, rh_model="q10", q10=2.6),
                                   dict(eps_scale=0.7, rh_model="lloyd_taylor", rh_ref=12.0, urban_soils="climate")])
def test_shown_annual_maps_equal_the_pipeline_results(dash, knobs):
    """annual() (NPP from CASA's kept APAR x stress sums, Rh cached per Rh setting) against the monthly results of
    the pipeline's stages (casa_stage with reuse, rh_stage, assemble) that the downloads hold."""
    dash.param.update(**knobs)
    fast, full = dash.annual(), dash.results()
    for k in ("npp", "rh", "nep"):
        reference = full[f"{k}_annual"].sel(year=dash.year)
        assert fast[k].dtype == reference.dtype, k
        # float64 sums in another order: equal to the last digits (float32 Rh alone would miss by ~1e-5 g)
        np.testing.assert_allclose(fast[k], reference, rtol=1e-12, atol=1e-9, err_msg=k)
        assert bool((fast[k].isnull() == reference.isnull()).all()), k
    s = dash.summary()
    by_results = regional_summary(*(full[f"{k}_annual"].sel(year=dash.year) for k in ("npp", "rh", "nep")), dash.area)
    assert s == pytest.approx(by_results, rel=1e-12)
    dash.param.update(eps_scale=1.0, rh_model="pei2009", q10=2.0, rh_ref=16.3, urban_soils="unsealed")


def _image(drawn):
    """The image of a dashboard map: the map itself, or the first layer under the district borders."""
    import holoviews as hv

    return drawn if isinstance(drawn, hv.Image) else drawn.get(0)


def test_maps_are_block_means_with_the_full_resolution_colour_limits(dash, monkeypatch):
    """A 40 x 40 map in a 15 px frame is drawn as 14 x 14 means of 3 x 3 blocks (the last row and column of
    blocks hold 1 cell each); the colour limits are the full-resolution map's (plots.color_limits' rule)."""
    from carbontools.apps import dashboard
    from carbontools.landcover import NON_VEGETATED

    monkeypatch.setattr(dashboard, "MAP_WIDTH", 15)
    dash.param.update(eps_scale=1.1, rh_model="pei2009")
    images = [_image(pane.object) for pane in dash.maps().objects]
    blank = dash.results()["landcover_casa"].isin(NON_VEGETATED).values
    for image, name, symmetric in zip(images, ("npp", "rh", "nep"), (False, False, True)):
        full = np.where(blank, np.nan, dash.annual()[name].values.astype(float))  # means in float64
        drawn = image.data[name]
        assert drawn.shape == (14, 14)
        expected = np.full((14, 14), np.nan)
        for i in range(14):
            for j in range(14):
                block = full[3 * i:3 * i + 3, 3 * j:3 * j + 3]
                if np.isfinite(block).any():
                    expected[i, j] = np.nanmean(block)
        np.testing.assert_allclose(drawn.values, expected, rtol=1e-12)
        x = dash.drivers["x"].values
        assert drawn["x"].values[0] == pytest.approx(x[:3].mean())  # the first block's centre
        np.testing.assert_allclose(np.diff(drawn["x"].values), 3 * (x[1] - x[0]))  # a regular grid
        values = full[np.isfinite(full)]
        clim = (-np.percentile(np.abs(values), 98), np.percentile(np.abs(values), 98)) if symmetric \
            else tuple(np.percentile(values, [2, 98]))
        assert image.opts.get().kwargs["clim"] == pytest.approx(clim, rel=1e-12)
    dash.eps_scale = 1.0


def test_hidden_tabs_are_computed_only_when_shown(monkeypatch):
    """A knob move recomputes the Maps tab and the indicators; the tables wait until their tab is shown."""
    from carbontools.apps import dashboard

    calls = []
    table = dashboard.Dashboard.table
    monkeypatch.setattr(dashboard.Dashboard, "table", lambda self, *a, **k: calls.append(1) or table(self, *a, **k))
    template = build_dashboard(demo.delta_city(size=24))
    dash = template.dashboard
    (tabs,) = [o for o in template.main[0].objects if isinstance(o, pn.Tabs)]
    assert tabs._names[1] == "Land cover & districts" and tabs.active == 0
    dash.eps_scale = 1.2
    assert calls == []  # hidden: nothing computed
    tabs.active = 1
    n = len(calls)
    assert n == 2  # shown: the land-cover and the district tables
    shown = tabs[1]._pane.objects
    assert any(isinstance(o, pn.widgets.Tabulator) for o in shown)
    tabs.active = 1  # shown again with the same knobs: kept
    dash.eps_scale = 1.3  # moved while shown: recomputed
    assert len(calls) == 2 * n
    tabs.active = 0
    dash.eps_scale = 1.1  # moved while hidden: nothing, until shown again
    assert len(calls) == 2 * n
    tabs.active = 1
    assert len(calls) == 3 * n
    table_values = tabs[1]._pane.objects[1].value
    assert table_values.equals(dash.landcover_table())  # with the knobs in force (eps x 1.1)


# --- the region picker, and maps on real geography (issue 15) ----------------------------------------------------

def _finite_rows(path) -> np.ndarray:
    xy = np.asarray(path.array(), dtype=float)
    return xy[np.isfinite(xy).all(axis=1)]


def _check_picker_totals(dash):
    """Each region picked: the indicators' NPP, Rh, NEP totals are that district's zonal total
    (accounting.zonal_totals on the district raster, an independent sum) and the land-cover table adds up to it."""
    from carbontools.accounting import zonal_totals

    names = [str(n) for n in dash._districts.attrs["names"]]
    assert dash.param.region.objects == ["all", *names]
    annual = dash.annual()
    expected = {k: zonal_totals(annual[k], dash._districts, unit="Gg C", names=names)["total"] for k in ("npp", "rh", "nep")}
    whole = dash.summary()
    try:
        for name in names:
            dash.region = name
            s = dash.summary()
            for k in ("npp", "rh", "nep"):
                assert s[f"{k}_total"] == pytest.approx(expected[k][name], rel=1e-9, abs=1e-12), (name, k)
            shown = dash.indicators().objects[0].objects[0]
            assert shown.value == s["nep_total"] and name in shown.name
            table = dash.landcover_table()  # rounded to 0.01 per row
            assert table["NEP (Gg C/yr)"].sum() == pytest.approx(expected["nep"][name], abs=0.005 * len(table) + 1e-9)
        assert sum(expected["nep"]) == pytest.approx(whole["nep_total"], rel=1e-9)  # the districts tile the scene
    finally:
        dash.region = "all"
    assert dash.summary() == whole


def test_region_picker_restricts_the_totals_to_that_districts_zonal_total(dash):
    _check_picker_totals(dash)


def test_the_picked_district_is_highlighted_on_the_maps(dash):
    """Borders of all districts on the three maps, and the picked one's again, thicker, on its own boundary."""
    import holoviews as hv
    import shapely

    from carbontools.apps.dashboard import HIGHLIGHT

    polygons = demo.districts(size=40)
    name = polygons["name"][2]
    assert all(len(pane.object) == 2 for pane in dash.maps().objects)  # image and borders: nothing picked
    dash.region = name
    try:
        for pane in dash.maps().objects:
            image, borders, picked = pane.object.values()
            assert isinstance(image, hv.Image) and isinstance(picked, hv.Path)
            assert picked.opts.get().kwargs["color"] == HIGHLIGHT
            vertices = _finite_rows(picked)
            boundary = polygons.geometry[2].boundary
            assert len(vertices) >= 3
            assert max(boundary.distance(shapely.Point(x, y)) for x, y in vertices) < 1e-6  # metres
            assert len(_finite_rows(borders)) > len(vertices)
    finally:
        dash.region = "all"


def _geographic_scene(size: int = 24):
    """The demo's drivers placed on a latitude/longitude grid (0.0025 degree cells near Guangzhou), with two
    regions (the west and the east half) as polygons in EPSG:4326."""
    import geopandas as gpd
    from shapely.geometry import box

    ds = demo.delta_city(size=size)
    step = 0.0025
    lon = 113.0 + step * (np.arange(size) + 0.5)
    lat = 23.2 - step * (np.arange(size) + 0.5)
    ds = ds.drop_vars("spatial_ref").assign_coords(x=lon, y=lat).rio.write_crs("EPSG:4326")
    ds.attrs.pop("synthetic", None)
    mid = 113.0 + step * size / 2
    regions = gpd.GeoDataFrame({"name": ["west", "east"]}, geometry=[
        box(113.0, 23.2 - step * size, mid, 23.2), box(mid, 23.2 - step * size, 113.0 + step * size, 23.2)],
        crs="EPSG:4326")
    return ds, regions


def test_geographic_drivers_are_mapped_on_real_geography_with_the_picker():
    """Latitude/longitude drivers: the maps are geoviews images in a Lambert conformal conic, they render to
    Bokeh, the picked region is highlighted, and the picker's totals are the zonal totals."""
    import cartopy.crs as ccrs
    import geoviews as gv
    import holoviews as hv

    drivers, regions = _geographic_scene()
    dash = Dashboard(drivers, regions=regions)
    dash.region = "east"
    try:
        for pane in dash.maps().objects:
            image, _, picked = pane.object.values()
            assert isinstance(image, gv.Image) and isinstance(image.crs, ccrs.PlateCarree)
            projection = pane.object.opts.get().kwargs["projection"]
            assert isinstance(projection, ccrs.LambertConformal)
            fig = hv.render(pane.object, backend="bokeh")
            assert [type(r.glyph).__name__ for r in fig.renderers] == ["Image", "MultiLine", "MultiLine"]
            east = regions.to_crs(projection).geometry[1].boundary
            assert max(east.distance(shapely_point(x, y)) for x, y in _finite_rows(picked)) < 1e-6
    finally:
        dash.region = "all"
    _check_picker_totals(dash)


def shapely_point(x, y):
    import shapely

    return shapely.Point(x, y)
