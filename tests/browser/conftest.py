"""A real uvicorn on 127.0.0.1 and a real Chromium driven by Playwright.

Every page fixture records console errors and any request that leaves the app, and the test fails if
there were any; screenshots go to ``tests/browser/screenshots/`` (git-ignored) to be looked at.
"""

import itertools
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import require_tool

CHROMIUM = os.environ.get("CONVVIZ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).parent / "screenshots"
SETTLED = Path(__file__).parent / "settled.js"
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    try:
        while True:
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                _, err = proc.communicate(timeout=5)
                pytest.fail(f"the server did not answer within 120 s: {err.decode()[-2000:]}", pytrace=False)
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    require_tool(shutil.which(CHROMIUM) is not None or Path(CHROMIUM).exists(), f"Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def shared_contexts(browser) -> Iterator[dict[tuple[str, bool], Any]]:  # type: ignore[no-untyped-def]
    """One context per language and motion preference, reused by a worker's page loads (a new context cost 0.5 to
    1.8 s under load, more than the load itself); each load still gets a new page. Each context counts what its pages
    have scheduled (``settled.js``) for :func:`wait_until_settled`."""
    contexts: dict[tuple[str, bool], Any] = {}
    for lang in ("en", "ru"):
        for reduced_motion in (False, True):
            context = browser.new_context(
                locale="ru-RU" if lang == "ru" else "en-US",
                reduced_motion="reduce" if reduced_motion else "no-preference",
                bypass_csp=True,  # axe-core is injected as a script tag; the app's CSP allows only its own scripts
            )
            context.add_init_script(path=str(SETTLED))
            contexts[lang, reduced_motion] = context
    yield contexts
    for context in contexts.values():
        context.close()


_WAITS = itertools.count()


def wait_until_settled(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until the page has no request in flight and no timer pending for three frames in a row: its first render,
    its debounced requests and their answers drawn. Waiting for networkidle instead cost 500 ms of quiet per load."""
    page.wait_for_function("(token) => window.__convvizSettled(token)", arg=next(_WAITS), polling="raf")


@dataclass
class PageProblems:
    console_errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)


@pytest.fixture
def problems() -> PageProblems:
    return PageProblems()


@pytest.fixture
def page(browser, live_server: str, problems: PageProblems) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and problems.console_errors.append(m.text))
    page.on("pageerror", lambda e: problems.console_errors.append(f"{e}\n{e.stack}"))
    page.on(
        "request",
        lambda r: (
            not r.url.startswith(live_server)
            and not r.url.startswith("data:")
            and not r.url.startswith("blob:")
            and problems.external_requests.append(r.url)
        ),
    )
    yield page
    context.close()
    assert problems.console_errors == [], f"console errors: {problems.console_errors}"
    assert problems.external_requests == [], f"requests outside the app: {problems.external_requests}"


def screenshot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
