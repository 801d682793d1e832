# One image for web, worker and beat. No TensorFlow: inference runs on LiteRT.
FROM python:3.11-slim-bookworm

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
