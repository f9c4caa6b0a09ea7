"""The hardening middleware: body-size limit, CORS, security headers, the generic 500, offline API docs."""

import asyncio
import logging
from collections.abc import Iterator

import pytest
from fastapi import FastAPI, Request, UploadFile
from fastapi.testclient import TestClient
from starlette.types import Message

from app.main import create_app
from app.middleware import (
    CONTENT_SECURITY_POLICY,
    INTERNAL_ERROR_MESSAGE,
    body_too_large_message,
    install_hardening,
)
from app.settings import Settings

LIMIT = 1000
ORIGIN = "https://school.example"
EXPECTED_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


def build_app() -> FastAPI:
    app = FastAPI(docs_url="/docs", openapi_url="/api/v1/openapi.json")
    install_hardening(app, Settings(max_body_bytes=LIMIT, allowed_origins=[ORIGIN]))

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"received": len(await request.body())}

    @app.post("/json")
    def json_body(values: list[int]) -> dict[str, int]:
        return {"count": len(values)}

    @app.post("/upload")
    async def upload(file: UploadFile) -> dict[str, int]:
        return {"size": len(await file.read())}

    @app.get("/boom")
    def boom() -> dict[str, str]:
        raise RuntimeError("secret internal detail /srv/app/convcore.py line 42")

    return app


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(build_app()) as test_client:
        yield test_client


def assert_security_headers(headers: dict[str, str] | object) -> None:
    for name, value in EXPECTED_HEADERS.items():
        assert headers[name] == value, name  # type: ignore[index]


def test_body_at_the_limit_passes(client: TestClient) -> None:
    response = client.post("/echo", content=b"x" * LIMIT)
    assert response.status_code == 200
    assert response.json() == {"received": LIMIT}


def test_declared_content_length_over_the_limit_is_refused(client: TestClient) -> None:
    response = client.post("/echo", content=b"x" * (LIMIT + 1))
    assert response.status_code == 413
    assert response.json() == {"detail": body_too_large_message(LIMIT)}
    assert f"{LIMIT:,} bytes" in response.json()["detail"]
    assert_security_headers(response.headers)


def chunks(total: int, size: int = 100) -> Iterator[bytes]:
    for start in range(0, total, size):
        yield b"x" * min(size, total - start)


def test_streamed_body_without_content_length_is_counted(client: TestClient) -> None:
    response = client.post("/echo", content=chunks(LIMIT * 3))
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json() == {"detail": body_too_large_message(LIMIT)}


def test_streamed_body_under_the_limit_passes(client: TestClient) -> None:
    response = client.post("/echo", content=chunks(LIMIT - 1))
    assert response.status_code == 200
    assert response.json() == {"received": LIMIT - 1}


def test_streamed_json_body_over_the_limit_is_413_not_400(client: TestClient) -> None:
    # FastAPI turns an unknown error while reading a JSON body into a 400; the limit must still win.
    payload = b"[" + b"1," * LIMIT + b"1]"
    response = client.post("/json", content=iter([payload]), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json() == {"detail": body_too_large_message(LIMIT)}


def test_multipart_upload_over_the_limit_is_413(client: TestClient) -> None:
    response = client.post("/upload", files={"file": ("a.png", b"\x89PNG" + b"0" * LIMIT, "image/png")})
    assert response.status_code == 413
    assert response.json() == {"detail": body_too_large_message(LIMIT)}


def test_multipart_upload_under_the_limit_passes(client: TestClient) -> None:
    response = client.post("/upload", files={"file": ("a.png", b"0" * 100, "image/png")})
    assert response.status_code == 200
    assert response.json() == {"size": 100}


def test_unhandled_error_is_a_generic_500_without_traceback(client: TestClient) -> None:
    response = client.get("/boom")
    assert response.status_code == 500
    assert response.json() == {"detail": INTERNAL_ERROR_MESSAGE}
    assert "secret" not in response.text
    assert "Traceback" not in response.text
    assert_security_headers(response.headers)


def test_cors_allows_only_the_configured_origin(client: TestClient) -> None:
    allowed = client.get("/docs", headers={"origin": ORIGIN})
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    other = client.get("/docs", headers={"origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    preflight = client.options(
        "/echo", headers={"origin": "https://evil.example", "access-control-request-method": "POST"}
    )
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers


def test_default_settings_allow_no_cross_origin_request() -> None:
    with TestClient(create_app()) as app_client:
        response = app_client.get("/api/v1/health", headers={"origin": "https://school.example"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize(
    ("path", "status"),
    [("/", 200), ("/api/v1/health", 200), ("/static/css/style.css", 200), ("/docs", 200), ("/nope", 404)],
)
def test_security_headers_on_every_response_of_the_real_app(path: str, status: int) -> None:
    with TestClient(create_app()) as app_client:
        response = app_client.get(path)
    assert response.status_code == status
    assert_security_headers(response.headers)


def test_docs_are_served_without_any_external_request() -> None:
    with TestClient(create_app()) as app_client:
        page = app_client.get("/docs")
        assert page.status_code == 200
        assert "http" not in page.text.replace("http-equiv", "")
        assert "<script>" not in page.text
        for asset in ("/docs/assets/swagger-ui.css", "/docs/assets/swagger-ui-bundle.js", "/docs/init.js"):
            assert f'"{asset}"' in page.text
            response = app_client.get(asset)
            assert response.status_code == 200, asset
            assert len(response.content) > 0
        init = app_client.get("/docs/init.js").text
        assert '"/api/v1/openapi.json"' in init
        assert app_client.get("/api/v1/openapi.json").status_code == 200


def test_docs_link_back_to_the_site_and_have_its_favicon() -> None:
    with TestClient(create_app()) as app_client:
        page = app_client.get("/docs").text
        assert '<a class="brand" href="/">convviz</a>' in page
        assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
        icon = app_client.get("/static/favicon.svg")
        assert icon.status_code == 200
        assert icon.headers["content-type"].startswith("image/svg")


def test_a_slash_redirect_never_points_at_another_host() -> None:
    app = FastAPI()
    install_hardening(app, Settings())

    @app.get("/{rest:path}/")
    def anything(rest: str) -> dict[str, str]:
        return {"rest": rest}

    with TestClient(app) as app_client:
        moved = app_client.get("/a/b", headers={"host": "evil.example"}, follow_redirects=False)
        assert (moved.status_code, moved.headers["location"]) == (307, "/a/b/")
        # "//evil.example" would be read by a browser as a URL on another host: no redirect to it.
        response = app_client.get("http://testserver//evil.example", follow_redirects=False)
        assert response.status_code == 404
        assert "location" not in response.headers


def test_a_client_that_leaves_mid_body_is_not_an_error(caplog: pytest.LogCaptureFixture) -> None:
    messages: list[Message] = [{"type": "http.request", "body": b'{"values": [1,', "more_body": True}]
    sent: list[Message] = []

    async def receive() -> Message:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/shapes",
        "raw_path": b"/api/v1/shapes",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"), (b"content-length", b"900")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }
    with caplog.at_level(logging.INFO, logger="convviz"):
        asyncio.run(create_app()(scope, receive, send))
    assert sent == []
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("INFO", "client disconnected before the end of the body on POST /api/v1/shapes")
    ]
