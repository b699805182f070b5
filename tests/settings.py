"""Settings for the test suite: the production settings with fixed test secrets.

The variables are forced (not defaulted) so that a developer's ``.env`` cannot point the suite at a
real Slack workspace. ``DATABASE_URL`` is left alone: unset, the suite uses the embedded PostgreSQL.
"""

import os

TEST_ENVIRONMENT = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "test-secret-key-with-enough-length-to-satisfy-checks-0123456789",
    "SLACK_SIGNING_SECRET": "test-signing-secret",
    "SLACK_TOKEN": "xoxb-test-token",
    # Nothing listens on the discard port: a Slack call a test did not arrange fails at once.
    "SLACK_API_BASE_URL": "http://127.0.0.1:9/api/",
    "INCIDENT_CHANNEL_NAME": "incidents",
    "INCIDENT_CHANNEL_ID": "",
    "CRON_TOKEN": "test-cron-token",
    "ENCRYPTED_FIELD_KEY": "test-encryption-passphrase",
    "SITE_URL": "http://testserver",
    "ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
    "RESPONSE_PLUGINS": "",
    "SLACK_API_MAX_RETRIES": "2",
}
for _name, _value in TEST_ENVIRONMENT.items():
    # RESPONSE_PLUGINS may be given by a test that starts a process with plugins.
    os.environ[_name] = os.environ.get(_name, _value) if _name == "RESPONSE_PLUGINS" else _value

# The suite counts in memory: a multi-process directory from the developer's shell would collect
# a file per test process and mix their figures into the tests' scrapes. Tests that start servers
# give them a directory of their own.
os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)

from response.settings import *  # noqa: E402, F403

# Templates may use {% static %} without a collectstatic run.
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
WHITENOISE_AUTOREFRESH = True  # no collectstatic in tests: look files up per request

# Each test run gets its own database, so two runs at once (two terminals, two checkouts sharing
# the embedded server) never drop each other's tables.
DATABASES["default"]["TEST"] = {"NAME": f"test_response_{os.getpid()}"}  # noqa: F405
# Worker threads close their connection after each job, so the test database can be dropped.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
