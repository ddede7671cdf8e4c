"""The `briskk serve` side of the hand-off: the `/local/…` routes on its Unix socket.

The socket and `serve.json` are `publication.py`'s. The routes answer only requests that
arrived on that socket: uvicorn gives such a request a `server` of `(socket path, None)` in
its ASGI scope, a TCP one `(host, port)`. Over TCP every `/local/…` address answers `404`
exactly as an address the API does not have (`LocalOnly`), whatever the method. They take no
token: the socket's file mode (0600) is the check.

- `GET /local/hello?size=N`: this server's pid, and the words refusing a file of N bytes
  (`BRISKK_MAX_UPLOAD_BYTES`) so the client never sends one; `409` when the client's
  fingerprint (header `X-Briskk-Fingerprint`) is not this server's.
- `POST /local/ingest?file_name&tenant&dry_run&mode`, the file's bytes as the body: registers
  the upload exactly as `briskk ingest` does (`start_upload`, source `cli`, claimed by this
  process) and queues its run on the server's `LocalRunner` (a tenant's uploads stay in
  order with its API uploads); answers `{upload_id, tenant}`, or `{detail, exit}` with the
  words and exit code the in-process command would have.
- `GET /local/uploads/{id}/outcome`: waits for the run to end; `{summary, facts}` for
  `cli.outcome.print_outcome`.
- `GET /local/uploads/{id}/progress?cursor=…`: the step running and the last image count,
  for the client's progress line on a terminal (the in-process command's, from the same
  events: `cli.ingest.run_progress`).
- `POST /local/uploads/{id}/cancel`: Ctrl-C of the client. An upload still waiting for its
  turn is taken out of the queue and recorded `failed` (`interrupted`), as an in-process
  `briskk ingest` records one; a run already started goes on (`{"cancelled": false}`).
"""

from __future__ import annotations

import asyncio
import logging
import os
from contextlib import suppress
from typing import TYPE_CHECKING, Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from briskk_pipeline.api.runs import queue_upload
from briskk_pipeline.api.state import ApiState, api_state
from briskk_pipeline.cli.ingest import INTERRUPTED, run_progress
from briskk_pipeline.cli.outcome import outcome_facts, run_summary
from briskk_pipeline.cli.output import EXIT_FAILED, EXIT_REJECTED, EXIT_USAGE, json_default
from briskk_pipeline.handoff.state import FINGERPRINT_HEADER

if TYPE_CHECKING:
    from briskk_pipeline.handoff.publication import Publication

SOURCE = "cli"  # a handed-off upload is `briskk ingest`'s, as if run in its own process
POLL_SECONDS = 0.25
log = logging.getLogger("briskk.api")


def on_unix_socket(scope: Scope) -> bool:
    """Whether the request came through a Unix socket: uvicorn's `server` is then
    `(path, None)`; over TCP `(host, port)`."""
    server = scope.get("server")
    return isinstance(server, tuple | list) and len(server) == 2 and server[1] is None


class LocalOnly:
    """ASGI middleware: a `/local/…` request that did not come through the Unix socket is
    answered as an address the app does not have (`404 {"detail": "Not Found"}`), whatever
    its method, so TCP clients cannot even tell these routes exist."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"].startswith("/local/")
            and not on_unix_socket(scope)
        ):
            response = JSONResponse({"detail": "Not Found"}, status_code=404)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _local(request: Request) -> ApiState:
    """The server's state for a request from the Unix socket with this server's fingerprint
    (a client whose settings or code differ runs in its own process: `409`)."""
    if not on_unix_socket(request.scope):
        raise HTTPException(404)  # LocalOnly answers first; kept should it be left out
    publication: Publication | None = getattr(request.app.state, "handoff", None)
    sent = request.headers.get(FINGERPRINT_HEADER)
    if publication is None or sent != publication.fingerprint:
        raise HTTPException(409, "this briskk serve runs with other settings or code")
    state = api_state(request)
    if state.runner is None:
        raise HTTPException(409, "this briskk serve does not run uploads itself")
    return state


Local = Annotated[ApiState, Depends(_local)]
local_router = APIRouter(prefix="/local", include_in_schema=False)


def _json(body: dict[str, Any], status: int = 200) -> Response:
    """JSON encoded as `briskk --json` encodes it (orjson, datetimes in UTC)."""
    return Response(
        orjson.dumps(body, default=json_default, option=orjson.OPT_NON_STR_KEYS),
        status_code=status,
        media_type="application/json",
    )


def _refusal(detail: str, code: int) -> Response:
    """What the in-process command would print (`briskk: <detail>`) and exit with."""
    return _json({"detail": detail, "exit": code}, 422)


@local_router.get("/hello")
async def hello(state: Local, size: Annotated[int, Query(ge=0)] = 0) -> Response:
    from briskk_pipeline.ingest.register import UploadTooLarge, check_size

    too_large = None
    try:
        check_size(size, state.settings.max_upload_bytes)
    except UploadTooLarge as error:
        too_large = str(error)
    return _json({"pid": os.getpid(), "too_large": too_large})


@local_router.post("/ingest")
async def local_ingest(
    request: Request,
    state: Local,
    file_name: Annotated[str, Query(min_length=1)],
    tenant: str | None = None,
    dry_run: bool = False,
    mode: Literal["merge", "replace"] = "merge",
) -> Response:
    from briskk_pipeline.faults import describe_fault
    from briskk_pipeline.ingest.heartbeat import this_worker
    from briskk_pipeline.ingest.launch import UploadFailed, start_upload
    from briskk_pipeline.ingest.register import RegistrationError, UploadTooLarge

    data = await request.body()  # BodyLimits caps it at BRISKK_MAX_UPLOAD_BYTES + framing
    try:
        registration = await run_in_threadpool(
            start_upload,
            data,
            file_name,
            explicit_tenant=tenant,
            source=SOURCE,
            store=state.store,
            engine=state.engine,
            instance=state.instance,
            worker=this_worker(),  # claimed by this server until its run ends (recovery)
            dry_run=dry_run,
            settings=state.settings,
            mode=mode,
        )
    except UploadTooLarge as error:  # the file grew after `hello`: as the precheck says it
        return _refusal(str(error), EXIT_REJECTED)
    except RegistrationError as error:
        return _refusal(str(error), EXIT_USAGE)
    except UploadFailed as error:
        return _refusal(str(error), EXIT_FAILED)
    except Exception as error:
        fault = describe_fault(error)
        if fault is None:
            raise  # a bug: the server's log has its traceback, the client a 500
        return _refusal(fault, EXIT_FAILED)
    assert state.runner is not None  # checked by _local
    future = await run_in_threadpool(
        queue_upload,
        state.runner,
        state.engine,
        registration.upload_id,
        registration.tenant,
        SOURCE,
    )
    state.running[registration.upload_id] = future
    return _json({"upload_id": registration.upload_id, "tenant": registration.tenant})


@local_router.get("/uploads/{upload_id}/outcome")
async def outcome(upload_id: str, state: Local) -> Response:
    from briskk_pipeline.catalog import uploads
    from briskk_pipeline.ingest.launch import UploadFailed
    from briskk_pipeline.readiness.store import upload_readiness_summary

    future = state.running.get(upload_id)
    if future is not None:
        try:
            await asyncio.wrap_future(future)
        except UploadFailed as error:  # as the in-process command says it
            return _refusal(str(error), EXIT_FAILED)
        except Exception:  # the run did not start: the record says `failed` and why
            log.debug("upload %s: its run raised", upload_id, exc_info=True)
        finally:
            state.running.pop(upload_id, None)
    while True:
        record = await run_in_threadpool(uploads.get_upload, state.engine, upload_id)
        if record is None:
            return _refusal(f"upload {upload_id} vanished from the catalog", EXIT_FAILED)
        if record["status"] != "running":
            break
        await asyncio.sleep(POLL_SECONDS)  # queued by another request, or recovering
    readiness = await run_in_threadpool(upload_readiness_summary, state.engine, upload_id)
    summary = run_summary(record, readiness, seconds=0.0)  # the client puts in its own
    return _json({"summary": summary, "facts": outcome_facts(record)})


@local_router.get("/uploads/{upload_id}/progress")
async def progress(upload_id: str, state: Local, cursor: str | None = None) -> Response:
    """What the upload's run did since `cursor`, for the client's progress line on a
    terminal (`cli.ingest.run_progress`): `{stage, detail, cursor}`, nulls while the run has
    not started."""
    from briskk_pipeline.catalog import uploads

    record = await run_in_threadpool(uploads.get_upload, state.engine, upload_id)
    run_id = record and record.get("run_id")
    stage = detail = None
    if run_id:
        with suppress(Exception):  # the run may not exist yet; the display is best effort
            stage, detail, cursor = await run_in_threadpool(
                run_progress, state.instance, run_id, cursor
            )
    return _json({"stage": stage, "detail": detail, "cursor": cursor})


@local_router.post("/uploads/{upload_id}/cancel")
async def cancel(upload_id: str, state: Local) -> Response:
    from briskk_pipeline.catalog import uploads

    assert state.runner is not None  # checked by _local
    waiting = state.runner.cancel(upload_id)
    if waiting is None:
        return _json({"cancelled": False})
    try:
        await run_in_threadpool(uploads.mark_upload_failed, state.engine, upload_id, INTERRUPTED)
    finally:
        waiting.set_result(None)
        state.running.pop(upload_id, None)
    return _json({"cancelled": True})
