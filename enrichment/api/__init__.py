"""The REST API: the original service's paths and shapes, plus track reads and docs.

Open: GET /health, GET /metrics, /api/schema/, /api/docs/. Writes (POST /enrich,
POST /enrich/batch) need `Authorization: Token <key>` (manage.py create_api_token USER) or a
session; so do reads (GET /stats, /tracks, /tracks/<id>, /enrich/batch/<id>) unless
API_OPEN_READS. Throttles count per user, or per address when anonymous, in the database
cache every process shares (API_THROTTLE_USER, API_THROTTLE_ANON). Tokens are stored as
SHA-256 digests (enrichment/tokens.py); wrong ones are counted per address and, past
AUTH_FAILURE_LIMIT, answered 429 (enrichment/auth_failures.py).
"""
