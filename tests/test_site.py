"""The site file: every key checked, errors name the file and the key."""

import pytest

from readycheck.errors import InputError
from readycheck.site import load, parse

GOOD = """
[site]
name = "DC1 hall B"
ashrae_class = "H1"

[[rack]]
name = "B07"
nodes = ["gpu-b07-*"]
redundancy = "2N"
air_cooling_kw = 40.0

[[rack.feed]]
name = "A"
volts = 415
amps = 32
phases = 3

[[rack.feed]]
name = "B"
volts = 415
amps = 32
phases = 3
power_factor = 0.9
"""


def test_a_good_site_file_parses_with_defaults():
    site = parse("site.toml", GOOD)
    assert site.name == "DC1 hall B" and site.ashrae_class == "H1"
    [rack] = site.racks
    assert rack.redundancy == "2N" and rack.liquid_fraction == 0.0 and rack.expected_nodes is None
    assert rack.feeds[0].power_factor == 0.95 and rack.feeds[0].derate == 0.8 and rack.feeds[1].power_factor == 0.9
    assert site.rack_of("gpu-b07-03") is rack and site.rack_of("gpu-c01-01") is None


def test_literal_node_names_give_the_rack_size():
    site = parse("s.toml", GOOD.replace('nodes = ["gpu-b07-*"]', 'nodes = ["n1", "n2", "n3"]'))
    assert site.racks[0].expected_nodes == 3


@pytest.mark.parametrize("change, message", [
    (("amps = 32\nphases = 3\n\n[[rack.feed]]", "amp = 32\nphases = 3\n\n[[rack.feed]]"),
     r"site.toml: rack\[0\].feed\[0\].amp: unknown key"),
    (("volts = 415\namps = 32\nphases = 3\npower", "volts = 415\namps = 32\nphases = 2\npower"),
     r"rack\[0\].feed\[1\].phases: must be 1 or 3, found 2"),
    (('redundancy = "2N"', 'redundancy = "N+1"'), r"rack\[0\].redundancy: must be \"N\" or \"2N\""),
    (('ashrae_class = "H1"', 'ashrae_class = "B2"'), r"site.ashrae_class: must be A1 \| A2"),
    (("air_cooling_kw = 40.0", 'air_cooling_kw = "40"'), r"rack\[0\].air_cooling_kw: must be a number"),
    (('name = "DC1 hall B"', ""), r"site.toml: site.name: missing"),
    (('nodes = ["gpu-b07-*"]', ""), r"rack\[0\].nodes: missing"),
    (("[[rack]]", "[[rack]]\nliquid_fraction = 1.5"), r"rack\[0\].liquid_fraction: must be from 0 to 1"),
    (("[site]", "[sight]\n[site]"), r"site.toml: sight: unknown key"),
    (("[site]", "[site"), r"site.toml: invalid TOML"),
])
def test_bad_site_files_name_the_file_and_key(change, message):
    with pytest.raises(InputError, match=message):
        parse("site.toml", GOOD.replace(*change, 1))


def test_a_rack_needs_a_feed():
    text = GOOD.split("[[rack.feed]]")[0]
    with pytest.raises(InputError, match=r"rack\[0\].feed: missing"):
        parse("site.toml", text)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="nope.toml: cannot read site file"):
        load(tmp_path / "nope.toml")


def test_infinite_numbers_are_refused():
    with pytest.raises(InputError, match=r"rack\[0\].air_cooling_kw: must be a number, found inf"):
        parse("site.toml", GOOD.replace("air_cooling_kw = 40.0", "air_cooling_kw = inf"))
    with pytest.raises(InputError, match=r"rack\[0\].feed\[0\].volts: must be a number, found nan"):
        parse("site.toml", GOOD.replace("volts = 415", "volts = nan", 1))


SIDED = GOOD.replace('name = "A"\n', 'name = "A1"\nside = "A"\n').replace('name = "B"\n', 'name = "B1"\nside = "B"\n')


def test_feeds_name_their_side_and_a_file_without_sides_stays_valid():
    assert [(f.name, f.side) for f in parse("site.toml", SIDED).racks[0].feeds] == [("A1", "A"), ("B1", "B")]
    old = parse("site.toml", GOOD).racks[0]
    assert [f.side for f in old.feeds] == [None, None]
    assert list(old.sides()) == ["feed A", "feed B"]  # each feed a side of its own, as before sides existed


@pytest.mark.parametrize("text, message", [
    (SIDED.replace('side = "B"', 'side = "C"'), r'rack\[0\].feed\[1\].side: must be "A" or "B", found \'C\''),
    (SIDED.replace('side = "B"\n', ""), r"rack\[0\].feed: must be given a side on every feed or on none \(2N\)"),
    (SIDED.replace('side = "B"', 'side = "A"'), r"rack\[0\].feed: must be on both sides A and B \(2N\)"),
])
def test_a_2n_rack_names_both_sides_on_every_feed(text, message):
    with pytest.raises(InputError, match=message):
        parse("site.toml", text)


def test_under_n_a_side_changes_nothing():
    text = SIDED.replace('redundancy = "2N"', 'redundancy = "N"').replace('side = "B"', 'side = "A"')
    site = parse("site.toml", text)
    assert [f.side for f in site.racks[0].feeds] == ["A", "A"]
