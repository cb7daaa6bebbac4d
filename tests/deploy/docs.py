"""Reading docs/operations.md: section anchors and the configuration table."""

from __future__ import annotations

import re
from pathlib import Path


def anchors(path: Path) -> set[str]:
    """GitHub-style anchors of the Markdown headings of a file."""
    found = set()
    for line in path.read_text().splitlines():
        match = re.match(r"#{1,6}\s+(.*)", line)
        if match:
            text = re.sub(r"[^\w\- ]", "", match.group(1).strip().lower())
            found.add(text.replace(" ", "-"))
    return found


def documented_variables(path: Path) -> set[str]:
    """Variable names in the first column of the Markdown tables of a file."""
    names = set()
    for line in path.read_text().splitlines():
        match = re.match(r"\|\s*`([A-Z][A-Z0-9_]*)`", line)
        if match:
            names.add(match.group(1))
    return names
