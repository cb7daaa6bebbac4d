"""A provider is named in three places only: its adapter, its sandbox module, its registry entry.

Everything else (merge precedence, lookups, settings, checks, admin, dashboard, bench, the
sandbox's shared parts) derives from `enrichment/sources/registry.py`, so adding a source is one
adapter module, one sandbox module and one registry entry. Exceptions are listed with a reason.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from enrichment.sources.registry import PROVIDERS

ROOT = Path(__file__).resolve().parent.parent
# Files that may name providers other than their own, and why.
EXCEPTIONS: dict[str, str] = {
    "enrichment/sources/registry.py": "the registry: one entry per provider",
    # Compose cannot feed `sandbox --print-env` into another service's environment, so the
    # sandbox stack spells out each API's URL and credential variables for operators to read;
    # tests/deploy/test_compose.py checks those lines against the registry.
    "deploy/compose.sandbox.yml": "operators' configuration, checked against the registry",
}
# What is scanned: the code and configuration a newcomer reads (not tests, not prose docs,
# not migrations, whose history is frozen).
SCANNED = ("*.py", "*.html", "*.yml", "*.yaml", "*.toml", "*.cfg", "*.json", "*.sh")
SKIPPED_DIRECTORIES = ("tests/", "enrichment/migrations/", "docs/", "bench/output/")


def own_files(name: str) -> set[str]:
    """The adapter and sandbox module of one provider (capabilities share their API's)."""
    api = next(p.api for p in PROVIDERS if p.name == name)
    return {f"enrichment/sources/{api}.py", f"sandbox/apis/{api}.py"}


def tracked_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", *SCANNED], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [path for path in listed if not path.startswith(SKIPPED_DIRECTORIES)]


def occurrences() -> dict[str, set[str]]:
    """File -> the provider names it uses as whole words.

    Names as code spells them (lower case: keys, strings, identifiers). A capitalised label in
    prose ("Spotify-style audio features") describes, it does not wire anything.
    """
    names = sorted({p.name for p in PROVIDERS}, key=len, reverse=True)
    pattern = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(names) + r")(?![A-Za-z0-9_])")
    found: dict[str, set[str]] = {}
    for path in tracked_files():
        text = (ROOT / path).read_text(errors="replace")
        hits = set(pattern.findall(text))
        if hits:
            found[path] = hits
    return found


def test_providers_are_named_only_in_their_own_modules_and_the_registry() -> None:
    stray = {}
    for path, names in occurrences().items():
        if path in EXCEPTIONS:
            continue
        foreign = {name for name in names if path not in own_files(name)}
        if foreign:
            stray[path] = sorted(foreign)
    assert stray == {}, f"provider names outside their modules: {stray}"
