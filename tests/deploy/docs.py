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


def documented_defaults(path: Path) -> dict[str, str]:
    """The literal default (`value`, or "" for "empty") of each variable in the tables."""
    defaults = {}
    for line in path.read_text().splitlines():
        match = re.match(r"\|\s*`([A-Z][A-Z0-9_]*)`\s*\|\s*([^|]*?)\s*\|", line)
        if not match:
            continue
        name, cell = match.groups()
        literal = re.fullmatch(r"`([^`]*)`", cell)
        if literal:
            defaults[name] = literal.group(1)
        elif cell.startswith("empty"):
            defaults[name] = ""
    return defaults
