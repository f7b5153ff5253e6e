"""Uncertainty of the reported totals (carbontools.uncertainty; IPCC 2006 Vol. 1 Ch. 3 Approaches 1 and 2).

Expectations come from hand calculations written next to them (Approach 1 on a linear total, the pool
tables' standard errors from their Tier 1 quantities), from analytic quantiles (scipy.stats) of totals that
are linear in one parameter, from an independent code path (pipeline.run + accounting.zonal_totals) and from
carbontools.budget.offset itself.  Sampling tolerances are stated as multiples of the estimators' standard errors.
"""

import json
import math

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy import stats

import carbontools as ct
from carbontools import demo, sensitivity
from carbontools import uncertainty as unc
from carbontools.accounting import annual_totals, zonal_totals
from carbontools.budget import offset
from carbontools.models import storage as st

from .test_storage import projected as projected_grid

SIZE = 24
Z = stats.norm.ppf(0.975)  # 1.95996...


@pytest.fixture(scope="module")
def drivers():
    return demo.delta_city(size=SIZE)


@pytest.fixture(scope="module")
def model(drivers):
    return sensitivity.Model(drivers, by_class=True)


def projected(values):
    """A class map on a projected metre grid of 100 m pixels: 1 ha each."""
    return projected_grid(values, res=100.0)


# three classes with independent normal pool uncertainties (Mg C/ha), each with a source
POOLS = pd.DataFrame({
    "code": [1, 2, 3], "name": ["forest", "grass", "water"],
    "above": [80.0, 3.0, 0.0], "below": [20.0, 5.0, 0.0], "soil": [60.0, 50.0, 0.0], "dead": [10.0, 0.0, 0.0],
    "above_se": [30.0, 1.0, 0.0], "below_se": [8.0, 2.0, 0.0], "soil_se": [25.0, 20.0, 0.0], "dead_se": [4.0, 0.0, 0.0],
    **{f"{p}_se_source": "test value" for p in st.POOLS}})
# a 4 x 5 map: 9 forest, 8 grass, 3 water pixels of 1 ha
MAP = [[1, 1, 1, 2, 2], [1, 1, 1, 2, 2], [1, 1, 1, 2, 2], [2, 2, 3, 3, 3]]


# --- storage: Approach 1 and Monte Carlo must agree on a linear total of independent normals --------

def test_storage_approach1_equals_the_hand_formula_and_monte_carlo_agrees_within_its_sampling_error():
    table = st.read_pools(POOLS, scheme="test")
    landcover = projected(MAP)
    a1 = unc.storage_approach1(landcover, table)
    # by hand: areas 9, 8, 3 ha; densities 170, 58, 0 Mg C/ha -> total 9*170 + 8*58 = 1994 Mg C
    # class se: forest sqrt(30^2 + 8^2 + 25^2 + 4^2) = sqrt(1605), grass sqrt(1 + 4 + 400) = sqrt(405)
    # total se = sqrt((9^2 * 1605) + (8^2 * 405)) = sqrt(155925); half-width = 1.96 x that
    se = math.sqrt(81 * 1605 + 64 * 405)
    total = a1.loc[("all", "all")]
    assert total["storage"] == pytest.approx(1994.0)
    assert total["half_width"] == pytest.approx(Z * se, rel=1e-12)
    assert total["u95_pct"] == pytest.approx(100 * Z * se / 1994.0, rel=1e-12)
    assert a1.loc[("all", "forest"), "half_width"] == pytest.approx(Z * 9 * math.sqrt(1605), rel=1e-12)
    assert total["without_uncertainty_pct"] == 0.0

    n = 200_000
    mc = unc.storage_monte_carlo(landcover, table, n=n, seed=11)
    draws = mc["draws"].sel(region="all", landcover="all").values
    # standard errors of the estimators: mean sigma/sqrt(n); a normal quantile at 2.5 %:
    # sqrt(p (1 - p) / n) / pdf(z) x sigma (about 2.67 sigma / sqrt(n)); 4 of them as tolerance
    q_se = math.sqrt(0.025 * 0.975 / n) / stats.norm.pdf(Z) * se
    assert abs(draws.mean() - 1994.0) < 4 * se / math.sqrt(n)
    half = (np.percentile(draws, 97.5) - np.percentile(draws, 2.5)) / 2
    assert abs(half - total["half_width"]) < 4 * q_se
    table2 = unc.interval_table(mc)
    assert table2.loc[("all", "all"), "high"] - table2.loc[("all", "all"), "low"] == pytest.approx(2 * half)


def test_storage_intervals_by_region_use_each_regions_class_areas():
    table = st.read_pools(POOLS, scheme="test")
    landcover = projected(MAP)
    zones = projected([[1, 1, 2, 2, 2]] * 4)  # region 1: the first two columns, region 2: the last three
    a1 = unc.storage_approach1(landcover, table, zones=zones)
    # region 1: 6 forest + 2 grass ha; region 2: 3 forest, 6 grass, 3 water
    assert a1.loc[("1", "all"), "storage"] == pytest.approx(6 * 170 + 2 * 58)
    assert a1.loc[("2", "all"), "half_width"] == pytest.approx(Z * math.sqrt(9 * 1605 + 36 * 405))
    mc = unc.storage_monte_carlo(landcover, table, zones=zones, n=50)
    # one class density per draw serves every region: the regions add up to the whole in every draw
    np.testing.assert_allclose(mc["draws"].sel(region=["1", "2"], landcover="all").sum("region"),
                               mc["draws"].sel(region="all", landcover="all"))


def test_area_uncertainty_combines_with_the_density_by_eq_3_1():
    table = st.read_pools(POOLS, scheme="test")
    a1 = unc.storage_approach1(projected([[1, 1], [1, 1]]), table, area_u95_pct=10.0)
    # 4 ha of forest: U_density = 100 x 1.96 sqrt(1605) / 170 %; Eq. 3.1: U = sqrt(U_area^2 + U_density^2)
    u_density = 100 * Z * math.sqrt(1605) / 170
    assert a1.loc[("all", "all"), "u95_pct"] == pytest.approx(math.hypot(10.0, u_density), rel=1e-12)


def test_a_table_without_uncertainty_columns_gives_no_interval_and_says_so():
    table = st.read_pools({1: (15, 10, 60, 1), 2: (5, 3, 20, 0)}, scheme="oracle")
    a1 = unc.storage_approach1(projected([[1, 2], [1, 2]]), table)
    assert a1.loc[("all", "all"), "storage"] == pytest.approx(2 * 86 + 2 * 28)
    assert np.isnan(a1.loc[("all", "all"), "half_width"])
    assert "no standard error column" in a1.attrs["note"]
    # the storage functions still read it as before
    np.testing.assert_allclose(st.storage_density(projected([[1, 2], [1, 2]]), table).values, [[86.0, 28.0]] * 2)


def test_pools_with_a_stock_but_no_standard_error_count_as_exact_with_a_warning_and_their_share():
    rows = POOLS.copy()
    rows.loc[1, "soil_se"] = np.nan  # grass soil: no uncertainty at hand
    table = st.read_pools(rows, scheme="test")
    with pytest.warns(UserWarning, match="no standard error"):
        a1 = unc.storage_approach1(projected(MAP), table)
    # grass soil holds 8 ha x 50 = 400 of the 1994 Mg C
    assert a1.loc[("all", "all"), "without_uncertainty_pct"] == pytest.approx(100 * 400 / 1994)
    assert a1.loc[("all", "all"), "half_width"] == pytest.approx(Z * math.sqrt(81 * 1605 + 64 * 5))


# --- the pool tables' uncertainty columns ------------------------------------------------------------

def test_shipped_standard_errors_are_approach1_of_their_tier1_quantities_by_hand():
    t = st.ipcc_pools("clcd", "tropical_moist")  # built afresh from ipcc_tier1_defaults.csv (the shipped file is
    # checked against this by tests/test_storage.py)
    # forest above = AGB 180 x CF 0.47, U(AGB) = (560 - 10) / 2 / 180 = 152.8 %, U(CF) = (0.49 - 0.44) / 2 / 0.47 = 5.3 %
    # (both as rounded in ipcc_tier1_defaults.csv); Eq. 3.1, se = value x U / 100 / 1.96
    assert t.loc[2, "above_se"] == pytest.approx(round(180 * 0.47 * math.hypot(1.528, 0.053) / Z, 1))
    assert t.loc[2, "soil_se"] == pytest.approx(round(47 * 0.90 / Z, 1))  # Table 2.3: +-90 %
    # cropland soil = SOC 47 x F_LU 0.48 (+-46 %, Table 5.5)
    assert t.loc[1, "soil_se"] == pytest.approx(round(47 * 0.48 * math.hypot(0.90, 0.46) / Z, 1))
    assert np.isnan(t.loc[2, "dead_se"])  # litter (Table 2.2): no range at hand, so no interval
    assert "no uncertainty at hand for litter" in t.loc[2, "dead_se_source"]
    for scheme in ("casa", "clcd"):
        for zone in st.ZONES:
            table = st.read_pools(scheme=scheme, zone=zone)
            for pool in st.POOLS:
                se, src = table[f"{pool}_se"], table[f"{pool}_se_source"]
                assert (se.dropna() >= 0).all()
                given = se.notna() & (table[pool] > 0)
                assert src[given].str.contains(r"Approach 1 .*\[(?:checked|unverified)").all(), (scheme, zone, pool)
                assert src[se.isna()].str.startswith("no uncertainty at hand").all()


@pytest.mark.skipif(__import__("importlib").util.find_spec("bonsai_ipcc") is None,
                    reason="bonsai-ipcc not installed (make env installs it with --no-deps)")
def test_soc_uncertainty_equals_bonsai_ipcc_min_and_max_of_table_2_3():
    from importlib import metadata

    dist = metadata.distribution("bonsai-ipcc")
    path = next(f for f in dist.files if str(f).endswith("agriculture/generic/par_soc_ref.csv"))
    ref = pd.read_csv(dist.locate_file(path)).set_index(["climate_zone", "moisture_regime", "soil_type", "property"])
    ref = ref["value"]
    names = {"tropical_moist": ("tropical", "moist"), "warm_temperate_dry": ("temperate-warm", "dry"),
             "cool_temperate_moist": ("temperate-cool", "moist")}
    for zone, (climate, moisture) in names.items():
        ours = st.ipcc_defaults(zone)
        for item, soil in (("soc_lac", "LAC"), ("soc_hac", "HAC"), ("soc_wetland", "wetland")):
            value, u = ours.loc[item, "value"], ours.loc[item, "u95_pct"] / 100
            key = (climate, moisture, soil)
            assert ref[(*key, "min")] == pytest.approx(value * (1 - u)), (zone, item)
            assert ref[(*key, "max")] == pytest.approx(value * (1 + u)), (zone, item)


@pytest.mark.parametrize("change, message", [
    ({"soil_se": [-1.0, 20.0, 0.0]}, r"'soil_se' is negative for class\(es\) \[1\]"),
    ({"above_se": ["lots", 1.0, 0.0]}, r"'above_se' is not a number for class\(es\) \[1\]"),
    ({"below_se_source": ["x", "", "x"]}, r"'below_se' of class\(es\) \[2\] has no source"),
])
def test_bad_uncertainty_columns_are_refused_naming_column_and_class(change, message):
    rows = POOLS.copy()
    for col, values in change.items():
        rows[col] = values
    with pytest.raises(ValueError, match=message):
        st.read_pools(rows, scheme="test")


def test_a_standard_error_column_without_any_source_column_is_refused():
    rows = POOLS.drop(columns=["dead_se_source"])
    with pytest.raises(ValueError, match="add a column 'dead_se_source'"):
        st.read_pools(rows, scheme="test")


# --- Monte Carlo of the model's totals -------------------------------------------------------------

def _independent_totals(drivers, **overrides):
    result = ct.run(drivers, **overrides)
    return {o: float(annual_totals(result[o], unit="Gg C").mean()) for o in ("npp", "rh", "nep")}


def test_percentiles_of_a_total_linear_in_eps_max_match_the_analytic_quantiles(drivers, model):
    base = _independent_totals(drivers)
    n = 200
    r = unc.monte_carlo(model, {"eps_max_scale": ("normal", 1.0, 0.05)}, n=n, seed=3)
    s = r["class_summary"].sel(landcover="all")
    # NPP = k x NPP(k=1) and k ~ N(1, 0.05): the p-quantile of NPP is NPP(1) x (1 + 0.05 z_p)
    k_se = 0.05 * math.sqrt(0.025 * 0.975 / n) / stats.norm.pdf(Z)  # standard error of the sample quantile of k
    for stat, p in (("p2.5", 0.025), ("p97.5", 0.975), ("median", 0.5)):
        expected = base["npp"] * (1 + 0.05 * stats.norm.ppf(p))
        tol = 4 * base["npp"] * (k_se if stat != "median" else 0.05 * math.sqrt(0.25 / n) / stats.norm.pdf(0))
        assert abs(float(s.sel(stat=stat, output="npp")) - expected) < tol, stat
    # Rh does not depend on eps_max: every draw has the default Rh
    np.testing.assert_allclose(r["class_draws"].sel(output="rh", landcover="all"), base["rh"], rtol=1e-5)
    # and each class's NPP moves by the same factor in each draw
    ratio = r["class_draws"].sel(output="npp") / r["class_draws"].sel(output="npp", landcover="all")
    np.testing.assert_allclose(ratio.isel(draw=0), ratio.isel(draw=-1), rtol=1e-6)


def test_uniform_default_over_the_soft_range_gives_uniform_quantiles(model):
    n = 4000
    k = unc.draw_parameters(model, params=["eps_max_scale"], n=n, seed=5)
    assert "soft range" in k.attrs["sampled"]["eps_max_scale"]
    k = k["eps_max_scale"].to_numpy()
    lo, hi = sensitivity.EPS_MAX_SCALE_SOFT
    assert k.min() >= lo and k.max() <= hi
    # the p-quantile of U(0.8, 1.2) is 0.8 + p x 0.4; its sample standard error 0.4 sqrt(p (1 - p) / n)
    for p in (0.025, 0.5, 0.975):
        assert abs(np.quantile(k, p) - (lo + p * (hi - lo))) < 4 * (hi - lo) * math.sqrt(p * (1 - p) / n)
    # +-relative of the default instead
    r = unc.draw_parameters(model, params=["het_share"], relative=0.1, n=50, seed=5)
    assert r["het_share"].between(0.465 * 0.9, 0.465 * 1.1).all() and "+-0.1 of the default" in r.attrs["sampled"]["het_share"]
    # and the model's NPP in each draw is the default's times the draw's factor (NPP is linear in eps_max)
    mc = unc.monte_carlo(model, params=["eps_max_scale"], n=8, seed=5)
    base = float(model.totals({}).sel(output="npp", landcover="all"))
    k = mc["parameters"].sel(parameter="eps_max_scale").values
    np.testing.assert_allclose(mc["class_draws"].sel(output="npp", landcover="all"), base * k, rtol=1e-6)


def test_region_totals_of_a_draw_equal_zonal_totals_of_a_full_run(drivers):
    zones = demo.districts(size=SIZE)
    r = unc.monte_carlo(drivers, {"b": ("uniform", 0.08, 0.1)}, n=2, seed=0, zones=zones, by_class=False)
    b = float(r["parameters"].sel(parameter="b", draw=1))
    run = ct.run(drivers, b=b)
    years = len(np.unique(run["time"].dt.year))
    expected = zonal_totals(run["nep"], zones, unit="Gg C")["total"] / years  # the period's total -> per year
    got = r["region_draws"].sel(output="nep", draw=1).to_series()
    for name, total in expected.items():
        assert got[str(name)] == pytest.approx(total, rel=1e-4, abs=1e-6), name
    assert got["all"] == pytest.approx(_independent_totals(drivers, b=b)["nep"], rel=1e-5)


def test_the_same_seed_gives_the_same_draws_and_another_seed_others(model):
    spec = {"eps_max_scale": ("triangular", 0.8, 1.0, 1.2)}
    a = unc.monte_carlo(model, spec, n=5, seed=42)
    b = unc.monte_carlo(model, spec, n=5, seed=42)
    c = unc.monte_carlo(model, spec, n=5, seed=43)
    xr.testing.assert_identical(a, b)
    assert not np.allclose(a["parameters"], c["parameters"])
    assert a.attrs["seed"] == 42 and a.attrs["n"] == 5
    s1 = unc.storage_monte_carlo(projected(MAP), st.read_pools(POOLS, scheme="test"), n=10, seed=1)
    s2 = unc.storage_monte_carlo(projected(MAP), st.read_pools(POOLS, scheme="test"), n=10, seed=1)
    xr.testing.assert_identical(s1, s2)


def test_lognormal_draws_have_the_given_mean_and_sd(model):
    draws = unc.draw_parameters(model, {"eps_max_scale": ("lognormal", 1.0, 0.1)}, n=20000, seed=0)["eps_max_scale"]
    assert draws.min() > 0
    assert draws.mean() == pytest.approx(1.0, abs=4 * 0.1 / math.sqrt(20000))
    assert draws.std() == pytest.approx(0.1, rel=0.05)


@pytest.mark.parametrize("kwargs, message", [
    ({"distributions": {"q11": ("normal", 2, 0.2)}}, "unknown parameter 'q11'"),
    ({"distributions": {"eps_max_scale": ("uniform", -0.5, 1.2)}}, "outside the parameter's bounds"),
    ({"distributions": {"eps_max_scale": ("normal", 0.1, 0.2)}}, r"% of its mass outside the parameter's bounds"),
    ({"distributions": {"eps_max_scale": ("gamma", 2, 1)}}, "unknown distribution 'gamma'"),
    ({"distributions": {"eps_max_scale": ("normal", 1.0)}}, r"normal takes 2 numbers \(mean, sd\)"),
    ({"distributions": {"eps_max_scale": ("normal", 1.0, 0.0)}}, "needs sd > 0"),
    ({"distributions": {"eps_max_scale": ("uniform", 0.8, 1.2)}, "n": 1}, "n >= 2"),
    ({}, "give distributions="),
])
def test_bad_monte_carlo_input_gives_a_clear_error(model, kwargs, message):
    kwargs = {"n": 3, **kwargs}
    with pytest.raises(ValueError, match=message):
        unc.monte_carlo(model, kwargs.pop("distributions", None), **kwargs)


def test_bad_storage_monte_carlo_input():
    table = st.read_pools(POOLS, scheme="test")
    with pytest.raises(ValueError, match="n >= 2"):
        unc.storage_monte_carlo(projected(MAP), table, n=1)
    with pytest.raises(ValueError, match="'normal' or 'lognormal'"):
        unc.storage_monte_carlo(projected(MAP), table, distribution="beta")
    with pytest.raises(ValueError, match=r"class code\(s\) \[7\]"):
        unc.storage_approach1(projected([[7, 7], [7, 7]]), table)


# --- the dashboard's call ------------------------------------------------------------------------

def test_nep_interval_gives_a_row_per_region_with_mean_inside_its_interval(drivers):
    zones = demo.districts(size=SIZE)
    t = unc.nep_interval(drivers, zones=zones, n=20, sample_pixels=200)
    assert list(t.index) == ["all", *map(str, zones["name"])]
    assert (t["low"] <= t["mean"]).all() and (t["mean"] <= t["high"]).all()
    assert (t["high"] > t["low"]).all()
    assert "200 random mapped pixels" in t.attrs["spatial_sample"]
    assert set(json.loads(t.attrs["sampled"])) == {"eps_max_scale", "a", "b", "c", "het_share"}
    # without a sample (the region has fewer pixels than asked) the mean of 'all' is the Monte Carlo's
    full = unc.nep_interval(drivers, n=20, sample_pixels=10**6)
    assert "every pixel" in full.attrs["spatial_sample"]
    assert list(full.index) == ["all"]


# --- offsets ---------------------------------------------------------------------------------------

def test_offset_interval_goes_through_budget_offset_and_matches_approach1_for_small_uncertainties():
    n = 200_000
    t = unc.offset_interval(1000.0, 4000.0, sequestration_u95_pct=5.0, emissions_u95_pct=5.0, basis="C",
                            sequestration_unit="t C yr-1", emissions_unit="t C yr-1", n=n, seed=2)
    central = offset(1000.0, 4000.0, basis="C", sequestration_unit="t C yr-1", emissions_unit="t C yr-1")
    assert t.loc["offset_ratio", "estimate"] == central["offset_ratio"] == 0.25
    assert t.loc["net_balance", "estimate"] == central["net_balance"] == 3000.0
    # Eq. 3.1 for the quotient: sqrt(5^2 + 5^2) = 7.07 %; the MC interval of a ratio of two +-5 % normals
    # agrees to first order (its half-width within 2 % of it, relative)
    assert t.loc["offset_ratio", "approach1_u95_pct"] == pytest.approx(math.hypot(5, 5))
    mc_u = 100 * (t.loc["offset_ratio", "high"] - t.loc["offset_ratio", "low"]) / 2 / 0.25
    assert mc_u == pytest.approx(math.hypot(5, 5), rel=0.02)
    # the balance is linear: Eq. 3.2, sqrt((5 x 1000)^2 + (5 x 4000)^2) / 3000 %, and the MC agrees to its sampling error
    u_bal = math.hypot(5 * 1000, 5 * 4000) / 3000
    assert t.loc["net_balance", "approach1_u95_pct"] == pytest.approx(u_bal)
    sd = 3000 * u_bal / 100 / Z
    half = (t.loc["net_balance", "high"] - t.loc["net_balance", "low"]) / 2
    assert abs(half - Z * sd) < 4 * math.sqrt(0.025 * 0.975 / n) / stats.norm.pdf(Z) * sd
    assert t.loc["offset_ratio", "unit"] == "1" and t.loc["net_balance", "unit"] == "t C yr-1"


def test_offset_interval_takes_monte_carlo_draws_of_the_sequestration(model):
    r = unc.monte_carlo(model, {"eps_max_scale": ("uniform", 0.9, 1.1)}, n=50, seed=0)
    nep = r["class_draws"].sel(output="nep", landcover="all")
    t = unc.offset_interval(nep, 20.0, emissions_u95_pct=10.0, basis="C", emissions_unit="Gg C yr-1")
    # sequestration in Gg C yr-1 -> t C yr-1 (x 1000), its draws as given
    assert t.loc["sequestration", "mean"] == pytest.approx(1000 * float(nep.mean()))
    assert t.attrs["n"] == 50
    with pytest.raises(ValueError, match="drop sequestration_u95_pct"):
        unc.offset_interval(nep, 20.0, emissions_u95_pct=10.0, sequestration_u95_pct=5.0, basis="C",
                            emissions_unit="Gg C yr-1")
    with pytest.raises(ValueError, match="emissions_u95_pct"):
        unc.offset_interval(1.0, 2.0, emissions_u95_pct=-1.0, sequestration_u95_pct=1.0,
                            sequestration_unit="t C", emissions_unit="t C")
