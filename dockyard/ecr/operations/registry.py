"""Registry-wide operations: DescribeRegistry, GetAuthorizationToken, Get/Put/DeleteRegistryPolicy,
Get/PutRegistryScanningConfiguration, BatchGetRepositoryScanningConfiguration."""

from __future__ import annotations

from dockyard.ecr.errors import check_policy, repository_not_found
from dockyard.ecr.operations.base import JSON, EcrOperations
from dockyard.protocol.errors import AwsError
from dockyard.protocol.provider import RequestContext


class RegistryOperations(EcrOperations):
    def describe_registry(self, ctx: RequestContext, p: JSON) -> JSON:
        return {"registryId": ctx.account, "replicationConfiguration": {"rules": []}}

    def get_authorization_token(self, ctx: RequestContext, p: JSON) -> JSON:
        # One entry per registry asked for (the deprecated registryIds); each token opens that account's registry.
        endpoint = f"http://{self.ecr.registry_host(ctx.host)}"
        data = []
        for registry_id in p.get("registryIds") or [ctx.account]:
            token, expires_at = self.ecr.tokens.authorization_token(registry_id, ctx.region)
            data.append({"authorizationToken": token, "expiresAt": expires_at, "proxyEndpoint": endpoint})
        return {"authorizationData": data}

    # -- registry policy -----------------------------------------------------------------------------------

    def put_registry_policy(self, ctx: RequestContext, p: JSON) -> JSON:
        self.state(ctx).registry_policy = check_policy(p["policyText"], "registry")
        return {"registryId": ctx.account, "policyText": p["policyText"]}

    def get_registry_policy(self, ctx: RequestContext, p: JSON) -> JSON:
        return {"registryId": ctx.account, "policyText": self._registry_policy(ctx)}

    def delete_registry_policy(self, ctx: RequestContext, p: JSON) -> JSON:
        text = self._registry_policy(ctx)
        self.state(ctx).registry_policy = None
        return {"registryId": ctx.account, "policyText": text}

    def _registry_policy(self, ctx: RequestContext) -> str:
        text = self.state(ctx).registry_policy
        if text is None:
            raise AwsError(
                "RegistryPolicyNotFoundException",
                f"Registry policy does not exist in the registry with id '{ctx.account}'",
            )
        return text

    # -- scanning configuration (recorded and reported; dockyard runs no scanner) --------------------------

    def get_registry_scanning_configuration(self, ctx: RequestContext, p: JSON) -> JSON:
        return {"registryId": ctx.account, "scanningConfiguration": self.state(ctx).scanning_configuration}

    def put_registry_scanning_configuration(self, ctx: RequestContext, p: JSON) -> JSON:
        state = self.state(ctx)
        state.scanning_configuration = {
            "scanType": p.get("scanType") or state.scanning_configuration["scanType"],
            "rules": p.get("rules") or [],
        }
        return {"registryScanningConfiguration": state.scanning_configuration}

    def batch_get_repository_scanning_configuration(self, ctx: RequestContext, p: JSON) -> JSON:
        state = self.state(ctx)
        found, failures = [], []
        for name in p["repositoryNames"]:
            repo = state.repositories.get(name)
            if repo is None:
                failures.append(
                    {
                        "repositoryName": name,
                        "failureCode": "REPOSITORY_NOT_FOUND",
                        "failureReason": repository_not_found(name, ctx.account).message,
                    }
                )
                continue
            found.append(
                {
                    "repositoryArn": repo.arn,
                    "repositoryName": repo.name,
                    "scanOnPush": repo.scan_on_push,
                    "scanFrequency": "SCAN_ON_PUSH" if repo.scan_on_push else "MANUAL",
                    "appliedScanFilters": [],
                }
            )
        return {"scanningConfigurations": found, "failures": failures}
