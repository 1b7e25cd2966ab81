"""Lifecycle policy operations: Put/Get/DeleteLifecyclePolicy, StartLifecyclePolicyPreview,
GetLifecyclePolicyPreview. dockyard applies a policy at once (when it is put and after every push)."""

from __future__ import annotations

from dockyard.ecr import lifecycle
from dockyard.ecr.operations.base import JSON, EcrOperations
from dockyard.ecr.state import Repository
from dockyard.protocol.errors import AwsError
from dockyard.protocol.pagination import paginate
from dockyard.protocol.provider import RequestContext


class LifecycleOperations(EcrOperations):
    def put_lifecycle_policy(self, ctx: RequestContext, p: JSON) -> JSON:
        repo = self.repo(ctx, p)
        lifecycle.parse(p["lifecyclePolicyText"])
        repo.lifecycle_policy = p["lifecyclePolicyText"]
        lifecycle.apply(repo)
        return {
            "registryId": repo.registry_id,
            "repositoryName": repo.name,
            "lifecyclePolicyText": repo.lifecycle_policy,
        }

    def get_lifecycle_policy(self, ctx: RequestContext, p: JSON) -> JSON:
        repo = self.repo(ctx, p)
        return {
            "registryId": repo.registry_id,
            "repositoryName": repo.name,
            "lifecyclePolicyText": _policy(repo),
            "lastEvaluatedAt": repo.lifecycle_evaluated_at,
        }

    def delete_lifecycle_policy(self, ctx: RequestContext, p: JSON) -> JSON:
        repo = self.repo(ctx, p)
        text = _policy(repo)
        reply = {
            "registryId": repo.registry_id,
            "repositoryName": repo.name,
            "lifecyclePolicyText": text,
            "lastEvaluatedAt": repo.lifecycle_evaluated_at,
        }
        repo.lifecycle_policy = None
        return reply

    def start_lifecycle_policy_preview(self, ctx: RequestContext, p: JSON) -> JSON:
        repo = self.repo(ctx, p)
        text = p.get("lifecyclePolicyText") or _policy(repo)
        results = [
            {
                "imageTags": repo.tags_of(image.digest) or None,
                "imageDigest": image.digest,
                "imagePushedAt": image.pushed_at,
                "action": {"type": "EXPIRE"},
                "appliedRulePriority": rule.priority,
            }
            for image, rule in lifecycle.evaluate(repo, lifecycle.parse(text))
        ]
        repo.lifecycle_preview = {"lifecyclePolicyText": text, "previewResults": results}
        return {
            "registryId": repo.registry_id,
            "repositoryName": repo.name,
            "lifecyclePolicyText": text,
            "status": "IN_PROGRESS",
        }

    def get_lifecycle_policy_preview(self, ctx: RequestContext, p: JSON) -> JSON:
        repo = self.repo(ctx, p)
        preview = repo.lifecycle_preview
        if preview is None:
            raise AwsError(
                "LifecyclePolicyPreviewNotFoundException",
                f"There is no dry run for the repository with name '{repo.name}' in the registry with id "
                f"'{repo.registry_id}'",
            )
        results = preview["previewResults"]
        if p.get("imageIds"):
            wanted = {i.get("imageDigest") for i in p["imageIds"]} | {i.get("imageTag") for i in p["imageIds"]}
            results = [r for r in results if r["imageDigest"] in wanted or set(r["imageTags"] or ()) & wanted]
        page, token = paginate(results, p.get("maxResults"), p.get("nextToken"), default_page=100)
        return {
            "registryId": repo.registry_id,
            "repositoryName": repo.name,
            "lifecyclePolicyText": preview["lifecyclePolicyText"],
            "status": "COMPLETE",
            "previewResults": page,
            "nextToken": token,
            "summary": {"expiringImageTotalCount": len(preview["previewResults"])},
        }


def _policy(repo: Repository) -> str:
    if repo.lifecycle_policy is None:
        raise AwsError(
            "LifecyclePolicyNotFoundException",
            f"Lifecycle policy does not exist for the repository with name '{repo.name}' in the registry with id "
            f"'{repo.registry_id}'",
        )
    return repo.lifecycle_policy
