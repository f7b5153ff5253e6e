"""carbontools.apps.lesson: a served notebook shows its text and its tagged figures, in order."""

import json
import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import panel as pn
import pytest

from carbontools.apps import lesson

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _notebook(tmp_path, cells) -> Path:
    nb = nbformat.v4.new_notebook()
    for kind, source, tags in cells:
        make = nbformat.v4.new_markdown_cell if kind == "md" else nbformat.v4.new_code_cell
        nb.cells.append(make(source, metadata={"tags": tags} if tags else {}))
    path = tmp_path / "10_example.ipynb"
    nbformat.write(nb, path)
    return path


def test_markdown_and_tagged_outputs_in_the_notebooks_order(tmp_path):
    table = pd.DataFrame({"NEP (Gg C/yr)": [1.0, 2.0]}, index=pd.Index(["forest", "crop"], name="class"))
    path = _notebook(tmp_path, [("md", "# 10 · An example\n\nText.", []),
                                ("code", "hidden = 1\nhidden", []),
                                ("md", "## 1. A table", []),
                                ("code", "table = make()\ntable", ["app"]),
                                ("md", "Only in Jupyter.", [lesson.NOTEBOOK_ONLY]),
                                ("code", "slider", ["app"])])
    slider = pn.widgets.FloatSlider(label="Q10")
    page = lesson.lesson(path, {"table": table, "slider": slider, "hidden": 1})
    assert page.name == "10 · An example"
    kinds = [type(o).__name__ for o in page.objects]
    assert kinds == ["Markdown", "Markdown", "DataFrame", "FloatSlider"]
    assert page.objects[1].object == "## 1. A table"
    assert page.objects[2].object is table and page.objects[3] is slider


def test_each_figure_is_laid_out_on_its_own(tmp_path):
    """Bokeh aligns the frames of the plots one column holds: notebook 13's NEP map (no axes) under the land-cover
    map (73 px of y axis) was shifted right by 73 px in a canvas not widened for it, and its colour bar's tick
    labels were cut off when served.  Each figure of the page therefore sits in a row of its own; widgets and the
    notebook's own layouts are shown as they are."""
    hv = pytest.importorskip("holoviews")
    from bokeh.models import Plot

    hv.extension("bokeh")
    with_axes = hv.Image(np.arange(12.0).reshape(3, 4)).opts(colorbar=True)
    without_axes = hv.Image(np.arange(12.0).reshape(3, 4)).opts(colorbar=True, xaxis=None, yaxis=None)
    slider = pn.widgets.FloatSlider(name="Q10")
    path = _notebook(tmp_path, [("md", "# t", []), ("code", "a", ["app"]), ("code", "b", ["app"]),
                                ("code", "slider", ["app"])])
    page = lesson.lesson(path, {"a": with_axes, "b": without_axes, "slider": slider})
    root = page.get_root()
    assert not [c for c in root.children if isinstance(c, Plot)]  # no two figures share the page's column
    rows = [c for c in root.children if isinstance(getattr(c, "children", None), list)
            and any(isinstance(g, Plot) for g in c.children)]
    assert len(rows) == 2 and all(len(r.children) == 1 for r in rows)
    assert page.objects[3] is slider


def test_a_tagged_cell_must_end_with_a_name_the_notebook_defined(tmp_path):
    path = _notebook(tmp_path, [("md", "# t", []), ("code", "x = 1\nx + 1", ["app"])])
    with pytest.raises(ValueError, match=r"10_example.ipynb, cell 1 .* must end with the name of what it shows"):
        lesson.lesson(path, {"x": 1})
    path = _notebook(tmp_path, [("md", "# t", []), ("code", "bars", ["app"])])
    with pytest.raises(ValueError, match="cell 1 shows 'bars', which the notebook has not defined"):
        lesson.lesson(path, {})
    path = _notebook(tmp_path, [("md", "# t", []), ("code", "bars", [])])
    with pytest.raises(ValueError, match="no code cell tagged 'app'"):
        lesson.lesson(path, {"bars": 1})


def test_serve_does_nothing_in_jupyter_and_needs_the_notebooks_globals(tmp_path):
    assert lesson.serve({"__name__": "__main__"}) is None
    with pytest.raises(ValueError, match="needs the notebook's globals"):
        lesson.serve({"__name__": "bokeh_app_0123"})


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_every_notebook_serves_its_lesson_and_ends_with_questions(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    assert "lesson.serve(globals())" in "".join(cells[-1]["source"])
    questions = "".join(cells[-2]["source"])
    assert cells[-2]["cell_type"] == "markdown" and questions.startswith("## Questions")
    assert 2 <= len(re.findall(r"^\d\. ", questions, flags=re.MULTILINE)) <= 3, "two or three questions"
    tagged = [c for c in cells if c["cell_type"] == "code" and lesson.TAG in c["metadata"].get("tags", [])]
    assert tagged, "no figure of the notebook would be served"
    for index, cell in enumerate(cells):
        if cell in tagged:
            lesson._shown_name(cell, index, path)  # ends with a name
