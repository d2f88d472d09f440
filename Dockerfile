# The portal's image: web (gunicorn, static files by WhiteNoise), Celery worker and beat.
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 FFS_VAR_DIR=/app/var
WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
COPY --from=assets /app/node_modules ./node_modules
RUN pip install --no-cache-dir polib \
 && python -c 'import polib; polib.pofile("locale/zh_Hans/LC_MESSAGES/django.po").save_as_mofile("locale/zh_Hans/LC_MESSAGES/django.mo")' \
 && DJANGO_SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput \
 && useradd --create-home --uid 1000 portal && mkdir -p var/private var/celery && chown -R portal var
USER portal
EXPOSE 8000
CMD ["gunicorn", "-c", "ffs_portal/deploy/gunicorn.conf.py", "ffs_portal.wsgi", "--access-logfile", "-"]
