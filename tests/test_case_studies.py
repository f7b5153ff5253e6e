"""The case-study notebooks (12-15) run and print their comparison tables (published vs here; the break-even table).

nbval (``make test``) runs every notebook but checks no output: the notebooks are stored without outputs.
Here each case study is executed with nbclient and the table it prints is read back and checked: every
row is there, the published figures are the ones the notebook quotes with its citation, and each computed
column agrees with the columns it is derived from.
"""

import math
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def printed(name: str, heading: str, *more: str) -> list[str]:
    """The lines a notebook prints after ``heading`` (the table printed with DataFrame.to_string()).

    With ``more`` headings, the notebook runs once and a list of the blocks (one per heading) comes back.
    """
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    blocks = []
    for wanted in (heading, *more):
        for text in (out.get("text", "") for cell in nb.cells for out in cell.get("outputs", [])
                     if out.get("output_type") == "stream"):
            if wanted in text:
                lines = text.split(wanted, 1)[1].splitlines()
                blocks.append([line for line in lines[1:] if line.strip()])
                break
        else:
            raise AssertionError(f"{name} printed no line with {wanted!r}")
    return blocks if more else blocks[0]


def rows(lines: list[str], n_values: int) -> dict[str, list[str]]:
    """Row label -> its last ``n_values`` fields, for the body lines of a printed table (one header line first)."""
    out = {}
    for line in lines[1:]:
        fields = line.split()
        out[" ".join(fields[:-n_values])] = fields[-n_values:]
    return out


def test_notebook_14_prints_published_beside_here():
    table = rows(printed("14_china_bottom_up_top_down.ipynb", "published (Zhang et al. 2024) vs here"), 5)
    # the study's figures (Zhang et al. 2024, Climatic and Environmental Research 29:229), Pg C yr-1
    published = {"BEPS | here: model_a": (0.38, 0.04), "VEGAS | here: model_b": (0.22, 0.03),
                 "OCO-2 v10 MIP ensemble | here: ensemble": (0.54, 0.05)}
    assert set(published) | {"top-down / BEPS", "top-down / VEGAS"} == set(table)
    here = {}
    for label, (mean, sd) in published.items():
        pub_mean, pub_sd, here_mean, here_sd, ratio = map(float, table[label])
        assert (pub_mean, pub_sd) == (mean, sd)
        assert here_mean > 0 and here_sd > 0 and math.isfinite(here_mean)
        # from the unrounded mean: the printed one (2 decimals) is within 0.005 of it; the ratio within 0.005 too
        assert ratio == pytest.approx(here_mean / pub_mean, abs=0.005 / pub_mean + 0.005)
        here[label.split(" |")[0]] = here_mean
    for bottom_up, pub in (("BEPS", 0.54 / 0.38), ("VEGAS", 0.54 / 0.22)):
        pub_ratio, _, here_ratio, _, _ = table[f"top-down / {bottom_up}"]
        assert float(pub_ratio) == pytest.approx(pub, abs=0.005)
        # from the printed means (2 decimals): within the rounding of both
        assert float(here_ratio) == pytest.approx(here["OCO-2 v10 MIP ensemble"] / here[bottom_up], rel=0.05, abs=0.005)


def test_notebook_15_prints_its_break_even_table():
    table = rows(printed("15_green_space_life_cycle.ipynb", "break-even table"), 4)
    assert set(table) == {f"{park} x{k}" for park in ("lawn-dominated", "tree-dominated", "mixed", "wetland park")
                          for k in (1, 3)}
    for label, (construction, operating, years, repaid) in table.items():
        construction, operating, years = float(construction), float(operating), float(years)
        assert construction > 0
        if operating > 0:   # break-even = construction / operating net (1 and 2 printed decimals)
            assert years == pytest.approx(construction / operating, rel=0.02, abs=0.06)
            assert repaid == str(years <= 50)
        else:
            assert math.isinf(years) and repaid == "False"
    # more management never shortens the break-even
    for park in ("lawn-dominated", "tree-dominated", "mixed", "wetland park"):
        assert float(table[f"{park} x3"][2]) >= float(table[f"{park} x1"][2])


PRD_CITIES = {"Guangzhou", "Shenzhen", "Zhuhai", "Foshan", "Huizhou", "Dongguan", "Zhongshan", "Jiangmen", "Zhaoqing"}


def _row(lines: list[str], label: str) -> str:
    """The rest of the printed line that starts with ``label``."""
    found = [line[len(label):] for line in lines if line.startswith(label)]
    assert len(found) == 1, f"no single row {label!r} in {lines}"
    return found[0]


def _numbers(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"[-+]?\d+(?:\.\d+)?", text)]


def test_notebook_12_prints_published_beside_here():
    lines, validation = printed("12_pearl_river_delta.ipynb", "published (Wang & Liu 2025)",
                                "CASA against the MOD17 algorithm, 2 km, 2022")
    # the study's figures as issue 15 quotes them (Wang & Liu 2025, Carbon Footprints 4:28), then ours
    rng = _numbers(_row(lines, "annual NEP range"))
    assert rng[:2] == [-40, 638]
    lo, hi, p1, p99 = rng[2:6]                       # "min to max (min-max); p1 to p99 (1st-99th percentile)"
    assert lo <= p1 <= p99 <= hi
    forest = _numbers(_row(lines, "share of net uptake from forests"))
    assert forest[0] == 55.1
    assert forest[1] <= forest[2]                    # IGBP forests 1-5, then with woody savannas (8) added
    sources = _row(lines, "net-source cities")
    assert sources.split()[:2] == ["Dongguan,", "Zhongshan"]
    here = re.search(r"unsealed: (.*); climate: (.*?)\s*$", sources)
    for group in here.groups():
        named = {c.strip() for c in group.split(",")} - {"none"}
        assert named <= PRD_CITIES
    # the validation: CASA against the MOD17 algorithm on the same drivers; the table's R2 is the metrics' one
    r2 = _numbers(_row(lines, "validation against a MOD17-like reference, R2"))
    stats = {line.split()[0]: float(line.split()[1]) for line in validation[1:]}  # "name value" rows after the header
    assert r2[0] == 0.79
    assert 0.0 < stats["r2_pearson"] < 1.0
    assert r2[1] == pytest.approx(stats["r2_pearson"], abs=0.005)            # 2 decimals of the 3 printed
    n = re.search(r"\bn = (\d+)", _row(lines, "validation against a MOD17-like reference, R2"))
    assert float(n.group(1)) == stats["n"] > 1000                           # "(..., 2 km, n = N; ...)"
    # the statistics hang together: OLS of sim on obs passes through the means (3 printed decimals, so 1e-3
    # times the largest term), and the bias is the difference of the means
    assert stats["mean_sim"] == pytest.approx(stats["slope"] * stats["mean_obs"] + stats["intercept"],
                                              abs=1e-3 * (stats["mean_obs"] + 1))
    assert stats["bias"] == pytest.approx(stats["mean_sim"] - stats["mean_obs"], abs=2e-3)
    assert "not MODIS data" in _row(lines, "validation against a MOD17-like reference, R2")


def test_notebook_13_prints_published_beside_here():
    lines = printed("13_hangzhou.ipynb", "published (Fan & Wei 2022)")
    offset = _numbers(_row(lines, "share of emissions offset by sequestration"))
    published, here, level, low, high, emissions = offset[:6]   # "9.87 % | x % (95 %: low to high %) of E Tg C/yr"
    assert published == 9.87 and level == 95 and emissions > 0
    assert low <= here <= high
    soil = _numbers(_row(lines, "soil pool"))
    assert 0 < soil[0] < 100 and 0 <= soil[1] <= soil[2] == 13   # soil share; districts that change rank, of 13
    assert "small green spaces change quantity and pattern" in _row(lines, "small green spaces (class fractions)")
