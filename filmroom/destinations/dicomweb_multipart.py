"""multipart/related bodies for STOW-RS requests and WADO-RS responses (PS3.18 section 8.6)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from email.message import Message
from pathlib import Path

CHUNK_BYTES = 1 << 20


class MultipartBody:
    """A STOW-RS request body that streams Part-10 files from disk.

    ``content_length`` is known in advance, so the request is sent with a
    Content-Length header instead of chunked encoding. Iterating again restarts the
    body, which lets a retry resend it.
    """

    def __init__(self, paths: Sequence[Path]) -> None:
        self.paths = list(paths)
        self.boundary = "filmroom-" + secrets.token_hex(16)
        self._part_header = f"--{self.boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode(
            "ascii"
        )
        self._closing = f"--{self.boundary}--\r\n".encode("ascii")

    @property
    def content_type(self) -> str:
        return f'multipart/related; type="application/dicom"; boundary={self.boundary}'

    @property
    def content_length(self) -> int:
        per_part = len(self._part_header) + 2  # 2 for the CRLF after each file
        return sum(path.stat().st_size + per_part for path in self.paths) + len(self._closing)

    def __iter__(self) -> Iterator[bytes]:
        for path in self.paths:
            yield self._part_header
            with open(path, "rb") as handle:
                while block := handle.read(CHUNK_BYTES):
                    yield block
            yield b"\r\n"
        yield self._closing


def boundary_of(content_type: str) -> str:
    """Return the boundary parameter of a multipart Content-Type header.

    Raises
    ------
    ValueError
        When the header is not multipart or has no boundary.
    """
    message = Message()
    message["Content-Type"] = content_type
    boundary = message.get_param("boundary")
    if (
        message.get_content_maintype() != "multipart"
        or not isinstance(boundary, str)
        or not boundary
    ):
        raise ValueError(f"expected a multipart Content-Type with a boundary, got {content_type!r}")
    return boundary


def split_parts(body: bytes, content_type: str) -> list[bytes]:
    """Return the payload of each part of a multipart body, without its part headers."""
    delimiter = b"--" + boundary_of(content_type).encode("ascii")
    parts: list[bytes] = []
    start = body.find(delimiter)
    while start != -1:
        after = start + len(delimiter)
        if body[after : after + 2] == b"--":
            break
        end = body.find(b"\r\n" + delimiter, after)
        if end == -1:
            raise ValueError("multipart body ends without a closing delimiter")
        part = body[after:end]
        header_end = part.find(b"\r\n\r\n")
        if header_end == -1:
            raise ValueError("multipart part has no header separator")
        parts.append(part[header_end + 4 :])
        start = end + 2
    return parts
