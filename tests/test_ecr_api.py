"""The ECR API through boto3 against a live server: repositories, images (shared with the registry), the
layer-upload API, lifecycle policies, tagging, tokens."""

from __future__ import annotations

import base64
import json
import time
import urllib.request

import pytest
from botocore.exceptions import ClientError
from registry_client import DOCKER_V2, RegistryClient, digest, image_manifest, password_for


@pytest.fixture
def ecr(clean, aws):
    return aws("ecr")


@pytest.fixture
def reg(server, ecr):
    ecr.create_repository(repositoryName="app")
    return RegistryClient(server.port, password_for(ecr))


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = excinfo.value.response["Error"]
    return err["Code"], err["Message"]


def test_create_describe_delete_repository(ecr, server):
    repo = ecr.create_repository(
        repositoryName="team/svc",
        tags=[{"Key": "team", "Value": "a"}],
        imageTagMutability="IMMUTABLE",
        imageScanningConfiguration={"scanOnPush": True},
        encryptionConfiguration={"encryptionType": "KMS"},
    )["repository"]
    assert repo["repositoryArn"] == "arn:aws:ecr:us-east-1:000000000000:repository/team/svc"
    assert repo["repositoryUri"] == f"127.0.0.1:{server.port}/team/svc"
    assert repo["imageTagMutability"] == "IMMUTABLE"
    assert repo["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repo["encryptionConfiguration"]["encryptionType"] == "KMS"
    assert repo["encryptionConfiguration"]["kmsKey"].startswith("arn:aws:kms:us-east-1:000000000000:")
    with pytest.raises(ClientError) as exc:
        ecr.create_repository(repositoryName="team/svc")
    assert error_of(exc) == (
        "RepositoryAlreadyExistsException",
        "The repository with name 'team/svc' already exists in the registry with id '000000000000'",
    )
    assert ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"] == [{"Key": "team", "Value": "a"}]
    described = ecr.describe_repositories(repositoryNames=["team/svc"])["repositories"]
    assert described[0]["repositoryName"] == "team/svc"
    with pytest.raises(ClientError) as exc:
        ecr.describe_repositories(repositoryNames=["nope"])
    assert error_of(exc) == (
        "RepositoryNotFoundException",
        "The repository with name 'nope' does not exist in the registry with id '000000000000'",
    )
    assert ecr.delete_repository(repositoryName="team/svc")["repository"]["repositoryName"] == "team/svc"
    assert ecr.describe_repositories()["repositories"] == []


def test_invalid_repository_name_is_rejected(ecr):
    with pytest.raises(ClientError) as exc:
        ecr.create_repository(repositoryName="Upper/Case")
    assert error_of(exc)[0] == "InvalidParameterException"
    assert ecr.describe_repositories()["repositories"] == []


def test_describe_repositories_paginates(ecr):
    for i in range(5):
        ecr.create_repository(repositoryName=f"r{i}")
    pages = list(ecr.get_paginator("describe_repositories").paginate(PaginationConfig={"PageSize": 2}))
    assert [len(p["repositories"]) for p in pages] == [2, 2, 1]
    assert [r["repositoryName"] for p in pages for r in p["repositories"]] == [f"r{i}" for i in range(5)]


def test_delete_non_empty_repository_needs_force(ecr, reg):
    reg.push_image("app", "v1", [b"layer"])
    with pytest.raises(ClientError) as exc:
        ecr.delete_repository(repositoryName="app")
    assert error_of(exc) == (
        "RepositoryNotEmptyException",
        "The repository with name 'app' in registry with id '000000000000' cannot be deleted because it still "
        "contains images",
    )
    ecr.delete_repository(repositoryName="app", force=True)
    assert reg.request("GET", "/v2/app/manifests/v1").error == "NAME_UNKNOWN"


def test_pushed_image_is_described_and_round_trips_through_put_image(ecr, reg):
    layers = [b"a" * 1000, b"b" * 500]
    d, manifest = reg.push_image("app", "v1", layers)
    detail = ecr.describe_images(repositoryName="app")["imageDetails"][0]
    assert detail["imageDigest"] == d
    assert detail["imageTags"] == ["v1"]
    assert detail["imageSizeInBytes"] == 1500
    assert detail["imageManifestMediaType"] == DOCKER_V2
    assert detail["artifactMediaType"] == "application/vnd.docker.container.image.v1+json"
    assert abs(detail["imagePushedAt"].timestamp() - time.time()) < 60

    got = ecr.batch_get_image(repositoryName="app", imageIds=[{"imageTag": "v1"}, {"imageTag": "missing"}])
    text = got["images"][0]["imageManifest"]
    assert digest(text.encode()) == d
    assert got["failures"] == [
        {
            "imageId": {"imageTag": "missing"},
            "failureCode": "ImageNotFound",
            "failureReason": "Requested image not found",
        }
    ]
    # retag through the API; the registry serves the new tag with the same bytes
    put = ecr.put_image(repositoryName="app", imageManifest=text, imageTag="v2")["image"]
    assert put["imageId"] == {"imageDigest": d, "imageTag": "v2"}
    assert reg.request("GET", "/v2/app/manifests/v2").body == text.encode()
    with pytest.raises(ClientError) as exc:
        ecr.put_image(repositoryName="app", imageManifest=text, imageTag="v2")
    assert error_of(exc) == (
        "ImageAlreadyExistsException",
        f"Image with digest '{d}' and tag 'v2' already exists in the repository with name 'app' in registry with "
        "id '000000000000'",
    )
    with pytest.raises(ClientError) as exc:
        ecr.put_image(repositoryName="app", imageManifest=text, imageDigest=digest(b"other"))
    assert error_of(exc)[0] == "ImageDigestDoesNotMatchException"
    assert manifest["layers"][0]["size"] == 1000


def test_put_image_errors(ecr, reg):
    with pytest.raises(ClientError) as exc:
        ecr.put_image(repositoryName="app", imageManifest=json.dumps(image_manifest(b"{}", [b"x"])), imageTag="t")
    assert error_of(exc)[0] == "LayersNotFoundException"
    with pytest.raises(ClientError) as exc:
        ecr.put_image(repositoryName="app", imageManifest="{not json", imageTag="t")
    assert error_of(exc)[0] == "InvalidParameterException"
    ecr.put_image_tag_mutability(repositoryName="app", imageTagMutability="IMMUTABLE")
    reg.push_image("app", "v1", [b"one"])
    d2, _ = reg.push_image("app", "v2", [b"two"])
    text = ecr.batch_get_image(repositoryName="app", imageIds=[{"imageDigest": d2}])["images"][0]["imageManifest"]
    with pytest.raises(ClientError) as exc:
        ecr.put_image(repositoryName="app", imageManifest=text, imageTag="v1")
    assert error_of(exc) == (
        "ImageTagAlreadyExistsException",
        "The image tag 'v1' already exists in the 'app' repository and cannot be overwritten because the repository "
        "is immutable.",
    )


def test_mutable_tag_moves_and_leaves_old_image_untagged(ecr, reg):
    old, _ = reg.push_image("app", "latest", [b"old"])
    new, _ = reg.push_image("app", "latest", [b"new"])
    untagged = ecr.list_images(repositoryName="app", filter={"tagStatus": "UNTAGGED"})["imageIds"]
    assert untagged == [{"imageDigest": old}]
    tagged = ecr.list_images(repositoryName="app", filter={"tagStatus": "TAGGED"})["imageIds"]
    assert tagged == [{"imageDigest": new, "imageTag": "latest"}]
    details = ecr.describe_images(repositoryName="app", filter={"tagStatus": "UNTAGGED"})["imageDetails"]
    assert "imageTags" not in details[0]


def test_describe_images_unknown_id_is_an_exception(ecr, reg):
    with pytest.raises(ClientError) as exc:
        ecr.describe_images(repositoryName="app", imageIds=[{"imageTag": "x"}])
    assert error_of(exc) == (
        "ImageNotFoundException",
        "The image with imageId {imageDigest:'null', imageTag:'x'} does not exist within the repository with name "
        "'app' in the registry with id '000000000000'",
    )


def test_list_images_paginates(ecr, reg):
    _, manifest = reg.push_image("app", "t0", [b"paged"])
    for i in range(1, 5):
        reg.push_manifest("app", f"t{i}", manifest)
    pages = list(ecr.get_paginator("list_images").paginate(repositoryName="app", PaginationConfig={"PageSize": 2}))
    assert [len(p["imageIds"]) for p in pages] == [2, 2, 1]
    assert sorted(i["imageTag"] for p in pages for i in p["imageIds"]) == [f"t{i}" for i in range(5)]


def test_batch_delete_image(ecr, reg):
    d, manifest = reg.push_image("app", "a", [b"del"])
    reg.push_manifest("app", "b", manifest)
    out = ecr.batch_delete_image(repositoryName="app", imageIds=[{"imageTag": "a"}, {"imageTag": "zzz"}])
    assert out["imageIds"] == [{"imageDigest": d, "imageTag": "a"}]
    assert out["failures"][0]["failureCode"] == "ImageNotFound"
    assert ecr.list_images(repositoryName="app")["imageIds"] == [{"imageDigest": d, "imageTag": "b"}]
    out = ecr.batch_delete_image(repositoryName="app", imageIds=[{"imageDigest": d}])
    assert out["imageIds"] == [{"imageDigest": d, "imageTag": "b"}]
    assert ecr.list_images(repositoryName="app")["imageIds"] == []


def test_layer_upload_api_then_put_image_and_download(ecr, reg):
    layer = bytes(range(256)) * 400
    config = b'{"architecture":"amd64","os":"linux"}'
    for blob in (layer, config):
        upload = ecr.initiate_layer_upload(repositoryName="app")
        assert upload["partSize"] > 0
        half = len(blob) // 2
        part = ecr.upload_layer_part(
            repositoryName="app",
            uploadId=upload["uploadId"],
            partFirstByte=0,
            partLastByte=half - 1,
            layerPartBlob=blob[:half],
        )
        assert part["lastByteReceived"] == half - 1
        with pytest.raises(ClientError) as exc:
            ecr.upload_layer_part(
                repositoryName="app",
                uploadId=upload["uploadId"],
                partFirstByte=half + 5,
                partLastByte=len(blob) - 1,
                layerPartBlob=blob[half + 5 :],
            )
        assert error_of(exc)[0] == "InvalidLayerPartException"
        assert exc.value.response["lastValidByteReceived"] == half - 1
        ecr.upload_layer_part(
            repositoryName="app",
            uploadId=upload["uploadId"],
            partFirstByte=half,
            partLastByte=len(blob) - 1,
            layerPartBlob=blob[half:],
        )
        done = ecr.complete_layer_upload(repositoryName="app", uploadId=upload["uploadId"], layerDigests=[digest(blob)])
        assert done["layerDigest"] == digest(blob)
    available = ecr.batch_check_layer_availability(repositoryName="app", layerDigests=[digest(layer), digest(b"no")])
    assert available["layers"][0]["layerAvailability"] == "AVAILABLE"
    assert available["layers"][0]["layerSize"] == len(layer)
    assert available["failures"][0]["failureCode"] == "MissingLayerDigest"

    manifest = json.dumps(image_manifest(config, [layer]))
    ecr.put_image(repositoryName="app", imageManifest=manifest, imageTag="api")
    assert reg.request("GET", "/v2/app/manifests/api").body == manifest.encode()
    url = ecr.get_download_url_for_layer(repositoryName="app", layerDigest=digest(layer))["downloadUrl"]
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.read() == layer
    with pytest.raises(ClientError) as exc:
        ecr.get_download_url_for_layer(repositoryName="app", layerDigest=digest(b"never"))
    assert error_of(exc)[0] == "LayersNotFoundException"


def test_layer_upload_errors(ecr, reg):
    with pytest.raises(ClientError) as exc:
        ecr.upload_layer_part(
            repositoryName="app",
            uploadId="00000000-0000-0000-0000-000000000000",
            partFirstByte=0,
            partLastByte=0,
            layerPartBlob=b"x",
        )
    assert error_of(exc)[0] == "UploadNotFoundException"
    upload = ecr.initiate_layer_upload(repositoryName="app")["uploadId"]
    with pytest.raises(ClientError) as exc:
        ecr.complete_layer_upload(repositoryName="app", uploadId=upload, layerDigests=[digest(b"")])
    assert error_of(exc)[0] == "EmptyUploadException"
    ecr.upload_layer_part(repositoryName="app", uploadId=upload, partFirstByte=0, partLastByte=2, layerPartBlob=b"abc")
    with pytest.raises(ClientError) as exc:
        ecr.complete_layer_upload(repositoryName="app", uploadId=upload, layerDigests=[digest(b"xyz")])
    assert error_of(exc)[0] == "InvalidLayerException"
    d = reg.push_blob("app", b"abc")
    upload = ecr.initiate_layer_upload(repositoryName="app")["uploadId"]
    ecr.upload_layer_part(repositoryName="app", uploadId=upload, partFirstByte=0, partLastByte=2, layerPartBlob=b"abc")
    with pytest.raises(ClientError) as exc:
        ecr.complete_layer_upload(repositoryName="app", uploadId=upload, layerDigests=[d])
    assert error_of(exc)[0] == "LayerAlreadyExistsException"


def push_history(reg, count: int, prefix: str = "v") -> list[str]:
    """Pushes ``count`` distinct images tagged ``<prefix><i>``, oldest first."""
    digests = []
    for i in range(count):
        d, _ = reg.push_image("app", f"{prefix}{i}", [f"{prefix}-layer-{i}".encode()])
        digests.append(d)
        time.sleep(0.01)
    return digests


POLICY = {
    "rules": [
        {
            "rulePriority": 1,
            "description": "keep two release images",
            "selection": {
                "tagStatus": "tagged",
                "tagPrefixList": ["rel"],
                "countType": "imageCountMoreThan",
                "countNumber": 2,
            },
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 2,
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 3},
            "action": {"type": "expire"},
        },
    ]
}


def test_lifecycle_preview_and_apply(ecr, reg):
    releases = push_history(reg, 4, "rel")
    dev = push_history(reg, 5, "dev")
    ecr.start_lifecycle_policy_preview(repositoryName="app", lifecyclePolicyText=json.dumps(POLICY))
    preview = ecr.get_waiter("lifecycle_policy_preview_complete")
    preview.wait(repositoryName="app", WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    result = ecr.get_lifecycle_policy_preview(repositoryName="app")
    expired = {(r["imageDigest"], r["appliedRulePriority"]) for r in result["previewResults"]}
    # rule 1 owns every rel* image (keeps the newest two); rule 2 sees only the dev images (keeps three)
    assert expired == {(releases[0], 1), (releases[1], 1), (dev[0], 2), (dev[1], 2)}
    assert result["summary"] == {"expiringImageTotalCount": 4}
    assert len(ecr.list_images(repositoryName="app")["imageIds"]) == 9  # a preview changes nothing

    ecr.put_lifecycle_policy(repositoryName="app", lifecyclePolicyText=json.dumps(POLICY))
    left = {i["imageDigest"] for i in ecr.list_images(repositoryName="app")["imageIds"]}
    assert left == {releases[2], releases[3], dev[2], dev[3], dev[4]}
    assert ecr.get_lifecycle_policy(repositoryName="app")["lifecyclePolicyText"] == json.dumps(POLICY)
    # and it keeps applying as images arrive
    newer = push_history(reg, 1, "newdev")
    left = {i["imageDigest"] for i in ecr.list_images(repositoryName="app")["imageIds"]}
    assert newer[0] in left
    assert dev[2] not in left


def test_lifecycle_untagged_and_age_rules(ecr, reg):
    old, _ = reg.push_image("app", "latest", [b"gen1"])
    reg.push_image("app", "latest", [b"gen2"])
    policy = {
        "rules": [
            {
                "rulePriority": 1,
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": 1,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1},
                "action": {"type": "expire"},
            },
        ]
    }
    with pytest.raises(ClientError) as exc:
        ecr.put_lifecycle_policy(repositoryName="app", lifecyclePolicyText=json.dumps(policy))
    assert error_of(exc)[0] == "InvalidParameterException"
    policy["rules"] = policy["rules"][:1]
    ecr.start_lifecycle_policy_preview(repositoryName="app", lifecyclePolicyText=json.dumps(policy))
    assert ecr.get_lifecycle_policy_preview(repositoryName="app")["previewResults"] == []  # pushed just now
    assert old in {i["imageDigest"] for i in ecr.list_images(repositoryName="app")["imageIds"]}


@pytest.mark.parametrize(
    "rules",
    [
        [
            {
                "rulePriority": 1,
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1},
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1},
                "action": {"type": "expire"},
            },
        ],
        [
            {
                "rulePriority": 1,
                "selection": {"tagStatus": "tagged", "countType": "imageCountMoreThan", "countNumber": 1},
                "action": {"type": "expire"},
            }
        ],
        [
            {
                "rulePriority": 1,
                "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 0},
                "action": {"type": "expire"},
            }
        ],
    ],
)
def test_invalid_lifecycle_policies(ecr, reg, rules):
    with pytest.raises(ClientError) as exc:
        ecr.put_lifecycle_policy(repositoryName="app", lifecyclePolicyText=json.dumps({"rules": rules}))
    code, message = error_of(exc)
    assert code == "InvalidParameterException"
    assert "Lifecycle policy validation failure" in message
    with pytest.raises(ClientError) as exc:
        ecr.get_lifecycle_policy(repositoryName="app")
    assert error_of(exc)[0] == "LifecyclePolicyNotFoundException"


def test_repository_policy_and_tagging(ecr, reg):
    arn = ecr.describe_repositories()["repositories"][0]["repositoryArn"]
    with pytest.raises(ClientError) as exc:
        ecr.get_repository_policy(repositoryName="app")
    assert error_of(exc)[0] == "RepositoryPolicyNotFoundException"
    policy = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*"}]}
    )
    ecr.set_repository_policy(repositoryName="app", policyText=policy)
    assert ecr.get_repository_policy(repositoryName="app")["policyText"] == policy
    with pytest.raises(ClientError) as exc:
        ecr.set_repository_policy(repositoryName="app", policyText="nope")
    assert error_of(exc)[0] == "InvalidParameterException"
    ecr.delete_repository_policy(repositoryName="app")
    ecr.tag_resource(resourceArn=arn, tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    ecr.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert ecr.list_tags_for_resource(resourceArn=arn)["tags"] == [{"Key": "b", "Value": "2"}]
    with pytest.raises(ClientError) as exc:
        ecr.tag_resource(resourceArn=arn, tags=[{"Key": "aws:x", "Value": "1"}])
    assert error_of(exc)[0] == "InvalidTagParameterException"


def test_authorization_token_and_registry(ecr, server):
    data = ecr.get_authorization_token()["authorizationData"][0]
    user, password = base64.b64decode(data["authorizationToken"]).decode().split(":")
    assert user == "AWS"
    assert data["proxyEndpoint"] == f"http://127.0.0.1:{server.port}"
    assert 11 * 3600 < data["expiresAt"].timestamp() - time.time() <= 12 * 3600
    assert RegistryClient(server.port, password).request("GET", "/v2/").status == 200
    assert ecr.describe_registry()["registryId"] == "000000000000"
    two = ecr.get_authorization_token(registryIds=["000000000000", "111111111111"])["authorizationData"]
    assert len(two) == 2
    other = base64.b64decode(two[1]["authorizationToken"]).decode().split(":")[1]
    assert RegistryClient(server.port, other).request("GET", "/v2/_catalog").status == 200


def test_registry_policy_and_scanning_configuration(ecr, reg):
    with pytest.raises(ClientError) as exc:
        ecr.get_registry_policy()
    assert error_of(exc) == (
        "RegistryPolicyNotFoundException",
        "Registry policy does not exist in the registry with id '000000000000'",
    )
    policy = json.dumps({"Version": "2012-10-17", "Statement": []})
    assert ecr.put_registry_policy(policyText=policy)["policyText"] == policy
    assert ecr.get_registry_policy()["policyText"] == policy
    ecr.delete_registry_policy()
    assert ecr.get_registry_scanning_configuration()["scanningConfiguration"] == {"scanType": "BASIC", "rules": []}
    rules = [{"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}]
    ecr.put_registry_scanning_configuration(scanType="ENHANCED", rules=rules)
    assert ecr.get_registry_scanning_configuration()["scanningConfiguration"] == {
        "scanType": "ENHANCED",
        "rules": rules,
    }
    ecr.put_image_scanning_configuration(repositoryName="app", imageScanningConfiguration={"scanOnPush": True})
    out = ecr.batch_get_repository_scanning_configuration(repositoryNames=["app", "ghost"])
    assert out["scanningConfigurations"][0]["scanOnPush"] is True
    assert out["failures"][0]["failureCode"] == "REPOSITORY_NOT_FOUND"


def test_unsupported_operations_answer_honestly(ecr):
    with pytest.raises(ClientError) as exc:
        ecr.describe_pull_through_cache_rules()
    assert error_of(exc) == ("ValidationException", "DescribePullThroughCacheRules is not supported by dockyard.")
