# The co-op's image: one image for web (gunicorn), worker and beat.
FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    VAR_DIR=/srv/var STATIC_ROOT=/srv/static MEDIA_ROOT=/srv/media PRIVATE_ROOT=/srv/private
WORKDIR /app

RUN useradd --create-home --uid 1000 coop && mkdir -p /srv/var /srv/static /srv/media /srv/private \
    && chown -R coop /srv

# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml ./
COPY bin/requirements.py bin/
RUN python bin/requirements.py | pip install -r /dev/stdin
COPY . .
RUN DEBUG=0 SECRET_KEY=build-only ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput

USER coop
EXPOSE 8000
CMD ["gunicorn", "coop_shop.wsgi:application", "--config", "coop_shop/gunicorn.conf.py"]
