"""Time the site's SVG plots (static/js/common/plot.js) in headless Chromium, to decide plot module vs library.

Run: ``.venv/bin/python benchmarks/plot_render.py`` (a few seconds). It serves ``static/`` from a plain HTTP
server on 127.0.0.1, imports the plot modules into a blank page and prints, for each plot as the pages draw it,
the time of one full redraw (median, 95th percentile, maximum over ``DRAWS`` draws, layout included), and the
bytes of the plotting modules. A redraw within a few milliseconds leaves a frame (16 ms) for everything else.
"""

import functools
import http.server
import os
import statistics
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "static"
CHROMIUM = os.environ.get("CONVVIZ_CHROMIUM", "/usr/bin/chromium")
DRAWS = 200
MODULES = ["js/common/plot.js", "js/common/format.js", "js/rfexplorer/svg.js", "js/model/plot.js"]

# Each case draws DRAWS times into one <svg> and returns the times in ms (forced layout after each draw).
CASES = {
    "lesson line plot, log y (dropout: 2 × 40 points)": """
        const { linePlot } = await import('/js/common/plot.js');
        const ks = Array.from({length: 40}, (_, i) => i + 1);
        const series = [
          {label: 'rms', cls: 's1', points: ks.map((k) => [k, 0.6 / Math.sqrt(k) * (1 + 0.1 * Math.sin(k))])},
          {label: 'sqrt', cls: 's2', dashed: true, points: ks.map((k) => [k, 0.6 / Math.sqrt(k)])},
        ];
        return (svg) => linePlot(svg, series, {logY: true, xLabel: 'k', yLabel: 'error', height: 280});
    """,
    "lesson line plot, linear y (normalization: 8 × 61 points)": """
        const { linePlot } = await import('/js/common/plot.js');
        const series = Array.from({length: 8}, (_, c) => ({label: 'c' + c, cls: 's' + (c % 4 + 1),
          points: Array.from({length: 61}, (_, k) => [k, c - 2 + Math.exp(-k / 10)])}));
        return (svg) => linePlot(svg, series, {width: 420, height: 240, xLabel: 'batches', yLabel: 'mean'});
    """,
    "explorer r and S, log-2 y (ResNet-50: 2 × 160 points)": """
        const { drawPlot } = await import('/js/rfexplorer/svg.js');
        const r = Array.from({length: 160}, (_, i) => ({x: i + 1, y: 1 + 3 * i}));
        const s = Array.from({length: 160}, (_, i) => ({x: i + 1, y: 2 ** Math.min(5, Math.floor(i / 30))}));
        const series = [{name: 'r', values: r, className: 'r'}, {name: 'S', values: s, className: 's'}];
        return (svg) => drawPlot(svg, series, {width: 900, height: 260, log: true, xLabel: 'layer', yLabel: 'px'});
    """,
    "model page growth, clickable points (2 × 60 points)": """
        const { drawGrowth } = await import('/js/model/plot.js');
        const r = Array.from({length: 60}, (_, i) => ({x: i, y: 1 + 7 * i, index: i}));
        const s = Array.from({length: 60}, (_, i) => ({x: i, y: 2 ** Math.min(5, Math.floor(i / 12)), index: i}));
        return (svg) => drawGrowth(svg, {r, s}, {width: 640, height: 260, log: false, chosen: 30}, () => {});
    """,
}

TIMER = """async () => {
  const make = await (async () => { %s })();
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.style.width = '640px';
  document.body.append(svg);
  const times = [];
  for (let i = 0; i < %d; i++) {
    const start = performance.now();
    make(svg);
    svg.getBBox();
    times.push(performance.now() - start);
  }
  svg.remove();
  return times;
}"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(STATIC)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page()
            page.goto(base)
            for name, body in CASES.items():
                times = sorted(page.evaluate(TIMER % (body, DRAWS)))
                p95 = times[int(0.95 * (len(times) - 1))]
                print(f"{name}: median {statistics.median(times):.2f} ms, p95 {p95:.2f} ms, max {times[-1]:.2f} ms")
            browser.close()
    finally:
        server.shutdown()
    sizes = {m: (STATIC / m).stat().st_size for m in MODULES}
    print("plotting modules:", ", ".join(f"{m} {b} B" for m, b in sizes.items()), f"(total {sum(sizes.values())} B)")


if __name__ == "__main__":
    main()
