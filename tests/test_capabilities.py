"""Every ECS operation of the pinned model either has a handler or answers UnsupportedFeatureException, and the
README's capability table says exactly which."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import botocore.session
from conftest import ROOT
from test_conformance import CALLS, ERROR_ONLY

MODEL = botocore.session.get_session().get_service_model("ecs")
TARGET = "AmazonEC2ContainerServiceV20141113"
SECTION = re.compile(r"<!-- section: ecs-control \(owner: ecs-control\) -->(.*?)(?=\n### |\n## )", re.S)
ROW = re.compile(r"^\|\s*`?([A-Za-z]+)`?\s*\|\s*(implemented|not supported)\s*\|", re.M)


def answers(endpoint: str, operation: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        endpoint,
        data=b"{}",
        method="POST",
        headers={"X-Amz-Target": f"{TARGET}.{operation}", "Content-Type": "application/x-amz-json-1.1"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def served(endpoint: str) -> dict[str, bool]:
    """operation -> implemented, as the live server answers it."""
    out = {}
    for operation in MODEL.operation_names:
        status, body = answers(endpoint, operation)
        assert status != 500, (operation, body)
        unsupported = body.get("__type") == "UnsupportedFeatureException"
        if unsupported:
            assert body["message"] == f"{operation} is not supported by dockyard.", body
        out[operation] = not unsupported
    return out


def readme_table() -> dict[str, bool]:
    section = SECTION.search((ROOT / "README.md").read_text())
    assert section, "README has no ecs-control section"
    return {op: status == "implemented" for op, status in ROW.findall(section.group(1))}


def test_every_operation_is_handled_or_honestly_unsupported(clean, server):
    implemented = served(server.endpoint)
    assert len(implemented) == len(MODEL.operation_names)
    # everything issue 2 lists is real
    for operation in set(CALLS) | ERROR_ONLY:
        assert implemented[operation], operation


def test_readme_capability_table_matches_the_server(clean, server):
    implemented = served(server.endpoint)
    table = readme_table()
    assert sorted(table) == sorted(MODEL.operation_names), set(table) ^ set(MODEL.operation_names)
    assert table == implemented


def test_every_implemented_operation_has_a_conformance_call(clean, server):
    """An operation gaining a handler must gain a call in test_conformance.CALLS too."""
    implemented = {op for op, real in served(server.endpoint).items() if real}
    assert implemented == set(CALLS) | ERROR_ONLY, implemented ^ (set(CALLS) | ERROR_ONLY)
