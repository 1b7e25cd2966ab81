"""SQS: JSON protocol for current SDKs, query protocol for older ones; also an EventBridge target."""

from __future__ import annotations

from dockyard.adapters.bridge import MotoService

SERVICE = MotoService("sqs", "sqs")
