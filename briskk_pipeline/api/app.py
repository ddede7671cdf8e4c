"""The FastAPI application of `briskk serve`: assembly, start-up and error shapes.

`create_app()` builds the app; its lifespan builds the same resources as the CLI
(`resources_from_env`), opens the Dagster instance (`DAGSTER_HOME`), loads `ingest_job` once
(a warm server pays Dagster's start-up once, not per upload) and, in local mode, starts the
run pool and re-queues `api` uploads a previous server left unstarted (`runs.py`).

Every error is JSON `{"detail": "…"}`: request validation errors become `400` with one
sentence, anything unexpected `500` with a line saying where to look (the traceback goes to
the server's log, never to the client).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from pathlib import Path
from typing import Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException

from briskk_pipeline.api.auth_limit import FailedTokenChecks
from briskk_pipeline.api.body_limits import BodyLimits, body_seconds_from_env
from briskk_pipeline.api.docs_page import DOCS_STATIC, add_docs_page
from briskk_pipeline.api.error_bodies import public_fault
from briskk_pipeline.api.history_routes import history_router
from briskk_pipeline.api.product_routes import products_router
from briskk_pipeline.api.report_routes import report_router
from briskk_pipeline.api.routes import MAX_WAIT_SECONDS, router
from briskk_pipeline.api.runs import (
    LocalRunner,
    RunMode,
    in_process_work,
    queue_upload,
    stranded_uploads,
)
from briskk_pipeline.api.security_headers import SECURITY_HEADERS, SecurityHeaders
from briskk_pipeline.api.state import ApiState
from briskk_pipeline.faults import describe_fault
from briskk_pipeline.handoff.server import LocalOnly, local_router
from briskk_pipeline.ingest.launch import PARTITIONS, UploadFailed
from briskk_pipeline.profiles.api import profile_router
from briskk_pipeline.readiness.routes import readiness_router
from briskk_pipeline.review.api import review_router

HERE: Final = Path(__file__).resolve().parent
DEFAULT_WORKERS: Final = 2
log = logging.getLogger("briskk.api")


def run_mode_from_env() -> RunMode:
    """`BRISKK_API_RUNS`: `local` (default, runs in this process) or `queue` (the daemon)."""
    raw = os.environ.get("BRISKK_API_RUNS", "").strip().lower() or "local"
    if raw not in ("local", "queue"):
        raise ValueError(f"BRISKK_API_RUNS must be 'local' or 'queue', got {raw!r}")
    return "local" if raw == "local" else "queue"


def workers_from_env() -> int:
    raw = os.environ.get("BRISKK_API_WORKERS", "").strip()
    if not raw:
        return DEFAULT_WORKERS
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"BRISKK_API_WORKERS must be a whole number ≥ 1, got {raw!r}")
    return int(raw)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    from dagster import DagsterInstance, build_resources

    from briskk_pipeline import defs, heap
    from briskk_pipeline.resources import resources_from_env

    mode = run_mode_from_env()
    with ExitStack() as stack:
        resources = stack.enter_context(build_resources(resources_from_env()))
        instance = stack.enter_context(DagsterInstance.get())
        engine = resources.catalog.get_engine()
        upload_dir = Path(tempfile.mkdtemp(prefix="briskk-api-uploads-"))
        stack.callback(shutil.rmtree, upload_dir, True)
        state = ApiState(
            engine=engine,
            store=resources.object_store,
            settings=resources.settings,
            instance=instance,
            mode=mode,
            upload_dir=upload_dir,
        )
        defs.resolve_job_def("ingest_job")  # load the job now, not on the first upload
        heap.settle(collect=True)  # start-up is done: cheaper collections for every run
        if mode == "local":
            runner = LocalRunner(workers_from_env(), in_process_work(instance, engine))
            stack.callback(runner.shutdown)
            state.runner = runner
            for upload_id, tenant in stranded_uploads(engine, instance):
                log.warning("re-queueing upload %s: its run never started", upload_id)
                instance.add_dynamic_partitions(PARTITIONS, [upload_id])  # idempotent
                queue_upload(runner, engine, upload_id, tenant)
        app.state.briskk = state
        publication = getattr(app.state, "handoff", None)  # `briskk serve`'s Unix socket
        if mode == "local" and publication is not None:
            stack.enter_context(publication.published())  # `briskk ingest` may hand off now
        log.info("briskk API ready: runs %s", mode)
        yield


def create_app() -> FastAPI:
    """The app; resources are built when it starts (see `lifespan`). Raises `ValueError` for a
    bad `BRISKK_API_BODY_SECONDS` or `BRISKK_API_AUTH_FAILURES`."""
    body_seconds = body_seconds_from_env()
    failed_token_checks = FailedTokenChecks.from_env()
    app = FastAPIOffline(
        title="briskk-pipeline API",
        version="1",
        description=(
            "Upload Briskk SKU template spreadsheets and read the catalog. Every request "
            "but `/healthz` carries `Authorization: Bearer <token>` (`briskk tokens create`); "
            "a brand token sees and writes only its own tenant. Bodies are the objects "
            f"`briskk … --json` prints. `POST /ingest?wait=N` waits up to {MAX_WAIT_SECONDS:g} s."
        ),
        lifespan=lifespan,
        static_url=DOCS_STATIC,
        docs_url=None,  # docs_page.py: Swagger UI without inline script (the CSP)
        redoc_url=None,
    )
    app.state.failed_token_checks = failed_token_checks
    app.add_middleware(LocalOnly)  # /local/…: the Unix socket only (handoff/server.py)
    app.add_middleware(BodyLimits, seconds=body_seconds)
    app.add_middleware(SecurityHeaders)  # outermost: on every answer, BodyLimits' too
    app.include_router(router)
    app.include_router(products_router)
    app.include_router(history_router)  # History issue: product history, rollback
    app.include_router(review_router)  # issue 19: approve or decline a held upload
    app.include_router(report_router)  # the annotated workbook, images not stored
    app.include_router(readiness_router)  # marketplace readiness (readiness/routes.py)
    app.include_router(profile_router)  # issue 22: brand profiles, the mapping step
    app.include_router(local_router)  # issue 24: `briskk ingest` handed to this server
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")
    add_docs_page(app, templates)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page(request: Request) -> HTMLResponse:
        """The brand upload page: sign in with a token, upload, see the result and history."""
        return templates.TemplateResponse(
            request,
            "index.html",
            {"max_upload_mb": app.state.briskk.settings.max_upload_bytes / 1024 / 1024},
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"detail": str(error.detail)}, status_code=error.status_code, headers=error.headers
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": describe_validation(error)}, status_code=400)

    # answered outside the middleware (by Starlette's ServerErrorMiddleware): added here
    security_headers = {name.decode(): value.decode() for name, value in SECURITY_HEADERS}

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        fault = str(error) if isinstance(error, UploadFailed) else describe_fault(error)
        if fault is not None:  # the store or the catalog is down: say so, one line, 503
            log.error("%s %s failed: %s", request.method, request.url.path, fault)
            # the client learns which system, never its paths or hosts (error_bodies.py)
            detail = public_fault(error) or "a system behind the API failed"
            if isinstance(error, UploadFailed):
                detail = f"upload {error.upload_id} failed: {detail}"
            return JSONResponse({"detail": detail}, status_code=503, headers=security_headers)
        log.error("%s %s failed", request.method, request.url.path, exc_info=error)
        return JSONResponse(
            {"detail": "the server failed to answer this request; its log has the details"},
            status_code=500,
            headers=security_headers,
        )

    return app


def describe_validation(error: RequestValidationError) -> str:
    """One sentence per bad parameter: `query parameter 'wait': Input should be ≤ 60`."""
    parts = []
    for item in error.errors():
        location = [str(p) for p in item.get("loc", ())]
        where = f"{location[0]} parameter {'.'.join(location[1:])!r}" if location else "request"
        parts.append(f"{where}: {item.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"
