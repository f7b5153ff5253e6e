"""carbontools.greenspace: storage by zone and the budget of a mixed green space, against hand calculations.
(Totals, class means and the small-green-space report are tested in test_storage.py with the storage model.)"""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from carbontools import greenspace as gs


def projected(values, units=None):
    """A map of 10 m x 10 m pixels (100 m2 = 0.01 ha each) on EPSG:32649."""
    values = np.asarray(values, dtype=float)
    ny, nx = values.shape
    da = xr.DataArray(values, dims=("y", "x"),
                      coords={"y": 1000.0 - 10.0 * (np.arange(ny) + 0.5), "x": 10.0 * (np.arange(nx) + 0.5)},
                      attrs={"units": units} if units else {})
    return da.rio.write_crs("EPSG:32649")


# --- storage by zone ------------------------------------------------------------------------------

def test_storage_by_zone_by_hand():
    density = projected([[86.0, 28.0], [8.0, 86.0]], units="Mg C ha-1")
    zones = projected([[0, 1], [1, 0]])
    table = gs.storage_by_zone(density, zones, names=["a", "b"])
    # a: (86 + 86) Mg C/ha x 0.01 ha = 1.72 Mg C, mean 86 Mg C/ha; b: (28 + 8) x 0.01 = 0.36 Mg C, mean 18
    assert table.loc["a", "total"] == pytest.approx(1.72) and table.loc["b", "total"] == pytest.approx(0.36)
    assert table.loc["a", "mean"] == pytest.approx(86.0) and table.loc["b", "mean"] == pytest.approx(18.0)
    assert table.attrs["mean"] == "Mg C ha-1" and table.attrs["total"] == "Mg C"
    assert table.loc["a", "area_m2"] == pytest.approx(200.0)
    assert gs.storage_by_zone(density, zones, unit="Gg C", names=["a", "b"]).loc["a", "total"] == pytest.approx(1.72e-3)


def test_storage_by_zone_reads_the_density_unit():
    # 86 Mg C/ha = 8600 g C m-2: the same totals; the mean stays in the density's unit
    as_g = projected([[8600.0, 2800.0], [800.0, 8600.0]], units="g C m-2")
    table = gs.storage_by_zone(as_g, projected([[0, 1], [1, 0]]), names=["a", "b"])
    assert table.loc["a", "total"] == pytest.approx(1.72) and table.loc["a", "mean"] == pytest.approx(8600.0)
    # no unit: Mg C ha-1, as storage_density gives: 4 x 86 x 0.01 ha = 3.44 Mg C
    one_zone = projected([[0, 0], [0, 0]])
    assert gs.storage_by_zone(projected([[86.0, 86.0], [86.0, 86.0]]), one_zone).loc[0, "total"] == pytest.approx(3.44)
    with pytest.raises(ValueError, match="stock per area"):
        gs.storage_by_zone(projected([[1.0, 1.0], [1.0, 1.0]], units="g C m-2 yr-1"), one_zone)
    with pytest.raises(ValueError, match="stock per area"):
        gs.storage_by_zone(projected([[1.0, 1.0], [1.0, 1.0]], units="Mg C"), one_zone)


# --- the budget of a mixed green space --------------------------------------------------------------

FACTORS = pd.DataFrame({"class": ["trees", "lawn"], "activity": ["pruning", "mowing"],
                        "kg_CO2e_per_m2_yr": [0.1, 0.2]})
SEQUESTRATION = {"trees": 280.0, "lawn": 140.0}  # g C m-2 yr-1
CONSTRUCTION = {"trees": 4.0, "lawn": 1.5}       # kg CO2e m-2, once


def test_mixed_budget_by_hand():
    park = projected([[1, 1], [1, 0]]).astype(bool)  # 3 pixels x 100 m2 = 300 m2
    table = gs.mixed_green_space_budget(park, {"trees": 0.7, "lawn": 0.3}, SEQUESTRATION, FACTORS,
                                        construction=CONSTRUCTION, lifetime_years=50)
    # trees 210 m2: 280 g C x 44/12 = 1.02667 kg CO2 m-2 -> 215.6 kg; pruning 0.1 x 210 = 21 kg;
    # construction 4 x 210 / 50 = 16.8 kg; net 177.8 kg = 0.1778 t CO2e yr-1
    assert table.loc["trees", "area_m2"] == pytest.approx(210.0)
    assert table.loc["trees", "sequestration"] == pytest.approx(0.2156)
    assert table.loc["trees", "construction_amortised"] == pytest.approx(0.0168)
    assert table.loc["trees", "net"] == pytest.approx(0.1778)
    # lawn 90 m2: 140 g C x 44/12 x 90 = 46.2 kg; mowing 18 kg; construction 1.5 x 90 / 50 = 2.7 kg; net 25.5 kg
    assert table.loc["lawn", "net"] == pytest.approx(0.0255)
    assert table.loc["total", "net"] == pytest.approx(0.2033)
    assert table.attrs["composition"] == {"trees": 0.7, "lawn": 0.3} and table.attrs["units"] == "t CO2e yr-1"
    # the same park given by its area
    by_number = gs.mixed_green_space_budget(300.0, {"trees": 0.7, "lawn": 0.3}, SEQUESTRATION, FACTORS,
                                            construction=CONSTRUCTION, lifetime_years=50)
    pd.testing.assert_frame_equal(table, by_number)
    in_ha = gs.mixed_green_space_budget(0.03, {"trees": 0.7, "lawn": 0.3}, SEQUESTRATION, FACTORS,
                                        construction=CONSTRUCTION, lifetime_years=50, area_unit="ha")
    assert in_ha.loc["total", "net"] == pytest.approx(0.2033)
    on_carbon = gs.mixed_green_space_budget(300.0, {"trees": 0.7, "lawn": 0.3}, SEQUESTRATION, FACTORS,
                                            construction=CONSTRUCTION, lifetime_years=50, basis="C")
    assert on_carbon.loc["total", "net"] == pytest.approx(0.2033 * 12 / 44)


def test_mixed_budget_bad_input():
    park = projected([[1, 1], [1, 0]]).astype(bool)
    with pytest.raises(ValueError, match="sum to 0.9"):
        gs.mixed_green_space_budget(park, {"trees": 0.6, "lawn": 0.3}, SEQUESTRATION, FACTORS)
    with pytest.raises(ValueError, match="negative"):
        gs.mixed_green_space_budget(park, {"trees": 1.2, "lawn": -0.2}, SEQUESTRATION, FACTORS)
    with pytest.raises(TypeError, match="boolean mask"):
        gs.mixed_green_space_budget(park.astype(float), {"trees": 1.0}, SEQUESTRATION, FACTORS)
    with pytest.raises(ValueError, match="leave area_unit out"):
        gs.mixed_green_space_budget(park, {"trees": 1.0}, SEQUESTRATION, FACTORS, area_unit="ha")
    with pytest.raises(ValueError, match="non-empty"):
        gs.mixed_green_space_budget(park, {}, SEQUESTRATION, FACTORS)
    with pytest.raises(TypeError, match="number or a boolean"):
        gs.mixed_green_space_budget("300 m2", {"trees": 1.0}, SEQUESTRATION, FACTORS)


# --- totals where cells are NaN (issue 10 items 12 and 17) ------------------------------------------

from carbontools.models import storage as st  # noqa: E402

ORACLE_POOLS = pd.DataFrame({"lucode": [1, 2, 3], "name": ["forest", "grass", "urban"], "c_above": [15.0, 5.0, 2.0],
                             "c_below": [10.0, 3.0, 1.0], "c_soil": [60.0, 20.0, 5.0], "c_dead": [1.0, 0.0, 0.0]})


def circular_city(n=60, res=100.0, radius=2_400.0, seed=3):
    """A 100 m class map (classes 1..3) clipped to a circle: NaN outside, as a city map cut to its boundary."""
    rng = np.random.default_rng(seed)
    codes = rng.choice([1.0, 2.0, 3.0], size=(n, n), p=[0.3, 0.3, 0.4])
    centre = n * res / 2
    yy, xx = np.meshgrid(res * (np.arange(n) + 0.5), res * (np.arange(n) + 0.5), indexing="ij")
    codes[np.hypot(yy - centre, xx - centre) > radius] = np.nan
    da = xr.DataArray(codes, dims=("y", "x"), coords={"y": 10_000.0 - res * (np.arange(n) + 0.5),
                                                      "x": 500_000.0 + res * (np.arange(n) + 0.5)})
    return da.rio.write_crs("EPSG:32649")


def test_small_green_space_effect_counts_only_the_classified_part_of_boundary_cells():
    """By hand: the fraction-based total is every classified 100 m pixel's storage (86, 28, 8 Mg C/ha) x 1 ha;
    the area is the classified pixels' area; the majority total gives each 1 km cell its majority class over
    its classified pixels' area (the old code counted whole 1 km cells: 121,303 instead of 69,096 Mg C here,
    an area of 32.0 km2 for 18.04 classified)."""
    pools = st.read_pools(ORACLE_POOLS, scheme="oracle")
    fine = circular_city()
    codes = fine.values
    per_class = {1.0: 86.0, 2.0: 28.0, 3.0: 8.0}
    classified = np.isfinite(codes)
    fraction_by_hand = sum(per_class[c] * np.sum(codes == c) for c in per_class)  # Mg C: 1 ha pixels
    majority_by_hand = 0.0
    for bj in range(6):
        for bi in range(6):
            block = codes[10 * bj:10 * bj + 10, 10 * bi:10 * bi + 10]
            counts = {c: int(np.sum(block == c)) for c in per_class}
            if sum(counts.values()):
                majority = max(counts, key=lambda c: (counts[c], -c))
                majority_by_hand += per_class[majority] * sum(counts.values())
    table = gs.small_green_space_effect(fine, 10, pools)
    row = table.loc["whole grid"]
    assert row["fraction_based_MgC"] == pytest.approx(fraction_by_hand, rel=1e-12)
    assert row["majority_class_MgC"] == pytest.approx(majority_by_hand, rel=1e-12)
    assert row["area_m2"] == pytest.approx(classified.sum() * 1e4, rel=1e-12)
    assert row["missing_pct"] == pytest.approx(100 * (1 - classified.mean()), rel=1e-12)


def test_small_green_space_effect_says_when_the_map_is_not_whole_blocks():
    """A 55 x 60 map cannot be cut into 10 x 10 blocks: the error names the map, its size and the fix (xarray's
    own message spoke of coarsen's 'boundary' option, which small_green_space_effect does not take)."""
    pools = st.read_pools(ORACLE_POOLS, scheme="oracle")
    fine = circular_city().isel(y=slice(0, 55))
    with pytest.raises(ValueError, match=r"fine_landcover is 55 x 60 pixels \(y, x\), not a whole number of 10 x 10 "
                                         r"blocks: pad it with 5 row\(s\) and 0 column\(s\) of NaN"):
        gs.small_green_space_effect(fine, 10, pools)


def test_storage_total_of_a_coarsened_boundary_map_is_conserved():
    from carbontools.grid import coarsen_conservative

    density = circular_city() * 10.0  # Mg C ha-1, NaN outside the circle
    density.attrs["units"] = "Mg C ha-1"
    fine_total = float(density.sum())  # 1 ha pixels
    coarse = coarsen_conservative(density, 10)
    assert gs.storage_total(coarse) == pytest.approx(fine_total, rel=1e-12)
    assert gs.storage_total(coarse).attrs["missing_pct"] == pytest.approx(100 * float(density.isnull().mean()))


def test_totals_of_all_nan_maps_are_nan_with_their_missing_share():
    empty = projected([[np.nan, np.nan], [np.nan, np.nan]], units="Mg C ha-1")
    total = gs.storage_total(empty)
    assert np.isnan(total) and total.attrs["missing_pct"] == 100.0 and total.attrs["units"] == "Mg C"
    half = projected([[86.0, np.nan], [86.0, np.nan]], units="Mg C ha-1")
    assert gs.storage_total(half) == pytest.approx(2 * 86.0 * 0.01) and gs.storage_total(half).attrs["missing_pct"] == 50.0
    nep = projected([[np.nan, np.nan], [np.nan, np.nan]], units="g C m-2 yr-1")
    assert np.isnan(gs.nep_total(nep)) and gs.nep_total(nep).attrs["missing_pct"] == 100.0
    by_year = xr.concat([half.assign_attrs(units="g C m-2 yr-1"), nep], dim=pd.Index([2020, 2021], name="year"))
    series = gs.nep_total(by_year.assign_attrs(units="g C m-2 yr-1"), unit="g C")
    assert series.loc[2020] == pytest.approx(2 * 86.0 * 100.0) and np.isnan(series.loc[2021])
    assert series.attrs["missing_pct"] == {2020: 50.0, 2021: 100.0}
