"""Environment variables: read by the code, used by the compose files, listed in .env.example."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
CODE = [ROOT / "manage.py", *ROOT.glob("songnodes/*.py"), *ROOT.glob("enrichment/**/*.py")]
CODE += list(ROOT.glob("deploy/*.py"))
_READ = re.compile(
    r"""(?:environ(?:\.get)?\(\s*|environ\[\s*|env\.(?:string|boolean|integer|number|rate"""
    r"""|strings|path|throttle|cron|url)\(\s*|getenv\(\s*)"""
    r"""f?["']([A-Za-z0-9_{}.()]+)["']"""
)
_COMPOSE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-?+][^}]*)?\}")
# Set by the platform or by settings for the processes they start, not by operators.
INTERNAL = {"DJANGO_SETTINGS_MODULE"}


def code_variables() -> set[str]:
    """Every variable the project's code reads (per-source patterns expanded)."""
    # Settings record every variable they read (those made from the registry included).
    names: set[str] = set(settings.SETTING_KINDS)
    for path in CODE:
        for raw in _READ.findall(path.read_text()):
            if "{name.upper()}" in raw:
                names |= {raw.replace("{name.upper()}", name.upper()) for name in settings.SOURCES}
            elif re.fullmatch(r"[A-Z][A-Z0-9_]*", raw):
                names.add(raw)
    return names - INTERNAL


def compose_variables(path: Path) -> set[str]:
    """Every ${VARIABLE} a compose file interpolates."""
    return set(_COMPOSE.findall(path.read_text()))


def env_example_variables() -> set[str]:
    """Every variable .env.example lists (set or commented out)."""
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))
