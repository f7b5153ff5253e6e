"""HoloViews, hvplot and Panel in a Jupyter notebook that works without a network.

``hv.extension("bokeh", inline=True)`` and ``pn.extension(inline=True)`` are not enough offline in
JupyterLab (HoloViews 1.22, hvplot 0.12, Panel 1.9):

- importing ``hvplot.xarray`` or ``hvplot.pandas`` loads the bokeh extension once more, with its own
  default ``inline=False``, and that load asks the HoloViz CDN for its module shims;
- a HoloViews object shown as a cell's result is rendered by HoloViews' own notebook path, whose
  stylesheets (loading spinner, list layout, theme) point at ``cdn.holoviz.org``, while Panel's path
  inlines them when ``pn.config.inline`` is set.

:func:`extension` loads both libraries with every script and stylesheet inlined, makes hvplot's own
load inline too, and shows HoloViews results through Panel's inline path.  Call it in a notebook's first
cell, before anything imports hvplot.  Outside a notebook (``panel serve``, scripts) it changes nothing
that matters: served apps get their resources from the Panel server.
"""

from __future__ import annotations

import holoviews as hv
import panel as pn

__all__ = ["extension"]


def _shown_by_panel(obj):
    """HoloViews' display hook for the cell results: the object rendered as a Panel pane (inline styles)."""
    if "html" not in hv.Store.display_formats:
        return None
    return pn.panel(obj)._repr_mimebundle_()


def extension(*panel_extensions: str, **panel_config) -> None:
    """Load HoloViews (bokeh), hvplot's xarray and pandas accessors and Panel, all resources inlined.

    ``panel_extensions`` are Panel's (``"tabulator"``, ...); other keywords go to ``pn.extension``.
    """
    from holoviews.core.dimension import LabelledData

    hv.extension.inline = True  # the default of later loads, hvplot's on import included
    hv.extension("bokeh", inline=True, logo=False)
    pn.extension(*panel_extensions, inline=True, **panel_config)
    import hvplot.pandas  # noqa: F401  (registers .hvplot on DataFrames)
    import hvplot.xarray  # noqa: F401  (registers .hvplot on DataArrays and Datasets)

    hv.Store.set_display_hook("html+js", LabelledData, _shown_by_panel)
