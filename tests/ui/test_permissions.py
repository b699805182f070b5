"""Permissions in the browser, the REST API and the admin (SPEC §18): one check in the services,
answered 403 naming the permission; ``configure`` guards the configuration in the admin; the
admin shows who holds what."""

from __future__ import annotations

import base64

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.models import Permission as AuthPermission

from core import services
from core.access import Acting, Permission, Via, allowed
from core.models import Incident, Postmortem, Severity, SlackUserGroup, UpdateCadence
from tests.ui import builders

pytestmark = pytest.mark.django_db


def holding(person, *codenames: str, app_label: str = "core") -> None:
    group, _ = Group.objects.get_or_create(name=f"group of {person.get_username()}")
    group.permissions.add(
        *AuthPermission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
    )
    person.groups.add(group)


@pytest.fixture
def fire():
    alice = builders.slack_user("U0ALICE", "alice")
    return builders.incident("Payments are failing", reporter=alice, severity=Severity.MINOR)


# --- Browser ---------------------------------------------------------------------------------


def publish(client, fire):
    return client.post(f"/incident/{fire.pk}/postmortem/status/", {"status": "published"})


@pytest.fixture
def in_review(client, fire):
    client.force_login(builders.login_user("reviewer"))
    response = client.post(f"/incident/{fire.pk}/postmortem/status/", {"status": "in_review"})
    assert response.status_code == 302
    client.logout()
    return fire


def postmortem_status(fire) -> str:
    return Postmortem.objects.get(incident=fire).status


def test_browser_open_anyone_signed_in_may_publish(client, in_review, settings):
    settings.ACCESS_POLICY = "open"
    client.force_login(builders.login_user())
    assert publish(client, in_review).status_code == 302
    assert postmortem_status(in_review) == "published"


def test_browser_restricted_refusal_is_a_403_page_naming_it_and_nothing_changes(
    client, in_review, settings
):
    settings.ACCESS_POLICY = "restricted"
    client.force_login(builders.login_user())

    refused = publish(client, in_review)

    assert refused.status_code == 403
    assert "publish_postmortem" in refused.content.decode()
    assert postmortem_status(in_review) == "in_review"


def test_browser_restricted_granted_through_a_group_may_publish(client, in_review, settings):
    settings.ACCESS_POLICY = "restricted"
    person = builders.login_user()
    holding(person, "publish_postmortem")
    client.force_login(person)

    assert publish(client, in_review).status_code == 302
    assert postmortem_status(in_review) == "published"


# --- REST API --------------------------------------------------------------------------------


def basic(username: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{builders.PASSWORD}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def change_severity(client, fire, username: str):
    return client.patch(
        f"/core/incidents/{fire.pk}/",
        {"severity": "critical"},
        content_type="application/json",
        **basic(username),
    )


def test_api_open_anyone_authenticated_may(client, fire, settings):
    settings.ACCESS_POLICY = "open"
    builders.login_user("script")
    assert change_severity(client, fire, "script").status_code == 200
    assert Incident.objects.get(pk=fire.pk).severity == Severity.CRITICAL


@pytest.mark.parametrize(
    ("call", "permission"),
    [
        (lambda client, fire, who: change_severity(client, fire, who), "change_severity"),
        (
            lambda client, fire, who: client.post(
                f"/core/incidents/{fire.pk}/close/", **basic(who)
            ),
            "resolve",
        ),
        (
            lambda client, fire, who: client.post(
                f"/core/incidents/{fire.pk}/status/",
                {"status": "resolved"},
                content_type="application/json",
                **basic(who),
            ),
            "resolve",
        ),
    ],
)
def test_api_restricted_refusal_is_403_naming_the_permission(
    client, fire, settings, call, permission
):
    settings.ACCESS_POLICY = "restricted"
    builders.login_user("script")
    before = Incident.objects.values().get(pk=fire.pk)

    answer = call(client, fire, "script")

    assert answer.status_code == 403
    assert answer.json()["permission"] == permission
    assert f"`{permission}`" in answer.json()["detail"]
    assert Incident.objects.values().get(pk=fire.pk) == before


def test_api_acts_as_the_person_its_credentials_name(client, fire, settings):
    """Basic auth happens inside the view: who is signed in to the browser does not count."""
    settings.ACCESS_POLICY = "restricted"
    client.force_login(get_user_model().objects.create_superuser("root", "r@example.com", "x"))
    holding(builders.login_user("granted"), "change_severity")
    builders.login_user("not-granted")

    assert change_severity(client, fire, "not-granted").status_code == 403
    assert change_severity(client, fire, "granted").status_code == 200
    assert Incident.objects.get(pk=fire.pk).severity == Severity.CRITICAL


def test_the_schema_documents_the_permission_refusal(client):
    client.force_login(builders.login_user())
    schema = client.get("/core/schema/?format=json").json()
    patch = schema["paths"]["/core/incidents/{id}/"]["patch"]
    assert '"permission": "<name>"' in patch["responses"]["403"]["description"]


# --- Admin: configure, and who has what --------------------------------------------------------


def staff_with_cadence_rights(settings, *extra: str):
    person = get_user_model().objects.create_user("staff", password=builders.PASSWORD)
    person.is_staff = True
    person.save()
    holding(
        person,
        "view_updatecadence",
        "change_updatecadence",
        "add_updatecadence",
    )
    if extra:
        holding(person, *extra)
    return get_user_model().objects.get(pk=person.pk)  # no cached permissions


def add_cadence(client):
    return client.post(
        "/admin/core/updatecadence/add/", {"severity": "1", "interval_minutes": "15"}
    )


def test_admin_restricted_configuration_needs_configure(client, settings):
    settings.ACCESS_POLICY = "restricted"
    client.force_login(staff_with_cadence_rights(settings))

    assert add_cadence(client).status_code == 403
    assert not UpdateCadence.objects.filter(severity=1).exists()
    assert client.get("/admin/core/updatecadence/").status_code == 200  # still seen


def test_admin_restricted_with_configure_may_change_configuration(client, settings):
    settings.ACCESS_POLICY = "restricted"
    client.force_login(staff_with_cadence_rights(settings, "configure"))

    assert add_cadence(client).status_code == 302
    assert UpdateCadence.objects.get(severity=1).interval_minutes == 15


def test_admin_open_staff_with_the_model_rights_may(client, settings):
    settings.ACCESS_POLICY = "open"
    client.force_login(staff_with_cadence_rights(settings))
    assert add_cadence(client).status_code == 302


def test_the_admin_shows_who_holds_each_permission(client, settings):
    root = get_user_model().objects.create_superuser("root", "root@example.com", "x")
    pagers = Group.objects.create(name="Pagers")
    pagers.permissions.add(AuthPermission.objects.get(codename="page"))
    person = builders.login_user("paula")
    person.groups.add(pagers)
    SlackUserGroup.objects.create(external_id="S0ONCALL", handle="oncall", group=pagers)
    SlackUserGroup.objects.create(external_id="S0GONE", handle="gone", group=pagers, disabled=True)
    client.force_login(root)

    page = client.get("/admin/auth/group/").content.decode()

    row = page[page.index('id="holders-page"') :].split("</tr>")[0]
    assert "Pagers" in row and "paula" in row and "@oncall" in row and "root" in row
    assert "@gone" not in row
    resolve_row = page[page.index('id="holders-resolve"') :].split("</tr>")[0]
    assert "paula" not in resolve_row and "Pagers" not in resolve_row


def test_every_named_permission_is_a_django_permission():
    found = set(
        AuthPermission.objects.filter(content_type__app_label="core").values_list(
            "codename", flat=True
        )
    )
    assert {p.value for p in Permission} <= found


def test_services_refuse_without_a_surface_only_when_someone_acts(fire, settings):
    """The system itself (sweeps, the cron) is never refused."""
    settings.ACCESS_POLICY = "restricted"
    services.incident_update(incident=fire, severity=Severity.MAJOR)
    assert Incident.objects.get(pk=fire.pk).severity == Severity.MAJOR


def test_a_check_is_one_query_however_many_groups(django_assert_num_queries, settings):
    settings.ACCESS_POLICY = "restricted"
    person = builders.login_user("member")
    for number in range(5):
        Group.objects.create(name=f"team {number}").user_set.add(person)
    slack_user = builders.slack_user("U0MEMBER", "member")
    slack_user.owner = person
    slack_user.save()
    for number in range(5):
        SlackUserGroup.objects.create(
            external_id=f"S0{number}", group=Group.objects.get(name=f"team {number}")
        ).members.add(slack_user)
    acting = Acting.for_slack_user(slack_user)

    with django_assert_num_queries(1):
        assert not allowed(acting, Permission.PAGE)


def test_a_deactivated_login_grants_nothing(settings):
    settings.ACCESS_POLICY = "restricted"
    person = builders.login_user("gone")
    holding(person, "page")
    person.is_active = False
    person.save()
    assert not allowed(Acting.for_person(person, Via.BROWSER), Permission.PAGE)
