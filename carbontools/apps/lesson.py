"""A served teaching notebook as a lesson: its text and its figures, in the notebook's order.

``panel serve notebooks/NN.ipynb`` runs the notebook and shows only what is marked servable.  The last
cell of every teaching notebook calls :func:`serve` with ``globals()``: served, the page then carries
every markdown cell (the explanations, the summary, the questions for students) and the output of every
code cell tagged ``app`` (JupyterLab: property inspector, "Cell Tags"), in the notebook's order.  A tagged
cell must end with the name of what it shows (``bars``, ``explorer_view``), so that the served page shows
the very object the notebook displayed.  In JupyterLab :func:`serve` does nothing: the notebook itself is
the lesson.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import panel as pn

__all__ = ["NOTEBOOK_ONLY", "TAG", "lesson", "serve"]

#: code cells with this tag show their output in the served app
TAG = "app"
#: markdown cells with this tag stay out of the served app (text about the notebook itself)
NOTEBOOK_ONLY = "notebook-only"
#: the reading width of the text (px)
TEXT_WIDTH = 860


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _shown_name(cell, index: int, notebook: Path) -> str:
    """The variable a tagged code cell ends with."""
    source = _source(cell)
    try:
        body = ast.parse(source).body
    except SyntaxError as e:
        raise ValueError(f"{notebook.name}, cell {index}: tagged {TAG!r} but is not valid Python ({e})") from None
    last = body[-1] if body else None
    if not (isinstance(last, ast.Expr) and isinstance(last.value, ast.Name)):
        first = source.strip().splitlines()[0] if source.strip() else "(empty cell)"
        raise ValueError(f"{notebook.name}, cell {index} ({first!r}): a cell tagged {TAG!r} must end with the name "
                         "of what it shows, e.g. a last line `bars`; assign the figure to a name and end with it")
    return last.value.id


def _item(obj):
    if isinstance(obj, (pd.DataFrame, pd.Series)):
        frame = obj.to_frame() if isinstance(obj, pd.Series) else obj
        return pn.pane.DataFrame(frame, sizing_mode="stretch_width", max_width=TEXT_WIDTH)
    item = pn.panel(obj)
    # a figure in a row of its own: Bokeh aligns the frames of the plots one column holds, so a map without axes
    # was shifted right by its neighbours' y-axis width inside a canvas not widened for it, and its colour bar's
    # tick labels fell off the canvas (notebook 13's NEP map, below the land-cover map with its axes)
    return pn.Row(item) if isinstance(item, (pn.pane.HoloViews, pn.pane.Bokeh)) else item


def lesson(notebook: str | Path, namespace: Mapping) -> pn.Column:
    """The served page of ``notebook``: its markdown cells and, taken from ``namespace`` (the notebook's
    ``globals()``), what its code cells tagged :data:`TAG` show, in order.  ``name`` is the notebook's title.

    Markdown cells tagged :data:`NOTEBOOK_ONLY` are left out.  A tagged cell that does not end with a
    name, or whose name is not in ``namespace``, raises ``ValueError`` saying which cell it is.
    """
    notebook = Path(notebook)
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    items, title = [], None
    for index, cell in enumerate(cells):
        tags = cell.get("metadata", {}).get("tags", [])
        if cell["cell_type"] == "markdown" and NOTEBOOK_ONLY not in tags:
            text = _source(cell)
            if title is None and text.lstrip().startswith("# "):
                title = text.lstrip()[2:].splitlines()[0].strip()
            items.append(pn.pane.Markdown(text, sizing_mode="stretch_width", max_width=TEXT_WIDTH))
        elif cell["cell_type"] == "code" and TAG in tags:
            name = _shown_name(cell, index, notebook)
            if name not in namespace:
                raise ValueError(f"{notebook.name}, cell {index} shows {name!r}, which the notebook has not defined: "
                                 "run the notebook top to bottom before building its lesson")
            items.append(_item(namespace[name]))
    if not any(TAG in c.get("metadata", {}).get("tags", []) for c in cells if c["cell_type"] == "code"):
        raise ValueError(f"{notebook.name} has no code cell tagged {TAG!r}: tag the cells whose figures belong in "
                         "the served app")
    return pn.Column(*items, name=title or notebook.stem, sizing_mode="stretch_width",
                     styles={"margin": "0 auto"}, max_width=1500)


def serve(namespace: Mapping) -> pn.Column | None:
    """Served (``panel serve``): mark the lesson of the notebook that runs in ``namespace`` servable and
    return it.  In Jupyter (not served): nothing, the notebook is the lesson."""
    # pn.state.served asks whether its *caller* runs under `panel serve`; here the caller is this module, so
    # the same test is made on the notebook's namespace (Bokeh runs a served app as a module "bokeh_app_...")
    if not str(namespace.get("__name__", "")).startswith("bokeh_app_"):
        return None
    if "__file__" not in namespace:
        raise ValueError("serve(globals()) needs the notebook's globals(), which `panel serve` gives a __file__")
    page = lesson(namespace["__file__"], namespace)
    return page.servable(title=page.name)
