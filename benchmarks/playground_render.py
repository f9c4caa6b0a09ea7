"""Time what a student waits for, measured inside the page in headless Chromium.

Run: ``.venv/bin/python benchmarks/playground_render.py`` (about three minutes; ``--width 1280`` for another
viewport width than 1366 px, ``--only "4→4"`` for the playground rows whose title contains that text alone,
``--runs 3`` to measure those rows that many times, each on a page of its own, ``--by-index`` to print each
run's first changes one by one: the first changes after a load run code V8 has not optimised yet). It
starts the app with uvicorn on 127.0.0.1 and prints, each as median, 95th percentile and maximum (the CPU figures
as median and p95):

- the playground's re-render after each slider change on a 32×32 input (``CHANGES`` changes per layer, each
  to a value the slider has not just had, so every change re-renders); target p95 ≤ 8 ms for 4→4 channels,
  ≤ 16 ms for the rest. Three figures per change, from one Chromium trace of the changes:
  ``wall``, the ``playground-render`` measure the page records around its one render function (wall-clock time,
  so a busy machine's other processes inflate it); ``cpu``, the main thread's CPU time of the animation frame
  callback that runs the render (thread time, which other processes inflate far less); ``frame``, the main
  thread's CPU time of the whole task of that frame: the render, then style, layout, paint and commit
  (--disable-gpu, so the canvases' pixels are uploaded in the commit);
- one animation step (Step forward, pressed with the keyboard) of the 4→4 32×32 layer, the same three figures;
  target: within one frame (16 ms);
- the image lab's kernel change: request sent → maps drawn (``image-run``), and end to end from the edit
  (made inside the page, timed by the page's clock: see ``EDIT``; the page sends an edit at once); target
  ≤ 100 ms;
- the residual page's recompute: request sent → plot drawn (``residual-recompute``), and end to end from the
  edit; target ≤ 150 ms.

Under each of the last two, where the request's time went (from the request's resource timing): ``server``,
request sent → first byte (the server's work and the loopback round trip), and ``page``, last byte → drawn.
"""

import argparse
import bisect
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CONVVIZ_CHROMIUM", "/usr/bin/chromium")
FRAME_MS = 16.0
HALF_FRAME_MS = 8.0
# Changes per layer (shared by its sliders), each within SPAN steps of the slider's first value; animation steps.
CHANGES = 60
SPAN = 4
STEPS = 60
PAUSE_MS = 20
MEASURE = "playground-render"
# The frame callback (requestAnimationFrame) and the task around one whole frame, in the trace's names.
CALLBACK = "FireAnimationFrame"
TASK = "ThreadControllerImpl::RunTask"
NO_THREAD_TIME = -1
TRACE_CATEGORIES = ["devtools.timeline", "blink.user_timing", "toplevel"]
NEXT_FRAMES = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
EDITS = 6
IMAGE_TARGET_MS = 100.0
RESIDUAL_TARGET_MS = 150.0
POLL_MS = 50

# (scenario, query string, sliders moved back and forth)
SCENARIOS = [
    ("conv 1→1, 32×32", "h=32&w=32&sh=1&sw=1", ["Kernel size", "Stride", "Padding", "Dilation", "Input height"]),
    ("conv 4→4, 32×32", "h=32&w=32&cin=4&cout=4&sh=1&sw=1", ["Kernel size", "Padding", "Dilation"]),
    ("conv 1→1, 32×32, matrix view", "h=32&w=32&matrix=1&sh=3&sw=3", ["Kernel size", "Padding"]),
    ("transposed 1→1, 32×32", "mode=transposed&h=32&w=32&sh=1&sw=1&ph=0&pw=0", ["Kernel size", "Dilation"]),
    ("max pooling 4 ch, 32×32", "mode=maxpool&h=32&w=32&cin=4", ["Kernel size", "Stride"]),
    ("conv 4→4, 32×32, reflect padding", "h=32&w=32&cin=4&cout=4&sh=1&sw=1&pmode=reflect", ["Kernel size", "Padding"]),
    ("avg pooling 4 ch, 32×32, ceil_mode", "mode=avgpool&h=32&w=32&cin=4&ceil=1", ["Kernel size", "Stride"]),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(env: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """uvicorn on a free loopback port (``env`` added to this process's environment), once it answers."""
    port = free_port()
    cmd = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port)]
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("the server did not start")


def open_playground(page: Page, base: str, query: str) -> None:
    page.goto(f"{base}/?lang=en&{query}")
    page.get_by_role("heading", name="Convolution playground").wait_for()
    page.wait_for_timeout(300)


@dataclass
class RenderTimes:
    """Per re-render, in ms: the page's measure (``wall``), the CPU time of its animation frame callback (``cpu``)
    and of the whole frame task: callback, style, layout, paint, commit (``frame``)."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    frame: list[float] = field(default_factory=list)


def enclosing(spans: list[tuple[int, int, int]], ts: int) -> int:
    """The thread time (µs) of the last span (start, end, thread time) that starts at or before ``ts`` and
    contains it; spans are sorted by start."""
    n = bisect.bisect_right(spans, (ts, 1 << 62, 0)) - 1
    while n >= 0 and spans[n][1] < ts:
        n -= 1
    if n < 0:
        raise SystemExit("a playground-render measure lies outside every traced task")
    if spans[n][2] == NO_THREAD_TIME:
        raise SystemExit("this Chromium's trace has no thread time (tdur) for a render: no CPU figures")
    return spans[n][2]


def traced_times(trace: bytes) -> RenderTimes:
    """The ``playground-render`` measures of a Chromium trace, each with the CPU time of its frame callback and
    frame task on the page's main thread (the thread the measures were recorded on)."""
    events = json.loads(trace)["traceEvents"]
    marks = [e for e in events if e.get("name") == MEASURE and e["ph"] in "be"]
    if not marks:
        return RenderTimes()
    thread = (marks[0]["pid"], marks[0]["tid"])
    spans: dict[str, list[tuple[int, int, int]]] = {CALLBACK: [], TASK: []}
    for e in events:
        if e.get("ph") == "X" and e["name"] in spans and (e["pid"], e["tid"]) == thread:
            # Chromium 150 leaves thread time out of some 1 µs tasks (DidSwap): such a span encloses no measure
            spans[e["name"]].append((e["ts"], e["ts"] + e["dur"], e.get("tdur", NO_THREAD_TIME)))
    for list_ in spans.values():
        list_.sort()
    times = RenderTimes()
    begins = [e["ts"] for e in marks if e["ph"] == "b"]
    ends = [e["ts"] for e in marks if e["ph"] == "e"]
    for begin, end in zip(begins, ends, strict=True):
        times.wall.append((end - begin) / 1000)
        # the measure's ends come from the page's clock, coarsened to 0.1 ms: its middle lies inside its task
        middle = (begin + end) // 2
        times.cpu.append(enclosing(spans[CALLBACK], middle) / 1000)
        times.frame.append(enclosing(spans[TASK], middle) / 1000)
    return times


def bounce(value: int, low: int, high: int, count: int) -> list[str]:
    """``count`` arrow keys that move a slider at ``value`` back and forth within ``SPAN`` steps of it and its
    bounds [``low``, ``high``], so every key changes the value."""
    lo = max(low, value - SPAN // 2)
    hi = min(high, lo + SPAN)
    lo = max(low, hi - SPAN)
    if lo == hi:
        return []
    keys = []
    step = 1 if value < hi else -1
    for _ in range(count):
        if not lo <= value + step <= hi:
            step = -step
        value += step
        keys.append("ArrowRight" if step > 0 else "ArrowLeft")
    return keys


def press_traced(page: Page, keys: list[str]) -> None:
    """Each key pressed on the focused control once the previous change has been drawn (two animation frames
    later), so the frames never overlap. ``page.keyboard`` sends the key without resolving a locator in the page,
    whose role query took a few ms of the page's main thread before every press."""
    for key in keys:
        page.keyboard.press(key)
        page.evaluate(NEXT_FRAMES)
        page.wait_for_timeout(PAUSE_MS)


def measure(browser: Browser, page: Page, base: str, query: str, sliders: list[str]) -> tuple[RenderTimes, int]:
    """The traced re-renders of CHANGES slider changes (shared by ``sliders``) and the number of changes made."""
    open_playground(page, base, query)
    per_slider = -(-CHANGES // len(sliders))
    changes = 0
    browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
    for name in sliders:
        slider = page.get_by_role("slider", name=name, exact=True)
        value, low, high = slider.evaluate("s => [s.value, s.min, s.max].map(Number)")
        slider.focus()
        keys = bounce(value, low, high, per_slider)
        press_traced(page, keys)
        changes += len(keys)
    return traced_times(browser.stop_tracing()), changes


def summary(times: list[float]) -> tuple[float, float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], ordered[-1]


def row(title: str, times: list[float], target: float) -> None:
    median, p95, worst = summary(times)
    verdict = "ok" if p95 <= target else "OVER"
    print(f"{title:34} {len(times):7d} {median:7.2f} {p95:7.2f} {worst:7.2f}  target {target:.0f}: {verdict}")


def playground_row(title: str, times: RenderTimes, changes: int, target: float) -> None:
    wall = summary(times.wall)
    cpu = summary(times.cpu)
    frame = summary(times.frame)
    verdict = " ".join(
        f"{name} {'ok' if p95 <= target else 'OVER'}" for name, (_, p95, _) in (("wall", wall), ("cpu", cpu))
    )
    missed = "" if len(times.wall) >= changes else f"  ({changes - len(times.wall)} changes drew nothing)"
    print(
        f"{title:36} {len(times.wall):4d} {wall[0]:7.2f} {wall[1]:7.2f} {wall[2]:7.2f} │ {cpu[0]:6.2f} {cpu[1]:6.2f}"
        f" │ {frame[0]:6.2f} {frame[1]:6.2f}  target {target:.0f}: {verdict}{missed}"
    )


def animation_steps(browser: Browser, page: Page, base: str) -> tuple[RenderTimes, int]:
    open_playground(page, base, "h=32&w=32&cin=4&cout=4&sh=1&sw=1")
    page.get_by_role("button", name="Step forward").focus()
    browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
    press_traced(page, ["Enter"] * STEPS)
    return traced_times(browser.stop_tracing()), STEPS


# The measure and the resource timing of the request it made: [start, duration, request sent, first byte,
# last byte] (the request's part of the time is the server's work plus the loopback round trip).
TIMES = """([measure, path]) => {
  const m = performance.getEntriesByName(measure)[0];
  const r = performance.getEntriesByType("resource").filter((e) => e.name.includes(path)).at(-1);
  return [m.startTime, m.duration, r.requestStart, r.responseStart, r.responseEnd];
}"""


@dataclass
class EditTimes:
    """Per edit: request sent → drawn (``work``), edit → drawn (``end_to_end``), the request's first byte
    after it was sent (``server``: the server's work and the round trip) and last byte → drawn (``page``)."""

    work: list[float] = field(default_factory=list)
    end_to_end: list[float] = field(default_factory=list)
    server: list[float] = field(default_factory=list)
    page: list[float] = field(default_factory=list)


# A student's edit, made inside the page: the control takes its new value and fires the events a browser fires
# when a user commits it; the page's clock at that moment starts the edit's time. Playwright's fill() and
# select_option() take several protocol round trips before the first event, which no student waits for.
EDIT = """([selector, value]) => {
  const control = document.querySelector(selector);
  const start = performance.now();
  control.value = value;
  control.dispatchEvent(new Event("input", { bubbles: true }));
  control.dispatchEvent(new Event("change", { bubbles: true }));
  return start;
}"""


def edit_times(page: Page, measure_name: str, path: str, selector: str, values: list[str]) -> EditTimes:
    """The times of EDITS edits of the control ``selector`` (to each of ``values`` in turn), each waited for
    before the next; ``path`` names the request."""
    times = EditTimes()
    for n in range(EDITS):
        page.evaluate(f"performance.clearMeasures('{measure_name}'); performance.clearResourceTimings()")
        start = float(page.evaluate(EDIT, [selector, values[n % len(values)]]))
        # the figures are the page's own timestamps; polling every frame would only take CPU from the server
        page.wait_for_function(
            f"performance.getEntriesByName('{measure_name}').length > 0", polling=POLL_MS, timeout=30_000
        )
        begin, duration, sent, first, last = page.evaluate(TIMES, [measure_name, path])
        times.work.append(duration)
        times.end_to_end.append(begin + duration - start)
        times.server.append(first - sent)
        times.page.append(begin + duration - last)
    return times


def image_lab(page: Page, base: str) -> EditTimes:
    """The first conv layer's first kernel, switched between its presets."""
    page.goto(f"{base}/image?lang=en")
    kernel = page.locator("#l0-c0")
    kernel.wait_for()
    page.wait_for_function("performance.getEntriesByName('image-run').length > 0", timeout=30_000)
    presets: list[str] = kernel.evaluate("s => [...s.options].map(o => o.value).filter(v => v && v !== s.value)")
    return edit_times(page, "image-run", "/images/feature-maps", "#l0-c0", presets)


def residual(page: Page, base: str) -> EditTimes:
    """The seed, set to 1, 2, … (each a new experiment)."""
    page.goto(f"{base}/residual?lang=en")
    page.wait_for_function("performance.getEntriesByName('residual-recompute').length > 0", timeout=60_000)
    seeds = [str(n + 1) for n in range(EDITS)]
    return edit_times(page, "residual-recompute", "/experiments/residual", "#res-seed", seeds)


def edits(times: EditTimes, title: str, target: float) -> None:
    row(f"{title} (request)", times.work, target)
    row(f"{title} (edit)", times.end_to_end, target)
    # where the request's time goes: no target of their own
    for part, values in (("server", times.server), ("page", times.page)):
        median, p95, worst = summary(values)
        print(f"{'  of which ' + part:34} {len(values):7d} {median:7.2f} {p95:7.2f} {worst:7.2f}")


# How many of a run's first changes --by-index prints one by one.
FIRST = 8


def by_index(times: RenderTimes) -> None:
    """The wall and cpu times of the run's first FIRST changes in order, then the median of the rest."""
    cells = [f"{w:5.1f}/{c:4.1f}" for w, c in zip(times.wall[:FIRST], times.cpu[:FIRST], strict=True)]
    rest = f"rest {statistics.median(times.wall[FIRST:]):4.1f}/{statistics.median(times.cpu[FIRST:]):4.1f}"
    print(f"{'  by change, wall/cpu':36} {' '.join(cells)}  {rest}")


def fresh_page(browser: Browser, width: int) -> Page:
    """A page in a browser context of its own, so in a renderer of its own: nothing the page's scripts compiled
    or optimised on an earlier page is at hand, as on a student's first visit."""
    # wait_for_function evaluates a string, which the app's CSP (no unsafe-eval) would refuse
    return browser.new_page(viewport={"width": width, "height": 900}, bypass_csp=True)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--width", type=int, default=1366, help="the viewport's width in CSS px (default 1366)")
    parser.add_argument("--only", help="only the playground rows whose title contains this text")
    parser.add_argument("--runs", type=int, default=1, help="runs of each playground row, each on a page of its own")
    parser.add_argument("--by-index", action="store_true", help="print each run's first changes one by one")
    return parser.parse_args()


def main() -> None:
    args = arguments()
    scenarios = [s for s in SCENARIOS if args.only is None or args.only in s[0]]
    if not scenarios:
        raise SystemExit(f"no playground row's title contains {args.only!r}")
    proc, base = start_server()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            page = fresh_page(browser, args.width)
            # The machine is shared: a load above the core count inflates every figure below.
            print(
                f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPU(s); Chromium {browser.version};"
                f" times in ms, measured in the page at {args.width} px"
            )
            print(
                f"{'playground re-render per change':36} {'n':>4} {'wall':>7} {'p95':>7} {'max':>7}"
                f" │ {'cpu':>6} {'p95':>6} │ {'frame':>6} {'p95':>6}"
            )
            for title, query, sliders in scenarios:
                target = HALF_FRAME_MS if "4→4" in title else FRAME_MS
                for _ in range(args.runs):
                    page.context.close()
                    page = fresh_page(browser, args.width)
                    times, changes = measure(browser, page, base, query, sliders)
                    playground_row(title, times, changes, target)
                    if args.by_index:
                        by_index(times)
            if args.only is None:
                playground_row("animation step, conv 4→4, 32×32", *animation_steps(browser, page, base), FRAME_MS)
                edits(image_lab(page, base), "image lab kernel change", IMAGE_TARGET_MS)
                edits(residual(page, base), "residual recompute", RESIDUAL_TARGET_MS)
            browser.close()
            print(f"load average {os.getloadavg()[0]:.1f} at the end")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
