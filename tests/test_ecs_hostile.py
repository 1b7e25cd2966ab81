"""Hostile and malformed input to every implemented ECS operation: never a 500, never a changed state.

Inputs are derived from each operation's valid conformance call: at every depth, each member is removed or
replaced by a value of every wrong JSON type (and by oversized and odd unicode strings).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import botocore.session
import pytest
from test_conformance import CALLS, ERROR_ONLY, ERRORS, build_world

MODEL = botocore.session.get_session().get_service_model("ecs")
TARGET = "AmazonEC2ContainerServiceV20141113"
WRONG = [None, 7, -1, 1.5, True, "x" * 3000, "\u0000\ud7ff\U0001f600", [], [1, "a", None], {}, {"a": {"b": []}}]


def post(endpoint: str, operation: str, body: bytes) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        endpoint, data=body, method="POST", headers={"X-Amz-Target": f"{TARGET}.{operation}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def variants(valid: Any) -> list[Any]:
    """``valid`` with, at every depth, one member replaced by each wrong value or removed (first list items)."""
    out: list[Any] = []
    if isinstance(valid, dict):
        for name, value in valid.items():
            out.append({k: v for k, v in valid.items() if k != name})
            out += [{**valid, name: wrong} for wrong in WRONG]
            out += [{**valid, name: inner} for inner in variants(value)]
    elif isinstance(valid, list) and valid:
        out += [[inner, *valid[1:]] for inner in variants(valid[0])]
    return out


# Moved by tasks that earlier, valid RunTask variants launched, as they progress: not the request's doing.
_LIVE_COUNTERS = ("runningTasksCount", "pendingTasksCount")


def snapshot(endpoint: str) -> list[Any]:
    """What a bad request must not change: clusters, task definitions, tasks, tags, account settings."""
    calls = [
        ("ListClusters", {}),
        ("ListTaskDefinitions", {"status": "ACTIVE"}),
        ("ListTaskDefinitions", {"status": "INACTIVE"}),
        ("ListTaskDefinitions", {"status": "DELETE_IN_PROGRESS"}),
        ("ListAccountSettings", {}),
    ]
    clusters = post(
        endpoint,
        "DescribeClusters",
        json.dumps({"clusters": ["conf", "new", "default"], "include": ["TAGS", "SETTINGS"]}).encode(),
    )[1]
    for cluster in clusters.get("clusters", []):
        for counter in _LIVE_COUNTERS:
            cluster.pop(counter, None)
    return [clusters, task_arns(endpoint), *(post(endpoint, op, json.dumps(body).encode())[1] for op, body in calls)]


def task_arns(endpoint: str) -> list[str]:
    """Every task of every cluster the world has, whatever its status (a task moves from RUNNING to STOPPED)."""
    arns: list[str] = []
    for cluster in ("conf", "default", "new"):
        for status in ("RUNNING", "STOPPED"):
            body: dict[str, Any] = {"cluster": cluster, "desiredStatus": status}
            while True:
                _, page = post(endpoint, "ListTasks", json.dumps(body).encode())
                arns += page.get("taskArns", [])
                if not page.get("nextToken"):
                    break
                body["nextToken"] = page["nextToken"]
    return sorted(arns)


BASES = {op: params for op, params in CALLS.items()} | {op: params for op, params, _ in ERRORS if op in ERROR_ONLY}


@pytest.mark.parametrize("operation", sorted(BASES))
def test_wrong_types_never_500_and_change_nothing(clean, aws, server, operation):
    build_world(aws)
    current = snapshot(server.endpoint)
    for body in variants(BASES[operation]):
        status, reply = post(server.endpoint, operation, json.dumps(body).encode())
        assert status in (200, 400), (body, reply)
        if status == 200:  # a value the model allows (e.g. null, an ignored member) may still succeed
            current = snapshot(server.endpoint)
            continue
        assert reply["__type"] and reply["message"], reply
        assert snapshot(server.endpoint) == current, (body, reply)


@pytest.mark.parametrize("body", [b"", b"{", b"null", b"[]", b'"x"', b"1e999", b'{"a":' * 500, b"\xff\xfe"])
def test_garbage_bodies(clean, server, body):
    for operation in sorted(BASES):
        status, reply = post(server.endpoint, operation, body)
        assert status in (200, 400), (operation, body, reply)
