"""The MOD17 reference (carbontools.models.mod17): hand calculations, ramp ends, an independent annual loop, dask.

Every BPLUT number typed below is the guide's (Running & Zhao 2021, MOD17 User's Guide C6.1, BPLUT;
see carbontools.params.MOD17_BPLUT_SOURCE), typed again here rather than read from the package so that a
transcription error in params.py fails a test.
"""

import calendar
import math

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from carbontools.models.mod17 import (
    fpar_lai_from_ndvi,
    mod17_npp,
    saturation_vapour_pressure,
    tmin_scalar,
    vpd_from_humidity,
    vpd_scalar,
)
from carbontools.params import MOD17_BPLUT, Mod17Biome

TIME = pd.date_range("2021-01-01", periods=12, freq="MS")
DAYS = [calendar.monthrange(2021, m)[1] for m in range(1, 13)]

# The guide's BPLUT rows used here (units: kg C m-2 d-1 MJ-1, degC, degC, Pa, Pa, LAI/kg C, 1, 1, 1, kg C/kg C/d x 3)
EBF = dict(lue_max=0.001268, tmin_min=-8.0, tmin_max=9.09, vpd_min=800.0, vpd_max=3100.0, sla=25.9, q10=2.0,
           froot_leaf_ratio=1.1, livewood_leaf_ratio=0.162, leaf_mr_base=0.00604, froot_mr_base=0.00519,
           livewood_mr_base=0.00397)
DBF = dict(lue_max=0.001165, tmin_min=-6.0, tmin_max=9.94, vpd_min=650.0, vpd_max=1650.0, sla=21.8, q10=2.0,
           froot_leaf_ratio=1.1, livewood_leaf_ratio=0.203, leaf_mr_base=0.00778, froot_mr_base=0.00519,
           livewood_mr_base=0.00371)


def series(values, name, units):
    """A (time, y, x) = (12, 1, 1) DataArray for one pixel over 2021."""
    values = np.broadcast_to(np.asarray(values, dtype=float), (12,)).reshape(12, 1, 1)
    return xr.DataArray(values.copy(), dims=("time", "y", "x"), coords={"time": TIME, "y": [0.0], "x": [0.0]},
                        name=name, attrs={"units": units})


def pixel(code=2, scheme="igbp", shape=(1, 1)):
    return xr.DataArray(np.full(shape, code, dtype="uint8"), dims=("y", "x"),
                        coords={"y": np.arange(shape[0], dtype=float), "x": np.arange(shape[1], dtype=float)},
                        attrs={"scheme": scheme})


def drivers(srad=558.0, tmean=25.0, fpar=0.8, lai=3.0, tmin=20.0, vpd=1950.0):
    return dict(srad=series(srad, "srad", "MJ m-2 month-1"), tmean=series(tmean, "tmean", "degC"),
                fpar=series(fpar, "fpar", "1"), lai=series(lai, "lai", "m2 m-2"), tmin=series(tmin, "tmin", "degC"),
                vpd=series(vpd, "vpd", "Pa"))


def test_the_bplut_rows_are_the_guides():
    for name, row in (("EBF", EBF), ("DBF", DBF)):
        assert MOD17_BPLUT[name] == Mod17Biome(name=name, **row)
    assert sorted(MOD17_BPLUT) == sorted(["ENF", "EBF", "DNF", "DBF", "MF", "CShrub", "OShrub", "WSavanna", "Savanna",
                                          "Grass", "Crop"])


def test_gpp_of_one_pixel_month_by_hand():
    ds = mod17_npp(landcover=pixel(2), **drivers())
    # EBF in July (31 days): SWrad = 558 / 31 = 18 MJ m-2 d-1; Tmin 20 >= Tmin_max 9.09 -> f(Tmin) = 1;
    # f(VPD) = (3100 - 1950) / (3100 - 800) = 1150 / 2300 = 0.5
    # GPP = 0.001268 kg C/MJ * 1 * 0.5 * FPAR 0.8 * 0.45 * 18 MJ = 0.00410832 kg C m-2 d-1 = 4.10832 g
    #     * 31 days = 127.35792 g C m-2 month-1
    july = ds["gpp"].sel(time="2021-07-01").item()
    assert july == pytest.approx(127.35792, rel=1e-12)
    assert ds["f_vpd"].sel(time="2021-07-01").item() == pytest.approx(0.5)
    assert ds["f_tmin"].sel(time="2021-07-01").item() == 1.0
    # February has 28 days: the same daily rate, 558/28 MJ per day -> GPP scales with SWrad per day * days = SWrad
    feb = ds["gpp"].sel(time="2021-02-01").item()
    assert feb == pytest.approx(0.001268 * 0.5 * 0.8 * 0.45 * 558.0 * 1000, rel=1e-12)


def test_each_respiration_term_by_hand():
    ds = mod17_npp(landcover=pixel(2), **drivers())
    # EBF, LAI 3, Tavg 25 degC in July (31 days)
    # leaf mass = LAI / SLA = 3 / 25.9 kg C m-2; leaf Q10 = 3.22 - 0.046 * 25 = 2.07; exponent (25 - 20)/10 = 0.5
    leaf = 3.0 / 25.9 * 0.00604 * 2.07 ** 0.5 * 1000 * 31           # = 31.2036... g C m-2 month-1
    # fine roots = leaf mass * 1.1, base 0.00519, BPLUT Q10 2.0
    froot = 3.0 / 25.9 * 1.1 * 0.00519 * 2.0 ** 0.5 * 1000 * 31       # = 28.9907...
    assert leaf == pytest.approx(31.2036, abs=1e-4) and froot == pytest.approx(28.9907, abs=1e-4)
    assert ds["rm_leaf"].sel(time="2021-07-01").item() == pytest.approx(leaf, rel=1e-12)
    assert ds["rm_froot"].sel(time="2021-07-01").item() == pytest.approx(froot, rel=1e-12)
    # livewood: annual max leaf mass 3/25.9 * livewood_leaf_ratio 0.162 * base 0.00397 * sum over the 365 days of
    # 2 ** 0.5 (Tavg 25 all year)
    wood = 3.0 / 25.9 * 0.162 * 0.00397 * 365 * 2.0 ** 0.5 * 1000     # = 38.4534... g C m-2 yr-1
    assert wood == pytest.approx(38.4534, abs=1e-4)
    assert ds["rm_livewood"].sel(year=2021).item() == pytest.approx(wood, rel=1e-12)
    # growth respiration 25 % of NPP: NPP = 0.8 (GPP - Rm), Rg = 0.2 (GPP - Rm)
    gpp = 0.001268 * 0.5 * 0.8 * 0.45 * 558.0 * 1000 * 12
    rm = sum((3.0 / 25.9 * (0.00604 * 2.07 ** 0.5 + 1.1 * 0.00519 * 2.0 ** 0.5)) * 1000 * d for d in DAYS) + wood
    assert ds["rm_annual"].item() == pytest.approx(rm, rel=1e-12)
    assert ds["npp_annual"].item() == pytest.approx(0.8 * (gpp - rm), rel=1e-12)
    assert ds["rg"].item() == pytest.approx(0.25 * ds["npp_annual"].item(), rel=1e-12)


def test_scalars_at_and_beyond_their_ramp_ends():
    lo, hi = EBF["tmin_min"], EBF["tmin_max"]
    assert tmin_scalar(lo, lo, hi) == 0.0 and tmin_scalar(lo - 12.0, lo, hi) == 0.0
    assert tmin_scalar(hi, lo, hi) == 1.0 and tmin_scalar(hi + 20.0, lo, hi) == 1.0
    assert tmin_scalar((lo + hi) / 2, lo, hi) == pytest.approx(0.5)
    assert tmin_scalar(0.0, lo, hi) == pytest.approx(8.0 / 17.09)          # (0 - (-8)) / (9.09 - (-8))
    vmin, vmax = EBF["vpd_min"], EBF["vpd_max"]
    assert vpd_scalar(vmin, vmin, vmax) == 1.0 and vpd_scalar(0.0, vmin, vmax) == 1.0
    assert vpd_scalar(vmax, vmin, vmax) == 0.0 and vpd_scalar(6000.0, vmin, vmax) == 0.0
    assert vpd_scalar(1000.0, vmin, vmax) == pytest.approx(2100.0 / 2300.0)  # (3100 - 1000) / (3100 - 800)


def test_derived_inputs_fpar_lai_and_vpd():
    # Myneni & Williams 1994: FPAR = 1.1638 NDVI - 0.1426; NDVI 0.7 -> 0.67206; Beer: LAI = -ln(1 - 0.67206)/0.5
    fpar, lai = fpar_lai_from_ndvi(np.array([0.7, 0.1, 0.99]))
    assert fpar[0] == pytest.approx(0.67206) and lai[0] == pytest.approx(-math.log(0.32794) / 0.5)
    assert fpar[1] == 0.0 and lai[1] == 0.0                          # -0.02622 clipped to 0
    assert fpar[2] == 0.95 and lai[2] == pytest.approx(-math.log(0.05) / 0.5)
    # FAO-56 Annex 2, Table 2.3: es(20 degC) = 2.338 kPa, es(30 degC) = 4.243 kPa
    assert saturation_vapour_pressure(20.0) == pytest.approx(2338.0, abs=1.0)
    assert saturation_vapour_pressure(30.0) == pytest.approx(4243.0, abs=1.0)
    assert vpd_from_humidity(20.0, 0.5) == pytest.approx(2338.0 / 2, abs=0.5)


def _plain_python_annual_npp(row, srad, tmean, tmin, vpd, fpar, lai):
    """MOD17 annual NPP of one pixel, month by month, in plain Python (the guide's equations, written anew)."""
    gpp = rm = wood_q10 = 0.0
    for m in range(12):
        days = DAYS[m]
        ft = min(1.0, max(0.0, (tmin[m] - row["tmin_min"]) / (row["tmin_max"] - row["tmin_min"])))
        fv = min(1.0, max(0.0, (row["vpd_max"] - vpd[m]) / (row["vpd_max"] - row["vpd_min"])))
        gpp += row["lue_max"] * ft * fv * fpar[m] * 0.45 * (srad[m] / days) * days * 1000.0
        leaf_mass = lai[m] / row["sla"]
        q_leaf = (3.22 - 0.046 * tmean[m]) ** ((tmean[m] - 20.0) / 10.0)
        q_root = row["q10"] ** ((tmean[m] - 20.0) / 10.0)
        rm += days * 1000.0 * leaf_mass * (row["leaf_mr_base"] * q_leaf
                                            + row["froot_leaf_ratio"] * row["froot_mr_base"] * q_root)
        wood_q10 += days * q_root
    rm += max(lai) / row["sla"] * row["livewood_leaf_ratio"] * row["livewood_mr_base"] * wood_q10 * 1000.0
    net = gpp - rm
    return net / 1.25 if net > 0 else net


def test_annual_npp_equals_an_independent_monthly_loop():
    # a deciduous broadleaf pixel with a seasonal cycle that crosses both ramps
    month = np.arange(12)
    season = np.sin(np.pi * month / 11.0)
    tmean = list(-2.0 + 26.0 * season)
    tmin = [t - 6.0 for t in tmean]
    vpd = list(300.0 + 1000.0 * season)
    srad = list(200.0 + 450.0 * season)
    lai = list(0.3 + 4.5 * season)
    fpar = [1.0 - math.exp(-0.5 * x) for x in lai]
    d = dict(srad=series(srad, "srad", "MJ m-2 month-1"), tmean=series(tmean, "tmean", "degC"),
             fpar=series(fpar, "fpar", "1"), lai=series(lai, "lai", "m2 m-2"), tmin=series(tmin, "tmin", "degC"),
             vpd=series(vpd, "vpd", "Pa"))
    ds = mod17_npp(landcover=pixel(4), **d)
    expected = _plain_python_annual_npp(DBF, srad, tmean, tmin, vpd, fpar, lai)
    assert expected > 0
    assert ds["npp_annual"].item() == pytest.approx(expected, rel=1e-10)
    # the same pixel under a tenth of the light: GPP < Rm, no growth respiration, NPP = GPP - Rm < 0 (not floored)
    dark = [s / 10 for s in srad]
    ds = mod17_npp(landcover=pixel(4), **{**d, "srad": series(dark, "srad", "MJ m-2 month-1")})
    low = _plain_python_annual_npp(DBF, dark, tmean, tmin, vpd, fpar, lai)
    assert low < 0 and ds["rg"].item() == 0.0
    assert ds["npp_annual"].item() == pytest.approx(low, rel=1e-10)
    assert ds["npp_annual"].item() == pytest.approx(ds["gpp_annual"].item() - ds["rm_annual"].item(), rel=1e-12)


def test_defaults_derive_tmin_vpd_fpar_lai_and_mask_non_vegetated_land():
    landcover = xr.DataArray(np.array([[2, 0, 13, 16]], dtype="uint8"), dims=("y", "x"),
                             coords={"y": [0.0], "x": np.arange(4.0)}, attrs={"scheme": "igbp"})
    grid = dict(time=TIME, y=[0.0], x=np.arange(4.0))
    ones = np.ones((12, 1, 4))
    d = dict(srad=xr.DataArray(500.0 * ones, dims=("time", "y", "x"), coords=grid, attrs={"units": "MJ m-2 month-1"}),
             tmean=xr.DataArray(20.0 * ones, dims=("time", "y", "x"), coords=grid, attrs={"units": "degC"}),
             ndvi=xr.DataArray(0.7 * ones, dims=("time", "y", "x"), coords=grid, attrs={"units": "1"}))
    ds = mod17_npp(landcover=landcover, **d)
    npp = ds["npp_annual"].sel(year=2021).values[0]
    assert npp[0] > 0 and npp[1] == 0.0                 # EBF; water: 0 as in CASA
    assert np.isnan(npp[2]) and np.isnan(npp[3])        # urban and barren: no BPLUT biome, no value
    # the defaults: Tmin = 20 - 4; VPD = es(20) (1 - 0.75) = 2338 / 4 Pa (FAO-56 table 2.3)
    assert ds["tmin"].values[0, 0, 0] == 16.0
    assert ds["vpd"].values[0, 0, 0] == pytest.approx(2338.0 / 4, abs=0.3)
    # July GPP with FPAR from NDVI 0.7 (0.67206); VPD 584.5 Pa is below VPD_min 800 and Tmin 16 above Tmin_max 9.09,
    # so both scalars are 1: 0.001268 * 0.67206 * 0.45 * 500 MJ * 1000 = 191.7387 g C m-2 month-1
    assert ds["f_vpd"].values[6, 0, 0] == 1.0
    assert ds["gpp"].values[6, 0, 0] == pytest.approx(191.7387, abs=1e-4)


def test_dask_and_numpy_give_the_same_dataset():
    rng = np.random.default_rng(7)
    shape = (24, 6, 5)
    grid = dict(time=pd.date_range("2021-01-01", periods=24, freq="MS"), y=np.arange(6.0), x=np.arange(5.0))

    def da(values, units):
        return xr.DataArray(values, dims=("time", "y", "x"), coords=grid, attrs={"units": units})

    d = dict(srad=da(rng.uniform(100, 700, shape), "MJ m-2 month-1"), tmean=da(rng.uniform(-10, 32, shape), "degC"),
             ndvi=da(rng.uniform(-0.1, 0.9, shape), "1"))
    landcover = xr.DataArray(rng.integers(0, 18, (6, 5)).astype("uint8"), dims=("y", "x"),
                             coords={"y": grid["y"], "x": grid["x"]}, attrs={"scheme": "igbp"})
    eager = mod17_npp(landcover=landcover, **d)
    lazy = mod17_npp(landcover=landcover.chunk({"y": 3}), **{k: v.chunk({"time": 12, "y": 3}) for k, v in d.items()})
    assert lazy["npp_annual"].chunks is not None
    xr.testing.assert_allclose(eager, lazy.compute(), rtol=1e-12)
    assert np.isfinite(eager["npp_annual"]).sum() > 0


@pytest.mark.parametrize("change, words", [
    (dict(fpar=None, lai=None), ["ndvi", "fpar"]),
    (dict(srad=-1.0), ["srad", "negative"]),
    (dict(vpd=-5.0), ["vpd", "negative"]),
    (dict(tmin=30.0), ["tmin", "above tmean"]),
])
def test_bad_drivers_are_refused_naming_them(change, words):
    d = drivers()
    for name, value in change.items():
        d[name] = None if value is None else series(value, name, d[name].attrs["units"])
    with pytest.raises(ValueError) as err:
        mod17_npp(landcover=pixel(2), **d)
    assert all(w in str(err.value) for w in words), str(err.value)


def test_bad_units_years_and_land_cover_are_refused():
    d = drivers()
    with pytest.raises(ValueError, match="vpd has units 'kPa'"):
        mod17_npp(landcover=pixel(2), **{**d, "vpd": d["vpd"].assign_attrs(units="kPa")})
    with pytest.raises(ValueError, match=r"incomplete years: 2021 \(6 months\)"):
        mod17_npp(landcover=pixel(2), **{k: v.isel(time=slice(0, 6)) for k, v in d.items()})
    with pytest.raises(ValueError, match="scheme 'clcd'"):
        mod17_npp(landcover=pixel(2, scheme="clcd"), **d)
    with pytest.raises(ValueError, match="BPLUT does not have"):
        mod17_npp(landcover=pixel(2), biomes={2: "Tropical"}, **d)
    with pytest.raises(ValueError, match="tmin_min = 10 is not below tmin_max"):
        Mod17Biome(name="x", tmin_min=10.0, tmin_max=5.0)
    with pytest.raises(ValueError, match="lue_max"):
        MOD17_BPLUT["EBF"].replace(lue_max=1.268)   # g C instead of kg C per MJ


def test_kelvin_temperature_is_converted():
    d = drivers()
    kelvin = d["tmean"] + 273.15
    ds_k = mod17_npp(landcover=pixel(2), **{**d, "tmean": kelvin.assign_attrs(units="K")})
    ds_c = mod17_npp(landcover=pixel(2), **d)
    assert ds_k["npp_annual"].item() == pytest.approx(ds_c["npp_annual"].item(), rel=1e-9)
