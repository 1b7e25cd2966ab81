"""Repository operations: CreateRepository, DescribeRepositories, DeleteRepository, PutImageTagMutability,
PutImageScanningConfiguration, Get/Set/DeleteRepositoryPolicy, TagResource, UntagResource, ListTagsForResource."""

from __future__ import annotations

from dockyard.ecr import repositories
from dockyard.ecr.errors import check_policy, invalid_parameter
from dockyard.ecr.operations.base import JSON, EcrOperations
from dockyard.ecr.state import Repository
from dockyard.protocol.errors import AwsError
from dockyard.protocol.pagination import paginate
from dockyard.protocol.provider import RequestContext

MAX_TAGS = 50


class RepositoryOperations(EcrOperations):
    def create_repository(self, ctx: RequestContext, p: JSON) -> JSON:
        if p.get("tags"):
            _check_tags(p["tags"])
        repo = repositories.create(self.state(ctx), p["repositoryName"], **p)
        return {"repository": self._repository(ctx, repo)}

    def describe_repositories(self, ctx: RequestContext, p: JSON) -> JSON:
        state = self.state(ctx)
        names = p.get("repositoryNames")
        if names and p.get("nextToken"):
            raise invalid_parameter("Invalid parameter: nextToken cannot be specified with repositoryNames")
        if names:
            found = [repositories.get(state, name, p.get("registryId")) for name in names]
        else:
            found = sorted(state.repositories.values(), key=lambda r: r.created_at)
        page, token = paginate(found, p.get("maxResults"), p.get("nextToken"), default_page=100)
        return {"repositories": [self._repository(ctx, r) for r in page], "nextToken": token}

    def delete_repository(self, ctx: RequestContext, p: JSON) -> JSON:
        repo = repositories.delete(self.state(ctx), p["repositoryName"], bool(p.get("force")), p.get("registryId"))
        return {"repository": self._repository(ctx, repo)}

    def put_image_tag_mutability(self, ctx: RequestContext, p: JSON) -> JSON:
        repo = self.repo(ctx, p)
        repositories.set_mutability(repo, p["imageTagMutability"], p.get("imageTagMutabilityExclusionFilters"))
        return {
            "registryId": repo.registry_id,
            "repositoryName": repo.name,
            "imageTagMutability": repo.tag_mutability,
            "imageTagMutabilityExclusionFilters": repo.mutability_exclusions or None,
        }

    def put_image_scanning_configuration(self, ctx: RequestContext, p: JSON) -> JSON:
        repo = self.repo(ctx, p)
        repo.scan_on_push = bool(p["imageScanningConfiguration"].get("scanOnPush", False))
        return {
            "registryId": repo.registry_id,
            "repositoryName": repo.name,
            "imageScanningConfiguration": {"scanOnPush": repo.scan_on_push},
        }

    # -- policies ------------------------------------------------------------------------------------------

    def set_repository_policy(self, ctx: RequestContext, p: JSON) -> JSON:
        repo = self.repo(ctx, p)
        repo.policy = check_policy(p["policyText"], "repository")
        return {"registryId": repo.registry_id, "repositoryName": repo.name, "policyText": repo.policy}

    def get_repository_policy(self, ctx: RequestContext, p: JSON) -> JSON:
        repo = self.repo(ctx, p)
        return {"registryId": repo.registry_id, "repositoryName": repo.name, "policyText": self._policy(repo)}

    def delete_repository_policy(self, ctx: RequestContext, p: JSON) -> JSON:
        repo = self.repo(ctx, p)
        text = self._policy(repo)
        repo.policy = None
        return {"registryId": repo.registry_id, "repositoryName": repo.name, "policyText": text}

    @staticmethod
    def _policy(repo: Repository) -> str:
        if repo.policy is None:
            raise AwsError(
                "RepositoryPolicyNotFoundException",
                f"Repository policy does not exist for the repository with name '{repo.name}' in the registry with "
                f"id '{repo.registry_id}'",
            )
        return repo.policy

    # -- tagging -------------------------------------------------------------------------------------------

    def tag_resource(self, ctx: RequestContext, p: JSON) -> JSON:
        repo = repositories.find_by_arn(self.state(ctx), p["resourceArn"])
        merged = {t["Key"]: t for t in repo.tags}
        merged.update({t["Key"]: t for t in p["tags"]})
        _check_tags(list(merged.values()))
        repo.tags = list(merged.values())
        return {}

    def untag_resource(self, ctx: RequestContext, p: JSON) -> JSON:
        repo = repositories.find_by_arn(self.state(ctx), p["resourceArn"])
        repo.tags = [t for t in repo.tags if t["Key"] not in set(p["tagKeys"])]
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, p: JSON) -> JSON:
        return {"tags": repositories.find_by_arn(self.state(ctx), p["resourceArn"]).tags}

    def _repository(self, ctx: RequestContext, repo: Repository) -> JSON:
        return {
            "repositoryArn": repo.arn,
            "registryId": repo.registry_id,
            "repositoryName": repo.name,
            "repositoryUri": f"{self.ecr.registry_host(ctx.host)}/{repo.name}",
            "createdAt": repo.created_at,
            "imageTagMutability": repo.tag_mutability,
            "imageTagMutabilityExclusionFilters": repo.mutability_exclusions or None,
            "imageScanningConfiguration": {"scanOnPush": repo.scan_on_push},
            "encryptionConfiguration": repo.encryption,
        }


def _check_tags(tags: list[JSON]) -> None:
    if len(tags) > MAX_TAGS:
        raise AwsError("TooManyTagsException", f"Tag limit of {MAX_TAGS} exceeded for the resource")
    for tag in tags:
        if tag["Key"].lower().startswith("aws:"):
            raise AwsError("InvalidTagParameterException", "Tag keys with the prefix 'aws:' are reserved")
