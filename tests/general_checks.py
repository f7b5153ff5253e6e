"""A shared checker for every public function of carbontools that takes xarray objects.

ARCHITECTURE.md: "Every model function works unchanged on numpy-backed and dask-backed arrays
(test both); nothing calls .values or .compute() inside the models."  The helpers here turn that
sentence into assertions that every test module can apply in one line:

``assert_backends_agree(func, *args, **kwargs)``
    Runs ``func`` once on the (numpy-backed) arguments as given and once on the same arguments
    chunked with dask into several chunks along every dimension (time included), then checks

    1. nothing was computed while ``func`` built its dask graph: a counting scheduler is installed
       with ``dask.config.set(scheduler=...)`` during the dask call, and every compute it sees
       (``.values``, ``.compute()``, ``bool(array)``, ``to_series()`` ...) is counted with the
       place in the code that asked for it (``max_computes`` allows a documented number);
    2. the dask result is still a dask array (``lazy=False`` for results built from coordinates
       only, e.g. cell areas), and the numpy result is not;
    3. the two results are equal once computed: values (``rtol``/``atol``, NaN where NaN), dims
       in the same order, coordinates (names and values), name, attrs and dtype kind;
    4. ``func`` left its arguments unchanged;
    5. optionally: the result keeps the grid of ``like`` (:func:`assert_keeps_grid`) and carries
       ``units``/``long_name`` (:func:`assert_has_metadata`), on both backends.

    Results may be a DataArray, a Dataset (compared variable by variable), a tuple or list of
    them, a pandas DataFrame/Series, or plain numbers/arrays.  Returns ``(numpy_result,
    dask_result_computed)`` so a test can go on with its own assertions.

``assert_keeps_grid(result, like, reduced=(), added=())``
    ``result`` has every dimension of ``like`` except ``reduced``, with the same coordinate values,
    in the same order, and keeps ``like``'s non-index coordinates on those dims (e.g. rioxarray's
    scalar ``spatial_ref``, which carries the CRS that ``grid.cell_area`` needs).

``assert_has_metadata(obj, units=None, long_name=True)``
    ``attrs['units']`` equals ``units`` (or exists, when ``units=True``) and ``attrs['long_name']``
    is a non-empty string (or equals the string given).

``assert_own_metadata(result, *inputs, units=None, keep_names=False)``
    A function that makes a new quantity leaves ``units`` unset or sets the right ones, and does not
    pass an input's ``long_name``/``standard_name``/name off as the result's (xarray keeps the
    attrs of the first operand through arithmetic, so a factor computed from ``tmean`` can come
    out as "air temperature" in degC).

``synthetic_scene()`` builds the small test scene the mirrored test modules share: 24 months x
5 x 6 pixels on a 1-degree geographic grid, with NaNs, cold months, dry months, and CASA land
cover that includes water (10), snow/ice (11) and nodata (NaN).

(The idea follows xarray-spatial's ``tests/general_checks.py``; the code is our own.)
"""

from __future__ import annotations

import copy
import math
import traceback
from collections.abc import Mapping

import dask
import dask.array as dsa
import numpy as np
import pandas as pd
import rioxarray  # noqa: F401  (registers .rio)
import xarray as xr

__all__ = [
    "ComputeCounter",
    "to_dask",
    "default_chunks",
    "assert_backends_agree",
    "assert_keeps_grid",
    "assert_has_metadata",
    "assert_own_metadata",
    "assert_lazy",
    "synthetic_scene",
]


# --- laziness ----------------------------------------------------------------------------------

class ComputeCounter:
    """A dask scheduler that counts the computes it is asked for and where they came from.

    Use as ``with dask.config.set(scheduler=counter): ...``.  Each compute is still carried out
    (synchronously), so code that computes on purpose keeps working and the count is exact; the
    caller decides how many computes are allowed.  ``places`` holds, per compute, the innermost
    frame inside carbontools (or the innermost frame outside dask/xarray/numpy) that asked for it.
    """

    def __init__(self):
        self.calls = 0
        self.places: list[str] = []

    def __call__(self, dsk, keys, **kwargs):
        self.calls += 1
        self.places.append(self._where())
        return dask.local.get_sync(dsk, keys, **kwargs)

    @staticmethod
    def _where() -> str:
        stack = traceback.extract_stack()[:-2]
        ours = [f for f in stack if "/carbontools/" in f.filename.replace("\\", "/") and "/tests/" not in f.filename]
        outside = [f for f in stack if "site-packages" not in f.filename]
        frame = (ours or outside or stack)[-1]
        return f"{frame.filename.split('/')[-1]}:{frame.lineno} in {frame.name}: {frame.line}"


def default_chunks(obj) -> dict:
    """At least two chunks along every dimension of two or more cells: chunk size ceil(n/2), and along
    ``time`` at most 10 months, so that chunks straddle the calendar years (24 months -> 10, 10, 4)."""
    return {d: max(1, min(10, math.ceil(n / 2)) if d == "time" else math.ceil(n / 2)) for d, n in obj.sizes.items()}


def to_dask(obj, chunks: Mapping | None = None):
    """``obj`` (DataArray or Dataset) dask-chunked along every dim; other values returned as they are.

    ``chunks`` maps dims to chunk sizes and overrides :func:`default_chunks` for those dims.
    """
    if not isinstance(obj, (xr.DataArray, xr.Dataset)):
        return obj
    sizes = {**default_chunks(obj), **{d: c for d, c in (chunks or {}).items() if d in obj.dims}}
    return obj.chunk(sizes)


def _arrays(obj):
    """The DataArrays inside a result (itself, the variables of a Dataset, members of a tuple)."""
    if isinstance(obj, xr.DataArray):
        yield "", obj
    elif isinstance(obj, xr.Dataset):
        for name, var in obj.data_vars.items():
            yield str(name), var
    elif isinstance(obj, (tuple, list)):
        for i, item in enumerate(obj):
            for name, var in _arrays(item):
                yield f"[{i}]{name}", var


def assert_lazy(result, what: str = "result") -> None:
    """Every DataArray in ``result`` is dask-backed."""
    found = False
    for name, var in _arrays(result):
        found = True
        assert isinstance(var.data, dsa.Array), (
            f"{what}{name} is {type(var.data).__name__}-backed, not dask: the dask input was loaded eagerly")
    assert found, f"{what} holds no DataArray to check for laziness"


def _assert_not_lazy(result, what: str) -> None:
    for name, var in _arrays(result):
        assert not isinstance(var.data, dsa.Array), f"{what}{name} is dask-backed although the input was numpy"


# --- metadata and grid -------------------------------------------------------------------------

def assert_has_metadata(obj, units=None, long_name=True) -> None:
    """``units`` (a string to match, True: any non-empty) and ``long_name`` (True: non-empty, or a string).

    For a Dataset every data variable is checked.
    """
    for name, var in _arrays(obj):
        label = name or var.name or "result"
        if units is not None:
            assert "units" in var.attrs, f"{label} has no attrs['units'] (attrs: {dict(var.attrs)})"
            if units is True:
                assert str(var.attrs["units"]).strip(), f"{label} has an empty units attribute"
            else:
                assert var.attrs["units"] == units, f"{label}: units {var.attrs['units']!r}, expected {units!r}"
        if long_name:
            got = var.attrs.get("long_name")
            assert isinstance(got, str) and got.strip(), f"{label} has no long_name (attrs: {dict(var.attrs)})"
            if isinstance(long_name, str):
                assert got == long_name, f"{label}: long_name {got!r}, expected {long_name!r}"


def assert_own_metadata(result, *inputs, units=None, keep_names: bool = False) -> None:
    """A function that makes a new quantity must not pass off an input's metadata as the result's.

    * ``units``: the unit the result is in (a string; or a dict by Dataset variable name, or by
      ``"[i]"`` for the members of a tuple).  The result
      may leave ``attrs['units']`` unset, but when it is set it must be this unit;
    * ``long_name`` and ``standard_name``, when set, must not be copies of an input's (a Te2 factor
      labelled "air temperature", say, because xarray carried the attrs of ``tmean`` along), and
      a DataArray result must not carry an input's name.  ``keep_names=True`` allows both for
      results that are the same quantity as their input (a sum over time, a block mean).
    """
    borrowed, names = {}, set()
    for arg in inputs:
        for _, var in _arrays(arg):
            names.add(var.name)
            for key in ("long_name", "standard_name"):
                if key in var.attrs:
                    borrowed.setdefault(key, set()).add(str(var.attrs[key]))
    names.discard(None)
    if keep_names:
        borrowed, names = {}, set()
    problems = []
    for name, var in _arrays(result):
        label = name or var.name or "result"
        if not isinstance(result, xr.Dataset) and var.name in names:  # (Dataset variables are named by their key)
            problems.append(f"{label} is named {var.name!r} like an input")
        unit = units.get(name) if isinstance(units, Mapping) else units
        if unit is not None and "units" in var.attrs and var.attrs["units"] != unit:
            problems.append(f"{label} has units {var.attrs['units']!r}, but is in {unit!r}")
        for key, values in borrowed.items():
            if str(var.attrs.get(key)) in values:
                problems.append(f"{label} carries the {key} {var.attrs[key]!r} of an input")
    assert not problems, "; ".join(problems)


def assert_keeps_grid(result, like, reduced=(), added=()) -> None:
    """``result`` keeps the dims, coordinates and non-index coordinates of ``like`` (but for ``reduced``).

    * every dim of ``like`` not in ``reduced`` is a dim of ``result``, with equal coordinate values
      (and the same name: a renamed dim fails), and they appear in the same relative order;
    * ``result`` has no dims besides those and ``added``;
    * every non-index coordinate of ``like`` whose dims all survive (scalar ones such as
      ``spatial_ref`` included) is in ``result`` with equal values.
    For a Dataset (or a tuple) every data variable is checked against the dims it should have.
    """
    reduced, added = set(reduced), set(added)
    kept = [d for d in like.dims if d not in reduced]
    for name, var in _arrays(result):
        label = name or var.name or "result"
        missing = [d for d in kept if d not in var.dims]
        assert not missing, f"{label} lost dim(s) {missing}: dims {var.dims}, expected {tuple(kept)} (+{added})"
        extra = [d for d in var.dims if d not in kept and d not in added]
        assert not extra, f"{label} has unexpected dim(s) {extra}: dims {var.dims}"
        order = [d for d in var.dims if d in kept]
        assert order == kept, f"{label} has dims in the order {tuple(order)}, expected {tuple(kept)}"
        for d in kept:
            if d in like.coords:
                assert d in var.coords, f"{label} lost the coordinate values of dim {d!r}"
                np.testing.assert_array_equal(var[d].values, like[d].values,
                                              err_msg=f"{label}: coordinate {d!r} changed")
        for cname, coord in like.coords.items():
            if cname in like.dims or not set(coord.dims) <= set(kept):
                continue
            assert cname in var.coords, f"{label} dropped the coordinate {cname!r} (kept: {list(var.coords)})"
            np.testing.assert_array_equal(var[cname].values, coord.values, err_msg=f"{label}: coordinate {cname!r}")


# --- numpy vs dask -----------------------------------------------------------------------------

#: attributes a result in memory states at once and a lazy (dask) one leaves to its caller, who computes
#: them with the data (run()'s valid shares): compared only when both results have them
EAGER_ONLY_ATTRS = ("valid_share",)


def _attrs_compared(a, b) -> tuple[dict, dict]:
    drop = [k for k in EAGER_ONLY_ATTRS if (k in a.attrs) != (k in b.attrs)]
    return ({k: v for k, v in a.attrs.items() if k not in drop}, {k: v for k, v in b.attrs.items() if k not in drop})


def _compare(a, b, rtol, atol, label="result") -> None:
    """Equality of a numpy result ``a`` and a computed dask result ``b`` of the same function."""
    assert type(a) is type(b), f"{label}: numpy gave {type(a).__name__}, dask gave {type(b).__name__}"
    if isinstance(a, xr.Dataset):
        assert list(a.data_vars) == list(b.data_vars), f"{label}: variables {list(a.data_vars)} vs {list(b.data_vars)}"
        assert list(a.coords) == list(b.coords), f"{label}: coords {list(a.coords)} vs {list(b.coords)}"
        for name in a.data_vars:
            _compare(a[name], b[name], rtol, atol, f"{label}[{name!r}]")
        assert a.attrs == b.attrs, f"{label}: Dataset attrs differ: {a.attrs} vs {b.attrs}"
    elif isinstance(a, xr.DataArray):
        assert a.dims == b.dims, f"{label}: dims {a.dims} (numpy) vs {b.dims} (dask)"
        assert a.name == b.name, f"{label}: name {a.name!r} (numpy) vs {b.name!r} (dask)"
        assert a.dtype.kind == b.dtype.kind, f"{label}: dtype {a.dtype} (numpy) vs {b.dtype} (dask)"
        assert sorted(map(str, a.coords)) == sorted(map(str, b.coords)), (
            f"{label}: coords {list(a.coords)} (numpy) vs {list(b.coords)} (dask)")
        xr.testing.assert_allclose(a, b, rtol=rtol, atol=atol)  # values (NaN == NaN), dims, coords
        a_attrs, b_attrs = _attrs_compared(a, b)
        assert a_attrs == b_attrs, f"{label}: attrs {a.attrs} (numpy) vs {b.attrs} (dask)"
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b), f"{label}: {len(a)} items (numpy) vs {len(b)} (dask)"
        for i, (x, y) in enumerate(zip(a, b)):
            _compare(x, y, rtol, atol, f"{label}[{i}]")
    elif isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=rtol, atol=atol)
        assert a.attrs == b.attrs, f"{label}: DataFrame attrs {a.attrs} vs {b.attrs}"
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b, check_exact=False, rtol=rtol, atol=atol)
    else:
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol, equal_nan=True,
                                   err_msg=label)


def _compute(obj):
    if isinstance(obj, (xr.DataArray, xr.Dataset)):
        return obj.compute(scheduler="synchronous")
    if isinstance(obj, (tuple, list)):
        return type(obj)(_compute(o) for o in obj)
    return obj


def _snapshot(values):
    return [copy.deepcopy(v) if isinstance(v, (xr.DataArray, xr.Dataset)) else None for v in values]


def _assert_unchanged(before, after, what):
    """The function must not modify its arguments in place (data, coords or attrs)."""
    for i, (b, a) in enumerate(zip(before, after)):
        if b is not None:
            try:
                xr.testing.assert_identical(b, a)
            except AssertionError as err:
                raise AssertionError(f"{what}() modified its argument {i} in place: {err}") from None


def assert_backends_agree(func, *args, chunks: Mapping | None = None, lazy: bool = True, max_computes: int | None = 0,
                          like=None, reduced=(), added=(), units=None, long_name=None,
                          rtol: float = 1e-12, atol: float = 1e-12, **kwargs):
    """``func`` on numpy-backed and on dask-chunked arguments: lazy, equal, grid and metadata kept.

    Parameters
    ----------
    func, args, kwargs
        The function and its arguments, numpy-backed.  Every DataArray/Dataset among ``args`` and
        ``kwargs`` is chunked with :func:`to_dask` for the dask run; everything else is passed as is.
    chunks
        Chunk sizes by dim for the dask run (default: :func:`default_chunks`).
    lazy
        The dask result must be dask-backed (set False for results built from coordinates only).
    max_computes
        How many computes ``func`` may trigger while building its dask result (default 0; None: any
        number, for functions that return computed tables such as DataFrames).
    like, reduced, added
        When ``like`` is given, both results must keep its grid (:func:`assert_keeps_grid`).
    units, long_name
        When given, both results must carry them (:func:`assert_has_metadata`).
    rtol, atol
        Tolerances of the numpy/dask comparison (the two should agree to rounding).

    Returns
    -------
    (numpy_result, dask_result_computed)
    """
    name = getattr(func, "__qualname__", repr(func))
    keys = list(kwargs)
    inputs = list(args) + [kwargs[k] for k in keys]
    before = _snapshot(inputs)

    eager = func(*args, **kwargs)
    _assert_not_lazy(eager, f"{name}() on numpy: result")

    lazy_args = [to_dask(a, chunks) for a in args]
    lazy_kwargs = {k: to_dask(v, chunks) for k, v in kwargs.items()}
    counter = ComputeCounter()
    with dask.config.set(scheduler=counter):
        delayed = func(*lazy_args, **lazy_kwargs)
    assert max_computes is None or counter.calls <= max_computes, (
        f"{name}() computed dask data {counter.calls} time(s) while building its result "
        f"(allowed {max_computes}): " + "; ".join(counter.places))
    if lazy:
        assert_lazy(delayed, f"{name}() on dask: result")
    _assert_unchanged(before, inputs, name)

    computed = _compute(delayed)
    _compare(eager, computed, rtol, atol, f"{name}()")
    for label, result in (("numpy", eager), ("dask", computed)):
        try:
            if like is not None:
                assert_keeps_grid(result, like, reduced=reduced, added=added)
            if units is not None or long_name:
                assert_has_metadata(result, units=units, long_name=long_name)
        except AssertionError as err:
            raise AssertionError(f"{name}() on {label}: {err}") from None
    return eager, computed


# --- the shared synthetic scene ----------------------------------------------------------------

def synthetic_scene(n_months: int = 24, ny: int = 5, nx: int = 6, start: str = "2020-01-01",
                    seed: int = 0) -> xr.Dataset:
    """Monthly drivers in canonical units on a 1-degree geographic grid (EPSG:4326, y = latitude, north first).

    Variables (time, y, x): ``ndvi``, ``tmean`` (degC; one cold pixel with months below -10),
    ``precip`` (mm month-1; dry months with 0), ``srad`` (MJ m-2 month-1), ``et``/``pet``
    (mm month-1; some PET = 0), ``moisture`` (0..1); (y, x): ``landcover`` (CASA codes 1..11 with
    water 10, snow/ice 11 and NaN for nodata), ``impervious`` (0..1), ``land_fraction`` (0..1).
    A few NaNs sit in ndvi, tmean, precip and srad of pixels other than the nodata one.  Every
    variable has ``units`` and ``long_name`` (tmean and precip a CF ``standard_name`` too), as the
    loaders and demo scenes write them.
    ``ny`` >= 5 and ``nx`` >= 6 (the special pixels sit at fixed places).
    """
    rng = np.random.default_rng(seed)
    time = pd.date_range(start, periods=n_months, freq="MS")
    y = 45.5 - np.arange(ny, dtype=float)
    x = 100.5 + np.arange(nx, dtype=float)
    month = time.month.values[:, None, None]
    season = np.sin(2 * np.pi * (month - 4) / 12)  # peaks in July
    shape = (n_months, ny, nx)
    tmean = 8.0 + 14.0 * season + rng.normal(0.0, 1.5, shape) + np.linspace(6, -6, ny)[None, :, None]
    tmean[:, 0, 0] -= 18.0  # a cold pixel: winters below -10 degC, Te1 = 0 there
    ndvi = np.clip(0.35 + 0.3 * season + rng.normal(0.0, 0.05, shape), -0.1, 0.9)
    precip = np.maximum(60.0 + 50.0 * season + rng.normal(0.0, 20.0, shape), 0.0)
    precip[rng.random(shape) < 0.08] = 0.0  # dry months
    srad = np.maximum(350.0 + 200.0 * season + rng.normal(0.0, 20.0, shape), 0.0)
    pet = np.maximum(70.0 + 60.0 * season, 0.0) + rng.uniform(0.0, 10.0, shape)
    pet[:, -1, -1] = 0.0  # no demand
    et = pet * rng.uniform(0.2, 1.2, shape)
    moisture = rng.uniform(0.2, 1.0, shape)
    for var, (t, j, i) in ((ndvi, (3, 1, 2)), (tmean, (14, 2, 3)), (precip, (7, 3, 1)), (srad, (20, 4, 4))):
        var[t % n_months, j % ny, i % nx] = np.nan
    landcover = rng.choice(np.arange(1.0, 10.0), size=(ny, nx))
    landcover[0, 1], landcover[1, 0], landcover[2, 2] = 10.0, 11.0, 8.0  # water, snow/ice, built-up
    landcover[4, 0] = np.nan  # nodata
    impervious = np.where(landcover == 8.0, 0.6, rng.uniform(0.0, 0.2, (ny, nx)))
    land_fraction = np.where(landcover == 10.0, 0.0, rng.uniform(0.5, 1.0, (ny, nx)))
    land_fraction[3, :] = 0.0  # a row without land
    cube = ("time", "y", "x")
    ds = xr.Dataset(
        {
            "ndvi": (cube, ndvi, {"units": "1", "long_name": "NDVI"}),
            "tmean": (cube, tmean, {"units": "degC", "long_name": "monthly mean air temperature",
                                    "standard_name": "air_temperature"}),
            "precip": (cube, precip, {"units": "mm month-1", "long_name": "monthly precipitation",
                                      "standard_name": "precipitation_amount"}),
            "srad": (cube, srad, {"units": "MJ m-2 month-1", "long_name": "incoming shortwave radiation"}),
            "et": (cube, et, {"units": "mm month-1", "long_name": "actual evapotranspiration"}),
            "pet": (cube, pet, {"units": "mm month-1", "long_name": "potential evapotranspiration"}),
            "moisture": (cube, moisture, {"units": "1", "long_name": "soil moisture scalar"}),
            "landcover": (("y", "x"), landcover, {"scheme": "casa", "long_name": "land cover (casa codes)"}),
            "impervious": (("y", "x"), impervious, {"units": "1", "long_name": "impervious surface fraction"}),
            "land_fraction": (("y", "x"), land_fraction, {"units": "1", "long_name": "land fraction"}),
        },
        coords={"time": time, "y": y, "x": x},
    )
    return ds.rio.write_crs("EPSG:4326")


# --- the checker's own tests -------------------------------------------------------------------
# (pytest collects them where a test module imports them: tests/models/test_nep.py)

def _toy():
    return synthetic_scene(n_months=12)["tmean"]  # NaNs included


def test_checker_passes_an_elementwise_function():
    t = _toy()
    eager, computed = assert_backends_agree(lambda a: (2.0 * a).assign_attrs(units="K", long_name="twice"), t,
                                            like=t, units="K", long_name=True)
    np.testing.assert_allclose(computed.values, 2.0 * t.values)


def test_checker_catches_a_compute_while_building_the_graph():
    def eager_mean(a):
        return a - float(a.mean())  # float() computes

    try:
        assert_backends_agree(eager_mean, _toy())
    except AssertionError as err:
        assert "computed dask data 1 time(s)" in str(err) and "eager_mean" in str(err)
    else:
        raise AssertionError("the checker missed a compute")


def test_checker_catches_a_result_that_is_no_longer_dask():
    try:
        assert_backends_agree(lambda a: a.copy(data=np.asarray(a.data) + 1.0), _toy(), max_computes=1)
    except AssertionError as err:
        assert "not dask" in str(err)
    else:
        raise AssertionError("the checker missed a loaded result")


def test_checker_catches_numpy_and_dask_that_differ():
    def chunk_dependent(a):  # per-chunk cumulative sum: right on one block, wrong on several
        if isinstance(a.data, dsa.Array):
            return a.copy(data=a.data.map_blocks(np.cumsum, axis=0))
        return a.copy(data=np.cumsum(a.data, axis=0))

    try:
        assert_backends_agree(chunk_dependent, _toy())
    except AssertionError as err:
        assert "not close" in str(err)
    else:
        raise AssertionError("the checker missed a numpy/dask difference")


def test_checker_catches_lost_coords_and_metadata():
    t = _toy()
    for func, message in [
        (lambda a: a.drop_vars("spatial_ref"), "dropped the coordinate 'spatial_ref'"),
        (lambda a: a.rename(x="lon"), "lost dim(s) ['x']"),
        (lambda a: a.assign_coords(y=a["y"] + 0.5), "coordinate 'y' changed"),
        (lambda a: a.isel(time=0), "lost dim(s) ['time']"),
        (lambda a: a.transpose("x", "y", "time"), "in the order"),
    ]:
        try:
            assert_backends_agree(func, t, like=t)
        except AssertionError as err:
            assert message in str(err), (message, str(err))
        else:
            raise AssertionError(f"the checker missed: {message}")
    try:
        assert_backends_agree(lambda a: (a * 2.0).drop_attrs(deep=False), t,
                              units="degC", long_name=False)
    except AssertionError as err:
        assert "has no attrs['units']" in str(err)
    else:
        raise AssertionError("the checker missed lost units")


def test_checker_catches_a_function_that_modifies_its_input():
    def in_place(a):
        a.attrs["touched"] = True
        return a * 1.0

    try:
        assert_backends_agree(in_place, _toy())
    except AssertionError:
        pass
    else:
        raise AssertionError("the checker missed an argument modified in place")


def elementwise(func, *arrays):
    """``func`` of plain floats applied to every element of equally shaped numpy arrays."""
    arrays = np.broadcast_arrays(*[np.asarray(a, dtype=float) for a in arrays])
    out = np.empty(arrays[0].shape)
    for idx in np.ndindex(out.shape):
        out[idx] = func(*(float(a[idx]) for a in arrays))
    return out
