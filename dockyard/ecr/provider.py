"""The ECR API: one provider class, one method per operation, grouped by resource under ``operations/``.

An operation of the model with no method (pull-through cache, replication, templates, signing, registry
scanning runs, account settings, archives) answers ValidationException naming the operation.
"""

from __future__ import annotations

from dockyard.ecr.errors import unsupported
from dockyard.ecr.operations.images import ImageOperations
from dockyard.ecr.operations.layers import LayerOperations
from dockyard.ecr.operations.lifecycle import LifecycleOperations
from dockyard.ecr.operations.registry import RegistryOperations
from dockyard.ecr.operations.repositories import RepositoryOperations
from dockyard.protocol.errors import AwsError


class EcrProvider(RepositoryOperations, ImageOperations, LayerOperations, LifecycleOperations, RegistryOperations):
    def unsupported(self, operation: str) -> AwsError:
        return unsupported(operation)
