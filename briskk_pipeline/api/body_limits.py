"""Request bodies at the door: a size cap for every route and a time limit to send one
(issue 20, item 4).

`BodyLimits` is an ASGI middleware around the whole app:

- **Size.** A request whose `Content-Length` is over the cap is answered `413` at once, without
  reading a byte of its body; a body without a length (`Transfer-Encoding: chunked`) is counted
  as it arrives and answered `413` as soon as it passes the cap — never read whole. The cap is
  `BRISKK_MAX_UPLOAD_BYTES` plus the multipart framing allowance (`upload.FRAMING_SLACK_BYTES`);
  `POST /ingest` holds the file itself to the exact limit (`upload.py`). Any route, including
  one added later that reads a JSON body, gets the same bound.
- **Time.** uvicorn limits the time between requests (`timeout_keep_alive`) but not the time a
  client takes to send a body, so a client trickling bytes could hold an upload (its
  connection, its temporary file) for ever. From the request's start, the whole body must
  arrive within `BRISKK_API_BODY_SECONDS` (default 300 s: 25 MB at under 1 Mbit/s); past it
  the request is answered `408` and the connection closed. Other requests are never held up
  by a slow one (each connection is its own task); this bounds what a slow one keeps.

Both answers carry `Connection: close`: the rest of the body is never read.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Final

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from briskk_pipeline.api.upload import FRAMING_SLACK_BYTES, TooLarge

DEFAULT_BODY_SECONDS: Final = 300.0
BODY_SECONDS_ENV: Final = "BRISKK_API_BODY_SECONDS"


def body_seconds_from_env() -> float:
    """`BRISKK_API_BODY_SECONDS`: seconds a client has to send a whole request body (> 0).
    Raises `ValueError` with a sentence for anything else."""
    raw = os.environ.get(BODY_SECONDS_ENV, "").strip()
    if not raw:
        return DEFAULT_BODY_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf"):
        raise ValueError(f"{BODY_SECONDS_ENV} must be a number of seconds > 0, got {raw!r}")
    return seconds


class BodyTimeout(HTTPException):
    """`408`: the body did not arrive within the limit."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            408,
            f"the request body did not arrive within {seconds:g} seconds "
            f"({BODY_SECONDS_ENV}); send it again over a faster connection",
            headers={"Connection": "close"},
        )


class BodyLimits:
    """Wrap `app`: bodies over `max_file_bytes` + framing are refused (`413`) before they are
    read whole, and a body must arrive within `seconds` of the request's start (`408`).

    `max_file_bytes` is read per request from `app.state.briskk.settings` when None (the
    settings are built when the server starts)."""

    def __init__(self, app: ASGIApp, *, seconds: float, max_file_bytes: int | None = None) -> None:
        self.app = app
        self.seconds = seconds
        self.max_file_bytes = max_file_bytes

    def _file_cap(self, scope: Scope) -> int:
        if self.max_file_bytes is not None:
            return self.max_file_bytes
        return int(scope["app"].state.briskk.settings.max_upload_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        file_cap = self._file_cap(scope)
        cap = file_cap + FRAMING_SLACK_BYTES
        declared = _content_length(scope)
        if declared is not None and declared > cap:
            await _answer(send, TooLarge(file_cap))
            return
        deadline = time.monotonic() + self.seconds
        received = 0
        finished = False

        async def limited_receive() -> Message:
            nonlocal received, finished
            if finished:  # after the body: waiting for a disconnect is not bounded
                return await receive()
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0:
                    raise TimeoutError
                message = await asyncio.wait_for(receive(), remaining)
            except TimeoutError:
                raise BodyTimeout(self.seconds) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    raise TooLarge(file_cap)
                finished = not message.get("more_body", False)
            else:
                finished = True
            return message

        await self.app(scope, limited_receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


async def _answer(send: Send, error: HTTPException) -> None:
    """Send `error` as the app's JSON error shape (`{"detail": …}`), body unread."""
    import json

    body = json.dumps({"detail": error.detail}, separators=(",", ":")).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in (error.headers or {}).items()]
    await send({"type": "http.response.start", "status": error.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})
