"""STS (query protocol): the API, and the temporary credentials dockyard issues for task roles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dockyard.adapters.bridge import MotoService

SERVICE = MotoService("sts", "sts", regional=False)


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    token: str
    expiration: datetime
    role_arn: str
    account: str


def assume_role(region: str, role_arn: str, session_name: str, duration_s: int = 21600) -> Credentials:
    """Assumes ``role_arn`` (which need not exist, as in moto); the keys then identify as the assumed role."""
    backend = SERVICE.backend(_account_of(role_arn), region)
    role = backend.assume_role(
        region_name=region,
        role_session_name=session_name,
        role_arn=role_arn,
        policy=None,
        duration=duration_s,
        external_id=None,
    )
    return Credentials(
        access_key_id=role.access_key_id,
        secret_access_key=role.secret_access_key,
        token=role.session_token,
        expiration=role.expiration,
        role_arn=role_arn,
        account=role.account_id,
    )


def _account_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 and parts[4] else "000000000000"
