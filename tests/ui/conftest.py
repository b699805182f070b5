from __future__ import annotations

import pytest

from tests.ui import builders


@pytest.fixture
def logged_in(client):
    """The test client, signed in as a responder."""
    client.force_login(builders.login_user())
    return client
