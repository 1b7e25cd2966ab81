"""The AWS JSON 1.0/1.1 protocol: parse and validate requests, serialize responses and errors.

One generic codec walks botocore's shapes, so every JSON service (ECS, ECR, Logs, ...) gets the same wire
behaviour: type errors are SerializationException, constraint violations are ValidationException, and the
response contains exactly the members of the output shape.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from datetime import UTC, datetime
from typing import Any

from dockyard.protocol.errors import AwsError, serialization_error, validation_error
from dockyard.protocol.specs import ServiceSpec, Shape

_INT_TYPES = {"integer", "long"}
_FLOAT_TYPES = {"double", "float"}


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "BOOLEAN_VALUE"
    if isinstance(value, int | float):
        return "NUMBER_VALUE"
    if isinstance(value, str):
        return "VALUE_STRING"
    if isinstance(value, list):
        return "START_ARRAY"
    if isinstance(value, dict):
        return "START_OBJECT"
    return "VALUE_NULL"


class RequestParser:
    """Turns a JSON request body into validated Python values for one operation."""

    def __init__(self, spec: ServiceSpec) -> None:
        self.spec = spec

    def parse(self, operation: str, body: bytes) -> dict[str, Any]:
        op = self.spec.operations[operation]
        if not body.strip():
            data: Any = {}
        else:
            try:
                data = json.loads(body)
            except (ValueError, UnicodeDecodeError):
                raise serialization_error("Start of structure or map found where not expected.") from None
        if op.input is None:
            return {}
        if not isinstance(data, dict):
            raise serialization_error(f"{_type_name(data)} can not be converted to a structure")
        problems: list[str] = []
        value = self._structure(self.spec.shape(op.input), data, "", problems)
        if problems:
            raise validation_error(problems)
        return value

    def _value(self, shape: Shape, value: Any, path: str, problems: list[str]) -> Any:
        kind = shape["type"]
        if kind == "structure":
            if not isinstance(value, dict):
                raise serialization_error(f"{_type_name(value)} can not be converted to a structure at '{path}'")
            return self._structure(shape, value, path, problems)
        if kind == "list":
            if not isinstance(value, list):
                raise serialization_error(f"{_type_name(value)} can not be converted to a list at '{path}'")
            member = self.spec.shape(shape["member"]["shape"])
            items = [self._value(member, v, f"{path}.member", problems) for v in value if v is not None]
            self._check_length(shape, len(items), path, problems)
            return items
        if kind == "map":
            if not isinstance(value, dict):
                raise serialization_error(f"{_type_name(value)} can not be converted to a map at '{path}'")
            key_shape = self.spec.shape(shape["key"]["shape"])
            val_shape = self.spec.shape(shape["value"]["shape"])
            out = {}
            for k, v in value.items():
                self._check_string(key_shape, k, f"{path}.key", problems)
                if v is not None:
                    out[k] = self._value(val_shape, v, f"{path}.value", problems)
            self._check_length(shape, len(out), path, problems)
            return out
        if kind == "string":
            if not isinstance(value, str):
                raise serialization_error(f"{_type_name(value)} can not be converted to a String")
            self._check_string(shape, value, path, problems)
            return value
        if kind == "boolean":
            if not isinstance(value, bool):
                raise serialization_error(f"{_type_name(value)} can not be converted to a Boolean")
            return value
        if kind in _INT_TYPES:
            if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
                raise serialization_error(f"{_type_name(value)} can not be converted to an Integer")
            value = int(value)
            self._check_range(shape, value, path, problems)
            return value
        if kind in _FLOAT_TYPES:
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise serialization_error(f"{_type_name(value)} can not be converted to a Double")
            self._check_range(shape, value, path, problems)
            return float(value)
        if kind == "timestamp":
            return _parse_timestamp(value)
        if kind == "blob":
            if not isinstance(value, str):
                raise serialization_error(f"{_type_name(value)} can not be converted to a Blob")
            try:
                data = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raise serialization_error("Base64 encoded blob is invalid") from None
            self._check_length(shape, len(data), path, problems)
            return data
        return value

    def _structure(self, shape: Shape, value: dict[str, Any], path: str, problems: list[str]) -> dict[str, Any]:
        members: dict[str, Any] = shape.get("members", {})
        out: dict[str, Any] = {}
        for name, raw in value.items():
            ref = members.get(name)
            if ref is None or raw is None:
                continue  # AWS ignores unknown members
            out[name] = self._value(self.spec.shape(ref["shape"]), raw, _join(path, name), problems)
        for name in shape.get("required", ()):
            if name not in out:
                problems.append(
                    f"Value null at '{_join(path, name)}' failed to satisfy constraint: Member must not be null"
                )
        return out

    def _check_string(self, shape: Shape, value: str, path: str, problems: list[str]) -> None:
        self._check_length(shape, len(value), path, problems)
        enum = shape.get("enum")
        if enum and value not in enum:
            problems.append(
                f"Value '{value}' at '{path}' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{', '.join(enum)}]"
            )
        pattern = shape.get("pattern")
        if pattern and not _pattern(pattern).search(value):
            problems.append(
                f"Value '{value}' at '{path}' failed to satisfy constraint: "
                f"Member must satisfy regular expression pattern: {pattern}"
            )

    @staticmethod
    def _check_length(shape: Shape, length: int, path: str, problems: list[str]) -> None:
        if "min" in shape and length < shape["min"]:
            problems.append(
                f"Value at '{path}' failed to satisfy constraint: Member must have length greater than or equal to "
                f"{shape['min']}"
            )
        if "max" in shape and length > shape["max"]:
            problems.append(
                f"Value at '{path}' failed to satisfy constraint: Member must have length less than or equal to "
                f"{shape['max']}"
            )

    @staticmethod
    def _check_range(shape: Shape, value: float, path: str, problems: list[str]) -> None:
        if "min" in shape and value < shape["min"]:
            problems.append(
                f"Value '{value}' at '{path}' failed to satisfy constraint: Member must have value greater than or "
                f"equal to {shape['min']}"
            )
        if "max" in shape and value > shape["max"]:
            problems.append(
                f"Value '{value}' at '{path}' failed to satisfy constraint: Member must have value less than or "
                f"equal to {shape['max']}"
            )


_PATTERNS: dict[str, re.Pattern[str]] = {}


def _pattern(pattern: str) -> re.Pattern[str]:
    compiled = _PATTERNS.get(pattern)
    if compiled is None:
        try:
            compiled = re.compile(pattern)
        except re.error:
            compiled = re.compile("")  # a Java-only construct: do not reject what we cannot check
        _PATTERNS[pattern] = compiled
    return compiled


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _parse_timestamp(value: Any) -> datetime:
    if isinstance(value, bool):
        raise serialization_error("BOOLEAN_VALUE can not be converted to a Timestamp")
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except ValueError:
            pass
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise serialization_error(f"Cannot parse timestamp '{value}'") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise serialization_error(f"{_type_name(value)} can not be converted to a Timestamp")


class ShapeError(Exception):
    """A provider returned something its output shape does not allow (a dockyard bug)."""


class ResponseSerializer:
    """Turns provider results into JSON bodies that contain exactly the output shape's members.

    ``strict`` makes any member outside the shape, or a value of the wrong type, an error instead of being
    dropped; the test suite runs the server strict so that a response AWS could not produce fails loudly.
    """

    def __init__(self, spec: ServiceSpec, strict: bool = False) -> None:
        self.spec = spec
        self.strict = strict
        self.json_version = spec.metadata.get("jsonVersion", "1.0")
        self._plans: dict[int, dict[str, tuple[type | None, Shape]]] = {}

    @property
    def content_type(self) -> str:
        return f"application/x-amz-json-{self.json_version}"

    def serialize(self, operation: str, result: dict[str, Any] | None) -> bytes:
        op = self.spec.operations[operation]
        if op.output is None or not result:
            return b"{}"
        body = self._value(self.spec.shape(op.output), result, op.output)
        return json.dumps(body, separators=(",", ":")).encode()

    def serialize_error(self, error: AwsError) -> bytes:
        body: dict[str, Any] = {"__type": error.code, "message": error.message}
        shape = self.spec.shapes.get(error.code)
        if shape and error.fields:
            extra = self._structure(shape, error.fields, error.code)
            body.update({k: v for k, v in extra.items() if k != "message"})
        return json.dumps(body, separators=(",", ":")).encode()

    def _value(self, shape: Shape, value: Any, path: str) -> Any:
        kind = shape["type"]
        if kind == "structure":
            return self._structure(shape, self._expect(value, dict, path), path)
        if kind == "list":
            member, item_path = self.spec.shape(shape["member"]["shape"]), f"{path}[]"
            items = self._expect(value, list | tuple, path)
            if member["type"] == "structure":  # most big lists (tasks, log events): one call less per item
                return [
                    self._structure(member, v, item_path) if isinstance(v, dict) else self._mismatch(v, item_path, dict)
                    for v in items
                ]
            return [self._value(member, v, item_path) for v in items]
        if kind == "map":
            val_shape = self.spec.shape(shape["value"]["shape"])
            return {k: self._value(val_shape, v, f"{path}.{k}") for k, v in self._expect(value, dict, path).items()}
        if kind == "timestamp":
            return _epoch(value)
        if kind == "blob":
            data = value.encode() if isinstance(value, str) else bytes(value)
            return base64.b64encode(data).decode()
        if kind == "string":
            return self._expect(value, str, path)
        if kind == "boolean":
            return self._expect(value, bool, path)
        if kind in _INT_TYPES:
            if isinstance(value, bool) or not isinstance(value, int):
                return self._mismatch(value, path, int)
            return value
        if kind in _FLOAT_TYPES:
            if isinstance(value, bool) or not isinstance(value, int | float):
                return self._mismatch(value, path, float)
            return value
        return value

    def _structure(self, shape: Shape, value: dict[str, Any], path: str) -> dict[str, Any]:
        plan = self._plan(shape)
        out: dict[str, Any] = {}
        for name, raw in value.items():
            if raw is None:
                continue
            entry = plan.get(name)
            if entry is None:
                if self.strict:
                    raise ShapeError(f"{path}.{name} is not a member of {shape.get('_name', path)}")
                continue
            wire_type, member = entry
            out[name] = raw if type(raw) is wire_type else self._value(member, raw, f"{path}.{name}")
        return out

    def _plan(self, shape: Shape) -> dict[str, tuple[type | None, Shape]]:
        """A structure's members: their shapes, and the Python type that already is the wire form (str for strings,
        int for integers), so that most members of big pages (like 10,000 log events) skip the general path."""
        plan = self._plans.get(id(shape))
        if plan is None:
            plan = {}
            for name, ref in shape.get("members", {}).items():
                member = self.spec.shapes[ref["shape"]]
                kind = member["type"]
                plan[name] = (str if kind == "string" else int if kind in _INT_TYPES else None, member)
            self._plans[id(shape)] = plan
        return plan

    def _expect(self, value: Any, kind: Any, path: str) -> Any:
        if isinstance(value, kind):
            return value
        return self._mismatch(value, path, kind)

    def _mismatch(self, value: Any, path: str, kind: Any) -> Any:
        if self.strict:
            raise ShapeError(f"{path} should be {kind}, got {type(value).__name__}: {value!r}")
        return value


def _epoch(value: Any) -> float | int:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return round(value.timestamp(), 3)
    return value
