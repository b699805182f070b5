"""Incident text as people should read it: Slack markup made readable, markdown, then sanitized.

Text in an incident comes from Slack (pinned messages, ``@incident summary …``, modals) and from the
REST API, so it mixes Slack's ``<…>`` markup, markdown and whatever anyone typed. Rendering goes:

1. Slack tokens (``<@U…>``, ``<#C…|name>``, ``<https://…|label>``, ``<!here>``, …) are cut out and
   replaced by placeholders; each becomes a small piece of HTML built here, with every piece of text
   escaped and links kept only for http, https and mailto.
2. The text in between has Slack's ``&lt; &gt; &amp;`` undone and ``:emoji:`` replaced, then goes
   through markdown with raw HTML switched off, so a ``<script>`` someone typed is shown as text.
3. The placeholders are filled in and the whole is cleaned with nh3 against a small allow-list.

Step 3 is the safety net: even if steps 1 and 2 got something wrong, nothing but the allowed tags,
attributes and URL schemes reaches the page.

The names behind ``<@U…>`` and ``<#C…>`` are looked up by the caller in one query for all the texts
of a page (see ``references``), never once per mention.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from html import escape

import markdown
import nh3

from ui.emoji import EMOJI

# One Slack token. Ids are upper-case; labels may hold anything but angle brackets.
TOKEN_RE = re.compile(
    r"""<(?:
        @(?P<user>[UW][A-Z0-9]+)(?:\|(?P<user_label>[^<>]*))?
      | \#(?P<channel>[CGD][A-Z0-9]+)(?:\|(?P<channel_label>[^<>]*))?
      | !(?P<special>[a-z]+(?:\^[^<>|]*)?)(?:\|(?P<special_label>[^<>]*))?
      | (?P<url>[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>|]+)(?:\|(?P<url_label>[^<>]*))?
    )>""",
    re.VERBOSE,
)
EMOJI_RE = re.compile(r":([a-z0-9_+\-]+):")
# A bare web address in typed text (not one already inside markdown or HTML syntax).
BARE_URL_RE = re.compile(r"""(?<![\w(\[<"'=/])https?://[^\s<>"'()\[\]]*[^\s<>"'()\[\].,;:!?]""")
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})

# Private-use characters mark where a token's HTML goes; markdown leaves them alone.
_OPEN, _CLOSE = "\ue000", "\ue001"
PLACEHOLDER_RE = re.compile(f"{_OPEN}(\\d+){_CLOSE}")

ALLOWED_TAGS = frozenset(
    {
        "a",
        "p",
        "br",
        "strong",
        "em",
        "b",
        "i",
        "del",
        "s",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "span",
    }
)
_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes={"a": {"href", "title"}},
    allowed_classes={"span": {"mention"}},
    url_schemes=set(SAFE_SCHEMES),
    link_rel="noopener noreferrer",
    strip_comments=True,
)


def sanitize(html: str) -> str:
    """The allow-listed subset of ``html``: no script, no event handlers, safe link schemes."""
    return _CLEANER.clean(html)


def safe_url(url: str) -> str | None:
    """``url`` if it is an http, https or mailto address, else None."""
    scheme, sep, _ = url.strip().partition(":")
    if not sep or scheme.lower() not in SAFE_SCHEMES:
        return None
    return url.strip()


@dataclass(frozen=True)
class References:
    """The Slack user and channel ids some texts mention."""

    users: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()


def references(texts: Iterable[str | None]) -> References:
    """Every ``<@U…>`` and ``<#C…>`` id in ``texts``, so their names can be read in one query."""
    users: set[str] = set()
    channels: set[str] = set()
    for text in texts:
        if not text or "<" not in text:
            continue
        for match in TOKEN_RE.finditer(text):
            if match["user"]:
                users.add(match["user"])
            elif match["channel"]:
                channels.add(match["channel"])
    return References(users=frozenset(users), channels=frozenset(channels))


def unescape_slack(text: str) -> str:
    """Undo the three escapes Slack applies to message text."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def emojize(text: str) -> str:
    """``:fire:`` → 🔥 for the names in the built-in table; other names stay as typed."""
    if ":" not in text:
        return text
    return EMOJI_RE.sub(lambda m: EMOJI.get(m[1], m[0]), text)


@dataclass
class SlackMarkup:
    """Renders incident text, given the names of the users and channels it may mention.

    ``users`` maps Slack user ids to display names, ``channels`` channel ids to channel names.
    One instance renders all the texts of a page; it is not shared between threads.
    """

    users: Mapping[str, str] = field(default_factory=dict)
    channels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._markdown = markdown.Markdown(extensions=["fenced_code", "sane_lists", "nl2br"])
        # No raw HTML: what looks like a tag is shown as text.
        self._markdown.preprocessors.deregister("html_block")
        self._markdown.inlinePatterns.deregister("html")

    # --- public -------------------------------------------------------------------------------

    def html(self, text: str | None) -> str:
        """``text`` as sanitized HTML (markdown, Slack markup made readable)."""
        if not text:
            return ""
        pieces: list[str] = []
        source = self._substitute(_strip_markers(text), pieces, self._token_html, self._text_md)
        self._markdown.reset()
        rendered = self._markdown.convert(source)
        rendered = PLACEHOLDER_RE.sub(lambda m: pieces[int(m[1])], rendered)
        return sanitize(rendered)

    def plain(self, text: str | None) -> str:
        """``text`` as plain readable text (for titles): mentions as names, links as labels.

        The result is not HTML: let the template escape it.
        """
        if not text:
            return ""
        parts: list[str] = []
        last = 0
        for match in TOKEN_RE.finditer(text):
            parts.append(emojize(unescape_slack(text[last : match.start()])))
            parts.append(self._token_text(match))
            last = match.end()
        parts.append(emojize(unescape_slack(text[last:])))
        return "".join(parts)

    # --- tokens -------------------------------------------------------------------------------

    def _token_text(self, match: re.Match[str]) -> str:
        """What a token reads as, without markup."""
        if match["user"]:
            return "@" + self._user_name(match["user"], match["user_label"])
        if match["channel"]:
            return "#" + self._channel_name(match["channel"], match["channel_label"])
        if match["special"]:
            return _special_text(match["special"], match["special_label"])
        label = unescape_slack(match["url_label"] or "")
        return label or _display_url(unescape_slack(match["url"]))

    def _token_html(self, match: re.Match[str]) -> str:
        text = escape(self._token_text(match))
        if match["user"] or match["channel"]:
            return f'<span class="mention">{text}</span>'
        if match["special"]:
            special = match["special"].split("^", 1)[0]
            return text if special == "date" else f'<span class="mention">{text}</span>'
        url = safe_url(unescape_slack(match["url"]))
        if url is None:
            return text
        return f'<a href="{escape(url)}">{text}</a>'

    def _user_name(self, user_id: str, label: str | None) -> str:
        return self.users.get(user_id) or unescape_slack(label or "").lstrip("@") or user_id

    def _channel_name(self, channel_id: str, label: str | None) -> str:
        return unescape_slack(label or "") or self.channels.get(channel_id) or channel_id

    # --- text between tokens ------------------------------------------------------------------

    def _text_md(self, text: str, pieces: list[str]) -> str:
        """Plain text for markdown: Slack escapes undone, emoji in, bare web addresses linked.

        Images would load from anywhere, so ``![alt](url)`` becomes a link, ``[alt](url)``.
        """
        text = emojize(unescape_slack(text)).replace("![", "[")

        def link(match: re.Match[str]) -> str:
            url = match[0]
            return _placeholder(pieces, f'<a href="{escape(url)}">{escape(url)}</a>')

        return BARE_URL_RE.sub(link, text)

    def _substitute(self, text, pieces, token_html, text_md) -> str:
        out: list[str] = []
        last = 0
        for match in TOKEN_RE.finditer(text):
            out.append(text_md(text[last : match.start()], pieces))
            out.append(_placeholder(pieces, token_html(match)))
            last = match.end()
        out.append(text_md(text[last:], pieces))
        return "".join(out)


def _placeholder(pieces: list[str], html: str) -> str:
    pieces.append(html)
    return f"{_OPEN}{len(pieces) - 1}{_CLOSE}"


def _strip_markers(text: str) -> str:
    return text.replace(_OPEN, "").replace(_CLOSE, "")


def _display_url(url: str) -> str:
    return url[len("mailto:") :] if url.lower().startswith("mailto:") else url


def _special_text(special: str, label: str | None) -> str:
    """``<!here>`` → @here, ``<!subteam^S…|@team>`` → @team, ``<!date^…|fallback>`` → fallback."""
    name = special.split("^", 1)[0]
    if label:
        label = unescape_slack(label)
        return label if name == "date" or label.startswith("@") else "@" + label
    if name in ("here", "channel", "everyone"):
        return "@" + name
    if name == "subteam":
        return "@group"
    if name == "date":
        return ""
    return "@" + name
