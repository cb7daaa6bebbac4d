"""JSON bodies whose every malformation is a 400 (DRF's parser lets deep nesting crash)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class BoundedJSONParser(JSONParser):
    """DRF's strict JSON parser, plus: nesting too deep for the parser is a parse error.

    The body's size is bounded before parsing: DRF reads `request.body`, which enforces
    DATA_UPLOAD_MAX_MEMORY_SIZE (answered with 413 by `errors.exception_handler`).
    """

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError("JSON parse error - nested too deeply") from error
