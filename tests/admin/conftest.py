"""Fixtures for the admin tests: the roles of migration 0004, a user in each, logged-in clients."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.test import Client


@pytest.fixture
def roles(db: Any) -> None:
    """Curators and Viewers as migration 0004 makes them (again: a flush may have removed them)."""
    migration = importlib.import_module("enrichment.migrations.0004_admin_indexes_and_roles")
    migration.create_roles(apps, None)


def staff_in(group: str, username: str) -> User:
    """A staff user whose only permissions come from one group."""
    user = User.objects.create_user(username, password="unused-in-tests", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def curator(roles: None) -> User:
    return staff_in("Curators", "carla")


@pytest.fixture
def viewer(roles: None) -> User:
    return staff_in("Viewers", "victor")


@pytest.fixture
def curator_client(curator: User) -> Client:
    client = Client()
    client.force_login(curator)
    return client


@pytest.fixture
def viewer_client(viewer: User) -> Client:
    client = Client()
    client.force_login(viewer)
    return client
