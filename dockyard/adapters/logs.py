"""CloudWatch Logs: the API, and the direct write path awslogs uses (no HTTP, batches straight into moto)."""

from __future__ import annotations

from dockyard.adapters.bridge import MotoService

SERVICE = MotoService("logs", "logs")


class GroupMissing(Exception):
    """The log group does not exist and was not to be created."""


def ensure_stream(account: str, region: str, group: str, stream: str, create_group: bool) -> None:
    """The driver's start-up: the stream exists afterwards, or GroupMissing (existing ones are fine)."""
    backend = SERVICE.backend(account, region)
    if group not in backend.groups:
        if not create_group:
            raise GroupMissing(group)
        backend.create_log_group(group, {})
    if stream not in backend.groups[group].streams:
        backend.create_log_stream(group, stream)


def put_events(account: str, region: str, group: str, stream: str, events: list[tuple[int, str]]) -> None:
    """Appends ``(timestamp ms, message)`` events, already in order; a deleted group or stream drops them."""
    backend = SERVICE.backend(account, region)
    log_group = backend.groups.get(group)
    if log_group is None or stream not in log_group.streams:
        return
    log_group.streams[stream].put_log_events([{"timestamp": ts, "message": msg} for ts, msg in events])
