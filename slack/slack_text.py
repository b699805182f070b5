"""Small pieces of Slack's message markup."""

from __future__ import annotations

import datetime as dt


def date_token(moment: dt.datetime) -> str:
    """A time every reader sees in their own zone (``<!date^…>``), with a UTC fallback."""
    epoch = int(moment.timestamp())
    fallback = moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{epoch}^{{date_short_pretty}} at {{time}}|{fallback}>"


def ts_to_datetime(ts: str) -> dt.datetime:
    """A Slack message ts (``"1700000050.000200"``) as an aware UTC datetime."""
    return dt.datetime.fromtimestamp(float(ts), tz=dt.UTC)
