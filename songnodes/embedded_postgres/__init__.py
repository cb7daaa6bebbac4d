"""Django's PostgreSQL backend on the embedded server (pgserver), started on first connection."""
