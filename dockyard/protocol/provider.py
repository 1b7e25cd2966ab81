"""The provider contract: one class per AWS service, one method per operation."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from dockyard.protocol.errors import AwsError

_FIRST_CAP = re.compile(r"(.)([A-Z][a-z]+)")
_ALL_CAP = re.compile(r"([a-z0-9])([A-Z])")


def snake_case(operation: str) -> str:
    """``RunTask`` -> ``run_task``, ``ListTagsForResource`` -> ``list_tags_for_resource``."""
    return _ALL_CAP.sub(r"\1_\2", _FIRST_CAP.sub(r"\1_\2", operation)).lower()


@dataclass
class RequestContext:
    """What a provider may know about the call besides its parameters."""

    service: str
    operation: str
    account: str
    region: str
    host: str = "127.0.0.1:4566"
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))


class Provider:
    """Base for service providers.

    A subclass implements ``def run_task(self, ctx, params) -> dict`` (plain or ``async``) for each operation it
    supports; an operation of the model without a method answers ``unsupported`` below.
    """

    service: str = ""

    def handler(self, operation: str) -> Any:
        return getattr(self, snake_case(operation), None)

    def unsupported(self, operation: str) -> AwsError:
        """The honest answer for an operation dockyard does not implement (overridden per service)."""
        return AwsError("UnsupportedOperation", f"dockyard does not support {operation} yet.")

    def supported_operations(self, operations: list[str]) -> list[str]:
        return [op for op in operations if self.handler(op) is not None]
