"""The registry HTTP API v2 over raw HTTP: auth, uploads (monolithic, chunked, interrupted, concurrent),
ranges, manifests with Accept negotiation, listings with pagination, errors."""

from __future__ import annotations

import json
import os
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import client_for
from registry_client import DOCKER_V2, OCI_INDEX, OCI_MANIFEST, RegistryClient, digest, image_manifest, password_for

from tests.conftest import start_server, stop_server


@pytest.fixture
def ecr(clean, aws):
    return aws("ecr")


@pytest.fixture
def reg(server, ecr):
    ecr.create_repository(repositoryName="team/app")
    return RegistryClient(server.port, password_for(ecr))


def leftovers(server) -> list[str]:
    return os.listdir(server.data_dir / "registry" / "uploads")


def test_base_challenges_without_credentials(server):
    reply = RegistryClient(server.port).request("GET", "/v2/")
    assert reply.status == 401
    assert reply.error == "UNAUTHORIZED"
    assert reply.headers["www-authenticate"].startswith('Basic realm="http://127.0.0.1:')
    assert 'service="ecr.amazonaws.com"' in reply.headers["www-authenticate"]
    assert reply.headers["docker-distribution-api-version"] == "registry/2.0"


def test_only_issued_tokens_are_accepted(server, ecr):
    password = password_for(ecr)
    assert ":" not in password
    assert RegistryClient(server.port, password).request("GET", "/v2/").status == 200
    forged = password[:-2] + ("AA" if not password.endswith("AA") else "BB")
    assert RegistryClient(server.port, forged).request("GET", "/v2/").status == 401
    assert RegistryClient(server.port, "not-a-token").request("GET", "/v2/_catalog").status == 401


def test_monolithic_upload_head_and_range(reg):
    data = os.urandom(100_000)
    d = reg.push_blob("team/app", data)
    head = reg.request("HEAD", f"/v2/team/app/blobs/{d}")
    assert head.status == 200
    assert head.headers["content-length"] == "100000"
    assert head.headers["docker-content-digest"] == d
    assert reg.request("GET", f"/v2/team/app/blobs/{d}").body == data
    part = reg.request("GET", f"/v2/team/app/blobs/{d}", headers={"Range": "bytes=10-19"})
    assert part.status == 206
    assert part.body == data[10:20]
    assert part.headers["content-range"] == "bytes 10-19/100000"
    assert reg.request("GET", f"/v2/team/app/blobs/{d}", headers={"Range": "bytes=99990-"}).body == data[99990:]
    assert reg.request("GET", f"/v2/team/app/blobs/{d}", headers={"Range": "bytes=200000-"}).status == 416


def test_chunked_upload_reports_ranges_without_bytes_prefix(reg, server):
    data = os.urandom(3000)
    start = reg.request("POST", "/v2/team/app/blobs/uploads/")
    assert start.status == 202
    assert start.headers["range"] == "0-0"
    location = start.headers["location"]
    assert location == f"/v2/team/app/blobs/uploads/{start.headers['docker-upload-uuid']}"
    first = reg.request("PATCH", location, data[:1000], {"Content-Range": "0-999"})
    assert (first.status, first.headers["range"]) == (202, "0-999")
    # out of order
    assert reg.request("PATCH", location, data[2000:], {"Content-Range": "2000-2999"}).status == 416
    second = reg.request("PATCH", location, data[1000:2000])  # streamed: no Content-Range
    assert second.headers["range"] == "0-1999"
    status = reg.request("GET", location)
    assert (status.status, status.headers["range"]) == (204, "0-1999")
    d = digest(data)
    done = reg.request("PUT", f"{location}?digest={d}", data[2000:])
    assert done.status == 201
    assert done.headers["docker-content-digest"] == d
    assert done.headers["location"] == f"/v2/team/app/blobs/{d}"
    assert reg.request("GET", f"/v2/team/app/blobs/{d}").body == data
    assert reg.request("GET", location).status == 404
    assert leftovers(server) == []


def test_single_put_upload_as_containerd_does(reg, server):
    data = os.urandom(50_000)
    start = reg.request("POST", "/v2/team/app/blobs/uploads/")
    done = reg.request("PUT", f"{start.headers['location']}?digest={digest(data)}", data)
    assert (done.status, done.headers["docker-content-digest"]) == (201, digest(data))
    assert reg.request("GET", f"/v2/team/app/blobs/{digest(data)}").body == data
    assert leftovers(server) == []


def test_digest_mismatch_leaves_nothing(reg, server):
    start = reg.request("POST", "/v2/team/app/blobs/uploads/")
    wrong = digest(b"something else")
    reply = reg.request("PUT", f"{start.headers['location']}?digest={wrong}", b"actual bytes")
    assert (reply.status, reply.error) == (400, "DIGEST_INVALID")
    assert reg.request("HEAD", f"/v2/team/app/blobs/{wrong}").status == 404
    assert reg.request("HEAD", f"/v2/team/app/blobs/{digest(b'actual bytes')}").status == 404
    assert leftovers(server) == []


def test_cancel_upload(reg, server):
    start = reg.request("POST", "/v2/team/app/blobs/uploads/")
    reg.request("PATCH", start.headers["location"], b"partial")
    assert reg.request("DELETE", start.headers["location"]).status == 204
    assert reg.request("GET", start.headers["location"]).status == 404
    assert leftovers(server) == []


def test_interrupted_upload_leaves_nothing_visible(reg, server):
    data = os.urandom(4 << 20)
    start = reg.request("POST", "/v2/team/app/blobs/uploads/")
    location = start.headers["location"]
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        head = (
            f"PATCH {location} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            f"Authorization: {reg.auth['Authorization']}\r\nContent-Length: {len(data)}\r\n\r\n"
        )
        sock.sendall(head.encode() + data[: 1 << 20])
    # the session dies with its connection: no status, no half-written file, no blob
    for _ in range(50):
        if reg.request("GET", location).status == 404 and not leftovers(server):
            break
    assert reg.request("GET", location).status == 404
    assert leftovers(server) == []
    assert reg.request("HEAD", f"/v2/team/app/blobs/{digest(data)}").status == 404


def test_concurrent_pushes_of_the_same_layer(reg):
    data = os.urandom(2 << 20)

    def push(_: int) -> int:
        start = reg.request("POST", "/v2/team/app/blobs/uploads/")
        reg.request("PATCH", start.headers["location"], data)
        return reg.request("PUT", f"{start.headers['location']}?digest={digest(data)}").status

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(push, range(8))) == [201] * 8
    assert reg.request("GET", f"/v2/team/app/blobs/{digest(data)}").body == data


def test_cross_repository_mount(reg, ecr):
    ecr.create_repository(repositoryName="other")
    d = reg.push_blob("team/app", b"layer bytes")
    assert reg.request("HEAD", f"/v2/other/blobs/{d}").status == 404
    mounted = reg.request("POST", f"/v2/other/blobs/uploads/?mount={d}&from=team/app")
    assert mounted.status == 201
    assert mounted.headers["docker-content-digest"] == d
    assert reg.request("HEAD", f"/v2/other/blobs/{d}").status == 200
    # unknown source blob: a normal upload session instead
    assert reg.request("POST", f"/v2/other/blobs/uploads/?mount={digest(b'x')}&from=team/app").status == 202


def test_manifest_round_trip_by_tag_and_digest(reg):
    d, _ = reg.push_image("team/app", "v1", [b"layer one", b"layer two"])
    for ref in ("v1", d):
        got = reg.request("GET", f"/v2/team/app/manifests/{ref}", headers={"Accept": DOCKER_V2})
        assert got.status == 200
        assert got.headers["content-type"] == DOCKER_V2
        assert got.headers["docker-content-digest"] == d
        assert digest(got.body) == d
    head = reg.request("HEAD", "/v2/team/app/manifests/v1")
    assert (head.status, head.body, head.headers["docker-content-digest"]) == (200, b"", d)
    assert reg.request("GET", "/v2/team/app/manifests/v2").error == "MANIFEST_UNKNOWN"


def test_manifest_with_unknown_blobs_is_rejected(reg):
    reply = reg.push_manifest("team/app", "v1", image_manifest(b"{}", [b"never pushed"]))
    assert (reply.status, reply.error) == (400, "MANIFEST_BLOB_UNKNOWN")
    bad = reg.request("PUT", "/v2/team/app/manifests/v1", b"{not json", {"Content-Type": DOCKER_V2})
    assert (bad.status, bad.error) == (400, "MANIFEST_INVALID")


def test_oci_index_and_accept_negotiation(reg):
    child, manifest = reg.push_image("team/app", "amd64", [b"oci layer"])
    index = {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {
                "mediaType": DOCKER_V2,
                "digest": child,
                "size": len(json.dumps(manifest)),
                "platform": {"architecture": "amd64", "os": "linux"},
            }
        ],
    }
    put = reg.push_manifest("team/app", "multi", index, OCI_INDEX)
    assert put.status == 201
    index_digest = put.headers["docker-content-digest"]
    both = reg.request("GET", "/v2/team/app/manifests/multi", headers={"Accept": f"{OCI_INDEX}, {DOCKER_V2}"})
    assert both.headers["content-type"] == OCI_INDEX
    only_v2 = reg.request("GET", "/v2/team/app/manifests/multi", headers={"Accept": DOCKER_V2})
    assert (only_v2.status, only_v2.error) == (404, "MANIFEST_UNKNOWN")
    by_digest = reg.request("GET", f"/v2/team/app/manifests/{index_digest}", headers={"Accept": DOCKER_V2})
    assert by_digest.status == 200  # no negotiation by digest
    # a child an index references cannot be deleted
    assert reg.request("DELETE", f"/v2/team/app/manifests/{child}").status == 403
    missing = dict(index, manifests=[dict(index["manifests"][0], digest=digest(b"nope"))])
    assert reg.push_manifest("team/app", "broken", missing, OCI_INDEX).error == "MANIFEST_BLOB_UNKNOWN"


def test_oci_manifest_push_with_tag_query(reg):
    config = b'{"architecture":"arm64","os":"linux"}'
    manifest = image_manifest(config, [b"arm layer"])
    manifest["mediaType"] = OCI_MANIFEST
    for blob in (config, b"arm layer"):
        reg.push_blob("team/app", blob)
    body = json.dumps(manifest).encode()
    reply = reg.request(
        "PUT", f"/v2/team/app/manifests/{digest(body)}?tag=a&tag=b", body, {"Content-Type": OCI_MANIFEST}
    )
    assert reply.status == 201
    assert reply.headers["oci-tag"] == "a, b"
    assert reg.request("GET", "/v2/team/app/tags/list").json == {"name": "team/app", "tags": ["a", "b"]}


def test_delete_by_tag_and_by_digest(reg):
    d, _ = reg.push_image("team/app", "v1", [b"del layer"])
    reg.push_manifest("team/app", "v2", json.loads(reg.request("GET", f"/v2/team/app/manifests/{d}").body))
    assert reg.request("DELETE", "/v2/team/app/manifests/v1").status == 202
    assert reg.request("GET", "/v2/team/app/manifests/v1").status == 404
    assert reg.request("GET", f"/v2/team/app/manifests/{d}").status == 200
    assert reg.request("DELETE", f"/v2/team/app/manifests/{d}").status == 202
    assert reg.request("GET", "/v2/team/app/manifests/v2").status == 404
    assert reg.request("DELETE", f"/v2/team/app/manifests/{d}").error == "MANIFEST_UNKNOWN"


def test_immutable_tags_answer_tag_invalid(reg, ecr):
    ecr.put_image_tag_mutability(repositoryName="team/app", imageTagMutability="IMMUTABLE")
    reg.push_image("team/app", "v1", [b"first"])
    reg.push_image("team/app", "v1", [b"first"])  # the same image again is fine
    with pytest.raises(AssertionError):
        reg.push_image("team/app", "v1", [b"second"])
    reg.push_blob("team/app", b'{"a":1}')
    reply = reg.push_manifest("team/app", "v1", image_manifest(b'{"a":1}', []))
    assert (reply.status, reply.error) == (400, "TAG_INVALID")
    assert reply.json["errors"][0]["message"] == (
        "The image tag 'v1' already exists in the 'team/app' repository and cannot be overwritten because the "
        "repository is immutable."
    )


def test_tags_and_catalog_paginate_with_link(reg, ecr):
    for name in ("b-repo", "a-repo"):
        ecr.create_repository(repositoryName=name)
    _, manifest = reg.push_image("team/app", "t1", [b"tagged"])
    for tag in ("t3", "t2", "t4"):
        reg.push_manifest("team/app", tag, manifest)
    first = reg.request("GET", "/v2/team/app/tags/list?n=2")
    assert first.json["tags"] == ["t1", "t2"]
    assert first.headers["link"] == '</v2/team/app/tags/list?n=2&last=t2>; rel="next"'
    rest = reg.request("GET", "/v2/team/app/tags/list?n=2&last=t2")
    assert rest.json["tags"] == ["t3", "t4"]
    assert "link" not in rest.headers
    assert reg.request("GET", "/v2/team/app/tags/list?n=x").error == "PAGINATION_NUMBER_INVALID"
    catalog = reg.request("GET", "/v2/_catalog?n=2")
    assert catalog.json == {"repositories": ["a-repo", "b-repo"]}
    assert catalog.headers["link"] == '</v2/_catalog?n=2&last=b-repo>; rel="next"'


def test_unknown_repository_is_name_unknown(reg):
    reply = reg.request("POST", "/v2/missing/repo/blobs/uploads/")
    assert (reply.status, reply.error) == (404, "NAME_UNKNOWN")
    assert reply.json["errors"][0]["message"] == (
        "The repository with name 'missing/repo' does not exist in the registry with id '000000000000'"
    )


def test_repository_named_credentials_is_a_repository(reg, ecr):
    ecr.create_repository(repositoryName="credentials")
    d = reg.push_blob("credentials", b"cred layer")
    assert reg.request("HEAD", f"/v2/credentials/blobs/{d}").status == 200


def test_token_selects_account_and_region(clean, server, aws):
    other = aws("ecr", region="eu-west-1", account="111111111111")
    other.create_repository(repositoryName="team/app")
    reg = RegistryClient(server.port, password_for(other))
    d, _ = reg.push_image("team/app", "v1", [b"eu layer"])
    assert other.describe_images(repositoryName="team/app")["imageDetails"][0]["imageDigest"] == d
    assert aws("ecr").describe_repositories()["repositories"] == []
    # an AWS-style host names the account and region itself
    aws_host = RegistryClient(
        server.port, password_for(aws("ecr")), host="111111111111.dkr.ecr.eu-west-1.amazonaws.com"
    )
    assert aws_host.request("GET", "/v2/team/app/tags/list").json["tags"] == ["v1"]


def test_auth_off_allows_anonymous_use(tmp_path):
    srv = start_server(tmp_path / "anon", env={"DOCKYARD_REGISTRY_AUTH": "off"})
    try:
        ecr = client_for(srv.endpoint, "ecr")
        ecr.create_repository(repositoryName="anon")
        reg = RegistryClient(srv.port)
        assert reg.request("GET", "/v2/").status == 200
        d, _ = reg.push_image("anon", "v1", [b"anonymous layer"])
        assert ecr.list_images(repositoryName="anon")["imageIds"] == [{"imageDigest": d, "imageTag": "v1"}]
    finally:
        stop_server(srv)
