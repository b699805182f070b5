#!/bin/sh
# Entrypoint of the cron container: hand the token and address of Response to the jobs, then run
# crond in the foreground on the schedules of /etc/crontabs/root.
#
#   CRON_TOKEN    required; the same value Response is given
#   RESPONSE_URL  where Response listens (default http://response:8000)
#   CRON_LOG_LEVEL  crond's own log level, 0 (most) to 9 (errors only, the default)
#
# With arguments, runs them instead of crond, e.g. `entrypoint.sh tick.sh /slack/cron_minute`.
set -eu

if [ -z "${CRON_TOKEN:-}" ]; then
    echo "cron: CRON_TOKEN is not set. Give this container the same CRON_TOKEN as Response" \
        "(env.example explains it)." >&2
    exit 2
fi

# crond does not hand its environment to jobs in every implementation, so the values are written
# where tick.sh reads them, readable by root only. The token goes in a header file, never on a
# command line where other processes could see it.
state=/run/response-cron
umask 077
mkdir -p "$state"
printf 'Authorization: Bearer %s\n' "$CRON_TOKEN" >"$state/headers"
url="${RESPONSE_URL:-http://response:8000}"
printf '%s\n' "${url%/}" >"$state/url"

if [ "$#" -gt 0 ]; then
    exec "$@"
fi

echo "cron: calling ${url%/} on these schedules:"
grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' /etc/crontabs/root | sed -e 's/ *>.*$//' -e 's/^/cron:   /'
# Log level 9 keeps crond quiet but for its errors (8 adds a line per job started); the jobs log
# their own line each.
exec crond -f -l "${CRON_LOG_LEVEL:-9}" -L /dev/stderr
