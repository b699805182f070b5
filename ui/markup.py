"""Incident text as Slack shows it: Slack mrkdwn turned into HTML, then sanitized.

Text in an incident comes from Slack (pinned messages, ``@incident summary …``, modals) and from the
REST API. Slack shows all of it as mrkdwn, so the pages do too, with the same rules as the sandbox
page's ``sandbox/web/mrkdwn.js``; both are held to ``tests/fixtures/mrkdwn_cases.json``.

1. Code blocks (```` ``` ````) are cut out first: nothing inside them is markup.
2. The rest is read line by line: lines starting with ``>`` (``&gt;`` as Slack sends it) make a
   quote, blank lines end a paragraph, other line breaks stay as ``<br>``.
3. Each line is read token by token (``INLINE_RULES``): ``<…>`` (mentions, links, ``<!here>``),
   `` `code` ``, ``*bold*``, ``_italic_``, ``~strike~``, ``:emoji:`` and bare web addresses. Every
   piece of text in between has Slack's ``&lt; &gt; &amp;`` undone once and is then HTML-escaped,
   so a ``<script>`` anyone typed is shown as text; links are kept for http, https and mailto only.
4. The whole is cleaned with nh3 against a small allow-list: even if the steps above got
   something wrong, nothing but the allowed tags, attributes and URL schemes reaches the page.

Markdown is not mrkdwn: ``**x**``, ``[x](url)``, ``# x`` and ``- x`` show as typed, as in Slack.

The names behind ``<@U…>`` and ``<#C…>`` are looked up by the caller in one query for all the texts
of a page (see ``references``), never once per mention.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from html import escape
from itertools import groupby
from operator import itemgetter
from typing import ClassVar

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
USER_ID_RE = re.compile(r"[UW][A-Z0-9]+")
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})

FENCE_RE = re.compile(r"```(.*?)```", re.DOTALL)
QUOTE_RE = re.compile(r"(?:>|&gt;) ?(.*)")
BLOCK_TAGS = {"quote": "blockquote", "text": "p"}

# The inline rules, tried together; the leftmost match wins, the first rule on a tie. Bold, italic
# and strike need a non-word character (or the edge) on both sides, as in Slack, so snake_case and
# 2*3*4 stay as typed. A bare address stops before a bar or an escaped bracket (Slack sends
# ``<`` and ``>`` typed next to it as ``&lt;`` / ``&gt;``) and before closing punctuation.
# sandbox/web/mrkdwn.js has the same rules.
INLINE_RULES: tuple[tuple[str, str], ...] = (
    ("angle", r"<[^<>\n]+>"),
    ("code", r"`(?P<code_body>[^`\n]+)`"),
    ("bold", r"(?<![\w*])\*(?=\S)(?P<bold_body>[^*\n]*?\S)\*(?![\w*])"),
    ("italic", r"(?<!\w)_(?=\S)(?P<italic_body>[^_\n]*?\S)_(?!\w)"),
    ("strike", r"(?<![\w~])~(?=\S)(?P<strike_body>[^~\n]*?\S)~(?![\w~])"),
    ("emoji", r":(?P<emoji_name>[a-z0-9_+\-]+):"),
    ("url", r"(?<![\w/])https?://(?:(?!&[lg]t;)[^\s<>|])*(?:(?!&[lg]t;)[^\s<>|.,;:!?)'\"])"),
)
INLINE_RE = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in INLINE_RULES))

ALLOWED_TAGS = frozenset(
    {"a", "p", "br", "strong", "em", "b", "i", "del", "s", "code", "pre", "blockquote", "span"}
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
    """Undo the three escapes Slack applies to message text (``&amp;lt;`` stays ``&lt;``)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def escape_slack(text: str) -> str:
    """``text`` made safe to put in mrkdwn: the three escapes Slack applies."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def text_html(text: str) -> str:
    """Typed text as HTML text: Slack's escapes undone once, then everything escaped."""
    return escape(unescape_slack(text), quote=False)


def emojize(text: str) -> str:
    """``:fire:`` → 🔥 for the names in the built-in table; other names stay as typed."""
    if ":" not in text:
        return text
    return EMOJI_RE.sub(lambda m: EMOJI.get(m[1], m[0]), text)


@dataclass
class SlackMarkup:
    """Renders incident text, given the names of the users and channels it may mention.

    ``users`` maps Slack user ids to display names, ``channels`` channel ids to channel names.
    One instance renders all the texts of a page (and of any export of it).
    """

    users: Mapping[str, str] = field(default_factory=dict)
    channels: Mapping[str, str] = field(default_factory=dict)

    # --- public -------------------------------------------------------------------------------

    def html(self, text: str | None) -> str:
        """``text`` (Slack mrkdwn) as sanitized HTML.

        Rendered once per text and the names it mentions, not once per request: a page of a
        long incident shows thousands of entries that seldom change (SPEC §19, pages at scale).
        """
        if not text:
            return ""
        return _html_of(text, *self._names_in(text))

    def _names_in(self, text: str) -> tuple[tuple[tuple[str, str], ...], ...]:
        """The known names of the users and channels ``text`` mentions: all ``html`` depends
        on besides the text itself."""
        if "<" not in text:
            return (), ()
        found = references([text])
        people, rooms = self.users, self.channels
        users = tuple((u, people[u]) for u in sorted(found.users) if u in people)
        channels = tuple((c, rooms[c]) for c in sorted(found.channels) if c in rooms)
        return users, channels

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

    def markdown(self, text: str | None) -> str:
        """``text`` (Slack mrkdwn) as CommonMark/GitHub Markdown that shows what Slack shows.

        Mentions become names, ``<url|label>`` a Markdown link (http, https and mailto only),
        bold, italic, strike and code their Markdown forms. Everything else is escaped, so text
        anyone typed (``<script>``, ``[x](javascript:…)``, ``# heading``) stays text on GitHub
        and in wikis.
        """
        if not text:
            return ""
        return "\n\n".join(self._markdown_blocks(text))

    # --- Markdown -----------------------------------------------------------------------------

    def _markdown_blocks(self, text: str) -> Iterator[str]:
        pieces = FENCE_RE.split(text)
        for index, piece in enumerate(pieces):
            if index % 2:
                yield _md_fence(unescape_slack(piece.removeprefix("\n")))
                continue
            for kind, group in groupby(map(_line, piece.split("\n")), key=itemgetter(0)):
                if kind == "blank":
                    continue
                lines = [md_line_starts(self._md_inline(line)) for _, line in group]
                if kind == "quote":
                    yield "\n".join(f"> {line}" if line else ">" for line in lines)
                else:
                    # A backslash at the end of a line is a hard line break.
                    yield "\\\n".join(lines)

    def _md_inline(self, text: str) -> str:
        out: list[str] = []
        last = 0
        for match in INLINE_RE.finditer(text):
            out.append(md_text(text[last : match.start()]))
            out.append(self._INLINE_MD[match.lastgroup or ""](self, match))
            last = match.end()
        out.append(md_text(text[last:]))
        return "".join(out)

    def _angle_md(self, match: re.Match[str]) -> str:
        token = TOKEN_RE.fullmatch(match[0])
        if token is None:
            return md_text(match[0])
        label = md_text(self._token_text(token), raw=True)
        if token["url"]:
            url = safe_url(unescape_slack(token["url"]))
            return f"[{label}]({md_url(url)})" if url else label
        return label

    def _code_md(self, match: re.Match[str]) -> str:
        return md_code(unescape_slack(match["code_body"]))

    def _bold_md(self, match: re.Match[str]) -> str:
        return f"**{self._md_inline(match['bold_body'])}**"

    def _italic_md(self, match: re.Match[str]) -> str:
        return f"*{self._md_inline(match['italic_body'])}*"

    def _strike_md(self, match: re.Match[str]) -> str:
        return f"~~{self._md_inline(match['strike_body'])}~~"

    def _emoji_md(self, match: re.Match[str]) -> str:
        return md_text(EMOJI.get(match["emoji_name"], match[0]), raw=True)

    def _url_md(self, match: re.Match[str]) -> str:
        url = unescape_slack(match[0])
        return f"[{md_text(url, raw=True)}]({md_url(url)})"

    _INLINE_MD: ClassVar[Mapping[str, Callable[[SlackMarkup, re.Match[str]], str]]] = {
        "angle": _angle_md,
        "code": _code_md,
        "bold": _bold_md,
        "italic": _italic_md,
        "strike": _strike_md,
        "emoji": _emoji_md,
        "url": _url_md,
    }

    # --- blocks: code, quotes, paragraphs -----------------------------------------------------

    def _blocks(self, text: str) -> Iterator[str]:
        # split() with one group gives text, code, text, code, …, text.
        pieces = FENCE_RE.split(text)
        for index, piece in enumerate(pieces):
            if index % 2:
                body = text_html(piece.removeprefix("\n"))
                yield f"<pre>{body}</pre>"
                continue
            # The line breaks around a code block are its own edges, not blank lines.
            if index > 0:
                piece = piece.removeprefix("\n")
            if index < len(pieces) - 1:
                piece = piece.removesuffix("\n")
            yield from self._line_blocks(piece)

    def _line_blocks(self, text: str) -> Iterator[str]:
        """Consecutive quoted lines make one quote; blank lines separate paragraphs."""
        for kind, group in groupby(map(_line, text.split("\n")), key=itemgetter(0)):
            if kind == "blank":
                continue
            body = "<br>".join(self._inline(line) for _, line in group)
            yield f"<{BLOCK_TAGS[kind]}>{body}</{BLOCK_TAGS[kind]}>"

    # --- inline -------------------------------------------------------------------------------

    def _inline(self, text: str) -> str:
        out: list[str] = []
        last = 0
        for match in INLINE_RE.finditer(text):
            out.append(text_html(text[last : match.start()]))
            out.append(self._INLINE_HTML[match.lastgroup or ""](self, match))
            last = match.end()
        out.append(text_html(text[last:]))
        return "".join(out)

    def _angle_html(self, match: re.Match[str]) -> str:
        token = TOKEN_RE.fullmatch(match[0])
        # Not Slack's: an angle bracket someone typed (``<script>``) is text.
        return self._token_html(token) if token else text_html(match[0])

    def _code_html(self, match: re.Match[str]) -> str:
        return f"<code>{text_html(match['code_body'])}</code>"

    def _bold_html(self, match: re.Match[str]) -> str:
        return f"<strong>{self._inline(match['bold_body'])}</strong>"

    def _italic_html(self, match: re.Match[str]) -> str:
        return f"<em>{self._inline(match['italic_body'])}</em>"

    def _strike_html(self, match: re.Match[str]) -> str:
        return f"<s>{self._inline(match['strike_body'])}</s>"

    def _emoji_html(self, match: re.Match[str]) -> str:
        return escape(EMOJI.get(match["emoji_name"], match[0]))

    def _url_html(self, match: re.Match[str]) -> str:
        url = unescape_slack(match[0])
        return f'<a href="{escape(url)}">{escape(url)}</a>'

    _INLINE_HTML: ClassVar[Mapping[str, Callable[[SlackMarkup, re.Match[str]], str]]] = {
        "angle": _angle_html,
        "code": _code_html,
        "bold": _bold_html,
        "italic": _italic_html,
        "strike": _strike_html,
        "emoji": _emoji_html,
        "url": _url_html,
    }

    # --- Slack tokens -------------------------------------------------------------------------

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
        # The name Response knows now wins over the one in the text: people get renamed.
        return self.users.get(user_id) or unescape_slack(label or "").lstrip("@") or user_id

    def _channel_name(self, channel_id: str, label: str | None) -> str:
        return unescape_slack(label or "") or self.channels.get(channel_id) or channel_id


@functools.lru_cache(maxsize=20_000)
def _html_of(
    text: str, users: tuple[tuple[str, str], ...], channels: tuple[tuple[str, str], ...]
) -> str:
    """``SlackMarkup.html``, memoized (strings are immutable, so a hit is always right)."""
    markup = SlackMarkup(users=dict(users), channels=dict(channels))
    return sanitize("".join(markup._blocks(text)))


# Punctuation Markdown reads as markup anywhere in a line; a backslash before it is always literal.
_MD_SPECIAL_RE = re.compile(r"([\\`*_\[\]|~])")
# ... and what it reads as markup at the start of a line only (headings, lists, rules).
_MD_LINE_START_RE = re.compile(r"^(\s*)([#+\-=]|\d+[.)])", re.MULTILINE)
_MD_UNLINKED = {"://": ":\u2060//", "www.": "www\u2060.", "@": "@\u2060"}
_MD_ENTITY = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
_MD_ENTITY_RE = re.compile(r"[<>&]")


def md_text(text: str, *, raw: bool = False) -> str:
    """Plain text as Markdown text: nothing in it is markup, HTML, an autolink or a mention.

    Slack's escapes are undone first unless ``raw`` (text that is already plain). Angle brackets
    and ampersands become entities, so no HTML tag can form; Markdown's punctuation is
    backslash-escaped, which CommonMark (and GitHub) always read as the character itself.
    """
    plain = text if raw else unescape_slack(text)
    plain = _MD_SPECIAL_RE.sub(r"\\\1", plain)
    # "www.x", "http://x" and "@name" are linked by GitHub even as plain text: a zero-width
    # word joiner keeps them text without changing how they read.
    for bare, broken in _MD_UNLINKED.items():
        plain = plain.replace(bare, broken)
    return _MD_ENTITY_RE.sub(lambda m: _MD_ENTITY[m[0]], plain)


def md_line_starts(text: str) -> str:
    """Escape what would start a heading, a list or a rule at the start of any line."""
    return _MD_LINE_START_RE.sub(lambda m: f"{m[1]}{m[2][:-1]}\\{m[2][-1]}", text)


def md_url(url: str) -> str:
    """A link destination that cannot end early: spaces, brackets and quotes percent-encoded."""
    return "".join(f"%{ord(c):02X}" if c in " ()<>[]\"'`\\" else c for c in url)


def md_code(code: str) -> str:
    """Inline code; the fence is longer than any run of backticks inside."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if code.startswith("`") or code.endswith("`") else ""
    return f"{fence}{pad}{code}{pad}{fence}"


def _md_fence(code: str) -> str:
    longest = max((len(run) for run in re.findall(r"`{3,}", code)), default=2)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{code.rstrip(chr(10))}\n{fence}"


def _line(line: str) -> tuple[str, str]:
    """A line's kind (quote, text or blank) and what it shows."""
    quote = QUOTE_RE.fullmatch(line)
    if quote:
        return "quote", quote[1]
    return ("text", line) if line else ("blank", "")


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
