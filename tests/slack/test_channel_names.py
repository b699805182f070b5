"""Comms channel names: what Slack's conversations.create accepts, readable (SPEC §6.4)."""

from __future__ import annotations

import re

import pytest

from slack.flows.comms_channel.names import MAX_LENGTH, channel_name, slugify

VALID = re.compile(r"^[a-z0-9_-]{1,80}$")


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Payments are failing", "inc-7-payments-are-failing"),
        ("API 5xx's on /v2/cards!!", "inc-7-api-5xx-s-on-v2-cards"),
        ("  --Login  --  broken--  ", "inc-7-login-broken"),
        ("db_primary down", "inc-7-db_primary-down"),
        ("UPPER Case", "inc-7-upper-case"),
        ("Tab\tand\nnewline", "inc-7-tab-and-newline"),
    ],
)
def test_punctuation_and_spaces_become_single_hyphens(title, expected):
    assert channel_name(7, title) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Zürich café déjà vu", "inc-3-zurich-cafe-deja-vu"),
        ("Straße gesperrt", "inc-3-strasse-gesperrt"),
        ("Ærø ferry Łódź", "inc-3-aero-ferry-lodz"),
        ("ﬁle \uff21\uff30\uff29", "inc-3-file-api"),  # ligature, full-width "API"
        ("支付 outage 🔥", "inc-3-outage"),  # what cannot be spelled in ASCII is dropped
        ("naïve—résumé", "inc-3-naive-resume"),
        ("K\u0131r\u0131kkale DC", "inc-3-kirikkale-dc"),  # dotless i
    ],
)
def test_non_ascii_letters_are_transliterated_or_dropped(title, expected):
    assert channel_name(3, title) == expected


@pytest.mark.parametrize("title", ["", "   ", "!!!", "🔥🔥", "支付", "---", "¿?"])
def test_a_title_with_nothing_usable_gives_the_bare_prefix(title):
    assert channel_name(12, title) == "inc-12"
    assert channel_name(12, title, 2) == "inc-12-2"


def test_suffixes_are_appended():
    assert channel_name(5, "Disk full", 0) == "inc-5-disk-full"
    assert channel_name(5, "Disk full", 1) == "inc-5-disk-full"
    assert channel_name(5, "Disk full", 2) == "inc-5-disk-full-2"
    assert channel_name(5, "Disk full", 13) == "inc-5-disk-full-13"


def test_a_negative_suffix_is_refused():
    with pytest.raises(ValueError):
        channel_name(5, "Disk full", -1)


@pytest.mark.parametrize("suffix", [0, 2, 9, 10, 100])
@pytest.mark.parametrize("incident_id", [1, 42, 123456789])
def test_very_long_titles_fit_in_80_characters_with_any_suffix(incident_id, suffix):
    title = "The checkout service returns errors for every card payment in the EU region " * 4

    name = channel_name(incident_id, title, suffix)

    assert len(name) <= MAX_LENGTH
    assert VALID.match(name)
    assert name.startswith(f"inc-{incident_id}-the-checkout-service")
    assert not re.search(r"--|-$", name.removesuffix(f"-{suffix}") if suffix >= 2 else name)
    if suffix >= 2:
        assert name.endswith(f"-{suffix}")


def test_a_long_title_is_cut_at_a_word_boundary_near_the_limit():
    name = channel_name(1, "word " * 40)

    assert len(name) <= MAX_LENGTH
    assert name.endswith("-word")


def test_a_single_long_word_is_cut_rather_than_dropped():
    name = channel_name(1, "x" * 200, 2)

    assert name == "inc-1-" + "x" * (MAX_LENGTH - len("inc-1-") - 2) + "-2"
    assert len(name) == MAX_LENGTH


def test_a_cut_never_leaves_a_trailing_hyphen():
    # The cut falls just after a hyphen for this length.
    for length in range(60, 90):
        title = "a" * (length - 1) + " b" + " c" * 30
        name = channel_name(1, title)
        assert not name.endswith("-")
        assert len(name) <= MAX_LENGTH


@pytest.mark.parametrize(
    "title",
    [
        "Payments are failing",
        "Zürich ⛈️ API 500s!!",
        "x" * 300,
        "🔥",
        "a-" * 100,
        "ÀÉÎÕÜ ßß ﬀ",
        "____",
    ],
)
def test_every_name_is_valid_for_slack(title):
    for suffix in (0, 2, 20):
        assert VALID.match(channel_name(99, title, suffix))


def test_slugify_keeps_underscores_and_collapses_everything_else():
    assert slugify("a__b -- c..d") == "a__b-c-d"
