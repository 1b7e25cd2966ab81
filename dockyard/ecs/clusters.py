"""Cluster domain logic."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from dockyard.ecs import account_settings, arns, capacity_providers
from dockyard.ecs.errors import cluster_not_found, invalid_parameter
from dockyard.ecs.state import Cluster, EcsState
from dockyard.protocol.errors import AwsError

DEFAULT_CLUSTER = "default"
_NAME = re.compile(r"^[a-zA-Z0-9\-_]{1,255}$")


def create(state: EcsState, name: str | None, **config: Any) -> Cluster:
    """AWS answers CreateCluster for an existing ACTIVE cluster with that cluster, unchanged."""
    name = name or DEFAULT_CLUSTER
    if not _NAME.match(name):
        # the wording ECS uses for a bad cluster parameter
        raise invalid_parameter(f"Cluster must match {_NAME.pattern}, but was {name}")
    existing = state.clusters.get(name)
    if existing is not None and existing.status == "ACTIVE":
        return existing
    # a new cluster's Container Insights follows the account setting unless the request says otherwise
    insights = account_settings.effective(state, "containerInsights")["value"]
    cluster = Cluster(
        name=name, arn=state.arn("cluster", name), settings=[{"name": "containerInsights", "value": insights}]
    )
    check_capacity_providers(cluster, config.get("capacityProviders"), config.get("defaultCapacityProviderStrategy"))
    apply(cluster, **config)
    state.clusters[name] = cluster
    return cluster


def apply(cluster: Cluster, **config: Any) -> None:
    """Applies the optional CreateCluster/UpdateCluster members that were given."""
    if config.get("tags") is not None:
        cluster.tags = list(config["tags"])
    if config.get("settings") is not None:
        merge_settings(cluster, config["settings"])
    if config.get("configuration") is not None:
        cluster.configuration = config["configuration"]
    if config.get("capacityProviders") is not None:
        cluster.capacity_providers = list(config["capacityProviders"])
    if config.get("defaultCapacityProviderStrategy") is not None:
        cluster.default_strategy = capacity_providers.normalise_strategy(config["defaultCapacityProviderStrategy"])
    if config.get("serviceConnectDefaults") is not None:
        cluster.service_connect_defaults = config["serviceConnectDefaults"]


def merge_settings(cluster: Cluster, settings: list[dict[str, str]]) -> None:
    if any("name" not in s for s in settings):  # optional in the model, required by ECS
        raise invalid_parameter("Cluster setting name must be specified.")  # inferred
    by_name = {s["name"]: s for s in cluster.settings}
    for setting in settings:
        by_name[setting["name"]] = {"name": setting["name"], "value": setting.get("value", "")}
    cluster.settings = list(by_name.values())


def find(state: EcsState, ref: str | None) -> Cluster | None:
    """The cluster named by a short name or ARN (``default`` when omitted), whatever its status. An ARN of
    another account or region names nothing here."""
    ref = ref or DEFAULT_CLUSTER
    parsed = arns.parse(ref)
    if parsed and (parsed[0], parsed[1], parsed[2]) != (state.region, state.account, "cluster"):
        return None
    return state.clusters.get(arns.short_name(ref, "cluster"))


def get_active(state: EcsState, ref: str | None) -> Cluster:
    cluster = find(state, ref)
    if cluster is None or cluster.status != "ACTIVE":
        raise cluster_not_found()
    return cluster


def missing_arn(state: EcsState, ref: str) -> str:
    """The ARN AWS reports in ``failures[]`` for a cluster that does not exist."""
    return ref if arns.parse(ref) else state.arn("cluster", ref)


def check_capacity_providers(cluster: Cluster, providers: list[str] | None, strategy: list[Any] | None) -> None:
    capacity_providers.check_strategy(
        cluster.capacity_providers if providers is None else providers,
        cluster.default_strategy if strategy is None else strategy,
    )


# -- what runs in a cluster ------------------------------------------------------------------------------


def task_counts(state: EcsState, cluster: Cluster) -> Counter[tuple[str, str]]:
    """Tasks of ``cluster`` counted by (lastStatus RUNNING|PENDING, launch type EC2|FARGATE|EXTERNAL).

    Computed from the tasks each time, so the counters are exact whatever runs concurrently. They feed
    runningTasksCount, pendingTasksCount, STATISTICS and DeleteCluster's ClusterContainsTasksException.
    """
    counts: Counter[tuple[str, str]] = Counter()
    for task in state.tasks.values():
        if task.cluster is cluster and task.last_status in ("PROVISIONING", "PENDING", "ACTIVATING"):
            counts[("PENDING", task.launch_type)] += 1
        elif task.cluster is cluster and task.last_status == "RUNNING":
            counts[("RUNNING", task.launch_type)] += 1
    return counts


def statistics(state: EcsState, cluster: Cluster) -> list[dict[str, str]]:
    """DescribeClusters include=STATISTICS: counters by launch type, values as strings as AWS sends them."""
    counts = task_counts(state, cluster)
    out = []
    for status in ("running", "pending"):
        for launch, label in (("EC2", "EC2"), ("FARGATE", "Fargate"), ("EXTERNAL", "External")):
            out.append({"name": f"{status}{label}TasksCount", "value": str(counts[(status.upper(), launch)])})
    for state_name in ("active", "draining"):
        for label in ("EC2", "Fargate", "External"):
            out.append({"name": f"{state_name}{label}ServiceCount", "value": "0"})
    return out


def delete(state: EcsState, ref: str) -> Cluster:
    """DeleteCluster: an empty ACTIVE cluster becomes INACTIVE (still describable, no longer listed)."""
    cluster = get_active(state, ref)
    counts = task_counts(state, cluster)
    if sum(counts.values()):
        raise AwsError("ClusterContainsTasksException", "The Cluster cannot be deleted while Tasks are active.")
    cluster.status = "INACTIVE"
    return cluster
