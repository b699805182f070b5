#!/bin/sh
# One call of a Response cron endpoint, logged as one line:
#   2026-01-01T12:00:00Z POST /slack/cron_minute 200 0.042s {"due": 0, ...}
# Usage: tick.sh /slack/cron_minute. Reads what entrypoint.sh wrote; exits 1 when the call fails.
set -eu

path="${1:?usage: tick.sh /path/on/response}"
state=/run/response-cron
url=$(cat "$state/url")

out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

# Inside the compose network the call does not pass through the TLS-terminating proxy; the
# X-Forwarded-Proto header says what the proxy would, so that Response (which redirects plain HTTP
# when SITE_URL is https) answers instead of redirecting.
status=0
result=$(curl --silent --show-error --max-time "${CRON_REQUEST_TIMEOUT:-55}" \
    --request POST \
    --header "@$state/headers" \
    --header "X-Forwarded-Proto: https" \
    --output "$out" \
    --write-out '%{http_code} %{time_total}s' \
    "$url$path" 2>"$err") || status=$?

now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
code=${result%% *}
if [ "$status" -ne 0 ]; then
    detail=$(tr -s '\r\n\t ' ' ' <"$err" | cut -c1-300)
    echo "$now POST $path failed: $detail" >&2
    exit 1
fi
detail=$(tr -s '\r\n\t ' ' ' <"$out" | cut -c1-300)
case "$code" in
2??)
    echo "$now POST $path $result $detail"
    ;;
*)
    echo "$now POST $path $result $detail" >&2
    exit 1
    ;;
esac
