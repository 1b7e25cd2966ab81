"""Cluster operations: CreateCluster, DescribeClusters, ListClusters, DeleteCluster, UpdateCluster,
UpdateClusterSettings."""

from __future__ import annotations

from typing import Any

from dockyard.ecs import clusters
from dockyard.ecs.operations.base import EcsOperations
from dockyard.ecs.state import Cluster
from dockyard.protocol.pagination import paginate
from dockyard.protocol.provider import RequestContext

JSON = dict[str, Any]


class ClusterOperations(EcsOperations):
    # -- clusters ------------------------------------------------------------------------------------------

    def create_cluster(self, ctx: RequestContext, p: JSON) -> JSON:
        cluster = clusters.create(self.state(ctx), p.get("clusterName"), **p)
        return {"cluster": self._cluster(ctx, cluster, include=("TAGS", "SETTINGS", "CONFIGURATIONS"))}

    def describe_clusters(self, ctx: RequestContext, p: JSON) -> JSON:
        state = self.state(ctx)
        found, failures = [], []
        for ref in p.get("clusters") or [clusters.DEFAULT_CLUSTER]:
            cluster = clusters.find(state, ref)
            if cluster is None:
                failures.append({"arn": clusters.missing_arn(state, ref), "reason": "MISSING"})
            else:
                found.append(self._cluster(ctx, cluster, include=p.get("include", ())))
        return {"clusters": found, "failures": failures}

    def list_clusters(self, ctx: RequestContext, p: JSON) -> JSON:
        active = [c.arn for c in self.state(ctx).clusters.values() if c.status == "ACTIVE"]
        page, token = paginate(active, p.get("maxResults"), p.get("nextToken"), default_page=100)
        return {"clusterArns": page, "nextToken": token}

    def delete_cluster(self, ctx: RequestContext, p: JSON) -> JSON:
        cluster = clusters.get_active(self.state(ctx), p["cluster"])
        cluster.status = "INACTIVE"
        return {"cluster": self._cluster(ctx, cluster, include=("SETTINGS", "CONFIGURATIONS"))}

    def update_cluster(self, ctx: RequestContext, p: JSON) -> JSON:
        cluster = clusters.get_active(self.state(ctx), p["cluster"])
        clusters.apply(cluster, **{k: v for k, v in p.items() if k != "cluster"})
        return {"cluster": self._cluster(ctx, cluster, include=("SETTINGS", "CONFIGURATIONS"))}

    def update_cluster_settings(self, ctx: RequestContext, p: JSON) -> JSON:
        cluster = clusters.get_active(self.state(ctx), p["cluster"])
        clusters.merge_settings(cluster, p["settings"])
        return {"cluster": self._cluster(ctx, cluster, include=("SETTINGS",))}

    def _cluster(self, ctx: RequestContext, cluster: Cluster, include: Any = ()) -> JSON:
        out: JSON = {
            "clusterArn": cluster.arn,
            "clusterName": cluster.name,
            "status": cluster.status,
            "registeredContainerInstancesCount": 0,
            "runningTasksCount": 0,
            "pendingTasksCount": 0,
            "activeServicesCount": 0,
            "statistics": [],
            "capacityProviders": cluster.capacity_providers,
            "defaultCapacityProviderStrategy": cluster.default_strategy,
        }
        if "TAGS" in include:
            out["tags"] = cluster.tags
        if "SETTINGS" in include:
            out["settings"] = cluster.settings
        if "CONFIGURATIONS" in include and cluster.configuration:
            out["configuration"] = cluster.configuration
        if cluster.service_connect_defaults:
            out["serviceConnectDefaults"] = cluster.service_connect_defaults
        return out
