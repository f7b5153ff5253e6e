"""The config of :func:`carbontools.io.load_drivers`: its schema, checked before any data file is read.

:func:`validate_config` takes the config (a dict, or the path of a JSON / YAML file) and returns a
:class:`DriversConfig` with every key checked, every period form turned into a first and a last month,
and every path resolved (relative paths against the config file's folder, or the working folder for a
dict) and found to exist.  All the problems it finds are reported together in one :class:`ConfigError`,
each named by its key path (``landcover.scheme``) with what was wrong and how to fix it.

:func:`validate_run_config` checks the run config of ``carbontools run CONFIG.yaml`` (:mod:`carbontools.batch`)
with the same machinery: its ``drivers`` key is a loader config (checked by the same code, its problems named
``drivers.landcover.scheme`` and so on), the path of one, or the path of a drivers NetCDF / Zarr.

The schema is written with the standard library (pydantic is not a dependency of carbontools).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import difflib
import glob
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..gapfill import GapFillParams
from ..landcover import SCHEMES
from ..variables import MONTHLY

__all__ = ["ConfigError", "DriversConfig", "DriverSpec", "LandcoverSpec", "validate_config", "parse_period",
           "RunConfig", "RegionsSpec", "validate_run_config", "RUN_KEYS",
           "TOP_KEYS"]

#: the drivers an ERA5-Land monthly-means file gives
ERA5_DRIVERS = ("tmean", "precip", "srad")
#: every top-level key of the config
TOP_KEYS = (*MONTHLY, "era5_land", "landcover", "impervious", "grid", "period", "gapfill")
RASTER_KEYS = ("path", "variable", "units", "crs", "kind")
MODIS_KEYS = ("path", "paths", "kind", "qa_paths", "dates", "max_reliability", "crs")
LANDCOVER_KEYS = ("path", "scheme", "nodata", "crs")
ERA5_KEYS = ("path",)
#: words people write for a key, and the key they mean (difflib does not see these)
ALIASES = {"file": "path", "filename": "path", "filepath": "path", "files": "paths", "glob": "path",
           "pattern": "path", "var": "variable", "name": "variable", "unit": "units", "projection": "crs",
           "epsg": "crs", "classes": "scheme", "class_scheme": "scheme", "legend": "scheme", "fill": "nodata",
           "fill_value": "nodata", "nodata_value": "nodata", "no_data": "nodata", "qa": "qa_paths",
           "reliability": "qa_paths", "era5": "era5_land", "era5land": "era5_land", "climate": "era5_land",
           "land_cover": "landcover", "lc": "landcover", "months": "period", "time": "period",
           "years": "period", "target_grid": "grid", "gap_fill": "gapfill"}
PERIOD_FORMS = "'2021' (the whole year), '2021-03' (one month), ['2021-01', '2022-12'] or [2021, 2022]"


class ConfigError(ValueError):
    """Problems found in a load_drivers config; ``problems`` lists them, one sentence each."""

    def __init__(self, source: str, problems: Sequence[str]):
        self.source, self.problems = source, list(problems)
        if len(self.problems) == 1:
            text = f"{source}: {self.problems[0]}"
        else:
            text = f"{source} has {len(self.problems)} problems:\n" + "\n".join(f"- {p}" for p in self.problems)
        super().__init__(text)


@dataclass(frozen=True)
class DriverSpec:
    """One driver read from files: ``kind`` 'modis' (MOD13 NDVI GeoTIFFs) or 'raster' (any one raster)."""

    name: str
    kind: str
    paths: tuple[Path, ...]
    variable: str | None = None
    units: str | None = None
    crs: str | int | None = None
    qa_paths: tuple[Path, ...] | None = None
    dates: tuple | None = None
    max_reliability: int = 1

    @property
    def path(self) -> Path:
        return self.paths[0]


@dataclass(frozen=True)
class LandcoverSpec:
    path: Path
    scheme: str
    nodata: int | float | None = None
    crs: str | int | None = None


@dataclass(frozen=True)
class DriversConfig:
    """A checked config: paths resolved and existing, the period as first and last month (inclusive)."""

    source: str
    base: Path
    landcover: LandcoverSpec
    monthly: dict[str, DriverSpec] = field(default_factory=dict)
    era5_land: Path | None = None
    impervious: DriverSpec | None = None
    grid: str | Path = "ndvi"
    period: tuple[pd.Period, pd.Period] | None = None
    #: how to fill NDVI's cloud gaps and missing months along time (None: no filling; see load_drivers)
    gapfill: GapFillParams | None = None


# --- reading the config ---------------------------------------------------------------------------

def _read(config) -> tuple[dict, Path, str]:
    """The raw config, the folder relative paths start at, and how to name the config in messages."""
    if isinstance(config, Mapping):
        return dict(config), Path.cwd(), "config"
    if not isinstance(config, (str, os.PathLike)):
        raise TypeError(f"config must be a dict or the path of a JSON / YAML file, got {type(config).__name__}")
    p = Path(config).expanduser()
    if not p.is_file():
        raise FileNotFoundError(f"config file {str(p)!r} does not exist (relative paths start at the working "
                                f"folder {Path.cwd()})")
    text = p.read_text()
    try:
        if p.suffix.lower() in (".yml", ".yaml"):
            import yaml

            raw = yaml.safe_load(text)
        else:
            raw = json.loads(text)
    except Exception as err:  # yaml.YAMLError, json.JSONDecodeError
        kind = "YAML" if p.suffix.lower() in (".yml", ".yaml") else "JSON"
        raise ValueError(f"{p}: not valid {kind} ({err}); a config is a mapping such as "
                         "{'ndvi': ..., 'era5_land': ..., 'landcover': {'path': ..., 'scheme': ...}}") from err
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ValueError(f"{p}: the config must be a mapping of keys {list(TOP_KEYS)}, got {type(raw).__name__}")
    return dict(raw), p.resolve().parent, str(p)


def _suggest(key, allowed) -> str:
    text = str(key)
    if text.lower() in allowed:
        guess = text.lower()
    elif text.lower() in ALIASES and ALIASES[text.lower()] in allowed:
        guess = ALIASES[text.lower()]
    else:
        close = difflib.get_close_matches(text.lower(), list(allowed), n=1, cutoff=0.6)
        guess = close[0] if close else None
    return f"did you mean {guess!r}?" if guess else f"the keys here are {', '.join(allowed)}"


GAPFILL_KEYS = ("max_gap", "climatology")


def _gapfill_spec(c: "_Checker", value) -> GapFillParams | None:
    """``gapfill: true`` (the defaults), ``false``, or ``{max_gap: 2, climatology: true}``."""
    if isinstance(value, bool):
        return GapFillParams() if value else None
    if not isinstance(value, Mapping):
        c.note("gapfill", f"expected true, false or {{max_gap: 2, climatology: true}}, got {value!r}")
        return None
    c.keys("gapfill", value, GAPFILL_KEYS)
    fields = {k: v for k, v in value.items() if k in GAPFILL_KEYS}
    if "climatology" in fields and not isinstance(fields["climatology"], bool):
        c.note("gapfill.climatology", f"expected true or false, got {fields['climatology']!r}")
        return None
    if "max_gap" in fields and (isinstance(fields["max_gap"], bool) or not isinstance(fields["max_gap"], int)):
        c.note("gapfill.max_gap", f"expected a whole number of months (0..12), got {fields['max_gap']!r}")
        return None
    try:
        return GapFillParams(**fields)
    except ValueError as err:
        c.note("gapfill", str(err))
        return None


class _Checker:
    """Collects the problems; each check returns the cleaned value (or None after noting a problem)."""

    def __init__(self, base: Path, from_file: bool, prefix: str = ""):
        self.base, self.problems, self.prefix = base, [], prefix
        self.where = ("relative paths start at the config file's folder" if from_file else
                      "relative paths start at the working folder, since the config is a dict")

    def note(self, key: str, text: str) -> None:
        self.problems.append(f"{self.prefix}{key}: {text}")

    def keys(self, key: str, entry: Mapping, allowed: Sequence[str], required: Mapping[str, str] | None = None,
             skip: Sequence[str] = ()) -> set[str]:
        """Unknown keys (with the nearest known one) and missing ones (unless an unknown key looks like it)."""
        guessed = set()
        for k in entry:
            if k not in allowed and k not in skip:
                hint = _suggest(k, allowed)
                self.note(f"{key}.{k}" if key else str(k), f"unknown key; {hint}")
                if hint.startswith("did you mean"):
                    guessed.add(hint.split("'")[1])
        for k, what in (required or {}).items():
            if k not in entry and k not in guessed:
                self.note(f"{key}.{k}" if key else k, f"missing; {what}")
        return guessed

    def text(self, key, value, what: str) -> str | None:
        if isinstance(value, str) and value.strip():
            return value
        self.note(key, f"expected {what} (a string), got {value!r} ({type(value).__name__})")
        return None

    def crs(self, key, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        return self.text(key, value, "a CRS such as 'EPSG:32649'")

    def files(self, key, value, one: bool = False) -> tuple[Path, ...] | None:
        """Paths (strings, with wildcards) -> existing files, relative ones resolved against ``base``."""
        items = [value] if isinstance(value, (str, os.PathLike)) else value
        if not isinstance(items, (list, tuple)) or not items or not all(
                isinstance(i, (str, os.PathLike)) and str(i).strip() for i in items):
            what = "a path" if one else "a path, a wildcard pattern or a list of paths"
            self.note(key, f"expected {what}, got {value!r} ({type(value).__name__})")
            return None
        found, absent = [], []
        for item in items:
            p = Path(item).expanduser()
            p = p if p.is_absolute() else self.base / p
            if any(ch in str(item) for ch in "*?["):
                matches = [Path(m) for m in sorted(glob.glob(str(p)))]
            else:
                matches = [p] if p.exists() else []
            if not matches:
                absent.append(str(item))
            found += matches
        if absent:
            shown = ", ".join(repr(a) for a in absent[:5]) + (f" and {len(absent) - 5} more" if len(absent) > 5 else "")
            relative = [a for a in absent if not Path(a).expanduser().is_absolute()]
            where = f" in {self.base} ({self.where})" if relative else ""
            self.note(key, f"no file matches {shown}{where}")
            return None
        if one and len(found) != 1:
            names = ", ".join(f.name for f in found[:4]) + (" ..." if len(found) > 4 else "")
            self.note(key, f"{value!r} matches {len(found)} files ({names}); give exactly one file")
            return None
        return tuple(found)


# --- periods --------------------------------------------------------------------------------------

_YEAR = re.compile(r"^\d{4}$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def _bound(value, key: str, end: bool) -> pd.Period:
    """One end of a period: a year (its first or last month), a month, or a date (its month)."""
    if isinstance(value, bool):
        raise ValueError(f"{key}: {value!r} is not a year or a month; write {PERIOD_FORMS}")
    if isinstance(value, (_dt.date, pd.Timestamp)):
        return pd.Period(pd.Timestamp(value), freq="M")
    text = str(value).strip() if isinstance(value, (int, str)) else None
    if text is not None and _YEAR.match(text):
        return pd.Period(f"{text}-{12 if end else 1:02d}", freq="M")
    m = _MONTH.match(text or "") or _DAY.match(text or "")
    if m and 1 <= int(m.group(2)) <= 12:
        try:
            stamp = pd.Timestamp(int(m.group(1)), int(m.group(2)), int(m.group(3)) if m.re is _DAY else 1)
        except ValueError:
            stamp = None
        if stamp is not None:
            return pd.Period(stamp, freq="M")
    raise ValueError(f"{key}: {value!r} is not a year or a month; write {PERIOD_FORMS}")


def parse_period(value, key: str = "period") -> tuple[pd.Period, pd.Period]:
    """The first and last month (inclusive) of a period in any of the forms people write.

    ``"2021"`` or ``2021``: the whole year; ``"2021-03"``: one month; ``["2021-01", "2022-12"]``;
    ``[2021, 2022]`` (January 2021 to December 2022); a date stands for its month.
    """
    if isinstance(value, (list, tuple)):
        if len(value) == 1:
            value = value[0]
        elif len(value) == 2:
            first, last = _bound(value[0], f"{key}[0]", end=False), _bound(value[1], f"{key}[1]", end=True)
            if first > last:
                raise ValueError(f"{key}: starts at {first} after it ends at {last}; write [first, last]")
            return first, last
        else:
            raise ValueError(f"{key}: {value!r} has {len(value)} items; give [first, last] such as "
                             f"['2021-01', '2022-12'], or one of {PERIOD_FORMS}")
    if isinstance(value, (list, tuple, Mapping)) or value is None:
        raise ValueError(f"{key}: {value!r} is not a period; write {PERIOD_FORMS}")
    return _bound(value, key, end=False), _bound(value, key, end=True)


# --- the schema -----------------------------------------------------------------------------------

def _as_entry(c: _Checker, key: str, value, what: str) -> dict | None:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (str, os.PathLike)) or (isinstance(value, (list, tuple)) and key == "ndvi"):
        return {"path": value}
    c.note(key, f"expected a path or a mapping such as {what}, got {value!r} ({type(value).__name__})")
    return None


def _raster_spec(c: _Checker, key: str, entry: dict, name: str) -> DriverSpec | None:
    c.keys(key, entry, RASTER_KEYS, required={"path": "the file to read"})
    if entry.get("kind", "raster") != "raster":
        fix = "'raster'" + (" or 'modis'" if name == "ndvi" else " (only ndvi can be read as MOD13 files)")
        c.note(f"{key}.kind", f"{entry['kind']!r} unknown; use {fix}")
    paths = c.files(f"{key}.path", entry["path"], one=True) if "path" in entry else None
    variable = c.text(f"{key}.variable", entry["variable"], "a variable name") if "variable" in entry else None
    units = c.text(f"{key}.units", entry["units"], "units such as 'degC' or 'mm month-1'") if "units" in entry else None
    crs = c.crs(f"{key}.crs", entry["crs"]) if "crs" in entry else None
    if paths is None:
        return None
    return DriverSpec(name, "raster", paths, variable=variable, units=units, crs=crs)


def _modis_spec(c: _Checker, key: str, entry: dict) -> DriverSpec | None:
    guessed = c.keys(key, entry, MODIS_KEYS, skip=("units",))
    if "units" in entry:
        c.note(f"{key}.units", "MOD13 files are read with the product's own scale (int16 x 0.0001), so units do "
                               "not apply; remove units, or add variable (and kind: raster) to read another raster")
    if "path" in entry and "paths" in entry:
        c.note(key, "give either path or paths, not both")
    if not {"path", "paths"} & (set(entry) | guessed):
        c.note(f"{key}.path", "missing; the MOD13 GeoTIFFs (a list or a wildcard pattern)")
    given = "paths" if "paths" in entry else "path"
    paths = c.files(f"{key}.{given}", entry[given]) if given in entry else None
    qa = c.files(f"{key}.qa_paths", entry["qa_paths"]) if "qa_paths" in entry else None
    crs = c.crs(f"{key}.crs", entry["crs"]) if "crs" in entry else None
    dates = None
    if "dates" in entry:
        d = entry["dates"]
        if not isinstance(d, (list, tuple)) or not all(isinstance(x, (str, _dt.date)) for x in d):
            c.note(f"{key}.dates", f"expected a list of dates ('2021-01-01', ...), one per file, got {d!r}")
        else:
            try:
                dates = tuple(pd.Timestamp(x) for x in d)
            except ValueError as err:
                c.note(f"{key}.dates", f"{err}; write dates as '2021-01-01'")
    reliability = entry.get("max_reliability", 1)
    if isinstance(reliability, bool) or reliability not in (0, 1, 2, 3):
        c.note(f"{key}.max_reliability", f"expected 0, 1, 2 or 3 (0 good, 1 marginal, 2 snow/ice, 3 cloudy), "
                                         f"got {reliability!r}")
    if paths is None:
        return None
    if qa is not None and len(qa) != len(paths):
        c.note(f"{key}.qa_paths", f"{len(qa)} pixel-reliability files for {len(paths)} NDVI files; give one per file")
    if dates is not None and len(dates) != len(paths):
        c.note(f"{key}.dates", f"{len(dates)} dates for {len(paths)} files; give one date per file")
    return DriverSpec("ndvi", "modis", paths, crs=crs, qa_paths=qa, dates=dates, max_reliability=reliability)


def _monthly_spec(c: _Checker, name: str, value) -> DriverSpec | None:
    entry = _as_entry(c, name, value, "{path: ..., variable: ..., units: ...}")
    if entry is None:
        return None
    kind = entry.get("kind", "modis" if name == "ndvi" and "variable" not in entry else "raster")
    if name == "ndvi" and kind == "modis":
        return _modis_spec(c, name, entry)
    return _raster_spec(c, name, entry, name)


def _landcover_spec(c: _Checker, value) -> LandcoverSpec | None:
    entry = _as_entry(c, "landcover", value, "{path: ..., scheme: clcd}")
    if entry is None:
        return None
    c.keys("landcover", entry, LANDCOVER_KEYS,
           required={"path": "the land-cover file",
                     "scheme": f"say which codes the map holds: one of {', '.join(SCHEMES)}"})
    path = c.files("landcover.path", entry["path"], one=True) if "path" in entry else None
    scheme = entry.get("scheme")
    if "scheme" in entry and scheme not in SCHEMES:
        close = difflib.get_close_matches(str(scheme).lower(), SCHEMES, n=1, cutoff=0.5)
        hint = f"did you mean {close[0]!r}? " if close else ""
        c.note("landcover.scheme", f"{scheme!r} unknown; {hint}the schemes are {', '.join(SCHEMES)}")
        scheme = None
    nodata = entry.get("nodata")
    if nodata is not None and (isinstance(nodata, bool) or not isinstance(nodata, (int, float))):
        c.note("landcover.nodata", f"expected a number (the code of pixels without data), got {nodata!r}")
        nodata = None
    crs = c.crs("landcover.crs", entry["crs"]) if "crs" in entry else None
    if path is None or scheme is None:
        return None
    return LandcoverSpec(path[0], scheme, nodata, crs)


def _grid(c: _Checker, grid, configured: list[str]):
    """The target grid: a driver of this config (its name) or a raster file (its resolved path)."""
    if not isinstance(grid, (str, os.PathLike)):
        c.note("grid", f"expected a driver name ({', '.join(configured)}) or a raster path, got {grid!r}")
        return grid
    if str(grid) in configured:
        return str(grid)
    if str(grid) in (*MONTHLY, "landcover", "impervious"):
        c.note("grid", f"{str(grid)!r} is not among the drivers of this config ({', '.join(configured)})")
        return grid
    n = len(c.problems)
    found = c.files("grid", grid, one=True)
    if found is None:
        close = difflib.get_close_matches(str(grid), configured, n=1)
        also = (f"; or did you mean the driver {close[0]!r}?" if close else
                f"; nor is it a driver of this config ({', '.join(configured)})")
        c.problems[n:] = [p + also for p in c.problems[n:]]
        return grid
    return found[0]


def validate_config(config) -> DriversConfig:
    """Check a load_drivers config (a dict or a JSON / YAML path) and resolve its paths; read no data file.

    Raises :class:`ConfigError` listing every problem found, each with its key path and the fix.  A
    :class:`DriversConfig` (already checked, e.g. the drivers of a run config) is returned as it is.
    """
    if isinstance(config, DriversConfig):
        return config
    raw, base, source = _read(config)
    c = _Checker(base, from_file=source != "config")
    cfg = _drivers_config(c, raw, source)
    if c.problems:
        raise ConfigError(source, c.problems)
    return cfg


def _drivers_config(c: _Checker, raw: Mapping, source: str) -> DriversConfig | None:
    """The checks of a loader config; problems go to ``c`` (with its key prefix), None when there are any."""
    n_before = len(c.problems)
    guessed = c.keys("", raw, TOP_KEYS,
                     required={"landcover": f"give {{path: ..., scheme: one of {', '.join(SCHEMES)}}}"})
    monthly = {}
    for name in MONTHLY:
        if name in raw:
            spec = _monthly_spec(c, name, raw[name])
            if spec is not None:
                monthly[name] = spec
    era5 = None
    if "era5_land" in raw:
        entry = _as_entry(c, "era5_land", raw["era5_land"], "{path: era5land_monthly.nc}")
        if entry is not None:
            c.keys("era5_land", entry, ERA5_KEYS, required={"path": "the ERA5-Land monthly-means file"})
            found = c.files("era5_land.path", entry["path"], one=True) if "path" in entry else None
            era5 = found[0] if found else None
    landcover = None
    if "landcover" in raw:
        landcover = _landcover_spec(c, raw["landcover"])
    impervious = None
    if "impervious" in raw:
        entry = _as_entry(c, "impervious", raw["impervious"], "{path: ..., units: '1'}")
        impervious = _raster_spec(c, "impervious", entry, "impervious") if entry is not None else None
    if not {"ndvi", "fpar"} & (set(raw) | guessed):
        c.note("ndvi", "missing; give ndvi (MOD13 GeoTIFFs, or {path, variable, units}) or fpar")
    period = None
    if "period" in raw:
        try:
            period = parse_period(raw["period"])
        except ValueError as err:
            c.problems.append(c.prefix + str(err))
    configured = list(dict.fromkeys((list(ERA5_DRIVERS) if "era5_land" in raw else []) + [
        n for n in (*MONTHLY, "landcover", "impervious") if n in raw]))
    grid = raw.get("grid", "ndvi" if "ndvi" in raw else "fpar")
    if "grid" in raw:
        grid = _grid(c, grid, configured)
    gapfill = _gapfill_spec(c, raw["gapfill"]) if "gapfill" in raw else None
    if len(c.problems) > n_before:
        return None
    return DriversConfig(source=source, base=c.base, landcover=landcover, monthly=monthly, era5_land=era5,
                         impervious=impervious, grid=grid if isinstance(grid, Path) else str(grid), period=period,
                         gapfill=gapfill)


# --- the run config of ``carbontools run CONFIG.yaml`` (carbontools.batch) -----------------------------

#: every top-level key of a run config
RUN_KEYS = ("drivers", "casa", "rh", "parameters", "urban_soils", "check", "min_valid_share", "period", "chunks",
            "outputs", "format", "maps", "tables", "regions", "output")
REGIONS_KEYS = ("path", "name_column", "crs")
TABLES_KEYS = ("variables", "unit", "landcover")
FORMATS = ("netcdf", "zarr")
CHUNK_DIMS = ("time", "y", "x")
#: the chunks a run reads and computes in when the config gives none (about 6 MB per monthly float32 variable)
DEFAULT_CHUNKS = {"time": -1, "y": 256, "x": 256}
ANNUAL = ("npp_annual", "rh_annual", "nep_annual")
DRIVERS_FILE_SUFFIXES = (".nc", ".nc4", ".h5", ".zarr")
LOADER_SUFFIXES = (".yaml", ".yml", ".json")
RUN_ALIASES = {"out": "output", "output_dir": "output", "outdir": "output", "directory": "output",
               "params": "parameters", "overrides": "parameters", "set": "parameters", "chunk": "chunks",
               "variables": "outputs", "keep": "outputs", "cog": "maps", "geotiffs": "maps", "totals": "tables",
               "districts": "regions", "zones": "regions", "input": "drivers", "inputs": "drivers",
               "preset": "casa", "rh_model": "rh", "name": "name_column", "column": "name_column",
               "units": "unit", "vars": "variables", "file": "path"}


@dataclass(frozen=True)
class RegionsSpec:
    path: Path
    name_column: str = "name"
    crs: str | int | None = None


@dataclass(frozen=True)
class RunConfig:
    """A checked run config: the drivers (a checked loader config or a drivers file), the model choices, what
    to write and where.  ``outputs`` None: every variable :func:`carbontools.run` returns."""

    source: str
    base: Path
    drivers: DriversConfig | Path
    output: Path
    casa: str = "zhu2007"
    rh: str = "pei2009"
    parameters: dict = field(default_factory=dict)
    urban_soils: str = "unsealed"
    check: bool = True
    min_valid_share: float = 0.9
    period: tuple[pd.Period, pd.Period] | None = None
    chunks: dict = field(default_factory=lambda: dict(DEFAULT_CHUNKS))
    outputs: tuple[str, ...] | None = None
    format: str = "netcdf"
    maps: tuple[str, ...] = ANNUAL
    tables: tuple[str, ...] = ANNUAL
    table_unit: str = "t C"
    landcover_table: bool = True
    regions: RegionsSpec | None = None

    def resolved(self) -> dict:
        """The config as resolved (absolute paths, defaults filled in), as plain JSON-able values."""
        if isinstance(self.drivers, DriversConfig):
            d = self.drivers
            drivers = {name: {"kind": s.kind, "paths": [str(p) for p in s.paths], "variable": s.variable,
                              "units": s.units, "crs": s.crs} for name, s in d.monthly.items()}
            if d.era5_land is not None:
                drivers["era5_land"] = str(d.era5_land)
            drivers["landcover"] = {"path": str(d.landcover.path), "scheme": d.landcover.scheme,
                                    "nodata": d.landcover.nodata, "crs": d.landcover.crs}
            if d.impervious is not None:
                drivers["impervious"] = {"path": str(d.impervious.path), "units": d.impervious.units,
                                         "variable": d.impervious.variable}
            drivers["grid"] = str(d.grid)
            if d.period is not None:
                drivers["period"] = [str(p) for p in d.period]
            if d.gapfill is not None:
                drivers["gapfill"] = dataclasses.asdict(d.gapfill)
        else:
            drivers = str(self.drivers)
        return {"drivers": drivers, "casa": self.casa, "rh": self.rh, "parameters": self.parameters,
                "urban_soils": self.urban_soils, "check": self.check, "min_valid_share": self.min_valid_share,
                "period": [str(p) for p in self.period] if self.period else None, "chunks": self.chunks,
                "outputs": list(self.outputs) if self.outputs is not None else None, "format": self.format,
                "maps": list(self.maps), "tables": {"variables": list(self.tables), "unit": self.table_unit,
                                                    "landcover": self.landcover_table},
                "regions": None if self.regions is None else {"path": str(self.regions.path),
                                                             "name_column": self.regions.name_column,
                                                             "crs": self.regions.crs},
                "output": str(self.output)}


def _run_suggest(key, allowed) -> str:
    text = str(key).lower()
    if text in RUN_ALIASES and RUN_ALIASES[text] in allowed:
        return f"did you mean {RUN_ALIASES[text]!r}?"
    return _suggest(key, allowed)


def _run_keys(c: _Checker, key: str, entry: Mapping, allowed: Sequence[str]) -> None:
    for k in entry:
        if k not in allowed:
            where = f"{key}.{k}" if key else str(k)
            if not key and k in TOP_KEYS:
                c.note(where, f"a key of the drivers' loader config; put it under drivers: (drivers: {{{k}: ...}})")
            else:
                c.note(where, f"unknown key; {_run_suggest(k, allowed)}")


def _names(c: _Checker, key: str, value, allowed: Sequence[str], what: str) -> tuple[str, ...] | None:
    """A list of variable names, each among ``allowed`` (a misspelt one with the nearest)."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not all(isinstance(i, str) for i in items):
        c.note(key, f"expected a list of {what} such as {list(allowed[:3])}, got {value!r}")
        return None
    bad = False
    for item in items:
        if item not in allowed:
            close = difflib.get_close_matches(item, list(allowed), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            c.note(key, f"{item!r} is not one of the {what}; {hint}they are {', '.join(allowed)}")
            bad = True
    return None if bad else tuple(dict.fromkeys(items))


def _output_dir(c: _Checker, value) -> Path | None:
    if not isinstance(value, (str, os.PathLike)) or not str(value).strip():
        c.note("output", f"expected the path of a directory for the results, got {value!r}")
        return None
    p = Path(value).expanduser()
    p = p if p.is_absolute() else c.base / p
    if p.exists() and not p.is_dir():
        c.note("output", f"{p} is a file; give a directory (it is created if it does not exist)")
        return None
    existing = p
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        c.note("output", f"{existing} is not writable{' (the nearest existing folder of ' + str(p) + ')' if existing != p else ''}; "
                         "give a directory you may write to")
        return None
    return p


def _chunks(c: _Checker, value) -> dict | None:
    if not isinstance(value, Mapping):
        c.note("chunks", f"expected a mapping of dims to sizes such as {{y: 512, x: 512}}, got {value!r}")
        return None
    out = dict(DEFAULT_CHUNKS)
    for dim, size in value.items():
        if dim not in CHUNK_DIMS:
            c.note(f"chunks.{dim}", f"unknown dimension; {_suggest(dim, CHUNK_DIMS)}")
        elif isinstance(size, bool) or not isinstance(size, int) or not (size > 0 or size == -1):
            c.note(f"chunks.{dim}", f"expected a number of pixels (a whole number above 0, or -1 for the whole "
                                    f"axis), got {size!r}")
        else:
            out[dim] = size
    return out


def _parameters(c: _Checker, value, casa: str | None, rh: str | None) -> dict:
    from ..params import RH_MODELS, casa_preset

    if not isinstance(value, Mapping):
        c.note("parameters", f"expected a mapping such as {{te2_c: 1.1814, eps_max: {{'4': 0.7}}, q10: 2.5}}, "
                             f"got {value!r}")
        return {}
    if casa is None or rh is None:
        return dict(value)  # the preset or the model is wrong already: its fields are unknown
    casa_p, rh_p = casa_preset(casa), RH_MODELS[rh].params()
    casa_fields = [f.name for f in dataclasses.fields(casa_p)]
    rh_fields = [f.name for f in dataclasses.fields(rh_p)]
    good = {}
    for k, v in value.items():
        if k in casa_fields or k in rh_fields:
            good[k] = v
            continue
        close = difflib.get_close_matches(str(k), casa_fields + rh_fields, n=1, cutoff=0.6)
        others = [n for n in RH_MODELS if n != rh and str(k) in {f.name for f in dataclasses.fields(RH_MODELS[n].params())}]
        hint = (f"it belongs to the Rh model {others[0]!r}; set rh: {others[0]}" if others else
                f"did you mean {close[0]!r}?" if close else
                f"CASA parameters: {', '.join(casa_fields)}; {rh} parameters: {', '.join(rh_fields)}")
        c.note(f"parameters.{k}", f"unknown parameter of CASA {casa!r} and Rh model {rh!r}; {hint}")
    for k, v in good.items():
        try:
            (casa_p if k in casa_fields else rh_p).replace(**{k: v})
        except (TypeError, ValueError) as err:
            c.note(f"parameters.{k}", f"{v!r}: {err}")
    return dict(value)


def validate_run_config(config) -> RunConfig:
    """Check a run config (a dict or a JSON / YAML path) for :func:`carbontools.batch.run_config`; read no data.

    The keys are in :data:`RUN_KEYS`; ``drivers`` is a loader config (inline, or the path of its YAML / JSON
    file: every key of :func:`carbontools.io.load_drivers`) or the path of a drivers NetCDF / Zarr.
    Raises :class:`ConfigError` listing every problem with its key path and the fix.
    """
    from ..params import CASA_PRESETS, RH_MODELS
    from ..pipeline import RESULT_VARIABLES, URBAN_SOILS

    raw, base, source = _read(config)
    c = _Checker(base, from_file=source != "config")
    _run_keys(c, "", raw, RUN_KEYS)
    guessed = {RUN_ALIASES.get(str(k).lower()) or next(iter(difflib.get_close_matches(str(k).lower(), RUN_KEYS, n=1,
                                                                                      cutoff=0.6)), None)
               for k in raw if k not in RUN_KEYS}
    for k, what in (("drivers", "a loader config {ndvi: ..., era5_land: ..., landcover: {path, scheme}}, the path "
                                "of one (YAML / JSON), or the path of a drivers NetCDF / Zarr"),
                    ("output", "the directory the results go to")):
        if k not in raw and k not in guessed:
            c.note(k, f"missing; give {what}")
    drivers = None
    if "drivers" in raw:
        value = raw["drivers"]
        if isinstance(value, Mapping):
            c.prefix = "drivers."
            drivers = _drivers_config(c, value, source)
            c.prefix = ""
        elif isinstance(value, (str, os.PathLike)) and str(value).strip():
            found = c.files("drivers", value, one=True)
            if found is not None:
                p = found[0]
                if p.suffix.lower() in LOADER_SUFFIXES:
                    try:
                        drivers = validate_config(p)
                    except ConfigError as err:
                        c.problems += [f"drivers ({p.name}): {problem}" for problem in err.problems]
                    except ValueError as err:
                        c.note("drivers", str(err))
                elif p.suffix.lower() in DRIVERS_FILE_SUFFIXES or p.is_dir():
                    drivers = p
                else:
                    c.note("drivers", f"{p.name}: give a loader config ({', '.join(LOADER_SUFFIXES)}) or a drivers "
                                      f"file ({', '.join(DRIVERS_FILE_SUFFIXES)})")
        else:
            c.note("drivers", f"expected a loader config (a mapping) or a path, got {value!r}")
    casa = raw.get("casa", "zhu2007")
    if casa not in CASA_PRESETS:
        c.note("casa", f"{casa!r} unknown; {_suggest(casa, list(CASA_PRESETS))}")
        casa = None
    rh = raw.get("rh", "pei2009")
    if rh not in RH_MODELS:
        c.note("rh", f"{rh!r} unknown; {_suggest(rh, list(RH_MODELS))}")
        rh = None
    parameters = _parameters(c, raw["parameters"], casa, rh) if "parameters" in raw else {}
    urban = raw.get("urban_soils", "unsealed")
    if urban not in URBAN_SOILS:
        c.note("urban_soils", f"{urban!r} unknown; {_suggest(urban, list(URBAN_SOILS))}")
    check = raw.get("check", True)
    if not isinstance(check, bool):
        c.note("check", f"expected true or false, got {check!r}")
    share = raw.get("min_valid_share", 0.9)
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1:
        c.note("min_valid_share", f"expected a share between 0 and 1, got {share!r}")
    period = None
    if "period" in raw:
        try:
            period = parse_period(raw["period"])
        except ValueError as err:
            c.problems.append(str(err))
    chunks = _chunks(c, raw["chunks"]) if "chunks" in raw else dict(DEFAULT_CHUNKS)
    variables = (*RESULT_VARIABLES, "landcover")
    outputs = _names(c, "outputs", raw["outputs"], variables, "variables of a run") if "outputs" in raw else None
    kept = outputs if outputs is not None else variables
    fmt = raw.get("format", "netcdf")
    if fmt not in FORMATS:
        c.note("format", f"{fmt!r} unknown; {_suggest(fmt, FORMATS)}")
    annual = tuple(v for v in ANNUAL if v in kept)

    def among_outputs(key, names):
        left = [n for n in names if n not in kept]
        if left:
            c.note(key, f"{', '.join(map(repr, left))} {'is' if len(left) == 1 else 'are'} not among outputs "
                        f"({', '.join(kept)}); add {'it' if len(left) == 1 else 'them'} to outputs or remove "
                        f"{'it' if len(left) == 1 else 'them'} here")
            return ()
        return names

    maps = annual
    if "maps" in raw:
        if raw["maps"] is False or raw["maps"] == []:
            maps = ()
        else:
            maps = _names(c, "maps", raw["maps"], ANNUAL, "annual maps") or ()
            maps = among_outputs("maps", maps)
    tables, unit, landcover_table = annual, "t C", True
    if "tables" in raw:
        value = raw["tables"]
        if value is False:
            tables = ()
        elif isinstance(value, Mapping):
            _run_keys(c, "tables", value, TABLES_KEYS)
            if "variables" in value:
                tables = among_outputs("tables.variables",
                                       _names(c, "tables.variables", value["variables"], ANNUAL, "annual maps") or ())
            unit = value.get("unit", unit)
            from ..units import area_total_factor

            try:
                area_total_factor("g m-2 yr-1", unit, "tables")
            except ValueError as err:
                c.note("tables.unit", str(err).replace("unit ", "", 1))
            landcover_table = value.get("landcover", True)
            if not isinstance(landcover_table, bool):
                c.note("tables.landcover", f"expected true or false (a table by land cover), got {landcover_table!r}")
        else:
            c.note("tables", f"expected false or a mapping such as {{variables: [nep_annual], unit: 't C', "
                             f"landcover: true}}, got {value!r}")
    regions = None
    if "regions" in raw:
        entry = _as_entry(c, "regions", raw["regions"], "{path: districts.geojson, name_column: name}")
        if entry is not None:
            _run_keys(c, "regions", entry, REGIONS_KEYS)
            if "path" not in entry:
                c.note("regions.path", "missing; the region polygons (GeoJSON, Shapefile, GeoPackage)")
            found = c.files("regions.path", entry["path"], one=True) if "path" in entry else None
            name_column = c.text("regions.name_column", entry.get("name_column", "name"), "a column name")
            crs = c.crs("regions.crs", entry["crs"]) if "crs" in entry else None
            if found is not None and name_column is not None:
                regions = RegionsSpec(found[0], name_column, crs)
    asked_none = raw.get("tables") is False or (isinstance(raw.get("tables"), Mapping)
                                                and raw["tables"].get("variables") == [])
    if regions is not None and asked_none:
        c.note("regions", "the regions are for the tables, but no table is asked for; set tables.variables")
    output = _output_dir(c, raw["output"]) if "output" in raw else None
    if c.problems:
        raise ConfigError(source, c.problems)
    return RunConfig(source=source, base=base, drivers=drivers, output=output, casa=casa, rh=rh,
                     parameters=parameters, urban_soils=urban, check=check, min_valid_share=float(share),
                     period=period, chunks=chunks, outputs=outputs, format=fmt, maps=tuple(maps),
                     tables=tuple(tables), table_unit=unit, landcover_table=landcover_table, regions=regions)
