"""The AWS services around a task (Logs, Secrets Manager, SSM, EventBridge, SQS, STS, IAM, S3), backed by moto.

Each service has one module here: its moto binding (``SERVICE``) and the small typed calls the task runtime
uses (write log events, read a secret, assume a role...). Only ``bridge`` touches moto's request handling, and
nothing imports moto until a service is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dockyard.adapters import events, iam, logs, s3, secretsmanager, sqs, ssm, sts
from dockyard.adapters.bridge import MotoJsonProvider, MotoService, issued_key_account, signed_handler

if TYPE_CHECKING:
    from dockyard.server.app import App
    from dockyard.server.http import Request

# botocore service name -> its moto binding; JSON services are routed by X-Amz-Target, the others by SigV4 scope.
JSON_SERVICES: dict[str, MotoService] = {
    "logs": logs.SERVICE,
    "secretsmanager": secretsmanager.SERVICE,
    "ssm": ssm.SERVICE,
    "events": events.SERVICE,
    "sqs": sqs.SERVICE,
}
SIGNED_SERVICES: dict[str, MotoService] = {
    "sts": sts.SERVICE,
    "iam": iam.SERVICE,
    "s3": s3.SERVICE,
    "sqs": sqs.SERVICE,  # the query protocol older SDKs speak
}


def install(app: App) -> None:
    from dockyard.protocol.specs import service_spec

    def json_factory(name: str, service: MotoService) -> MotoJsonProvider:
        return MotoJsonProvider(service, service_spec(name), NATIVE.get(name))

    for name, service in JSON_SERVICES.items():
        prefix = TARGET_PREFIXES[name]
        app.add_json_service(name, prefix, lambda n=name, s=service: json_factory(n, s))

    def who(request: Request) -> tuple[str, str]:
        ctx = app.context(request, "", "")
        return ctx.account, ctx.region

    for signing_name, service in SIGNED_SERVICES.items():
        app.add_signed_service(signing_name, signed_handler(service, who))

    def reset() -> None:
        for service in {*JSON_SERVICES.values(), *SIGNED_SERVICES.values()}:
            service.reset()

    app.on_reset(reset)
    app.issued_key_account = issued_key_account


# Operations answered from the backend directly, where moto's own handler is too slow for the task runtime.
NATIVE = {"logs": {"GetLogEvents": logs.get_log_events}}

# From botocore's models (metadata.targetPrefix); kept literal so start-up reads no model.
TARGET_PREFIXES = {
    "logs": "Logs_20140328",
    "secretsmanager": "secretsmanager",
    "ssm": "AmazonSSM",
    "events": "AWSEvents",
    "sqs": "AmazonSQS",
}
