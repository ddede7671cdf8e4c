"""The vocabulary files, and reading values against them (pure functions, no database)."""

from __future__ import annotations

import tomllib
from importlib import resources

import pytest
from matplotlib.colors import CSS4_COLORS

from briskk_pipeline.vocab import vocabulary as vocab_module
from briskk_pipeline.vocab.colors import color_family, color_vocabulary
from briskk_pipeline.vocab.sizes import Size, read_size, size_vocabulary
from briskk_pipeline.vocab.vocabulary import COLUMNS, LIST_COLUMNS, Source, vocabulary

DATA = resources.files("briskk_pipeline.vocab").joinpath("data")


@pytest.mark.parametrize("column", COLUMNS)
def test_each_file_loads_and_names_its_sources(column: str) -> None:
    data = tomllib.loads(DATA.joinpath(f"{column}.toml").read_text("utf-8"))
    assert data["column"] == column
    if column in LIST_COLUMNS:
        sources = vocabulary(column).sources
        assert vocabulary(column).values
    elif column == "color":
        sources = color_vocabulary().sources
    else:
        sources = size_vocabulary().sources
    assert sources
    for source in sources:
        assert isinstance(source, Source)
        assert source.url.startswith("https://") and source.name
        assert source.retrieved == "2026-12-05"


def test_every_list_value_in_a_file_is_its_own_match() -> None:
    for column in LIST_COLUMNS:
        vocab = vocabulary(column)
        assert all(vocab.match(v) == v for v in vocab.values), column


def test_colour_names_are_css_colour_names() -> None:
    # The X11 names come from Wikipedia's table: every one is a CSS colour name (CSS Color 4,
    # as matplotlib carries it), so no name was mistyped.
    data = tomllib.loads(DATA.joinpath("color.toml").read_text("utf-8"))
    names = [n for group in data["names"]["groups"].values() for n in group]
    names += list(data["spellings"]["values"])
    assert len(names) == len(set(names)) + 0
    assert [n for n in names if n.lower() not in CSS4_COLORS] == []
    assert len(set(n.lower() for n in names)) == 147  # CSS Color 4: 148 names less rebeccapurple


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("fit", "Regular", "Regular"),
        ("fit", " regular FIT ", "Regular"),
        ("fit", "Slim-Fit", "Slim"),
        ("fit", "skinny_leg", "Skinny leg"),
        ("sleeve", "Short Sleeve", "Short"),
        ("sleeve", "LONG SLEEVES", "Long"),
        ("sleeve", "3/4 Sleeve", "3/4"),
        ("sleeve", "Half Sleeve", None),  # no source says it is "Short"
        ("neck_type", "Round Neck", "Round"),
        ("neck_type", "V-Neck", "V-neck"),
        ("neck_type", "v neck", "V-neck"),
        ("neck_type", "Mandarin Collar", "Mandarin"),
        ("pattern_type", "Floral Print", "Floral"),
        ("pattern_type", "solid", "Solid"),
        ("pattern_type", "Tie-Dye", "Tie dye"),
        ("pattern_type", "Checked", None),
        ("material", "Cotton", "Cotton"),
        ("material", "100% Cotton", "100% Cotton"),
        ("material", "60% Cotton, 40% Polyester", "60% Cotton, 40% Polyester"),
        ("material", "Cotton/Lycra", "Cotton/Lycra"),
        ("material", "Cotton Blend", None),
        ("material", "60% Cotton, 40% Unobtainium", None),
    ],
)
def test_list_values_match_ignoring_case_space_and_punctuation(column, value, expected):
    assert vocabulary(column).match(value) == expected


@pytest.mark.parametrize(
    ("value", "nearest"),
    [
        ("Reguler", "Regular"),
        ("Sllim", "Slim"),
    ],
)
def test_nearest_values_of_a_misspelling(value: str, nearest: str) -> None:
    assert vocabulary("fit").nearest(value)[0] == nearest


@pytest.mark.parametrize(
    ("color", "family"),
    [
        ("Blue", "Blue"),
        ("  blue ", "Blue"),
        ("Navy", "Navy"),
        ("Navy Blue", "Navy"),
        ("navy-blue", "Navy"),
        ("Light Sky Blue", "Blue"),
        ("LightSkyBlue", "Blue"),
        ("Sky Blue", "Blue"),
        ("Teal", "Blue"),  # Wikipedia's cyan group: Shopify has no cyan
        ("Olive Green", "Green"),
        ("Maroon", "Brown"),  # Wikipedia files maroon among the browns
        ("Charcoal Grey", "Gray"),
        ("grey", "Gray"),
        ("Off White", "White"),
        ("Beige", "Beige"),
        ("Rose Gold", "Rose gold"),
        ("Black/White", "Multicolor"),
        ("Red & Blue", "Multicolor"),
        ("Red and red", "Red"),
        ("Multicolor", "Multicolor"),
        ("Mustard", None),
        ("Rust", None),
    ],
)
def test_colour_family(color: str, family: str | None) -> None:
    assert color_family(color) == family


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ("M", Size("letter", "M")),
        ("xl", Size("letter", "XL")),
        ("XXL", Size("letter", "XXL")),
        ("2XL", Size("letter", "XXL")),
        ("2xl", Size("letter", "XXL")),
        ("XX-Large", Size("letter", "XXL")),
        ("Double Extra Large", Size("letter", "XXL")),
        ("3XL", Size("letter", "XXXL")),
        ("4XL", Size("letter", "4XL")),
        ("Small", Size("letter", "S")),
        ("One Size", Size("letter", "One size")),
        ("S/M", Size("letter range", "S/M")),
        ("32", Size("numeric", "32")),
        ("9.5", Size("numeric", "9.5")),
        ("30/32", Size("numeric range", "30/32")),
        ("UK 8", Size("UK", "UK 8")),
        ("uk8", Size("UK", "UK 8")),
        ("8 UK", Size("UK", "UK 8")),
        ("EU 42.5", Size("EU", "EU 42.5")),
        ("US 10", Size("US", "US 10")),
        ("2-3Y", Size("age", "2-3 years")),
        ("6-12 Months", Size("age", "6-12 months")),
        ("Free Size", None),
        ("100", None),
        ("32.3", None),
        ("XYZ", None),
    ],
)
def test_size_system_and_normalised_value(size: str, expected: Size | None) -> None:
    assert read_size(size) == expected


def test_xxl_and_2xl_are_one_size() -> None:
    assert read_size("XXL") == read_size("2XL") == read_size("xx large")


def test_a_strict_column_without_vocabulary_is_refused() -> None:
    import pandas as pd

    from briskk_pipeline.vocab.check import check_vocabularies

    with pytest.raises(ValueError, match="brand"):
        check_vocabularies(pd.DataFrame({"brand": ["x"]}), strict_columns=frozenset({"brand"}))


def test_key_ignores_case_space_punctuation() -> None:
    assert vocab_module.key(" Slim-FIT ") == vocab_module.key("slim fit") == "slimfit"
    assert vocab_module.key("Regular Fit", ["fit"]) == "regular"
