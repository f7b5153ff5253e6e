"""Sphinx configuration of the carbontools documentation (Markdown sources via MyST, offline build).

Build with ``make docs`` (or ``python -m sphinx -W --keep-going -b html docs docs/_build/html``).
Nothing here fetches from the network: no intersphinx, no MathJax (formulas are plain text), and
the built-in ``alabaster`` theme ships all its assets.
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
from pathlib import Path

from docutils import nodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # document this checkout's carbontools, not an installed copy

import carbontools  # noqa: E402

project = "carbontools"
author = "the carbontools authors"
copyright = "the carbontools authors, BSD-3-Clause"
version = release = carbontools.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
myst_heading_anchors = 3

# --- autodoc / napoleon -------------------------------------------------------------------------
napoleon_google_docstring = False
napoleon_numpy_docstring = True
autodoc_typehints = "description"        # type hints go into the parameter lists, not the signatures
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True}

# --- HTML ---------------------------------------------------------------------------------------
html_theme = "alabaster"
html_theme_options = {"description": "ecosystem carbon accounting", "fixed_sidebar": True,
                      "page_width": "1240px", "sidebar_width": "250px"}
html_sidebars = {"**": ["about.html", "navigation.html", "searchbox.html"]}
html_static_path = ["_static"]             # custom.css (alabaster links it from every page)
html_show_sourcelink = False

_log = logging.getLogger("carbontools.docs")


# napoleon reads the text before the first colon of a constant's "#:" comment as its type
# ("#: g CO2 per g C: molar masses ..." would render as "Type: g CO2 per g C"). carbontools writes
# no types in these comments, so for module constants the comment is put back as written. This
# runs after napoleon (priority 600 > its 500) and changes nothing else.
def _undo_inline_attribute_type(app, what, name, obj, options, lines):
    if what != "data" or len(lines) < 2 or not lines[-1].startswith(":type: "):
        return
    kind = lines[-1][len(":type: "):]
    body = lines[:-1]
    while body and not body[-1].strip():
        body.pop()
    if body:
        body[0] = f"{kind}: {body[0]}"
    else:
        body = [kind]
    lines[:] = body
    _log.info("kept the '#:' comment of %s as written (not as a napoleon type)", name)


# --- a table of a parameter set, generated from the dataclass field metadata ----------------------

def _format_default(value) -> str:
    if isinstance(value, dict) or hasattr(value, "items"):
        items = dict(value.items())
        if len(set(items.values())) == 1:
            return f"{next(iter(items.values()))!r} (every class)"
        return ", ".join(f"{k}: {v!r}" for k, v in items.items())
    return repr(value)


class ParamTable(SphinxDirective):
    """``{paramtable} carbontools.params.CasaParams``: name, default, unit, bounds, description, source."""

    required_arguments = 1
    has_content = False

    def run(self):
        module_name, _, class_name = self.arguments[0].rpartition(".")
        cls = getattr(importlib.import_module(module_name), class_name)
        header = ["parameter", "default", "unit", "bounds", "description", "source"]
        rows = []
        for f in dataclasses.fields(cls):
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
            meta = f.metadata
            bounds = meta.get("bounds")
            rows.append([f.name, _format_default(default), meta.get("unit") or "",
                         "" if bounds is None else f"{bounds[0]} .. {bounds[1]}", meta.get("doc") or "",
                         meta.get("source") or ""])
        return [self._table(header, rows)]

    @staticmethod
    def _table(header, rows):
        table = nodes.table(classes=["paramtable"])
        group = nodes.tgroup(cols=len(header))
        table += group
        for width in (14, 16, 8, 9, 33, 20):
            group += nodes.colspec(colwidth=width)

        def row(cells, literal_first=True):
            r = nodes.row()
            for i, text in enumerate(cells):
                entry = nodes.entry()
                para = nodes.paragraph()
                para += nodes.literal(text=text) if (literal_first and i == 0 and text) else nodes.Text(text)
                entry += para
                r += entry
            return r

        head = nodes.thead()
        head += row(header, literal_first=False)
        body = nodes.tbody()
        for cells in rows:
            body += row(cells)
        group += head
        group += body
        return table


def setup(app):
    app.connect("autodoc-process-docstring", _undo_inline_attribute_type, priority=600)
    app.add_directive("paramtable", ParamTable)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
