"""versions: dotted driver and CUDA versions compared as numbers, never as strings."""

import pytest

from readycheck.facts import versions


def test_parts_compare_as_numbers():
    assert versions.at_least("550.54.15", "535.161.08")
    assert not versions.at_least("535.161.08", "550.54.15")
    assert versions.at_least("12.10", "12.4")


def test_trailing_zeros_do_not_count():
    assert versions.parse("570.26.00") == versions.parse("570.26") == (570, 26)
    assert versions.at_least("12.4", "12.4.0")


def test_branch_is_the_first_part():
    assert versions.branch("525.105.17") == "525"


@pytest.mark.parametrize("text", ["", "12.x", "550..54", "R550", "N/A"])
def test_not_a_version_is_an_error_naming_it(text):
    with pytest.raises(ValueError, match="not a dotted version"):
        versions.parse(text)
