"""SSM Parameter Store: the API, and parameter lookup for task secrets."""

from __future__ import annotations

from dockyard.adapters.bridge import MotoService

SERVICE = MotoService("ssm", "ssm")


def get_parameters(account: str, region: str, names: list[str]) -> tuple[dict[str, str], list[str]]:
    """Decrypted values keyed by the identifier exactly as asked (name or ARN), and the ones that do not exist."""
    backend = SERVICE.backend(account, region)
    found: dict[str, str] = {}
    missing: list[str] = []
    for name in names:
        parameter = backend.get_parameter(name)
        if parameter is None:
            missing.append(name)
        else:
            found[name] = (
                parameter.decrypt(parameter.value) if parameter.parameter_type == "SecureString" else parameter.value
            )
    return found, missing
