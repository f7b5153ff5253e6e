"""FLUXNET2015 FULLSET / SUBSET CSV files -> an ``xarray.Dataset`` on ``time``: :func:`read_fluxnet`.

One CSV holds one site at one resolution: half-hourly (HH) or hourly (HR) with ``TIMESTAMP_START`` and
``TIMESTAMP_END`` as YYYYMMDDHHMM, weekly (WW) with ``TIMESTAMP_START``/``TIMESTAMP_END`` as YYYYMMDD,
daily (DD) with ``TIMESTAMP`` as YYYYMMDD, monthly (MM) as YYYYMM and yearly (YY) as YYYY.  Missing
values are ``-9999``.  Names follow ``<ROOT>_<QUALIFIER>...`` (``NEE_VUT_REF``, ``TA_F_MDS_NIGHT_SD``);
most variables have a ``_QC`` partner.

Time stamps.  ``time`` is the *start* of each period at every resolution: ``TIMESTAMP_START`` for
HH/HR/WW (``TIMESTAMP_END`` is kept as the coordinate ``time_end``), the day for DD, the first of the
month for MM (as elsewhere in carbontools) and 1 January for YY.  With the start, ``resample(time='D')``
puts all 48 half-hours of a day into that day.  FLUXNET2015 time stamps are local standard time (no
daylight saving); the UTC offset is in the site metadata, not in the CSV.

Units.  :data:`VARIABLES` below.  Aggregated files give rates, not period totals: P is mm d-1 and
NEE/GPP/RECO are g C m-2 d-1 in DD, WW *and* MM files (mean daily values over the week or month); YY
files give mm yr-1 and g C m-2 yr-1.  So a monthly P_F of 2.0 is 2 mm per day, 56 mm in February of a
common year: :func:`carbontools.units.to_canonical` makes that conversion from ``'mm d-1'``.

Monthly totals for comparing a model with a tower: :func:`tower_monthly` sums the daily carbon fluxes
of a DD file, month by month, with a quality rule.
"""

from __future__ import annotations

import difflib
import os
import re
import warnings

import pandas as pd
import xarray as xr

from ..units import same_units
from ._common import existing

__all__ = ["read_fluxnet", "tower_monthly", "VARIABLES", "RESOLUTIONS"]

MISSING = -9999

RESOLUTIONS = {"HH": "half-hourly", "HR": "hourly", "DD": "daily", "WW": "weekly", "MM": "monthly", "YY": "yearly"}

CREDIT = ("FLUXNET2015 data, CC-BY-4.0. Credit the site team and the dataset: Pastorello, G. et al. (2020), "
          "The FLUXNET2015 dataset and the ONEFlux processing pipeline for eddy covariance data, "
          "Scientific Data 7:225, doi:10.1038/s41597-020-0534-3")

_AGGREGATED = ("DD", "WW", "MM")
_CARBON = {"HH": "umol m-2 s-1", "HR": "umol m-2 s-1", **dict.fromkeys(_AGGREGATED, "g C m-2 d-1"),
           "YY": "g C m-2 yr-1"}
_PRECIP = {"HH": "mm", "HR": "mm", **dict.fromkeys(_AGGREGATED, "mm d-1"), "YY": "mm yr-1"}

#: Variable-name prefix (the FLUXNET root, matched on whole ``_``-separated words, longest first) ->
#: (long name, units).  Units as CF/UDUNITS strings; a dict gives them per resolution.
#: Sources: the FLUXNET2015 data-variable tables on the "FULLSET data product" page,
#: https://fluxnet.org/data/fluxnet2015-dataset/fullset-data-product/ (the SUBSET page uses the same names and
#: units), and Pastorello et al. (2020), Scientific Data 7:225, doi:10.1038/s41597-020-0534-3.  The units that
#: depend on the resolution, as the ONEFlux/AmeriFlux FLUXNET-product README restates them: P "mm (HH/HR),
#: mm d-1 (DD-MM), mm y-1 (YY)"; NEE, RECO, GPP "umolCO2 m-2 s-1 (HH/HR), gC m-2 d-1 (DD-MM), gC m-2 y-1 (YY)".
#: So WW and MM files hold mean daily rates, not weekly or monthly totals (from the documentation; only a DD file
#: was at hand to check against: there the daily P_F, NEE, GPP and RECO values are consistent with per-day units).
#: Exception, handled in :func:`_variable_attrs`: the ``_NIGHT``/``_DAY`` NEE aggregates of DD-YY files are means
#: of the night or day records in umol m-2 s-1 (checked on US-Tw1 DD: (DAY_D*NEE_VUT_REF_DAY +
#: NIGHT_D*NEE_VUT_REF_NIGHT)/48 * 12.011e-6 * 86400 equals NEE_VUT_REF to 3e-4 g C m-2 d-1 on all 1096 days).
VARIABLES = {
    "TA": ("air temperature", "degC"),
    "TS": ("soil temperature", "degC"),
    "SW_IN_POT": ("potential (top-of-atmosphere) incoming shortwave radiation", "W m-2"),
    "SW_IN": ("incoming shortwave radiation", "W m-2"),
    "SW_OUT": ("outgoing (reflected) shortwave radiation", "W m-2"),
    "SW_DIF": ("diffuse incoming shortwave radiation", "W m-2"),
    "LW_IN": ("incoming longwave radiation", "W m-2"),
    "LW_IN_JSB": ("incoming longwave radiation, JSBACH algorithm", "W m-2"),
    "LW_OUT": ("outgoing longwave radiation", "W m-2"),
    "NETRAD": ("net radiation", "W m-2"),
    "PPFD_IN": ("incoming photosynthetic photon flux density", "umol m-2 s-1"),
    "PPFD_OUT": ("outgoing photosynthetic photon flux density", "umol m-2 s-1"),
    "PPFD_DIF": ("diffuse incoming photosynthetic photon flux density", "umol m-2 s-1"),
    "VPD": ("vapour pressure deficit", "hPa"),
    "PA": ("atmospheric pressure", "kPa"),
    "P": ("precipitation", _PRECIP),
    "WS": ("wind speed", "m s-1"),
    "WD": ("wind direction", "degree"),
    "RH": ("relative humidity", "%"),
    "USTAR": ("friction velocity", "m s-1"),
    "CO2": ("CO2 mole fraction in air", "umol mol-1"),
    "SWC": ("volumetric soil water content", "%"),
    "G": ("soil heat flux", "W m-2"),
    "LE": ("latent heat flux", "W m-2"),
    "H": ("sensible heat flux", "W m-2"),
    "NEE": ("net ecosystem exchange of CO2", _CARBON),
    "GPP": ("gross primary production", _CARBON),
    "RECO": ("ecosystem respiration, autotrophic plus heterotrophic", _CARBON),
    "RECO_SR_N": ("number of data points used for RECO_SR", "1"),
    "NIGHT": ("nighttime flag (1 = night, 0 = day)", "1"),
    "NIGHT_D": ("number of nighttime records in the period", "1"),
    "DAY_D": ("number of daytime records in the period", "1"),
    "NIGHT_RANDUNC_N": ("number of nighttime records with a random-uncertainty estimate", "1"),
    "DAY_RANDUNC_N": ("number of daytime records with a random-uncertainty estimate", "1"),
    "EBC_CF_N": ("number of data points used for the energy-balance-closure correction factor", "1"),
    "EBC_CF_METHOD": ("method of the energy-balance-closure correction factor (1, 2 or 3)", "1"),
}

#: Qualifier words -> what they add to the long name (the names themselves are kept unchanged).
QUALIFIERS = {
    "F": "gap-filled", "MDS": "MDS method", "ERA": "downscaled from ERA-Interim", "JSB": "JSBACH",
    "NIGHT": "mean of the nighttime records", "DAY": "mean of the daytime records",
    "SD": "standard deviation", "SE": "standard error", "RANDUNC": "random uncertainty",
    "JOINTUNC": "joint uncertainty", "CORR": "energy-balance-closure corrected",
    "VUT": "variable USTAR threshold", "CUT": "constant USTAR threshold", "REF": "reference",
    "MEAN": "mean over the USTAR thresholds", "USTAR50": "median USTAR threshold",
    "NT": "nighttime partitioning of Reichstein et al. 2005", "DT": "daytime partitioning of Lasslop et al. 2010",
    "SR": "sundown-respiration partitioning of van Gorsel et al. 2009",
}

_SIGN = {
    "NEE": "negative = uptake by the ecosystem (sink); NEE = -NEP",
    "GPP": "positive = carbon fixed by plants (uptake)",
    "RECO": "positive = carbon released to the air",
}
_SPREAD = {"SD", "SE", "RANDUNC", "JOINTUNC"}
_CARBON_ROOTS = {root for root, (_, units) in VARIABLES.items() if units is _CARBON}

_TIMESTAMPS = ("TIMESTAMP", "TIMESTAMP_START", "TIMESTAMP_END")
_FORMATS = {12: "%Y%m%d%H%M", 8: "%Y%m%d", 6: "%Y%m", 4: "%Y"}
_SINGLE = {8: "DD", 6: "MM", 4: "YY"}  # TIMESTAMP width -> resolution
_STEPS = {pd.Timedelta(minutes=30): "HH", pd.Timedelta(hours=1): "HR"}
_FILE_NAME = re.compile(r"FLX_(?P<site>[A-Za-z]{2}-[A-Za-z0-9]{3})_FLUXNET2015_(?P<product>[A-Z0-9]+)_"
                        r"(?:(?P<resolution>HH|HR|DD|WW|MM|YY)_)?")
_TIME_NAMES = {
    "HH": "start of the half-hour (TIMESTAMP_START)", "HR": "start of the hour (TIMESTAMP_START)",
    "WW": "first day of the week (TIMESTAMP_START)", "DD": "day (TIMESTAMP)",
    "MM": "first day of the month (TIMESTAMP)", "YY": "1 January of the year (TIMESTAMP)",
}


def read_fluxnet(path, variables=None) -> xr.Dataset:
    """Read a FLUXNET2015 FULLSET or SUBSET CSV (HH, HR, DD, WW, MM or YY) into a Dataset on ``time``.

    Parameters
    ----------
    path : str or path-like
        A ``FLX_<SITE>_FLUXNET2015_<FULLSET|SUBSET>_<RES>_<YEARS>_<VERSION>.csv`` file (unzipped).
    variables : list of str, optional
        Read only these columns, plus their ``_QC`` partners where the file has them, and the time
        stamps (pandas ``usecols``: cheap on a 300-column half-hourly file).  Default: every column.

    Returns
    -------
    xarray.Dataset
        One variable per CSV column under its FLUXNET name, ``-9999`` as NaN, ``_QC`` columns kept
        (HH/HR: flags 0 = measured .. 3 = poor gap-fill; DD-YY: fraction 0..1 of measured or good-quality
        gap-filled records).  ``time`` is the start of each period (see the module docstring), with
        ``time_end`` for HH/HR/WW.  Variables of :data:`VARIABLES` carry ``units`` and ``long_name``;
        NEE/GPP/RECO a ``sign_convention``.  ``attrs``: ``site_id``, ``product``, ``resolution``
        (``'HH'``, ``'HR'``, ``'DD'``, ``'WW'``, ``'MM'`` or ``'YY'``), ``source`` (the path),
        ``credit`` and ``license`` (CC-BY-4.0; cite Pastorello et al. 2020 and the site).

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ValueError
        The file is not a FLUXNET2015 CSV (no TIMESTAMP or TIMESTAMP_START/TIMESTAMP_END columns, bad time
        stamps), or ``variables`` names columns the file does not have.
    """
    source = os.fspath(path)
    file = existing(path, "FLUXNET2015 file")
    if file.is_dir():
        raise ValueError(f"{source!r} is a directory; give one of the CSV files in it "
                         "(FLX_<SITE>_FLUXNET2015_<FULLSET|SUBSET>_<RES>_....csv)")
    columns = _header(file)
    stamps = [c for c in _TIMESTAMPS if c in columns]
    if "TIMESTAMP" not in stamps and not {"TIMESTAMP_START", "TIMESTAMP_END"} <= set(stamps):
        raise ValueError(f"{source} is not a FLUXNET2015 file: it has no TIMESTAMP column (DD, MM, YY files) "
                         "and no TIMESTAMP_START/TIMESTAMP_END pair (HH, HR, WW files); its first columns are "
                         f"{columns[:5]}. Give a FLUXNET2015 FULLSET or SUBSET CSV")
    usecols = None if variables is None else _usecols(columns, stamps, variables, source)
    df = pd.read_csv(file, usecols=usecols, na_values=[MISSING], dtype=dict.fromkeys(_TIMESTAMPS, str))
    if df.empty:
        raise ValueError(f"{source} has a header but no data rows; download the file again")
    resolution, time, time_end = _time_axis(df, source)

    name = _FILE_NAME.search(file.name)
    named = name and name["resolution"]
    if named and named != resolution:
        warnings.warn(f"{source}: the file name says {named} but the time stamps are {RESOLUTIONS[resolution]} "
                      f"({resolution}); using {resolution} (units depend on it). Was the file renamed?",
                      stacklevel=2)

    time_attrs = {"long_name": _TIME_NAMES[resolution],
                  "comment": "local standard time (no daylight saving); UTC offset in the site metadata"}
    coords = {"time": ("time", time, time_attrs)}
    if time_end is not None:
        coords["time_end"] = ("time", time_end, {"long_name": "end of the period (TIMESTAMP_END)",
                                                 "comment": time_attrs["comment"]})
    present = set(df.columns)
    data = {c: ("time", df[c].to_numpy(), _variable_attrs(c, resolution, present))
            for c in df.columns if c not in _TIMESTAMPS}
    attrs = {"title": f"FLUXNET2015 {RESOLUTIONS[resolution]} data"}
    if name:
        attrs.update(title=f"FLUXNET2015 {name['product']} {RESOLUTIONS[resolution]} data, site {name['site']}",
                     site_id=name["site"], product=name["product"])
    else:
        warnings.warn(f"{source}: the file name is not FLX_<SITE>_FLUXNET2015_<PRODUCT>_<RES>_...; "
                      "attrs['site_id'] is not set (set it yourself)", stacklevel=2)
    attrs.update(resolution=resolution, source=source, credit=CREDIT, license="CC-BY-4.0",
                 comment=f"{MISSING} in the file read as NaN")
    return xr.Dataset(data, coords=coords, attrs=attrs)


def _header(file) -> list[str]:
    try:
        return list(pd.read_csv(file, nrows=0).columns)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as err:
        raise ValueError(f"{file} is not a FLUXNET2015 file: it cannot be read as a CSV with a header row "
                         f"({err}). Give a FLUXNET2015 FULLSET or SUBSET CSV") from err


def _usecols(columns: list[str], stamps: list[str], variables, source: str) -> list[str]:
    """The time stamps, the requested columns and their ``_QC`` partners, in file order."""
    wanted = [variables] if isinstance(variables, str) else list(variables)
    absent = [v for v in wanted if v not in columns]
    if absent:
        hints = {v: difflib.get_close_matches(v, columns, n=3) for v in absent}
        hint = "; ".join(f"for {v!r} did you mean {m}" for v, m in hints.items() if m)
        raise ValueError(f"{source} has no column(s) {absent}{' (' + hint + ')' if hint else ''}. "
                         f"Its columns are: {', '.join(columns)}. Pass names from that list to variables=")
    keep = set(stamps) | set(wanted) | {f"{v}_QC" for v in wanted}
    return [c for c in columns if c in keep]


def _parse(df: pd.DataFrame, column: str, source: str) -> tuple[pd.DatetimeIndex, int]:
    text = df[column].str.strip()
    widths = set(text.str.len())
    width = widths.pop() if len(widths) == 1 else None
    if width not in _FORMATS:
        raise ValueError(f"{source}: {column} values are missing or not all of one FLUXNET2015 form (YYYYMMDDHHMM, "
                         f"YYYYMMDD, YYYYMM or YYYY), e.g. {text.iloc[0]!r}; is this an edited FLUXNET2015 file?")
    try:
        return pd.DatetimeIndex(pd.to_datetime(text, format=_FORMATS[width])), width
    except ValueError as err:
        raise ValueError(f"{source}: {column} is not a valid {_FORMATS[width]} time stamp ({err})") from err


def _time_axis(df: pd.DataFrame, source: str):
    """(resolution, time = start of each period, time_end or None) from the time-stamp columns."""
    if "TIMESTAMP_START" in df:
        start, width = _parse(df, "TIMESTAMP_START", source)
        end, _ = _parse(df, "TIMESTAMP_END", source)
        if width == 8:
            return "WW", start, end
        if width != 12:
            raise ValueError(f"{source}: TIMESTAMP_START has {width} digits; FLUXNET2015 uses YYYYMMDDHHMM "
                             "(HH, HR) or YYYYMMDD (WW)")
        steps = set(end - start)
        if len(steps) != 1 or (step := steps.pop()) not in _STEPS:
            raise ValueError(f"{source}: TIMESTAMP_END - TIMESTAMP_START is {sorted(map(str, steps))[:3]}, "
                             "not one step of 30 minutes (HH) or 1 hour (HR)")
        return _STEPS[step], start, end
    time, width = _parse(df, "TIMESTAMP", source)
    if width not in _SINGLE:
        raise ValueError(f"{source}: TIMESTAMP has {width} digits; FLUXNET2015 uses YYYYMMDD (DD), YYYYMM (MM) "
                         "or YYYY (YY), and TIMESTAMP_START/TIMESTAMP_END for HH, HR and WW")
    return _SINGLE[width], time, None


def _root(name: str) -> tuple[str | None, list[str]]:
    """The longest :data:`VARIABLES` prefix of ``name`` (on whole words) and the qualifier words after it."""
    words = name.split("_")
    for i in range(len(words), 0, -1):
        root = "_".join(words[:i])
        if root in VARIABLES:
            return root, words[i:]
    return None, words


def _describe(root: str, qualifiers: list[str]) -> str:
    notes = []
    for q in qualifiers:
        if q in QUALIFIERS:
            notes.append(QUALIFIERS[q])
        elif q.isdigit():
            notes.append(f"layer {q}, counted from the shallowest" if len(q) == 1 else f"{int(q)}th percentile")
    long_name = VARIABLES[root][0]
    return f"{long_name} ({', '.join(notes)})" if notes else long_name


def _variable_attrs(name: str, resolution: str, present: set[str]) -> dict:
    if name.endswith("_QC"):
        base = name[:-3]
        if resolution in ("HH", "HR"):
            return {"long_name": f"quality flag of {base}", "units": "1",
                    "comment": "0 = measured, 1 = good-quality gap-fill, 2 = medium, 3 = poor; for the consolidated "
                               "meteorological *_F variables 2 = downscaled from ERA-Interim"}
        return {"long_name": f"fraction of {base} from measured or good-quality gap-filled records", "units": "1"}
    attrs = {}
    root, qualifiers = _root(name)
    if root is not None:
        units = VARIABLES[root][1]
        if isinstance(units, dict):
            units = units[resolution]
        if root in _CARBON_ROOTS and resolution not in ("HH", "HR") and {"NIGHT", "DAY"} & set(qualifiers):
            units = _CARBON["HH"]  # mean of the night (day) half-hours, see VARIABLES
        attrs = {"long_name": _describe(root, qualifiers), "units": units}
        if root in _SIGN and not _SPREAD & set(qualifiers):
            attrs["sign_convention"] = _SIGN[root]
        if root == "P" and resolution in ("HH", "HR"):
            attrs["cell_methods"] = "time: sum"
            attrs["long_name"] += f", total over the {'half-hour' if resolution == 'HH' else 'hour'}"
        elif units in (_CARBON["DD"], _PRECIP["DD"]) and resolution in ("WW", "MM"):
            attrs["comment"] = (f"mean daily rate over the {'week' if resolution == 'WW' else 'month'}; "
                                "multiply by the number of days for the period total")
    if f"{name}_QC" in present:
        attrs["ancillary_variables"] = f"{name}_QC"
    return attrs


# --- flux towers ------------------------------------------------------------------------------------

_FLUX_ROOTS = ("GPP", "RECO", "NEE")


def _qc_name(ds: xr.Dataset, variable: str) -> str | None:
    """The QC column for a daily FLUXNET variable: its own ``_QC``, else that of NEE for GPP/RECO."""
    if f"{variable}_QC" in ds:
        return f"{variable}_QC"
    if variable.split("_")[0] in _FLUX_ROOTS:
        # GPP and RECO are partitioned from NEE and have no _QC of their own in FLUXNET2015: their quality is
        # that of the NEE they come from (same USTAR-threshold method: VUT or CUT).
        method = "CUT" if "_CUT_" in f"{variable}_" else "VUT"
        for name in (f"NEE_{method}_REF_QC", "NEE_VUT_REF_QC"):
            if name in ds:
                return name
    return None


def tower_monthly(fluxnet_ds: xr.Dataset, variable: str = "GPP_NT_VUT_REF", min_qc: float | None = 0.5,
                  min_valid_fraction: float = 0.8, qc_variable: str | None = None) -> xr.Dataset:
    """Monthly totals (g C m-2 month-1) of a carbon flux from a DAILY FLUXNET2015 dataset.

    Parameters
    ----------
    fluxnet_ds : xarray.Dataset
        As returned by :func:`carbontools.io.read_fluxnet` for a ``..._DD_...`` file (daily rates, g C m-2 d-1).
    variable : str
        The flux, e.g. ``GPP_NT_VUT_REF``, ``GPP_DT_VUT_REF``, ``RECO_NT_VUT_REF``, ``NEE_VUT_REF``.
    min_qc : float or None
        A day is valid when its value is finite and its QC (the fraction 0..1 of measured or good-quality
        gap-filled half-hours) is at least ``min_qc``.  The QC column is ``<variable>_QC`` if the file has
        one; GPP and RECO have none in FLUXNET2015, so the QC of the NEE they are partitioned from is used
        (``NEE_VUT_REF_QC``; ``NEE_CUT_REF_QC`` for ``_CUT_`` variables).  ``qc_variable`` overrides the
        choice; ``min_qc=None`` uses no QC (only missing values make a day invalid).
    min_valid_fraction : float
        A month with fewer valid days than this fraction of its calendar days (default 80 %) is NaN.

    Returns
    -------
    xarray.Dataset on ``time`` (first of each month, every month from the first to the last in the file)
        ``<variable>``: the monthly total, **mean of the valid days x days in the month**, which is the plain
        sum of the daily values when every day is valid (a missing day is filled by the month's mean valid
        day, not counted as 0); ``valid_fraction``: valid days / days in the month; and for NEE variables
        also ``NEP`` = -NEE (positive = uptake, the sign of :func:`carbontools.run`; NEE < 0 is uptake).
    """
    if not isinstance(fluxnet_ds, xr.Dataset):
        raise TypeError("tower_monthly needs the Dataset of carbontools.io.read_fluxnet(path), "
                        f"got {type(fluxnet_ds).__name__}")
    resolution = fluxnet_ds.attrs.get("resolution")
    if resolution is not None and resolution != "DD":
        raise ValueError(f"tower_monthly needs a daily (DD) FLUXNET2015 file, this one is {resolution!r}; read the "
                         "..._FULLSET_DD_... (or SUBSET_DD) file of the site with carbontools.io.read_fluxnet")
    if variable not in fluxnet_ds:
        close = [v for v in fluxnet_ds.data_vars if v.split("_")[0] == variable.split("_")[0] and v.endswith("_REF")]
        raise ValueError(f"the FLUXNET dataset has no variable {variable!r}; pass variable= one of "
                         f"{close or list(fluxnet_ds.data_vars)[:10]}")
    da = fluxnet_ds[variable]
    units = da.attrs.get("units")
    if units is not None and not same_units(units, "g C m-2 d-1"):
        raise ValueError(f"{variable} has units {units!r}; tower_monthly sums daily rates in g C m-2 d-1 "
                         "(a daily FLUXNET2015 file read with carbontools.io.read_fluxnet)")
    time = pd.DatetimeIndex(fluxnet_ds["time"].values)
    if time.has_duplicates or not (time.normalize() == time).all():
        raise ValueError("the FLUXNET dataset's time axis is not daily (repeated days or times of day); "
                         "tower_monthly needs one value per day, as in a ..._DD_... file")

    valid = da.notnull()
    qc_name = None
    if min_qc is not None:
        qc_name = qc_variable or _qc_name(fluxnet_ds, variable)
        if qc_name is None or qc_name not in fluxnet_ds:
            raise ValueError(f"no QC column for {variable!r} ({qc_variable or variable + '_QC'} is not in the "
                             "dataset); pass qc_variable='NEE_VUT_REF_QC' (or another _QC column), or min_qc=None "
                             "to use every non-missing day")
        valid = valid & (fluxnet_ds[qc_name] >= min_qc)
    values = da.where(valid)
    monthly_mean = values.resample(time="MS").mean(skipna=True)
    valid_days = valid.astype(float).resample(time="MS").sum()
    days = xr.DataArray(pd.DatetimeIndex(monthly_mean["time"].values).days_in_month.astype(float),
                        dims="time", coords={"time": monthly_mean["time"]})
    fraction = valid_days / days
    total = (monthly_mean * days).where(fraction >= min_valid_fraction)

    qc_text = f"days with {qc_name} >= {min_qc}" if qc_name else "days with a value"
    rule = (f"monthly total = mean of the valid days x days in the month ({qc_text}); NaN if fewer than "
            f"{min_valid_fraction:.0%} of the month's days are valid")
    kept = ("site_id", "title", "source", "credit", "license")
    out = xr.Dataset(attrs={k: v for k, v in fluxnet_ds.attrs.items() if k in kept})
    common = {"units": "g C m-2 month-1", "cell_methods": "time: sum", "comment": rule}
    sign = {"sign_convention": da.attrs["sign_convention"]} if "sign_convention" in da.attrs else {}
    out[variable] = total.assign_attrs(long_name=f"{da.attrs.get('long_name', variable)}, monthly total",
                                       **common, **sign)
    out["valid_fraction"] = fraction.assign_attrs(units="1",
                                                  long_name=f"fraction of the month's days valid ({qc_text})")
    if variable.split("_")[0] == "NEE":
        out["NEP"] = (-total).assign_attrs(long_name="net ecosystem production = -NEE, monthly total",
                                           sign_convention="positive = uptake by the ecosystem (sink)",
                                           source_variable=variable, **common)
    out["time"].attrs = {"long_name": "first day of the month"}
    out.attrs["quality_rule"] = rule
    return out
