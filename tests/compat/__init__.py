"""The original service's callers replayed unchanged: README requests, request bodies, SQL."""
