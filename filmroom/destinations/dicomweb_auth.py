"""HTTP authentication for DICOMweb destinations, from the environment or a Prefect Secret block.

Sources, first match wins:

1. A Prefect Secret block named in the destination URL (``?secret=block-name``). A value
   of the form ``user:password`` means basic authentication; any other value is a
   bearer token.
2. ``FILMROOM_DICOMWEB_TOKEN``: bearer token.
3. ``FILMROOM_DICOMWEB_USER`` and ``FILMROOM_DICOMWEB_PASSWORD``: basic authentication.

Credentials are never logged and never part of a destination's ``name``.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Mapping

import httpx

from filmroom.errors import ConfigurationError

TOKEN_VARIABLE = "FILMROOM_DICOMWEB_TOKEN"
USER_VARIABLE = "FILMROOM_DICOMWEB_USER"
PASSWORD_VARIABLE = "FILMROOM_DICOMWEB_PASSWORD"


class BearerAuth(httpx.Auth):
    """Send ``Authorization: Bearer <token>`` on every request."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "BearerAuth(<hidden>)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


def _auth_from_secret_value(value: str) -> httpx.Auth:
    user, separator, password = value.partition(":")
    if separator and user:
        return httpx.BasicAuth(user, password)
    return BearerAuth(value)


def load_secret_block(block_name: str) -> str:
    """Return the value of a Prefect Secret block.

    Raises
    ------
    ConfigurationError
        When the block cannot be loaded.
    """
    from prefect.blocks.system import Secret

    try:
        secret = Secret.load(block_name)
    except (ValueError, RuntimeError, OSError) as exc:
        raise ConfigurationError(
            f"Cannot load the Prefect Secret block {block_name!r} named in the DICOMweb URL "
            f"({type(exc).__name__}); create it with `prefect block create secret` or fix ?secret="
        ) from None
    return str(secret.get())


def resolve_auth(
    secret_block: str | None, environment: Mapping[str, str] | None = None
) -> httpx.Auth | None:
    """Return the authentication to use, or None for none."""
    if secret_block:
        return _auth_from_secret_value(load_secret_block(secret_block))

    env = os.environ if environment is None else environment
    token = env.get(TOKEN_VARIABLE)
    if token:
        return BearerAuth(token)
    user = env.get(USER_VARIABLE)
    password = env.get(PASSWORD_VARIABLE)
    if user and password is None:
        raise ConfigurationError(
            f"{USER_VARIABLE} is set but {PASSWORD_VARIABLE} is not; set both or neither"
        )
    if user:
        return httpx.BasicAuth(user, password or "")
    return None
