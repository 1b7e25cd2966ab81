"""Account setting operations: ListAccountSettings, PutAccountSetting, PutAccountSettingDefault,
DeleteAccountSetting."""

from __future__ import annotations

from typing import Any

from dockyard.ecs import account_settings
from dockyard.ecs.operations.base import EcsOperations
from dockyard.protocol.provider import RequestContext

JSON = dict[str, Any]


class AccountSettingOperations(EcsOperations):
    def list_account_settings(self, ctx: RequestContext, p: JSON) -> JSON:
        found = account_settings.listing(
            self.state(ctx), p.get("name"), p.get("value"), p.get("principalArn"), p.get("effectiveSettings", False)
        )
        page, token = self.page(found, p, default=10, limit=10)
        return {"settings": page, "nextToken": token}

    def put_account_setting(self, ctx: RequestContext, p: JSON) -> JSON:
        return {"setting": account_settings.put(self.state(ctx), p["name"], p["value"], p.get("principalArn"))}

    def put_account_setting_default(self, ctx: RequestContext, p: JSON) -> JSON:
        return {"setting": account_settings.put(self.state(ctx), p["name"], p["value"], None, account_default=True)}

    def delete_account_setting(self, ctx: RequestContext, p: JSON) -> JSON:
        return {"setting": account_settings.delete(self.state(ctx), p["name"], p.get("principalArn"))}
