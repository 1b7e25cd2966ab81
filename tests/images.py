"""The images the tests run, built on this machine (there is no Docker Hub) and cached by content.

Each image is a root filesystem tarball imported into every engine present (``docker import``, ``podman import``)
with a ``dockyard.recipe`` label holding the hash of its recipe and inputs; an image whose label matches is not
rebuilt. ``python tests/images.py`` builds them all (``--name busybox`` prints one tag), the ``images`` fixture
does the same from pytest.

- BUSYBOX: Debian's busybox-static with a symlink per applet, ``/etc/passwd`` with root and nobody, CMD ``sh``.
- PYTHON: ``debootstrap --variant=minbase`` bookworm with python3 and ca-certificates, plus boto3 and the AWS CLI
  installed by the host's pip (Debian's python3 is 3.11, like the host's), CMD ``python3``. The debootstrap
  tarball is cached under the cache folder, keyed by its own recipe.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

BUSYBOX = "dockyard-test/busybox:latest"
PYTHON = "dockyard-test/python:latest"
LABEL = "dockyard.recipe"
# Where scripts/test starts Podman's Docker-compatible service.
PODMAN_SOCKET = os.environ.get("DOCKYARD_PODMAN_SOCK", "/run/podman/podman.sock")
# Bump to rebuild every image after changing how they are made.
RECIPE_VERSION = "1"

BUSYBOX_BINARY = Path("/bin/busybox")
DEBIAN_SUITE = "bookworm"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
DEBIAN_PACKAGES = ("python3", "ca-certificates")
PIP_PACKAGES = ("boto3==1.43.11", "awscli==1.45.11")
SITE_PACKAGES = "usr/lib/python3/dist-packages"

PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
GROUP = "root:x:0:\nnogroup:x:65534:\n"
AWS_WRAPPER = '#!/bin/sh\nexec python3 -m awscli "$@"\n'


def cache_dir() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "dockyard"
    path = Path(os.environ.get("DOCKYARD_CACHE_DIR", default)) / "images"
    path.mkdir(parents=True, exist_ok=True)
    return path


def digest(*parts: str | bytes) -> str:
    sha = hashlib.sha256()
    for part in parts:
        sha.update(part.encode() if isinstance(part, str) else part)
        sha.update(b"\0")
    return sha.hexdigest()[:20]


def log(message: str) -> None:
    print(f"[images] {message}", file=sys.stderr, flush=True)


def run(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, check=True, text=True, capture_output=True, **kwargs)  # type: ignore[call-overload]


@contextmanager
def locked(name: str) -> Iterator[None]:
    """Serialises builds across concurrent test sessions on this machine."""
    with (cache_dir() / f"{name}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def root_owned(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def add_text(tar: tarfile.TarFile, name: str, text: str, mode: int = 0o644) -> None:
    data = text.encode()
    info = root_owned(tarfile.TarInfo(name))
    info.size, info.mode, info.mtime = len(data), mode, 0
    tar.addfile(info, io.BytesIO(data))


def add_entry(tar: tarfile.TarFile, name: str, kind: bytes, mode: int = 0o755, target: str = "") -> None:
    info = root_owned(tarfile.TarInfo(name))
    info.type, info.mode, info.linkname, info.mtime = kind, mode, target, 0
    tar.addfile(info)


# --- busybox ------------------------------------------------------------------------------------------------------


def busybox_applets() -> list[str]:
    listed = run(str(BUSYBOX_BINARY), "--list").stdout.split()
    return sorted(set(listed) - {"busybox"})


def busybox_key() -> str:
    return digest(RECIPE_VERSION, "busybox", BUSYBOX_BINARY.read_bytes(), *busybox_applets(), PASSWD, GROUP)


def busybox_tarball(out: Path) -> None:
    with tarfile.open(out, "w") as tar:
        for folder, mode in [("bin", 0o755), ("etc", 0o755), ("root", 0o700), ("tmp", 0o1777), ("usr", 0o755)]:
            add_entry(tar, folder, tarfile.DIRTYPE, mode)
        for folder in ["proc", "sys", "dev", "var", "var/www", "home"]:
            add_entry(tar, folder, tarfile.DIRTYPE)
        # One bin folder: /usr/bin/env and /sbin/init style paths resolve too.
        for alias, target in [("sbin", "bin"), ("usr/bin", "../bin"), ("usr/sbin", "../bin")]:
            add_entry(tar, alias, tarfile.SYMTYPE, 0o777, target)
        tar.add(BUSYBOX_BINARY, arcname="bin/busybox", filter=root_owned)
        for applet in busybox_applets():
            add_entry(tar, f"bin/{applet}", tarfile.SYMTYPE, 0o777, "busybox")
        add_text(tar, "etc/passwd", PASSWD)
        add_text(tar, "etc/group", GROUP)


# --- python -------------------------------------------------------------------------------------------------------


def debootstrap_key() -> str:
    return digest(RECIPE_VERSION, "debootstrap", "minbase", DEBIAN_SUITE, DEBIAN_MIRROR, *DEBIAN_PACKAGES)


def python_key() -> str:
    return digest(RECIPE_VERSION, "python", debootstrap_key(), *PIP_PACKAGES, AWS_WRAPPER)


def debootstrap_tarball() -> Path:
    """The Debian root filesystem, made once per recipe and kept in the cache folder."""
    out = cache_dir() / f"debootstrap-{debootstrap_key()}.tar"
    if out.exists():
        return out
    with tempfile.TemporaryDirectory(prefix="dockyard-debootstrap-", dir=cache_dir()) as tmp:
        root = Path(tmp) / "root"
        log(f"debootstrap {DEBIAN_SUITE} with {', '.join(DEBIAN_PACKAGES)} (a few minutes, cached afterwards)")
        run(
            "debootstrap",
            "--variant=minbase",
            f"--include={','.join(DEBIAN_PACKAGES)}",
            DEBIAN_SUITE,
            str(root),
            DEBIAN_MIRROR,
        )
        for junk in ["var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man"]:
            shutil.rmtree(root / junk, ignore_errors=True)
        partial = Path(tmp) / "rootfs.tar"
        run("tar", "-C", str(root), "--numeric-owner", "-cf", str(partial), ".")
        partial.rename(out)
    return out


def python_tarball(out: Path) -> None:
    base = debootstrap_tarball()
    with tempfile.TemporaryDirectory(prefix="dockyard-pip-", dir=cache_dir()) as tmp:
        target = Path(tmp) / "site"
        log(f"pip install --target of {', '.join(PIP_PACKAGES)}")
        run(sys.executable, "-m", "pip", "install", "--quiet", "--no-warn-script-location", "--target", str(target),
            *PIP_PACKAGES)  # fmt: skip
        # Scripts pip wrote point at the host's interpreter; the image gets its own `aws` instead.
        shutil.rmtree(target / "bin", ignore_errors=True)
        with tarfile.open(out, "w") as dst:
            with tarfile.open(base) as src:
                for member in src:
                    dst.addfile(member, src.extractfile(member) if member.isreg() else None)
            # The base already has the folders above these: a second entry for a path is an error to docker.
            for child in sorted(target.iterdir()):
                dst.add(child, arcname=f"{SITE_PACKAGES}/{child.name}", filter=root_owned)
            add_text(dst, "usr/local/bin/aws", AWS_WRAPPER, 0o755)


# --- engines ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Image:
    tag: str
    cmd: tuple[str, ...]
    key: Callable[[], str]
    tarball: Callable[[Path], None]


IMAGES = {
    "busybox": Image(BUSYBOX, ("sh",), busybox_key, busybox_tarball),
    "python": Image(PYTHON, ("python3",), python_key, python_tarball),
}


def engines() -> list[str]:
    """The engine CLIs that answer: docker (whatever DOCKER_HOST names) and podman (its local storage)."""
    found = []
    for cli, probe in [("docker", ("docker", "version")), ("podman", ("podman", "image", "ls", "-q"))]:
        if shutil.which(cli) and subprocess.run(probe, capture_output=True, timeout=60).returncode == 0:
            found.append(cli)
    return found


def current_key(cli: str, tag: str) -> str | None:
    proc = subprocess.run([cli, "image", "inspect", tag], capture_output=True, text=True)
    if proc.returncode != 0:
        return None
    labels = json.loads(proc.stdout)[0]["Config"].get("Labels") or {}
    return labels.get(LABEL)


def ensure(names: list[str] | None = None, clis: list[str] | None = None) -> dict[str, str]:
    """Builds what is missing or stale in each engine; returns {name: tag}."""
    clis = engines() if clis is None else clis
    if not clis:
        raise RuntimeError("no container engine answers (docker version / podman image ls failed)")
    chosen = {name: IMAGES[name] for name in names or IMAGES}
    for name, image in chosen.items():
        key = image.key()
        with locked(name):
            stale = [cli for cli in clis if current_key(cli, image.tag) != key]
            if not stale:
                continue
            started = time.monotonic()
            tarball = cache_dir() / f"{name}-{key}.tar"
            if not tarball.exists():
                partial = tarball.with_suffix(".partial")
                image.tarball(partial)
                partial.rename(tarball)
            changes = [f"CMD {json.dumps(list(image.cmd))}", f"LABEL {LABEL}={key}"]
            for cli in stale:
                flags = [arg for change in changes for arg in ("--change", change)]
                run(cli, "import", *flags, str(tarball), image.tag)
            log(f"{image.tag} built for {', '.join(stale)} in {time.monotonic() - started:.1f} s")
            # Only the newest tarball of each image is worth keeping.
            for old in cache_dir().glob(f"{name}-*.tar"):
                if old != tarball:
                    old.unlink()
    return {name: image.tag for name, image in chosen.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", choices=sorted(IMAGES), help="only ensure this image and print its tag")
    parser.add_argument("--engine", action="append", choices=["docker", "podman"], help="default: all that answer")
    args = parser.parse_args()
    built = ensure([args.name] if args.name else None, args.engine)
    if args.name:
        print(built[args.name])


if __name__ == "__main__":
    main()
