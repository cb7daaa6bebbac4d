"""The original service's callers, replayed: its SQL (and, by i13-api, its requests) unchanged."""
