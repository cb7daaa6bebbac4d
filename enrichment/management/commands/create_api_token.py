"""manage.py create_api_token USERNAME: make (or reuse) an API user and print a new token."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from enrichment.tokens import ApiToken, issue_token


class Command(BaseCommand):
    help = (
        "Create the user if needed (without a password: it can only use its token) and print "
        "a new API token, for `Authorization: Token <token>`. Only its digest is stored, so "
        "the token is printed this once; --rotate replaces a user's token with a new one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--rotate", action="store_true", help="replace an existing token with a new one"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"]
        user_model = get_user_model()
        try:
            user_model.username_validator(username)
        except ValidationError as error:
            raise CommandError(f"{username!r}: {' '.join(error.messages)}") from error
        with transaction.atomic():
            user, created = user_model.objects.get_or_create(username=username)
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            if ApiToken.objects.filter(user=user).exists() and not options["rotate"]:
                raise CommandError(
                    f"{username} already has a token, which is stored only as a digest and "
                    "cannot be shown again: --rotate replaces it with a new one."
                )
            token = issue_token(user)
        if created:
            self.stderr.write(f"created user {username}")
        self.stdout.write(token)
