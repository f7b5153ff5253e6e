"""read_fluxnet: FLUXNET2015 CSVs (HH to YY) -> Dataset with time, NaN for -9999, units, site and credit;
tower_monthly: monthly totals of the daily carbon fluxes with a quality rule.

The real-file tests use the US-Tw1 daily FULLSET file from ../shared/data/fluxnet (skipped when it is
absent); the others write small files in the exact FLUXNET2015 formats.
"""

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from carbontools.io.fluxnet import read_fluxnet, tower_monthly
from carbontools.units import to_canonical

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "fluxnet"
REAL = DATA / "FLX_US-Tw1_FLUXNET2015_FULLSET_DD_2012-2014_1-3.csv"
UMOL_TO_G_C_PER_DAY = 12.011e-6 * 86400.0  # 1 umol CO2 m-2 s-1 for a day = 1.0378 g C m-2 d-1


@pytest.fixture(scope="module")
def real_path():
    if not REAL.is_file():
        pytest.skip(f"real FLUXNET2015 file not present at {REAL}")
    return REAL


@pytest.fixture(scope="module")
def real(real_path):
    return read_fluxnet(real_path)


@pytest.fixture(scope="module")
def raw_rows(real_path):
    """The real file as text, read with the csv module (independent of pandas)."""
    with open(real_path, newline="") as f:
        return list(csv.DictReader(f))


# --- the real file -------------------------------------------------------------------------------

def test_real_time_axis(real):
    assert real.attrs["resolution"] == "DD"
    assert real.sizes["time"] == 1096
    time = pd.DatetimeIndex(real["time"].values)
    assert time[0] == pd.Timestamp("2012-01-01") and time[-1] == pd.Timestamp("2014-12-31")
    assert (time[1:] - time[:-1] == pd.Timedelta(days=1)).all()  # daily, no gaps or repeats
    assert "time_end" not in real.coords


def test_real_values_and_missing_as_in_the_csv(real, raw_rows):
    first = raw_rows[0]
    # cells checked in the raw text: TA_F_MDS is -9999 on 2012-01-01, TA_F (ERA-filled) 10.448, NEE -8.30834
    assert first["TIMESTAMP"] == "20120101" and first["TA_F_MDS"] == "-9999"
    assert np.isnan(real["TA_F_MDS"].values[0])
    assert first["TA_F"] == "10.448" and real["TA_F"].values[0] == pytest.approx(10.448)
    assert real["NEE_VUT_REF"].values[0] == pytest.approx(float(first["NEE_VUT_REF"])) == pytest.approx(-8.30834)
    # every column: NaN exactly where the text says -9999, the number elsewhere
    for name in raw_rows[0]:
        if name == "TIMESTAMP":
            continue
        text = [row[name] for row in raw_rows]
        missing = np.array([t.startswith("-9999") for t in text])
        values = real[name].values.astype(float)
        assert (np.isnan(values) == missing).all(), name
        expected = np.array([float(t) for t, m in zip(text, missing) if not m])
        np.testing.assert_array_equal(values[~missing], expected, err_msg=name)


def test_real_units_and_attrs(real, real_path):
    units = {name: real[name].attrs.get("units") for name in real.data_vars}
    assert units["TA_F"] == "degC" and units["TS_F_MDS_1"] == "degC"
    assert units["SW_IN_F"] == "W m-2" and units["VPD_F"] == "hPa" and units["P_F"] == "mm d-1"
    for name in ("NEE_VUT_REF", "GPP_NT_VUT_REF", "GPP_DT_VUT_REF", "RECO_NT_VUT_REF"):
        assert units[name] == "g C m-2 d-1", name
    assert units["NEE_VUT_REF_QC"] == "1"
    assert "negative = uptake" in real["NEE_VUT_REF"].attrs["sign_convention"]
    assert real["NEE_VUT_REF"].attrs["ancillary_variables"] == "NEE_VUT_REF_QC"
    assert real.attrs["site_id"] == "US-Tw1" and real.attrs["product"] == "FULLSET"
    assert real.attrs["source"] == str(real_path)
    assert "CC-BY-4.0" in real.attrs["credit"] and "10.1038/s41597-020-0534-3" in real.attrs["credit"]


def test_real_day_night_nee_are_half_hourly_means(real):
    """The _DAY/_NIGHT NEE of a daily file are in umol m-2 s-1: their record-weighted mean is the daily NEE."""
    assert real["NEE_VUT_REF_DAY"].attrs["units"] == "umol m-2 s-1"
    assert real["NEE_VUT_REF_NIGHT"].attrs["units"] == "umol m-2 s-1"
    n_day, n_night = real["DAY_D"], real["NIGHT_D"]
    mean = (n_day * real["NEE_VUT_REF_DAY"] + n_night * real["NEE_VUT_REF_NIGHT"]) / (n_day + n_night)
    np.testing.assert_allclose(mean * UMOL_TO_G_C_PER_DAY, real["NEE_VUT_REF"], atol=1e-3)
    # the mistake this guards against: reading them as g C m-2 d-1 is off by the factor 1.0378
    assert not np.allclose(mean, real["NEE_VUT_REF"], atol=1e-2)


def test_real_qc_columns_kept(real, raw_rows):
    qc = [name for name in raw_rows[0] if name.endswith("_QC")]
    assert len(qc) > 50 and set(qc) <= set(real.data_vars)
    values = np.concatenate([real[name].values for name in qc])
    values = values[np.isfinite(values)]
    assert values.min() >= 0.0 and values.max() <= 1.0  # daily QC: fraction of good records


def test_real_carbon_budget_is_plausible(real):
    nee = real["NEE_VUT_REF"].groupby("time.year").sum()
    gpp = real["GPP_NT_VUT_REF"].groupby("time.year").sum()
    qc = real["NEE_VUT_REF_QC"].groupby("time.year").mean()
    for label, da in (("annual NEE_VUT_REF, g C m-2 yr-1", nee), ("annual GPP_NT_VUT_REF, g C m-2 yr-1", gpp),
                      ("mean NEE_VUT_REF_QC", qc)):
        print(f"{label}:", {int(y): round(float(v), 3) for y, v in zip(da["year"].values, da.values)})
    assert np.isfinite(nee).all() and (real["NEE_VUT_REF"].count("time") == 1096)
    # Net uptake cannot exceed gross uptake, in any year.
    assert (-nee < gpp).all()
    # The tower record starts in July 2012: before that NEE is entirely gap-filled (QC fraction 0), so 2012
    # (-2128 g C m-2 yr-1, 0.31 mean QC) is not a measured annual budget. The years with mostly measured or
    # good-quality data (QC > 0.5: 2013, 2014) must lie in -1000..+500 g C m-2 yr-1: eddy-covariance sites
    # world-wide rarely take up more than ~1000 g C m-2 yr-1 (that needs a third or more of the highest GPPs,
    # ~3000), and a restored wetland is expected to be a sink or a small source, not a source of >500.
    first_half_2012 = real["NEE_VUT_REF_QC"].sel(time=slice("2012-01-01", "2012-06-30"))
    assert float(first_half_2012.max()) == 0.0
    good = qc["year"][qc > 0.5].values.tolist()
    assert good == [2013, 2014]
    for year in good:
        assert -1000.0 < float(nee.sel(year=year)) < 500.0, year


def test_real_gpp_mostly_nonnegative(real):
    gpp = real["GPP_NT_VUT_REF"]
    share = float((gpp >= 0).sum() / gpp.count())
    print(f"GPP_NT_VUT_REF >= 0 on {share:.1%} of days, min {float(gpp.min()):.2f} g C m-2 d-1")
    # nighttime partitioning gives GPP = RECO - NEE, so small negatives (noise) occur on dormant days
    assert share > 0.9 and float(gpp.min()) > -2.0


def test_real_variables_subset(real, real_path, monkeypatch):
    calls = []
    read_csv = pd.read_csv

    def spy(*args, **kwargs):
        calls.append(kwargs.get("usecols"))
        return read_csv(*args, **kwargs)

    monkeypatch.setattr(pd, "read_csv", spy)
    ds = read_fluxnet(real_path, variables=["NEE_VUT_REF"])
    assert set(ds.data_vars) == {"NEE_VUT_REF", "NEE_VUT_REF_QC"}
    assert set(ds.coords) == {"time"}
    assert calls[-1] == ["TIMESTAMP", "NEE_VUT_REF", "NEE_VUT_REF_QC"]  # only these columns are parsed
    np.testing.assert_array_equal(ds["NEE_VUT_REF"], real["NEE_VUT_REF"])
    assert ds["NEE_VUT_REF"].attrs == real["NEE_VUT_REF"].attrs
    # a variable without a _QC partner in the file comes alone
    assert set(read_fluxnet(real_path, variables=["RECO_NT_VUT_REF"]).data_vars) == {"RECO_NT_VUT_REF"}


# --- synthetic files in the FLUXNET2015 formats --------------------------------------------------

def write(path, header, rows):
    path.write_text(",".join(header) + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    return path


def test_half_hourly(tmp_path):
    start = pd.date_range("2014-07-01", periods=48, freq="30min")
    stamps = [(s.strftime("%Y%m%d%H%M"), (s + pd.Timedelta("30min")).strftime("%Y%m%d%H%M")) for s in start]
    rows = []
    for i, (s, e) in enumerate(stamps):
        nee = -9999 if i in (3, 4) else round(-5.0 + 0.1 * i, 3)
        ta = "-9999.0" if i == 10 else 20.0 + 0.1 * i
        rows.append([s, e, ta, 0 if i != 10 else -9999, 500.0, 0.2, nee, 1 if i < 24 else 3, 7.5])
    header = ["TIMESTAMP_START", "TIMESTAMP_END", "TA_F", "TA_F_QC", "SW_IN_F", "P_F", "NEE_VUT_REF",
              "NEE_VUT_REF_QC", "GPP_NT_VUT_REF"]
    f = write(tmp_path / "FLX_XX-Syn_FLUXNET2015_FULLSET_HH_2014-2014_1-3.csv", header, rows)
    ds = read_fluxnet(f)
    assert ds.attrs["resolution"] == "HH" and ds.attrs["site_id"] == "XX-Syn"
    assert ds.sizes["time"] == 48
    assert pd.Timestamp(ds["time"].values[0]) == pd.Timestamp("2014-07-01 00:00")  # TIMESTAMP_START
    assert pd.Timestamp(ds["time"].values[-1]) == pd.Timestamp("2014-07-01 23:30")
    assert pd.Timestamp(ds["time_end"].values[-1]) == pd.Timestamp("2014-07-02 00:00")
    assert (ds["time"].to_index() == start).all()
    assert ds["NEE_VUT_REF"].isnull().values.nonzero()[0].tolist() == [3, 4]
    assert ds["TA_F"].isnull().values.nonzero()[0].tolist() == [10]  # "-9999.0" as well as "-9999"
    assert ds["TA_F_QC"].isnull().values.nonzero()[0].tolist() == [10]
    assert ds["NEE_VUT_REF"].attrs["units"] == "umol m-2 s-1"
    assert ds["GPP_NT_VUT_REF"].attrs["units"] == "umol m-2 s-1"
    assert ds["P_F"].attrs["units"] == "mm" and ds["P_F"].attrs["cell_methods"] == "time: sum"
    assert ds["TA_F"].attrs["units"] == "degC" and ds["SW_IN_F"].attrs["units"] == "W m-2"
    assert ds["NEE_VUT_REF_QC"].attrs["units"] == "1" and "3 = poor" in ds["NEE_VUT_REF_QC"].attrs["comment"]
    # half-hours sum to the day with the time-start convention: 48 x 0.2 mm = 9.6 mm on 2014-07-01
    daily = ds["P_F"].resample(time="D").sum()
    assert daily.sizes["time"] == 1 and float(daily[0]) == pytest.approx(9.6)


def test_hourly_is_told_from_half_hourly(tmp_path):
    start = pd.date_range("2014-07-01", periods=24, freq="h")
    rows = [[s.strftime("%Y%m%d%H%M"), (s + pd.Timedelta("1h")).strftime("%Y%m%d%H%M"), 1.0] for s in start]
    f = write(tmp_path / "FLX_XX-Syn_FLUXNET2015_SUBSET_HR_2014-2014_1-3.csv",
              ["TIMESTAMP_START", "TIMESTAMP_END", "NEE_VUT_REF"], rows)
    ds = read_fluxnet(f)
    assert ds.attrs["resolution"] == "HR" and ds.attrs["product"] == "SUBSET"
    assert ds.sizes["time"] == 24 and ds["NEE_VUT_REF"].attrs["units"] == "umol m-2 s-1"


def test_monthly(tmp_path):
    rows = []
    for m in range(1, 13):
        rows.append([f"2014{m:02d}", -9999 if m == 2 else 10.0 + m, 2.0, -1.5 if m != 7 else -9999,
                     0.75 if m != 7 else -9999, 4.0])
    header = ["TIMESTAMP", "TA_F", "P_F", "NEE_VUT_REF", "NEE_VUT_REF_QC", "GPP_DT_VUT_REF"]
    f = write(tmp_path / "FLX_XX-Syn_FLUXNET2015_SUBSET_MM_2014-2014_1-3.csv", header, rows)
    ds = read_fluxnet(f)
    assert ds.attrs["resolution"] == "MM" and ds.sizes["time"] == 12
    assert (ds["time"].to_index() == pd.date_range("2014-01-01", periods=12, freq="MS")).all()  # first of month
    assert ds["TA_F"].isnull().values.nonzero()[0].tolist() == [1]
    assert ds["NEE_VUT_REF"].isnull().values.nonzero()[0].tolist() == [6]
    assert ds["NEE_VUT_REF_QC"].isnull().values.nonzero()[0].tolist() == [6]
    assert ds["TA_F"].attrs["units"] == "degC"
    assert ds["P_F"].attrs["units"] == "mm d-1"  # FLUXNET2015 MM files give mean daily rates
    assert ds["NEE_VUT_REF"].attrs["units"] == "g C m-2 d-1" and ds["GPP_DT_VUT_REF"].attrs["units"] == "g C m-2 d-1"
    assert ds["NEE_VUT_REF_QC"].attrs["units"] == "1"
    # the project's unit conversion turns the daily rate into month totals with the real month length
    precip = to_canonical("precip", ds["P_F"])
    assert precip.attrs["units"] == "mm month-1"
    assert float(precip.sel(time="2014-02-01")) == pytest.approx(2.0 * 28)
    assert float(precip.sel(time="2014-07-01")) == pytest.approx(2.0 * 31)


@pytest.mark.parametrize("header, stamps, resolution, first, units", [
    (["TIMESTAMP"], ["20140101", "20140102"], "DD", "2014-01-01", ("g C m-2 d-1", "mm d-1")),
    (["TIMESTAMP_START", "TIMESTAMP_END"], [("20140101", "20140107"), ("20140108", "20140114")], "WW",
     "2014-01-01", ("g C m-2 d-1", "mm d-1")),
    (["TIMESTAMP"], ["2013", "2014"], "YY", "2013-01-01", ("g C m-2 yr-1", "mm yr-1")),
])
def test_other_resolutions(tmp_path, header, stamps, resolution, first, units):
    rows = [[*([s] if isinstance(s, str) else s), -2.0, 1.0] for s in stamps]
    f = write(tmp_path / f"FLX_XX-Syn_FLUXNET2015_FULLSET_{resolution}_2013-2014_1-3.csv",
              header + ["NEE_VUT_REF", "P_F"], rows)
    ds = read_fluxnet(f)
    assert ds.attrs["resolution"] == resolution
    assert pd.Timestamp(ds["time"].values[0]) == pd.Timestamp(first)
    assert (ds["NEE_VUT_REF"].attrs["units"], ds["P_F"].attrs["units"]) == units
    assert ("time_end" in ds.coords) == (resolution == "WW")


def test_file_name_disagreeing_with_the_stamps_warns(tmp_path):
    f = write(tmp_path / "FLX_XX-Syn_FLUXNET2015_FULLSET_DD_2014-2014_1-3.csv",
              ["TIMESTAMP", "P_F"], [["201401", 1.0], ["201402", 2.0]])
    with pytest.warns(UserWarning, match="file name says DD"):
        ds = read_fluxnet(f)
    assert ds.attrs["resolution"] == "MM"


# --- errors --------------------------------------------------------------------------------------

def test_missing_file(tmp_path):
    f = tmp_path / "FLX_XX-Syn_FLUXNET2015_FULLSET_DD_2014-2014_1-3.csv"
    with pytest.raises(FileNotFoundError, match="FLX_XX-Syn_FLUXNET2015_FULLSET_DD"):
        read_fluxnet(f)


@pytest.mark.parametrize("text", ["date,value\n2020-01-01,1.0\n", "", "TIMESTAMP_START,NEE\n201401010000,1\n"])
def test_not_a_fluxnet_file(tmp_path, text):
    f = tmp_path / "table.csv"
    f.write_text(text)
    with pytest.raises(ValueError, match="table.csv is not a FLUXNET2015 file"):
        read_fluxnet(f)


def test_absent_variables_listed(tmp_path):
    f = write(tmp_path / "FLX_XX-Syn_FLUXNET2015_SUBSET_DD_2014-2014_1-3.csv",
              ["TIMESTAMP", "NEE_VUT_REF", "NEE_VUT_REF_QC", "TA_F"], [["20140101", -1.0, 1.0, 5.0]])
    with pytest.raises(ValueError) as err:
        read_fluxnet(f, variables=["NEE_VUT_REF", "GPP_NT_VUT_REF", "NEE_VUT_RFE"])
    message = str(err.value)
    assert "FLX_XX-Syn_FLUXNET2015_SUBSET_DD" in message
    assert "['GPP_NT_VUT_REF', 'NEE_VUT_RFE']" in message  # what is absent
    assert "TIMESTAMP, NEE_VUT_REF, NEE_VUT_REF_QC, TA_F" in message  # what is there
    assert "did you mean ['NEE_VUT_REF'" in message


# --- monthly tower totals ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tower(real_path):
    return read_fluxnet(real_path, variables=["GPP_NT_VUT_REF", "NEE_VUT_REF"])


@pytest.fixture(scope="module")
def raw(real_path):
    df = pd.read_csv(real_path, usecols=["TIMESTAMP", "GPP_NT_VUT_REF", "NEE_VUT_REF", "NEE_VUT_REF_QC"],
                     dtype={"TIMESTAMP": str})
    df["day"] = pd.to_datetime(df["TIMESTAMP"], format="%Y%m%d")
    return df


def test_tower_monthly_real_file(tower, raw):
    out = tower_monthly(tower, "GPP_NT_VUT_REF", min_qc=0.5)
    gpp = out["GPP_NT_VUT_REF"]
    assert gpp.sizes["time"] == 36
    assert pd.Timestamp(gpp["time"].values[0]) == pd.Timestamp("2012-01-01")
    assert gpp.attrs["units"] == "g C m-2 month-1"
    # July 2013: every day has NEE_VUT_REF_QC >= 0.5, so the total is the plain sum of the 31 daily values
    july = raw[(raw["day"].dt.year == 2013) & (raw["day"].dt.month == 7)]
    assert len(july) == 31 and (july["NEE_VUT_REF_QC"] >= 0.5).all() and (july["GPP_NT_VUT_REF"] != -9999).all()
    hand = july["GPP_NT_VUT_REF"].sum()
    assert float(gpp.sel(time="2013-07-01")) == pytest.approx(hand, rel=1e-12)


def test_tower_monthly_months_with_too_little_good_data_are_nan(tower, raw):
    out = tower_monthly(tower, "GPP_NT_VUT_REF", min_qc=0.5)
    good = (raw["NEE_VUT_REF_QC"] >= 0.5) & (raw["GPP_NT_VUT_REF"] != -9999)
    share = good.groupby(raw["day"].dt.to_period("M")).mean()      # the file covers whole months
    expected_nan = share < 0.8
    assert expected_nan.any() and (~expected_nan).any()
    got_nan = out["GPP_NT_VUT_REF"].isnull().to_series()
    assert list(got_nan.values) == list(expected_nan.values)
    np.testing.assert_allclose(out["valid_fraction"].values, share.values)
    # e.g. January to June 2012: no day with good NEE (QC < 0.5) -> NaN
    assert got_nan["2012-01-01":"2012-06-01"].all()


def test_tower_monthly_nee_and_nep(tower, raw):
    out = tower_monthly(tower, "NEE_VUT_REF")
    july = raw[(raw["day"].dt.year == 2013) & (raw["day"].dt.month == 7)]["NEE_VUT_REF"].sum()
    nee = float(out["NEE_VUT_REF"].sel(time="2013-07-01"))
    assert nee == pytest.approx(july) and nee < 0           # summer uptake: NEE negative
    assert float(out["NEP"].sel(time="2013-07-01")) == pytest.approx(-july)
    assert "uptake" in out["NEP"].attrs["sign_convention"]


def test_tower_monthly_fills_a_gap_day_with_the_month_mean():
    days = pd.date_range("2021-04-01", "2021-04-30", freq="D")       # 30 days
    values = np.full(30, 2.0)
    qc = np.ones(30)
    qc[:5] = 0.0                                                     # 5 bad days -> 25/30 = 83 % valid
    values[:5] = 100.0                                               # (their values are ignored)
    ds = xr.Dataset({"GPP_NT_VUT_REF": ("time", values, {"units": "g C m-2 d-1"}),
                     "NEE_VUT_REF_QC": ("time", qc)}, coords={"time": days}, attrs={"resolution": "DD"})
    out = tower_monthly(ds)
    assert float(out["GPP_NT_VUT_REF"][0]) == pytest.approx(2.0 * 30)  # mean valid day 2.0 x 30 days
    qc[5] = 0.0                                                       # 24/30 = 80 %: still enough
    assert np.isfinite(float(tower_monthly(ds.assign(NEE_VUT_REF_QC=("time", qc)))["GPP_NT_VUT_REF"][0]))
    qc[6] = 0.0                                                       # 23/30 = 77 %: NaN
    assert np.isnan(float(tower_monthly(ds.assign(NEE_VUT_REF_QC=("time", qc)))["GPP_NT_VUT_REF"][0]))


def test_tower_monthly_errors_name_the_fix():
    days = pd.date_range("2021-04-01", periods=30, freq="D")
    ds = xr.Dataset({"GPP_NT_VUT_REF": ("time", np.ones(30), {"units": "g C m-2 d-1"})}, coords={"time": days},
                    attrs={"resolution": "DD"})
    with pytest.raises(ValueError, match="qc_variable="):
        tower_monthly(ds)
    assert float(tower_monthly(ds, min_qc=None)["GPP_NT_VUT_REF"][0]) == pytest.approx(30.0)
    with pytest.raises(ValueError, match="daily"):
        tower_monthly(ds.assign_attrs(resolution="MM"))
    with pytest.raises(ValueError, match="GPP_NT_VUT_REF"):
        tower_monthly(ds, variable="GPP_NT_VUT")
