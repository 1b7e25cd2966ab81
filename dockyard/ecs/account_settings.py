"""ECS account settings: AWS's defaults, account-wide defaults and per-principal overrides.

Resolution for a principal, as ECS documents it: the principal's own setting, else the account default
(PutAccountSettingDefault, which is the root user's setting), else AWS's default (``type: aws_managed``).
Every caller is treated as the account's root user.
"""

from __future__ import annotations

from dockyard.ecs.errors import invalid_parameter
from dockyard.ecs.state import JSON, EcsState

# name -> (AWS's default for a new account, accepted values)
_ON_OFF = ("on", "off")
_ENABLED = ("enabled", "disabled")
SETTINGS: dict[str, tuple[str, tuple[str, ...]]] = {
    "serviceLongArnFormat": ("enabled", _ENABLED),
    "taskLongArnFormat": ("enabled", _ENABLED),
    "containerInstanceLongArnFormat": ("enabled", _ENABLED),
    "awsvpcTrunking": ("disabled", _ENABLED),
    "containerInsights": ("disabled", (*_ENABLED, "enhanced")),
    "fargateFIPSMode": ("disabled", _ENABLED),
    "tagResourceAuthorization": ("on", _ON_OFF),
    "fargateTaskRetirementWaitPeriod": ("7", ("0", "7", "14")),
    "guardDutyActivate": ("off", _ON_OFF),
    "defaultLogDriverMode": ("non-blocking", ("blocking", "non-blocking")),
    "fargateEventWindows": ("disabled", _ENABLED),
}
# Settings only the account default may change (fargateTaskRetirementWaitPeriod), or nobody (guardDutyActivate).
_DEFAULT_ONLY = {"fargateTaskRetirementWaitPeriod", "fargateFIPSMode"}
_READ_ONLY = {"guardDutyActivate"}


def root(state: EcsState) -> str:
    return f"arn:aws:iam::{state.account}:root"


def _setting(name: str, value: str, principal: str, kind: str) -> JSON:
    return {"name": name, "value": value, "principalArn": principal, "type": kind}


def put(state: EcsState, name: str, value: str, principal: str | None, account_default: bool = False) -> JSON:
    if name in _READ_ONLY:
        raise invalid_parameter(f"{name} is read-only and is managed by Amazon GuardDuty.")  # inferred
    if name in _DEFAULT_ONLY and not account_default:
        raise invalid_parameter(f"{name} can only be set with PutAccountSettingDefault.")  # inferred
    allowed = SETTINGS[name][1]
    if value not in allowed:
        raise invalid_parameter(f"Invalid value '{value}' for {name}. Valid values: {', '.join(allowed)}.")  # inferred
    principal = principal or root(state)
    state.account_settings[(principal, name)] = value
    return _setting(name, value, principal, "user")


def delete(state: EcsState, name: str, principal: str | None) -> JSON:
    principal = principal or root(state)
    value = state.account_settings.pop((principal, name), None)
    if value is None:
        raise invalid_parameter("The specified account setting does not exist.")  # inferred
    return _setting(name, value, principal, "user")


def effective(state: EcsState, name: str, principal: str | None = None) -> JSON:
    """The value that applies to ``principal`` (root by default)."""
    principal = principal or root(state)
    for owner in (principal, root(state)):
        value = state.account_settings.get((owner, name))
        if value is not None:
            return _setting(name, value, principal, "user")
    return _setting(name, SETTINGS[name][0], principal, "aws_managed")


def listing(
    state: EcsState, name: str | None, value: str | None, principal: str | None, effective_only: bool
) -> list[JSON]:
    """ListAccountSettings: with effectiveSettings every setting that applies; without, only those set."""
    principal = principal or root(state)
    names = [name] if name else list(SETTINGS)
    if effective_only:
        found = [effective(state, n, principal) for n in names]
    else:
        found = [
            _setting(n, state.account_settings[(principal, n)], principal, "user")
            for n in names
            if (principal, n) in state.account_settings
        ]
    return [s for s in found if value is None or s["value"] == value]
