"""The original service's callers, replayed unchanged: its README's requests, request bodies and SQL."""
