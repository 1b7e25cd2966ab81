"""Container ``secrets`` resolved at launch from Secrets Manager and SSM Parameter Store, as the ECS agent does.

Values only ever go into the container's environment: they are never stored on the task, logged or returned.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dockyard.adapters import secretsmanager, ssm

if TYPE_CHECKING:
    from dockyard.ecs.hooks import TaskContext
    from dockyard.server.app import App

log = logging.getLogger("dockyard.ecs.secrets")

REASON_PREFIX = "ResourceInitializationError: unable to pull secrets or registry auth: "


class SecretsError(Exception):
    """A secret could not be resolved; ``str()`` is the task's stoppedReason."""

    def __init__(self, detail: str) -> None:
        super().__init__(REASON_PREFIX + detail)


@dataclass(frozen=True)
class SecretRef:
    name: str  # the environment variable
    value_from: str


def resolve(account: str, region: str, refs: Iterable[SecretRef]) -> dict[str, str]:
    """``{env name: value}`` for every ref, or SecretsError naming the first that cannot be read."""
    values: dict[str, str] = {}
    parameters: dict[tuple[str, str], list[SecretRef]] = {}
    for ref in refs:
        if _service(ref.value_from) == "secretsmanager":
            values[ref.name] = _secret(account, region, ref.value_from)
        else:
            target_account, target_region = _arn_scope(ref.value_from, account, region)
            parameters.setdefault((target_account, target_region), []).append(ref)
    for (target_account, target_region), group in parameters.items():
        names = list(dict.fromkeys(ref.value_from for ref in group))
        found, missing = ssm.get_parameters(target_account, target_region, names)
        if missing:
            raise SecretsError(
                "execution resource retrieval failed: unable to retrieve secrets from ssm: "
                f"service call has been retried 1 time(s): invalid parameters: {', '.join(missing)}"
            )
        for ref in group:
            values[ref.name] = found[ref.value_from]
    return values


def _service(value_from: str) -> str:
    parts = value_from.split(":")
    return parts[2] if value_from.startswith("arn:") and len(parts) > 2 else "ssm"


def _arn_scope(value_from: str, account: str, region: str) -> tuple[str, str]:
    if not value_from.startswith("arn:"):
        return account, region
    parts = value_from.split(":")
    return (parts[4] or account) if len(parts) > 4 else account, (parts[3] or region) if len(parts) > 3 else region


def _secret(account: str, region: str, value_from: str) -> str:
    # arn:aws:secretsmanager:<region>:<account>:secret:<name-suffix>[:<json-key>:<version-stage>:<version-id>]
    parts = value_from.split(":")
    resource = parts[5:]
    if len(resource) not in (2, 5) or resource[0] != "secret":
        raise SecretsError(
            "execution resource retrieval failed: unable to retrieve secret from asm: "
            f"an invalid ARN format for the AWS Secrets Manager secret was specified: {value_from}"
        )
    secret_id = ":".join(parts[:7])
    json_key, stage, version_id = resource[2:] if len(resource) == 5 else ("", "", "")
    target_account, target_region = _arn_scope(value_from, account, region)
    try:
        text = secretsmanager.get_secret_string(target_account, target_region, secret_id, stage, version_id)
    except secretsmanager.SecretUnavailable as error:
        raise SecretsError(
            "execution resource retrieval failed: unable to retrieve secret from asm: "
            f"service call has been retried 1 time(s): failed to fetch secret {secret_id} "
            f"from secrets manager: {error}"
        ) from None
    if not json_key:
        return text
    try:
        document = json.loads(text)
        value = document[json_key]
    except (ValueError, KeyError, TypeError):
        raise SecretsError(
            "execution resource retrieval failed: unable to retrieve secret from asm: "
            f"retrieved secret from Secrets Manager did not contain json key {json_key}"
        ) from None
    return value if isinstance(value, str) else json.dumps(value)


def refs_of(definition: dict[str, Any]) -> list[SecretRef]:
    return [SecretRef(s["name"], s["valueFrom"]) for s in definition.get("secrets") or []]


def install(app: App) -> None:
    """Launch preparer: secrets and environmentFiles become each container's environment before it is created."""
    from dockyard.ecs import envfiles, hooks

    async def prepare(ctx: TaskContext) -> dict[str, dict[str, str]]:
        env: dict[str, dict[str, str]] = {}
        for name, definition in ctx.containers.items():
            defined = {e["name"] for e in definition.get("environment") or []}
            try:
                from_files = envfiles.load(ctx.account, definition.get("environmentFiles") or [])
                values = {k: v for k, v in from_files.items() if k not in defined}
                values.update(resolve(ctx.account, ctx.region, refs_of(definition)))
            except (SecretsError, envfiles.EnvFileError) as error:
                raise hooks.LaunchFailure(str(error)) from None
            except Exception as error:  # a backend fault still fails the launch cleanly, without values
                log.exception("resolving the secrets of %s failed", ctx.task_arn)
                raise hooks.LaunchFailure(REASON_PREFIX + f"internal error: {type(error).__name__}") from None
            if values:
                env[name] = values
        return env

    hooks.of(app).launch_preparers.append(prepare)
