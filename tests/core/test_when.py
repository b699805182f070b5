"""The times people type for a milestone (SPEC §14), read in the speaker's zone."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from core.lifecycle.when import UnreadableTime, parse_when, zone_named

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
# 2026-12-01 15:30 UTC is 10:30 in New York (EST, UTC-5).
NOW = dt.datetime(2026, 12, 1, 15, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", NOW),
        ("NOW", NOW),
        ("10m ago", NOW - dt.timedelta(minutes=10)),
        ("2h ago", NOW - dt.timedelta(hours=2)),
        ("90 mins ago", NOW - dt.timedelta(minutes=90)),
        ("09:05", dt.datetime(2026, 12, 1, 14, 5, tzinfo=dt.UTC)),  # 09:05 New York
        ("14:05 UTC", dt.datetime(2026, 12, 1, 14, 5, tzinfo=dt.UTC)),
        ("14:05 utc", dt.datetime(2026, 12, 1, 14, 5, tzinfo=dt.UTC)),
        ("2026-11-30 14:05", dt.datetime(2026, 11, 30, 19, 5, tzinfo=dt.UTC)),
        ("2026-11-30 14:05 UTC", dt.datetime(2026, 11, 30, 14, 5, tzinfo=dt.UTC)),
        # A time of day later than now in the speaker's zone is yesterday's.
        ("23:50", dt.datetime(2026, 12, 1, 4, 50, tzinfo=dt.UTC)),
        ("  2026-11-30   14:05  ", dt.datetime(2026, 11, 30, 19, 5, tzinfo=dt.UTC)),
    ],
)
def test_each_form_of_spec_14_in_the_speakers_zone(text, expected):
    assert parse_when(text, now=NOW, zone=NEW_YORK) == expected


def test_a_time_of_day_in_utc_is_read_in_utc_whatever_the_speaker_zone():
    assert parse_when("15:00 UTC", now=NOW, zone=NEW_YORK) == NOW - dt.timedelta(minutes=30)
    # 16:00 UTC is after now: yesterday's.
    assert parse_when("16:00 UTC", now=NOW, zone=NEW_YORK) == dt.datetime(
        2026, 11, 30, 16, 0, tzinfo=dt.UTC
    )


@pytest.mark.parametrize(
    "text", ["", "soon", "25:00", "14:60", "2026-13-01 10:00", "yesterday", "-5m ago", "14.05"]
)
def test_unreadable_times_are_refused_listing_the_forms(text):
    with pytest.raises(UnreadableTime) as refused:
        parse_when(text, now=NOW, zone=NEW_YORK)

    assert "10m ago" in refused.value.message and "14:05 UTC" in refused.value.message


@pytest.mark.parametrize(("name", "expected"), [("Europe/London", "Europe/London"), ("", "UTC")])
def test_slack_zone_names(name, expected):
    assert str(zone_named(name)) == expected


def test_an_unknown_zone_falls_back_to_utc():
    assert zone_named("Mars/Olympus_Mons") is dt.UTC
