"""Cluster operations: CreateCluster, DescribeClusters, ListClusters, DeleteCluster, UpdateCluster,
UpdateClusterSettings, PutClusterCapacityProviders."""

from __future__ import annotations

from typing import Any

from dockyard.ecs import clusters, tags
from dockyard.ecs.operations.base import EcsOperations
from dockyard.ecs.state import Cluster, EcsState
from dockyard.protocol.provider import RequestContext

JSON = dict[str, Any]


class ClusterOperations(EcsOperations):
    def create_cluster(self, ctx: RequestContext, p: JSON) -> JSON:
        tags.validate(p.get("tags") or [])
        state = self.state(ctx)
        cluster = clusters.create(state, p.get("clusterName"), **p)
        return {"cluster": self._cluster(state, cluster, include=("TAGS", "SETTINGS", "CONFIGURATIONS"))}

    def describe_clusters(self, ctx: RequestContext, p: JSON) -> JSON:
        state = self.state(ctx)
        found, failures = [], []
        for ref in p.get("clusters") or [clusters.DEFAULT_CLUSTER]:
            cluster = clusters.find(state, ref)
            if cluster is None:
                failures.append({"arn": clusters.missing_arn(state, ref), "reason": "MISSING"})
            else:
                found.append(self._cluster(state, cluster, include=p.get("include", ())))
        return {"clusters": found, "failures": failures}

    def list_clusters(self, ctx: RequestContext, p: JSON) -> JSON:
        active = [c.arn for c in self.state(ctx).clusters.values() if c.status == "ACTIVE"]
        page, token = self.page(active, p, default=100)
        return {"clusterArns": page, "nextToken": token}

    def delete_cluster(self, ctx: RequestContext, p: JSON) -> JSON:
        state = self.state(ctx)
        cluster = clusters.delete(state, p["cluster"])
        return {"cluster": self._cluster(state, cluster, include=("SETTINGS", "CONFIGURATIONS"))}

    def update_cluster(self, ctx: RequestContext, p: JSON) -> JSON:
        state = self.state(ctx)
        cluster = clusters.get_active(state, p["cluster"])
        clusters.apply(cluster, **{k: v for k, v in p.items() if k != "cluster"})
        return {"cluster": self._cluster(state, cluster, include=("SETTINGS", "CONFIGURATIONS"))}

    def update_cluster_settings(self, ctx: RequestContext, p: JSON) -> JSON:
        state = self.state(ctx)
        cluster = clusters.get_active(state, p["cluster"])
        clusters.merge_settings(cluster, p["settings"])
        return {"cluster": self._cluster(state, cluster, include=("SETTINGS",))}

    def put_cluster_capacity_providers(self, ctx: RequestContext, p: JSON) -> JSON:
        state = self.state(ctx)
        cluster = clusters.get_active(state, p["cluster"])
        clusters.check_capacity_providers(cluster, p["capacityProviders"], p["defaultCapacityProviderStrategy"])
        clusters.apply(
            cluster,
            capacityProviders=p["capacityProviders"],
            defaultCapacityProviderStrategy=p["defaultCapacityProviderStrategy"],
        )
        return {"cluster": self._cluster(state, cluster, include=("SETTINGS", "CONFIGURATIONS"))}

    def _cluster(self, state: EcsState, cluster: Cluster, include: Any = ()) -> JSON:
        counts = clusters.task_counts(state, cluster)
        out: JSON = {
            "clusterArn": cluster.arn,
            "clusterName": cluster.name,
            "status": cluster.status,
            "registeredContainerInstancesCount": 0,
            "runningTasksCount": sum(n for (status, _), n in counts.items() if status == "RUNNING"),
            "pendingTasksCount": sum(n for (status, _), n in counts.items() if status == "PENDING"),
            "activeServicesCount": 0,
            "statistics": clusters.statistics(state, cluster) if "STATISTICS" in include else [],
            "capacityProviders": cluster.capacity_providers,
            "defaultCapacityProviderStrategy": cluster.default_strategy,
        }
        if "TAGS" in include:
            out["tags"] = cluster.tags
        if "SETTINGS" in include:
            out["settings"] = cluster.settings
        if "CONFIGURATIONS" in include and cluster.configuration:
            out["configuration"] = cluster.configuration
        if "ATTACHMENTS" in include:
            out["attachments"] = []
        if cluster.service_connect_defaults:
            out["serviceConnectDefaults"] = cluster.service_connect_defaults
        return out
