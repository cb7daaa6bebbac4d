"""manage.py sandbox: serve the local simulator of the upstream APIs (see sandbox/)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from enrichment.sources.registry import APIS
from sandbox import server


class Command(BaseCommand):
    help = f"Serve fake {', '.join(api.label for api in APIS)} APIs."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.add_argument("sandbox_args", nargs="*", help="see --help of sandbox.server")
        return parser

    def run_from_argv(self, argv: list[str]) -> None:
        # The sandbox owns its options (--port, --rate-scale, --faults, --print-env, ...).
        code = server.main(argv[2:])
        if code:
            raise CommandError(f"sandbox exited with {code}")

    def handle(self, *args: Any, **options: Any) -> None:
        code = server.main(options["sandbox_args"])
        if code:
            raise CommandError(f"sandbox exited with {code}")
