"""`GET /docs`: Swagger UI served from the package, under the same CSP as the brand page.

FastAPI's own docs page (and `fastapi_offline`'s) starts Swagger UI with an inline
`<script>`, which a Content-Security-Policy without `'unsafe-inline'` blocks. This page loads
the same offline assets (`/static/docs/swagger-ui-bundle.js`, `swagger-ui.css`, mounted by
`FastAPIOffline`) and starts Swagger UI from a file, `/static/docs-init.js`, which reads the
schema's address from the page (`data-openapi-url`). So `/docs` needs no CSP of its own
(`security_headers.py`). ReDoc (`/redoc`) is no longer served: the README named only
`/docs`, and ReDoc was never checked under this policy.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

DOCS_STATIC = "/static/docs"  # where FastAPIOffline mounts the Swagger UI assets


def add_docs_page(app: FastAPI, templates: Jinja2Templates) -> None:
    """Add `GET /docs` (not in the schema) to `app`."""

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        """Swagger UI for the API's schema, every script and style from a file."""
        root = request.scope.get("root_path", "")
        return templates.TemplateResponse(
            request,
            "docs.html",
            {
                "title": f"{app.title} - Swagger UI",
                "openapi_url": f"{root}{app.openapi_url}",
                "assets": f"{root}{DOCS_STATIC}",
            },
        )
