"""Security headers on every response of `briskk serve` (issue 20, item 4).

An ASGI middleware (not Starlette's `BaseHTTPMiddleware`, which buffers streamed bodies) that
adds to each response, unless the route set the header itself:

- `Content-Security-Policy`: scripts, styles, fonts, images and fetches from this server only,
  no inline script or style, no plugins, no `<base>`, forms post here only, and
  `frame-ancestors 'none'` (the page cannot be framed: click-jacking). The brand page and
  `/docs` (`docs_page.py`) keep every script and style in files under `/static`, so one
  policy covers both; `img-src` also allows `data:` for Swagger UI's inline SVG icons.
- `X-Content-Type-Options: nosniff`: a browser never runs a download or JSON as a script.
- `Referrer-Policy: no-referrer`: addresses (upload ids, cursors) never leave in a Referer.
- `X-Frame-Options: DENY`: `frame-ancestors` for browsers that predate CSP level 2.

Sources: the OWASP Secure Headers Project and CSP Level 3 (W3C), `frame-ancestors`.
"""

from __future__ import annotations

from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY: Final = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS: Final[tuple[tuple[bytes, bytes], ...]] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)


class SecurityHeaders:
    """Wrap `app` so every HTTP response carries `SECURITY_HEADERS` (a header the response
    already has is left as the route set it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers += [(n, v) for n, v in SECURITY_HEADERS if n not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
