"""Task domain logic: what RunTask creates, how a task's state moves, and how DescribeTasks/ListTasks see it.

The launcher (launcher.py) drives tasks through these functions; every change goes through ``Task.changed`` so
the version increments and listeners hear of it (../shared/aws-ecs-behaviour.md §2).
Messages marked "inferred" are not confirmed against real ECS.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from dockyard.ecs import arns, clusters, task_definitions
from dockyard.ecs.errors import client_error, invalid_parameter, service_not_found
from dockyard.ecs.state import JSON, Cluster, EcsState
from dockyard.protocol.errors import AwsError
from dockyard.runtime.backend import LogLine

PENDING_STATES = ("PROVISIONING", "PENDING", "ACTIVATING")
PLATFORM_VERSION = "1.4.0"  # what LATEST resolves to on Fargate Linux
MAX_COUNT = 10
# Each container keeps its most recent output up to this many bytes (older lines are dropped, and counted).
LOG_BUDGET_BYTES = 1024 * 1024
log = logging.getLogger("dockyard.ecs.tasks")
_TASK_ID = re.compile(r"^[0-9a-f]{32}$")


class LogBuffer:
    """A container's output, bounded in memory: the newest lines within ``LOG_BUDGET_BYTES``."""

    def __init__(self, budget: int = LOG_BUDGET_BYTES) -> None:
        self.lines: deque[LogLine] = deque()
        self.dropped = 0
        self._size = 0
        self._budget = budget

    def append(self, line: LogLine) -> None:
        self.lines.append(line)
        self._size += len(line.text) + 64
        while self._size > self._budget and len(self.lines) > 1:
            self._size -= len(self.lines.popleft().text) + 64
            self.dropped += 1


@dataclass
class Container:
    name: str
    arn: str
    definition: JSON  # after overrides
    last_status: str = "PENDING"
    exit_code: int | None = None
    reason: str | None = None
    runtime_id: str | None = None
    image_digest: str | None = None
    network_bindings: list[JSON] = field(default_factory=list)
    network_interfaces: list[JSON] = field(default_factory=list)
    health_status: str = "UNKNOWN"
    started_at: float | None = None
    logs: LogBuffer = field(default_factory=LogBuffer)

    @property
    def essential(self) -> bool:
        return bool(self.definition.get("essential", True))

    def describe(self, task_arn: str) -> JSON:
        d = self.definition
        out: JSON = {
            "containerArn": self.arn,
            "taskArn": task_arn,
            "name": self.name,
            "image": d["image"],
            "lastStatus": self.last_status,
            "networkBindings": self.network_bindings,
            "networkInterfaces": self.network_interfaces,
            "healthStatus": self.health_status,
            "cpu": str(d.get("cpu") or 0),
        }
        for key, value in (
            ("imageDigest", self.image_digest),
            ("runtimeId", self.runtime_id),
            ("exitCode", self.exit_code),
            ("reason", self.reason),
        ):
            if value is not None:
                out[key] = value
        for key in ("memory", "memoryReservation"):
            if d.get(key) is not None:
                out[key] = str(d[key])
        return out


@dataclass
class Task:
    arn: str
    id: str
    account: str
    region: str
    cluster: Cluster
    definition: JSON  # the DescribeTaskDefinition taskDefinition dict
    containers: list[Container]
    overrides: JSON
    launch_type: str
    network_mode: str
    group: str
    cpu: str | None
    memory: str | None
    started_by: str | None = None
    platform_version: str | None = None
    tags: list[JSON] = field(default_factory=list)
    attachments: list[JSON] = field(default_factory=list)
    enable_execute_command: bool = False
    last_status: str = "PENDING"
    desired_status: str = "RUNNING"
    version: int = 1
    stop_code: str | None = None
    stopped_reason: str | None = None
    created_at: float = field(default_factory=time.time)
    times: dict[str, float] = field(default_factory=dict)  # pullStartedAt, startedAt, stoppingAt, ...
    listeners: list[Callable[[JSON], None]] = field(default_factory=list)

    @property
    def stopped(self) -> bool:
        return self.last_status == "STOPPED"

    def container(self, name: str) -> Container:
        return next(c for c in self.containers if c.name == name)

    def changed(self) -> None:
        """Records a state change: one more version, and every listener sees the new state."""
        self.version += 1
        if self.listeners:
            notify(self.listeners, self.describe(include_tags=True))

    def mark(self, name: str) -> None:
        self.times.setdefault(name, time.time())

    @property
    def health_status(self) -> str:
        """Essential containers with a health check decide: any UNHEALTHY -> UNHEALTHY, all HEALTHY -> HEALTHY."""
        checked = [c for c in self.containers if c.essential and c.definition.get("healthCheck")]
        if any(c.health_status == "UNHEALTHY" for c in checked):
            return "UNHEALTHY"
        if checked and all(c.health_status == "HEALTHY" for c in checked):
            return "HEALTHY"
        return "UNKNOWN"

    def describe(self, include_tags: bool = False) -> JSON:
        out: JSON = {
            "taskArn": self.arn,
            "clusterArn": self.cluster.arn,
            "taskDefinitionArn": self.definition["taskDefinitionArn"],
            "overrides": self.overrides,
            "lastStatus": self.last_status,
            "desiredStatus": self.desired_status,
            "containers": [c.describe(self.arn) for c in self.containers],
            "version": self.version,
            "createdAt": self.created_at,
            "group": self.group,
            "launchType": self.launch_type,
            "attachments": self.attachments,
            "attributes": [{"name": "ecs.cpu-architecture", "value": "x86_64"}],
            "availabilityZone": f"{self.region}a",
            "healthStatus": self.health_status,
            "enableExecuteCommand": self.enable_execute_command,
        }
        if self.cpu is not None:
            out["cpu"] = self.cpu
        if self.memory is not None:
            out["memory"] = self.memory
        if self.started_by is not None:
            out["startedBy"] = self.started_by
        if self.platform_version is not None:
            out["platformVersion"] = self.platform_version
            out["platformFamily"] = "Linux"
            out["ephemeralStorage"] = {"sizeInGiB": 20}
        if self.network_mode == "awsvpc" and "connectivityAt" in self.times:
            out["connectivity"] = "CONNECTED"
        out.update(self.times)
        if self.stop_code is not None:
            out["stopCode"] = self.stop_code
        if self.stopped_reason is not None:
            out["stoppedReason"] = self.stopped_reason
        if include_tags:
            out["tags"] = self.tags
        return out


def notify(listeners: list[Callable[[JSON], None]], snapshot: JSON) -> None:
    """A failing listener is logged; it never stops the task's life or the other listeners."""
    for listener in listeners:
        try:
            listener(snapshot)
        except Exception:
            log.exception("task listener %r failed", listener)


# -- RunTask ----------------------------------------------------------------------------------------------


def check_run(state: EcsState, p: JSON) -> tuple[Cluster, task_definitions.TaskDefinition, str]:
    """Validates RunTask/StartTask inputs: (cluster, definition, launch type), or the AWS error."""
    cluster = clusters.get_active(state, p.get("cluster"))
    td = task_definitions.resolve(state, p["taskDefinition"], "TaskDefinition not found.")
    if td.status != "ACTIVE":
        raise client_error("TaskDefinition is inactive")
    body = td.body
    launch = p.get("launchType")
    if launch is None:
        launch = "FARGATE" if "FARGATE" in body.get("compatibilities", ()) else "EC2"
    if launch == "FARGATE" and "FARGATE" not in body.get("compatibilities", ()):
        raise client_error("Task definition does not support launch_type FARGATE.")
    if p.get("launchType") and p.get("capacityProviderStrategy"):
        raise invalid_parameter("Specifying both a launch type and capacity provider strategy is not supported.")
    mode = body.get("networkMode") or ("awsvpc" if launch == "FARGATE" else "bridge")
    if mode == "awsvpc" and not (p.get("networkConfiguration") or {}).get("awsvpcConfiguration"):
        raise invalid_parameter("Network Configuration must be provided when networkMode 'awsvpc' is specified.")
    names = {c["name"] for c in td.containers}
    for override in (p.get("overrides") or {}).get("containerOverrides") or []:
        if override.get("name") not in names:
            raise invalid_parameter(
                f"Override for container named {override.get('name')} is not a container in the TaskDefinition."
            )
        if any(not e.get("name") for e in override.get("environment") or []):
            raise invalid_parameter("Environment variable names in container overrides must not be empty.")  # inferred
    if p.get("propagateTags") == "SERVICE":
        raise invalid_parameter("The propagateTags value SERVICE is not valid for RunTask.")  # inferred
    return cluster, td, launch


def create(state: EcsState, p: JSON, cluster: Cluster, td: task_definitions.TaskDefinition, launch: str) -> Task:
    """One new task for RunTask/StartTask, in PROVISIONING (awsvpc) or PENDING, and stored."""
    definition = td.describe()
    mode = definition.get("networkMode") or ("awsvpc" if launch == "FARGATE" else "bridge")
    task_id = uuid.uuid4().hex
    arn = state.arn("task", f"{cluster.name}/{task_id}")
    overrides = p.get("overrides") or {}
    by_name = {o["name"]: o for o in overrides.get("containerOverrides") or [] if o.get("name")}
    containers = [
        Container(
            name=c["name"],
            arn=state.arn("container", f"{cluster.name}/{task_id}/{uuid.uuid4()}"),
            definition=apply_override(c, by_name.get(c["name"], {})),
        )
        for c in td.containers
    ]
    tags = list(p.get("tags") or [])
    if p.get("propagateTags") == "TASK_DEFINITION":
        tags = td.tags + [t for t in tags if t["key"] not in {x["key"] for x in td.tags}]
    task = Task(
        arn=arn,
        id=task_id,
        account=state.account,
        region=state.region,
        cluster=cluster,
        definition=definition,
        containers=containers,
        overrides=echo_overrides(overrides, [c["name"] for c in td.containers]),
        launch_type=launch,
        network_mode=mode,
        group=p.get("group") or f"family:{td.family}",
        cpu=overrides.get("cpu") or definition.get("cpu"),
        memory=overrides.get("memory") or definition.get("memory"),
        started_by=p.get("startedBy"),
        platform_version=PLATFORM_VERSION if launch == "FARGATE" else None,
        tags=tags,
        enable_execute_command=bool(p.get("enableExecuteCommand")),
        last_status="PROVISIONING" if mode == "awsvpc" else "PENDING",
    )
    if mode == "awsvpc":
        task.attachments = [eni_attachment(p["networkConfiguration"]["awsvpcConfiguration"])]
    state.tasks[arn] = task
    return task


def apply_override(definition: JSON, override: JSON) -> JSON:
    """A container definition with a RunTask containerOverride applied (environment merges by name)."""
    out = dict(definition)
    for key in ("command", "cpu", "memory", "memoryReservation", "environmentFiles", "resourceRequirements"):
        if override.get(key) is not None:
            out[key] = override[key]
    if override.get("environment"):
        merged = {e["name"]: e for e in definition.get("environment") or []}
        merged.update({e["name"]: e for e in override["environment"]})
        out["environment"] = list(merged.values())
    return out


def echo_overrides(overrides: JSON, names: list[str]) -> JSON:
    """The ``overrides`` AWS reports: one containerOverrides entry per container, given members kept."""
    given = {o["name"]: o for o in overrides.get("containerOverrides") or [] if o.get("name")}
    out = {k: v for k, v in overrides.items() if k != "containerOverrides"}
    out["containerOverrides"] = [given.get(name, {"name": name}) for name in names]
    out.setdefault("inferenceAcceleratorOverrides", [])
    return out


def eni_attachment(config: JSON) -> JSON:
    subnets = config.get("subnets") or ["subnet-00000000"]
    eni = "eni-" + uuid.uuid4().hex[:17]
    mac = "02:" + ":".join(uuid.uuid4().hex[i : i + 2] for i in range(0, 10, 2))
    return {
        "id": str(uuid.uuid4()),
        "type": "ElasticNetworkInterface",
        "status": "PRECREATED",
        "details": [
            {"name": "subnetId", "value": subnets[0]},
            {"name": "networkInterfaceId", "value": eni},
            {"name": "macAddress", "value": mac},
        ],
    }


def attach_eni(task: Task, address: str) -> None:
    """The ENI is attached once the task's network namespace exists; its address is the namespace's."""
    for attachment in task.attachments:
        attachment["status"] = "ATTACHED"
        attachment["details"] += [
            {"name": "privateDnsName", "value": f"ip-{address.replace('.', '-')}.ec2.internal"},
            {"name": "privateIPv4Address", "value": address},
        ]
        for container in task.containers:
            container.network_interfaces = [{"attachmentId": attachment["id"], "privateIpv4Address": address}]


def fingerprint(p: JSON) -> str:
    return json.dumps({k: v for k, v in p.items() if k != "clientToken"}, sort_keys=True, default=str)


def idempotent(state: EcsState, p: JSON) -> list[Task] | None:
    """The tasks an earlier RunTask with this clientToken started, or ConflictException if it differed."""
    token = p.get("clientToken")
    if not token or token not in state.task_tokens:
        return None
    previous, task_arns = state.task_tokens[token]
    if previous != fingerprint(p):
        raise AwsError(
            "ConflictException",
            "The specified client token has already been used with different parameters.",  # inferred
            resourceIds=task_arns,
        )
    return [state.tasks[a] for a in task_arns if a in state.tasks]


def remember(state: EcsState, p: JSON, started: list[Task]) -> None:
    if p.get("clientToken"):
        state.task_tokens[p["clientToken"]] = (fingerprint(p), [t.arn for t in started])


# -- lookups ----------------------------------------------------------------------------------------------


def task_id_of(ref: str) -> str | None:
    """The task id of an ARN or id; None when malformed."""
    parsed = arns.parse(ref)
    value = parsed[3].rsplit("/", 1)[-1] if parsed and parsed[2] == "task" else ref
    return value if _TASK_ID.match(value) else None


def find(state: EcsState, cluster: Cluster, ref: str) -> Task | None:
    task_id = task_id_of(ref)
    if task_id is None:
        return None
    task = state.tasks.get(state.arn("task", f"{cluster.name}/{task_id}"))
    return task if task is not None and task.cluster is cluster else None


def get(state: EcsState, cluster: Cluster, ref: str) -> Task:
    if task_id_of(ref) is None:
        raise invalid_parameter("Task Identifier is invalid")
    task = find(state, cluster, ref)
    if task is None:
        raise invalid_parameter("The referenced task was not found.")
    return task


def request_stop(task: Task, stop_code: str, reason: str) -> bool:
    """desiredStatus STOPPED with its code and reason; False when the task was already told to stop."""
    if task.desired_status == "STOPPED":
        return False
    task.desired_status = "STOPPED"
    task.stop_code = stop_code
    task.stopped_reason = reason
    task.mark("stoppingAt")
    task.changed()
    return True


def listing(state: EcsState, cluster: Cluster, p: JSON) -> list[str]:
    """ListTasks: filters combine; ``startedBy`` stands alone; desiredStatus defaults to RUNNING."""
    others = [k for k in ("family", "containerInstance", "serviceName", "launchType") if p.get(k)]
    if p.get("startedBy") and others:
        raise invalid_parameter("The startedBy filter cannot be combined with other filters.")  # inferred
    if p.get("serviceName") and p["serviceName"] not in getattr(state, "services", {}):
        raise service_not_found()
    if p.get("containerInstance"):
        return []  # dockyard has no container instances
    desired = p.get("desiredStatus") or "RUNNING"
    out = []
    for task in state.tasks.values():
        if task.cluster is not cluster or task.desired_status != desired:
            continue
        if p.get("startedBy") and task.started_by != p["startedBy"]:
            continue
        if p.get("family") and task.definition["family"] != p["family"]:
            continue
        if p.get("serviceName") and task.group != f"service:{p['serviceName']}":
            continue
        if p.get("launchType") and task.launch_type != p["launchType"]:
            continue
        out.append(task.arn)
    return out


def expire(state: EcsState, keep_s: float = 3600) -> None:
    """Stopped tasks stay describable for an hour, then vanish."""
    cutoff = time.time() - keep_s
    for arn, task in list(state.tasks.items()):
        if task.stopped and task.times.get("stoppedAt", cutoff) < cutoff:
            del state.tasks[arn]
