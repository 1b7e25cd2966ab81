"""IAM (query protocol), global per account."""

from __future__ import annotations

from dockyard.adapters.bridge import MotoService

SERVICE = MotoService("iam", "iam", regional=False)
