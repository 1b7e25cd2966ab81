"""EventBridge events ECS emits: ``ECS Task State Change`` on every task version, onto the default bus.

Delivery goes through the Events backend, so the account's own rules match them with EventBridge's pattern
matching and send them to their targets (SQS, CloudWatch Logs, ...).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from dockyard.adapters import events

if TYPE_CHECKING:
    from dockyard.server.app import App

log = logging.getLogger("dockyard.ecs.events")

SOURCE = "aws.ecs"
TASK_STATE_CHANGE = "ECS Task State Change"


def task_state_change(account: str, region: str, task: dict[str, Any]) -> None:
    """Publishes ``task`` (DescribeTasks-shaped, with ``version``) as AWS does; timestamps become ISO strings."""
    detail = _iso(_task_timestamps(), task)
    detail.setdefault("updatedAt", _iso_time(datetime.now(UTC)))
    events.put_event(account, region, SOURCE, TASK_STATE_CHANGE, [task["taskArn"]], detail)


def _iso(timestamps: frozenset[str], value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _iso(timestamps, v, k) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_iso(timestamps, v) for v in value]
    if isinstance(value, datetime):
        return _iso_time(value)
    if key in timestamps and isinstance(value, int | float) and not isinstance(value, bool):
        return _iso_time(datetime.fromtimestamp(value, UTC))
    return value


def _iso_time(moment: datetime) -> str:
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@cache
def _task_timestamps() -> frozenset[str]:
    """Member names of timestamp type anywhere under ECS's Task shape (createdAt, stoppedAt, ...)."""
    from dockyard.protocol.specs import service_spec

    spec = service_spec("ecs")
    names: set[str] = {"updatedAt"}
    seen: set[str] = set()
    todo = ["Task"]
    while todo:
        shape_name = todo.pop()
        if shape_name in seen:
            continue
        seen.add(shape_name)
        shape = spec.shape(shape_name)
        refs = list(shape.get("members", {}).items())
        refs += [("", shape[k]) for k in ("member", "value") if k in shape]
        for member, ref in refs:
            target = spec.shape(ref["shape"])
            if target["type"] == "timestamp" and member:
                names.add(member)
            elif target["type"] in ("structure", "list", "map"):
                todo.append(ref["shape"])
    return frozenset(names)


def install(app: App) -> None:
    """Task listener: every version of every task becomes an ``ECS Task State Change`` event."""
    from dockyard.ecs import hooks

    def listener(task: dict[str, Any]) -> None:
        _, _, _, region, account, _ = task["taskArn"].split(":", 5)
        if not events.default_bus_has_rules(account, region):  # EventBridge would drop it: no need to build it
            return
        detail = {k: v for k, v in task.items() if k != "tags"}
        try:
            task_state_change(account, region, detail)
        except Exception:
            log.exception("publishing the state change of %s failed", task["taskArn"])

    hooks.of(app).task_listeners.append(listener)
