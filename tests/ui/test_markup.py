"""ui.markup: Slack mrkdwn made readable, everything sanitized.

The table of cases both ui.markup and the sandbox page share is tests/fixtures/mrkdwn_cases.json
(tests/ui/test_markup_cases.py); these are the checks that do not fit a table.
"""

from __future__ import annotations

import pytest

from ui.markup import SlackMarkup, references, sanitize

USERS = {"U0ALICE": "alice", "W0BOB": "bob"}
CHANNELS = {"C0FIRE": "inc-1-database"}


@pytest.fixture
def markup() -> SlackMarkup:
    return SlackMarkup(users=USERS, channels=CHANNELS)


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("hi <@U0ALICE>", '<p>hi <span class="mention">@alice</span></p>'),
        ("hi <@W0BOB|robert>", '<p>hi <span class="mention">@bob</span></p>'),
        ("hi <@U0NOBODY|carol>", '<p>hi <span class="mention">@carol</span></p>'),
        ("hi <@U0NOBODY>", '<p>hi <span class="mention">@U0NOBODY</span></p>'),
        ("in <#C0FIRE>", '<p>in <span class="mention">#inc-1-database</span></p>'),
        ("in <#C0FIRE|>", '<p>in <span class="mention">#inc-1-database</span></p>'),
        ("in <#C0OTHER|general>", '<p>in <span class="mention">#general</span></p>'),
        ("in <#C0OTHER>", '<p>in <span class="mention">#C0OTHER</span></p>'),
        ("<!here> look", '<p><span class="mention">@here</span> look</p>'),
        ("<!channel>", '<p><span class="mention">@channel</span></p>'),
        ("<!subteam^S0OPS|@oncall> help", '<p><span class="mention">@oncall</span> help</p>'),
        ("<!date^1392734382^{date_short}|Feb 18, 2014>", "<p>Feb 18, 2014</p>"),
        (":fire: :white_check_mark: :warning:", "<p>🔥 ✅ ⚠️</p>"),
        (":no_such_emoji: at 12:30:45", "<p>:no_such_emoji: at 12:30:45</p>"),
    ],
)
def test_slack_markup_becomes_readable(markup, text, html):
    assert markup.html(text) == html


def test_slack_links_keep_safe_targets_only(markup):
    html = markup.html(
        "<https://status.example.com/?a=1&amp;b=2|status &amp; more> "
        "<mailto:ops@example.com|mail ops> <https://bare.example.com> "
        "<javascript:alert(1)|x> <data:text/html,hi|y> <vbscript:msgbox|z>"
    )
    assert (
        '<a href="https://status.example.com/?a=1&amp;b=2" rel="noopener noreferrer">'
        "status &amp; more</a>"
    ) in html
    assert '<a href="mailto:ops@example.com" rel="noopener noreferrer">mail ops</a>' in html
    assert (
        '<a href="https://bare.example.com" rel="noopener noreferrer">https://bare.example.com</a>'
        in html
    )
    assert html.endswith(" x y z</p>")
    assert "javascript" not in html
    assert "data:" not in html


def test_markdown_is_not_mrkdwn(markup):
    # Slack shows markdown as typed; so do the pages (more in tests/fixtures/mrkdwn_cases.json).
    html = markup.html("**bold** [docs](https://docs.example.com)\n- one\n# two")
    assert "<strong>" not in html
    assert "<ul>" not in html
    assert "<h1>" not in html
    assert html.startswith("<p>**bold** [docs](")


def test_raw_html_is_shown_as_text_never_as_markup(markup):
    html = markup.html(
        "<script>alert(1)</script> <img src=x onerror=alert(2)> "
        '<a href="javascript:alert(3)">a</a> <div onclick="x()">d</div>\n\n<iframe src="//x">'
    )
    assert "<script" not in html
    assert "<img" not in html
    assert "<iframe" not in html
    assert "<div" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html


def test_slack_escaped_text_is_unescaped_once(markup):
    html = markup.html("&lt;script&gt;alert(1)&lt;/script&gt; AT&amp;T")
    assert html == "<p>&lt;script&gt;alert(1)&lt;/script&gt; AT&amp;T</p>"


def test_markdown_links_and_images_are_text(markup):
    html = markup.html(
        "[one](javascript:alert(1)) [two](data:text/html;base64,xx) ![pic](https://img.example/x.png)"
    )
    assert 'href="javascript' not in html
    assert 'href="data:' not in html
    assert "<img" not in html
    # The address in an image is linked like any other bare address, never loaded.
    assert '<a href="https://img.example/x.png" rel="noopener noreferrer">' in html


def test_bare_addresses_are_linked(markup):
    html = markup.html("see https://grafana.example.com/d/abc?x=1. then")
    assert (
        '<a href="https://grafana.example.com/d/abc?x=1" rel="noopener noreferrer">'
        "https://grafana.example.com/d/abc?x=1</a>. then"
    ) in html


def test_user_names_are_escaped(markup):
    evil = SlackMarkup(users={"U0EVIL": "<img src=x onerror=alert(1)>"})
    html = evil.html("<@U0EVIL> and <@U0OTHER|<b>x</b>>")
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_private_use_characters_are_just_text(markup):
    # An older renderer used them as placeholders; nothing treats them specially now.
    html = markup.html("\ue0000\ue001 <@U0ALICE>")
    assert html == '<p>\ue0000\ue001 <span class="mention">@alice</span></p>'


def test_blocks_keep_their_order_and_line_breaks(markup):
    html = markup.html("Summary changed from one\ntwo to\n\n&gt; three\n```four\n<b>```\nfive")
    assert html == (
        "<p>Summary changed from one<br>two to</p><blockquote>three</blockquote>"
        "<pre>four\n&lt;b&gt;</pre><p>five</p>"
    )


def test_plain_text_for_titles(markup):
    assert (
        markup.plain("<@U0ALICE> broke <#C0FIRE> :fire: <https://x.example|this> &lt;b&gt;")
        == "@alice broke #inc-1-database 🔥 this <b>"
    )
    assert markup.plain("<javascript:alert(1)|x>") == "x"
    assert markup.plain("") == ""


def test_references_finds_every_mention_once():
    refs = references(
        ["<@U0ALICE> <@U0ALICE|a> <#C0FIRE>", None, "", "<@W0BOB> <#C0TWO|two> <!here>"]
    )
    assert refs.users == {"U0ALICE", "W0BOB"}
    assert refs.channels == {"C0FIRE", "C0TWO"}


def test_sanitize_is_a_safety_net():
    html = sanitize(
        '<p onclick="x()">hi <a href="javascript:x()">a</a> <a href="https://ok.example">b</a>'
        '<script>bad()</script><span class="evil mention">m</span><style>*{}</style></p>'
    )
    assert html == (
        '<p>hi <a rel="noopener noreferrer">a</a> '
        '<a href="https://ok.example" rel="noopener noreferrer">b</a>'
        '<span class="mention">m</span></p>'
    )


def test_empty_text_renders_nothing(markup):
    assert markup.html(None) == ""
    assert markup.html("") == ""


def test_a_text_rendered_before_shows_the_names_known_now():
    """Renderings are kept between requests; a rename or a newly known channel must still show."""
    text = "Paged <@U0BOB> in <#C0OPS>"
    before = SlackMarkup(users={"U0BOB": "bob"}, channels={"C0OPS": "ops"}).html(text)
    after = SlackMarkup(users={"U0BOB": "robert"}, channels={}).html(text)

    assert "@bob" in before and "#ops" in before
    assert "@robert" in after and "#C0OPS" in after
