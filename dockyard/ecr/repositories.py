"""Repository domain logic: create, find, delete, tag mutability."""

from __future__ import annotations

import fnmatch
import re
from typing import Any

from dockyard.ecr.errors import invalid_parameter, repository_not_found
from dockyard.ecr.state import EcrState, Repository
from dockyard.protocol.errors import AwsError

NAME = re.compile(r"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*")


def create(state: EcrState, name: str, **config: Any) -> Repository:
    if not NAME.fullmatch(name):
        raise invalid_parameter(
            "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression "
            f"'{NAME.pattern}''"
        )
    if name in state.repositories:
        raise AwsError(
            "RepositoryAlreadyExistsException",
            f"The repository with name '{name}' already exists in the registry with id '{state.account}'",
        )
    encryption = config.get("encryptionConfiguration") or {"encryptionType": "AES256"}
    if encryption.get("encryptionType") == "AES256" and encryption.get("kmsKey"):
        raise invalid_parameter("Invalid parameter: KMS key should not be specified with the encryption type AES256")
    if encryption.get("encryptionType") in ("KMS", "KMS_DSSE") and not encryption.get("kmsKey"):
        encryption = {**encryption, "kmsKey": f"arn:aws:kms:{state.region}:{state.account}:alias/aws/ecr"}
    repo = Repository(name=name, arn=state.arn(name), registry_id=state.account, encryption=encryption)
    set_mutability(
        repo, config.get("imageTagMutability") or "MUTABLE", config.get("imageTagMutabilityExclusionFilters")
    )
    repo.scan_on_push = bool((config.get("imageScanningConfiguration") or {}).get("scanOnPush", False))
    repo.tags = list(config.get("tags") or [])
    state.repositories[name] = repo
    return repo


def get(state: EcrState, name: str, registry_id: str | None = None) -> Repository:
    repo = state.repositories.get(name)
    if repo is None or (registry_id and registry_id != state.account):
        raise repository_not_found(name, registry_id or state.account)
    return repo


def delete(state: EcrState, name: str, force: bool, registry_id: str | None = None) -> Repository:
    repo = get(state, name, registry_id)
    if repo.images and not force:
        raise AwsError(
            "RepositoryNotEmptyException",
            f"The repository with name '{name}' in registry with id '{state.account}' cannot be deleted because it "
            "still contains images",
        )
    del state.repositories[name]
    return repo


def set_mutability(repo: Repository, mutability: str, exclusions: list[dict[str, str]] | None) -> None:
    with_exclusion = mutability.endswith("_WITH_EXCLUSION")
    if with_exclusion and not exclusions:
        raise invalid_parameter(f"imageTagMutabilityExclusionFilters must be specified with {mutability}")
    if exclusions and not with_exclusion:
        raise invalid_parameter(f"imageTagMutabilityExclusionFilters cannot be specified with {mutability}")
    repo.tag_mutability = mutability
    repo.mutability_exclusions = list(exclusions or [])


def tag_is_immutable(repo: Repository, tag: str) -> bool:
    excluded = any(fnmatch.fnmatchcase(tag, f["filter"]) for f in repo.mutability_exclusions)
    if repo.tag_mutability == "IMMUTABLE":
        return True
    if repo.tag_mutability == "IMMUTABLE_WITH_EXCLUSION":
        return not excluded
    if repo.tag_mutability == "MUTABLE_WITH_EXCLUSION":
        return excluded
    return False


def find_by_arn(state: EcrState, arn: str) -> Repository:
    prefix = state.arn("")
    if not arn.startswith(prefix):
        raise invalid_parameter(f"Invalid parameter at 'resourceArn' failed to satisfy constraint: '{arn}'")
    return get(state, arn[len(prefix) :])
