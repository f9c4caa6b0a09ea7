"""A busy server (503 + Retry-After) as a student sees it: "busy, retrying", then the answer."""

import pytest
from playwright.sync_api import Route, expect

from tests.browser.conftest import PageProblems, screenshot

pytestmark = pytest.mark.browser
NOTICE = {
    "ru": "Сервер занят другими запросами; повторяем через 1 с…",
    "en": "The server is busy with other requests; retrying in 1 s…",
}


@pytest.mark.parametrize("width", [1280, 360])
@pytest.mark.parametrize("lang", ["ru", "en"])
def test_a_busy_answer_is_shown_and_retried_after_retry_after(  # type: ignore[no-untyped-def]
    page, live_server: str, problems: PageProblems, lang: str, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    answered: list[int] = []

    def busy_once(route: Route) -> None:
        if not answered:
            answered.append(503)
            route.fulfill(
                status=503,
                headers={"Retry-After": "1", "Content-Type": "application/json"},
                body='{"detail": "the server is busy with other requests; try again in 1 s"}',
            )
        else:
            answered.append(200)
            route.continue_()

    page.route("**/api/v1/images/feature-maps", busy_once)
    page.goto(f"{live_server}/image?lang={lang}")
    notice = page.get_by_role("status").filter(has_text=NOTICE[lang])
    expect(notice).to_be_visible()
    screenshot(page, f"busy-{lang}-{width}")
    expect(page.locator("#maps .map-card")).to_have_count(3)
    expect(notice).to_have_count(0)
    assert answered == [503, 200]
    # Chromium logs the refused request itself; the page has no error of its own.
    problems.console_errors[:] = [e for e in problems.console_errors if "503" not in e]
