"""A job that runs again after Slack already took its post does not post a second time."""

from __future__ import annotations

import time

import pytest
from django.db import transaction
from procrastinate.contrib.django.models import ProcrastinateJob

from core import services
from slack.delivery.outbox import post_in_channel
from slack.flows.close.handlers import ask_for_report
from slack.flows.comms_channel.jobs import bookmark_document
from slack.models import HeadlinePost
from tests.helpers import make_retries_due
from tests.slack.fake_slack import INCIDENTS_CHANNEL_ID
from tests.slack.slack_history import ChannelHistory


@pytest.fixture
def short_timeout(settings):
    # The stand-in answers lost posts after 1 s; the client gives up before that.
    settings.SLACK_API_TIMEOUT = 0.3


def declare():
    return services.incident_declare(
        title="Payments are failing",
        reporter=services.external_user_get_or_create(external_id="U0ALICE"),
    )


def test_a_post_whose_answer_was_lost_is_not_posted_again(fake_slack, jobs, short_timeout):
    history = ChannelHistory(fake_slack, slow_answers=1)
    with transaction.atomic():
        post_in_channel("C0COMMS", "Lead is now Alice")

    jobs()
    make_retries_due()
    jobs()

    assert [m["text"] for m in history.posted("C0COMMS")] == ["Lead is now Alice"]
    assert len(fake_slack.calls("conversations.history")) == 1
    assert ProcrastinateJob.objects.get(task_name="slack.post_message").status == "succeeded"


def test_a_post_slack_never_took_is_posted_on_the_next_attempt(fake_slack, jobs):
    history = ChannelHistory(fake_slack)
    fake_slack.queue_error("chat.postMessage", "internal_error")
    with transaction.atomic():
        post_in_channel("C0COMMS", "Lead is now Alice")

    jobs()
    make_retries_due()
    jobs()

    assert [m["text"] for m in history.posted("C0COMMS")] == ["Lead is now Alice"]


def test_the_first_attempt_does_not_look_before_posting(fake_slack, jobs):
    ChannelHistory(fake_slack)
    with transaction.atomic():
        post_in_channel("C0COMMS", "Lead is now Alice")

    jobs()

    assert fake_slack.calls("conversations.history") == []
    [post] = fake_slack.calls("chat.postMessage")
    assert post.params["metadata"]["event_type"] == "response_post"


def test_two_posts_of_the_same_text_are_both_made(fake_slack, jobs, short_timeout):
    # The key is the job's, not the text's: saying the same thing twice is allowed.
    history = ChannelHistory(fake_slack, slow_answers=1)
    with transaction.atomic():
        post_in_channel("C0COMMS", "Still investigating")
        post_in_channel("C0COMMS", "Still investigating")

    jobs()
    make_retries_due()
    jobs()

    assert len(history.posted("C0COMMS")) == 2


def test_a_headline_whose_answer_was_lost_is_found_not_posted_again(
    fake_slack, jobs, short_timeout
):
    history = ChannelHistory(fake_slack, slow_answers=1)
    incident = declare()

    jobs()
    make_retries_due()
    jobs()

    [headline] = history.posted(INCIDENTS_CHANNEL_ID)
    assert HeadlinePost.objects.get(incident=incident).ts == headline["ts"]


def test_the_closing_dm_whose_answer_was_lost_is_not_sent_again(fake_slack, jobs, short_timeout):
    fake_slack.on("conversations.open", lambda params: {"ok": True, "channel": {"id": "D0ALICE"}})
    incident = declare()
    jobs()  # the headline
    history = ChannelHistory(fake_slack, slow_answers=1)
    ask_for_report.defer(incident_id=incident.pk)

    jobs()
    make_retries_due()
    jobs()

    [dm] = history.posted("D0ALICE")
    assert "is resolved" in dm["text"]


def test_a_bookmark_whose_answer_was_lost_is_not_added_again(fake_slack, jobs, short_timeout):
    bookmarks: list[dict] = []

    def add(params):
        bookmarks.append({"title": params["title"], "link": params["link"]})
        if len(bookmarks) == 1:
            time.sleep(1)  # Slack added it; the answer comes after the client gave up
        return {"ok": True, "bookmark": bookmarks[-1]}

    fake_slack.on("bookmarks.add", add)
    fake_slack.on("bookmarks.list", lambda params: {"ok": True, "bookmarks": bookmarks})
    bookmark_document.defer(channel_id="C0COMMS", link="https://response.example.com/incident/1/")

    jobs()
    make_retries_due()
    jobs()

    assert len(bookmarks) == 1
    assert len(fake_slack.calls("bookmarks.list")) == 1
