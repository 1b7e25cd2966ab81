"""EventBridge: the API, and the bus dockyard publishes ECS events onto (rules and targets are moto's)."""

from __future__ import annotations

import json
from typing import Any

from dockyard.adapters.bridge import MotoService


def _deliver_whole_events() -> None:
    """moto 5.2.1 drops ``account`` from events it hands to targets; EventBridge delivers the whole envelope."""
    from moto.events.utils import EventTemplateParser

    template = EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE
    if '"account"' not in template:
        EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE = template.replace(
            '"version": "0",', '"version": "0", "account": "<account>",'
        )


SERVICE = MotoService("events", "events", fix=_deliver_whole_events)


def default_bus_has_rules(account: str, region: str) -> bool:
    """Whether an event on the default bus can reach anything (in moto an archive is a rule too). False, without
    loading moto's EventBridge, while the service was never used."""
    if not SERVICE.loaded:
        return False
    bus = SERVICE.backend(account, region).event_buses.get("default")
    return bool(bus and bus.rules)


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
