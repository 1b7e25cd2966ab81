"""Registry throughput: dockyard versus Debian's reference registry (docker-registry, distribution 2.8), same run.

Two measurements per registry, best of ``--rounds``:
- docker: ``docker push`` and ``docker pull`` of a locally built multi-layer image (the real client path,
  including docker's own gzip work, identical for both registries);
- http: one large blob uploaded (POST + streamed PATCH + PUT) and downloaded over raw HTTP, which isolates the
  registry's own cost.
dockyard's RSS is sampled throughout to show memory stays flat while hundreds of MB stream through it.

    /work/main/.venv/bin/python bench/registry.py [--size-mb 320] [--rounds 2]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # as pytest sees them (pyproject pythonpath)

from tests.conftest import free_port, start_server, stop_server  # noqa: E402

BASE = "dockyard-test/busybox:latest"
CHUNK = 1 << 20


def sh(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> str:
    proc = subprocess.run(args, capture_output=True, text=True, env=env, input=stdin, timeout=1800)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def rss_mb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    return 0


class RssSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.samples, self.running = pid, [], True

    def run(self) -> None:
        while self.running:
            self.samples.append(rss_mb(self.pid))
            time.sleep(0.1)


def start_reference(tmp: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    config = tmp / "reference.yml"
    config.write_text(
        json.dumps(
            {
                "version": 0.1,
                "log": {"level": "error"},
                "storage": {"filesystem": {"rootdirectory": str(tmp / "reference-data")}, "delete": {"enabled": True}},
                "http": {"addr": f"127.0.0.1:{port}"},
            }
        )
    )
    proc = subprocess.Popen(
        ["/usr/bin/docker-registry", "serve", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=(tmp / "reference.log").open("wb"),
    )
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/v2/")
            if conn.getresponse().status == 200:
                return proc, port
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("docker-registry did not start")


def build_image(tmp: Path, size_mb: int, round_: int) -> tuple[str, int]:
    """A fresh local image of four random (incompressible) layers on the busybox base, new content every round
    so no registry can answer "already exists"; returns (tag, payload MB)."""
    per_layer = max(1, size_mb // 4)
    lines = [f"FROM {BASE}"] + [f"RUN head -c {per_layer}m /dev/urandom > /layer{i}" for i in range(4)]
    context = tmp / f"context{round_}"
    context.mkdir()
    (context / "Dockerfile").write_text("\n".join(lines) + "\n")
    tag = f"dockyard-bench/registry:round{round_}"
    sh("docker", "build", "--network", "none", "--no-cache", "-q", "-t", tag, str(context))
    return tag, per_layer * 4


def docker_round(image: str, registry: str, env: dict[str, str], payload_mb: int) -> tuple[float, float]:
    remote = f"{registry}/bench/app:v1"
    sh("docker", "tag", image, remote, env=env)
    start = time.perf_counter()
    sh("docker", "push", remote, env=env)
    push = payload_mb / (time.perf_counter() - start)
    sh("docker", "rmi", remote, image, env=env)
    start = time.perf_counter()
    sh("docker", "pull", remote, env=env)
    pull = payload_mb / (time.perf_counter() - start)
    sh("docker", "tag", remote, image, env=env)
    sh("docker", "rmi", remote, env=env)
    return push, pull


def http_round(port: int, auth: dict[str, str], blob: Path, repo: str) -> tuple[float, float]:
    size = blob.stat().st_size
    hasher = hashlib.sha256()
    with blob.open("rb") as f:
        while chunk := f.read(CHUNK):
            hasher.update(chunk)
    # a fresh digest each round so neither registry can answer "already exists"
    digest = "sha256:" + hasher.hexdigest()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    start = time.perf_counter()
    conn.request("POST", f"/v2/{repo}/blobs/uploads/", headers=auth)
    reply = conn.getresponse()
    reply.read()
    location = reply.getheader("Location")
    with blob.open("rb") as f:
        conn.request(
            "PATCH",
            location,
            body=f,
            headers={**auth, "Content-Length": str(size), "Content-Type": "application/octet-stream"},
        )
        reply = conn.getresponse()
        reply.read()
    location = reply.getheader("Location")
    sep = "&" if "?" in location else "?"
    conn.request("PUT", f"{location}{sep}digest={digest}", headers={**auth, "Content-Length": "0"})
    reply = conn.getresponse()
    reply.read()
    assert reply.status == 201, reply.status
    push = size / (1 << 20) / (time.perf_counter() - start)
    start = time.perf_counter()
    conn.request("GET", f"/v2/{repo}/blobs/{digest}", headers=auth)
    reply = conn.getresponse()
    received = 0
    while chunk := reply.read(CHUNK):
        received += len(chunk)
    assert received == size
    pull = size / (1 << 20) / (time.perf_counter() - start)
    conn.close()
    return push, pull


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=320)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="dockyard-bench-") as tmpdir:
        tmp = Path(tmpdir)
        env = {**os.environ, "DOCKER_CONFIG": str(tmp / "docker-config")}
        reference, ref_port = start_reference(tmp)
        dockyard = start_server(tmp / "dockyard", env={"DOCKYARD_STRICT": "0", "DOCKYARD_LOG_LEVEL": "warning"})
        sampler = RssSampler(dockyard.process.pid)
        try:
            import boto3

            ecr = boto3.client(
                "ecr",
                endpoint_url=dockyard.endpoint,
                region_name="us-east-1",
                aws_access_key_id="test",
                aws_secret_access_key="test",
            )
            ecr.create_repository(repositoryName="bench/app")
            token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
            password = base64.b64decode(token).decode().split(":")[1]
            sh(
                "docker",
                "login",
                "-u",
                "AWS",
                "--password-stdin",
                f"127.0.0.1:{dockyard.port}",
                env=env,
                stdin=password,
            )
            auth = {"Authorization": f"Basic {token}"}
            baseline = rss_mb(dockyard.process.pid)
            sampler.start()

            results: dict[str, dict[str, list[float]]] = {"dockyard": {}, "reference": {}}
            targets = {"dockyard": (dockyard.port, auth), "reference": (ref_port, {})}
            for round_ in range(args.rounds):
                image, payload = build_image(tmp, args.size_mb, round_)
                blob = tmp / "blob"
                with blob.open("wb") as f:
                    for _ in range(args.size_mb):
                        f.write(os.urandom(CHUNK))
                order = list(targets.items())
                for name, (port, headers) in order if round_ % 2 == 0 else reversed(order):
                    push, pull = docker_round(image, f"127.0.0.1:{port}", env, payload)
                    results[name].setdefault("docker push", []).append(push)
                    results[name].setdefault("docker pull", []).append(pull)
                    push, pull = http_round(port, headers, blob, "bench/app")
                    results[name].setdefault("http push", []).append(push)
                    results[name].setdefault("http pull", []).append(pull)
                sh("docker", "rmi", "-f", image)
                print(f"round {round_ + 1}/{args.rounds} done", file=sys.stderr)
        finally:
            sampler.running = False
            stop_server(dockyard)
            reference.terminate()
            reference.wait(timeout=30)

    print(f"registry throughput, {payload} MB image in 4 layers / {args.size_mb} MB blob, best of {args.rounds} (MB/s)")
    print(f"{'':12} {'dockyard':>10} {'reference':>10} {'ratio':>7}   every round: dockyard / reference")
    for metric in ("docker push", "docker pull", "http push", "http pull"):
        ours, theirs = results["dockyard"][metric], results["reference"][metric]
        rounds = "  ".join(f"{a:.0f}/{b:.0f}" for a, b in zip(ours, theirs, strict=True))
        print(f"{metric:12} {max(ours):10.1f} {max(theirs):10.1f} {max(ours) / max(theirs):6.0%}   {rounds}")
    print(f"dockyard RSS: {baseline} MB before, {max(sampler.samples)} MB peak during the run")


if __name__ == "__main__":
    main()
