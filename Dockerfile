# Production image: slim, pinned dependencies, non-root.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    SONGNODES_DATA_DIR=/app/data
WORKDIR /app

COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt \
    && useradd --create-home --uid 10001 songnodes

COPY --chown=songnodes:songnodes . .
RUN mkdir -p /app/data && chown songnodes:songnodes /app/data
USER songnodes

EXPOSE 8022
CMD ["gunicorn", "songnodes.wsgi", "--bind", "0.0.0.0:8022", "--workers", "3"]
