"""What the task metadata and credentials endpoints know: one entry per task, random ids per container.

Ids are unguessable (uuid4) and the caller's address must also belong to the task when the engine reports
addresses, so one task can never read another's credentials or metadata.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dockyard.adapters import sts

JSON = dict[str, Any]
REFRESH_BEFORE_S = 15 * 60  # hand out fresh keys well before SDKs (5 min) would refresh


@dataclass
class TaskEntry:
    account: str
    region: str
    task_arn: str
    role_arn: str | None
    credentials_id: str | None
    endpoints: dict[str, str]  # endpoint id -> container name
    task: JSON = field(default_factory=dict)  # the latest DescribeTasks view
    log_options: dict[str, JSON] = field(default_factory=dict)  # container -> translated log options
    addresses: set[str] = field(default_factory=set)
    credentials: sts.Credentials | None = None

    def allows(self, caller: str | None) -> bool:
        return not self.addresses or caller is None or caller in self.addresses or caller.startswith("127.")


class Registry:
    def __init__(self) -> None:
        self.tasks: dict[str, TaskEntry] = {}
        self.by_endpoint: dict[str, TaskEntry] = {}
        self.by_credentials: dict[str, TaskEntry] = {}

    def add(self, account: str, region: str, task_arn: str, role_arn: str | None, containers: list[str]) -> TaskEntry:
        entry = TaskEntry(
            account=account,
            region=region,
            task_arn=task_arn,
            role_arn=role_arn,
            credentials_id=str(uuid.uuid4()) if role_arn else None,
            endpoints={f"{uuid.uuid4().hex}-{name_hash(name)}": name for name in containers},
        )
        self.tasks[task_arn] = entry
        for endpoint in entry.endpoints:
            self.by_endpoint[endpoint] = entry
        if entry.credentials_id:
            self.by_credentials[entry.credentials_id] = entry
        return entry

    def remove(self, task_arn: str) -> TaskEntry | None:
        entry = self.tasks.pop(task_arn, None)
        if entry is not None:
            for endpoint in entry.endpoints:
                self.by_endpoint.pop(endpoint, None)
            if entry.credentials_id:
                self.by_credentials.pop(entry.credentials_id, None)
        return entry

    def clear(self) -> None:
        self.tasks.clear()
        self.by_endpoint.clear()
        self.by_credentials.clear()


def name_hash(name: str) -> str:
    return f"{uuid.uuid5(uuid.NAMESPACE_OID, name).int % 10**10:010d}"


def credentials_body(entry: TaskEntry) -> JSON:
    """The credentials JSON the agent serves; STS-issued so the keys identify as the assumed role."""
    assert entry.role_arn is not None
    creds = entry.credentials
    if creds is None or creds.expiration.timestamp() - time.time() < REFRESH_BEFORE_S:
        session = entry.task_arn.rsplit("/", 1)[-1]
        creds = entry.credentials = sts.assume_role(entry.region, entry.role_arn, session)
    return {
        "RoleArn": creds.role_arn,
        "AccessKeyId": creds.access_key_id,
        "SecretAccessKey": creds.secret_access_key,
        "Token": creds.token,
        "Expiration": iso(creds.expiration, fraction=False),
        "AccountId": creds.account,
    }


def iso(moment: datetime | float, fraction: bool = True) -> str:
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, UTC)
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{moment.microsecond:06d}Z" if fraction else f"{text}Z"


# ECS task/container statuses as the agent names them internally (TMDS KnownStatus).
_KNOWN = {"PROVISIONING": "NONE", "PENDING": "PENDING", "ACTIVATING": "PENDING", "RUNNING": "RUNNING"}


def _known(status: str | None) -> str:
    return _KNOWN.get(status or "", "STOPPED") if status not in ("STOPPING", "DEPROVISIONING") else "RUNNING"


def container_body(entry: TaskEntry, name: str, runtime: JSON) -> JSON:
    """One container as ``${ECS_CONTAINER_METADATA_URI_V4}`` shows it; ``runtime`` holds engine facts."""
    task = entry.task
    described = next((c for c in task.get("containers", []) if c.get("name") == name), {})
    definition = runtime.get("definition") or {}
    family, revision = _family_revision(task)
    out: JSON = {
        "DockerId": described.get("runtimeId"),
        "Name": name,
        "DockerName": f"ecs-{family}-{revision}-{name}-{entry.task_arn.rsplit('/', 1)[-1][:20]}",
        "Image": described.get("image") or definition.get("image"),
        "ImageID": runtime.get("image_id"),
        "Labels": {
            "com.amazonaws.ecs.cluster": task.get("clusterArn", "").rsplit("/", 1)[-1],
            "com.amazonaws.ecs.container-name": name,
            "com.amazonaws.ecs.task-arn": entry.task_arn,
            "com.amazonaws.ecs.task-definition-family": family,
            "com.amazonaws.ecs.task-definition-version": revision,
        },
        "DesiredStatus": "STOPPED" if task.get("desiredStatus") == "STOPPED" else "RUNNING",
        "KnownStatus": _known(described.get("lastStatus")),
        "Limits": {"CPU": int(definition.get("cpu") or 0), "Memory": int(definition.get("memory") or 0)},
        "CreatedAt": iso(task["createdAt"]) if task.get("createdAt") else None,
        "StartedAt": iso(runtime["started_at"]) if runtime.get("started_at") else None,
        "FinishedAt": iso(runtime["finished_at"]) if runtime.get("finished_at") else None,
        "Type": "NORMAL",
        "ContainerARN": described.get("containerArn"),
        "Networks": _networks(task, runtime),
        "ExitCode": described.get("exitCode"),
    }
    if described.get("healthStatus") and definition.get("healthCheck"):
        out["Health"] = {"status": described["healthStatus"]}
    config = definition.get("logConfiguration") or {}
    if config.get("logDriver"):
        out["LogDriver"] = config["logDriver"]
        out["LogOptions"] = entry.log_options.get(name) or config.get("options") or {}
    ports = [
        {
            "ContainerPort": b.get("containerPort"),
            "Protocol": b.get("protocol", "tcp"),
            "HostPort": b.get("hostPort"),
            "HostIp": b.get("bindIP"),
        }
        for b in described.get("networkBindings") or []
    ]
    if ports:
        out["Ports"] = ports
    return {k: v for k, v in out.items() if v is not None}


def task_body(entry: TaskEntry, containers: list[JSON]) -> JSON:
    task = entry.task
    family, revision = _family_revision(task)
    launch = task.get("launchType")
    out: JSON = {
        "Cluster": task.get("clusterArn") if launch == "FARGATE" else task.get("clusterArn", "").rsplit("/", 1)[-1],
        "TaskARN": entry.task_arn,
        "Family": family,
        "Revision": revision,
        "DesiredStatus": "STOPPED" if task.get("desiredStatus") == "STOPPED" else "RUNNING",
        "KnownStatus": _known(task.get("lastStatus")),
        "Containers": containers,
        "PullStartedAt": iso(task["pullStartedAt"]) if task.get("pullStartedAt") else None,
        "PullStoppedAt": iso(task["pullStoppedAt"]) if task.get("pullStoppedAt") else None,
        "ExecutionStoppedAt": iso(task["executionStoppedAt"]) if task.get("executionStoppedAt") else None,
        "AvailabilityZone": task.get("availabilityZone"),
        "LaunchType": launch,
        "ClockDrift": {
            "ClockErrorBound": 0.5,
            "ReferenceTimestamp": iso(time.time()),
            "ClockSynchronizationStatus": "SYNCHRONIZED",
        },
        "FaultInjectionEnabled": False,
    }
    limits: JSON = {}
    if task.get("cpu"):
        limits["CPU"] = int(task["cpu"]) / 1024
    if task.get("memory"):
        limits["Memory"] = int(task["memory"])
    if limits:
        out["Limits"] = limits
    group = task.get("group") or ""
    if group.startswith("service:"):
        out["ServiceName"] = group.removeprefix("service:")
    if launch == "FARGATE":
        out["EphemeralStorageMetrics"] = {"Utilized": 0, "Reserved": 20496}
    return {k: v for k, v in out.items() if v is not None}


def _family_revision(task: JSON) -> tuple[str, str]:
    family_revision = task.get("taskDefinitionArn", "").rsplit("/", 1)[-1]
    family, _, revision = family_revision.rpartition(":")
    return family, revision


def _networks(task: JSON, runtime: JSON) -> list[JSON]:
    mode = runtime.get("network_mode") or "bridge"
    eni = [
        d["value"]
        for a in task.get("attachments") or []
        for d in a.get("details") or []
        if d.get("name") == "privateIPv4Address"
    ]
    addresses = eni if mode == "awsvpc" and eni else sorted(runtime.get("addresses") or [])
    network: JSON = {"NetworkMode": mode, "IPv4Addresses": addresses}
    if mode == "awsvpc":
        network["AttachmentIndex"] = 0
    return [network]
