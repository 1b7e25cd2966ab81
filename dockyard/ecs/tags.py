"""Tags on any ECS resource, found by ARN.

Each taggable resource kind registers a finder for the resource path of its ARN (``cluster/<name>`` ->
finder("<name>")); the finder returns an object with a ``tags`` list or raises that resource's not-found error.
Tasks and services plug in with one line: ``tags.FINDERS["task"] = lambda state, path: ...``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dockyard.ecs import arns, clusters, task_definitions
from dockyard.ecs.errors import invalid_parameter
from dockyard.ecs.state import JSON, EcsState

MAX_TAGS = 50

Finder = Callable[[EcsState, str], Any]

FINDERS: dict[str, Finder] = {
    "cluster": lambda state, path: clusters.get_active(state, path),
    "task-definition": lambda state, path: task_definitions.resolve(state, path),
}


def find(state: EcsState, resource_arn: str) -> Any:
    parsed = arns.parse(resource_arn)
    if parsed is None or parsed[2] not in FINDERS:
        raise invalid_parameter("The ARN provided is invalid.")
    region, account, kind, path = parsed
    if (region, account) != (state.region, state.account):
        state = EcsState(account=account, region=region)  # another account's or region's resources are not visible
    return FINDERS[kind](state, path)


def validate(tags: list[JSON]) -> None:
    """AWS's tag rules beyond the model's lengths: keys are required, ``aws:`` is reserved, 50 at most."""
    if any(not t.get("key") for t in tags):  # the model leaves key optional; ECS does not
        raise invalid_parameter("Tag keys must not be empty.")  # inferred
    keys = [t["key"] for t in tags]
    if any(k.lower().startswith("aws:") for k in keys):
        raise invalid_parameter("Tag keys cannot start with the reserved prefix 'aws:'.")  # inferred
    if len(keys) > MAX_TAGS:
        raise invalid_parameter(f"The number of tags must not exceed {MAX_TAGS}.")  # inferred


def merge(current: list[JSON], new: list[JSON]) -> list[JSON]:
    """TagResource: new keys are added, existing keys get the new value; at most 50 in all."""
    validate(new)
    by_key = {t["key"]: t for t in current}
    for tag in new:
        by_key[tag["key"]] = {"key": tag["key"], "value": tag.get("value", "")}
    merged = list(by_key.values())
    validate(merged)
    return merged


def remove(current: list[JSON], keys: list[str]) -> list[JSON]:
    gone = set(keys)
    return [t for t in current if t["key"] not in gone]
