"""ECS ARNs in AWS's long format, and the short-name-or-ARN rule every ECS parameter follows."""

from __future__ import annotations

import re

_ARN = re.compile(r"^arn:aws[\w-]*:ecs:([\w-]+):(\d{12}):([\w-]+)/(.+)$")


def arn(region: str, account: str, kind: str, rest: str) -> str:
    return f"arn:aws:ecs:{region}:{account}:{kind}/{rest}"


def parse(value: str) -> tuple[str, str, str, str] | None:
    """(region, account, resource type, resource path) of an ECS ARN, or None for a short name."""
    match = _ARN.match(value)
    return (match.group(1), match.group(2), match.group(3), match.group(4)) if match else None


def short_name(value: str, kind: str) -> str:
    """The last path element when ``value`` is an ARN of ``kind``, else ``value`` itself."""
    parsed = parse(value)
    if parsed and parsed[2] == kind:
        return parsed[3].rsplit("/", 1)[-1]
    return value
