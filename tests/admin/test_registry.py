"""The admin's filters, links, search and dashboard cover every provider of the registry."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.test import Client
from django.urls import reverse

from enrichment.admin import filters, links, search
from enrichment.admin.cache_admin import CacheSourceFilter
from enrichment.admin.dashboard import source_health
from enrichment.models import Track
from enrichment.sources.registry import APIS, PROVIDERS

IDENTIFIED = [p for p in PROVIDERS if p.id_field and p.link_template]


def option_values(choice_filter: type[filters.ChoiceFilter]) -> list[str]:
    return list(choice_filter.options)


def sample_value(field: str) -> Any:
    """A valid value of one identifier column, whatever its type."""
    column = Track._meta.get_field(field)
    if isinstance(column, models.UUIDField):
        return uuid.UUID("8e3fcd7d-0d5b-4b5e-9c2a-2a4b7d3e6f10")
    if isinstance(column, models.IntegerField):
        return 3135556
    for validator in getattr(column, "validators", ()):  # a string column of digits (tidal_id)
        if isinstance(validator, RegexValidator) and re.match(validator.regex, "381265362"):
            return "381265362"
    return "4uLU6hMCjMI75M1A2tKUQC"[: getattr(column, "max_length", None)]


def test_source_filters_offer_every_provider_and_review_every_identifying_one() -> None:
    names = [p.name for p in PROVIDERS]
    assert option_values(filters.SourceUsedFilter) == names
    assert option_values(filters.SourceTroubleFilter) == names
    assert option_values(filters.StatusTroubleFilter) == names
    identifying = [p.name for p in PROVIDERS if p.identifies]
    assert option_values(filters.NeedsReviewFilter) == ["yes", *identifying, "no"]
    assert option_values(CacheSourceFilter) == [api.name for api in APIS]


def test_every_provider_identifier_has_a_filter_a_link_and_a_labelled_chip() -> None:
    for provider in IDENTIFIED:
        assert provider.id_field is not None and provider.link_template is not None
        assert filters.PRESENCE_FIELDS[provider.id_field] == f"{provider.label} ID"
        value = sample_value(provider.id_field)
        assert links.upstream_url(provider.id_field, value) == provider.link_template.format(value)
        assert links.candidate_url(provider.name, str(value)) == provider.link_template.format(
            value
        )
        chip = links.identifier_links({provider.id_field: value})
        assert f">{provider.label}</a>" in chip
    assert links.upstream_url("isrc", "USUS11000356") == "https://musicbrainz.org/isrc/USUS11000356"


def test_a_pasted_page_link_of_every_provider_finds_its_track() -> None:
    for provider in IDENTIFIED:
        assert provider.id_field is not None
        value = sample_value(provider.id_field)
        link = links.upstream_url(provider.id_field, value)
        assert search.identifier_query(f"{link}?utm=x") == Q(**{provider.id_field: str(value)})


def test_link_patterns_of_a_new_provider_follow_its_link_template() -> None:
    patterns = search.link_patterns("deezer_id", "https://www.example.com/song/{}", "example")
    for text in ("https://example.com/song/42", "www.example.com/de/song/42-x", "example:song:42"):
        found = [match.group(1) for p in patterns if (match := p.search(text))]
        assert found == ["42"], text
    assert not any(p.search("https://example.com/album/42") for p in patterns)


@pytest.mark.django_db
def test_the_dashboard_has_a_row_per_provider_with_its_apis_configuration(
    settings: Any,
) -> None:
    for api in APIS:
        for credential in api.credentials:
            setattr(settings, credential.variable, "")
    health = {row.name: row for row in source_health()}
    assert list(health) == [p.name for p in PROVIDERS]
    missing = {api.name: api.adapter().missing_configuration() for api in APIS}
    for provider in PROVIDERS:
        assert health[provider.name].missing_configuration == missing[provider.api]


@pytest.mark.django_db
def test_every_filter_option_of_the_track_list_answers(curator_client: Client) -> None:
    listing = reverse("admin:enrichment_track_changelist")
    for provider in PROVIDERS:
        parameters = ("source", "trouble", "review") if provider.identifies else ("source",)
        for parameter in parameters:
            response = curator_client.get(listing, {parameter: provider.name})
            assert response.status_code == 200, (parameter, provider.name)
