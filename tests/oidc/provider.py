"""A real OpenID Connect provider for the sign-in tests: node's oidc-provider, run locally.

``npm ci --prefix tests/oidc`` installs it (``make test`` and CI do). Its development sign-in
page takes any password for the logins it knows (``ACCOUNTS``) and then asks to confirm.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CLIENT_ID = "response"
CLIENT_SECRET = "a-client-secret-long-enough-for-hs256-signing-0123456789"
ACCOUNTS = {
    "alice": {"email": "alice@example.com", "email_verified": True, "name": "Alice Smith"},
    "bob": {"email": "Bob@Example.com", "email_verified": True, "name": "Bob Jones"},
    "mallory": {"email": "mallory@elsewhere.example", "email_verified": True, "name": "Mallory"},
    "unverified": {"email": "carol@example.com", "email_verified": False, "name": "Carol"},
}


@dataclass(frozen=True)
class Provider:
    issuer: str
    algorithm: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_provider(redirect_uri: str, algorithm: str = "RS256") -> Iterator[Provider]:
    """The provider, with Response registered as a client that signs id tokens with
    ``algorithm`` (RS256 with the provider's key, or HS256 with the client secret)."""
    node = shutil.which("node")
    assert node, "node is missing: install Node.js (apt-get install nodejs npm)"
    assert (HERE / "node_modules" / "oidc-provider").exists(), (
        "oidc-provider is missing: run npm ci --prefix tests/oidc"
    )
    port = _free_port()
    issuer = f"http://127.0.0.1:{port}"
    config = {
        "issuer": issuer,
        "accounts": ACCOUNTS,
        "algorithms": [algorithm],
        "clients": [
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": [redirect_uri],
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
                "token_endpoint_auth_method": "client_secret_post",
                "id_token_signed_response_alg": algorithm,
            }
        ],
    }
    with tempfile.TemporaryDirectory() as workdir:
        config_path = Path(workdir) / "config.json"
        config_path.write_text(json.dumps(config))
        process = subprocess.Popen(
            [node, str(HERE / "provider.mjs"), str(port), str(config_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            _wait_until_ready(process)
            yield Provider(issuer=issuer, algorithm=algorithm)
        finally:
            process.terminate()
            process.wait(timeout=10)


def _wait_until_ready(process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.strip() == "ready":
            return
        if not line and process.poll() is not None:
            break
    raise AssertionError(f"the OIDC provider did not start:\n{process.stdout.read()}")


@contextmanager
def response_signing_in_at(live_server, settings, algorithm: str = "RS256") -> Iterator[Provider]:
    """A provider that signs with ``algorithm``, and Response (the test's live server, through
    pytest-django's ``settings``) set up to sign people in with it."""
    from ui import oidc

    with running_provider(f"{live_server.url}/oidc/callback/", algorithm) as running:
        settings.OIDC_ISSUER = running.issuer
        settings.OIDC_RP_CLIENT_ID = CLIENT_ID
        settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
        oidc.forget_discovery()
        yield running
    oidc.forget_discovery()
