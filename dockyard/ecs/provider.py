"""The ECS API: one provider class, one method per operation, grouped by resource under ``operations/``.

Each method parses nothing (the protocol layer did), calls the domain and shapes the reply. An operation of
the model with no method answers UnsupportedFeatureException.
"""

from __future__ import annotations

from dockyard.ecs.errors import unsupported
from dockyard.ecs.operations.account_settings import AccountSettingOperations
from dockyard.ecs.operations.capacity_providers import CapacityProviderOperations
from dockyard.ecs.operations.clusters import ClusterOperations
from dockyard.ecs.operations.container_instances import ContainerInstanceOperations
from dockyard.ecs.operations.tags import TagOperations
from dockyard.ecs.operations.task_definitions import TaskDefinitionOperations
from dockyard.ecs.operations.tasks import TaskOperations
from dockyard.protocol.errors import AwsError


class EcsProvider(
    ClusterOperations,
    CapacityProviderOperations,
    ContainerInstanceOperations,
    TaskDefinitionOperations,
    TaskOperations,
    TagOperations,
    AccountSettingOperations,
):
    def unsupported(self, operation: str) -> AwsError:
        return unsupported(f"{operation} is not supported by dockyard.")
