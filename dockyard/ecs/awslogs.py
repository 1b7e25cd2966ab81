"""The ``awslogs`` log driver: each container's output streamed into CloudWatch Logs while the task runs.

Lines are written straight into the Logs backend in batches (no HTTP): a batch goes out when it holds 10,000
events or ~1 MB, and a shared ticker flushes every stream every 100 ms, so a line is visible well within a second
of being printed. Timestamps are the engine's, order is the engine's, and closing a stream flushes what is left.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dockyard.adapters import logs

if TYPE_CHECKING:
    from dockyard.ecs.hooks import TaskContext
    from dockyard.runtime.backend import LogLine
    from dockyard.server.app import App

MAX_BATCH_EVENTS = 10_000
MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD = 26
MAX_EVENT_BYTES = 262_118  # moby splits longer lines
TICK_S = 0.1
MULTILINE_IDLE_S = 0.5  # a multiline event is complete once no continuation arrived for this long

GROUP_MISSING_REASON = (
    "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: "
    "failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist."
    " : exit status 1"
)


class LogConfigError(Exception):
    """The awslogs options cannot work; ``str()`` is the task's stoppedReason."""


@dataclass(frozen=True)
class AwsLogsTarget:
    account: str
    region: str
    group: str
    stream: str
    create_group: bool
    multiline: re.Pattern[str] | None


def target_for(
    account: str, task_region: str, options: dict[str, str], container_name: str, task_id: str, container_id: str
) -> AwsLogsTarget:
    """Where a container's lines go, from its ``logConfiguration.options`` (validated as the agent does)."""
    group = options.get("awslogs-group")
    if not group:
        raise LogConfigError("ResourceInitializationError: failed to validate logger args: awslogs-group is required")
    if "awslogs-datetime-format" in options and "awslogs-multiline-pattern" in options:
        raise LogConfigError(
            "ResourceInitializationError: failed to validate logger args: you cannot configure both "
            "awslogs-datetime-format and awslogs-multiline-pattern"
        )
    prefix = options.get("awslogs-stream-prefix")
    stream = options.get("awslogs-stream") or (f"{prefix}/{container_name}/{task_id}" if prefix else container_id)
    multiline: re.Pattern[str] | None = None
    try:
        if "awslogs-multiline-pattern" in options:
            multiline = re.compile(options["awslogs-multiline-pattern"])
        elif "awslogs-datetime-format" in options:
            multiline = re.compile(datetime_pattern(options["awslogs-datetime-format"]))
    except re.error as error:
        raise LogConfigError(
            f"ResourceInitializationError: failed to validate logger args: awslogs multiline pattern: {error}"
        ) from None
    return AwsLogsTarget(
        account=account,
        region=options.get("awslogs-region") or task_region,
        group=group,
        stream=stream,
        create_group=options.get("awslogs-create-group", "false").strip().lower() == "true",
        multiline=multiline,
    )


def translated_options(target: AwsLogsTarget, options: dict[str, str]) -> dict[str, str]:
    """The options as the running container carries them (TMDS ``LogOptions``): the prefix became a stream."""
    out = {k: v for k, v in options.items() if k != "awslogs-stream-prefix"}
    out["awslogs-stream"] = target.stream
    return out


# strftime directives moby's awslogs driver understands, as regular expressions.
_STRFTIME = {
    "%a": r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)",
    "%A": r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)",
    "%b": r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)",
    "%B": r"(?:January|February|March|April|May|June|July|August|September|October|November|December)",
    "%c": r"\w+ \w+ \d{1,2} \d{2}:\d{2}:\d{2} \d{4}",
    "%d": r"(?:0[1-9]|[12]\d|3[01])",
    "%f": r"\d{1,9}",
    "%H": r"(?:[01]\d|2[0-3])",
    "%I": r"(?:0[1-9]|1[0-2])",
    "%j": r"\d{3}",
    "%L": r"\.\d{3}",
    "%m": r"(?:0[1-9]|1[0-2])",
    "%M": r"[0-5]\d",
    "%p": r"[AP]M",
    "%S": r"[0-5]\d",
    "%y": r"\d{2}",
    "%Y": r"\d{4}",
    "%z": r"[+-]\d{4}",
    "%Z": r"[A-Z]{1,4}T",
    "%%": "%",
}


def datetime_pattern(fmt: str) -> str:
    out = ["^"]
    i = 0
    while i < len(fmt):
        directive = fmt[i : i + 2]
        if directive in _STRFTIME:
            out.append(_STRFTIME[directive])
            i += 2
        else:
            out.append(re.escape(fmt[i]))
            i += 1
    return "".join(out)


@dataclass
class _Pending:
    timestamp: int
    parts: list[str]
    last_seen: float


@dataclass(eq=False)
class AwsLogsStream:
    """One container's stream: ``feed`` every line, ``close`` when the container's output ends."""

    target: AwsLogsTarget
    _batch: list[tuple[int, str]] = field(default_factory=list)
    _batch_bytes: int = 0
    _pending: _Pending | None = None
    closed: bool = False

    def open(self) -> None:
        """Creates the stream (and group if allowed); LogConfigError with AWS's reason when the group is missing."""
        try:
            logs.ensure_stream(
                self.target.account, self.target.region, self.target.group, self.target.stream, self.target.create_group
            )
        except logs.GroupMissing:
            raise LogConfigError(GROUP_MISSING_REASON) from None
        _STREAMS.add(self)
        _ensure_ticker()

    def feed(self, nanos: int, text: str) -> None:
        ms = nanos // 1_000_000
        if self.target.multiline is None:
            self._add(ms, text)
            return
        loop_time = _now()
        if self._pending is not None and not self.target.multiline.search(text):
            self._pending.parts.append(text)
            self._pending.last_seen = loop_time
            return
        self._finish_pending()
        self._pending = _Pending(ms, [text], loop_time)

    def flush(self, idle_before: float | None = None) -> None:
        """Sends the batch, and a multiline event whose last line came before ``idle_before`` (or any)."""
        if self._pending is not None and (idle_before is None or self._pending.last_seen <= idle_before):
            self._finish_pending()
        self._send()

    def _send(self) -> None:
        if self._batch:
            batch, self._batch, self._batch_bytes = self._batch, [], 0
            logs.put_events(self.target.account, self.target.region, self.target.group, self.target.stream, batch)

    def close(self) -> None:
        """Flushes everything; the stream takes no more lines."""
        self.flush()
        self.closed = True
        _STREAMS.discard(self)

    def _finish_pending(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self._add(pending.timestamp, "\n".join(pending.parts))

    def _add(self, ms: int, text: str) -> None:
        size = (len(text) if text.isascii() else len(text.encode())) + EVENT_OVERHEAD
        if size > MAX_EVENT_BYTES + EVENT_OVERHEAD:
            for chunk in _split(text):
                self._add(ms, chunk)
            return
        if self._batch and (len(self._batch) >= MAX_BATCH_EVENTS or self._batch_bytes + size > MAX_BATCH_BYTES):
            self._send()
        self._batch.append((ms, text))
        self._batch_bytes += size


def _split(text: str) -> list[str]:
    """A line longer than an event may be, in pieces of at most ``MAX_EVENT_BYTES`` (moby splits them too)."""
    data = text.encode()
    return [
        data[i : i + MAX_EVENT_BYTES].decode("utf-8", errors="ignore") for i in range(0, len(data), MAX_EVENT_BYTES)
    ]


_STREAMS: set[AwsLogsStream] = set()
_TICKER: asyncio.Task[None] | None = None


def _now() -> float:
    return asyncio.get_running_loop().time()


def _ensure_ticker() -> None:
    global _TICKER
    if _TICKER is None or _TICKER.done():
        _TICKER = asyncio.get_running_loop().create_task(_tick())


async def _tick() -> None:
    while _STREAMS:
        await asyncio.sleep(TICK_S)
        idle_before = _now() - MULTILINE_IDLE_S
        for stream in list(_STREAMS):
            stream.flush(idle_before)


def close_all() -> None:
    """Flushes and forgets every open stream (reset/shutdown)."""
    for stream in list(_STREAMS):
        stream.close()


class _Sink:
    """The launcher's LogSink over one stream."""

    def __init__(self, stream: AwsLogsStream) -> None:
        self.stream = stream

    def write(self, line: LogLine) -> None:
        if not self.stream.closed:
            self.stream.feed(line.nanos, line.text)

    async def close(self) -> None:
        self.stream.close()


def install(app: App, on_options: Callable[[str, str, dict[str, str]], None] | None = None) -> None:
    """A launch preparer opens each awslogs stream (failing the task when the group is missing), a log sink
    feeds it; ``on_options`` hears the translated options (``awslogs-stream`` instead of the prefix)."""
    from dockyard.ecs import hooks

    opened: dict[tuple[str, str], AwsLogsStream] = {}

    async def prepare(ctx: TaskContext) -> dict[str, dict[str, str]]:
        for name, definition in ctx.containers.items():
            config = definition.get("logConfiguration") or {}
            if config.get("logDriver") != "awslogs":
                continue
            options = config.get("options") or {}
            try:
                target = target_for(ctx.account, ctx.region, options, name, ctx.task_id, f"{name}/{ctx.task_id}")
                stream = AwsLogsStream(target)
                stream.open()
            except LogConfigError as error:
                raise hooks.LaunchFailure(str(error)) from None
            opened[(ctx.task_arn, name)] = stream
            if on_options is not None:
                on_options(ctx.task_arn, name, translated_options(target, options))
        return {}

    def sink(ctx: TaskContext, container: str, config: dict[str, Any]) -> _Sink | None:
        stream = opened.pop((ctx.task_arn, container), None)
        return _Sink(stream) if stream is not None and config.get("logDriver") == "awslogs" else None

    async def forget(ctx: TaskContext) -> None:
        for key in [k for k in opened if k[0] == ctx.task_arn]:
            opened.pop(key).close()

    def reset() -> None:
        opened.clear()
        close_all()

    h = hooks.of(app)
    h.launch_preparers.append(prepare)
    h.log_sinks.append(sink)
    h.cleanups.append(forget)
    app.on_reset(reset)
    app.on_shutdown(close_all)
