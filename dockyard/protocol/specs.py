"""Botocore service models, read straight from botocore's data folder.

We read the JSON ourselves instead of importing ``botocore.loaders``: that import alone costs a quarter of a
second, and start-up time is a feature. Models are loaded on first use and cached for the process.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

Shape = dict[str, Any]


@cache
def _data_dir() -> Path:
    spec = importlib.util.find_spec("botocore")
    assert spec and spec.submodule_search_locations, "botocore is not installed"
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _load(path: Path) -> dict[str, Any]:
    if path.suffix == ".gz":
        return json.loads(gzip.decompress(path.read_bytes()))
    return json.loads(path.read_text())


@dataclass(frozen=True)
class Operation:
    name: str
    input: str | None
    output: str | None
    errors: tuple[str, ...]


@dataclass
class ServiceSpec:
    """One service's model: metadata, operations and shapes."""

    name: str
    metadata: dict[str, Any]
    operations: dict[str, Operation]
    shapes: dict[str, Shape]
    paginators: dict[str, Any] = field(default_factory=dict)

    @property
    def target_prefix(self) -> str | None:
        return self.metadata.get("targetPrefix")

    @property
    def protocol(self) -> str:
        return self.metadata["protocol"]

    def shape(self, name: str) -> Shape:
        return self.shapes[name]

    def error_shapes(self) -> dict[str, Shape]:
        return {name: s for name, s in self.shapes.items() if s.get("exception")}


def _latest_version_dir(service: str) -> Path:
    versions = sorted(p for p in (_data_dir() / service).iterdir() if p.is_dir())
    return versions[-1]


@cache
def service_spec(service: str) -> ServiceSpec:
    """The model of ``service`` (botocore's folder name, e.g. ``ecs``, ``ecr``, ``logs``)."""
    folder = _latest_version_dir(service)
    model_path = next(folder / name for name in ("service-2.json.gz", "service-2.json") if (folder / name).exists())
    model = _load(model_path)
    operations = {
        name: Operation(
            name=name,
            input=op.get("input", {}).get("shape"),
            output=op.get("output", {}).get("shape"),
            errors=tuple(e["shape"] for e in op.get("errors", [])),
        )
        for name, op in model["operations"].items()
    }
    paginators: dict[str, Any] = {}
    for name in ("paginators-1.json", "paginators-1.json.gz"):
        if (folder / name).exists():
            paginators = _load(folder / name).get("pagination", {})
    return ServiceSpec(service, model["metadata"], operations, model["shapes"], paginators)


@cache
def botocore_version() -> str:
    init = (_data_dir().parent / "__init__.py").read_text()
    for line in init.splitlines():
        if line.startswith("__version__"):
            return line.split("=", 1)[1].strip().strip("'\"")
    return "unknown"
