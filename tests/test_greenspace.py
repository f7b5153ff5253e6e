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
