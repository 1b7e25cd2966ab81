"""EventBridge: the API, and the bus dockyard publishes ECS events onto (rules and targets are moto's)."""

from __future__ import annotations

import json
from typing import Any

from dockyard.adapters.bridge import MotoService

SERVICE = MotoService("events", "events")


def put_event(account: str, region: str, source: str, detail_type: str, resources: list[str], detail: Any) -> None:
    """Publishes one event on the default bus, where the account's rules match it and deliver to targets."""
    entry = {
        "Source": source,
        "DetailType": detail_type,
        "Resources": resources,
        "Detail": json.dumps(detail, separators=(",", ":")),
        "EventBusName": "default",
    }
    SERVICE.backend(account, region).put_events([entry])
