"""The documentation builds offline with warnings as errors, and the science page states what the tests check."""

import ast
import pkgutil
import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest

import carbontools

from carbontools.params import CasaParams, LloydTaylorParams, Pei2009Params, Q10Params

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SCIENCE = DOCS / "science.md"
TESTS = Path(__file__).resolve().parent
# every public module of the package (the apps and the command line are documented in the README)
MODULES = sorted(m.name for m in pkgutil.walk_packages(carbontools.__path__, "carbontools.")
                 if not any(part.startswith("_") for part in m.name.split(".")) and not m.ispkg
                 and not m.name.startswith(("carbontools.apps", "carbontools.cli", "carbontools.tables", "carbontools.io."))) + [
    "carbontools.io"]
NUMBER = re.compile(r"-?\d+(\.\d+)?")


@pytest.fixture(scope="module")
def html(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("docs_html")
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", "-q", str(DOCS), str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"sphinx-build failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    assert "WARNING" not in proc.stderr and "ERROR" not in proc.stderr, proc.stderr
    return out


def _science_text() -> str:
    return SCIENCE.read_text(encoding="utf-8")


def _mentions(text: str, value: str) -> bool:
    """``value`` appears as a whole number in ``text`` (0.8 is not found inside 0.8000 or 10.8)."""
    return re.search(r"(?<![\d.])" + re.escape(value) + r"(?![\d])", text) is not None


def _printed_numbers(path: Path) -> list[str]:
    """Every string constant of a test module that is a printed number ("0.9244", "113.29", "0")."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)
             and NUMBER.fullmatch(node.value)]
    return sorted(set(found))


# --- the build ------------------------------------------------------------------------------------

def test_docs_build_with_warnings_as_errors(html):
    science = (html / "science.html").read_text(encoding="utf-8")
    assert "113.29" in science  # the worked pixel's NPP
    for heading in ("Test oracles", "Mistakes found in public CASA code", "References"):
        assert heading in science
    assert "Potter, C. S." in science and "Global Biogeochemical Cycles" in science
    assert (html / "index.html").exists()
    assert (html / "_images" / "dashboard.png").exists()


def test_api_reference_documents_every_module(html):
    api = (html / "api.html").read_text(encoding="utf-8")
    for module in MODULES:
        assert f'id="module-{module}"' in api, f"{module} is missing from the API reference"
    # autodoc really ran (signatures, napoleon sections and the generated parameter tables are there)
    assert 'id="carbontools.pipeline.run"' in api
    assert 'id="carbontools.models.casa.zhou_water_stress"' in api
    assert "Parameters" in api and "Returns" in api
    assert api.count('class="paramtable') == 4 and "te2_half_rule" in api
    source = (DOCS / "api.md").read_text(encoding="utf-8")
    assert sorted(re.findall(r"\.\. automodule:: (\S+)", source)) == sorted(MODULES)


def test_built_pages_load_nothing_from_the_network(html):
    remote = re.compile(r"<(?:script|link|img)\b[^>]*\b(?:src|href)=\"(?:https?:)?//", re.IGNORECASE)
    for page in html.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        hits = remote.findall(text)
        assert not hits, f"{page.name} loads remote resources: {hits}"
        assert "mathjax" not in text.lower(), f"{page.name} uses MathJax (fetched from a CDN)"


# --- the science page and the tests agree ------------------------------------------------------------

@pytest.mark.parametrize("module", ["test_oracles.py", "test_public_code_mistakes.py"])
def test_science_page_states_every_printed_oracle(module):
    values = _printed_numbers(TESTS / module)
    quoted = set(re.findall(r'approx_printed\("([^"]+)"\)', (TESTS / module).read_text(encoding="utf-8")))
    assert quoted <= set(values) and len(values) > 5
    text = _science_text()
    missing = [v for v in values if not _mentions(text, v)]
    assert not missing, f"docs/science.md does not state the oracle value(s) {missing} asserted in tests/{module}"


def test_science_page_names_every_public_code_mistake_test():
    names = re.findall(r"^def (test_\w+)", (TESTS / "test_public_code_mistakes.py").read_text(encoding="utf-8"),
                       re.MULTILINE)
    text = _science_text()
    assert len(names) >= 9
    missing = [n for n in names if f"`{n}`" not in text]
    assert not missing, f"docs/science.md does not name the test(s) {missing}"


def test_science_page_names_every_oracle_test():
    names = re.findall(r"^def (test_\w+)", (TESTS / "test_oracles.py").read_text(encoding="utf-8"), re.MULTILINE)
    text = _science_text()
    missing = [n for n in names if f"`{n}`" not in text]
    assert not missing, f"docs/science.md does not name the test(s) {missing}"


@pytest.mark.parametrize("params", [CasaParams, Pei2009Params, Q10Params, LloydTaylorParams])
def test_science_page_names_every_parameter(params):
    text = _science_text()
    missing = [f.name for f in dataclasses.fields(params) if f"`{f.name}" not in text]
    assert not missing, f"docs/science.md does not mention the {params.__name__} parameter(s) {missing}"


def test_science_page_tables_match_the_shipped_class_table():
    """The eps_max / NDVI_max table on the science page is the one the code ships."""
    p = CasaParams()
    text = _science_text()
    names = {1: "evergreen needleleaf forest", 2: "evergreen broadleaf forest", 3: "deciduous needleleaf forest",
             4: "deciduous broadleaf forest", 5: "mixed forest", 6: "shrubland",
             7: "grassland, cropland, wetland, urban green, other"}
    for code, name in names.items():
        row = f"| {name} | {p.eps_max[code]:g} | {p.ndvi_max[code]:g} |"
        assert row in text, f"science.md lacks the row {row!r}"
