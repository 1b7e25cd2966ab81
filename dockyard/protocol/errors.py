"""AWS-style errors raised by providers and the protocol layer."""

from __future__ import annotations

from typing import Any


class AwsError(Exception):
    """An error answered to the client as AWS would: code, message, HTTP status and extra members."""

    def __init__(self, code: str, message: str, status: int = 400, **fields: Any) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.fields = fields


def serialization_error(message: str) -> AwsError:
    return AwsError("SerializationException", message)


def validation_error(problems: list[str]) -> AwsError:
    """Coral's wording for model constraint violations, as every AWS JSON service returns it."""
    count = len(problems)
    noun = "error" if count == 1 else "errors"
    return AwsError("ValidationException", f"{count} validation {noun} detected: " + "; ".join(problems))


def unknown_operation(operation: str) -> AwsError:
    return AwsError("UnknownOperationException", f"Unknown operation {operation}")
