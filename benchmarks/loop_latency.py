"""Does heavy pure-Python work stall the event loop? ``/health`` latency while 20 requests run at once.

Starts one real ``uvicorn`` process (one worker, loopback), finds the largest request of each kind the
server accepts (by asking it: a binary search on the input side until the answer is a 200), then sends
``--concurrency`` copies of it at once, in rounds, while a probe asks ``GET /api/v1/health`` every 20 ms.
Printed per kind: how long one request takes alone, and the probe's p50/p95/max latency idle and under load
(the probe runs in its own process, so the load generator's work never delays it).

    .venv/bin/python benchmarks/loop_latency.py                     # this checkout
    .venv/bin/python benchmarks/loop_latency.py --app-dir /work/main  # another checkout (before/after)

Kinds: ``naive`` (``POST /ops/conv2d`` with ``method=naive``: 1×N×N input, 16 3×3 filters), ``trace``
(the same with ``trace=true`` and im2col, as the playground asks), ``json`` (the largest ``x`` the schema
allows, as compact JSON, with a 1×1 kernel: parsing and validation dominate).
"""

import argparse
import asyncio
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
Body = Callable[[int], tuple[str, dict[str, Any]]]


def _conv_body(n: int, out_channels: int, kernel: int, **extra: Any) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    return {
        "x": rng.uniform(-1, 1, (1, n, n)).round(3).tolist(),
        "weight": rng.uniform(-1, 1, (out_channels, 1, kernel, kernel)).round(3).tolist(),
        **extra,
    }


KINDS: dict[str, Body] = {
    "naive": lambda n: ("/api/v1/ops/conv2d", _conv_body(n, 16, 3, method="naive")),
    "trace": lambda n: ("/api/v1/ops/conv2d?trace=true", _conv_body(n, 4, 3)),
    "json": lambda n: ("/api/v1/ops/conv2d", _conv_body(n, 1, 1)),
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(app_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(app_dir)}
    command = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(command, cwd=app_dir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the server did not start within 180 s")


async def largest_accepted(client: httpx.AsyncClient, body: Body, low: int = 2, high: int = 256) -> int:
    """The largest side ``n`` for which the server answers 200 (it answers 422 past its limits)."""
    while low < high:
        middle = (low + high + 1) // 2
        path, content = body(middle)
        response = await client.post(path, json=content)
        low, high = (middle, high) if response.status_code == 200 else (low, middle - 1)
    return low


def _probe(base: str, ready: Any, stop: Any, results: Any) -> None:
    """In its own process, so that the load generator's own work never delays a probe."""
    latencies = []
    with httpx.Client(base_url=base, timeout=60) as client:
        client.get("/api/v1/health")
        ready.set()
        while not stop.is_set():
            started = time.perf_counter()
            client.get("/api/v1/health")
            latencies.append(time.perf_counter() - started)
            time.sleep(0.02)
    results.put(latencies)


class Probe:
    """``GET /health`` every 20 ms from a separate process until :meth:`stop`; returns the latencies."""

    def __init__(self, base: str) -> None:
        context = multiprocessing.get_context("spawn")
        ready, self._stop, self._results = context.Event(), context.Event(), context.Queue()
        self._process = context.Process(target=_probe, args=(base, ready, self._stop, self._results))
        self._process.start()
        if not ready.wait(timeout=180):
            raise RuntimeError("the probe process did not start within 180 s")

    def stop(self) -> list[float]:
        self._stop.set()
        latencies: list[float] = self._results.get(timeout=120)
        self._process.join()
        return latencies


def _summary(latencies: list[float]) -> str:
    ms = sorted(x * 1e3 for x in latencies)
    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
    return f"p50 {statistics.median(ms):7.1f} ms  p95 {p95:7.1f} ms  max {ms[-1]:7.1f} ms  ({len(ms)} probes)"


async def measure(base: str, kind: str, concurrency: int, rounds: int) -> None:
    limits = httpx.Limits(max_connections=concurrency + 2)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
        n = await largest_accepted(client, KINDS[kind])
        path, content = KINDS[kind](n)
        started = time.perf_counter()
        alone = await client.post(path, json=content)
        single = time.perf_counter() - started
        size = len(alone.request.content)
        idle = Probe(base)
        await asyncio.sleep(2.0)
        idle_latencies = idle.stop()
        loaded = Probe(base)
        await asyncio.sleep(0.5)
        statuses: list[int] = []
        for _ in range(rounds):
            answers = await asyncio.gather(*(client.post(path, json=content) for _ in range(concurrency)))
            statuses += [a.status_code for a in answers]
        load_latencies = loaded.stop()
    print(f"{kind}: largest accepted n = {n} ({size / 1e6:.2f} MB body), one request alone {single * 1e3:.0f} ms")
    print(f"  /health idle:                {_summary(idle_latencies)}")
    print(f"  /health under {concurrency}×{rounds} {kind}: {_summary(load_latencies)}")
    print(f"  statuses: {sorted(set(statuses))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--app-dir", type=Path, default=ROOT, help="the checkout to serve (default: this one)")
    parser.add_argument("--kinds", nargs="+", choices=list(KINDS), default=list(KINDS))
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    port = _free_port()
    server = start_server(args.app_dir.resolve(), port)
    try:
        for kind in args.kinds:
            asyncio.run(measure(f"http://127.0.0.1:{port}", kind, args.concurrency, args.rounds))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
