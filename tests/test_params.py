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


# --- the registries, the field helper and the tables' own behaviour ------------------------------------------

from carbontools.params import Registry, Variant, _p, class_label  # noqa: E402


def test_a_registry_keeps_what_was_registered():
    things = Registry("thing")

    @things.register("a", requires=("ndvi",), optional=("fpar",), description="first", params=CasaParams)
    def a():
        return 1

    assert a() == 1  # the decorator gives the function back
    things.add("b", len)
    assert things["a"] == Variant("a", a, ("ndvi",), "first", CasaParams, ("fpar",))
    assert things["b"] == Variant("b", len, (), "", None, ())
    assert things.requires("a") == ("ndvi",) and list(things) == ["a", "b"] and len(things) == 2
    assert "a" in things and "c" not in things and 1 not in things
    with pytest.raises(ValueError, match="thing 'a' is registered twice"):
        things.add("a", len)
    with pytest.raises(ValueError, match=r"unknown thing 'c'; choose one of \['a', 'b'\]"):
        things["c"]
    objects = Registry("preset", values_are_objects=True)
    objects.add("p", 42)
    assert objects["p"] == 42 and objects.kind == "preset"


def test_the_field_helper_states_unit_doc_source_and_ranges():
    field = _p(1.0, "g C MJ-1", "a doc", "a source", bounds=(0.0, 3.0), soft=(0.1, 1.5))
    assert field.default == 1.0
    assert dict(field.metadata) == {"unit": "g C MJ-1", "doc": "a doc", "source": "a source", "bounds": (0.0, 3.0),
                                    "soft": (0.1, 1.5)}
    plain = _p(2.0, "1", "no source")
    assert dict(plain.metadata) == {"unit": "1", "doc": "no source", "source": "", "bounds": None, "soft": None}
    assert _p(1.0, "1", "d", bounds=(0.0, 3.0)).metadata["soft"] == (0.0, 3.0)  # soft defaults to the bounds
    assert _p(1.0, "1", "d", bounds=(0.0, 3.0), soft=(0.0, 3.0)).metadata["soft"] == (0.0, 3.0)  # edges inside
    assert _p(1.0, "1", "d", bounds=(0.0, 3.0), soft=(1.0, 1.0)).metadata["soft"] == (1.0, 1.0)
    for soft in ((-0.1, 1.0), (0.5, 3.1), (2.0, 1.0)):
        with pytest.raises(ValueError, match="must lie inside the bounds"):
            _p(1.0, "1", "d", bounds=(0.0, 3.0), soft=soft)
    table = _p({1: 0.5, 2: 0.7}, "1", "per class", bounds=(0.0, 1.0))
    assert table.default_factory() == ClassTable({1: 0.5, 2: 0.7}) and table.metadata["unit"] == "1"


def test_parameter_sets_made_from_plain_dicts_are_checked_and_round_trip():
    with pytest.raises(ValueError, match=r"eps_max = 5\.0 is outside its plausible range.*\(and 1 more\)"):
        CasaParams(eps_max={1: 5.0, 2: 6.0})
    data = CasaParams().to_dict()
    data.pop("kind")
    assert CasaParams.from_dict(data) == CasaParams()  # the kind defaults to the class's own
    assert "\n" in CasaParams().to_json(indent=2)  # keyword arguments reach json.dumps
    table = CasaParams.describe()
    assert table.loc["te2_c", "default"] == 1.184
    assert {c: table.loc["eps_max", "default"][c] for c in ZHU_EPS} == ZHU_EPS  # a table field: its default table

    @dataclasses.dataclass(frozen=True)
    class MyParams(ParamSet):
        k: float = _p(2.0, "1", "a constant", bounds=(0.0, 10.0))

    assert ParamSet.from_dict({"kind": "MyParams", "k": 3.0}) == MyParams(k=3.0)  # subclasses register themselves


def test_sr_min_equal_to_a_class_sr_max_is_refused():
    # NDVI_max 1/3 gives SR_max = (4/3) / (2/3) = 2 (1.9999999999999998 in floats, inside sr_min's bounds [1, 2]);
    # sr_min equal to it (the same float) would divide by zero
    sr_max = (1 + 1 / 3) / (1 - 1 / 3)
    with pytest.raises(ValueError, match="divide by zero"):
        CasaParams(sr_min=sr_max, sr_max=None, ndvi_max=ClassTable.uniform(1 / 3))


def test_class_tables_compare_update_and_label():
    t = ClassTable({1: 1.0, 2: 2.0})
    assert (t == 5) is False and (t == {1: 1.0, 2: 3.0}) is False and t == {1: 1, 2: 2}
    assert t.updated(5.0) == {1: 5.0, 2: 5.0}  # one number replaces the classes it has, and adds none
    assert class_label(4) == "class 4 (deciduous broadleaf forest)" and class_label(99) == "class 99"
    p = CasaParams()
    assert casa_preset(p) is p and casa_preset(p, te2_c=1.1814).te2_c == 1.1814
