"""Capacity providers: the two AWS-managed ones (FARGATE, FARGATE_SPOT) that exist in every account and region.

dockyard has no Auto Scaling groups or managed instances, so Create/Update/DeleteCapacityProvider answer
UnsupportedFeatureException (from the provider base) rather than pretend.
"""

from __future__ import annotations

from dockyard.ecs import arns
from dockyard.ecs.errors import invalid_parameter
from dockyard.ecs.state import JSON, EcsState

BUILT_IN = ("FARGATE", "FARGATE_SPOT")


def describe(state: EcsState, name: str) -> JSON:
    """AWS lists ``tags: []`` for its own providers whether or not ``include=TAGS`` was asked."""
    return {
        "capacityProviderArn": state.arn("capacity-provider", name),
        "name": name,
        "status": "ACTIVE",
        "type": name,
        "tags": [],
    }


def lookup(state: EcsState, refs: list[str] | None) -> tuple[list[JSON], list[JSON]]:
    """(capacityProviders, failures) for DescribeCapacityProviders; every provider when ``refs`` is empty."""
    if not refs:
        return [describe(state, name) for name in BUILT_IN], []
    found, failures = [], []
    for ref in refs:
        name = arns.short_name(ref, "capacity-provider")
        if name in BUILT_IN and (not arns.parse(ref) or ref == state.arn("capacity-provider", name)):
            found.append(describe(state, name))
        else:
            failures.append(
                {"arn": ref if arns.parse(ref) else state.arn("capacity-provider", ref), "reason": "MISSING"}
            )
    return found, failures


def normalise_strategy(strategy: list[JSON]) -> list[JSON]:
    """Strategy items as AWS echoes them: ``weight`` and ``base`` default to 0."""
    return [{"capacityProvider": item["capacityProvider"], "weight": 0, "base": 0, **item} for item in strategy]


def check_strategy(providers: list[str], strategy: list[JSON]) -> None:
    """CreateCluster/PutClusterCapacityProviders: known providers, and a strategy drawn from them only."""
    for name in providers:
        if arns.short_name(name, "capacity-provider") not in BUILT_IN:
            raise invalid_parameter(f"The specified capacity provider '{name}' does not exist.")  # inferred
    if len(set(providers)) != len(providers):
        raise invalid_parameter("The specified capacity providers contain duplicates.")  # inferred
    chosen = {arns.short_name(name, "capacity-provider") for name in providers}
    if any(arns.short_name(item["capacityProvider"], "capacity-provider") not in chosen for item in strategy):
        raise invalid_parameter(
            "The specified capacity provider strategy cannot contain a capacity provider that is not associated with "
            "the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and "
            "try again."
        )
    if sum(1 for item in strategy if item.get("base")) > 1:
        raise invalid_parameter("Only one capacity provider in a capacity provider strategy can have a base specified.")
