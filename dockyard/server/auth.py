"""Who is calling: account, region and signing service from the SigV4 credential scope."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from dockyard.server.http import Request

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/,\s]+)/([^/,\s]+)/aws4_request")
_ACCOUNT_KEY = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class Caller:
    access_key: str | None
    region: str | None
    signing_service: str | None


def caller_of(request: Request) -> Caller:
    """Reads the credential scope from the Authorization header or a presigned URL's query."""
    header = request.headers.get("authorization") or ""
    match = _CREDENTIAL.search(header)
    if match:
        return Caller(match.group(1), match.group(2), match.group(3))
    credential = request.query.get("X-Amz-Credential")
    if credential:
        parts = credential.split("/")
        if len(parts) == 5:
            return Caller(parts[0], parts[2], parts[3])
    return Caller(None, None, None)


def account_for(access_key: str | None, default_account: str, issued: Callable[[str], str | None] | None = None) -> str:
    """A 12-digit access key id selects that account, as moto and LocalStack do; a key dockyard's STS or IAM
    issued (``issued`` finds its account) belongs to that account, as on AWS; anything else is the default."""
    if not access_key:
        return default_account
    if _ACCOUNT_KEY.match(access_key):
        return access_key
    return (issued(access_key) if issued else None) or default_account
