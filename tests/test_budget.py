"""Offsets and green-space budgets (SCIENCE.md section 4): hand calculations with 1 t C = 44/12 t CO2,
explicit bases and units, and bad input that must not become a silent zero."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from carbontools import budget
from carbontools.budget import CO2_PER_C, green_space_budget, offset, parse_unit, read_management_factors


def test_co2_per_c_is_44_over_12():
    assert CO2_PER_C == pytest.approx(3.666666666666667)


# --- offset ratio and net balance ---------------------------------------------------------------

def test_offset_on_a_carbon_basis_by_hand():
    # 10 t C sequestered against 73.3333 t CO2 emitted = 73.3333 x 12/44 = 20 t C
    out = offset(10.0, 220 / 3, basis="C", sequestration_unit="t C yr-1", emissions_unit="t CO2 yr-1")
    assert out["emissions"] == pytest.approx(20.0)
    assert out["offset_ratio"] == pytest.approx(0.5)
    assert out["net_balance"] == pytest.approx(10.0)  # 20 - 10 t C left over
    assert out["units"] == "t C yr-1" and out["basis"] == "C"


def test_offset_on_a_co2_basis_by_hand():
    # the same: 10 t C = 36.667 t CO2 against 73.333 t CO2
    out = offset(10.0, 220 / 3, basis="CO2", sequestration_unit="t C yr-1", emissions_unit="t CO2 yr-1")
    assert out["sequestration"] == pytest.approx(10 * 44 / 12)
    assert out["offset_ratio"] == pytest.approx(0.5)  # the ratio does not depend on the basis
    assert out["net_balance"] == pytest.approx(220 / 3 - 110 / 3)  # 36.667 t CO2
    assert out["units"] == "t CO2 yr-1"


def test_offset_converts_mass_prefixes():
    # 2 Gg C = 2000 t C = 7333.3 t CO2; emissions 1 Mt CO2e = 1e6 t CO2e
    out = offset(2.0, 1.0, basis="CO2", sequestration_unit="Gg C", emissions_unit="Mt CO2e")
    assert out["sequestration"] == pytest.approx(2000 * 44 / 12)
    assert out["emissions"] == pytest.approx(1e6)
    assert out["offset_ratio"] == pytest.approx(2000 * 44 / 12 / 1e6)
    assert out["units"] == "t CO2e"  # an equivalent went in, the label says so


def test_offset_keeps_the_equivalent_label_on_the_carbon_basis():
    """1 Mt CO2e on the C basis is 1e6 x 12/44 = 272,727 t of carbon-equivalent, labelled so (was plain 't C')."""
    out = offset(2.0, 1.0, basis="C", sequestration_unit="Gg C", emissions_unit="Mt CO2e")
    assert out["emissions"] == pytest.approx(1e6 * 12 / 44)
    assert out["units"] == "t C-eq" and "equivalent" in out["equivalent"]
    assert parse_unit(out["units"]).equivalent and parse_unit(out["units"]).basis == "C"
    table = offset(pd.Series({"a": 2.0}), pd.Series({"a": 1.0}), basis="C", sequestration_unit="Gg C yr-1",
                   emissions_unit="Mt CO2e yr-1")
    assert table.attrs["units"] == "t C-eq yr-1"
    plain = offset(2.0, 1.0, basis="C", sequestration_unit="Gg C", emissions_unit="Mt CO2")
    assert plain["units"] == "t C" and "equivalent" not in plain


def test_net_balance_sign():
    sink = offset(30.0, 10.0, basis="C", sequestration_unit="t C", emissions_unit="t C")
    assert sink["net_balance"] == pytest.approx(-20.0)  # more removed than emitted: negative
    assert sink["offset_ratio"] == pytest.approx(3.0)
    source = offset(-5.0, 10.0, basis="C", sequestration_unit="t C", emissions_unit="t C")
    assert source["net_balance"] == pytest.approx(15.0)  # land that emits adds to the balance
    assert "source" in source["note"]


def test_zero_emissions_give_infinity_with_a_note():
    out = offset(5.0, 0.0, basis="C", sequestration_unit="t C", emissions_unit="t C")
    assert out["offset_ratio"] == np.inf and "zero" in out["note"]
    both = offset(0.0, 0.0, basis="C", sequestration_unit="t C", emissions_unit="t C")
    assert np.isnan(both["offset_ratio"]) and "undefined" in both["note"]


def test_units_from_attrs():
    s = pd.Series({"north": 1.0, "south": 2.0})
    s.attrs["units"] = "Gg C yr-1"
    e = pd.Series({"north": 3.0, "south": 4.0})
    e.attrs["units"] = "Gg CO2 yr-1"
    table = offset(s, e, basis="CO2")
    # north: 1 Gg C = 1000 t C = 3666.7 t CO2 against 3000 t CO2
    assert table.loc["north", "sequestration"] == pytest.approx(1000 * 44 / 12)
    assert table.loc["north", "offset_ratio"] == pytest.approx(1000 * 44 / 12 / 3000)
    assert table.attrs["units"] == "t CO2 yr-1"
    with pytest.raises(ValueError, match="disagree"):
        offset(s, e, basis="CO2", sequestration_unit="t C yr-1")


def test_mismatched_region_tables_keep_every_region():
    s = pd.Series({"Old Town": 1.0, "Riverside": 2.0})
    e = pd.Series({"Riverside": 4.0, "New Town": 8.0})
    table = offset(s, e, basis="C", sequestration_unit="t C", emissions_unit="t C")
    assert list(table.index) == ["Old Town", "Riverside", "New Town"]
    assert np.isnan(table.loc["Old Town", "emissions"]) and np.isnan(table.loc["Old Town", "offset_ratio"])
    assert "no emissions value" in table.loc["Old Town", "note"]
    assert np.isnan(table.loc["New Town", "sequestration"]) and np.isnan(table.loc["New Town", "net_balance"])
    assert "no sequestration value" in table.loc["New Town", "note"]
    assert table.loc["Riverside", "offset_ratio"] == pytest.approx(0.5)
    assert table.loc["Riverside", "net_balance"] == pytest.approx(2.0)


def test_offset_of_rasters_on_one_grid():
    coords = {"y": [15.0, 5.0], "x": [5.0, 15.0]}  # 10 m cells: 100 m2
    seq = xr.DataArray([[100.0, 100.0], [100.0, -100.0]], dims=("y", "x"), coords=coords,
                       attrs={"units": "g C m-2 yr-1"}).rio.write_crs("EPSG:32649")
    emi = xr.DataArray([[0.22 / 3, 0.0], [0.22 / 3, 0.22 / 3]], dims=("y", "x"), coords=coords,
                       attrs={"units": "t CO2 yr-1"}).rio.write_crs("EPSG:32649")
    ds = offset(seq, emi, basis="CO2")
    # a cell: 100 g C m-2 x 100 m2 = 0.01 t C = 0.0367 t CO2, against 0.0733 t CO2 -> ratio 0.5
    assert float(ds["sequestration"][0, 0]) == pytest.approx(0.01 * 44 / 12)
    assert float(ds["offset_ratio"][0, 0]) == pytest.approx(0.5)
    assert float(ds["offset_ratio"][0, 1]) == np.inf
    assert float(ds["net_balance"][1, 1]) == pytest.approx(0.22 / 3 + 0.01 * 44 / 12)
    assert ds.attrs["total_offset_ratio"] == pytest.approx((2 * 0.01 * 44 / 12) / (3 * 0.22 / 3))
    assert "zero emissions" in ds.attrs["note"]
    shifted = emi.assign_coords(x=[105.0, 115.0])
    with pytest.raises(ValueError, match="different 'x'"):
        offset(seq, shifted, basis="CO2")


def test_offset_bad_input():
    with pytest.raises(ValueError, match=r"\('C', 'CO2'\)"):
        offset(1.0, 1.0, basis="CO2e", sequestration_unit="t C", emissions_unit="t C")
    with pytest.raises(ValueError, match="cannot read"):
        offset(1.0, 1.0, basis="C", sequestration_unit="tonnes carbon", emissions_unit="t C")
    with pytest.raises(ValueError, match="no unit"):
        offset(1.0, 1.0, basis="C", emissions_unit="t C")
    with pytest.raises(ValueError, match="same period"):
        offset(1.0, 1.0, basis="C", sequestration_unit="t C yr-1", emissions_unit="t C")
    with pytest.raises(ValueError, match="per area"):
        offset(1.0, 1.0, basis="C", sequestration_unit="g C m-2 yr-1", emissions_unit="t C yr-1")
    with pytest.raises(TypeError, match="both as numbers"):
        offset(pd.Series({"a": 1.0}), 1.0, basis="C", sequestration_unit="t C", emissions_unit="t C")
    with pytest.raises(ValueError, match="no regions"):
        offset(pd.Series(dtype=float), pd.Series({"a": 1.0}), basis="C", sequestration_unit="t C",
               emissions_unit="t C")
    with pytest.raises(ValueError, match="more than once"):
        offset(pd.Series([1.0, 2.0], index=["a", "a"]), pd.Series({"a": 1.0}), basis="C", sequestration_unit="t C",
               emissions_unit="t C")


def test_parse_unit():
    u = parse_unit("Mg C ha-1 yr-1")
    assert (u.grams, u.basis, u.area_m2, u.per_year) == (1e6, "C", 1e4, True)
    assert parse_unit("tCO2e").basis == "CO2" and parse_unit("tCO2e").equivalent
    assert parse_unit("kg CE").to_grams_basis("CO2") == pytest.approx(1000 * 44 / 12)
    with pytest.raises(ValueError, match="repeated"):
        parse_unit("t C yr-1 yr-1")


# --- green-space life-cycle budget --------------------------------------------------------------

FACTORS = pd.DataFrame({
    "class": ["lawn", "lawn", "lawn", "trees", "trees"],
    "activity": ["mowing", "fertiliser", "irrigation", "pruning", "mowing"],
    "kg_CO2e_per_m2_yr": [0.1, 0.05, 0.05, 0.02, 0.0],
})


def test_green_space_budget_by_hand():
    table = green_space_budget({"lawn": 1000.0, "trees": 2000.0}, {"lawn": 120.0, "trees": 300.0}, FACTORS,
                               construction={"lawn": 2.0, "trees": 5.0}, lifetime_years=50)
    # lawn: 120 g C m-2 yr-1 x 1000 m2 = 120 kg C = 440 kg CO2 = 0.44 t CO2 yr-1
    lawn = table.loc["lawn"]
    assert lawn["sequestration"] == pytest.approx(0.44)
    assert lawn["mowing"] == pytest.approx(0.1)  # 0.1 kg x 1000 m2 = 100 kg
    assert lawn["management"] == pytest.approx(0.2)  # (0.1 + 0.05 + 0.05) x 1000 = 200 kg
    assert lawn["construction_amortised"] == pytest.approx(0.04)  # 2 kg x 1000 m2 / 50 yr = 40 kg
    assert lawn["net"] == pytest.approx(0.44 - 0.2 - 0.04)
    assert np.isnan(lawn["pruning"])  # not listed for lawns: shown as missing, not as a zero
    # trees: 300 x 2000 = 600 kg C = 2.2 t CO2; management 0.02 x 2000 = 40 kg; construction 5 x 2000 / 50 = 200 kg
    trees = table.loc["trees"]
    assert trees["net"] == pytest.approx(2.2 - 0.04 - 0.2)
    assert table.loc["total", "net"] == pytest.approx(lawn["net"] + trees["net"])
    assert table.loc["total", "area_m2"] == pytest.approx(3000.0)
    assert table.attrs["units"] == "t CO2e yr-1"


def test_green_space_budget_on_a_carbon_basis_and_other_units():
    co2 = green_space_budget({"lawn": 0.1}, 1.2, FACTORS, area_unit="ha", sequestration_unit="t C ha-1 yr-1")
    # 1.2 t C ha-1 yr-1 = 120 g C m-2 yr-1; 0.1 ha = 1000 m2: the lawn of the hand calculation, no construction
    assert co2.loc["lawn", "sequestration"] == pytest.approx(0.44)
    assert co2.loc["lawn", "net"] == pytest.approx(0.44 - 0.2)
    c = green_space_budget({"lawn": 1000.0}, 120.0, FACTORS, basis="C")
    assert c.loc["lawn", "sequestration"] == pytest.approx(0.12)  # t C yr-1
    assert c.loc["lawn", "management"] == pytest.approx(0.2 * 12 / 44)
    assert c.attrs["units"].startswith("t C yr-1")


def test_green_space_budget_bad_input():
    with pytest.raises(ValueError, match=r"no rows for class\(es\) \['meadow'\]"):
        green_space_budget({"meadow": 10.0}, 100.0, FACTORS)
    with pytest.raises(ValueError, match=r"no value for class\(es\) \['trees'\]"):
        green_space_budget({"lawn": 1.0, "trees": 1.0}, {"lawn": 100.0}, FACTORS)
    with pytest.raises(ValueError, match="lifetime_years"):
        green_space_budget({"lawn": 1.0}, 100.0, FACTORS, construction=2.0)
    with pytest.raises(ValueError, match="per area and per year"):
        green_space_budget({"lawn": 1.0}, 100.0, FACTORS, sequestration_unit="t C")
    with pytest.raises(ValueError, match="one-off"):
        green_space_budget({"lawn": 1.0}, 100.0, FACTORS, construction=2.0, lifetime_years=10,
                           construction_unit="kg CO2e m-2 yr-1")
    with pytest.raises(ValueError, match="area_unit"):
        green_space_budget({"lawn": 1.0}, 100.0, FACTORS, area_unit="acre")
    with pytest.raises(ValueError, match=r"\('C', 'CO2'\)"):
        green_space_budget({"lawn": 1.0}, 100.0, FACTORS, basis="CH4")


def test_management_factor_table_validation(tmp_path):
    with pytest.raises(ValueError, match="kg_CO2e_per_m2_yr"):
        read_management_factors(FACTORS.rename(columns={"kg_CO2e_per_m2_yr": "t_C_per_ha_yr"}))
    with pytest.raises(ValueError, match=r"negative factors for \['lawn/mowing'\]"):
        read_management_factors(FACTORS.assign(kg_CO2e_per_m2_yr=[-0.1, 0.05, 0.05, 0.02, 0.0]))
    with pytest.raises(ValueError, match=r"not a number for \['trees/pruning'\]"):
        read_management_factors(FACTORS.assign(kg_CO2e_per_m2_yr=[0.1, 0.05, 0.05, "some", 0.0]))
    with pytest.raises(ValueError, match="more than once"):
        read_management_factors(pd.concat([FACTORS, FACTORS.iloc[:1]]))
    path = tmp_path / "factors.csv"
    path.write_text("# mine\nclass,activity,kg_CO2e_per_m2_yr\nlawn,mowing,0.1\n")
    assert read_management_factors(path).attrs["source"] == str(path)


def test_example_factor_table_is_labelled_and_consistent():
    from importlib import resources

    header = resources.files("carbontools.tables").joinpath(budget.FACTOR_TABLE_EXAMPLE).read_text()
    assert "ILLUSTRATIVE" in header and "Townsend-Small" in header and "Strohbach" in header
    table = read_management_factors()
    assert set(table["activity"]) >= {"irrigation", "mowing", "fertiliser", "pruning"}
    lawn = table[table["class"] == "lawn"].set_index("activity")["kg_CO2e_per_m2_yr"]
    # irrigation: 129 kg CE/ha for 25 cm of water (Lal 2004) x 44/12 / 10000 m2/ha = 0.0473 kg CO2 m-2
    assert lawn["irrigation"] == pytest.approx(129 * 44 / 12 / 1e4, abs=5e-4)
    # fertiliser: 45 g CO2e N2O + 10 g N x 1.3 g CE/g N x 44/12 = 45 + 47.7 = 92.7 g CO2e m-2
    assert lawn["fertiliser"] == pytest.approx((45 + 10 * 1.3 * 44 / 12) / 1000, abs=5e-4)


def test_break_even_by_hand():
    table = green_space_budget({"lawn": 1000.0, "trees": 2000.0}, {"lawn": 120.0, "trees": 300.0}, FACTORS,
                               construction={"lawn": 2.0, "trees": 5.0}, lifetime_years=50)
    b = budget.break_even(table)
    # lawn (the budget by hand above): construction 2 kg x 1000 m2 = 2 t CO2e; sequestration 0.44 - management
    # 0.2 = 0.24 t CO2e yr-1 -> 2 / 0.24 = 8.33 years
    assert b.loc["lawn", "construction"] == pytest.approx(2.0)
    assert b.loc["lawn", "operating_net"] == pytest.approx(0.24)
    assert b.loc["lawn", "break_even_years"] == pytest.approx(2.0 / 0.24)
    # trees: 5 x 2000 = 10 t; 2.2 - 0.04 = 2.16 t yr-1 -> 4.63 years; total: 12 t / 2.4 t yr-1 = 5 years
    assert b.loc["trees", "break_even_years"] == pytest.approx(10.0 / 2.16)
    assert b.loc["total", "break_even_years"] == pytest.approx(12.0 / 2.4)
    assert b["repaid_within_lifetime"].all() and b.attrs["lifetime_years"] == 50


def test_break_even_never_when_management_outweighs_sequestration_and_zero_without_construction():
    # 50 g C m-2 yr-1 x 1000 m2 = 0.1833 t CO2 yr-1 < 0.2 t of management: never repaid
    poor = budget.break_even(green_space_budget({"lawn": 1000.0}, 50.0, FACTORS, construction=2.0, lifetime_years=20))
    assert np.isinf(poor.loc["lawn", "break_even_years"]) and not poor.loc["lawn", "repaid_within_lifetime"]
    assert poor.loc["lawn", "note"].startswith("never repaid")
    # repaid, but only after the lifetime: 2 t / 0.24 t yr-1 = 8.3 years > 5 years
    short = budget.break_even(green_space_budget({"lawn": 1000.0}, 120.0, FACTORS, construction=2.0, lifetime_years=5))
    assert short.loc["lawn", "break_even_years"] == pytest.approx(2.0 / 0.24)
    assert not short.loc["lawn", "repaid_within_lifetime"]
    free = budget.break_even(green_space_budget({"lawn": 1000.0}, 50.0, FACTORS))
    assert free.loc["lawn", "break_even_years"] == 0.0 and free.attrs["lifetime_years"] is None
    with pytest.raises(ValueError, match=r"break_even needs a table from green_space_budget .* lacks \['management'\]"):
        budget.break_even(green_space_budget({"lawn": 1000.0}, 50.0, FACTORS).drop(columns="management"))
    no_life = green_space_budget({"lawn": 1000.0}, 120.0, FACTORS, construction=2.0, lifetime_years=5)
    no_life.attrs.pop("lifetime_years")
    with pytest.raises(ValueError, match="construction emissions but no attrs"):
        budget.break_even(no_life)
