"""The channel rule sets as shipped: every rule names its source and date; broken files fail."""

from __future__ import annotations

from datetime import date

import pytest

from briskk_pipeline.readiness.rulesets import KINDS, RuleSetError, parse_rule_set, rule_sets


def test_the_six_channels_ship_and_every_rule_names_its_source_and_date():
    sets = rule_sets()
    assert sorted(sets) == ["ajio", "amazon_in", "briskk", "flipkart", "myntra", "nykaa"]
    for channel in sets.values():
        assert channel.rules
        for rule in channel.rules:
            assert rule.kind in KINDS
            assert rule.source.strip() and rule.says.strip()
            assert isinstance(rule.version_date, date)


def test_the_numbers_the_sources_give_are_the_ones_checked():
    rules = {r.id: r for c in rule_sets().values() for r in c.rules}
    assert rules["myntra_image_min_size"].params == {"min_width": 1080, "min_height": 1440}
    assert rules["myntra_image_aspect"].params["ratio"] == "3:4"
    assert rules["myntra_image_bytes"].params == {"min_bytes": 500 * 1024, "max_bytes": 1048576}
    assert rules["myntra_image_count"].params == {"min": 5, "max": 7}
    assert rules["ajio_image_aspect"].params["ratio"] == "4:5"
    assert rules["ajio_image_bytes"].params == {"min_bytes": 200 * 1024, "max_bytes": 1048576}
    assert rules["nykaa_image_min_size"].params == {"min_width": 1500, "min_height": 2000}
    assert rules["amazon_image_long_side"].params == {"min_long_side": 1000}
    assert rules["amazon_main_white_background"].applies_to == "main"
    assert rules["myntra_apparel_background"].when_hsn_chapters == ("61", "62")
    assert "fynd.com" in str(rules["ajio_no_duplicates"].url)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "channel: x\nrules:\n  - {id: a, kind: image_count, says: s, version_date: 2026-01-01}",
            "a rule lacks source",
        ),
        (
            "channel: x\nrules:\n  - {id: a, kind: colour, says: s, source: q, "
            "version_date: 2026-01-01}",
            "unknown kind 'colour'",
        ),
        (
            "channel: x\nrules:\n  - {id: a, kind: image_aspect, says: s, source: q, "
            "version_date: 2026-01-01, ratio: '3:4'}",
            "lacks tolerance",
        ),
        (
            "channel: x\nrules:\n  - {id: a, kind: required_attributes, says: s, source: q, "
            "version_date: 2026-01-01, columns: [colour]}",
            "unknown columns",
        ),
        ("channel: x\n", "needs `channel`"),
    ],
)
def test_a_broken_rule_set_fails_loudly(text, message):
    with pytest.raises(RuleSetError, match=message):
        parse_rule_set(text, "channels/x.yaml")
