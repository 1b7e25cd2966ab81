"""ECS's errors, with the messages real ECS answers (../shared/aws-ecs-behaviour.md §1.3)."""

from __future__ import annotations

from dockyard.protocol.errors import AwsError


def client_error(message: str) -> AwsError:
    return AwsError("ClientException", message)


def invalid_parameter(message: str) -> AwsError:
    return AwsError("InvalidParameterException", message)


def cluster_not_found() -> AwsError:
    return AwsError("ClusterNotFoundException", "Cluster not found.")


def service_not_found() -> AwsError:
    return AwsError("ServiceNotFoundException", "Service not found.")


def unsupported(message: str) -> AwsError:
    return AwsError("UnsupportedFeatureException", message)
