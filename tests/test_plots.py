"""carbontools.plots: the one colour-limit rule (hand-computed percentiles), square-pixel maps, and the
figures that use the rule."""

import dask.array
import numpy as np
import pytest
import xarray as xr

from carbontools import plots


def grid(values, dy=1.0, dx=1.0, units="g C m-2 yr-1"):
    values = np.asarray(values, dtype=float)
    ny, nx = values.shape
    return xr.DataArray(values, dims=("y", "x"), coords={"y": 100.0 - dy * np.arange(ny), "x": dx * np.arange(nx)},
                        attrs={"units": units})


# --- color_limits ---------------------------------------------------------------------------------

def test_limits_are_the_2nd_and_98th_percentiles():
    # 0, 1, ..., 100: the p-th percentile (linear interpolation) is p itself
    assert plots.color_limits(np.arange(101.0), symmetric=False) == (2.0, 98.0)
    assert plots.color_limits(np.arange(101.0), symmetric=False, percentile=90) == (10.0, 90.0)


def test_symmetric_limits_from_absolute_values_without_nan_or_inf():
    values = np.array([-4.0, -2.0, 0.0, 1.0, 3.0, np.nan, np.inf])
    # finite |values| = 0, 1, 2, 3, 4: the 50th percentile is 2; the 98th is 3 + 0.92 x (4 - 3) = 3.92
    assert plots.color_limits(values, symmetric=True, percentile=50) == (-2.0, 2.0)
    assert plots.color_limits(values, symmetric=True) == pytest.approx((-3.92, 3.92))


def test_several_arrays_share_one_scale():
    low, high = np.arange(0.0, 51.0), grid(np.arange(51.0, 101.0).reshape(2, 25))
    # pooled they are 0..100 again: (2, 98); each alone would give its own range
    assert plots.color_limits(low, high, symmetric=False) == (2.0, 98.0)
    assert plots.color_limits(low, symmetric=False) == (1.0, 49.0)  # 0..50: 2 % of 50 = 1


def test_dask_arrays_give_the_numpy_result():
    values = np.arange(101.0).reshape(1, 101)
    lazy = xr.DataArray(dask.array.from_array(values, chunks=(1, 20)), dims=("y", "x"))
    assert plots.color_limits(lazy, symmetric=False) == plots.color_limits(values, symmetric=False) == (2.0, 98.0)


def test_large_arrays_are_read_on_a_stride():
    values = np.arange(100.0).reshape(10, 10)  # value = 10 x row + column
    # 100 values > 25: every ceil(sqrt(100 / 25)) = 2nd row and column -> 10 i + j for even i, j: 0 .. 88
    assert plots.color_limits(values, symmetric=False, percentile=100, sample_size=25) == (0.0, 88.0)
    assert plots.color_limits(values, symmetric=False, percentile=100) == (0.0, 99.0)
    lazy = dask.array.from_array(values, chunks=5)
    assert plots.color_limits(lazy, symmetric=False, percentile=100, sample_size=25) == (0.0, 88.0)


def test_degenerate_arrays_still_give_a_range():
    assert plots.color_limits(np.full(4, np.nan), symmetric=False) == (0.0, 1.0)
    assert plots.color_limits(np.full(4, np.nan), symmetric=True) == (-1.0, 1.0)
    assert plots.color_limits(np.zeros(4), symmetric=True) == (-1.0, 1.0)
    assert plots.color_limits(np.full(4, 5.0), symmetric=False) == (4.0, 6.0)


def test_bad_arguments():
    with pytest.raises(TypeError, match="at least one"):
        plots.color_limits(symmetric=True)
    with pytest.raises(ValueError, match="percentile"):
        plots.color_limits(np.arange(3.0), symmetric=False, percentile=40)


# --- map_image -------------------------------------------------------------------------------------

def test_map_image_square_pixels_and_default_limits():
    da = grid(np.arange(8.0).reshape(2, 4) - 4.0)
    image = plots.map_image(da, "NEP", "RdYlGn", symmetric=True, frame_width=200)
    opts = image.opts.get().kwargs
    assert opts["frame_width"] == 200 and opts["frame_height"] == 100  # 2 rows x 1 / (4 columns x 1) = 1/2
    # |values| = 4, 3, 2, 1, 0, 1, 2, 3 -> sorted 0 1 1 2 2 3 3 4; 98th: index 6.86 -> 3 + 0.86 = 3.86
    assert opts["clim"] == pytest.approx((-3.86, 3.86))
    assert opts["clabel"] == "g C m-2 yr-1" and opts["title"] == "NEP"
    assert plots.map_image(da, clim=(0, 10)).opts.get().kwargs["clim"] == (0, 10)


def test_map_image_height_follows_the_cell_size():
    # 2 rows of 2 m, 4 columns of 1 m: a 4 m x 4 m square -> as high as wide
    assert plots.square_frame_height(grid(np.ones((2, 4)), dy=2.0), 300) == 300
    assert plots.square_frame_height(grid(np.ones((1, 3))), 300) == 100  # one row takes the columns' step


def test_map_image_needs_a_map():
    with pytest.raises(ValueError, match="'y' and 'x'"):
        plots.map_image(xr.DataArray(np.ones(3), dims="time"))


# --- figures that use the rule --------------------------------------------------------------------

def test_residual_map_uses_the_rule():
    obs = grid([[1.0, 1.0], [1.0, 1.0]])
    sim = grid([[2.0, 0.0], [3.0, np.nan]])
    # residuals 1, -1, 2 (NaN left out): |r| sorted 1 1 2, 98th: index 1.96 -> 1 + 0.96 = 1.96
    low, high = plots.residual_map(sim, obs).opts.get().kwargs["clim"]
    assert (low, high) == pytest.approx((-1.96, 1.96))


def test_latitude_time_panels_share_the_pooled_scale():
    import pandas as pd

    time = pd.date_range("2020-01-01", periods=2, freq="MS")
    def section(values):
        return xr.DataArray([values], dims=("y", "time"), coords={"y": [10.0], "time": time})

    layout = plots.latitude_time_plots({"small": section([-1.0, 1.0]), "large": section([0.0, 100.0])})
    # pooled |values| sorted 0 1 1 100: the 98th percentile at index 2.94 is 1 + 0.94 x 99 = 94.06, for both
    # panels (each alone: 1 and 98)
    limits = [panel.opts.get().kwargs["clim"] for panel in layout]
    assert limits[0] == limits[1] == pytest.approx((-94.06, 94.06))
    assert plots.latitude_time_plots({"a": section([-1.0, 1.0])}, clim=5.0)[0].opts.get().kwargs["clim"] == (-5, 5)


def test_figures_are_still_importable_from_compare_and_validate():
    from carbontools import compare, validate

    assert compare.bar_plot is plots.bar_plot and compare.seasonal_plot is plots.seasonal_plot
    assert compare.latitude_time_plots is plots.latitude_time_plots
    assert validate.density_scatter is plots.density_scatter and validate.residual_map is plots.residual_map


def test_bar_plot_with_an_ensemble_gives_each_panel_the_factor_levels_it_draws():
    # a shared "zone" axis gave the grouped bars one level of factors for two-level data: BokehJS refused
    # to draw the figure ("Attempted to map 2 levels of factors with an L1FactorMap") and Python saw nothing
    import holoviews as hv
    import pandas as pd
    from bokeh.models import FactorRange, Plot

    hv.extension("bokeh")
    columns = pd.MultiIndex.from_product([["a", "b", "ensemble"], ["mean", "min", "max"]])
    table = pd.DataFrame(np.arange(18.0).reshape(2, 9), index=["north", "south"], columns=columns)
    figure = hv.render(plots.bar_plot(table, ["a", "b"]))
    checked = 0
    for plot in figure.select({"type": Plot}):
        assert isinstance(plot.x_range, FactorRange)
        levels = {len(f) if isinstance(f, tuple) else 1 for f in plot.x_range.factors}
        for renderer in plot.renderers:
            xs = renderer.data_source.data.get("xoffsets", renderer.data_source.data.get("zone"))
            data_levels = {len(x) if isinstance(x, (list, tuple)) else 1 for x in xs}
            assert data_levels == levels, (plot.title.text, plot.x_range.factors, list(xs))
            checked += 1
    assert checked >= 2


# --- budget_bars ----------------------------------------------------------------------------------

def test_budget_bars_keep_the_legend_off_the_bars_and_stack_the_table():
    """Notebook 15's legend (hvplot legend='top_right', inside the frame) covered the wetland park's bar; the legend
    of budget_bars is a panel right of the frame (bokeh fig.right), none inside it.  The stacks are the table's
    values: sequestration up from 0, management down from 0, construction down from -management."""
    import holoviews as hv
    import pandas as pd
    from bokeh.models import Legend

    hv.extension("bokeh")
    table = pd.DataFrame({"sequestration": [6.0, 4.5], "management": [2.0, 0.5],
                          "construction_amortised": [0.5, 1.5], "net": [3.5, 2.5]}, index=["lawn", "wetland park"])
    fig = hv.render(plots.budget_bars(table), backend="bokeh")
    assert [type(m).__name__ for m in fig.right] == ["Legend"]
    assert not [m for m in fig.center if isinstance(m, Legend)]
    (bars,) = [r for r in fig.renderers if type(r.glyph).__name__ == "VBar"]
    data = bars.data_source.data
    stacks = {(v, str(p)): (float(b), float(t)) for v, p, b, t in
              zip(data["Variable"], data["index"], data["bottom"], data["top"])}
    assert stacks[("sequestration", "wetland park")] == (0.0, 4.5)
    assert stacks[("management", "lawn")] == (-2.0, 0.0)
    assert stacks[("construction", "lawn")] == (-2.5, -2.0)  # -2.0 - 0.5
    (net,) = [r for r in fig.renderers if type(r.glyph).__name__ == "Scatter"]
    assert list(net.data_source.data["y"]) == [3.5, 2.5]
    with pytest.raises(ValueError, match=r"no \['net'\]"):
        plots.budget_bars(table.drop(columns="net"))


def test_projected_map_axes_write_metres_in_full():
    """A UTM map's ticks were 3.380e+6 (Bokeh's scientific default, notebook 13): they are written 3,380,000, the
    numeral.js format "0,0" (thousands separators, no decimals); latitude/longitude keeps Bokeh's plain degrees."""
    import holoviews as hv

    hv.extension("bokeh")
    utm = grid(np.arange(12.0).reshape(3, 4), dy=250.0, dx=250.0)
    utm = utm.assign_coords(y=3_380_000.0 - 250.0 * np.arange(3), x=650_000.0 + 250.0 * np.arange(4))
    fig = hv.render(plots.map_image(utm.rio.write_crs("EPSG:32650")), backend="bokeh")
    for axis in (fig.xaxis[0], fig.yaxis[0]):
        assert type(axis.formatter).__name__ == "NumeralTickFormatter" and axis.formatter.format == "0,0"
    assert fig.xaxis[0].axis_label == "easting (m, EPSG:32650)"
    fig = hv.render(plots.map_image(utm.rio.write_crs("EPSG:4326")), backend="bokeh")
    assert type(fig.xaxis[0].formatter).__name__ != "NumeralTickFormatter"


def test_seasonal_plot_names_every_month():
    """Notebook 14's seasonal cycle had ticks at 2, 4, ..., 12 only: every month is a tick, named as pandas names
    the first day of each month of 2001 (%b)."""
    import holoviews as hv
    import pandas as pd

    hv.extension("bokeh")
    time = pd.date_range("2001-01-01", periods=24, freq="MS")
    values = np.sin(np.arange(24.0))[:, None, None] * np.ones((24, 2, 2))
    nep = xr.DataArray(values, dims=("time", "y", "x"), coords={"time": time, "y": [30.5, 29.5], "x": [110.5, 111.5]},
                       name="nep").rio.write_crs("EPSG:4326")
    fig = hv.render(plots.seasonal_plot({"a": nep}), backend="bokeh")
    ticker = fig.xaxis[0].ticker
    assert list(ticker.ticks) == list(range(1, 13))
    overrides = fig.xaxis[0].major_label_overrides
    assert [overrides[m] for m in range(1, 13)] == ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
                                                    "Oct", "Nov", "Dec"]


def test_colour_bars_name_the_carbon_basis_the_units_leave_out():
    """carbontools' annual NEP is 'g m-2 yr-1' with carbon_basis='C' (pipeline.py, for UDUNITS): notebook 12's map
    said 'g m-2 yr-1'.  The label names the basis after the mass; other units are left as written."""
    import holoviews as hv

    def label(units, basis="C"):
        return plots.unit_label(xr.DataArray(0.0, attrs={"units": units, "carbon_basis": basis}))

    assert label("g m-2 yr-1") == "g C m-2 yr-1"
    assert label("Mg ha-1") == "Mg C ha-1"
    assert label("t yr-1", "CO2") == "t CO2 yr-1"
    assert label("g C m-2 yr-1") == "g C m-2 yr-1"  # names it already
    assert label("W m-2") == "W m-2" and label("degC") == "degC" and label("1") == "1"  # not a mass
    assert plots.unit_label(xr.DataArray(0.0, attrs={"units": "g m-2 yr-1"})) == "g m-2 yr-1"  # no basis given

    hv.extension("bokeh")
    nep = grid(np.arange(12.0).reshape(3, 4), units="g m-2 yr-1").assign_attrs(carbon_basis="C")
    lonlat = nep.assign_coords(y=[30.5, 29.5, 28.5], x=[110.5, 111.5, 112.5, 113.5]).rio.write_crs("EPSG:4326")
    for figure in (plots.map_image(nep), plots.geo_map(lonlat)):
        (bar,) = [m for m in hv.render(figure, backend="bokeh").right if type(m).__name__ == "ColorBar"]
        assert bar.title == "g C m-2 yr-1"


def test_class_map_gives_each_code_its_own_colour_and_names_the_present_classes():
    """Notebook 13's land cover was tab20 stretched over 0-17: 20 colours over 17 code steps, so that colour bins
    and codes did not line up, and the bar said 0, 2, ..., 16.  Here the mapper runs from -0.5 to max + 0.5 in
    max + 1 colours: Bokeh's linear mapper puts value v in bin floor((v + 0.5) / (max + 1) x (max + 1)) = v for an
    integer code v, i.e. Category20's colour v; the bar's ticks are the codes present, named."""
    import holoviews as hv
    from bokeh.models import ColorBar
    from bokeh.palettes import Category20

    hv.extension("bokeh")
    codes = grid([[1, 5, 13], [12, np.nan, 5]], dy=250.0, dx=250.0)
    names = {0: "water", 1: "evergreen needleleaf", 5: "mixed forest", 12: "cropland", 13: "urban", 16: "barren"}
    (bar,) = [m for m in hv.render(plots.class_map(codes, names, "lc"), backend="bokeh").right
              if isinstance(m, ColorBar)]
    mapper = bar.color_mapper
    assert (mapper.low, mapper.high) == (-0.5, 16.5) and list(mapper.palette) == list(Category20[20][:17])
    for code in (1, 5, 12, 13):
        index = int(np.floor((code - mapper.low) / (mapper.high - mapper.low) * len(mapper.palette)))
        assert index == code
    assert list(bar.ticker.ticks) == [1, 5, 12, 13]
    assert bar.major_label_overrides == {1: "1 evergreen needleleaf", 5: "5 mixed forest", 12: "12 cropland",
                                         13: "13 urban"}
    with pytest.raises(ValueError, match="integer class codes"):
        plots.class_map(codes + 0.5, names)
    with pytest.raises(ValueError, match="20 colours"):
        plots.class_map(codes + 20, names)
