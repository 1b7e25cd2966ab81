"""Turns the image a task definition names into a pull from dockyard's own registry.

``<acct>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>`` (or ``@sha256:...``), and the ``repositoryUri`` form
dockyard hands out (``127.0.0.1:4566/<repo>``), resolve against the ECR state: the engine then pulls
``<registry>/<repo>@<digest>`` with a password dockyard issues to itself for that account and region, sent as
the Engine API's X-Registry-Auth, so the user's docker login and docker config are never involved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dockyard.ecr import images
from dockyard.ecr.service import Ecr
from dockyard.runtime.backend import RegistryAuth

_AWS = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?::\d+)?$")
_LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@dataclass(frozen=True)
class ResolvedImage:
    # What the engine pulls: "<registry>/<repo>@sha256:..."; for a missing image the reference as written, on
    # dockyard's registry, so the engine's pull fails there with ECR's own error (as an ECS agent's would).
    pull: str
    digest: str | None  # the manifest digest (the container's imageDigest); None when the image is missing
    auth: RegistryAuth
    missing: str | None = None  # why it is missing, in the words of docker's pull error


def resolve(ecr: Ecr, image: str, account: str, region: str) -> ResolvedImage | None:
    """The pull for ``image`` if it is one of dockyard's ECR images (None for any other image).

    ``account``/``region`` are the task's; they apply to the ``127.0.0.1:<port>/<repo>`` form, while an AWS-style
    host names its own.
    """
    host, _, rest = image.partition("/")
    if not rest:
        return None
    match = _AWS.match(host)
    if match:
        account, region = match.group("account"), match.group("region")
    elif not _is_local_registry(ecr, host):
        return None
    name, image_id = _reference(rest)
    registry = f"{_engine_host(ecr)}:{ecr.settings.port}"
    password, _ = ecr.tokens.issue(account, region)
    auth = RegistryAuth("AWS", password, registry)
    as_written = f"{registry}/{name}" + (
        f"@{image_id['imageDigest']}" if "imageDigest" in image_id else f":{image_id['imageTag']}"
    )
    repo = ecr.state(account, region).repositories.get(name)
    if repo is None:
        reason = (
            f"Error response from daemon: repository {host}/{name} not found: name unknown: The repository with "
            f"name '{name}' does not exist in the registry with id '{account}'"
        )
        return ResolvedImage(as_written, None, auth, reason)
    found = images.find(repo, image_id)
    if found is None:
        reason = (
            f"Error response from daemon: manifest for {image} not found: manifest unknown: Requested image not found"
        )
        return ResolvedImage(as_written, None, auth, reason)
    return ResolvedImage(f"{registry}/{name}@{found.digest}", found.digest, auth)


def _reference(rest: str) -> tuple[str, dict[str, str]]:
    if "@" in rest:
        name, digest = rest.split("@", 1)
        return name, {"imageDigest": digest}
    name, _, tag = rest.rpartition(":") if ":" in rest else (rest, "", "latest")
    return name, {"imageTag": tag}


def _engine_host(ecr: Ecr) -> str:
    # The engine runs on this machine; a wildcard listen address is reached over loopback.
    return "127.0.0.1" if ecr.settings.host in ("0.0.0.0", "::", "") else ecr.settings.host


def _is_local_registry(ecr: Ecr, host: str) -> bool:
    name, _, port = host.rpartition(":")
    return port == str(ecr.settings.port) and (name in _LOCAL_HOSTS or name == ecr.settings.host)
