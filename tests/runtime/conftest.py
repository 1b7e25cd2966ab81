"""The runtime's contract tests: DockerBackend against the real engines, Docker and Podman alike."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from engines import EngineMissing

from tests.runtime.harness import Engine, engine_url


@pytest.fixture(params=["docker", "podman"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    try:
        url = engine_url(request.param)
    except EngineMissing as exc:
        pytest.fail(str(exc))
    yield Engine(request.param, url)
