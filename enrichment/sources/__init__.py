"""Upstream sources: one module per API behind the one HTTP seam in base.py."""
