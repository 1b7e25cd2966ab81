"""Opaque ``nextToken`` pagination shared by every service's List/Describe calls."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import TypeVar

from dockyard.protocol.errors import AwsError

T = TypeVar("T")


def encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode()


def decode_token(token: str, error_code: str = "InvalidParameterException") -> int:
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["o"]
        if isinstance(offset, int) and offset >= 0:
            return offset
    except (ValueError, KeyError, TypeError):
        pass
    raise AwsError(error_code, "Invalid token")


def paginate(
    items: Sequence[T],
    max_results: int | None,
    next_token: str | None,
    default_page: int,
    error_code: str = "InvalidParameterException",
) -> tuple[list[T], str | None]:
    """One page of ``items`` and the token for the next page (None when the listing is complete)."""
    start = decode_token(next_token, error_code) if next_token else 0
    size = max_results or default_page
    page = list(items[start : start + size])
    end = start + len(page)
    return page, (encode_token(end) if end < len(items) else None)
