# syntax=docker/dockerfile:1
# Production image: slim Python, exactly the pinned dependencies, no compilers, non-root.
# One image for every role (docker-compose.yml): web (default command), migrate, worker.
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY requirements.txt /tmp/requirements.txt
# --no-deps installs requirements.txt and nothing else; `pip check` fails the build when the
# pinned set misses a dependency instead of letting pip pick an unpinned version.
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-deps -r /tmp/requirements.txt \
    && /opt/venv/bin/pip check

FROM ${PYTHON_IMAGE}
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=songnodes.settings \
    SONGNODES_DATA_DIR=/app/data \
    PROMETHEUS_METRICS_DIR=/app/data/prometheus \
    PROMETHEUS_MULTIPROC_DIR=/app/data/prometheus
RUN useradd --system --user-group --uid 10001 --home-dir /app --no-create-home songnodes
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
# The code belongs to root (read-only for the service); only /app/data is writable.
COPY . .
RUN mkdir -p /app/data && chown songnodes:songnodes /app/data
USER songnodes
# Admin static files, collected at build time: a throwaway key, and a database URL that is
# parsed but never connected to (no embedded Postgres, no key file baked into the image).
RUN SECRET_KEY=build-only DATABASE_URL=postgresql://build@localhost/build \
    python manage.py collectstatic --noinput --verbosity 0 \
    && rm -rf /app/data/prometheus

# 8022: the web; 8020: the same web on the original service's port; 9100: worker metrics.
EXPOSE 8022 8020 9100
CMD ["gunicorn", "--config", "deploy/gunicorn.conf.py", "songnodes.wsgi"]
