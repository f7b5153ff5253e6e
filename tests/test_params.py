"""Parameter objects: presets as SCIENCE.md specifies them, immutability, bounds, JSON round-trip."""

import dataclasses

import pytest

from carbontools.params import (CASA_PRESETS, CasaParams, ClassTable, LloydTaylorParams, ParamSet, Pei2009Params,
                                Q10Params, casa_preset)

ALL = [*CASA_PRESETS.values(), Pei2009Params(), Q10Params(), LloydTaylorParams()]

# SCIENCE.md section 1, class table (Zhu et al. 2006, 2007), CASA codes 1-7
ZHU_EPS = {1: 0.389, 2: 0.985, 3: 0.485, 4: 0.692, 5: 0.475, 6: 0.429, 7: 0.542}
ZHU_NDVI_MAX = {1: 0.647, 2: 0.676, 3: 0.738, 4: 0.747, 5: 0.702, 6: 0.636, 7: 0.634}


def test_zhu2007_preset_matches_specification():
    p = CASA_PRESETS["zhu2007"]
    assert p is casa_preset() and p == CasaParams()
    for code, eps in ZHU_EPS.items():
        assert p.eps_max[code] == eps
        assert p.ndvi_max[code] == ZHU_NDVI_MAX[code]
    for code in (8, 9):  # built-up and barren take the last row
        assert (p.eps_max[code], p.ndvi_max[code]) == (0.542, 0.634)
    assert set(p.ndvi_min.values()) == {0.023}
    assert (p.sr_min, p.sr_max, p.fpar_min, p.fpar_max, p.alpha) == (1.05, None, 0.001, 0.95, 0.5)
    assert (p.te2_c, p.te2_half_rule, p.fpar_method) == (1.184, True, "ndvi_sr")


def test_potter1993_preset_matches_specification():
    p = CASA_PRESETS["potter1993"]
    assert (p.fpar_method, p.sr_min, p.sr_max, p.te2_c, p.te2_half_rule) == ("potter_sr", 1.08, 4.14, 1.1814, False)
    assert set(p.eps_max.values()) == {0.389}


@pytest.mark.parametrize("params", ALL, ids=lambda p: type(p).__name__ + getattr(p, "preset", ""))
def test_json_round_trip(params):
    again = type(params).from_json(params.to_json())
    assert again == params
    assert ParamSet.from_json(params.to_json()) == params


def test_every_field_documents_unit_and_description():
    for cls in (CasaParams, Pei2009Params, Q10Params, LloydTaylorParams):
        for f in dataclasses.fields(cls):
            assert "unit" in f.metadata and f.metadata["doc"], f"{cls.__name__}.{f.name}"
        table = cls.describe()
        assert {"default", "unit", "doc", "source", "bounds"} <= set(table.columns)


def test_parameters_are_immutable_and_hashable():
    p = CasaParams()
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.te2_c = 1.0
    assert hash(p) == hash(CasaParams())
    with pytest.raises(TypeError):
        p.eps_max[4] = 1.0


def test_replace_merges_per_class_tables():
    p = CasaParams().replace(eps_max={4: 0.8})
    assert p.eps_max[4] == 0.8 and p.eps_max[1] == 0.389
    q = CasaParams().replace(eps_max=0.5)
    assert set(q.eps_max.values()) == {0.5} and len(q.eps_max) == 11
    assert CasaParams().eps_max.scaled(2.0)[2] == pytest.approx(1.97)


def test_replace_rejects_unknown_names_and_out_of_bounds():
    with pytest.raises(TypeError, match="no parameter"):
        CasaParams().replace(tee2_c=1.0)
    with pytest.raises(ValueError, match=r"Q10Params.q10 = 0.5 is outside its plausible range \[1.0, 5.0\]"):
        Q10Params(q10=0.5)
    with pytest.raises(ValueError, match="fpar_method 'evi' unknown"):
        CasaParams(fpar_method="evi")


def test_from_dict_checks_kind():
    with pytest.raises(ValueError, match="kind 'Q10Params', expected 'CasaParams'"):
        CasaParams.from_dict(Q10Params().to_dict())


def test_class_table_equality_with_plain_dicts():
    assert ClassTable({1: 0.5, "2": 1}) == {1: 0.5, 2: 1.0}
    assert ClassTable.uniform(0.3, codes=[1, 2]) == {1: 0.3, 2: 0.3}


# --- NDVI and SR limits cross-checked per class (issue 10, item 3) ---------------------------------

def test_ndvi_min_above_ndvi_max_is_refused_naming_the_class():
    # the review's case: NDVI_min 0.5 > NDVI_max 0.4 made FPAR fall as NDVI rises
    with pytest.raises(ValueError, match=r"ndvi_min = 0.5 is not below ndvi_max = 0.4 for class 7 \(grassland, "
                                         r"cropland, wetland, other vegetated\): FPAR would fall as NDVI rises"):
        CasaParams().replace(ndvi_min={7: 0.5}, ndvi_max={7: 0.4})


def test_equal_ndvi_limits_are_refused_not_a_zero_division():
    with pytest.raises(ValueError, match=r"for class 4 \(deciduous broadleaf forest\): the two limits are equal, "
                                         r"so FPAR would divide by zero.*ndvi_min=\{4: value below 0.5\}"):
        CasaParams().replace(ndvi_min={4: 0.5}, ndvi_max={4: 0.5})


def test_ndvi_max_near_one_is_refused_because_sr_max_explodes():
    # NDVI_max 1.0 gave SR_max 2e6 and FPAR(0.6) 0.28 instead of 0.62; the bound is 0.95 (SR_max 1.95/0.05 = 39)
    with pytest.raises(ValueError, match=r"ndvi_max = 1.0 is outside its plausible range \[0.3, 0.95\] \(1\) for "
                                         r"class 4 \(deciduous broadleaf forest\);.*SR_max.*grows without bound"):
        CasaParams().replace(ndvi_max={4: 1.0})
    assert CasaParams().replace(ndvi_max={4: 0.95}).ndvi_max[4] == 0.95


def test_sr_min_must_stay_below_sr_max():
    # derived per class: NDVI_max 0.3 gives SR_max = 1.3/0.7 = 1.857 < SR_min 2.0
    with pytest.raises(ValueError, match=r"sr_min = 2 is not below SR_max = \(1\+NDVI_max\)/\(1-NDVI_max\) = 1.857 "
                                         r"\(ndvi_max = 0.3\) for class 6 \(shrubland\)"):
        CasaParams().replace(sr_min=2.0, ndvi_max={6: 0.3})
    with pytest.raises(ValueError, match=r"sr_min = 1.5 is not below sr_max = 1.5, so the SR-based FPAR would "
                                         r"divide by zero"):
        casa_preset("potter1993", sr_min=1.5, sr_max=1.5)


def test_checks_also_apply_when_parameters_are_made_from_a_dict():
    bad = CasaParams().to_dict()
    bad["ndvi_min"]["9"] = 0.7
    with pytest.raises(ValueError, match=r"for class 9 \(barren\)"):
        CasaParams.from_dict(bad)


def test_out_of_bounds_class_value_names_its_class():
    with pytest.raises(ValueError, match=r"CasaParams.eps_max = 5.0 is outside its plausible range \[0.0, 3.0\] "
                                         r"\(g C MJ-1\) for class 3 \(deciduous needleleaf forest\);"):
        CasaParams().replace(eps_max={3: 5.0})
