#!/usr/bin/env bash
# Entrypoint of the Response image.
#
#   startup.sh [web]      wait for the database, migrate, create the admin if asked, run gunicorn
#   startup.sh worker     wait for the database and for migrations, run the job worker
#   startup.sh socket     the same, then hold the Socket Mode connection (SLACK_TRANSPORT=socket)
#   startup.sh healthcheck  exit 0 when this container's web server answers /healthz
#   startup.sh CMD ...    run any other command as-is (a shell, manage.py, ...)
#
# Variables (besides the application's own, see env.example):
#   PORT                   port gunicorn listens on (default 8000)
#   WEB_CONCURRENCY        gunicorn worker processes (default 3)
#   DB_WAIT_TIMEOUT        seconds to wait for the database (default 60)
#   MIGRATION_WAIT_TIMEOUT seconds the worker waits for the web container's migrations (default 300)
#   RUN_MIGRATIONS         set to 0 on extra web replicas so that only one of them migrates
set -euo pipefail

cd "$(dirname "$0")"

log() {
    printf '%s startup: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2
}

wait_for_database() {
    log "waiting for the database (up to ${DB_WAIT_TIMEOUT:-60}s)"
    python manage.py wait_for_db --timeout "${DB_WAIT_TIMEOUT:-60}"
}

migrate() {
    if [[ "${RUN_MIGRATIONS:-1}" =~ ^(0|false|no|off)$ ]]; then
        log "RUN_MIGRATIONS is off: not migrating"
        return
    fi
    log "applying migrations"
    python manage.py migrate --noinput
}

# The worker must not run tasks against tables the web container has not created yet.
wait_for_migrations() {
    local timeout="${MIGRATION_WAIT_TIMEOUT:-300}" waited=0 status
    while true; do
        if python manage.py migrate --check -v 0 >/dev/null; then
            log "migrations are applied"
            return
        else
            status=$?
        fi
        # 1 means "unapplied migrations"; anything else (a configuration error) is not worth waiting for.
        if [[ "$status" -ne 1 ]]; then
            log "checking migrations failed (exit status $status)"
            exit "$status"
        fi
        if ((waited >= timeout)); then
            log "migrations still unapplied after ${waited}s: is the web container running?"
            exit 1
        fi
        log "waiting for the web container to apply migrations"
        sleep 5
        waited=$((waited + 5))
    done
}

superuser_exists() {
    python manage.py shell --no-imports -c '
import os, sys
from django.contrib.auth import get_user_model
User = get_user_model()
name = os.environ["DJANGO_SUPERUSER_USERNAME"]
sys.exit(0 if User._default_manager.filter(**{User.USERNAME_FIELD: name}).exists() else 1)
'
}

# The admin is created only when asked for, and only once: there is no default login.
create_superuser() {
    if [[ -z "${DJANGO_SUPERUSER_USERNAME:-}" || -z "${DJANGO_SUPERUSER_PASSWORD:-}" ]]; then
        return
    fi
    if superuser_exists; then
        log "admin user ${DJANGO_SUPERUSER_USERNAME} already exists"
        return
    fi
    # createsuperuser --noinput insists on an email unless the variable is set, even to nothing.
    export DJANGO_SUPERUSER_EMAIL="${DJANGO_SUPERUSER_EMAIL:-}"
    log "creating admin user ${DJANGO_SUPERUSER_USERNAME}"
    if ! python manage.py createsuperuser --noinput; then
        # Another replica starting at the same moment may have created it first.
        if superuser_exists; then
            log "admin user ${DJANGO_SUPERUSER_USERNAME} was created by another container"
        else
            log "creating the admin user failed"
            exit 1
        fi
    fi
}

# Probe /healthz the way a load balancer would, with a Host header that ALLOWED_HOSTS accepts.
healthcheck() {
    exec python - <<'PY'
import os
import sys
import urllib.request

hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
host = next((h.lstrip(".") for h in hosts if h != "*"), "localhost")
request = urllib.request.Request(
    f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/healthz", headers={"Host": host}
)
try:
    with urllib.request.urlopen(request, timeout=5) as response:
        sys.exit(0 if response.status == 200 else 1)
except Exception as error:  # any failure means unhealthy
    print(f"healthz: {error}", file=sys.stderr)
    sys.exit(1)
PY
}

role="${1:-web}"
case "$role" in
web)
    wait_for_database
    migrate
    create_superuser
    log "starting gunicorn on port ${PORT:-8000}"
    exec gunicorn response.wsgi:application \
        --config python:response.gunicorn_conf \
        --bind "0.0.0.0:${PORT:-8000}" \
        --workers "${WEB_CONCURRENCY:-3}" \
        --access-logfile - \
        --forwarded-allow-ips '*'
    ;;
worker)
    wait_for_database
    wait_for_migrations
    log "starting the job worker"
    exec python manage.py procrastinate worker
    ;;
socket)
    wait_for_database
    wait_for_migrations
    log "connecting to Slack over Socket Mode"
    exec python manage.py slack_socket
    ;;
healthcheck)
    healthcheck
    ;;
*)
    exec "$@"
    ;;
esac
