"""Serves one JSON-protocol service: target header -> operation -> provider method -> serialized reply."""

from __future__ import annotations

import inspect
import logging
from typing import Any

from dockyard.protocol.errors import AwsError, unknown_operation
from dockyard.protocol.json11 import RequestParser, ResponseSerializer, ShapeError
from dockyard.protocol.provider import Provider, RequestContext
from dockyard.protocol.specs import ServiceSpec

log = logging.getLogger("dockyard.protocol")

# Errors any operation may answer whatever its model lists: the protocol's own and the auth/throttling family.
PROTOCOL_ERRORS = frozenset(
    {
        "SerializationException",
        "ValidationException",
        "UnknownOperationException",
        "ServerException",
        "InternalFailure",
        "UnsupportedFeatureException",
        "UnsupportedOperation",
        "AccessDeniedException",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "IncompleteSignature",
        "MissingAuthenticationToken",
        "ExpiredTokenException",
        "ThrottlingException",
    }
)


class JsonService:
    """A provider bound to its model and codec."""

    def __init__(self, spec: ServiceSpec, provider: Provider, strict: bool = False) -> None:
        self.spec = spec
        self.provider = provider
        self.parser = RequestParser(spec)
        self.serializer = ResponseSerializer(spec, strict=strict)

    @property
    def name(self) -> str:
        return self.spec.name

    async def call(self, ctx: RequestContext, body: bytes) -> tuple[int, bytes, str | None]:
        """Runs ``ctx.operation`` and returns (status, body, error code or None)."""
        try:
            if ctx.operation not in self.spec.operations:
                raise unknown_operation(ctx.operation)
            handler = self.provider.handler(ctx.operation)
            if handler is None:  # whatever the input, an operation dockyard lacks says so
                raise self.provider.unsupported(ctx.operation)
            params = self.parser.parse(ctx.operation, body)
            result: Any = handler(ctx, params)
            if inspect.isawaitable(result):
                result = await result
            return 200, self.serializer.serialize(ctx.operation, result), None
        except AwsError as error:
            if self.serializer.strict and not self._documented(ctx.operation, error.code):
                log.error("%s.%s answered undocumented error %s", self.name, ctx.operation, error.code)
                return self._internal_error(f": {error.code} is not an error {ctx.operation} can answer")
            return error.status, self.serializer.serialize_error(error), error.code
        except Exception as exc:
            log.exception("%s.%s failed", self.name, ctx.operation)
            # Strict mode (the test suite) names the bug; otherwise the client sees AWS's opaque 500.
            return self._internal_error(f": {exc}" if self.serializer.strict and isinstance(exc, ShapeError) else ".")

    def _documented(self, operation: str, code: str) -> bool:
        """Whether the model lets ``operation`` answer ``code`` (strict mode rejects any other error)."""
        known = self.spec.operations.get(operation)
        return code in PROTOCOL_ERRORS or known is None or code in known.errors

    def _internal_error(self, detail: str) -> tuple[int, bytes, str]:
        code = "ServerException" if "ServerException" in self.spec.shapes else "InternalFailure"
        error = AwsError(code, f"An internal error occurred in dockyard{detail}", status=500)
        return 500, self.serializer.serialize_error(error), error.code
