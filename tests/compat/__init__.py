"""The original service's callers, replayed: its README's examples and its request bodies."""
