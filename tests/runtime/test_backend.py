"""DockerBackend against real engines: every behaviour the task launcher builds on, on Docker and Podman."""

from __future__ import annotations

import asyncio
import io
import subprocess
import tarfile
import urllib.request
import uuid
from collections.abc import Iterator

import pytest
from engines import BUSYBOX, engine_cli

from dockyard.runtime.backend import (
    LABEL_CONTAINER,
    LABEL_INSTANCE,
    ContainerEvent,
    ContainerNotFound,
    HealthCheck,
    ImageNotFound,
    LogLine,
    Mount,
    PortSpec,
    RegistryAuth,
)
from dockyard.runtime.docker import DockerBackend
from tests.conftest import free_port
from tests.runtime.harness import Engine, Harness


def test_engine_identified(engine: Engine) -> None:
    async def scenario(h: Harness) -> None:
        info = await h.backend.info()
        assert info.kind == engine.kind
        assert info.version
        assert info.api_url == engine.url
        assert info.host_gateway and info.host_gateway.count(".") == 3

    engine.run(scenario)


def test_logs_stream_while_running(engine: Engine) -> None:
    async def scenario(h: Harness) -> None:
        spec = h.spec("sh", "-c", "echo first; echo oops >&2; while [ ! -e /go ]; do sleep 0.1; done; echo last")
        container_id = await h.run(spec)
        lines = aiter(h.backend.logs(container_id))
        seen: list[LogLine] = [await anext(lines), await anext(lines)]
        # Both lines arrived while the container still waits for /go: output is captured as it is produced.
        assert (await h.backend.inspect(container_id)).status == "running"
        assert sorted((line.stream, line.text) for line in seen) == [("stderr", "oops"), ("stdout", "first")]
        subprocess.run([*engine_cli(engine.kind), "exec", container_id, "sh", "-c", "echo > /go"], check=True)
        seen += [line async for line in lines]  # ends when the container exits
        assert [line.text for line in seen][-1] == "last"
        state = await h.backend.inspect(container_id)
        assert state.status == "exited"
        assert state.started_at is not None and state.finished_at is not None
        stamps = [line.timestamp for line in seen]
        assert stamps == sorted(stamps)

    engine.run(scenario)


def test_tty_output_is_one_raw_stream(engine: Engine) -> None:
    async def scenario(h: Harness) -> None:
        container_id = await h.run(h.spec("sh", "-c", "echo one; echo two >&2", tty=True))
        lines = [line async for line in h.backend.logs(container_id, tty=True)]
        # A TTY merges both streams and ends lines with CRLF; the text keeps neither the CR nor a stream tag.
        assert [(line.stream, line.text) for line in lines] == [("stdout", "one"), ("stdout", "two")]

    engine.run(scenario)


def test_a_line_cut_by_the_log_driver_comes_back_whole(engine: Engine) -> None:
    async def scenario(h: Harness) -> None:
        # Docker's log drivers store a line longer than 16 KiB as several messages, each with its own time.
        script = "head -c 40000 /dev/zero | tr '\\0' x; echo; echo after; echo err >&2"
        container_id = await h.run(h.spec("sh", "-c", script))
        lines = [(line.stream, line.text) async for line in h.backend.logs(container_id)]
        assert sorted(lines) == sorted([("stdout", "x" * 40000), ("stdout", "after"), ("stderr", "err")])

    engine.run(scenario)


def test_partial_lines_are_joined_and_flushed(engine: Engine) -> None:
    async def scenario(h: Harness) -> None:
        container_id = await h.run(h.spec("sh", "-c", "printf 'a'; sleep 0.3; printf 'b\\nc'; sleep 0.3; printf d"))
        assert [line.text async for line in h.backend.logs(container_id)] == ["ab", "cd"]

    engine.run(scenario)


def test_exit_code_from_events(engine: Engine) -> None:
    async def scenario(h: Harness) -> None:
        container_id = await h.run(h.spec("sh", "-c", "exit 7"))
        assert (await h.event(container_id, "start")).labels[LABEL_INSTANCE] == h.instance
        died = await h.event(container_id, "die")
        assert died.exit_code == 7
        assert died.labels[LABEL_CONTAINER].startswith("dyt-")
        state = await h.backend.inspect(container_id)
        assert (state.status, state.exit_code, state.oom_killed) == ("exited", 7, False)
        await h.backend.remove(container_id)
        await h.event(container_id, "destroy")
        with pytest.raises(ContainerNotFound):
            await h.backend.inspect(container_id)
        with pytest.raises(ContainerNotFound):
            await anext(aiter(h.backend.logs(container_id)))
        await h.backend.remove(container_id)  # removing what is gone is not an error

    engine.run(scenario)


def test_out_of_memory(engine: Engine) -> None:
    async def scenario(h: Harness) -> None:
        # The shell holds 64 MB of "y\n" in a variable: far beyond a 16 MiB limit without swap.
        container_id = await h.run(h.spec("sh", "-c", "x=$(yes | head -c 67108864); echo survived", memory_mib=16))
        died = await h.event(container_id, "die")
        assert died.exit_code == 137
        state = await h.backend.inspect(container_id)
        assert (state.exit_code, state.oom_killed) == (137, True)
        assert "survived" not in [line.text async for line in h.backend.logs(container_id)]

    engine.run(scenario)


def test_stop_sends_sigterm_then_sigkill_after_timeout(engine: Engine) -> None:
    async def scenario(h: Harness) -> None:
        loop = "echo ready; while true; do sleep 0.1; done"
        stubborn = await h.run(h.spec("sh", "-c", f"trap 'echo got TERM' TERM; {loop}"))
        polite = await h.run(h.spec("sh", "-c", f"trap 'echo bye; exit 0' TERM; {loop}"))
        for container_id in (stubborn, polite):
            assert await anext(aiter(h.backend.logs(container_id))) is not None  # its trap is installed
        await asyncio.gather(h.backend.stop(stubborn, 2), h.backend.stop(polite, 30))
        assert (await h.event(stubborn, "die")).exit_code == 137  # SIGKILL after the timeout
        assert (await h.event(polite, "die")).exit_code == 0  # exited on SIGTERM
        assert "got TERM" in [line.text async for line in h.backend.logs(stubborn)]
        assert "bye" in [line.text async for line in h.backend.logs(polite)]
        await h.backend.stop(polite, 1)  # stopping a stopped container is not an error

    engine.run(scenario)


def test_kill_with_signal(engine: Engine) -> None:
    async def scenario(h: Harness) -> None:
        container_id = await h.run(h.spec("sh", "-c", "trap 'exit 3' USR1; while true; do sleep 0.1; done"))
        await asyncio.sleep(0.5)  # the trap is set before the first sleep ends
        await h.backend.kill(container_id, "SIGUSR1")
        assert (await h.event(container_id, "die")).exit_code == 3
        await h.backend.kill(container_id)  # killing a stopped container is not an error

    engine.run(scenario)


def test_healthcheck_statuses(engine: Engine) -> None:
    async def scenario(h: Harness) -> None:
        check = HealthCheck(["CMD-SHELL", "test -e /healthy"], interval_s=1, timeout_s=2, retries=2)
        becomes = await h.run(h.spec("sh", "-c", "sleep 2; echo > /healthy; sleep 60", healthcheck=check))
        never = await h.run(h.spec("sleep", "60", healthcheck=check))
        assert (await h.backend.inspect(becomes)).health in ("starting", "unhealthy", "healthy")
        assert (await h.event(becomes, "health_status: healthy")).action == "health_status: healthy"
        assert (await h.event(never, "health_status: unhealthy")).action == "health_status: unhealthy"
        assert (await h.backend.inspect(becomes)).health == "healthy"
        assert (await h.backend.inspect(never)).health == "unhealthy"
        disabled = await h.run(h.spec("sleep", "60", healthcheck=HealthCheck(["NONE"])))
        assert (await h.backend.inspect(disabled)).health is None

    engine.run(scenario)


def http_get(url: str, attempts: int = 100) -> str:
    """GET with retries while the server in the container starts (bounded)."""
    for _ in range(attempts):
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read().decode()
        except OSError:
            import time

            time.sleep(0.1)
    raise AssertionError(f"{url} never answered")


HTTPD = "echo hello from $HOSTNAME > /index.html; exec httpd -f -p 8080 -h /"


def test_dynamic_host_port_answers_http_on_loopback(engine: Engine) -> None:
    async def scenario(h: Harness) -> None:
        container_id = await h.run(h.spec("sh", "-c", HTTPD, ports=[PortSpec(8080)], hostname="web1"))
        state = await h.backend.inspect(container_id)
        [binding] = state.ports
        assert (binding.container_port, binding.protocol, binding.host_ip) == (8080, "tcp", "127.0.0.1")
        assert binding.host_port > 0
        body = await asyncio.to_thread(http_get, f"http://127.0.0.1:{binding.host_port}/index.html")
        assert body.strip() == "hello from web1"
        assert state.ip_addresses  # on the default bridge

    engine.run(scenario)


def test_shared_network_namespace(engine: Engine) -> None:
    async def scenario(h: Harness) -> None:
        server = await h.run(h.spec("sh", "-c", HTTPD, hostname="sandbox"))
        client = await h.run(
            h.spec(
                "sh",
                "-c",
                "for i in $(seq 50); do wget -qO- http://127.0.0.1:8080/index.html && exit 0; sleep 0.1; done; exit 1",
                network=f"container:{server}",
            )
        )
        assert (await h.event(client, "die")).exit_code == 0
        assert [line.text async for line in h.backend.logs(client)] == ["hello from sandbox"]

    engine.run(scenario)


def test_user_network_with_alias_fixed_address_and_volume(engine: Engine) -> None:
    async def scenario(h: Harness) -> None:
        subnet = "10.213.7.0/24" if engine.kind == "docker" else "10.213.8.0/24"
        network = f"dyt-{h.instance[:8]}-net"
        await h.backend.create_network(network, h.labels, subnet=subnet, gateway=subnet.replace("0/24", "1"))
        volume = await h.backend.create_volume(f"dyt-{h.instance[:8]}-vol", h.labels)
        address = subnet.replace("0/24", "10")
        web = await h.run(
            h.spec(
                "sh",
                "-c",
                "echo stored > /data/file; " + HTTPD,
                network=network,
                network_aliases=["web"],
                hostname="web",
                ip_address=address,
                mounts=[Mount("/data", volume, kind="volume")],
            )
        )
        assert (await h.backend.inspect(web)).ip_addresses == {network: address}
        fetch = "for i in $(seq 50); do wget -qO- http://web:8080/index.html && break; sleep 0.1; done"
        read_only = [Mount("/data", volume, read_only=True, kind="volume")]
        client = await h.run(h.spec("sh", "-c", f"{fetch}; cat /data/file", network=network, mounts=read_only))
        assert (await h.event(client, "die")).exit_code == 0
        assert [line.text async for line in h.backend.logs(client)] == ["hello from web", "stored"]

    engine.run(scenario)


def test_spec_fields_reach_the_container(engine: Engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "in.txt").write_text("from the host\n")

    async def scenario(h: Harness) -> None:
        script = (
            "echo env=$GREETING; echo pwd=$(pwd); echo user=$(id -u 2>/dev/null || echo none); "
            "cat /host/in.txt; (echo > /readonly-probe) 2>/dev/null && echo rw || echo ro; "
            "echo > /scratch/x && echo tmpfs-rw; "
            "grep -c 'dockyard-test-host' /etc/hosts; cat /proc/sys/net/ipv4/ip_unprivileged_port_start"
        )
        container_id = await h.run(
            h.spec(
                entrypoint=["sh", "-c"],
                command=[script],
                env={"GREETING": "hi there"},
                working_dir="/host",
                mounts=[Mount("/host", str(tmp_path), read_only=True), Mount("/scratch", "", kind="tmpfs")],
                readonly_rootfs=True,
                extra_hosts=["dockyard-test-host:10.1.2.3"],
                sysctls={"net.ipv4.ip_unprivileged_port_start": "80"},
                cpu_shares=512,
                nano_cpus=500_000_000,
                memory_mib=64,
                memory_reservation_mib=32,
                shm_size_mib=16,
                ulimits=[],
                cap_drop=["NET_RAW"],
                init=False,
                stop_signal="SIGINT",
                stop_timeout_s=5,
            )
        )
        assert (await h.event(container_id, "die")).exit_code == 0
        lines = [line.text async for line in h.backend.logs(container_id)]
        assert lines[0] == "env=hi there"
        assert lines[1] == "pwd=/host"
        assert "from the host" in lines
        assert "ro" in lines and "tmpfs-rw" in lines
        assert lines[-2:] == ["1", "80"]

    engine.run(scenario)


def test_entrypoint_replaces_image_command(engine: Engine) -> None:
    async def scenario(h: Harness) -> None:
        image = await h.backend.image(BUSYBOX)
        assert image is not None and image.id.startswith("sha256:")
        assert await h.backend.image("dockyard-test/never-built:latest") is None
        container_id = await h.run(h.spec(entrypoint=["echo", "only", "entrypoint"]))
        await h.event(container_id, "die")
        assert [line.text async for line in h.backend.logs(container_id)] == ["only entrypoint"]

    engine.run(scenario)


def test_pull_failure_is_image_not_found(engine: Engine) -> None:
    async def scenario(h: Harness) -> None:
        with pytest.raises(ImageNotFound) as failure:
            await h.backend.pull("127.0.0.1:9/dockyard/missing:1")
        assert str(failure.value)

    engine.run(scenario)


def test_kill_from_outside_is_noticed(engine: Engine) -> None:
    async def scenario(h: Harness) -> None:
        container_id = await h.run(h.spec("sleep", "300"))
        await h.event(container_id, "start")
        await asyncio.to_thread(
            subprocess.run, [*engine_cli(engine.kind), "kill", container_id], check=True, capture_output=True
        )
        assert (await h.event(container_id, "die")).exit_code == 137
        assert (await h.backend.inspect(container_id)).exit_code == 137

    engine.run(scenario)


def test_remove_labelled_removes_only_its_own(engine: Engine) -> None:
    async def scenario(h: Harness) -> None:
        other = DockerBackend(engine.url, h.instance + "-other")
        other_labels = {**h.labels, LABEL_INSTANCE: other.instance}
        mine = await h.run(h.spec("sleep", "300"))
        theirs = await h.run(h.spec("sleep", "300", labels={LABEL_INSTANCE: other.instance}))
        for labels, suffix in ((h.labels, "mine"), (other_labels, "theirs")):
            await h.backend.create_network(f"dyt-{h.instance[:8]}-{suffix}", labels)
            await h.backend.create_volume(f"dyt-{h.instance[:8]}-{suffix}", labels)
        try:
            assert await h.backend.remove_labelled({LABEL_INSTANCE: h.instance}) == 3
            with pytest.raises(ContainerNotFound):
                await h.backend.inspect(mine)
            assert (await h.backend.inspect(theirs)).status == "running"
            assert await other.remove_labelled({LABEL_INSTANCE: other.instance}) == 3
        finally:
            await other.close()

    engine.run(scenario)


def test_fifty_concurrent_containers(engine: Engine) -> None:
    async def scenario(h: Harness) -> None:
        specs = [h.spec("sh", "-c", f"echo hi {n}") for n in range(50)]
        ids = await asyncio.gather(*(h.run(spec) for spec in specs))
        codes = await asyncio.gather(*(h.event(container_id, "die") for container_id in ids))
        assert [event.exit_code for event in codes] == [0] * 50
        outputs = await asyncio.gather(*(collect(h, container_id) for container_id in ids))
        assert outputs == [[f"hi {n}"] for n in range(50)]

    engine.run(scenario)


async def collect(h: Harness, container_id: str) -> list[str]:
    return [line.text async for line in h.backend.logs(container_id)]


def test_stats(engine: Engine) -> None:
    async def scenario(h: Harness) -> None:
        container_id = await h.run(h.spec("sleep", "60", memory_mib=32))
        stats = await h.backend.stats(container_id)
        assert stats["memory_stats"]["limit"] == 32 * 1024 * 1024  # type: ignore[index]
        assert "cpu_stats" in stats

    engine.run(scenario)


@pytest.fixture
def registry(tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A plain-HTTP registry on loopback (Debian's docker-registry), as dockyard's own registry is."""
    port = free_port()
    config = tmp_path / "registry.yml"
    config.write_text(
        f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {tmp_path / 'data'}\n"
        f"http:\n  addr: 127.0.0.1:{port}\n"
    )
    process = subprocess.Popen(
        ["docker-registry", "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        http_get(f"http://127.0.0.1:{port}/v2/")
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_pull_reports_the_manifest_digest(engine: Engine, registry: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # An image of its own (one file, unique content), so the engine knows it under no other manifest.
    with tarfile.open(tmp_path / "rootfs.tar", "w") as tar:
        stamp = uuid.uuid4().hex.encode()
        entry = tarfile.TarInfo("stamp")
        entry.size = len(stamp)
        tar.addfile(entry, io.BytesIO(stamp))
    image = f"{registry}/dockyard-test/pulled:v1"
    cli = engine_cli(engine.kind)
    subprocess.run([*cli, "import", "--change", 'CMD ["/stamp"]', str(tmp_path / "rootfs.tar"), image], check=True)
    local_id = subprocess.run(
        [*cli, "image", "inspect", "--format", "{{.Id}}", image], check=True, capture_output=True, text=True
    ).stdout.strip()
    push = ["push", "--tls-verify=false", image] if engine.kind == "podman" else ["push", image]
    for step in (push, ["rmi", image]):
        subprocess.run([*cli, *step], check=True, capture_output=True, timeout=300)
    request = urllib.request.Request(
        f"http://{registry}/v2/dockyard-test/pulled/manifests/v1",
        method="HEAD",
        # Docker pushes a Docker v2 manifest, Podman an OCI one.
        headers={
            "Accept": "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json"
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        pushed = response.headers["Docker-Content-Digest"]

    async def scenario(h: Harness) -> None:
        assert await h.backend.image(image) is None
        auth = RegistryAuth("AWS", "not-checked-by-this-registry", registry)
        pulled = await h.backend.pull(image, auth)
        assert (pulled.id.removeprefix("sha256:"), pulled.digest, pulled.command) == (
            local_id.removeprefix("sha256:"),
            pushed,
            ["/stamp"],
        )

    try:
        engine.run(scenario)
    finally:
        subprocess.run([*cli, "rmi", image], capture_output=True)


def test_event_stream_reconnects_and_replays_what_it_missed(engine: Engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The engine's socket through a relay that can cut every connection: exits during the cut still arrive."""
    engine_socket = engine.url.removeprefix("unix://")
    relay_socket = str(tmp_path / "relay.sock")

    async def scenario(h: Harness) -> None:
        connections: list[asyncio.StreamWriter] = []

        async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            upstream_reader, upstream_writer = await asyncio.open_unix_connection(engine_socket)
            connections.extend([writer, upstream_writer])

            async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
                while chunk := await source.read(65536):
                    sink.write(chunk)
                    await sink.drain()
                sink.close()

            await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer), return_exceptions=True)

        server = await asyncio.start_unix_server(relay, relay_socket)
        relayed = DockerBackend(f"unix://{relay_socket}", h.instance)
        queue: asyncio.Queue[ContainerEvent] = asyncio.Queue()

        async def collect() -> None:
            async for event in relayed.events():
                await queue.put(event)

        collector = asyncio.ensure_future(collect())
        await asyncio.sleep(0)  # the stream's replay point is taken now

        async def next_event() -> tuple[str, str, int | None]:
            event = await asyncio.wait_for(queue.get(), 60)
            return event.container_id, event.action, event.exit_code

        first = await h.run(h.spec("sh", "-c", "exit 3"))
        assert [await next_event(), await next_event()] == [(first, "start", None), (first, "die", 3)]
        server.close()  # no new connections until it is back
        for writer in connections:
            writer.transport.abort()
        second = await h.run(h.spec("sh", "-c", "exit 4"))
        await h.event(second, "die")  # it exited while the relayed stream was down
        server = await asyncio.start_unix_server(relay, relay_socket)
        assert [await next_event(), await next_event()] == [(second, "start", None), (second, "die", 4)]
        collector.cancel()
        server.close()
        await relayed.close()

    engine.run(scenario)
