# The Response image: `startup.sh web` (the default) runs gunicorn, `startup.sh worker` the job
# worker. docker-compose.yml runs both from this image, next to PostgreSQL and the cron container.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PORT=8000

WORKDIR /app

RUN useradd --create-home --home-dir /home/response --uid 10001 --user-group response

# Dependencies first, so that code changes do not reinstall them.
COPY requirements.txt ./
RUN pip install -r requirements.txt

# Only what runs in production is copied: no .env, virtualenv, local database or tests.
COPY manage.py startup.sh ./
COPY response ./response
COPY core ./core
COPY slack ./slack
COPY ui ./ui
COPY sandbox ./sandbox

# Settings refuse to load without their secrets, so collectstatic gets throwaway values that exist
# only for this command. DATABASE_URL is set so that the embedded database is not started; nothing
# connects to it. /app/.data is writable for the embedded database, used when DATABASE_URL is unset.
RUN DJANGO_DEBUG=0 \
    DJANGO_SECRET_KEY=collectstatic-only-not-a-real-secret \
    SLACK_TOKEN=xoxb-collectstatic-only \
    SLACK_SIGNING_SECRET=collectstatic-only \
    CRON_TOKEN=collectstatic-only \
    ENCRYPTED_FIELD_KEY=collectstatic-only \
    DATABASE_URL=postgres://collectstatic@127.0.0.1:1/collectstatic \
    python manage.py collectstatic --noinput -v 0 \
    && chmod 0755 startup.sh \
    && mkdir -p /app/.data \
    && chown response:response /app/.data

USER response

EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["./startup.sh", "healthcheck"]

ENTRYPOINT ["./startup.sh"]
CMD ["web"]
