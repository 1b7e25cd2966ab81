"""Registry passwords dockyard issues (GetAuthorizationToken) and checks (every registry request).

A password is ``<payload>.<signature>``, both base64url (so never a ':', which would break
``aws ecr get-login-password``): the payload names the account, region and expiry, the signature is an
HMAC-SHA256 of it under a key made at start-up. Nothing is stored per token, and a restart invalidates them
all, like the rest of the in-memory state.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from dataclasses import dataclass

TOKEN_LIFETIME = 12 * 3600.0


@dataclass(frozen=True)
class Grant:
    account: str
    region: str
    expires_at: float


class TokenExpired(Exception):
    pass


class TokenInvalid(Exception):
    pass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenAuthority:
    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or os.urandom(32)

    def issue(self, account: str, region: str, lifetime: float = TOKEN_LIFETIME) -> tuple[str, float]:
        """A password for ``account``/``region`` and when it expires."""
        expires_at = float(int(time.time() + lifetime))
        payload = _b64(json.dumps({"a": account, "r": region, "e": int(expires_at)}, separators=(",", ":")).encode())
        return f"{payload}.{self._sign(payload)}", expires_at

    def authorization_token(self, account: str, region: str) -> tuple[str, float]:
        """``base64("AWS:" + password)``, the form GetAuthorizationToken returns."""
        password, expires_at = self.issue(account, region)
        return base64.b64encode(f"AWS:{password}".encode()).decode(), expires_at

    def verify(self, password: str) -> Grant:
        payload, _, signature = password.partition(".")
        if not signature or not hmac.compare_digest(signature, self._sign(payload)):
            raise TokenInvalid
        try:
            claims = json.loads(_unb64(payload))
            grant = Grant(str(claims["a"]), str(claims["r"]), float(claims["e"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise TokenInvalid from exc
        if grant.expires_at < time.time():
            raise TokenExpired
        return grant

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())
