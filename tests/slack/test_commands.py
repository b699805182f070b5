"""@incident commands in a comms channel (SPEC §6.5), through signed events and the worker."""

from __future__ import annotations

import pytest

from core import selectors
from core.models import Action, Incident, Severity, TimelineEvent
from slack.models import CommsChannel
from tests.slack.channel_helpers import (
    COMMS,
    channel_posts,
    incident_with_channel,
    mention,
    reactions_on,
)


@pytest.fixture
def incident(transactional_db):
    return incident_with_channel()


def fresh(incident) -> Incident:
    return selectors.incident_get(incident_id=incident.pk)


def test_a_command_makes_no_slack_call_until_the_worker_runs(client, incident, fake_slack, jobs):
    envelope = mention(client, "duration")
    assert fake_slack.calls() == []

    jobs()

    assert reactions_on(fake_slack, envelope["event"]["ts"]) == ["white_check_mark"]
    assert channel_posts(fake_slack) == [
        posts for posts in channel_posts(fake_slack) if "running for" in posts
    ]


def test_lead_with_a_mention_and_without(client, incident, fake_slack, jobs):
    mention(client, "lead <@U0BOB>")
    jobs()
    assert fresh(incident).lead.external_id == "U0BOB"

    mention(client, "LEAD", user="U0CAROL")
    jobs()
    assert fresh(incident).lead.external_id == "U0CAROL"
    assert "<@U0CAROL> is now leading this incident." in channel_posts(fake_slack)


def test_a_new_lead_is_invited_into_the_channel(client, incident, fake_slack, jobs):
    mention(client, "lead <@U0BOB>")
    jobs()

    [invite] = fake_slack.calls("conversations.invite")
    assert (invite.params["channel"], invite.params["users"]) == (COMMS, "U0BOB")


@pytest.mark.parametrize(
    ("argument", "expected"),
    [("critical", 1), ("Critical", 1), ("1", 1), ("sev 1", 1), ("major", 2), ("4", 4)],
)
def test_severity_is_understood_as_people_type_it(
    client, incident, fake_slack, jobs, argument, expected
):
    envelope = mention(client, f"severity {argument}")
    jobs()

    assert fresh(incident).severity == expected
    assert reactions_on(fake_slack, envelope["event"]["ts"]) == ["white_check_mark"]
    assert f"Severity is now {fresh(incident).severity_emoji} {Severity(expected).label}." in (
        channel_posts(fake_slack)
    )


def test_sev_is_an_alias_and_nonsense_is_not_understood(client, incident, fake_slack, jobs):
    mention(client, "Sev major")
    bad = mention(client, "severity purple")
    jobs()

    assert fresh(incident).severity == Severity.MAJOR
    assert reactions_on(fake_slack, bad["event"]["ts"]) == ["question"]
    assert any("I don't know the severity `purple`" in text for text in channel_posts(fake_slack))


def test_summary_keeps_every_line(client, incident, fake_slack, jobs):
    mention(
        client, "summary Card payments fail at checkout.\nAbout 30% of attempts.\n\nSince 09:12."
    )
    jobs()

    assert (
        fresh(incident).summary
        == "Card payments fail at checkout.\nAbout 30% of attempts.\n\nSince 09:12."
    )
    change = TimelineEvent.objects.get(incident=incident, metadata__field="summary")
    assert change.author.external_id == "U0ALICE"


def test_a_command_word_on_its_own_line(client, incident, jobs):
    mention(client, "impact\nCustomers cannot pay")
    jobs()

    assert fresh(incident).impact == "Customers cannot pay"


def test_summary_without_text_shows_the_current_one(client, incident, fake_slack, jobs):
    mention(client, "summary")
    jobs()

    assert (
        channel_posts(fake_slack)[-1] == "*The current summary:*\nThis incident has no summary yet."
    )


def test_action_logs_a_follow_up_owned_by_whoever_asked(client, incident, jobs):
    mention(client, "action Add an alert on queue depth\nand a runbook entry", user="U0BOB")
    jobs()

    action = Action.objects.get()
    assert action.details == "Add an alert on queue depth\nand a runbook entry"
    assert action.owner.external_id == "U0BOB"


def test_rename_renames_the_slack_channel_and_stores_the_name(client, incident, fake_slack, jobs):
    mention(client, "rename Payments Outage!")
    jobs()

    (call,) = fake_slack.calls("conversations.rename")
    assert (call.params["channel"], call.params["name"]) == (COMMS, "inc-payments-outage")
    assert CommsChannel.objects.get().name == "inc-payments-outage"


def test_a_refused_rename_is_explained(client, incident, fake_slack, jobs):
    fake_slack.queue_error("conversations.rename", "name_taken")
    mention(client, "rename inc-taken")
    jobs()

    assert CommsChannel.objects.get().name == "inc-1-payments"
    assert any(
        "couldn't be renamed to `inc-taken` (name_taken)" in t for t in channel_posts(fake_slack)
    )


def test_duration_says_how_long_it_has_been_running(client, incident, fake_slack, jobs):
    mention(client, "duration")
    jobs()

    assert channel_posts(fake_slack)[-1].startswith("The incident has been running for ")


def test_help_lists_every_command_with_its_aliases(client, incident, fake_slack, jobs):
    mention(client, "help")
    jobs()

    (text,) = [t for t in channel_posts(fake_slack) if "Commands:" in t]
    for command in [
        "`help`",
        "`summary`",
        "`impact`",
        "`lead`",
        "`severity | sev`",
        "`rename`",
        "`duration`",
        "`close`",
        "`action`",
    ]:
        assert command in text


def test_close_then_close_again_says_when(client, incident, fake_slack, jobs):
    mention(client, "close")
    jobs()
    closed_at = fresh(incident).end_time
    assert closed_at is not None

    mention(client, "close")
    jobs()

    already = [t for t in channel_posts(fake_slack) if "already over" in t]
    assert len(already) == 1
    assert f"<!date^{int(closed_at.timestamp())}^" in already[0]


def test_an_unknown_command_gets_a_question_mark_and_a_hint(client, incident, fake_slack, jobs):
    envelope = mention(client, "dance")
    jobs()

    assert reactions_on(fake_slack, envelope["event"]["ts"]) == ["question"]
    assert channel_posts(fake_slack)[-1].startswith("I don't know the command `dance`.")


def test_a_retried_mention_is_answered_once(client, incident, fake_slack, jobs):
    from tests.helpers import post_event

    envelope = mention(client, "duration")
    post_event(client, envelope, headers={"HTTP_X_SLACK_RETRY_NUM": "1"})
    jobs()

    assert len([t for t in channel_posts(fake_slack) if "running for" in t]) == 1
    assert len(fake_slack.calls("reactions.add")) == 1


def test_a_failing_command_leaves_nothing_half_done(client, incident, fake_slack, jobs):
    from procrastinate.contrib.django.models import ProcrastinateJob

    from core import services
    from slack import registry

    def broken(incident, user_id, message):
        services.action_create(incident=incident, details="written before the crash")
        incident.comms_channel.post_in_channel("a reply promised before the crash")
        raise RuntimeError("a bug")

    registry.incident_commands.register("zz-broken", broken, helptext="", names=["zz-broken"])
    try:
        mention(client, "zz-broken")
        jobs()
    finally:
        registry.incident_commands.unregister("zz-broken")

    assert Action.objects.count() == 0
    # Neither the reply nor the reaction was queued: they rolled back with the command.
    assert not ProcrastinateJob.objects.filter(
        task_name__in=["slack.post_message", "slack.add_reaction"]
    ).exists()
    assert channel_posts(fake_slack) == []


@pytest.mark.parametrize(
    "argument",
    [
        "<@>",  # an empty mention token
        "<@U0BOB",  # a mention token that never closes
        "@nobody",  # typed as plain text: Slack sends it as such, not as a mention
        "bob",  # a plain word
    ],
)
def test_lead_naming_nobody_is_refused_and_the_lead_stays(
    client, incident, fake_slack, jobs, argument
):
    mention(client, "lead <@U0BOB>")
    jobs()

    envelope = mention(client, f"lead {argument}", user="U0CAROL")
    jobs()

    assert fresh(incident).lead.external_id == "U0BOB"
    assert reactions_on(fake_slack, envelope["event"]["ts"]) == ["question"]
    hint = channel_posts(fake_slack)[-1]
    assert "`@incident lead @someone`" in hint
    assert "`@incident lead`" in hint
    assert "<@U0CAROL> is now leading this incident." not in channel_posts(fake_slack)


def test_lead_with_a_mention_and_more_words_sets_the_mentioned_person(
    client, incident, fake_slack, jobs
):
    envelope = mention(client, "lead <@U0BOB|bob> please")
    jobs()

    assert fresh(incident).lead.external_id == "U0BOB"
    assert reactions_on(fake_slack, envelope["event"]["ts"]) == ["white_check_mark"]


@pytest.mark.parametrize("command", ["summary", "summary {long}"])
def test_a_long_summary_is_trimmed_with_a_link_to_the_document(
    client, incident, fake_slack, jobs, command
):
    from slack.block_kit import document_url

    long = "Card payments fail at checkout. " * 190  # over 6,000 characters
    assert len(long) > 6000
    incident.summary = long
    incident.save(update_fields=["summary"])

    mention(client, command.format(long=long))
    jobs()

    reply = channel_posts(fake_slack)[-1]
    assert len(reply) <= 4000
    assert "…" in reply
    assert document_url(incident.pk, "http://testserver") in reply
    assert reply.startswith("*The ")


def test_a_short_reply_is_posted_as_it_is(client, incident, fake_slack, jobs):
    mention(client, "summary Card payments fail")
    jobs()

    assert channel_posts(fake_slack)[-1] == "*The summary has been updated to:*\nCard payments fail"


def test_every_reply_is_kept_to_size_even_an_unknown_command(client, incident, fake_slack, jobs):
    envelope = mention(client, "x" * 6000)
    jobs()

    reply = channel_posts(fake_slack)[-1]
    assert reply.startswith("I don't know the command `xxx")
    assert len(reply) <= 4000
    assert reactions_on(fake_slack, envelope["event"]["ts"]) == ["question"]


def test_trimming_never_leaves_half_a_link(client, incident, fake_slack, jobs):
    # Nearly every character sits inside a <url|label> token, so any cut lands in one.
    link = "<https://runbooks.example.com/" + "a" * 90 + "|runbook> "
    incident.summary = link * 60
    incident.save(update_fields=["summary"])

    mention(client, "summary")
    jobs()

    reply = channel_posts(fake_slack)[-1]
    assert len(reply) <= 4000
    assert reply.count("<") == reply.count(">")
