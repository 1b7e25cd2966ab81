"""Secrets Manager: the API, and secret lookup for task secrets."""

from __future__ import annotations

from dockyard.adapters.bridge import MotoService

SERVICE = MotoService("secretsmanager", "secretsmanager")


class SecretUnavailable(Exception):
    """The secret, stage or version does not exist or has no string value; the message is Secrets Manager's."""


def get_secret_string(
    account: str, region: str, secret_id: str, version_stage: str | None = None, version_id: str | None = None
) -> str:
    from moto.core.exceptions import JsonRESTError

    backend = SERVICE.backend(account, region)
    try:
        value = backend.get_secret_value(secret_id, version_id or None, version_stage or None)
    except JsonRESTError as error:
        raise SecretUnavailable(f"{error.error_type}: {error.message}") from None
    if value.get("SecretString") is None:
        raise SecretUnavailable(f"secret {secret_id} has no SecretString")
    return str(value["SecretString"])
