"""Layer operations: BatchCheckLayerAvailability, InitiateLayerUpload, UploadLayerPart, CompleteLayerUpload,
GetDownloadUrlForLayer. Uploads go through the same blob store sessions as registry pushes."""

from __future__ import annotations

from urllib.parse import quote

from dockyard.ecr.errors import layers_not_found
from dockyard.ecr.operations.base import JSON, EcrOperations
from dockyard.ecr.state import Repository
from dockyard.protocol.errors import AwsError
from dockyard.protocol.provider import RequestContext
from dockyard.registry.blobs import DIGEST, DigestMismatch, Upload

PART_SIZE = 20 * 1024 * 1024
LAYER_MEDIA_TYPE = "application/vnd.docker.container.image.rootfs.diff+x-gtar"


class LayerOperations(EcrOperations):
    def batch_check_layer_availability(self, ctx: RequestContext, p: JSON) -> JSON:
        repo = self.repo(ctx, p)
        layers, failures = [], []
        for digest in p["layerDigests"]:
            if not DIGEST.match(digest):
                failures.append(
                    {
                        "layerDigest": digest,
                        "failureCode": "InvalidLayerDigest",
                        "failureReason": "Invalid layer digest",
                    }
                )
                continue
            size = self.ecr.blobs.size(digest) if digest in repo.blobs else None
            if size is None:
                failures.append(
                    {"layerDigest": digest, "failureCode": "MissingLayerDigest", "failureReason": "Layer not found"}
                )
            else:
                layers.append(
                    {
                        "layerDigest": digest,
                        "layerAvailability": "AVAILABLE",
                        "layerSize": size,
                        "mediaType": LAYER_MEDIA_TYPE,
                    }
                )
        return {"layers": layers, "failures": failures}

    def initiate_layer_upload(self, ctx: RequestContext, p: JSON) -> JSON:
        repo = self.repo(ctx, p)
        upload = self.ecr.blobs.start((ctx.account, ctx.region, repo.name))
        return {"uploadId": upload.id, "partSize": PART_SIZE}

    def upload_layer_part(self, ctx: RequestContext, p: JSON) -> JSON:
        repo = self.repo(ctx, p)
        upload = self._upload(ctx, repo, p["uploadId"])
        data: bytes = p["layerPartBlob"]
        first, last = p["partFirstByte"], p["partLastByte"]
        if first != upload.size or last - first + 1 != len(data):
            raise AwsError(
                "InvalidLayerPartException",
                f"The layer part with first byte {first} and last byte {last} is not valid: the upload has received "
                f"{upload.size} bytes and the part holds {len(data)}",
                registryId=repo.registry_id,
                repositoryName=repo.name,
                uploadId=upload.id,
                lastValidByteReceived=upload.size - 1,
            )
        upload.write(data)
        return {
            "registryId": repo.registry_id,
            "repositoryName": repo.name,
            "uploadId": upload.id,
            "lastByteReceived": upload.size - 1,
        }

    def complete_layer_upload(self, ctx: RequestContext, p: JSON) -> JSON:
        repo = self.repo(ctx, p)
        upload = self._upload(ctx, repo, p["uploadId"])
        digest = p["layerDigests"][0]
        reply = {"registryId": repo.registry_id, "repositoryName": repo.name, "uploadId": upload.id}
        if upload.size == 0:
            raise AwsError("EmptyUploadException", f"The upload with id '{upload.id}' is empty")
        if digest in repo.blobs and self.ecr.blobs.exists(digest):
            self.ecr.blobs.cancel(upload)
            raise AwsError(
                "LayerAlreadyExistsException",
                f"The layer with digest '{digest}' already exists in the repository with name '{repo.name}' in the "
                f"registry with id '{repo.registry_id}'",
            )
        try:
            self.ecr.blobs.commit(upload, digest)
        except DigestMismatch as exc:
            raise AwsError(
                "InvalidLayerException",
                f"The layer digest calculated for the upload, {exc}, does not match the digest {digest} provided",
            ) from None
        repo.blobs.add(digest)
        return {**reply, "layerDigest": digest}

    def get_download_url_for_layer(self, ctx: RequestContext, p: JSON) -> JSON:
        repo = self.repo(ctx, p)
        digest = p["layerDigest"]
        if digest not in repo.blobs or not self.ecr.blobs.exists(digest):
            raise layers_not_found([digest], repo.name, repo.registry_id)
        password, _ = self.ecr.tokens.issue(ctx.account, ctx.region)
        host = self.ecr.registry_host(ctx.host)
        url = f"http://{host}/v2/{repo.name}/blobs/{digest}?X-Dockyard-Token={quote(password)}"
        return {"downloadUrl": url, "layerDigest": digest}

    def _upload(self, ctx: RequestContext, repo: Repository, upload_id: str) -> Upload:
        upload = self.ecr.blobs.uploads.get(upload_id)
        if upload is None or upload.owner != (ctx.account, ctx.region, repo.name):
            raise AwsError(
                "UploadNotFoundException",
                f"The upload with id '{upload_id}' does not exist in the repository with name '{repo.name}' in the "
                f"registry with id '{repo.registry_id}'",
            )
        return upload
