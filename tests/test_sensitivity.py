"""Sensitivity analysis (carbontools.sensitivity): sweeps, Morris and Sobol through SALib.

Expectations come from analytic values (NPP linear in eps_max; the Ishigami function's Sobol indices; the
elementary effects of a linear function), from independent code paths (accounting.annual_totals on
pipeline.run), or from the model's structure (Rh has no CASA parameter, CASA no Rh parameter).
"""

import numpy as np
import pytest

import carbontools as ct
from carbontools import demo, sensitivity
from carbontools.accounting import annual_totals

SIZE = 24


@pytest.fixture(scope="module")
def drivers():
    return demo.delta_city(size=SIZE)


@pytest.fixture(scope="module")
def model(drivers):
    return sensitivity.Model(drivers)


def _independent_totals(drivers, **overrides):
    """Mean annual regional totals (Gg C yr-1) from pipeline.run's monthly fields by accounting.annual_totals."""
    result = ct.run(drivers, **overrides)
    return {o: float(annual_totals(result[o], unit="Gg C").mean()) for o in ("npp", "rh", "nep")}


# --- sweeps -------------------------------------------------------------------------------------

def test_eps_max_scale_sweep_scales_npp_exactly_linearly_and_leaves_rh_unchanged(drivers):
    scales = [0.5, 0.8, 1.0, 1.2, 1.5]
    s = sensitivity.sweep(drivers, eps_max_scale=scales, by_class=True)["by_eps_max_scale"]
    base = s.sel(eps_max_scale=1.0)
    for k in scales:
        np.testing.assert_allclose(s.sel(eps_max_scale=k, output="npp"), k * base.sel(output="npp"), rtol=1e-6)
        np.testing.assert_array_equal(s.sel(eps_max_scale=k, output="rh"), base.sel(output="rh"))
        # NEP = NPP - Rh, so it moves by (k - 1) NPP
        np.testing.assert_allclose(s.sel(eps_max_scale=k, output="nep"),
                                   base.sel(output="nep") + (k - 1) * base.sel(output="npp"), rtol=1e-6, atol=1e-9)
    assert base.sel(output="npp", landcover="all") > 0


def test_sweep_totals_equal_accounting_annual_totals_of_full_runs(drivers):
    s = sensitivity.sweep(drivers, eps_max_4=[0.5], b=[0.08])
    assert s.attrs["units"] == "Gg C yr-1"
    cases = {("by_eps_max_4", "eps_max_4", 0.5): {"eps_max": {4: 0.5}}, ("by_b", "b", 0.08): {"b": 0.08}}
    for (var, dim, value), overrides in cases.items():
        expected = _independent_totals(drivers, **overrides)
        for output, total in expected.items():
            assert float(s[var].sel({dim: value, "output": output})) == pytest.approx(total, rel=1e-5)
    for output, total in _independent_totals(drivers).items():
        assert float(s["base"].sel(output=output)) == pytest.approx(total, rel=1e-5)


def test_each_side_is_computed_only_when_its_parameters_change(drivers):
    m = sensitivity.Model(drivers)
    sensitivity.sweep(m, b=[0.08, 0.09, 0.1], a=[0.2, 0.3])  # Rh parameters: one CASA run
    assert len(m._casa) == 1 and len(m._rh) == 1 + 5
    sensitivity.sweep(m, eps_max_scale=[0.9, 1.1])  # eps_max alone: the CASA factors are reused
    assert len(m._casa) == 1 and len(m._rh) == 6
    sensitivity.sweep(m, te2_c=[1.1])
    assert len(m._casa) == 2


def test_sweep_table_is_tidy_with_the_change_from_the_base(drivers):
    table = sensitivity.sweep_table(sensitivity.sweep(drivers, eps_max_scale=[0.8, 1.2], by_class=True))
    assert {"parameter", "value", "output", "landcover", "total", "base", "change_pct", "unit"} <= set(table.columns)
    npp = table.query("output == 'npp' and landcover == 'all'").set_index("value")["change_pct"]
    assert npp.loc[0.8] == pytest.approx(-20.0) and npp.loc[1.2] == pytest.approx(20.0)
    rh = table.query("output == 'rh'")
    assert (rh.query("base != 0")["change_pct"].abs() < 1e-9).all()
    assert rh.query("base == 0")["change_pct"].isna().all()  # water: no Rh, no relative change
    assert set(table["landcover"]) >= {"all", "mixed forest"}


def test_a_sample_of_every_mapped_pixel_gives_the_full_grid_totals(drivers, model):
    mapped = int(model.prep.landcover.notnull().sum())
    full = model.totals({})
    every = sensitivity.Model(drivers, sample_pixels=mapped, seed=3)
    np.testing.assert_allclose(every.totals({}), full, rtol=1e-9)
    some = sensitivity.Model(drivers, sample_pixels=50, seed=3)
    assert some.prep.landcover.size == 50
    assert "50 random mapped pixels (seed 3)" in some.spatial_sample
    assert "every pixel" in model.spatial_sample


# --- SALib wrappers on functions with known indices ---------------------------------------------

A, B = 7.0, 0.1


def ishigami(X):
    """f = sin x1 + a sin^2 x2 + b x3^4 sin x1 on [-pi, pi]^3 (Ishigami & Homma 1990)."""
    return np.sin(X[:, 0]) + A * np.sin(X[:, 1]) ** 2 + B * X[:, 2] ** 4 * np.sin(X[:, 0])


def ishigami_indices(a=A, b=B):
    """Analytic Sobol indices (Sobol' & Levitan 1999; Saltelli et al. 2008, Global Sensitivity Analysis, 4.6):

    V = a^2/8 + b pi^4/5 + b^2 pi^8/18 + 1/2, V1 = (1 + b pi^4/5)^2 / 2, V2 = a^2/8, V3 = 0,
    V13 = 8 b^2 pi^8/225 (the only interaction), so ST1 = (V1 + V13)/V, ST2 = S1_2, ST3 = V13/V.
    """
    pi = np.pi
    v = a**2 / 8 + b * pi**4 / 5 + b**2 * pi**8 / 18 + 0.5
    v1, v2, v13 = 0.5 * (1 + b * pi**4 / 5) ** 2, a**2 / 8, 8 * b**2 * pi**8 / 225
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v


def test_the_analytic_ishigami_indices_are_the_published_ones():
    s1, st = ishigami_indices()
    np.testing.assert_allclose(s1, [0.3139, 0.4424, 0.0], atol=5e-5)
    np.testing.assert_allclose(st, [0.5576, 0.4424, 0.2437], atol=5e-5)


def test_sobol_indices_of_the_ishigami_function_match_the_analytic_ones_within_their_confidence():
    bounds = [(-np.pi, np.pi)] * 3
    r = sensitivity.sobol_indices(ishigami, ["x1", "x2", "x3"], bounds, n=4096, seed=1)
    s1, st = ishigami_indices()
    got = r.squeeze("output")
    assert r.attrs["evaluations"] == 4096 * 5 and r.attrs["conf_level"] == 0.95
    for name, analytic in (("S1", s1), ("ST", st)):
        conf = got[f"{name}_conf"].values
        assert (conf > 0).all() and (conf < 0.05).all()  # the interval is informative
        assert (np.abs(got[name].values - analytic) <= conf).all(), (name, got[name].values, analytic, conf)


def test_morris_ranks_an_input_that_does_nothing_last_with_mu_star_zero():
    # y = 3 x1 + x2^2 (x3 unused) on [0, 1]^3: every elementary effect of x1 is 3 exactly (linear),
    # x2's lie between 0 and 2 ((x+d)^2 - x^2)/d = 2x + d), x3's are 0
    def f(X):
        return 3 * X[:, 0] + X[:, 1] ** 2 + 0 * X[:, 2]

    r = sensitivity.morris_indices(f, ["x1", "x2", "x3"], [(0, 1)] * 3, trajectories=20, seed=2).squeeze("output")
    order = r["mu_star"].to_series().sort_values(ascending=False).index.tolist()
    assert order == ["x1", "x2", "x3"]
    assert float(r["mu_star"].sel(parameter="x3")) == pytest.approx(0.0, abs=1e-12)
    assert float(r["mu_star"].sel(parameter="x1")) == pytest.approx(3.0)
    assert float(r["sigma"].sel(parameter="x1")) == pytest.approx(0.0, abs=1e-9)
    assert 0 < float(r["mu_star"].sel(parameter="x2")) < 2


def test_convergence_stacks_analyses_over_sample_sizes_and_the_intervals_shrink():
    c = sensitivity.convergence(sensitivity.sobol_indices, [64, 2048], ishigami, ["x1", "x2", "x3"],
                                [(-np.pi, np.pi)] * 3, seed=0)
    assert list(c["n"].values) == [64, 2048]
    conf = c["ST_conf"].squeeze("output")
    assert (conf.sel(n=2048) < conf.sel(n=64)).all()


# --- global analyses of the model ---------------------------------------------------------------

def test_sobol_on_the_demo_gives_indices_with_intervals_and_respects_which_side_a_parameter_is_on(model):
    r = sensitivity.sobol(model, ["eps_max_scale", "b", "te2_c"], n=16, seed=0, ranges={"b": (0.08, 0.1)})
    assert r["S1"].dims == ("parameter", "output") and r.attrs["evaluations"] == 16 * 5
    for name in ("S1", "ST"):
        assert ((r[name] > -0.2) & (r[name] < 1.2)).all()
        assert (r[f"{name}_conf"] >= 0).all()
    # Rh depends on no CASA parameter and NPP on no Rh parameter: exactly zero there
    assert float(r["ST"].sel(parameter="eps_max_scale", output="rh")) == 0.0
    assert float(r["ST"].sel(parameter="b", output="npp")) == 0.0
    # NPP varies with eps_max_scale and te2_c only, Rh with b only
    assert float(r["ST"].sel(parameter="b", output="rh")) == pytest.approx(1.0, abs=0.1)
    assert r.attrs["ranges"] == '{"eps_max_scale": [0.8, 1.2], "b": [0.08, 0.1], "te2_c": [1.0, 1.3]}'
    assert r.attrs["output_units"] == "Gg C yr-1" and "every pixel" in r.attrs["spatial_sample"]


def test_morris_on_the_demo_per_class_with_a_spatial_sample(drivers):
    r = sensitivity.morris(drivers, ["eps_max_scale", "b"], trajectories=3, by_class=True, sample_pixels=60,
                           seed=1, ranges={"b": (0.08, 0.1)})
    assert set(r["mu_star"].dims) == {"parameter", "output", "landcover"}
    assert "60 random mapped pixels (seed 1)" in r.attrs["spatial_sample"]
    assert float(r["mu_star"].sel(parameter="b", output="npp", landcover="all")) == 0.0
    assert float(r["mu_star"].sel(parameter="eps_max_scale", output="npp", landcover="all")) > 0


def test_relative_ranges_are_a_share_of_the_default_clipped_to_the_bounds(model):
    ranges = sensitivity._ranges(model, ["b", "eps_max_scale", "fpar_max"], None, 0.1)
    assert ranges == [pytest.approx((0.08208, 0.10032)), pytest.approx((0.9, 1.1)), pytest.approx((0.855, 1.0))]


# --- bad input ----------------------------------------------------------------------------------

def test_unknown_parameter_lists_the_known_ones_and_suggests_the_nearest(drivers):
    with pytest.raises(ValueError, match=r"unknown parameter 'eps_max_scle'.*did you mean 'eps_max_scale'\?"
                                         r".*Known parameters: .*te2_c"):
        sensitivity.sweep(drivers, eps_max_scle=[1.0])


def test_a_parameter_of_another_rh_model_says_which_model_has_it(drivers):
    with pytest.raises(ValueError, match=r"'q10' .*Rh model 'pei2009'.*pass rh='q10'"):
        sensitivity.sweep(drivers, q10=[2.0])
    assert "q10" in sensitivity.sweep(drivers, rh="q10", q10=[2.0, 3.0]).attrs["swept"]


def test_a_value_outside_its_bounds_names_the_bounds(drivers):
    with pytest.raises(ValueError, match=r"b = 0.5 is outside its bounds \[0, 0.3\] \(degC-1\)"):
        sensitivity.sweep(drivers, b=[0.1, 0.5])
    with pytest.raises(ValueError, match=r"te2_c = 0.5 is outside its bounds \[1, 1.3\]"):
        sensitivity.sobol(drivers, ["te2_c"], ranges={"te2_c": (0.5, 1.2)})


def test_a_global_analysis_of_a_parameter_without_bounds_asks_for_a_range(model):
    with pytest.raises(ValueError, match=r"te1_a has no bounds .*ranges=\{'te1_a': \(low, high\)\}"):
        sensitivity.sobol(model, ["te1_a"])


# --- plots ----------------------------------------------------------------------------------------

def test_tornado_puts_the_widest_swing_on_top_with_the_changes_from_the_base(drivers):
    import holoviews as hv

    from carbontools import plots

    hv.extension("bokeh")

    s = sensitivity.sweep(drivers, eps_max_scale=[0.8, 1.2], het_share=[0.4, 0.5])
    chart = plots.tornado_plot(s, output="npp")
    low, high = chart.values()
    # NPP: eps_max_scale moves it by -20 % / +20 % of the base, het_share (an Rh parameter) not at all
    npp = float(s["base"].sel(output="npp"))
    assert list(high.dimension_values("parameter")) == ["het_share", "eps_max_scale"]  # widest last: on top
    np.testing.assert_allclose(low.dimension_values("change"), [0.0, -0.2 * npp], atol=1e-9 * npp)
    np.testing.assert_allclose(high.dimension_values("change"), [0.0, 0.2 * npp], atol=1e-9 * npp)
    fig = hv.render(chart)
    # the legend stands right of the bars (bottom_right inside the frame covered the lowest rows' bars)
    assert [type(m).__name__ for m in fig.right] == ["Legend"]


def test_morris_and_sobol_plots_draw_every_parameter_with_its_interval():
    import holoviews as hv

    from carbontools import plots

    hv.extension("bokeh")

    def f(X):
        return np.stack([3 * X[:, 0] + X[:, 1] ** 2, X[:, 1]], axis=1)

    coords = {"output": ["nep", "npp"]}
    m = sensitivity.morris_indices(f, ["x1", "x2", "x3"], [(0, 1)] * 3, trajectories=8, output_coords=coords)
    scatter = plots.morris_plot(m, output="nep")
    points = scatter.Points.I
    np.testing.assert_allclose(points.dimension_values("mu_star"), m["mu_star"].sel(output="nep").values)
    hv.render(scatter)
    s = sensitivity.sobol_indices(f, ["x1", "x2", "x3"], [(0, 1)] * 3, n=64, output_coords=coords)
    layout = plots.sobol_plot(s, output="npp")
    st = layout.values()[1].Bars.I
    # npp = x2 alone: ST(x2) is the largest and comes first
    assert list(st.dimension_values("parameter"))[0] == "x2"
    np.testing.assert_allclose(st.dimension_values("conf"), s["ST_conf"].sel(output="npp", parameter=list(
        st.dimension_values("parameter"))).values)
    hv.render(layout)
