"""The pause image that holds an awsvpc task's network namespace, made by dockyard itself.

There is no Docker Hub to pull ``pause`` from, and a user's machine has none of our test images, so the image is
a 129-byte static ELF written here: ``loop: pause(); goto loop``. It needs no libc and no base image; it is
imported into the engine under a tag that names its content, once.
"""

from __future__ import annotations

import hashlib
import io
import platform
import struct
import tarfile

# x86_64: mov eax, 34 (pause); syscall; jmp back.
_X86_64_CODE = bytes.fromhex("b8220000000f05ebf7")
_BASE = 0x400000
_HEADERS = 64 + 56  # one ELF64 header and one program header


def pause_elf() -> bytes:
    """A static x86_64 executable that sleeps forever (killed by the launcher when the task stops)."""
    size = _HEADERS + len(_X86_64_CODE)
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)  # 64-bit, little endian, version 1, System V
    header = ident + struct.pack("<HHIQQQIHHHHHH", 2, 0x3E, 1, _BASE + _HEADERS, 64, 0, 0, 64, 56, 1, 0, 0, 0)
    program = struct.pack("<IIQQQQQQ", 1, 5, 0, _BASE, _BASE, size, size, 0x1000)  # PT_LOAD, R+X
    return header + program + _X86_64_CODE


def supported() -> bool:
    return platform.machine() in ("x86_64", "amd64")


def pause_tarball() -> bytes:
    """A root filesystem with ``/pause`` alone, as ``docker import`` takes it."""
    binary = pause_elf()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        entry = tarfile.TarInfo("pause")
        entry.size, entry.mode = len(binary), 0o755
        tar.addfile(entry, io.BytesIO(binary))
    return buffer.getvalue()


def pause_reference() -> str:
    return f"dockyard/pause:{hashlib.sha256(pause_elf()).hexdigest()[:12]}"
