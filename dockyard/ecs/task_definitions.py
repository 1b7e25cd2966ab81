"""Task definition domain logic: validation, the defaults AWS fills in, revisions and lookups.

What is stored is the *normalised* definition, exactly as DescribeTaskDefinition answers it, so every reader
(the API, RunTask, the runtime) sees the same values AWS would (../shared/aws-ecs-behaviour.md §1.7, §3).
Messages marked "inferred" are not confirmed against real ECS; the others are quoted from real output.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from dockyard.ecs import arns
from dockyard.ecs.errors import client_error, invalid_parameter
from dockyard.ecs.state import JSON, EcsState
from dockyard.protocol.errors import AwsError

UNABLE_TO_DESCRIBE = "Unable to describe task definition."

# Members of RegisterTaskDefinition that are stored as given (after normalisation below).
_TASK_MEMBERS = (
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "inferenceAccelerators",
    "ephemeralStorage",
    "runtimePlatform",
    "enableFaultInjection",
)
# Lists AWS echoes back as [] on every container definition when they were not given.
_EMPTY_LISTS = (
    "portMappings",
    "environment",
    "environmentFiles",
    "mountPoints",
    "volumesFrom",
    "ulimits",
    "systemControls",
)
_HEALTH_DEFAULTS = {"interval": 30, "timeout": 5, "retries": 3}
_HEALTH_RANGES = {"interval": (5, 300), "timeout": (2, 60), "retries": (1, 10), "startPeriod": (0, 300)}
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_CPU = re.compile(r"^\s*(\d*\.?\d+)\s*(vcpu)?\s*$", re.IGNORECASE)
_MEMORY = re.compile(r"^\s*(\d*\.?\d+)\s*(gb|mib|mb)?\s*$", re.IGNORECASE)


def _fargate_memory(cpu: int) -> list[int]:
    """Fargate's task cpu/memory grid (MiB per cpu units)."""
    grid = {
        256: [512, 1024, 2048],
        512: list(range(1024, 4097, 1024)),
        1024: list(range(2048, 8193, 1024)),
        2048: list(range(4096, 16385, 1024)),
        4096: list(range(8192, 30721, 1024)),
        8192: list(range(16384, 61441, 4096)),
        16384: list(range(32768, 122881, 8192)),
    }
    return grid.get(cpu, [])


@dataclass
class TaskDefinition:
    family: str
    revision: int
    arn: str
    body: JSON  # the normalised TaskDefinition members other than the bookkeeping fields below
    registered_by: str
    tags: list[JSON] = field(default_factory=list)
    status: str = "ACTIVE"
    registered_at: float = field(default_factory=time.time)
    deregistered_at: float | None = None
    delete_requested_at: float | None = None

    @property
    def containers(self) -> list[JSON]:
        return self.body["containerDefinitions"]

    def describe(self) -> JSON:
        """The TaskDefinition shape AWS answers."""
        out: JSON = {
            "taskDefinitionArn": self.arn,
            "family": self.family,
            "revision": self.revision,
            "status": self.status,
            **self.body,
            "registeredAt": self.registered_at,
            "registeredBy": self.registered_by,
        }
        if self.deregistered_at is not None:
            out["deregisteredAt"] = self.deregistered_at
        if self.delete_requested_at is not None:
            out["deleteRequestedAt"] = self.delete_requested_at
        return out


# -- registration -----------------------------------------------------------------------------------------


def register(state: EcsState, params: JSON) -> TaskDefinition:
    """Validates and stores a new revision of ``params['family']``; nothing changes when validation fails."""
    body = normalise(params)
    family = params["family"]
    revision = state.task_definition_revisions.get(family, 0) + 1
    td = TaskDefinition(
        family=family,
        revision=revision,
        arn=state.arn("task-definition", f"{family}:{revision}"),
        body=body,
        registered_by=f"arn:aws:iam::{state.account}:root",
        tags=list(params.get("tags") or []),
    )
    state.task_definition_revisions[family] = revision
    state.task_definitions[f"{family}:{revision}"] = td
    return td


def normalise(params: JSON) -> JSON:
    """The stored TaskDefinition members for a RegisterTaskDefinition request, or a ClientException."""
    if not _NAME.match(params["family"]):
        raise client_error("Family contains invalid characters.")
    containers = params["containerDefinitions"]
    if not containers:
        raise client_error("Container list cannot be empty.")
    mode = params.get("networkMode")
    cpu = _task_cpu(params.get("cpu"))
    memory = _task_memory(params.get("memory"))
    requires = params.get("requiresCompatibilities") or []
    volumes = [dict(v) for v in params.get("volumes") or []]
    _check_containers(containers, memory, {v.get("name") for v in volumes})
    if "FARGATE" in requires:
        _check_fargate(params, mode, cpu, memory)
    body: JSON = {"containerDefinitions": [_container(c, mode) for c in containers]}
    for name in _TASK_MEMBERS:
        if params.get(name) is not None:
            body[name] = params[name]
    body["volumes"] = volumes
    body["placementConstraints"] = list(params.get("placementConstraints") or [])
    required = _required_attributes(params)
    if required:  # AWS leaves the member out when the definition needs no agent capability
        body["requiresAttributes"] = required
    body["compatibilities"] = _compatibilities(mode, cpu, memory, params)
    if cpu is not None:
        body["cpu"] = cpu
    if memory is not None:
        body["memory"] = memory
    return body


def _task_cpu(value: str | None) -> str | None:
    """Task-level cpu as AWS stores it: CPU units as a string ("1 vCPU" -> "1024")."""
    if value is None:
        return None
    match = _CPU.match(value)
    if not match:
        raise client_error("Invalid 'cpu' setting for task.")
    amount = float(match.group(1)) * (1024 if match.group(2) else 1)
    if amount < 1 or amount != int(amount):
        raise client_error("Invalid 'cpu' setting for task.")
    return str(int(amount))


def _task_memory(value: str | None) -> str | None:
    """Task-level memory in MiB as a string ("1GB" -> "1024")."""
    if value is None:
        return None
    match = _MEMORY.match(value)
    if not match:
        raise client_error("Invalid 'memory' setting for task.")
    unit = (match.group(2) or "").lower()
    amount = float(match.group(1)) * (1024 if unit == "gb" else 1)
    if amount < 1 or amount != int(amount):
        raise client_error("Invalid 'memory' setting for task.")
    return str(int(amount))


def _check_containers(containers: list[JSON], task_memory: str | None, volumes: set[Any]) -> None:
    names: set[str] = set()
    for c in containers:
        if not c.get("name"):
            raise client_error("Container.name should not be null or empty.")
        if not c.get("image"):
            raise client_error("Container.image should not be null or empty.")
        name = c["name"]
        if not _NAME.match(name):
            raise client_error("Container.name contains invalid characters.")
        if name in names:
            raise client_error("Container names must be unique within a Task Definition.")
        names.add(name)
        if task_memory is None and c.get("memory") is None and c.get("memoryReservation") is None:
            raise client_error(
                f"Invalid setting for container '{name}'. At least one of 'memory' or 'memoryReservation' must be "
                "specified."
            )
        reservation, limit = c.get("memoryReservation"), c.get("memory")
        if reservation is not None and limit is not None and reservation > limit:
            raise client_error(  # inferred
                f"Invalid setting for container '{name}'. The memory reservation must be less than or equal to "
                "the memory limit."
            )
        for key, (low, high) in _HEALTH_RANGES.items():
            value = (c.get("healthCheck") or {}).get(key)
            if value is not None and not low <= value <= high:
                raise client_error(  # inferred
                    f"Invalid 'healthCheck' setting for container '{name}'. '{key}' must be between {low} and {high}."
                )
        for mount in c.get("mountPoints") or []:
            if mount.get("sourceVolume") not in volumes:
                raise client_error(  # inferred
                    f"Invalid 'mountPoints' setting for container '{name}'. Unknown volume "
                    f"'{mount.get('sourceVolume')}'."
                )
    if not any(c.get("essential", True) for c in containers):
        raise client_error("Task definition doesn't have any essential container.")
    by_name = {c["name"]: c for c in containers}
    for c in containers:
        for dep in c.get("dependsOn") or []:
            target = by_name.get(dep["containerName"])
            if target is None or target is c:
                raise client_error(  # inferred
                    f"Invalid 'dependsOn' setting for container '{c['name']}'. Container "
                    f"'{dep['containerName']}' does not exist in this task definition."
                )
            if dep["condition"] in ("SUCCESS", "COMPLETE") and target.get("essential", True):
                raise client_error(
                    "A dependency container with SUCCESS or COMPLETE condition cannot be an essential container"
                )
            if dep["condition"] == "HEALTHY" and not target.get("healthCheck"):
                raise client_error(  # inferred
                    f"Invalid 'dependsOn' setting for container '{c['name']}'. Container "
                    f"'{dep['containerName']}' must have a health check for the HEALTHY condition."
                )


def _check_fargate(params: JSON, mode: str | None, cpu: str | None, memory: str | None) -> None:
    if mode != "awsvpc":
        raise client_error("Fargate only supports network mode \u2018awsvpc\u2019.")
    if cpu is None:
        raise client_error("Fargate requires that 'cpu' be defined at the task level.")
    if memory is None:
        raise client_error("Fargate requires that 'memory' be defined at the task level.")
    if not _fargate_sized(cpu, memory):
        raise client_error(
            f"No Fargate configuration exists for given values: {cpu} CPU, {memory} memory. See the Amazon ECS "
            "documentation for the valid values."
        )
    uses_awslogs = any(
        (c.get("logConfiguration") or {}).get("logDriver") == "awslogs" for c in params["containerDefinitions"]
    )
    if uses_awslogs and not params.get("executionRoleArn"):
        raise client_error("Fargate requires task definition to have execution role ARN to support log driver awslogs.")


def _fargate_sized(cpu: str | None, memory: str | None) -> bool:
    return cpu is not None and memory is not None and int(memory) in _fargate_memory(int(cpu))


def _container(c: JSON, mode: str | None) -> JSON:
    out = dict(c)
    out.setdefault("cpu", 0)
    out.setdefault("essential", True)
    for name in _EMPTY_LISTS:
        out.setdefault(name, [])
    out["portMappings"] = [_port(p, mode, c["name"]) for p in out["portMappings"]]
    if out.get("healthCheck"):
        out["healthCheck"] = {**_HEALTH_DEFAULTS, **out["healthCheck"]}
    return out


def _port(mapping: JSON, mode: str | None, container: str) -> JSON:
    out = {**mapping, "protocol": mapping.get("protocol", "tcp")}
    if mode in ("awsvpc", "host") and "containerPort" in out:
        host = out.setdefault("hostPort", out["containerPort"])
        if host != out["containerPort"]:
            raise client_error(
                f"When networkMode={mode}, the host ports and container ports in port mappings must match."
            )
    if mode == "none":
        raise client_error(  # inferred
            f"Invalid 'portMappings' setting for container '{container}'. Port mappings are not allowed with "
            "networkMode=none."
        )
    return out


def _compatibilities(mode: str | None, cpu: str | None, memory: str | None, params: JSON) -> list[str]:
    """What the definition can run on, computed as AWS does (Fargate needs awsvpc and a grid size)."""
    if mode == "awsvpc":
        privileged = any(c.get("privileged") for c in params["containerDefinitions"])
        return ["EC2", "FARGATE"] if _fargate_sized(cpu, memory) and not privileged else ["EC2"]
    return ["EXTERNAL", "EC2"]


def _required_attributes(params: JSON) -> list[JSON]:
    """Agent capabilities the definition needs; ECS computes these at registration."""
    names: list[str] = []
    containers = params["containerDefinitions"]
    if params.get("networkMode") == "awsvpc":
        names += ["com.amazonaws.ecs.capability.docker-remote-api.1.18", "ecs.capability.task-eni"]
    if params.get("taskRoleArn"):
        names.append("com.amazonaws.ecs.capability.task-iam-role")
    for c in containers:
        driver = (c.get("logConfiguration") or {}).get("logDriver")
        if driver:
            names += [
                "com.amazonaws.ecs.capability.docker-remote-api.1.19",
                f"com.amazonaws.ecs.capability.logging-driver.{driver}",
            ]
            if driver == "awslogs" and params.get("executionRoleArn"):
                names.append("ecs.capability.execution-role-awslogs")
        if c.get("healthCheck"):
            names += ["com.amazonaws.ecs.capability.docker-remote-api.1.24", "ecs.capability.container-health-check"]
        if c.get("dependsOn"):
            names.append("ecs.capability.container-ordering")
        if c.get("memoryReservation") is not None:
            names.append("com.amazonaws.ecs.capability.docker-remote-api.1.21")
        for secret in c.get("secrets") or []:
            kind = "ssm" if ":ssm:" in secret["valueFrom"] or not secret["valueFrom"].startswith("arn:") else "asm"
            names.append(f"ecs.capability.secrets.{kind}.environment-variables")
        if ".dkr.ecr." in c.get("image", "") and params.get("executionRoleArn"):
            names += ["com.amazonaws.ecs.capability.ecr-auth", "ecs.capability.execution-role-ecr-pull"]
    return [{"name": name} for name in dict.fromkeys(names)]


# -- lookups ----------------------------------------------------------------------------------------------


def _split(ref: str) -> tuple[str, str | None]:
    """(family, revision or None) of a family, family:revision or task definition ARN."""
    parsed = arns.parse(ref)
    name = parsed[3] if parsed and parsed[2] == "task-definition" else ref
    family, _, revision = name.partition(":")
    return family, (revision if ":" in name else None)


def resolve(state: EcsState, ref: str, message: str = UNABLE_TO_DESCRIBE) -> TaskDefinition:
    """The definition ``ref`` names: a family (its latest ACTIVE revision), ``family:revision`` (any status) or
    a full ARN. Anything else is AWS's ClientException with ``message``."""
    parsed = arns.parse(ref)
    if parsed and (parsed[2] != "task-definition" or (parsed[0], parsed[1]) != (state.region, state.account)):
        raise client_error(message)
    family, revision = _split(ref)
    if revision is None:
        latest = state.task_definition_revisions.get(family, 0)
        for number in range(latest, 0, -1):
            td = state.task_definitions.get(f"{family}:{number}")
            if td is not None and td.status == "ACTIVE":
                return td
        raise client_error(message)
    td = state.task_definitions.get(f"{family}:{revision}") if revision.isdigit() else None
    if td is None:
        raise client_error(message)
    return td


def _with_revision(state: EcsState, ref: str) -> TaskDefinition:
    """Deregister/Delete name an exact revision."""
    _, revision = _split(ref)
    if revision is None:
        raise client_error(
            "The specified task definition identifier is invalid. Specify a valid name or ARN and try again."
        )
    if not revision.isdigit():
        raise invalid_parameter(f"Invalid revision number. Number: {revision}")
    return resolve(
        state,
        ref,
        "The specified task definition does not exist. Specify a valid account, family, revision and try again.",
    )


def deregister(state: EcsState, ref: str) -> TaskDefinition:
    td = _with_revision(state, ref)
    if td.status == "ACTIVE":
        td.status = "INACTIVE"
        td.deregistered_at = time.time()
    return td


def delete(state: EcsState, refs: list[str]) -> tuple[list[TaskDefinition], list[JSON]]:
    """Marks INACTIVE revisions DELETE_IN_PROGRESS; failures for the rest, as DeleteTaskDefinitions answers."""
    if not refs:
        raise invalid_parameter("size of TaskDefinition references list must be greater than 0")
    if len(refs) > 10:
        raise invalid_parameter("Size of TaskDefinition references list cannot exceed 10")
    deleted, failures = [], []
    for ref in refs:
        try:
            td = _with_revision(state, ref)
        except AwsError as error:  # each bad reference is a failure, not an error of the whole call
            failures.append({"arn": ref, "reason": error.message})
            continue
        if td.status == "ACTIVE":
            failures.append(
                {
                    "arn": td.arn,
                    "reason": "The specified task definition is still in ACTIVE status. Please deregister the target "
                    "and try again.",
                }
            )
            continue
        if td.status == "INACTIVE":
            td.status = "DELETE_IN_PROGRESS"
            td.delete_requested_at = time.time()
        deleted.append(td)
    return deleted, failures


def listing(state: EcsState, family: str | None, status: str, descending: bool) -> list[str]:
    """ARNs for ListTaskDefinitions: family then revision, ascending unless ``descending``."""
    found = [
        td for td in state.task_definitions.values() if td.status == status and (family is None or td.family == family)
    ]
    found.sort(key=lambda td: (td.family, td.revision), reverse=descending)
    return [td.arn for td in found]


def families(state: EcsState, prefix: str | None, status: str) -> list[str]:
    """Family names for ListTaskDefinitionFamilies (ACTIVE: has an ACTIVE revision; INACTIVE: has none)."""
    active = {td.family for td in state.task_definitions.values() if td.status == "ACTIVE"}
    names = sorted(state.task_definition_revisions)
    if prefix:
        names = [n for n in names if n.startswith(prefix)]
    if status == "ACTIVE":
        return [n for n in names if n in active]
    if status == "INACTIVE":
        return [n for n in names if n not in active]
    return names
