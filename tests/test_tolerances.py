"""The tolerance helper of the oracle tests holds a value to exactly the digits the specification prints."""

import pytest

from .conftest import approx_printed


@pytest.mark.parametrize("printed, inside, outside", [
    ("0.9244", [0.92435, 0.92444999], [0.92434, 0.92446]),  # half a unit of the 4th decimal, nothing more
    ("113.29", [113.285, 113.2949], [113.2849, 113.2951, 113.28]),  # a relative 1e-4 would have let 113.28 in
    ("57.391", [57.3905, 57.3914], [57.3904, 57.3916]),
    ("-0.5625", [-0.56245, -0.56254], [-0.5626]),
])
def test_a_rounded_value_accepts_what_rounds_to_it_and_nothing_else(printed, inside, outside):
    for x in inside:
        assert x == approx_printed(printed), x
    for x in outside:
        assert x != approx_printed(printed), x


@pytest.mark.parametrize("printed, exact, wrong", [("1.0", 1.0, 1.049), ("0.8", 0.8, 0.849), ("1", 1.0, 1.49),
                                                   ("0", 0.0, 0.49)])
def test_short_values_are_exact_and_must_say_so(printed, exact, wrong):
    # the review found that half a unit of the last digit accepted 1.049 for "1.0", 0.849 for "0.8", 1.49 for "1"
    # and 0.49 for "0": such values are exact results of their formula, compared to 1e-12
    with pytest.raises(ValueError, match="exact=True"):
        approx_printed(printed)
    assert exact == approx_printed(printed, exact=True)
    assert exact + 1e-9 != approx_printed(printed, exact=True)
    assert wrong != approx_printed(printed, exact=True)
