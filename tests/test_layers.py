"""The package's layers (ARCHITECTURE.md): the per-pixel models import only params, units, landcover and
grid, never the reporting modules above them."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "carbontools"
MODEL_MAY_IMPORT = {"params", "units", "landcover", "grid"}


def carbontools_imports(path: Path) -> set[str]:
    """The carbontools modules a file under carbontools/models/ imports (anywhere in it), by top-level name;
    siblings inside models/ are left out."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 2 and node.module:  # from ..budget import x
                found.add(node.module.split(".")[0])
            elif node.level == 2:  # from .. import budget
                found |= {alias.name for alias in node.names}
            elif node.level == 0 and (node.module or "").startswith("carbontools."):
                parts = node.module.split(".")
                if parts[1] != "models":
                    found.add(parts[1])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "carbontools" and len(parts) > 1 and parts[1] != "models":
                    found.add(parts[1])
    return found


@pytest.mark.parametrize("path", sorted(PACKAGE.joinpath("models").glob("*.py")), ids=lambda p: p.name)
def test_models_import_only_params_units_landcover_and_grid(path):
    assert carbontools_imports(path) <= MODEL_MAY_IMPORT, path.name


def test_the_import_check_sees_upward_imports(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from ..budget import parse_unit\n\ndef f():\n    from ..accounting import zonal_totals\n")
    assert carbontools_imports(bad) == {"budget", "accounting"}


@pytest.mark.parametrize("path", sorted(PACKAGE.joinpath("apps").glob("*.py")), ids=lambda p: p.name)
def test_the_apps_call_the_pipeline_not_the_models(path):
    """carbontools/apps/ orchestrates the pipeline's stages; the per-pixel science stays behind them."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = [("." * n.level) + (n.module or "") for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    bad = [m for m in imported if m.startswith(("..models", "carbontools.models"))]
    assert bad == [], f"{path.name} imports {bad}; call carbontools.pipeline (its stages and annual helpers) instead"
