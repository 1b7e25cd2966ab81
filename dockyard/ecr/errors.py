"""ECR's errors, with the messages real ECR answers (../shared/aws-ecs-behaviour.md §7)."""

from __future__ import annotations

import json

from dockyard.protocol.errors import AwsError


def invalid_parameter(message: str) -> AwsError:
    return AwsError("InvalidParameterException", message)


def check_policy(text: str, kind: str) -> str:
    """An IAM-style policy document must be a JSON object with a Statement; ``kind`` is repository or registry."""
    try:
        policy = json.loads(text)
        if isinstance(policy, dict) and "Statement" in policy:
            return text
    except ValueError:
        pass
    raise invalid_parameter(
        f"Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid {kind} policy provided'"
    )


def repository_not_found(name: str, registry_id: str) -> AwsError:
    return AwsError(
        "RepositoryNotFoundException",
        f"The repository with name '{name}' does not exist in the registry with id '{registry_id}'",
    )


def image_not_found(image_id: dict[str, str], name: str, registry_id: str) -> AwsError:
    digest = image_id.get("imageDigest") or "null"
    tag = image_id.get("imageTag") or "null"
    return AwsError(
        "ImageNotFoundException",
        f"The image with imageId {{imageDigest:'{digest}', imageTag:'{tag}'}} does not exist within the repository "
        f"with name '{name}' in the registry with id '{registry_id}'",
    )


def tag_immutable(tag: str, name: str) -> AwsError:
    return AwsError(
        "ImageTagAlreadyExistsException",
        f"The image tag '{tag}' already exists in the '{name}' repository and cannot be overwritten because the "
        "repository is immutable.",
    )


def layers_not_found(digests: list[str], name: str, registry_id: str) -> AwsError:
    return AwsError(
        "LayersNotFoundException",
        f"Layers with digests {digests} required for pushing image into repository with name '{name}' in the "
        f"registry with id '{registry_id}' do not exist",
    )


def unsupported(operation: str) -> AwsError:
    # ECR's model has no "unsupported" error; ValidationException is the modelled code that says "this request
    # cannot be served as asked" without pretending a resource is missing.
    return AwsError("ValidationException", f"{operation} is not supported by dockyard.")
