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
