"""Image operations: PutImage, BatchGetImage, BatchDeleteImage, DescribeImages, ListImages,
DescribeImageScanFindings."""

from __future__ import annotations

from dockyard.ecr import images
from dockyard.ecr.errors import invalid_parameter
from dockyard.ecr.operations.base import JSON, EcrOperations
from dockyard.ecr.state import Image, Repository
from dockyard.protocol.errors import AwsError
from dockyard.protocol.pagination import paginate
from dockyard.protocol.provider import RequestContext


class ImageOperations(EcrOperations):
    def put_image(self, ctx: RequestContext, p: JSON) -> JSON:
        repo = self.repo(ctx, p)
        data = p["imageManifest"].encode()
        image, _ = images.put(
            repo, self.ecr.blobs, data, p.get("imageManifestMediaType"), p.get("imageTag"), p.get("imageDigest")
        )
        image_id = {"imageDigest": image.digest, "imageTag": p.get("imageTag")}
        return {"image": self._image(repo, image, image_id)}

    def batch_get_image(self, ctx: RequestContext, p: JSON) -> JSON:
        repo = self.repo(ctx, p)
        found, failures = [], []
        for image_id in p["imageIds"]:
            image = images.find(repo, image_id)
            if image is None:
                code, reason = images.failure(repo, image_id)
                failures.append({"imageId": image_id, "failureCode": code, "failureReason": reason})
                continue
            found.append(self._image(repo, image, {"imageDigest": image.digest, "imageTag": image_id.get("imageTag")}))
        return {"images": found, "failures": failures}

    def batch_delete_image(self, ctx: RequestContext, p: JSON) -> JSON:
        repo = self.repo(ctx, p)
        deleted, failures = [], []
        for image_id in p["imageIds"]:
            ids, failure = images.delete(repo, image_id)
            deleted.extend(ids)
            if failure:
                failures.append({"imageId": image_id, "failureCode": failure[0], "failureReason": failure[1]})
        return {"imageIds": deleted, "failures": failures}

    def describe_images(self, ctx: RequestContext, p: JSON) -> JSON:
        repo = self.repo(ctx, p)
        if p.get("imageIds") and p.get("nextToken"):
            raise invalid_parameter("Invalid parameter: nextToken cannot be specified with imageIds")
        if p.get("imageIds"):
            selected = list({images.get(repo, i).digest: images.get(repo, i) for i in p["imageIds"]}.values())
        else:
            selected = _filtered(repo, (p.get("filter") or {}).get("tagStatus", "ANY"))
        page, token = paginate(selected, p.get("maxResults"), p.get("nextToken"), default_page=100)
        return {"imageDetails": [self._detail(repo, i) for i in page], "nextToken": token}

    def list_images(self, ctx: RequestContext, p: JSON) -> JSON:
        repo = self.repo(ctx, p)
        ids: list[JSON] = []
        for image in _filtered(repo, (p.get("filter") or {}).get("tagStatus", "ANY")):
            tags = repo.tags_of(image.digest)
            ids.extend([{"imageDigest": image.digest, "imageTag": t} for t in tags] or [{"imageDigest": image.digest}])
        page, token = paginate(ids, p.get("maxResults"), p.get("nextToken"), default_page=100)
        return {"imageIds": page, "nextToken": token}

    def describe_image_scan_findings(self, ctx: RequestContext, p: JSON) -> JSON:
        repo = self.repo(ctx, p)
        image = images.get(repo, p["imageId"])
        raise AwsError(
            "ScanNotFoundException",
            f"Image scan does not exist for the image with '{{imageDigest:'{image.digest}', imageTag:'"
            f"{p['imageId'].get('imageTag') or 'null'}'}}' in the repository with name '{repo.name}' in the "
            f"registry with id '{repo.registry_id}'",
        )

    @staticmethod
    def _image(repo: Repository, image: Image, image_id: JSON) -> JSON:
        return {
            "registryId": repo.registry_id,
            "repositoryName": repo.name,
            "imageId": image_id,
            "imageManifest": image.manifest.decode(),
            "imageManifestMediaType": image.media_type,
        }

    @staticmethod
    def _detail(repo: Repository, image: Image) -> JSON:
        return {
            "registryId": repo.registry_id,
            "repositoryName": repo.name,
            "imageDigest": image.digest,
            "imageTags": repo.tags_of(image.digest) or None,
            "imageSizeInBytes": image.size,
            "imagePushedAt": image.pushed_at,
            "imageManifestMediaType": image.media_type,
            "artifactMediaType": image.artifact_media_type,
            "lastRecordedPullTime": image.last_pull,
            "subjectManifestDigest": image.subject,
            "imageStatus": "ACTIVE",
        }


def _filtered(repo: Repository, tag_status: str) -> list[Image]:
    ordered = sorted(repo.images.values(), key=lambda i: i.pushed_at)
    if tag_status == "TAGGED":
        return [i for i in ordered if repo.tags_of(i.digest)]
    if tag_status == "UNTAGGED":
        return [i for i in ordered if not repo.tags_of(i.digest)]
    return ordered
