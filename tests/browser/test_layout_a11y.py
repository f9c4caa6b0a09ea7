"""Every page at phone width and under axe-core (WCAG 2.1 AA), both languages; the skip link; the one
reduced-motion policy. The page list is the app's own page table, so a page added later is covered too.
"""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.routers.pages import PAGES
from tests.browser.conftest import PageProblems, screenshot, wait_until_settled

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Two best-practice rules the walkthrough found broken, run on top of the WCAG ones.
AXE_EXTRA_RULES = {"heading-order": {"enabled": True}, "empty-table-header": {"enabled": True}}
LANGS = ["en", "ru"]
WIDTHS = {360: 740, 1280: 800}
# The playground's states that the first screen does not show.
PLAYGROUND_STATES = [
    "h=7&w=7&step=5",
    "mode=transposed&h=4&w=4&oph=1&opw=1&step=3",
    "mode=transposed&h=4&w=4&view=zeros&step=2",
    "matrix=1&step=4",
    "mode=maxpool&cin=2&step=2",
    "cin=4&cout=4&groups=2&bias=1",
    "h=32&w=32&cin=4&cout=4&sh=1&sw=1",
    "pmode=reflect&ph=2&pw=2&sh=1&sw=1&step=3",
    "same=1&kh=4&kw=4&h=6&w=6&pmode=circular&matrix=1&step=7",
    "mode=avgpool&h=7&w=7&kh=2&kw=2&sh=3&sw=3&ph=0&pw=0&ceil=1&step=2",
]


@pytest.fixture
def open_page(shared_contexts: dict[tuple[str, bool], Any], live_server: str, problems: PageProblems) -> Iterator[Any]:
    """open_page(path, lang, width, reduced_motion=False) → a new page, loaded and settled, in the worker's context
    for that language and motion preference."""
    pages: list[Any] = []

    def open_(path: str, lang: str, width: int, reduced_motion: bool = False) -> Any:
        page = shared_contexts[lang, reduced_motion].new_page()
        pages.append(page)
        page.set_viewport_size({"width": width, "height": WIDTHS.get(width, 800)})
        page.on("console", lambda m: m.type == "error" and problems.console_errors.append(m.text))
        page.on("pageerror", lambda e: problems.console_errors.append(str(e)))
        sep = "&" if "?" in path else "?"
        page.goto(f"{live_server}{path}{sep}lang={lang}")
        wait_until_settled(page)
        return page

    yield open_
    for page in pages:
        page.close()
    assert problems.console_errors == [], f"console errors: {problems.console_errors}"


def axe_violations(page: Any, rules: dict[str, dict[str, bool]] = AXE_EXTRA_RULES) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "([values, rules]) => axe.run(document, {runOnly: {type: 'tag', values}, rules, resultTypes: ['violations']})",
        [AXE_TAGS, rules],
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(" ".join(n["target"]) for n in v["nodes"][:5])
        for v in result["violations"]
    ]


def page_id(path: str) -> str:
    return path.strip("/").replace("/", "-") or "playground"


def assert_fits_a_phone(page: Any, path: str, lang: str) -> None:
    """No sideways scroll at 360 px and a header that leaves most of the first screen; the screenshot to look at."""
    page.wait_for_timeout(300)
    width = page.evaluate("document.documentElement.scrollWidth")
    screenshot(page, f"layout-{page_id(path)}-{lang}-360")
    assert width <= 360, f"{path} ({lang}) is {width} px wide at 360 px"
    header = page.locator("header").first.bounding_box()
    assert header is not None and header["height"] <= 110, f"the header takes {header} of the first screen"


@pytest.mark.parametrize("lang", LANGS)
def test_a_32x32_playground_fits_a_phone(open_page: Any, lang: str) -> None:
    page = open_page("/?h=32&w=32&cin=4&cout=4&ph=5&pw=5", lang, 360)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("path", list(PAGES))
def test_no_page_scrolls_sideways_at_360_px_and_axe_finds_no_wcag_21_aa_violation(
    open_page: Any, path: str, lang: str
) -> None:
    """One load for both checks: the layout's first, as axe adds its script to the page."""
    page = open_page(path, lang, 360)
    assert_fits_a_phone(page, path, lang)
    assert axe_violations(page) == []


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("path", list(PAGES))
def test_axe_finds_no_wcag_21_aa_violation_at_1280_px(open_page: Any, path: str, lang: str) -> None:
    page = open_page(path, lang, 1280)
    assert axe_violations(page) == []


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("state", PLAYGROUND_STATES)
def test_axe_in_the_playgrounds_states(open_page: Any, state: str, lang: str) -> None:
    page = open_page(f"/?{state}", lang, 1280)
    page.get_by_role("button", name="Step forward" if lang == "en" else "Шаг вперёд").click()
    # the step is drawn on the next frame and its address on a timer: audit that page, not a fixed 200 ms later
    wait_until_settled(page)
    assert axe_violations(page) == []


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("lang", LANGS)
def test_the_api_docs_wear_the_site_header_and_pass_axe(
    open_page: Any, live_server: str, lang: str, width: int
) -> None:
    page = open_page("/docs", lang, width)
    page.locator(".opblock-summary-control").first.wait_for()
    if width == 360:
        assert_fits_a_phone(page, "/docs", lang)
    assert page.locator("header nav a[aria-current=page]").get_attribute("href") == "/docs"
    assert page.locator("header .brand").get_attribute("href") == "/"
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(f"{live_server}{icon}").status == 200
    # Swagger UI nests its copy button inside the operation's toggle button: its own markup, not a colour or
    # a label this theme can fix, so that one rule is left out here.
    assert axe_violations(page, {"nested-interactive": {"enabled": False}}) == []


def test_the_skip_link_is_the_first_tab_and_lands_on_the_page(open_page: Any) -> None:
    page = open_page("/", "en", 1280)
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.className, document.activeElement.textContent]")
    assert focused == ["skip-link", "Skip to the page"]
    assert page.locator(".skip-link").bounding_box()["y"] >= 0
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")


@pytest.mark.parametrize(
    ("path", "play", "step_text"),
    [("/", "#pg-play", "#pg-position-text"), ("/pooling", "#pool-play", "#pool-step-out")],
)
def test_reduced_motion_plays_one_step_a_second(open_page: Any, path: str, play: str, step_text: str) -> None:
    """The one policy (static/js/common/motion.js): Play works, at most one step a second."""
    page = open_page(f"{path}?speed=8" if path == "/" else f"{path}?speed=10", "en", 1280, reduced_motion=True)
    assert page.locator(play).is_enabled()
    before = page.locator(step_text).text_content()
    page.locator(play).click()
    page.wait_for_timeout(2600)
    page.locator(play).click()
    after = page.locator(step_text).text_content()
    moved = page.evaluate("([a, b]) => parseInt(b.match(/\\d+/)[0]) - parseInt(a.match(/\\d+/)[0])", [before, after])
    assert 1 <= moved <= 3, f"{before!r} → {after!r} in 2.6 s"


def test_an_instructor_link_presets_locks_and_hides_controls(open_page: Any) -> None:
    page = open_page("/?kh=5&kw=5&ph=3&pw=3&lock=kh,mode&hide=flip,matrix", "en", 1280)
    kernel = page.locator("#pg-kh")
    assert kernel.input_value() == "5"
    assert kernel.is_disabled()
    assert page.locator("#pg-kh + input[type=number]").is_disabled()
    assert all(radio.is_disabled() for radio in page.locator("input[name=mode]").all())
    assert not page.locator("#pg-flip").is_visible()
    assert not page.locator("#pg-matrix").is_visible()
    assert page.locator(".instructor-note").is_visible()
    # A change elsewhere re-renders the controls; the lock and the flags in the URL stay.
    padding = page.locator("#pg-ph")
    padding.focus()
    padding.press("ArrowLeft")
    page.wait_for_function("new URLSearchParams(location.search).get('ph') === '2'")
    assert kernel.is_disabled()
    assert "lock=kh%2Cmode" in page.url or "lock=kh,mode" in page.url


def test_an_instructor_link_works_on_a_lesson_page_and_projector_mode_enlarges(open_page: Any) -> None:
    page = open_page("/pooling?k=3&lock=k,pool-mode", "en", 1280)
    normal = page.evaluate("parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)")
    assert page.locator("#pool-k").input_value() == "3"
    assert page.locator("#pool-k").is_disabled()
    assert all(radio.is_disabled() for radio in page.locator("input[name=pool-mode]").all())
    assert page.locator("#pool-s").is_enabled()
    page = open_page("/pooling?present=1", "en", 1280)
    assert page.evaluate("document.documentElement.classList.contains('present')")
    large = page.evaluate("parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)")
    assert large >= 1.3 * normal
    screenshot(page, "layout-pooling-present-1280")


def test_projector_mode_draws_larger_playground_cells(open_page: Any) -> None:
    def cell_width(query: str) -> float:
        page = open_page(f"/?{query}", "en", 1280)
        return float(page.locator("#pg-input svg g[data-i] rect").first.bounding_box()["width"])

    assert cell_width("h=4&w=4&present=1") > 1.3 * cell_width("h=4&w=4")


def test_a_settled_page_has_run_its_timers_and_drawn_its_answers(open_page: Any) -> None:
    """What every check above relies on: a wait for a settled page outlasts a pending timer and the slow request it
    sends (the pages' debounced requests), and ends with the answer drawn."""
    page = open_page("/", "en", 1280)

    def answer_late(route: Any) -> None:
        time.sleep(0.5)
        route.fulfill(json={"status": "late"})

    page.route("**/api/v1/health", answer_late)
    page.evaluate(
        """setTimeout(() => fetch("/api/v1/health").then((r) => r.json()).then((body) => {
            document.body.dataset.late = body.status;
        }), 400)"""
    )
    wait_until_settled(page)
    assert page.evaluate("document.body.dataset.late") == "late"
