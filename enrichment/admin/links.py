"""Links to the upstream pages of a track's identifiers, and to its jobs in the queue admin."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from enrichment.sources.registry import PROVIDERS
from enrichment.tasks import queueing_lock

# field -> (short label, page URL pattern); the label is what the track list shows.
UPSTREAM_PAGES: dict[str, tuple[str, str]] = {
    **{p.id_field: (p.label, p.link_template) for p in PROVIDERS if p.id_field and p.link_template},
    **{name: page for p in PROVIDERS for name, page in p.other_links.items()},
}
# The identifier field each provider's review candidates carry.
PROVIDER_FIELDS = {p.name: p.id_field for p in PROVIDERS if p.id_field}


def upstream_url(field: str, value: object) -> str | None:
    """The upstream page of one identifier, or None when unknown or unset."""
    if value in (None, "") or field not in UPSTREAM_PAGES:
        return None
    return UPSTREAM_PAGES[field][1].format(value)


def candidate_url(provider: str, identifier: str) -> str | None:
    """The upstream page of a review candidate."""
    field = PROVIDER_FIELDS.get(provider)
    return upstream_url(field, identifier) if field else None


def identifier_links(values: dict[str, object], *, full: bool = False) -> SafeString:
    """Chips linking each known identifier to its page (full=True shows the values)."""
    items = []
    for field, (label, _) in UPSTREAM_PAGES.items():
        url = upstream_url(field, values.get(field))
        if url:
            text = f"{label} {values[field]}" if full else label
            items.append((url, values[field], text))
    if not items:
        return format_html('<span class="sn-muted">{}</span>', "none")
    return format_html_join(
        " ",
        '<a class="sn-chip" href="{}" title="{}" target="_blank" rel="noopener">{}</a>',
        items,
    )


def jobs_url(track_id: object) -> str:
    """The queue admin's job list narrowed to this track's jobs (by their queueing lock)."""
    base = reverse("admin:procrastinate_procrastinatejob_changelist")
    return f"{base}?{urlencode({'queueing_lock': queueing_lock(str(track_id))})}"
