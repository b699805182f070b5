"""Who a person signing in through the company's identity provider is (SPEC §18).

The provider vouches for an email address; Response knows people by their login and by their
Slack user, and links the two by that address.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.text import slugify

from core.audit import recorder as audit
from core.models import ExternalUser


@dataclass(frozen=True)
class SignInRefused(Exception):
    """Why a person may not sign in; the message is shown to them as it is."""

    message: str

    def __str__(self) -> str:
        return self.message


@transaction.atomic
def person_signing_in(*, email: str, name: str = "") -> AbstractBaseUser:
    """The login for ``email``, linked to the Slack user of that address.

    An existing login with the address is used; otherwise one is made for a Slack user Response
    knows with it. Anyone else is refused, and nothing is created. Raises ``SignInRefused``.
    """
    email = email.strip()
    if not email:
        raise SignInRefused("The sign-in provider did not give an email address for you.")
    logins = list(get_user_model().objects.filter(email__iexact=email)[:2])
    if len(logins) > 1:
        raise SignInRefused(
            f"More than one Response account has the email {email}; ask an administrator to "
            "keep one."
        )
    slack_users = ExternalUser.objects.filter(email__iexact=email, deleted=False)
    if logins:
        login = logins[0]
        if not login.is_active:
            raise SignInRefused(f"The Response account of {email} is deactivated.")
    elif slack_users.exists():
        login = _new_login(email=email, name=name)
    else:
        raise SignInRefused(
            f"Nobody with the email {email} is known to Response or its Slack workspace. Ask an "
            "administrator to add you."
        )
    unlinked = list(slack_users.filter(owner__isnull=True).select_for_update())
    ExternalUser.objects.filter(pk__in=[user.pk for user in unlinked]).update(owner=login)
    # ``update`` sends no signals: the audit log hears of the link here.
    audit.record_changed(unlinked, {"owner": login.pk})
    return login


def _new_login(*, email: str, name: str) -> AbstractBaseUser:
    users = get_user_model().objects
    base = slugify(email.split("@", 1)[0]) or "person"
    username, n = base, 1
    while users.filter(username=username).exists():
        n += 1
        username = f"{base}-{n}"
    first, _, last = name.partition(" ")
    login = users.create_user(username=username, email=email, first_name=first, last_name=last)
    login.set_unusable_password()  # they sign in through the provider
    login.save(update_fields=["password"])
    return login
