"""Hardening shared by every route: body-size limit, strict CORS, security headers, no tracebacks out.

``install_hardening(app)`` is called once from ``create_app``. It also serves the API docs at ``/docs``
from a locally installed Swagger UI (``swagger-ui-bundle-v2``) instead of FastAPI's CDN default, so the
docs work with no external request and under the same Content-Security-Policy as every other page.
"""

import logging
from collections.abc import Mapping
from pathlib import Path

import orjson
import swagger_ui_bundle
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartParser
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect
from starlette.routing import Match, Route, Router
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.settings import Settings, get_settings
from app.templating import templates

logger = logging.getLogger("convviz")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
INTERNAL_ERROR_MESSAGE = "Internal server error. The request was not processed; the error has been logged."
DOCS_ASSETS_PATH = "/docs/assets"


def body_too_large_message(limit: int) -> str:
    """The 413 message: names the limit in bytes and KiB or MiB so a student knows how much to shrink."""
    size = f"{limit / 2**20:.1f} MiB" if limit >= 2**20 else f"{limit / 2**10:.1f} KiB"
    return (
        f"The request body is larger than the limit of {limit:,} bytes ({size}) for this endpoint. "
        "Send a smaller image or fewer values."
    )


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` once the body passes the limit; FastAPI answers it as a JSON 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=body_too_large_message(limit))


async def _send_json(send: Send, status: int, content: dict[str, str]) -> None:
    body = orjson.dumps(content)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodySizeLimitMiddleware:
    """Refuse request bodies over the path's limit (``limits``, else ``max_body_bytes``) with a JSON 413.

    A declared ``Content-Length`` over the limit is refused before anything is read. A body without one
    (chunked) or with a wrong one is counted as it streams in, and reading stops at the limit. Whatever
    an inner layer makes of the ``BodyTooLarge`` raised from ``receive`` (FastAPI turns unknown body
    errors into a 400), the response that goes out is the 413.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int, limits: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.limits = dict(limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.get(scope["path"], self.max_body_bytes)
        message = {"detail": body_too_large_message(limit)}
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _send_json(send, 413, message)
            return

        received = 0
        exceeded = False
        replaced = False
        started = False

        async def receive_limited() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise BodyTooLarge(limit)
            incoming = await receive()
            if incoming["type"] == "http.request":
                received += len(incoming.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge(limit)
            return incoming

        async def send_checked(outgoing: Message) -> None:
            nonlocal replaced, started
            if replaced:
                return
            if outgoing["type"] == "http.response.start":
                started = True
                if exceeded:
                    replaced = True
                    await _send_json(send, 413, message)
                    return
            await send(outgoing)

        try:
            await self.app(scope, receive_limited, send_checked)
        except BodyTooLarge:
            if started:
                raise
            await _send_json(send, 413, message)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class SecurityHeadersMiddleware:
    """Add the security headers to every HTTP response and turn an unhandled exception into a plain 500.

    A response that sets its own ``Content-Security-Policy`` keeps it. The 500 body is a fixed message:
    the traceback goes to the log, never to the client. A client that disconnects mid-body is logged at INFO.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(item for item in SECURITY_HEADERS if item[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except ClientDisconnect:
            # The client went away mid-body: nobody is left to answer, and nothing went wrong here.
            logger.info(
                "client disconnected before the end of the body on %s %s", scope.get("method"), scope.get("path")
            )
        except Exception:
            logger.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            await _send_json(send_with_headers, 500, {"detail": INTERNAL_ERROR_MESSAGE})


def _docs_script(openapi_url: str) -> str:
    return (
        "window.ui = SwaggerUIBundle({"
        f"url: {orjson.dumps(openapi_url).decode()}, dom_id: '#swagger-ui', deepLinking: true, "
        "presets: [SwaggerUIBundle.presets.apis], layout: 'BaseLayout'});\n"
    )


def serve_docs_offline(app: FastAPI) -> None:
    """Replace FastAPI's CDN-based Swagger page at ``app.docs_url`` with one served from local files."""
    if app.docs_url is None or app.openapi_url is None:
        return
    replaced = {app.docs_url, app.swagger_ui_oauth2_redirect_url}
    app.router.routes[:] = [
        route for route in app.router.routes if not (isinstance(route, Route) and route.path in replaced)
    ]
    script = _docs_script(app.openapi_url)

    # The site's own page (header, language switch, favicon, theme) around Swagger UI; no inline script or
    # style, so it passes the same CSP as the rest of the site.
    @app.get(app.docs_url, include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(request, "docs.html", {"page": "docs", "assets": DOCS_ASSETS_PATH})

    @app.get("/docs/init.js", include_in_schema=False)
    def docs_init() -> Response:
        return Response(script, media_type="text/javascript")

    app.mount(
        DOCS_ASSETS_PATH,
        StaticFiles(directory=Path(str(swagger_ui_bundle.swagger_ui_path))),
        name="docs-assets",
    )


def relative_slash_redirects(router: Router) -> None:
    """Redirect ``/image/`` to ``/image`` (and ``/x`` to ``/x/`` where only that exists) with a relative ``Location``.

    Starlette's own slash redirect builds an absolute URL from the ``Host`` header, which a client chooses:
    behind a proxy that passes it on, ``GET /image/`` with ``Host: evil.example`` would send the browser to
    ``http://evil.example/image``. A path starting with ``//`` or ``/\\`` is never redirected (a browser reads
    it as another host).
    """
    router.redirect_slashes = False
    not_found = router.default

    async def default(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        if scope["type"] == "http" and path != "/":
            other = path.rstrip("/") if path.endswith("/") else path + "/"
            location = scope.get("root_path", "") + other
            moved = {**scope, "path": other}
            safe = location.startswith("/") and location[1:2] not in {"/", "\\"}
            if safe and any(route.matches(moved)[0] != Match.NONE for route in router.routes):
                query = scope.get("query_string", b"").decode("latin-1")
                await RedirectResponse(location + (f"?{query}" if query else ""))(scope, receive, send)
                return
        await not_found(scope, receive, send)

    router.default = default


def install_hardening(
    app: FastAPI, settings: Settings | None = None, body_limits: Mapping[str, int] | None = None
) -> None:
    """Install the body limit, CORS and security-header middleware, relative slash redirects and the offline API
    docs.

    ``body_limits`` maps a path to its own, smaller body limit (see :mod:`app.body_limits`). Order, outermost
    first: security headers and the catch-all 500 (so every response, 413s and CORS
    refusals included, carries the headers), CORS, then the body limit in front of the routes.
    """
    settings = settings or get_settings()
    # Keep multipart uploads in memory up to the body limit: no user data is spooled to disk, and the
    # container's root filesystem can stay read-only.
    MultiPartParser.spool_max_size = settings.max_body_bytes
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes, limits=body_limits)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.allowed_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type"],
        allow_credentials=False,
        max_age=600,
    )
    app.add_middleware(SecurityHeadersMiddleware)
    relative_slash_redirects(app.router)
    serve_docs_offline(app)
