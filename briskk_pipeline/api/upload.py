"""The upload at the door: a multipart body streamed to a temporary file under a size cap.

HTTP issue, item 5. The body is parsed while it arrives (`python-multipart`'s streaming
`MultipartParser`), so nothing but the file's bytes so far is ever held: the file part goes to
a temporary file, the few text fields (`tenant`) to memory. `413` comes as soon as the file
passes `BRISKK_MAX_UPLOAD_BYTES` (or at once when `Content-Length` already says it will),
not after reading the rest. A body that is not multipart, has no `file` part or an empty one
gets `400` with a sentence saying what to send.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import IO, Final

from fastapi import HTTPException
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

FILE_FIELD: Final = "file"
# Text fields are a tenant name or so; anything larger is not what this API takes.
MAX_FIELD_BYTES: Final = 4096
# Multipart framing around the file (boundaries, part headers, small fields) stays far below
# this; a Content-Length beyond cap + slack cannot hold a file under the cap.
FRAMING_SLACK_BYTES: Final = 64 * 1024
USAGE: Final = (
    "send the spreadsheet as multipart/form-data in the field 'file', e.g. curl -F file=@book.xlsx"
)


class TooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            f"the file is larger than the limit of {_size(limit)} "
            "(BRISKK_MAX_UPLOAD_BYTES); split it into smaller uploads",
            # the rest of the body is never read: closing tells the client to stop sending
            headers={"Connection": "close"},
        )


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:g} MB" if n >= 1024 * 1024 else f"{n} bytes"


def bad_request(message: str) -> HTTPException:
    return HTTPException(400, message)


@dataclass
class ReceivedUpload:
    """What the request carried: the file (in `path`), its name and size, and text fields."""

    path: Path
    file_name: str
    size: int
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class _Part:
    name: str | None = None
    file_name: str | None = None
    size: int = 0
    data: bytearray = field(default_factory=bytearray)


class _Receiver:
    """Callbacks of the streaming parser: route each part's bytes, enforce the limits."""

    def __init__(self, sink: IO[bytes], max_bytes: int) -> None:
        self.sink = sink
        self.max_bytes = max_bytes
        self.part = _Part()
        self.header_name = bytearray()
        self.header_value = bytearray()
        self.file: _Part | None = None
        self.fields: dict[str, str] = {}

    def on_part_begin(self) -> None:
        self.part = _Part()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        if bytes(self.header_name).lower() == b"content-disposition":
            _, options = parse_options_header(bytes(self.header_value))
            name = options.get(b"name")
            file_name = options.get(b"filename")
            self.part.name = name.decode("utf-8", "replace") if name is not None else None
            if file_name is not None:
                self.part.file_name = file_name.decode("utf-8", "replace")
        self.header_name.clear()
        self.header_value.clear()

    def on_headers_finished(self) -> None:
        if self.part.name == FILE_FIELD:
            if self.file is not None:
                raise bad_request("send one file per upload (the field 'file' came twice)")
            self.file = self.part

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self.part
        part.size += end - start
        if part is self.file:
            if part.size > self.max_bytes:
                raise TooLarge(self.max_bytes)
            self.sink.write(data[start:end])
        elif part.size > MAX_FIELD_BYTES:
            raise bad_request(f"the form field {part.name!r} is too long; {USAGE}")
        else:
            part.data += data[start:end]

    def on_part_end(self) -> None:
        part = self.part
        if part is not self.file and part.name is not None:
            self.fields[part.name] = part.data.decode("utf-8", "replace").strip()


async def receive_upload(
    headers: dict[str, str], body: AsyncIterator[bytes], *, max_bytes: int, folder: Path
) -> ReceivedUpload:
    """Stream a multipart body into a temporary file in `folder`; the caller deletes it.

    `headers` are the request's (lower-case names). Raises `HTTPException` 400 (not multipart,
    malformed, no `file` part, empty file) or 413 (the file passes `max_bytes`).
    """
    content_type, options = parse_options_header(headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise bad_request(f"the request is not a multipart form: {USAGE}")
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes + FRAMING_SLACK_BYTES:
        raise TooLarge(max_bytes)
    descriptor, name = tempfile.mkstemp(dir=folder, prefix="upload-")
    path = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            receiver = _Receiver(handle, max_bytes)
            parser = MultipartParser(
                boundary,
                callbacks={  # type: ignore[arg-type]
                    name: getattr(receiver, name)
                    for name in (
                        "on_part_begin",
                        "on_header_field",
                        "on_header_value",
                        "on_header_end",
                        "on_headers_finished",
                        "on_part_data",
                        "on_part_end",
                    )
                },
            )
            try:
                async for chunk in body:
                    parser.write(chunk)
                parser.finalize()
            except MultipartParseError as error:
                raise bad_request(f"the multipart body is malformed ({error}): {USAGE}") from error
        upload = receiver.file
        if upload is None:
            raise bad_request(f"no file in the request: {USAGE}")
        if upload.size == 0:
            raise bad_request("the file is empty: choose the spreadsheet again and resend it")
        file_name = PurePath((upload.file_name or "").replace("\\", "/")).name or "upload"
        return ReceivedUpload(
            path=path, file_name=file_name, size=upload.size, fields=receiver.fields
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
