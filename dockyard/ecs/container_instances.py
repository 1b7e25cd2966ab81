"""Container instances and their attributes.

dockyard runs tasks on its own container engine, not on registered EC2 instances, so no cluster ever has a
container instance: listings are empty, DescribeContainerInstances reports MISSING, and attributes (whose
only target type is container-instance) have no target to attach to.
"""

from __future__ import annotations

from collections import Counter

from dockyard.ecs import arns
from dockyard.ecs.errors import invalid_parameter
from dockyard.ecs.state import JSON, Cluster, EcsState
from dockyard.protocol.errors import AwsError

MAX_ATTRIBUTES = 10


def missing(state: EcsState, cluster: Cluster, refs: list[str]) -> list[JSON]:
    """DescribeContainerInstances failures for ``refs`` (every one of them, as there are no instances)."""
    if not refs:
        raise invalid_parameter("Container Instances cannot be empty.")
    return [
        {
            "arn": ref if arns.parse(ref) else state.arn("container-instance", f"{cluster.name}/{ref}"),
            "reason": "MISSING",
        }
        for ref in refs
    ]


def check_attribute_targets(attributes: list[JSON]) -> None:
    """Put/DeleteAttributes: at most 10 custom attributes per target, and the target must exist (none does)."""
    if not attributes:
        raise invalid_parameter("attributes can not be empty")
    per_target = Counter(a.get("targetId") for a in attributes)
    if any(count > MAX_ATTRIBUTES for count in per_target.values()):
        raise AwsError(
            "AttributeLimitExceededException",
            f"You can apply up to {MAX_ATTRIBUTES} custom attributes for each resource.",  # inferred wording
        )
    target = attributes[0].get("targetId")
    if not target:
        raise invalid_parameter("attributes targetId can not be empty.")  # inferred wording
    raise AwsError("TargetNotFoundException", f"Could not find {target}.")
