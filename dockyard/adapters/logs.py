"""CloudWatch Logs: the API, and the direct write path awslogs uses (no HTTP, batches straight into moto).

GetLogEvents is answered here from moto's stored events: tailing a stream of 100,000s of lines must not cost a
sort of the whole stream per page."""

from __future__ import annotations

from itertools import islice
from typing import Any

from dockyard.adapters.bridge import MotoService
from dockyard.protocol.errors import AwsError
from dockyard.protocol.provider import RequestContext


def _untracked_events() -> None:
    """moto keeps every model object it makes in a class-level list for its dashboard (which dockyard does not
    serve) until a moto-api reset: for log events that is memory growing with every line logged, across
    dockyard's resets, plus a list append per event. Log events are made untracked."""
    from moto.logs.models import LogEvent

    LogEvent.__new__ = _untracked_new  # type: ignore[method-assign,assignment]


def _untracked_new(cls: type, *args: Any, **kwargs: Any) -> Any:
    return object.__new__(cls)


SERVICE = MotoService("logs", "logs", fix=_untracked_events)


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


def _in_order(stream: Any) -> list[Any]:
    """The stream's events by timestamp (ties in arrival order). awslogs appends in order, so usually the stored
    list itself: order is re-checked only over what arrived since the last look."""
    events = stream.events
    checked, ordered = getattr(stream, "_dockyard_order", (0, True))
    if checked > len(events):
        checked, ordered = 0, True
    if ordered:
        last = events[checked - 1].timestamp if checked else None
        for event in islice(events, checked, None):
            if last is not None and event.timestamp < last:
                ordered = False
                break
            last = event.timestamp
    stream._dockyard_order = (len(events), ordered)
    return events if ordered else sorted(events, key=lambda e: e.timestamp)


def get_log_events(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """GetLogEvents without copying the stream on every call (moto sorts all of it each time)."""
    group_name = params.get("logGroupName")
    identifier = params.get("logGroupIdentifier")
    if bool(group_name) == bool(identifier):
        raise AwsError("InvalidParameterException", "LogGroup name and LogGroup ARN are mutually exclusive parameters.")
    if identifier and identifier.startswith("arn:"):
        group_name = identifier.split(":log-group:", 1)[-1].removesuffix(":*")
    group = SERVICE.backend(ctx.account, ctx.region).groups.get(group_name or identifier)
    if group is None:
        raise AwsError("ResourceNotFoundException", "The specified log group does not exist.")
    stream = group.streams.get(params["logStreamName"])
    if stream is None:
        raise AwsError("ResourceNotFoundException", "The specified log stream does not exist.")
    events = _in_order(stream)
    start, end = params.get("startTime"), params.get("endTime")
    if start is not None or end is not None:
        events = [e for e in events if (start is None or e.timestamp >= start) and (end is None or e.timestamp < end)]
    # Tokens name positions in the ordered stream: f/<next index to read>, b/<first index returned>; at either
    # end the token sent comes back unchanged, which is how clients know they are done.
    limit = params.get("limit") or 10_000
    token = params.get("nextToken")
    if token:
        try:
            direction, index = token[0], int(token[2:])
        except ValueError:
            raise AwsError("InvalidParameterException", "The specified nextToken is invalid.") from None
        if direction not in "fb" or token[1:2] != "/":
            raise AwsError("InvalidParameterException", "The specified nextToken is invalid.")
        index = min(max(index, 0), len(events))
        first, stop = (index, min(index + limit, len(events))) if direction == "f" else (max(index - limit, 0), index)
    elif params.get("startFromHead"):
        first, stop = 0, min(limit, len(events))
    else:
        first, stop = max(len(events) - limit, 0), len(events)
    page, size = [], 0
    for event in events[first:stop]:  # a slice, not islice: that would step over every event before ``first``
        size += len(event.message) + 26
        if page and size > 1_048_576:
            break
        page.append({"timestamp": event.timestamp, "message": event.message, "ingestionTime": event.ingestion_time})
    stop = first + len(page)
    return {"events": page, "nextForwardToken": f"f/{stop:056d}", "nextBackwardToken": f"b/{first:056d}"}
