"""Land-cover schemes map onto the CASA classes exactly as SCIENCE.md's table says."""

import numpy as np
import pytest
import xarray as xr

import carbontools as ct
from carbontools.landcover import scheme_table, to_casa

from .conftest import monthly_grid

# SCIENCE.md "Default mappings onto the casa codes"
SPEC = {
    "igbp": {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 6, 8: 7, 9: 7, 10: 7, 11: 7, 12: 7, 13: 8, 14: 7, 15: 11, 16: 9,
             0: 10, 17: 10},
    "worldcover": {10: 5, 20: 6, 30: 7, 40: 7, 50: 8, 60: 9, 70: 11, 80: 10, 90: 7, 95: 2, 100: 7},
    "clcd": {1: 7, 2: 5, 3: 6, 4: 7, 5: 10, 6: 11, 7: 9, 8: 8, 9: 7},
    "casa": {c: c for c in range(1, 12)},
}


@pytest.mark.parametrize("scheme", sorted(SPEC))
def test_shipped_tables_match_specification(scheme):
    table = scheme_table(scheme)
    assert dict(zip(table["code"], table["casa"])) == SPEC[scheme]


@pytest.mark.parametrize("scheme", sorted(SPEC))
def test_to_casa_maps_every_code(scheme):
    codes = np.array(sorted(SPEC[scheme]))
    da = xr.DataArray(codes.reshape(1, -1), dims=("y", "x"), attrs={"scheme": scheme})
    assert to_casa(da).values.ravel().tolist() == [SPEC[scheme][c] for c in codes]


def test_user_table_overrides_the_scheme():
    da = xr.DataArray([[2, 2, 1]], dims=("y", "x"), attrs={"scheme": "clcd"})
    # a forest-type map says these CLCD "forest" pixels are evergreen broadleaf
    assert to_casa(da, table={1: 7, 2: 2}).values.tolist() == [[2.0, 2.0, 7.0]]
    with pytest.raises(ValueError, match="not CASA codes"):
        to_casa(da, table={1: 7, 2: 12})


def test_to_casa_on_dask():
    da = xr.DataArray(np.array([[1, 2], [5, 8]]), dims=("y", "x"), attrs={"scheme": "clcd"}).chunk({"y": 1})
    out = to_casa(da)
    assert out.chunks is not None
    assert out.values.tolist() == [[7.0, 5.0], [10.0, 8.0]]


def test_built_up_pixels_are_not_zero():
    """Built-up pixels carry NPP from the urban green share of their NDVI (SCIENCE.md)."""
    ds = monthly_grid({"ndvi": [0.25] * 12, "tmean": [20.0] * 12, "srad": [400.0] * 12, "precip": [100.0] * 12},
                      landcover=8)
    assert (ct.run(ds)["npp"] > 0).all()


def test_water_and_ice_have_zero_npp_and_rh_even_with_green_ndvi():
    ds = monthly_grid({"ndvi": [0.5] * 12, "tmean": [20.0] * 12, "srad": [400.0] * 12, "precip": [100.0] * 12},
                      nx=2, landcover=[[5, 6]], scheme="clcd")
    out = ct.run(ds)
    assert (out["npp"] == 0).all() and (out["rh"] == 0).all() and (out["nep"] == 0).all()
