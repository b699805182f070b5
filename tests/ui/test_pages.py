"""The incident list, the incident document, logging in and out (through Django's test client)."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from core import services
from core.models import Participation, Severity, TimelineEventKind
from slack.models import CommsChannel
from tests.ui import builders
from ui.views import INCIDENTS_PER_PAGE

pytestmark = pytest.mark.django_db


def titles(response) -> list[str]:
    return [row.title for row in response.context["rows"]]


# --- Logging in and out ---------------------------------------------------------------------------


def test_login_page_is_styled_and_logs_in(client):
    builders.login_user("responder")
    page = client.get("/login/")
    assert page.status_code == 200
    assert b"Log in to Response" in page.content
    assert b"/static/ui/css/response.css" in page.content

    response = client.post(
        "/login/?next=/", {"username": "responder", "password": builders.PASSWORD, "next": "/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


@pytest.mark.parametrize(
    ("username", "password"), [("admin", "admin"), ("admin", "password"), ("responder", "")]
)
def test_there_are_no_default_credentials(client, username, password):
    builders.login_user("responder")
    response = client.post("/login/", {"username": username, "password": password})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_wrong_password_is_said_so(client):
    builders.login_user("responder")
    response = client.post("/login/", {"username": "responder", "password": "nope"})
    assert b"correct username and password" in response.content


def test_login_does_not_redirect_elsewhere(client):
    builders.login_user("responder")
    response = client.post(
        "/login/",
        {"username": "responder", "password": builders.PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/"


def test_logout_needs_a_post(logged_in):
    assert logged_in.get("/logout/").status_code == 405
    assert logged_in.get("/").status_code == 200

    response = logged_in.post("/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert logged_in.get("/").status_code == 302


def test_pages_carry_a_content_security_policy(logged_in):
    policy = logged_in.get("/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


# --- Incident list --------------------------------------------------------------------------------


def test_list_is_newest_first_with_badges(logged_in, alice):
    now = timezone.now()
    builders.incident("older", reporter=alice, report_time=now - dt.timedelta(days=1))
    builders.incident("newer", reporter=alice, severity=Severity.MAJOR, report_time=now)

    response = logged_in.get("/")

    assert titles(response) == ["newer", "older"]
    html = response.content.decode()
    assert 'class="badge status-live"' in html
    assert "🔥 Investigating" in html
    assert "🌧️ Major" in html
    assert "☁️ No severity" in html


def test_list_is_paginated(logged_in, alice):
    builders.many_incidents(INCIDENTS_PER_PAGE + 5, reporter=alice, lead=alice)

    first = logged_in.get("/")
    second = logged_in.get("/?page=2")
    beyond = logged_in.get("/?page=99")

    assert len(first.context["rows"]) == INCIDENTS_PER_PAGE
    assert len(second.context["rows"]) == 5
    assert titles(beyond) == titles(second)
    assert 'rel="next"' in first.content.decode()


# A status to reach, and the moves that reach it from investigating (or triage, when it says so).
REACH = {
    "triage": ("triage",),
    "investigating": (),
    "fixing": ("fixing",),
    "monitoring": ("monitoring",),
    "resolved": ("resolved",),
    "declined": ("triage", "declined"),
    "merged": ("merged",),
    "reported": ("reported",),
}
ALL = [f"{status} one" for status in REACH]


def incident_in(status: str, *, reporter, target=None, **kwargs):
    moves = REACH[status]
    made = builders.incident(
        f"{status} one",
        reporter=reporter,
        triage=moves[:1] == ("triage",),
        report_only=moves == ("reported",),
        **kwargs,
    )
    for move in moves:
        if move in ("triage", "reported"):
            continue
        services.incident_status_set(incident=made, status=move, merged_into=target)
    return made


@pytest.fixture
def one_of_each(alice):
    """One incident in each status, newest first in the order of ``REACH``."""
    now = timezone.now()
    severities = {"investigating": Severity.CRITICAL, "resolved": Severity.MINOR}
    made = {}
    for n, status in enumerate(REACH):
        made[status] = incident_in(
            status,
            reporter=alice,
            target=made.get("investigating"),
            severity=severities.get(status),
            report_time=now - dt.timedelta(hours=n),
        )
    return made


@pytest.mark.parametrize("status", list(REACH))
def test_list_filters_by_each_status(logged_in, one_of_each, status):
    response = logged_in.get(f"/?status={status}")
    assert response.status_code == 200
    assert titles(response) == [f"{status} one"]
    assert one_of_each[status].status == status


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=open", ["triage one", "investigating one", "fixing one", "monitoring one"]),
        ("severity=1", ["investigating one"]),
        ("severity=3", ["resolved one"]),
        ("severity=none", [t for t in ALL if t not in ("investigating one", "resolved one")]),
        ("q=RESOLVED", ["resolved one"]),
        ("q=one&status=investigating&severity=1", ["investigating one"]),
        ("q=one&status=open&severity=3", []),
        ("q=nothing+like+it", []),
        # An invalid filter is ignored rather than refused.
        ("status=bogus", ALL),
        ("status=live", ALL),
        ("q=%00", ALL),
    ],
)
def test_list_filters(logged_in, one_of_each, query, expected):
    response = logged_in.get(f"/?{query}")
    assert response.status_code == 200
    assert titles(response) == expected


def test_list_badges_say_each_status(logged_in, one_of_each):
    html = logged_in.get("/").content.decode()
    badges = re.findall(r'<span class="badge [^"]*" data-testid="status"[^>]*>([^<]+)</span>', html)
    assert badges == [
        "🔍 Triage",
        "🔥 Investigating",
        "🛠️ Fixing",
        "👀 Monitoring",
        "💧 Resolved",
        "🚫 Declined",
        "🔗 Merged",
        "📓 Reported",
    ]
    merged = one_of_each["merged"]
    assert f'href="/incident/{merged.merged_into_id}/">#{merged.merged_into_id}</a>' in html


def test_list_labels_drills_and_shows_the_lead(logged_in, alice):
    bob = builders.slack_user("U0BOB", "bob")
    builders.incident("practice", reporter=alice, lead=bob, drill=True)
    builders.incident("real", reporter=alice)
    response = logged_in.get("/")
    rows = re.findall(r'<li class="incident-row.*?</li>', response.content.decode(), re.DOTALL)
    practice = next(row for row in rows if "practice" in row)
    real = next(row for row in rows if "real" in row)
    assert "🧪 Drill" in practice
    assert "<dd>bob</dd>" in practice
    assert "Drill" not in real


def test_filters_survive_paging(logged_in, alice):
    builders.many_incidents(120, reporter=alice, lead=alice)
    response = logged_in.get("/?status=investigating")
    html = response.content.decode()
    assert "status=investigating&amp;page=2" in html


def test_list_titles_show_slack_markup_readably(logged_in, alice):
    builders.incident("<@U0ALICE> broke it :fire:", reporter=alice)
    response = logged_in.get("/")
    assert titles(response) == ["@alice broke it 🔥"]


def test_empty_list_says_how_to_declare(logged_in):
    response = logged_in.get("/")
    assert b"No incidents yet" in response.content
    assert b"/incident" in response.content


# --- Incident document ---------------------------------------------------------------------------


@pytest.fixture
def document(alice):
    bob = builders.slack_user("U0BOB", "bob")
    incident = builders.incident(
        "Payments are failing",
        reporter=alice,
        lead=bob,
        severity=Severity.MAJOR,
        summary="Card payments fail for <@U0BOB> and <@U0GHOST|ghost> in <#C0INC>. :warning:",
        impact="*Everyone* paying <!here> <!subteam^S0OPS|@ops> <https://x.example/|dash>",
    )
    CommsChannel.objects.create(incident=incident, channel_id="C0INC", name="inc-1-payments")
    start = incident.start_time
    for seconds, text, ref in [(30, "third", "p3"), (10, "first", "p1"), (20, "second", "p2")]:
        services.timeline_source_upsert(
            incident=incident,
            source_ref=ref,
            kind=TimelineEventKind.PINNED_MESSAGE,
            text=text,
            author=bob,
            time=start + dt.timedelta(seconds=seconds),
            metadata={"permalink": f"https://slack.example/{ref}"},
        )
    services.action_log(
        incident=incident,
        details="Add an alert",
        owner=alice,
        priority=2,
        due_at=timezone.now() - dt.timedelta(days=1),
    )
    services.action_log(incident=incident, details="Write it up", done=True)
    Participation.objects.create(incident=incident, user=alice, message_count=3)
    Participation.objects.create(incident=incident, user=bob, message_count=9)
    return incident


def test_document_shows_everything(logged_in, document):
    response = logged_in.get(f"/incident/{document.pk}/")

    assert response.status_code == 200
    doc = response.context["doc"]
    assert doc.title == "Payments are failing"
    assert doc.summary == (
        '<p>Card payments fail for <span class="mention">@bob</span> and '
        '<span class="mention">@ghost</span> in <span class="mention">#inc-1-payments</span>. '
        "⚠️</p>"
    )
    assert '<span class="mention">@here</span>' in doc.impact
    assert '<span class="mention">@ops</span>' in doc.impact
    assert '<a href="https://x.example/" rel="noopener noreferrer">dash</a>' in doc.impact
    assert doc.comms_channel == "#inc-1-payments"
    assert [(p.name, p.message_count) for p in doc.participants] == [("bob", 9), ("alice", 3)]
    texts = [entry.text for entry in doc.timeline if entry.kind == "pinned_message"]
    assert texts == ["<p>first</p>", "<p>second</p>", "<p>third</p>"]
    assert doc.timeline[0].author == "bob"
    assert doc.timeline[0].permalink == "https://slack.example/p1"
    first, second = doc.actions
    assert (first.owner, first.priority, first.done, first.overdue) == (
        "alice",
        "medium",
        False,
        True,
    )
    assert (second.owner, second.done) == ("", True)

    html = response.content.decode()
    for expected in (
        "Reporter",
        "alice",
        "Incident lead",
        "bob",
        "Declared",
        "Started",
        "Duration",
    ):
        assert expected in html
    assert "🌧️ Major" in html
    assert "View in Slack" in html
    assert "(overdue)" in html


def test_document_lists_updates_and_who_follows(logged_in, alice):
    bob = builders.slack_user("U0BOB", "bob")
    incident = builders.incident(reporter=alice, severity=Severity.MAJOR)
    services.update_share(incident=incident, author=bob, impact="Cards fail for <@U0ALICE>")
    services.update_share(
        incident=incident,
        author=alice,
        what_changed="Rolled back",
        next_steps="Watch the *error rate*",
        next_update_in=dt.timedelta(minutes=30),
    )
    services.incident_follow(incident=incident, user=alice)
    services.incident_follow(incident=incident, user=bob)

    response = logged_in.get(f"/incident/{incident.pk}/")

    doc = response.context["doc"]
    first, second = doc.updates
    assert (first.author, first.next_update_due) == ("bob", None)
    assert first.parts == (
        ("Current impact", '<p>Cards fail for <span class="mention">@alice</span></p>'),
    )
    assert second.author == "alice" and second.next_update_due is not None
    assert [label for label, _ in second.parts] == ["What changed", "Next steps"]
    assert "<strong>error rate</strong>" in second.parts[1][1]
    assert doc.followers == ["alice", "bob"]
    html = response.content.decode()
    assert html.count('data-testid="update"') == 2
    assert "Followed by alice, bob." in html


def test_document_says_when_nobody_updated_or_follows(logged_in, alice):
    incident = builders.incident(reporter=alice)

    html = logged_in.get(f"/incident/{incident.pk}/").content.decode()

    assert "No update shared yet" in html
    assert "Nobody follows this incident yet" in html


def test_document_times_have_date_and_zone(logged_in, document, settings):
    html = logged_in.get(f"/incident/{document.pk}/").content.decode()
    assert re.search(r"<time datetime=\"[^\"]+\+00:00\"[^>]*>\d+ \w{3} \d{4}, \d\d:\d\d UTC", html)
    assert 'data-testid="viewer-timezone">UTC<' in html


def test_document_uses_the_viewers_zone_when_known(logged_in, document):
    logged_in.cookies["tz"] = "America/New_York"
    html = logged_in.get(f"/incident/{document.pk}/").content.decode()
    assert re.search(r"\d\d:\d\d E[SD]T</time>", html)
    assert 'data-testid="viewer-timezone">America/New_York<' in html


@pytest.mark.parametrize("cookie", ["Not/AZone", "../../etc/passwd", "x" * 200, "", "Europe/"])
def test_a_bad_zone_cookie_falls_back_to_the_setting(logged_in, document, settings, cookie):
    settings.TIME_ZONE = "Europe/Paris"
    logged_in.cookies["tz"] = cookie
    html = logged_in.get(f"/incident/{document.pk}/").content.decode()
    assert 'data-testid="viewer-timezone">Europe/Paris<' in html


def test_closed_incident_shows_end_and_duration(logged_in, alice):
    incident = builders.incident("done", reporter=alice, closed=True)
    html = logged_in.get(f"/incident/{incident.pk}/").content.decode()
    assert "Still open" not in html
    assert "so far" not in html
    assert "💧 Resolved" in html


def test_unknown_incident_is_404(logged_in):
    assert logged_in.get("/incident/999999/").status_code == 404
    assert logged_in.get("/incident/99999999999999999999/").status_code == 404


def test_only_safe_permalinks_are_linked(logged_in, alice):
    incident = builders.incident("links", reporter=alice)
    for ref, link in [("a", "javascript:alert(1)"), ("b", "mailto:x@example.com"), ("c", 42)]:
        services.timeline_source_upsert(
            incident=incident,
            source_ref=ref,
            kind=TimelineEventKind.PINNED_MESSAGE,
            text=ref,
            author=alice,
            time=timezone.now(),
            metadata={"permalink": link},
        )
    html = logged_in.get(f"/incident/{incident.pk}/").content.decode()
    assert "View in Slack" not in html
    assert "javascript:" not in html


class _Elements(HTMLParser):
    """Every element and attribute of a page, to look for anything that could run."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.handlers: list[tuple[str, str]] = []
        self.hrefs: list[str] = []
        self.tags: set[str] = set()
        self.images: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append((tag, name))
            if name in ("href", "src", "action"):
                self.hrefs.append(value or "")
        if tag == "img":
            self.images.append(dict(attrs).get("src") or "")
        if tag == "script":
            self.scripts.append(dict(attrs).get("src", "<inline>"))


def test_hostile_content_is_inert_in_the_html(logged_in, alice):
    incident = builders.incident(
        f"T {builders.XSS_TEXT}"[:200],
        reporter=alice,
        summary=builders.XSS_TEXT,
        impact=builders.XSS_SLACK_ESCAPED,
    )
    services.timeline_note_add(incident=incident, text=builders.XSS_TEXT, author=alice)
    services.action_log(incident=incident, details=builders.XSS_TEXT)

    for path in ("/", f"/incident/{incident.pk}/"):
        parser = _Elements()
        parser.feed(logged_in.get(path).content.decode())
        # Only our own script files, none inline.
        assert parser.scripts[0] == "/static/ui/js/tz.js"
        assert set(parser.scripts) <= {"/static/ui/js/tz.js", "/static/ui/js/follow_ups.js"}
        assert parser.handlers == []
        assert not [h for h in parser.hrefs if h.strip().lower().startswith("javascript")]
        assert not parser.tags & {"svg", "iframe", "object", "embed"}
        # The only images are our own (the logo).
        assert parser.images == ["/static/ui/img/logo.svg"]


# --- Slack text on the document (the rules themselves: tests/fixtures/mrkdwn_cases.json) -------


def entry_texts(response, kind: str = "incident_change") -> list[str]:
    return [entry.text for entry in response.context["doc"].timeline if entry.kind == kind]


def test_document_shows_mrkdwn_as_slack_does(logged_in, alice):
    incident = builders.incident(
        "*Cards* <script>alert(1)</script> <!channel>",
        reporter=alice,
        summary="*bold* _it_ ~struck~ <https://x.example/a|the dash> in <#C0INC|inc-2>\n"
        "&gt; quoted\nsecond line",
    )
    response = logged_in.get(f"/incident/{incident.pk}/")
    doc = response.context["doc"]
    assert doc.summary == (
        '<p><strong>bold</strong> <em>it</em> <s>struck</s> <a href="https://x.example/a" '
        'rel="noopener noreferrer">the dash</a> in <span class="mention">#inc-2</span></p>'
        "<blockquote>quoted</blockquote><p>second line</p>"
    )
    # A title is text: what looks like a tag or a broadcast is not markup.
    html = response.content.decode()
    heading = re.search(r'<h1 data-testid="incident-title">(.*?)</h1>', html, re.DOTALL)
    assert heading is not None
    assert heading[1] == "*Cards* &lt;script&gt;alert(1)&lt;/script&gt; @channel"


def test_change_entries_keep_their_lines(logged_in, alice):
    incident = builders.incident("Lines", reporter=alice, summary="Cards fail")
    services.incident_update(incident=incident, summary="Cards fail\n1. since 9:40\n2. in EU")
    response = logged_in.get(f"/incident/{incident.pk}/")
    assert entry_texts(response) == [
        "<p>Summary changed from Cards fail to Cards fail<br>1. since 9:40<br>2. in EU</p>"
    ]


def test_a_lead_response_had_not_seen_is_named_once_known(logged_in, alice):
    incident = builders.incident("Leads", reporter=alice, lead=alice)
    stranger = services.external_user_get_or_create(external_id="U0DAVE")
    services.incident_update(incident=incident, lead=stranger)
    services.incident_update(incident=incident, lead=None)

    before = entry_texts(logged_in.get(f"/incident/{incident.pk}/"))
    assert before == [
        '<p>Incident lead changed from <span class="mention">@alice</span> to '
        '<span class="mention">@U0DAVE</span></p>',
        '<p>Incident lead changed from <span class="mention">@U0DAVE</span> to (none)</p>',
    ]

    services.external_user_upsert(external_id="U0DAVE", display_name="dave")
    services.external_user_upsert(external_id="U0ALICE", display_name="alice <b>")
    after = entry_texts(logged_in.get(f"/incident/{incident.pk}/"))
    assert after == [
        '<p>Incident lead changed from <span class="mention">@alice &lt;b&gt;</span> to '
        '<span class="mention">@dave</span></p>',
        '<p>Incident lead changed from <span class="mention">@dave</span> to (none)</p>',
    ]


def test_any_role_change_names_people_as_they_are_now(logged_in, alice):
    incident = builders.incident("Roles", reporter=alice)
    stranger = services.external_user_get_or_create(external_id="U0ERIN")
    services.role_assign(incident=incident, role="comms", holder=stranger, actor=alice)
    services.external_user_upsert(external_id="U0ERIN", display_name="erin")
    texts = entry_texts(logged_in.get(f"/incident/{incident.pk}/"))
    assert (
        '<p>Communications lead changed from (none) to <span class="mention">@erin</span></p>'
        in texts
    )


def test_lead_changes_written_before_roles_still_name_people_as_they_are_now(logged_in, alice):
    incident = builders.incident("Old entries", reporter=alice)
    # As entries were written when the lead was a field of its own: no role, no label.
    incident.timeline_events.create(
        kind=TimelineEventKind.INCIDENT_CHANGE,
        text="Lead changed from (none) to @U0FRED",
        metadata={"field": "lead", "old": None, "new": {"id": "U0FRED", "name": "U0FRED"}},
    )
    services.external_user_upsert(external_id="U0FRED", display_name="fred")
    texts = entry_texts(logged_in.get(f"/incident/{incident.pk}/"))
    assert texts == ['<p>Lead changed from (none) to <span class="mention">@fred</span></p>']


def test_change_entries_written_otherwise_are_left_alone(logged_in, alice):
    incident = builders.incident("Other", reporter=alice)
    services.timeline_note_add(incident=incident, text="Lead is *U0DAVE*", author=alice)
    response = logged_in.get(f"/incident/{incident.pk}/")
    assert entry_texts(response, "note") == ["<p>Lead is <strong>U0DAVE</strong></p>"]


def test_naming_people_in_change_entries_costs_no_query_per_entry(logged_in, alice):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(incident) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert logged_in.get(f"/incident/{incident.pk}/").status_code == 200
        return len(captured.captured_queries)

    people = [builders.slack_user(f"U0P{n:03d}", f"person{n}") for n in range(20)]
    few = builders.incident("few", reporter=alice)
    services.incident_update(incident=few, lead=people[0])
    many = builders.incident("many", reporter=alice)
    for lead in people:
        services.incident_update(incident=many, lead=lead)
    assert queries(many) == queries(few)
