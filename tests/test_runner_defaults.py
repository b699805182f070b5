"""The address ``make run`` prints is the one Response puts in its links (SPEC §3, §12)."""

from __future__ import annotations

import pytest

from response import local, runner

LOCAL_VARIABLES = ("SITE_URL", "DJANGO_DEBUG", "SLACK_TOKEN", "SLACK_API_BASE_URL", "SANDBOX_PORT")


@pytest.fixture
def fresh_environment(monkeypatch):
    for name in (*LOCAL_VARIABLES, *local.GENERATED_SECRETS):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize("given", [None, ""], ids=["unset", "empty in .env"])
def test_site_url_is_the_printed_address_on_the_chosen_port(
    fresh_environment, tmp_path, capsys, given
):
    if given is not None:
        fresh_environment.setenv("SITE_URL", given)

    local.apply_local_defaults(tmp_path, "8123")
    runner._print_banner(sandbox=False)

    assert local.site_url() == "http://localhost:8123"
    assert "http://localhost:8123/healthz" in capsys.readouterr().out


def test_a_given_site_url_is_kept_and_printed(fresh_environment, tmp_path, capsys):
    fresh_environment.setenv("SITE_URL", "https://response.example.com/")

    local.apply_local_defaults(tmp_path, "8123")
    runner._print_banner(sandbox=False)

    out = capsys.readouterr().out
    assert "https://response.example.com/admin/" in out
    assert "http://localhost:8123/healthz" not in out
