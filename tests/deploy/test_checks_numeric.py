"""A numeric variable that cannot be read is named by a system check, not a stack trace."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError


def test_an_unreadable_number_is_reported_with_its_variable(settings: Any) -> None:
    settings.INVALID_SETTINGS = {"HTTP_TIMEOUT": "fifteen"}
    with pytest.raises(SystemCheckError, match=r"songnodes\.E008.*HTTP_TIMEOUT='fifteen'"):
        call_command("check")
